// Host-side CUDA helpers of bwl_cuda and the CUDA bindings: errors as
// exceptions, a device made current for a scope, and owners of device or
// pinned host memory.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace bwl {
namespace cuda {

// CUDA ran out of device (or page-locked host) memory. Its own type, so
// the bindings raise it as a MemoryError, and bwl.Collection, with torch,
// frees torch's cached blocks and tries again before raising torch's
// OutOfMemoryError.
struct OutOfMemory : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws ("CUDA error in <what>: <CUDA's text>") unless e is cudaSuccess:
// OutOfMemory for cudaErrorMemoryAllocation, std::runtime_error otherwise.
inline void check(cudaError_t e, const char* what) {
    if (e == cudaSuccess) return;
    std::string msg = std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();  // not sticky: cleared, so no later check takes it for its own
        throw OutOfMemory(msg);
    }
    throw std::runtime_error(msg);
}

// Makes `d` current for the scope (the caller's device is restored).
struct DeviceScope {
    int prev = -1, dev;
    explicit DeviceScope(int d) : dev(d) {
        check(cudaGetDevice(&prev), "cudaGetDevice");
        if (prev != dev) check(cudaSetDevice(dev), "cudaSetDevice");
    }
    ~DeviceScope() {
        if (prev >= 0 && prev != dev) cudaSetDevice(prev);
    }
    DeviceScope(const DeviceScope&) = delete;
    DeviceScope& operator=(const DeviceScope&) = delete;
};

// One allocation of device or pinned host memory, freed with its owner:
// movable, not copyable (a copy would free it twice).
template <cudaError_t (*Alloc)(void**, size_t), cudaError_t (*Free)(void*)>
class Memory {
public:
    Memory() = default;
    ~Memory() { reset(); }
    Memory(const Memory&) = delete;
    Memory& operator=(const Memory&) = delete;
    Memory(Memory&& o) noexcept : p(o.p), cap(o.cap) {
        o.p = nullptr;
        o.cap = 0;
    }
    Memory& operator=(Memory&& o) noexcept {
        if (this != &o) {
            reset();
            p = o.p;
            cap = o.cap;
            o.p = nullptr;
            o.cap = 0;
        }
        return *this;
    }

    // Exactly n bytes (at least 1), replacing what was held.
    void allocate(uint64_t n) {
        reset();
        if (n == 0) n = 1;
        check(Alloc(&p, n), ("allocating " + std::to_string(n) + " bytes").c_str());
        cap = n;
    }
    // Grow-only: at least n bytes, with room to grow (old contents are not
    // kept); exactly n where the room does not fit. Callers resize only
    // while no work uses the memory.
    void ensure(uint64_t n) {
        if (n <= cap) return;
        uint64_t want = n + n / 4 > (uint64_t(1) << 16) ? n + n / 4 : uint64_t(1) << 16;
        reset();
        if (Alloc(&p, want) == cudaSuccess) {
            cap = want;
            return;
        }
        p = nullptr;
        cudaGetLastError();  // the failed try's error is not the caller's
        allocate(n);
    }
    void reset() {
        if (p) Free(p);
        p = nullptr;
        cap = 0;
    }
    uint8_t* bytes() const { return static_cast<uint8_t*>(p); }

    void* p = nullptr;
    uint64_t cap = 0;
};

inline cudaError_t device_alloc(void** p, size_t n) { return cudaMalloc(p, n); }
inline cudaError_t pinned_alloc(void** p, size_t n) { return cudaHostAlloc(p, n, cudaHostAllocDefault); }
using DeviceBuf = Memory<device_alloc, cudaFree>;
using PinnedBuf = Memory<pinned_alloc, cudaFreeHost>;

}  // namespace cuda
}  // namespace bwl
