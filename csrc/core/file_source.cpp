// File access: pread for local files (one descriptor per open file; pread
// keeps reads from several threads independent of any shared position), a
// RangeReader for the rest.
#include "core/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bwl/error.hpp"
#include "core/fd_cache.hpp"

namespace bwl {

FileSource::FileSource(std::string path, std::shared_ptr<RangeReader> reader)
    : path_(std::move(path)), reader_(std::move(reader)) {
    if (reader_) {
        size_ = reader_->size();
        return;
    }
    check_path(path_);
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path_ + ": " + std::strerror(errno), errno);
    struct stat st;
    int err = ::fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (err) {
        ::close(fd);
        throw IoError(path_ + ": " + std::strerror(err), err);
    }
    size_ = uint64_t(st.st_size);
    FdCache::global().adopt(this, fd);
}

FileSource::~FileSource() {
    if (!reader_) FdCache::global().forget(this);
}

void FileSource::read(uint64_t off, uint64_t n, void* dst, const char* what) const {
    if (off > size_ || n > size_ - off)
        throw FormatError(path_ + ": " + what + " at offset " + std::to_string(off) + " (" + std::to_string(n) +
                          " bytes) runs past the end of the file (" + std::to_string(size_) +
                          " bytes); the file is truncated or corrupt");
    if (!mem_.empty() && off >= mem_off_ && off + n <= mem_off_ + mem_.size()) {
        std::memcpy(dst, mem_.data() + (off - mem_off_), n);
        return;
    }
    if (reader_) {
        reader_->read(off, n, dst);
        return;
    }
    FdLease fd(this, path_, size_);
    auto* p = static_cast<uint8_t*>(dst);
    while (n > 0) {
        ssize_t r = ::pread(fd.fd(), p, n, off_t(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            throw IoError(path_ + ": reading " + what + ": " + std::strerror(errno), errno);
        }
        if (r == 0)
            throw FormatError(path_ + ": file is shorter than when it was opened (reading " + std::string(what) + ")");
        p += r;
        off += uint64_t(r);
        n -= uint64_t(r);
    }
}

std::vector<uint8_t> FileSource::read(uint64_t off, uint64_t n, const char* what) const {
    if (off > size_ || n > size_ - off) read(off, n, nullptr, what);  // throws the bounds error
    std::vector<uint8_t> out(n);
    read(off, n, out.data(), what);
    return out;
}

void FileSource::prefetch(ByteRanges ranges) const {
    if (!reader_ || !mem_.empty()) return;
    size_t k = 0;
    for (auto [off, n] : ranges)
        if (off < size_ && n) ranges[k++] = {off, std::min(n, size_ - off)};
    ranges.resize(k);
    if (k) reader_->prefetch(ranges);
}

void FileSource::load_into_memory(uint64_t off, uint64_t n) {
    std::vector<uint8_t> m = read(off, n, "data region");
    mem_off_ = off;
    mem_ = std::move(m);
}

}  // namespace bwl
