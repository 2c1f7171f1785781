// FASTA access for sequence inputs: plain or bgzip-compressed files with a
// samtools .fai index (and .gzi for bgzip), written here when missing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwl/detail/batch_types.hpp"
#include "bwl/detail/chrom_alias.hpp"
#include "bwl/range_reader.hpp"

namespace bwl {

class Bgzf;
class FileSource;
class ThreadPool;

struct FaiEntry {
    std::string name;
    uint64_t length, offset, line_bases, line_width;
};

// A FASTA that is not a local path: its bytes, and its index files' text
// (fetched by the caller; a local file's are read or written next to it).
struct FastaRemote {
    std::shared_ptr<RangeReader> reader;
    std::string fai;  // the .fai's text (empty: built by reading the file, not written)
    std::string gzi;  // the .gzi's bytes for bgzip (optional: rebuilt by reading member headers)
};

class Fasta {
public:
    Fasta(const std::string& path, size_t threads, ChromAliases aliases = {}, const FastaRemote* remote = nullptr);
    ~Fasta();

    const std::vector<FaiEntry>& entries() const { return fai_; }
    uint32_t index(const std::string& name) const;  // throws KeyError

    // Bases [start, end) of chrom (clipped windows are the caller's job).
    std::string fetch(uint32_t chrom, uint64_t start, uint64_t end) const;

    // One-hot of B windows of length L (ACGT order; lowercase same; any
    // other letter -> `other`), positions outside the chromosome -> 0;
    // out is (B, L, 4) when channels_last, else (B, 4, L). Windows with
    // reverse[b] != 0 (reverse may be null) are reverse-complemented.
    void onehot(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float other, DType dtype,
                bool channels_last, void* out, const uint8_t* reverse = nullptr);

    // Share of bases that are not A/C/G/T (either case) in each window.
    void n_fraction(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L, float* out);

private:
    void read_bases(uint32_t chrom, uint64_t start, uint64_t end, std::string& out) const;
    // A remote FASTA fetches the bytes of B windows at once (clipped to their chromosomes).
    void prefetch(const uint32_t* chrom, const int64_t* start, size_t B, uint64_t L) const;
    void build_fai(const std::string& fai_path);
    // Why fai_ does not describe this file ("" when it does).
    std::string fai_mismatch() const;
    void parse_fai(const std::string& text, const std::string& name);

    std::string path_;
    std::unique_ptr<FileSource> src_;
    std::unique_ptr<Bgzf> bgzf_;
    std::vector<FaiEntry> fai_;
    std::unordered_map<std::string, uint32_t> by_name_;  // alias key -> entry
    ChromAliases aliases_;
    std::unique_ptr<ThreadPool> pool_;
};

}  // namespace bwl
