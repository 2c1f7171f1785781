// libBigWig's bwWrite.c, function for function (the names in comments are
// its own), so that bwl.pybigwig writes pyBigWig's bytes. What looks odd
// here is what libBigWig does: kept, since changing it changes the bytes.
// Arithmetic keeps C's types (uint32_t wraps, float products), and this
// file is built without FP contraction, as libBigWig's C is.
#include "core/libbigwig_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <utility>

#include "bwl/error.hpp"

namespace bwl {
namespace {

constexpr uint32_t kBigWigMagic = 0x888FFC26;
constexpr uint32_t kCirTreeMagic = 0x78ca8c91;
constexpr uint32_t kIdxMagic = 0x2468ace0;
constexpr uint32_t kBufSize = 32768;  // bwCreateHdr: uncompressed block (and zoom buffer) bytes
constexpr uint32_t kBlockSize = 64;   // children per R-tree node

// overlapsInterval: the bases two intervals share.
uint32_t overlap(uint32_t tid0, uint32_t start0, uint32_t end0, uint32_t tid1, uint32_t start1, uint32_t end1) {
    if (tid0 != tid1 || end0 <= start1 || end1 <= start0) return 0;
    return (end0 <= end1 ? end0 : end1) - (start1 > start0 ? start1 : start0);
}

float get_f(uint32_t w) {
    float f;
    memcpy(&f, &w, 4);
    return f;
}
uint32_t bits(float f) {
    uint32_t w;
    memcpy(&w, &f, 4);
    return w;
}

}  // namespace

// bwRTreeNode_t: a leaf's items are blocks (offset, size); a non-leaf's are
// children (offset 0 until the child is written).
struct LibBigWigWriter::Node {
    struct Item {
        uint32_t chrom_start, base_start, chrom_end, base_end;
        uint64_t offset, size;
        Node* child;
    };
    bool leaf;
    std::vector<Item> items;
};

// bwZoomBuffer_t: 32-byte records (chrom, start, end, validCount, min, max,
// sum, sumSquares), `l` bytes used of `m`.
struct LibBigWigWriter::ZoomBuffer {
    std::vector<uint32_t> p;
    uint32_t l = 0, m = 0;
};

// ---- the file, as libBigWig's stdio calls use it --------------------------------

LibBigWigWriter::LibBigWigWriter(const std::string& path) : path_(path) {
    check_path(path);
    f_ = std::fopen(path.c_str(), "w+b");  // w+: the zoom pass reads the blocks back
    if (!f_) {
        int err = errno;
        throw IoError(path + ": cannot open for writing: " + std::strerror(err), err);
    }
}

LibBigWigWriter::~LibBigWigWriter() { close(); }

void LibBigWigWriter::note_io(const char* what) {
    if (io_error_.empty()) io_error_ = path_ + ": " + what + ": " + std::strerror(errno);
}

bool LibBigWigWriter::put(const void* p, size_t size, size_t nmemb) {
    if (std::fwrite(p, size, nmemb, f_) == nmemb) return true;
    if (size && nmemb) note_io("write failed");  // fwrite of 0 bytes "fails" in libBigWig too, not the OS
    return false;
}

uint64_t LibBigWigWriter::tell() { return uint64_t(ftello(f_)); }

bool LibBigWigWriter::set_pos(uint64_t pos) {
    if (fseeko(f_, off_t(pos), SEEK_SET) == 0) return true;
    note_io("seek failed");
    return false;
}

// writeAtPos
int LibBigWigWriter::write_at(const void* p, size_t size, uint64_t pos) {
    uint64_t cur = tell();
    if (!set_pos(pos)) return 1;
    if (!put(p, size, 1)) return 2;
    if (!set_pos(cur)) return 3;
    return 0;
}

// bwGetTid: the first chromosome of that name (libBigWig scans the list;
// a map gives the same answer without the time squared in chromosomes).
uint32_t LibBigWigWriter::tid_of(const std::string& chrom) const {
    auto it = tids_.find(chrom.c_str());
    return it == tids_.end() ? UINT32_MAX : it->second;
}

// ---- header ------------------------------------------------------------------

// bwCreateHdr, bwCreateChromList, bwWriteHdr (pyBigWig's addHeader). A
// second call starts a new header over the old one, as libBigWig's does.
int LibBigWigWriter::add_header(const std::vector<std::string>& chroms, const std::vector<uint32_t>& lengths,
                                int32_t max_zooms) {
    if (!f_) return 1;
    have_hdr_ = true;
    n_levels_ = (max_zooms < 0 || max_zooms > 65535) ? 10 : uint16_t(max_zooms);
    buf_size_ = kBufSize;
    summary_offset_ = ct_offset_ = data_offset_ = n_bases_ = 0;
    min_val_ = DBL_MAX;
    max_val_ = DBL_MIN;
    sum_data_ = sum_squared_ = 0;
    block_size_ = kBlockSize;
    compressed_.assign(compressBound(buf_size_), 0);
    p_.assign(buf_size_, 0);
    names_.clear();
    tids_.clear();
    for (const auto& c : chroms) {
        names_.emplace_back(c.c_str());  // strdup: up to a NUL
        tids_.emplace(names_.back(), uint32_t(names_.size() - 1));
    }
    lengths_ = lengths;
    return write_header();
}

// writeChromList: one leaf (or a non-leaf over leaves of 0x7FFF) of every
// chromosome in the order given, keys not sorted.
int LibBigWigWriter::write_chrom_list() {
    uint64_t n_keys = names_.size();
    if (!n_keys) return 1;
    uint32_t per_block = n_keys > 0x7FFF ? 0x7FFF : uint32_t(n_keys);
    uint32_t key_size = 0, val_size = 8;
    if (n_keys > 1073676289) return 1;
    uint32_t n_blocks = uint32_t(n_keys / per_block) + ((n_keys % per_block) > 0 ? 1 : 0);
    for (const auto& s : names_)
        if (s.size() > key_size) key_size = uint32_t(s.size());
    std::vector<char> chrom(key_size);
    auto copy = [&](const std::string& s) {
        std::fill(chrom.begin(), chrom.end(), 0);
        if (!s.empty()) memcpy(chrom.data(), s.data(), s.size());  // strncpy: NUL padded
    };

    if (!put_v(kCirTreeMagic)) return 1;
    if (!put_v(per_block)) return 2;
    if (!put_v(key_size)) return 3;
    if (!put_v(val_size)) return 4;
    if (!put_v(n_keys)) return 5;
    if (!put_v(uint64_t(0))) return 6;

    if (n_blocks > 1) {
        if (!put_v(uint8_t(0))) return 7;
        if (!put_v(uint8_t(0))) return 8;
        if (!put_v(uint16_t(n_blocks))) return 8;
        uint64_t non_leaf_end = tell() + uint32_t(per_block * (key_size + 8));
        uint64_t leaf_size = uint32_t(per_block * (key_size + 8)) + 4;
        for (uint64_t i = 0; i < n_blocks; ++i) {
            copy(names_[i * per_block]);
            uint64_t next_leaf = non_leaf_end + i * leaf_size;
            if (!put(chrom.data(), key_size, 1)) return 9;
            if (!put_v(next_leaf)) return 10;
        }
        std::fill(chrom.begin(), chrom.end(), 0);
        for (uint64_t i = n_blocks; i < per_block; ++i) {
            if (!put(chrom.data(), key_size, 1)) return 9;
            if (!put_v(uint64_t(0))) return 10;
        }
    }

    uint32_t j = 0;
    for (uint64_t i = 0; i < n_blocks; ++i) {
        if (!put_v(uint8_t(1))) return 11;
        if (!put_v(uint8_t(0))) return 12;
        if (!put_v(uint16_t(n_keys - j < per_block ? n_keys - j : per_block))) return 13;
        for (uint32_t k = 0; k < per_block; ++k) {
            if (j >= n_keys) {
                std::fill(chrom.begin(), chrom.end(), 0);
                if (!put(chrom.data(), key_size, 1)) return 15;
                if (!put_v(uint64_t(0))) return 16;
            } else {
                copy(names_[j]);
                if (!put(chrom.data(), key_size, 1)) return 15;
                if (!put_v(j)) return 16;
                if (!put_v(lengths_[j++])) return 17;
            }
        }
    }
    return 0;
}

// bwWriteHdr: the fixed header, empty zoom headers and summary, the
// chromosome tree, and room for the block count; offsets filled in as known.
int LibBigWigWriter::write_header() {
    static const uint8_t zeros[58] = {};
    if (!set_pos(0)) return 3;
    if (!put_v(kBigWigMagic)) return 4;
    if (!put_v(uint16_t(4))) return 5;
    if (!put(zeros, 1, 58)) return 6;
    for (uint16_t i = 0; i < n_levels_; ++i)
        if (!put(zeros, 1, 24)) return 9;
    summary_offset_ = tell();
    if (!put(zeros, 1, 40)) return 10;
    if (write_at(&summary_offset_, 8, 0x2c)) return 11;
    ct_offset_ = tell();
    if (write_chrom_list()) return 7;
    if (write_at(&ct_offset_, 8, 0x8)) return 8;
    data_offset_ = tell();
    if (write_at(&data_offset_, 8, 0x10)) return 12;
    if (!put(zeros, 1, 8)) return 13;
    return 0;
}

// ---- data blocks ----------------------------------------------------------------

// addIndexEntry: onto the last leaf, or a new one when it holds blockSize.
int LibBigWigWriter::add_index_entry(std::vector<Node*>& list, uint32_t tid0, uint32_t tid1, uint32_t start,
                                     uint32_t end, uint64_t offset, uint64_t size) {
    if (list.empty() || list.back()->items.size() >= block_size_) {
        nodes_.push_back(std::make_unique<Node>(Node{true, {}}));
        list.push_back(nodes_.back().get());
    }
    list.back()->items.push_back({tid0, start, tid1, end, offset, size, nullptr});
    return 0;
}

// flushBuffer: the block being filled, compressed; an empty one is written
// too when its type is set (libBigWig flushes twice on a type change).
int LibBigWigWriter::flush_buffer() {
    if (!l_ || !ltype_) return 0;
    uint8_t* p = p_.data();
    memcpy(p, &tid_, 4);
    memcpy(p + 4, &start_, 4);
    memcpy(p + 8, &end_, 4);
    memcpy(p + 12, &step_, 4);
    memcpy(p + 16, &span_, 4);
    p[20] = ltype_;
    uint16_t n_items;
    switch (ltype_) {
        case 1:
            n_items = uint16_t((l_ - 24) / 12);
            break;
        case 2:
            n_items = uint16_t((l_ - 24) / 8);
            break;
        case 3:
            n_items = uint16_t((l_ - 24) / 4);
            break;
        default:
            return 7;
    }
    memcpy(p + 22, &n_items, 2);
    uLongf sz = compressed_.size();
    if (compress(compressed_.data(), &sz, p, l_) != Z_OK) return 9;  // zlib's default level, as libBigWig
    if (!put(compressed_.data(), 1, sz)) return 10;
    if (add_index_entry(index_, tid_, tid_, start_, end_, tell() - sz, sz)) return 11;
    n_blocks_++;
    l_ = 24;
    return 0;
}

void LibBigWigWriter::put_entry(const void* p, size_t n) {
    memcpy(p_.data() + l_, p, n);
    l_ += uint32_t(n);
}

// updateStats: min and max by if/else-if from DBL_MAX and DBL_MIN (one
// value leaves max at DBL_MIN), sums of float products.
void LibBigWigWriter::update_stats(uint32_t span, float val) {
    if (val < min_val_) min_val_ = val;
    else if (val > max_val_) max_val_ = val;
    n_bases_ += span;
    sum_data_ += span * val;
    sum_squared_ += span * std::pow(double(val), 2.0);
    n_entries_++;
    running_width_sum_ += span;
}

// bwAddIntervals (bedGraph entries): the block goes on while the type and
// chromosome stay and it has room.
int LibBigWigWriter::add_intervals(const std::vector<std::string>& names, const uint32_t* chrom, const uint32_t* start,
                                   const uint32_t* end, const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 1)
        if (flush_buffer()) return 3;
    if (l_ + 36 > buf_size_)
        if (flush_buffer()) return 4;
    const char* last = names[chrom[0]].c_str();
    uint32_t tid = tid_of(names[chrom[0]]);
    if (tid == UINT32_MAX) return 5;
    if (tid != tid_) {
        if (flush_buffer()) return 6;
        tid_ = tid;
        start_ = start[0];
        end_ = end[0];
    }
    ltype_ = 1;
    if (l_ <= 24) {
        start_ = start[0];
        span_ = step_ = 0;
    }
    auto entry = [&](uint32_t i) {
        uint32_t e[3] = {start[i], end[i], bits(value[i])};
        put_entry(e, 12);
        update_stats(end[i] - start[i], value[i]);
    };
    entry(0);
    uint32_t i;
    for (i = 1; i < n; ++i) {
        if (std::strcmp(names[chrom[i]].c_str(), last) != 0) {
            end_ = end[i - 1];
            flush_buffer();
            last = names[chrom[i]].c_str();
            tid = tid_of(names[chrom[i]]);
            if (tid == UINT32_MAX) return 10;
            tid_ = tid;
            start_ = start[i];
        }
        if (l_ + 12 > buf_size_) {
            end_ = end[i - 1];
            flush_buffer();
            start_ = start[i];
        }
        entry(i);
    }
    end_ = end[i - 1];
    return 0;
}

