// bwl-dump: print a bigWig's or bigBed's header and chromosomes, or a
// region's items as bedGraph (bigWig) or BED (bigBed). A small program on
// the installed C++ API (bwl::core).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bwl/bigbed.hpp"
#include "bwl/bigwig.hpp"
#include "bwl/error.hpp"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: bwl-dump FILE [CHROM[:START-END]]\n"
                 "  without a region: header, zoom levels and chromosomes\n"
                 "  with a region: its items as bedGraph (bigWig) or BED (bigBed)\n");
    return 2;
}

void info(const bwl::BbiHandle& f) {
    const bwl::BbiInfo& h = f.info();
    std::printf("kind\t%s\nversion\t%u\nbyte_order\t%s\ncompressed\t%s\nsections\t%llu\nzoom_levels\t%zu\n",
                h.kind == bwl::BbiKind::BigBed ? "bigBed" : "bigWig", h.version, h.big_endian ? "big" : "little",
                h.uncompress_buf_size ? "yes" : "no", (unsigned long long)h.section_count, h.zoom_reductions.size());
    for (uint32_t z : h.zoom_reductions) std::printf("zoom\t%u\n", z);
    for (const auto& c : f.chroms()) std::printf("chrom\t%s\t%u\n", c.name.c_str(), c.size);
}

// Parses CHROM[:START-END] into f's chromosome index and range; false when malformed.
bool region_of(const bwl::BbiHandle& f, const std::string& region, uint32_t* c, uint64_t* start, uint64_t* end) {
    std::string chrom = region;
    uint64_t s = 0, e = 0;
    size_t colon = region.rfind(':');
    if (colon != std::string::npos) {
        chrom = region.substr(0, colon);
        std::string r = region.substr(colon + 1);
        size_t dash = r.find('-');
        if (dash == std::string::npos) return false;
        s = std::strtoull(r.c_str(), nullptr, 10);
        e = std::strtoull(r.c_str() + dash + 1, nullptr, 10);
    }
    *c = f.chrom_index(chrom);
    *start = s;
    *end = colon == std::string::npos ? f.chroms()[*c].size : e;
    return true;
}

int dump(const bwl::BigWigFile& f, const std::string& region) {
    uint32_t c;
    uint64_t start, end;
    if (!region_of(f, region, &c, &start, &end)) return usage();
    bwl::Intervals iv = f.intervals(c, start, end);
    const char* name = f.chroms()[c].name.c_str();
    for (size_t i = 0; i < iv.value.size(); ++i)
        std::printf("%s\t%u\t%u\t%g\n", name, iv.start[i], iv.end[i], double(iv.value[i]));
    return 0;
}

int dump(const bwl::BigBedFile& f, const std::string& region) {
    uint32_t c;
    uint64_t start, end;
    if (!region_of(f, region, &c, &start, &end)) return usage();
    bwl::BedEntries be = f.entries(c, start, end, true);
    const char* name = f.chroms()[c].name.c_str();
    for (size_t i = 0; i < be.start.size(); ++i)
        std::printf("%s\t%u\t%u%s%s\n", name, be.start[i], be.end[i], be.rest[i].empty() ? "" : "\t",
                    be.rest[i].c_str());
    return 0;
}

template <class File>
int run(const File& f, int argc, char** argv) {
    if (argc == 2) {
        info(f);
        return 0;
    }
    return dump(f, argv[2]);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) return usage();
    try {
        if (bwl::bbi_kind(argv[1]) == bwl::BbiKind::BigBed) return run(bwl::BigBedFile(argv[1]), argc, argv);
        return run(bwl::BigWigFile(argv[1]), argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bwl-dump: %s\n", e.what());
        return 1;
    }
}
