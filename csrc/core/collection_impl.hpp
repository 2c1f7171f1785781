// A Collection's state: what bwl/collection.hpp keeps opaque (its Impl),
// and what the engine (the batcher, the block source, preloaded tracks, the
// GPU plan) reads through Collection::impl(). Internal to csrc.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/block_cache.hpp"
#include "core/preloaded.hpp"
#include "core/thread_pool.hpp"

namespace bwl {

struct Collection::Impl {
    explicit Impl(const CollectionOptions& opt) : pool(opt.threads), aliases(opt.aliases), bed_mask(opt.bed_mask) {}

    const BbiFile& file(size_t t) const { return *files[t]; }
    // RangeError unless t is a track, or c a collection chromosome (region i).
    void check_track(size_t t) const {
        if (t >= files.size()) throw RangeError("track index " + std::to_string(t) + " out of range");
    }
    void check_chrom(size_t i, uint32_t c) const {
        if (c >= names.size()) throw RangeError("region " + std::to_string(i) + ": chrom index out of range");
    }
    // Position of collection chrom `chrom` in track t's file, or -1.
    int32_t file_chrom(size_t t, uint32_t chrom) const { return chrom_map[t][chrom]; }
    // Track t's blocks inflated at open (Collection::preload), or null.
    const PreloadedTrack* preloaded_track(size_t t) const { return preloaded[t].get(); }
    // The decoded-block LRU (CollectionOptions::decoded_cache_bytes), or null.
    BlockCache* decoded_cache() const { return cache.get(); }

    ThreadPool pool;
    ChromAliases aliases;
    bool bed_mask;  // bigBed tracks: 1 where a record covers, not the coverage depth
    std::vector<std::unique_ptr<BbiFile>> files;
    std::vector<std::string> names;  // collection chromosomes: the union of the tracks'
    std::vector<uint64_t> sizes;
    std::vector<uint32_t> counts;                       // tracks having each
    std::unordered_map<std::string, uint32_t> by_name;  // alias key -> collection chrom
    std::vector<std::vector<int32_t>> chrom_map;        // [track][collection chrom] -> file chrom or -1
    std::vector<float> scale;
    uint64_t host_bytes = 0;
    std::unique_ptr<BlockCache> cache;
    std::vector<std::unique_ptr<PreloadedTrack>> preloaded;  // per track
};

}  // namespace bwl
