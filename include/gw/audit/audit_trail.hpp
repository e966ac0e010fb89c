#pragma once
// The audit trail: the io thread hands every audit event over (push: a copy into a bounded
// queue, never a wait), and one worker thread filters it ("Events Settings"), stamps and encodes
// it, appends it to the persistent store, looks for reconnaissance, and forwards it to syslog.
//
// Durability: security events (and errors) are appended durably (the store syncs before the
// worker takes the next event); the rest are synced in batches, at the latest after
// `batch_records` appends or as soon as the queue is empty, so an idle gateway holds nothing
// unsynced. The answer to the master is not held for the disk: holding the io thread for an
// fdatasync would let one slow disk stall every line (docs/audit.md, "Durability").
//
// Bounds and failures (IEC 62443-4-2 CR 2.9, CR 2.10):
// - The queue holds `queue_capacity` events. When full, the new event is dropped and counted;
//   the next event recorded is preceded by an audit_events_dropped event with the count.
// - A store that fails (disk full, read-only, I/O error) does not stop the gateway: the trail
//   raises audit_storage_failed once (to the text log and syslog, which do not need the disk),
//   counts every record it could not write, and records audit_storage_recovered when the store
//   takes records again. A full store that stops recording raises audit_full once.
// - syslog gets every event the filter keeps, stored or not (it is the alarm path).

#include <gw/audit/event_codec.hpp>
#include <gw/audit/event_filter.hpp>
#include <gw/audit/reconnaissance.hpp>
#include <gw/policy/audit_event.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace gw::audit {

/// What a store answered to one append.
struct append_outcome {
    enum class status : std::uint8_t { ok, full, io_error };
    status result = status::ok;
    std::uint64_t seq = 0;         ///< the record's sequence number (ok)
    bool crossed_warning = false;  ///< this append took the fill level over the warning level
    std::string error;             ///< io_error: what failed (with errno's text)
};

/// The trail's view of the persistent store (audit_store_sink adapts gw::audit::store), so that
/// the trail's rules can be read without the file format.
class record_sink {
public:
    virtual ~record_sink() = default;
    virtual append_outcome append(std::span<const std::byte> payload, bool durable) = 0;
    /// Makes every batched append durable; returns the error ("" on success).
    virtual std::string sync() = 0;
    /// Records held and the capacity.
    virtual std::pair<std::uint64_t, std::uint64_t> fill() const = 0;
};

struct trail_settings {
    event_filter filter{};
    std::size_t queue_capacity = 4096;
    std::size_t batch_records = 64;  ///< batched appends synced at the latest after this many
    bool durable_security = true;    ///< security events and errors synced one by one
    reconnaissance_settings reconnaissance{};
};

/// A snapshot of the trail's counters, for the status JSON.
struct trail_status {
    std::uint64_t recorded = 0;        ///< records the store took
    std::uint64_t filtered = 0;        ///< events the filter did not keep
    std::uint64_t dropped = 0;         ///< events lost because the queue was full
    std::uint64_t not_stored = 0;      ///< kept events the store refused (full or failing)
    std::uint64_t storage_errors = 0;  ///< failed appends and syncs
    bool storage_ok = true;
    std::uint64_t last_seq = 0;
    std::uint64_t held = 0;
    std::uint64_t capacity = 0;
    std::string last_error;
};

class audit_trail {
public:
    /// Runs on the worker for every kept event, stored or not (seq 0 when not stored): syslog.
    using forward_fn = std::function<void(std::uint64_t seq, const recorded_event&)>;
    /// Runs on the worker for the trail's own alarms (storage failed, full): the text log.
    using alarm_fn = std::function<void(policy::event_severity, std::string_view)>;

    audit_trail(record_sink& store, trail_settings settings, forward_fn forward, alarm_fn alarm)
        : store_{store}
        , settings_{settings}
        , slots_(settings.queue_capacity > 0 ? settings.queue_capacity : 1)
        , forward_{std::move(forward)}
        , alarm_{std::move(alarm)}
        , recon_{settings.reconnaissance} {
        worker_ = std::thread{[this] { run(); }};
    }
    audit_trail(const audit_trail&) = delete;
    audit_trail& operator=(const audit_trail&) = delete;
    ~audit_trail() { stop(); }

