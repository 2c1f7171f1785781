// write_merge (bigWigMerge): per-base sum or max of many tracks as bedGraph.
// A sweep over the tracks' items, not their bases: each track is read a
// block at a time through a cursor, and between two consecutive item
// edges of any track every base has the same merged value, computed from
// the tracks' current values in track order (as bigWigMerge adds them, so
// the sums are bit for bit its). Memory: one block per track.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "bwl/collection.hpp"
#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/collection_impl.hpp"
#include "core/text_out.hpp"
#include "core/tools.hpp"
#include "hd/section.hpp"

namespace bwl {

namespace {

// UCSC's cmpStringsWithEmbeddedNumbers order: digit runs compare as
// numbers, so chr2 comes before chr10.
bool natural_less(const std::string& a, const std::string& b) {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (std::isdigit(uint8_t(a[i])) && std::isdigit(uint8_t(b[j]))) {
            size_t i0 = i, j0 = j;
            while (i < a.size() && a[i] == '0') ++i;
            while (j < b.size() && b[j] == '0') ++j;
            size_t is = i, js = j;
            while (i < a.size() && std::isdigit(uint8_t(a[i]))) ++i;
            while (j < b.size() && std::isdigit(uint8_t(b[j]))) ++j;
            if (i - is != j - js) return i - is < j - js;
            int c = a.compare(is, i - is, b, js, j - js);
            if (c) return c < 0;
            if (i - i0 != j - j0) return i - i0 < j - j0;  // more leading zeros later
        } else {
            if (a[i] != b[j]) return uint8_t(a[i]) < uint8_t(b[j]);
            ++i, ++j;
        }
    }
    return a.size() - i < b.size() - j;
}

// A track's items on one chromosome, in order, a block at a time.
class ItemCursor {
public:
    ItemCursor(const BbiFile& f, int32_t fc) : f_(f) {
        if (fc >= 0) cb_ = &f.index().chroms[size_t(fc)], id_ = f.chroms()[size_t(fc)].id;
        next();
    }
    bool done() const { return done_; }
    uint64_t start() const { return s_; }
    uint64_t end() const { return e_; }
    float value() const { return v_; }

    // Moves to the next item (of length > 0) of the chromosome.
    void next() {
        while (at_ >= items_.size()) {
            if (!cb_ || blk_ >= cb_->offset.size()) {
                done_ = true;
                return;
            }
            load(blk_++);
        }
        const Item& it = items_[at_++];
        s_ = it.s, e_ = it.e, v_ = it.v;
    }

private:
    struct Item {
        uint64_t s, e;
        float v;
    };
    void load(size_t b) {
        items_.clear(), at_ = 0;
        uint64_t n = f_.load_block(cb_->offset[b], cb_->size[b], raw_, buf_);
        int st = for_each_item(buf_.data(), n, f_.header().swap, [&](uint32_t id, uint64_t s, uint64_t e, float v) {
            if (id == id_ && e > s && s >= last_end_) items_.push_back({s, e, v}), last_end_ = e;
        });
        if (st != kSectionOk) f_.fail_block(cb_->offset[b], section_status_text(st));
    }
    const BbiFile& f_;

    const ChromBlocks* cb_ = nullptr;
    uint32_t id_ = 0;
    size_t blk_ = 0, at_ = 0;
    uint64_t last_end_ = 0;  // items overlapping an earlier one are dropped (a bigWig's never do)
    std::vector<Item> items_;
    ByteBuffer raw_, buf_;
    uint64_t s_ = 0, e_ = 0;
    float v_ = 0;
    bool done_ = false;
};

}  // namespace

void write_merge(Collection& tracks, TextOut& out, const MergeOptions& opt) {
    const size_t T = tracks.size();
    const auto& names = tracks.chrom_names();
    const auto& sizes = tracks.chrom_sizes();
    for (size_t t = 0; t < T; ++t) {
        if (tracks.info(t).kind != BbiKind::BigWig)
            throw RangeError(tracks.path(t) + ": merge reads bigWig files, this is a bigBed");
        for (const Chrom& c : tracks.chroms(t)) {
            uint64_t size = sizes[tracks.chrom_index(c.name)];
            if (c.size != size)
                throw RangeError("Merging from different assemblies? Chromosome " + c.name + " is " +
                                 std::to_string(c.size) + " in " + tracks.path(t) + " but " + std::to_string(size) +
                                 " in another file");
        }
    }
    std::vector<uint32_t> order(names.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return natural_less(names[a], names[b]); });

    const Collection::Impl& m = tracks.impl();
    for (uint32_t c : order) {
        const uint64_t size = sizes[c];
        std::vector<ItemCursor> cur;
        cur.reserve(T);
        for (size_t t = 0; t < T; ++t) cur.emplace_back(m.file(t), m.file_chrom(t, c));
        bool open = false;
        uint64_t run_s = 0, run_e = 0;
        double run_v = 0;
        for (uint64_t pos = 0; pos < size;) {
            // The merged value over [pos, next): tracks in order, as bigWigMerge adds them.
            uint64_t next = size;
            double acc = 0;
            for (ItemCursor& k : cur) {
                while (!k.done() && k.end() <= pos) k.next();
                if (k.done()) continue;
                if (k.start() > pos) {
                    next = std::min(next, k.start());
                    continue;
                }
                next = std::min(next, k.end());
                double v = std::min(double(k.value()), opt.clip);
                if (v != v) continue;  // a NaN value: no data, as the batch engine has it
                if (!opt.max) acc += v;
                else if (acc < v) acc = v;
            }
            next = std::min(next, size);
            if (open && acc == run_v) {
                run_e = next;
            } else {
                if (open && run_v + opt.adjust > opt.threshold)
                    out.bedgraph(names[c], run_s, run_e, run_v + opt.adjust);
                open = true, run_s = pos, run_e = next, run_v = acc;
            }
            pos = next;
        }
        if (open && run_v + opt.adjust > opt.threshold) out.bedgraph(names[c], run_s, run_e, run_v + opt.adjust);
    }
}

}  // namespace bwl
