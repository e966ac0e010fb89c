#pragma once
// Runs one channel's transaction engine (gw::router::channel) over an Asio stream: writes what
// the engine wants on the line, feeds it every byte read and every timer expiry, and keeps the
// line open. It is the Channel type the router submits to.
//
// A Link owns the stream and knows how to (re)open it:
//   void open(options, handler(error_code, why))  open the serial device / connect to the device
//                                    (options: the channel's, e.g. to tune TCP keep-alive)
//   stream_type& stream()            an Asio stream (async_read_some, async_write_some)
//   void close()
//   std::string describe() const     "serial /dev/ttyUSB0" for log lines
//   std::vector<std::string> warnings() const   what the last open could not apply
//   error_text(error_code)  (optional) a failed read's or write's cause in words
//   reconnect_after_timeouts() const (optional) reopen after that many timed-out transactions
//                                    in a row (a TCP connection that is probably dead); absent
//                                    or 0: a silent device is not a reason to reopen
// When the line fails, every waiting master gets 0x0B at once, new requests get 0x0B while it
// is down, and it is reopened with exponential backoff; the loss and recovery are reported.
// The driver also fails the line itself when the engine reports framing_lost (an MBAP stream
// that cannot resynchronise) or, on links that ask for it, after repeated timeouts.

#include <gw/gateway/reopen_backoff.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/gateway/traffic_tap.hpp>
#include <gw/router/channel.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/write_now.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace gw::gateway {

/// What the driver tells the gateway besides answers.
template <class S>
concept channel_driver_sink = requires(S& s, const router::request_origin& origin,
                                       std::span<const std::uint8_t> pdu,
                                       router::channel_event event, const std::string& text) {
    s.deliver(origin, pdu);
    s.on_channel_event(std::size_t{}, event, origin);
    s.on_channel_down(std::size_t{}, text);
    s.on_channel_up(std::size_t{});
};

/// What the router sees of a channel, whatever its link: one indirect call per request lets a
/// gateway mix serial lines and TCP devices in one route table.
class channel_port {
public:
    virtual std::optional<exception_code> submit(const router::request_origin& origin,
                                                 router::priority_class priority, std::uint8_t unit,
                                                 std::span<const std::uint8_t> pdu) noexcept = 0;
    virtual std::size_t drop_master(router::master_id master) noexcept = 0;
    virtual void set_options(const router::channel_options& options) noexcept = 0;
    virtual const router::channel_options& options() const noexcept = 0;
    virtual const router::channel_counters& counters() const noexcept = 0;
    virtual std::size_t queue_depth() const noexcept = 0;
    virtual bool idle() const noexcept = 0;
    virtual bool up() const noexcept = 0;
    virtual std::string describe() const = 0;
    /// Answers every request in flight or queued with `code` now (the gateway is stopping).
    virtual void abandon(exception_code code) noexcept = 0;
    /// What the link could not apply at its last open (RS-485 on a pty, ...), for the log.
    virtual std::vector<std::string> link_warnings() const = 0;
    virtual void start() = 0;
    virtual void stop() = 0;

protected:
    ~channel_port() = default;
};