// bwAppendIntervals
int LibBigWigWriter::append_intervals(const uint32_t* start, const uint32_t* end, const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 1) return 3;
    uint32_t i;
    for (i = 0; i < n; ++i) {
        if (l_ + 12 > buf_size_) {
            if (i > 0) end_ = end[i - 1];
            flush_buffer();
            start_ = start[i];
        }
        uint32_t e[3] = {start[i], end[i], bits(value[i])};
        put_entry(e, 12);
        update_stats(end[i] - start[i], value[i]);
    }
    end_ = end[i - 1];
    return 0;
}

// bwAddIntervalSpans (variableStep entries): always a new block.
int LibBigWigWriter::add_interval_spans(const std::string& chrom, const uint32_t* start, uint32_t span,
                                        const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 2)
        if (flush_buffer()) return 3;
    if (flush_buffer()) return 4;
    uint32_t tid = tid_of(chrom);
    if (tid == UINT32_MAX) return 5;
    tid_ = tid;
    start_ = start[0];
    step_ = 0;
    span_ = span;
    ltype_ = 2;
    return append_interval_spans(start, value, n);
}

// bwAppendIntervalSpans
int LibBigWigWriter::append_interval_spans(const uint32_t* start, const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 2) return 3;
    for (uint32_t i = 0; i < n; ++i) {
        if (l_ + 8 >= buf_size_) {
            if (i) end_ = start[i - 1] + span_;
            flush_buffer();
            start_ = start[i];
        }
        uint32_t e[2] = {start[i], bits(value[i])};
        put_entry(e, 8);
        update_stats(span_, value[i]);
    }
    end_ = start[n - 1] + span_;
    return 0;
}

