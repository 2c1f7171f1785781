// BWL_HD marks functions shared by the CPU engine and the CUDA kernels.
// Under nvcc they compile for both sides; elsewhere the macro is empty, so the
// CPU tests run exactly the code the kernels run.
#pragma once

#if defined(__CUDACC__)
#define BWL_HD __host__ __device__ __forceinline__
#else
#define BWL_HD inline
#endif
