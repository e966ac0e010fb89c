#pragma once
// The access-server side of RFC 2217 as a sans-I/O state machine: network bytes in (receive),
// replies out (a bounded output queue the caller sends and then consumes), and what the serial
// line must do reported to a sink (new settings, purge, flow suspend/resume, data to write).
// The Linux layer maps serial_settings to termios; nothing here touches a device.
//
// At connect, start() queues: IAC DO COM-PORT-OPTION, IAC WILL BINARY, IAC DO BINARY,
// IAC WILL SGA, IAC DO SGA (bytes FF FD 2C FF FB 00 FF FD 00 FF FB 03 FF FD 03).
//
// Negotiation is RFC 1143's Q method reduced to what a server that never disables an option
// needs: per side of BINARY, SGA and COM-PORT-OPTION the state is no / want_yes / yes. A request
// is answered only when it changes the state (a WILL that confirms our DO, or one for an option
// already on, gets no reply), and a refusal is never re-requested, so two such parties cannot
// loop. Any other option is refused (WILL x -> DONT x, DO x -> WONT x) and WONT/DONT for it need
// no answer, since it is off. A client's DO COM-PORT-OPTION is accepted with WILL as well:
// pyserial sends both WILL and DO 44 (its "we" and "they" options) and counts either.
//
// What pyserial (serial/rfc2217.py, Serial.open) needs, and gets:
// - the DO COM-PORT-OPTION answering its WILL (mandatory; it fails after 3 s without it);
// - BINARY is not requested by pyserial but accepted both ways when offered;
// - replies to SET-BAUDRATE/DATASIZE/PARITY/STOPSIZE, SET-CONTROL (flow 1/2/3, DTR 8/9,
//   RTS 11/12) and PURGE-DATA (1, 2) whose value equals the one requested, byte for byte: a
//   different value (our current one, for an unsupported request) makes pyserial raise
//   "remote rejected value" - which is what RFC 2217 intends;
// - a NOTIFY-MODEMSTATE before reading cts/dsr/ri/cd: one is sent as soon as the option is
//   on and the modem lines are known (modem_lines()), whatever the mask, and on each poll.
// pyserial compares a server's FLOWCONTROL-SUSPEND with the client code 8 instead of 108, so
// sending it one would not work; this server only receives them.

#include <gw/device_server/telnet_codec.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gw::device_server {

/// RFC 2217 SET-PARITY values.
enum class parity : std::uint8_t { none = 1, odd = 2, even = 3, mark = 4, space = 5 };
/// RFC 2217 SET-STOPSIZE values.
enum class stop_bits : std::uint8_t { one = 1, two = 2, one_and_half = 3 };
/// One setting for both directions: termios' CRTSCTS and IXON|IXOFF are used as a pair.
enum class flow_control : std::uint8_t { none, xon_xoff, rts_cts };

struct serial_settings {
    std::uint32_t baud = 9600;
    std::uint8_t data_bits = 8;  ///< 5..8
    device_server::parity parity = parity::none;
    device_server::stop_bits stop_bits = stop_bits::one;
    flow_control flow = flow_control::none;
    bool dtr = true;
    bool rts = true;
    bool break_on = false;

    friend constexpr bool operator==(const serial_settings&, const serial_settings&) = default;
};

/// What the serial port underneath can do; requests outside it are answered with the current
/// value. 1.5 stop bits off by default: Linux termios has only CSTOPB (2, or 1.5 at 5 bits).
struct serial_capabilities {
    std::uint32_t min_baud = 50;
    std::uint32_t max_baud = 4'000'000;
    std::uint8_t min_data_bits = 5;
    bool mark_space_parity = true;  ///< Linux CMSPAR
    bool one_and_half_stop_bits = false;
};

/// PURGE-DATA values.
enum class purge : std::uint8_t { rx = 1, tx = 2, both = 3 };

/// Modem state bits (NOTIFY-MODEMSTATE): levels in the high nibble, deltas in the low one.
namespace modem_state {
inline constexpr std::uint8_t cd = 0x80;
inline constexpr std::uint8_t ri = 0x40;
inline constexpr std::uint8_t dsr = 0x20;
inline constexpr std::uint8_t cts = 0x10;
inline constexpr std::uint8_t delta_cd = 0x08;
inline constexpr std::uint8_t trailing_ri = 0x04;
inline constexpr std::uint8_t delta_dsr = 0x02;
inline constexpr std::uint8_t delta_cts = 0x01;
}  // namespace modem_state

