// Collection::region_sums: bigWigAverageOverBed's numbers (bases covered,
// sum, min, max) for many regions x tracks. Regions are sorted per
// chromosome and each track's blocks under them are read and inflated
// once, then every item is added to the regions it overlaps (regions may
// overlap one another), so the cost is O(items + regions), not a query
// per region.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/collection_impl.hpp"
#include "hd/section.hpp"

namespace bwl {

namespace {

// One track's sums over the regions of one chromosome, `idx` sorted by start.
struct Sweep {
    const int64_t* start;
    const int64_t* end;
    const std::vector<uint32_t>& idx;
    std::vector<int64_t> s, e, pmax;  // by position in idx; pmax: prefix max of e
    std::vector<uint64_t> covered;
    std::vector<double> sum, mn, mx;

    Sweep(const int64_t* st, const int64_t* en, const std::vector<uint32_t>& ix) : start(st), end(en), idx(ix) {
        const size_t n = idx.size();
        s.resize(n), e.resize(n), pmax.resize(n);
        for (size_t i = 0; i < n; ++i) {
            s[i] = start[idx[i]], e[i] = end[idx[i]];
            pmax[i] = std::max(e[i], i ? pmax[i - 1] : std::numeric_limits<int64_t>::min());
        }
        covered.assign(n, 0), sum.assign(n, 0.0);
        mn.assign(n, std::numeric_limits<double>::infinity()), mx.assign(n, -std::numeric_limits<double>::infinity());
    }

    // Adds item [a, b) of value v to every region it overlaps: regions
    // [lo, hi) are those with an end past a and a start before b. Items come
    // sorted (a file's are), so both bounds only move forward: found by
    // stepping on from the last item's, by binary search when an item
    // goes back.
    size_t lo_ = 0, hi_ = 0;
    int64_t last_a_ = std::numeric_limits<int64_t>::min(), last_b_ = std::numeric_limits<int64_t>::min();
    void add(int64_t a, int64_t b, float v) {
        size_t lo, hi;
        if (a >= last_a_ && b >= last_b_) {
            for (lo = lo_; lo < pmax.size() && pmax[lo] <= a;) ++lo;
            for (hi = hi_; hi < s.size() && s[hi] < b;) ++hi;
        } else {
            lo = size_t(std::upper_bound(pmax.begin(), pmax.end(), a) - pmax.begin());
            hi = size_t(std::lower_bound(s.begin(), s.end(), b) - s.begin());
        }
        lo_ = lo, hi_ = hi, last_a_ = a, last_b_ = b;
        for (size_t r = lo; r < hi; ++r) {
            int64_t ov = std::min(b, e[r]) - std::max(a, s[r]);
            if (ov <= 0) continue;
            covered[r] += uint64_t(ov);
            sum[r] += double(ov) * double(v);
            mn[r] = std::min(mn[r], double(v));
            mx[r] = std::max(mx[r], double(v));
        }
    }
};

}  // namespace

void Collection::region_sums(const uint32_t* chrom, const int64_t* start, const int64_t* end, size_t n,
                             const uint32_t* tracks, size_t T, const RegionSumsOut& out) {
    Impl& m = *impl_;
    for (size_t i = 0; i < n; ++i) {
        m.check_chrom(i, chrom[i]);
        if (start[i] < 0 || end[i] < start[i])
            throw RangeError("region " + std::to_string(i) + ": bad interval " + std::to_string(start[i]) + "-" +
                             std::to_string(end[i]));
    }
    for (size_t t = 0; t < T; ++t) {
        m.check_track(tracks[t]);
        if (m.files[tracks[t]]->bigbed())
            throw RangeError(m.files[tracks[t]]->path() + ": region sums read bigWig tracks, this is a bigBed");
    }
    // The regions of each chromosome, by start.
    std::vector<std::vector<uint32_t>> by_chrom(m.names.size());
    for (size_t i = 0; i < n; ++i) by_chrom[chrom[i]].push_back(uint32_t(i));
    std::vector<uint32_t> chroms;
    for (uint32_t c = 0; c < by_chrom.size(); ++c) {
        auto& v = by_chrom[c];
        if (v.empty()) continue;
        std::stable_sort(v.begin(), v.end(), [&](uint32_t a, uint32_t b) { return start[a] < start[b]; });
        chroms.push_back(c);
    }

    m.pool.parallel_for(chroms.size() * T, [&](size_t k) {
        const size_t slot = k % T, t = tracks[slot];
        const uint32_t c = chroms[k / T];
        Sweep sw(start, end, by_chrom[c]);
        const int32_t fc = m.chrom_map[t][c];
        if (fc >= 0) {
            const BbiFile& f = *m.files[t];
            const ChromBlocks& cb = f.index().chroms[size_t(fc)];
            const uint32_t id = f.chroms()[size_t(fc)].id;
            const bool swap = f.header().swap;
            // The blocks under any region, each once, in index order.
            std::vector<uint32_t> blocks;
            for (size_t r = 0; r < sw.s.size(); ++r) {
                if (sw.e[r] <= sw.s[r]) continue;
                size_t first, last;
                cb.overlapping(uint64_t(sw.s[r]), uint64_t(sw.e[r]), &first, &last);
                for (size_t b = first; b < last; ++b)
                    if (int64_t(cb.end[b]) > sw.s[r] && int64_t(cb.start[b]) < sw.e[r]) blocks.push_back(uint32_t(b));
            }
            std::sort(blocks.begin(), blocks.end());
            blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
            const PreloadedTrack* pre = m.preloaded_track(t);
            thread_local ByteBuffer raw, buf;
            for (uint32_t b : blocks) {
                const uint8_t* data;
                uint64_t size;
                if (pre) {
                    const PreloadedBlock& pb = pre->block(uint32_t(fc), b);
                    data = pb.data, size = pb.size;
                } else {
                    size = f.load_block(cb.offset[b], cb.size[b], raw, buf);
                    data = buf.data();
                }
                int st = for_each_item(data, size, swap, [&](uint32_t ic, uint64_t a, uint64_t e, float v) {
                    if (ic == id && e > a) sw.add(int64_t(a), int64_t(e), v);
                });
                if (st != kSectionOk) f.fail_block(cb.offset[b], section_status_text(st));
            }
        }
        for (size_t r = 0; r < sw.s.size(); ++r) {
            const size_t at = size_t(sw.idx[r]) * T + slot;
            out.covered[at] = sw.covered[r];
            out.sum[at] = sw.sum[r];
            out.min[at] = sw.covered[r] ? sw.mn[r] : std::nan("");
            out.max[at] = sw.covered[r] ? sw.mx[r] : std::nan("");
        }
    });
}

}  // namespace bwl
