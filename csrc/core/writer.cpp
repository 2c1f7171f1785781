// bigWig writer. File layout, as bedGraphToBigWig writes it:
//   header | zoom headers (slots reserved up front) | total summary |
//   chrom B+ tree | u64 section count, data blocks | R-tree |
//   per zoom level: u32 record count, record blocks | R-tree
// The fixed parts at the front are written as zeros first and patched at
// the end, once the offsets are known; everything else is written once, in
// order, so beyond the input the writer holds one batch of blocks, the block
// index, and at most two zoom levels.
#include "bwl/writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "core/thread_pool.hpp"
#include "core/zoom_builder.hpp"

namespace bwl {
namespace {

constexpr uint16_t kBbiVersion = 4;  // bbiCurrentVersion
constexpr int kZlibLevel = 6;
constexpr uint32_t kBptValSize = 8;                                          // chromId u32, chromSize u32
constexpr size_t kMaxThreads = 16;                                           // compression threads
constexpr size_t kBatchBytes = 16 << 20;                                     // raw bytes compressed per batch
constexpr uint32_t kMaxItemsPerSlot = std::numeric_limits<uint16_t>::max();  // itemCount is u16

// ---- byte sink: the store-side twin of byteio.hpp ---------------------------

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

    std::vector<uint8_t> buf;

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf.push_back(uint8_t(v >> (8 * (big_ ? n - 1 - i : i))));
    }
    bool big_;
};

// ---- output file with our own 64-bit position -------------------------------

class OutFile {
public:
    explicit OutFile(const std::string& path) : path_(path) {
        check_path(path);
        f_ = std::fopen(path.c_str(), "wb");
        if (!f_) fail("cannot open for writing");
        std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    }
    ~OutFile() {
        if (f_) std::fclose(f_);
    }
    OutFile(const OutFile&) = delete;
    OutFile& operator=(const OutFile&) = delete;

    const std::string& path() const { return path_; }
    uint64_t tell() const { return pos_; }
    void write(const uint8_t* p, size_t n) {
        if (n && std::fwrite(p, 1, n, f_) != n) fail("write failed");
        pos_ += n;
    }
    void write(const Bytes& b) { write(b.buf.data(), b.size()); }
    // Overwrites bytes at the start of the file (the fixed parts).
    void patch_front(const Bytes& b) {
        if (std::fseek(f_, 0, SEEK_SET) != 0) fail("seek failed");
        if (std::fwrite(b.buf.data(), 1, b.size(), f_) != b.size()) fail("write failed");
    }
    void close() {
        std::FILE* f = f_;
        f_ = nullptr;
        if (std::fclose(f) != 0) fail("close failed");
    }
    [[noreturn]] void fail(const char* what) const {
        int err = errno;  // before anything else can change it
        throw IoError(path_ + ": " + what + ": " + std::strerror(err), err);
    }

private:
    std::string path_;
    std::FILE* f_ = nullptr;
    uint64_t pos_ = 0;
};

// ---- blocks and their index entries -----------------------------------------

// A key range of the R-tree: (chrom, base) pairs, end exclusive.
struct Bounds {
    uint32_t start_chrom, start_base, end_chrom, end_base;
};

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

    void add(const Bytes& raw, const Bounds& b) {
        raw_.push_back(raw.buf);
        bounds_.push_back(b);
        pending_ += raw.size();
        if (pending_ >= kBatchBytes) flush();
    }

    std::vector<BlockEntry> finish() {
        flush();
        return std::move(entries_);
    }

private:
    void flush() {
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
    void compress_all() {
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

    OutFile& out_;
    bool compress_;
    ThreadPool& pool_;
    std::vector<std::vector<uint8_t>> raw_;
    std::vector<Bounds> bounds_;
    size_t pending_ = 0;
    std::vector<BlockEntry> entries_;
};

// ---- trees: the R-tree (cirTree) and the chrom B+ tree ----------------------

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

// The R-tree of blocks: a node's bounds are the merge of its children's.
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

// The chromosome B+ tree. Keys are names zero-padded to the longest; ids are
// positions in `chroms` (sorted bytewise), so the leaves come out in key
// order. A node is named by its first item; an index slot carries its
// child's first key.
void write_chrom_tree(OutFile& out, const ChromsById& chroms, uint32_t block_size, bool big) {
    size_t n = chroms.size();
    uint32_t bs = uint32_t(std::max<size_t>(1, std::min<size_t>(block_size, n)));
    size_t key_size = 1;
    for (const ChromData* c : chroms) key_size = std::max(key_size, c->name.size());
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
        const std::string& name = chroms[item]->name;
        node.raw(name.data(), name.size());
        node.zeros(key_size - name.size());
    };
    write_tree_nodes(
        out, b, levels, n, bs, key_size + kBptValSize, key_size + kBptValSize,
        [&](Bytes& node, size_t c) {
            put_key(node, c);
            node.u32(uint32_t(c));
            node.u32(chroms[c]->size);
        },
        [&](Bytes& node, size_t k, size_t c, uint64_t child) {
            put_key(node, levels[k][c]);
            node.u64(child);
        });
}