// bwAddIntervalSpanSteps (fixedStep entries): always a new block.
int LibBigWigWriter::add_interval_span_steps(const std::string& chrom, uint32_t start, uint32_t span, uint32_t step,
                                             const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 3) flush_buffer();
    if (flush_buffer()) return 3;
    uint32_t tid = tid_of(chrom);
    if (tid == UINT32_MAX) return 4;
    tid_ = tid;
    start_ = start;
    step_ = step;
    span_ = span;
    ltype_ = 3;
    return append_interval_span_steps(value, n);
}

// bwAppendIntervalSpanSteps
int LibBigWigWriter::append_interval_span_steps(const float* value, uint32_t n) {
    if (!n) return 0;
    if (!f_ || !have_hdr_) return 1;
    if (ltype_ != 3) return 3;
    for (uint32_t i = 0; i < n; ++i) {
        if (l_ + 4 >= buf_size_) {
            end_ = start_ + ((l_ - 24) >> 2) * step_;
            flush_buffer();
            start_ = end_;
        }
        uint32_t v = bits(value[i]);
        put_entry(&v, 4);
        update_stats(span_, value[i]);
    }
    end_ = start_ + ((l_ - 24) >> 2) * step_;
    return 0;
}

// ---- R-trees -----------------------------------------------------------------

