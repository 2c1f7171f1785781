// Shared BBI writing: see bbi_write.hpp.
#include "core/bbi_write.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <limits>
#include <new>

#include "bwl/error.hpp"

namespace bwl {
namespace {

constexpr int kZlibLevel = 6;
constexpr uint32_t kBptValSize = 8;       // chromId u32, chromSize u32
constexpr size_t kBatchBytes = 16 << 20;  // raw bytes compressed per batch

}  // namespace

// ---- output file ---------------------------------------------------------------

OutFile::OutFile(const std::string& path) : path_(path) {
    check_path(path);
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) fail("cannot open for writing");
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
}

OutFile::~OutFile() {
    if (f_) std::fclose(f_);
}

void OutFile::write(const uint8_t* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) fail("write failed");
    pos_ += n;
}

void OutFile::patch(uint64_t offset, const Bytes& b) {
    if (fseeko(f_, off_t(offset), SEEK_SET) != 0) fail("seek failed");
    if (std::fwrite(b.buf.data(), 1, b.size(), f_) != b.size()) fail("write failed");
    if (fseeko(f_, off_t(pos_), SEEK_SET) != 0) fail("seek failed");
}

void OutFile::close() {
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) fail("close failed");
}

void OutFile::fail(const char* what) const {
    int err = errno;  // before anything else can change it
    throw IoError(path_ + ": " + what + ": " + std::strerror(err), err);
}

// ---- blocks ----------------------------------------------------------------------

Bounds merge(const Bounds& a, const Bounds& b) {
    Bounds m = a;
    if (b.start_chrom < m.start_chrom || (b.start_chrom == m.start_chrom && b.start_base < m.start_base)) {
        m.start_chrom = b.start_chrom;
        m.start_base = b.start_base;
    }
    if (b.end_chrom > m.end_chrom || (b.end_chrom == m.end_chrom && b.end_base > m.end_base)) {
        m.end_chrom = b.end_chrom;
        m.end_base = b.end_base;
    }
    return m;
}

void BlockSink::add(const Bytes& raw, const Bounds& b) {
    raw_.push_back(raw.buf);
    bounds_.push_back(b);
    pending_ += raw.size();
    if (pending_ >= kBatchBytes) flush();
}

std::vector<BlockEntry> BlockSink::finish() {
    flush();
    return std::move(entries_);
}

void BlockSink::flush() {
    if (compress_) compress_all();
    for (size_t i = 0; i < raw_.size(); ++i) {
        entries_.push_back({bounds_[i], out_.tell(), raw_[i].size()});
        out_.write(raw_[i].data(), raw_[i].size());
    }
    raw_.clear();
    bounds_.clear();
    pending_ = 0;
}

// Replaces each raw block by its zlib stream.
void BlockSink::compress_all() {
    std::atomic<bool> ok{true};
    pool_.parallel_for(raw_.size(), [&](size_t i) {
        try {
            std::vector<uint8_t>& r = raw_[i];
            uLongf n = compressBound(uLong(r.size()));
            std::vector<uint8_t> z(n);
            if (compress2(z.data(), &n, r.data(), uLong(r.size()), kZlibLevel) != Z_OK) ok = false;
            z.resize(n);
            r.swap(z);
        } catch (const std::bad_alloc&) {
            ok = false;
        }
    });
    if (!ok) throw IoError(out_.path() + ": zlib compress2 failed (out of memory?)");
}

// ---- trees: the R-tree (cirTree) and the chrom B+ tree ----------------------

