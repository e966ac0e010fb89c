#pragma once
// A bounded asynchronous log sink: the io thread hands a line over and goes on; one worker
// thread does the (possibly slow, possibly blocking) writing to stderr, journald's pipe or a file.
//
// Bound: at most `capacity` lines wait (a constructor argument). When the queue is full the new
// line is DROPPED and counted, never waited for; the next line written after the drop is
// preceded by a line "N log lines dropped (log queue full)", so a gap in the log is never silent.
// push() holds a mutex only to move the line into its slot: it never waits for the writer.
// stop() (and the destructor) writes every line still queued, then joins the worker.

#include <gw/policy/audit_event.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace gw::gateway {

/// One line, stamped when it was pushed (not when the worker got round to writing it).
struct log_record {
    policy::event_severity severity = policy::event_severity::info;
    std::chrono::system_clock::time_point time{};
    std::string text;
};

class log_sink {
public:
    /// Runs on the worker thread only, one record at a time; must not throw.
    using writer = std::function<void(const log_record&)>;

    log_sink(std::size_t capacity, writer write)
        : slots_(capacity > 0 ? capacity : 1), write_{std::move(write)} {
        worker_ = std::thread{[this] { run(); }};
    }
    log_sink(const log_sink&) = delete;
    log_sink& operator=(const log_sink&) = delete;
    ~log_sink() { stop(); }

    /// Queues a line; returns false if the queue was full and the line was dropped (counted).
    /// Thread-safe; never blocks on the writer.
    bool push(policy::event_severity severity, std::string text) {
        log_record record{severity, std::chrono::system_clock::now(), std::move(text)};
        {
            const std::lock_guard lock{mutex_};
            if (stopping_ || size_ == slots_.size()) {
                ++dropped_pending_;
                dropped_.fetch_add(1, std::memory_order_relaxed);
                return false;
            }
            auto& next = slots_[(first_ + size_) % slots_.size()];
            next.record = std::move(record);
            next.dropped_before = std::exchange(dropped_pending_, 0);
            ++size_;
            ++pushed_;
        }
        wake_.notify_one();
        return true;
    }

    /// Waits until every line pushed before the call is written. Blocks: for start-up (before
    /// "ready" is announced, so a reader finds the start-up lines) and tests, not for the io
    /// thread while it serves.
    void flush() {
        std::unique_lock lock{mutex_};
        const auto target = pushed_;
        flushed_.wait(lock, [&] { return done_ >= target || finished_; });
    }

    /// Writes what is queued, then ends the worker. Lines pushed afterwards are dropped (and
    /// counted). Not from the writer itself.
    void stop() {
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        const std::lock_guard lock{join_mutex_};
        if (worker_.joinable()) worker_.join();
    }

    std::size_t capacity() const noexcept { return slots_.size(); }
    /// Lines handed to the writer (drop notices included).
    std::uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }
    /// Lines refused because the queue was full (or the sink stopped).
    std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
    struct slot {
        log_record record;
        std::uint64_t dropped_before = 0;  ///< lines dropped just before this one was queued
    };

    void run() {
        for (;;) {
            slot taken;
            std::uint64_t trailing_drops = 0;
            bool have_line = false;
            {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, [this] { return size_ > 0 || dropped_pending_ > 0 || stopping_; });
                if (size_ > 0) {
                    taken = std::move(slots_[first_]);
                    first_ = (first_ + 1) % slots_.size();
                    --size_;
                    have_line = true;
                } else if (dropped_pending_ > 0) {
                    // Everything queued is written: report the drops now rather than with a
                    // line that may never come.
                    trailing_drops = std::exchange(dropped_pending_, 0);
                } else {
                    finished_ = true;  // stopping, and nothing is left
                    flushed_.notify_all();
                    return;
                }
            }
            if (have_line) {
                if (taken.dropped_before > 0) report_drops(taken.dropped_before);
                write(taken.record);
                {
                    const std::lock_guard lock{mutex_};
                    ++done_;
                }
                flushed_.notify_all();
            } else {
                report_drops(trailing_drops);
            }
        }
    }

    void report_drops(std::uint64_t n) {
        write({policy::event_severity::warning, std::chrono::system_clock::now(),
               std::to_string(n) + " log lines dropped (log queue full)"});
    }

    void write(const log_record& record) {
        if (write_) write_(record);
        written_.fetch_add(1, std::memory_order_relaxed);
    }

    std::mutex mutex_;  // guards the ring, dropped_pending_ and stopping_
    std::mutex join_mutex_;
    std::condition_variable wake_;     // the worker waits for lines
    std::condition_variable flushed_;  // flush() waits for the worker
    std::vector<slot> slots_;          // a ring: size_ slots from first_ are queued
    std::size_t first_ = 0;
    std::size_t size_ = 0;
    std::uint64_t dropped_pending_ = 0;  // drops not yet reported in the log
    std::uint64_t pushed_ = 0;           // lines accepted
    std::uint64_t done_ = 0;             // accepted lines written
    bool stopping_ = false;
    bool finished_ = false;  // the worker has ended
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> dropped_{0};
    writer write_;
    std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace gw::gateway