// ---- data sections ---------------------------------------------------------

struct Section {
    uint32_t chrom_id;
    size_t begin, end;  // item range
};

uint32_t span_of(const ChromData& c, size_t i) { return c.end[i] - c.start[i]; }

// End of the section starting at item i: at most max items, and for
// variableStep equal spans, for fixedStep equal spans and steps.
size_t section_end(const ChromData& c, size_t i, uint8_t type, size_t max) {
    size_t n = std::min(c.start.size(), i + max), j = i + 1;
    if (type == kBedGraph) return n;
    uint32_t span = span_of(c, i);
    uint32_t step = j < n ? c.start[j] - c.start[i] : 0;
    while (j < n && span_of(c, j) == span && (type == kVariableStep || c.start[j] - c.start[j - 1] == step)) ++j;
    return j;
}

std::vector<Section> plan_sections(const ChromsById& chroms, uint8_t type, size_t max) {
    std::vector<Section> out;
    for (uint32_t id = 0; id < chroms.size(); ++id) {
        const ChromData& c = *chroms[id];
        for (size_t i = 0; i < c.start.size();) {
            size_t j = section_end(c, i, type, max);
            out.push_back({id, i, j});
            i = j;
        }
    }
    return out;
}

// Section header (24 bytes) and items. Single-item fixedStep sections get
// step = span, which no reader uses.
void encode_section(Bytes& b, const ChromData& c, const Section& s, uint8_t type) {
    size_t i = s.begin, count = s.end - s.begin;
    uint32_t span = type == kBedGraph ? 0 : span_of(c, i);
    uint32_t step = type != kFixedStep ? 0 : count > 1 ? c.start[i + 1] - c.start[i] : span;
    b.clear();
    b.u32(s.chrom_id);
    b.u32(c.start[i]);
    b.u32(c.end[s.end - 1]);
    b.u32(step);
    b.u32(span);
    b.u8(type);
    b.u8(0);
    b.u16(uint16_t(count));
    for (size_t k = i; k < s.end; ++k) {
        if (type != kFixedStep) b.u32(c.start[k]);
        if (type == kBedGraph) b.u32(c.end[k]);
        b.f32(c.value[k]);
    }
}

// ---- zoom levels -------------------------------------------------------------

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

// ---- validation ----------------------------------------------------------

[[noreturn]] void bad(const std::string& path, const std::string& what) { throw RangeError(path + ": " + what); }

void check_options(const std::string& path, const WriteOptions& o) {
    if (o.type != kBedGraph && o.type != kVariableStep && o.type != kFixedStep)
        bad(path,
            "section type must be 1 (bedGraph), 2 (variableStep) or 3 (fixedStep), got " + std::to_string(o.type));
    if (o.items_per_slot < 1 || o.items_per_slot > kMaxItemsPerSlot)
        bad(path, "items per section must be in 1..65535, got " + std::to_string(o.items_per_slot));
    if (o.block_size < 2 || o.block_size > kMaxItemsPerSlot)
        bad(path, "block size must be in 2..65535, got " + std::to_string(o.block_size));
    if (o.zoom_levels < -1) bad(path, "zoom levels must be -1 (automatic) or >= 0");
}

[[noreturn]] void bad_interval(const std::string& path, const ChromData& c, size_t i, const std::string& what) {
    bad(path, "chrom '" + c.name + "' interval " + std::to_string(i) + " [" + std::to_string(c.start[i]) + ", " +
                  std::to_string(c.end[i]) + "): " + what);
}

