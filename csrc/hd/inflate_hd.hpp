// Our own zlib (RFC 1950) / DEFLATE (RFC 1951) decoder, shared by the CPU
// tests and the CUDA kernels (BWL_HD): no heap, no exceptions, no std::
// containers; all state lives in a caller-provided InflateState (about 8 KiB,
// which fits a warp's share of shared memory).
//
// Split so that a group of threads (a warp) can cooperate, as in nvCOMP and
// cuDF: one thread runs inflate_decode(), which decodes Huffman symbols,
// writes literals straight to the output and queues LZ77 matches and stored
// blocks as InflateCopy commands; then every thread of the group runs
// inflate_copy() on each queued command with its own rank. inflate_hd() is
// the single-thread driver, inflate_group() the cooperative one (templated on
// a group policy, see its comment). Both check everything zlib checks:
// header, code sets, codes, distances, output size, truncation and adler32.
#pragma once

#include <cstdint>

#include "hd/hd.hpp"
#include "hd/inflate_point.hpp"

namespace bwl {

enum InflateStatus : int {
    kInflateOk = 0,
    kInflateTruncated = 1,    // input ends before the final block or the trailer
    kInflateBadHeader = 2,    // zlib CMF/FLG invalid, not deflate, window > 32K, or FDICT set
    kInflateBadBlock = 3,     // block type 3, or stored LEN != ~NLEN
    kInflateBadCodes = 4,     // code lengths over-subscribed/incomplete, bad repeat, invalid symbol
    kInflateBadDistance = 5,  // invalid distance symbol, or a match reaching before the output start
    kInflateOverflow = 6,     // output would pass the capacity
    kInflateBadChecksum = 7,  // adler32 trailer does not match the output
};

BWL_HD const char* inflate_status_text(int s) {
    switch (s) {
        case kInflateOk:
            return "ok";
        case kInflateTruncated:
            return "truncated compressed stream";
        case kInflateBadHeader:
            return "bad zlib header";
        case kInflateBadBlock:
            return "bad deflate block header";
        case kInflateBadCodes:
            return "invalid Huffman codes in compressed stream";
        case kInflateBadDistance:
            return "invalid distance in compressed stream";
        case kInflateOverflow:
            return "compressed block inflates past its declared size";
        case kInflateBadChecksum:
            return "adler32 checksum mismatch in compressed stream";
        default:
            return "unknown inflate error";
    }
}

// A deflate stream's wrapper: Zlib (RFC 1950: bigWig blocks) has a header
// and an adler32 trailer; Raw (RFC 1951: inside gzip members) has neither.
enum class Wrapper : uint32_t { Raw = 0, Zlib = 1 };

// RFC 1950 (zlib stream).
constexpr uint32_t kZlibHeaderSize = 2;     // CMF, FLG
constexpr uint32_t kZlibTrailerSize = 4;    // ADLER32, big-endian
constexpr uint32_t kZlibMethodDeflate = 8;  // CM
constexpr uint32_t kZlibMaxCinfo = 7;       // CINFO: log2(window) - 8, at most 32K
constexpr uint32_t kZlibFlagDict = 0x20;    // FDICT: a preset dictionary we do not have
constexpr uint32_t kZlibCheckDivisor = 31;  // (CMF * 256 + FLG) % 31 == 0
constexpr uint32_t kAdlerBase = 65521;      // largest prime below 2^16
constexpr uint32_t kAdlerNmax = 5552;       // bytes before the 32-bit sums could overflow

// RFC 1951 (deflate).
constexpr uint32_t kDeflateMaxBits = 15;     // longest code
constexpr uint32_t kDeflateNumLitLen = 288;  // lit/len alphabet incl. the 2 unused codes of the fixed code
constexpr uint32_t kDeflateMaxLitLen = 286;  // HLIT + 257 may not exceed this
constexpr uint32_t kDeflateNumDist = 32;     // distance alphabet incl. the 2 unused codes
constexpr uint32_t kDeflateMaxDist = 30;     // HDIST + 1 may not exceed this
constexpr uint32_t kDeflateNumPrecode = 19;  // code-length alphabet
constexpr uint32_t kDeflatePrecodeBits = 7;  // longest code-length code
constexpr uint32_t kDeflateEndOfBlock = 256;
constexpr uint32_t kDeflateFirstLength = 257;
constexpr uint32_t kDeflateStored = 0, kDeflateFixed = 1, kDeflateDynamic = 2;  // BTYPE

// Decode tables: a primary table indexed by the next kXxxTableBits input
// bits, and subtables for longer codes (as zlib and libdeflate). Their sizes
// are the worst cases over all complete codes, computed by zlib's
// examples/enough.c ("enough 288 10 15", "enough 32 8 15").
constexpr uint32_t kLitLenTableBits = 10;
constexpr uint32_t kLitLenEnough = 1334;
constexpr uint32_t kDistTableBits = 8;
constexpr uint32_t kDistEnough = 402;
constexpr uint32_t kPrecodeEnough = 1u << kDeflatePrecodeBits;  // no subtables

// Copies queued per inflate_decode() call before the group runs them.
constexpr uint32_t kInflateQueue = 32;

// A table entry packs lit:1 | value:15 | code:4 | kind:4 | bits:8. `bits` is
// what the entry consumes: its codeword and, for a length or distance, the
// extra bits after it (<= 28), so one shift consumes a whole symbol; `code`
// is the codeword's own length (the extra bits are bits [code, bits) of the
// input before the shift). A link consumes the primary width; its `code` is
// the subtable width and `value` the subtable's index. `bits` < 64 fills the
// low byte alone, so `buf >> (e & 63)` is one x86 shift of `buf` by `e`: the
// CPU fast loop's critical path is load, shift, mask, load (as libdeflate's).
// A literal also sets the top bit, so the fast loop tells one by the sign
// (one test) and stores its byte from `e >> 16` (as libdeflate); after that,
// a match is the one kind whose nibble is zero (one more test).
enum : uint32_t {
    kEntryMatch = 0,    // value = length or distance base
    kEntryLiteral = 1,  // value = byte (or code-length symbol); the top bit set too
    kEntryEnd = 2,      // end of block
    kEntryLink = 3,     // go to a subtable
    kEntryInvalid = 4,  // unused code or a symbol deflate forbids
};
enum : uint32_t { kTablePrecode = 0, kTableLitLen = 1, kTableDist = 2 };

constexpr uint32_t kEntryLiteralFlag = 1u << 31, kEntryKindMask = 15u << 8;
BWL_HD constexpr uint32_t inflate_entry(uint32_t kind, uint32_t code, uint32_t extra, uint32_t value) {
    return (kind == kEntryLiteral ? kEntryLiteralFlag : 0) | value << 16 | code << 12 | kind << 8 | (code + extra);
}
BWL_HD uint32_t link_entry(uint32_t root, uint32_t sub_bits, uint32_t index) {
    return index << 16 | sub_bits << 12 | kEntryLink << 8 | root;
}
BWL_HD uint32_t entry_bits(uint32_t e) { return e & 63; }
BWL_HD uint32_t entry_kind(uint32_t e) { return (e >> 8) & 15; }
BWL_HD uint32_t entry_code(uint32_t e) { return (e >> 12) & 15; }  // a link's subtable width
BWL_HD uint32_t entry_value(uint32_t e) { return (e >> 16) & 0x7FFF; }
BWL_HD bool entry_is_literal(uint32_t e) { return int32_t(e) < 0; }
BWL_HD bool entry_is_match(uint32_t e) { return (e & kEntryKindMask) == 0; }  // kEntryMatch << 8
// The symbol's value, base plus extra bits, from the input bits the entry
// was looked up with (`in`: at least entry_bits(e) of them, low bit first).
// A literal's is its byte in the low 8 bits (its flag above them).
BWL_HD uint32_t entry_decode(uint32_t e, uint64_t in) {
    return (e >> 16) + ((uint32_t(in) & ((1u << entry_bits(e)) - 1)) >> entry_code(e));  // bits <= 28
}

// RFC 1951 3.2.5 length and distance bases, from their regular pattern
// rather than tables (nothing to place in device constant memory).
BWL_HD constexpr void length_base(uint32_t i, uint32_t* base, uint32_t* extra) {  // i = symbol - 257, 0..28
    if (i < 8) {
        *base = 3 + i;
        *extra = 0;
    } else if (i < 28) {
        *extra = (i >> 2) - 1;
        *base = ((4 + (i & 3)) << *extra) + 3;
    } else {
        *base = 258;
        *extra = 0;
    }
}
BWL_HD constexpr void distance_base(uint32_t i, uint32_t* base, uint32_t* extra) {  // i = symbol, 0..29
    if (i < 4) {
        *base = 1 + i;
        *extra = 0;
    } else {
        *extra = (i >> 1) - 1;
        *base = ((2 + (i & 1)) << *extra) + 1;
    }
}
// RFC 1951 3.2.7 order of code-length code lengths:
// 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15.
BWL_HD uint32_t precode_order(uint32_t i) {
    if (i < 3) return 16 + i;
    if (i == 3) return 0;
    uint32_t k = i - 4;
    return (k & 1) ? 7 - (k >> 1) : 8 + (k >> 1);
}

BWL_HD constexpr uint32_t symbol_entry(uint32_t table, uint32_t sym, uint32_t bits) {
    if (table == kTablePrecode) return inflate_entry(kEntryLiteral, bits, 0, sym);
    uint32_t base = 0, extra = 0;
    if (table == kTableLitLen) {
        if (sym < kDeflateEndOfBlock) return inflate_entry(kEntryLiteral, bits, 0, sym);
        if (sym == kDeflateEndOfBlock) return inflate_entry(kEntryEnd, bits, 0, 0);
        if (sym >= kDeflateMaxLitLen) return inflate_entry(kEntryInvalid, bits, 0, 0);  // 286, 287
        length_base(sym - kDeflateFirstLength, &base, &extra);
        return inflate_entry(kEntryMatch, bits, extra, base);
    }
    if (sym >= kDeflateMaxDist) return inflate_entry(kEntryInvalid, bits, 0, 0);  // 30, 31
    distance_base(sym, &base, &extra);
    return inflate_entry(kEntryMatch, bits, extra, base);
}

// symbol_entry(table, sym, len) is this plus len * kEntryCodeUnit (the
// codeword length goes into both `code` and `bits`). A CPU looks it up in a
// table made at compile time; a GPU computes it (no constant memory to set
// up).
constexpr uint32_t kEntryCodeUnit = 1u << 12 | 1;
#if !defined(__CUDA_ARCH__)
struct SymbolEntries {
    uint32_t e[3][kDeflateNumLitLen];
    constexpr SymbolEntries() : e() {
        for (uint32_t t = 0; t < 3; ++t)
            for (uint32_t sym = 0; sym < kDeflateNumLitLen; ++sym) e[t][sym] = symbol_entry(t, sym, 0);
    }
};
inline constexpr SymbolEntries kSymbolEntries{};
#endif
BWL_HD uint32_t symbol_entry_base(uint32_t table, uint32_t sym) {
#if defined(__CUDA_ARCH__)
    return symbol_entry(table, sym, 0);
#else
    return kSymbolEntries.e[table][sym];
#endif
}

BWL_HD uint32_t reverse_bits(uint32_t code, uint32_t n) {  // n in 1..16
#if defined(__CUDA_ARCH__)
    return __brev(code) >> (32 - n);
#else
    code = (code & 0x5555u) << 1 | ((code >> 1) & 0x5555u);
    code = (code & 0x3333u) << 2 | ((code >> 2) & 0x3333u);
    code = (code & 0x0F0Fu) << 4 | ((code >> 4) & 0x0F0Fu);
    code = (code & 0x00FFu) << 8 | ((code >> 8) & 0x00FFu);
    return code >> (16 - n);
#endif
}

BWL_HD void copy_entries(uint32_t* dst, const uint32_t* src, uint32_t n) {  // non-overlapping
#if defined(__CUDA_ARCH__)
    for (uint32_t j = 0; j < n; ++j) dst[j] = src[j];
#else
    __builtin_memcpy(dst, src, n * sizeof(uint32_t));
#endif
}

// Builds the decode table of a canonical Huffman code from n code lengths
// (each 0..15). `sorted` is scratch for n symbols. As zlib: over-subscribed
// sets are rejected; incomplete ones only when `allow_single` and the code is
// a single 1-bit codeword (its other half decodes as invalid); an empty code
// (no lengths) is accepted when `allow_single`, every entry invalid.
BWL_HD int build_table(const uint8_t* lens, uint32_t n, uint32_t root, uint32_t table_kind, bool allow_single,
                       uint32_t* table, uint32_t cap, uint16_t* sorted) {
    // Symbols are counted and sorted as four quarters at once, each with
    // its own counters: neighbouring symbols often share a length, and one
    // array would make each increment wait for the last (a store-forwarding
    // chain through every symbol).
    constexpr uint32_t kParts = 4;
    uint32_t part[kParts][kDeflateMaxBits + 1], count[kDeflateMaxBits + 1];
    for (uint32_t i = 0; i <= kDeflateMaxBits; ++i)
        for (uint32_t p = 0; p < kParts; ++p) part[p][i] = 0;
    const uint32_t q = n / kParts, tail = (kParts - 1) * q;  // the last part also takes the n % kParts left over
    const uint8_t *l0 = lens, *l1 = lens + q, *l2 = lens + 2 * q, *l3 = lens + tail;
    for (uint32_t k = 0; k < q; ++k) {
        part[0][l0[k]]++;
        part[1][l1[k]]++;
        part[2][l2[k]]++;
        part[3][l3[k]]++;
    }
    for (uint32_t k = tail + q; k < n; ++k) part[kParts - 1][lens[k]]++;
    for (uint32_t i = 0; i <= kDeflateMaxBits; ++i) {
        count[i] = 0;
        for (uint32_t p = 0; p < kParts; ++p) count[i] += part[p][i];
    }
    int32_t left = 1;  // codewords still free at the current length
    for (uint32_t len = 1; len <= kDeflateMaxBits; ++len) {
        left = (left << 1) - int32_t(count[len]);
        if (left < 0) return kInflateBadCodes;  // over-subscribed
    }
    uint32_t max = kDeflateMaxBits;
    while (max > 0 && count[max] == 0) --max;
    const uint32_t invalid = inflate_entry(kEntryInvalid, 0, 0, 0);
    const uint32_t root_size = 1u << root;
    if (left > 0)  // a complete code fills every entry below; an incomplete one leaves holes
        for (uint32_t i = 0; i < root_size; ++i) table[i] = invalid;
    if (max == 0) return allow_single ? kInflateOk : kInflateBadCodes;
    if (left > 0 && !(allow_single && max == 1)) return kInflateBadCodes;  // incomplete

    // Sorted by length, then symbol (canonical order); unused symbols
    // (length 0) go first and are skipped, so the loop has no branch.
    for (uint32_t len = 0, at = 0; len <= kDeflateMaxBits; ++len)
        for (uint32_t p = 0; p < kParts; ++p) {  // part[][] becomes each part's next slot
            const uint32_t c = part[p][len];
            part[p][len] = at;
            at += c;
        }
    for (uint32_t k = 0; k < q; ++k) {
        sorted[part[0][l0[k]]++] = uint16_t(k);
        sorted[part[1][l1[k]]++] = uint16_t(q + k);
        sorted[part[2][l2[k]]++] = uint16_t(2 * q + k);
        sorted[part[3][l3[k]]++] = uint16_t(tail + k);
    }
    for (uint32_t k = tail + q; k < n; ++k) sorted[part[kParts - 1][lens[k]]++] = uint16_t(k);
    const uint16_t* sym = sorted + count[0];

    if (left > 0) {  // the one incomplete code allowed: a single 1-bit codeword
        table[0] = symbol_entry_base(table_kind, sym[0]) + kEntryCodeUnit;
        for (uint32_t j = 2; j < root_size; j += 2) table[j] = table[0];
        return kInflateOk;
    }
    // Canonical codes are consecutive in this order (MSB-first); deflate
    // sends them MSB-first into an LSB-first stream, so an entry goes at the
    // bit-reversed code (reversed anew for each code: libdeflate's reversed
    // increment is one long dependency chain per code). As libdeflate,
    // codes of length `len` go into the first 2^len entries, which are then
    // doubled (copied) up to the next length: every entry is written by
    // copies instead of once per code by strides.
    uint32_t code = 0, filled = 0;  // table[0, 2^filled) is final for codes of length <= filled
    uint32_t len = 1;
    for (; len <= max && len <= root; ++len, code <<= 1) {
        if (count[len] == 0) continue;
        if (filled == 0) filled = len;
        for (; filled < len; ++filled) copy_entries(table + (1u << filled), table, 1u << filled);
        const uint32_t add = len * kEntryCodeUnit;
        for (uint32_t k = count[len]; k > 0; --k, ++code)
            table[reverse_bits(code, len)] = symbol_entry_base(table_kind, *sym++) + add;
    }
    for (; filled < root; ++filled) copy_entries(table + (1u << filled), table, 1u << filled);
    uint32_t next = root_size, sub_base = 0, sub_bits = 0, cur_prefix = ~0u;
    for (; len <= max; ++len, code <<= 1) {
        for (uint32_t k = 0; k < count[len]; ++k, ++code) {
            const uint32_t rev = reverse_bits(code, len), prefix = rev & (root_size - 1);
            if (prefix != cur_prefix) {
                // Codes sharing these first `root` bits are consecutive in
                // canonical order; size the subtable for all of them, as
                // zlib's inflate_table does (count[] minus those done).
                sub_bits = len - root;
                int32_t room = int32_t(1u << sub_bits);
                while (sub_bits + root < max) {
                    uint32_t l = sub_bits + root;
                    room -= int32_t(l == len ? count[len] - k : count[l]);
                    if (room <= 0) break;
                    ++sub_bits;
                    room <<= 1;
                }
                if (next + (1u << sub_bits) > cap) return kInflateBadCodes;  // cannot happen for complete codes
                for (uint32_t j = 0; j < (1u << sub_bits); ++j) table[next + j] = invalid;
                table[prefix] = link_entry(root, sub_bits, next);
                sub_base = next;
                next += 1u << sub_bits;
                cur_prefix = prefix;
            }
            const uint32_t e = symbol_entry_base(table_kind, *sym++) + (len - root) * kEntryCodeUnit;
            for (uint32_t j = rev >> root; j < (1u << sub_bits); j += 1u << (len - root)) table[sub_base + j] = e;
        }
    }
    return kInflateOk;
}

// LSB-first bit reader over a bounded input. Past the end it shifts in
// zeros and counts them in `pad`; a decoder that consumed any of them
// (overrun()) had a truncated stream. Nothing is ever read past in[n - 1].
struct InflateBits {
    const uint8_t* in;
    uint64_t n, pos;
    uint64_t buf;
    uint32_t cnt, pad;

