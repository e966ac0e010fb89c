#pragma once
// A Modbus RTU/ASCII device simulator on any asynchronous byte stream (a serial port, the master
// side of a pty): frames requests with the codec's framers, answers through the responder, and
// sends each reply when a real device would have (response delay, optional wire time).
//
// Reading never stops while replies wait: requests are framed as they arrive and replies are
// queued in order, each with the time it is due. All handlers run on the stream's executor; use
// it from one thread (an io_context run by one thread).

#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/decode_status.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/async_stream.hpp>
#include <gw/transport/concepts.hpp>
#include <gw/transport/detail/concat.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "responder.hpp"

namespace gw::sim {

struct simulator_settings {
    responder_settings device;
    std::chrono::microseconds response_delay{0};
    bool wire_time = false;      ///< add the request's and the reply's time on the line at `baud`
    std::uint32_t baud = 19200;  ///< for wire time and the RTU inter-frame timing
};

struct link_counters {
    std::uint64_t bad_frames = 0;  ///< CRC/LRC failures, bad characters, over-long frames
    std::uint64_t timeouts = 0;    ///< partial frames abandoned after silence
    std::uint64_t sent = 0;        ///< replies written
};

/// Microseconds on the steady clock: the time base the framers are fed with.
inline transport::time_point steady_now() noexcept {
    return std::chrono::duration_cast<transport::time_point>(
        std::chrono::steady_clock::now().time_since_epoch());
}

template <transport::async_stream Stream>
class simulator {
public:
    using clock = std::chrono::steady_clock;

    simulator(Stream& stream, const simulator_settings& settings)
        : stream_(stream)
        , settings_(settings)
        , responder_(settings.device)
        , framer_(make_framer(settings))
        , deadline_timer_(stream.get_executor())
        , reply_timer_(stream.get_executor()) {}

    simulator(const simulator&) = delete;
    simulator& operator=(const simulator&) = delete;

    /// Starts serving. The simulator must outlive the handlers it starts: call stop() and let
    /// the executor's context run them out (or destroy the context) before destroying it.
    void start() {
        stopped_ = false;
        receive();
    }

    /// Cancels everything; pending handlers complete with operation_aborted and do nothing.
    void stop() {
        stopped_ = true;
        deadline_timer_.cancel();
        reply_timer_.cancel();
        if constexpr (requires { stream_.cancel(); }) {
            stream_.cancel();
        }
    }

    /// Called once per event worth a line in a verbose log.
    std::function<void(std::string_view)> on_log;
    /// Called when the stream fails (a USB adapter unplugged); the simulator stops reading.
    std::function<void(transport::error_code)> on_error;

    responder& device() noexcept { return responder_; }
    const link_counters& link() const noexcept { return link_; }
    const simulator_settings& settings() const noexcept { return settings_; }

private:
    using framer_variant = std::variant<rtu_framer, ascii_framer>;

    struct pending_reply {
        clock::time_point due;
        std::vector<std::uint8_t> bytes;
    };

    static framer_variant make_framer(const simulator_settings& s) {
        if (s.device.mode == wire_mode::rtu) {
            return framer_variant(std::in_place_type<rtu_framer>, pdu_direction::request,
                                  rtu_framing::predicted, rtu_timing_for_baud(s.baud));
        }
        return framer_variant(std::in_place_type<ascii_framer>);
    }

    static clock::time_point to_clock(transport::time_point t) noexcept {
        return clock::time_point(std::chrono::duration_cast<clock::duration>(t));
    }

    void log(std::string_view line) {
        if (on_log) {
            on_log(line);
        }
    }

    void receive() {
        if (stopped_) {
            return;
        }
        stream_.async_read_some(net::buffer(rx_), [this](transport::error_code ec, std::size_t n) {
            on_receive(ec, n);
        });
    }

    void on_receive(transport::error_code ec, std::size_t n) {
        if (stopped_ || ec == net::error::operation_aborted) {
            return;
        }
        if (ec) {
            deadline_timer_.cancel();
            if (on_error) {
                on_error(ec);
            }
            return;
        }
        feed(std::span<const std::uint8_t>(rx_).first(n), steady_now());
        arm_deadline();
        receive();
    }

    void feed(std::span<const std::uint8_t> bytes, transport::time_point now) {
        // The framer reports one event per call; stop once it has consumed everything and has
        // nothing more to say. The bound only guards against a framer breaking its contract.
        for (std::size_t guard = 0; guard < bytes.size() + 2 * max_ascii_frame_chars; ++guard) {
            const auto r = std::visit([&](auto& f) { return f.put(bytes, now); }, framer_);
            bytes = bytes.subspan(r.consumed);
            on_status(r.status, now);
            if (r.status == decode_status::need_more) {
                return;
            }
        }
    }

