// zlib's verdict on a (possibly corrupt) zlib stream, the oracle of the
// inflate tests and the inflate fuzz target: true when it inflates the
// whole stream into at most cap bytes; *out gets what it wrote either way.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

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
