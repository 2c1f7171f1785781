// A bounded LRU of inflated data blocks, shared by all threads of a
// Collection: repeated windows (and epochs) skip I/O and inflate. An entry
// may be a block's prefix (the batch engine inflates only as far as its
// windows read), kept with the point its stream stopped at: a later window
// that reads further inflates on from there and replaces it with a longer
// one. A block is its (offset, size) in the file: two R-tree leaves of a
// damaged file may name one offset with different sizes, and those are
// different blocks (as BbiFile reads them), never one entry.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "hd/inflate_point.hpp"

namespace bwl {

struct CachedBlock {
    std::vector<uint8_t> bytes;  // the block's first bytes, or all of it
    bool complete;               // bytes is the whole inflated block
    bool sorted;                 // section.hpp's block_sorted(bytes): windows binary-search its items
    InflatePoint resume;         // a prefix: where its stream stopped (valid: inflate on from there)
};
using Block = std::shared_ptr<const CachedBlock>;

class BlockCache {
public:
    explicit BlockCache(uint64_t max_bytes) : max_bytes_(max_bytes) {}

    // The cached block of (file, offset, size), or null.
    Block get(uint32_t file, uint64_t offset, uint64_t size);
    // Whether (file, offset, size) is cached; no effect on the LRU order or counts.
    bool contains(uint32_t file, uint64_t offset, uint64_t size) const;
    // Adds b, or replaces a shorter prefix of the same block.
    void put(uint32_t file, uint64_t offset, uint64_t size, Block b);

    // Holds n bytes of the budget for blocks kept outside the LRU (preloaded
    // tracks); LRU entries make room. False when they do not fit beside what
    // is held that way already.
    bool reserve(uint64_t n);
    void add_hits(uint64_t n) { hits_.fetch_add(n, std::memory_order_relaxed); }
    void add_resume() { resumes_.fetch_add(1, std::memory_order_relaxed); }

    uint64_t bytes() const { return bytes_.load(); }  // LRU and reserved
    uint64_t max_bytes() const { return max_bytes_; }
    uint64_t hits() const { return hits_.load(); }
    uint64_t misses() const { return misses_.load(); }
    uint64_t resumes() const { return resumes_.load(); }  // prefixes inflated on from where they stopped
    uint64_t evictions() const {
        return evictions_.load();
    }  // blocks dropped for room, or refused (bigger than the cache)

private:
    struct Key {
        uint32_t file;
        uint64_t offset, size;  // the block's compressed bytes in the file
        bool operator==(const Key& o) const { return file == o.file && offset == o.offset && size == o.size; }
    };
    struct KeyHash {
        size_t operator()(const Key& k) const {
            return std::hash<uint64_t>()((k.offset * 1000003u ^ k.file) * 31u + k.size);
        }
    };
    struct Entry {
        Key key;
        Block block;
    };
    // Sharded by key: threads reading different blocks rarely share a lock.
    // Each shard keeps its own LRU order; the byte budget is global, and
    // trimming takes the least recent entries shard by shard.
    struct Shard {
        mutable std::mutex mu;
        std::list<Entry> lru;
        std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map;
    };
    static constexpr size_t kShards = 16;
    Shard& shard(const Key& k) { return shards_[KeyHash()(k) % kShards]; }
    const Shard& shard(const Key& k) const { return shards_[KeyHash()(k) % kShards]; }
    void trim(size_t from);

    uint64_t max_bytes_;
    std::atomic<uint64_t> reserved_{0};
    std::atomic<uint64_t> bytes_{0}, hits_{0}, misses_{0}, evictions_{0}, resumes_{0};
    Shard shards_[kShards];
};

}  // namespace bwl
