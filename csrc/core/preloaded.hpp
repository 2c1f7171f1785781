// A preloaded track (Collection::preload): every data block inflated once
// into one allocation, found by (chrom position, block index) with no lock,
// hash or reference count: what the decoded-block LRU costs per window and
// track is most of a warm batch once the blocks are all in memory. Fixed
// once built. The allocation asks for huge pages: batches read the blocks
// at random, and with 4 KiB pages each read would also miss the TLB. Or the
// blocks are a store file's (store_file.hpp), mapped: the same table over
// memory that every process reading the store shares.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bwl/range_reader.hpp"  // ByteRanges

namespace bwl {

class BbiFile;
class MappedStore;
class ThreadPool;

struct PreloadedBlock {
    const uint8_t* data = nullptr;  // the whole inflated block
    uint64_t size = 0;
    bool sorted = false;  // section.hpp's block_sorted: windows binary-search its items
};

class PreloadedTrack {
public:
    // Inflates every data block of `file` on `pool`; throws FormatError
    // naming the file for a bad block.
    PreloadedTrack(const BbiFile& file, ThreadPool& pool);
    // The blocks of `store`; throws FormatError naming the store file when
    // its blocks are not the file's (another version of the track).
    PreloadedTrack(const BbiFile& file, std::shared_ptr<const MappedStore> store);

    // Block `blk` of the file's chrom at position `chrom` (its ChromBlocks).
    const PreloadedBlock& block(uint32_t chrom, uint32_t blk) const { return table_[first_[chrom] + blk]; }
    uint64_t bytes() const { return bytes_; }
    const MappedStore* store() const { return store_.get(); }  // null: blocks in this process's memory

private:
    // table_ from `packed`, the blocks of file.data_blocks() (`blocks`) in its order.
    void index(const BbiFile& file, const ByteRanges& blocks, const std::vector<PreloadedBlock>& packed);

    std::vector<uint64_t> first_;        // per chrom: the index of its block 0 in table_
    std::vector<PreloadedBlock> table_;  // pointing into arena_ or the store's mapping
    std::shared_ptr<uint8_t> arena_;
    std::shared_ptr<const MappedStore> store_;
    uint64_t bytes_ = 0;
};

}  // namespace bwl
