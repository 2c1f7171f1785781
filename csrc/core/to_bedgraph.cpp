// write_bedgraph (bigWigToBedGraph): a bigWig's items as bedGraph lines.
#include <algorithm>
#include <numeric>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/text_out.hpp"
#include "core/tools.hpp"
#include "hd/section.hpp"

namespace bwl {

void write_bedgraph(const BbiFile& file, TextOut& out, const std::string& chrom, int64_t start, int64_t end) {
    if (file.bigbed()) throw RangeError(file.path() + ": to-bedgraph reads bigWig files, this is a bigBed");
    const auto& chroms = file.chroms();
    std::vector<uint32_t> order;
    if (!chrom.empty()) {
        order.push_back(file.chrom_index(chrom));  // KeyError naming the file
    } else {                                       // the chromosome tree's order: by name
        order.resize(chroms.size());
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return chroms[a].name < chroms[b].name; });
    }
    ByteBuffer raw, buf;
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
        bool open = false;
        uint64_t run_s = 0, run_e = 0;
        float run_v = 0;
        for (size_t b = first; b < last; ++b) {
            if (cb.end[b] <= s) continue;
            uint64_t n = file.load_block(cb.offset[b], cb.size[b], raw, buf);
            int st =
                for_each_item(buf.data(), n, file.header().swap, [&](uint32_t id, uint64_t a, uint64_t z, float v) {
                    if (id != chroms[c].id) return;
                    a = std::max(a, s), z = std::min(z, e);
                    if (z <= a) return;
                    if (open && run_e == a && run_v == v) {  // adjacent, one value: one line (NaN never joins)
                        run_e = z;
                        return;
                    }
                    if (open) out.bedgraph(chroms[c].name, run_s, run_e, run_v);
                    open = true, run_s = a, run_e = z, run_v = v;
                });
            if (st != kSectionOk) file.fail_block(cb.offset[b], section_status_text(st));
        }
        if (open) out.bedgraph(chroms[c].name, run_s, run_e, run_v);
    }
}

}  // namespace bwl