namespace {

// The levels of a tree of fan-out bs over `items`: level 0 holds one entry
// per leaf node (the fold of its bs items, first to last), each level above
// one per bs nodes below, up to a single root. No items still gives one
// (empty) leaf node, so readers always find a root.
template <class T, class Fold>
std::vector<std::vector<T>> tree_levels(const std::vector<T>& items, uint32_t bs, const T& empty, Fold fold) {
    std::vector<std::vector<T>> levels;
    const std::vector<T>* below = &items;
    do {
        std::vector<T> up;
        for (size_t i = 0; i < below->size(); ++i) {
            if (i % bs == 0) up.push_back((*below)[i]);
            else up.back() = fold(up.back(), (*below)[i]);
        }
        if (up.empty()) up.push_back(empty);
        levels.push_back(std::move(up));
        below = &levels.back();
    } while (levels.back().size() > 1);
    return levels;
}

// Writes a tree's nodes after its header, root level first, each node padded
// to bs slots (as UCSC does): a node header (isLeaf, reserved, count), then
// put_leaf(b, item) for the items of a leaf, or put_branch(b, k, c, offset)
// for node c of level k below (offset: where that child starts; child
// offsets follow from the fixed node sizes). leaf_slot / branch_slot: bytes
// of one slot.
template <class Entry, class PutLeaf, class PutBranch>
void write_tree_nodes(OutFile& out, Bytes& b, const std::vector<std::vector<Entry>>& levels, size_t n_items,
                      uint32_t bs, uint64_t leaf_slot, uint64_t branch_slot, PutLeaf put_leaf, PutBranch put_branch) {
    auto node_size = [&](size_t k) { return kNodeHeaderSize + uint64_t(bs) * (k == 0 ? leaf_slot : branch_slot); };
    const size_t depth = levels.size();
    std::vector<uint64_t> level_offset(depth);
    uint64_t off = out.tell();
    for (size_t k = depth; k-- > 0;) {
        level_offset[k] = off;
        off += levels[k].size() * node_size(k);
    }
    for (size_t k = depth; k-- > 0;) {
        const bool leaf = k == 0;
        const size_t children = leaf ? n_items : levels[k - 1].size();
        for (size_t node = 0; node < levels[k].size(); ++node) {
            size_t first = node * bs, last = std::min(children, first + bs);
            b.clear();
            b.u8(leaf ? 1 : 0);
            b.u8(0);
            b.u16(uint16_t(last - first));
            for (size_t c = first; c < last; ++c) {
                if (leaf) put_leaf(b, c);
                else put_branch(b, k - 1, c, level_offset[k - 1] + c * node_size(k - 1));
            }
            b.zeros((bs - (last - first)) * (leaf ? leaf_slot : branch_slot));
            out.write(b);
        }
    }
}

void put_bounds(Bytes& b, const Bounds& x) {
    b.u32(x.start_chrom);
    b.u32(x.start_base);
    b.u32(x.end_chrom);
    b.u32(x.end_base);
}

}  // namespace

// A node's bounds are the merge of its children's.
void write_rtree(OutFile& out, const std::vector<BlockEntry>& items, uint32_t bs, uint32_t items_per_slot,
                 uint64_t end_file_offset, bool big) {
    std::vector<Bounds> bounds;
    bounds.reserve(items.size());
    for (const BlockEntry& e : items) bounds.push_back(e.bounds);
    auto levels = tree_levels(bounds, bs, Bounds{0, 0, 0, 0}, merge);
    Bytes b(big);
    b.u32(kCirTreeMagic);
    b.u32(bs);
    b.u64(items.size());
    put_bounds(b, levels.back()[0]);
    b.u64(end_file_offset);
    b.u32(items_per_slot);
    b.u32(0);  // reserved
    out.write(b);
    write_tree_nodes(
        out, b, levels, items.size(), bs, kCirLeafItemSize, kCirBranchItemSize,
        [&](Bytes& node, size_t c) {
            put_bounds(node, items[c].bounds);
            node.u64(items[c].offset);
            node.u64(items[c].size);
        },
        [&](Bytes& node, size_t k, size_t c, uint64_t child) {
            put_bounds(node, levels[k][c]);
            node.u64(child);
        });
}

// Keys are names zero-padded to the longest. A node is named by its first
// item; an index slot carries its child's first key.
void write_chrom_tree(OutFile& out, const std::vector<ChromKey>& keys, uint32_t block_size, bool big) {
    size_t n = keys.size();
    uint32_t bs = uint32_t(std::max<size_t>(1, std::min<size_t>(block_size, n)));
    size_t key_size = 1;
    for (const ChromKey& k : keys) key_size = std::max(key_size, k.name.size());
    std::vector<size_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = i;
    auto levels = tree_levels(ids, bs, size_t(0), [](size_t first, size_t) { return first; });

    Bytes b(big);
    b.u32(kBptMagic);
    b.u32(bs);
    b.u32(uint32_t(key_size));
    b.u32(kBptValSize);
    b.u64(n);
    b.u64(0);  // reserved
    out.write(b);
    auto put_key = [&](Bytes& node, size_t item) {
        std::string_view name = keys[item].name;
        node.raw(name.data(), name.size());
        node.zeros(key_size - name.size());
    };
    write_tree_nodes(
        out, b, levels, n, bs, key_size + kBptValSize, key_size + kBptValSize,
        [&](Bytes& node, size_t c) {
            put_key(node, c);
            node.u32(keys[c].id);
            node.u32(keys[c].size);
        },
        [&](Bytes& node, size_t k, size_t c, uint64_t child) {
            put_key(node, levels[k][c]);
            node.u64(child);
        });
}

