#pragma once
// One master's connection: a Modbus TCP session (MBAP), an RTU-over-TCP session, or a serial
// line on which a master polls gw (the reverse topology). It reads requests, hands them to the
// pipeline (policies, router) and writes answers back in the order they complete, each with the
// transaction id and unit id its request carried, so pipelined requests work.
//
// Bounded everywhere: the input buffer holds at most one partial ADU past what was processed,
// answers wait in an output buffer whose growth pauses reading (a master that does not read its
// answers is not allowed to make the gateway buffer without limit), and requests in flight are
// bounded by the channel's per-master queue (0x06 beyond it).
//
// Deadlines: an idle timeout (nothing sent by the master, and no answer owed to it), a write
// timeout (an answer that has not drained: the master stopped reading) and a frame timeout (a
// request begun and not finished: a slow or stalled master, which the idle timeout misses
// because every trickled byte is activity). The timers are armed lazily, once per deadline
// period rather than once per request: the hot path only stores a timestamp (a request that
// arrives whole, the usual case, costs one store and no timer operation).

#include <gw/codec/adu_buffer.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/gateway/frame_deadline.hpp>
#include <gw/gateway/listener_counters.hpp>
#include <gw/gateway/session_table.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/pipeline/pipeline.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/async_stream.hpp>
#include <gw/transport/write_now.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace gw::gateway {

enum class upstream_framing : std::uint8_t {
    mbap,  ///< Modbus TCP
    rtu,   ///< RTU ADUs over a byte stream: RTU-over-TCP, or a serial master line
};

struct session_options {
    router::priority_class priority = router::priority_class::normal;
    upstream_framing framing = upstream_framing::mbap;
    std::optional<std::chrono::seconds> idle_timeout;  ///< none: never closed for idleness
    /// An answer that has not been taken by the master for this long closes the session.
    std::chrono::milliseconds write_timeout{std::chrono::seconds{10}};
    /// A request whose first byte arrived this long ago and that is still incomplete closes the
    /// session (TCP listeners; a serial line ends frames by silence instead).
    std::optional<std::chrono::milliseconds> frame_timeout;
    /// rtu framing on a serial line: a timer completes frames whose length only silence ends
    /// (user-defined function codes). Off for TCP, where gaps mean nothing.
    bool rtu_silence = false;
    std::size_t max_pending_output =
        std::size_t{64} * 1024;                      ///< bytes of answers before reading pauses
    rtu_timing timing = rtu_timing_for_baud(19200);  ///< rtu framing: silence fallback timing
    std::function<void()> on_closed;                 ///< e.g. reopen a serial master line
};

template <class Stream, class Pipeline>
class upstream_session final
    : public upstream_endpoint,
      public std::enable_shared_from_this<upstream_session<Stream, Pipeline>> {
    static_assert(transport::upstream_stream<Stream>,
                  "Stream must be a gw::transport::upstream_stream: movable, async_read_some and "
                  "async_write_some completing with (error_code, std::size_t), an executor "
                  "convertible to net::any_io_executor, and an end for gw::transport::teardown "
                  "(close(ec), close(), next_layer(), or an ADL gw_teardown(stream&))");

public:
    upstream_session(Stream stream, Pipeline& pipeline, session_table& table,
                     listener_counters& counters, const policy::connection_info& connection,
                     const session_options& options)
        : stream_{std::move(stream)}
        , pipeline_{pipeline}
        , table_{table}
        , counters_{counters}
        , connection_{connection}
        , options_{options}
        , idle_timer_{stream_.get_executor()}
        , write_timer_{stream_.get_executor()}
        , silence_timer_{stream_.get_executor()}
        , frame_timer_{stream_.get_executor()}
        // A serial line ends a frame of unknown length by silence; on TCP a gap means nothing
        // (segments arrive whenever the network delivers them), so frames are predicted only.
        , rtu_rx_{pdu_direction::request,
                  options.rtu_silence ? rtu_framing::predicted : rtu_framing::stream,
                  options.timing} {}

    /// Takes a master id and starts reading; false if every id is taken (caller closes).
    bool start(router::master_id id) {
        master_ = id;
        open_ = true;
        ++counters_.connections_active;
        last_active_ = clock_.now();
        arm_idle(last_active_);
        read();
        return true;
    }

    router::master_id master() const noexcept { return master_; }
    bool is_open() const noexcept { return open_; }
    /// Requests queued on a channel whose answer this master has not been sent yet.
    std::size_t owed() const noexcept { return owed_; }
    const policy::connection_info& connection() const noexcept override { return connection_; }
    transport::time_point last_active() const noexcept override { return last_active_; }

    /// Ends the session (gateway stopping, a deadline, or a policy decision).
    void close(policy::reason why) override {
        if (!open_) return;
        open_ = false;
        idle_timer_.cancel();
        write_timer_.cancel();
        silence_timer_.cancel();
        frame_timer_.cancel();
        transport::teardown(stream_);  // a TLS stream: its TCP socket (no close_notify)
        --counters_.connections_active;
        if (why == policy::reason::idle_timeout) ++counters_.idle_timeouts;
        if (why == policy::reason::write_timeout) ++counters_.write_timeouts;
        if (why == policy::reason::frame_timeout) ++counters_.frame_timeouts;
        if (why == policy::reason::evicted) ++counters_.evictions;
        table_.release(master_);
        pipeline_.on_disconnect(connection_, master_, why);
        if (options_.on_closed) options_.on_closed();
    }
    void close() { close(policy::reason::none); }

    /// Stops taking requests, sends the answers already owed, then closes.
    void shutdown() override {
        closing_ = true;
        if (!writing_ && pending_.empty()) close();
    }

    void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) override {
        if (!open_) return;
        if (owed_ > 0) --owed_;
        last_active_ = clock_.now();
        counters_.latency.record(last_active_ - origin.received_at);
        if (pdu.size() >= 2 && is_exception(pdu[0]) &&
            pdu[1] < counters_.exceptions_by_code.size()) {
            ++counters_.exceptions_by_code[pdu[1]];
        }
        append_answer(origin.transaction_id, origin.unit, pdu);
    }