/// SET-CONTROL values (RFC 2217).
namespace control {
inline constexpr std::uint8_t query_flow = 0;
inline constexpr std::uint8_t flow_none = 1;
inline constexpr std::uint8_t flow_xon_xoff = 2;
inline constexpr std::uint8_t flow_hardware = 3;
inline constexpr std::uint8_t query_break = 4;
inline constexpr std::uint8_t break_on = 5;
inline constexpr std::uint8_t break_off = 6;
inline constexpr std::uint8_t query_dtr = 7;
inline constexpr std::uint8_t dtr_on = 8;
inline constexpr std::uint8_t dtr_off = 9;
inline constexpr std::uint8_t query_rts = 10;
inline constexpr std::uint8_t rts_on = 11;
inline constexpr std::uint8_t rts_off = 12;
inline constexpr std::uint8_t query_inbound_flow = 13;
inline constexpr std::uint8_t inbound_flow_none = 14;
inline constexpr std::uint8_t inbound_flow_xon_xoff = 15;
inline constexpr std::uint8_t inbound_flow_hardware = 16;
inline constexpr std::uint8_t flow_dcd = 17;
inline constexpr std::uint8_t inbound_flow_dtr = 18;
inline constexpr std::uint8_t flow_dsr = 19;
}  // namespace control

/// Is this a setting the capabilities allow (and in RFC 2217's ranges)?
constexpr bool supported(const serial_settings& s, const serial_capabilities& caps) noexcept {
    const auto p = static_cast<std::uint8_t>(s.parity);
    const auto st = static_cast<std::uint8_t>(s.stop_bits);
    return s.baud >= caps.min_baud && s.baud <= caps.max_baud &&
           s.data_bits >= caps.min_data_bits && s.data_bits <= 8 && p >= 1 &&
           p <= (caps.mark_space_parity ? 5 : 3) && st >= 1 &&
           st <= (caps.one_and_half_stop_bits ? 3 : 2);
}

/// Sink (duck-typed): on_data is required, the rest optional (detected with requires).
///   void on_data(std::span<const std::uint8_t> bytes);   // to write to the serial line
///   void on_settings(const serial_settings& now);        // after a change actually made
///   void on_purge(purge what);
///   void on_flow(bool suspended);  // FLOWCONTROL-SUSPEND (true) / RESUME: stop/start sending
///                                  // serial data to the network
class com_port_server {
public:
    static constexpr std::size_t output_capacity = 512;
    static constexpr std::size_t signature_capacity = 32;
    /// The largest single reply (a signature of full length); receive() pauses below this.
    static constexpr std::size_t max_reply = com_port_frame_capacity(signature_capacity);
    static_assert(max_reply <= output_capacity);

    constexpr explicit com_port_server(serial_settings initial = {}, serial_capabilities caps = {},
                                       std::string_view signature = "gw") noexcept
        : settings_{initial}, caps_{caps} {
        for (const char c : signature) {
            if (signature_size_ == signature_.size()) {
                break;
            }
            signature_[signature_size_++] = static_cast<std::uint8_t>(c);
        }
    }

    /// Queues the connect-time negotiation (see the top of this file). Call once, first.
    constexpr void start() noexcept {
        request(telnet_verb::do_, telnet::option_com_port);
        request(telnet_verb::will, telnet::option_binary);
        request(telnet_verb::do_, telnet::option_binary);
        request(telnet_verb::will, telnet::option_sga);
        request(telnet_verb::do_, telnet::option_sga);
    }

    /// Feeds bytes from the network. Returns how many were consumed: all of them, unless the
    /// output queue got too full for another reply; then send output(), consume_output(), and
    /// offer the rest again (TCP backpressure towards a client that does not read).
    template <class Sink>
    constexpr std::size_t receive(std::span<const std::uint8_t> in, Sink& sink) {
        if (free_space() < max_reply) {
            return 0;
        }
        adapter<Sink> a{*this, sink};
        return decoder_.decode(in, a);
    }

