// Summary statistics over bins, from the data (exact) or from the zoom level
// pyBigWig/UCSC would pick: the coarsest whose reduction is at most half a
// bin. Zoom records that straddle a bin edge count by their overlap share.
#include <algorithm>
#include <cmath>
#include <limits>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/stats_libbigwig.hpp"
#include "hd/byteio.hpp"
#include "hd/section.hpp"

namespace bwl {

Stat parse_stat(const std::string& name) {
    if (name == "mean") return Stat::Mean;
    if (name == "min") return Stat::Min;
    if (name == "max") return Stat::Max;
    if (name == "cov" || name == "coverage") return Stat::Coverage;
    if (name == "std") return Stat::Std;
    if (name == "sum") return Stat::Sum;
    throw RangeError("unknown stat type '" + name + "' (use mean, min, max, cov, std or sum)");
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Running summary of one bin: `n` bases (fractional for zoom records that
// straddle a bin edge), their value sum, min and max. Exact data also keeps
// a weighted Welford mean/M2, which stays accurate where sum-of-squares
// cancels; zoom records only carry sums of squares.
struct Acc {
    double n = 0, sum = 0, ssq = 0, mean = 0, m2 = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
    bool any = false, welford = false;

    void add_value(double w, double v) {
        any = welford = true;
        n += w;
        sum += w * v;
        double d = v - mean;
        mean += w * d / n;
        m2 += w * d * (v - mean);
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    void add_summary(double share, double valid, double s, double sq, double mn, double mx) {
        any = true;
        n += valid * share;
        sum += s * share;
        ssq += sq * share;
        lo = std::min(lo, mn);
        hi = std::max(hi, mx);
    }

    double std_dev() const {
        if (welford) return n > 1 ? std::sqrt(m2 / (n - 1)) : n == 1 ? 0.0 : kNaN;
        if (n <= 1) return kNaN;
        double var = (ssq - sum * sum / n) / (n - 1);
        return std::fabs(var) > 1e-8 ? std::sqrt(var) : 0.0;  // as libBigWig: rounding noise is 0
    }

    double get(Stat s, double bin_len) const {
        if (!any) return kNaN;
        switch (s) {
            case Stat::Mean:
                return n > 0 ? sum / n : kNaN;
            case Stat::Min:
                return lo;
            case Stat::Max:
                return hi;
            case Stat::Coverage:
                return n / bin_len;
            case Stat::Sum:
                return sum;
            case Stat::Std:
                return std_dev();
        }
        return kNaN;
    }

    // From zoom records, sum and coverage as UCSC computes them
    // (bbiRead.c normalizeCount, bbiSummaryArray): the fractional base count
    // rounded up to whole bases, the sum scaled by the same factor, and
    // coverage over the mean bin length. pybbi and pybigtools agree.
    double get_zoom(Stat s, double mean_bin_len) const {
        if (!any || n <= 0 || (s != Stat::Sum && s != Stat::Coverage)) return get(s, mean_bin_len);
        double whole = std::ceil(n);
        return s == Stat::Sum ? sum * (whole / n) : whole / mean_bin_len;
    }
};

// Bin edges as libBigWig computes them, so our bins match pyBigWig's.
uint64_t bin_end(uint64_t start, uint64_t end, uint32_t nbins, uint32_t i) {
    return start + uint64_t(double(end - start) * (i + 1) / nbins);
}

}  // namespace

std::vector<double> BbiFile::stats(uint32_t chrom, uint64_t start, uint64_t end, Stat stat, uint32_t nbins, bool exact,
                                   bool libbigwig) const {
    check_range(chrom, start, end);
    if (nbins == 0 || (nbins > end - start && !libbigwig))
        throw RangeError(path() + ": nBins must be between 1 and the range length (" + std::to_string(end - start) +
                         ")");
    if (!exact) {
        // The coarsest zoom level no wider than half a bin, as UCSC and libBigWig pick it.
        int64_t half = int64_t((end - start) / nbins) / 2;
        int best = -1;
        for (size_t i = 0; i < hdr_.zooms.size(); ++i) {
            int64_t r = hdr_.zooms[i].reduction_level;
            if (r <= half && (best < 0 || r > int64_t(hdr_.zooms[best].reduction_level))) best = int(i);
        }
        if (best >= 0) return zoom_stats(size_t(best), chrom, start, end, stat, nbins, libbigwig);
    }
    if (libbigwig && !hdr_.bigbed) return libbigwig_full_stats(intervals(chrom, start, end), start, end, stat, nbins);

    // Exact: each item adds its overlap with each bin. Items come sorted by
    // start within the chromosome, bins are contiguous, so one sweep does it.
    Intervals iv = hdr_.bigbed ? coverage(chrom, start, end) : intervals(chrom, start, end);
    std::vector<Acc> acc(nbins);
    std::vector<double> edges(nbins + 1);
    edges[0] = double(start);
    for (uint32_t b = 0; b < nbins; ++b) edges[b + 1] = double(bin_end(start, end, nbins, b));
    uint64_t budget = write_budget(end - start);  // as densify (section.hpp)
    for (size_t k = 0; k < iv.value.size(); ++k) {
        uint64_t s = std::max<uint64_t>(iv.start[k], start), e = std::min<uint64_t>(iv.end[k], end);
        if (!spend(&budget, e - s)) fail(section_status_text(kSectionOverlap));
        double v = iv.value[k];
        // First bin whose end is past s.
        uint32_t b = uint32_t(std::upper_bound(edges.begin() + 1, edges.end(), double(s)) - edges.begin() - 1);
        for (; b < nbins && edges[b] < double(e); ++b) {
            double lo = std::max(double(s), edges[b]), hi = std::min(double(e), edges[b + 1]);
            if (hi <= lo) continue;
            acc[b].add_value(hi - lo, v);
        }
    }
    std::vector<double> out(nbins);
    for (uint32_t b = 0; b < nbins; ++b) out[b] = acc[b].get(stat, edges[b + 1] - edges[b]);
    return out;
}

const BlockIndex& BbiFile::zoom_index(size_t level) const {
    std::lock_guard<std::mutex> lock(zoom_mu_);
    if (!zoom_index_[level]) {
        std::vector<uint32_t> ids;
        for (const Chrom& c : chroms_) ids.push_back(c.id);
        zoom_index_[level] =
            std::make_unique<BlockIndex>(read_rtree(src_, hdr_.zooms[level].index_offset, hdr_.swap, ids, false));
    }
    return *zoom_index_[level];
}

std::vector<double> BbiFile::zoom_stats(size_t level, uint32_t chrom, uint64_t start, uint64_t end, Stat stat,
                                        uint32_t nbins, bool cov_libbigwig) const {
    const ChromBlocks& cb = zoom_index(level).chroms[chrom];
    uint32_t id = chroms_[chrom].id;
    std::vector<Acc> acc(nbins);
    std::vector<uint64_t> edges(nbins + 1);
    edges[0] = start;
    for (uint32_t b = 0; b < nbins; ++b) edges[b + 1] = bin_end(start, end, nbins, b);

    size_t first, last;
    cb.overlapping(start, end, &first, &last);
    prefetch_blocks(cb, first, last, start);
    ByteBuffer raw, buf;
    for (size_t i = first; i < last; ++i) {
        if (cb.end[i] <= start) continue;
        uint64_t n = load_block(cb.offset[i], cb.size[i], raw, buf);
        if (n % kZoomRecordSize != 0)
            fail("zoom block at offset " + std::to_string(cb.offset[i]) + " is not a whole number of records");
        for (size_t o = 0; o < n; o += kZoomRecordSize) {
            ByteCursor c(buf.data() + o, kZoomRecordSize, hdr_.swap);
            uint32_t cid = c.u32(), rs = c.u32(), re = c.u32(), valid = c.u32();
            float mn = c.f32(), mx = c.f32(), sum = c.f32(), ssq = c.f32();
            if (cid != id || re <= rs || re <= start || rs >= end) continue;
            uint32_t b = uint32_t(std::upper_bound(edges.begin() + 1, edges.end(), uint64_t(rs)) - edges.begin() - 1);
            for (; b < nbins && edges[b] < re; ++b) {
                uint64_t lo = std::max<uint64_t>(rs, edges[b]), hi = std::min<uint64_t>(re, edges[b + 1]);
                if (hi <= lo) continue;
                acc[b].add_summary(double(hi - lo) / double(re - rs), valid, sum, ssq, mn, mx);
            }
        }
    }
    std::vector<double> out(nbins);
    for (uint32_t b = 0; b < nbins; ++b)
        out[b] = cov_libbigwig && stat == Stat::Coverage ? acc[b].get(stat, double(edges[b + 1] - edges[b]))
                                                         : acc[b].get_zoom(stat, double(end - start) / nbins);
    return out;
}

}  // namespace bwl
