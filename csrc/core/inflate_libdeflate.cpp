// The libdeflate backend of core/inflate.hpp (BWL_INFLATE=LIBDEFLATE), for
// comparison: bench/inflate.py measures bwl's decoder against it.
#include <libdeflate.h>

#include <new>
#include <string>

#include "bwl/error.hpp"
#include "core/inflate.hpp"

namespace bwl {

namespace {
// One decompressor per thread: they hold ~32 KiB of tables and are not
// thread-safe, and allocating one per block would cost more than inflating.
struct Decompressor {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Decompressor() { libdeflate_free_decompressor(d); }
};

uint64_t finish(libdeflate_result r, size_t out, uint64_t cap) {
    switch (r) {
        case LIBDEFLATE_SUCCESS:
            return out;
        case LIBDEFLATE_INSUFFICIENT_SPACE:
            throw FormatError("compressed block inflates past its declared size (" + std::to_string(cap) + " bytes)");
        case LIBDEFLATE_SHORT_OUTPUT:
        case LIBDEFLATE_BAD_DATA:
        default:
            throw FormatError("corrupt or truncated compressed stream");
    }
}

libdeflate_decompressor* decompressor() {
    thread_local Decompressor dec;
    if (!dec.d) throw std::bad_alloc();
    return dec.d;
}
}  // namespace

uint64_t inflate_zlib(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    size_t out = 0;
    libdeflate_result r = libdeflate_zlib_decompress(decompressor(), src, n, dst, cap, &out);
    return finish(r, out, cap);
}

uint64_t inflate_gzip(const uint8_t* src, uint64_t n, uint8_t* dst, uint64_t cap) {
    size_t out = 0;
    libdeflate_result r = libdeflate_gzip_decompress(decompressor(), src, n, dst, cap, &out);
    return finish(r, out, cap);
}

const char* inflate_backend() { return "libdeflate"; }
const char* inflate_version() { return LIBDEFLATE_VERSION_STRING; }

}  // namespace bwl
