// One track's store file (Collection(store=DIR)): every data block of the
// track inflated once, written under a temporary name and renamed into
// place, then mapped read-only by every process that reads the track, so
// the page cache holds one copy per node and the next run starts warm.
//
// Layout (little-endian; offsets from the start of the file):
//   header    kStoreHeaderSize bytes (StoreHeader below), its own CRC last
//   identity  what the track was built from (opaque to this file: the
//             caller's key of path, size, mtime or ETag, and fingerprint)
//   meta      the source's bytes outside its data blocks (header, chrom
//             tree, index, zoom levels) as (offset, length, at) ranges and
//             their bytes: what opening the track needs without its source
//   index     one kStoreBlockSize entry per distinct data block, sorted by
//             (offset, size): where its decoded bytes are, their CRC-32
//   data      at a page boundary: the decoded blocks, back to back
// The header, identity, meta and index are checked at every open (CRCs,
// bounds, the file's size); the data's CRCs on demand (verify_data), since
// reading every byte at open would cost what the store saves.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bwl/range_reader.hpp"

namespace bwl {

class BbiFile;
class ThreadPool;

constexpr char kStoreMagic[8] = {'B', 'W', 'L', 'S', 'T', 'O', 'R', 'E'};
constexpr uint32_t kStoreVersion = 1;
constexpr uint32_t kStoreHeaderSize = 128;
constexpr uint32_t kStoreMetaSize = 24;    // offset u64, length u64, at u64
constexpr uint32_t kStoreBlockSize = 40;   // offset u64, size u64, at u64, dsize u32, crc u32, flags u32, 0 u32
constexpr uint32_t kStoreBlockSorted = 1;  // flags: section.hpp's block_sorted
constexpr uint64_t kStoreAlign = 4096;     // the data starts on a page

struct StoreBlock {
    uint64_t offset, size;  // the block in the source (its R-tree leaf)
    const uint8_t* data;    // its decoded bytes, in the mapping
    uint64_t dsize;
    uint32_t crc;
    bool sorted;
};

// Writes the store file of `file` to `path` (its blocks inflated on `pool`,
// a bounded number at a time): under path + ".tmp-<pid>-<n>", synced, then
// renamed over `path`. Throws IoError naming `path` (a full disk, no
// permission; the temporary file removed), FormatError for a bad block.
void build_store(const BbiFile& file, ThreadPool& pool, const std::string& path, const std::string& identity);

// A store file mapped read-only. The mapping outlives an unlink or a
// rename over the file: a process keeps reading the bytes it mapped.
class MappedStore {
public:
    // Maps and checks the file; throws FormatError saying what is wrong
    // (truncated, a bad CRC, another version), IoError when it cannot be read.
    explicit MappedStore(const std::string& path);
    ~MappedStore();
    MappedStore(const MappedStore&) = delete;
    MappedStore& operator=(const MappedStore&) = delete;

    const std::string& path() const { return path_; }
    const std::string& identity() const { return identity_; }
    uint64_t source_size() const { return source_size_; }
    uint64_t file_bytes() const { return size_; }
    uint64_t data_bytes() const { return data_bytes_; }
    const std::vector<StoreBlock>& blocks() const { return blocks_; }  // sorted by (offset, size)

    // The blocks whose decoded bytes fail their CRC (empty: all sound).
    std::vector<size_t> verify_data() const;

    // Source bytes [off, off + n) from the meta ranges into dst; false when
    // they are not all there (a data block: read it from blocks()).
    bool read_meta(uint64_t off, uint64_t n, void* dst) const;

private:
    std::string path_, identity_;
    const uint8_t* base_ = nullptr;
    uint64_t size_ = 0, source_size_ = 0, data_bytes_ = 0;
    struct Meta {
        uint64_t offset, length, at;
    };
    std::vector<Meta> meta_;  // sorted by offset
    std::vector<StoreBlock> blocks_;
};

// The source's bytes as a stored track has them: the meta ranges only,
// enough to open the track (BbiFile) without its source; a read of a data
// block throws RemoteIoError (the engine reads those from the store).
class StoreMetaReader : public RangeReader {
public:
    explicit StoreMetaReader(std::shared_ptr<const MappedStore> store) : store_(std::move(store)) {}
    uint64_t size() override { return store_->source_size(); }
    void read(uint64_t off, uint64_t n, void* dst) override;

private:
    std::shared_ptr<const MappedStore> store_;
};

}  // namespace bwl
