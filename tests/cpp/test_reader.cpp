// Round trip through the C++ API: write_bigwig -> BigWigFile, every section
// type, both byte orders, compressed or not; checked against the dense
// ground truth built here. Also: truncated and non-bigWig files throw.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bwl/bigwig.hpp"
#include "bwl/error.hpp"
#include "bwl/writer.hpp"
#include "check.hpp"

using namespace bwl;

namespace {

// Fixed-span, fixed-step items so every section type can encode them.
ChromData make_chrom(const std::string& name, uint32_t size, uint32_t step, uint32_t span, std::mt19937& rng) {
    ChromData c;
    c.name = name;
    c.size = size;
    for (uint32_t s = step; s + span <= size; s += step) {
        c.start.push_back(s);
        c.end.push_back(s + span);
        c.value.push_back(float(rng() % 1000) / 8.0f);
    }
    return c;
}

std::vector<float> truth(const ChromData& c, uint64_t s, uint64_t e) {
    std::vector<float> v(e - s, NAN);
    for (size_t i = 0; i < c.start.size(); ++i)
        for (uint64_t x = std::max<uint64_t>(c.start[i], s); x < std::min<uint64_t>(c.end[i], e); ++x)
            v[x - s] = c.value[i];
    return v;
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    return true;
}

void round_trip(const std::string& dir, uint8_t type, bool big, bool compress) {
    std::mt19937 rng(type * 4 + big * 2 + compress);
    std::vector<ChromData> chroms = {make_chrom("chr1", 200000, 50, 20, rng), make_chrom("chr2", 30000, 7, 7, rng),
                                     ChromData{"chrEmpty", 5000, {}, {}, {}}};
    WriteOptions opt;
    opt.type = type;
    opt.big_endian = big;
    opt.compress = compress;
    opt.items_per_slot = 100;  // many blocks, an R-tree more than one level deep
    std::string path = dir + "/rt_" + std::to_string(type) + (big ? "_be" : "_le") + (compress ? "_z" : "_raw") + ".bw";
    write_bigwig(path, chroms, opt);

    BigWigFile f(path);
    CHECK(f.header().swap == big);
    CHECK((f.header().uncompress_buf_size != 0) == compress);
    CHECK(f.chroms().size() == 3);
    std::uniform_int_distribution<uint32_t> pos(0, 199999);
    for (const ChromData& c : chroms) {
        uint32_t ci = f.chrom_index(c.name);
        CHECK(f.chroms()[ci].size == c.size);
        // Whole chromosome, its last base, and random windows.
        std::vector<std::pair<uint64_t, uint64_t>> ranges = {{0, c.size}, {c.size - 1, c.size}};
        for (int k = 0; k < 50; ++k) {
            uint64_t s = pos(rng) % c.size, e = std::min<uint64_t>(c.size, s + 1 + rng() % 3000);
            ranges.push_back({s, e});
        }
        for (auto [s, e] : ranges) {
            std::vector<float> got(e - s);
            f.values(ci, s, e, got.data());
            CHECK(same(got, truth(c, s, e)));
        }
        Intervals iv = f.intervals(ci, 0, c.size);
        CHECK(iv.start.size() == c.start.size());
        CHECK(iv.start == c.start && iv.end == c.end && iv.value == c.value);
    }
    CHECK_THROWS(KeyError, f.chrom_index("chrNope"));
    CHECK_THROWS(RangeError, f.check_range(0, 10, 10));
    CHECK_THROWS(RangeError, f.check_range(0, 0, 200001));

    // Every truncation of the file either fails to open or fails to read:
    // never a crash, never wrong values.
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    std::string cut_path = path + ".cut";
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 40) {
        std::ofstream(cut_path, std::ios::binary).write(bytes.data(), std::streamsize(cut));
        bool raised = false;
        try {
            BigWigFile g(cut_path);
            for (const ChromData& c : chroms) {
                std::vector<float> got(c.size);
                g.values(g.chrom_index(c.name), 0, c.size, got.data());
                CHECK(same(got, truth(c, 0, c.size)));
            }
        } catch (const FormatError&) {
            raised = true;
        }
        // Only zoom data (written last) is not needed for values.
        uint64_t zoom_start = f.header().zooms.empty() ? bytes.size() : f.header().zooms[0].data_offset;
        CHECK(raised || cut >= zoom_start);
    }
    std::remove(cut_path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : ".";
    for (uint8_t type : {kBedGraph, kVariableStep, kFixedStep})
        for (bool big : {false, true})
            for (bool z : {false, true}) round_trip(dir, type, big, z);

    std::string txt = dir + "/not_bigwig.txt";
    std::ofstream(txt) << "chr1\t0\t10\t1.0\n";
    CHECK_THROWS(FormatError, BigWigFile{txt});
    CHECK_THROWS(IoError, BigWigFile{dir + "/missing.bw"});
    TEST_MAIN_END();
}
