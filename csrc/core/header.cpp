// Main header, zoom headers, total summary, extension header.
#include "core/header.hpp"

#include <cstdio>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "hd/byteio.hpp"

namespace bwl {

namespace {
std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08X", v);
    return b;
}
}  // namespace

Header read_header(const FileSource& f) {
    const std::string& path = f.path();
    if (f.size() < kHeaderSize)
        throw FormatError(path + ": not a bigWig or bigBed file (" + std::to_string(f.size()) +
                          " bytes, shorter than the 64-byte header)");
    uint8_t buf[kHeaderSize];
    f.read(0, kHeaderSize, buf, "header");
    Header h;
    uint32_t magic = load_u32(buf, false);
    if (magic == kBigWigMagicSwapped || magic == kBigBedMagicSwapped) {
        h.swap = true;
    } else if (magic != kBigWigMagic && magic != kBigBedMagic) {
        throw FormatError(path + ": not a bigWig or bigBed file (magic " + hex32(magic) + ")");
    }
    h.bigbed = magic == kBigBedMagic || magic == kBigBedMagicSwapped;
    ByteCursor c(buf + 4, kHeaderSize - 4, h.swap);
    h.version = c.u16();
    h.zoom_levels = c.u16();
    h.chrom_tree_offset = c.u64();
    h.full_data_offset = c.u64();
    h.full_index_offset = c.u64();
    h.field_count = c.u16();
    h.defined_field_count = c.u16();
    h.autosql_offset = c.u64();
    h.total_summary_offset = c.u64();
    h.uncompress_buf_size = c.u32();
    h.extension_offset = c.u64();

    if (h.version < 1) throw FormatError(path + ": invalid bigWig version " + std::to_string(h.version));
    // libBigWig writes a file with no data (a header, no entries) with index
    // offset 0; pyBigWig and UCSC read it as empty, and so do we.
    for (auto [off, name] : {std::pair{h.chrom_tree_offset, "chromosome tree"}, std::pair{h.full_data_offset, "data"},
                             std::pair{h.full_index_offset ? h.full_index_offset : kHeaderSize, "index"}}) {
        if (off < kHeaderSize || off >= f.size())
            throw FormatError(path + ": " + name + " offset " + std::to_string(off) + " lies outside the file (" +
                              std::to_string(f.size()) + " bytes); the file is truncated or corrupt");
    }

    // Zoom headers follow the main header; their count is bounded by the
    // file size through the read below.
    if (h.zoom_levels) {
        auto zb = f.read(kHeaderSize, uint64_t(h.zoom_levels) * kZoomHeaderSize, "zoom headers");
        ByteCursor z(zb.data(), zb.size(), h.swap);
        for (uint32_t i = 0; i < h.zoom_levels; ++i) {
            ZoomHeader zh;
            zh.reduction_level = z.u32();
            z.u32();  // reserved
            zh.data_offset = z.u64();
            zh.index_offset = z.u64();
            if (zh.index_offset >= f.size() || zh.data_offset >= f.size() || zh.reduction_level == 0)
                throw FormatError(path + ": zoom level " + std::to_string(i) +
                                  " points outside the file or has reduction 0");
            h.zooms.push_back(zh);
        }
    }
    if (h.total_summary_offset) {
        uint8_t sb[kTotalSummarySize];
        f.read(h.total_summary_offset, kTotalSummarySize, sb, "total summary");
        ByteCursor s(sb, kTotalSummarySize, h.swap);
        h.summary.bases_covered = s.u64();
        h.summary.min_val = s.f64();
        h.summary.max_val = s.f64();
        h.summary.sum_data = s.f64();
        h.summary.sum_squares = s.f64();
    }
    if (h.extension_offset) {
        uint8_t eb[2];
        f.read(h.extension_offset, 2, eb, "extension header");
        h.extension_size = load_u16(eb, h.swap);
    }
    uint8_t cb[8];
    f.read(h.full_data_offset, 8, cb, "section count");
    h.section_count = load_u64(cb, h.swap);
    // bigtools writes this count as a u32 followed by data: a u64 larger than
    // the data's bytes cannot be a count, and its low half is the one written.
    if (h.full_index_offset > h.full_data_offset && h.section_count > h.full_index_offset - h.full_data_offset)
        h.section_count &= 0xFFFFFFFFu;
    return h;
}

}  // namespace bwl
