// Kernel launchers of the GPU batch path (kernels.cu). Everything the
// kernels compute is BWL_HD code shared with the CPU tests:
// hd/inflate_hd.hpp (inflate_group) and hd/densify_hd.hpp (block_extent,
// densify_row); the kernels only map warps to work and report errors.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "hd/densify_hd.hpp"
#include "hd/inflate_hd.hpp"

namespace bwl {
namespace cuda {

// One zlib (or raw deflate) stream to inflate; results go where the job
// points (a DensifyBlock's len/status/prefix in the batch path).
struct InflateJob {
    const uint8_t* src;
    uint8_t* dst;
    uint64_t src_len, cap;
    uint64_t* out_len;
    int32_t* status;
    uint32_t* prefix;  // set when it stopped early (need.qe != 0); may be null otherwise
    BlockNeed need;    // how far to inflate (qe 0: the whole stream)
    uint64_t tag;      // reported with an error: the plan's block index
};

// The first error of a batch, written once (atomicCAS on flag).
enum : int { kErrorInflate = 1, kErrorSection = 2 };
struct ErrorRecord {
    int flag, kind, code, pad;
    uint64_t block;
};

// DensifyBlock::status of a block whose sections are bad (after the
// InflateStatus codes).
constexpr int32_t kBlockBadSection = 64;

constexpr int kWarpsPerCta = 4;
constexpr uint32_t kTileBases = 2048;  // per warp: 8 KiB of shared memory (512 bins when pooled)

// err may be null. All launches are asynchronous on `s`.
void launch_inflate(const InflateJob* jobs, uint32_t n, Wrapper wrapper, ErrorRecord* err, cudaStream_t s);
void launch_extent(DensifyBlock* blocks, uint32_t n, uint64_t block_base, ErrorRecord* err, cudaStream_t s);
void launch_densify(const DensifyParams& p, const DensifyRow* rows, uint32_t n, const uint32_t* row_blocks,
                    const DensifyBlock* blocks, uint64_t block_base, ErrorRecord* err, cudaStream_t s);

}  // namespace cuda
}  // namespace bwl
