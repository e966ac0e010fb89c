#pragma once
// The one worker thread that runs the management plane's blocking jobs (password hashing, a
// few hundred milliseconds each) off the io thread. Bounded: when `capacity` jobs already wait,
// try_post() refuses and the caller answers "busy" (HTTP 503) at once, instead of queueing
// logins nobody will wait for. Jobs run one at a time, in the order posted.
//
// A job reports back by posting to the io context itself. A job that throws is counted and
// dropped: one bad request must not end the thread every login needs.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace gw::security {

class work_queue {
public:
    /// `capacity`: jobs waiting at most (the one running is not counted); 0 refuses every job.
    explicit work_queue(std::size_t capacity) : capacity_{capacity}, worker_{[this] { run(); }} {}

    work_queue(const work_queue&) = delete;
    work_queue& operator=(const work_queue&) = delete;

    /// stop(): what is queued still runs, then the thread is joined.
    ~work_queue() { stop(); }

    /// false, and nothing queued, when `capacity` jobs wait or the queue is stopped.
    bool try_post(std::function<void()> job) {
        if (!job) return false;
        {
            const std::lock_guard lock{mutex_};
            if (stopping_ || jobs_.size() >= capacity_) return false;
            jobs_.push_back(std::move(job));
        }
        wake_.notify_one();
        return true;
    }

    /// Refuses new jobs, runs those queued, joins the worker. Idempotent. Not from a job (the
    /// worker cannot join itself): there it only stops new jobs.
    void stop() {
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
    }

    /// Jobs waiting to start.
    std::size_t pending() const {
        const std::lock_guard lock{mutex_};
        return jobs_.size();
    }

    /// Jobs that ended with an exception.
    std::size_t failed() const {
        const std::lock_guard lock{mutex_};
        return failed_;
    }

private:
    void run() {
        std::unique_lock lock{mutex_};
        for (;;) {
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and drained
            bool threw = false;
            {
                auto job = std::move(jobs_.front());
                jobs_.pop_front();
                lock.unlock();
                try {
                    job();
                } catch (...) {
                    threw = true;
                }
            }  // the job's captures are destroyed unlocked: they may post again
            lock.lock();
            if (threw) ++failed_;
        }
    }

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::size_t capacity_;
    std::size_t failed_ = 0;
    bool stopping_ = false;
    std::thread worker_;  // last: starts once the members above exist
};

}  // namespace gw::security
