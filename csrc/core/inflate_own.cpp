// bwl's own decoder as the backend of core/inflate.hpp (the default build):
// zlib streams through BlockInflater, gzip members through the state machine
// with their header (gzip_header.hpp) and CRC-32 trailer.
#include <zlib.h>  // crc32 only

#include <algorithm>

#include "bwl/error.hpp"
#include "core/block_inflater.hpp"
#include "core/gzip_header.hpp"
#include "core/inflate.hpp"
#include "core/inflate_cpu.hpp"

namespace bwl {

namespace {

// One decoder state per thread: ~8 KiB of tables, reused for every member.
InflateState& state() {
    thread_local InflateState s;
    return s;
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
    int st = inflate_begin(&s, src + h, n - h, Wrapper::Raw);
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

}  // namespace bwl
