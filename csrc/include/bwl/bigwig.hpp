// One open bigWig or bigBed file: header, chromosomes and block index
// parsed at open; values, intervals (bigWig), entries (bigBed) and stats
// read on demand. All const methods are safe to call from many threads at
// once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/detail/byte_buffer.hpp"
#include "bwl/detail/chrom_tree.hpp"
#include "bwl/detail/header.hpp"
#include "bwl/detail/rtree.hpp"
#include "bwl/file_source.hpp"

namespace bwl {

enum class Stat { Mean, Min, Max, Coverage, Std, Sum };

// Parses "mean", "min", "max", "cov"/"coverage", "std", "sum"; throws RangeError.
Stat parse_stat(const std::string& name);

struct Intervals {
    std::vector<uint32_t> start, end;
    std::vector<float> value;
};

// bigBed records: start, end and the rest of the BED line (tab-separated).
struct BedEntries {
    std::vector<uint32_t> start, end;
    std::vector<std::string> rest;
};

class BigWigFile {
public:
    // A local path, or `path` naming what `reader` reads (file_source.hpp).
    explicit BigWigFile(const std::string& path,
                        std::shared_ptr<RangeReader> reader = nullptr);  // throws IoError / FormatError

    const std::string& path() const { return src_.path(); }
    const Header& header() const { return hdr_; }
    const std::vector<Chrom>& chroms() const { return chroms_; }
    const BlockIndex& index() const { return index_; }
    const FileSource& source() const { return src_; }

    // Position of chrom in chroms(); throws KeyError naming the file.
    uint32_t chrom_index(const std::string& name) const;

    // Dense values of [start, end) into out[0, end - start): NaN where no data.
    void values(uint32_t chrom, uint64_t start, uint64_t end, float* out) const;

    // Items overlapping [start, end), unclipped, in file order (bigWig).
    Intervals intervals(uint32_t chrom, uint64_t start, uint64_t end) const;

    bool bigbed() const { return hdr_.bigbed; }
    // Records overlapping [start, end), unclipped, in file order (bigBed).
    BedEntries entries(uint32_t chrom, uint64_t start, uint64_t end, bool with_rest) const;
    // bigBed: runs of equal coverage depth > 0 over [start, end), clipped,
    // the depth as value (what stats summarise, as UCSC's zoom data does).
    Intervals coverage(uint32_t chrom, uint64_t start, uint64_t end) const;
    // The autoSql text describing a bigBed's fields ("" when none).
    std::string auto_sql() const;

    // nbins summaries of [start, end); from the best zoom level unless exact
    // (or no level is fine enough). NaN where a bin has no data.
    std::vector<double> stats(uint32_t chrom, uint64_t start, uint64_t end, Stat stat, uint32_t nbins,
                              bool exact) const;

    // Throws RangeError unless 0 <= start < end <= size of chrom.
    void check_range(uint32_t chrom, uint64_t start, uint64_t end) const;

private:
    // The batch engine's access (core/file_engine.hpp): reading blocks.
    friend struct FileEngine;

    // Reads the block at (offset, size) and inflates it when the file is
    // compressed; the first (returned) bytes of `buf` are the section bytes.
    uint64_t load_block(uint64_t offset, uint64_t size, ByteBuffer& raw, ByteBuffer& buf) const;

    // For inflating a block in steps (BlockInflater): reads its compressed
    // bytes into `raw` and sizes `buf` for its inflated bytes; returns that
    // capacity. Only for compressed files.
    uint64_t read_compressed_block(uint64_t offset, uint64_t size, ByteBuffer& raw, ByteBuffer& buf) const;

    // Blocks [first, last) of cb that reach past `start`: a remote file
    // fetches them now, in few requests, before they are read one by one.
    void prefetch_blocks(const ChromBlocks& cb, size_t first, size_t last, uint64_t start) const;

    // Throws FormatError naming the file, the block and `what`.
    [[noreturn]] void fail_block(uint64_t offset, const std::string& what) const;

    // Reads all data blocks into memory once, so later reads do no I/O.
    // Returns the bytes held.
    uint64_t cache_data_blocks();

    // Every data block once, (offset, size) sorted by offset (a block that
    // spans chromosomes is listed under each in the index).
    ByteRanges data_blocks() const;
    // [lo, hi) of the file holding all data blocks; lo == hi without data.
    std::pair<uint64_t, uint64_t> data_extent() const;

    const BlockIndex& zoom_index(size_t level) const;
    std::vector<double> zoom_stats(size_t level, uint32_t chrom, uint64_t start, uint64_t end, Stat stat,
                                   uint32_t nbins) const;
    [[noreturn]] void fail(const std::string& what) const;
    void need_kind(bool bigbed, const char* what) const;  // RangeError when the file is the other kind
    template <class F>
    void each_block(uint32_t chrom, uint64_t start, uint64_t end, F&& f) const;  // bigwig.cpp

    FileSource src_;
    Header hdr_;
    std::vector<Chrom> chroms_;
    std::unordered_map<std::string, uint32_t> by_name_;
    BlockIndex index_;
    mutable std::mutex zoom_mu_;
    mutable std::vector<std::unique_ptr<BlockIndex>> zoom_index_;
};

}  // namespace bwl
