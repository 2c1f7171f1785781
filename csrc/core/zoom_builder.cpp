// Zoom summaries. Bins are aligned to multiples of the reduction, and each
// level is a multiple of the one below, so a coarser level is an exact merge
// of the finer one: no item is split twice and sums stay in double.
#include "core/zoom_builder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bwl {
namespace {

constexpr uint64_t kMaxReduction = std::numeric_limits<uint32_t>::max();  // stored as u32
constexpr uint64_t kStopCandidates = 1000000000;                          // UCSC stops trying past 1e9 bases

// Reduction levels to try, finest first.
std::vector<uint64_t> candidate_reductions(double first) {
    std::vector<uint64_t> out;
    uint64_t r = uint64_t(std::llround(std::min(double(kMaxReduction), first)));
    r = std::max<uint64_t>(r, 1);
    for (int k = 0; k < kMaxZoomLevels && r <= kMaxReduction; ++k) {
        out.push_back(r);
        if (r > kStopCandidates) break;
        r *= kZoomIncrement;
    }
    return out;
}

// Folds `len` bases of value v into rec, whose data ends at `end` afterwards.
void add_to_record(ZoomRecord& rec, uint32_t end, uint32_t len, float v) {
    rec.end = end;
    rec.valid_count += len;
    rec.min_val = std::min(rec.min_val, v);
    rec.max_val = std::max(rec.max_val, v);
    rec.sum += double(v) * len;
    rec.sum_squares += double(v) * v * len;
}

// Adds record x (same chrom and bin, not before rec's start) into rec.
void fold_record(ZoomRecord& rec, const ZoomRecord& x) {
    rec.start = std::min(rec.start, x.start);
    rec.end = std::max(rec.end, x.end);
    rec.valid_count += x.valid_count;
    rec.min_val = std::min(rec.min_val, x.min_val);
    rec.max_val = std::max(rec.max_val, x.max_val);
    rec.sum += x.sum;
    rec.sum_squares += x.sum_squares;
}

}  // namespace

uint64_t count_zoom_records(const ChromsById& chroms, uint64_t r) {
    uint64_t n = 0;
    for (const ChromData* c : chroms) {
        uint64_t last = std::numeric_limits<uint64_t>::max();  // bin of the previous item's end
        for (size_t i = 0; i < c->start.size(); ++i) {
            uint64_t k0 = c->start[i] / r, k1 = (uint64_t(c->end[i]) - 1) / r;
            n += k1 - k0 + (k0 == last ? 0 : 1);
            last = k1;
        }
    }
    return n;
}

double average_span(const ChromsById& chroms) {
    uint64_t items = 0, bases = 0;
    for (const ChromData* c : chroms) {
        items += c->start.size();
        for (size_t i = 0; i < c->start.size(); ++i) bases += c->end[i] - c->start[i];
    }
    return items ? double(bases) / double(items) : 0.0;
}

uint32_t initial_reduction(const ChromsById& chroms, uint64_t data_bytes, bool compressed, double first) {
    bool any = false;
    for (const ChromData* c : chroms) any = any || !c->start.empty();
    if (!any) return 0;
    std::vector<uint64_t> cand = candidate_reductions(first);
    for (uint64_t r : cand) {
        uint64_t bytes = count_zoom_records(chroms, r) * kZoomRecordSize;
        if (compressed) bytes /= 2;  // summaries compress about 2x (UCSC's estimate)
        if (bytes <= data_bytes / 2) return uint32_t(r);
    }
    return uint32_t(cand.front());  // always at least one level, as UCSC does
}

std::vector<ZoomRecord> summarize_items(const ChromsById& chroms, uint32_t r) {
    std::vector<ZoomRecord> out;
    for (uint32_t id = 0; id < chroms.size(); ++id) {
        const ChromData& c = *chroms[id];
        bool open = false;  // out.back() belongs to this chrom
        for (size_t i = 0; i < c.start.size(); ++i) {
            uint64_t s = c.start[i], e = c.end[i];
            float v = c.value[i];
            while (s < e) {  // an item may cross bin edges: split it
                uint64_t bin_end = (s / r + 1) * uint64_t(r);
                uint32_t seg_end = uint32_t(std::min(e, bin_end));
                if (!open || out.back().start / r != s / r) {
                    out.push_back({id, uint32_t(s), uint32_t(s), 0, v, v, 0.0, 0.0});
                    open = true;
                }
                add_to_record(out.back(), seg_end, uint32_t(seg_end - s), v);
                s = seg_end;
            }
        }
    }
    // Overlapping items (WriteOptions::allow_overlap) can reopen an earlier
    // bin: then put each chrom's records in bin order and merge a bin's.
    auto before = [r](const ZoomRecord& a, const ZoomRecord& b) {
        return a.chrom_id != b.chrom_id ? a.chrom_id < b.chrom_id : a.start / r < b.start / r;
    };
    auto not_after = [&](const ZoomRecord& a, const ZoomRecord& b) { return !before(a, b); };
    if (std::adjacent_find(out.begin(), out.end(), not_after) == out.end()) return out;  // bins strictly increase
    std::stable_sort(out.begin(), out.end(), before);
    std::vector<ZoomRecord> merged;
    for (const ZoomRecord& x : out) {
        if (merged.empty() || before(merged.back(), x)) merged.push_back(x);
        else fold_record(merged.back(), x);
    }
    return merged;
}

std::vector<ZoomRecord> summarize_records(const std::vector<ZoomRecord>& finer, uint32_t r) {
    std::vector<ZoomRecord> out;
    for (const ZoomRecord& f : finer) {
        if (out.empty() || out.back().chrom_id != f.chrom_id || out.back().start / r != f.start / r) out.push_back(f);
        else fold_record(out.back(), f);
    }
    return out;
}

}  // namespace bwl
