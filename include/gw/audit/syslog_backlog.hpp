#pragma once
// The messages one syslog server has not been sent yet, and the last ones it was sent, so that
// a lost TCP or TLS connection loses nothing (at-least-once). Plain data: no Asio.
//
// Three queues, oldest first: `replay` (written on the current connection, kept in case the
// server never read them: a write completes when the kernel took the bytes, and a receiver
// killed with data in its socket buffer loses it), `in_flight` (in the write being done) and
// `pending` (not written yet). After a lost connection, replay and in_flight go back to the
// front of pending, in order, and are written again on the next connection; the messages carry
// gw's sequence number, so the receiver can drop the duplicates.
//
// Bounds: at most `capacity` messages waiting (in flight + pending). A message that arrives when
// that is full pushes out the oldest pending one, which is counted as dropped unless it had
// already been written once (then it is a replay given up, not a loss). At most
// `replay_window` written messages are kept; the oldest is forgotten as a newer one is written.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace gw::audit {

class syslog_backlog {
public:
    struct entry {
        std::string bytes;  ///< what goes on the wire (framed for TCP/TLS)
        bool written_once = false;
    };

    syslog_backlog(std::size_t capacity, std::size_t replay_window) noexcept
        : capacity_{capacity == 0 ? 1 : capacity}, replay_window_{replay_window} {}

    /// Queues `bytes`; returns whether an older unsent message was dropped for it (or, when
    /// every waiting message is already in flight, this one).
    bool push(std::string bytes) {
        if (waiting() >= capacity_) {
            if (pending_.empty()) {
                ++dropped_;
                return true;
            }
            if (!pending_.front().written_once) ++dropped_;
            pending_.pop_front();
            pending_.push_back(entry{std::move(bytes), false});
            return true;
        }
        pending_.push_back(entry{std::move(bytes), false});
        return false;
    }

    /// Moves pending messages into the write, appending their bytes to `buffer`, until it holds
    /// `max_bytes` or `max_count` messages (at least one message if any is pending). Returns how
    /// many. Only one write at a time: call write_done() or connection_lost() first.
    std::size_t begin_write(std::string& buffer, std::size_t max_bytes, std::size_t max_count) {
        std::size_t n = 0;
        while (!pending_.empty() && n < max_count &&
               (n == 0 || buffer.size() + pending_.front().bytes.size() <= max_bytes)) {
            buffer += pending_.front().bytes;
            in_flight_.push_back(std::move(pending_.front()));
            pending_.pop_front();
            ++n;
        }
        return n;
    }

    /// The write of every in-flight message completed. Returns how many there were.
    std::size_t write_done() {
        const std::size_t n = in_flight_.size();
        while (!in_flight_.empty()) {
            in_flight_.front().written_once = true;
            if (replay_window_ > 0) replay_.push_back(std::move(in_flight_.front()));
            in_flight_.pop_front();
        }
        while (replay_.size() > replay_window_)
            replay_.pop_front();
        return n;
    }

    /// The connection is gone: what it may not have delivered is to be written again.
    void connection_lost() {
        while (!in_flight_.empty()) {
            pending_.push_front(std::move(in_flight_.back()));
            in_flight_.pop_back();
        }
        while (!replay_.empty()) {
            pending_.push_front(std::move(replay_.back()));
            replay_.pop_back();
        }
    }

    /// The message in flight could not be sent and is given up (a UDP datagram refused).
    void write_failed_drop() {
        dropped_ += in_flight_.size();
        in_flight_.clear();
    }

    std::size_t pending() const noexcept { return pending_.size(); }
    std::size_t in_flight() const noexcept { return in_flight_.size(); }
    std::size_t replay() const noexcept { return replay_.size(); }
    std::size_t waiting() const noexcept { return pending_.size() + in_flight_.size(); }
    std::uint64_t dropped() const noexcept { return dropped_; }
    std::size_t capacity() const noexcept { return capacity_; }
    const std::deque<entry>& pending_entries() const noexcept { return pending_; }

private:
    std::size_t capacity_;
    std::size_t replay_window_;
    std::deque<entry> replay_;
    std::deque<entry> in_flight_;
    std::deque<entry> pending_;
    std::uint64_t dropped_ = 0;
};

}  // namespace gw::audit