void check_chrom(const std::string& path, const ChromData& c, bool allow_overlap) {
    std::string where = "chrom '" + c.name + "'";
    if (c.name.empty()) bad(path, "empty chrom name");
    if (c.name.find('\0') != std::string::npos) bad(path, where + ": name contains a NUL byte");
    if (c.name.size() > kMaxKeySize) bad(path, where + ": name longer than 1 MiB");
    size_t n = c.start.size();
    if (c.end.size() != n || c.value.size() != n)
        bad(path, where + ": starts, ends and values have different lengths (" + std::to_string(n) + ", " +
                      std::to_string(c.end.size()) + ", " + std::to_string(c.value.size()) + ")");
    for (size_t i = 0; i < n; ++i) {
        if (c.start[i] >= c.end[i]) bad_interval(path, c, i, "start >= end");
        if (c.end[i] > c.size) bad_interval(path, c, i, "end past chrom size " + std::to_string(c.size));
        if (i > 0 && c.start[i] < c.start[i - 1]) bad_interval(path, c, i, "intervals not sorted by start");
        if (i > 0 && c.start[i] < c.end[i - 1] && !allow_overlap)
            bad_interval(path, c, i, "overlaps the previous interval");
        if (std::isnan(c.value[i])) bad_interval(path, c, i, "value is NaN (leave the interval out instead)");
    }
}

// Validates every chrom and orders them bytewise by name: that order is
// the chrom id order the B+ tree needs.
ChromsById sort_and_check(const std::string& path, const std::vector<ChromData>& chroms, bool allow_overlap) {
    ChromsById out;
    for (const ChromData& c : chroms) {
        check_chrom(path, c, allow_overlap);
        out.push_back(&c);
    }
    std::sort(out.begin(), out.end(), [](const ChromData* a, const ChromData* b) { return a->name < b->name; });
    for (size_t i = 1; i < out.size(); ++i)
        if (out[i]->name == out[i - 1]->name) bad(path, "duplicate chrom name '" + out[i]->name + "'");
    return out;
}

// ---- the whole file ----------------------------------------------------------

struct ZoomHeaderOut {
    uint32_t reduction;
    uint64_t data_offset, index_offset;
};

class Writer {
public:
    Writer(const std::string& path, const ChromsById& chroms, const WriteOptions& opt)
        : out_(path),
          chroms_(chroms),
          opt_(opt),
          pool_(std::min<size_t>(kMaxThreads, std::max(1u, std::thread::hardware_concurrency()))) {}

    void run() {
        int max_levels = opt_.zoom_levels < 0 ? kMaxZoomLevels : std::min(opt_.zoom_levels, kMaxZoomLevels);
        Bytes front(opt_.big_endian);
        front.zeros(kHeaderSize + size_t(max_levels) * kZoomHeaderSize + kTotalSummarySize);
        out_.write(front);
        summary_offset_ = kHeaderSize + uint64_t(max_levels) * kZoomHeaderSize;
        chrom_tree_offset_ = out_.tell();
        write_chrom_tree(out_, chroms_, opt_.block_size, opt_.big_endian);
        write_data();
        if (max_levels > 0) write_zooms(max_levels);
        out_.patch_front(front_bytes(max_levels));
        out_.close();
    }

private:
    void write_data() {
        data_offset_ = out_.tell();
        std::vector<Section> sections = plan_sections(chroms_, opt_.type, opt_.items_per_slot);
        Bytes b(opt_.big_endian);
        b.u64(sections.size());
        out_.write(b);
        BlockSink sink(out_, opt_.compress, pool_);
        for (const Section& s : sections) {
            const ChromData& c = *chroms_[s.chrom_id];
            encode_section(b, c, s, opt_.type);
            max_raw_ = std::max<uint64_t>(max_raw_, b.size());
            Bounds bounds{s.chrom_id, c.start[s.begin], s.chrom_id, c.end[s.end - 1]};
            sink.add(b, bounds);
        }
        std::vector<BlockEntry> blocks = sink.finish();
        index_offset_ = out_.tell();
        write_rtree(out_, blocks, opt_.block_size, 1, index_offset_, opt_.big_endian);
    }

