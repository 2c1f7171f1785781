// Decode + densify of one output row (window b, track slot t) by a group of
// threads: the kernel's logic, BWL_HD so the CPU tests run it on host
// threads. Built on hd/section.hpp (section headers and items) and
// hd/convert.hpp (store); gives exactly Collection::values' output (see
// batch.cpp): per base, later items win and missing bases are the default;
// with window > 1, bins pool items as section.hpp's pool_block does.
//
// Per-base rows are walked in tiles of bases held by the group (shared
// memory on a GPU). Items of a section are taken `size` at a time, one per
// thread; when those are sorted and disjoint (the normal case) the threads
// write at once, otherwise one item after another with the bases split over
// the threads, so the last item still wins. In blocks whose items are all
// sorted and disjoint (block_extent checks), a tile binary-searches its
// items instead of reading them all, so a row costs items + bases, not
// items x tiles.
//
// Like the CPU (section.hpp: write_budget, spend), a row may write at most
// kMaxItemsPerBase x its length bases: hostile overlapping items fail with kSectionOverlap after
// bounded work instead of running for minutes. The group adds up what its
// threads are about to write (G::sum) before they write it.
#pragma once

#include <cstdint>
#include <cstring>

#include "hd/convert.hpp"
#include "hd/hd.hpp"
#include "hd/section.hpp"