    /// Queues an event (any thread; the io thread's only cost is this copy). False when the
    /// queue was full: the event is dropped and counted (see above).
    bool push(const policy::audit_event& e, std::string_view source) noexcept {
        item x;
        x.r.event = e;
        x.r.utc_us = utc_now_us();
        x.r.monotonic_us = e.time.count();
        (void)x.r.source.assign(source.substr(0, source_name::capacity()));
        {
            const std::lock_guard lock{mutex_};
            if (stopping_ || size_ == slots_.size()) {
                ++dropped_pending_;
                dropped_.fetch_add(1, std::memory_order_relaxed);
                return false;
            }
            x.dropped_before = std::exchange(dropped_pending_, 0);
            slots_[(first_ + size_) % slots_.size()] = x;
            ++size_;
            ++pushed_;
        }
        wake_.notify_one();
        return true;
    }

    /// Waits until every event pushed before the call is stored (and synced). Blocks: for
    /// start-up, stop and tests, never the io thread while it serves.
    void flush() {
        std::unique_lock lock{mutex_};
        const auto target = pushed_;
        done_cv_.wait(lock, [&] { return done_ >= target || finished_; });
    }

    /// Records what is queued, syncs, ends the worker.
    void stop() {
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        const std::lock_guard lock{join_mutex_};
        if (worker_.joinable()) worker_.join();
    }

    trail_status status() const {
        trail_status s;
        s.recorded = recorded_.load(std::memory_order_relaxed);
        s.filtered = filtered_.load(std::memory_order_relaxed);
        s.dropped = dropped_.load(std::memory_order_relaxed);
        s.not_stored = not_stored_.load(std::memory_order_relaxed);
        s.storage_errors = storage_errors_.load(std::memory_order_relaxed);
        s.storage_ok = !storage_failed_.load(std::memory_order_relaxed);
        s.last_seq = last_seq_.load(std::memory_order_relaxed);
        s.held = held_.load(std::memory_order_relaxed);
        s.capacity = capacity_.load(std::memory_order_relaxed);
        const std::lock_guard lock{error_mutex_};
        s.last_error = last_error_;
        return s;
    }

    /// Records an event the trail itself raises (from the worker, or before start-up is over:
    /// e.g. what the store's recovery found). Same path as push().
    bool raise(policy::event_kind kind, policy::event_severity severity, std::string_view detail,
               policy::event_outcome outcome = policy::event_outcome::failed) {
        return push(own_event(kind, severity, detail, outcome), {});
    }

private:
    struct item {
        recorded_event r;
        std::uint64_t dropped_before = 0;
    };

    static std::int64_t utc_now_us() noexcept {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    static policy::audit_event own_event(policy::event_kind kind, policy::event_severity severity,
                                         std::string_view detail,
                                         policy::event_outcome outcome) noexcept {
        policy::audit_event e;
        // The gateway's clock (gateway/steady_clock.hpp): steady, in microseconds.
        e.time = std::chrono::duration_cast<timestamp>(
            std::chrono::steady_clock::now().time_since_epoch());
        e.kind = kind;
        e.category = policy::event_category::system;
        e.severity = severity;
        e.outcome = outcome;
        policy::set_detail(e.detail, detail);
        return e;
    }

    void run() {
        std::vector<item> batch;
        batch.reserve(slots_.size());
        for (;;) {
            bool stop_now = false;
            {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, [this] { return size_ > 0 || stopping_; });
                while (size_ > 0) {
                    batch.push_back(slots_[first_]);
                    first_ = (first_ + 1) % slots_.size();
                    --size_;
                }
                stop_now = stopping_ && batch.empty();
            }
            for (const auto& x : batch) {
                if (x.dropped_before > 0) {
                    auto d = own_event(policy::event_kind::audit_events_dropped,
                                       policy::event_severity::warning, "the audit queue was full",
                                       policy::event_outcome::failed);
                    d.repeats = static_cast<std::uint32_t>(x.dropped_before);
                    handle(stamped(d));
                }
                handle(x.r);
            }
            // The queue is empty (for now): nothing stays unsynced while the gateway is idle.
            if (unsynced_ > 0) sync();
            {
                const std::lock_guard lock{mutex_};
                done_ += batch.size();
                if (stop_now) finished_ = true;
            }
            done_cv_.notify_all();
            batch.clear();
            if (stop_now) return;
        }
    }

    static recorded_event stamped(const policy::audit_event& e) noexcept {
        recorded_event r;
        r.event = e;
        r.utc_us = utc_now_us();
        r.monotonic_us = e.time.count();
        return r;
    }

    void handle(const recorded_event& r) {
        const auto suspicion = recon_.observe(r.event, r.monotonic_us);
        if (settings_.filter.keeps(r.event)) {
            record(r);
        } else {
            filtered_.fetch_add(1, std::memory_order_relaxed);
        }
        if (suspicion) {
            auto s = stamped(*suspicion);
            s.source = r.source;
            record(s);  // security, warning: never filtered (event_filter::refusal)
        }
    }

