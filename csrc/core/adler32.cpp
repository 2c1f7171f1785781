#include "core/adler32.hpp"
#include "core/cpu_features.hpp"

#include "hd/inflate_hd.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BWL_ADLER_AVX2 1
#endif

namespace bwl::detail {

#ifdef BWL_ADLER_AVX2
namespace {

// 32 bytes a step: A += sum(x), B += 32 * A_before + sum((32 - i) * x_i).
// Blocks of at most kAdlerNmax bytes keep every 32-bit lane from
// overflowing before the modulo, as in zlib.
__attribute__((target("avx2"))) uint32_t adler32_avx2(uint32_t adler, const uint8_t* p, uint64_t n) {
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    const __m256i weights = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14,
                                             13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    const __m256i ones = _mm256_set1_epi16(1), zero = _mm256_setzero_si256();
    while (n >= 32) {
        uint64_t chunk = n < kAdlerNmax ? n : kAdlerNmax;
        chunk &= ~uint64_t(31);
        n -= chunk;
        __m256i vs1 = _mm256_setr_epi32(int(a), 0, 0, 0, 0, 0, 0, 0),
                vs2 = _mm256_setr_epi32(int(b), 0, 0, 0, 0, 0, 0, 0);
        __m256i vs1_sum = zero;  // sum of vs1 before each step, times 32 at the end
        for (uint64_t i = 0; i < chunk; i += 32) {
            __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i));
            vs1_sum = _mm256_add_epi32(vs1_sum, vs1);
            vs1 = _mm256_add_epi32(vs1, _mm256_sad_epu8(x, zero));
            vs2 = _mm256_add_epi32(vs2, _mm256_madd_epi16(_mm256_maddubs_epi16(x, weights), ones));
        }
        p += chunk;
        vs2 = _mm256_add_epi32(vs2, _mm256_slli_epi32(vs1_sum, 5));
        alignas(32) uint32_t l1[8], l2[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(l1), vs1);
        _mm256_store_si256(reinterpret_cast<__m256i*>(l2), vs2);
        uint64_t s1 = 0, s2 = 0;
        for (int k = 0; k < 8; ++k) {
            s1 += l1[k];
            s2 += l2[k];
        }
        a = uint32_t(s1 % kAdlerBase);
        b = uint32_t(s2 % kAdlerBase);
    }
    return adler32_hd(b << 16 | a, p, n);
}

bool have_avx2() { return cpu_features().avx2; }

}  // namespace
#endif

uint32_t adler32(uint32_t adler, const uint8_t* p, uint64_t n) {
#ifdef BWL_ADLER_AVX2
    if (have_avx2()) return adler32_avx2(adler, p, n);
#endif
    return adler32_hd(adler, p, n);
}

}  // namespace bwl::detail
