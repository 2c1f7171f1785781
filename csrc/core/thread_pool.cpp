#include "core/thread_pool.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <string>
#include <system_error>
#if defined(__GLIBCXX__)
#include <cxxabi.h>
#endif

#include "bwl/error.hpp"

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
    // (UBSan's null check flags the catch of abi::__forced_unwind, which
    // has no object: the idiom libstdc++ itself uses.)
    [[gnu::no_sanitize("null")]] void run() {
        size_t mine = 0;
        for (size_t i; (i = next.fetch_add(1)) < n; ++mine) {
            if (failed.load(std::memory_order_relaxed)) continue;
            try {
                (*fn)(i);
#if defined(__GLIBCXX__)
            } catch (abi::__forced_unwind&) {
                // pthread_exit (Python ending a thread at exit) unwinds this
                // thread. fn lives in the caller's frames, which the other
                // threads may still be using: end the job (what is left is
                // skipped, an error for the caller) and wait for them before
                // the unwind goes on.
                abandon(mine + 1);
                throw;
#endif
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu);
                if (!failed.exchange(true)) error = std::current_exception();
            }
        }
        finish(mine);
    }

private:
    void finish(size_t count) {
        if (count && done.fetch_add(count) + count == n) {
            std::lock_guard<std::mutex> lock(mu);
            finished.notify_all();
        }
    }

    void abandon(size_t mine) {
        {
            std::lock_guard<std::mutex> lock(mu);
            if (!failed.exchange(true))
                error = std::make_exception_ptr(IoError("a thread was ended while the interpreter exits"));
        }
        while (next.fetch_add(1) < n) ++mine;  // claim the rest, so the count can reach n
        finish(mine);
        std::unique_lock<std::mutex> lock(mu);
        finished.wait(lock, [&] { return done.load() == n; });
    }
};

ThreadPool::ThreadPool(size_t threads) : st_(std::make_unique<State>()), owner_pid_(long(getpid())) {
    const bool automatic = threads == 0;
    if (automatic) threads = std::min<size_t>(kMaxThreads, std::max(1u, std::thread::hardware_concurrency()));
    if (threads > kMaxThreads)
        throw RangeError("threads=" + std::to_string(threads) + ": at most " + std::to_string(kMaxThreads));
    for (size_t i = 1; i < threads; ++i) {
        try {
            workers_.emplace_back(worker, st_.get());
        } catch (const std::system_error& e) {
            // The OS refused a thread (a task limit). Automatic sizing keeps
            // the threads it got; an explicit count is an error, after the
            // threads already started are stopped (destroying the queue they
            // wait on first would block forever).
            if (automatic) break;
            stop_workers();
            throw IoError("could not start thread " + std::to_string(i + 1) + " of threads=" + std::to_string(threads) +
                              " (" + e.code().message() + "); ask for fewer threads",
                          e.code().value() ? e.code().value() : EAGAIN);
        }
    }
}

ThreadPool::~ThreadPool() {
    if (long(getpid()) != owner_pid_) {
        // Forked child: the workers live only in the parent; joining them or
        // destroying what they wait on would block forever. Leak both.
        new std::vector<std::thread>(std::move(workers_));
        st_.release();
        return;
    }
    stop_workers();
}

void ThreadPool::stop_workers() {
    {
        std::lock_guard<std::mutex> lock(st_->mu);
        st_->stop = true;
    }
    st_->cv.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
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
