// bigBed data blocks: BED records back to back, each (chromId u32,
// chromStart u32, chromEnd u32) then the rest of the BED line (the fields
// after the third, tab-separated) ending in a NUL. Decoding and coverage,
// no heap: the CPU engine's bigBed tracks use it.
#pragma once

#include <cstdint>

#include "bwl/detail/format.hpp"
#include "hd/byteio.hpp"
#include "hd/hd.hpp"
#include "hd/section.hpp"

namespace bwl {

// Calls f(chrom, start, end, rest, rest_len) for each record of the block;
// kSectionTruncated when a record runs past the block (no NUL).
template <class F>
BWL_HD int for_each_bed(const uint8_t* p, uint64_t n, bool swap, F&& f) {
    uint64_t pos = 0;
    while (pos < n) {
        if (n - pos < kBedRecordFixed) return kSectionTruncated;
        uint32_t c = load_u32(p + pos, swap), s = load_u32(p + pos + 4, swap), e = load_u32(p + pos + 8, swap);
        uint64_t r = pos + kBedRecordFixed, q = r;
        while (q < n && p[q] != 0) ++q;
        if (q == n) return kSectionTruncated;
        f(c, s, e, reinterpret_cast<const char*>(p + r), q - r);
        pos = q + 1;
    }
    return kSectionOk;
}

// Adds the records of chromosome `chrom` over [qs, qe) to `diff`, a
// difference array of qe - qs + 1 counts (diff[a] += 1, diff[b] -= 1):
// coverage is its prefix sum, linear in records + bases however much the
// records overlap.
BWL_HD int bed_coverage_block(const uint8_t* p, uint64_t n, bool swap, uint32_t chrom, uint64_t qs, uint64_t qe,
                              int32_t* diff) {
    return for_each_bed(p, n, swap, [&](uint32_t c, uint64_t s, uint64_t e, const char*, uint64_t) {
        if (c != chrom || e <= s || e <= qs || s >= qe) return;
        diff[(s < qs ? qs : s) - qs] += 1;
        diff[(e > qe ? qe : e) - qs] -= 1;
    });
}

}  // namespace bwl
