// Positioned reads from one file. Every read is bounds-checked against the
// file size taken at open, so a header pointing past the end becomes a
// FormatError instead of a short read. The descriptor is borrowed from the
// process-wide FdCache per read, so thousands of files can be open at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bwl {

class FileSource {
public:
    explicit FileSource(std::string path);  // throws IoError
    ~FileSource();
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    const std::string& path() const { return path_; }
    uint64_t size() const { return size_; }

    // Reads exactly n bytes at off into dst; `what` names the structure for
    // the error message. Safe to call from many threads at once.
    void read(uint64_t off, uint64_t n, void* dst, const char* what) const;
    std::vector<uint8_t> read(uint64_t off, uint64_t n, const char* what) const;

    // Reads everything at once into memory; later reads copy from there.
    void load_into_memory(uint64_t off, uint64_t n);
    bool in_memory() const { return !mem_.empty(); }
    uint64_t memory_bytes() const { return mem_.size(); }

private:
    std::string path_;
    uint64_t size_ = 0;
    uint64_t mem_off_ = 0;
    std::vector<uint8_t> mem_;  // [mem_off_, mem_off_ + mem_.size()) of the file
};

}  // namespace bwl
