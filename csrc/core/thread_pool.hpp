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
    static constexpr size_t kMaxThreads = 1024;

    // threads = total parallelism including the caller, at most kMaxThreads
    // (RangeError); 0 = the hardware threads, or as many as the OS allows.
    // An explicit count the OS refuses is an IoError (nothing left running).
    explicit ThreadPool(size_t threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    size_t size() const { return workers_.size() + 1; }

    // Runs fn(i) for i in [0, n) across the pool and the caller; returns when
    // all are done. The first exception thrown by fn is rethrown here (the
    // remaining indices are skipped). In a process forked after the pool was
    // made (a DataLoader worker), the caller runs everything itself.
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

private:
    struct Job;
    // Queue state on the heap: a forked child must leak it, since the parent's
    // workers were waiting on its condition variable at fork time and
    // destroying it would wait for them forever.
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<std::shared_ptr<Job>> queue;
        bool stop = false;
    };
    static void worker(State* st);
    void stop_workers();  // stops and joins every worker

    std::vector<std::thread> workers_;
    std::unique_ptr<State> st_;
    long owner_pid_;  // a forked child has no workers: it runs jobs alone
};

}  // namespace bwl
