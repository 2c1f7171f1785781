// Section decoding and densifying (the BWL_HD code the kernels share),
// checked on hand-built sections of all three types in both byte orders.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "check.hpp"
#include "hd/section.hpp"

using namespace bwl;

namespace {

struct Builder {
    bool big;
    std::vector<uint8_t> b;
    void u8(uint8_t v) { b.push_back(v); }
    void u16(uint16_t v) { put(&v, 2); }
    void u32(uint32_t v) { put(&v, 4); }
    void f32(float v) {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        put(&u, 4);
    }
    void put(const void* p, int n) {  // host is little-endian on every target we build
        const uint8_t* q = static_cast<const uint8_t*>(p);
        for (int i = 0; i < n; ++i) b.push_back(big ? q[n - 1 - i] : q[i]);
    }
    void header(uint32_t chrom, uint32_t s, uint32_t e, uint32_t step, uint32_t span, uint8_t type, uint16_t n) {
        u32(chrom);
        u32(s);
        u32(e);
        u32(step);
        u32(span);
        u8(type);
        u8(0);
        u16(n);
    }
};

std::vector<float> dense(const std::vector<uint8_t>& blk, bool big, uint32_t chrom, uint64_t s, uint64_t e, int* st) {
    std::vector<float> out(e - s, NAN);
    *st = densify_block(blk.data(), blk.size(), big, chrom, s, e, out.data());
    return out;
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    return true;
}

void test_types(bool big) {
    // bedGraph [2,5)=1, [7,8)=2 on chrom 3; variableStep span 2 at 10, 13;
    // fixedStep start 20 step 3 span 2: [20,22)=5 [23,25)=6 — in one block.
    Builder bd{big, {}};
    bd.header(3, 2, 8, 0, 0, kBedGraph, 2);
    bd.u32(2);
    bd.u32(5);
    bd.f32(1);
    bd.u32(7);
    bd.u32(8);
    bd.f32(2);
    bd.header(3, 10, 15, 0, 2, kVariableStep, 2);
    bd.u32(10);
    bd.f32(3);
    bd.u32(13);
    bd.f32(4);
    bd.header(3, 20, 25, 3, 2, kFixedStep, 2);
    bd.f32(5);
    bd.f32(6);

    int st;
    auto v = dense(bd.b, big, 3, 0, 26, &st);
    CHECK(st == kSectionOk);
    float N = NAN;
    std::vector<float> want = {N, N, 1, 1, 1, N, N, 2, N, N, 3, 3, N, 4, 4, N, N, N, N, N, 5, 5, N, 6, 6, N};
    CHECK(same(v, want));

    // A sub-range and a single base.
    v = dense(bd.b, big, 3, 4, 11, &st);
    CHECK(same(v, std::vector<float>(want.begin() + 4, want.begin() + 11)));
    v = dense(bd.b, big, 3, 23, 24, &st);
    CHECK(v.size() == 1 && v[0] == 6);

    // Another chromosome's query sees nothing.
    v = dense(bd.b, big, 4, 0, 26, &st);
    CHECK(st == kSectionOk && same(v, std::vector<float>(26, NAN)));

    // Items come back through for_each_item with their positions.
    int n = 0;
    uint64_t last_end = 0;
    for_each_item(bd.b.data(), bd.b.size(), big, [&](uint32_t, uint64_t, uint64_t e, float) {
        ++n;
        last_end = e;
    });
    CHECK(n == 6 && last_end == 25);

    // Truncation inside a section is reported, never read past; a cut at a
    // section boundary (48 and 88 bytes) leaves a valid, shorter block.
    for (size_t cut = 1; cut < bd.b.size(); ++cut) {
        std::vector<uint8_t> t(bd.b.begin(), bd.b.begin() + cut);
        std::vector<float> out(26, NAN);
        int s2 = densify_block(t.data(), t.size(), big, 3, 0, 26, out.data());
        CHECK(s2 == ((cut == 48 || cut == 88) ? kSectionOk : kSectionTruncated));
    }

    // Unknown section type.
    std::vector<uint8_t> bad = bd.b;
    bad[20] = 9;
    CHECK(dense(bad, big, 3, 0, 26, &st).size() == 26 && st == kSectionBadType);
}

void test_fixedstep_no_wrap() {
    // A hostile step cannot wrap positions around 2^32 into the query.
    Builder bd{false, {}};
    bd.header(0, 0xFFFFFFF0u, 0xFFFFFFFFu, 0x80000000u, 4, kFixedStep, 3);
    bd.f32(1);
    bd.f32(2);
    bd.f32(3);
    int st;
    auto v = dense(bd.b, false, 0, 0, 16, &st);
    CHECK(st == kSectionOk && same(v, std::vector<float>(16, NAN)));
}

}  // namespace

