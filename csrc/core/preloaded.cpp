#include "core/preloaded.hpp"
#include "core/bbi_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/bbi_file.hpp"
#include "core/thread_pool.hpp"
#include "hd/section.hpp"

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace bwl {

namespace {
constexpr uint64_t kHugePage = uint64_t(2) << 20;
}

void PreloadedTrack::Free::operator()(uint8_t* p) const { std::free(p); }

PreloadedTrack::PreloadedTrack(const BbiFile& file, ThreadPool& pool) {
    // Inflate each distinct block (a bigBed block may serve two chroms) into
    // its own buffer, then pack them into one allocation. A block is its
    // (offset, size): leaves of a damaged file that name one offset with
    // different sizes get what BbiFile reads for each.
    ByteRanges blocks = file.data_blocks();
    file.source().prefetch(blocks);
    std::vector<std::vector<uint8_t>> bytes(blocks.size());
    std::vector<uint8_t> sorted(blocks.size(), 0);
    const bool swap = file.header().swap, bed = file.bigbed();
    pool.parallel_for(blocks.size(), [&](size_t k) {
        thread_local ByteBuffer raw, buf;
        uint64_t n = file.load_block(blocks[k].first, blocks[k].second, raw, buf);
        bytes[k].assign(buf.data(), buf.data() + n);
        sorted[k] = !bed && block_sorted(buf.data(), n, swap);
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

    // blocks is sorted and unique (data_blocks): a block's index by binary search.
    const auto& chroms = file.index().chroms;
    first_.resize(chroms.size());
    for (size_t c = 0; c < chroms.size(); ++c) {
        first_[c] = table_.size();
        for (size_t i = 0; i < chroms[c].offset.size(); ++i) {
            auto at_k =
                std::lower_bound(blocks.begin(), blocks.end(), std::make_pair(chroms[c].offset[i], chroms[c].size[i]));
            size_t k = size_t(at_k - blocks.begin());
            table_.push_back({arena_.get() + at[k], at[k + 1] - at[k], sorted[k] != 0});
        }
    }
}

}  // namespace bwl