private:
    void read() {
        if (!open_ || paused_) return;
        const std::span<std::uint8_t> space{in_.data() + in_size_, in_.size() - in_size_};
        stream_.async_read_some(
            net::buffer(space.data(), space.size()),
            [self = this->shared_from_this()](transport::error_code ec, std::size_t n) {
                if (ec) {
                    self->close();
                    return;
                }
                self->last_active_ = self->clock_.now();
                self->in_size_ += n;
                self->process();
                if (self->output_full()) {
                    self->paused_ = true;
                } else {
                    self->read();
                }
            });
    }

    /// The answers the requests of one read produce at once (refusals, the gateway's own
    /// exceptions, a device that answers in the same turn) leave in one send() after the read,
    /// not one each: a pipelining master, and above all a flood of refused requests, costs the
    /// io thread one system call per read instead of one per request.
    void process() {
        batching_ = true;
        process_frames();
        batching_ = false;
        flush();
    }

    void process_frames() {
        const auto now = clock_.now();
        bool framed = false;  // a request completed: what is left began in this read
        if (options_.framing == upstream_framing::mbap) {
            std::size_t offset = 0;
            while (open_) {
                const auto r = decode_mbap(
                    std::span<const std::uint8_t>{in_.data() + offset, in_size_ - offset});
                if (r.status == decode_status::need_more) break;
                if (r.status != decode_status::frame) {
                    // Protocol id != 0 or a length out of range: the stream cannot resynchronise.
                    ++counters_.protocol_errors;
                    close(policy::reason::protocol_error);
                    return;
                }
                on_request(r.frame.header.transaction_id, r.frame.header.unit, r.frame.pdu, now);
                offset += r.consumed;
            }
            std::copy(in_.begin() + static_cast<std::ptrdiff_t>(offset),
                      in_.begin() + static_cast<std::ptrdiff_t>(in_size_), in_.begin());
            in_size_ -= offset;
            track_frame(in_size_ > 0, offset > 0, now);
            return;
        }
        std::span<const std::uint8_t> rest{in_.data(), in_size_};
        // Ask again after an error or a frame, even with nothing left: the framer may already
        // hold the next frame. need_more means everything offered was consumed.
        while (open_) {
            const auto r = rtu_rx_.put(rest, now);
            rest = rest.subspan(r.consumed);
            if (r.status == decode_status::frame) {
                framed = true;
                on_request(0, rtu_rx_.unit(), rtu_rx_.pdu(), now);
            } else if (r.status == decode_status::need_more) {
                break;
            } else {
                // A bad CRC from the master: no answer, as a slave would.
                ++counters_.protocol_errors;
            }
        }
        in_size_ = 0;
        if (options_.rtu_silence) arm_silence();
        track_frame(rtu_rx_.buffered() > 0, framed, now);
    }

    /// After each read: whether part of a request is buffered, and whether a request was
    /// completed in this read (then the part left began in it). The timer is armed only when a
    /// partial request starts and none is armed; when it fires it closes, re-targets itself at
    /// the current partial request's deadline, or stops. Nothing else touches it.
    void track_frame(bool partial, bool framed, transport::time_point now) {
        if (!options_.frame_timeout || !open_) return;
        if (!partial) {
            frame_started_.reset();
            return;
        }
        if (framed || !frame_started_) frame_started_ = now;
        if (!frame_armed_) arm_frame(*frame_started_ + *options_.frame_timeout);
    }

    void arm_frame(transport::time_point due) {
        frame_armed_ = true;
        frame_timer_.expires_at(steady_clock::to_steady(due));
        frame_timer_.async_wait([weak = this->weak_from_this()](transport::error_code ec) {
            if (ec) return;
            auto self = weak.lock();
            if (!self) return;
            self->frame_armed_ = false;
            if (!self->open_ || !self->frame_started_) return;
            const auto now = self->clock_.now();
            const auto limit = *self->options_.frame_timeout;
            if (self->paused_) {
                // Reading paused because this master does not take its answers (the write
                // deadline's business): what it sent since is unread, so the frame's clock
                // restarts when reading does.
                self->frame_started_ = now;
                self->arm_frame(now + limit);
            } else if (now - *self->frame_started_ >= limit) {
                self->close(policy::reason::frame_timeout);
            } else {
                self->arm_frame(*self->frame_started_ + limit);
            }
        });
    }

    /// A serial master's frame that only silence can end (a user-defined function code) is
    /// completed by this timer, not by the next byte that happens to arrive.
    void arm_silence() {
        const auto due = rtu_rx_.deadline();
        if (due == silence_armed_) return;
        silence_armed_ = due;
        if (!due) {
            silence_timer_.cancel();
            return;
        }
        silence_timer_.expires_at(steady_clock::to_steady(*due));
        silence_timer_.async_wait([self = this->shared_from_this(), due](transport::error_code ec) {
            if (ec || !self->open_ || self->silence_armed_ != due) return;
            self->silence_armed_.reset();
            const auto now = self->clock_.now();
            for (;;) {
                const auto r = self->rtu_rx_.poll(now);
                if (r.status == decode_status::frame) {
                    self->on_request(0, self->rtu_rx_.unit(), self->rtu_rx_.pdu(), now);
                } else if (r.status == decode_status::need_more) {
                    break;
                } else {
                    ++self->counters_.protocol_errors;
                }
                if (!self->open_) return;
            }
            self->arm_silence();
        });
    }

    void on_request(std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu,
                    transport::time_point now) {
        if (closing_) return;  // the gateway stopped: what arrives now is not taken
        ++counters_.requests;
        const auto refused =
            pipeline_.on_request(connection_, {master_, options_.priority, tid, unit, pdu, now});
        if (!refused) {
            // A broadcast is never answered, so nothing is owed for it.
            if (unit != 0) ++owed_;
            return;
        }
        if (unit == 0 && options_.framing == upstream_framing::rtu)
            return;  // broadcasts get no answer
        std::array<std::uint8_t, 2> answer{};
        make_exception_response(pdu.empty() ? 0 : pdu[0], *refused, answer);
        ++counters_.exceptions_by_code[static_cast<std::size_t>(*refused)];
        counters_.latency.record(clock_.now() - now);
        append_answer(tid, unit, answer);
    }

    void append_answer(std::uint16_t tid, std::uint8_t unit, std::span<const std::uint8_t> pdu) {
        ++counters_.responses;
        std::array<std::uint8_t, mbap_header_size> header{};
        if (options_.framing == upstream_framing::mbap) {
            encode_mbap_header(tid, unit, pdu.size(), header);
            pending_.insert(pending_.end(), header.begin(), header.end());
            pending_.insert(pending_.end(), pdu.begin(), pdu.end());
        } else {
            adu_buffer adu;
            adu.assign_pdu(unit, pdu);
            const auto rtu = adu.as_rtu();
            pending_.insert(pending_.end(), rtu.begin(), rtu.end());
        }
        if (!batching_) flush();
    }

    void flush() {
        if (writing_ || pending_.empty() || !open_) return;
        if constexpr (transport::immediate_writable<Stream>) {
            // One send() per answer, at once: the usual case, an answer the socket takes whole,
            // needs no completion handler and no write deadline. What it does not take (and an
            // error, met again there) goes the asynchronous way below.
            transport::error_code ec;
            const std::size_t n = transport::write_now(stream_, pending_, ec);
            if (!ec && n == pending_.size()) {
                pending_.clear();
                after_write_now();
                return;
            }
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
        }
        writing_ = true;
        write_started_ = clock_.now();
        if (!write_armed_) arm_write(write_started_ + options_.write_timeout);
        sending_.swap(pending_);
        pending_.clear();
        net::async_write(stream_, net::buffer(sending_),
                         [self = this->shared_from_this()](transport::error_code ec, std::size_t) {
                             self->writing_ = false;
                             self->sending_.clear();
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             self->last_active_ = self->clock_.now();
                             self->flush();
                             if (self->closing_ && !self->writing_) {
                                 self->close();
                                 return;
                             }
                             if (self->paused_ && !self->output_full()) {
                                 self->paused_ = false;
                                 self->read();
                             }
                         });
    }

    /// What the asynchronous write's handler does after a write, for one that completed at
    /// once. It may run inside deliver(), that is inside the channel's engine: closing must not
    /// re-enter it (the session's close drops the master from the router), so that is posted.
    void after_write_now() {
        if (closing_) {
            net::post(stream_.get_executor(), [self = this->shared_from_this()] {
                if (self->open_ && !self->writing_ && self->pending_.empty()) self->close();
            });
            return;
        }
        if (paused_ && !output_full()) {
            paused_ = false;
            read();
        }
    }

    bool output_full() const noexcept {
        return pending_.size() + sending_.size() >= options_.max_pending_output;
    }

    /// The idle deadline is checked when it falls due, not re-armed per request: reads only
    /// move last_active_. A master still owed an answer is waiting, not idle.
    void arm_idle(transport::time_point from) {
        if (!options_.idle_timeout) return;
        idle_timer_.expires_at(steady_clock::to_steady(from + *options_.idle_timeout));
        idle_timer_.async_wait([weak = this->weak_from_this()](transport::error_code ec) {
            if (ec) return;
            auto self = weak.lock();
            if (!self || !self->open_) return;
            const auto now = self->clock_.now();
            if (self->owed_ > 0) {
                self->arm_idle(now);
            } else if (now - self->last_active_ >= *self->options_.idle_timeout) {
                self->close(policy::reason::idle_timeout);
            } else {
                self->arm_idle(self->last_active_);
            }
        });
    }

    /// Fires at most once per write timeout while writes keep completing; closes the session
    /// when one write has been outstanding for the whole timeout.
    void arm_write(transport::time_point due) {
        write_armed_ = true;
        write_timer_.expires_at(steady_clock::to_steady(due));
        write_timer_.async_wait([weak = this->weak_from_this()](transport::error_code ec) {
            if (ec) return;
            auto self = weak.lock();
            if (!self) return;
            self->write_armed_ = false;
            if (!self->open_ || !self->writing_) return;
            const auto now = self->clock_.now();
            if (now - self->write_started_ >= self->options_.write_timeout) {
                self->close(policy::reason::write_timeout);
            } else {
                self->arm_write(self->write_started_ + self->options_.write_timeout);
            }
        });
    }

    Stream stream_;
    Pipeline& pipeline_;
    session_table& table_;
    listener_counters& counters_;
    policy::connection_info connection_;
    session_options options_;
    net::steady_timer idle_timer_;
    net::steady_timer write_timer_;
    net::steady_timer silence_timer_;
    net::steady_timer frame_timer_;
    rtu_framer rtu_rx_;
    steady_clock clock_;
    router::master_id master_ = 0;
    transport::time_point last_active_{};
    transport::time_point write_started_{};
    std::optional<transport::time_point> silence_armed_;
    /// When the first byte of the request now partly buffered arrived; none: no partial request.
    std::optional<transport::time_point> frame_started_;
    bool frame_armed_ = false;
    std::size_t owed_ = 0;
    bool write_armed_ = false;
    std::array<std::uint8_t, 4096 + max_tcp_adu_size> in_{};
    std::size_t in_size_ = 0;
    std::vector<std::uint8_t> pending_;
    std::vector<std::uint8_t> sending_;
    bool open_ = false;
    bool writing_ = false;
    bool paused_ = false;
    bool closing_ = false;
    bool batching_ = false;  ///< inside process(): answers wait for its one flush
};

}  // namespace gw::gateway
