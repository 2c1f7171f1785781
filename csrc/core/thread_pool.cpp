#include "bwl/thread_pool.hpp"

#include <atomic>
#include <exception>

namespace bwl {

struct ThreadPool::Job {
    size_t n;
    const std::function<void(size_t)>* fn;
    std::atomic<size_t> next{0};
    std::atomic<size_t> done{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex mu;
    std::condition_variable finished;

    // Claims indices until none are left; returns when this thread is done.
    void run() {
        size_t mine = 0;
        for (size_t i; (i = next.fetch_add(1)) < n; ++mine) {
            if (failed.load(std::memory_order_relaxed)) continue;
            try {
                (*fn)(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu);
                if (!failed.exchange(true)) error = std::current_exception();
            }
        }
        if (mine && done.fetch_add(mine) + mine == n) {
            std::lock_guard<std::mutex> lock(mu);
            finished.notify_all();
        }
    }
};

ThreadPool::ThreadPool(size_t threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::worker() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_ && queue_.empty()) return;
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job->run();
    }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    if (n == 0) return;
    auto job = std::make_shared<Job>();
    job->n = n;
    job->fn = &fn;
    size_t helpers = std::min(workers_.size(), n - 1);
    if (helpers) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            for (size_t i = 0; i < helpers; ++i) queue_.push_back(job);
        }
        cv_.notify_all();
    }
    job->run();
    {
        std::unique_lock<std::mutex> lock(job->mu);
        job->finished.wait(lock, [&] { return job->done.load() == n; });
    }
    if (job->error) std::rethrow_exception(job->error);
}

}  // namespace bwl
