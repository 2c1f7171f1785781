// adler32 (RFC 1950 8.2) on the CPU: AVX2 where the CPU has it (chosen at
// run time; the build assumes only the x86-64 baseline), else the shared
// scalar adler32_hd. Internal to csrc/core.
#pragma once

#include <cstdint>

namespace bwl::detail {

// adler32 of p[0, n), continuing from `adler` (1 to start).
uint32_t adler32(uint32_t adler, const uint8_t* p, uint64_t n);

}  // namespace bwl::detail