// ---- zoom levels -------------------------------------------------------------

namespace {

void encode_record(Bytes& b, const ZoomRecord& r) {
    b.u32(r.chrom_id);
    b.u32(r.start);
    b.u32(r.end);
    b.u32(r.valid_count);
    b.f32(r.min_val);
    b.f32(r.max_val);
    b.f32(float(r.sum));
    b.f32(float(r.sum_squares));
}

ZoomHeaderOut write_zoom_level(OutFile& out, ThreadPool& pool, uint32_t r, const std::vector<ZoomRecord>& recs,
                               bool compress, uint32_t items_per_slot, uint32_t block_size, bool big) {
    ZoomHeaderOut z{r, out.tell(), 0};
    Bytes b(big);
    b.u32(uint32_t(recs.size()));
    out.write(b);
    BlockSink sink(out, compress, pool);
    for (size_t i = 0; i < recs.size(); i += items_per_slot) {
        size_t n = std::min<size_t>(items_per_slot, recs.size() - i);
        b.clear();
        Bounds bounds{recs[i].chrom_id, recs[i].start, recs[i].chrom_id, recs[i].end};
        for (size_t k = i; k < i + n; ++k) {
            encode_record(b, recs[k]);
            bounds = merge(bounds, Bounds{recs[k].chrom_id, recs[k].start, recs[k].chrom_id, recs[k].end});
        }
        sink.add(b, bounds);
    }
    std::vector<BlockEntry> blocks = sink.finish();
    z.index_offset = out.tell();
    write_rtree(out, blocks, block_size, items_per_slot, z.index_offset, big);
    return z;
}

}  // namespace

std::vector<ZoomHeaderOut> write_zooms(OutFile& out, ThreadPool& pool, const ChromsById& chroms,
                                       uint32_t first_reduction, int max_levels, bool compress, uint32_t items_per_slot,
                                       uint32_t block_size, bool big) {
    std::vector<ZoomHeaderOut> zooms;
    if (first_reduction == 0 || max_levels <= 0) return zooms;
    uint32_t r = first_reduction;
    std::vector<ZoomRecord> recs = summarize_items(chroms, r);
    for (;;) {
        zooms.push_back(write_zoom_level(out, pool, r, recs, compress, items_per_slot, block_size, big));
        uint64_t next_r = uint64_t(r) * kZoomIncrement;
        if (int(zooms.size()) >= max_levels || next_r > std::numeric_limits<uint32_t>::max()) break;
        std::vector<ZoomRecord> next = summarize_records(recs, uint32_t(next_r));
        if (next.size() >= recs.size()) break;
        recs = std::move(next);
        r = uint32_t(next_r);
    }
    return zooms;
}

// ---- the fixed front ----------------------------------------------------------

void put_header(Bytes& b, const HeaderOut& h) {
    b.u32(h.magic);
    b.u16(kBbiVersion);
    b.u16(h.zoom_levels);
    b.u64(h.chrom_tree_offset);
    b.u64(h.data_offset);
    b.u64(h.index_offset);
    b.u16(h.field_count);
    b.u16(h.defined_field_count);
    b.u64(h.autosql_offset);
    b.u64(h.summary_offset);
    b.u32(h.uncompress_buf);
    b.u64(h.extension_offset);
}

void put_zoom_headers(Bytes& b, const std::vector<ZoomHeaderOut>& zooms, int slots) {
    for (const ZoomHeaderOut& z : zooms) {
        b.u32(z.reduction);
        b.u32(0);  // reserved
        b.u64(z.data_offset);
        b.u64(z.index_offset);
    }
    b.zeros(size_t(slots - int(zooms.size())) * kZoomHeaderSize);
}

void put_total_summary(Bytes& b, const ChromsById& chroms) {
    uint64_t bases = 0;
    double lo = 0, hi = 0, sum = 0, sq = 0;
    bool any = false;
    for (const ChromData* c : chroms) {
        for (size_t i = 0; i < c->start.size(); ++i) {
            double v = c->value[i], n = c->end[i] - c->start[i];
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
            bases += c->end[i] - c->start[i];
            sum += v * n;
            sq += v * v * n;
        }
    }
    b.u64(bases);
    b.f64(lo);
    b.f64(hi);
    b.f64(sum);
    b.f64(sq);
}

}  // namespace bwl
