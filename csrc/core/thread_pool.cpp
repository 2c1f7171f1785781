#include "bwl/detail/thread_pool.hpp"

#include <unistd.h>

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

ThreadPool::ThreadPool(size_t threads) : st_(std::make_unique<State>()), owner_pid_(long(getpid())) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (size_t i = 1; i < threads; ++i) workers_.emplace_back(worker, st_.get());
}

ThreadPool::~ThreadPool() {
    if (long(getpid()) != owner_pid_) {
        // Forked child: the workers live only in the parent; joining them or
        // destroying what they wait on would block forever. Leak both.
        new std::vector<std::thread>(std::move(workers_));
        st_.release();
        return;
    }
    {
        std::lock_guard<std::mutex> lock(st_->mu);
        st_->stop = true;
    }
    st_->cv.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::worker(State* st) {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(st->mu);
            st->cv.wait(lock, [&] { return st->stop || !st->queue.empty(); });
            if (st->stop && st->queue.empty()) return;
            job = std::move(st->queue.front());
            st->queue.pop_front();
        }
        job->run();
    }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    if (n == 0) return;
    auto job = std::make_shared<Job>();
    job->n = n;
    job->fn = &fn;
    // After fork() the workers exist only in the parent; queueing for them
    // would leak jobs nobody takes.
    size_t helpers = long(getpid()) == owner_pid_ ? std::min(workers_.size(), n - 1) : 0;
    if (helpers) {
        {
            std::lock_guard<std::mutex> lock(st_->mu);
            for (size_t i = 0; i < helpers; ++i) st_->queue.push_back(job);
        }
        st_->cv.notify_all();
    }
    job->run();
    {
        std::unique_lock<std::mutex> lock(job->mu);
        job->finished.wait(lock, [&] { return job->done.load() == n; });
    }
    if (job->error) std::rethrow_exception(job->error);
}

}  // namespace bwl
