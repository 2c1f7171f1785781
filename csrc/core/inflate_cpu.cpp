// bwl's CPU inflate: the shared decoder's state machine (hd/inflate_hd.hpp)
// for block headers and buffer ends, the fast loop (inflate_fast.hpp) for
// everything else, picked per CPU at run time (a BMI2 copy where the CPU has
// BMI2; the build itself assumes only the x86-64 baseline).
#include "core/inflate_cpu.hpp"
#include "core/cpu_features.hpp"

#include <cstring>
#include <string>

#include "bwl/error.hpp"
#include "core/adler32.hpp"
#include "core/inflate_fast.hpp"

namespace bwl::detail {

namespace {

int fast_loop_plain(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    return fast_loop<0>(s, out, cap, stop);
}
void fast_pair_plain(InflateState* a, uint8_t* oa, uint64_t ca, uint64_t sa, InflateState* b, uint8_t* ob, uint64_t cb,
                     uint64_t sb, int* ra, int* rb) {
    fast_loop_pair<0>(a, oa, ca, sa, b, ob, cb, sb, ra, rb);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("bmi,bmi2"))) int fast_loop_bmi2(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    return fast_loop<1>(s, out, cap, stop);
}
__attribute__((target("bmi,bmi2"))) void fast_pair_bmi2(InflateState* a, uint8_t* oa, uint64_t ca, uint64_t sa,
                                                        InflateState* b, uint8_t* ob, uint64_t cb, uint64_t sb, int* ra,
                                                        int* rb) {
    fast_loop_pair<1>(a, oa, ca, sa, b, ob, cb, sb, ra, rb);
}
#endif

using FastLoop = int (*)(InflateState*, uint8_t*, uint64_t, uint64_t);
using FastPair = void (*)(InflateState*, uint8_t*, uint64_t, uint64_t, InflateState*, uint8_t*, uint64_t, uint64_t,
                          int*, int*);

bool have_bmi2() { return cpu_features().bmi1 && cpu_features().bmi2; }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
const bool bmi2 = have_bmi2();
const FastLoop fast = bmi2 ? fast_loop_bmi2 : fast_loop_plain;
const FastPair fast_pair = bmi2 ? fast_pair_bmi2 : fast_pair_plain;
#else
const FastLoop fast = fast_loop_plain;
const FastPair fast_pair = fast_pair_plain;
#endif

// One step the fast loop cannot take: a block header, or one symbol near
// the end of the input or output (the shared decoder, one copy at a time).
int slow_step(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    InflateCopy q[1];
    uint32_t nq = 0;
    int st = inflate_decode(s, out, cap, q, 1, &nq, stop);
    if (nq) {
        const InflateCopy& c = q[0];
        if (c.from_input) std::memcpy(out + c.dst, s->br.in + c.src, c.len);
        else inflate_copy(c, s->br.in, out, 0, 1);
    }
    return st;
}

bool running(const InflateState* s, uint64_t stop) { return s->mode != kModeDone && s->out_pos < stop; }

}  // namespace

const char* inflate_cpu_variant() { return have_bmi2() ? "bmi2" : "x86-64"; }

int inflate_run(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    int st = kInflateOk;
    while (running(s, stop)) {
        if (s->mode == kModeHuffman) {
            if ((st = fast(s, out, cap, stop)) != kInflateOk) return st;
            if (!running(s, stop) || FastLane::can_start(s, cap, stop)) continue;
        }
        if ((st = slow_step(s, out, cap, stop)) != kInflateOk) return st;
    }
    return st;
}

void inflate_run_pair(InflateState* a, uint8_t* out_a, uint64_t cap_a, uint64_t stop_a, int* st_a, InflateState* b,
                      uint8_t* out_b, uint64_t cap_b, uint64_t stop_b, int* st_b) {
    *st_a = *st_b = kInflateOk;
    while (running(a, stop_a) && running(b, stop_b)) {
        fast_pair(a, out_a, cap_a, stop_a, b, out_b, cap_b, stop_b, st_a, st_b);
        if (*st_a != kInflateOk || *st_b != kInflateOk) return;
        // At least one lane left the pair loop: a step for each that the
        // fast loop cannot take, then both go on together.
        if (running(a, stop_a) && !FastLane::can_start(a, cap_a, stop_a) &&
            (*st_a = slow_step(a, out_a, cap_a, stop_a)) != kInflateOk)
            return;
        if (running(b, stop_b) && !FastLane::can_start(b, cap_b, stop_b) &&
            (*st_b = slow_step(b, out_b, cap_b, stop_b)) != kInflateOk)
            return;
    }
}

int inflate_finish(InflateState* s, const uint8_t* out) {
    uint32_t expect;
    int st = inflate_trailer(s, &expect);
    if (st != kInflateOk) return st;
    if (s->wrapper == Wrapper::Zlib && adler32(1, out, s->out_pos) != expect) return kInflateBadChecksum;
    return kInflateOk;
}

void throw_inflate(int st, uint64_t cap) {
    if (st == kInflateOverflow)
        throw FormatError("compressed block inflates past its declared size (" + std::to_string(cap) + " bytes)");
    throw FormatError(std::string("corrupt or truncated compressed stream: ") + inflate_status_text(st));
}

}  // namespace bwl::detail
