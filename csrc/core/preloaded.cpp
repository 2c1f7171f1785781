#include "core/preloaded.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>

#include "bwl/bigwig.hpp"
#include "bwl/detail/thread_pool.hpp"
#include "hd/section.hpp"

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace bwl {

namespace {
constexpr uint64_t kHugePage = uint64_t(2) << 20;
}

void PreloadedTrack::Free::operator()(uint8_t* p) const { std::free(p); }

PreloadedTrack::PreloadedTrack(const BigWigFile& file, ThreadPool& pool) {
    // Inflate each distinct block (a bigBed block may serve two chroms) into
    // its own buffer, then pack them into one allocation.
    ByteRanges blocks = file.data_blocks();
    file.source().prefetch(blocks);
    std::vector<std::vector<uint8_t>> bytes(blocks.size());
    std::vector<uint8_t> sorted(blocks.size(), 0);
    const bool swap = file.header().swap, bed = file.bigbed();
    pool.parallel_for(blocks.size(), [&](size_t k) {
        thread_local ByteBuffer raw, buf;
        uint64_t n = file.load_block(blocks[k].first, blocks[k].second, raw, buf);
        bytes[k].assign(buf.data(), buf.data() + n);
        sorted[k] = !bed && block_sorted(buf.data(), n, swap, false);
    });
    std::vector<uint64_t> at(blocks.size() + 1, 0);
    for (size_t k = 0; k < blocks.size(); ++k) at[k + 1] = at[k] + bytes[k].size();
    bytes_ = at.back();
    uint64_t cap = std::max<uint64_t>((bytes_ + kHugePage - 1) / kHugePage * kHugePage, kHugePage);
    arena_.reset(static_cast<uint8_t*>(std::aligned_alloc(kHugePage, cap)));
    if (!arena_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(arena_.get(), cap, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
#endif
    pool.parallel_for(blocks.size(), [&](size_t k) {
        if (!bytes[k].empty()) std::memcpy(arena_.get() + at[k], bytes[k].data(), bytes[k].size());
        std::vector<uint8_t>().swap(bytes[k]);
    });

    std::unordered_map<uint64_t, size_t> by_offset;
    by_offset.reserve(blocks.size());
    for (size_t k = 0; k < blocks.size(); ++k) by_offset.emplace(blocks[k].first, k);
    const auto& chroms = file.index().chroms;
    first_.resize(chroms.size());
    for (size_t c = 0; c < chroms.size(); ++c) {
        first_[c] = table_.size();
        for (uint64_t off : chroms[c].offset) {
            size_t k = by_offset.at(off);
            table_.push_back({arena_.get() + at[k], at[k + 1] - at[k], sorted[k] != 0});
        }
    }
}

}  // namespace bwl
