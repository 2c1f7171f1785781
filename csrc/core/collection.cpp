// Collection: parallel open, the shared chromosome table, scale, and
// signal intervals. Batched reads are in batch.cpp.
#include "bwl/collection.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <limits>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/collection_impl.hpp"
#include "core/store_file.hpp"
#include "hd/section.hpp"

namespace bwl {

Collection::Collection(const std::vector<std::string>& paths, const CollectionOptions& opt,
                       const std::vector<std::shared_ptr<RangeReader>>& readers)
    : impl_(std::make_unique<Impl>(opt)) {
    Impl& m = *impl_;
    if (paths.empty()) throw RangeError("a Collection needs at least one bigWig file");
    if (!readers.empty() && readers.size() != paths.size()) throw RangeError("one reader per path, or none");
    m.files.resize(paths.size());
    // Headers, chromosome trees and R-trees of all files, in parallel.
    m.pool.parallel_for(paths.size(), [&](size_t i) {
        m.files[i] = std::make_unique<BbiFile>(paths[i], readers.empty() ? nullptr : readers[i]);
        if (opt.host_cache) m.files[i]->cache_data_blocks();
    });
    if (opt.host_cache)
        for (auto& f : m.files) m.host_bytes += f->source().in_memory() ? f->source().memory_bytes() : 0;

    m.chrom_map.resize(m.files.size());
    for (size_t t = 0; t < m.files.size(); ++t) {
        for (const Chrom& c : m.files[t]->chroms()) {
            auto [it, fresh] = m.by_name.emplace(m.aliases.key(c.name), uint32_t(m.names.size()));
            if (fresh) {
                m.names.push_back(c.name);
                m.sizes.push_back(c.size);
                m.counts.push_back(0);
            }
            m.sizes[it->second] = std::max<uint64_t>(m.sizes[it->second], c.size);
            ++m.counts[it->second];
        }
    }
    for (size_t t = 0; t < m.files.size(); ++t) {
        m.chrom_map[t].assign(m.names.size(), -1);
        const auto& cs = m.files[t]->chroms();
        for (size_t i = 0; i < cs.size(); ++i) {
            int32_t& slot = m.chrom_map[t][m.by_name[m.aliases.key(cs[i].name)]];
            if (slot >= 0)  // two names of one file fall on one key
                throw RangeError(paths[t] + ": chromosomes '" + cs[size_t(slot)].name + "' and '" + cs[i].name +
                                 "' are one chromosome under the chrom aliases");
            slot = int32_t(i);
        }
    }
    m.scale.assign(m.files.size(), 1.0f);
    if (opt.decoded_cache_bytes) m.cache = std::make_unique<BlockCache>(opt.decoded_cache_bytes);
    m.preloaded.resize(m.files.size());
}

void Collection::region_stats(const uint32_t* chrom, const int64_t* start, const int64_t* end, size_t n, Stat stat,
                              bool exact, const uint32_t* tracks, size_t T, double* out) {
    Impl& m = *impl_;
    for (size_t i = 0; i < n; ++i) m.check_chrom(i, chrom[i]);
    for (size_t t = 0; t < T; ++t) m.check_track(tracks[t]);
    m.pool.parallel_for(n * T, [&](size_t k) {
        size_t i = k / T;
        const BbiFile& f = *m.files[tracks[k % T]];
        int32_t fc = m.chrom_map[tracks[k % T]][chrom[i]];
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
    Impl& m = *impl_;
    if (!m.cache) throw RangeError("preload needs a decoded cache (decoded_cache=bytes) to hold the blocks");
    m.check_track(t);
    if (m.preloaded[t]) return 0;
    auto track = std::make_unique<PreloadedTrack>(*m.files[t], m.pool);
    uint64_t held = m.cache->bytes();
    if (!m.cache->reserve(track->bytes()))
        throw RangeError(m.files[t]->path() + ": preload: its decoded blocks (" + std::to_string(track->bytes()) +
                         " bytes) do not fit in decoded_cache=" + std::to_string(m.cache->max_bytes()) + " bytes (" +
                         std::to_string(held) + " held): raise decoded_cache or preload fewer tracks");
    m.preloaded[t] = std::move(track);
    return m.preloaded[t]->bytes();
}

void Collection::build_store(size_t t, const std::string& path, const std::string& identity) {
    Impl& m = *impl_;
    m.check_track(t);
    bwl::build_store(*m.files[t], m.pool, path, identity);
}

std::string Collection::use_store(size_t t, const std::string& path, const std::string& identity) {
    Impl& m = *impl_;
    m.check_track(t);
    std::shared_ptr<const MappedStore> store;
    try {
        store = std::make_shared<const MappedStore>(path);
        if (store->identity() != identity) return path + ": store file was built from another version of the track";
        m.preloaded[t] = std::make_unique<PreloadedTrack>(*m.files[t], store);
    } catch (const FormatError& e) {
        return e.what();
    } catch (const IoError& e) {
        if (e.code != ENOENT && e.code != ENOTDIR) throw;
        return path + ": no store file";
    }
    return "";
}

std::string Collection::fingerprint(size_t t) const {
    const Impl& m = *impl_;
    m.check_track(t);
    const BbiFile& f = *m.files[t];
    uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits
    auto mix = [&h](const void* p, size_t n) {
        for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 1099511628211ull;
    };
    auto num = [&mix](auto v) { mix(&v, sizeof v); };
    const Header& hd = f.header();
    num(hd.bigbed), num(hd.swap), num(hd.version), num(hd.chrom_tree_offset), num(hd.full_data_offset);
    num(hd.full_index_offset), num(hd.field_count), num(hd.defined_field_count), num(hd.autosql_offset);
    num(hd.uncompress_buf_size), num(hd.section_count), num(hd.summary.bases_covered), num(hd.summary.min_val);
    num(hd.summary.max_val), num(hd.summary.sum_data), num(hd.summary.sum_squares);
    for (const ZoomHeader& z : hd.zooms) num(z.reduction_level), num(z.data_offset), num(z.index_offset);
    for (const Chrom& c : f.chroms()) mix(c.name.data(), c.name.size()), num(c.id), num(c.size);
    for (const ChromBlocks& cb : f.index().chroms)
        for (size_t i = 0; i < cb.offset.size(); ++i)
            num(cb.start[i]), num(cb.end[i]), num(cb.offset[i]), num(cb.size[i]);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

Collection::~Collection() = default;

size_t Collection::size() const { return impl_->files.size(); }
const std::string& Collection::path(size_t t) const { return impl_->files.at(t)->path(); }
const BbiInfo& Collection::info(size_t t) const { return impl_->files.at(t)->info(); }
const std::vector<Chrom>& Collection::chroms(size_t t) const { return impl_->files.at(t)->chroms(); }
size_t Collection::threads() const { return impl_->pool.size(); }
const std::vector<std::string>& Collection::chrom_names() const { return impl_->names; }
const std::vector<uint64_t>& Collection::chrom_sizes() const { return impl_->sizes; }
const std::vector<uint32_t>& Collection::chrom_track_counts() const { return impl_->counts; }
const std::vector<float>& Collection::scale() const { return impl_->scale; }
uint64_t Collection::host_cache_bytes() const { return impl_->host_bytes; }

DecodedCacheStats Collection::decoded_cache_stats() const {
    DecodedCacheStats st;
    if (const BlockCache* c = impl_->cache.get()) {
        st.enabled = true;
        st.bytes = c->bytes();
        st.max_bytes = c->max_bytes();
        st.hits = c->hits();
        st.misses = c->misses();
        st.evictions = c->evictions();
        st.resumes = c->resumes();
    }
    return st;
}

uint32_t Collection::chrom_index(const std::string& name) const {
    const Impl& m = *impl_;
    auto it = m.by_name.find(m.aliases.key(name));
    if (it == m.by_name.end()) throw KeyError("no track of the collection has chromosome '" + name + "'");
    return it->second;
}

void Collection::set_scale(std::vector<float> s) {
    Impl& m = *impl_;
    if (s.size() != m.files.size())
        throw RangeError("scale has " + std::to_string(s.size()) + " factors for " + std::to_string(m.files.size()) +
                         " tracks");
    m.scale = std::move(s);
}

void Collection::intervals(uint32_t chrom, float threshold, bool mean, uint64_t merge_distance,
                           std::vector<uint64_t>& starts, std::vector<uint64_t>& ends) {
    Impl& m = *impl_;
    // Per track, the items of this chromosome (read in parallel; a bigBed
    // track's signal is what values() gives for it: its coverage depth, or 1
    // where a record covers in mask mode); then a sweep over their edges.
    // "any": a base passes when some track's scaled value >= threshold.
    // "mean": when the sum over tracks >= threshold * T.
    size_t T = m.files.size();
    std::vector<Intervals> per(T);
    m.pool.parallel_for(T, [&](size_t t) {
        int32_t fc = m.chrom_map[t][chrom];
        if (fc < 0) return;
        const BbiFile& f = *m.files[t];
        uint64_t size = f.chroms()[fc].size;
        if (size == 0) return;  // no bases, no signal (reads of [0, 0) are an error)
        if (!f.bigbed()) {
            per[t] = f.intervals(uint32_t(fc), 0, size);
            return;
        }
        per[t] = f.coverage(uint32_t(fc), 0, size);
        if (m.bed_mask) std::fill(per[t].value.begin(), per[t].value.end(), 1.0f);
    });
    struct Edge {
        uint64_t pos;
        double delta;  // mean: value change; any: +1/-1 passing items
        int cover;     // +1/-1 items with data: no region where no track has data
    };
    std::vector<Edge> edges;
    for (size_t t = 0; t < T; ++t)
        for (size_t i = 0; i < per[t].start.size(); ++i) {
            double v = double(per[t].value[i]) * m.scale[t];
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