// addLeaves: leaves split evenly (ceil) among blockSize children per level;
// a node's bounds are its first child's start and last child's end.
LibBigWigWriter::Node* LibBigWigWriter::add_leaves(const std::vector<Node*>& list, size_t& next, uint64_t& size,
                                                   uint64_t to_process) {
    nodes_.push_back(std::make_unique<Node>(Node{false, {}}));
    Node* n = nodes_.back().get();
    auto add = [&](Node* c) {
        if (c->items.empty()) return;  // libBigWig reads garbage here; never reached
        const auto& a = c->items.front();
        const auto& b = c->items.back();
        n->items.push_back({a.chrom_start, a.base_start, b.chrom_end, b.base_end, 0, 0, c});
    };
    if (to_process <= block_size_) {
        for (uint64_t i = 0; i < to_process && next < list.size(); ++i) {
            Node* leaf = list[next++];
            add(leaf);
            size += 4 + 32 * leaf->items.size();
        }
    } else {
        for (uint32_t i = 0; i < block_size_; ++i) {
            uint64_t take = uint64_t(std::ceil(double(to_process) / (double(block_size_) - i)));
            add(add_leaves(list, next, size, take));
            to_process -= take;
        }
    }
    size += 4 + 24 * n->items.size();
    return n;
}

