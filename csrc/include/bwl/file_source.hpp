// Positioned reads from one file. Every read is bounds-checked against the
// file size taken at open, so a header pointing past the end becomes a
// FormatError instead of a short read. A local file's descriptor is borrowed
// from the process-wide FdCache per read, so thousands of files can be open
// at once; a remote or Python file reads through its RangeReader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bwl {

// (offset, length) byte ranges.
using ByteRanges = std::vector<std::pair<uint64_t, uint64_t>>;

// The bytes of a file that is not a local path (an http(s) URL, an fsspec
// URL, a Python file object): implemented by the bindings over
// bwl/_remote/, which does the transfers and keeps the fetched ranges.
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
