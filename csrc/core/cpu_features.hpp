// What this CPU (and its OS) can run, read from CPUID and XGETBV once.
// Not the compiler runtime's probe (__builtin_cpu_supports): clang's
// compiler-rt as zig links it (the toolchain of the manylinux wheels)
// answers "nothing", and GCC's must be initialised before static
// initializers ask it. The kernels and fast loops that need a feature
// are compiled for it with target attributes and picked by this.
#pragma once

namespace bwl {

struct CpuFeatures {
    bool sse42 = false, pclmul = false, avx2 = false, bmi1 = false, bmi2 = false, avx512f = false;
};

const CpuFeatures& cpu_features();

}  // namespace bwl
