#pragma once
// The transaction engine of one channel, sans-I/O. Exactly one transaction is on the bus at a
// time. The driver (Asio on Linux, a main loop on a microcontroller) moves bytes and time:
//
//   submit(...)            a validated request from a master: queued, or an exception to answer
//   next_transmit(now)     bytes to write now (empty: nothing to send yet)
//   on_transmitted(now)    the write finished: the response timeout starts
//   on_receive(bytes, now) bytes from the line; answers are delivered to the sink
//   on_timer(now)          time passed: timeouts, retries, silence framing, broadcast turnaround
//   deadline()             when on_timer is due next
//
// The sink receives `deliver(origin, response_pdu)` for every answer (device replies, and the
// gateway's own 0x0B when the device stays silent) and, if it has one,
// `on_channel_event(event, origin)` for every drop, retry and failure.

#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/core/function_code.hpp>
#include <gw/core/time.hpp>
#include <gw/router/channel_events.hpp>
#include <gw/router/channel_options.hpp>
#include <gw/router/request_queue.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw::router {

template <class S>
concept channel_sink = requires(S& s, const request_origin& origin,
                                std::span<const std::uint8_t> pdu) {
    s.deliver(origin, pdu);
};

template <std::size_t Slots = 256, std::size_t Masters = 64>
class channel {
public:
    using queue_type = request_queue<Slots, Masters>;

    explicit channel(const channel_options& options = {}) noexcept
        : options_{options}
        , queue_{options.queue_per_master}
        , rtu_rx_{pdu_direction::response, options.rtu_mode, options.timing}
        , ascii_rx_{options.ascii_char_timeout} {}

    const channel_options& options() const noexcept { return options_; }

    /// New options (a configuration reload) apply from the next transaction on.
    void set_options(const channel_options& options) noexcept {
        pending_options_ = options;
        if (state_ == state::idle) apply_pending_options();
    }

    /// Queues a validated request PDU for the real unit `target_unit` (0 = broadcast).
    /// Returns the exception to answer at once (0x06 when the master's queue is full), or nothing.
    std::optional<exception_code> submit(const request_origin& origin, priority_class priority,
                                         std::uint8_t target_unit,
                                         std::span<const std::uint8_t> pdu) noexcept {
        if (options_.coalesce_reads && target_unit != 0 && is_read_request(pdu)) {
            const std::uint16_t leader = queue_.find_queued([&](std::uint16_t i) {
                const auto& queued = queue_[i].adu;
                return queued.unit() == target_unit && std::ranges::equal(queued.pdu(), pdu);
            });
            if (leader != no_slot) {
                const std::uint16_t follower = queue_.allocate(origin.master);
                if (follower == no_slot) return refuse_busy();
                queue_[follower].origin = origin;
                // The follower carries its own copy of the request: if its leader's master goes
                // away, it is promoted and goes on the bus itself (found by fuzz/channel).
                queue_[follower].adu.assign_pdu(target_unit, pdu);
                queue_.attach_follower(leader, follower);
                ++counters_.requests;
                ++counters_.coalesced;
                return std::nullopt;
            }
        }
        const std::uint16_t index = queue_.allocate(origin.master);
        if (index == no_slot) return refuse_busy();
        auto& slot = queue_[index];
        slot.origin = origin;
        slot.adu.assign_pdu(target_unit, pdu);
        queue_.push(index, priority);
        ++counters_.requests;
        return std::nullopt;
    }

    /// The bytes to put on the line now, or an empty span (bus busy, inter-frame delay running,
    /// or nothing queued). The span stays valid until on_transmitted.
    std::span<const std::uint8_t> next_transmit(timestamp now) noexcept {
        if (state_ == state::idle) {
            if (now < bus_free_at_ || holding_for_priority(now)) return {};
            current_ = queue_.pop();
            if (current_ == no_slot) return {};
            attempts_ = 0;
            ++counters_.transactions;
            state_ = state::ready;
        }
        if (state_ != state::ready || now < bus_free_at_) return {};
        state_ = state::sending;
        ++attempts_;
        auto& adu = queue_[current_].adu;
        switch (options_.framing) {
            case channel_framing::rtu:
                return adu.as_rtu();
            case channel_framing::ascii:
                return std::span<const std::uint8_t>{tx_ascii_}.first(
                    encode_ascii(adu.unit(), adu.pdu(), tx_ascii_));
            case channel_framing::mbap:
                return adu.as_mbap(++transaction_id_);
        }
        return {};
    }