    /// The modem lines now (high nibble of modem_state; the low nibble is ignored, deltas are
    /// computed here). Queues NOTIFY-MODEMSTATE when a change passes the mask, and the first
    /// time after the option is on whatever the mask (pyserial needs one before cts/dsr work).
    constexpr void modem_lines(std::uint8_t lines) noexcept {
        lines &= 0xF0U;
        // The first reading has no deltas: nothing is known to have changed.
        const auto changed = static_cast<std::uint8_t>(modem_known_ ? lines ^ modem_ : 0);
        modem_known_ = true;
        modem_ = lines;
        const auto report = static_cast<std::uint8_t>(lines | changed >> 4U);
        if (!com_port_active()) {
            return;
        }
        // A level change shows in its level bit and its delta bit; either may pass the mask.
        if (!modem_sent_ || ((changed | changed >> 4U) & modemstate_mask_) != 0) {
            notify_modem(report);
        }
    }

    /// Line state events (NOTIFY-LINESTATE bits: overrun 0x02, parity 0x04, framing 0x08,
    /// break 0x10...). Sent when they pass the mask (default 0: never).
    constexpr void line_state(std::uint8_t state) noexcept {
        line_ = state;
        const auto masked = static_cast<std::uint8_t>(state & linestate_mask_);
        if (com_port_active() && masked != 0) {
            reply(com_port_code::notify_linestate, masked);
        }
    }

    /// Bytes to send to the client, in order; then consume_output(n) with what was sent.
    constexpr std::span<const std::uint8_t> output() const noexcept {
        return std::span<const std::uint8_t>{out_}.first(out_size_);
    }
    constexpr void consume_output(std::size_t n) noexcept {
        n = n < out_size_ ? n : out_size_;
        for (std::size_t i = n; i < out_size_; ++i) {
            out_[i - n] = out_[i];
        }
        out_size_ -= n;
    }

    constexpr const serial_settings& settings() const noexcept { return settings_; }
    constexpr bool com_port_active() const noexcept {
        return him_[com_port_slot] == q::yes || us_[com_port_slot] == q::yes;
    }
    constexpr bool binary_in() const noexcept { return him_[binary_slot] == q::yes; }
    constexpr bool binary_out() const noexcept { return us_[binary_slot] == q::yes; }
    constexpr bool flow_suspended() const noexcept { return suspended_; }
    constexpr std::uint8_t modemstate_mask() const noexcept { return modemstate_mask_; }
    constexpr std::uint8_t linestate_mask() const noexcept { return linestate_mask_; }
    /// Malformed subnegotiations (telnet_decoder's count).
    constexpr std::size_t malformed_count() const noexcept { return decoder_.malformed_count(); }
    /// Well-formed commands with nothing to do: server codes from a client, bad PURGE values.
    constexpr std::size_t ignored_count() const noexcept { return ignored_; }
    /// Notifications lost because the output queue was full (modem_lines/line_state called
    /// while the client did not read); replies to commands are never lost (receive pauses).
    constexpr std::size_t dropped_count() const noexcept { return dropped_; }

private:
    enum class q : std::uint8_t { no, want_yes, yes };
    static constexpr std::size_t binary_slot = 0;
    static constexpr std::size_t sga_slot = 1;
    static constexpr std::size_t com_port_slot = 2;

    static constexpr std::optional<std::size_t> slot(std::uint8_t option) noexcept {
        switch (option) {
            case telnet::option_binary:
                return binary_slot;
            case telnet::option_sga:
                return sga_slot;
            case telnet::option_com_port:
                return com_port_slot;
            default:
                return std::nullopt;
        }
    }

    template <class Sink>
    struct adapter {
        com_port_server& s;
        Sink& sink;
        constexpr void on_data(std::span<const std::uint8_t> run) { sink.on_data(run); }
        constexpr void on_option(telnet_verb v, std::uint8_t o) { s.negotiate(v, o); }
        constexpr void on_com_port(const com_port_command& c) { s.handle(c, sink); }
        constexpr void on_malformed(telnet_malformed) noexcept {}
        constexpr bool pause() const noexcept { return s.free_space() < max_reply; }
    };

    constexpr std::size_t free_space() const noexcept { return out_.size() - out_size_; }

