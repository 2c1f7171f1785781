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
//
// Then an optional ValueTransform of every value that comes from data
// (per base: each item's value; pooled: the bin's summary), never of the
// fill of a bin without data (the default; mean0's 0).
#pragma once

#include <cmath>
#include <cstdint>

#include "bwl/detail/batch_types.hpp"
#include "hd/hd.hpp"

namespace bwl {

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

// A ValueTransform (bwl/detail/batch_types.hpp) of one value: computed in
// double and rounded once, so the CPU and the GPU agree (sqrt exactly; pow
// and log1p to within their libraries' last-bit differences).

BWL_HD float transform_value(const ValueTransform& t, float x) {
    double v = x;
    if (t.pow != 1.0) v = v < 0 ? -::pow(-v, t.pow) : ::pow(v, t.pow);
    if (v > t.soft_clip) v = t.soft_clip + ::sqrt(v - t.soft_clip);
    if (v < t.clip_lo) v = t.clip_lo;
    if (v > t.clip_hi) v = t.clip_hi;
    if (t.log1p) v = ::log1p(v);
    return float(v);
}

BWL_HD float summary_value(Summary s, const double* acc, uint32_t window, float dflt,
                           const ValueTransform& tr = ValueTransform()) {
    if (!(acc[1] > 0)) return s == Summary::Mean0 ? 0.0f : dflt;  // no data: a fill, never transformed
    float v = s == Summary::Mean0  ? float(acc[0] / double(window))
              : s == Summary::Mean ? float(acc[0] / acc[1])
                                   : float(acc[0]);
    return transform_value(tr, v);
}

}  // namespace bwl
