// The gzip member header (RFC 1952), for the backends that parse members
// themselves (bwl's decoder; libdeflate and zlib parse their own).
#pragma once

#include <cstdint>

namespace bwl {

// RFC 1952 member header: returns its size, or 0 when it is not a valid one.
inline uint64_t gzip_header_size(const uint8_t* p, uint64_t n) {
    enum : uint8_t { kFhcrc = 2, kFextra = 4, kFname = 8, kFcomment = 16, kReserved = 0xE0 };
    if (n < 10 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || (p[3] & kReserved)) return 0;
    uint64_t pos = 10;
    if (p[3] & kFextra) {
        if (n - pos < 2) return 0;
        pos += 2 + (p[pos] | uint64_t(p[pos + 1]) << 8);
        if (pos > n) return 0;
    }
    for (uint8_t flag : {uint8_t(kFname), uint8_t(kFcomment)}) {
        if (!(p[3] & flag)) continue;
        while (pos < n && p[pos]) ++pos;
        if (pos++ >= n) return 0;
    }
    if (p[3] & kFhcrc) pos += 2;
    return pos <= n ? pos : 0;
}

}  // namespace bwl
