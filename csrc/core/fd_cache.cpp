#include "core/fd_cache.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bwl/error.hpp"

namespace bwl {

FdCache& FdCache::global() {
    static FdCache* c = new FdCache();  // never destroyed: files may outlive static teardown
    return *c;
}

FdCache::FdCache() {
    struct rlimit rl;
    size_t soft = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) soft = size_t(rl.rlim_cur);
    limit_ = std::clamp<size_t>(soft / 2, 4, 4096);
}

void FdCache::set_limit(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = std::max<size_t>(n, 4);
    evict_locked();
}

size_t FdCache::open_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return lru_.size();
}

void FdCache::evict_locked() {
    // Close least recently used descriptors that no read is using.
    for (auto it = lru_.end(); lru_.size() > limit_ && it != lru_.begin();) {
        --it;
        if (it->users == 0) {
            ::close(it->fd);
            map_.erase(it->key);
            it = lru_.erase(it);
        }
    }
}

void FdCache::adopt(const void* key, int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    lru_.push_front({key, fd, 0});
    map_[key] = lru_.begin();
    evict_locked();
}

int FdCache::acquire(const void* key, const std::string& path, uint64_t size) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = map_.find(key);
        if (it != map_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            ++it->second->users;
            return it->second->fd;
        }
    }
    // Reopen outside the lock: open() may be slow on network filesystems.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path + ": cannot reopen: " + std::strerror(errno), errno);
    struct stat st;
    if (::fstat(fd, &st) != 0 || uint64_t(st.st_size) != size) {
        ::close(fd);
        throw FormatError(path + ": file changed since it was opened (was " + std::to_string(size) + " bytes, now " +
                          std::to_string(uint64_t(st.st_size)) + ")");
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {  // another thread reopened it meanwhile
        ::close(fd);
        lru_.splice(lru_.begin(), lru_, it->second);
        ++it->second->users;
        return it->second->fd;
    }
    lru_.push_front({key, fd, 1});
    map_[key] = lru_.begin();
    evict_locked();
    return fd;
}

void FdCache::release(const void* key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) --it->second->users;
    evict_locked();
}

void FdCache::forget(const void* key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return;
    ::close(it->second->fd);
    lru_.erase(it->second);
    map_.erase(it);
}

}  // namespace bwl
