// Text written by the tools (bwl to-bedgraph, bwl merge): buffered writes
// to a file created under a temporary name and renamed into place by
// commit() (a failed run leaves no half-written file), or to standard
// output ("-"). Throws IoError naming the path.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace bwl {

// Appends v as printf's %g (to_chars with general, 6 is defined so), or an integer.
inline void append_g(std::string& out, double v) {
    char num[32];
    auto r = std::to_chars(num, num + sizeof num, v, std::chars_format::general, 6);
    out.append(num, size_t(r.ptr - num));
}
inline void append_int(std::string& out, int64_t v) {
    char num[24];
    auto r = std::to_chars(num, num + sizeof num, v);
    out.append(num, size_t(r.ptr - num));
}

class TextOut {
public:
    explicit TextOut(const std::string& path);
    ~TextOut();  // removes the temporary file unless committed
    TextOut(const TextOut&) = delete;
    TextOut& operator=(const TextOut&) = delete;

    void put(std::string_view s) {
        buf_.append(s);
        if (buf_.size() >= kFlush) flush();
    }
    // "chrom\tstart\tend\tvalue\n", the value as printf's %g.
    void bedgraph(std::string_view chrom, uint64_t start, uint64_t end, double value) {
        buf_.append(chrom);
        buf_ += '\t', append_int(buf_, int64_t(start));
        buf_ += '\t', append_int(buf_, int64_t(end));
        buf_ += '\t', append_g(buf_, value);
        buf_ += '\n';
        if (buf_.size() >= kFlush) flush();
    }
    // "chrom\tstart\tend[\trest]\n", a BED line.
    void bed(std::string_view chrom, uint64_t start, uint64_t end, std::string_view rest) {
        buf_.append(chrom);
        buf_ += '\t', append_int(buf_, int64_t(start));
        buf_ += '\t', append_int(buf_, int64_t(end));
        if (!rest.empty()) buf_ += '\t', buf_.append(rest);
        buf_ += '\n';
        if (buf_.size() >= kFlush) flush();
    }
    // Writes what is left and puts the file in place.
    void commit();

private:
    static constexpr size_t kFlush = 1 << 20;
    void flush();
    std::string path_, tmp_, buf_;
    int fd_ = -1;
};

}  // namespace bwl
