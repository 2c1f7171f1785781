// The batcher: B windows x T tracks in one call.
//
// Plan: per track, each window's candidate blocks are a contiguous range of
// the file's sorted block array, chosen by core/block_select.hpp (as the GPU
// plan chooses them: cuda/plan.cpp). Windows whose ranges share a block form a
// component; a component is one task, so every block is read and inflated
// once per batch, and every output row is written by exactly one thread.
// Execute: tasks run on the pool; a task walks its blocks in order, opening
// a window's row at its first block and finishing it (window mean, dtype,
// layout) after its last, so only overlapping windows are held at once.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/block_select.hpp"
#include "core/block_inflater.hpp"
#include "core/inflate.hpp"
#include "core/preloaded.hpp"
#include "hd/bed.hpp"
#include "hd/convert.hpp"
#include "hd/section.hpp"

namespace bwl {

namespace {

// Copies a finished row of n floats to the output (last to first when
// `reverse`) with non-temporal stores: an output row is written once and
// not read here again, so streaming it skips reading each line first.
// stream_fence() orders them before the task is reported done.
void stream_row(float* dst, const float* src, size_t n, bool reverse) {
    auto at = [&](size_t k) { return reverse ? src[n - 1 - k] : src[k]; };
    size_t i = 0;
#if defined(__SSE2__)
    for (; i < n && (reinterpret_cast<uintptr_t>(dst + i) & 15); ++i) dst[i] = at(i);
    if (!reverse) {
        for (; i + 4 <= n; i += 4) _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
    } else {
        for (; i + 4 <= n; i += 4) {
            __m128 v = _mm_loadu_ps(src + n - 4 - i);
            _mm_stream_ps(dst + i, _mm_shuffle_ps(v, v, _MM_SHUFFLE(0, 1, 2, 3)));
        }
    }
#endif
    for (; i < n; ++i) dst[i] = at(i);
}

void stream_fence() {
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

struct Range {
    uint32_t first, last;  // candidate blocks [first, last) of the window's chrom
    uint32_t window;
};

// Windows are planned in groups: one per output slot, or two with
// BatchSpec::reverse_tracks (group slot + T holds the slot's reversed
// windows, which read another track).
struct Task {
    uint32_t slot;        // position in the batch's track list
    uint32_t group;       // planning group: ranges_[group]
    uint32_t file;        // the track its windows read
    uint32_t file_chrom;  // chrom position in that file
    uint32_t begin, end;  // its windows: ranges_[group][begin, end), sorted by first
};

// The least a block inflated only as far as its windows read grows by per
// step (block_bytes_needed guesses the rest of the way from the items so far).
constexpr uint64_t kInflateStep = 512;

// A block inflated only as far as its windows read, in steps
// (Batcher::inflate_prefix). Two per thread: the block read now and the one
// this thread reads next, inflated together (BlockInflater::extend_pair); a
// slot left part-way is taken up again when its block is read.
struct InflateSlot {
    BlockInflater inflater;
    ByteBuffer raw, buf;
    const BigWigFile* file = nullptr;
    uint64_t offset = 0, qe = 0, got = 0;  // got: bytes of buf inflated so far
    uint32_t chrom_id = 0;
    bool live = false;  // the inflater holds this block's stream
    bool resumed = false;  // started from a cached prefix's point (not from the stream's start)

    bool holds(const BigWigFile* f, uint64_t off, uint64_t end) const {
        return live && file == f && offset == off && qe >= end;
    }
};

// A compressed bigWig block a run of tasks will inflate, in reading order.
struct BlockNeed {
    const BigWigFile* file;
    uint64_t offset, size, qe;
    uint32_t chrom_id;
};

struct Scratch {
    ByteBuffer raw, buf;                    // whole blocks (bigBed, uncompressed files)
    InflateSlot slot[2];
    uint32_t cur = 0;                       // slot[cur]: the block read now
    std::vector<BlockNeed> plan;            // this run's blocks (Batcher::plan_inflates)
    size_t cursor = 0;                      // plan[cursor]: the next one to read
    std::vector<std::vector<float>> rows;   // per-base staging (window == 1, converted)
    std::vector<std::vector<double>> bins;  // (sum, bases) per bin (window > 1)
    std::vector<std::vector<int32_t>> diffs; // bigBed coverage difference arrays (bed.hpp)
    uint64_t preloaded_hits = 0;            // blocks served by preloaded tracks (counted as cache hits)
};

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// Staging slots of one task's open windows: a finished window's slot is
// reused, so a task holds only as many as windows overlap at once.
struct SlotPool {
    std::vector<size_t> free;
    size_t used = 0;
    size_t take() {
        if (free.empty()) return used++;
        size_t k = free.back();
        free.pop_back();
        return k;
    }
    void give(size_t k) { free.push_back(k); }
};

// Reads one batch: plan() groups windows into tasks, prefetch() asks
// remote tracks for every block at once, run_task() reads a task's blocks.
class Batcher {
public:
    Batcher(Collection& c, const BatchSpec& s, void* out) : c_(c), s_(s), out_(out) {}

    void run() {
        validate_batch(c_, s_);
        T_ = s_.tracks ? s_.n_tracks : c_.size();
        groups_ = s_.reverse && s_.reverse_tracks ? 2 * T_ : T_;
        Lout_ = s_.length / s_.window;
        pooled_ = s_.window > 1;
        plan();
        prefetch();
        // Tasks in runs of up to 16 per pool index: one atomic add of the
        // run's preloaded hits instead of one per task (a warm batch has
        // thousands of small tasks).
        const size_t n = tasks_.size(), run = std::clamp<size_t>(n / (8 * c_.pool().size()), 1, 16);
        std::atomic<uint64_t> hits{0};
        c_.pool().parallel_for((n + run - 1) / run, [&](size_t r) {
            Scratch& sc = scratch();
            uint64_t before = sc.preloaded_hits;
            plan_inflates(r * run, std::min(n, (r + 1) * run), sc);
            for (size_t k = r * run; k < std::min(n, (r + 1) * run); ++k) run_task(tasks_[k]);
            stream_fence();
            if (sc.preloaded_hits != before) hits += sc.preloaded_hits - before;
        });
        if (hits && c_.decoded_cache()) c_.decoded_cache()->add_hits(hits);
    }

private:
    uint32_t file_of(size_t slot) const { return s_.tracks ? s_.tracks[slot] : uint32_t(slot); }
    bool reversed(size_t b) const { return s_.reverse && s_.reverse[b]; }
    // Group g plans the windows of slot g % T_ that read file_of_group(g).
    uint32_t file_of_group(size_t g) const { return g < T_ ? file_of(g) : s_.reverse_tracks[g - T_]; }
    bool in_group(size_t g, size_t b) const { return groups_ == T_ || (g >= T_) == reversed(b); }

    // Window b's bases inside its chromosome (block_select.hpp).
    WindowSpan span(size_t b) const { return window_span(s_.start[b], s_.length); }

    // ---- plan: ranges per group, then tasks --------------------------------

    void plan() {
        ranges_.assign(groups_, {});
        std::vector<std::vector<Task>> per(groups_);
        c_.pool().parallel_for(groups_, [&](size_t g) {
            select_ranges(g);
            make_tasks(g, per[g]);
        });
        for (auto& p : per) tasks_.insert(tasks_.end(), p.begin(), p.end());
    }

    // Each window of group g: its candidate blocks (block_select.hpp), or,
    // when it has none, its row written at once (the default, or bigBed's 0).
    void select_ranges(size_t g) {
        uint32_t f = file_of_group(g), slot = uint32_t(g % T_);
        const BigWigFile& file = c_.file(f);
        auto& rs = ranges_[g];
        for (size_t b = 0; b < s_.batch; ++b) {
            if (!in_group(g, b)) continue;
            BlockRun run = select_blocks(file, c_.file_chrom(f, s_.chrom[b]), span(b));
            if (run.empty()) {
                if (file.bigbed()) bed_finish(b, slot, f, nullptr);  // no record: coverage 0
                else fill_default(b, slot);  // no block: the whole row is the default
                continue;
            }
            rs.push_back({run.first, run.last, uint32_t(b)});
        }
    }

    // Components: group g's ranges by chrom, merged where they share a block.
    void make_tasks(size_t g, std::vector<Task>& out) {
        uint32_t f = file_of_group(g), slot = uint32_t(g % T_);
        auto& rs = ranges_[g];
        std::sort(rs.begin(), rs.end(), [&](const Range& a, const Range& b) {
            uint32_t ca = s_.chrom[a.window], cb = s_.chrom[b.window];
            return ca != cb ? ca < cb : a.first != b.first ? a.first < b.first : a.window < b.window;
        });
        for (uint32_t i = 0; i < rs.size();) {
            uint32_t chrom = s_.chrom[rs[i].window], j = i + 1, reach = rs[i].last;
            while (j < rs.size() && s_.chrom[rs[j].window] == chrom && rs[j].first < reach) {
                reach = std::max(reach, rs[j].last);
                ++j;
            }
            out.push_back({slot, uint32_t(g), f, uint32_t(c_.file_chrom(f, chrom)), i, j});
            i = j;
        }
    }

    // Remote tracks: every block the batch reads (and the decoded cache
    // cannot serve) is requested before any is read, so each track costs a
    // few coalesced, concurrent requests instead of one round trip per block.
    void prefetch() {
        std::vector<ByteRanges> want(c_.size());
        const BlockCache* cache = c_.decoded_cache();
        for (const Task& t : tasks_) {
            const BigWigFile& file = c_.file(t.file);
            if (!file.source().remote() || c_.preloaded(t.file)) continue;  // preloaded: nothing to fetch
            const ChromBlocks& cb = file.index().chroms[t.file_chrom];
            for (uint32_t i = t.begin; i < t.end; ++i) {
                const Range& r = ranges_[t.group][i];
                WindowSpan sp = span(r.window);
                for (uint32_t blk = r.first; blk < r.last; ++blk)  // blocks shared by windows: merged by the reader
                    if (reads_block(cb, blk, sp) && !(cache && cache->contains(t.file, cb.offset[blk], cb.size[blk])))
                        want[t.file].emplace_back(cb.offset[blk], cb.size[blk]);
            }
        }
        for (size_t f = 0; f < want.size(); ++f)
            if (!want[f].empty()) c_.file(f).source().prefetch(std::move(want[f]));
    }

    // ---- output ------------------------------------------------------------

    // Index of output element (window b, track slot t, bin j); a reversed
    // window's bin j is stored at its mirror position.
    uint64_t out_index(size_t b, size_t t, uint64_t j) const {
        if (reversed(b)) j = Lout_ - 1 - j;
        return s_.layout == Layout::BTL ? (uint64_t(b) * T_ + t) * Lout_ + j : (uint64_t(b) * Lout_ + j) * T_ + t;
    }

    void fill_default(size_t b, size_t t) {
        float v = pooled_ && s_.summary == Summary::Mean0 ? 0.0f : s_.default_value;  // a window no block touches
        for (uint64_t j = 0; j < Lout_; ++j) store(out_, out_index(b, t, j), v, s_.dtype);
    }

    // Writes a finished staging row as the output's dtype and layout: a
    // per-base row (already holding the default where there is no data, and
    // NaN where the file says NaN), or summary.hpp's pairs per bin (NaN
    // values were skipped as no data).
    void finish_row(size_t b, size_t t, const float* row, const double* bins) {
        if (!bins && s_.dtype == DType::F32 && s_.layout == Layout::BTL) {  // rows of the output's own type and order
            float* dst = static_cast<float*>(out_) + (uint64_t(b) * T_ + t) * Lout_;  // the row's first element
            stream_row(dst, row, Lout_, reversed(b));
            return;
        }
        for (uint64_t j = 0; j < Lout_; ++j) {
            float v = bins ? summary_value(s_.summary, bins + 2 * j, s_.window, s_.default_value, s_.transform) : row[j];
            store(out_, out_index(b, t, j), v, s_.dtype);
        }
    }

    // ---- run: one task ---------------------------------------------------

    // One past the last block any window of the task reads.
    uint32_t last_block(const Task& task) const {
        uint32_t last = 0;
        for (uint32_t i = task.begin; i < task.end; ++i) last = std::max(last, ranges_[task.group][i].last);
        return last;
    }

    // The furthest end of the open windows (walk_task's Open) that read
    // block blk, 0 when none does; *readers: how many do.
    template <class Open>
    uint64_t furthest_end(const ChromBlocks& cb, uint32_t blk, const std::vector<Open>& open,
                          size_t* readers = nullptr) const {
        uint64_t qe = 0;
        size_t k = 0;
        for (const Open& o : open)
            if (reads_block(cb, blk, span(o.r->window))) {
                qe = std::max(qe, span(o.r->window).hi);
                ++k;
            }
        if (readers) *readers = k;
        return qe;
    }

    // The compressed bigWig blocks tasks [k0, k1) will inflate, in the order
    // they read them, each with the furthest end its windows read: the block
    // read next is then inflated together with the one read now. Thread-local
    // slots from an earlier run (or Collection) are dropped first.
    void plan_inflates(size_t k0, size_t k1, Scratch& sc) {
        sc.plan.clear();
        sc.cursor = 0;
        sc.slot[0].live = sc.slot[1].live = false;
        const BlockCache* cache = c_.decoded_cache();
        struct Open {
            const Range* r;
        };
        for (size_t k = k0; k < k1; ++k) {
            const Task& task = tasks_[k];
            const BigWigFile& file = c_.file(task.file);
            if (file.bigbed() || c_.preloaded(task.file) || file.header().uncompress_buf_size == 0) continue;
            const ChromBlocks& cb = file.index().chroms[task.file_chrom];
            const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
            walk_task<Open>(
                task, [](const Range& r) { return Open{&r}; },
                [&](uint32_t blk, const std::vector<Open>& open) {
                    uint64_t qe = furthest_end(cb, blk, open);
                    if (qe && !(cache && cache->contains(task.file, cb.offset[blk], cb.size[blk])))
                        sc.plan.push_back({&file, cb.offset[blk], cb.size[blk], qe, chrom_id});
                },
                [](Open&) {});
        }
    }

    // Walks a task's blocks in order: a window is opened at its first block
    // (open(range) returns its Open, which starts with `const Range* r`),
    // each block goes to read(blk, open windows), and a window is finished
    // after its last block (finish(Open&)). Only windows that overlap are
    // held at once.
    template <class Open, class OpenFn, class ReadFn, class FinishFn>
    void walk_task(const Task& task, OpenFn&& open_window, ReadFn&& read, FinishFn&& finish) {
        const Range* rs = ranges_[task.group].data();
        std::vector<Open> open;
        size_t next = task.begin;
        for (uint32_t blk = rs[task.begin].first, last = last_block(task); blk < last; ++blk) {
            for (; next < task.end && rs[next].first == blk; ++next) open.push_back(open_window(rs[next]));
            read(blk, open);
            for (size_t k = 0; k < open.size();) {
                if (open[k].r->last == blk + 1) {
                    finish(open[k]);
                    open[k] = open.back();
                    open.pop_back();
                } else {
                    ++k;
                }
            }
        }
    }

    // A bigWig window being read: a staging row (per base, or per bin when
    // pooling) in this thread's cache, written out when finished.
    struct RowOpen {
        const Range* r;
        float* row;      // per-base staging row, or null when pooled
        double* bins;    // (sum, bases) per bin when pooled
        size_t staging;  // index into sc.rows / sc.bins, returned to the slot pool when finished
        uint64_t budget; // bases its items may still write (see spend())
    };

    void run_task(const Task& task) {
        const BigWigFile& file = c_.file(task.file);
        if (file.bigbed()) return run_bed_task(task);
        Scratch& sc = scratch();
        SlotPool slots;
        walk_task<RowOpen>(
            task, [&](const Range& r) { return open_row(r, sc, slots); },
            [&](uint32_t blk, std::vector<RowOpen>& open) { read_rows(task, file, blk, open, sc); },
            [&](RowOpen& o) {
                finish_row(o.r->window, task.slot, o.row, o.bins);
                slots.give(o.staging);
            });
    }

    RowOpen open_row(const Range& r, Scratch& sc, SlotPool& slots) {
        RowOpen o{&r, nullptr, nullptr, 0, write_budget(s_.length)};
        o.staging = slots.take();
        if (o.staging == sc.rows.size()) {
            sc.rows.emplace_back();
            sc.bins.emplace_back();
        }
        if (pooled_) {
            auto& v = sc.bins[o.staging];
            v.resize(2 * Lout_);
            for (uint64_t j = 0; j < Lout_; ++j) summary_init(s_.summary, &v[2 * j]);
            o.bins = v.data();
        } else {
            auto& v = sc.rows[o.staging];
            v.assign(s_.length, s_.default_value);
            o.row = v.data();
        }
        return o;
    }

    // Block blk into every open window it overlaps: loaded (inflated only as
    // far as the furthest of them reads), then densified or pooled.
    void read_rows(const Task& task, const BigWigFile& file, uint32_t blk, std::vector<RowOpen>& open, Scratch& sc) {
        const ChromBlocks& cb = file.index().chroms[task.file_chrom];
        size_t readers;
        const uint64_t qe = furthest_end(cb, blk, open, &readers);
        if (!readers) return;
        const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
        const bool swap = file.header().swap;
        const float scale = c_.scale()[task.file];
        const uint8_t* data;
        uint64_t n;
        Block cached;  // keeps a cached block alive while we read it
        bool sorted = false;
        bool prefix = load(task, file, cb, blk, chrom_id, qe, readers > 1, sc, &cached, &data, &n, &sorted);
        for (RowOpen& o : open) {
            WindowSpan sp = span(o.r->window);
            if (!reads_block(cb, blk, sp)) continue;
            int st = o.bins ? pool_block(data, n, swap, chrom_id, sp.lo, sp.hi, s_.window, o.bins, scale, &o.budget,
                                         prefix, s_.summary, sorted, sp.lead)
                            : densify_block(data, n, swap, chrom_id, sp.lo, sp.hi, o.row + sp.lead, scale, &o.budget,
                                            prefix, &s_.transform, sorted);
            if (st != kSectionOk)
                throw FormatError(file.path() + ": " + section_status_text(st) + " (block at offset " +
                                  std::to_string(cb.offset[blk]) + ")");
        }
    }

    // bigBed tracks: per-base coverage of the window by the file's records
    // (bed.hpp's difference arrays), or 1 where any record covers
    // (CollectionOptions::bed_mask). Each block is read once per task, as
    // for bigWig tracks; blocks are inflated whole (records carry text).
    struct BedOpen {
        const Range* r;
        size_t diff;  // index into sc.diffs
    };

    void run_bed_task(const Task& task) {
        const BigWigFile& file = c_.file(task.file);
        Scratch& sc = scratch();
        SlotPool slots;
        walk_task<BedOpen>(
            task,
            [&](const Range& r) {
                size_t d = slots.take();
                if (d == sc.diffs.size()) sc.diffs.emplace_back();
                sc.diffs[d].assign(s_.length + 1, 0);
                return BedOpen{&r, d};
            },
            [&](uint32_t blk, std::vector<BedOpen>& open) { read_beds(task, file, blk, open, sc); },
            [&](BedOpen& o) {
                bed_finish(o.r->window, task.slot, task.file, sc.diffs[o.diff].data());
                slots.give(o.diff);
            });
    }

    // Block blk's records into every open window it overlaps.
    void read_beds(const Task& task, const BigWigFile& file, uint32_t blk, std::vector<BedOpen>& open, Scratch& sc) {
        const ChromBlocks& cb = file.index().chroms[task.file_chrom];
        bool any = false;
        for (const BedOpen& o : open) any |= reads_block(cb, blk, span(o.r->window));
        if (!any) return;
        const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
        const uint8_t* data;
        uint64_t n;
        Block cached = load_whole(task, file, cb, blk, sc, &data, &n);
        for (const BedOpen& o : open) {
            WindowSpan sp = span(o.r->window);
            if (!reads_block(cb, blk, sp)) continue;
            // diff is indexed from the window's first base: sp.lo sits at lead
            int st = bed_coverage_block(data, n, file.header().swap, chrom_id, sp.lo, sp.hi,
                                        sc.diffs[o.diff].data() + sp.lead);
            if (st != kSectionOk)
                throw FormatError(file.path() + ": BED record runs past the end of its block (block at offset " +
                                  std::to_string(cb.offset[blk]) + ")");
        }
    }

    // Writes window b of bigBed track slot t from its difference array
    // (null: no record): coverage (or mask) x scale inside the chromosome,
    // transformed as values from data; the default outside it (pad).
    void bed_finish(size_t b, size_t t, uint32_t f, const int32_t* diff) {
        uint64_t size = c_.chrom_sizes()[s_.chrom[b]];
        int64_t s0 = s_.start[b];
        float scale = c_.scale()[f];
        bool mask = c_.bed_mask();
        thread_local std::vector<double> acc;
        if (pooled_) {
            acc.resize(2 * Lout_);
            for (uint64_t j = 0; j < Lout_; ++j) summary_init(s_.summary, &acc[2 * j]);
        }
        int64_t cov = 0;
        for (uint64_t i = 0; i < s_.length; ++i) {
            if (diff) cov += diff[i];
            int64_t pos = s0 + int64_t(i);
            bool inside = pos >= 0 && uint64_t(pos) < size;
            float x = float(mask ? (cov > 0 ? 1 : 0) : cov) * scale;
            if (pooled_) {
                if (inside) summary_add(s_.summary, &acc[2 * (i / s_.window)], x, 1.0);
            } else {
                store(out_, out_index(b, t, i), inside ? transform_value(s_.transform, x) : s_.default_value, s_.dtype);
            }
        }
        if (pooled_)
            for (uint64_t j = 0; j < Lout_; ++j)
                store(out_, out_index(b, t, j),
                      summary_value(s_.summary, &acc[2 * j], s_.window, s_.default_value, s_.transform), s_.dtype);
    }

    // ---- blocks: preloaded, the decoded cache, or read and inflate ------------

    // Block blk of a preloaded track (counted as a cache hit), or null.
    const PreloadedBlock* preloaded(const Task& task, uint32_t blk, Scratch& sc) const {
        const PreloadedTrack* pre = c_.preloaded(task.file);
        if (!pre) return nullptr;
        ++sc.preloaded_hits;
        return &pre->block(task.file_chrom, blk);
    }

    // Block blk whole (bigBed: records carry text), from the decoded cache or
    // read and inflated into sc.buf (and cached). The returned block keeps a
    // cached one alive while *data is read.
    Block load_whole(const Task& task, const BigWigFile& file, const ChromBlocks& cb, uint32_t blk, Scratch& sc,
                     const uint8_t** data, uint64_t* n) {
        const uint32_t f = task.file;
        Block cached;
        if (const PreloadedBlock* b = preloaded(task, blk, sc)) {
            *data = b->data;
            *n = b->size;
            return cached;
        }
        BlockCache* cache = c_.decoded_cache();
        if (cache && (cached = cache->get(f, cb.offset[blk], cb.size[blk]))) {
            *data = cached->bytes.data();
            *n = cached->bytes.size();
            return cached;
        }
        *n = file.load_block(cb.offset[blk], cb.size[blk], sc.raw, sc.buf);
        *data = sc.buf.data();
        if (cache)
            cache->put(f, cb.offset[blk], cb.size[blk],
                       std::make_shared<const CachedBlock>(CachedBlock{{*data, *data + *n}, true, false, {}}));
        return cached;
    }

    // Makes block `blk` readable for windows on chrom_id ending by `qe`:
    // inflated only as far as they read (block_bytes_needed), or taken from
    // the decoded cache when the cached bytes reach that far (else inflated
    // further and cached again). Returns true when data[0, n) is a prefix.
    // *sorted: its items may be binary-searched (known for cached blocks,
    // checked once when caching, or when `many` windows read it now).
    bool load(const Task& task, const BigWigFile& file, const ChromBlocks& cb, uint32_t blk, uint32_t chrom_id,
              uint64_t qe, bool many, Scratch& sc, Block* cached, const uint8_t** data, uint64_t* n, bool* sorted) {
        const uint32_t f = task.file;
        if (const PreloadedBlock* b = preloaded(task, blk, sc)) {
            *data = b->data;
            *n = b->size;
            *sorted = b->sorted;
            return false;
        }
        const bool swap = file.header().swap;
        BlockCache* cache = c_.decoded_cache();
        Block shorter;  // a cached prefix too short for these windows: inflated on from its end
        if (cache && (*cached = cache->get(f, cb.offset[blk], cb.size[blk]))) {
            const CachedBlock& c = **cached;
            uint64_t need = c.complete ? c.bytes.size() : block_bytes_needed(c.bytes.data(), c.bytes.size(), swap, chrom_id, qe);
            if (need <= c.bytes.size()) {
                *data = c.bytes.data();
                *n = need;
                *sorted = c.sorted;
                return !c.complete;
            }
            shorter.swap(*cached);
        }
        bool prefix = false;
        uint64_t keep;  // all that was inflated, for later windows
        InflatePoint point;  // where that stopped
        if (file.header().uncompress_buf_size == 0) {
            keep = *n = file.load_block(cb.offset[blk], cb.size[blk], sc.raw, sc.buf);
            *data = sc.buf.data();
        } else {
            const InflateSlot& s = inflate_prefix(file, cb, blk, chrom_id, qe, sc, n, &prefix, shorter.get());
            *data = s.buf.data();
            keep = s.got;
            point = s.inflater.point();
            if (shorter && s.resumed) cache->add_resume();  // shorter came from the cache
        }
        if (cache) {
            *sorted = block_sorted(*data, keep, swap, prefix);
            cache->put(f, cb.offset[blk], cb.size[blk],
                       std::make_shared<const CachedBlock>(CachedBlock{{*data, *data + keep}, !prefix, *sorted, point}));
        } else if (many) {
            *sorted = block_sorted(*data, *n, swap, prefix);
        }
        return prefix;
    }

    // Reads block `off` of `file` into slot s and starts inflating it.
    // Read errors are thrown as they are; a bad stream header, as the
    // block's FormatError (fail_block).
    // With `from` (a cached prefix of the block and the point its stream
    // stopped at), the prefix is copied in and inflating goes on from that
    // point: only the current deflate block's header is read again.
    static void start(InflateSlot& s, const BigWigFile& file, uint64_t off, uint64_t size, uint64_t qe,
                      uint32_t chrom_id, const CachedBlock* from = nullptr) {
        s.live = s.resumed = false;
        uint64_t cap = file.read_compressed_block(off, size, s.raw, s.buf);
        s.got = 0;
        if (from && from->resume.valid && from->resume.out_pos == from->bytes.size() && from->bytes.size() <= cap) {
            std::memcpy(s.buf.data(), from->bytes.data(), from->bytes.size());
            try {
                s.inflater.resume(s.raw.data(), size, s.buf.data(), cap, from->resume);
                s.got = from->bytes.size();
                s.resumed = true;
            } catch (const FormatError&) {  // judged again from the start, below
            }
        }
        if (!s.resumed) {
            try {
                s.inflater.begin(s.raw.data(), size, s.buf.data(), cap);
            } catch (const FormatError& e) {
                file.fail_block(off, e.what());
            }
        }
        s.file = &file;
        s.offset = off;
        s.qe = qe;
        s.chrom_id = chrom_id;
        s.live = true;
    }

    // How far slot s must inflate next: 0 once it holds what its windows
    // read (*n: that length) or its whole stream (*prefix false).
    static uint64_t next_stop(const InflateSlot& s, uint64_t* n, bool* prefix) {
        uint64_t need = block_bytes_needed(s.buf.data(), s.got, s.file->header().swap, s.chrom_id, s.qe);
        if (need <= s.got) {
            *n = need;
            *prefix = true;
            return 0;
        }
        if (s.inflater.done()) {
            *n = s.got;
            *prefix = false;
            return 0;
        }
        return std::max(need, s.got + kInflateStep);  // steps of at least kInflateStep: each re-walks the sections
    }

    // The block this thread reads after `off` of `file` (its plan), or null.
    static const BlockNeed* read_next(Scratch& sc, const BigWigFile& file, uint64_t off) {
        constexpr size_t kLook = 4;  // a block the plan missed (a short cached prefix) is read alone
        for (size_t i = sc.cursor; i < sc.plan.size() && i < sc.cursor + kLook; ++i) {
            if (sc.plan[i].file != &file || sc.plan[i].offset != off) continue;
            sc.cursor = i + 1;
            return sc.cursor < sc.plan.size() ? &sc.plan[sc.cursor] : nullptr;
        }
        return nullptr;
    }

    // Inflates block `blk` until it holds what windows ending by `qe` read
    // (*n: that length; *prefix: it stopped early), together with the block
    // this thread reads next, which waits in the other slot; from the end of
    // `from`, a cached prefix of it, where there is one. Returns the slot
    // holding the block.
    const InflateSlot& inflate_prefix(const BigWigFile& file, const ChromBlocks& cb, uint32_t blk, uint32_t chrom_id,
                                      uint64_t qe, Scratch& sc, uint64_t* n, bool* prefix, const CachedBlock* from) {
        const uint64_t off = cb.offset[blk];
        if (sc.slot[1 - sc.cur].holds(&file, off, qe)) sc.cur = 1 - sc.cur;  // inflated (in part) with the last one
        InflateSlot& a = sc.slot[sc.cur];
        InflateSlot& b = sc.slot[1 - sc.cur];
        if (!a.holds(&file, off, qe)) start(a, file, off, cb.size[blk], qe, chrom_id, from);
        const BlockNeed* next = read_next(sc, file, off);
        if (next && !b.holds(next->file, next->offset, next->qe)) {
            try {
                start(b, *next->file, next->offset, next->size, next->qe, next->chrom_id);
            } catch (const std::exception&) {
                b.live = false;  // its read fails again, and is reported, when it is read
            }
        }
        try {
            bool pair = next && b.holds(next->file, next->offset, next->qe);
            uint64_t bn;
            bool bp;
            for (uint64_t stop; (stop = next_stop(a, n, prefix)) != 0;) {
                uint64_t stop_b = pair ? next_stop(b, &bn, &bp) : 0;
                if (stop_b) {
                    BlockInflater::extend_pair(a.inflater, stop, b.inflater, stop_b);
                    if (b.inflater.failed()) b.live = false;
                    else b.got = b.inflater.size();
                    pair = b.live;
                } else {
                    a.inflater.extend(stop);
                }
                a.got = a.inflater.size();
            }
            a.live = false;  // read: its bytes stay in a.buf until the slot is reused
            return a;
        } catch (const FormatError& e) {
            a.live = false;
            file.fail_block(off, e.what());
        }
    }

    Collection& c_;
    const BatchSpec& s_;
    void* out_;
    size_t T_ = 0, groups_ = 0;
    uint64_t Lout_ = 0;
    bool pooled_ = false;
    std::vector<std::vector<Range>> ranges_;
    std::vector<Task> tasks_;
};

}  // namespace

void validate_batch(const Collection& c, const BatchSpec& s) {
    if (s.length == 0) throw RangeError("window length must be > 0");
    if (s.window == 0 || s.length % s.window != 0)
        throw RangeError("length " + std::to_string(s.length) + " is not a multiple of window " +
                         std::to_string(s.window));
    if (s.tracks)
        for (size_t t = 0; t < s.n_tracks; ++t)
            if (s.tracks[t] >= c.size())
                throw RangeError("track index " + std::to_string(s.tracks[t]) + " out of range (" +
                                 std::to_string(c.size()) + " tracks)");
    if (s.reverse && s.reverse_tracks)
        for (size_t t = 0; t < (s.tracks ? s.n_tracks : c.size()); ++t)
            if (s.reverse_tracks[t] >= c.size())
                throw RangeError("reverse track index " + std::to_string(s.reverse_tracks[t]) + " out of range (" +
                                 std::to_string(c.size()) + " tracks)");
    const auto& names = c.chrom_names();
    for (size_t b = 0; b < s.batch; ++b) {
        if (s.chrom[b] >= names.size())
            throw RangeError("window " + std::to_string(b) + ": chrom index " + std::to_string(s.chrom[b]) +
                             " out of range");
        uint64_t size = c.chrom_sizes()[s.chrom[b]];
        if (s.pad) {
            if (s.start[b] < -(int64_t(1) << 62) || s.start[b] > (int64_t(1) << 62))  // far beyond any genome: overflow guard
                throw RangeError("window " + std::to_string(b) + ": start " + std::to_string(s.start[b]) + " is out of range");
            continue;
        }
        if (s.start[b] < 0 || uint64_t(s.start[b]) + s.length > size)
            throw RangeError("window " + std::to_string(b) + ": " + names[s.chrom[b]] + ":" +
                             std::to_string(s.start[b]) + "-" + std::to_string(s.start[b] + int64_t(s.length)) +
                             " is outside the chromosome (size " + std::to_string(size) + ")");
    }
}

void Collection::values(const BatchSpec& spec, void* out) { Batcher(*this, spec, out).run(); }

}  // namespace bwl
