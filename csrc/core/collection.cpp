// Collection: parallel open, the shared chromosome table, scale, and
// signal intervals. Batched reads are in batch.cpp.
#include "bwl/collection.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bwl/error.hpp"
#include "core/preloaded.hpp"
#include "hd/section.hpp"

namespace bwl {

Collection::Collection(const std::vector<std::string>& paths, const CollectionOptions& opt,
                       const std::vector<std::shared_ptr<RangeReader>>& readers)
    : pool_(opt.threads), aliases_(opt.aliases), bed_mask_(opt.bed_mask) {
    if (paths.empty()) throw RangeError("a Collection needs at least one bigWig file");
    if (!readers.empty() && readers.size() != paths.size()) throw RangeError("one reader per path, or none");
    files_.resize(paths.size());
    // Headers, chromosome trees and R-trees of all files, in parallel.
    pool_.parallel_for(paths.size(), [&](size_t i) {
        files_[i] = std::make_unique<BigWigFile>(paths[i], readers.empty() ? nullptr : readers[i]);
        if (opt.host_cache) files_[i]->cache_data_blocks();
    });
    if (opt.host_cache)
        for (auto& f : files_) host_bytes_ += f->source().in_memory() ? f->source().memory_bytes() : 0;

    chrom_map_.resize(files_.size());
    for (size_t t = 0; t < files_.size(); ++t) {
        for (const Chrom& c : files_[t]->chroms()) {
            auto [it, fresh] = by_name_.emplace(aliases_.key(c.name), uint32_t(names_.size()));
            if (fresh) {
                names_.push_back(c.name);
                sizes_.push_back(c.size);
                counts_.push_back(0);
            }
            sizes_[it->second] = std::max<uint64_t>(sizes_[it->second], c.size);
            ++counts_[it->second];
        }
    }
    for (size_t t = 0; t < files_.size(); ++t) {
        chrom_map_[t].assign(names_.size(), -1);
        const auto& cs = files_[t]->chroms();
        for (size_t i = 0; i < cs.size(); ++i) {
            int32_t& slot = chrom_map_[t][by_name_[aliases_.key(cs[i].name)]];
            if (slot >= 0)  // two names of one file fall on one key
                throw RangeError(paths[t] + ": chromosomes '" + cs[size_t(slot)].name + "' and '" + cs[i].name +
                                 "' are one chromosome under the chrom aliases");
            slot = int32_t(i);
        }
    }
    scale_.assign(files_.size(), 1.0f);
    if (opt.decoded_cache_bytes) cache_ = std::make_unique<BlockCache>(opt.decoded_cache_bytes);
    preloaded_.resize(files_.size());
}

void Collection::region_stats(const uint32_t* chrom, const int64_t* start, const int64_t* end, size_t n, Stat stat,
                              bool exact, const uint32_t* tracks, size_t T, double* out) {
    for (size_t i = 0; i < n; ++i)
        if (chrom[i] >= names_.size()) throw RangeError("region " + std::to_string(i) + ": chrom index out of range");
    for (size_t t = 0; t < T; ++t)
        if (tracks[t] >= files_.size()) throw RangeError("track index " + std::to_string(tracks[t]) + " out of range");
    pool_.parallel_for(n * T, [&](size_t k) {
        size_t i = k / T;
        const BigWigFile& f = *files_[tracks[k % T]];
        int32_t fc = chrom_map_[tracks[k % T]][chrom[i]];
        double v = std::numeric_limits<double>::quiet_NaN();
        if (fc >= 0) {
            uint64_t size = f.chroms()[size_t(fc)].size;
            uint64_t s = uint64_t(std::clamp<int64_t>(start[i], 0, int64_t(size)));
            uint64_t e = uint64_t(std::clamp<int64_t>(end[i], 0, int64_t(size)));
            if (s < e) v = f.stats(uint32_t(fc), s, e, stat, 1, exact)[0];
        }
        out[k] = v;
    });
}

uint64_t Collection::preload(size_t t) {
    if (!cache_) throw RangeError("preload needs a decoded cache (decoded_cache=bytes) to hold the blocks");
    if (t >= files_.size()) throw RangeError("track index " + std::to_string(t) + " out of range");
    if (preloaded_[t]) return 0;
    auto track = std::make_unique<PreloadedTrack>(*files_[t], pool_);
    uint64_t held = cache_->bytes();
    if (!cache_->reserve(track->bytes()))
        throw RangeError(files_[t]->path() + ": preload: its decoded blocks (" + std::to_string(track->bytes()) +
                         " bytes) do not fit in decoded_cache=" + std::to_string(cache_->max_bytes()) + " bytes (" +
                         std::to_string(held) + " held): raise decoded_cache or preload fewer tracks");
    preloaded_[t] = std::move(track);
    return preloaded_[t]->bytes();
}

Collection::~Collection() = default;

uint32_t Collection::chrom_index(const std::string& name) const {
    auto it = by_name_.find(aliases_.key(name));
    if (it == by_name_.end()) throw KeyError("no track of the collection has chromosome '" + name + "'");
    return it->second;
}

void Collection::set_scale(std::vector<float> s) {
    if (s.size() != files_.size())
        throw RangeError("scale has " + std::to_string(s.size()) + " factors for " + std::to_string(files_.size()) +
                         " tracks");
    scale_ = std::move(s);
}

void Collection::intervals(uint32_t chrom, float threshold, bool mean, uint64_t merge_distance,
                           std::vector<uint64_t>& starts, std::vector<uint64_t>& ends) {
    // Per track, the items of this chromosome (read in parallel; a bigBed
    // track's signal is what values() gives for it: its coverage depth, or 1
    // where a record covers in mask mode); then a sweep over their edges.
    // "any": a base passes when some track's scaled value >= threshold.
    // "mean": when the sum over tracks >= threshold * T.
    size_t T = files_.size();
    std::vector<Intervals> per(T);
    pool_.parallel_for(T, [&](size_t t) {
        int32_t fc = chrom_map_[t][chrom];
        if (fc < 0) return;
        const BigWigFile& f = *files_[t];
        uint64_t size = f.chroms()[fc].size;
        if (size == 0) return;  // no bases, no signal (reads of [0, 0) are an error)
        if (!f.bigbed()) {
            per[t] = f.intervals(uint32_t(fc), 0, size);
            return;
        }
        per[t] = f.coverage(uint32_t(fc), 0, size);
        if (bed_mask_) std::fill(per[t].value.begin(), per[t].value.end(), 1.0f);
    });
    struct Edge {
        uint64_t pos;
        double delta;  // mean: value change; any: +1/-1 passing items
        int cover;     // +1/-1 items with data: no region where no track has data
    };
    std::vector<Edge> edges;
    for (size_t t = 0; t < T; ++t)
        for (size_t i = 0; i < per[t].start.size(); ++i) {
            double v = double(per[t].value[i]) * scale_[t];
            if (std::isnan(v)) continue;
            if (mean) {
                edges.push_back({per[t].start[i], v, 1});
                edges.push_back({per[t].end[i], -v, -1});
            } else if (v >= threshold) {
                edges.push_back({per[t].start[i], 1, 1});
                edges.push_back({per[t].end[i], -1, -1});
            }
        }
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.pos < b.pos; });
    double level = 0, need = mean ? double(threshold) * double(T) : 0.5;
    long cover = 0;
    bool in = false;
    for (size_t i = 0; i < edges.size();) {
        uint64_t pos = edges[i].pos;
        for (; i < edges.size() && edges[i].pos == pos; ++i) {
            level += edges[i].delta;
            cover += edges[i].cover;
        }
        // Summing many +v/-v pairs leaves rounding residue; snap it away.
        if (cover == 0) level = 0;
        bool pass = cover > 0 && level >= need - 1e-9 * std::max(1.0, std::fabs(need));
        if (pass && !in) {
            if (!ends.empty() && pos - ends.back() <= merge_distance) {
                ends.pop_back();  // reopen the previous interval
            } else {
                starts.push_back(pos);
            }
            in = true;
        } else if (!pass && in) {
            ends.push_back(pos);
            in = false;
        }
    }
}

}  // namespace bwl