// A random valid block: sections of every type on chroms 1..3, sorted.
std::vector<uint8_t> random_block(std::mt19937& rng, bool big) {
    Builder bd{big, {}};
    for (uint32_t chrom = 1; chrom <= 3; ++chrom) {
        uint32_t pos = rng() % 50;
        for (int k = 0, ns = 1 + rng() % 3; k < ns; ++k) {
            uint8_t type = uint8_t(1 + rng() % 3);
            uint16_t n = uint16_t(1 + rng() % 40);
            uint32_t step = 1 + rng() % 9, span = 1 + rng() % step;
            if (type == kBedGraph) {
                std::vector<uint32_t> s(n), e(n);
                for (int i = 0; i < n; ++i) {
                    pos += rng() % 6;
                    s[i] = pos;
                    pos += 1 + rng() % 8;
                    e[i] = pos;
                }
                bd.header(chrom, s[0], e[n - 1], 0, 0, type, n);
                for (int i = 0; i < n; ++i) {
                    bd.u32(s[i]);
                    bd.u32(e[i]);
                    bd.f32(float(rng() % 100));
                }
            } else if (type == kVariableStep) {
                std::vector<uint32_t> s(n);
                for (int i = 0; i < n; ++i) {
                    s[i] = pos;
                    pos += span + rng() % 5;
                }
                bd.header(chrom, s[0], s[n - 1] + span, 0, span, type, n);
                for (int i = 0; i < n; ++i) {
                    bd.u32(s[i]);
                    bd.f32(float(rng() % 100));
                }
            } else {
                bd.header(chrom, pos, pos + step * (n - 1) + span, step, span, type, n);
                for (int i = 0; i < n; ++i) bd.f32(float(rng() % 100));
                pos += step * n;
            }
            pos += rng() % 20;
        }
    }
    return bd.b;
}

// block_bytes_needed: densifying the prefix it names equals densifying the
// whole block, for any query; and the answer, once within the inflated
// bytes, does not change as more is inflated (what the batch engine relies
// on when it stops inflating).
void test_prefix_needed(bool big) {
    std::mt19937 rng(big ? 7 : 3);
    for (int trial = 0; trial < 300; ++trial) {
        auto blk = random_block(rng, big);
        for (int q = 0; q < 10; ++q) {
            uint32_t chrom = 1 + rng() % 3;
            uint64_t qs = rng() % 600, qe = qs + 1 + rng() % 200;
            uint64_t need = ~uint64_t(0);
            for (uint64_t avail = 0;; avail = std::min<uint64_t>(blk.size(), avail + 1 + rng() % 64)) {
                need = block_bytes_needed(blk.data(), avail, big, chrom, qe);
                if (need <= avail || avail == blk.size()) break;
            }
            if (need > blk.size()) need = blk.size();  // the caller then has the whole block
            CHECK(need == std::min<uint64_t>(block_bytes_needed(blk.data(), blk.size(), big, chrom, qe), blk.size()));
            std::vector<float> whole(qe - qs, NAN), part(qe - qs, NAN);
            CHECK(densify_block(blk.data(), blk.size(), big, chrom, qs, qe, whole.data()) == kSectionOk);
            CHECK(densify_block(blk.data(), need, big, chrom, qs, qe, part.data(), 1.0f, nullptr, Extent::Prefix) ==
                  kSectionOk);
            CHECK(same(whole, part));
            // Sorted blocks (all of these): binary-searched items give the same
            // rows, whole or prefix.
            CHECK(block_sorted(blk.data(), blk.size(), big) && block_sorted(blk.data(), need, big, Extent::Prefix));
            std::vector<float> fast(qe - qs, NAN), fast_part(qe - qs, NAN);
            CHECK(densify_block(blk.data(), blk.size(), big, chrom, qs, qe, fast.data(), 1.0f, nullptr, Extent::Whole,
                                nullptr, Order::Sorted) == kSectionOk);
            CHECK(densify_block(blk.data(), need, big, chrom, qs, qe, fast_part.data(), 1.0f, nullptr, Extent::Prefix,
                                nullptr, Order::Sorted) == kSectionOk);
            CHECK(same(whole, fast) && same(whole, fast_part));
        }
    }
    // Not sorted: overlapping, out of order, or empty items.
    for (int k = 0; k < 3; ++k) {
        Builder bd{big, {}};
        bd.header(1, 0, 100, 0, 0, kBedGraph, 2);
        uint32_t s0[] = {10, 30, 10}, e0[] = {20, 40, 10}, s1[] = {15, 5, 12}, e1[] = {25, 9, 18};
        bd.u32(s0[k]);
        bd.u32(e0[k]);
        bd.f32(1);
        bd.u32(s1[k]);
        bd.u32(e1[k]);
        bd.f32(2);
        CHECK(!block_sorted(bd.b.data(), bd.b.size(), big));
    }
}

