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
