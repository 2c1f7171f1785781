// Store files: build (inflate, write, sync, rename) and map (check, index).
#include "core/store_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>  // crc32

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "bwl/error.hpp"
#include "core/bbi_file.hpp"
#include "core/thread_pool.hpp"
#include "hd/section.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "store files are written in the host's byte order");

namespace bwl {

namespace {

// Header fields (offsets into the header).
enum : uint32_t {
    kHVersion = 8,
    kHHeaderSize = 12,
    kHIdentityOff = 16,
    kHIdentityLen = 24,
    kHMetaOff = 32,
    kHMetaCount = 40,
    kHIndexOff = 48,
    kHBlockCount = 56,
    kHDataOff = 64,
    kHDataBytes = 72,
    kHFileBytes = 80,
    kHSourceSize = 88,
    kHMetaCrc = 96,  // identity, meta table and meta bytes
    kHIndexCrc = 100,
    kHHeaderCrc = kStoreHeaderSize - 4,
};

// Blocks inflated per step of a build: bounds the decoded bytes held at once.
constexpr size_t kBuildStep = 2048;

template <class T>
void put(uint8_t* p, T v) {
    std::memcpy(p, &v, sizeof v);
}
template <class T>
T get(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

uint32_t crc(const uint8_t* p, uint64_t n, uint32_t c = 0) {
    for (uint64_t done = 0; done < n;) {  // zlib takes uInt lengths
        uInt k = uInt(std::min<uint64_t>(n - done, 1u << 30));
        c = uint32_t(crc32(c, p + done, k));
        done += k;
    }
    return c;
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::string os_error(const std::string& what, int err) { return what + ": " + std::strerror(err); }

void write_all(int fd, const uint8_t* p, uint64_t n, uint64_t off, const std::string& path) {
    while (n) {
        ssize_t w = ::pwrite(fd, p, std::min<uint64_t>(n, 1u << 30), off_t(off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int err = w < 0 ? errno : ENOSPC;
            throw IoError(os_error(path + ": writing the store file", err), err);
        }
        p += w, n -= uint64_t(w), off += uint64_t(w);
    }
}

// The temporary file of a build (path + ".tmp-<pid>-<n>"): removed unless
// committed, which renames it over `path`.
class TempFile {
public:
    explicit TempFile(const std::string& path) : path_(path) {
        static std::atomic<uint64_t> serial{0};
        tmp_ = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
        fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ < 0) {
            int err = errno;
            throw IoError(os_error(path + ": cannot create the store file", err), err);
        }
    }
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
    }
    int fd() const { return fd_; }

    // Sets the length (the data may end in a hole), syncs, renames into place.
    void commit(uint64_t length) {
        if (::ftruncate(fd_, off_t(length)) != 0 || ::fdatasync(fd_) != 0) fail("writing the store file");
        if (::rename(tmp_.c_str(), path_.c_str()) != 0) fail("cannot put the store file in place");
        tmp_.clear();
    }

private:
    [[noreturn]] void fail(const char* what) const {
        int err = errno;
        throw IoError(os_error(path_ + ": " + what, err), err);
    }
    std::string path_, tmp_;
    int fd_ = -1;
};

// Identity, meta table and meta bytes (the source's bytes outside its data
// blocks), as they follow the header; `count`: the meta ranges.
std::vector<uint8_t> meta_section(const BbiFile& file, const std::string& identity, uint64_t* count) {
    const uint64_t src_size = file.source().size();
    auto [lo, hi] = file.data_extent();
    ByteRanges ranges;
    if (lo < hi) {
        if (lo) ranges.emplace_back(0, lo);
        if (hi < src_size) ranges.emplace_back(hi, src_size - hi);
    } else {
        ranges.emplace_back(0, src_size);
    }
    uint64_t at = identity.size() + uint64_t(kStoreMetaSize) * ranges.size(), bytes = 0;
    for (auto& r : ranges) bytes += r.second;
    std::vector<uint8_t> out(at + bytes);
    std::memcpy(out.data(), identity.data(), identity.size());
    for (size_t i = 0; i < ranges.size(); ++i) {
        uint8_t* e = out.data() + identity.size() + kStoreMetaSize * i;
        put<uint64_t>(e, ranges[i].first);
        put<uint64_t>(e + 8, ranges[i].second);
        put<uint64_t>(e + 16, kStoreHeaderSize + at);  // from the start of the file
        file.source().read(ranges[i].first, ranges[i].second, out.data() + at, "store meta");
        at += ranges[i].second;
    }
    *count = ranges.size();
    return out;
}

// Inflates `blocks` kBuildStep at a time on `pool` and writes them in order
// from data_off, filling their index entries: a writer thread writes one
// step (and starts its writeback) while the pool inflates the next, so a
// build takes about the longer of the two, not their sum. Returns the
// decoded bytes.
uint64_t write_blocks(const BbiFile& file, ThreadPool& pool, const ByteRanges& blocks, int fd, uint64_t data_off,
                      const std::string& path, std::vector<uint8_t>& index) {
    struct Step {
        std::vector<ByteBuffer> buf;
        std::vector<uint64_t> size;
        std::vector<uint32_t> crc, flags;
    };
    const bool swap = file.header().swap, bed = file.bigbed();
    const size_t width = std::min(kBuildStep, blocks.size());
    Step steps[2];
    for (Step& st : steps) st.buf.resize(width), st.size.resize(width), st.crc.resize(width), st.flags.resize(width);
    uint64_t data_bytes = 0;
    std::thread writer;
    std::exception_ptr failed;
    auto write_step = [&](const Step& st, size_t first, size_t n) {
        try {
            const uint64_t from = data_bytes;
            for (size_t k = 0; k < n; ++k) {
                uint8_t* e = index.data() + uint64_t(kStoreBlockSize) * (first + k);
                put<uint64_t>(e, blocks[first + k].first);
                put<uint64_t>(e + 8, blocks[first + k].second);
                put<uint64_t>(e + 16, data_bytes);
                put<uint32_t>(e + 24, uint32_t(st.size[k]));
                put<uint32_t>(e + 28, st.crc[k]);
                put<uint32_t>(e + 32, st.flags[k]);
                put<uint32_t>(e + 36, 0);
                write_all(fd, st.buf[k].data(), st.size[k], data_off + data_bytes, path);
                data_bytes += st.size[k];
            }
#ifdef SYNC_FILE_RANGE_WRITE
            // Start writing this step to the disk now, not all at the final sync.
            ::sync_file_range(fd, off_t(data_off + from), off_t(data_bytes - from), SYNC_FILE_RANGE_WRITE);
#endif
        } catch (...) {
            failed = std::current_exception();
        }
    };
    auto join = [&] {
        if (writer.joinable()) writer.join();
        if (failed) std::rethrow_exception(failed);
    };
    try {
        for (size_t first = 0, s = 0; first < blocks.size(); first += kBuildStep, s ^= 1) {
            const size_t n = std::min(kBuildStep, blocks.size() - first);
            Step& st = steps[s];  // the writer holds the other one
            pool.parallel_for(n, [&](size_t k) {
                thread_local ByteBuffer raw;
                uint64_t got = file.load_block(blocks[first + k].first, blocks[first + k].second, raw, st.buf[k]);
                st.size[k] = got;
                st.crc[k] = crc(st.buf[k].data(), got);
                st.flags[k] = !bed && block_sorted(st.buf[k].data(), got, swap) ? kStoreBlockSorted : 0;
            });
            join();
            writer = std::thread(write_step, std::cref(st), first, n);
        }
        join();
    } catch (...) {
        if (writer.joinable()) writer.join();
        throw;
    }
    return data_bytes;
}

}  // namespace

void build_store(const BbiFile& file, ThreadPool& pool, const std::string& path, const std::string& identity) {
    check_path(path);
    TempFile tmp(path);
    uint64_t meta_count;
    const std::vector<uint8_t> meta = meta_section(file, identity, &meta_count);
    const ByteRanges blocks = file.data_blocks();
    const uint64_t index_off = kStoreHeaderSize + meta.size();
    const uint64_t data_off = align_up(index_off + uint64_t(kStoreBlockSize) * blocks.size(), kStoreAlign);
    write_all(tmp.fd(), meta.data(), meta.size(), kStoreHeaderSize, path);
    std::vector<uint8_t> index(uint64_t(kStoreBlockSize) * blocks.size());
    const uint64_t data_bytes = write_blocks(file, pool, blocks, tmp.fd(), data_off, path, index);
    write_all(tmp.fd(), index.data(), index.size(), index_off, path);

    uint8_t h[kStoreHeaderSize] = {};
    std::memcpy(h, kStoreMagic, 8);
    put<uint32_t>(h + kHVersion, kStoreVersion);
    put<uint32_t>(h + kHHeaderSize, kStoreHeaderSize);
    put<uint64_t>(h + kHIdentityOff, kStoreHeaderSize);
    put<uint64_t>(h + kHIdentityLen, identity.size());
    put<uint64_t>(h + kHMetaOff, kStoreHeaderSize + identity.size());
    put<uint64_t>(h + kHMetaCount, meta_count);
    put<uint64_t>(h + kHIndexOff, index_off);
    put<uint64_t>(h + kHBlockCount, blocks.size());
    put<uint64_t>(h + kHDataOff, data_off);
    put<uint64_t>(h + kHDataBytes, data_bytes);
    put<uint64_t>(h + kHFileBytes, data_off + data_bytes);
    put<uint64_t>(h + kHSourceSize, file.source().size());
    put<uint32_t>(h + kHMetaCrc, crc(meta.data(), meta.size()));
    put<uint32_t>(h + kHIndexCrc, crc(index.data(), index.size()));
    put<uint32_t>(h + kHHeaderCrc, crc(h, kHHeaderCrc));
    write_all(tmp.fd(), h, kStoreHeaderSize, 0, path);
    tmp.commit(data_off + data_bytes);
}

MappedStore::MappedStore(const std::string& path) : path_(path) {
    check_path(path);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        throw IoError(os_error(path, err), err);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        throw IoError(os_error(path, err), err);
    }
    size_ = uint64_t(st.st_size);
    auto bad = [&](const std::string& what) { return FormatError(path + ": store file " + what); };
    if (size_ < kStoreHeaderSize) {
        ::close(fd);
        throw bad("is truncated (" + std::to_string(size_) + " bytes)");
    }
    // MAP_POPULATE: the page tables filled now (and the file read, where it
    // is not in the page cache), so a new process's first batch runs at the
    // speed of the next ones instead of taking a page fault per block.
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    int err = errno;
    ::close(fd);  // the mapping keeps the file
    if (m == MAP_FAILED) throw IoError(os_error(path + ": cannot map the store file", err), err);
    base_ = static_cast<const uint8_t*>(m);
    try {
        const uint8_t* h = base_;
        if (std::memcmp(h, kStoreMagic, 8) != 0) throw bad("has no store magic number");
        if (get<uint32_t>(h + kHVersion) != kStoreVersion)
            throw bad("is version " + std::to_string(get<uint32_t>(h + kHVersion)) + "; this bwl reads version " +
                      std::to_string(kStoreVersion));
        if (get<uint32_t>(h + kHHeaderCrc) != crc(h, kHHeaderCrc)) throw bad("header fails its CRC");
        const uint64_t id_off = get<uint64_t>(h + kHIdentityOff), id_len = get<uint64_t>(h + kHIdentityLen);
        const uint64_t meta_off = get<uint64_t>(h + kHMetaOff), meta_n = get<uint64_t>(h + kHMetaCount);
        const uint64_t index_off = get<uint64_t>(h + kHIndexOff), nblocks = get<uint64_t>(h + kHBlockCount);
        const uint64_t data_off = get<uint64_t>(h + kHDataOff);
        data_bytes_ = get<uint64_t>(h + kHDataBytes);
        source_size_ = get<uint64_t>(h + kHSourceSize);
        if (get<uint64_t>(h + kHFileBytes) != size_)
            throw bad("is " + std::to_string(size_) + " bytes, its header says " +
                      std::to_string(get<uint64_t>(h + kHFileBytes)) + " (truncated or appended to)");
        // Sections in order, each inside the file (the header's CRC holds, so
        // only a bwl that wrote nonsense gets here; checked all the same).
        if (id_off != kStoreHeaderSize || id_len > size_ || meta_off != id_off + id_len ||
            meta_n > (size_ - meta_off) / kStoreMetaSize || index_off < meta_off + meta_n * kStoreMetaSize ||
            index_off > size_ || nblocks > (size_ - index_off) / kStoreBlockSize ||
            data_off < index_off + nblocks * kStoreBlockSize || data_off > size_ || data_bytes_ != size_ - data_off)
            throw bad("has sections out of place");
        if (get<uint32_t>(h + kHMetaCrc) != crc(base_ + id_off, index_off - id_off)) throw bad("meta fails its CRC");
        if (get<uint32_t>(h + kHIndexCrc) != crc(base_ + index_off, nblocks * kStoreBlockSize))
            throw bad("index fails its CRC");
        identity_.assign(reinterpret_cast<const char*>(base_ + id_off), id_len);
        for (uint64_t i = 0; i < meta_n; ++i) {
            const uint8_t* e = base_ + meta_off + kStoreMetaSize * i;
            Meta mr{get<uint64_t>(e), get<uint64_t>(e + 8), get<uint64_t>(e + 16)};
            if (mr.at < meta_off || mr.at > index_off || mr.length > index_off - mr.at || mr.offset > source_size_ ||
                mr.length > source_size_ - mr.offset)
                throw bad("meta range " + std::to_string(i) + " is out of bounds");
            meta_.push_back(mr);
        }
        std::sort(meta_.begin(), meta_.end(), [](const Meta& a, const Meta& b) { return a.offset < b.offset; });
        blocks_.reserve(nblocks);
        for (uint64_t i = 0; i < nblocks; ++i) {
            const uint8_t* e = base_ + index_off + kStoreBlockSize * i;
            uint64_t at = get<uint64_t>(e + 16), dsize = get<uint32_t>(e + 24);
            if (at > data_bytes_ || dsize > data_bytes_ - at)
                throw bad("block " + std::to_string(i) + " is out of bounds");
            StoreBlock b{get<uint64_t>(e),      get<uint64_t>(e + 8),
                         base_ + data_off + at, dsize,
                         get<uint32_t>(e + 28), (get<uint32_t>(e + 32) & kStoreBlockSorted) != 0};
            if (i && std::make_pair(b.offset, b.size) <= std::make_pair(blocks_.back().offset, blocks_.back().size))
                throw bad("index is not sorted");
            blocks_.push_back(b);
        }
    } catch (...) {
        ::munmap(const_cast<uint8_t*>(base_), size_);
        throw;
    }
#ifdef MADV_HUGEPAGE
    // A hint (file-backed huge pages need tmpfs with huge= or a kernel that
    // collapses read-only file pages): batches read blocks at random.
    ::madvise(const_cast<uint8_t*>(base_), size_, MADV_HUGEPAGE);
#endif
}

MappedStore::~MappedStore() { ::munmap(const_cast<uint8_t*>(base_), size_); }

std::vector<size_t> MappedStore::verify_data() const {
    std::vector<size_t> bad;
    for (size_t i = 0; i < blocks_.size(); ++i)
        if (crc(blocks_[i].data, blocks_[i].dsize) != blocks_[i].crc) bad.push_back(i);
    return bad;
}

bool MappedStore::read_meta(uint64_t off, uint64_t n, void* dst) const {
    auto* out = static_cast<uint8_t*>(dst);
    while (n) {
        // The range holding `off`: the last that starts at or before it.
        auto it =
            std::upper_bound(meta_.begin(), meta_.end(), off, [](uint64_t v, const Meta& m) { return v < m.offset; });
        if (it == meta_.begin()) return false;
        --it;
        if (off >= it->offset + it->length) return false;
        uint64_t k = std::min(n, it->offset + it->length - off);
        std::memcpy(out, base_ + it->at + (off - it->offset), k);
        out += k, off += k, n -= k;
    }
    return true;
}

void StoreMetaReader::read(uint64_t off, uint64_t n, void* dst) {
    if (!store_->read_meta(off, n, dst))
        throw RemoteIoError(store_->path() + ": bytes " + std::to_string(off) + "-" + std::to_string(off + n) +
                            " of the track are not in its store file (a data block is read from the store's "
                            "decoded blocks)");
}

}  // namespace bwl
