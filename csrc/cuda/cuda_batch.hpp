// The GPU batch path (built with BWL_CUDA; BWL_HAVE_CUDA is defined for
// code linking bwl_cuda). This header needs no CUDA headers: streams are
// passed as void* (a cudaStream_t), outputs as device pointers.
//
// One batch: plan on the CPU (as Collection::values), copy the compressed
// blocks to the device through pinned staging (or use the device cache),
// then per chunk one inflate launch (a warp per zlib stream), one scan
// launch (sections checked, item extents) and one decode + densify launch
// (a warp per output row) writing the caller's tensor, all on one stream
// (bwl.Collection passes its own: the caller's stream waits for an event).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bwl/collection.hpp"
#include "hd/inflate_hd.hpp"  // Wrapper

namespace bwl {

struct CudaOptions {
    int device = -1;                        // CUDA device ordinal; -1: the current device
    bool device_cache = false;              // copy every compressed block of the collection to the GPU once
    uint64_t scratch_bytes = 512ull << 20;  // device bytes per chunk: compressed staging + inflated blocks
};

// CUDA devices usable now: 0 without a driver or a GPU (never throws).
int cuda_device_count();

// Why cuda_device_count() is 0, in words (no GPU, no driver, a driver older
// than this build's runtime); empty when a device is usable.
std::string cuda_unavailable_reason();

class CudaBatcher {
public:
    // Throws std::runtime_error when CUDA fails (no device, out of memory),
    // IoError / FormatError while filling the device cache.
    CudaBatcher(Collection& c, const CudaOptions& opt);
    ~CudaBatcher();
    CudaBatcher(const CudaBatcher&) = delete;
    CudaBatcher& operator=(const CudaBatcher&) = delete;

    // Writes the batch into `out`, device memory of device() shaped and
    // typed as for Collection::values, with all work on `stream` (null: the
    // batcher's own non-blocking stream, never the legacy default one).
    // Returns once the batch is written: it synchronizes `stream` alone and
    // reads the kernels' error flag back. Throws what Collection::values throws:
    // RangeError for a bad spec, FormatError naming the file and block for a
    // corrupt block. One batch at a time per batcher (calls are serialized).
    void values(const BatchSpec& spec, void* out, void* stream);

    int device() const;
    const Collection& collection() const;
    uint64_t device_cache_bytes() const;

    // Where the last values() call spent its time, when timing is on (for
    // benchmarks: it synchronizes after each chunk to read the GPU events).
    struct Timing {
        double plan_s = 0, stage_s = 0, total_s = 0;      // host wall clock
        double inflate_s = 0, scan_s = 0, densify_s = 0;  // GPU, summed over chunks
        uint64_t chunks = 0, blocks = 0, rows = 0;
    };
    void set_timing(bool on);
    Timing last_timing() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// For benchmarks and tests: inflates each host stream on the device with the
// batched kernel (one launch, a warp per stream), `repeats` times.
struct CudaInflateResult {
    double seconds = 0;                // best kernel time over the repeats (CUDA events)
    std::vector<int32_t> status;       // InflateStatus per stream
    std::vector<uint64_t> out_len;     // inflated size per stream
    std::vector<uint64_t> out_offset;  // where each stream's output starts in `output`
    std::vector<uint8_t> output;       // all outputs (if asked)
};
CudaInflateResult cuda_inflate_streams(const std::vector<const uint8_t*>& src, const std::vector<uint64_t>& src_len,
                                       const std::vector<uint64_t>& cap, Wrapper wrapper, int repeats, bool want_output,
                                       int device = -1);

}  // namespace bwl
