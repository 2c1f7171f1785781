// zlib as the tests' reference, one copy for the inflate tests and the
// inflate fuzz target: deflate_zlib makes streams (any level, strategy and
// window, with flushes and level changes where asked); inflate_zlib_ref is
// zlib's verdict on a (possibly corrupt) zlib stream: true when it inflates
// the whole stream into at most cap bytes; *out gets what it wrote either way.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

struct Flush {
    size_t at;  // input offset
    int mode;   // Z_FULL_FLUSH, Z_SYNC_FLUSH, Z_PARTIAL_FLUSH, Z_BLOCK, or -level to change the level
};

inline std::vector<uint8_t> deflate_zlib(const std::vector<uint8_t>& in, int level, int strategy, int window_bits = 15,
                                         const std::vector<Flush>& flushes = {}) {
    z_stream z{};
    if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, strategy) != Z_OK) std::abort();
    std::vector<uint8_t> out(deflateBound(&z, in.size()) + 64 + 16 * flushes.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    size_t pos = 0;
    for (const Flush& f : flushes) {
        z.next_in = const_cast<uint8_t*>(in.data()) + pos;
        z.avail_in = uInt(f.at - pos);
        if (f.mode < 0) {
            if (deflateParams(&z, -f.mode - 1, strategy) != Z_OK) std::abort();  // flushes what it has
            if (z.avail_in && deflate(&z, Z_NO_FLUSH) != Z_OK) std::abort();
        } else if (deflate(&z, f.mode) != Z_OK) {
            std::abort();
        }
        if (z.avail_in) std::abort();
        pos = f.at;
    }
    z.next_in = const_cast<uint8_t*>(in.data()) + pos;
    z.avail_in = uInt(in.size() - pos);
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

inline bool inflate_zlib_ref(const uint8_t* p, size_t n, size_t cap, std::vector<uint8_t>* out, int window_bits = 15) {
    z_stream s{};
    if (inflateInit2(&s, window_bits) != Z_OK) std::abort();
    out->assign(cap + 1, 0);
    s.next_in = const_cast<uint8_t*>(p);
    s.avail_in = uInt(n);
    s.next_out = out->data();
    s.avail_out = uInt(cap);
    int rc = inflate(&s, Z_FINISH);
    out->resize(s.total_out);
    inflateEnd(&s);
    return rc == Z_STREAM_END;
}
