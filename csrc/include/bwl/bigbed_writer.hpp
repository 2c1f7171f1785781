// BED text (plain or gzip) to bigBed, as UCSC's bedToBigBed makes it: the
// records in blocks, an autoSql schema, and zoom levels summarising the
// coverage depth. Two passes over the text, as bedToBigBed makes: the
// first checks every line and builds the coverage, the second writes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bwl {

struct BigBedOptions {
    int bed_n = 0;              // standard BED fields, 3..15; 0: counted on the first line (bedToBigBed without -type)
    int bed_plus = 0;           // extra fields after them (-type=bedN+P); -1: as many as the first line has
    std::string autosql;        // the .as text (-as); "" : UCSC's standard BED definition (bedAsDef)
    bool tab = false;           // fields split at tabs only (-tab); else at any run of spaces and tabs
    bool compress = true;       // false: -unc
    uint32_t block_size = 256;  // R-tree and B+ tree fan-out, 2..65535 (-blockSize)
    uint32_t items_per_slot = 512;   // records per data block, 1..65535 (-itemsPerSlot)
    bool allow_1bp_overlap = false;  // BED12 blocks may overlap by one base (-allow1bpOverlap)
};

class BedToBigBed {
public:
    // sizes: chrom.sizes; records on other chromosomes are an error. Throws
    // IoError when the BED cannot be opened, FormatError for a bad autoSql
    // or bad options.
    BedToBigBed(const std::string& bed_path, const std::vector<std::pair<std::string, uint32_t>>& sizes,
                const BigBedOptions& opt);
    ~BedToBigBed();
    BedToBigBed(const BedToBigBed&) = delete;
    BedToBigBed& operator=(const BedToBigBed&) = delete;

    // The first pass, about `bytes` of text per call: checks each line as
    // bedToBigBed does (field count, integers, start <= end <= chrom size,
    // sorted by chromosome then start, the standard fields' rules, the
    // autoSql types of the extra ones) and builds the coverage. A bad line is
    // a FormatError naming the file and line. False at the end.
    bool step(size_t bytes = 16 << 20);
    uint64_t bytes_read() const;
    uint64_t lines() const;
    uint64_t records() const;

    // The second pass: writes the bigBed to `out` (a partial file is removed
    // on any error). Call after step() returned false.
    void write(const std::string& out);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace bwl
