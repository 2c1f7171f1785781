// CudaBatcher: the host side of the GPU batch path. Per chunk of the plan:
// read the compressed blocks into pinned staging on the collection's
// thread pool (adjacent blocks of a file in one read), copy them and the
// chunk's descriptors to the device, then launch inflate, scan and densify.
// Two pinned staging slots: the CPU reads chunk k+1 while the GPU still
// works on chunk k. All device work is on the caller's stream; the call
// ends by reading the error record back (one stream synchronization).
#include "cuda/cuda_batch.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/collection_impl.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/kernels.hpp"
#include "cuda/plan.hpp"
#include "hd/inflate_hd.hpp"

namespace bwl {

namespace {

using cuda::check;
using cuda::DeviceBuf;
using cuda::DeviceScope;
using cuda::PinnedBuf;

uint64_t align16(uint64_t x) { return (x + 15) & ~uint64_t(15); }

// Byte layout of one chunk's descriptors (a single copy to the device).
struct MetaLayout {
    uint64_t jobs = 0, blocks = 0, rows = 0, rb = 0, total = 0;
    MetaLayout(uint64_t njobs, uint64_t nblocks, uint64_t nrows, uint64_t nrb) {
        jobs = 0;
        blocks = align16(jobs + njobs * sizeof(cuda::InflateJob));
        rows = align16(blocks + nblocks * sizeof(DensifyBlock));
        rb = align16(rows + nrows * sizeof(DensifyRow));
        total = align16(rb + nrb * sizeof(uint32_t));
    }
};

}  // namespace

int cuda_device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error so later calls start clean
        return 0;
    }
    return n;
}

std::string cuda_unavailable_reason() {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    cudaGetLastError();
    if (e == cudaSuccess) return n > 0 ? "" : "no CUDA GPU found";
    int driver = 0;
    cudaDriverGetVersion(&driver);
    cudaGetLastError();
    auto ver = [](int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); };
    switch (e) {
        case cudaErrorNoDevice:
            return "no CUDA GPU found";
        case cudaErrorInsufficientDriver:
            if (driver == 0) return "no NVIDIA driver is installed (libcuda was not found)";
            return "the NVIDIA driver supports CUDA " + ver(driver) + ", older than the CUDA " + ver(CUDART_VERSION) +
                   " this build needs: update the driver";
        default:
            return std::string("CUDA could not start: ") + cudaGetErrorString(e);
    }
}

struct CudaBatcher::Impl {
    Collection& c;
    CudaOptions opt;
    int dev = 0;
    std::mutex mu;

    // Device cache: per track, its data region [lo, hi) of the file at cache_off.
    DeviceBuf cache;
    std::vector<uint64_t> cache_lo, cache_off;
    uint64_t cache_bytes = 0;

    DeviceBuf d_src, d_dst, d_meta, d_err;
    PinnedBuf h_src[2], h_meta[2], h_err;
    cudaEvent_t staged[2] = {nullptr, nullptr};  // the H2D copies out of slot k are done
    cudaStream_t own = nullptr;  // for callers without a stream: never the legacy default stream, which syncs with all
    bool timing = false;
    cudaEvent_t marks[4] = {nullptr, nullptr, nullptr, nullptr};  // around the three launches, when timing
    CudaBatcher::Timing last;

    Impl(Collection& col, const CudaOptions& o) : c(col), opt(o) {
        for (size_t t = 0; t < c.size(); ++t)
            if (c.impl().file(t).bigbed())
                throw RangeError(c.impl().file(t).path() + ": bigBed tracks are read on the CPU only (device='cpu')");
        if (cuda_device_count() == 0) throw std::runtime_error("no CUDA device available");
        if (opt.device < 0) check(cudaGetDevice(&dev), "cudaGetDevice");
        else dev = opt.device;
        DeviceScope scope(dev);
        try {
            for (auto& e : staged) check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
            check(cudaStreamCreateWithFlags(&own, cudaStreamNonBlocking), "cudaStreamCreate");
            d_err.ensure(sizeof(cuda::ErrorRecord));
            h_err.ensure(sizeof(cuda::ErrorRecord));
            if (opt.device_cache) fill_cache();
        } catch (...) {
            if (own) cudaStreamSynchronize(own);  // no copy may still read the pinned pieces as they are freed
            release();                            // no destructor runs for a constructor that throws
            throw;
        }
    }

    ~Impl() { release(); }