    constexpr void queue_option(telnet_verb v, std::uint8_t option) noexcept {
        out_size_ += encode_option(v, option, std::span<std::uint8_t>{out_}.subspan(out_size_));
    }

    constexpr void request(telnet_verb v, std::uint8_t option) noexcept {
        const std::size_t k = *slot(option);
        auto& side = v == telnet_verb::will ? us_[k] : him_[k];
        if (side == q::no) {
            side = q::want_yes;
            queue_option(v, option);
        }
    }

    constexpr void negotiate(telnet_verb v, std::uint8_t option) noexcept {
        const bool was_active = com_port_active();
        const auto k = slot(option);
        const bool positive = v == telnet_verb::will || v == telnet_verb::do_;
        if (!k) {
            // Unknown options are off on both sides: refuse requests, ignore refusals.
            if (positive) {
                queue_option(v == telnet_verb::will ? telnet_verb::dont : telnet_verb::wont,
                             option);
            }
            return;
        }
        // WILL/WONT concern the client's side (him), DO/DONT ours (us).
        const bool his = v == telnet_verb::will || v == telnet_verb::wont;
        auto& side = his ? him_[*k] : us_[*k];
        const telnet_verb agree = his ? telnet_verb::do_ : telnet_verb::will;
        const telnet_verb refuse = his ? telnet_verb::dont : telnet_verb::wont;
        if (positive) {
            if (side == q::no) {
                queue_option(agree, option);
            }
            side = q::yes;  // want_yes: this is the answer; yes: a repeat, not answered
        } else {
            if (side == q::yes) {
                queue_option(refuse, option);  // acknowledge the switch-off (RFC 854)
            }
            side = q::no;  // want_yes: refused, never asked again
        }
        if (!was_active && com_port_active() && modem_known_ && !modem_sent_) {
            notify_modem(modem_);
        }
    }

    constexpr void reply(com_port_code code, std::uint32_t value) noexcept {
        const std::size_t n =
            encode_com_port_reply(code, value, std::span<std::uint8_t>{out_}.subspan(out_size_));
        dropped_ += n == 0 ? 1U : 0U;
        out_size_ += n;
    }

    constexpr void notify_modem(std::uint8_t report) noexcept {
        modem_sent_ = true;
        // The first notification is forced (pyserial waits for one); later ones are masked.
        reply(com_port_code::notify_modemstate, report & modemstate_mask_);
    }

    static constexpr std::uint8_t flow_reply(flow_control f, bool inbound) noexcept {
        const std::uint8_t base = inbound ? control::inbound_flow_none : control::flow_none;
        return static_cast<std::uint8_t>(base + static_cast<std::uint8_t>(f));
    }

    // Break, DTR and RTS each have three codes in a row: query, on, off. Sets the line unless
    // queried; returns its on or off code.
    static constexpr std::uint8_t line_control(std::uint8_t v, std::uint8_t query,
                                               bool& line) noexcept {
        if (v != query) {
            line = v == query + 1;
        }
        return static_cast<std::uint8_t>(line ? query + 1 : query + 2);
    }

    // SET-CONTROL: returns the value now in effect for what the request was about.
    constexpr std::uint8_t control_request(std::uint8_t v, serial_settings& s) noexcept {
        switch (v) {
            case control::flow_none:
            case control::flow_xon_xoff:
            case control::flow_hardware:
                s.flow = static_cast<flow_control>(v - control::flow_none);
                return flow_reply(s.flow, false);
            case control::inbound_flow_none:
            case control::inbound_flow_xon_xoff:
            case control::inbound_flow_hardware:
                s.flow = static_cast<flow_control>(v - control::inbound_flow_none);
                return flow_reply(s.flow, true);
            case control::query_break:
            case control::break_on:
            case control::break_off:
                return line_control(v, control::query_break, s.break_on);
            case control::query_dtr:
            case control::dtr_on:
            case control::dtr_off:
                return line_control(v, control::query_dtr, s.dtr);
            case control::query_rts:
            case control::rts_on:
            case control::rts_off:
                return line_control(v, control::query_rts, s.rts);
            case control::query_inbound_flow:
            case control::inbound_flow_dtr:  // unsupported: the inbound setting in effect
                return flow_reply(s.flow, true);
            default:  // query, DCD/DSR flow (unsupported) and unknown values
                return flow_reply(s.flow, false);
        }
    }

