// One open bigWig file: header, chromosomes and block index parsed at
// open; values, intervals and stats read on demand (bbi.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bwl/bbi.hpp"

namespace bwl {

class BigWigFile : public BbiHandle {
public:
    // A local path, or `path` naming what `reader` reads (range_reader.hpp).
    // Throws IoError, or FormatError (a bigBed is refused: BigBedFile).
    explicit BigWigFile(const std::string& path, std::shared_ptr<RangeReader> reader = nullptr);

    // Dense values of [start, end) into out[0, end - start): NaN where no data.
    void values(uint32_t chrom, uint64_t start, uint64_t end, float* out) const;

    // Items overlapping [start, end), unclipped, in file order.
    Intervals intervals(uint32_t chrom, uint64_t start, uint64_t end) const;
};

}  // namespace bwl
