// A window's blocks: chosen here once for the CPU batcher (core/batch.cpp)
// and the GPU plan (cuda/plan.cpp). The two must read the same blocks for
// a window, so neither chooses on its own: change the choice here.
//
// A window [start, start + length) may start before its chromosome or end
// after it (BatchSpec::pad). Its candidates are a contiguous run [first,
// last) of the file's per-chromosome block arrays (the R-tree, flattened:
// ChromBlocks::overlapping), and a candidate is read when its own range
// meets the window's part inside the chromosome (reads_block).
#pragma once

#include <cstdint>

#include "core/bbi_file.hpp"

namespace bwl {

// The part of a window at or after base 0: genome bases [lo, hi) (empty when
// hi <= lo), `lead` bases of the window before it. Items never pass their
// chromosome's end, so hi needs no clipping there.
struct WindowSpan {
    uint64_t lo, hi, lead;
};

inline WindowSpan window_span(int64_t start, uint64_t length) {
    int64_t end = start + int64_t(length);
    return {start < 0 ? 0 : uint64_t(start), end < 0 ? 0 : uint64_t(end), start < 0 ? uint64_t(-start) : 0};
}

// Candidate blocks [first, last) of a window in chromosome `file_chrom` of
// `file` (-1: the file lacks it; then, or when the window lies wholly
// before base 0, none).
struct BlockRun {
    uint32_t first = 0, last = 0;
    bool empty() const { return first == last; }
};

inline BlockRun select_blocks(const BbiFile& file, int32_t file_chrom, const WindowSpan& w) {
    size_t first = 0, last = 0;
    if (file_chrom >= 0 && w.hi > w.lo) file.index().chroms[size_t(file_chrom)].overlapping(w.lo, w.hi, &first, &last);
    return {uint32_t(first), uint32_t(last)};
}

// Whether candidate block k of cb holds bases of the window.
inline bool reads_block(const ChromBlocks& cb, size_t k, const WindowSpan& w) {
    return cb.end[k] > w.lo && cb.start[k] < w.hi;
}

}  // namespace bwl
