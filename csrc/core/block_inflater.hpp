// One zlib stream inflated in steps with bwl's own decoder, whatever
// backend the build chose for inflate_zlib (core/inflate.hpp).
#pragma once

#include <cstdint>
#include <memory>

#include "hd/inflate_point.hpp"

namespace bwl {

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
    int settle(int st);               // after a run: checks a finished stream; returns the status, kept if an error
    bool wants(uint64_t stop) const;  // no error, not done, short of stop

    std::unique_ptr<InflateState> st_;
    uint8_t* dst_ = nullptr;
    uint64_t cap_ = 0;
    bool done_ = false;
    int err_ = 0;
};

}  // namespace bwl
