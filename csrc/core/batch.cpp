// The batcher: B windows x T tracks in one call, in three rooms: the plan
// (core/batch_plan.hpp: each window's candidate blocks, grouped into tasks
// that share blocks), the blocks (core/block_source.hpp: preloaded, cached,
// or read and inflated only as far as windows read), and here the walk:
// tasks run on the pool; a task walks its blocks in order, opening a
// window's row at its first block and finishing it (bin summary, dtype,
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
#include "core/batch_plan.hpp"
#include "core/block_select.hpp"
#include "core/block_source.hpp"
#include "core/collection_impl.hpp"
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

// One thread's staging rows, reused from task to task.
struct Staging {
    std::vector<std::vector<float>> rows;     // per-base staging (window == 1, converted)
    std::vector<std::vector<double>> bins;    // (sum, bases) per bin (window > 1)
    std::vector<std::vector<int32_t>> diffs;  // bigBed coverage difference arrays (bed.hpp)
    std::vector<float> summaries;             // a finished pooled row's bin values (finish_row)
};

Staging& staging() {
    thread_local Staging s;
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

// Reads one batch: the plan's tasks on the pool, each window's blocks from
// the block source, each finished row into the output.
class Batcher {
public:
    Batcher(Collection& c, const BatchSpec& s, void* out)
        : e_(c.impl()),
          s_(s),
          out_(out),
          plan_(c, s, e_.pool),
          src_(e_),
          T_(plan_.slots()),
          Lout_(s.length / s.window),
          pooled_(s.window > 1),
          plain_(transform_is_identity(s.transform)) {}

    void run() {
        write_unread();
        prefetch();
        // Tasks in runs of up to 16 per pool index: one atomic add of the
        // run's preloaded hits instead of one per task (a warm batch has
        // thousands of small tasks).
        const auto& tasks = plan_.tasks();
        const size_t n = tasks.size(), run = std::clamp<size_t>(n / (8 * e_.pool.size()), 1, 16);
        std::atomic<uint64_t> hits{0};
        e_.pool.parallel_for((n + run - 1) / run, [&](size_t r) {
            uint64_t before = BlockSource::preloaded_hits();
            plan_inflates(r * run, std::min(n, (r + 1) * run));
            for (size_t k = r * run; k < std::min(n, (r + 1) * run); ++k) run_task(tasks[k]);
            stream_fence();
            if (uint64_t now = BlockSource::preloaded_hits(); now != before) hits += now - before;
        });
        if (hits && e_.decoded_cache()) e_.decoded_cache()->add_hits(hits);
    }

private:
    bool reversed(size_t b) const { return plan_.reversed(b); }
    // Window b's bases inside its chromosome (block_select.hpp).
    WindowSpan span(size_t b) const { return window_span(s_.start[b], s_.length); }
    static BlockAt at(const Task& t, uint32_t blk) { return {t.file, t.file_chrom, blk}; }

    // Windows no block touches: the default (bigBed: coverage 0), in parallel.
    void write_unread() {
        const auto& un = plan_.unread();
        constexpr size_t kChunk = 64;
        e_.pool.parallel_for((un.size() + kChunk - 1) / kChunk, [&](size_t i) {
            for (size_t k = i * kChunk; k < std::min(un.size(), (i + 1) * kChunk); ++k) {
                const Unread& u = un[k];
                if (e_.file(u.file).bigbed()) bed_finish(u.window, u.slot, u.file, nullptr);
                else fill_default(u.window, u.slot);
            }
        });
        if (!un.empty()) stream_fence();
    }

    // Remote tracks: every block the batch reads (and the decoded cache
    // cannot serve) is requested before any is read, so each track costs a
    // few coalesced, concurrent requests instead of one round trip per block.
    void prefetch() {
        std::vector<ByteRanges> want(e_.files.size());
        const BlockCache* cache = e_.decoded_cache();
        for (const Task& t : plan_.tasks()) {
            const BbiFile& file = e_.file(t.file);
            if (!file.source().remote() || e_.preloaded_track(t.file)) continue;  // preloaded: nothing to fetch
            const ChromBlocks& cb = file.index().chroms[t.file_chrom];
            for (uint32_t i = t.begin; i < t.end; ++i) {
                const Range& r = plan_.ranges(t.group)[i];
                WindowSpan sp = span(r.window);
                for (uint32_t blk = r.first; blk < r.last; ++blk)  // blocks shared by windows: merged by the reader
                    if (reads_block(cb, blk, sp) && !(cache && cache->contains(t.file, cb.offset[blk], cb.size[blk])))
                        want[t.file].emplace_back(cb.offset[blk], cb.size[blk]);
            }
        }
        for (size_t f = 0; f < want.size(); ++f)
            if (!want[f].empty()) e_.file(f).source().prefetch(std::move(want[f]));
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
        if (bins && plain_) {  // the bins' values first, a row at a time; then written as a per-base row is
            std::vector<float>& v = staging().summaries;
            v.resize(Lout_);
            summary_row(s_.summary, bins, Lout_, s_.window, s_.default_value, v.data());
            row = v.data();
            bins = nullptr;
        }
        if (!bins && s_.dtype == DType::F32 && s_.layout == Layout::BTL) {  // rows of the output's own type and order
            float* dst = static_cast<float*>(out_) + (uint64_t(b) * T_ + t) * Lout_;  // the row's first element
            stream_row(dst, row, Lout_, reversed(b));
            return;
        }
        for (uint64_t j = 0; j < Lout_; ++j) {
            float v =
                bins ? summary_value(s_.summary, bins + 2 * j, s_.window, s_.default_value, s_.transform) : row[j];
            store(out_, out_index(b, t, j), v, s_.dtype);
        }
    }

    // ---- the walk ------------------------------------------------------------

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
    // they read them, each with the furthest end its windows read: this
    // thread's plan (BlockSource::begin_plan), so the block read next is
    // inflated together with the one read now.
    void plan_inflates(size_t k0, size_t k1) {
        std::vector<PlannedInflate>& plan = BlockSource::begin_plan();
        struct Open {
            const Range* r;
        };
        for (size_t k = k0; k < k1; ++k) {
            const Task& task = plan_.tasks()[k];
            const BbiFile& file = e_.file(task.file);
            if (file.bigbed() || e_.preloaded_track(task.file) || file.header().uncompress_buf_size == 0) continue;
            const ChromBlocks& cb = file.index().chroms[task.file_chrom];
            const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
            walk_task<Open>(
                task, [](const Range& r) { return Open{&r}; },
                [&](uint32_t blk, const std::vector<Open>& open) {
                    uint64_t qe = furthest_end(cb, blk, open);
                    if (qe && src_.inflates(at(task, blk)))
                        plan.push_back({&file, cb.offset[blk], cb.size[blk], qe, chrom_id});
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
        const Range* rs = plan_.ranges(task.group).data();
        std::vector<Open> open;
        size_t next = task.begin;
        for (uint32_t blk = rs[task.begin].first, last = plan_.last_block(task); blk < last; ++blk) {
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
        float* row;       // per-base staging row, or null when pooled
        double* bins;     // (sum, bases) per bin when pooled
        size_t staging;   // index into Staging::rows / bins, returned to the slot pool when finished
        uint64_t budget;  // bases its items may still write (see spend())
    };

    void run_task(const Task& task) {
        const BbiFile& file = e_.file(task.file);
        if (file.bigbed()) return run_bed_task(task);
        Staging& st = staging();
        SlotPool slots;
        walk_task<RowOpen>(
            task, [&](const Range& r) { return open_row(r, st, slots); },
            [&](uint32_t blk, std::vector<RowOpen>& open) { read_rows(task, file, blk, open); },
            [&](RowOpen& o) {
                finish_row(o.r->window, task.slot, o.row, o.bins);
                slots.give(o.staging);
            });
    }

    RowOpen open_row(const Range& r, Staging& st, SlotPool& slots) {
        RowOpen o{&r, nullptr, nullptr, 0, write_budget(s_.length)};
        o.staging = slots.take();
        if (o.staging == st.rows.size()) {
            st.rows.emplace_back();
            st.bins.emplace_back();
        }
        if (pooled_) {
            auto& v = st.bins[o.staging];
            v.resize(2 * Lout_);
            summary_init_row(s_.summary, v.data(), Lout_);
            o.bins = v.data();
        } else {
            auto& v = st.rows[o.staging];
            v.assign(s_.length, s_.default_value);
            o.row = v.data();
        }
        return o;
    }

    // Block blk into every open window it overlaps: loaded (inflated only as
    // far as the furthest of them reads), then densified or pooled.
    void read_rows(const Task& task, const BbiFile& file, uint32_t blk, std::vector<RowOpen>& open) {
        const ChromBlocks& cb = file.index().chroms[task.file_chrom];
        size_t readers;
        const uint64_t qe = furthest_end(cb, blk, open, &readers);
        if (!readers) return;
        const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
        const bool swap = file.header().swap;
        const float scale = e_.scale[task.file];
        const LoadedBlock b = src_.load(at(task, blk), qe, readers > 1);
        for (RowOpen& o : open) {
            WindowSpan sp = span(o.r->window);
            if (!reads_block(cb, blk, sp)) continue;
            int st = o.bins ? pool_block(b.data, b.size, swap, chrom_id, sp.lo, sp.hi, s_.window, o.bins, scale,
                                         &o.budget, b.extent, s_.summary, b.order, sp.lead)
                            : densify_block(b.data, b.size, swap, chrom_id, sp.lo, sp.hi, o.row + sp.lead, scale,
                                            &o.budget, b.extent, &s_.transform, b.order);
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
        size_t diff;  // index into Staging::diffs
    };

    void run_bed_task(const Task& task) {
        const BbiFile& file = e_.file(task.file);
        Staging& st = staging();
        SlotPool slots;
        walk_task<BedOpen>(
            task,
            [&](const Range& r) {
                size_t d = slots.take();
                if (d == st.diffs.size()) st.diffs.emplace_back();
                st.diffs[d].assign(s_.length + 1, 0);
                return BedOpen{&r, d};
            },
            [&](uint32_t blk, std::vector<BedOpen>& open) { read_beds(task, file, blk, open, st); },
            [&](BedOpen& o) {
                bed_finish(o.r->window, task.slot, task.file, st.diffs[o.diff].data());
                slots.give(o.diff);
            });
    }

    // Block blk's records into every open window it overlaps.
    void read_beds(const Task& task, const BbiFile& file, uint32_t blk, std::vector<BedOpen>& open, Staging& st) {
        const ChromBlocks& cb = file.index().chroms[task.file_chrom];
        bool any = false;
        for (const BedOpen& o : open) any |= reads_block(cb, blk, span(o.r->window));
        if (!any) return;
        const uint32_t chrom_id = file.chroms()[task.file_chrom].id;
        const LoadedBlock b = src_.load_whole(at(task, blk));
        for (const BedOpen& o : open) {
            WindowSpan sp = span(o.r->window);
            if (!reads_block(cb, blk, sp)) continue;
            // diff is indexed from the window's first base: sp.lo sits at lead
            int code = bed_coverage_block(b.data, b.size, file.header().swap, chrom_id, sp.lo, sp.hi,
                                          st.diffs[o.diff].data() + sp.lead);
            if (code != kSectionOk)
                throw FormatError(file.path() + ": BED record runs past the end of its block (block at offset " +
                                  std::to_string(cb.offset[blk]) + ")");
        }
    }

    // Writes window b of bigBed track slot t from its difference array
    // (null: no record): coverage (or mask) x scale inside the chromosome,
    // transformed as values from data; the default outside it (pad).
    void bed_finish(size_t b, size_t t, uint32_t f, const int32_t* diff) {
        uint64_t size = e_.sizes[s_.chrom[b]];
        int64_t s0 = s_.start[b];
        float scale = e_.scale[f];
        bool mask = e_.bed_mask;
        thread_local std::vector<double> acc;
        if (pooled_) {
            acc.resize(2 * Lout_);
            summary_init_row(s_.summary, acc.data(), Lout_);
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

    Collection::Impl& e_;
    const BatchSpec& s_;
    void* out_;
    BatchPlan plan_;
    BlockSource src_;
    size_t T_;
    uint64_t Lout_;
    bool pooled_;
    bool plain_;  // no transform: pooled rows are finished by summary_row
};

}  // namespace

void Collection::values(const BatchSpec& spec, void* out) { Batcher(*this, spec, out).run(); }

}  // namespace bwl
