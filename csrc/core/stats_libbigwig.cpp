// libBigWig's bwStatsFromFull (bwStats.c), operation for operation: its bin
// edges, its item filter, its integer and float types (a sum multiplies a
// u32 length by a float value in float), its order of summation, and its
// two-pass standard deviation.
#include "core/stats_libbigwig.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bwl {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Item {
    uint32_t len;  // end_use - start_use
    float value;
};

double stat_of(const std::vector<Item>& items, Stat stat, uint32_t bin_len) {
    if (items.empty()) return kNaN;
    switch (stat) {
        case Stat::Mean:
        case Stat::Std: {
            double sum = 0.0;
            uint32_t bases = 0;
            for (const Item& it : items) {
                bases += it.len;
                sum += it.len * double(it.value);
            }
            double mean = sum / bases;
            if (stat == Stat::Mean) return mean;
            double v1 = 0.0;
            for (const Item& it : items) v1 += it.len * std::pow(double(it.value) - mean, 2.0);
            return bases >= 2 ? std::sqrt(v1 / (bases - 1)) : bases == 1 ? std::sqrt(v1) : kNaN;
        }
        case Stat::Max:
        case Stat::Min: {
            double o = items[0].value;
            for (const Item& it : items)
                o = stat == Stat::Max ? std::max<double>(o, it.value) : std::min<double>(o, it.value);
            return o;
        }
        case Stat::Coverage: {
            double o = 0.0;
            for (const Item& it : items) o += it.len;
            return o / bin_len;
        }
        case Stat::Sum: {
            double o = 0.0;
            for (const Item& it : items) o += float(it.len) * it.value;
            return o;
        }
    }
    return kNaN;
}

}  // namespace

std::vector<double> libbigwig_full_stats(const Intervals& iv, uint64_t start, uint64_t end, Stat stat, uint32_t nbins) {
    std::vector<double> out(nbins);
    std::vector<Item> items;
    const size_t n = iv.start.size();
    // Items sorted by end too (no overlaps, the usual file) let each bin start
    // where the last one's items ended; otherwise every bin scans from 0.
    const bool ends_sorted = std::is_sorted(iv.end.begin(), iv.end.end());
    size_t first = 0;
    uint32_t pos = uint32_t(start);
    for (uint32_t i = 0; i < nbins; ++i) {
        uint32_t end2 = uint32_t(double(start) + double(end - start) * (i + 1) / int(nbins));
        if (ends_sorted)
            while (first < n && iv.end[first] <= pos) ++first;
        items.clear();
        for (size_t k = ends_sorted ? first : 0; k < n && iv.start[k] < end2; ++k) {
            if (iv.end[k] <= pos) continue;  // libBigWig: end <= ostart || start >= oend is skipped
            uint32_t s = std::max<uint32_t>(iv.start[k], pos), e = std::min<uint32_t>(iv.end[k], end2);
            items.push_back({e - s, iv.value[k]});
        }
        out[i] = stat_of(items, stat, end2 - pos);
        pos = end2;
    }
    return out;
}

}  // namespace bwl
