// CPU inflate against zlib: random data at every level and strategy, plus
// corrupted, truncated and oversized streams, which must throw, not crash.
#include <zlib.h>

#include <random>
#include <vector>

#include "bwl/error.hpp"
#include "bwl/inflate.hpp"
#include "check.hpp"

using namespace bwl;

namespace {

std::vector<uint8_t> deflate_zlib(const std::vector<uint8_t>& in, int level, int strategy) {
    z_stream z{};
    deflateInit2(&z, level, Z_DEFLATED, 15, 8, strategy);
    std::vector<uint8_t> out(deflateBound(&z, in.size()));
    z.next_in = const_cast<uint8_t*>(in.data());
    z.avail_in = uInt(in.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

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
                    } catch (const FormatError&) {
                    }
                }
            }
    std::printf("%d streams checked with %s\n", streams, inflate_backend());
    TEST_MAIN_END();
}
