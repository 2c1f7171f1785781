// Round trip through the C++ API: write_bigwig -> BigWigFile, every section
// type, both byte orders, compressed or not; checked against the dense
// ground truth built here. Also: truncated and non-bigWig files throw, and
// a small bigBed built here reads through BigBedFile, each kind refusing
// the other.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bwl/bigbed.hpp"
#include "bwl/bigwig.hpp"
#include "bwl/error.hpp"
#include "bwl/writer.hpp"
#include "check.hpp"
#include "core/bbi_file.hpp"  // zoom offsets

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
    CHECK(f.info().kind == BbiKind::BigWig && bbi_kind(path) == BbiKind::BigWig);
    CHECK(f.info().big_endian == big);
    CHECK((f.info().uncompress_buf_size != 0) == compress);
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
    const std::vector<ZoomHeader> zooms = BbiFile(path).header().zooms;
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
        uint64_t zoom_start = zooms.empty() ? bytes.size() : zooms[0].data_offset;
        CHECK(raised || cut >= zoom_start);
    }
    std::remove(cut_path.c_str());
}

// Little-endian fields appended to a byte string.
struct Bytes {
    std::string b;
    void u8(uint8_t v) { b.push_back(char(v)); }
    void u16(uint16_t v) { u8(uint8_t(v)), u8(uint8_t(v >> 8)); }
    void u32(uint32_t v) { u16(uint16_t(v)), u16(uint16_t(v >> 16)); }
    void u64(uint64_t v) { u32(uint32_t(v)), u32(uint32_t(v >> 32)); }
};

struct BedRecord {
    uint32_t start, end;
    std::string rest;
};

// An uncompressed bigBed of one chromosome and one data block, laid out as
// UCSC's bbiFile.h says: header, autoSql, chromosome B+ tree, records, R-tree.
std::string tiny_bigbed(const std::string& chrom, uint32_t size, const std::vector<BedRecord>& recs,
                        const std::string& sql) {
    const uint64_t sql_off = kHeaderSize, tree_off = sql_off + sql.size() + 1;
    const uint32_t key = uint32_t(chrom.size());
    const uint64_t data_off = tree_off + kBptHeaderSize + kNodeHeaderSize + key + 8;
    Bytes block;
    for (const BedRecord& r : recs) {
        block.u32(0), block.u32(r.start), block.u32(r.end);
        block.b += r.rest;
        block.u8(0);
    }
    const uint64_t block_off = data_off + 8, index_off = block_off + block.b.size();
    Bytes f;
    f.u32(kBigBedMagic), f.u16(4), f.u16(0);  // version 4, no zoom levels
    f.u64(tree_off), f.u64(data_off), f.u64(index_off);
    f.u16(4), f.u16(3);                            // fieldCount, definedFieldCount: chrom, start, end + name
    f.u64(sql_off), f.u64(0), f.u32(0), f.u64(0);  // autoSql; no summary; raw blocks; no extension
    f.b += sql;
    f.u8(0);
    f.u32(kBptMagic), f.u32(1), f.u32(key), f.u32(8), f.u64(1), f.u64(0);
    f.u8(1), f.u8(0), f.u16(1);  // one leaf, one item: key, id 0, size
    f.b += chrom;
    f.u32(0), f.u32(size);
    f.u64(recs.size());
    f.b += block.b;
    f.u32(kCirTreeMagic), f.u32(1), f.u64(1), f.u32(0), f.u32(0), f.u32(0), f.u32(size);
    f.u64(index_off), f.u32(1), f.u32(0);
    f.u8(1), f.u8(0), f.u16(1);
    f.u32(0), f.u32(recs.front().start), f.u32(0), f.u32(recs.back().end), f.u64(block_off), f.u64(block.b.size());
    return f.b;
}

void bigbed(const std::string& dir, const std::string& bigwig) {
    std::vector<BedRecord> recs = {{10, 50, "a"}, {30, 60, "b"}, {100, 120, ""}};
    const std::string sql = "table t \"test\" (string chrom; uint chromStart; uint chromEnd; string name;)";
    std::string path = dir + "/tiny.bb";
    std::ofstream(path, std::ios::binary) << tiny_bigbed("chrB", 1000, recs, sql);

    CHECK(bbi_kind(path) == BbiKind::BigBed);
    BigBedFile f(path);
    CHECK(f.info().kind == BbiKind::BigBed && f.info().section_count == 3 && f.info().defined_field_count == 3);
    CHECK(f.auto_sql() == sql);
    uint32_t c = f.chrom_index("chrB");
    BedEntries e = f.entries(c, 40, 110, true);
    CHECK(e.start.size() == 3 && e.start[1] == 30 && e.end[2] == 120 && e.rest[0] == "a" && e.rest[2].empty());
    CHECK(f.entries(c, 55, 100, false).start.size() == 1);  // only [30, 60) overlaps
    // Depth 1, 2, 1, then 1 again after a gap.
    Intervals cov = f.coverage(c, 0, 1000);
    CHECK((cov.start == std::vector<uint32_t>{10, 30, 50, 100}) && (cov.end == std::vector<uint32_t>{30, 50, 60, 120}));
    CHECK((cov.value == std::vector<float>{1, 2, 1, 1}));
    std::vector<double> mx = f.stats(c, 0, 200, Stat::Max, 4, true);
    CHECK(mx[0] == 2 && mx[1] == 1 && mx[2] == 1 && std::isnan(mx[3]));

    // Each kind refuses the other, naming the type to use.
    try {
        BigWigFile w(path);
        CHECK(false);
    } catch (const FormatError& err) {
        CHECK(std::string(err.what()).find("BigBedFile") != std::string::npos);
    }
    try {
        BigBedFile b(bigwig);
        CHECK(false);
    } catch (const FormatError& err) {
        CHECK(std::string(err.what()).find("BigWigFile") != std::string::npos);
    }
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
    CHECK_THROWS(FormatError, bbi_kind(txt));
    bigbed(dir, dir + "/rt_1_le_z.bw");
    TEST_MAIN_END();
}
