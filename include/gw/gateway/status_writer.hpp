#pragma once
// Serialises and publishes gateway status snapshots on a worker thread, so that the io thread
// only copies counters (gateway::status()) and never formats JSON or waits for a disk.
//
// Bound: one snapshot in progress and at most ONE pending. A snapshot submitted while another is
// still pending replaces it (counted in superseded()): only the newest state matters, and a slow
// disk can never make snapshots pile up. stop() (and the destructor) publishes the pending one,
// then joins the worker.

#include <gw/gateway/gateway_status.hpp>
#include <gw/gateway/status_json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace gw::gateway {

class status_writer {
public:
    /// Runs on the worker thread with the snapshot as one line of JSON (status_json_text):
    /// typically logs it and writes it to the status file (write_file_atomically). Must not throw.
    using publish_function = std::function<void(const std::string& json)>;

    explicit status_writer(publish_function publish) : publish_{std::move(publish)} {
        worker_ = std::thread{[this] { run(); }};
    }
    status_writer(const status_writer&) = delete;
    status_writer& operator=(const status_writer&) = delete;
    ~status_writer() { stop(); }

    /// Hands a snapshot over; never waits for the one being written. Thread-safe.
    void submit(gateway_status snapshot) {
        {
            const std::lock_guard lock{mutex_};
            if (stopping_) return;
            if (pending_) ++superseded_;
            pending_ = std::move(snapshot);
        }
        wake_.notify_one();
    }

    /// Publishes the pending snapshot, if any, and ends the worker.
    void stop() {
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        const std::lock_guard lock{join_mutex_};
        if (worker_.joinable()) worker_.join();
    }

    std::uint64_t published() const {
        const std::lock_guard lock{mutex_};
        return published_;
    }
    /// Snapshots replaced by a newer one before they were written.
    std::uint64_t superseded() const {
        const std::lock_guard lock{mutex_};
        return superseded_;
    }

private:
    void run() {
        for (;;) {
            gateway_status snapshot;
            {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, [this] { return pending_.has_value() || stopping_; });
                if (!pending_) return;  // stopping, nothing left
                snapshot = std::move(*pending_);
                pending_.reset();
            }
            const auto json = status_json_text(snapshot);
            if (publish_) publish_(json);
            const std::lock_guard lock{mutex_};
            ++published_;
        }
    }

    mutable std::mutex mutex_;  // guards pending_, stopping_ and the counters
    std::mutex join_mutex_;
    std::condition_variable wake_;
    std::optional<gateway_status> pending_;
    bool stopping_ = false;
    std::uint64_t published_ = 0;
    std::uint64_t superseded_ = 0;
    publish_function publish_;
    std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace gw::gateway