    /// The bytes from next_transmit are on their way: start the response timeout (or, for a
    /// broadcast, the turnaround delay).
    void on_transmitted(timestamp now) noexcept {
        if (state_ != state::sending) return;
        if (queue_[current_].adu.unit() == 0) {
            state_ = state::turnaround;
            deadline_ = now + options_.broadcast_turnaround;
            return;
        }
        state_ = state::awaiting;
        deadline_ = now + options_.response_timeout;
        rtu_rx_.reset();
        // The framer hunts for this reply only: noise that is not its start is skipped at once,
        // and a bogus header cannot hide it (codec/rtu_framer.hpp).
        const auto request = queue_[current_].adu.pdu();
        rtu_rx_.expect(queue_[current_].adu.unit(), request[0], expected_response_length(request));
        ascii_rx_.reset();
        mbap_rx_size_ = 0;
        corrupt_since_.reset();
    }

    /// Bytes from the line. Completes the transaction when they finish a valid reply.
    template <channel_sink S>
    void on_receive(std::span<const std::uint8_t> bytes, timestamp now, S& sink) noexcept {
        if (state_ != state::awaiting) {
            if (!bytes.empty()) {
                ++counters_.unexpected_bytes;
                report(sink, channel_event::unexpected_bytes, request_origin{});
            }
            return;
        }
        if (corrupt_since_ && !bytes.empty()) {
            corrupt_since_ = now;  // the silence that gives up on a corrupt reply starts again
        }
        switch (options_.framing) {
            case channel_framing::rtu:
                feed(rtu_rx_, bytes, now, sink);
                return;
            case channel_framing::ascii:
                feed(ascii_rx_, bytes, now, sink);
                return;
            case channel_framing::mbap:
                receive_mbap(bytes, now, sink);
                return;
        }
    }

    /// Time passed: completes silence-framed replies, times out, ends a broadcast turnaround.
    template <channel_sink S>
    void on_timer(timestamp now, S& sink) noexcept {
        if (state_ == state::awaiting) {
            if (options_.framing == channel_framing::rtu) {
                drain(rtu_rx_, now, sink);
            } else if (options_.framing == channel_framing::ascii) {
                drain(ascii_rx_, now, sink);
            }
            if (state_ == state::awaiting && corrupt_since_ && !candidate_held() &&
                now >= *corrupt_since_ + options_.timing.t3_5) {
                // A corrupt reply and t3.5 of silence after it, and nothing held that could still
                // become the reply: no good reply is coming.
                fail_attempt(now, sink);
            } else if (state_ == state::awaiting && now >= deadline_) {
                ++counters_.timeouts;
                report(sink, channel_event::timeout, queue_[current_].origin);
                fail_attempt(now, sink);
            }
        } else if (state_ == state::turnaround && now >= deadline_) {
            ++counters_.broadcasts;
            report(sink, channel_event::broadcast_sent, queue_[current_].origin);
            finish(now, {}, sink);
        }
    }

