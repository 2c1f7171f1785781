// BED regions: see bed_regions.hpp.
#include "core/bed_regions.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "bwl/error.hpp"
#include "core/text_num.hpp"

namespace bwl {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

void split(std::string_view line, std::vector<std::string_view>& f) {
    f.clear();
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        size_t j = i;
        while (j < line.size() && !is_space(line[j])) ++j;
        if (j > i) f.push_back(line.substr(i, j - i));
        i = j;
    }
}

}  // namespace

BedRegions parse_bed_regions(const char* text, size_t n, const std::string& label, int64_t around, bool keep_lines) {
    BedRegions r;
    std::unordered_map<std::string, uint32_t> chrom_of;
    std::unordered_set<std::string> seen;
    std::vector<int64_t> sizes, starts;
    std::vector<std::string_view> f;
    std::string_view all(text, n);
    size_t line_no = 0;
    auto fail = [&](const std::string& what) -> FormatError {
        return FormatError(label + ":" + std::to_string(line_no) + ": " + what);
    };
    for (size_t at = 0; at < all.size();) {
        size_t nl = all.find('\n', at);
        std::string_view line = all.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
        at = nl == std::string_view::npos ? all.size() : nl + 1;
        ++line_no;
        split(line, f);
        if (f.empty() || f[0][0] == '#' || f[0] == "track" || f[0] == "browser") continue;
        if (f.size() < 3) throw fail("a BED line needs chrom, start, end");
        int64_t s, e;
        if (!to_int(f[1], &s) || !to_int(f[2], &e)) throw fail("start and end must be integers");
        if (s < 0 || e < s) throw fail("bad interval " + std::to_string(s) + "-" + std::to_string(e));
        auto [it, fresh] = chrom_of.emplace(std::string(f[0]), uint32_t(r.chrom_names.size()));
        if (fresh) r.chrom_names.push_back(it->first);
        const uint32_t line_ix = uint32_t(r.start.size());
        r.chrom.push_back(it->second);
        r.start.push_back(s);
        r.end.push_back(e);
        r.names.push_back(f.size() > 3 ? std::string(f[3])
                                       : std::string(f[0]) + ":" + std::to_string(s) + "-" + std::to_string(e));
        if (!seen.insert(r.names.back()).second)
            throw fail(r.names.back() + " duplicated in input bed (names must be unique)");
        if (keep_lines) {
            std::string joined;
            for (size_t k = 0; k < f.size(); ++k) (joined += k ? "\t" : "") += f[k];
            r.lines.push_back(std::move(joined));
        }
        int64_t size = 0;
        auto add = [&](int64_t a, int64_t b) {
            size += b - a;
            r.sub_line.push_back(line_ix);
            r.sub_start.push_back(std::max<int64_t>(a, 0));
            r.sub_end.push_back(std::max<int64_t>(b, 0));
        };
        if (around > 0) {
            int64_t left = (s + e) / 2 - around / 2;
            add(left, left + around);
        } else if (f.size() >= 12) {
            int64_t count;
            if (!to_int(f[9], &count) || !to_int_list(f[10], &sizes) || !to_int_list(f[11], &starts))
                throw fail("blockCount, blockSizes and chromStarts must be integers");
            if (count < 1 || sizes.size() != size_t(count) || starts.size() != size_t(count))
                throw fail("blockCount " + std::to_string(count) + " does not match blockSizes and chromStarts");
            for (size_t k = 0; k < sizes.size(); ++k) {
                int64_t a = s + starts[k], b = a + sizes[k];
                if (sizes[k] < 0 || starts[k] < 0 || b > e)
                    throw fail("a block lies outside " + std::to_string(s) + "-" + std::to_string(e));
                add(a, b);
            }
        } else {
            add(s, e);
        }
        r.size.push_back(size);
    }
    return r;
}

BedRegions read_bed_regions(const std::string& path, int64_t around, bool keep_lines) {
    check_path(path);
    gzFile gz = gzopen(path.c_str(), "rb");  // plain text too
    if (!gz) {
        int err = errno ? errno : ENOENT;
        throw IoError(path + ": " + std::strerror(err), err);
    }
    std::string text;
    char buf[1 << 16];
    for (int got; (got = gzread(gz, buf, sizeof buf)) != 0;) {
        if (got < 0) {
            int err;
            std::string msg = gzerror(gz, &err);
            gzclose(gz);
            throw FormatError(path + ": " + msg);
        }
        text.append(buf, size_t(got));
    }
    gzclose(gz);
    return parse_bed_regions(text.data(), text.size(), path, around, keep_lines);
}

}  // namespace bwl
