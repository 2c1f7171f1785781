// FASTA access for sequence inputs: plain or bgzip-compressed files with a
// samtools .fai index (and .gzi for bgzip), written here when missing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/chrom_alias.hpp"
#include "bwl/convert.hpp"
#include "bwl/file_source.hpp"
#include "bwl/thread_pool.hpp"

namespace bwl {

struct FaiEntry {
    std::string name;
    uint64_t length, offset, line_bases, line_width;
};

// BGZF: a series of gzip members of at most 64 KiB of data each; the .gzi
// index maps each member's compressed offset to its uncompressed offset.
class Bgzf {
public:
    explicit Bgzf(const FileSource& f);  // reads or rebuilds the member table
    // Uncompressed bytes [off, off + n) into dst.
    void read(uint64_t off, uint64_t n, uint8_t* dst) const;
    uint64_t size() const { return usize_.empty() ? 0 : ustart_.back() + usize_.back(); }
    static bool is_bgzf(const FileSource& f);
    // Writes a .gzi next to the file (samtools layout, first member omitted).
    void write_gzi(const std::string& path) const;

private:
    const FileSource& f_;
    std::vector<uint64_t> cstart_, csize_, ustart_, usize_;
};

class Fasta {
public:
    Fasta(const std::string& path, size_t threads, ChromAliases aliases = {});

    const std::vector<FaiEntry>& entries() const { return fai_; }
    uint32_t index(const std::string& name) const;  // throws KeyError

    // Bases [start, end) of chrom (clipped windows are the caller's job).
    std::string fetch(uint32_t chrom, uint64_t start, uint64_t end) const;

    // One-hot of B windows of length L (ACGT order; lowercase same; any
    // other letter -> `other`), positions outside the chromosome -> 0.
    // Layout BTL here means (B, L, 4); BLT means (B, 4, L).
    void onehot(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float other, DType dtype,
                bool channels_last, void* out);

    // Share of bases that are not A/C/G/T (either case) in each window.
    void n_fraction(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float* out);

private:
    void read_bases(uint32_t chrom, uint64_t start, uint64_t end, std::string& out) const;
    void build_fai(const std::string& fai_path);

    std::string path_;
    FileSource src_;
    std::unique_ptr<Bgzf> bgzf_;
    std::vector<FaiEntry> fai_;
    std::unordered_map<std::string, uint32_t> by_name_;  // alias key -> entry
    ChromAliases aliases_;
    ThreadPool pool_;
};

}  // namespace bwl