// One node: a leaf's items with their block offset and size; a non-leaf's
// with 8 bytes for its child's offset, patched by write_tree_offsets.
int LibBigWigWriter::write_node(const Node& n) {
    if (!put_v(uint8_t(n.leaf))) return 1;
    if (!put_v(uint8_t(0))) return 1;
    if (!put_v(uint16_t(n.items.size()))) return 1;
    for (const auto& it : n.items) {
        uint32_t v[6] = {it.chrom_start, it.base_start, it.chrom_end, it.base_end, 0, 0};
        if (n.leaf) {
            if (!put(v, 4, 4)) return 1;
            if (!put_v(it.offset)) return 1;
            if (!put_v(it.size)) return 1;
        } else {
            if (!put(v, 4, 6)) return 1;
        }
    }
    return 0;
}

// writeIndexTreeNode: each call writes the unwritten children one level
// down (breadth first over repeated calls).
int LibBigWigWriter::write_tree_node(Node& n, bool& wrote) {
    if (n.leaf) return 0;
    for (auto& it : n.items) {
        if (it.offset) {
            if (write_tree_node(*it.child, wrote)) return 1;
        } else {
            it.offset = tell();
            if (write_node(*it.child)) return 1;
            wrote = true;
        }
    }
    return 0;
}

// writeIndexOffsets
int LibBigWigWriter::write_tree_offsets(const Node& n, uint64_t offset) {
    if (n.leaf) return 0;
    for (size_t i = 0; i < n.items.size(); ++i) {
        if (write_tree_offsets(*n.items[i].child, n.items[i].offset)) return 1;
        if (write_at(&n.items[i].offset, 8, offset + 20 + 24 * i)) return 2;
    }
    return 0;
}

// writeIndexTree: the levels below the root, then their offsets.
int LibBigWigWriter::write_tree(Node& root, uint64_t root_offset) {
    bool wrote = false;
    int rv;
    while ((rv = write_tree_node(root, wrote)) == 0) {
        if (!wrote) break;
        wrote = false;
    }
    if (rv || wrote) return 1;
    uint64_t end = tell();
    if (write_tree_offsets(root, root_offset)) return 2;
    set_pos(end);
    return 0;
}

// writeIndex: the data R-tree. One leaf is the root itself (with a size of
// 4 + 24 per item, as libBigWig computes it).
int LibBigWigWriter::write_index() {
    if (!n_blocks_) return 0;
    uint64_t here = tell();
    if (write_at(&here, 8, 0x18)) return 3;
    uint64_t idx_size = 0;
    if (index_.size() == 1) {
        root_ = index_[0];
        idx_size = 4 + 24 * root_->items.size();
    } else {
        size_t next = 0;
        root_ = add_leaves(index_, next, idx_size, uint64_t(std::ceil(double(n_blocks_) / double(block_size_))));
    }
    if (root_->items.empty()) return 4;
    if (!put_v(kIdxMagic)) return 5;
    if (!put_v(block_size_)) return 6;
    if (!put_v(n_blocks_)) return 7;
    if (!put_v(root_->items.front().chrom_start)) return 8;
    if (!put_v(root_->items.front().base_start)) return 9;
    if (!put_v(root_->items.back().chrom_end)) return 10;
    if (!put_v(root_->items.back().base_end)) return 11;
    if (!put_v(idx_size)) return 12;
    if (!put_v(uint32_t(1))) return 13;
    if (!put_v(uint32_t(0))) return 14;
    uint64_t root_offset = tell();
    if (write_node(*root_)) return 16;
    if (write_tree(*root_, root_offset)) return 23;
    return 0;
}

