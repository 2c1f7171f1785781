// What one batch writes: the output's dtype and layout, what a bin of a
// pooled window holds, and the transform of values from data (together:
// BatchOptions). Plain types,
// no code: the arithmetic (conversion, bin summaries, transforms) is the
// host/device-shared code in csrc/hd/convert.hpp and csrc/hd/summary.hpp.
//
// Installed only because bwl/collection.hpp and bwl/fasta.hpp include it:
// include those, not this.
#pragma once

#include <cstdint>

namespace bwl {

enum class DType : int { F32 = 0, F16 = 1, BF16 = 2 };
enum class Layout : int { BTL = 0, BLT = 1 };

// Bytes of one output element.
constexpr uint32_t dtype_size(DType d) { return d == DType::F32 ? 4 : 2; }

// What a bin of `window` bases holds (window > 1); see csrc/hd/summary.hpp.
enum class Summary : uint8_t { Mean = 0, Sum = 1, Mean0 = 2, Max = 3, Min = 4 };
constexpr int kSummaryCount = 5;

// Target transforms, in this order (Borzoi's and other pipelines'):
// pow as sign(x) |x|^p, soft clip (x > t: t + sqrt(x - t)), clip to
// [lo, hi], log1p (NaN below -1). NaN stays NaN. Applied by
// csrc/hd/summary.hpp's transform_value.
struct ValueTransform {
    double pow = 1.0;
    double soft_clip = __builtin_huge_val();
    double clip_lo = -__builtin_huge_val(), clip_hi = __builtin_huge_val();
    uint32_t log1p = 0;
};

// What a batch holds, whatever its windows: the options that do not vary
// per window (BatchSpec adds the windows and tracks). bwl._core.BatchOptions
// carries them across the binding, built once by bwl.BatchOptions.
struct BatchOptions {
    uint32_t window = 1;              // bins of `window` bases (summary.hpp)
    Summary summary = Summary::Mean;  // what a bin holds (window > 1)
    ValueTransform transform;         // of values from data (summary.hpp)
    bool pad = false;                 // windows may leave their chromosome: no data there
    float default_value = 0;          // bases (bins) without data
    DType dtype = DType::F32;
    Layout layout = Layout::BTL;  // (B, T, L/window) or (B, L/window, T)
};

}  // namespace bwl