namespace bwl {

// A data block of the batch: its section bytes (inflated, or as stored).
struct DensifyBlock {
    const uint8_t* data;
    uint64_t len;
    uint64_t lo, hi;  // bases its items cover (block_extent): tiles outside are skipped
    int32_t status;   // inflate status, then block_extent's; a failed block is skipped (the batch fails)
    uint32_t swap;    // big-endian file
    uint32_t sorted;  // block_extent: every section's items sorted, disjoint and non-empty
    uint32_t prefix;  // inflated only as far as the rows read (BlockNeed): the last section may be cut
};

// inflate_group's stopping policy for a data block: inflate as far as rows
// on `chrom` ending by `qe` read (section.hpp's block_bytes_needed, as the
// CPU batch engine does); qe 0: the whole block.
struct BlockNeed {
    uint64_t qe;
    uint32_t chrom;
    bool swap;
    BWL_HD uint64_t operator()(const uint8_t* p, uint64_t have) const {
        return qe ? block_bytes_needed(p, have, swap, chrom, qe) : ~uint64_t(0);
    }
};

// One output row and the blocks that can touch it, in file order.
struct DensifyRow {
    uint64_t qs;                  // window start (0 when the window starts before the chromosome)
    uint64_t lead;                // bases of the window before base 0 (BatchSpec::pad): no data there
    uint32_t b, slot;             // output coordinates
    uint32_t chrom_id;            // chrom id as the file's sections write it
    uint32_t blk_begin, blk_end;  // into the row_blocks list
    float scale;
};

struct DensifyParams {
    void* out;
    uint64_t length, T, Lout;
    uint32_t window;
    float dflt;
    DType dtype;
    Layout layout;
    Summary summary;           // of pooled rows
    ValueTransform transform;  // of values from data
};

BWL_HD uint64_t densify_out_index(const DensifyParams& p, const DensifyRow& r, uint64_t j) {
    return p.layout == Layout::BTL ? (uint64_t(r.b) * p.T + r.slot) * p.Lout + j
                                   : (uint64_t(r.b) * p.Lout + j) * p.T + r.slot;
}

// Writes v over the bases of [s, e) inside the tile [ts, te), every
// `size`-th base from `rank`.
BWL_HD void densify_write(float* tile, uint64_t ts, uint64_t te, uint64_t s, uint64_t e, float v, uint32_t rank,
                          uint32_t size) {
    if (e <= ts || s >= te) return;
    uint64_t a = s < ts ? ts : s, b = e > te ? te : e;
    for (uint64_t x = a + rank; x < b; x += size) tile[x - ts] = v;
}

// Checks every section of a block and finds the bases its items cover,
// [*lo, *hi) (empty: lo >= hi), any chromosome, and whether every
// section's items are sorted, disjoint and non-empty (*sorted: tiles may
// then binary-search them). The items, not the R-tree, decide which tiles
// a block touches: a block whose items stray outside its R-tree range
// still writes them, as on the CPU. `scratch` holds 2 * size values shared
// by the group. Returns a SectionStatus.
template <class G>
BWL_HD int block_extent(G& g, const DensifyBlock& blk, uint64_t* scratch, uint64_t* lo, uint64_t* hi, bool* sorted) {
    const uint32_t rank = g.rank(), size = g.size();
    const bool swap = blk.swap != 0;
    uint64_t a = ~uint64_t(0), b = 0;
    bool in_order = true;
    int st = for_each_section(blk.data, blk.len, swap, blk.prefix ? Extent::Prefix : Extent::Whole,
                              [&](const SectionHeader& h, const uint8_t* items) {
                                  for (uint32_t i = rank; i < h.item_count; i += size) {
                                      uint64_t s, e;
                                      float v;
                                      section_item(h, items, swap, i, &s, &e, &v);
                                      if (s < e) {
                                          a = s < a ? s : a;
                                          b = e > b ? e : b;
                                      }
                                      in_order = in_order && item_follows(h, items, swap, i);
                                  }
                                  return true;
                              });
    scratch[rank] = a;
    scratch[size + rank] = b;
    g.sync();
    a = ~uint64_t(0);
    b = 0;
    for (uint32_t r = 0; r < size; ++r) {
        a = scratch[r] < a ? scratch[r] : a;
        b = scratch[size + r] > b ? scratch[size + r] : b;
    }
    g.sync();  // scratch is reused
    *lo = a;
    *hi = b;
    *sorted = g.all(in_order);
    return st;
}

// The bases of [s, e) inside [ts, te).
BWL_HD uint64_t clipped(uint64_t s, uint64_t e, uint64_t ts, uint64_t te) {
    uint64_t a = s < ts ? ts : s, b = e > te ? te : e;
    return a < b ? b - a : 0;
}

// densify_tile_block and pool_row walk sections with block_section
// themselves rather than through section.hpp's for_each_section: with the
// lambda, ptxas allocates the densify kernel 96 registers instead of 80
// (6 -> 5 CTAs per SM), a change to the hot kernel that wants a GPU bench
// before it is taken. block_extent, off the hot path, uses it.
//
// One block's items over the tile, taking what they write from *budget
// (the same value in every thread). Returns a SectionStatus (uniform across
// the group: every thread parses the same headers).
template <class G>
BWL_HD int densify_tile_block(G& g, float* tile, uint64_t ts, uint64_t te, const DensifyRow& r, const DensifyBlock& blk,
                              uint64_t* budget, const ValueTransform& tr) {
    const uint32_t rank = g.rank(), size = g.size();
    const bool swap = blk.swap != 0;
    const uint8_t* p = blk.data;
    uint64_t n = blk.len;
    while (n > 0) {
        SectionHeader h{};  // block_section reads it back even when the header was cut short
        uint64_t used;
        int st = block_section(p, n, swap, blk.prefix ? Extent::Prefix : Extent::Whole, &h, &used);
        if (st != kSectionOk) return st;
        const uint8_t* items = p + kSectionHeaderSize;
        if (h.chrom_id == r.chrom_id) {
            uint32_t first = 0, last = h.item_count;
            if (blk.sorted) section_span(h, items, swap, ts, te, &first, &last);
            for (uint32_t i0 = first; i0 < last; i0 += size) {
                uint32_t i = i0 + rank;
                bool have = i < last, ok = true;
                uint64_t s = 0, e = 0;
                float v = 0;
                if (have) {
                    section_item(h, items, swap, i, &s, &e, &v);
                    ok = s < e;
                    if (ok && i > i0) {
                        uint64_t ps, pe;
                        float pv;
                        section_item(h, items, swap, i - 1, &ps, &pe, &pv);
                        ok = pe <= s;
                    }
                }
                uint64_t bases = g.sum(have && v == v ? clipped(s, e, ts, te) : 0);
                if (!spend(budget, bases)) return kSectionOverlap;
                if (g.all(ok)) {  // sorted, disjoint, non-empty: no two threads write one base
                    if (have && v == v)
                        densify_write(tile, ts, te, s, e, transform_value(tr, v * r.scale), 0,
                                      1);  // NaN: no data, as on the CPU
                } else {
                    uint32_t m = last - i0 < size ? last - i0 : size;
                    for (uint32_t k = 0; k < m; ++k) {
                        section_item(h, items, swap, i0 + k, &s, &e, &v);
                        if (v == v) densify_write(tile, ts, te, s, e, transform_value(tr, v * r.scale), rank, size);
                        g.sync();
                    }
                }
                g.sync();
            }
        }
        p += used;
        n -= used;
    }
    return kSectionOk;
}

// A per-base row (window 1). G: rank(), size(), sync() (a barrier ordering
// memory), all(bool) and sum(uint64_t) (barriers returning the AND or the
// sum of every thread's value).
// `tile` holds tile_cap floats shared by the group. Returns a
// SectionStatus; on error *bad_block is the failing block's index in
// `blocks` (the row's output is then unspecified; the batch fails).
template <class G>
BWL_HD int densify_row(G& g, float* tile, uint32_t tile_cap, const DensifyParams& p, const DensifyRow& r,
                       const uint32_t* row_blocks, const DensifyBlock* blocks, uint32_t* bad_block) {
    const uint32_t rank = g.rank(), size = g.size();
    const uint64_t L = p.length;
    // As batch.cpp: start from the default and write values as they are
    // (a NaN value in the file stays NaN, whatever the dtype or layout).
    const float fill = p.dflt;
    int status = kSectionOk;
    uint32_t bad = 0;
    uint64_t budget = write_budget(L);
    for (uint64_t t0 = 0; t0 < L && status == kSectionOk; t0 += tile_cap) {
        uint64_t n = L - t0 < tile_cap ? L - t0 : tile_cap;
        // The tile's window bases [t0, t0 + n) are genome bases from
        // qs - lead + t0; the first `off` lie before base 0 (no data).
        uint64_t off = r.lead > t0 ? (r.lead - t0 < n ? r.lead - t0 : n) : 0;
        uint64_t ts = off < n ? r.qs + t0 + off - r.lead : r.qs, te = off < n ? r.qs + t0 + n - r.lead : r.qs;
        for (uint64_t x = rank; x < n; x += size) tile[x] = fill;
        g.sync();
        for (uint32_t bi = r.blk_begin; bi < r.blk_end && status == kSectionOk; ++bi) {
            const DensifyBlock& blk = blocks[row_blocks[bi]];
            if (blk.status != 0 || blk.hi <= ts || blk.lo >= te) continue;
            int st = densify_tile_block(g, tile + off, ts, te, r, blk, &budget, p.transform);
            if (st != kSectionOk) {
                status = st;
                bad = row_blocks[bi];
            }
        }
        g.sync();
        for (uint64_t j = rank; j < n; j += size) {
            float v = tile[j];
            store(p.out, densify_out_index(p, r, t0 + j), v, p.dtype);
        }
        g.sync();  // the tile is refilled next
    }
    *bad_block = bad;
    return status;
}

// One chunk of items, published by the group for everyone to read.
struct PoolItems {
    uint64_t a[32], b[32];  // covered bases relative to the window start, [a, b)
    double x[32];           // value * scale
    uint32_t ok[32];        // the item counts (chrom, overlap, not NaN, not empty)
};

// A pooled row (window > 1), as batch.cpp's pool_block: per bin,
// summary.hpp's pair (for a mean: value x covered bases, and covered bases),
// added in item order (blocks in order), then the bin's summary_value.
// NaN values count as no data; overlapping items each count; empty or
// inverted items (end <= start) count nothing. Threads own bins (bin j:
// thread j % size) and every thread reads every item, so each bin's sum is
// added in the CPU's order and the result is the same to the bit.
// `acc` holds 2 * bin_cap doubles shared by the group; `items` is shared.
template <class G>
BWL_HD int pool_row(G& g, double* acc, uint32_t bin_cap, PoolItems* items, const DensifyParams& p, const DensifyRow& r,
                    const uint32_t* row_blocks, const DensifyBlock* blocks, uint32_t* bad_block) {
    const uint32_t rank = g.rank(), size = g.size();
    // Window bases are genome bases from qs - lead (lead: before base 0, no data).
    const uint64_t w = p.window, qs = r.qs, lead = r.lead, qe = lead < p.length ? qs + p.length - lead : qs;
    int status = kSectionOk;
    uint32_t bad = 0;
    uint64_t budget = write_budget(p.length);
    for (uint64_t j0 = 0; j0 < p.Lout && status == kSectionOk; j0 += bin_cap) {
        uint64_t nb = p.Lout - j0 < bin_cap ? p.Lout - j0 : bin_cap;
        uint64_t lo = j0 * w, hi = (j0 + nb) * w;  // window bases of this pass's bins
        uint64_t ts = lo > lead ? qs + lo - lead : qs, te = hi > lead ? qs + hi - lead : qs;  // as genome bases
        for (uint64_t j = rank; j < nb; j += size) summary_init(p.summary, acc + 2 * j);
        g.sync();
        for (uint32_t bi = r.blk_begin; bi < r.blk_end && status == kSectionOk; ++bi) {
            const DensifyBlock& blk = blocks[row_blocks[bi]];
            if (blk.status != 0 || blk.hi <= ts || blk.lo >= te) continue;
            const bool swap = blk.swap != 0;
            const uint8_t* q = blk.data;
            uint64_t n = blk.len;
            while (n > 0) {
                SectionHeader h{};  // block_section reads it back even when the header was cut short
                uint64_t used;
                int st = block_section(q, n, swap, blk.prefix ? Extent::Prefix : Extent::Whole, &h, &used);
                if (st != kSectionOk) {
                    status = st;
                    bad = row_blocks[bi];
                    break;
                }
                const uint8_t* it = q + kSectionHeaderSize;
                uint32_t first = 0, last = h.item_count;
                if (blk.sorted && h.chrom_id == r.chrom_id) section_span(h, it, swap, ts, te, &first, &last);
                for (uint32_t i0 = first; h.chrom_id == r.chrom_id && i0 < last; i0 += size) {
                    uint32_t i = i0 + rank;
                    uint32_t ok = 0;
                    uint64_t bases = 0;
                    if (i < last) {
                        uint64_t s, e;
                        float v;
                        section_item(h, it, swap, i, &s, &e, &v);
                        ok = e > s && e > ts && s < te && v == v;  // [ts, te) lies within [qs, qe)
                        if (ok) {
                            items->a[rank] = (s < qs ? qs : s) - qs + lead;
                            items->b[rank] = (e > qe ? qe : e) - qs + lead;
                            items->x[rank] = double(v * r.scale);
                            bases = clipped(s, e, ts, te);
                        }
                    }
                    items->ok[rank] = ok;
                    g.sync();
                    if (!spend(&budget, g.sum(bases))) {
                        status = kSectionOverlap;
                        bad = row_blocks[bi];
                        break;
                    }
                    uint32_t m = last - i0 < size ? last - i0 : size;
                    for (uint32_t k = 0; k < m; ++k) {
                        if (!items->ok[k]) continue;
                        uint64_t a = items->a[k], b = items->b[k];
                        double x = items->x[k];
                        uint64_t jlo = a / w, jhi = (b - 1) / w;  // bins the item touches
                        if (jlo < j0) jlo = j0;
                        if (jhi >= j0 + nb) jhi = j0 + nb - 1;
                        if (jlo > jhi) continue;
                        // this thread's first bin at or after jlo
                        uint64_t j = jlo + (rank + size - uint32_t((jlo - j0) % size)) % size;
                        for (; j <= jhi; j += size) {
                            uint64_t lo = j * w > a ? j * w : a, hi = (j + 1) * w < b ? (j + 1) * w : b;
                            summary_add(p.summary, acc + 2 * (j - j0), x, double(hi - lo));
                        }
                    }
                    g.sync();  // items is rewritten next
                }
                if (status != kSectionOk) break;
                q += used;
                n -= used;
            }
        }
        g.sync();
        for (uint64_t j = rank; j < nb; j += size) {
            float v = summary_value(p.summary, acc + 2 * j, p.window, p.dflt, p.transform);
            store(p.out, densify_out_index(p, r, j0 + j), v, p.dtype);
        }
        g.sync();  // acc is cleared next
    }
    *bad_block = bad;
    return status;
}

// A row of the batch: per base (window 1) or pooled. `tile` is the group's
// shared scratch of tile_floats >= 4 floats, 8-byte aligned (pooled rows use
// it as doubles, 2 per bin).
template <class G>
BWL_HD int row_values(G& g, float* tile, uint32_t tile_floats, PoolItems* items, const DensifyParams& p,
                      const DensifyRow& r, const uint32_t* row_blocks, const DensifyBlock* blocks,
                      uint32_t* bad_block) {
    if (p.window > 1)
        return pool_row(g, reinterpret_cast<double*>(tile), tile_floats / 4, items, p, r, row_blocks, blocks,
                        bad_block);
    return densify_row(g, tile, tile_floats, p, r, row_blocks, blocks, bad_block);
}

}  // namespace bwl
