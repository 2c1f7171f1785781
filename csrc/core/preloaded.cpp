#include "core/preloaded.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/store_file.hpp"
#include "core/thread_pool.hpp"
#include "hd/section.hpp"

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace bwl {

namespace {
constexpr uint64_t kHugePage = uint64_t(2) << 20;
}

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
    arena_.reset(static_cast<uint8_t*>(std::aligned_alloc(kHugePage, cap)), std::free);
    if (!arena_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(arena_.get(), cap, MADV_HUGEPAGE);  // a hint: without it, 4 KiB pages
#endif
    pool.parallel_for(blocks.size(), [&](size_t k) {
        if (!bytes[k].empty()) std::memcpy(arena_.get() + at[k], bytes[k].data(), bytes[k].size());
        std::vector<uint8_t>().swap(bytes[k]);
    });

    std::vector<PreloadedBlock> packed(blocks.size());
    for (size_t k = 0; k < blocks.size(); ++k) packed[k] = {arena_.get() + at[k], at[k + 1] - at[k], sorted[k] != 0};
    index(file, blocks, packed);
}

PreloadedTrack::PreloadedTrack(const BbiFile& file, std::shared_ptr<const MappedStore> store)
    : store_(std::move(store)) {
    ByteRanges blocks = file.data_blocks();
    const auto& sb = store_->blocks();
    bool same = sb.size() == blocks.size();
    for (size_t k = 0; same && k < blocks.size(); ++k)
        same = sb[k].offset == blocks[k].first && sb[k].size == blocks[k].second;
    if (!same)
        throw FormatError(store_->path() + ": store file holds other blocks than " + file.path() +
                          " (built from another version of the track)");
    std::vector<PreloadedBlock> packed(blocks.size());
    for (size_t k = 0; k < blocks.size(); ++k) packed[k] = {sb[k].data, sb[k].dsize, sb[k].sorted};
    bytes_ = store_->data_bytes();
    index(file, blocks, packed);
}

void PreloadedTrack::index(const BbiFile& file, const ByteRanges& blocks, const std::vector<PreloadedBlock>& packed) {
    // data_blocks() is sorted and unique: a leaf's block by binary search.
    const auto& chroms = file.index().chroms;
    first_.resize(chroms.size());
    for (size_t c = 0; c < chroms.size(); ++c) {
        first_[c] = table_.size();
        for (size_t i = 0; i < chroms[c].offset.size(); ++i) {
            auto at_k =
                std::lower_bound(blocks.begin(), blocks.end(), std::make_pair(chroms[c].offset[i], chroms[c].size[i]));
            table_.push_back(packed[size_t(at_k - blocks.begin())]);
        }
    }
}

}  // namespace bwl
