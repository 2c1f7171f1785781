// Where the batch engine's blocks come from: a preloaded track, the decoded
// cache, or read and inflated here, only as far as the windows reading them
// need (section.hpp's block_bytes_needed), the block a thread reads now and
// the one it reads next inflated together (BlockInflater::extend_pair).
// Internal to csrc/core (core/batch.cpp is its user).
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/collection.hpp"
#include "core/block_cache.hpp"
#include "hd/section.hpp"

namespace bwl {

class BbiFile;

// Block `blk` of chromosome position `file_chrom` of collection track `track`.
struct BlockAt {
    uint32_t track;
    uint32_t file_chrom;
    uint32_t blk;
};

// A block ready to read, and what keeps its bytes alive.
struct LoadedBlock {
    const uint8_t* data = nullptr;
    uint64_t size = 0;
    Extent extent = Extent::Whole;  // Prefix: the sections up to what its windows read
    Order order = Order::Unknown;   // Sorted: its items may be binary-searched
    Block keep;                     // a cached block, alive while data is read
};

// A compressed block a thread will inflate (BlockSource::inflates), with the
// furthest end its windows read.
struct PlannedInflate {
    const BbiFile* file;
    uint64_t offset, size, qe;
    uint32_t chrom_id;
};

// One batch's view of the blocks of a Collection. The per-thread state (read
// and inflate buffers, the two inflate slots, the thread's reading plan)
// lives in the calling thread, so one BlockSource serves every pool thread.
class BlockSource {
public:
    explicit BlockSource(const Collection::Impl& e) : e_(e) {}

    // Whether reading block `at` would inflate it here: a compressed bigWig
    // block that is neither preloaded nor in the decoded cache.
    bool inflates(BlockAt at) const;

    // This thread's reading plan, emptied (with what an earlier batch left
    // in its slots): push the compressed blocks (inflates()) the thread
    // reads next, in order; each is inflated together with the one before.
    static std::vector<PlannedInflate>& begin_plan();

    // A bigWig block holding what windows on its chromosome ending by `qe`
    // read: inflated only as far as that (or taken from the decoded cache
    // when the cached bytes reach that far, else inflated further and
    // cached again). `many`: several windows read it (worth knowing whether
    // its items are sorted). Throws FormatError naming the file and block.
    LoadedBlock load(BlockAt at, uint64_t qe, bool many);

    // A block whole (bigBed: records carry text), from the decoded cache or
    // read and inflated (and cached).
    LoadedBlock load_whole(BlockAt at);

    // Blocks served by preloaded tracks on this thread so far (cache hits).
    static uint64_t preloaded_hits();

private:
    const Collection::Impl& e_;
};

}  // namespace bwl
