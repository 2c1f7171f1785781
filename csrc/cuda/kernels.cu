// The kernels: a warp per zlib stream (inflate), per block (scan), per
// output row (decode + densify). The work itself is the BWL_HD code the CPU
// tests run (inflate_group, block_extent, densify_row); here warps are
// mapped to work items (grid-stride, so any grid size is correct) and the
// first error is recorded for the host.
#include "cuda/kernels.hpp"
#include "hd/inflate_hd.hpp"

namespace bwl {
namespace cuda {

namespace {

// The group policy of the shared code: one full warp. All 32 lanes run the
// same control flow (every loop bound is computed redundantly per lane).
struct WarpGroup {
    BWL_HD uint32_t rank() const {
#ifdef __CUDA_ARCH__
        return threadIdx.x & 31;
#else
        return 0;
#endif
    }
    BWL_HD uint32_t size() const { return 32; }
    BWL_HD void sync() {
#ifdef __CUDA_ARCH__
        __syncwarp();  // also orders the warp's shared and global memory accesses
#endif
    }
    BWL_HD bool all(bool p) {
#ifdef __CUDA_ARCH__
        return __all_sync(0xFFFFFFFFu, p) != 0;
#else
        return p;
#endif
    }
    BWL_HD uint64_t sum(uint64_t x) {
#ifdef __CUDA_ARCH__
        for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xFFFFFFFFu, x, o);
#endif
        return x;
    }
};

constexpr uint32_t kThreads = kWarpsPerCta * 32;

// Grid-stride over n work items, one per warp: f(item, warp in the CTA).
// Any grid size is correct; every lane of a warp gets the same items.
template <class F>
__device__ __forceinline__ void for_each_warp_item(uint64_t n, F&& f) {
    const uint32_t warp = threadIdx.x >> 5;
    for (uint64_t j = uint64_t(blockIdx.x) * kWarpsPerCta + warp; j < n; j += uint64_t(gridDim.x) * kWarpsPerCta)
        f(j, warp);
}

__device__ void report(ErrorRecord* e, int kind, int code, uint64_t block) {
    if (e && atomicCAS(&e->flag, 0, 1) == 0) {
        e->kind = kind;
        e->code = code;
        e->block = block;
    }
}

__global__ void __launch_bounds__(kThreads)
    inflate_kernel(const InflateJob* jobs, uint32_t n, Wrapper wrapper, ErrorRecord* err) {
    __shared__ InflateShared sh[kWarpsPerCta];
    WarpGroup g;
    for_each_warp_item(n, [&](uint64_t j, uint32_t warp) {
        const InflateJob job = jobs[j];
        uint64_t len = 0;
        bool cut = false;
        int st = inflate_group(g, &sh[warp], job.src, job.src_len, job.dst, job.cap, &len, wrapper, job.need, &cut);
        if (g.rank() == 0) {
            *job.out_len = len;
            *job.status = st;
            if (job.prefix) *job.prefix = cut;
            if (st != kInflateOk) report(err, kErrorInflate, st, job.tag);
        }
    });
}

__global__ void __launch_bounds__(kThreads)
    extent_kernel(DensifyBlock* blocks, uint32_t n, uint64_t block_base, ErrorRecord* err) {
    __shared__ uint64_t scratch[kWarpsPerCta][64];
    WarpGroup g;
    for_each_warp_item(n, [&](uint64_t j, uint32_t warp) {
        const DensifyBlock blk = blocks[j];
        if (blk.status != 0) return;  // inflate failed: already reported
        uint64_t lo, hi;
        bool sorted;
        int st = block_extent(g, blk, scratch[warp], &lo, &hi, &sorted);
        if (g.rank() == 0) {
            blocks[j].lo = lo;
            blocks[j].hi = hi;
            blocks[j].sorted = sorted;
            if (st != kSectionOk) {
                blocks[j].status = kBlockBadSection + st;
                report(err, kErrorSection, st, block_base + j);
            }
        }
        g.sync();
    });
}

__global__ void __launch_bounds__(kThreads)
    densify_kernel(DensifyParams p, const DensifyRow* rows, uint32_t n, const uint32_t* row_blocks,
                   const DensifyBlock* blocks, uint64_t block_base, ErrorRecord* err) {
    __shared__ double tiles[kWarpsPerCta][kTileBases / 2];  // doubles: 8-byte aligned for pooled rows
    __shared__ PoolItems items[kWarpsPerCta];
    WarpGroup g;
    for_each_warp_item(n, [&](uint64_t r, uint32_t warp) {
        const DensifyRow row = rows[r];
        uint32_t bad = 0;
        int st = row_values(g, reinterpret_cast<float*>(tiles[warp]), kTileBases, &items[warp], p, row, row_blocks,
                            blocks, &bad);
        if (g.rank() == 0 && st != kSectionOk) report(err, kErrorSection, st, block_base + bad);
    });
}

unsigned grid_for(uint32_t n) {
    uint64_t ctas = (uint64_t(n) + kWarpsPerCta - 1) / kWarpsPerCta;
    return unsigned(ctas < (1u << 20) ? ctas : (1u << 20));
}

}  // namespace

void launch_inflate(const InflateJob* jobs, uint32_t n, Wrapper wrapper, ErrorRecord* err, cudaStream_t s) {
    if (n) inflate_kernel<<<grid_for(n), kThreads, 0, s>>>(jobs, n, wrapper, err);
}

void launch_extent(DensifyBlock* blocks, uint32_t n, uint64_t block_base, ErrorRecord* err, cudaStream_t s) {
    if (n) extent_kernel<<<grid_for(n), kThreads, 0, s>>>(blocks, n, block_base, err);
}

void launch_densify(const DensifyParams& p, const DensifyRow* rows, uint32_t n, const uint32_t* row_blocks,
                    const DensifyBlock* blocks, uint64_t block_base, ErrorRecord* err, cudaStream_t s) {
    if (n) densify_kernel<<<grid_for(n), kThreads, 0, s>>>(p, rows, n, row_blocks, blocks, block_base, err);
}

}  // namespace cuda
}  // namespace bwl
