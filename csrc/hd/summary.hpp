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

// A row of n bins before any item: zeros but for max and min.
BWL_HD void summary_init_row(Summary s, double* acc, uint64_t n) {
    const double a = s == Summary::Max ? -__builtin_huge_val() : s == Summary::Min ? __builtin_huge_val() : 0.0;
    for (uint64_t j = 0; j < n; ++j) {
        acc[2 * j] = a;
        acc[2 * j + 1] = 0.0;
    }
}

BWL_HD void summary_init(Summary s, double* acc) { summary_init_row(s, acc, 1); }

// An item of value x covering `bases` bases of the bin, for a summary
// known at compile time (mean, mean0 and sum add alike): the pooling loops
// pick it once per block, not once per item and bin.
template <Summary S>
BWL_HD_HOT void summary_add_as(double* acc, double x, double bases) {
    if constexpr (S == Summary::Max) acc[0] = x > acc[0] ? x : acc[0];
    else if constexpr (S == Summary::Min) acc[0] = x < acc[0] ? x : acc[0];
    else acc[0] += x * bases;
    acc[1] += bases;
}

BWL_HD void summary_add(Summary s, double* acc, double x, double bases) {
    if (s == Summary::Max) summary_add_as<Summary::Max>(acc, x, bases);
    else if (s == Summary::Min) summary_add_as<Summary::Min>(acc, x, bases);
    else summary_add_as<Summary::Sum>(acc, x, bases);
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

BWL_HD bool transform_is_identity(const ValueTransform& t) {
    return t.pow == 1.0 && !(t.soft_clip < __builtin_huge_val()) && !(t.clip_lo > -__builtin_huge_val()) &&
           !(t.clip_hi < __builtin_huge_val()) && !t.log1p;
}

BWL_HD float summary_value(Summary s, const double* acc, uint32_t window, float dflt,
                           const ValueTransform& tr = ValueTransform()) {
    if (!(acc[1] > 0)) return s == Summary::Mean0 ? 0.0f : dflt;  // no data: a fill, never transformed
    float v = s == Summary::Mean0  ? float(acc[0] / double(window))
              : s == Summary::Mean ? float(acc[0] / acc[1])
                                   : float(acc[0]);
    return transform_value(tr, v);
}

// summary_value of a row of n bins with no transform (transform_is_identity),
// into out: the same values, the summary's branch taken once per row.
// mean0 needs no test: a bin without data still holds a sum of 0.
BWL_HD void summary_row(Summary s, const double* acc, uint64_t n, uint32_t window, float dflt, float* out) {
    if (s == Summary::Mean0) {
        for (uint64_t j = 0; j < n; ++j) out[j] = float(acc[2 * j] / double(window));
    } else if (s == Summary::Mean) {
        for (uint64_t j = 0; j < n; ++j) out[j] = acc[2 * j + 1] > 0 ? float(acc[2 * j] / acc[2 * j + 1]) : dflt;
    } else {
        for (uint64_t j = 0; j < n; ++j) out[j] = acc[2 * j + 1] > 0 ? float(acc[2 * j]) : dflt;
    }
}

}  // namespace bwl
