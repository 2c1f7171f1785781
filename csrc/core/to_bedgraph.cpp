// write_bedgraph (bigWigToBedGraph): a bigWig's items as bedGraph lines.
#include <algorithm>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/text_out.hpp"
#include "core/tools.hpp"
#include "hd/section.hpp"

namespace bwl {

void write_bedgraph(const BbiFile& file, TextOut& out, const std::string& chrom, int64_t start, int64_t end) {
    if (file.bigbed()) throw RangeError(file.path() + ": to-bedgraph reads bigWig files, this is a bigBed");
    const auto& chroms = file.chroms();
    ByteBuffer raw, buf;
    for_each_chrom_range(file, chrom, start, end, [&](uint32_t c, uint64_t s, uint64_t e, size_t first, size_t last) {
        const ChromBlocks& cb = file.index().chroms[c];
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
    });
}

}  // namespace bwl