// ---- zoom levels ----------------------------------------------------------------

// makeZoomLevels: the first reduction is 4 x 4 x the mean entry width (at
// least 10, at most the longest chromosome), each next one 4x that, up to
// maxZooms or the longest chromosome. Returns 0 without levels where
// libBigWig would crash (a mean width of 2^28 or more).
int LibBigWigWriter::make_zoom_levels() {
    levels_.clear();
    if (!n_entries_) return 0;
    uint32_t multiplier = 4, zoom = 10, max_zoom = 0;
    uint32_t mean_bin_size = uint32_t(double(running_width_sum_) / double(n_entries_));
    mean_bin_size *= 4;
    if ((UINT32_MAX >> 2) < mean_bin_size) return 0;
    if (mean_bin_size * 4 > zoom) zoom = multiplier * mean_bin_size;
    for (uint32_t len : lengths_)
        if (len > max_zoom) max_zoom = len;
    if (zoom > max_zoom) zoom = max_zoom;
    if (!zoom) return 0;  // every chromosome empty: libBigWig would loop forever
    for (uint16_t i = 0; i < n_levels_; ++i) {
        if (zoom > max_zoom) break;
        levels_.push_back(zoom);
        if (UINT32_MAX / multiplier < zoom) break;
        zoom *= multiplier;
    }
    zoom_.assign(levels_.size(), {});
    for (auto& bufs : zoom_) {
        bufs.emplace_back();
        bufs.back().p.assign(buf_size_ / 4, 0);
        bufs.back().m = buf_size_;
    }
    zoom_nodes_.assign(levels_.size(), 0);
    return 0;
}

namespace {

// updateInterval: adds what of [start, end) falls in the buffer's last
// record (a window of `size` bases from its first start: records start at
// an item, not on a grid) or opens a record; the record left behind gets
// its sums. Returns the bases taken, 0 when the buffer is full (the full
// buffer's last record keeps sums of 0, and its running sums are dropped).
uint32_t update_interval(LibBigWigWriter::ZoomBuffer& b, double& sum, double& sumsq, uint32_t size, uint32_t tid,
                         uint32_t start, uint32_t end, float value) {
    uint32_t* p = b.p.data();
    uint32_t rv = 0, offset = 0;
    if (b.l + 32 >= b.m) return 0;
    if (start + size < start) size = UINT32_MAX - start;
    auto first = [&](uint32_t* r) {
        r[0] = tid;
        r[1] = start;
        r[2] = start + size < end ? start + size : end;
    };
    if (b.l) offset = b.l / 32;
    else first(p);
    if (offset) {
        uint32_t* q = p + 8 * (offset - 1);
        rv = overlap(q[0], q[1], q[1] + size, tid, start, end);
        if (rv) {
            q[2] = start + rv;
            q[3] += rv;
            if (get_f(q[4]) > value) q[4] = bits(value);
            if (get_f(q[5]) < value) q[5] = bits(value);
            sum += rv * value;
            sumsq += rv * std::pow(double(value), 2.0);
            return rv;
        }
        q[6] = bits(float(sum));
        q[7] = bits(float(sumsq));
        sum = sumsq = 0.0;
    }
    uint32_t* r = p + 8 * offset;
    if (offset && r[2] == 0) first(r);
    while (!(rv = overlap(r[0], r[1], r[1] + size, tid, start, end))) first(r);
    r[3] = rv;
    r[4] = r[5] = bits(value);
    sum += rv * value;
    sumsq += rv * std::pow(double(value), 2.0);
    b.l += 32;
    return rv;
}

// addIntervalValue: a full buffer gets a new one after it (counted in
// `added`).
void add_interval_value(uint64_t& added, double& sum, double& sumsq, std::vector<LibBigWigWriter::ZoomBuffer>& bufs,
                        uint32_t items_per_slot, uint32_t zoom, uint32_t tid, uint32_t start, uint32_t end,
                        float value) {
    while (start < end) {
        uint32_t rv = update_interval(bufs.back(), sum, sumsq, zoom, tid, start, end, value);
        if (!rv) {
            LibBigWigWriter::ZoomBuffer nb;
            nb.p.assign(items_per_slot * 8, 0);
            nb.m = items_per_slot * 32;
            sum = sumsq = 0.0;
            rv = update_interval(nb, sum, sumsq, zoom, tid, start, end, value);
            bufs.push_back(std::move(nb));
            added += 1;
        }
        start += rv;
    }
}

// The data R-tree walk of bwGetOverlappingBlocks (walkRTreeNodes,
// overlapsNonLeaf, overlapsLeaf): the blocks it finds, in its order.
void walk(const LibBigWigWriter::Node& n, uint32_t tid, uint32_t start, uint32_t end,
          std::vector<std::pair<uint64_t, uint64_t>>& out) {
    for (const auto& it : n.items) {
        if (n.leaf) {
            if (tid < it.chrom_start || tid > it.chrom_end) continue;
            if (it.chrom_start != it.chrom_end) {
                if (tid == it.chrom_start) {
                    if (it.base_start >= end) break;
                } else if (tid == it.chrom_end) {
                    if (it.base_end <= start) continue;
                }
            } else if (it.base_start >= end || it.base_end <= start) {
                continue;
            }
            out.emplace_back(it.offset, it.size);
            continue;
        }
        if (tid < it.chrom_start) break;
        if (tid > it.chrom_end) continue;
        if (it.chrom_start != it.chrom_end) {
            if (tid == it.chrom_start) {
                if (it.base_start >= end) continue;
            } else if (tid == it.chrom_end) {
                if (it.base_end <= start) continue;
            }
        } else if (end <= it.base_start || start >= it.base_end) {
            continue;
        }
        walk(*it.child, tid, start, end, out);
    }
}

}  // namespace

