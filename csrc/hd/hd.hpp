// BWL_HD marks functions shared by the CPU engine and the CUDA kernels.
// Under nvcc they compile for both sides; elsewhere the macro is empty, so the
// CPU tests run exactly the code the kernels run.
//
// csrc/hd/ holds all of that code, and only it. The rules, because a kernel
// cannot do otherwise and the CPU must run the same code:
//   - no heap: no new/malloc, no std::vector or std::string, no std containers
//     or algorithms at all (they are host-only); fixed-size arrays and the
//     caller's buffers only;
//   - no exceptions and no abort: a function returns a status (SectionStatus,
//     InflateStatus) and the host side turns it into FormatError;
//   - state lives in caller memory: the caller passes every table, tile and
//     accumulator (shared memory on a GPU, a stack or thread_local on the
//     CPU); no mutable statics, globals or thread_local here (constexpr
//     constants are fine);
//   - cooperative code is written against a group policy G (rank(), size(),
//     sync(), all(bool), sum(uint64_t)): a warp on the GPU, host threads with
//     a barrier in ctest (tests/cpp/test_inflate_hd.cpp), one thread on the
//     CPU path;
//   - headers only, from <cstdint>/<cstring>/<cmath> and other csrc/hd/ or
//     bwl/detail/ headers of plain types (format.hpp, batch_types.hpp);
//   - results must match the CPU to the bit: no fast math, no FMA contraction
//     (csrc/cuda/CMakeLists.txt), bins added in the CPU's order.
#pragma once

#if defined(__CUDACC__)
#define BWL_HD __host__ __device__ __forceinline__
#else
#define BWL_HD inline
#endif

// BWL_HD_HOT: BWL_HD for the small helpers called once per item in the hot
// loops (section_item, item_follows), inlined on the CPU too, as every
// BWL_HD function is on the GPU. GCC inlines them on its own; clang (zig's
// too, which builds the manylinux wheels: tests/wheel_check.sh) kept
// section_item out of line, 16% of a batch's time (bench/wheel_speed.py).
#if defined(__CUDACC__)
#define BWL_HD_HOT BWL_HD
#elif defined(__GNUC__)
#define BWL_HD_HOT inline __attribute__((always_inline))
#else
#define BWL_HD_HOT inline
#endif