// gallop_search finds the first true of a false..true range from any guess.
void test_gallop_search() {
    for (uint32_t lo = 0; lo < 3; ++lo)
        for (uint32_t hi = lo; hi < lo + 40; ++hi)
            for (uint32_t t = lo; t <= hi; ++t)
                for (uint32_t guess = 0; guess < hi + 3; ++guess) {
                    int probes = 0;
                    uint32_t got = gallop_search(lo, hi, guess, [&](uint32_t i) {
                        CHECK(i >= lo && i < hi);
                        ++probes;
                        return i >= t;
                    });
                    CHECK(got == t);
                    CHECK(probes <= 2 * 7 + 2);  // logarithmic in the distance to the answer
                }
}

// block_bytes_needed's guesses and its one plausibility rule: a prefix
// whose next item starts past its section's end is corrupt (it decoded
// without a Huffman error), so only the whole block can answer.
void test_needed_guess_and_corrupt(bool big) {
    Builder bd{big, {}};
    const uint16_t n = 100;
    bd.header(1, 0, 1000, 0, 0, kBedGraph, n);  // items [10i, 10i + 5), i < 100
    for (uint32_t i = 0; i < n; ++i) {
        bd.u32(10 * i);
        bd.u32(10 * i + 5);
        bd.f32(float(i));
    }
    const uint64_t body = kSectionHeaderSize, isz = 12;
    // 10 items inflated, the query ends at 505 (item 51 is the first at or
    // after it): the guess goes 7/8 of the way there, never past it.
    uint64_t g = block_bytes_needed(bd.b.data(), body + 10 * isz, big, 1, 505);
    CHECK(g > body + 11 * isz && g <= body + 51 * isz);
    CHECK(block_bytes_needed(bd.b.data(), bd.b.size(), big, 1, 505) == body + 51 * isz);
    // Items 0..1 only: no spacing yet, one more item.
    CHECK(block_bytes_needed(bd.b.data(), body + 1 * isz, big, 1, 505) == body + 2 * isz);
    // Item 30's start rewritten past the section end (1000): the prefix up to
    // it would end the query there; the rule asks for the whole block instead.
    std::vector<uint8_t> bad = bd.b;
    Builder v{big, {}};
    v.u32(5000);
    std::memcpy(bad.data() + body + 30 * isz, v.b.data(), 4);
    CHECK(block_bytes_needed(bad.data(), body + 40 * isz, big, 1, 505) == ~uint64_t(0));
    CHECK(block_bytes_needed(bad.data(), body + 40 * isz, big, 1, 250) == body + 25 * isz);  // before it: fine
}

int main() {
    test_gallop_search();
    test_types(false);
    test_types(true);
    test_fixedstep_no_wrap();
    test_prefix_needed(false);
    test_prefix_needed(true);
    test_needed_guess_and_corrupt(false);
    test_needed_guess_and_corrupt(true);
    TEST_MAIN_END();
}
