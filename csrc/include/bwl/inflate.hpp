// zlib-stream inflate on the CPU: libdeflate when the build found it, zlib
// otherwise. Data blocks of compressed bigWigs are zlib streams (RFC 1950).
#pragma once

#include <cstdint>
#include <string>

namespace bwl {

// Inflates src[0, n) into dst (capacity cap). Returns the inflated size.
// Throws FormatError (message without the file name: callers add it) when
// the stream is corrupt, truncated, or inflates past cap.
uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap);

// The same for one gzip member (RFC 1952), as in BGZF files.
uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap);

// "libdeflate" or "zlib": which library inflate_zlib uses, and its version.
const char* inflate_backend();
const char* inflate_version();

}  // namespace bwl
