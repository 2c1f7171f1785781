#include "core/cpu_features.hpp"

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace bwl {

namespace {

CpuFeatures probe() {
    CpuFeatures f;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    f.sse42 = c & (1u << 20);
    f.pclmul = c & (1u << 1);
    // AVX state must be enabled by the OS (OSXSAVE, then XCR0's SSE and AVX bits).
    uint64_t xcr0 = 0;
    if (c & (1u << 27)) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = (uint64_t(hi) << 32) | lo;
    }
    const bool avx_os = (xcr0 & 0x6) == 0x6, avx512_os = (xcr0 & 0xE6) == 0xE6;
    if (__get_cpuid_max(0, nullptr) >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        f.bmi1 = b & (1u << 3);
        f.bmi2 = b & (1u << 8);
        f.avx2 = avx_os && (b & (1u << 5));
        f.avx512f = avx512_os && (b & (1u << 16));
    }
#endif
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures f = probe();
    return f;
}

}  // namespace bwl