    /// When on_timer (or next_transmit, after an inter-frame delay) is due next.
    std::optional<timestamp> deadline() const noexcept {
        switch (state_) {
            case state::awaiting: {
                const auto framer_due =
                    options_.framing == channel_framing::rtu
                        ? rtu_rx_.deadline()
                        : (options_.framing == channel_framing::ascii ? ascii_rx_.deadline()
                                                                      : std::nullopt);
                auto due = framer_due ? std::min(*framer_due, deadline_) : deadline_;
                if (corrupt_since_ && !candidate_held()) {
                    due = std::min(due, *corrupt_since_ + options_.timing.t3_5);
                }
                return due;
            }
            case state::turnaround:
                return deadline_;
            case state::ready:
                return bus_free_at_;
            case state::idle:
                if (queue_.queued() == 0) return std::nullopt;
                if (queue_.queued(priority_class::high) == 0) {
                    return std::max(bus_free_at_, priority_hold_until_);
                }
                return bus_free_at_;
            case state::sending:
                return std::nullopt;
        }
        return std::nullopt;
    }

    /// A master disconnected: its queued requests are dropped, its in-flight one runs unanswered.
    std::size_t drop_master(master_id master) noexcept { return queue_.drop_master(master); }

    /// The line or connection failed, or the gateway stops: the transaction in flight is answered
    /// 0x0B (it may have reached the device, a write may have happened) and every queued request
    /// `queued_answer` (0x0B for a failed line; 0x06 "busy, try again" when it was never sent
    /// because the gateway stops), so no master waits for a timeout that cannot help.
    template <channel_sink S>
    void fail_all(timestamp now, S& sink,
                  exception_code queued_answer = exception_code::gateway_target_failed) noexcept {
        if (state_ != state::idle) {
            report(sink, channel_event::transport_failed, queue_[current_].origin);
            answer_exception(exception_code::gateway_target_failed, now, sink);
        }
        for (current_ = queue_.pop(); current_ != no_slot; current_ = queue_.pop()) {
            state_ = state::ready;
            answer_exception(queued_answer, now, sink);
        }
        bus_free_at_ = now;
        priority_hold_until_ = {};
    }

    /// The driver lost the line or connection (counted once per loss, not per failed request).
    void count_transport_failure() noexcept { ++counters_.transport_failures; }

    bool idle() const noexcept { return state_ == state::idle; }
    bool awaiting_reply() const noexcept { return state_ == state::awaiting; }
    std::size_t queue_depth() const noexcept { return queue_.queued(); }
    std::size_t held_by(master_id master) const noexcept { return queue_.held_by(master); }
    const channel_counters& counters() const noexcept { return counters_; }

private:
    enum class state : std::uint8_t { idle, ready, sending, awaiting, turnaround };

    template <class S>
    static void report(S& sink, channel_event event, const request_origin& origin) noexcept {
        if constexpr (requires { sink.on_channel_event(event, origin); }) {
            sink.on_channel_event(event, origin);
        }
    }

    /// The priority hold is running and only normal requests wait.
    bool holding_for_priority(timestamp now) const noexcept {
        return now < priority_hold_until_ && queue_.queued(priority_class::high) == 0;
    }

    std::optional<exception_code> refuse_busy() noexcept {
        ++counters_.busy_rejections;
        ++counters_
              .exceptions_by_code[static_cast<std::size_t>(exception_code::server_device_busy)];
        return exception_code::server_device_busy;
    }

    void apply_pending_options() noexcept {
        if (!pending_options_) return;
        options_ = *pending_options_;
        pending_options_.reset();
        queue_.set_per_master_limit(options_.queue_per_master);
        rtu_rx_ = rtu_framer{pdu_direction::response, options_.rtu_mode, options_.timing};
        ascii_rx_ = ascii_framer{options_.ascii_char_timeout};
    }

    /// The RTU framer holds what may be the start of the reply, which more bytes could complete.
    bool candidate_held() const noexcept {
        return options_.framing == channel_framing::rtu && rtu_rx_.holds_reply_start();
    }

