// BbiFile: open-time parsing, block loading, values, intervals and records.
#include "core/bbi_file.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bwl/error.hpp"
#include "core/inflate.hpp"
#include "hd/bed.hpp"
#include "hd/byteio.hpp"
#include "hd/section.hpp"

namespace bwl {

namespace {
// Per-thread scratch for one block (compressed and inflated), reused across
// calls so a single-window read allocates nothing but its output.
struct Scratch {
    ByteBuffer raw, buf;
};
Scratch& scratch() {
    thread_local Scratch s;
    return s;
}
}  // namespace

BbiFile::BbiFile(const std::string& path, std::shared_ptr<RangeReader> reader) : src_(path, std::move(reader)) {
    hdr_ = read_header(src_);
    chroms_ = read_chrom_tree(src_, hdr_.chrom_tree_offset, hdr_.swap);
    std::vector<uint32_t> ids;
    ids.reserve(chroms_.size());
    for (uint32_t i = 0; i < chroms_.size(); ++i) {
        if (!by_name_.emplace(chroms_[i].name, i).second)
            fail("chromosome '" + chroms_[i].name + "' appears twice in the chromosome tree");
        ids.push_back(chroms_[i].id);
    }
    if (hdr_.full_index_offset) {
        index_ = read_rtree(src_, hdr_.full_index_offset, hdr_.swap, ids);
    } else {
        // A header-only file (libBigWig: no entries added) has no index and
        // a data count of 0; a damaged offset in a file with data must not
        // read as "no data".
        uint8_t nb[8];
        src_.read(hdr_.full_data_offset, 8, nb, "data count");
        if (uint64_t n = load_u64(nb, hdr_.swap))
            fail("index offset is 0 but the file holds " + std::to_string(n) + " data sections");
        index_.chroms.resize(chroms_.size());
    }
    zoom_index_.resize(hdr_.zooms.size());

    info_.kind = hdr_.bigbed ? BbiKind::BigBed : BbiKind::BigWig;
    info_.version = hdr_.version;
    info_.big_endian = hdr_.swap;  // fields are read little-endian on any host, then swapped
    info_.uncompress_buf_size = hdr_.uncompress_buf_size;
    info_.field_count = hdr_.field_count;
    info_.defined_field_count = hdr_.defined_field_count;
    info_.section_count = hdr_.section_count;
    info_.block_count = index_.block_count;
    for (const ZoomHeader& z : hdr_.zooms) info_.zoom_reductions.push_back(z.reduction_level);
    info_.summary = hdr_.summary;
    info_.file_size = src_.size();
}

ByteRanges BbiFile::data_blocks() const {
    ByteRanges b;
    for (const ChromBlocks& cb : index_.chroms)
        for (size_t i = 0; i < cb.offset.size(); ++i) b.emplace_back(cb.offset[i], cb.size[i]);
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    return b;
}

std::pair<uint64_t, uint64_t> BbiFile::data_extent() const {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const ChromBlocks& cb : index_.chroms)
        for (size_t i = 0; i < cb.offset.size(); ++i) {
            lo = std::min(lo, cb.offset[i]);
            hi = std::max(hi, cb.offset[i] + cb.size[i]);
        }
    return hi > lo ? std::make_pair(lo, hi) : std::make_pair(uint64_t(0), uint64_t(0));
}

uint64_t BbiFile::cache_data_blocks() {
    auto [lo, hi] = data_extent();
    if (hi <= lo) return 0;
    src_.load_into_memory(lo, hi - lo);
    return hi - lo;
}

void BbiFile::fail(const std::string& what) const { throw FormatError(path() + ": " + what); }

uint32_t BbiFile::chrom_index(const std::string& name) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) throw KeyError(path() + ": no chromosome '" + name + "'");
    return it->second;
}

void BbiFile::check_range(uint32_t chrom, uint64_t start, uint64_t end) const {
    const Chrom& c = chroms_.at(chrom);
    if (start >= end || end > c.size)
        throw RangeError(path() + ": invalid range " + c.name + ":" + std::to_string(start) + "-" +
                         std::to_string(end) + " (need 0 <= start < end <= " + std::to_string(c.size) + ")");
}

uint64_t BbiFile::load_block(uint64_t offset, uint64_t size, ByteBuffer& raw, ByteBuffer& buf) const {
    if (hdr_.uncompress_buf_size == 0) {
        buf.reserve(size);
        src_.read(offset, size, buf.data(), "data block");
        return size;
    }
    uint64_t cap = read_compressed_block(offset, size, raw, buf);
    try {
        return inflate_zlib(raw.data(), size, buf.data(), cap);
    } catch (const FormatError& e) {
        fail_block(offset, e.what());
    }
}

uint64_t BbiFile::read_compressed_block(uint64_t offset, uint64_t size, ByteBuffer& raw, ByteBuffer& buf) const {
    raw.reserve(size);
    src_.read(offset, size, raw.data(), "data block");
    uint64_t cap = inflated_capacity(hdr_.uncompress_buf_size, size);
    buf.reserve(cap);
    return cap;
}

void BbiFile::prefetch_blocks(const ChromBlocks& cb, size_t first, size_t last, uint64_t start) const {
    if (!src_.remote()) return;
    ByteRanges r;
    for (size_t i = first; i < last; ++i)
        if (cb.end[i] > start) r.emplace_back(cb.offset[i], cb.size[i]);
    src_.prefetch(std::move(r));
}

