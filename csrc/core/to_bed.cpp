// write_bed (bigBedToBed): a bigBed's records as BED lines.
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/text_out.hpp"
#include "core/tools.hpp"
#include "hd/bed.hpp"
#include "hd/section.hpp"

namespace bwl {

void write_bed(const BbiFile& file, TextOut& out, const std::string& chrom, int64_t start, int64_t end,
               uint64_t max_items) {
    if (!file.bigbed()) throw RangeError(file.path() + ": to-bed reads bigBed files, this is a bigWig");
    const auto& chroms = file.chroms();
    ByteBuffer raw, buf;
    uint64_t written = 0;
    for_each_chrom_range(file, chrom, start, end, [&](uint32_t c, uint64_t s, uint64_t e, size_t first, size_t last) {
        const ChromBlocks& cb = file.index().chroms[c];
        for (size_t b = first; b < last && (!max_items || written < max_items); ++b) {
            if (cb.end[b] <= s) continue;
            uint64_t n = file.load_block(cb.offset[b], cb.size[b], raw, buf);
            int st = for_each_bed(buf.data(), n, file.header().swap,
                                  [&](uint32_t id, uint32_t a, uint32_t z, const char* rest, uint64_t len) {
                                      if (id != chroms[c].id || z <= s || a >= e) return;  // overlapping: unclipped
                                      if (max_items && written >= max_items) return;
                                      out.bed(chroms[c].name, a, z, std::string_view(rest, len));
                                      ++written;
                                  });
            if (st != kSectionOk) file.fail_block(cb.offset[b], "BED record runs past the end of its block");
        }
    });
}

}  // namespace bwl
