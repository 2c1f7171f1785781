// BED regions for the tools (bigWigAverageOverBed's input): BED3 to BED12
// text parsed into columns, with each line's blocks (BED12 exons, or a
// sample around its centre) as sub-intervals. Checks as UCSC's bed loader
// does: integer coordinates, start <= end, blocks inside the line, unique
// names; a bad line is a FormatError naming the file and line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bwl {

struct BedRegions {
    std::vector<std::string> chrom_names;  // distinct, in order of first use
    std::vector<uint32_t> chrom;           // per line: index into chrom_names
    std::vector<int64_t> start, end;       // per line
    std::vector<std::string> names;        // column 4, or "chrom:start-end" for BED3
    std::vector<int64_t> size;             // bases summed over the line's sub-intervals
    // The sub-intervals (clipped at 0; `size` keeps what was clipped).
    std::vector<uint32_t> sub_line;
    std::vector<int64_t> sub_start, sub_end;
    std::vector<std::string> lines;  // each line's fields, tab-joined (with keep_lines)
};

// Parses BED text (`label` names it in errors). around > 0: each line's
// sub-interval is the `around` bases centred on it (bigWigAverageOverBed
// -sampleAroundCenter) instead of the line or its blocks.
BedRegions parse_bed_regions(const char* text, size_t n, const std::string& label, int64_t around, bool keep_lines);

// The same from a file (plain or gzip).
BedRegions read_bed_regions(const std::string& path, int64_t around, bool keep_lines);

}  // namespace bwl
