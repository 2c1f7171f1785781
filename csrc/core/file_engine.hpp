// The engine's access to a file's blocks, which BigWigFile keeps private:
// the batch engine (block_source.cpp), preloaded tracks, the host cache of
// a Collection and the GPU's device cache read blocks through these.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "bwl/bigwig.hpp"

namespace bwl {

struct FileEngine {
    // Reads the block at (offset, size) and inflates it when the file is
    // compressed; the first (returned) bytes of `buf` are the section bytes.
    static uint64_t load_block(const BigWigFile& f, uint64_t offset, uint64_t size, ByteBuffer& raw, ByteBuffer& buf) {
        return f.load_block(offset, size, raw, buf);
    }
    // Reads a compressed block into `raw` and sizes `buf` for its inflated
    // bytes (for inflating it in steps); returns that capacity.
    static uint64_t read_compressed_block(const BigWigFile& f, uint64_t offset, uint64_t size, ByteBuffer& raw,
                                          ByteBuffer& buf) {
        return f.read_compressed_block(offset, size, raw, buf);
    }
    // Throws FormatError naming the file, the block and `what`.
    [[noreturn]] static void fail_block(const BigWigFile& f, uint64_t offset, const std::string& what) {
        f.fail_block(offset, what);
    }
    // Reads all data blocks into memory once; returns the bytes held.
    static uint64_t cache_data_blocks(BigWigFile& f) { return f.cache_data_blocks(); }
    // Every data block once, (offset, size) sorted by offset.
    static ByteRanges data_blocks(const BigWigFile& f) { return f.data_blocks(); }
    // [lo, hi) of the file holding all data blocks.
    static std::pair<uint64_t, uint64_t> data_extent(const BigWigFile& f) { return f.data_extent(); }
};

}  // namespace bwl