template <class Link, class Sink, std::size_t Slots = 1024, std::size_t Masters = 256>
class channel_driver final
    : public channel_port,
      public std::enable_shared_from_this<channel_driver<Link, Sink, Slots, Masters>> {
    static_assert(channel_driver_sink<Sink>,
                  "Sink must have deliver(origin, pdu), on_channel_event(index, event, origin), "
                  "on_channel_down(index, text) and on_channel_up(index)");

public:
    using engine_type = router::channel<Slots, Masters>;

    channel_driver(const net::any_io_executor& executor, std::size_t index, Link link,
                   const router::channel_options& options, Sink& sink, reopen_backoff backoff = {})
        : index_{index}
        , link_{std::move(link)}
        , engine_{options}
        , sink_{sink}
        , timer_{executor}
        , reopen_timer_{executor}
        , backoff_{backoff}
        , next_backoff_{backoff.first} {}

    void start() override { open(); }

    void stop() override {
        stopped_ = true;
        timer_.cancel();
        reopen_timer_.cancel();
        link_.close();
    }

    // -- the router's Channel interface --------------------------------------------------------
    // Starting a write may allocate; on Linux an allocation failure terminates, as anywhere in the
    // runtime, rather than unwinding into the noexcept router.
    // NOLINTNEXTLINE(bugprone-exception-escape)
    std::optional<exception_code> submit(const router::request_origin& origin,
                                         router::priority_class priority, std::uint8_t unit,
                                         std::span<const std::uint8_t> pdu) noexcept override {
        if (!up_) return exception_code::gateway_target_failed;
        auto refused = engine_.submit(origin, priority, unit, pdu);
        if (refused) {
            sink_.on_channel_event(index_, router::channel_event::queue_full, origin);
        } else {
            kick();
        }
        return refused;
    }
    std::size_t drop_master(router::master_id master) noexcept override {
        return engine_.drop_master(master);
    }

    void set_options(const router::channel_options& options) noexcept override {
        engine_.set_options(options);
    }
    const router::channel_options& options() const noexcept override { return engine_.options(); }
    const router::channel_counters& counters() const noexcept override {
        return engine_.counters();
    }
    std::size_t queue_depth() const noexcept override { return engine_.queue_depth(); }
    bool idle() const noexcept override { return engine_.idle() && engine_.queue_depth() == 0; }
    std::string describe() const override { return link_.describe(); }
    std::vector<std::string> link_warnings() const override { return link_.warnings(); }
    void abandon(exception_code code) noexcept override {
        engine_.fail_all(clock_.now(), engine_sink_, code);
    }
    const engine_type& engine() const noexcept { return engine_; }
    bool up() const noexcept override { return up_; }
    std::size_t index() const noexcept { return index_; }
    const Link& link() const noexcept { return link_; }

private:
    /// What the engine delivers to: the gateway's sink, with this channel's index attached.
    struct engine_sink {
        channel_driver& driver;
        void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) {
            driver.on_engine_deliver(origin, pdu);
        }
        void on_channel_event(router::channel_event event, const router::request_origin& origin) {
            driver.on_engine_event(event, origin);
        }
    };
    engine_sink engine_sink_{*this};

public:
    /// An event as if the engine had reported it, acted upon at once (for tests: framing_lost,
    /// before the engine of every build reports it).
    void report_engine_event(router::channel_event event, const router::request_origin& origin) {
        on_engine_event(event, origin);
        settle();
    }