void BbiFile::fail_block(uint64_t offset, const std::string& what) const {
    fail(what + " (block at offset " + std::to_string(offset) + ")");
}

void BbiFile::need_kind(bool bigbed, const char* what) const {
    if (hdr_.bigbed != bigbed)
        throw RangeError(path() + ": " + what +
                         (bigbed ? " needs a bigBed file; this is a bigWig (use values or intervals)"
                                 : " needs a bigWig file; this is a bigBed (use entries, or a "
                                   "Collection for coverage)"));
}

// Calls f(data, n) -> SectionStatus with each block of chrom that reaches
// into [start, end) (inflated, in index order; a remote file fetches them
// all first); a bad status fails naming the block. Callers check the range.
template <class F>
void BbiFile::each_block(uint32_t chrom, uint64_t start, uint64_t end, F&& f) const {
    const ChromBlocks& cb = index_.chroms[chrom];
    size_t first, last;
    cb.overlapping(start, end, &first, &last);
    prefetch_blocks(cb, first, last, start);
    auto& [raw, buf] = scratch();
    for (size_t i = first; i < last; ++i) {
        if (cb.end[i] <= start) continue;
        uint64_t n = load_block(cb.offset[i], cb.size[i], raw, buf);
        int st = f(buf.data(), n);
        if (st != kSectionOk)
            fail_block(cb.offset[i],
                       hdr_.bigbed ? "BED record runs past the end of its block" : section_status_text(st));
    }
}

void BbiFile::values(uint32_t chrom, uint64_t start, uint64_t end, float* out) const {
    need_kind(false, "values");
    check_range(chrom, start, end);
    std::fill(out, out + (end - start), std::numeric_limits<float>::quiet_NaN());
    uint64_t budget = write_budget(end - start);
    each_block(chrom, start, end, [&](const uint8_t* data, uint64_t n) {
        return densify_block(data, n, hdr_.swap, chroms_[chrom].id, start, end, out, 1.0f, &budget);
    });
}

Intervals BbiFile::intervals(uint32_t chrom, uint64_t start, uint64_t end) const {
    need_kind(false, "intervals");
    check_range(chrom, start, end);
    Intervals r;
    uint32_t id = chroms_.at(chrom).id;
    each_block(chrom, start, end, [&](const uint8_t* data, uint64_t n) {
        return for_each_item(data, n, hdr_.swap, [&](uint32_t c, uint64_t s, uint64_t e, float v) {
            if (c != id || e <= s || e <= start || s >= end) return;
            if (e > UINT32_MAX) e = UINT32_MAX;  // only a corrupt section can get here
            r.start.push_back(uint32_t(s));
            r.end.push_back(uint32_t(e));
            r.value.push_back(v);
        });
    });
    return r;
}

BedEntries BbiFile::entries(uint32_t chrom, uint64_t start, uint64_t end, bool with_rest) const {
    need_kind(true, "entries");
    check_range(chrom, start, end);
    BedEntries r;
    uint32_t id = chroms_.at(chrom).id;
    each_block(chrom, start, end, [&](const uint8_t* data, uint64_t n) {
        return for_each_bed(data, n, hdr_.swap,
                            [&](uint32_t c, uint32_t s, uint32_t e, const char* rest, uint64_t len) {
                                if (c != id || e <= start || s >= end) return;
                                r.start.push_back(s);
                                r.end.push_back(e);
                                r.rest.emplace_back(with_rest ? std::string(rest, len) : std::string());
                            });
    });
    return r;
}

Intervals BbiFile::coverage(uint32_t chrom, uint64_t start, uint64_t end) const {
    // A sweep over the records' edges: O(records log records), whatever the depth.
    BedEntries e = entries(chrom, start, end, false);
    std::vector<std::pair<uint64_t, int>> edges;
    edges.reserve(2 * e.start.size());
    for (size_t i = 0; i < e.start.size(); ++i) {
        if (e.end[i] <= e.start[i]) continue;
        edges.emplace_back(std::max<uint64_t>(e.start[i], start), 1);
        edges.emplace_back(std::min<uint64_t>(e.end[i], end), -1);
    }
    std::sort(edges.begin(), edges.end());
    Intervals r;
    int64_t depth = 0;
    uint64_t run = 0;  // where the current depth began
    for (size_t i = 0; i < edges.size();) {
        uint64_t pos = edges[i].first;
        int64_t before = depth;
        for (; i < edges.size() && edges[i].first == pos; ++i) depth += edges[i].second;
        if (depth == before) continue;
        if (before > 0 && pos > run) {
            r.start.push_back(uint32_t(run));
            r.end.push_back(uint32_t(pos));
            r.value.push_back(float(before));
        }
        run = pos;
    }
    return r;
}

std::string BbiFile::auto_sql() const {
    if (!hdr_.autosql_offset) return {};
    uint64_t off = hdr_.autosql_offset, n = std::min<uint64_t>(kMaxAutoSql, src_.size() - std::min(off, src_.size()));
    std::vector<uint8_t> b = src_.read(off, n, "autoSql");
    auto z = std::find(b.begin(), b.end(), uint8_t(0));
    if (z == b.end()) fail("autoSql text has no end (no NUL within 1 MiB)");
    return std::string(b.begin(), z);
}

}  // namespace bwl
