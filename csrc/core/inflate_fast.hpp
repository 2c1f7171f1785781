// The CPU fast loop of bwl's deflate decoder: the same tables, entries and
// InflateState as the shared decoder (hd/inflate_hd.hpp), decoded the way
// libdeflate does on a CPU: a 64-bit bit buffer refilled without branches
// from 8-byte loads, up to three literals per refill, and match copies by
// 8-byte words; one stream (fast_loop) or two in turn (fast_loop_pair). It
// runs only while the input has kFastInMargin readable bytes and the output
// room for a whole match plus the word overshoot; the shared
// inflate_decode() handles block headers and the ends of the buffers.
// Internal to csrc/core (inflate_cpu.cpp instantiates it twice: plain x86-64
// and BMI2).
#pragma once

#include <cstdint>
#include <cstring>

#include "hd/inflate_hd.hpp"

namespace bwl::detail {

// Bytes a fast-loop iteration may read past its input position (two
// refills of at most 7 bytes each, the second loading 8) and write past its
// output position (3 literals, or a 258-byte match copied in words that
// overshoot by up to 23 bytes), with room to spare.
constexpr uint64_t kFastInMargin = 16;
// What the loop needs to start: begin()'s refill moves the input position
// by up to 7 bytes (a stream handed over with few bits buffered, as after
// a stored block or a resume), and the first item must still start inside
// kFastInMargin (found by the fuzz target: a read 4 bytes past the input).
constexpr uint64_t kFastStartMargin = kFastInMargin + 8;
constexpr uint64_t kFastOutMargin = 258 + 24 + 16;

inline uint64_t load_le64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

inline void copy8(uint8_t* d, const uint8_t* s) { std::memcpy(d, s, 8); }

// out[op, op + len) = out[op - dist, ...) with LZ77 overlap semantics; may
// write up to 23 bytes past d + len (the caller's margin).
inline __attribute__((always_inline)) void copy_match(uint8_t* d, uint32_t dist, uint32_t len) {
    const uint8_t* s = d - dist;
    uint8_t* end = d + len;
    if (dist >= 8) {  // each word load reads only bytes final before it
        copy8(d, s);
        // Most matches are short: stopping here spares the next loads,
        // which for dist < 24 read what the stores just wrote and wait for
        // them (a store-forwarding stall).
        if (len <= 8) return;
        copy8(d + 8, s + 8);
        copy8(d + 16, s + 16);
        if (len <= 24) return;  // most matches are short
        d += 24;
        s += 24;
        while (d < end) {
            copy8(d, s);
            copy8(d + 8, s + 8);
            d += 16;
            s += 16;
        }
        return;
    }
    if (dist == 1) {  // a run of one byte
        uint64_t w = 0x0101010101010101ull * *s;
        do {
            std::memcpy(d, &w, 8);
            d += 8;
        } while (d < end);
        return;
    }
    // Distance 2..7: each 8-byte load sees `dist` final bytes (the rest
    // is rewritten by the next step), so advance by `dist` per word.
    do {
        uint64_t w;
        std::memcpy(&w, d - dist, 8);
        std::memcpy(d, &w, 8);
        d += dist;
    } while (d < end);
}

// The low n bits of x (n < 32).
inline __attribute__((always_inline)) uint32_t low_bits(uint64_t x, uint32_t n) {
    return uint32_t(x & ((uint64_t(1) << n) - 1));  // one BZHI where BMI2 is on
}

// One stream in the fast loop: its bit buffer, input and output positions
// and the next litlen entry, kept in registers while the loop runs (the
// lane is a local the compiler splits into its fields).
struct FastLane {
    InflateState* s;
    const uint32_t* litlen;
    const uint32_t* dist;
    uint8_t* out;  // the output's start (distances are checked against it)
    uint8_t* op;
    uint8_t* op_end;  // the fast loop's last start: `stop` or the margin before cap
    const uint8_t* ip;
    const uint8_t* in_end;  // the last input position with kFastInMargin bytes after it
    uint64_t buf;
    uint32_t cnt;  // bits in buf; only the low byte counts (see refill)
    uint32_t e;    // the next litlen entry, looked up before it is needed
    int st;

