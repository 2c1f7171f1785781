// GPU batch planning; see plan.hpp. Per track (in parallel on the
// collection's pool): each window's overlapping blocks, then the track's
// distinct blocks (sort + unique). A track whose blocks exceed the budget
// is cut into pieces of windows sorted by position (a block shared across a
// cut is fetched twice). Pieces are packed into chunks in order.
#include "cuda/plan.hpp"

#include <algorithm>
#include <string>

#include "bwl/error.hpp"
#include "core/batch_plan.hpp"  // validate_batch
#include "core/block_select.hpp"
#include "core/collection_impl.hpp"
#include "core/inflate.hpp"

namespace bwl {
namespace cuda {

namespace {

uint64_t align_up(uint64_t x) { return (x + kPlanAlign - 1) / kPlanAlign * kPlanAlign; }

// A window of one track: its bases and candidate blocks (block_select.hpp).
struct RowRef {
    uint32_t b;
    int32_t fc;  // file chrom, -1: none
    WindowSpan span;
    BlockRun run;
};

// A track, or a piece of one: its rows and distinct blocks.
struct Unit {
    uint32_t slot = 0;
    std::vector<uint64_t> keys;  // fc << 32 | block index, sorted
    std::vector<uint64_t> qe;    // per key: the furthest window end of the rows that read it
    std::vector<DensifyRow> rows;
    std::vector<uint32_t> rb;  // per row, indices into keys
    uint64_t src = 0, dst = 0;
};

uint32_t file_of(const BatchSpec& s, size_t slot) { return s.tracks ? s.tracks[slot] : uint32_t(slot); }

// Device bytes of block k: its compressed bytes in staging (none with the
// device cache), and its inflated capacity, aligned (compressed files).
struct BlockCost {
    uint64_t src, dst;
};
BlockCost block_cost(const BbiFile& file, const ChromBlocks& cb, size_t k, bool device_cache) {
    const uint64_t ubuf = file.header().uncompress_buf_size;
    return {device_cache ? 0 : cb.size[k], ubuf ? align_up(inflated_capacity(ubuf, cb.size[k])) : 0};
}

// The track's windows with their blocks, in position order (so a piece
// holds neighbouring windows).
std::vector<RowRef> select_rows(Collection& c, const BatchSpec& s, uint32_t f) {
    const BbiFile& file = c.impl().file(f);
    std::vector<RowRef> refs(s.batch);
    for (size_t b = 0; b < s.batch; ++b) {
        int32_t fc = c.impl().file_chrom(f, s.chrom[b]);
        WindowSpan w = window_span(s.start[b], s.length);
        refs[b] = {uint32_t(b), fc, w, select_blocks(file, fc, w)};
    }
    std::sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) {
        return a.fc != b.fc ? a.fc < b.fc : a.run.first != b.run.first ? a.run.first < b.run.first : a.b < b.b;
    });
    return refs;
}

// Finishes a piece: its distinct blocks (sort + unique of the rows' keys),
// each row's list of them, each block's furthest window end, and its bytes.
void close_unit(Unit& u, std::vector<std::vector<uint64_t>>& row_keys, const BatchSpec& s, const BbiFile& file,
                bool device_cache) {
    for (auto& rk : row_keys) u.keys.insert(u.keys.end(), rk.begin(), rk.end());
    std::sort(u.keys.begin(), u.keys.end());
    u.keys.erase(std::unique(u.keys.begin(), u.keys.end()), u.keys.end());
    u.qe.assign(u.keys.size(), 0);
    for (size_t i = 0; i < row_keys.size(); ++i) {
        DensifyRow& r = u.rows[i];
        const uint64_t end = window_span(s.start[r.b], s.length).hi;
        r.blk_begin = uint32_t(u.rb.size());
        for (uint64_t key : row_keys[i]) {
            uint32_t k = uint32_t(std::lower_bound(u.keys.begin(), u.keys.end(), key) - u.keys.begin());
            u.rb.push_back(k);
            u.qe[k] = std::max(u.qe[k], end);
        }
        r.blk_end = uint32_t(u.rb.size());
    }
    for (uint64_t key : u.keys) {
        BlockCost cost = block_cost(file, file.index().chroms[key >> 32], size_t(key & 0xFFFFFFFFu), device_cache);
        u.src += cost.src;
        u.dst += cost.dst;
    }
    row_keys.clear();
}

// One track's rows, cut into pieces of at most `budget` device bytes (a
// piece holds at least one row; a block shared across a cut is fetched twice).
std::vector<Unit> plan_track(Collection& c, const BatchSpec& s, size_t slot, uint64_t budget, bool device_cache) {
    const uint32_t f = file_of(s, slot);
    const BbiFile& file = c.impl().file(f);
    std::vector<Unit> out(1);
    out.back().slot = uint32_t(slot);
    uint64_t est = 0;  // the current piece's bytes, counting shared blocks once per row (an upper bound)
    std::vector<std::vector<uint64_t>> row_keys;  // per row of the current piece
    for (const RowRef& ref : select_rows(c, s, f)) {
        DensifyRow r{};
        r.qs = ref.span.lo;
        r.lead = ref.span.lead;
        r.b = ref.b;
        r.slot = uint32_t(slot);
        r.scale = c.scale()[f];
        std::vector<uint64_t> keys;
        uint64_t row_cost = 0;
        if (ref.fc >= 0) {
            const ChromBlocks& cb = file.index().chroms[ref.fc];
            r.chrom_id = file.chroms()[ref.fc].id;
            for (size_t k = ref.run.first; k < ref.run.last; ++k)
                if (reads_block(cb, k, ref.span)) {
                    keys.push_back(uint64_t(ref.fc) << 32 | k);
                    BlockCost cost = block_cost(file, cb, k, device_cache);
                    row_cost += cost.src + cost.dst;
                }
        }
        if (!row_keys.empty() && est + row_cost > budget) {
            close_unit(out.back(), row_keys, s, file, device_cache);
            out.emplace_back();
            out.back().slot = uint32_t(slot);
            est = 0;
        }
        est += row_cost;
        out.back().rows.push_back(r);
        row_keys.push_back(std::move(keys));
    }
    close_unit(out.back(), row_keys, s, file, device_cache);
    return out;
}

// Packs pieces into chunks in order, laying out blocks and offsets.
class ChunkPacker {
public:
    ChunkPacker(Plan& plan, uint64_t budget, bool device_cache)
        : plan_(plan), budget_(budget), device_cache_(device_cache) {
        start();
    }

