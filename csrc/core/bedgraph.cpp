#include "bwl/bedgraph.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "bwl/error.hpp"

namespace bwl {

BedGraphReader::BedGraphReader(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& sizes)
    : path_(path) {
    for (const auto& [name, size] : sizes) {
        if (!index_.emplace(name, uint32_t(chroms_.size())).second)
            throw RangeError("chrom.sizes lists '" + name + "' twice");
        ChromData c;
        c.name = name;
        c.size = size;
        chroms_.push_back(std::move(c));
    }
    sorted_.assign(chroms_.size(), true);
    check_path(path);
    gz_ = gzopen(path.c_str(), "rb");  // reads plain text too
    if (!gz_) throw IoError(path + ": " + std::strerror(errno ? errno : ENOENT), errno ? errno : ENOENT);
    gzbuffer(static_cast<gzFile>(gz_), 1 << 20);
}

BedGraphReader::~BedGraphReader() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
}

void BedGraphReader::fail(const std::string& what) const {
    throw FormatError(path_ + ":" + std::to_string(line_no_) + ": " + what);
}

bool BedGraphReader::step(size_t bytes) {
    std::string buf = std::move(carry_);
    size_t have = buf.size();
    buf.resize(have + bytes);
    int n = gzread(static_cast<gzFile>(gz_), &buf[have], unsigned(bytes));
    if (n < 0) {
        int err;
        const char* msg = gzerror(static_cast<gzFile>(gz_), &err);
        throw FormatError(path_ + ": " + (msg ? msg : "read error"));
    }
    consumed_ += uint64_t(n);
    buf.resize(have + size_t(n));
    bool eof = n == 0;
    const char* p = buf.data();
    const char* end = p + buf.size();
    for (;;) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        if (!nl) break;
        ++line_no_;
        parse_line(p, nl);
        p = nl + 1;
    }
    carry_.assign(p, end);
    if (eof && !carry_.empty()) {  // last line without a newline
        ++line_no_;
        parse_line(carry_.data(), carry_.data() + carry_.size());
        carry_.clear();
    }
    return !eof;
}

void BedGraphReader::parse_line(const char* p, const char* end) {
    if (end > p && end[-1] == '\r') --end;
    if (p == end || *p == '#' || (end - p >= 5 && (!std::strncmp(p, "track", 5) || !std::strncmp(p, "browser", 7))))
        return;
    // chrom, start, end, value separated by tabs or spaces.
    const char* f[4];
    const char* fe[4];
    int k = 0;
    const char* q = p;
    while (k < 4 && q < end) {
        while (q < end && (*q == ' ' || *q == '\t')) ++q;
        if (q == end) break;
        f[k] = q;
        while (q < end && *q != ' ' && *q != '\t') ++q;
        fe[k++] = q;
    }
    if (k < 4) fail("expected 4 columns: chrom start end value");
    std::string chrom(f[0], fe[0]);
    auto it = index_.find(chrom);
    if (it == index_.end()) fail("chromosome '" + chrom + "' is not in chrom.sizes");
    auto num = [&](int i, const char* what) {
        char* stop;
        errno = 0;
        unsigned long long v = std::strtoull(f[i], &stop, 10);
        if (stop != fe[i] || errno || v > UINT32_MAX || *f[i] == '-') fail(std::string("bad ") + what);
        return uint32_t(v);
    };
    uint32_t s = num(1, "start"), e = num(2, "end");
    std::string vs(f[3], fe[3]);
    char* stop;
    float v = std::strtof(vs.c_str(), &stop);
    if (stop != vs.c_str() + vs.size() || std::isnan(v)) fail("bad value '" + vs + "'");
    ChromData& c = chroms_[it->second];
    if (s >= e) fail("start must be < end");
    if (e > c.size)
        fail("end " + std::to_string(e) + " is past the end of " + chrom + " (" + std::to_string(c.size) + ")");
    if (!c.start.empty() && s < c.start.back()) sorted_[it->second] = false;
    c.start.push_back(s);
    c.end.push_back(e);
    c.value.push_back(v);
}

std::vector<ChromData> BedGraphReader::take() {
    // bedGraphToBigWig wants sorted input; sorting here costs little and
    // spares users a `sort -k1,1 -k2,2n` pass. Overlaps stay an error (the
    // writer reports them).
    for (size_t i = 0; i < chroms_.size(); ++i) {
        if (sorted_[i]) continue;
        ChromData& c = chroms_[i];
        std::vector<size_t> order(c.start.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.start[a] < c.start[b]; });
        ChromData s{c.name, c.size, {}, {}, {}};
        for (size_t k : order) {
            s.start.push_back(c.start[k]);
            s.end.push_back(c.end[k]);
            s.value.push_back(c.value[k]);
        }
        c = std::move(s);
    }
    return std::move(chroms_);
}

}  // namespace bwl