    void arm_deadline() {
        const auto deadline = std::visit([](auto& f) { return f.deadline(); }, framer_);
        if (!deadline || stopped_) {
            deadline_timer_.cancel();
            return;
        }
        deadline_timer_.expires_at(to_clock(*deadline));
        deadline_timer_.async_wait([this](transport::error_code ec) {
            if (stopped_ || ec == net::error::operation_aborted) {
                return;
            }
            const auto now = steady_now();
            for (std::size_t guard = 0; guard < 2 * max_ascii_frame_chars; ++guard) {
                const auto r = std::visit([&](auto& f) { return f.poll(now); }, framer_);
                on_status(r.status, now);
                if (r.status == decode_status::need_more) {
                    break;
                }
            }
            arm_deadline();
        });
    }

    void on_status(decode_status status, transport::time_point now) {
        switch (status) {
            case decode_status::need_more:
                return;
            case decode_status::frame:
                on_frame(now);
                return;
            case decode_status::timeout:
                ++link_.timeouts;
                log("partial frame abandoned after silence");
                return;
            case decode_status::bad_crc:
            case decode_status::bad_lrc:
            case decode_status::too_long:
            case decode_status::bad_char:
            case decode_status::bad_header:
                ++link_.bad_frames;
                responder_.note_communication_error();
                log(transport::detail::concat({"bad frame: ", to_string(status)}));
                return;
        }
    }

    void on_frame(transport::time_point now) {
        const auto [unit, pdu] = std::visit(
            [](auto& f) {
                return std::pair{f.unit(), f.pdu()};
            },
            framer_);
        const std::size_t request_chars =
            settings_.device.mode == wire_mode::rtu ? pdu.size() + 3 : ascii_frame_size(pdu.size());
        const std::uint8_t fc = pdu.empty() ? 0 : pdu[0];
        const auto reply = responder_.respond(unit, pdu);
        const auto fault = responder_.last_fault();
        if (on_log) {
            const auto what =
                reply.empty() ? std::string("no reply")
                              : transport::detail::concat({std::to_string(reply.size()), " bytes"});
            const auto why = fault == fault_kind::none
                                 ? std::string()
                                 : transport::detail::concat({" (fault ", to_string(fault), ")"});
            log(transport::detail::concat(
                {"unit ", std::to_string(unit), " fc ", std::to_string(fc), ": ", what, why}));
        }
        if (reply.empty()) {
            return;
        }
        auto due = to_clock(now) + settings_.response_delay;
        const auto line_time = [&](std::size_t chars) {
            return settings_.wire_time ? wire_time(chars, settings_.device.mode, settings_.baud)
                                       : std::chrono::microseconds{0};
        };
        due += line_time(request_chars);
        // The noise fault: the noise, a silence, then the reply, as two writes.
        const auto split = responder_.last_split();
        if (split.first > 0 && split.first < reply.size()) {
            const auto noise = reply.first(split.first);
            due += line_time(noise.size());
            queue_.push_back({due, std::vector<std::uint8_t>(noise.begin(), noise.end())});
            due += split.gap;
        }
        const auto rest = reply.subspan(split.first < reply.size() ? split.first : 0);
        due += line_time(rest.size());
        queue_.push_back({due, std::vector<std::uint8_t>(rest.begin(), rest.end())});
        write_next();
    }

    void write_next() {
        if (writing_ || queue_.empty() || stopped_) {
            return;
        }
        writing_ = true;
        reply_timer_.expires_at(queue_.front().due);
        reply_timer_.async_wait([this](transport::error_code ec) {
            if (stopped_ || ec == net::error::operation_aborted) {
                writing_ = false;
                return;
            }
            net::async_write(stream_, net::buffer(queue_.front().bytes),
                             [this](transport::error_code wec, std::size_t) {
                                 writing_ = false;
                                 if (stopped_ || wec == net::error::operation_aborted) {
                                     return;
                                 }
                                 if (wec) {
                                     if (on_error) {
                                         on_error(wec);
                                     }
                                     return;
                                 }
                                 queue_.pop_front();
                                 ++link_.sent;
                                 write_next();
                             });
        });
    }

    Stream& stream_;
    simulator_settings settings_;
    responder responder_;
    framer_variant framer_;
    net::steady_timer deadline_timer_;
    net::steady_timer reply_timer_;
    std::array<std::uint8_t, 512> rx_{};
    std::deque<pending_reply> queue_;
    link_counters link_;
    bool stopped_ = false;
    bool writing_ = false;
};

}  // namespace gw::sim