    void release() {
        for (auto& e : staged)
            if (e) cudaEventDestroy(e);
        for (auto& e : marks)
            if (e) cudaEventDestroy(e);
        if (own) cudaStreamDestroy(own);
        staged[0] = staged[1] = nullptr;
        for (auto& e : marks) e = nullptr;
        own = nullptr;
    }

    static double since(std::chrono::steady_clock::time_point t0) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    void set_timing(bool on) {
        std::lock_guard<std::mutex> lock(mu);
        DeviceScope scope(dev);
        if (on && !marks[0])
            for (auto& e : marks) check(cudaEventCreate(&e), "cudaEventCreate");
        timing = on;
    }

    // Every file's data blocks, one contiguous region per file (the range
    // BbiFile::data_extent, as cache_data_blocks reads), copied through
    // two pinned pieces on the internal stream: a piece is read while the
    // other one copies, and nothing waits on the legacy default stream. The
    // cache is allocated exactly (no growth slack: it is sized once); the
    // pieces are freed after, as batches stage nothing with a device cache.
    void fill_cache() {
        size_t T = c.size();
        cache_lo.assign(T, 0);
        cache_off.assign(T, 0);
        std::vector<uint64_t> len(T, 0);
        for (size_t t = 0; t < T; ++t) {
            auto [lo, hi] = c.impl().file(t).data_extent();
            cache_lo[t] = lo;
            len[t] = hi - lo;
            cache_off[t] = cache_bytes;
            cache_bytes += align16(len[t]);
        }
        cache.allocate(cache_bytes + 16);
        const uint64_t piece = 64ull << 20;
        for (auto& h : h_src) h.allocate(piece);
        int k = 0;
        for (size_t t = 0; t < T; ++t)
            for (uint64_t off = 0; off < len[t]; off += piece, k ^= 1) {
                uint64_t n = std::min(piece, len[t] - off);
                check(cudaEventSynchronize(staged[k]), "cudaEventSynchronize (device cache)");  // piece k is free
                c.impl().file(t).source().read(cache_lo[t] + off, n, h_src[k].bytes(), "data block");
                check(cudaMemcpyAsync(cache.bytes() + cache_off[t] + off, h_src[k].bytes(), n, cudaMemcpyHostToDevice,
                                      own),
                      "cudaMemcpyAsync (device cache)");
                check(cudaEventRecord(staged[k], own), "cudaEventRecord (device cache)");
            }
        check(cudaStreamSynchronize(own), "cudaStreamSynchronize (device cache)");
        for (auto& h : h_src) h.reset();
    }

    const uint8_t* cached(const cuda::PlanBlock& b) const {
        return cache.bytes() + cache_off[b.track] + (b.offset - cache_lo[b.track]);
    }

    // Reads the chunk's compressed blocks into `dst`: runs of blocks that
    // are adjacent in one file and in staging are one read.
    void stage(const cuda::Plan& plan, const cuda::PlanChunk& ch, uint8_t* dst) {
        std::vector<std::pair<uint32_t, uint32_t>> runs;
        for (uint32_t i = ch.block_begin; i < ch.block_end;) {
            uint32_t j = i + 1;
            while (j < ch.block_end && plan.blocks[j].track == plan.blocks[i].track &&
                   plan.blocks[j].offset == plan.blocks[j - 1].offset + plan.blocks[j - 1].size &&
                   plan.blocks[j].src_off == plan.blocks[j - 1].src_off + plan.blocks[j - 1].size)
                ++j;
            runs.emplace_back(i, j);
            i = j;
        }
        // Remote tracks: every run requested before any is read (file_source.hpp).
        std::vector<ByteRanges> want(c.size());
        for (auto [i, j] : runs) {
            const cuda::PlanBlock& a = plan.blocks[i];
            const cuda::PlanBlock& z = plan.blocks[j - 1];
            if (c.impl().file(a.track).source().remote())
                want[a.track].emplace_back(a.offset, z.offset + z.size - a.offset);
        }
        for (size_t t = 0; t < want.size(); ++t)
            if (!want[t].empty()) c.impl().file(t).source().prefetch(std::move(want[t]));
        c.impl().pool.parallel_for(runs.size(), [&](size_t r) {
            const cuda::PlanBlock& a = plan.blocks[runs[r].first];
            const cuda::PlanBlock& z = plan.blocks[runs[r].second - 1];
            c.impl().file(a.track).source().read(a.offset, z.offset + z.size - a.offset, dst + a.src_off, "data block");
        });
    }

