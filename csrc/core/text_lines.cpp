// TextLines: see text_lines.hpp.
#include "core/text_lines.hpp"

#include <zlib.h>

#include <cerrno>

#include "bwl/error.hpp"

namespace bwl {

TextLines::TextLines(const std::string& path) : path_(path) {
    check_path(path);
    gz_ = gzopen(path.c_str(), "rb");  // reads plain text too
    if (!gz_) throw IoError(path + ": " + std::strerror(errno ? errno : ENOENT), errno ? errno : ENOENT);
    gzbuffer(static_cast<gzFile>(gz_), 1 << 20);
}

TextLines::~TextLines() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool TextLines::read_more(std::string& buf, size_t bytes) {
    size_t have = buf.size();
    buf.resize(have + bytes);
    int n = gzread(static_cast<gzFile>(gz_), &buf[have], unsigned(bytes));
    if (n < 0) {
        int err;
        const char* msg = gzerror(static_cast<gzFile>(gz_), &err);
        throw FormatError(path_ + ": " + (msg ? msg : "read error"));
    }
    consumed_ += uint64_t(n);
    buf.resize(have + size_t(n));
    return n == 0;
}

void TextLines::rewind() {
    if (gzrewind(static_cast<gzFile>(gz_)) != 0) throw IoError(path_ + ": cannot read it a second time");
    carry_.clear();
    consumed_ = line_no_ = 0;
}

}  // namespace bwl
