// Text (plain or gzip) read a chunk at a time and cut into lines: the
// input of the text converters (bedGraph, wiggle and BED to bigWig/bigBed).
// What is held is one chunk and the unfinished line it ends with.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace bwl {

class TextLines {
public:
    explicit TextLines(const std::string& path);  // IoError when it cannot be opened
    ~TextLines();
    TextLines(const TextLines&) = delete;
    TextLines& operator=(const TextLines&) = delete;

    // Reads about `bytes` more text and calls on_line(line) for each whole
    // line (without its '\n' or "\r\n"), the last one also without a '\n'.
    // line_no() is the line's number during the call. False at the end.
    template <class OnLine>
    bool step(size_t bytes, OnLine on_line) {
        std::string buf = std::move(carry_);
        const bool eof = read_more(buf, bytes);
        const char* p = buf.data();
        const char* end = p + buf.size();
        for (const char* nl; (nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)))) != nullptr;
             p = nl + 1) {
            ++line_no_;
            on_line(trim_cr(p, nl));
        }
        carry_.assign(p, end);
        if (eof && !carry_.empty()) {  // the last line, without a newline
            ++line_no_;
            on_line(trim_cr(carry_.data(), carry_.data() + carry_.size()));
            carry_.clear();
        }
        return !eof;
    }

    void rewind();  // back to the first line (a second pass)
    uint64_t bytes_read() const { return consumed_; }
    uint64_t line_no() const { return line_no_; }
    const std::string& path() const { return path_; }

private:
    bool read_more(std::string& buf, size_t bytes);  // appends; true at the end of the text
    static std::string_view trim_cr(const char* p, const char* e) {
        if (e > p && e[-1] == '\r') --e;
        return std::string_view(p, size_t(e - p));
    }

    std::string path_;
    void* gz_ = nullptr;  // gzFile
    std::string carry_;   // an unfinished line from the previous chunk
    uint64_t consumed_ = 0, line_no_ = 0;
};

}  // namespace bwl
