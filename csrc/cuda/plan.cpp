// GPU batch planning; see plan.hpp. Per track (in parallel on the
// collection's pool): each window's overlapping blocks, then the track's
// distinct blocks (sort + unique). A track whose blocks exceed the budget
// is cut into pieces of windows sorted by position (a block shared across a
// cut is fetched twice). Pieces are packed into chunks in order.
#include "cuda/plan.hpp"

#include <algorithm>
#include <string>

#include "bwl/error.hpp"

namespace bwl {
namespace cuda {

namespace {

uint64_t align_up(uint64_t x) { return (x + kPlanAlign - 1) / kPlanAlign * kPlanAlign; }

struct RowRef {
    uint32_t b;
    int32_t fc;               // file chrom, -1: none
    uint32_t first, last;     // R-tree candidates
};

// A track, or a piece of one: its rows and distinct blocks.
struct Unit {
    uint32_t slot = 0;
    std::vector<uint64_t> keys;  // fc << 32 | block index, sorted
    std::vector<uint64_t> qe;    // per key: the furthest window end of the rows that read it
    std::vector<DensifyRow> rows;
    std::vector<uint32_t> rb;    // per row, indices into keys
    uint64_t src = 0, dst = 0;
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
    const size_t T = plan.T;
    std::vector<std::vector<Unit>> units(T);

    c.pool().parallel_for(T, [&](size_t slot) {
        uint32_t f = s.tracks ? s.tracks[slot] : uint32_t(slot);
        const BigWigFile& file = c.file(f);
        const bool comp = file.header().uncompress_buf_size != 0;
        const uint64_t ubuf = file.header().uncompress_buf_size;
        auto cost = [&](const ChromBlocks& cb, size_t k) {
            uint64_t src = device_cache ? 0 : cb.size[k];
            uint64_t dst = comp ? align_up(std::min<uint64_t>(ubuf, cb.size[k] * kMaxDeflateRatio + 64)) : 0;
            return src + dst;
        };
        // A window's genome bases: [qs, qe) of DensifyRow (qs clipped at 0; BatchSpec::pad).
        auto overlaps = [&](const ChromBlocks& cb, size_t k, uint64_t qs, uint64_t qe) {
            return cb.end[k] > qs && cb.start[k] < qe;
        };
        auto window_end = [&](const DensifyRow& r) { return r.lead < s.length ? r.qs + s.length - r.lead : r.qs; };

        std::vector<RowRef> refs(s.batch);
        for (size_t b = 0; b < s.batch; ++b) {
            int32_t fc = c.file_chrom(f, s.chrom[b]);
            size_t first = 0, last = 0;
            int64_t st = s.start[b], en = st + int64_t(s.length);
            if (fc >= 0 && en > 0)
                file.index().chroms[fc].overlapping(st < 0 ? 0 : uint64_t(st), uint64_t(en), &first, &last);
            refs[b] = {uint32_t(b), fc, uint32_t(first), uint32_t(last)};
        }
        // Position order, so a piece holds neighbouring windows.
        std::sort(refs.begin(), refs.end(), [](const RowRef& a, const RowRef& b) {
            return a.fc != b.fc ? a.fc < b.fc : a.first != b.first ? a.first < b.first : a.b < b.b;
        });

        auto& out = units[slot];
        out.emplace_back();
        out.back().slot = uint32_t(slot);
        uint64_t est = 0;  // the current piece's bytes, counting shared blocks once per row (an upper bound)
        std::vector<std::vector<uint64_t>> row_keys;  // per row of the current piece
        auto close = [&]() {
            Unit& u = out.back();
            for (auto& rk : row_keys) u.keys.insert(u.keys.end(), rk.begin(), rk.end());
            std::sort(u.keys.begin(), u.keys.end());
            u.keys.erase(std::unique(u.keys.begin(), u.keys.end()), u.keys.end());
            u.qe.assign(u.keys.size(), 0);
            for (size_t i = 0; i < row_keys.size(); ++i) {
                DensifyRow& r = u.rows[i];
                r.blk_begin = uint32_t(u.rb.size());
                for (uint64_t key : row_keys[i]) {
                    uint32_t k = uint32_t(std::lower_bound(u.keys.begin(), u.keys.end(), key) - u.keys.begin());
                    u.rb.push_back(k);
                    u.qe[k] = std::max(u.qe[k], window_end(r));
                }
                r.blk_end = uint32_t(u.rb.size());
            }
            for (uint64_t key : u.keys) {
                const ChromBlocks& cb = file.index().chroms[key >> 32];
                size_t k = size_t(key & 0xFFFFFFFFu);
                uint64_t src = device_cache ? 0 : cb.size[k];
                u.src += src;
                u.dst += cost(cb, k) - src;
            }
            row_keys.clear();
        };
        for (const RowRef& ref : refs) {
            DensifyRow r{};
            r.qs = s.start[ref.b] < 0 ? 0 : uint64_t(s.start[ref.b]);
            r.lead = s.start[ref.b] < 0 ? uint64_t(-s.start[ref.b]) : 0;
            r.b = ref.b;
            r.slot = uint32_t(slot);
            r.scale = c.scale()[f];
            std::vector<uint64_t> keys;
            uint64_t row_cost = 0;
            if (ref.fc >= 0) {
                const ChromBlocks& cb = file.index().chroms[ref.fc];
                r.chrom_id = file.chroms()[ref.fc].id;
                for (size_t k = ref.first; k < ref.last; ++k)
                    if (overlaps(cb, k, r.qs, window_end(r))) {
                        keys.push_back(uint64_t(ref.fc) << 32 | k);
                        row_cost += cost(cb, k);
                    }
            }
            if (!row_keys.empty() && est + row_cost > budget) {
                close();
                out.emplace_back();
                out.back().slot = uint32_t(slot);
                est = 0;
            }
            est += row_cost;
            out.back().rows.push_back(r);
            row_keys.push_back(std::move(keys));
        }
        close();
    });

