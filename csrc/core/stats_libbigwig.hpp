// Exact statistics as libBigWig computes them (bwStatsFromFull), for
// bwl.pybigwig: pyBigWig's numbers to the bit.
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/bbi.hpp"

namespace bwl {

// `iv`: the items overlapping [start, end), in file order. Bins may be
// narrower than a base (nbins > end - start): such a bin is a position, and
// the items containing it count for min and max only, as in libBigWig.
std::vector<double> libbigwig_full_stats(const Intervals& iv, uint64_t start, uint64_t end, Stat stat, uint32_t nbins);

}  // namespace bwl
