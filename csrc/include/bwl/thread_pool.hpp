// A fixed pool of worker threads with one primitive: parallel_for. The
// calling thread works too, so nested or concurrent calls from several user
// threads cannot deadlock waiting for a free worker.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace bwl {

class ThreadPool {
public:
    // threads = total parallelism including the caller; 0 = hardware threads.
    explicit ThreadPool(size_t threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    size_t size() const { return workers_.size() + 1; }

    // Runs fn(i) for i in [0, n) across the pool and the caller; returns when
    // all are done. The first exception thrown by fn is rethrown here (the
    // remaining indices are skipped).
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

private:
    struct Job;
    void worker();

    std::vector<std::thread> workers_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::shared_ptr<Job>> queue_;
    bool stop_ = false;
};

}  // namespace bwl
