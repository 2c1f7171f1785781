// Chromosome B+ tree (UCSC bPlusTree.c layout). Leaf and branch items have
// the same size, keySize + 8: a leaf holds (chromId u32, chromSize u32), a
// branch a child offset u64. We read every leaf once at open.
#include "core/chrom_tree.hpp"

#include <algorithm>
#include <unordered_set>

#include "bwl/detail/format.hpp"
#include "bwl/error.hpp"
#include "hd/byteio.hpp"

namespace bwl {

namespace {

// Names become Python str; reject what is not UTF-8 here, with the file named.
bool valid_utf8(const std::string& s) {
    size_t i = 0, n = s.size();
    while (i < n) {
        uint8_t c = uint8_t(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) return false;
        for (size_t k = 1; k < len; ++k)
            if ((uint8_t(s[i + k]) >> 6) != 2) return false;
        i += len;
    }
    return true;
}

struct BptWalk {
    const FileSource& f;
    bool swap;
    uint32_t key_size;
    uint64_t item_count;
    std::vector<Chrom> out;
    std::unordered_set<uint64_t> seen;
    uint64_t node_bytes = 0;  // nodes of a valid tree are disjoint: at most the file

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(f.path() + ": chromosome tree: " + what);
    }

    void node(uint64_t off, uint32_t depth) {
        if (depth > kMaxTreeDepth) fail("deeper than " + std::to_string(kMaxTreeDepth) + " levels");
        if (!seen.insert(off).second) fail("node at offset " + std::to_string(off) + " is visited twice (loop)");
        uint8_t nh[kNodeHeaderSize];
        f.read(off, kNodeHeaderSize, nh, "chromosome tree node");
        bool leaf = nh[0] != 0;
        uint16_t count = load_u16(nh + 2, swap);
        uint64_t item = uint64_t(key_size) + 8;
        auto body = f.read(off + kNodeHeaderSize, item * count, "chromosome tree node");
        node_bytes += body.size();
        if (node_bytes > f.size()) fail("nodes overlap (they add up to more than the file)");
        for (uint32_t i = 0; i < count; ++i) {
            const uint8_t* p = body.data() + item * i;
            if (leaf) {
                if (out.size() >= item_count) fail("more leaves than its header's itemCount");
                const uint8_t* k = p;
                size_t len = std::find(k, k + key_size, uint8_t(0)) - k;
                std::string name(reinterpret_cast<const char*>(k), len);
                if (!valid_utf8(name)) fail("chromosome name is not valid UTF-8");
                out.push_back({std::move(name), load_u32(p + key_size, swap), load_u32(p + key_size + 4, swap)});
            } else {
                node(load_u64(p + key_size, swap), depth + 1);
            }
        }
    }
};

}  // namespace

std::vector<Chrom> read_chrom_tree(const FileSource& f, uint64_t offset, bool swap) {
    uint8_t hb[kBptHeaderSize];
    f.read(offset, kBptHeaderSize, hb, "chromosome tree header");
    ByteCursor c(hb, kBptHeaderSize, swap);
    uint32_t magic = c.u32();
    if (magic != kBptMagic)
        throw FormatError(f.path() +
                          ": chromosome tree: bad magic (the chromosome tree offset is wrong or the file is corrupt)");
    c.u32();  // blockSize: only the writer needs it
    uint32_t key_size = c.u32();
    uint32_t val_size = c.u32();
    uint64_t item_count = c.u64();
    if (key_size == 0 || key_size > kMaxKeySize)
        throw FormatError(f.path() + ": chromosome tree: key size " + std::to_string(key_size) + " out of range");
    if (val_size != 8)
        throw FormatError(f.path() + ": chromosome tree: value size " + std::to_string(val_size) + ", expected 8");
    // Each item takes keySize + 8 bytes of the file, which bounds a hostile count.
    if (item_count > f.size() / (uint64_t(key_size) + 8))
        throw FormatError(f.path() + ": chromosome tree claims " + std::to_string(item_count) +
                          " chromosomes, more than the file can hold");

    BptWalk w{f, swap, key_size, item_count, {}, {}, 0};
    w.out.reserve(item_count);
    w.node(offset + kBptHeaderSize, 0);
    if (w.out.size() != item_count)
        w.fail("found " + std::to_string(w.out.size()) + " chromosomes, header says " + std::to_string(item_count));

    std::sort(w.out.begin(), w.out.end(), [](const Chrom& a, const Chrom& b) { return a.id < b.id; });
    for (size_t i = 1; i < w.out.size(); ++i)
        if (w.out[i].id == w.out[i - 1].id) w.fail("chromosome id " + std::to_string(w.out[i].id) + " appears twice");
    return w.out;
}

}  // namespace bwl
