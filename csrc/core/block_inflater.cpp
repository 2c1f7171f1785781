// BlockInflater: one zlib stream inflated in steps by bwl's decoder (the
// batch engine's inflate, whatever backend inflate_zlib uses).
#include "core/block_inflater.hpp"

#include "core/inflate_cpu.hpp"

namespace bwl {

using detail::throw_inflate;

BlockInflater::BlockInflater() : st_(new InflateState) {}
BlockInflater::~BlockInflater() = default;

void BlockInflater::begin(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    dst_ = dst;
    cap_ = cap;
    done_ = false;
    err_ = inflate_begin(st_.get(), src, n, Wrapper::Zlib);
    if (err_ != kInflateOk) throw_inflate(err_, cap);
}

void BlockInflater::resume(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap, const InflatePoint& p) {
    dst_ = dst;
    cap_ = cap;
    done_ = false;
    err_ = p.out_pos <= cap ? inflate_resume(st_.get(), src, n, Wrapper::Zlib, p) : kInflateOverflow;
    if (err_ != kInflateOk) throw_inflate(err_, cap);
}

InflatePoint BlockInflater::point() const {
    InflatePoint p = inflate_point(st_.get());
    p.valid &= !err_ && !done_;
    return p;
}

int BlockInflater::settle(int st) {
    if (st == kInflateOk && st_->mode == kModeDone) {
        st = detail::inflate_finish(st_.get(), dst_);
        done_ = st == kInflateOk;
    }
    return err_ = st;
}

bool BlockInflater::wants(uint64_t stop) const { return !err_ && !done_ && st_->out_pos < stop; }

uint64_t BlockInflater::extend(uint64_t stop) {
    if (wants(stop)) settle(detail::inflate_run(st_.get(), dst_, cap_, stop));
    if (err_) throw_inflate(err_, cap_);
    return st_->out_pos;
}

void BlockInflater::extend_pair(BlockInflater& a, uint64_t stop_a, BlockInflater& b, uint64_t stop_b) {
    const bool run_a = a.wants(stop_a);
    if (run_a && b.wants(stop_b)) {
        int sa, sb;
        detail::inflate_run_pair(a.st_.get(), a.dst_, a.cap_, stop_a, &sa, b.st_.get(), b.dst_, b.cap_, stop_b, &sb);
        b.settle(sb);
        a.settle(sa);
    } else if (run_a) {
        a.settle(detail::inflate_run(a.st_.get(), a.dst_, a.cap_, stop_a));
    }
    if (a.err_) throw_inflate(a.err_, a.cap_);
}

uint64_t BlockInflater::size() const { return st_->out_pos; }
bool BlockInflater::done() const { return done_; }
bool BlockInflater::failed() const { return err_ != 0; }

}  // namespace bwl
