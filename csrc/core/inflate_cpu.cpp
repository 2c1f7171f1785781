// bwl's CPU inflate: the shared decoder's state machine (hd/inflate_hd.hpp)
// for block headers and buffer ends, the fast loop (inflate_fast.hpp) for
// everything else, picked per CPU at run time (a BMI2 copy where the CPU has
// BMI2; the build itself assumes only the x86-64 baseline).
#include "core/inflate_cpu.hpp"

#include <cstring>
#include <string>

#include "bwl/error.hpp"
#include "core/adler32.hpp"
#include "core/inflate.hpp"
#include "core/inflate_fast.hpp"

namespace bwl::detail {

namespace {

int fast_loop_plain(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    return fast_loop<0>(s, out, cap, stop);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("bmi,bmi2"))) int fast_loop_bmi2(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    return fast_loop<1>(s, out, cap, stop);
}
#endif

using FastLoop = int (*)(InflateState*, uint8_t*, uint64_t, uint64_t);

FastLoop pick_fast_loop() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2")) return fast_loop_bmi2;
#endif
    return fast_loop_plain;
}

const FastLoop fast = pick_fast_loop();

}  // namespace

const char* inflate_cpu_variant() { return fast == fast_loop_plain ? "x86-64" : "bmi2"; }

int inflate_run(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop) {
    InflateCopy q[1];
    int st = kInflateOk;
    while (s->mode != kModeDone && s->out_pos < stop) {
        if (s->mode == kModeHuffman) {
            if ((st = fast(s, out, cap, stop)) != kInflateOk) return st;
            if (s->mode != kModeHuffman || s->out_pos >= stop) continue;
        }
        // A block header, or symbols near the end of the input or output:
        // the shared decoder, one copy at a time.
        uint32_t nq = 0;
        st = inflate_decode(s, out, cap, q, 1, &nq, stop);
        if (nq) {
            const InflateCopy& c = q[0];
            if (c.from_input) std::memcpy(out + c.dst, s->br.in + c.src, c.len);
            else inflate_copy(c, s->br.in, out, 0, 1);
        }
        if (st != kInflateOk) return st;
    }
    return st;
}

int inflate_finish(InflateState* s, const uint8_t* out) {
    uint32_t expect;
    int st = inflate_trailer(s, &expect);
    if (st != kInflateOk) return st;
    if (s->zlib && adler32(1, out, s->out_pos) != expect) return kInflateBadChecksum;
    return kInflateOk;
}

void throw_inflate(int st, uint64_t cap) {
    if (st == kInflateOverflow)
        throw FormatError("compressed block inflates past its declared size (" + std::to_string(cap) + " bytes)");
    throw FormatError(std::string("corrupt or truncated compressed stream: ") + inflate_status_text(st));
}

}  // namespace bwl::detail

namespace bwl {

using detail::throw_inflate;

BlockInflater::BlockInflater() : st_(new InflateState) {}
BlockInflater::~BlockInflater() = default;

void BlockInflater::begin(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    dst_ = dst;
    cap_ = cap;
    done_ = false;
    int st = inflate_begin(st_.get(), src, n, true);
    if (st != kInflateOk) throw_inflate(st, cap);
}

uint64_t BlockInflater::extend(uint64_t stop) {
    if (done_ || st_->out_pos >= stop) return st_->out_pos;
    int st = detail::inflate_run(st_.get(), dst_, cap_, stop);
    if (st == kInflateOk && st_->mode == kModeDone) {
        st = detail::inflate_finish(st_.get(), dst_);
        done_ = st == kInflateOk;
    }
    if (st != kInflateOk) throw_inflate(st, cap_);
    return st_->out_pos;
}

uint64_t BlockInflater::size() const { return st_->out_pos; }
bool BlockInflater::done() const { return done_; }

}  // namespace bwl
