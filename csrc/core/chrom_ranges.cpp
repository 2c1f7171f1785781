// for_each_chrom_range: the walk bigWigToBedGraph and bigBedToBed share.
#include <algorithm>
#include <numeric>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/tools.hpp"

namespace bwl {

void for_each_chrom_range(const BbiFile& file, const std::string& chrom, int64_t start, int64_t end,
                          const std::function<void(uint32_t, uint64_t, uint64_t, size_t, size_t)>& f) {
    const auto& chroms = file.chroms();
    std::vector<uint32_t> order;
    if (!chrom.empty()) {
        order.push_back(file.chrom_index(chrom));  // KeyError naming the file
    } else {                                       // the chromosome tree's order: by name
        order.resize(chroms.size());
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return chroms[a].name < chroms[b].name; });
    }
    for (uint32_t c : order) {
        const uint64_t size = chroms[c].size;
        const uint64_t s = uint64_t(std::max<int64_t>(start, 0));
        const uint64_t e = end < 0 ? size : std::min<uint64_t>(uint64_t(end), size);
        if (s > e)
            throw RangeError(file.path() + ": invalid range, start=" + std::to_string(s) +
                             " > end=" + std::to_string(e) + " on " + chroms[c].name);
        const ChromBlocks& cb = file.index().chroms[c];
        size_t first, last;
        cb.overlapping(s, e, &first, &last);
        file.prefetch_blocks(cb, first, last, s);
        f(c, s, e, first, last);
    }
}

}  // namespace bwl
