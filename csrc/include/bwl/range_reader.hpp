// What a bigWig, bigBed or FASTA file that is not a local path is read
// through: an http(s) URL, an fsspec URL or a Python file object (the
// bindings implement it over bwl/_remote/), or any source an embedding
// program has.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace bwl {

// (offset, length) byte ranges.
using ByteRanges = std::vector<std::pair<uint64_t, uint64_t>>;

class RangeReader {
public:
    virtual ~RangeReader() = default;
    virtual uint64_t size() = 0;
    // Exactly n bytes at off into dst; throws IoError naming the source.
    virtual void read(uint64_t off, uint64_t n, void* dst) = 0;
    // Ranges about to be read: fetch them now, coalesced and concurrently,
    // without waiting (reads of them wait for what is in flight).
    virtual void prefetch(const ByteRanges& ranges) { (void)ranges; }
};

}  // namespace bwl