    void record(const recorded_event& r) {
        std::array<std::byte, max_event_payload> payload{};
        const auto n = encode_event(r, payload);
        const bool durable =
            settings_.durable_security && (r.event.category == policy::event_category::security ||
                                           r.event.severity == policy::event_severity::error);
        auto out = store_.append(std::span<const std::byte>{payload}.first(n), durable);
        std::uint64_t seq = 0;
        switch (out.result) {
            case append_outcome::status::ok:
                seq = out.seq;
                recorded_.fetch_add(1, std::memory_order_relaxed);
                last_seq_.store(seq, std::memory_order_relaxed);
                if (!durable && ++unsynced_ >= settings_.batch_records) sync();
                update_fill();
                full_reported_ = false;
                if (storage_failed_.load(std::memory_order_relaxed)) {
                    storage_failed_.store(false, std::memory_order_relaxed);
                    record(stamped(own_event(
                        policy::event_kind::audit_storage_recovered, policy::event_severity::notice,
                        "the audit store takes records again", policy::event_outcome::success)));
                }
                if (out.crossed_warning) {
                    const auto [held, capacity] = store_.fill();
                    record(stamped(own_event(
                        policy::event_kind::audit_nearly_full, policy::event_severity::warning,
                        std::to_string(held) + " of " + std::to_string(capacity) + " records",
                        policy::event_outcome::success)));
                }
                break;
            case append_outcome::status::full:
                not_stored_.fetch_add(1, std::memory_order_relaxed);
                if (!full_reported_) {
                    full_reported_ = true;
                    alarm(own_event(policy::event_kind::audit_full, policy::event_severity::error,
                                    "the audit store is full and stops recording "
                                    "(audit.when_full: stop)",
                                    policy::event_outcome::failed));
                }
                break;
            case append_outcome::status::io_error:
                not_stored_.fetch_add(1, std::memory_order_relaxed);
                failed(out.error);
                break;
        }
        if (forward_) forward_(seq, r);
    }

    void sync() {
        unsynced_ = 0;
        if (auto error = store_.sync(); !error.empty()) failed(error);
    }

    void failed(const std::string& error) {
        storage_errors_.fetch_add(1, std::memory_order_relaxed);
        {
            const std::lock_guard lock{error_mutex_};
            last_error_ = error;
        }
        if (storage_failed_.exchange(true, std::memory_order_relaxed)) return;
        alarm(own_event(policy::event_kind::audit_storage_failed, policy::event_severity::error,
                        error, policy::event_outcome::failed));
    }

    /// An event about the store itself, which the store cannot take: the log and syslog.
    void alarm(const policy::audit_event& e) {
        const auto r = stamped(e);
        if (alarm_) {
            std::string line{"audit: "};
            line += to_string(e.kind);
            line += ": ";
            line += e.detail.view();
            alarm_(e.severity, line);
        }
        if (forward_) forward_(0, r);
    }

    void update_fill() {
        const auto [held, capacity] = store_.fill();
        held_.store(held, std::memory_order_relaxed);
        capacity_.store(capacity, std::memory_order_relaxed);
    }

    record_sink& store_;
    const trail_settings settings_;

    std::mutex mutex_;  // guards the ring and the counts below it
    std::mutex join_mutex_;
    std::condition_variable wake_;
    std::condition_variable done_cv_;
    std::vector<item> slots_;
    std::size_t first_ = 0;
    std::size_t size_ = 0;
    std::uint64_t dropped_pending_ = 0;
    std::uint64_t pushed_ = 0;
    std::uint64_t done_ = 0;
    bool stopping_ = false;
    bool finished_ = false;

    // The worker's own state.
    forward_fn forward_;
    alarm_fn alarm_;
    reconnaissance_detector recon_;
    std::size_t unsynced_ = 0;
    bool full_reported_ = false;

    std::atomic<std::uint64_t> recorded_{0};
    std::atomic<std::uint64_t> filtered_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> not_stored_{0};
    std::atomic<std::uint64_t> storage_errors_{0};
    std::atomic<std::uint64_t> last_seq_{0};
    std::atomic<std::uint64_t> held_{0};
    std::atomic<std::uint64_t> capacity_{0};
    std::atomic<bool> storage_failed_{false};
    mutable std::mutex error_mutex_;
    std::string last_error_;

    std::thread worker_;  // last: starts after everything it uses exists
};

}  // namespace gw::audit
