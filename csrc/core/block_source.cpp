// The batch engine's blocks: preloaded, from the decoded cache, or read and
// inflated only as far as their windows read, two blocks at once.
#include "core/block_source.hpp"
#include "core/bbi_file.hpp"

#include <algorithm>
#include <cstring>
#include <exception>

#include "bwl/error.hpp"
#include "core/block_inflater.hpp"
#include "core/collection_impl.hpp"
#include "core/preloaded.hpp"
#include "hd/section.hpp"

namespace bwl {

namespace {

// The least a block inflated only as far as its windows read grows by per
// step (block_bytes_needed guesses the rest of the way from the items so far).
constexpr uint64_t kInflateStep = 512;

// A block inflated only as far as its windows read, in steps. Two per
// thread: the block read now and the one this thread reads next, inflated
// together (BlockInflater::extend_pair); a slot left part-way is taken up
// again when its block is read.
struct InflateSlot {
    BlockInflater inflater;
    ByteBuffer raw, buf;
    const BbiFile* file = nullptr;
    uint64_t offset = 0, qe = 0, got = 0;  // got: bytes of buf inflated so far
    uint32_t chrom_id = 0;
    bool live = false;     // the inflater holds this block's stream
    bool resumed = false;  // started from a cached prefix's point (not from the stream's start)

