// CPU inflate of zlib streams (bigWig blocks) and gzip members (BGZF).
// bwl's own decoder by default (inflate_cpu.cpp: needs no library, and it
// can stop at a given output length; bench/inflate.py measures it against
// libdeflate and zlib); libdeflate or zlib when the build asks for them
// (-DBWL_INFLATE=LIBDEFLATE or ZLIB), for comparison.
#include "core/inflate.hpp"

#include <algorithm>
#include <string>

#include "bwl/error.hpp"

#if defined(BWL_INFLATE_LIBDEFLATE)
#include <libdeflate.h>
#else
#include <zlib.h>
#endif
#if !defined(BWL_INFLATE_LIBDEFLATE) && !defined(BWL_INFLATE_ZLIB)
#include "core/inflate_cpu.hpp"
#include "hd/inflate_hd.hpp"
#endif

namespace bwl {

#if defined(BWL_INFLATE_LIBDEFLATE)

namespace {
// One decompressor per thread: they hold ~32 KiB of tables and are not
// thread-safe, and allocating one per block would cost more than inflating.
struct Decompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Decompressor() { libdeflate_free_decompressor(d); }
};

uint64_t finish(libdeflate_result r, size_t out, uint64_t cap) {
    switch (r) {
        case LIBDEFLATE_SUCCESS: return out;
        case LIBDEFLATE_INSUFFICIENT_SPACE:
            throw FormatError("compressed block inflates past its declared size (" + std::to_string(cap) + " bytes)");
        case LIBDEFLATE_SHORT_OUTPUT:
        case LIBDEFLATE_BAD_DATA:
        default: throw FormatError("corrupt or truncated compressed stream");
    }
}

libdeflate_decompressor* decompressor() {
    thread_local Decompressor dec;
    if (!dec.d) throw std::bad_alloc();
    return dec.d;
}
}  // namespace

uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    size_t out = 0;
    libdeflate_result r = libdeflate_zlib_decompress(decompressor(), src, n, dst, cap, &out);
    return finish(r, out, cap);
}

uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    size_t out = 0;
    libdeflate_result r = libdeflate_gzip_decompress(decompressor(), src, n, dst, cap, &out);
    return finish(r, out, cap);
}

const char* inflate_backend() { return "libdeflate"; }
const char* inflate_version() { return LIBDEFLATE_VERSION_STRING; }

#elif defined(BWL_INFLATE_ZLIB)

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
        if (z.avail_in == 0 && in_left) { z.avail_in = uInt(in_left < kChunk ? in_left : kChunk); in_left -= z.avail_in; }
        if (z.avail_out == 0 && out_left) { z.avail_out = uInt(out_left < kChunk ? out_left : kChunk); out_left -= z.avail_out; }
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

#else  // bwl's own decoder (the default)

namespace {

// One decoder state per thread: ~13 KiB of tables, reused for every member.
InflateState& state() {
    thread_local InflateState s;
    return s;
}

// RFC 1952 member header: returns its size, or 0 when it is not a valid one.
uint64_t gzip_header_size(const uint8_t* p, uint64_t n) {
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

}  // namespace

uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    thread_local BlockInflater inf;
    inf.begin(src, n, dst, cap);
    return inf.extend(~uint64_t(0));
}

uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    uint64_t h = gzip_header_size(src, n);
    if (!h) throw FormatError("corrupt or truncated compressed stream: bad gzip header");
    InflateState& s = state();
    int st = inflate_begin(&s, src + h, n - h, false);
    if (st == kInflateOk) st = detail::inflate_run(&s, dst, cap, ~uint64_t(0));
    if (st != kInflateOk) detail::throw_inflate(st, cap);
    uint64_t out = s.out_pos;
    // Trailer: CRC32 and ISIZE (little-endian) right after the deflate data.
    if (s.br.overrun()) throw FormatError("corrupt or truncated compressed stream: truncated gzip member");
    s.br.align();
    const uint8_t* t = src + h + s.br.pos;
    if (n - h - s.br.pos < 8) throw FormatError("corrupt or truncated compressed stream: truncated gzip trailer");
    uint32_t crc = t[0] | uint32_t(t[1]) << 8 | uint32_t(t[2]) << 16 | uint32_t(t[3]) << 24;
    uint32_t isize = t[4] | uint32_t(t[5]) << 8 | uint32_t(t[6]) << 16 | uint32_t(t[7]) << 24;
    uint32_t got = 0;
    for (uint64_t done = 0; done < out;) {  // zlib's crc32 takes uInt lengths
        uInt k = uInt(std::min<uint64_t>(out - done, 1u << 30));
        got = uint32_t(crc32(got, dst + done, k));
        done += k;
    }
    if (got != crc || isize != uint32_t(out))
        throw FormatError("corrupt or truncated compressed stream: gzip CRC32 or size mismatch");
    return out;
}

const char* inflate_backend() { return "bwl"; }
const char* inflate_version() { return detail::inflate_cpu_variant(); }

#endif

}  // namespace bwl