// constructZoomLevels: every chromosome's items, read back from the blocks
// written (as bwOverlappingIntervalsIterator reads them: those overlapping
// [0, length), whole), into every level. Returns 0 with no levels where
// libBigWig would crash (no item overlaps its chromosome).
int LibBigWigWriter::construct_zoom_levels() {
    std::vector<double> sum(levels_.size()), sumsq(levels_.size());
    std::vector<std::pair<uint64_t, uint64_t>> blocks;
    std::vector<uint8_t> comp, buf(buf_size_);
    for (uint32_t i = 0; i < names_.size(); ++i) {
        uint32_t tid = tid_of(names_[i]), ostart = 0, oend = lengths_[i];
        blocks.clear();
        walk(*root_, tid, ostart, oend, blocks);  // libBigWig reads them in batches: the same items, in order
        for (size_t b = 0; b < blocks.size(); ++b) {
            comp.resize(blocks[b].second);
            if (!set_pos(blocks[b].first)) return 1;
            if (std::fread(comp.data(), 1, comp.size(), f_) != comp.size()) {
                note_io("read failed");
                return 1;
            }
            uLongf got = buf_size_;
            if (uncompress(buf.data(), &got, comp.data(), comp.size()) != Z_OK) return 1;
            uint32_t h[5];
            uint16_t n_items;
            memcpy(h, buf.data(), 20);
            uint8_t type = buf[20];
            memcpy(&n_items, buf.data() + 22, 2);
            if (h[0] != tid) continue;
            const uint8_t* p = buf.data() + 24;
            uint32_t start = type == 3 ? h[1] - h[3] : 0, end, w;
            float value;
            for (uint16_t j = 0; j < n_items; ++j) {
                if (type == 1) {
                    memcpy(&start, p, 4);
                    memcpy(&end, p + 4, 4);
                    p += 8;
                } else if (type == 2) {
                    memcpy(&start, p, 4);
                    end = start + h[4];
                    p += 4;
                } else if (type == 3) {
                    start += h[3];
                    end = start + h[4];
                } else {
                    return 1;
                }
                memcpy(&w, p, 4);
                p += 4;
                value = get_f(w);
                if (end <= ostart || start >= oend) continue;
                for (size_t k = 0; k < levels_.size(); ++k)
                    add_interval_value(zoom_nodes_[k], sum[k], sumsq[k], zoom_[k], buf_size_ / 32, levels_[k], i, start,
                                       end, value);
            }
        }
    }
    if (!levels_.empty() && zoom_[0][0].l == 0) levels_.clear();
    return 0;
}

