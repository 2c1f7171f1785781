#include "core/block_cache.hpp"

namespace bwl {

Block BlockCache::get(uint32_t file, uint64_t offset, uint64_t size) {
    Key k{file, offset, size};
    Shard& sh = shard(k);
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.map.find(k);
    if (it == sh.map.end()) {
        misses_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (it->second != sh.lru.begin()) sh.lru.splice(sh.lru.begin(), sh.lru, it->second);
    return it->second->block;
}

bool BlockCache::contains(uint32_t file, uint64_t offset, uint64_t size) const {
    Key k{file, offset, size};
    const Shard& sh = shard(k);
    std::lock_guard<std::mutex> lock(sh.mu);
    return sh.map.count(k) != 0;
}

void BlockCache::put(uint32_t file, uint64_t offset, uint64_t size, Block b) {
    if (!b) return;
    if (b->bytes.size() + reserved_.load() > max_bytes_) {
        evictions_.fetch_add(1);
        return;
    }
    Key k{file, offset, size};
    size_t home = KeyHash()(k) % kShards;
    {
        Shard& sh = shards_[home];
        std::lock_guard<std::mutex> lock(sh.mu);
        auto it = sh.map.find(k);
        if (it != sh.map.end()) {
            const Block& old = it->second->block;
            if (old->complete || old->bytes.size() >= b->bytes.size()) return;
            bytes_ -= old->bytes.size();
            sh.lru.erase(it->second);
            sh.map.erase(it);
        }
        bytes_ += b->bytes.size();
        sh.lru.push_front({k, std::move(b)});
        sh.map[k] = sh.lru.begin();
    }
    if (bytes_.load() > max_bytes_) trim(home + 1);
}

bool BlockCache::reserve(uint64_t n) {
    if (reserved_.load() + n > max_bytes_) return false;
    reserved_ += n;
    bytes_ += n;
    trim(0);
    return true;
}

void BlockCache::trim(size_t from) {
    // One shard locked at a time (no lock order to get wrong); the entry
    // just added sits at its shard's front, so it goes last.
    for (size_t pass = 0; pass < kShards && bytes_.load() > max_bytes_; ++pass) {
        Shard& sh = shards_[(from + pass) % kShards];
        std::lock_guard<std::mutex> lock(sh.mu);
        while (bytes_.load() > max_bytes_ && !sh.lru.empty()) {
            evictions_.fetch_add(1);
            bytes_ -= sh.lru.back().block->bytes.size();
            sh.map.erase(sh.lru.back().key);
            sh.lru.pop_back();
        }
    }
}

}  // namespace bwl
