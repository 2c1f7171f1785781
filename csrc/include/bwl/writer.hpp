// Writing bigWig files (version 4): data sections, chromosome B+ tree, R-tree
// index, total summary and zoom levels, laid out as UCSC's bedGraphToBigWig
// lays them out, in either byte order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bwl/detail/format.hpp"

namespace bwl {

struct WriteOptions {
    uint8_t type = kBedGraph;        // kBedGraph, kVariableStep or kFixedStep
    bool compress = true;            // zlib-compress data and zoom blocks; false: uncompressBufSize = 0
    bool big_endian = false;         // write every field big-endian
    uint32_t items_per_slot = 1024;  // max items per section (one section per data block), 1..65535
    uint32_t block_size = 256;       // fan-out of the chrom B+ tree and the R-trees, 2..65535
    int zoom_levels = -1;            // -1: automatic (up to 10, UCSC style), 0: none, n: at most min(n, 10)
    bool allow_overlap = false;      // items may overlap (sorted by start), as libBigWig writes fixedStep with
                                     // span > step; bwl reads up to 64 over a base (section.hpp)
};

// One chromosome and its intervals: sorted by start, not overlapping (unless
// WriteOptions::allow_overlap), start < end <= size. Chromosomes without intervals are still listed.
struct ChromData {
    std::string name;
    uint32_t size = 0;
    std::vector<uint32_t> start, end;
    std::vector<float> value;
};

// Writes `chroms` to `path`. Chrom ids follow the bytewise order of names.
// variableStep sections hold items of equal span, fixedStep sections items
// of equal span and step; a new section starts wherever that changes, so any
// valid input can be written as any type.
// Throws RangeError for invalid input (unsorted or overlapping intervals,
// start >= end, end past the chrom, arrays of different lengths, NaN values,
// duplicate or empty chrom names, bad options) before touching the file, and
// IoError when the file cannot be written (a partial file is removed). Every
// message names the path.
void write_bigwig(const std::string& path, const std::vector<ChromData>& chroms, const WriteOptions& opt);

}  // namespace bwl
