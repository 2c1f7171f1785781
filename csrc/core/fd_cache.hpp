// A process-wide LRU of open file descriptors. A Collection may hold
// thousands of files; the OS may allow fewer descriptors, so files keep a
// path and borrow a descriptor per read, reopening if it was evicted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bwl {

class FdCache {
public:
    static FdCache& global();

    // Most descriptors kept open at once (>= 4). Default: half the soft
    // RLIMIT_NOFILE, at most 4096.
    void set_limit(size_t n);
    size_t limit() const { return limit_; }
    size_t open_count();

    // Registers `key` with an already open descriptor (from the open-time
    // checks), so the first read needs no reopen.
    void adopt(const void* key, int fd);
    // An open descriptor for `key`, reopening `path` if it was evicted (and
    // checking the file still has `size` bytes). Pair with release().
    int acquire(const void* key, const std::string& path, uint64_t size);
    void release(const void* key);
    // Closes and drops `key`'s descriptor (when no read holds it).
    void forget(const void* key);

private:
    FdCache();
    struct Entry {
        const void* key;
        int fd;
        int users;
    };
    void evict_locked();

    std::mutex mu_;
    size_t limit_;
    std::list<Entry> lru_;  // front = most recently used
    std::unordered_map<const void*, std::list<Entry>::iterator> map_;
};

// RAII borrow of a descriptor.
class FdLease {
public:
    FdLease(const void* key, const std::string& path, uint64_t size)
        : key_(key), fd_(FdCache::global().acquire(key, path, size)) {}
    ~FdLease() { FdCache::global().release(key_); }
    FdLease(const FdLease&) = delete;
    FdLease& operator=(const FdLease&) = delete;
    int fd() const { return fd_; }

private:
    const void* key_;
    int fd_;
};

}  // namespace bwl
