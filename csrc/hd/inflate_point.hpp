// Where a deflate stream stopped, enough to go on from its output so far
// without the decoder's state (~8 KiB of tables): the bit where the current
// block's header starts (its tables are read again from there) and the bit
// of the next symbol or block header. A cached block prefix keeps this
// instead of the decoder (hd/inflate_hd.hpp: inflate_point, inflate_resume).
#pragma once

#include <cstdint>

namespace bwl {

struct InflatePoint {
    uint64_t out_pos = 0;    // output bytes decoded (the resumed decoder's history)
    uint64_t block_bit = 0;  // the current block's header, in bits from the input's start
    uint64_t next_bit = 0;   // the next symbol's (or block header's)
    uint32_t in_block = 0;   // 1: inside a fixed or dynamic block; 0: at a block header
    uint32_t valid = 0;      // 0: nothing to go on from (inflate from the start)
};
static_assert(sizeof(InflatePoint) == 32, "docs/decisions.md gives a cached prefix's point as 32 bytes");

}  // namespace bwl