private:
    std::uint16_t reconnect_limit() const noexcept {
        if constexpr (requires(const Link& l) { l.reconnect_after_timeouts(); }) {
            return link_.reconnect_after_timeouts();
        } else {
            return 0;
        }
    }

    /// What a failed read or write means: the link's words when it has them (a TLS link reads
    /// the alert the device sent), else the error's message.
    std::string error_text(const transport::error_code& ec) {
        if constexpr (requires(Link & l) { l.error_text(ec); }) {
            return link_.error_text(ec);
        } else {
            return ec.message();
        }
    }

    std::uint64_t device_replies() const noexcept {
        const auto& c = engine_.counters();
        return c.responses + c.device_exceptions;
    }

    /// The gateway's traffic tap, if it has one (a sink without traffic_tap_of() has none).
    const traffic_tap* tap() const noexcept {
        if constexpr (requires(const Sink& s) {
                          { s.traffic_tap_of() } -> std::convertible_to<const traffic_tap*>;
                      }) {
            return sink_.traffic_tap_of();
        } else {
            return nullptr;
        }
    }
    /// The bytes read so far are a frame the engine has decided about: to the tap.
    void tap_received() {
        if (const auto* t = tap()) rx_tap_.flush(*t, index_);
    }

    void on_engine_deliver(const router::request_origin& origin,
                           std::span<const std::uint8_t> pdu) {
        // A reply from the device (not the gateway's own 0x0B) proves the connection alive.
        if (const auto replies = device_replies(); replies != replies_seen_) {
            tap_received();
            replies_seen_ = replies;
            timeouts_in_a_row_ = 0;
            attempt_timed_out_ = false;
            // Optional: a sink that tracks devices (lost and recovered) hears of each reply.
            if constexpr (requires { sink_.on_device_answered(index_, origin.unit); })
                sink_.on_device_answered(index_, origin.unit);
        }
        if (holding_ && pdu.size() <= held_pdu_.size() && held_count_ < held_origins_.size() &&
            (held_count_ == 0 || std::ranges::equal(pdu, held_pdu().first(held_size_)))) {
            if (held_count_ == 0) {
                std::copy(pdu.begin(), pdu.end(), held_pdu_.begin());
                held_size_ = pdu.size();
            }
            held_origins_[held_count_++] = origin;
            return;
        }
        release_held();  // keeps the order in which the engine answered
        sink_.deliver(origin, pdu);
    }

    std::span<const std::uint8_t> held_pdu() const noexcept { return held_pdu_; }

    /// Sends the answers held while a reply was taken (see read()).
    void release_held() {
        const std::size_t count = std::exchange(held_count_, 0);
        for (std::size_t i = 0; i < count; ++i)
            sink_.deliver(held_origins_[i], held_pdu().first(held_size_));
    }

    /// Called from inside the engine: a reason to fail the link is only noted here, and acted
    /// upon by settle() once the engine call has returned (fail() re-enters the engine).
    void on_engine_event(router::channel_event event, const router::request_origin& origin) {
        using router::channel_event;
        if (event == channel_event::timeout) {
            attempt_timed_out_ = true;
        } else if (event == channel_event::bad_crc || event == channel_event::wrong_unit ||
                   event == channel_event::invalid_response) {
            attempt_timed_out_ = false;  // the device talks, if badly
            tap_received();
        } else if (event == channel_event::gave_up) {
            timeouts_in_a_row_ = attempt_timed_out_ ? timeouts_in_a_row_ + 1 : 0;
            attempt_timed_out_ = false;
            const auto limit = reconnect_limit();
            if (limit != 0 && timeouts_in_a_row_ >= limit && !lost_) {
                lost_ = link_.describe() + ": " + std::to_string(timeouts_in_a_row_) +
                        " transactions in a row timed out: the connection is presumed dead";
            }
        } else if (event == channel_event::framing_lost && !lost_) {
            lost_ = link_.describe() +
                    ": MBAP header error from the device: the stream cannot resynchronise";
        }
        sink_.on_channel_event(index_, event, origin);
    }

    /// After an engine call: fails the link if the engine's reports said so. False when the
    /// link is down (then nothing more may be read or written on it).
    bool settle() {
        if (lost_) {
            const std::string why = std::move(*lost_);
            lost_.reset();
            fail(why);
        }
        return up_;
    }

    void open() {
        if (stopped_) return;
        link_.open(engine_.options(), [self = this->shared_from_this()](transport::error_code ec,
                                                                        const std::string& why) {
            self->on_open(ec, why);
        });
    }

    void on_open(transport::error_code ec, const std::string& why) {
        if (stopped_) return;
        if (ec) {
            schedule_reopen(why);
            return;
        }
        up_ = true;
        reported_down_ = false;
        next_backoff_ = backoff_.first;
        timeouts_in_a_row_ = 0;
        attempt_timed_out_ = false;
        replies_seen_ = device_replies();
        sink_.on_channel_up(index_);
        read();
        kick();
    }

    void schedule_reopen(const std::string& why) {
        if (!reported_down_) {
            reported_down_ = true;
            sink_.on_channel_down(index_, why);
        }
        reopen_timer_.expires_after(next_backoff_);
        next_backoff_ = std::min(next_backoff_ * 2, backoff_.max);
        reopen_timer_.async_wait([self = this->shared_from_this()](transport::error_code ec) {
            if (!ec) self->open();
        });
    }

    void fail(const std::string& why) {
        if (!up_) return;
        up_ = false;
        writing_ = false;
        link_.close();
        timer_.cancel();
        armed_.reset();
        engine_.count_transport_failure();
        tap_received();
        engine_.fail_all(clock_.now(), engine_sink_);
        schedule_reopen(why);
    }

    /// Puts the next request on the line if the engine has one and no write is running. The bytes
    /// go out with one write() at once when the line takes them (the usual case: a request is
    /// at most 513 bytes); only what it does not take waits for an asynchronous write.
    void kick() {
        while (up_ && !writing_) {
            const auto bytes = engine_.next_transmit(clock_.now());
            if (bytes.empty()) {
                arm_timer();
                return;
            }
            if (const auto* t = tap()) {
                rx_tap_.flush(*t, index_);  // stray bytes before this request
                traffic_frame f;
                f.channel = index_;
                f.direction = traffic_direction::to_device;
                f.bytes = bytes.first(std::min(bytes.size(), max_traffic_frame));
                f.truncated = bytes.size() > max_traffic_frame;
                (*t)(f);
            }
            std::size_t written = 0;
            if constexpr (transport::immediate_writable<typename Link::stream_type>) {
                // An error here is met again, and reported, by the asynchronous write below:
                // failing the line from inside submit() would re-enter the router.
                transport::error_code ec;
                written = transport::write_now(link_.stream(), bytes, ec);
                if (!ec && written == bytes.size()) {
                    engine_.on_transmitted(clock_.now());
                    continue;
                }
            }
            write_rest(bytes.subspan(written));
            return;
        }
    }

    void write_rest(std::span<const std::uint8_t> bytes) {
        writing_ = true;
        net::async_write(
            link_.stream(), net::buffer(bytes.data(), bytes.size()),
            [self = this->shared_from_this()](transport::error_code ec, std::size_t) {
                self->writing_ = false;
                if (ec) {
                    if (ec != net::error::operation_aborted) {
                        self->fail(self->link_.describe() + ": write: " + self->error_text(ec));
                    }
                    return;
                }
                self->engine_.on_transmitted(self->clock_.now());
                self->kick();
            });
    }

    /// Reads the line. When a reply completes a transaction, the next queued request goes on
    /// the line before the answer goes to its master: the engine's answers (the reply, to the
    /// master and any coalesced followers) are held during on_receive and sent after kick(), so
    /// the bus does not wait for a TCP send.
    void read() {
        link_.stream().async_read_some(
            net::buffer(rx_),
            [self = this->shared_from_this()](transport::error_code ec, std::size_t n) {
                if (ec) {
                    if (ec != net::error::operation_aborted && !self->stopped_) {
                        self->fail(self->link_.describe() + ": read: " + self->error_text(ec));
                    }
                    return;
                }
                if (self->tap() != nullptr)
                    self->rx_tap_.append(std::span<const std::uint8_t>{self->rx_.data(), n});
                self->holding_ = true;
                self->engine_.on_receive(std::span<const std::uint8_t>{self->rx_.data(), n},
                                         self->clock_.now(), self->engine_sink_);
                self->holding_ = false;
                if (!self->lost_) self->kick();
                self->release_held();
                if (!self->settle()) return;  // failed: the next open starts a new read
                self->read();
            });
    }

    /// One timer follows the engine's next deadline, re-armed only when that deadline moves
    /// earlier than the one armed. A later deadline (the next transaction's response timeout)
    /// or none at all leaves it armed: it then fires early, finds nothing due, and is re-armed
    /// for what the engine awaits by then. So a stream of transactions costs one timer update
    /// (a timerfd_settime) per response timeout, not one per transaction, and no cancellation.
    void arm_timer() {
        const auto due = engine_.deadline();
        if (!due || (armed_ && *armed_ <= *due)) return;
        armed_ = due;
        timer_.expires_at(steady_clock::to_steady(*due));  // a wait for a later one is aborted
        timer_.async_wait([self = this->shared_from_this(), due](transport::error_code ec) {
            if (ec || self->armed_ != due) return;
            self->armed_.reset();
            // Time passed; the engine sees whether anything fell due (it may have moved on).
            self->engine_.on_timer(self->clock_.now(), self->engine_sink_);
            if (self->settle()) self->kick();
        });
    }

    std::size_t index_;
    Link link_;
    engine_type engine_;
    Sink& sink_;
    net::steady_timer timer_;
    net::steady_timer reopen_timer_;
    reopen_backoff backoff_;
    std::chrono::milliseconds next_backoff_;
    steady_clock clock_;
    std::array<std::uint8_t, 512> rx_{};
    traffic_rx_buffer rx_tap_;  ///< read bytes the traffic tap has not had yet
    std::optional<transport::time_point> armed_;
    bool up_ = false;
    bool writing_ = false;
    bool stopped_ = false;
    bool reported_down_ = false;
    std::uint16_t timeouts_in_a_row_ = 0;  ///< transactions whose last attempt timed out
    bool attempt_timed_out_ = false;       ///< the current transaction's last attempt did
    std::uint64_t replies_seen_ = 0;       ///< device replies counted when last looked
    std::optional<std::string> lost_;      ///< why the link must fail, once the engine returns
    bool holding_ = false;                 ///< answers are held until the next request is out
    std::array<std::uint8_t, max_pdu_size> held_pdu_{};
    std::size_t held_size_ = 0;
    std::array<router::request_origin, 8> held_origins_{};
    std::size_t held_count_ = 0;
};

}  // namespace gw::gateway