    // Pack pieces into chunks, in order; lay out blocks and offsets.
    PlanChunk ch{};
    auto finish_chunk = [&]() {
        ch.block_end = uint32_t(plan.blocks.size());
        ch.row_end = uint32_t(plan.rows.size());
        ch.rb_end = uint32_t(plan.row_blocks.size());
        plan.max_src = std::max(plan.max_src, ch.src_bytes);
        plan.max_dst = std::max(plan.max_dst, ch.dst_bytes);
        plan.max_blocks = std::max(plan.max_blocks, ch.block_end - ch.block_begin);
        plan.max_rows = std::max(plan.max_rows, ch.row_end - ch.row_begin);
        plan.max_rb = std::max(plan.max_rb, ch.rb_end - ch.rb_begin);
        plan.max_jobs = std::max(plan.max_jobs, ch.compressed_blocks);
        plan.chunks.push_back(ch);
    };
    ch.block_begin = ch.row_begin = ch.rb_begin = 0;
    for (size_t slot = 0; slot < T; ++slot) {
        uint32_t f = s.tracks ? s.tracks[slot] : uint32_t(slot);
        const BigWigFile& file = c.file(f);
        const bool comp = file.header().uncompress_buf_size != 0;
        const uint64_t ubuf = file.header().uncompress_buf_size;
        for (Unit& u : units[slot]) {
            if (ch.unit_count && ch.src_bytes + ch.dst_bytes + u.src + u.dst > budget) {
                finish_chunk();
                ch = PlanChunk{};
                ch.block_begin = uint32_t(plan.blocks.size());
                ch.row_begin = uint32_t(plan.rows.size());
                ch.rb_begin = uint32_t(plan.row_blocks.size());
            }
            uint32_t base = uint32_t(plan.blocks.size()) - ch.block_begin;
            for (size_t ki = 0; ki < u.keys.size(); ++ki) {
                uint64_t key = u.keys[ki];
                const ChromBlocks& cb = file.index().chroms[key >> 32];
                size_t k = size_t(key & 0xFFFFFFFFu);
                PlanBlock pb{};
                pb.track = f;
                pb.compressed = comp;
                pb.offset = cb.offset[k];
                pb.size = cb.size[k];
                pb.swap = file.header().swap;
                pb.chrom_id = file.chroms()[key >> 32].id;
                pb.start = cb.start[k];
                pb.end = cb.end[k];
                pb.qe = u.qe[ki];
                if (!device_cache) {
                    pb.src_off = ch.src_bytes;
                    ch.src_bytes += pb.size;  // packed: adjacent blocks of a file are one read
                }
                if (comp) {
                    pb.cap = std::min<uint64_t>(ubuf, pb.size * kMaxDeflateRatio + 64);
                    pb.dst_off = ch.dst_bytes;
                    ch.dst_bytes += align_up(pb.cap);
                    ++ch.compressed_blocks;
                }
                plan.blocks.push_back(pb);
            }
            uint32_t rb_base = uint32_t(plan.row_blocks.size()) - ch.rb_begin;
            for (DensifyRow r : u.rows) {
                r.blk_begin += rb_base;
                r.blk_end += rb_base;
                plan.rows.push_back(r);
            }
            for (uint32_t i : u.rb) plan.row_blocks.push_back(base + i);
            ++ch.unit_count;
            std::vector<uint64_t>().swap(u.keys);
            std::vector<uint64_t>().swap(u.qe);
        }
    }
    finish_chunk();
}

}  // namespace cuda
}  // namespace bwl