    bool holds(const BbiFile* f, uint64_t off, uint64_t end) const {
        return live && file == f && offset == off && qe >= end;
    }
};

// What one thread keeps between blocks.
struct Lane {
    ByteBuffer raw, buf;  // whole blocks (bigBed, uncompressed files)
    InflateSlot slot[2];
    uint32_t cur = 0;                  // slot[cur]: the block read now
    std::vector<PlannedInflate> plan;  // the blocks this thread inflates next (begin_plan)
    size_t cursor = 0;                 // plan[cursor]: the next one to read
    uint64_t preloaded_hits = 0;
};

Lane& lane() {
    thread_local Lane l;
    return l;
}

// Reads block `off` of `file` into slot s and starts inflating it. Read
// errors are thrown as they are; a bad stream header, as the block's
// FormatError (fail_block). With `from` (a cached prefix of the block and
// the point its stream stopped at), the prefix is copied in and inflating
// goes on from that point: only the current deflate block's header is read
// again.
void start(InflateSlot& s, const BbiFile& file, uint64_t off, uint64_t size, uint64_t qe, uint32_t chrom_id,
           const CachedBlock* from = nullptr) {
    s.live = s.resumed = false;
    uint64_t cap = file.read_compressed_block(off, size, s.raw, s.buf);
    s.got = 0;
    if (from && from->resume.valid && from->resume.out_pos == from->bytes.size() && from->bytes.size() <= cap) {
        std::memcpy(s.buf.data(), from->bytes.data(), from->bytes.size());
        try {
            s.inflater.resume(s.raw.data(), size, s.buf.data(), cap, from->resume);
            s.got = from->bytes.size();
            s.resumed = true;
        } catch (const FormatError&) {  // judged again from the start, below
        }
    }
    if (!s.resumed) {
        try {
            s.inflater.begin(s.raw.data(), size, s.buf.data(), cap);
        } catch (const FormatError& e) {
            file.fail_block(off, e.what());
        }
    }
    s.file = &file;
    s.offset = off;
    s.qe = qe;
    s.chrom_id = chrom_id;
    s.live = true;
}

// How far slot s must inflate next: 0 once it holds what its windows read
// (*n: that length; *extent Prefix) or its whole stream (Whole).
uint64_t next_stop(const InflateSlot& s, uint64_t* n, Extent* extent) {
    uint64_t need = block_bytes_needed(s.buf.data(), s.got, s.file->header().swap, s.chrom_id, s.qe);
    if (need <= s.got) {
        *n = need;
        *extent = Extent::Prefix;
        return 0;
    }
    if (s.inflater.done()) {
        *n = s.got;
        *extent = Extent::Whole;
        return 0;
    }
    return std::max(need, s.got + kInflateStep);  // steps of at least kInflateStep: each re-walks the sections
}

// The block this thread reads after `off` of `file` (its plan), or null.
const PlannedInflate* read_next(Lane& l, const BbiFile& file, uint64_t off) {
    constexpr size_t kLook = 4;  // a block the plan missed (a short cached prefix) is read alone
    for (size_t i = l.cursor; i < l.plan.size() && i < l.cursor + kLook; ++i) {
        if (l.plan[i].file != &file || l.plan[i].offset != off) continue;
        l.cursor = i + 1;
        return l.cursor < l.plan.size() ? &l.plan[l.cursor] : nullptr;
    }
    return nullptr;
}

// Inflates block `off` until it holds what windows ending by `qe` read
// (*n: that length; *extent: Prefix when it stopped early), together with the block
// this thread reads next, which waits in the other slot; from the end of
// `from`, a cached prefix of it, where there is one. Returns the slot
// holding the block.
const InflateSlot& inflate_prefix(Lane& l, const BbiFile& file, uint64_t off, uint64_t size, uint32_t chrom_id,
                                  uint64_t qe, uint64_t* n, Extent* extent, const CachedBlock* from) {
    if (l.slot[1 - l.cur].holds(&file, off, qe)) l.cur = 1 - l.cur;  // inflated (in part) with the last one
    InflateSlot& a = l.slot[l.cur];
    InflateSlot& b = l.slot[1 - l.cur];
    if (!a.holds(&file, off, qe)) start(a, file, off, size, qe, chrom_id, from);
    const PlannedInflate* next = read_next(l, file, off);
    if (next && !b.holds(next->file, next->offset, next->qe)) {
        try {
            start(b, *next->file, next->offset, next->size, next->qe, next->chrom_id);
        } catch (const std::exception&) {
            b.live = false;  // its read fails again, and is reported, when it is read
        }
    }
    try {
        bool pair = next && b.holds(next->file, next->offset, next->qe);
        uint64_t bn;
        Extent be;
        for (uint64_t stop; (stop = next_stop(a, n, extent)) != 0;) {
            uint64_t stop_b = pair ? next_stop(b, &bn, &be) : 0;
            if (stop_b) {
                BlockInflater::extend_pair(a.inflater, stop, b.inflater, stop_b);
                if (b.inflater.failed()) b.live = false;
                else b.got = b.inflater.size();
                pair = b.live;
            } else {
                a.inflater.extend(stop);
            }
            a.got = a.inflater.size();
        }
        a.live = false;  // read: its bytes stay in a.buf until the slot is reused
        return a;
    } catch (const FormatError& e) {
        a.live = false;
        file.fail_block(off, e.what());
    }
}

// Block `at` of a preloaded track into r (counted as a cache hit); false
// when the track is not preloaded.
bool from_preloaded(const Collection::Impl& e, BlockAt at, LoadedBlock& r) {
    const PreloadedTrack* pre = e.preloaded_track(at.track);
    if (!pre) return false;
    ++lane().preloaded_hits;
    const PreloadedBlock& b = pre->block(at.file_chrom, at.blk);
    r.data = b.data;
    r.size = b.size;
    r.order = b.sorted ? Order::Sorted : Order::Unknown;
    return true;
}

// Block `at`: its file, where it lies, and the decoded cache (or null).
struct Located {
    const BbiFile& file;
    uint64_t offset, size;
    BlockCache* cache;
};

Located locate(const Collection::Impl& e, BlockAt at) {
    const BbiFile& file = e.file(at.track);
    const ChromBlocks& cb = file.index().chroms[at.file_chrom];
    return {file, cb.offset[at.blk], cb.size[at.blk], e.decoded_cache()};
}

}  // namespace

std::vector<PlannedInflate>& BlockSource::begin_plan() {
    Lane& l = lane();
    l.plan.clear();
    l.cursor = 0;
    l.slot[0].live = l.slot[1].live = false;
    return l.plan;
}

uint64_t BlockSource::preloaded_hits() { return lane().preloaded_hits; }

bool BlockSource::inflates(BlockAt at) const {
    const BbiFile& file = e_.file(at.track);
    if (file.bigbed() || e_.preloaded_track(at.track) || file.header().uncompress_buf_size == 0) return false;
    const ChromBlocks& cb = file.index().chroms[at.file_chrom];
    const BlockCache* cache = e_.decoded_cache();
    return !(cache && cache->contains(at.track, cb.offset[at.blk], cb.size[at.blk]));
}

LoadedBlock BlockSource::load_whole(BlockAt at) {
    Lane& l = lane();
    LoadedBlock r;
    if (from_preloaded(e_, at, r)) return r;
    const auto [file, off, size, cache] = locate(e_, at);
    if (cache && (r.keep = cache->get(at.track, off, size))) {
        r.data = r.keep->bytes.data();
        r.size = r.keep->bytes.size();
        return r;
    }
    r.size = file.load_block(off, size, l.raw, l.buf);
    r.data = l.buf.data();
    if (cache)
        cache->put(at.track, off, size,
                   std::make_shared<const CachedBlock>(CachedBlock{{r.data, r.data + r.size}, true, false, {}}));
    return r;
}

LoadedBlock BlockSource::load(BlockAt at, uint64_t qe, bool many) {
    Lane& l = lane();
    LoadedBlock r;
    if (from_preloaded(e_, at, r)) return r;
    const auto [file, off, size, cache] = locate(e_, at);
    const uint32_t chrom_id = file.chroms()[at.file_chrom].id;
    const bool swap = file.header().swap;
    Block shorter;  // a cached prefix too short for these windows: inflated on from its end
    if (cache && (r.keep = cache->get(at.track, off, size))) {
        const CachedBlock& c = *r.keep;
        uint64_t need =
            c.complete ? c.bytes.size() : block_bytes_needed(c.bytes.data(), c.bytes.size(), swap, chrom_id, qe);
        if (need <= c.bytes.size()) {
            r.data = c.bytes.data();
            r.size = need;
            r.order = c.sorted ? Order::Sorted : Order::Unknown;
            r.extent = c.complete ? Extent::Whole : Extent::Prefix;
            return r;
        }
        shorter.swap(r.keep);
    }
    uint64_t keep;       // all that was inflated, for later windows
    InflatePoint point;  // where that stopped
    if (file.header().uncompress_buf_size == 0) {
        keep = r.size = file.load_block(off, size, l.raw, l.buf);
        r.data = l.buf.data();
    } else {
        const InflateSlot& s = inflate_prefix(l, file, off, size, chrom_id, qe, &r.size, &r.extent, shorter.get());
        r.data = s.buf.data();
        keep = s.got;
        point = s.inflater.point();
        if (shorter && s.resumed) cache->add_resume();  // shorter came from the cache
    }
    const auto sorted = [&](uint64_t n) {
        return block_sorted(r.data, n, swap, r.extent) ? Order::Sorted : Order::Unknown;
    };
    if (cache) {
        r.order = sorted(keep);
        cache->put(at.track, off, size,
                   std::make_shared<const CachedBlock>(CachedBlock{
                       {r.data, r.data + keep}, r.extent == Extent::Whole, r.order == Order::Sorted, point}));
    } else if (many) {
        r.order = sorted(r.size);
    }
    return r;
}

}  // namespace bwl