    template <class Sink>
    constexpr void handle(const com_port_command& c, Sink& sink) {
        if (c.from_server()) {
            ++ignored_;  // a client impersonating a server, or a loop: never answered
            return;
        }
        serial_settings next = settings_;
        const std::uint32_t v = c.value;
        const auto v8 = static_cast<std::uint8_t>(v);
        switch (c.code()) {
            case com_port_code::signature:
                if (c.text_size == 0) {
                    out_size_ += encode_com_port(
                        com_port_server_offset,
                        std::span<const std::uint8_t>{signature_}.first(signature_size_),
                        std::span<std::uint8_t>{out_}.subspan(out_size_));
                }
                return;  // the client's own signature is only informative
            case com_port_code::set_baudrate:
                if (v != 0) {
                    next.baud = v;
                    apply(next, sink);
                }
                reply(c.code(), settings_.baud);
                return;
            case com_port_code::set_datasize:
                if (v != 0) {
                    next.data_bits = v8;
                    apply(next, sink);
                }
                reply(c.code(), settings_.data_bits);
                return;
            case com_port_code::set_parity:
                if (v != 0) {
                    next.parity = static_cast<parity>(v8);
                    apply(next, sink);
                }
                reply(c.code(), static_cast<std::uint8_t>(settings_.parity));
                return;
            case com_port_code::set_stopsize:
                if (v != 0) {
                    next.stop_bits = static_cast<stop_bits>(v8);
                    apply(next, sink);
                }
                reply(c.code(), static_cast<std::uint8_t>(settings_.stop_bits));
                return;
            case com_port_code::set_control: {
                const std::uint8_t now = control_request(v8, next);
                apply(next, sink);
                reply(c.code(), now);
                return;
            }
            case com_port_code::notify_linestate:
                reply(c.code(), static_cast<std::uint8_t>(line_ & linestate_mask_));
                return;
            case com_port_code::notify_modemstate:
                if (modem_known_) {
                    notify_modem(modem_);
                }
                return;
            case com_port_code::flowcontrol_suspend:
            case com_port_code::flowcontrol_resume:
                suspended_ = c.code() == com_port_code::flowcontrol_suspend;
                if constexpr (requires { sink.on_flow(suspended_); }) {
                    sink.on_flow(suspended_);
                }
                return;
            case com_port_code::set_linestate_mask:
                linestate_mask_ = v8;
                reply(c.code(), v8);
                return;
            case com_port_code::set_modemstate_mask:
                modemstate_mask_ = v8;
                reply(c.code(), v8);
                return;
            case com_port_code::purge_data:
                if (v8 < 1 || v8 > 3) {
                    ++ignored_;
                    return;
                }
                if constexpr (requires { sink.on_purge(purge::rx); }) {
                    sink.on_purge(static_cast<purge>(v8));
                }
                reply(c.code(), v8);
                return;
        }
    }

    // Takes `next` when the port supports it; a change is reported once, after it is made.
    template <class Sink>
    constexpr void apply(const serial_settings& next, Sink& sink) {
        if (next == settings_ || !supported(next, caps_)) {
            return;
        }
        settings_ = next;
        if constexpr (requires { sink.on_settings(settings_); }) {
            sink.on_settings(settings_);
        }
    }

    serial_settings settings_;
    serial_capabilities caps_;
    telnet_decoder decoder_{};
    std::array<std::uint8_t, output_capacity> out_{};
    std::size_t out_size_ = 0;
    std::array<q, 3> us_{q::no, q::no, q::no};
    std::array<q, 3> him_{q::no, q::no, q::no};
    std::array<std::uint8_t, signature_capacity> signature_{};
    std::size_t signature_size_ = 0;
    std::size_t ignored_ = 0;
    std::size_t dropped_ = 0;
    std::uint8_t modemstate_mask_ = 255;
    std::uint8_t linestate_mask_ = 0;
    std::uint8_t modem_ = 0;
    std::uint8_t line_ = 0;
    bool modem_known_ = false;
    bool modem_sent_ = false;
    bool suspended_ = false;
};

}  // namespace gw::device_server