// writeZoomLevels: per level, its buffers as blocks and their R-tree; a
// level with as many buffers as the one before ends the levels.
int LibBigWigWriter::write_zoom_levels() {
    uint16_t actual = 0;
    uint64_t idx_size = 0;  // not reset per level: a tree of several leaves adds to the last level's size
    std::vector<uint64_t> data_offset(levels_.size()), index_offset(levels_.size());
    for (size_t i = 0; i < levels_.size(); ++i) {
        if (i && zoom_nodes_[i] == zoom_nodes_[i - 1]) break;
        actual++;
        data_offset[i] = tell();
        n_blocks_ = 0;
        l_ = 24;
        if (!put_v(uint32_t(0))) return 1;
        std::vector<Node*> list;
        for (const auto& zb : zoom_[i]) {
            uLongf sz = buf_size_;
            if (compress(compressed_.data(), &sz, reinterpret_cast<const Bytef*>(zb.p.data()), zb.l) != Z_OK) return 2;
            if (!put(compressed_.data(), 1, sz)) return 3;
            uint32_t last = (zb.l - 32) >> 2;
            if (add_index_entry(list, zb.p[0], zb.p[last], zb.p[1], zb.p[last + 2], tell() - sz, sz)) return 4;
            n_blocks_++;
            l_ = 24;
        }
        uint32_t n_blocks32 = uint32_t(n_blocks_);
        if (write_at(&n_blocks32, 4, data_offset[i])) return 5;

        Node* root;
        if (list.size() == 1) {
            root = list[0];
            idx_size = 4 + 24 * root->items.size();
        } else {
            size_t next = 0;
            root = add_leaves(list, next, idx_size, uint64_t(std::ceil(double(n_blocks_) / double(block_size_))));
        }
        if (root->items.empty()) return 4;

        index_offset[i] = tell();
        if (!put_v(kIdxMagic)) return 1;
        if (!put_v(block_size_)) return 6;
        if (!put_v(n_blocks_)) return 7;
        if (!put_v(root->items.front().chrom_start)) return 8;
        if (!put_v(root->items.front().base_start)) return 9;
        if (!put_v(root->items.back().chrom_end)) return 10;
        if (!put_v(root->items.back().base_end)) return 11;
        if (!put_v(idx_size)) return 12;
        if (!put_v(uint32_t(buf_size_ / 32))) return 13;
        if (!put_v(uint32_t(0))) return 14;
        uint64_t root_offset = tell();
        if (write_node(*root)) return 16;
        if (write_tree(*root, root_offset)) return 6;
    }
    uint64_t end = tell();
    if (!set_pos(0x40)) return 7;
    for (size_t i = 0; i < actual; ++i) {
        if (!put_v(levels_[i])) return 8;
        if (!put_v(uint32_t(0))) return 9;
        if (!put_v(data_offset[i])) return 10;
        if (!put_v(index_offset[i])) return 11;
    }
    if (!set_pos(0x6)) return 12;
    if (!put_v(actual)) return 13;
    if (!set_pos(end)) return 14;
    return 0;
}

// bwFinalize
int LibBigWigWriter::finalize() {
    if (flush_buffer()) return 1;
    if (!have_hdr_) return 1;
    if (write_at(&n_blocks_, 8, data_offset_)) return 2;
    if (buf_size_ && write_at(&buf_size_, 4, 0x34)) return 2;
    // writeSummary
    if (write_at(&n_bases_, 8, summary_offset_) || write_at(&min_val_, 8, summary_offset_ + 8) ||
        write_at(&max_val_, 8, summary_offset_ + 16) || write_at(&sum_data_, 8, summary_offset_ + 24) ||
        write_at(&sum_squared_, 8, summary_offset_ + 32))
        return 3;
    if (write_index()) return 4;
    if (n_levels_ && n_blocks_) {
        uint64_t offset = tell();
        if (make_zoom_levels()) return 5;
        if (!levels_.empty() && construct_zoom_levels()) return 6;
        if (!set_pos(offset)) return 7;
        if (!levels_.empty() && write_zoom_levels()) return 7;
    }
    if (!put_v(kBigWigMagic)) return 9;
    return 0;
}

int LibBigWigWriter::close() {
    if (!f_) return 0;
    int rv = finalize();
    if (std::fclose(f_) != 0) {
        note_io("close failed");
        if (!rv) rv = 10;
    }
    f_ = nullptr;
    return rv;
}

}  // namespace bwl