    static constexpr uint32_t kLitMask = (1u << kLitLenTableBits) - 1, kDistMask = (1u << kDistTableBits) - 1;

    // Branchless refill to 56..63 bits: bits past `cnt` in buf are the
    // next input bits already, so OR-ing the reloaded bytes is harmless. A
    // refill never changes the low bits, so an entry looked up before it
    // stays valid: each symbol's entry is loaded while the previous one is
    // still being written out. A symbol subtracts its whole entry from cnt
    // (libdeflate's trick: no mask); the borrow never reaches below bit 8.
    __attribute__((always_inline)) void refill() {
        buf |= load_le64(ip) << (cnt & 63);
        ip += 7 - ((cnt >> 3) & 7);
        cnt |= 56;
    }
    __attribute__((always_inline)) void consume(uint32_t entry) {
        buf >>= entry_bits(entry);
        cnt -= entry;
    }
    // Whether another item may start (the margins hold, stop not reached).
    __attribute__((always_inline)) bool more() const { return op < op_end && ip <= in_end; }

    // Whether s's stream is decoding symbols with room to spare: the fast
    // loop can take it.
    static bool can_start(const InflateState* s, uint64_t cap, uint64_t stop) {
        const InflateBits& br = s->br;
        const uint64_t room_end = cap > kFastOutMargin ? cap - kFastOutMargin : 0;
        return s->mode == kModeHuffman && !br.pad && br.n - br.pos >= kFastStartMargin &&
               s->out_pos < (room_end < stop ? room_end : stop);
    }

    // Takes over s's stream when can_start(): false (nothing changed)
    // otherwise.
    __attribute__((always_inline)) bool begin(InflateState* state, uint8_t* o, uint64_t cap, uint64_t stop) {
        if (!can_start(state, cap, stop)) return false;
        s = state;
        const InflateBits& br = s->br;
        const uint64_t room_end = cap > kFastOutMargin ? cap - kFastOutMargin : 0;
        out = o;
        op = o + s->out_pos;
        op_end = o + (room_end < stop ? room_end : stop);
        ip = br.in + br.pos;
        in_end = br.in + br.n - kFastInMargin;
        litlen = s->litlen;
        dist = s->dist;
        buf = br.cnt ? br.buf & (~uint64_t(0) >> (64 - br.cnt)) : 0;
        cnt = br.cnt;
        st = kInflateOk;
        refill();
        e = litlen[buf & kLitMask];
        return true;
    }
    // Hands the stream back to s (the preloaded entry is dropped: its bits
    // were not consumed). Returns the lane's InflateStatus.
    __attribute__((always_inline)) int end() {
        InflateBits& br = s->br;
        cnt &= 63;
        br.pos = uint64_t(ip - br.in);
        br.buf = cnt ? buf & (~uint64_t(0) >> (64 - cnt)) : 0;
        br.cnt = cnt;
        s->out_pos = uint64_t(op - out);
        return st;
    }