    /// `noise`: the error was about bytes that could not have been the reply (line noise before
    /// it, see rtu_framer::reported_noise): counted, but it does not end the attempt early.
    template <class S>
    void on_framer_status(decode_status status, std::uint8_t unit,
                          std::span<const std::uint8_t> pdu, timestamp now, S& sink,
                          bool noise = false) noexcept {
        switch (status) {
            case decode_status::need_more:
                return;
            case decode_status::frame:
                check_reply(unit, pdu, now, sink);
                return;
            case decode_status::bad_crc:
            case decode_status::bad_lrc:
                ++counters_.crc_errors;
                report(sink, channel_event::bad_crc, queue_[current_].origin);
                if (!noise) corrupt_since_ = now;
                return;
            case decode_status::too_long:
            case decode_status::bad_char:
            case decode_status::timeout:
                ++counters_.invalid_responses;
                report(sink, channel_event::invalid_response, queue_[current_].origin);
                if (!noise) corrupt_since_ = now;
                return;
            case decode_status::bad_header:
                // MBAP: a TCP stream cannot resynchronise: the driver reconnects; the attempt
                // fails now (a retry goes out on the new connection).
                ++counters_.invalid_responses;
                report(sink, channel_event::invalid_response, queue_[current_].origin);
                report(sink, channel_event::framing_lost, queue_[current_].origin);
                fail_attempt(now, sink);
                return;
        }
    }

    /// Feeds a serial framer until it has nothing more to say: after an error it may already
    /// hold the good frame that followed the bad bytes, so it is asked again with the rest.
    template <class Framer, class S>
    void feed(Framer& framer, std::span<const std::uint8_t> bytes, timestamp now,
              S& sink) noexcept {
        for (;;) {
            const auto r = framer.put(bytes, now);
            bytes = bytes.subspan(r.consumed);
            bool noise = false;
            if constexpr (requires { framer.reported_noise(); }) noise = framer.reported_noise();
            on_framer_status(r.status, framer.unit(), framer.pdu(), now, sink, noise);
            if (state_ != state::awaiting) {
                if (!bytes.empty()) {
                    ++counters_.unexpected_bytes;
                    report(sink, channel_event::unexpected_bytes, request_origin{});
                }
                return;
            }
            if (r.status == decode_status::need_more) return;
        }
    }

    /// Polls a serial framer until it has nothing more to say: a silence may end noise and the
    /// frame behind it, reported one after the other.
    template <class Framer, class S>
    void drain(Framer& framer, timestamp now, S& sink) noexcept {
        for (std::size_t guard = 0; guard < 2 * max_ascii_frame_chars; ++guard) {
            const auto r = framer.poll(now);
            bool noise = false;
            if constexpr (requires { framer.reported_noise(); }) noise = framer.reported_noise();
            on_framer_status(r.status, framer.unit(), framer.pdu(), now, sink, noise);
            if (state_ != state::awaiting || r.status == decode_status::need_more) return;
        }
    }

    template <class S>
    void receive_mbap(std::span<const std::uint8_t> bytes, timestamp now, S& sink) noexcept {
        while (!bytes.empty() && state_ == state::awaiting) {
            const std::size_t take = std::min(bytes.size(), mbap_rx_.size() - mbap_rx_size_);
            std::copy_n(bytes.begin(), take,
                        mbap_rx_.begin() + static_cast<std::ptrdiff_t>(mbap_rx_size_));
            mbap_rx_size_ += take;
            bytes = bytes.subspan(take);
            const auto r =
                decode_mbap(std::span<const std::uint8_t>{mbap_rx_}.first(mbap_rx_size_));
            if (r.status == decode_status::need_more) continue;
            if (r.status != decode_status::frame) {
                mbap_rx_size_ = 0;
                on_framer_status(r.status, 0, {}, now, sink);
                return;
            }
            if (r.frame.header.transaction_id == transaction_id_) {
                check_reply(r.frame.header.unit, r.frame.pdu, now, sink);
            } else {
                ++counters_.unexpected_bytes;  // a late answer to an attempt we gave up on
                report(sink, channel_event::unexpected_bytes, request_origin{});
            }
            const std::size_t rest = mbap_rx_size_ - r.consumed;
            std::copy_n(mbap_rx_.begin() + static_cast<std::ptrdiff_t>(r.consumed), rest,
                        mbap_rx_.begin());
            mbap_rx_size_ = rest;
        }
    }

