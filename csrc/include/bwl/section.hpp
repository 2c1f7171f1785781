// Data-section decoding and densifying, shared by the CPU engine and the
// CUDA kernels (BWL_HD). A data block, once inflated, holds one or more
// sections; each is a 24-byte header followed by itemCount fixed-size items.
#pragma once

#include <cstdint>

#include "bwl/byteio.hpp"
#include "bwl/format.hpp"
#include "bwl/hd.hpp"

namespace bwl {

enum SectionStatus : int {
    kSectionOk = 0,
    kSectionTruncated = 1,   // header or items run past the block
    kSectionBadType = 2,     // type is not 1, 2 or 3
    kSectionOverlap = 3,     // items write far more bases than the query has
};

BWL_HD const char* section_status_text(int s) {
    return s == kSectionTruncated ? "section runs past the end of its block"
         : s == kSectionBadType   ? "unknown section type (not bedGraph, variableStep or fixedStep)"
         : s == kSectionOverlap   ? "items overlap: they cover the query many times over (a valid file covers each base once)"
                                  : "ok";
}

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
BWL_HD void section_item(const SectionHeader& h, const uint8_t* items, bool swap, uint32_t i,
                         uint64_t* s, uint64_t* e, float* v) {
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

// Calls f(chrom_id, start, end, value) for every item of every section in a
// block of n bytes. Returns a SectionStatus; stops at the first bad section.
template <class F>
BWL_HD int for_each_item(const uint8_t* p, uint64_t n, bool swap, F&& f) {
    while (n > 0) {
        SectionHeader h;
        int st = read_section_header(p, n, swap, &h);
        if (st != kSectionOk) return st;
        const uint8_t* items = p + kSectionHeaderSize;
        for (uint32_t i = 0; i < h.item_count; ++i) {
            uint64_t s, e;
            float v;
            section_item(h, items, swap, i, &s, &e, &v);
            f(h.chrom_id, s, e, v);
        }
        uint64_t used = section_bytes(h);
        p += used;
        n -= used;
    }
    return kSectionOk;
}

// Takes `bases` from the caller's budget of bases to write; false when it
// runs out. Valid files cover each base of a query once, so a budget of
// twice the query bounds the work hostile overlapping items can cause.
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
BWL_HD int densify_block(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs,
                         uint64_t qe, float* out, float scale = 1.0f, uint64_t* budget = nullptr) {
    bool over = false;
    int st = for_each_item(p, n, swap, [&](uint32_t c, uint64_t s, uint64_t e, float v) {
        if (over || c != chrom || e <= s || e <= qs || s >= qe || v != v) return;
        uint64_t a = s < qs ? qs : s, b = e > qe ? qe : e;
        if (!spend(budget, b - a)) {
            over = true;
            return;
        }
        v *= scale;
        for (uint64_t x = a; x < b; ++x) out[x - qs] = v;
    });
    return st != kSectionOk ? st : over ? kSectionOverlap : kSectionOk;
}

// Pools instead of densifying: for bins of `window` bases over [qs, qe),
// acc[2j] += value * covered bases and acc[2j + 1] += covered bases, so the
// bin mean costs O(items + bins), not O(bases). NaN values count as no
// data, as in the per-base path.
BWL_HD int pool_block(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs, uint64_t qe,
                      uint32_t window, double* acc, float scale = 1.0f, uint64_t* budget = nullptr) {
    bool over = false;
    int st = for_each_item(p, n, swap, [&](uint32_t c, uint64_t s, uint64_t e, float v) {
        if (over || c != chrom || e <= s || e <= qs || s >= qe || v != v) return;
        uint64_t a = (s < qs ? qs : s) - qs, b = (e > qe ? qe : e) - qs;
        if (!spend(budget, b - a)) {
            over = true;
            return;
        }
        double x = double(v * scale);
        for (uint64_t j = a / window; j * window < b; ++j) {
            uint64_t lo = j * window > a ? j * window : a, hi = (j + 1) * window < b ? (j + 1) * window : b;
            acc[2 * j] += x * double(hi - lo);
            acc[2 * j + 1] += double(hi - lo);
        }
    });
    return st != kSectionOk ? st : over ? kSectionOverlap : kSectionOk;
}

}  // namespace bwl
