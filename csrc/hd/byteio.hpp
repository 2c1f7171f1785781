// Endian-aware loads from unaligned bytes. BBI files carry their byte order in
// the magic number; every field read goes through these so big-endian files
// cost one byte swap and nothing else.
#pragma once

#include <cstdint>
#include <cstring>

#include "hd/hd.hpp"

namespace bwl {

BWL_HD uint16_t load_u16(const uint8_t* p, bool swap) {
    uint16_t v = uint16_t(p[0]) | uint16_t(p[1]) << 8;
    return swap ? uint16_t(v >> 8 | v << 8) : v;
}

// The big-endian value is the byte swap of the little-endian one, not a
// second read of p: compilers make one 4-byte load and a bswap of this;
// with both orders read from p, clang made eight byte loads.
BWL_HD uint32_t load_u32(const uint8_t* p, bool swap) {
    uint32_t v = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    return swap ? (v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24) : v;
}

BWL_HD uint64_t load_u64(const uint8_t* p, bool swap) {
    uint64_t lo = load_u32(p, swap), hi = load_u32(p + 4, swap);
    return swap ? (lo << 32 | hi) : (hi << 32 | lo);
}

BWL_HD float load_f32(const uint8_t* p, bool swap) {
    uint32_t u = load_u32(p, swap);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

BWL_HD double load_f64(const uint8_t* p, bool swap) {
    uint64_t u = load_u64(p, swap);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

// Sequential reader over a bounded buffer; `ok` turns false on the first
// read past the end and stays false, so callers check once at the end.
struct ByteCursor {
    const uint8_t* p;
    const uint8_t* end;
    bool swap;
    bool ok = true;

    BWL_HD ByteCursor(const uint8_t* b, uint64_t n, bool s) : p(b), end(b + n), swap(s) {}
    BWL_HD bool take(uint64_t n) {
        if (!ok || uint64_t(end - p) < n) {
            ok = false;
            return false;
        }
        return true;
    }
    BWL_HD uint8_t u8() {
        if (!take(1)) return 0;
        return *p++;
    }
    BWL_HD uint16_t u16() {
        if (!take(2)) return 0;
        uint16_t v = load_u16(p, swap);
        p += 2;
        return v;
    }
    BWL_HD uint32_t u32() {
        if (!take(4)) return 0;
        uint32_t v = load_u32(p, swap);
        p += 4;
        return v;
    }
    BWL_HD uint64_t u64() {
        if (!take(8)) return 0;
        uint64_t v = load_u64(p, swap);
        p += 8;
        return v;
    }
    BWL_HD float f32() {
        if (!take(4)) return 0;
        float v = load_f32(p, swap);
        p += 4;
        return v;
    }
    BWL_HD double f64() {
        if (!take(8)) return 0;
        double v = load_f64(p, swap);
        p += 8;
        return v;
    }
    BWL_HD void skip(uint64_t n) {
        if (take(n)) p += n;
    }
    BWL_HD uint64_t left() const { return uint64_t(end - p); }
};

}  // namespace bwl
