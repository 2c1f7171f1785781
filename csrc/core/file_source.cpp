// pread-based file access. One descriptor per open file; pread keeps reads
// from several threads independent of any shared file position.
#include "bwl/file_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bwl/error.hpp"

namespace bwl {

FileSource::FileSource(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoError(path_ + ": " + std::strerror(errno), errno);
    struct stat st;
    if (::fstat(fd_, &st) != 0) {
        int e = errno;
        ::close(fd_);
        fd_ = -1;
        throw IoError(path_ + ": " + std::strerror(e), e);
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd_);
        fd_ = -1;
        throw IoError(path_ + ": is a directory", EISDIR);
    }
    size_ = uint64_t(st.st_size);
}

FileSource::~FileSource() { close(); }

void FileSource::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void FileSource::read(uint64_t off, uint64_t n, void* dst, const char* what) const {
    if (fd_ < 0) throw IoError(path_ + ": file is closed");
    if (off > size_ || n > size_ - off)
        throw FormatError(path_ + ": " + what + " at offset " + std::to_string(off) + " (" +
                          std::to_string(n) + " bytes) runs past the end of the file (" +
                          std::to_string(size_) + " bytes); the file is truncated or corrupt");
    auto* p = static_cast<uint8_t*>(dst);
    while (n > 0) {
        ssize_t r = ::pread(fd_, p, n, off_t(off));
        if (r < 0) {
            if (errno == EINTR) continue;
            throw IoError(path_ + ": reading " + what + ": " + std::strerror(errno), errno);
        }
        if (r == 0) throw FormatError(path_ + ": file shrank while reading " + what);
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

}  // namespace bwl
