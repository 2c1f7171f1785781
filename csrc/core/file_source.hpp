// Positioned reads from one file. Every read is bounds-checked against the
// file size taken at open, so a header pointing past the end becomes a
// FormatError instead of a short read. A local file's descriptor is borrowed
// from the process-wide FdCache per read, so thousands of files can be open
// at once; a remote or Python file reads through its RangeReader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bwl/range_reader.hpp"

namespace bwl {

class FileSource {
public:
    // A local path (reader null), or `path` naming what `reader` reads.
    explicit FileSource(std::string path, std::shared_ptr<RangeReader> reader = nullptr);  // throws IoError
    ~FileSource();
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }

    // Reads exactly n bytes at off into dst; `what` names the structure for
    // the error message. Safe to call from many threads at once.
    void read(uint64_t off, uint64_t n, void* dst, const char* what) const;
    std::vector<uint8_t> read(uint64_t off, uint64_t n, const char* what) const;

    // Ranges soon read (clipped to the file): a remote reader starts
    // fetching them; a local or in-memory file ignores this.
    void prefetch(ByteRanges ranges) const;
    bool remote() const { return reader_ != nullptr; }

    // Reads everything at once into memory; later reads copy from there.
    void load_into_memory(uint64_t off, uint64_t n);
    bool in_memory() const { return !mem_.empty(); }
    uint64_t memory_bytes() const { return mem_.size(); }

private:
    std::string path_;
    std::shared_ptr<RangeReader> reader_;
    uint64_t size_ = 0;
    uint64_t mem_off_ = 0;
    std::vector<uint8_t> mem_;  // [mem_off_, mem_off_ + mem_.size()) of the file
};

}  // namespace bwl
