#include "bwl/bedgraph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string_view>

#include "bwl/error.hpp"
#include "core/text_lines.hpp"
#include "core/text_num.hpp"

namespace bwl {

BedGraphReader::BedGraphReader(const std::string& path, const std::vector<std::pair<std::string, uint32_t>>& sizes,
                               bool wig, bool clip)
    : path_(path), wig_(wig), clip_(clip) {
    for (const auto& [name, size] : sizes) {
        if (!index_.emplace(name, uint32_t(chroms_.size())).second)
            throw RangeError("chrom.sizes lists '" + name + "' twice");
        ChromData c;
        c.name = name;
        c.size = size;
        chroms_.push_back(std::move(c));
    }
    sorted_.assign(chroms_.size(), true);
    text_ = std::make_unique<TextLines>(path);
}

BedGraphReader::~BedGraphReader() = default;

uint64_t BedGraphReader::bytes_read() const { return text_->bytes_read(); }
uint64_t BedGraphReader::lines() const { return text_->line_no(); }

void BedGraphReader::fail(const std::string& what) const {
    throw FormatError(path_ + ":" + std::to_string(text_->line_no()) + ": " + what);
}

bool BedGraphReader::step(size_t bytes) {
    return text_->step(bytes, [this](std::string_view line) { parse_line(line.data(), line.data() + line.size()); });
}

uint32_t BedGraphReader::chrom_of(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) fail("chromosome '" + name + "' is not in chrom.sizes");
    return it->second;
}

void BedGraphReader::add(uint32_t chrom, uint64_t s, uint64_t e, float v) {
    ChromData& c = chroms_[chrom];
    if (s >= e) fail("start must be < end");
    if (e > c.size) {
        if (!clip_)
            fail("end " + std::to_string(e) + " is past the end of " + c.name + " (" + std::to_string(c.size) + ")");
        if (s >= c.size) return;
        e = c.size;
    }
    if (!c.start.empty() && s < c.start.back()) sorted_[chrom] = false;
    c.start.push_back(uint32_t(s));
    c.end.push_back(uint32_t(e));
    c.value.push_back(v);
}

namespace {

// A whole field as an integer in [0, 2^32), as bedGraphToBigWig takes it.
bool to_u32(const char* p, const char* e, uint64_t* v) {
    int64_t x;
    if (p == e || *p == '-' || !to_int(std::string_view(p, size_t(e - p)), &x) || x > int64_t(UINT32_MAX)) return false;
    *v = uint64_t(x);
    return true;
}

}  // namespace

void BedGraphReader::declaration(const char* const* f, const char* const* fe, int k) {
    const bool fixed = fe[0] - f[0] == 9;  // "fixedStep" (or "variableStep")
    std::string chrom;
    uint64_t start = 0, step = 0, span = 1;
    bool has_start = false, has_step = false;
    for (int i = 1; i < k; ++i) {
        const char* eq = static_cast<const char*>(std::memchr(f[i], '=', size_t(fe[i] - f[i])));
        if (!eq) fail("expected key=value in the " + std::string(f[0], fe[0]) + " line");
        std::string key(f[i], eq);
        uint64_t v = 0;
        if (key == "chrom") {
            chrom.assign(eq + 1, fe[i]);
        } else if (key == "start" || key == "step" || key == "span") {
            if (!to_u32(eq + 1, fe[i], &v) || v == 0) fail("bad " + key + " (a positive integer)");
            (key == "start" ? (has_start = true, start) : key == "step" ? (has_step = true, step) : span) = v;
        }  // other keys (wigToBigWig has none that matter here) are ignored
    }
    if (chrom.empty()) fail("the " + std::string(f[0], fe[0]) + " line needs chrom=");
    if (fixed && (!has_start || !has_step)) fail("the fixedStep line needs start= and step=");
    sec_chrom_ = chrom_of(chrom);
    mode_ = fixed ? Mode::Fixed : Mode::Variable;
    next_ = start - 1, step_ = step, span_ = span;  // fixedStep's start is 1-based
}

void BedGraphReader::parse_line(const char* p, const char* end) {
    if (p == end || *p == '#' || (end - p >= 5 && (!std::strncmp(p, "track", 5) || !std::strncmp(p, "browser", 7))))
        return;
    // Fields separated by tabs or spaces (a wig declaration has more than 4).
    constexpr int kMax = 8;
    const char* f[kMax];
    const char* fe[kMax];
    int k = 0;
    const char* q = p;
    while (k < kMax && q < end) {
        while (q < end && (*q == ' ' || *q == '\t')) ++q;
        if (q == end) break;
        f[k] = q;
        while (q < end && *q != ' ' && *q != '\t') ++q;
        fe[k++] = q;
    }
    if (k == 0) return;
    auto value = [&](int i) {
        std::string vs(f[i], fe[i]);
        char* stop;
        float v = std::strtof(vs.c_str(), &stop);
        if (stop != vs.c_str() + vs.size() || std::isnan(v)) fail("bad value '" + vs + "'");
        return v;
    };
    if (wig_) {
        std::string_view first(f[0], size_t(fe[0] - f[0]));
        if (first == "fixedStep" || first == "variableStep") return declaration(f, fe, k);
        if (mode_ == Mode::Fixed && k == 1) {
            float v = value(0);
            add(sec_chrom_, next_, next_ + span_, v);
            next_ += step_;
            return;
        }
        if (mode_ == Mode::Variable && k == 2) {
            uint64_t pos;
            if (!to_u32(f[0], fe[0], &pos) || pos == 0) fail("bad position (1-based)");
            add(sec_chrom_, pos - 1, pos - 1 + span_, value(1));
            return;
        }
        if (k >= 4) mode_ = Mode::BedGraph;  // a bedGraph line ends a section
    }
    if (k < 4)
        fail(wig_ ? "expected a fixedStep/variableStep line, its data, or 4 columns: chrom start end value"
                  : "expected 4 columns: chrom start end value");
    uint32_t chrom = chrom_of(std::string(f[0], fe[0]));
    uint64_t s, e;
    if (!to_u32(f[1], fe[1], &s)) fail("bad start");
    if (!to_u32(f[2], fe[2], &e)) fail("bad end");
    add(chrom, s, e, value(3));
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
