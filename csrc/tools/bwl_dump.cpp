// bwl-dump: print a bigWig's header and chromosomes, or a region as
// bedGraph. A small program on the installed C++ API (bwl::core).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bwl/bigwig.hpp"
#include "bwl/error.hpp"

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: bwl-dump FILE [CHROM[:START-END]]\n"
                 "  without a region: header, zoom levels and chromosomes\n"
                 "  with a region: its items as bedGraph (chrom, start, end, value)\n");
    return 2;
}

void info(const bwl::BigWigFile& f) {
    const bwl::Header& h = f.header();
    std::printf("version\t%u\nbyte_order\t%s\ncompressed\t%s\nsections\t%llu\nzoom_levels\t%zu\n", h.version,
                h.swap ? "big" : "little", h.uncompress_buf_size ? "yes" : "no", (unsigned long long)h.section_count,
                h.zooms.size());
    for (const auto& z : h.zooms) std::printf("zoom\t%u\n", z.reduction_level);
    for (const auto& c : f.chroms()) std::printf("chrom\t%s\t%u\n", c.name.c_str(), c.size);
}

int dump(const bwl::BigWigFile& f, const std::string& region) {
    std::string chrom = region;
    uint64_t start = 0, end = 0;
    size_t colon = region.rfind(':');
    if (colon != std::string::npos) {
        chrom = region.substr(0, colon);
        std::string r = region.substr(colon + 1);
        size_t dash = r.find('-');
        if (dash == std::string::npos) return usage();
        start = std::strtoull(r.c_str(), nullptr, 10);
        end = std::strtoull(r.c_str() + dash + 1, nullptr, 10);
    }
    uint32_t c = f.chrom_index(chrom);
    if (colon == std::string::npos) end = f.chroms()[c].size;
    bwl::Intervals iv = f.intervals(c, start, end);
    for (size_t i = 0; i < iv.value.size(); ++i)
        std::printf("%s\t%u\t%u\t%g\n", chrom.c_str(), iv.start[i], iv.end[i], double(iv.value[i]));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) return usage();
    try {
        bwl::BigWigFile f(argv[1]);
        if (argc == 2) {
            info(f);
            return 0;
        }
        return dump(f, argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bwl-dump: %s\n", e.what());
        return 1;
    }
}
