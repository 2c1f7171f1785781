// zlib-stream inflate on the CPU. Data blocks of compressed bigWigs are zlib
// streams (RFC 1950). bwl's own decoder by default (hd/inflate_hd.hpp's
// tables and state machine, a CPU fast loop in csrc/core/inflate_fast.hpp);
// libdeflate or zlib when the build chose them (BWL_INFLATE).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bwl/detail/inflate_point.hpp"

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

struct InflateState;

// One zlib stream inflated in steps, with bwl's decoder whatever the build
// chose for inflate_zlib: the batch engine inflates a block only as far as
// its windows need, then further if a later window needs more. The adler32
// trailer is checked when the stream ends; a prefix is not checked (what it
// decoded passed every Huffman, distance and size check).
class BlockInflater {
public:
    BlockInflater();
    ~BlockInflater();
    BlockInflater(const BlockInflater&) = delete;
    BlockInflater& operator=(const BlockInflater&) = delete;

    // Starts on src[0, n) into dst[0, cap); both must outlive the steps.
    void begin(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap);
    // Starts on the same stream from p (an earlier point()), with
    // dst[0, p.out_pos) holding its output so far: only the current
    // block's header is read again. Throws FormatError as extend().
    void resume(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap, const InflatePoint& p);
    // Where the stream stands (valid: it can be resumed from here).
    InflatePoint point() const;
    // Inflates until size() >= stop (it may pass stop by up to 258 bytes)
    // or the stream ends. Returns size(). Throws FormatError as inflate_zlib.
    uint64_t extend(uint64_t stop);
    uint64_t size() const;  // bytes of dst final so far
    bool done() const;      // the whole stream is inflated and checked
    bool failed() const;    // an error is pending: extend() throws it

    // Inflates a towards stop_a and b towards stop_b on one thread, the two
    // streams decoded in turn (inflate_run_pair: ~1.2-1.3x the speed of one
    // after the other), until either gets there (or ends): the other may
    // stop short. a alone when b cannot go on. a's error is thrown; b's is
    // kept for b.extend() to throw (b is the block read next, whose error
    // belongs to that read).
    static void extend_pair(BlockInflater& a, uint64_t stop_a, BlockInflater& b, uint64_t stop_b);

private:
    int settle(int st);  // after a run: checks a finished stream; returns the status, kept if an error
    bool wants(uint64_t stop) const;  // no error, not done, short of stop

    std::unique_ptr<InflateState> st_;
    uint8_t* dst_ = nullptr;
    uint64_t cap_ = 0;
    bool done_ = false;
    int err_ = 0;
};

}  // namespace bwl
