// Bin summaries of pooled rows (window > 1), shared by the CPU batcher
// (section.hpp's pool_block, batch.cpp) and the GPU (densify_hd.hpp's
// pool_row): each bin keeps two doubles, (a, covered bases), updated item
// by item in file order, so both give the same bits.
//
// mean:  a = sum of value x bases; a / covered  (default where none covered)
// sum:   a / 1                                 (default where none covered)
// mean0: a / window: uncovered bases count as 0 (0 where none covered)
// max, min: a = max / min value over covered bases (default where none)
// NaN values are no data everywhere (as in the per-base path).
#pragma once

#include <cstdint>

#include "bwl/hd.hpp"

namespace bwl {

enum class Summary : uint8_t { Mean = 0, Sum = 1, Mean0 = 2, Max = 3, Min = 4 };
constexpr int kSummaryCount = 5;

BWL_HD void summary_init(Summary s, double* acc) {
    acc[0] = s == Summary::Max ? -__builtin_huge_val() : s == Summary::Min ? __builtin_huge_val() : 0.0;
    acc[1] = 0.0;
}

// An item of value x covering `bases` bases of the bin.
BWL_HD void summary_add(Summary s, double* acc, double x, double bases) {
    if (s == Summary::Max) acc[0] = x > acc[0] ? x : acc[0];
    else if (s == Summary::Min) acc[0] = x < acc[0] ? x : acc[0];
    else acc[0] += x * bases;
    acc[1] += bases;
}

BWL_HD float summary_value(Summary s, const double* acc, uint32_t window, float dflt) {
    if (s == Summary::Mean0) return float(acc[0] / double(window));
    if (!(acc[1] > 0)) return dflt;
    if (s == Summary::Mean) return float(acc[0] / acc[1]);
    return float(acc[0]);
}

}  // namespace bwl
