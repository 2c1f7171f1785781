// Output conversion shared by the CPU engine and the kernels: float32 to
// IEEE half and to bfloat16 (round to nearest even, NaN kept NaN). (Window
// means are pooled from the items: pool_block in hd/section.hpp.)
#pragma once

#include <cstdint>
#include <cstring>

#include "bwl/detail/batch_types.hpp"
#include "hd/hd.hpp"

namespace bwl {

BWL_HD uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

BWL_HD uint16_t f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((u >> 16) | 0x40);  // quiet NaN
    u += 0x7FFFu + ((u >> 16) & 1);                                          // round to nearest, ties to even
    return uint16_t(u >> 16);
}

BWL_HD uint16_t f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return uint16_t(sign | 0x7E00u);   // NaN
    if (a >= 0x477FF000u) return uint16_t(sign | 0x7C00u);  // rounds past 65504: inf
    if (a < 0x38800000u) {                                  // subnormal half or zero
        if (a < 0x33000000u) return uint16_t(sign);         // below half the smallest subnormal
        uint32_t e = a >> 23, m = (a & 0x7FFFFFu) | 0x800000u;
        uint32_t shift = 126 - e;  // 14..24 + 1
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) ++r;
        return uint16_t(sign | r);
    }
    // Normal: rebias exponent 127 -> 15, round 23 -> 10 mantissa bits.
    uint32_t r = ((a - 0x38000000u) + 0xFFFu + ((a >> 13) & 1)) >> 13;
    return uint16_t(sign | r);
}

// Stores v as dtype d at element i of out.
BWL_HD void store(void* out, uint64_t i, float v, DType d) {
    if (d == DType::F32) static_cast<float*>(out)[i] = v;
    else if (d == DType::F16) static_cast<uint16_t*>(out)[i] = f32_to_f16(v);
    else static_cast<uint16_t*>(out)[i] = f32_to_bf16(v);
}

}  // namespace bwl