    BWL_HD void init(const uint8_t* p, uint64_t size, uint64_t start) {
        in = p;
        n = size;
        pos = start;
        buf = 0;
        cnt = 0;
        pad = 0;
    }
    // Tops the buffer up to at least 56 bits.
    BWL_HD void refill() {
        if (n - pos >= 8 && cnt < 64) {
#if !defined(__CUDA_ARCH__)
            uint64_t w;  // one 8-byte load
            __builtin_memcpy(&w, in + pos, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            w = __builtin_bswap64(w);
#endif
#else
            // A GPU needs wide loads aligned: 8 independent byte loads (L1
            // hits) instead of a loop that checks the bound before each.
            const uint8_t* p = in + pos;
            uint64_t w = 0;
#pragma unroll
            for (int i = 0; i < 8; ++i) w |= uint64_t(p[i]) << (8 * i);
#endif
            buf |= w << cnt;  // the bits past the new count are the next input's, as they will be loaded
            pos += (63 - cnt) >> 3;
            cnt |= 56;
            return;
        }
        while (cnt <= 56) {
            uint64_t b = 0;
            if (pos < n) b = in[pos++];
            else pad += 8;
            buf |= b << cnt;
            cnt += 8;
        }
    }
    BWL_HD uint32_t peek(uint32_t k) const { return uint32_t(buf) & ((1u << k) - 1); }
    BWL_HD void drop(uint32_t k) {
        buf >>= k;
        cnt -= k;
    }
    BWL_HD uint32_t take(uint32_t k) {  // k <= 16
        if (cnt < k) refill();
        uint32_t v = peek(k);
        drop(k);
        return v;
    }
    BWL_HD bool overrun() const { return pad > cnt; }
    // The input bit read next (call only when !overrun()): bits buffered
    // past `cnt` are the next bytes' own, reloaded by the next refill.
    BWL_HD uint64_t bit_pos() const { return pos * 8 - (cnt - pad); }
    // Reads on from input bit `bit`.
    BWL_HD void seek(uint64_t bit) {
        init(in, n, bit >> 3);
        if (bit & 7) {
            refill();
            drop(uint32_t(bit & 7));
        }
    }
    // Goes to the next byte boundary and hands the whole bytes still
    // buffered back to the input, so stored blocks and the trailer can be
    // read from `in` directly. Call only when !overrun().
    BWL_HD void align() {
        drop(cnt & 7);
        pos -= (cnt - pad) >> 3;
        buf = 0;
        cnt = 0;
        pad = 0;
    }
};

// One queued copy: a match (src is an earlier output position, possibly
// overlapping dst) or a stored block (src is an input position).
struct InflateCopy {
    uint64_t dst, src;
    uint32_t len, from_input;
};

enum : uint32_t { kModeHeader = 0, kModeHuffman = 1, kModeDone = 2 };

struct InflateState {
    uint32_t litlen[kLitLenEnough];
    uint32_t dist[kDistEnough];  // also holds the precode table while code lengths are read
    uint16_t sorted[kDeflateNumLitLen];
    uint8_t lens[kDeflateMaxLitLen + kDeflateMaxDist + 4];
    InflateBits br;
    uint64_t out_pos;
    uint64_t block_bit;  // where the current block's header starts (InflatePoint)
    uint32_t mode, last, fixed;
    Wrapper wrapper;
};

BWL_HD int build_fixed_tables(InflateState* s) {
    uint8_t* l = s->lens;
    for (uint32_t i = 0; i < 144; ++i) l[i] = 8;  // RFC 1951 3.2.6
    for (uint32_t i = 144; i < 256; ++i) l[i] = 9;
    for (uint32_t i = 256; i < 280; ++i) l[i] = 7;
    for (uint32_t i = 280; i < kDeflateNumLitLen; ++i) l[i] = 8;
    int st =
        build_table(l, kDeflateNumLitLen, kLitLenTableBits, kTableLitLen, true, s->litlen, kLitLenEnough, s->sorted);
    if (st != kInflateOk) return st;
    for (uint32_t i = 0; i < kDeflateNumDist; ++i) l[i] = 5;
    return build_table(l, kDeflateNumDist, kDistTableBits, kTableDist, true, s->dist, kDistEnough, s->sorted);
}

// Decodes one symbol with the next input bits (at least 15 + 13 buffered):
// returns its entry and sets *value (a match's base plus its extra bits).
BWL_HD uint32_t decode_entry(InflateBits& br, const uint32_t* table, uint32_t root, uint32_t* value) {
    uint32_t e = table[br.peek(root)];
    if (entry_kind(e) == kEntryLink) {
        br.drop(root);
        e = table[entry_value(e) + br.peek(entry_code(e))];
    }
    *value = entry_decode(e, br.buf);
    br.drop(entry_bits(e));
    return e;
}

// RFC 1951 3.2.7: HLIT, HDIST, HCLEN, the code-length code, then the
// run-length coded lengths of both codes.
BWL_HD int read_dynamic_tables(InflateState* s, InflateBits& br) {
    br.refill();
    uint32_t hlit = br.take(5) + kDeflateFirstLength, hdist = br.take(5) + 1, hclen = br.take(4) + 4;
    if (hlit > kDeflateMaxLitLen || hdist > kDeflateMaxDist) return kInflateBadCodes;
    uint8_t* lens = s->lens;
    for (uint32_t i = 0; i < kDeflateNumPrecode; ++i) lens[i] = 0;
    for (uint32_t i = 0; i < hclen; ++i) lens[precode_order(i)] = uint8_t(br.take(3));
    int st = build_table(lens, kDeflateNumPrecode, kDeflatePrecodeBits, kTablePrecode, false, s->dist, kPrecodeEnough,
                         s->sorted);
    if (st != kInflateOk) return st;
    uint32_t total = hlit + hdist;
    // The precode is complete (build_table refused any other), so every
    // entry is a symbol. Past the end of the input the reader yields zeros,
    // which still end the loop: truncation is told once, after it.
    for (uint32_t i = 0; i < total;) {
        if (br.cnt < kDeflatePrecodeBits + 7) br.refill();  // a symbol and its repeat bits
        uint32_t e = s->dist[br.peek(kDeflatePrecodeBits)];
        br.drop(entry_bits(e));
        uint32_t sym = entry_value(e);
        if (sym < 16) {
            lens[i++] = uint8_t(sym);
            continue;
        }
        uint32_t rep, v = 0, k;
        if (sym == 16) {  // repeat the previous length 3..6 times
            if (i == 0) return br.overrun() ? kInflateTruncated : kInflateBadCodes;
            v = lens[i - 1];
            k = 2;
            rep = 3;
        } else if (sym == 17) {  // 3..10 zeros
            k = 3;
            rep = 3;
        } else {  // 18: 11..138 zeros
            k = 7;
            rep = 11;
        }
        rep += br.peek(k);
        br.drop(k);
        if (rep > total - i) return br.overrun() ? kInflateTruncated : kInflateBadCodes;
        while (rep--) lens[i++] = uint8_t(v);
    }
    if (br.overrun()) return kInflateTruncated;
    if (lens[kDeflateEndOfBlock] == 0) return kInflateBadCodes;  // a block must be able to end
    st = build_table(lens, hlit, kLitLenTableBits, kTableLitLen, true, s->litlen, kLitLenEnough, s->sorted);
    if (st != kInflateOk) return st;
    return build_table(lens + hlit, hdist, kDistTableBits, kTableDist, true, s->dist, kDistEnough, s->sorted);
}

// A fixed or dynamic block's tables (BTYPE `type`, its header read up to
// there from br), then s decodes its symbols (kModeHuffman); any other type
// is kInflateBadBlock. The fixed tables are kept while blocks reuse them.
BWL_HD int read_block_tables(InflateState* s, InflateBits& br, uint32_t type) {
    int st = kInflateOk;
    if (type == kDeflateFixed) {
        if (!s->fixed) st = build_fixed_tables(s);
        s->fixed = st == kInflateOk;
    } else if (type == kDeflateDynamic) {
        s->fixed = 0;
        st = read_dynamic_tables(s, br);
    } else {
        st = kInflateBadBlock;
    }
    if (st == kInflateOk) s->mode = kModeHuffman;
    return st;
}

// Starts a stream (its wrapper: Zlib, a header and an adler32 trailer, or
// Raw deflate).
BWL_HD int inflate_begin(InflateState* s, const uint8_t* in, uint64_t n, Wrapper wrapper) {
    s->out_pos = 0;
    s->mode = kModeHeader;
    s->last = 0;
    s->fixed = 0;
    s->wrapper = wrapper;
    s->br.init(in, n, 0);
    s->block_bit = 0;
    if (wrapper == Wrapper::Raw) return kInflateOk;
    if (n < kZlibHeaderSize) return kInflateTruncated;
    uint32_t cmf = in[0], flg = in[1];
    if ((cmf & 15) != kZlibMethodDeflate || (cmf >> 4) > kZlibMaxCinfo || (cmf * 256 + flg) % kZlibCheckDivisor != 0 ||
        (flg & kZlibFlagDict))
        return kInflateBadHeader;
    s->br.pos = kZlibHeaderSize;
    s->block_bit = kZlibHeaderSize * 8;
    return kInflateOk;
}

// Where s stopped (between items, not overrun), for inflate_resume().
BWL_HD InflatePoint inflate_point(const InflateState* s) {
    InflatePoint p;
    p.out_pos = s->out_pos;
    p.block_bit = s->block_bit;
    p.next_bit = s->br.bit_pos();
    p.in_block = s->mode == kModeHuffman;
    p.valid = s->mode != kModeDone && !s->br.overrun();
    return p;
}

// Starts s on in[0, n) from point p of the same stream (an earlier
// inflate_point()): the current block's header and tables are read again
// at p.block_bit, then decoding goes on at p.next_bit with out[0,
// p.out_pos) already holding the output (matches reach back into it).
BWL_HD int inflate_resume(InflateState* s, const uint8_t* in, uint64_t n, Wrapper wrapper, const InflatePoint& p) {
    int st = inflate_begin(s, in, n, wrapper);
    if (st != kInflateOk) return st;
    if (!p.valid || p.next_bit > n * 8 || p.block_bit > p.next_bit) return kInflateBadBlock;
    s->out_pos = p.out_pos;
    s->block_bit = p.block_bit;
    // The block at p.block_bit: its BFINAL bit, and inside it its tables (a
    // stored block is never stopped inside). At a block header, that block
    // has ended and its BFINAL says whether the stream ends here; at the
    // stream's start no block has ended (the two bits are equal).
    InflateBits& br = s->br;
    if (p.in_block || p.next_bit > p.block_bit) {
        br.seek(p.block_bit);
        s->last = br.take(1);
        if (p.in_block) st = read_block_tables(s, br, br.take(2));
        if (br.overrun()) return kInflateTruncated;
        if (st != kInflateOk) return st;
    }
    br.seek(p.next_bit);
    return kInflateOk;
}

// Decodes until the queue holds `qcap` copies, the final block ends
// (s->mode == kModeDone), or the output (counting queued copies) reaches
// `stop`. Literals go to out[] at once; every copy is
// checked (distance within the output so far, end within cap) before it is
// queued, so the caller runs the queue without checks, in order. Returns an
// InflateStatus; kInflateTruncated wins over any error caused by reading
// the zeros past the end.
BWL_HD int inflate_decode(InflateState* s, uint8_t* out, uint64_t cap, InflateCopy* q, uint32_t qcap, uint32_t* nq,
                          uint64_t stop = ~uint64_t(0)) {
    InflateBits br = s->br;  // in registers while decoding
    uint64_t op = s->out_pos;
    uint32_t k = 0;
    int st = kInflateOk;
    while (s->mode != kModeDone && k < qcap && op < stop) {
        if (s->mode == kModeHeader) {
            if (s->last) {
                s->mode = kModeDone;
                break;
            }
            s->block_bit = br.bit_pos();  // not overrun: checked after every read
            if (br.cnt < 3) br.refill();
            s->last = br.take(1);
            uint32_t type = br.take(2);
            if (br.overrun()) {
                st = kInflateTruncated;
                break;
            }
            if (type == kDeflateStored) {
                br.align();
                if (br.n - br.pos < 4) {
                    st = kInflateTruncated;
                    break;
                }
                const uint8_t* p = br.in + br.pos;
                uint32_t len = p[0] | uint32_t(p[1]) << 8, nlen = p[2] | uint32_t(p[3]) << 8;
                if (len != (~nlen & 0xFFFFu)) {
                    st = kInflateBadBlock;
                    break;
                }
                br.pos += 4;
                if (br.n - br.pos < len) {
                    st = kInflateTruncated;
                    break;
                }
                if (cap - op < len) {
                    st = kInflateOverflow;
                    break;
                }
                if (len) q[k++] = InflateCopy{op, br.pos, len, 1};
                op += len;
                br.pos += len;
            } else if ((st = read_block_tables(s, br, type)) != kInflateOk) {
                break;
            }
            continue;
        }
        // lit/len code (15) + length extra (5) + distance code (15) + distance extra (13)
        if (br.cnt < 48) br.refill();
        uint32_t v;
        uint32_t e = decode_entry(br, s->litlen, kLitLenTableBits, &v);
        if (br.overrun()) {
            st = kInflateTruncated;
            break;
        }
        uint32_t kind = entry_kind(e);
        if (kind == kEntryLiteral) {
            if (op >= cap) {
                st = kInflateOverflow;
                break;
            }
            out[op++] = uint8_t(v);
            continue;
        }
        if (kind == kEntryEnd) {
            s->mode = kModeHeader;
            continue;
        }
        if (kind != kEntryMatch) {
            st = kInflateBadCodes;
            break;
        }
        uint32_t len = v, dist;
        e = decode_entry(br, s->dist, kDistTableBits, &dist);
        if (entry_kind(e) != kEntryMatch) {
            st = br.overrun() ? kInflateTruncated : kInflateBadDistance;
            break;
        }
        if (br.overrun()) {
            st = kInflateTruncated;
            break;
        }
        if (dist > op) {
            st = kInflateBadDistance;
            break;
        }
        if (len > cap - op) {
            st = kInflateOverflow;
            break;
        }
        q[k++] = InflateCopy{op, op - dist, len, 0};
        op += len;
    }
    if (st != kInflateOk && br.overrun()) st = kInflateTruncated;
    s->br = br;
    s->out_pos = op;
    *nq = k;
    return st;
}

// The adler32 of a zlib stream, big-endian after the final block.
BWL_HD int inflate_trailer(InflateState* s, uint32_t* adler) {
    *adler = 0;
    if (s->wrapper == Wrapper::Raw) return kInflateOk;
    InflateBits& br = s->br;
    if (br.overrun()) return kInflateTruncated;
    br.align();
    if (br.n - br.pos < kZlibTrailerSize) return kInflateTruncated;
    const uint8_t* p = br.in + br.pos;
    *adler = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
    br.pos += kZlibTrailerSize;
    return kInflateOk;
}

// Runs one queued copy with `lanes` threads; this one is `lane`. Lanes write
// disjoint bytes and read only bytes final before the copy started: an
// overlapping match repeats the `dist` bytes before dst, so byte i is
// out[src + i % dist]. Copies must run in queue order (each may read what an
// earlier one wrote), with the group synchronized between them.
BWL_HD void inflate_copy(const InflateCopy& c, const uint8_t* in, uint8_t* out, uint32_t lane, uint32_t lanes) {
    uint8_t* d = out + c.dst;
    if (c.from_input) {
        const uint8_t* s = in + c.src;
        for (uint32_t i = lane; i < c.len; i += lanes) d[i] = s[i];
        return;
    }
    const uint8_t* s = out + c.src;
    uint32_t dist = uint32_t(c.dst - c.src);
    if (lanes == 1 || dist >= c.len) {  // sequential forward copy is correct even when overlapping
        for (uint32_t i = lane; i < c.len; i += lanes) d[i] = s[i];
    } else {
        for (uint32_t i = lane; i < c.len; i += lanes) d[i] = s[i % dist];
    }
}

// adler32 (RFC 1950 8.2) of p[0, n), continuing from `adler` (1 to start).
BWL_HD uint32_t adler32_hd(uint32_t adler, const uint8_t* p, uint64_t n) {
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    while (n) {
        uint32_t k = n < kAdlerNmax ? uint32_t(n) : kAdlerNmax;
        n -= k;
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= kAdlerBase;
        b %= kAdlerBase;
    }
    return b << 16 | a;
}

// adler32 split over `lanes` threads: with A = 1 + sum x_i and
// B = n + sum (n - i) x_i (mod 65521), lane l sums the bytes i = l (mod
// lanes), reading consecutive bytes across lanes (coalesced on a GPU).
// adler32_join adds up the lanes' partials.
BWL_HD void adler32_partial(const uint8_t* p, uint64_t n, uint32_t lane, uint32_t lanes, uint32_t* pa, uint32_t* pb) {
    uint64_t a = 0, b = 0;
    if (lane < n) {
        uint32_t w = uint32_t((n - lane) % kAdlerBase), step = lanes % kAdlerBase;
        for (uint64_t i = lane; i < n; i += lanes) {
            a += p[i];
            b += uint64_t(p[i]) * w;  // < 2^24 per byte: no overflow below 2^40 bytes
            w = w >= step ? w - step : w + kAdlerBase - step;
        }
    }
    *pa = uint32_t(a % kAdlerBase);
    *pb = uint32_t(b % kAdlerBase);
}
BWL_HD uint32_t adler32_join(uint64_t n, const uint32_t* pa, const uint32_t* pb, uint32_t lanes) {
    uint64_t a = 1, b = n % kAdlerBase;
    for (uint32_t l = 0; l < lanes; ++l) {
        a += pa[l];
        b += pb[l];
    }
    return uint32_t(b % kAdlerBase) << 16 | uint32_t(a % kAdlerBase);
}

// Inflates in[0, n) into out[0, cap) on one thread. *out_len gets the
// output size (also on error: how far it got).
BWL_HD int inflate_hd(const uint8_t* in, uint64_t n, uint8_t* out, uint64_t cap, uint64_t* out_len, InflateState* s,
                      Wrapper wrapper = Wrapper::Zlib) {
    InflateCopy q[kInflateQueue];
    int st = inflate_begin(s, in, n, wrapper);
    while (st == kInflateOk && s->mode != kModeDone) {
        uint32_t nq = 0;
        st = inflate_decode(s, out, cap, q, kInflateQueue, &nq);
        for (uint32_t i = 0; i < nq; ++i) inflate_copy(q[i], in, out, 0, 1);
    }
    *out_len = s->out_pos;
    if (st != kInflateOk) return st;
    uint32_t expect;
    if ((st = inflate_trailer(s, &expect)) != kInflateOk) return st;
    if (wrapper == Wrapper::Zlib && adler32_hd(1, out, s->out_pos) != expect) return kInflateBadChecksum;
    return kInflateOk;
}

// What a group shares while it inflates one stream (shared memory on a GPU).
constexpr uint32_t kInflateMaxLanes = 32;
struct InflateShared {
    InflateState st;
    InflateCopy q[kInflateQueue];
    uint32_t nq, expect;
    int status;
    uint32_t pa[kInflateMaxLanes], pb[kInflateMaxLanes];
    uint64_t stop, cut;  // stopping early: decode up to `stop`; `cut` ends the stream there (0: not yet)
};

// How far to inflate: need(out, have) gives the bytes of output wanted,
// judged from the first `have` (a value above `have` asks for more). This
// one wants the whole stream.
struct InflateToEnd {
    BWL_HD uint64_t operator()(const uint8_t*, uint64_t) const { return ~uint64_t(0); }
};

// Output steps between need() calls: each call may re-walk the sections so far.
constexpr uint64_t kInflateNeedStep = 2048;

// The cooperative driver. G is a group of up to 32 threads that all call
// this with the same arguments: g.rank(), g.size(), and g.sync(), a barrier
// that also orders memory (__syncwarp() on a warp; a barrier of host threads
// in the CPU tests). Rank 0 decodes; all ranks copy and checksum.
//
// With a `need` policy it stops early, as the CPU batch engine does: once
// need() is satisfied, *out_len is what it asked for and *cut is set; the
// rest of the stream, and its adler32, are not read (the trade-off of
// docs/decisions.md). `cut` may be null when `need` is InflateToEnd.
template <class G, class Need = InflateToEnd>
BWL_HD int inflate_group(G& g, InflateShared* sh, const uint8_t* in, uint64_t n, uint8_t* out, uint64_t cap,
                         uint64_t* out_len, Wrapper wrapper = Wrapper::Zlib, Need need = Need(), bool* cut = nullptr) {
    const uint32_t rank = g.rank(), size = g.size();
    if (rank == 0) {
        sh->status = inflate_begin(&sh->st, in, n, wrapper);
        sh->nq = 0;
        sh->cut = 0;
        sh->stop = need(out, 0);  // ~0 for the whole stream
    }
    g.sync();
    for (;;) {
        if (rank == 0) {
            sh->nq = 0;
            if (sh->status == kInflateOk && sh->st.mode != kModeDone)
                sh->status = inflate_decode(&sh->st, out, cap, sh->q, kInflateQueue, &sh->nq, sh->stop);
        }
        g.sync();
        int st = sh->status;
        uint32_t nq = sh->nq;
        bool done = sh->st.mode == kModeDone;
        bool ask = sh->st.out_pos >= sh->stop;  // read here: rank 0 rewrites stop below
        if (st == kInflateOk) {
            for (uint32_t i = 0; i < nq; ++i) {
                inflate_copy(sh->q[i], in, out, rank, size);
                g.sync();
            }
        }
        g.sync();  // everyone has read the shared fields before rank 0 rewrites them
        if (st != kInflateOk || done) break;
        if (ask) {  // out[0, out_pos) is final: ask need() again
            if (rank == 0) {
                uint64_t have = sh->st.out_pos, want = need(out, have);
                if (want <= have) sh->cut = want > 0 ? want : ~uint64_t(0);  // ~0 marks a cut at 0
                else sh->stop = want > have + kInflateNeedStep ? want : have + kInflateNeedStep;
            }
            g.sync();
            bool stopped = sh->cut != 0;
            g.sync();  // read before the shared state is reused
            if (stopped) break;
        }
    }
    if (sh->cut) {
        uint64_t len = sh->cut == ~uint64_t(0) ? 0 : sh->cut;
        *out_len = len;
        if (cut) *cut = true;
        g.sync();
        return kInflateOk;
    }
    if (cut) *cut = false;
    uint64_t len = sh->st.out_pos;
    if (sh->status == kInflateOk && wrapper == Wrapper::Zlib) {
        adler32_partial(out, len, rank, size, &sh->pa[rank], &sh->pb[rank]);
        g.sync();
        if (rank == 0) {
            uint32_t expect;
            int st = inflate_trailer(&sh->st, &expect);
            if (st == kInflateOk && adler32_join(len, sh->pa, sh->pb, size) != expect) st = kInflateBadChecksum;
            sh->status = st;
        }
    }
    g.sync();
    int st = sh->status;
    *out_len = len;
    g.sync();  // the shared state may be reused right after
    return st;
}

}  // namespace bwl