    void values(const BatchSpec& spec, void* out, cudaStream_t stream) {
        std::lock_guard<std::mutex> lock(mu);
        DeviceScope scope(dev);
        if (!stream) stream = own;
        const auto t0 = std::chrono::steady_clock::now();
        last = CudaBatcher::Timing();
        cuda::Plan plan;
        cuda::make_plan(c, spec, opt.scratch_bytes, opt.device_cache, plan);
        last.plan_s = since(t0);
        last.chunks = plan.chunks.size();
        last.blocks = plan.blocks.size();
        last.rows = plan.rows.size();
        if (spec.batch == 0 || plan.T == 0) return;

        cudaPointerAttributes attr{};
        if (cudaPointerGetAttributes(&attr, out) != cudaSuccess || attr.device != dev ||
            (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged)) {
            cudaGetLastError();
            throw RangeError("out must be device memory on CUDA device " + std::to_string(dev));
        }

        uint64_t meta_max = 0;
        for (const auto& ch : plan.chunks)
            meta_max = std::max(meta_max, MetaLayout(ch.compressed_blocks, ch.block_end - ch.block_begin,
                                                     ch.row_end - ch.row_begin, ch.rb_end - ch.rb_begin)
                                              .total);
        // Nothing of ours is in flight here (the last call synchronized), so buffers may move.
        d_src.ensure(plan.max_src + 16);
        d_dst.ensure(plan.max_dst + 16);
        d_meta.ensure(meta_max);
        for (int k = 0; k < 2 && k < int(plan.chunks.size()); ++k) {
            if (!opt.device_cache) h_src[k].ensure(plan.max_src + 16);
            h_meta[k].ensure(meta_max);
        }

        try {
            run(spec, plan, out, stream);
            last.total_s = since(t0);
        } catch (...) {
            cudaStreamSynchronize(stream);  // nothing may still use the buffers when the next call resizes them
            throw;
        }
    }

