#include "core/text_out.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bwl/error.hpp"

namespace bwl {

TextOut::TextOut(const std::string& path) : path_(path) {
    check_path(path);
    if (path == "-") {
        fd_ = 1;
        return;
    }
    tmp_ = path + ".tmp-" + std::to_string(::getpid());
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        int err = errno;
        tmp_.clear();
        throw IoError(path + ": " + std::strerror(err), err);
    }
}

TextOut::~TextOut() {
    if (!tmp_.empty()) {
        ::close(fd_);
        ::unlink(tmp_.c_str());
    }
}

void TextOut::flush() {
    const char* p = buf_.data();
    size_t n = buf_.size();
    while (n) {
        ssize_t w = ::write(fd_, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            throw IoError(path_ + ": " + std::strerror(err), err);
        }
        p += w, n -= size_t(w);
    }
    buf_.clear();
}

void TextOut::commit() {
    flush();
    if (tmp_.empty()) return;  // standard output
    if (::close(fd_) != 0 || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
        int err = errno;
        throw IoError(path_ + ": " + std::strerror(err), err);
    }
    tmp_.clear();
}

}  // namespace bwl
