// Zoom-level summaries for the writer: per reduction level r, one record per
// chrom and bin [k*r, (k+1)*r) that holds data, like UCSC's bbiSummary.
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/writer.hpp"

namespace bwl {

// One zoom record. start/end is the extent of data inside the bin, so a
// reader weighting by overlap spreads the bin's values over covered bases.
struct ZoomRecord {
    uint32_t chrom_id, start, end;
    uint32_t valid_count;  // bases covered
    float min_val, max_val;
    double sum, sum_squares;  // kept in double until written as float
};

constexpr uint32_t kZoomIncrement = 4;  // each level is 4x coarser (bbiResIncrement)
constexpr int kMaxZoomLevels = 10;      // bbiMaxZoomLevels

// Chroms indexed by chrom id (bytewise name order).
using ChromsById = std::vector<const ChromData*>;

// Number of records a level of reduction r would hold.
uint64_t count_zoom_records(const ChromsById& chroms, uint64_t r);

// Mean item span (end - start) over all chroms; 0 without items.
double average_span(const ChromsById& chroms);

// The first reduction level, chosen as UCSC's writers do: candidates are
// `first` times 4^k (bedGraphToBigWig: 10 x the mean span; bedToBigBed: the
// mean BED item size, at least 10); take the first whose records
// (estimated at half size when compressed) need at most half of data_bytes,
// else the finest. Returns 0 when there are no items.
uint32_t initial_reduction(const ChromsById& chroms, uint64_t data_bytes, bool compressed, double first);

// Records of level r straight from the items, sorted by (chrom, start).
std::vector<ZoomRecord> summarize_items(const ChromsById& chroms, uint32_t r);

// Records of level r from a finer level whose reduction divides r.
std::vector<ZoomRecord> summarize_records(const std::vector<ZoomRecord>& finer, uint32_t r);

}  // namespace bwl