    // Decodes one item, as libdeflate's loop does: the preloaded entry is
    // consumed first; then up to three literals, or up to two literals and
    // the match after them (10 + 10 + 20 bits for its length, then a refill
    // only if the distance's 28 might not fit). Returns false when the lane
    // leaves the loop: an end of block (s->mode is kModeHeader) or an error
    // (st).
    template <bool kEarly>
    __attribute__((always_inline)) bool item() {
        uint64_t saved = buf;
        consume(e);
        if (entry_is_literal(e)) {
            uint32_t lit = e >> 16;
            e = litlen[buf & kLitMask];
            saved = buf;
            consume(e);
            *op++ = uint8_t(lit);
            if (entry_is_literal(e)) {
                lit = e >> 16;
                e = litlen[buf & kLitMask];
                saved = buf;
                consume(e);
                *op++ = uint8_t(lit);
                if (entry_is_literal(e)) {  // >= 26 bits were left: the preload is whole
                    lit = e >> 16;
                    e = litlen[buf & kLitMask];
                    refill();
                    *op++ = uint8_t(lit);
                    return true;
                }
            }
        }
        if (__builtin_expect(!entry_is_match(e), 0)) {  // a match is next likeliest: test it first
            if (entry_kind(e) == kEntryLink) {          // codes longer than the primary table
                e = litlen[entry_value(e) + low_bits(buf, entry_code(e))];
                saved = buf;
                consume(e);
                if (entry_is_literal(e)) {
                    uint32_t lit = e >> 16;
                    refill();
                    e = litlen[buf & kLitMask];
                    *op++ = uint8_t(lit);
                    return true;
                }
            }
            if (entry_kind(e) == kEntryEnd) {
                s->mode = kModeHeader;
                return false;
            }
            if (!entry_is_match(e)) {
                st = kInflateBadCodes;
                return false;
            }
        }
        // The length's extra bits come from the bits before its entry was
        // consumed, off the critical path.
        uint32_t len = entry_decode(e, saved);
        e = dist[buf & kDistMask];
        // kEarly: refilled here if the distance (<= 28 bits) could leave
        // fewer than a litlen lookup's bits, so the next entry is looked up
        // before the refill, off its latency (as libdeflate). One lane runs
        // faster so; two in turn slower (the other lane fills that latency,
        // and the extra refills cost more than they save).
        if (__builtin_expect((cnt & 63) < 28 + (kEarly ? kLitLenTableBits : 0), 0)) refill();
        if (entry_kind(e) == kEntryLink) {
            consume(e);
            e = dist[entry_value(e) + low_bits(buf, entry_code(e))];
        }
        if (!entry_is_match(e)) {
            st = kInflateBadDistance;
            return false;
        }
        saved = buf;
        consume(e);
        uint32_t d = entry_decode(e, saved);
        if (d > uint64_t(op - out)) {
            st = kInflateBadDistance;
            return false;
        }
        if (kEarly) {
            e = litlen[buf & kLitMask];
            refill();
        } else {
            refill();
            e = litlen[buf & kLitMask];
        }
        copy_match(op, d, len);
        op += len;
        return true;
    }
};

// Decodes symbols of s's current block while the margins hold and the
// output is below `stop`. Leaves s->mode kModeHeader after an end of block.
// Returns an InflateStatus.
template <int kVariant>  // only to give each instruction-set copy its own symbol
inline __attribute__((always_inline)) int fast_loop(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    FastLane a{};
    if (!a.begin(s, out, cap, stop)) return kInflateOk;
    while (a.item<true>() && a.more()) {}
    return a.end();
}

// Two streams at once, one item of each in turn: a stream's decode is one
// chain of dependent loads and shifts, so a second, independent chain fills
// the cycles the first waits. Runs until either lane leaves (nothing runs
// unless both can start); both are handed back, *sta and *stb their
// statuses.
template <int kVariant>
inline __attribute__((always_inline)) void fast_loop_pair(InflateState* sa, uint8_t* outa, uint64_t capa,
                                                          uint64_t stopa, InflateState* sb, uint8_t* outb,
                                                          uint64_t capb, uint64_t stopb, int* sta, int* stb) {
    FastLane a{}, b{};
    *sta = *stb = kInflateOk;
    bool go_a = a.begin(sa, outa, capa, stopa);
    bool go_b = b.begin(sb, outb, capb, stopb);
    if (go_a && go_b) {
        while (a.item<false>() && b.item<false>() && a.more() && b.more()) {}
    }
    if (go_a) *sta = a.end();
    if (go_b) *stb = b.end();
}

}  // namespace bwl::detail
