// One open bigBed file: header, chromosomes and block index parsed at
// open; records, coverage and stats read on demand (bbi.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bwl/bbi.hpp"

namespace bwl {

// Records: start, end and the rest of the BED line (tab-separated).
struct BedEntries {
    std::vector<uint32_t> start, end;
    std::vector<std::string> rest;
};

class BigBedFile : public BbiHandle {
public:
    // A local path, or `path` naming what `reader` reads (range_reader.hpp).
    // Throws IoError, or FormatError (a bigWig is refused: BigWigFile).
    explicit BigBedFile(const std::string& path, std::shared_ptr<RangeReader> reader = nullptr);

    // Records overlapping [start, end), unclipped, in file order; `rest`
    // holds empty strings unless with_rest.
    BedEntries entries(uint32_t chrom, uint64_t start, uint64_t end, bool with_rest) const;

    // Runs of equal coverage depth > 0 over [start, end), clipped, the depth
    // as value (what stats summarise).
    Intervals coverage(uint32_t chrom, uint64_t start, uint64_t end) const;

    // The autoSql text describing the fields ("" when none).
    std::string auto_sql() const;
};

}  // namespace bwl
