// BGZF (bgzip) files: random access to the uncompressed bytes of a FASTA.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/file_source.hpp"

namespace bwl {

// BGZF: a series of gzip members of at most 64 KiB of data each; the .gzi
// index maps each member's compressed offset to its uncompressed offset.
class Bgzf {
public:
    // Rebuilds the member table from the members' headers, or takes it from
    // a .gzi's bytes (gzi non-empty), checking the last member's header.
    explicit Bgzf(const FileSource& f, const std::string& gzi = {});
    // Uncompressed bytes [off, off + n) into dst.
    void read(uint64_t off, uint64_t n, uint8_t* dst) const;
    // The compressed bytes (offset, length) that read(off, n) reads.
    std::pair<uint64_t, uint64_t> compressed_range(uint64_t off, uint64_t n) const;
    uint64_t size() const { return usize_.empty() ? 0 : ustart_.back() + usize_.back(); }
    static bool is_bgzf(const FileSource& f);
    // Writes a .gzi next to the file (samtools layout, first member omitted).
    void write_gzi(const std::string& path) const;

private:
    void add_members(uint64_t off, uint64_t uoff);  // from the headers, off to the end
    const FileSource& f_;
    std::vector<uint64_t> cstart_, csize_, ustart_, usize_;
};

}  // namespace bwl
