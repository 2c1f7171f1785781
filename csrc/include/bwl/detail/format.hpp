// BBI (bigWig) on-disk layout, named after UCSC's bbiFile.h / bwgInternal.h.
// All multi-byte fields are in the byte order of the file's magic number.
//
// Installed only because bwl/writer.hpp includes it: include that, not this.
#pragma once

#include <cstdint>

namespace bwl {

// Magic numbers as read in the file's own byte order.
constexpr uint32_t kBigWigMagic = 0x888FFC26;
constexpr uint32_t kBigWigMagicSwapped = 0x26FC8F88;
constexpr uint32_t kBigBedMagic = 0x8789F2EB;
constexpr uint32_t kBigBedMagicSwapped = 0xEBF28987;
constexpr uint32_t kBedRecordFixed = 12;        // chromId, chromStart, chromEnd; then rest, NUL-terminated
constexpr uint64_t kMaxAutoSql = 1 << 20;       // longest autoSql text read
constexpr uint32_t kBptMagic = 0x78CA8C91;      // chromosome B+ tree
constexpr uint32_t kCirTreeMagic = 0x2468ACE0;  // R-tree index

// Fixed sizes of on-disk records.
constexpr uint32_t kHeaderSize = 64;        // main header
constexpr uint32_t kZoomHeaderSize = 24;    // one per zoom level, right after the header
constexpr uint32_t kTotalSummarySize = 40;  // basesCovered, min, max, sum, sumSquares
constexpr uint32_t kExtensionHeaderSize = 64;
constexpr uint32_t kBptHeaderSize = 32;
constexpr uint32_t kCirTreeHeaderSize = 48;
constexpr uint32_t kNodeHeaderSize = 4;      // isLeaf u8, reserved u8, count u16
constexpr uint32_t kCirLeafItemSize = 32;    // 4 x u32 bounds, u64 offset, u64 size
constexpr uint32_t kCirBranchItemSize = 24;  // 4 x u32 bounds, u64 child offset
constexpr uint32_t kSectionHeaderSize = 24;
constexpr uint32_t kZoomRecordSize = 32;  // chromId, start, end, validCount, min, max, sum, sumSq

// Section (data block) types of bigWig.
enum SectionType : uint8_t {
    kBedGraph = 1,      // start u32, end u32, value f32
    kVariableStep = 2,  // start u32, value f32; end = start + itemSpan
    kFixedStep = 3,     // value f32; start = sectionStart + i * itemStep
};

// Bytes per item of each section type; 0 for an unknown type.
inline constexpr uint32_t section_item_size(uint8_t type) {
    return type == kBedGraph ? 12 : type == kVariableStep ? 8 : type == kFixedStep ? 4 : 0;
}

// Hard limits that keep a hostile header from making us allocate or loop
// out of proportion to the file.
constexpr uint32_t kMaxTreeDepth = 64;
constexpr uint32_t kMaxKeySize = 1 << 20;  // chromosome names up to 1 MiB

}  // namespace bwl