    void run(const BatchSpec& spec, const cuda::Plan& plan, void* out, cudaStream_t stream) {
        auto* err = static_cast<cuda::ErrorRecord*>(d_err.p);
        check(cudaMemsetAsync(err, 0, sizeof(cuda::ErrorRecord), stream), "cudaMemsetAsync");
        DensifyParams params = cuda::densify_params(spec, plan, out);
        for (size_t ci = 0; ci < plan.chunks.size(); ++ci) {
            const cuda::PlanChunk& ch = plan.chunks[ci];
            const int slot = int(ci & 1);
            check(cudaEventSynchronize(staged[slot]), "cudaEventSynchronize");  // slot's last copies are done
            if (!opt.device_cache) {
                const auto ts = std::chrono::steady_clock::now();
                stage(plan, ch, h_src[slot].bytes());
                last.stage_s += since(ts);
            }

            const uint32_t nblocks = ch.block_end - ch.block_begin, nrows = ch.row_end - ch.row_begin,
                           nrb = ch.rb_end - ch.rb_begin;
            MetaLayout lay(ch.compressed_blocks, nblocks, nrows, nrb);
            uint8_t* hm = h_meta[slot].bytes();
            uint8_t* dm = d_meta.bytes();
            auto* jobs = reinterpret_cast<cuda::InflateJob*>(hm + lay.jobs);
            auto* blocks = reinterpret_cast<DensifyBlock*>(hm + lay.blocks);
            auto* dblocks = reinterpret_cast<DensifyBlock*>(dm + lay.blocks);
            uint32_t nj = 0;
            for (uint32_t i = 0; i < nblocks; ++i) {
                const cuda::PlanBlock& pb = plan.blocks[ch.block_begin + i];
                const uint8_t* src = opt.device_cache ? cached(pb) : d_src.bytes() + pb.src_off;
                DensifyBlock& b = blocks[i];
                b.data = pb.compressed ? d_dst.bytes() + pb.dst_off : src;
                b.len = pb.compressed ? 0 : pb.size;  // the inflate kernel sets it
                b.lo = pb.start;
                b.hi = pb.end;
                b.status = 0;
                b.swap = pb.swap;
                b.sorted = 0;  // extent_kernel decides
                b.prefix = 0;  // the inflate kernel decides
                if (pb.compressed)
                    jobs[nj++] = cuda::InflateJob{src,
                                                  d_dst.bytes() + pb.dst_off,
                                                  pb.size,
                                                  pb.cap,
                                                  &dblocks[i].len,
                                                  &dblocks[i].status,
                                                  &dblocks[i].prefix,
                                                  BlockNeed{pb.qe, pb.chrom_id, pb.swap != 0},
                                                  ch.block_begin + i};
            }
            std::memcpy(hm + lay.rows, plan.rows.data() + ch.row_begin, nrows * sizeof(DensifyRow));
            std::memcpy(hm + lay.rb, plan.row_blocks.data() + ch.rb_begin, nrb * sizeof(uint32_t));

            if (!opt.device_cache && ch.src_bytes)
                check(cudaMemcpyAsync(d_src.p, h_src[slot].p, ch.src_bytes, cudaMemcpyHostToDevice, stream),
                      "cudaMemcpyAsync (blocks)");
            check(cudaMemcpyAsync(dm, hm, lay.total, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync (descriptors)");
            check(cudaEventRecord(staged[slot], stream), "cudaEventRecord");

            cudaGetLastError();  // a launch error left by earlier work on this thread is not these launches'
            if (timing) check(cudaEventRecord(marks[0], stream), "cudaEventRecord");
            cuda::launch_inflate(reinterpret_cast<const cuda::InflateJob*>(dm + lay.jobs), nj, Wrapper::Zlib, err,
                                 stream);
            if (timing) check(cudaEventRecord(marks[1], stream), "cudaEventRecord");
            cuda::launch_extent(dblocks, nblocks, ch.block_begin, err, stream);
            if (timing) check(cudaEventRecord(marks[2], stream), "cudaEventRecord");
            cuda::launch_densify(params, reinterpret_cast<const DensifyRow*>(dm + lay.rows), nrows,
                                 reinterpret_cast<const uint32_t*>(dm + lay.rb), dblocks, ch.block_begin, err, stream);
            check(cudaGetLastError(), "kernel launch");
            if (timing) {
                check(cudaEventRecord(marks[3], stream), "cudaEventRecord");
                check(cudaEventSynchronize(marks[3]), "cudaEventSynchronize");
                float ms[3];
                for (int k = 0; k < 3; ++k)
                    check(cudaEventElapsedTime(&ms[k], marks[k], marks[k + 1]), "cudaEventElapsedTime");
                last.inflate_s += ms[0] / 1e3;
                last.scan_s += ms[1] / 1e3;
                last.densify_s += ms[2] / 1e3;
            }
        }
        auto* herr = static_cast<cuda::ErrorRecord*>(h_err.p);
        check(cudaMemcpyAsync(herr, err, sizeof(cuda::ErrorRecord), cudaMemcpyDeviceToHost, stream),
              "cudaMemcpyAsync (errors)");
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        if (herr->flag) {
            const cuda::PlanBlock& pb = plan.blocks[herr->block];
            std::string what =
                herr->kind == cuda::kErrorInflate ? inflate_status_text(herr->code) : section_status_text(herr->code);
            throw FormatError(c.impl().file(pb.track).path() + ": " + what + " (block at offset " +
                              std::to_string(pb.offset) + ")");
        }
    }
};

CudaBatcher::CudaBatcher(Collection& c, const CudaOptions& opt) : impl_(new Impl(c, opt)) {}
CudaBatcher::~CudaBatcher() = default;

void CudaBatcher::values(const BatchSpec& spec, void* out, void* stream) {
    impl_->values(spec, out, static_cast<cudaStream_t>(stream));
}

int CudaBatcher::device() const { return impl_->dev; }
const Collection& CudaBatcher::collection() const { return impl_->c; }
uint64_t CudaBatcher::device_cache_bytes() const { return impl_->cache_bytes; }
void CudaBatcher::set_timing(bool on) { impl_->set_timing(on); }
CudaBatcher::Timing CudaBatcher::last_timing() const { return impl_->last; }

CudaInflateResult cuda_inflate_streams(const std::vector<const uint8_t*>& src, const std::vector<uint64_t>& src_len,
                                       const std::vector<uint64_t>& cap, Wrapper wrapper, int repeats, bool want_output,
                                       int device) {
    if (src.size() != src_len.size() || src.size() != cap.size())
        throw RangeError("src, src_len and cap differ in length");
    if (cuda_device_count() == 0) throw std::runtime_error("no CUDA device available");
    int dev = device;
    if (dev < 0) check(cudaGetDevice(&dev), "cudaGetDevice");
    DeviceScope scope(dev);
    const size_t n = src.size();
    std::vector<uint64_t> in_off(n), out_off(n);
    uint64_t in_total = 0, out_total = 0;
    for (size_t i = 0; i < n; ++i) {
        in_off[i] = in_total;
        in_total += align16(src_len[i]);
        out_off[i] = out_total;
        out_total += align16(cap[i]);
    }
    DeviceBuf d_in, d_out, d_jobs, d_len, d_status;
    d_in.ensure(in_total + 16);
    d_out.ensure(out_total + 16);
    d_jobs.ensure(n * sizeof(cuda::InflateJob) + 16);
    d_len.ensure(n * 8 + 16);
    d_status.ensure(n * 4 + 16);
    // Its own non-blocking stream and events, never the legacy default
    // stream; released, after the stream's work, however this ends (the
    // buffers above outlive them).
    struct Owned {
        cudaStream_t s = nullptr;
        cudaEvent_t a = nullptr, b = nullptr;
        ~Owned() {
            if (s) cudaStreamSynchronize(s);
            if (a) cudaEventDestroy(a);
            if (b) cudaEventDestroy(b);
            if (s) cudaStreamDestroy(s);
        }
    } h;
    check(cudaStreamCreateWithFlags(&h.s, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreate(&h.a), "cudaEventCreate");
    check(cudaEventCreate(&h.b), "cudaEventCreate");
    std::vector<uint8_t> staging(in_total);
    for (size_t i = 0; i < n; ++i) std::memcpy(staging.data() + in_off[i], src[i], src_len[i]);
    check(cudaMemcpyAsync(d_in.p, staging.data(), in_total, cudaMemcpyHostToDevice, h.s), "cudaMemcpyAsync");
    std::vector<cuda::InflateJob> jobs(n);
    auto* lens = static_cast<uint64_t*>(d_len.p);
    auto* status = static_cast<int32_t*>(d_status.p);
    for (size_t i = 0; i < n; ++i)
        jobs[i] = cuda::InflateJob{d_in.bytes() + in_off[i],
                                   d_out.bytes() + out_off[i],
                                   src_len[i],
                                   cap[i],
                                   lens + i,
                                   status + i,
                                   nullptr,
                                   BlockNeed{0, 0, false},
                                   i};
    check(cudaMemcpyAsync(d_jobs.p, jobs.data(), n * sizeof(cuda::InflateJob), cudaMemcpyHostToDevice, h.s),
          "cudaMemcpyAsync");
    check(cudaStreamSynchronize(h.s), "cudaStreamSynchronize");  // staging and jobs are pageable host memory

    CudaInflateResult r;
    r.seconds = 1e30;
    for (int k = 0; k < std::max(repeats, 1); ++k) {
        cudaGetLastError();  // a launch error left by earlier work on this thread is not this launch's
        check(cudaEventRecord(h.a, h.s), "cudaEventRecord");
        cuda::launch_inflate(static_cast<const cuda::InflateJob*>(d_jobs.p), uint32_t(n), wrapper, nullptr, h.s);
        check(cudaGetLastError(), "kernel launch");
        check(cudaEventRecord(h.b, h.s), "cudaEventRecord");
        check(cudaEventSynchronize(h.b), "cudaEventSynchronize");
        float ms = 0;
        check(cudaEventElapsedTime(&ms, h.a, h.b), "cudaEventElapsedTime");
        r.seconds = std::min(r.seconds, ms / 1e3);
    }
    r.status.resize(n);
    r.out_len.resize(n);
    r.out_offset = out_off;
    check(cudaMemcpyAsync(r.status.data(), status, n * 4, cudaMemcpyDeviceToHost, h.s), "cudaMemcpyAsync");
    check(cudaMemcpyAsync(r.out_len.data(), lens, n * 8, cudaMemcpyDeviceToHost, h.s), "cudaMemcpyAsync");
    if (want_output) {
        r.output.resize(out_total);
        check(cudaMemcpyAsync(r.output.data(), d_out.p, out_total, cudaMemcpyDeviceToHost, h.s), "cudaMemcpyAsync");
    }
    check(cudaStreamSynchronize(h.s), "cudaStreamSynchronize");
    return r;
}

}  // namespace bwl