    template <class S>
    void check_reply(std::uint8_t unit, std::span<const std::uint8_t> pdu, timestamp now,
                     S& sink) noexcept {
        const auto& request = queue_[current_].adu;
        if (unit != request.unit()) {
            ++counters_.wrong_unit;
            report(sink, channel_event::wrong_unit, queue_[current_].origin);
            fail_attempt(now, sink);
            return;
        }
        if (!validate_response(request.pdu(), pdu)) {
            ++counters_.invalid_responses;
            report(sink, channel_event::invalid_response, queue_[current_].origin);
            fail_attempt(now, sink);
            return;
        }
        if (is_exception(pdu[0])) {
            ++counters_.device_exceptions;
            if (pdu.size() > 1 && pdu[1] < counters_.exceptions_by_code.size()) {
                ++counters_.exceptions_by_code[pdu[1]];
            }
        } else {
            ++counters_.responses;
        }
        finish(now, pdu, sink);
    }

    template <class S>
    void fail_attempt(timestamp now, S& sink) noexcept {
        if (attempts_ <= options_.retries) {
            ++counters_.retries;
            report(sink, channel_event::retry, queue_[current_].origin);
            state_ = state::ready;
            // A corrupt reply was already followed by t3.5 of silence, a timeout by much more:
            // the line is quiet, only the configured inter-frame delay applies.
            bus_free_at_ = now + options_.inter_frame_delay;
            return;
        }
        report(sink, channel_event::gave_up, queue_[current_].origin);
        answer_exception(exception_code::gateway_target_failed, now, sink);
    }

    template <class S>
    void answer_exception(exception_code code, timestamp now, S& sink) noexcept {
        std::array<std::uint8_t, 2> pdu{};
        make_exception_response(queue_[current_].adu.pdu()[0], code, pdu);
        ++counters_.exceptions_by_code[static_cast<std::size_t>(code)];
        finish(now, pdu, sink);
    }

    /// Ends the current transaction: answers the master and its coalesced followers (an empty
    /// PDU means a broadcast: nobody is answered) and frees their slots.
    template <class S>
    void finish(timestamp now, std::span<const std::uint8_t> pdu, S& sink) noexcept {
        std::uint16_t index = current_;
        std::uint16_t followers = queue_[index].followers;
        // A broadcast is never answered, not even with an exception (found by fuzz/channel).
        const bool answer = !pdu.empty() && queue_[index].adu.unit() != 0;
        // A priority master was answered: it will be back within a round trip (see
        // channel_options::priority_hold).
        if (answer && queue_[index].priority == priority_class::high &&
            options_.priority_hold.count() > 0) {
            priority_hold_until_ = now + options_.priority_hold;
        }
        for (;;) {
            const auto& slot = queue_[index];
            if (answer && slot.origin_alive) sink.deliver(slot.origin, pdu);
            queue_.release(index);
            if (followers == no_slot) break;
            index = followers;
            followers = queue_[index].next;
        }
        current_ = no_slot;
        state_ = state::idle;
        bus_free_at_ = now + options_.inter_frame_delay;
        apply_pending_options();
    }

    channel_options options_;
    std::optional<channel_options> pending_options_;
    queue_type queue_;
    rtu_framer rtu_rx_;
    ascii_framer ascii_rx_;
    std::array<std::uint8_t, 260> mbap_rx_{};
    std::size_t mbap_rx_size_ = 0;
    std::array<std::uint8_t, 513> tx_ascii_{};
    state state_ = state::idle;
    std::uint16_t current_ = no_slot;
    std::uint8_t attempts_ = 0;
    std::uint16_t transaction_id_ = 0;
    timestamp deadline_{};
    timestamp bus_free_at_{};
    timestamp priority_hold_until_{};         ///< normal requests wait until then
    std::optional<timestamp> corrupt_since_;  ///< a corrupt reply arrived then
    channel_counters counters_;
};

}  // namespace gw::router
