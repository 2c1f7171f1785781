// An open bigWig or bigBed file (BBI): header, chromosomes and block index
// parsed at open. The public BbiFile and BigBedFile are handles on one;
// the batch engine (block_source, batch, preloaded, the GPU's plan) reads
// its blocks directly. All const methods are safe to call from many
// threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bwl/bbi.hpp"
#include "bwl/bigbed.hpp"  // BedEntries
#include "core/byte_buffer.hpp"
#include "core/chrom_tree.hpp"
#include "core/file_source.hpp"
#include "core/header.hpp"
#include "core/rtree.hpp"

namespace bwl {

class BbiFile {
public:
    // A local path, or `path` naming what `reader` reads.
    explicit BbiFile(const std::string& path,
                     std::shared_ptr<RangeReader> reader = nullptr);  // throws IoError / FormatError

    const std::string& path() const { return src_.path(); }
    const Header& header() const { return hdr_; }
    const BbiInfo& info() const { return info_; }
    const std::vector<Chrom>& chroms() const { return chroms_; }
    const BlockIndex& index() const { return index_; }
    const FileSource& source() const { return src_; }
    bool bigbed() const { return hdr_.bigbed; }

    // Position of chrom in chroms(); throws KeyError naming the file.
    uint32_t chrom_index(const std::string& name) const;
    // Throws RangeError unless 0 <= start < end <= size of chrom.
    void check_range(uint32_t chrom, uint64_t start, uint64_t end) const;

    // The reads of bigwig.hpp, bigbed.hpp and bbi.hpp. One of the wrong
    // kind is a RangeError (the Python object, like pyBigWig's, opens both).
    void values(uint32_t chrom, uint64_t start, uint64_t end, float* out) const;
    Intervals intervals(uint32_t chrom, uint64_t start, uint64_t end) const;
    BedEntries entries(uint32_t chrom, uint64_t start, uint64_t end, bool with_rest) const;
    Intervals coverage(uint32_t chrom, uint64_t start, uint64_t end) const;
    std::string auto_sql() const;
    // libbigwig: pyBigWig's numbers (bwl.pybigwig): the data's statistics as
    // libBigWig computes them (stats_libbigwig.hpp; bins may be narrower than
    // a base) and zoom-level coverage over each bin's own length; the zoom
    // sum stays UCSC's (libBigWig's is not a sum).
    std::vector<double> stats(uint32_t chrom, uint64_t start, uint64_t end, Stat stat, uint32_t nbins, bool exact,
                              bool libbigwig = false) const;

    // Blocks, for the engine.

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

private:
    const BlockIndex& zoom_index(size_t level) const;
    std::vector<double> zoom_stats(size_t level, uint32_t chrom, uint64_t start, uint64_t end, Stat stat,
                                   uint32_t nbins, bool cov_libbigwig) const;
    [[noreturn]] void fail(const std::string& what) const;
    void need_kind(bool bigbed, const char* what) const;  // RangeError when the file is the other kind
    template <class F>
    void each_block(uint32_t chrom, uint64_t start, uint64_t end, F&& f) const;  // bbi_file.cpp

    FileSource src_;
    Header hdr_;
    BbiInfo info_;
    std::vector<Chrom> chroms_;
    std::unordered_map<std::string, uint32_t> by_name_;
    BlockIndex index_;
    mutable std::mutex zoom_mu_;
    mutable std::vector<std::unique_ptr<BlockIndex>> zoom_index_;
};

}  // namespace bwl
