// R-tree (UCSC cirTree.c layout) flattened into per-chromosome block arrays.
// A leaf item is (startChrom, startBase, endChrom, endBase, offset, size); a
// branch item has a child offset in place of (offset, size).
#include "core/rtree.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "hd/byteio.hpp"

namespace bwl {

void ChromBlocks::overlapping(uint64_t qs, uint64_t qe, size_t* first, size_t* last) const {
    // max_end is sorted, so the first block that can reach past qs is a
    // binary search; start is sorted, so is the first that begins at qe.
    *first = size_t(std::upper_bound(max_end.begin(), max_end.end(), qs) - max_end.begin());
    *last = size_t(std::lower_bound(start.begin(), start.end(), qe) - start.begin());
    if (*last < *first) *last = *first;
}

namespace {

struct Leaf {
    uint32_t sc, sb, ec, eb;
    uint64_t offset, size;
};

struct RtreeWalk {
    const FileSource& f;
    bool swap;
    uint64_t max_items;
    uint32_t block_size;  // items per node at most (header): a node's size, for prefetching
    std::vector<Leaf> leaves;
    std::unordered_set<uint64_t> seen;
    uint64_t node_bytes = 0;  // nodes of a valid tree are disjoint: at most the file

    [[noreturn]] void fail(const std::string& what) const { throw FormatError(f.path() + ": R-tree index: " + what); }

    // Level by level: a remote file fetches each level's nodes in one go
    // (UCSC writes them next to each other) instead of one node per request.
    void walk(uint64_t root) {
        std::vector<uint64_t> level{root}, next;
        for (uint32_t depth = 0; !level.empty(); ++depth) {
            if (depth > kMaxTreeDepth) fail("deeper than " + std::to_string(kMaxTreeDepth) + " levels");
            if (f.remote()) {
                ByteRanges nodes;
                for (uint64_t off : level)
                    nodes.emplace_back(off, kNodeHeaderSize + uint64_t(block_size) * kCirLeafItemSize);
                f.prefetch(std::move(nodes));
            }
            next.clear();
            for (uint64_t off : level) node(off, next);
            level.swap(next);
        }
    }

    // Reads one node: a leaf's items go to `leaves`, a branch's children to `kids`.
    void node(uint64_t off, std::vector<uint64_t>& kids) {
        if (!seen.insert(off).second) fail("node at offset " + std::to_string(off) + " is visited twice (loop)");
        uint8_t nh[kNodeHeaderSize];
        f.read(off, kNodeHeaderSize, nh, "R-tree node");
        bool leaf = nh[0] != 0;
        uint16_t count = load_u16(nh + 2, swap);
        uint64_t isz = leaf ? kCirLeafItemSize : kCirBranchItemSize;
        auto body = f.read(off + kNodeHeaderSize, isz * count, "R-tree node");
        node_bytes += body.size();
        if (node_bytes > f.size()) fail("nodes overlap (they add up to more than the file)");
        ByteCursor c(body.data(), body.size(), swap);
        for (uint32_t i = 0; i < count; ++i) {
            Leaf l{c.u32(), c.u32(), c.u32(), c.u32(), c.u64(), 0};
            if (!leaf) {
                kids.push_back(l.offset);
                continue;
            }
            l.size = c.u64();
            if (leaves.size() >= max_items) fail("more blocks than its header's itemCount (or than the file can hold)");
            if (l.offset > f.size() || l.size > f.size() - l.offset)
                fail("block at offset " + std::to_string(l.offset) + " (" + std::to_string(l.size) +
                     " bytes) runs past the end of the file; the file is truncated or corrupt");
            leaves.push_back(l);
        }
    }
};

}  // namespace

BlockIndex read_rtree(const FileSource& f, uint64_t offset, bool swap, const std::vector<uint32_t>& chrom_ids,
                      bool exact_count) {
    uint8_t hb[kCirTreeHeaderSize];
    f.read(offset, kCirTreeHeaderSize, hb, "R-tree header");
    if (load_u32(hb, swap) != kCirTreeMagic)
        throw FormatError(f.path() + ": R-tree index: bad magic (the index offset is wrong or the file is corrupt)");

    uint64_t item_count = load_u64(hb + 8, swap);
    if (item_count > f.size() / kCirLeafItemSize)
        throw FormatError(f.path() + ": R-tree index claims " + std::to_string(item_count) +
                          " blocks, more than the file can hold");
    uint32_t block_size = std::min<uint32_t>(load_u32(hb + 4, swap), 1 << 16);
    RtreeWalk w{f, swap, exact_count ? item_count : f.size() / kCirLeafItemSize, block_size, {}, {}, 0};
    w.walk(offset + kCirTreeHeaderSize);
    // A damaged node count would silently drop blocks (their bases would
    // read as "no data"); the header's count catches it.
    if (exact_count && w.leaves.size() != item_count)
        w.fail("found " + std::to_string(w.leaves.size()) + " blocks, header says " + std::to_string(item_count));

    std::unordered_map<uint32_t, uint32_t> pos;  // chrom id -> position
    for (uint32_t i = 0; i < chrom_ids.size(); ++i) pos[chrom_ids[i]] = i;

    BlockIndex idx;
    idx.chroms.resize(chrom_ids.size());
    idx.block_count = w.leaves.size();
    // Sorted, disjoint leaves list a chromosome boundary at most once each:
    // more entries than that means leaves overlap, and would cost memory
    // out of proportion to the file.
    uint64_t entries = 0, max_entries = 2 * (uint64_t(w.leaves.size()) + chrom_ids.size());
    auto add = [&](uint32_t p, uint32_t s, uint32_t e, const Leaf& l) {
        if (++entries > max_entries) w.fail("leaves span overlapping chromosome ranges");
        ChromBlocks& cb = idx.chroms[p];
        cb.start.push_back(s);
        cb.end.push_back(e);
        cb.offset.push_back(l.offset);
        cb.size.push_back(l.size);
    };
    for (const Leaf& l : w.leaves) {
        if (l.ec < l.sc) w.fail("block ends on a chromosome before the one it starts on");
        if (l.sc == l.ec) {
            auto it = pos.find(l.sc);
            if (it != pos.end()) add(it->second, l.sb, l.eb, l);
            continue;
        }
        // A block spanning chromosomes (zoom data does this) is listed under
        // each chromosome it touches.
        // chrom_ids is sorted, so the touched chromosomes are one run.
        size_t i = std::lower_bound(chrom_ids.begin(), chrom_ids.end(), l.sc) - chrom_ids.begin();
        for (; i < chrom_ids.size() && chrom_ids[i] <= l.ec; ++i) {
            uint32_t id = chrom_ids[i];
            add(uint32_t(i), id == l.sc ? l.sb : 0, id == l.ec ? l.eb : UINT32_MAX, l);
        }
    }
    for (ChromBlocks& cb : idx.chroms) {
        size_t n = cb.start.size();
        std::vector<size_t> order(n);
        std::iota(order.begin(), order.end(), size_t(0));
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cb.start[a] < cb.start[b]; });
        ChromBlocks s;
        for (size_t i : order) {
            s.start.push_back(cb.start[i]);
            s.end.push_back(cb.end[i]);
            s.offset.push_back(cb.offset[i]);
            s.size.push_back(cb.size[i]);
            s.max_end.push_back(std::max(s.end.back(), s.max_end.empty() ? 0u : s.max_end.back()));
        }
        cb = std::move(s);
    }
    return idx;
}

}  // namespace bwl
