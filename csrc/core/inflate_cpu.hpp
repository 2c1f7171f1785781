// The CPU driver of bwl's own deflate decoder. Internal to csrc/core; the
// public entry points are in core/inflate.hpp.
#pragma once

#include <cstdint>

#include "hd/inflate_hd.hpp"

namespace bwl::detail {

// Continues a stream started with inflate_begin() until it ends
// (s->mode == kModeDone) or s->out_pos >= stop (it may pass stop by up to
// one match, 258 bytes). out[0, s->out_pos) is final; the decoder may
// scribble up to kFastOutMargin bytes past s->out_pos, within cap. Returns
// an InflateStatus; call again with a larger stop to resume.
int inflate_run(InflateState* s, uint8_t* out, uint64_t cap, uint64_t stop);

// inflate_run() on two independent streams at once (see fast_loop_pair),
// until either reaches its stop, ends or fails: the other may stop short of
// its own. Each gets its own status.
void inflate_run_pair(InflateState* a, uint8_t* out_a, uint64_t cap_a, uint64_t stop_a, int* st_a, InflateState* b,
                      uint8_t* out_b, uint64_t cap_b, uint64_t stop_b, int* st_b);

// After inflate_run() ended the stream: reads the zlib trailer and checks
// the adler32 of out[0, s->out_pos).
int inflate_finish(InflateState* s, const uint8_t* out);

// Throws the FormatError for an InflateStatus other than kInflateOk (cap:
// the output capacity, named when the stream inflates past it).
[[noreturn]] void throw_inflate(int st, uint64_t cap);

// "bmi2" or "x86-64": which copy of the fast loop this CPU runs.
const char* inflate_cpu_variant();

}  // namespace bwl::detail
