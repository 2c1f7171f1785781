// The UCSC utilities' jobs over the engine, writing text (TextOut):
// bigWigToBedGraph, bigBedToBed and bigWigMerge. (bigWigAverageOverBed's numbers are
// Collection::region_sums.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace bwl {

class BbiFile;
class Collection;
class TextOut;

// Calls f(chrom, start, end, first, last) for each chromosome of `file`
// in the order of its chromosome tree (by name), or for `chrom` only:
// [start, end) clipped to it (end < 0: its size; start > end is a
// RangeError), [first, last) the candidate blocks, prefetched.
void for_each_chrom_range(const BbiFile& file, const std::string& chrom, int64_t start, int64_t end,
                          const std::function<void(uint32_t, uint64_t, uint64_t, size_t, size_t)>& f);

// bigWigToBedGraph: the items of every chromosome (name order, as the
// chromosome tree has them), or of `chrom` only, clipped to [start, end)
// (end past a chromosome: its size), adjacent items of one value joined.
// Read a block at a time: memory does not grow with the file.
void write_bedgraph(const BbiFile& file, TextOut& out, const std::string& chrom = "", int64_t start = 0,
                    int64_t end = -1);

// bigBedToBed: the records of every chromosome (name order), or of
// `chrom` only, that overlap [start, end), unclipped, in file order; at
// most max_items of them (0: all). A block at a time.
void write_bed(const BbiFile& file, TextOut& out, const std::string& chrom = "", int64_t start = 0, int64_t end = -1,
               uint64_t max_items = 0);

struct MergeOptions {
    double threshold = 0;                                   // runs at or below it are not written
    double adjust = 0;                                      // added to every merged value
    double clip = std::numeric_limits<double>::infinity();  // values above it are clipped to it first
    bool max = false;                                       // the largest value instead of the sum (no data counts 0)
};

// bigWigMerge: per base, the sum (or max) of all the collection's tracks
// (no data counts 0), written as bedGraph runs of one value above the
// threshold, chromosomes in natural order (chr2 before chr10). Tracks
// must agree on the size of each chromosome they share (RangeError).
// Read in chunks of bases: memory does not grow with the chromosomes.
void write_merge(Collection& tracks, TextOut& out, const MergeOptions& opt);

}  // namespace bwl
