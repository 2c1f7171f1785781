// Many bigWig tracks read as one: opened in parallel, one chromosome table
// across all of them, and batched reads of B windows x T tracks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/bbi.hpp"
#include "bwl/detail/batch_types.hpp"
#include "bwl/detail/chrom_alias.hpp"

namespace bwl {

struct CollectionOptions {
    size_t threads = 0;                // 0: all hardware threads
    bool host_cache = false;           // read every file's compressed blocks into RAM at open
    uint64_t decoded_cache_bytes = 0;  // LRU of inflated blocks; 0: none
    ChromAliases aliases;              // names that are one chromosome across tracks and queries
    bool bed_mask = false;             // bigBed tracks: 1 where a record covers, not the coverage depth
};

// One batch: window b is chrom[b]:[start[b], start[b] + length).
struct BatchSpec : BatchOptions {     // window, summary, transform, pad, default, dtype, layout
    const uint32_t* chrom = nullptr;  // indices into Collection::chrom_names()
    const int64_t* start = nullptr;
    size_t batch = 0;
    uint64_t length = 0;
    const uint32_t* tracks = nullptr;  // subset of tracks, or null for all
    size_t n_tracks = 0;               // length of `tracks` (ignored when null)
    // Reverse complement (CPU path): window b's bins are written last to
    // first where reverse[b] != 0, and its slot t reads track
    // reverse_tracks[t] instead (a strand partner; null: the slot's own).
    const uint8_t* reverse = nullptr;
    const uint32_t* reverse_tracks = nullptr;  // T entries, with reverse
};

// Where Collection::region_sums writes: n x T arrays, element i * T + t.
struct RegionSumsOut {
    uint64_t* covered;  // bases of the region with data
    double* sum;        // sum of the values over those bases
    double* min;        // smallest and largest value there; NaN where nothing is covered
    double* max;
};

// What the decoded-block cache holds and has done (CollectionOptions::decoded_cache_bytes).
struct DecodedCacheStats {
    bool enabled = false;  // a decoded cache was asked for
    uint64_t bytes = 0, max_bytes = 0;
    uint64_t hits = 0, misses = 0, evictions = 0;
    uint64_t resumes = 0;  // cached prefixes a later window inflated on from where they stopped
};

class Collection {
public:
    // readers: empty, or one per path (null for a local path; file_source.hpp).
    Collection(const std::vector<std::string>& paths, const CollectionOptions& opt,
               const std::vector<std::shared_ptr<RangeReader>>& readers = {});
    ~Collection();
    Collection(const Collection&) = delete;
    Collection& operator=(const Collection&) = delete;

    size_t size() const;
    // Track t: its path, kind, what its header says and its own chromosomes.
    const std::string& path(size_t t) const;
    const BbiInfo& info(size_t t) const;
    const std::vector<Chrom>& chroms(size_t t) const;
    size_t threads() const;  // of its pool (CollectionOptions::threads)

    // Union of all tracks' chromosomes: name, largest size, tracks having it.
    const std::vector<std::string>& chrom_names() const;
    const std::vector<uint64_t>& chrom_sizes() const;
    const std::vector<uint32_t>& chrom_track_counts() const;
    uint32_t chrom_index(const std::string& name) const;  // throws KeyError

    void set_scale(std::vector<float> s);  // one factor per track
    const std::vector<float>& scale() const;

    // Fills `out` (sized by the caller from the spec) with the batch. Throws
    // RangeError for a bad window, FormatError naming the file for a bad block.
    void values(const BatchSpec& spec, void* out);

    // Intervals of chrom where the signal passes `threshold`: any track
    // (mean = false) or the mean over tracks, missing data counting 0. A
    // bigBed track's signal is its coverage depth (1 with bed_mask).
    // Stretches separated by at most merge_distance bases are merged.
    void intervals(uint32_t chrom, float threshold, bool mean, uint64_t merge_distance, std::vector<uint64_t>& starts,
                   std::vector<uint64_t>& ends);

    // One summary of each region [start[i], end[i]) of collection chrom
    // chrom[i] for each track: out[i * T + t] (row-major, T tracks), NaN
    // where the track has no data there or not that chromosome. Regions are
    // clipped to each file's chromosome; parallel over regions x tracks.
    void region_stats(const uint32_t* chrom, const int64_t* start, const int64_t* end, size_t n, Stat stat, bool exact,
                      const uint32_t* tracks, size_t T, double* out);

    // bigWigAverageOverBed's numbers for each region [start[i], end[i]) of
    // collection chrom chrom[i] and each of the T bigWig tracks: bases
    // covered, their sum, min and max (bases past a chromosome's end, or on
    // a chromosome a track lacks, are not covered). Regions may overlap;
    // each track's blocks under them are read once. Throws RangeError for a
    // bad region or a bigBed track, FormatError naming the file.
    void region_sums(const uint32_t* chrom, const int64_t* start, const int64_t* end, size_t n, const uint32_t* tracks,
                     size_t T, const RegionSumsOut& out);

    // Inflates every data block of track t (in parallel) and keeps them, so
    // later batches inflate nothing and look nothing up in the LRU; their
    // bytes count against the decoded cache's budget. Returns the bytes
    // added. Throws RangeError, naming the budget, when they do not fit (no
    // silent eviction storm), or when there is no decoded cache. Not while
    // batches are read.
    uint64_t preload(size_t t);

    // Stores (Collection(store=DIR) in Python, which keeps the directory):
    // one file per track holding its decoded blocks, mapped by every
    // process that reads the track. Writes track t's store file at `path`
    // (under a temporary name, then renamed); `identity` says what it was
    // built from. Throws IoError naming `path` (full disk, no permission).
    void build_store(size_t t, const std::string& path, const std::string& identity);
    // Track t reads its blocks from the store file at `path` from now on:
    // "" when it does, else why not (missing, truncated, damaged, another
    // identity or other blocks), and nothing changes. Not while batches are read.
    std::string use_store(size_t t, const std::string& path, const std::string& identity);
    // What identifies track t's content: a hash of its header, zoom
    // headers, chromosomes and index (16 hex digits).
    std::string fingerprint(size_t t) const;

    uint64_t host_cache_bytes() const;  // CollectionOptions::host_cache
    DecodedCacheStats decoded_cache_stats() const;

    // The engine's state (core/collection_impl.hpp); opaque here.
    struct Impl;
    Impl& impl() { return *impl_; }
    const Impl& impl() const { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace bwl
