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
        char num[64];
        buf_.append(chrom);
        for (uint64_t v : {start, end}) {
            auto r = std::to_chars(num, num + sizeof num, v);
            buf_ += '\t';
            buf_.append(num, size_t(r.ptr - num));
        }
        auto r = std::to_chars(num, num + sizeof num, value, std::chars_format::general, 6);
        buf_ += '\t';
        buf_.append(num, size_t(r.ptr - num));
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