    // Level 0 from the items, each further level 4x coarser from the one
    // before, until max_levels or a level that no longer shrinks.
    void write_zooms(int max_levels) {
        uint32_t r = initial_reduction(chroms_, index_offset_ - data_offset_ - 8, opt_.compress);
        if (r == 0) return;  // no items
        std::vector<ZoomRecord> recs = summarize_items(chroms_, r);
        for (;;) {
            write_zoom_level(r, recs);
            uint64_t next_r = uint64_t(r) * kZoomIncrement;
            if (int(zooms_.size()) >= max_levels || next_r > std::numeric_limits<uint32_t>::max()) break;
            std::vector<ZoomRecord> next = summarize_records(recs, uint32_t(next_r));
            if (next.size() >= recs.size()) break;
            recs = std::move(next);
            r = uint32_t(next_r);
        }
    }

    // u32 record count, then blocks of up to items_per_slot records (which
    // may span chroms, as in UCSC files), then their R-tree.
    void write_zoom_level(uint32_t r, const std::vector<ZoomRecord>& recs) {
        ZoomHeaderOut z{r, out_.tell(), 0};
        Bytes b(opt_.big_endian);
        b.u32(uint32_t(recs.size()));
        out_.write(b);
        BlockSink sink(out_, opt_.compress, pool_);
        for (size_t i = 0; i < recs.size(); i += opt_.items_per_slot) {
            size_t n = std::min<size_t>(opt_.items_per_slot, recs.size() - i);
            b.clear();
            Bounds bounds{recs[i].chrom_id, recs[i].start, recs[i].chrom_id, recs[i].end};
            for (size_t k = i; k < i + n; ++k) {
                encode_record(b, recs[k]);
                bounds = merge(bounds, Bounds{recs[k].chrom_id, recs[k].start, recs[k].chrom_id, recs[k].end});
            }
            sink.add(b, bounds);
        }
        std::vector<BlockEntry> blocks = sink.finish();
        z.index_offset = out_.tell();
        write_rtree(out_, blocks, opt_.block_size, opt_.items_per_slot, z.index_offset, opt_.big_endian);
        zooms_.push_back(z);
    }

    // Header, zoom headers (unused slots zero) and total summary.
    Bytes front_bytes(int max_levels) const {
        // Readers size their inflate buffer from this; zoom blocks hold at
        // most items_per_slot records.
        uint32_t uncompress_buf = 0;
        if (opt_.compress)
            uncompress_buf = uint32_t(std::max<uint64_t>(max_raw_, uint64_t(opt_.items_per_slot) * kZoomRecordSize));
        Bytes b(opt_.big_endian);
        b.u32(kBigWigMagic);
        b.u16(kBbiVersion);
        b.u16(uint16_t(zooms_.size()));
        b.u64(chrom_tree_offset_);
        b.u64(data_offset_);
        b.u64(index_offset_);
        b.u16(0);  // fieldCount
        b.u16(0);  // definedFieldCount
        b.u64(0);  // autoSqlOffset
        b.u64(summary_offset_);
        b.u32(uncompress_buf);
        b.u64(0);  // extensionOffset
        for (const ZoomHeaderOut& z : zooms_) {
            b.u32(z.reduction);
            b.u32(0);  // reserved
            b.u64(z.data_offset);
            b.u64(z.index_offset);
        }
        b.zeros(size_t(max_levels - int(zooms_.size())) * kZoomHeaderSize);
        put_total_summary(b);
        return b;
    }

    // basesCovered u64, then min, max, sum, sum of squares as f64.
    void put_total_summary(Bytes& b) const {
        uint64_t bases = 0;
        double lo = 0, hi = 0, sum = 0, sq = 0;
        bool any = false;
        for (const ChromData* c : chroms_) {
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

    OutFile out_;
    const ChromsById& chroms_;
    const WriteOptions& opt_;
    ThreadPool pool_;  // compression
    std::vector<ZoomHeaderOut> zooms_;
    uint64_t summary_offset_ = 0, chrom_tree_offset_ = 0, data_offset_ = 0, index_offset_ = 0;
    uint64_t max_raw_ = 0;  // largest uncompressed data block
};

}  // namespace

void write_bigwig(const std::string& path, const std::vector<ChromData>& chroms, const WriteOptions& opt) {
    check_options(path, opt);
    ChromsById by_id = sort_and_check(path, chroms, opt.allow_overlap);
    auto w = std::make_unique<Writer>(path, by_id, opt);  // IoError if the file cannot be created
    try {
        w->run();
    } catch (...) {
        w.reset();  // close before removing the partial file
        std::remove(path.c_str());
        throw;
    }
}

}  // namespace bwl