    void add(const BbiFile& file, uint32_t f, Unit& u) {
        if (ch_.unit_count && ch_.src_bytes + ch_.dst_bytes + u.src + u.dst > budget_) {
            finish();
            start();
        }
        uint32_t base = uint32_t(plan_.blocks.size()) - ch_.block_begin;
        for (size_t ki = 0; ki < u.keys.size(); ++ki) add_block(file, f, u.keys[ki], u.qe[ki]);
        uint32_t rb_base = uint32_t(plan_.row_blocks.size()) - ch_.rb_begin;
        for (DensifyRow r : u.rows) {
            r.blk_begin += rb_base;
            r.blk_end += rb_base;
            plan_.rows.push_back(r);
        }
        for (uint32_t i : u.rb) plan_.row_blocks.push_back(base + i);
        ++ch_.unit_count;
        std::vector<uint64_t>().swap(u.keys);
        std::vector<uint64_t>().swap(u.qe);
    }

    void finish() {
        ch_.block_end = uint32_t(plan_.blocks.size());
        ch_.row_end = uint32_t(plan_.rows.size());
        ch_.rb_end = uint32_t(plan_.row_blocks.size());
        plan_.max_src = std::max(plan_.max_src, ch_.src_bytes);
        plan_.max_dst = std::max(plan_.max_dst, ch_.dst_bytes);
        plan_.max_blocks = std::max(plan_.max_blocks, ch_.block_end - ch_.block_begin);
        plan_.max_rows = std::max(plan_.max_rows, ch_.row_end - ch_.row_begin);
        plan_.max_rb = std::max(plan_.max_rb, ch_.rb_end - ch_.rb_begin);
        plan_.max_jobs = std::max(plan_.max_jobs, ch_.compressed_blocks);
        plan_.chunks.push_back(ch_);
    }

private:
    void start() {
        ch_ = PlanChunk{};
        ch_.block_begin = uint32_t(plan_.blocks.size());
        ch_.row_begin = uint32_t(plan_.rows.size());
        ch_.rb_begin = uint32_t(plan_.row_blocks.size());
    }

    void add_block(const BbiFile& file, uint32_t f, uint64_t key, uint64_t qe) {
        const ChromBlocks& cb = file.index().chroms[key >> 32];
        const size_t k = size_t(key & 0xFFFFFFFFu);
        const uint64_t ubuf = file.header().uncompress_buf_size;
        PlanBlock pb{};
        pb.track = f;
        pb.compressed = ubuf != 0;
        pb.offset = cb.offset[k];
        pb.size = cb.size[k];
        pb.swap = file.header().swap;
        pb.chrom_id = file.chroms()[key >> 32].id;
        pb.start = cb.start[k];
        pb.end = cb.end[k];
        pb.qe = qe;
        if (!device_cache_) {
            pb.src_off = ch_.src_bytes;
            ch_.src_bytes += pb.size;  // packed: adjacent blocks of a file are one read
        }
        if (pb.compressed) {
            pb.cap = inflated_capacity(ubuf, pb.size);
            pb.dst_off = ch_.dst_bytes;
            ch_.dst_bytes += align_up(pb.cap);
            ++ch_.compressed_blocks;
        }
        plan_.blocks.push_back(pb);
    }

    Plan& plan_;
    uint64_t budget_;
    bool device_cache_;
    PlanChunk ch_{};
};

}  // namespace

DensifyParams densify_params(const BatchSpec& spec, const Plan& plan, void* out) {
    DensifyParams p;
    p.out = out;
    p.length = spec.length;
    p.T = plan.T;
    p.Lout = plan.Lout;
    p.window = spec.window;
    p.dflt = spec.default_value;
    p.dtype = spec.dtype;
    p.layout = spec.layout;
    p.summary = spec.summary;
    p.transform = spec.transform;
    return p;
}

void make_plan(Collection& c, const BatchSpec& s, uint64_t budget, bool device_cache, Plan& plan) {
    validate_batch(c, s);
    if (s.reverse) throw RangeError("reverse windows are a CPU-path option (the CUDA Loader flips on the GPU)");
    plan = Plan();
    plan.T = s.tracks ? s.n_tracks : c.size();
    plan.Lout = s.length / s.window;
    if (budget == 0) budget = 1;
    std::vector<std::vector<Unit>> units(plan.T);
    c.impl().pool.parallel_for(plan.T,
                               [&](size_t slot) { units[slot] = plan_track(c, s, slot, budget, device_cache); });
    ChunkPacker pack(plan, budget, device_cache);
    for (size_t slot = 0; slot < plan.T; ++slot)
        for (Unit& u : units[slot]) pack.add(c.impl().file(file_of(s, slot)), file_of(s, slot), u);
    pack.finish();
}

}  // namespace cuda
}  // namespace bwl
