// Base -> one-hot code, shared by the CPU path and kernels.
#pragma once

#include <cstdint>

#include "hd/hd.hpp"

namespace bwl {

// 0..3 for A, C, G, T (either case), 4 for anything else.
BWL_HD uint8_t base_code(uint8_t c) {
    switch (c | 0x20) {  // fold case
        case 'a':
            return 0;
        case 'c':
            return 1;
        case 'g':
            return 2;
        case 't':
            return 3;
        default:
            return 4;
    }
}

}  // namespace bwl
