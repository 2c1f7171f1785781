// CPU inflate against zlib: random data at every level and strategy, plus
// corrupted, truncated and oversized streams, which must throw, not crash.
#include <zlib.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bwl/error.hpp"
#include "check.hpp"
#include "core/block_inflater.hpp"
#include "core/inflate.hpp"
#include "zlib_ref.hpp"

using namespace bwl;

namespace {

// Signal-like bytes: runs and repeats (like bigWig sections) mixed with noise.
std::vector<uint8_t> sample(std::mt19937& rng, size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = (rng() % 4 == 0) ? uint8_t(rng()) : uint8_t(i / 7 % 13);
    return v;
}

}  // namespace

int main() {
    std::mt19937 rng(1234);
    const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
    int streams = 0;
    for (int level = 0; level <= 9; ++level)
        for (int strategy : strategies)
            for (size_t n : {size_t(0), size_t(1), size_t(100), size_t(33000), size_t(200000)}) {
                auto raw = sample(rng, n);
                auto z = deflate_zlib(raw, level, strategy);
                std::vector<uint8_t> out(n + 16);
                uint64_t got = inflate_zlib(z.data(), z.size(), out.data(), out.size());
                out.resize(got);
                CHECK(out == raw);
                ++streams;

                if (n < 100) continue;
                // Exactly-sized output is fine; one byte less is an error.
                std::vector<uint8_t> exact(n);
                CHECK(inflate_zlib(z.data(), z.size(), exact.data(), n) == n);
                CHECK_THROWS(FormatError, inflate_zlib(z.data(), z.size(), exact.data(), n - 1));
                // Every truncation fails cleanly.
                for (size_t cut : {size_t(1), z.size() / 2, z.size() - 1})
                    CHECK_THROWS(FormatError, inflate_zlib(z.data(), cut, out.data(), out.size()));
                // Random corruption either fails cleanly or (adler32 aside,
                // which zlib-format checks) never writes past the buffer.
                for (int k = 0; k < 20; ++k) {
                    auto bad = z;
                    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
                    try {
                        inflate_zlib(bad.data(), bad.size(), out.data(), out.size());
                    } catch (const FormatError&) {}
                }
            }
    // BlockInflater (bwl's decoder, whatever inflate_zlib uses): stopped at
    // random points and resumed, every prefix is the stream's, and the end
    // equals the whole; corrupted streams fail only with FormatError.
    int prefixes = 0;
    for (int level : {1, 6, 9})
        for (int strategy : strategies)
            for (size_t n : {size_t(1), size_t(5000), size_t(40000), size_t(70000)}) {
                auto raw = sample(rng, n);
                auto z = deflate_zlib(raw, level, strategy);
                std::vector<uint8_t> out(n + 16);
                BlockInflater inf;
                inf.begin(z.data(), z.size(), out.data(), out.size());
                uint64_t got = 0;
                while (!inf.done()) {
                    uint64_t stop = got + 1 + rng() % 9000;
                    got = inf.extend(stop);
                    CHECK(got >= std::min<uint64_t>(stop, n) && got <= n);
                    CHECK(std::equal(out.begin(), out.begin() + long(got), raw.begin()));
                    ++prefixes;
                }
                CHECK(got == n && inf.size() == n);
                for (int k = 0; k < 10; ++k) {
                    auto bad = z;
                    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
                    try {
                        inf.begin(bad.data(), bad.size(), out.data(), out.size());
                        for (uint64_t stop = 1000; !inf.done(); stop += 3000) inf.extend(stop);
                    } catch (const FormatError&) {}
                }
            }
    // Two streams inflated in turn (BlockInflater::extend_pair), stopped at
    // random points, as the batch engine does: each prefix is its own
    // stream's. A corrupt b leaves a right and b failed (its extend()
    // throws); a corrupt a throws and leaves b right.
    int pairs = 0;
    for (int trial = 0; trial < 60; ++trial) {
        const int la = trial % 10, lb = (trial / 10) % 10;
        auto ra = sample(rng, 1 + rng() % 70000), rb = sample(rng, 1 + rng() % 70000);
        auto za = deflate_zlib(ra, la, strategies[trial % 5]), zb = deflate_zlib(rb, lb, strategies[(trial / 5) % 5]);
        const int bad = trial % 3;  // 0: both fine, 1: b corrupt, 2: a corrupt
        auto& zbad = bad == 1 ? zb : za;
        if (bad) zbad[zbad.size() / 3] ^= 0x5A;
        std::vector<uint8_t> oa(ra.size() + 16), ob(rb.size() + 16);
        BlockInflater a, b;
        a.begin(za.data(), za.size(), oa.data(), oa.size());
        b.begin(zb.data(), zb.size(), ob.data(), ob.size());
        bool threw = false;
        try {
            while (!a.done() || !(b.done() || b.failed())) {
                if (a.done()) {  // extend_pair moves b only alongside a
                    try {
                        b.extend(b.size() + 1 + rng() % 9000);
                    } catch (const FormatError&) {
                        CHECK(bad == 1);
                    }
                } else {  // b alongside while it has not failed
                    BlockInflater::extend_pair(a, a.size() + 1 + rng() % 9000, b, b.size() + 1 + rng() % 9000);
                }
                if (bad != 2) CHECK(std::equal(oa.begin(), oa.begin() + long(a.size()), ra.begin()));
                if (bad == 0) CHECK(std::equal(ob.begin(), ob.begin() + long(b.size()), rb.begin()));
                ++pairs;
            }
        } catch (const FormatError&) {
            threw = true;
        }
        if (bad == 0) CHECK(!threw && a.size() == ra.size() && b.size() == rb.size() && a.done() && b.done());
        if (bad == 1) {
            CHECK(!threw && a.done() && a.size() == ra.size() && b.failed() && !b.done());
            CHECK_THROWS(FormatError, b.extend(~uint64_t(0)));
        }
        if (bad == 2) {
            CHECK(threw && a.failed() && !b.failed());
            CHECK(b.extend(~uint64_t(0)) == rb.size() && b.done() &&
                  std::equal(ob.begin(), ob.begin() + long(rb.size()), rb.begin()));
        }
    }
    // Resumed from a point (BlockInflater::point, as the decoded cache keeps
    // with a prefix): each step starts a fresh decoder from the last point,
    // with the prefix copied into a fresh buffer (only the current block's
    // header is read again), on multi-block streams (fixed, dynamic and
    // stored blocks: flushes, level changes, level 0) stopped at random
    // points, block ends included. Every prefix and the end equal the data.
    int resumes = 0;
    for (int trial = 0; trial < 80; ++trial) {
        const size_t n = 1 + rng() % 90000;
        auto raw = sample(rng, n);
        std::vector<Flush> fl;
        for (size_t at = 0; fl.size() < size_t(trial % 6);) {
            at = std::min(n, at + 1 + rng() % (n / 4 + 1));
            const int modes[] = {Z_FULL_FLUSH, Z_SYNC_FLUSH, Z_BLOCK, -1 - int(rng() % 10)};
            fl.push_back({at, modes[rng() % 4]});
        }
        auto z = deflate_zlib(raw, trial % 10, strategies[trial % 5], 15, fl);
        InflatePoint p;
        std::vector<uint8_t> prev;
        uint64_t got = 0;
        bool done = false;
        while (!done) {
            std::vector<uint8_t> out(n + 16);
            BlockInflater inf;
            if (p.valid) {
                std::copy(prev.begin(), prev.begin() + long(p.out_pos), out.begin());
                inf.resume(z.data(), z.size(), out.data(), out.size(), p);
                ++resumes;
            } else {
                CHECK(got == 0);
                inf.begin(z.data(), z.size(), out.data(), out.size());
            }
            got = inf.extend(got + 1 + rng() % (trial % 2 ? 300 : 12000));
            CHECK(got <= n && std::equal(out.begin(), out.begin() + long(got), raw.begin()));
            done = inf.done();
            p = inf.point();
            CHECK(p.valid == !done && (done || p.out_pos == got));
            prev.swap(out);
        }
        CHECK(got == n);
    }
    {  // a point past the input or after the output's room fails cleanly
        auto raw = sample(rng, 20000);
        auto z = deflate_zlib(raw, 6, Z_DEFAULT_STRATEGY);
        std::vector<uint8_t> out(raw.size());
        BlockInflater inf;
        inf.begin(z.data(), z.size(), out.data(), out.size());
        inf.extend(5000);
        InflatePoint p = inf.point();
        CHECK(p.valid && p.in_block);
        BlockInflater again;
        CHECK_THROWS(FormatError, again.resume(z.data(), p.next_bit / 8 - 1, out.data(), out.size(), p));
        CHECK_THROWS(FormatError, again.resume(z.data(), z.size(), out.data(), p.out_pos - 1, p));
        InflatePoint none;
        CHECK_THROWS(FormatError, again.resume(z.data(), z.size(), out.data(), out.size(), none));
    }
    // gzip members (BGZF) with and without a name, extra field and header CRC.
    for (int flags = 0; flags < 8; ++flags) {
        auto raw = sample(rng, 30000);
        z_stream zs{};
        deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
        gz_header h{};
        uint8_t extra[] = {'B', 'C', 2, 0, 0, 0};
        char name[] = "x.txt";
        if (flags & 1) {
            h.extra = extra;
            h.extra_len = sizeof extra;
        }
        if (flags & 2) h.name = reinterpret_cast<Bytef*>(name);
        h.hcrc = (flags & 4) ? 1 : 0;
        deflateSetHeader(&zs, &h);
        std::vector<uint8_t> gz(deflateBound(&zs, raw.size()) + 64);
        zs.next_in = raw.data();
        zs.avail_in = uInt(raw.size());
        zs.next_out = gz.data();
        zs.avail_out = uInt(gz.size());
        deflate(&zs, Z_FINISH);
        gz.resize(zs.total_out);
        deflateEnd(&zs);
        std::vector<uint8_t> out(raw.size());
        CHECK(inflate_gzip(gz.data(), gz.size(), out.data(), out.size()) == raw.size() && out == raw);
        auto bad = gz;
        bad[bad.size() - 6] ^= 1;  // the CRC32
        CHECK_THROWS(FormatError, inflate_gzip(bad.data(), bad.size(), out.data(), out.size()));
        CHECK_THROWS(FormatError, inflate_gzip(gz.data(), gz.size() - 3, out.data(), out.size()));
    }
    std::printf("%d streams checked with %s, %d BlockInflater prefixes, %d paired steps, %d resumes\n", streams,
                inflate_backend(), prefixes, pairs, resumes);
    TEST_MAIN_END();
}
