// The fixed parts of a bigWig or bigBed: main header, zoom headers, total summary and
// extension header. Parsed once at open.
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/bbi.hpp"  // TotalSummary
#include "core/file_source.hpp"

namespace bwl {

struct ZoomHeader {
    uint32_t reduction_level;
    uint64_t data_offset;
    uint64_t index_offset;
};

struct Header {
    bool swap = false;    // file is big-endian (fields are read as little-endian, then swapped)
    bool bigbed = false;  // bigBed: data blocks hold BED records (bed.hpp), not wig sections
    uint16_t version = 0;
    uint16_t zoom_levels = 0;
    uint64_t chrom_tree_offset = 0;
    uint64_t full_data_offset = 0;
    uint64_t full_index_offset = 0;
    uint16_t field_count = 0;
    uint16_t defined_field_count = 0;
    uint64_t autosql_offset = 0;
    uint64_t total_summary_offset = 0;
    uint32_t uncompress_buf_size = 0;  // 0: data blocks are stored uncompressed
    uint64_t extension_offset = 0;
    uint16_t extension_size = 0;
    uint64_t section_count = 0;  // u64 at full_data_offset
    std::vector<ZoomHeader> zooms;
    TotalSummary summary;
};

Header read_header(const FileSource& f);

}  // namespace bwl
