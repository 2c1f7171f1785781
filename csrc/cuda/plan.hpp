// Planning of one GPU batch (CUDA-free, so the CPU tests run it): which
// compressed blocks each (window, track) row needs, deduplicated per track,
// packed into chunks whose compressed + inflated bytes fit a device budget.
// The same block choice as batch.cpp, by the same code (core/block_select.hpp):
// a row takes the R-tree candidates of its window that overlap it; rows
// without any are written as the default.
#pragma once

#include <cstdint>
#include <vector>

#include "bwl/collection.hpp"
#include "hd/densify_hd.hpp"

namespace bwl {
namespace cuda {

constexpr uint64_t kPlanAlign = 16;

struct PlanBlock {
    uint32_t track;         // file index in the collection
    uint32_t compressed;    // zlib stream (else the section bytes as stored)
    uint32_t swap;          // big-endian file
    uint32_t chrom_id;      // the chrom its rows read, as the file's sections write it
    uint64_t offset, size;  // in the file
    uint64_t start, end;    // bases covered (R-tree)
    uint64_t qe;            // the furthest end of the windows that read it: inflate no further
    uint64_t cap;           // inflated capacity (compressed blocks)
    uint64_t src_off;       // in the chunk's compressed staging, packed (unless device-cached)
    uint64_t dst_off;       // in the chunk's inflate scratch, 16-byte aligned (compressed blocks)
};

// One launch of the kernels. Block indices in rows' lists (row_blocks)
// are relative to block_begin; rows' blk_begin/blk_end to rb_begin.
struct PlanChunk {
    uint32_t block_begin, block_end;
    uint32_t row_begin, row_end;
    uint32_t rb_begin, rb_end;
    uint32_t unit_count;         // tracks (or pieces of one) in the chunk
    uint32_t compressed_blocks;  // inflate jobs
    uint64_t src_bytes, dst_bytes;
};

struct Plan {
    size_t T = 0;
    uint64_t Lout = 0;
    std::vector<PlanBlock> blocks;
    std::vector<DensifyRow> rows;
    std::vector<uint32_t> row_blocks;
    std::vector<PlanChunk> chunks;
    // The largest chunk, to size buffers once per batch.
    uint64_t max_src = 0, max_dst = 0;
    uint32_t max_blocks = 0, max_rows = 0, max_rb = 0, max_jobs = 0;
};

// Fills `plan`. `budget`: bytes of compressed staging + inflate scratch per
// chunk (a single track piece may exceed it only when one row needs more);
// `device_cache`: compressed bytes are already on the device (not counted).
void make_plan(Collection& c, const BatchSpec& spec, uint64_t budget, bool device_cache, Plan& plan);

DensifyParams densify_params(const BatchSpec& spec, const Plan& plan, void* out);

}  // namespace cuda
}  // namespace bwl
