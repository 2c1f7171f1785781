// What bigWig and bigBed files (both BBI: UCSC's big binary indexed
// format) share in the API: chromosomes, what the header says, summary
// statistics, and the two file types' common base.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bwl/range_reader.hpp"

namespace bwl {

class BbiFile;  // the open file (internal)

enum class BbiKind { BigWig, BigBed };

// The kind of the file at path (its magic number); throws IoError or
// FormatError (neither kind).
BbiKind bbi_kind(const std::string& path, std::shared_ptr<RangeReader> reader = nullptr);

struct Chrom {
    std::string name;
    uint32_t id;  // the file's own id (records refer to it)
    uint32_t size;
};

struct TotalSummary {
    uint64_t bases_covered = 0;
    double min_val = 0, max_val = 0, sum_data = 0, sum_squares = 0;
};

// What the header, zoom headers and index say.
struct BbiInfo {
    BbiKind kind = BbiKind::BigWig;
    uint16_t version = 0;
    bool big_endian = false;
    uint32_t uncompress_buf_size = 0;                   // 0: data blocks are stored uncompressed
    uint16_t field_count = 0, defined_field_count = 0;  // bigBed
    uint64_t section_count = 0;                         // data sections (bigWig) or records (bigBed)
    uint64_t block_count = 0;                           // leaves of the index
    std::vector<uint32_t> zoom_reductions;              // bases per zoom record, one per level
    TotalSummary summary;
    uint64_t file_size = 0;
};

enum class Stat { Mean, Min, Max, Coverage, Std, Sum };

// Parses "mean", "min", "max", "cov"/"coverage", "std", "sum"; throws RangeError.
Stat parse_stat(const std::string& name);

struct Intervals {
    std::vector<uint32_t> start, end;
    std::vector<float> value;
};

// What BigWigFile and BigBedFile both do. A handle: copies share one open
// file, and all methods are safe to call from many threads at once.
class BbiHandle {
public:
    const std::string& path() const;
    const BbiInfo& info() const;
    const std::vector<Chrom>& chroms() const;
    // Position of chrom in chroms(); throws KeyError naming the file.
    uint32_t chrom_index(const std::string& name) const;
    // Throws RangeError unless 0 <= start < end <= size of chrom.
    void check_range(uint32_t chrom, uint64_t start, uint64_t end) const;

    // nbins summaries of [start, end); from the best zoom level unless exact
    // (or no level is fine enough). NaN where a bin has no data. A bigBed's
    // value is its coverage depth, as UCSC's zoom data has it.
    std::vector<double> stats(uint32_t chrom, uint64_t start, uint64_t end, Stat stat, uint32_t nbins,
                              bool exact) const;

protected:
    // Opens the file; throws FormatError when it is not of kind `want`.
    BbiHandle(const std::string& path, std::shared_ptr<RangeReader> reader, BbiKind want);
    std::shared_ptr<const BbiFile> f_;
};

}  // namespace bwl
