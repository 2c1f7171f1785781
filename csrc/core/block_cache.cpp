#include "bwl/block_cache.hpp"

namespace bwl {

Block BlockCache::get(uint32_t file, uint64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find({file, offset});
    if (it == map_.end()) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->block;
}

bool BlockCache::contains(uint32_t file, uint64_t offset) const {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.count({file, offset}) != 0;
}

void BlockCache::put(uint32_t file, uint64_t offset, Block b) {
    if (!b) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (b->bytes.size() > max_bytes_) {
        ++evictions_;
        return;
    }
    auto it = map_.find({file, offset});
    if (it != map_.end()) {
        const Block& old = it->second->block;
        if (old->complete || old->bytes.size() >= b->bytes.size()) return;
        bytes_ -= old->bytes.size();
        lru_.erase(it->second);
        map_.erase(it);
    }
    bytes_ += b->bytes.size();
    lru_.push_front({{file, offset}, std::move(b)});
    map_[{file, offset}] = lru_.begin();
    while (bytes_ > max_bytes_) {
        ++evictions_;
        bytes_ -= lru_.back().block->bytes.size();
        map_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

uint64_t BlockCache::evictions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return evictions_;
}

uint64_t BlockCache::bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
}

}  // namespace bwl
