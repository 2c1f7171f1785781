// The parts both BBI writers lay out the same way (bigWig: writer.cpp,
// bigBed: bigbed_writer.cpp): a byte sink in either byte order, the output
// file, compressed blocks, the R-tree and chromosome B+ tree, zoom levels,
// the total summary and the fixed header, all as UCSC's bbiWrite.c does.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bwl/detail/format.hpp"
#include "core/thread_pool.hpp"
#include "core/zoom_builder.hpp"

namespace bwl {

constexpr uint16_t kBbiVersion = 4;  // bbiCurrentVersion

// Bytes in the file's byte order: the write-side twin of hd/byteio.hpp.
class Bytes {
public:
    explicit Bytes(bool big) : big_(big) {}
    void u8(uint8_t v) { buf.push_back(v); }
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void f32(float v) {
        uint32_t u;
        memcpy(&u, &v, 4);
        put(u, 4);
    }
    void f64(double v) {
        uint64_t u;
        memcpy(&u, &v, 8);
        put(u, 8);
    }
    void zeros(size_t n) { buf.insert(buf.end(), n, 0); }
    void raw(const void* p, size_t n) {
        const uint8_t* b = static_cast<const uint8_t*>(p);
        buf.insert(buf.end(), b, b + n);
    }
    void clear() { buf.clear(); }
    size_t size() const { return buf.size(); }
    bool big() const { return big_; }

    std::vector<uint8_t> buf;

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf.push_back(uint8_t(v >> (8 * (big_ ? n - 1 - i : i))));
    }
    bool big_;
};

// The output file with our own 64-bit position; errors are IoErrors naming it.
class OutFile {
public:
    explicit OutFile(const std::string& path);
    ~OutFile();
    OutFile(const OutFile&) = delete;
    OutFile& operator=(const OutFile&) = delete;

    const std::string& path() const { return path_; }
    uint64_t tell() const { return pos_; }
    void write(const uint8_t* p, size_t n);
    void write(const Bytes& b) { write(b.buf.data(), b.size()); }
    // Overwrites bytes at `offset` (the fixed parts written as zeros first),
    // then goes back to the end.
    void patch(uint64_t offset, const Bytes& b);
    void close();
    [[noreturn]] void fail(const char* what) const;

private:
    std::string path_;
    std::FILE* f_ = nullptr;
    uint64_t pos_ = 0;
};

// Creates `path`, runs body(out) and closes it; on any exception the
// partial file is removed and the exception goes on.
template <class Body>
void write_or_remove(const std::string& path, Body body) {
    auto out = std::make_unique<OutFile>(path);  // IoError if the file cannot be created
    try {
        body(*out);
        out->close();
    } catch (...) {
        out.reset();  // close before removing
        std::remove(path.c_str());
        throw;
    }
}

// A key range of the R-tree: (chrom, base) pairs, end exclusive.
struct Bounds {
    uint32_t start_chrom, start_base, end_chrom, end_base;
};
Bounds merge(const Bounds& a, const Bounds& b);

struct BlockEntry {
    Bounds bounds;
    uint64_t offset, size;
};

// Collects blocks, compresses them a batch at a time on the writer's pool
// (zlib is most of the writing time), and writes them in order; the output
// does not depend on the thread count.
class BlockSink {
public:
    BlockSink(OutFile& out, bool compress, ThreadPool& pool) : out_(out), compress_(compress), pool_(pool) {}
    void add(const Bytes& raw, const Bounds& b);
    std::vector<BlockEntry> finish();  // the written blocks, in order

private:
    void flush();
    void compress_all();

    OutFile& out_;
    bool compress_;
    ThreadPool& pool_;
    std::vector<std::vector<uint8_t>> raw_;
    std::vector<Bounds> bounds_;
    size_t pending_ = 0;
    std::vector<BlockEntry> entries_;
};

// The R-tree (cirTree) of `items`, written at out.tell().
void write_rtree(OutFile& out, const std::vector<BlockEntry>& items, uint32_t block_size, uint32_t items_per_slot,
                 uint64_t end_file_offset, bool big);

// One key of the chromosome B+ tree.
struct ChromKey {
    std::string_view name;
    uint32_t id, size;
};
// The chromosome B+ tree of `keys`, which must be sorted bytewise by name.
void write_chrom_tree(OutFile& out, const std::vector<ChromKey>& keys, uint32_t block_size, bool big);

struct ZoomHeaderOut {
    uint32_t reduction;
    uint64_t data_offset, index_offset;
};

// Zoom levels from `chroms` (by chrom id): the first at `first_reduction`,
// each further one 4x coarser, until max_levels or a level that no longer
// shrinks. Each level: u32 record count, blocks of up to items_per_slot
// records (which may span chroms, as in UCSC files), their R-tree.
std::vector<ZoomHeaderOut> write_zooms(OutFile& out, ThreadPool& pool, const ChromsById& chroms,
                                       uint32_t first_reduction, int max_levels, bool compress, uint32_t items_per_slot,
                                       uint32_t block_size, bool big);

// The 64-byte header.
struct HeaderOut {
    uint32_t magic;
    uint16_t zoom_levels;
    uint64_t chrom_tree_offset, data_offset, index_offset;
    uint16_t field_count, defined_field_count;
    uint64_t autosql_offset, summary_offset;
    uint32_t uncompress_buf;
    uint64_t extension_offset;
};
void put_header(Bytes& b, const HeaderOut& h);

// `slots` zoom headers: the written levels, then zeros.
void put_zoom_headers(Bytes& b, const std::vector<ZoomHeaderOut>& zooms, int slots);

// The total summary over `chroms`: basesCovered u64, then min, max, sum and
// sum of squares as f64 (all zero without items).
void put_total_summary(Bytes& b, const ChromsById& chroms);

}  // namespace bwl
