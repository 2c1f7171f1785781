// Whole-stream inflate on the CPU: the API every backend implements. Data
// blocks of compressed bigWigs are zlib streams (RFC 1950), BGZF members
// gzip (RFC 1952). One backend per build, chosen by CMake (BWL_INFLATE):
// inflate_own.cpp (bwl's decoder, the default), inflate_libdeflate.cpp or
// inflate_zlib.cpp. Inflating in steps: block_inflater.hpp.
#pragma once

#include <cstdint>

namespace bwl {

// Inflates src[0, n) into dst (capacity cap). Returns the inflated size.
// Throws FormatError (message without the file name: callers add it) when
// the stream is corrupt, truncated, or inflates past cap.
uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap);

// The same for one gzip member (RFC 1952), as in BGZF files.
uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap);

// Deflate cannot expand more than ~1032:1, so a block's inflated size is
// bounded by its compressed size too: the buffer for a block of
// `compressed` bytes is at most this, whatever a hostile uncompressBufSize
// says (the CPU reader and the GPU plan both size blocks so).
constexpr uint64_t kMaxDeflateRatio = 1032;
inline uint64_t inflated_capacity(uint64_t uncompress_buf_size, uint64_t compressed) {
    uint64_t bound = compressed * kMaxDeflateRatio + 64;
    return uncompress_buf_size < bound ? uncompress_buf_size : bound;
}

// "bwl", "libdeflate" or "zlib": which decoder inflate_zlib uses, and its
// version (for bwl's: the instruction set of the fast loop this CPU runs).
const char* inflate_backend();
const char* inflate_version();

}  // namespace bwl
