// Writes a file and reads it back through the installed headers and library:
// one file (bigwig.hpp) and a batch (collection.hpp). Only the public
// headers are included (each must build alone against the installed tree);
// what they need comes from bwl/detail/.
#include <bwl/bigbed.hpp>
#include <bwl/bigwig.hpp>
#include <bwl/collection.hpp>
#include <bwl/fasta.hpp>
#include <bwl/writer.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    std::string path = std::string(argc > 1 ? argv[1] : ".") + "/consumer.bw";
    bwl::ChromData c;
    c.name = "chr1";
    c.size = 1000;
    c.start = {10, 100};
    c.end = {20, 150};
    c.value = {1.5f, -2.0f};
    bwl::write_bigwig(path, {c}, bwl::WriteOptions{});
    bwl::BigWigFile f(path);
    float v[200];
    f.values(f.chrom_index("chr1"), 0, 200, v);
    bool ok = bwl::bbi_kind(path) == bwl::BbiKind::BigWig && f.info().kind == bwl::BbiKind::BigWig;
    ok = ok && v[15] == 1.5f && v[120] == -2.0f && v[50] != v[50];

    bwl::Collection col({path}, bwl::CollectionOptions{});
    uint32_t chrom = col.chrom_index("chr1");
    int64_t start = 0;
    bwl::BatchSpec spec;
    spec.chrom = &chrom;
    spec.start = &start;
    spec.batch = 1;
    spec.length = 200;
    float batch[200];
    col.values(spec, batch);
    ok = ok && col.path(0) == path && col.chroms(0).size() == 1 && batch[15] == 1.5f && batch[120] == -2.0f &&
         batch[50] == 0.0f;

    std::printf("%s\n", ok ? "consumer OK" : "consumer FAILED");
    return ok ? 0 : 1;
}
