// Data-section decoding and densifying, shared by the CPU engine and the
// CUDA kernels (BWL_HD). A data block, once inflated, holds one or more
// sections; each is a 24-byte header followed by itemCount fixed-size items.
#pragma once

#include <cstdint>

#include "bwl/detail/format.hpp"
#include "hd/byteio.hpp"
#include "hd/hd.hpp"
#include "hd/summary.hpp"

namespace bwl {

enum SectionStatus : int {
    kSectionOk = 0,
    kSectionTruncated = 1,  // header or items run past the block
    kSectionBadType = 2,    // type is not 1, 2 or 3
    kSectionOverlap = 3,    // items write far more bases than the query has
};

BWL_HD const char* section_status_text(int s) {
    return s == kSectionTruncated ? "section runs past the end of its block"
           : s == kSectionBadType ? "unknown section type (not bedGraph, variableStep or fixedStep)"
           : s == kSectionOverlap
               ? "items overlap: they cover the query more than 64 times over (a valid file covers each base once)"
               : "ok";
}

// What a block's bytes are: its whole data, or a prefix inflated only as
// far as some windows read (block_bytes_needed): there the last section may
// be cut, and keeps its whole items.
enum class Extent : uint8_t { Whole = 0, Prefix = 1 };

// Whether a block's items are known to be sorted, disjoint and non-empty
// (block_sorted): then a reader binary-searches them (ItemSpan) instead of
// walking the whole block.
enum class Order : uint8_t { Unknown = 0, Sorted = 1 };

struct SectionHeader {
    uint32_t chrom_id, start, end, item_step, item_span;
    uint8_t type;
    uint16_t item_count;
};

// Parses the header at p (n bytes left in the block) and checks that the
// items fit. On success the items start at p + kSectionHeaderSize.
BWL_HD int read_section_header(const uint8_t* p, uint64_t n, bool swap, SectionHeader* h) {
    if (n < kSectionHeaderSize) return kSectionTruncated;
    h->chrom_id = load_u32(p, swap);
    h->start = load_u32(p + 4, swap);
    h->end = load_u32(p + 8, swap);
    h->item_step = load_u32(p + 12, swap);
    h->item_span = load_u32(p + 16, swap);
    h->type = p[20];
    h->item_count = load_u16(p + 22, swap);
    uint32_t isz = section_item_size(h->type);
    if (isz == 0) return kSectionBadType;
    if (n - kSectionHeaderSize < uint64_t(isz) * h->item_count) return kSectionTruncated;
    return kSectionOk;
}

BWL_HD uint64_t section_bytes(const SectionHeader& h) {
    return kSectionHeaderSize + uint64_t(section_item_size(h.type)) * h.item_count;
}

// Item i of a section: [*s, *e) has value *v. 64-bit positions, so a hostile
// step or span cannot wrap around.
BWL_HD_HOT void section_item(const SectionHeader& h, const uint8_t* items, bool swap, uint32_t i, uint64_t* s,
                             uint64_t* e, float* v) {
    if (h.type == kBedGraph) {
        const uint8_t* q = items + 12ull * i;
        *s = load_u32(q, swap);
        *e = load_u32(q + 4, swap);
        *v = load_f32(q + 8, swap);
    } else if (h.type == kVariableStep) {
        const uint8_t* q = items + 8ull * i;
        *s = load_u32(q, swap);
        *e = *s + h.item_span;
        *v = load_f32(q + 4, swap);
    } else {
        *s = uint64_t(h.start) + uint64_t(h.item_step) * i;
        *e = *s + h.item_span;
        *v = load_f32(items + 4ull * i, swap);
    }
}

// The next section of a block, at p with n > 0 bytes left: its header, and
// in *used the bytes to skip to the one after. In a prefix block the last
// section may be cut (or hold only part of its header): it keeps its whole
// items (for_each_item, block_sorted and the GPU's rows all read blocks so).
BWL_HD int block_section(const uint8_t* p, uint64_t n, bool swap, Extent extent, SectionHeader* h, uint64_t* used) {
    int st = read_section_header(p, n, swap, h);
    if (st == kSectionTruncated && extent == Extent::Prefix) {
        if (n < kSectionHeaderSize) {  // nothing of it is wanted
            *h = SectionHeader{};
            h->chrom_id = ~0u;
            h->type = kBedGraph;
        } else {
            h->item_count = uint16_t((n - kSectionHeaderSize) / section_item_size(h->type));
        }
        *used = n;
        return kSectionOk;
    }
    *used = section_bytes(*h);
    return st;
}

// The walk over a block's sections, shared by every reader of sections
// (for_each_item, block_sorted, and the GPU's block_extent, densify_row and
// pool_row): f(h, items) for each section in order, items pointing at its
// first item; f returns false to stop early. Returns the first bad
// section's SectionStatus, else kSectionOk (also when f stopped).
// `extent`: as block_section.
template <class F>
BWL_HD int for_each_section(const uint8_t* p, uint64_t n, bool swap, Extent extent, F&& f) {
    while (n > 0) {
        SectionHeader h{};
        uint64_t used;
        int st = block_section(p, n, swap, extent, &h, &used);
        if (st != kSectionOk) return st;
        if (!f(h, p + kSectionHeaderSize)) return kSectionOk;
        p += used;
        n -= used;
    }
    return kSectionOk;
}

// Item i of a section starts at or after item i - 1's end, and ends after
// it starts.
BWL_HD_HOT bool item_follows(const SectionHeader& h, const uint8_t* items, bool swap, uint32_t i) {
    uint64_t s, e, ps, pe;
    float v;
    section_item(h, items, swap, i, &s, &e, &v);
    if (s >= e) return false;
    if (i == 0) return true;
    section_item(h, items, swap, i - 1, &ps, &pe, &v);
    return pe <= s;
}

// The first index in [lo, hi) where pred(i) turns true (pred false then
// true over the range), searched outward from `guess`: galloping keeps the
// probes near the guess (cache lines already read), then a binary search
// in the last stride.
template <class Pred>
BWL_HD uint32_t gallop_search(uint32_t lo, uint32_t hi, uint32_t guess, Pred&& pred) {
    if (lo >= hi) return lo;
    if (guess < lo) guess = lo;
    if (guess >= hi) guess = hi - 1;
    uint32_t a, b;  // the answer lies in [a, b]; b == hi means "none"
    uint32_t step = 1;
    if (pred(guess)) {  // gallop left while pred holds
        b = guess;
        while (b - lo >= step && pred(b - step)) {
            b -= step;
            step *= 2;
        }
        a = b - lo >= step ? b - step + 1 : lo;
    } else {  // gallop right until it holds
        uint32_t x = guess;
        while (hi - x > step && !pred(x + step)) {
            x += step;
            step *= 2;
        }
        a = x + 1;
        b = hi - x > step ? x + step : hi;
    }
    while (a < b) {
        uint32_t m = a + (b - a) / 2;
        if (pred(m)) b = m;
        else a = m + 1;
    }
    return a;
}

// The first item of a sorted, disjoint, non-empty section that ends after
// ts. Items are about evenly spaced, so the search starts where the
// section's own range puts ts (a guess only: the header is not trusted) and
// probes outward from there, a few cache lines instead of a binary
// search's scattered ones.
BWL_HD uint32_t section_first(const SectionHeader& h, const uint8_t* items, bool swap, uint64_t ts) {
    const uint32_t n = h.item_count;
    uint32_t guess = 0;
    if (h.end > h.start && ts > h.start)
        guess = ts >= h.end ? n : uint32_t(double(ts - h.start) / double(h.end - h.start) * n);
    return gallop_search(0, n, guess, [&](uint32_t i) {  // item i ends after ts
        uint64_t s, e;
        float v;
        section_item(h, items, swap, i, &s, &e, &v);
        return e > ts;
    });
}

// The items [*first, *last) of such a section that can touch [ts, te) (the
// kernels tile by them; the CPU walk stops at the first item past te).
BWL_HD void section_span(const SectionHeader& h, const uint8_t* items, bool swap, uint64_t ts, uint64_t te,
                         uint32_t* first, uint32_t* last) {
    *first = section_first(h, items, swap, ts);
    *last = gallop_search(*first, h.item_count, *first, [&](uint32_t i) {  // item i starts at or after te
        uint64_t s, e;
        float v;
        section_item(h, items, swap, i, &s, &e, &v);
        return s >= te;
    });
}

// Where a query reads a block whose sections are all sorted, disjoint and
// non-empty (block_sorted): on `chrom`, [qs, qe). for_each_item then visits
// only the items that can touch it (binary search), not the whole block.
struct ItemSpan {
    uint32_t chrom;
    uint64_t qs, qe;
};

// Calls f(chrom_id, start, end, value) for every item of every section in a
// block of n bytes (with `span`: only those that can touch it, in order).
// Returns a SectionStatus; stops at the first bad section.
// Extent::Prefix: p[0, n) is the start of a longer block (cut where
// block_bytes_needed() said), so a section running past n is not an error:
// its items up to n are the ones wanted.
template <class F>
BWL_HD int for_each_item(const uint8_t* p, uint64_t n, bool swap, F&& f, Extent extent = Extent::Whole,
                         const ItemSpan* span = nullptr) {
    return for_each_section(p, n, swap, extent, [&](const SectionHeader& h, const uint8_t* items) {
        uint32_t first = 0, last = h.item_count;
        if (span) {
            if (h.chrom_id != span->chrom) last = 0;
            else first = section_first(h, items, swap, span->qs);
        }
        for (uint32_t i = first; i < last; ++i) {
            uint64_t s, e;
            float v;
            section_item(h, items, swap, i, &s, &e, &v);
            if (span && s >= span->qe) break;  // sorted: no later item touches the query
            f(h.chrom_id, s, e, v);
        }
        return true;
    });
}

// Whether every section's items are sorted, disjoint and non-empty (then
// ItemSpan may be used). Bad sections answer false (the walk reports them).
// One pass, each item read once (item_follows reads two per item).
BWL_HD bool block_sorted(const uint8_t* p, uint64_t n, bool swap, Extent extent = Extent::Whole) {
    bool ok = true;
    int st = for_each_section(p, n, swap, extent, [&](const SectionHeader& h, const uint8_t* items) {
        uint64_t prev_end = 0;
        for (uint32_t i = 0; i < h.item_count; ++i) {
            uint64_t s, e;
            float v;
            section_item(h, items, swap, i, &s, &e, &v);
            if (s >= e || s < prev_end) {
                ok = false;
                return false;
            }
            prev_end = e;
        }
        return true;
    });
    return st == kSectionOk && ok;
}

// How many items of a section to inflate before asking again where the
// first item starting at or after qe is, when none of the first `have`
// (sorted) does: 7/8 of the way to where their mean spacing puts it, so a
// caller inflates about as far as the query reads in a few steps rather
// than in many small ones or one step far past it.
BWL_HD uint64_t items_to_try(const uint8_t* items, uint32_t isz, uint64_t have, uint64_t count, bool swap,
                             uint64_t qe) {
    uint64_t next = have + 1;
    if (have >= 2) {
        uint64_t s0 = load_u32(items, swap), last = load_u32(items + uint64_t(isz) * (have - 1), swap);
        if (last > s0 && qe > last) {
            uint64_t ahead = (qe - last) * (have - 1) / (last - s0);  // items still to go, at the mean spacing
            next += ahead - ahead / 8;
        }
    }
    return next < count ? next : count;
}

// How many leading bytes of a block a query on `chrom` ending at `qe` reads,
// judged from the `avail` bytes inflated so far: up to the first section or
// item of that chrom starting at or after qe, or of a later chrom (a valid
// block is sorted by chrom, then start). A result above `avail` means the
// inflated part does not settle it: inflate that far (a guess, see
// items_to_try) and ask again. ~0 for what only a whole block can answer (a section type this
// cannot size, a fixedStep step of 0).
BWL_HD uint64_t block_bytes_needed(const uint8_t* p, uint64_t avail, bool swap, uint32_t chrom, uint64_t qe) {
    uint64_t pos = 0;
    for (;;) {
        if (avail - pos < kSectionHeaderSize) return pos + kSectionHeaderSize;
        const uint8_t* q = p + pos;
        uint32_t c = load_u32(q, swap), start = load_u32(q + 4, swap), end = load_u32(q + 8, swap),
                 step = load_u32(q + 12, swap);
        uint8_t type = q[20];
        uint32_t count = load_u16(q + 22, swap), isz = section_item_size(type);
        if (isz == 0 || (type == kFixedStep && step == 0)) return ~uint64_t(0);
        if (c > chrom || (c == chrom && start >= qe)) return pos;
        uint64_t body = pos + kSectionHeaderSize;
        if (c == chrom) {
            if (type == kFixedStep) {  // item i starts at start + i * step
                uint64_t k = (qe - start + step - 1) / step;
                if (k < count) return body + uint64_t(isz) * k;
            } else {  // the first item starting at or after qe, by binary search
                uint64_t have = (avail - body) / isz;
                if (have > count) have = count;
                uint64_t lo = 0, hi = have;
                while (lo < hi) {
                    uint64_t mid = (lo + hi) / 2;
                    if (load_u32(p + body + uint64_t(isz) * mid, swap) < qe) lo = mid + 1;
                    else hi = mid;
                }
                // An item starting past its section's end is corrupt data
                // that decoded without a Huffman error: only the whole
                // stream (its adler32) can tell, so ask for all of it.
                if (lo < have)
                    return load_u32(p + body + uint64_t(isz) * lo, swap) > end ? ~uint64_t(0)
                                                                               : body + uint64_t(isz) * lo;
                if (have < count) return body + uint64_t(isz) * items_to_try(p + body, isz, have, count, swap, qe);
            }
        }
        pos = body + uint64_t(isz) * count;
        if (pos > avail) return pos;
    }
}

// Bases a query of `bases` may have its items write in all. Most files
// cover each base once, but libBigWig (pyBigWig) writes fixedStep sections
// whose span exceeds their step, and reads them (a later item wins where
// items overlap); up to 64 items over a base are read as it does. The cap
// bounds the work hostile overlapping items can cause to 64x a valid read.
constexpr uint64_t kMaxItemsPerBase = 64;
BWL_HD uint64_t write_budget(uint64_t bases) { return kMaxItemsPerBase * bases; }

// Takes `bases` from the caller's budget of bases to write (write_budget);
// false when it runs out.
BWL_HD bool spend(uint64_t* budget, uint64_t bases) {
    if (!budget) return true;
    if (bases > *budget) return false;
    *budget -= bases;
    return true;
}

// Writes the value (times `scale`) of every base of [qs, qe) on chrom
// covered by an item of the block into out[base - qs]. Bases no item covers
// and items whose value is NaN are left untouched, so the caller fills `out`
// with the default first (NaN, for a single file's values()). Later items
// win, as in pyBigWig.
BWL_HD int densify_block(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs, uint64_t qe, float* out,
                         float scale = 1.0f, uint64_t* budget = nullptr, Extent extent = Extent::Whole,
                         const ValueTransform* tr = nullptr, Order order = Order::Unknown) {
    const ItemSpan span{chrom, qs, qe};
    bool over = false;
    int st = for_each_item(
        p, n, swap,
        [&](uint32_t c, uint64_t s, uint64_t e, float v) {
            if (over || c != chrom || e <= s || e <= qs || s >= qe || v != v) return;
            uint64_t a = s < qs ? qs : s, b = e > qe ? qe : e;
            if (!spend(budget, b - a)) {
                over = true;
                return;
            }
            v *= scale;
            if (tr) v = transform_value(*tr, v);
            for (uint64_t x = a; x < b; ++x) out[x - qs] = v;
        },
        extent, order == Order::Sorted ? &span : nullptr);
    return st != kSectionOk ? st : over ? kSectionOverlap : kSectionOk;
}

// One item of value x over bases [a, b) of a pooled row (bin coordinates:
// bin j is [j * window, (j + 1) * window)): each bin it covers takes x with
// the bases it covers, in bin order; bins it covers whole take `window`
// (x * window, computed once). A part is at most `window` bases: converted
// as 32 bits, one instruction on x86-64 (clang's 64-bit unsigned
// conversion takes five).
template <Summary S>
BWL_HD_HOT void pool_item(double* acc, uint32_t window, uint64_t a, uint64_t b, double x) {
    uint64_t j = a / window, end = (j + 1) * window;
    if (end >= b) return summary_add_as<S>(acc + 2 * j, x, double(uint32_t(b - a)));
    summary_add_as<S>(acc + 2 * j, x, double(uint32_t(end - a)));
    const double w = double(window);
    for (++j; end + window < b; ++j, end += window) summary_add_as<S>(acc + 2 * j, x, w);
    summary_add_as<S>(acc + 2 * j, x, double(uint32_t(b - end)));
}

template <Summary S>
BWL_HD int pool_block_as(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs, uint64_t qe,
                         uint32_t window, double* acc, float scale, uint64_t* budget, Extent extent, Order order,
                         uint64_t lead) {
    const ItemSpan span{chrom, qs, qe};
    bool over = false;
    int st = for_each_item(
        p, n, swap,
        [&](uint32_t c, uint64_t s, uint64_t e, float v) {
            if (over || c != chrom || e <= s || e <= qs || s >= qe || v != v) return;
            // Bins count from `lead` bases before qs (a window that starts before
            // its chromosome does).
            uint64_t a = (s < qs ? qs : s) - qs + lead, b = (e > qe ? qe : e) - qs + lead;
            if (!spend(budget, b - a)) {
                over = true;
                return;
            }
            pool_item<S>(acc, window, a, b, double(v * scale));
        },
        extent, order == Order::Sorted ? &span : nullptr);
    return st != kSectionOk ? st : over ? kSectionOverlap : kSectionOk;
}

// Pools instead of densifying: for bins of `window` bases over [qs, qe),
// the bin's pair acc[2j, 2j + 1] takes each item with the bases it covers
// (summary.hpp: value x bases and bases for a mean), so a bin costs
// O(items + bins), not O(bases). NaN values count as no data, as in the
// per-base path.
BWL_HD int pool_block(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs, uint64_t qe,
                      uint32_t window, double* acc, float scale = 1.0f, uint64_t* budget = nullptr,
                      Extent extent = Extent::Whole, Summary summary = Summary::Mean, Order order = Order::Unknown,
                      uint64_t lead = 0) {
    if (summary == Summary::Max)
        return pool_block_as<Summary::Max>(p, n, swap, chrom, qs, qe, window, acc, scale, budget, extent, order, lead);
    if (summary == Summary::Min)
        return pool_block_as<Summary::Min>(p, n, swap, chrom, qs, qe, window, acc, scale, budget, extent, order, lead);
    return pool_block_as<Summary::Sum>(p, n, swap, chrom, qs, qe, window, acc, scale, budget, extent, order, lead);
}

}  // namespace bwl
