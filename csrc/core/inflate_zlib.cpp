// The zlib backend of core/inflate.hpp (BWL_INFLATE=ZLIB): the slower
// build, for comparison and for platforms bwl's fast loop does not know.
#include <zlib.h>

#include <new>
#include <string>

#include "bwl/error.hpp"
#include "core/inflate.hpp"

namespace bwl {

namespace {
uint64_t inflate_with(int window_bits, const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    z_stream z{};
    if (inflateInit2(&z, window_bits) != Z_OK) throw std::bad_alloc();
    // Feed in uInt-sized pieces so 64-bit sizes are safe.
    const uint64_t kChunk = 1u << 30;
    uint64_t in_left = n, out_left = cap;
    z.next_in = const_cast<uint8_t*>(src);
    z.next_out = dst;
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = uInt(in_left < kChunk ? in_left : kChunk);
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left) {
            z.avail_out = uInt(out_left < kChunk ? out_left : kChunk);
            out_left -= z.avail_out;
        }
        rc = inflate(&z, Z_FINISH);
        if (rc == Z_BUF_ERROR && (z.avail_in || in_left) && (z.avail_out || out_left)) rc = Z_OK;
    }
    uint64_t out = z.total_out;
    bool full = z.avail_out == 0 && out_left == 0;
    inflateEnd(&z);
    if (rc == Z_STREAM_END) return out;
    if (rc == Z_BUF_ERROR && full)
        throw FormatError("compressed block inflates past its declared size (" + std::to_string(cap) + " bytes)");
    throw FormatError("corrupt or truncated compressed stream");
}

}  // namespace

uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    return inflate_with(15, src, n, dst, cap);
}

uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    return inflate_with(16 + 15, src, n, dst, cap);  // 16: gzip wrapper only
}

const char* inflate_backend() { return "zlib"; }
const char* inflate_version() { return zlibVersion(); }

}  // namespace bwl
