#pragma once
// Telnet (RFC 854/855) for the serial device server, with the RFC 2217 COM-PORT-OPTION
// (option 44) subnegotiation parsed into commands. Sans-I/O: bytes in, handler calls out.
//
// The device server always negotiates BINARY in both directions (com_port_server.hpp), so the
// decoder never translates CR NUL / CR LF: a CR from the network is data like any other byte.
// A client that refuses BINARY still gets its bytes through unchanged; NVT end-of-line rules are
// not ours to apply to a serial line carrying Modbus RTU.
//
// Decoder: decode() takes any chunk of the stream and keeps its state, so a command split at any
// byte works. Data is passed as contiguous runs (spans into the caller's input), IAC IAC becomes
// one 0xFF (the run restarts at the second 0xFF of the pair, so nothing is copied). A
// subnegotiation is held in a bounded buffer; a longer one is discarded up to IAC SE and reported
// once. IAC followed by anything but IAC or SE inside a subnegotiation ends it as malformed and
// the command is then processed as usual, so a lost IAC SE cannot swallow the rest of the stream.
//
// Handler (duck-typed; the last three are optional, detected with requires):
//   void on_data(std::span<const std::uint8_t> run);
//   void on_option(telnet_verb verb, std::uint8_t option);
//   void on_com_port(const com_port_command& command);
//   void on_malformed(telnet_malformed what);
//   void on_command(std::uint8_t command);      // IAC NOP, BRK, AYT, GA, DM, stray SE...
//   void on_subnegotiation(std::uint8_t option, std::span<const std::uint8_t> payload);  // not 44
//   bool pause();  // asked after each command event: true stops decode() right there
//
// Encoder: escape_data() doubles 0xFF and never splits a pair across the output boundary;
// encode_option() and encode_com_port() write negotiation and COM-PORT frames.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::device_server {

/// Telnet command bytes (RFC 854), those that follow IAC.
namespace telnet {
inline constexpr std::uint8_t se = 240;    ///< end of subnegotiation
inline constexpr std::uint8_t nop = 241;   ///< no operation
inline constexpr std::uint8_t dm = 242;    ///< data mark
inline constexpr std::uint8_t brk = 243;   ///< break
inline constexpr std::uint8_t ip = 244;    ///< interrupt process
inline constexpr std::uint8_t ao = 245;    ///< abort output
inline constexpr std::uint8_t ayt = 246;   ///< are you there
inline constexpr std::uint8_t ec = 247;    ///< erase character
inline constexpr std::uint8_t el = 248;    ///< erase line
inline constexpr std::uint8_t ga = 249;    ///< go ahead
inline constexpr std::uint8_t sb = 250;    ///< subnegotiation begin
inline constexpr std::uint8_t will = 251;  ///< sender wants to enable an option on its side
inline constexpr std::uint8_t wont = 252;
inline constexpr std::uint8_t do_ = 253;  ///< sender wants the receiver to enable an option
inline constexpr std::uint8_t dont = 254;
inline constexpr std::uint8_t iac = 255;  ///< interpret as command

inline constexpr std::uint8_t option_binary = 0;     ///< RFC 856
inline constexpr std::uint8_t option_echo = 1;       ///< RFC 857
inline constexpr std::uint8_t option_sga = 3;        ///< suppress go ahead, RFC 858
inline constexpr std::uint8_t option_com_port = 44;  ///< RFC 2217
}  // namespace telnet

enum class telnet_verb : std::uint8_t {
    will = telnet::will,
    wont = telnet::wont,
    do_ = telnet::do_,
    dont = telnet::dont,
};

/// RFC 2217 command codes as the client sends them; the server's replies are these + 100.
enum class com_port_code : std::uint8_t {
    signature = 0,
    set_baudrate = 1,
    set_datasize = 2,
    set_parity = 3,
    set_stopsize = 4,
    set_control = 5,
    notify_linestate = 6,
    notify_modemstate = 7,
    flowcontrol_suspend = 8,
    flowcontrol_resume = 9,
    set_linestate_mask = 10,
    set_modemstate_mask = 11,
    purge_data = 12,
};
inline constexpr std::uint8_t com_port_server_offset = 100;
inline constexpr std::uint8_t com_port_last_code = 12;

/// The decoder's bound on one subnegotiation: option byte, command code and value. A signature
/// longer than the rest is discarded (RFC 2217 sets no limit; 62 bytes of text is plenty).
inline constexpr std::size_t max_subnegotiation = 64;
inline constexpr std::size_t max_signature = max_subnegotiation - 2;

/// One parsed COM-PORT-OPTION subnegotiation.
struct com_port_command {
    std::uint8_t raw_code = 0;  ///< as received: 0..12 from a client, 100..112 from a server
    std::uint32_t value = 0;    ///< SET-BAUDRATE: the 4-byte big-endian rate; else the byte, or 0
    bool has_value = false;     ///< false for SIGNATURE, FLOWCONTROL-*, a NOTIFY-* poll
    std::uint8_t text_size = 0;
    std::array<std::uint8_t, max_signature> text{};  ///< SIGNATURE only

    constexpr bool from_server() const noexcept { return raw_code >= com_port_server_offset; }
    constexpr com_port_code code() const noexcept {
        return static_cast<com_port_code>(from_server() ? raw_code - com_port_server_offset
                                                        : raw_code);
    }
    constexpr std::span<const std::uint8_t> signature() const noexcept {
        return std::span<const std::uint8_t>{text}.first(text_size);
    }
};

enum class telnet_malformed : std::uint8_t {
    too_long,         ///< subnegotiation beyond max_subnegotiation (discarded up to IAC SE)
    bad_length,       ///< COM-PORT command with the wrong value size for its code, or empty SB
    unknown_command,  ///< COM-PORT code outside 0..12 and 100..112
    unterminated,     ///< IAC <not IAC/SE> inside a subnegotiation: it is dropped
};

namespace detail {

/// The value size a COM-PORT command must carry: -1 for any (signature), -2 for 0 or 1 (the
/// NOTIFY-* codes: a client polls with no value, pyserial does so), else exact.
constexpr int com_port_value_size(std::uint8_t code) noexcept {
    switch (code) {
        case 0:
            return -1;
        case 1:
            return 4;
        case 6:
        case 7:
            return -2;
        case 8:
        case 9:
            return 0;
        default:
            return 1;
    }
}

template <class H>
constexpr bool pause_requested(H& h) noexcept {
    if constexpr (requires { h.pause(); }) {
        return static_cast<bool>(h.pause());
    } else {
        return false;
    }
}

}  // namespace detail

class telnet_decoder {
public:
    /// Feeds a chunk of the network stream. Consumes all of it, unless the handler's pause()
    /// returns true after a command event: then it returns how many bytes were consumed, up to
    /// and including that command's last byte, and the caller offers the rest later.
    template <class Handler>
    constexpr std::size_t decode(std::span<const std::uint8_t> in, Handler& h) {
        std::size_t i = 0;
        std::size_t run = 0;  // start of the pending data run (state data only)
        const auto flush_run = [&](std::size_t end) {
            if (end > run) {
                h.on_data(in.subspan(run, end - run));
            }
        };
        while (i < in.size()) {
            const std::uint8_t b = in[i];
            switch (state_) {
                case state::data:
                    if (b == telnet::iac) {
                        flush_run(i);
                        state_ = state::iac;
                    }
                    ++i;
                    break;
                case state::iac:
                    ++i;
                    state_ = state::data;
                    if (b == telnet::iac) {
                        run = i - 1;  // the second 0xFF is the data byte
                    } else {
                        run = i;
                        if (command(b, h) && detail::pause_requested(h)) {
                            return i;
                        }
                    }
                    break;
                case state::verb:
                    ++i;
                    run = i;
                    state_ = state::data;
                    h.on_option(verb_, b);
                    if (detail::pause_requested(h)) {
                        return i;
                    }
                    break;
                case state::sb:
                    ++i;
                    if (b == telnet::iac) {
                        state_ = state::sb_iac;
                    } else {
                        hold(b, h);
                    }
                    break;
                case state::sb_iac:
                    ++i;
                    if (b == telnet::iac) {
                        state_ = state::sb;
                        hold(b, h);
                    } else if (b == telnet::se) {
                        state_ = state::data;
                        run = i;
                        finish_subnegotiation(h);
                        if (detail::pause_requested(h)) {
                            return i;
                        }
                    } else {
                        // A lost IAC SE: drop what was held and treat this as a new command.
                        ++malformed_;
                        h.on_malformed(telnet_malformed::unterminated);
                        state_ = state::data;
                        run = i;
                        if (command(b, h) && detail::pause_requested(h)) {
                            return i;
                        }
                    }
                    break;
            }
        }
        if (state_ == state::data) {
            flush_run(i);
        }
        return i;
    }

    /// Back to plain data, dropping a partial command (a new connection).
    constexpr void reset() noexcept {
        state_ = state::data;
        held_ = 0;
        overflow_ = false;
    }

    /// Malformed subnegotiations seen since construction (each also reported to the handler).
    constexpr std::size_t malformed_count() const noexcept { return malformed_; }
    /// True while inside a command or subnegotiation (bytes are held between calls).
    constexpr bool in_command() const noexcept { return state_ != state::data; }

private:
    enum class state : std::uint8_t { data, iac, verb, sb, sb_iac };

    // After IAC: returns true when an event was reported (so pause() may be asked).
    template <class Handler>
    constexpr bool command(std::uint8_t b, Handler& h) {
        switch (b) {
            case telnet::will:
            case telnet::wont:
            case telnet::do_:
            case telnet::dont:
                verb_ = static_cast<telnet_verb>(b);
                state_ = state::verb;
                return false;
            case telnet::sb:
                state_ = state::sb;
                held_ = 0;
                overflow_ = false;
                return false;
            default:
                if constexpr (requires { h.on_command(b); }) {
                    h.on_command(b);
                }
                return true;
        }
    }

    template <class Handler>
    constexpr void hold(std::uint8_t b, Handler& h) {
        if (held_ < buf_.size()) {
            buf_[held_++] = b;
        } else if (!overflow_) {
            overflow_ = true;
            ++malformed_;
            h.on_malformed(telnet_malformed::too_long);
        }
    }

    template <class Handler>
    constexpr void finish_subnegotiation(Handler& h) {
        if (overflow_) {
            overflow_ = false;
            return;  // reported when it overflowed
        }
        if (held_ == 0) {
            ++malformed_;
            h.on_malformed(telnet_malformed::bad_length);
            return;
        }
        const auto payload = std::span<const std::uint8_t>{buf_}.subspan(1, held_ - 1);
        if (buf_[0] != telnet::option_com_port) {
            if constexpr (requires { h.on_subnegotiation(buf_[0], payload); }) {
                h.on_subnegotiation(buf_[0], payload);
            }
            return;
        }
        if (payload.empty()) {
            ++malformed_;
            h.on_malformed(telnet_malformed::bad_length);
            return;
        }
        com_port_command c{};
        c.raw_code = payload[0];
        const bool known = c.raw_code <= com_port_last_code ||
                           (c.raw_code >= com_port_server_offset &&
                            c.raw_code <= com_port_server_offset + com_port_last_code);
        if (!known) {
            ++malformed_;
            h.on_malformed(telnet_malformed::unknown_command);
            return;
        }
        const auto value = payload.subspan(1);
        const int want = detail::com_port_value_size(static_cast<std::uint8_t>(c.code()));
        const bool size_ok = want == -1 || (want == -2 && value.size() <= 1) ||
                             (want >= 0 && value.size() == static_cast<std::size_t>(want));
        if (!size_ok) {
            ++malformed_;
            h.on_malformed(telnet_malformed::bad_length);
            return;
        }
        if (want == -1) {
            c.text_size = static_cast<std::uint8_t>(value.size());
            for (std::size_t k = 0; k < value.size(); ++k) {
                c.text[k] = value[k];
            }
        } else {
            for (const std::uint8_t v : value) {
                c.value = c.value << 8U | v;
            }
            c.has_value = !value.empty();
        }
        h.on_com_port(c);
    }

    std::array<std::uint8_t, max_subnegotiation> buf_{};
    std::size_t held_ = 0;
    std::size_t malformed_ = 0;
    state state_ = state::data;
    telnet_verb verb_ = telnet_verb::will;
    bool overflow_ = false;
};

// ---- encoder -------------------------------------------------------------------------------

struct escape_result {
    std::size_t consumed;
    std::size_t written;
};

/// Copies data for the network, doubling each 0xFF. Stops when `out` is full; a 0xFF that has
/// room for only one byte is left for the next call, so the peer never sees a lone IAC.
constexpr escape_result escape_data(std::span<const std::uint8_t> in,
                                    std::span<std::uint8_t> out) noexcept {
    std::size_t i = 0;
    std::size_t o = 0;
    while (i < in.size() && o < out.size()) {
        if (in[i] == telnet::iac) {
            if (out.size() - o < 2) {
                break;
            }
            out[o++] = telnet::iac;
        }
        out[o++] = in[i++];
    }
    return {i, o};
}

/// Writes IAC <verb> <option>; returns 3, or 0 when `out` is too small.
constexpr std::size_t encode_option(telnet_verb verb, std::uint8_t option,
                                    std::span<std::uint8_t> out) noexcept {
    if (out.size() < 3) {
        return 0;
    }
    out[0] = telnet::iac;
    out[1] = static_cast<std::uint8_t>(verb);
    out[2] = option;
    return 3;
}

/// The largest frame encode_com_port writes for a value of `value_size` bytes (all of them 0xFF).
constexpr std::size_t com_port_frame_capacity(std::size_t value_size) noexcept {
    return 6 + 2 * value_size;
}

/// Writes IAC SB 44 <raw_code> <value, 0xFF doubled> IAC SE; returns the size, or 0 when `out`
/// is too small (nothing useful is written then).
constexpr std::size_t encode_com_port(std::uint8_t raw_code, std::span<const std::uint8_t> value,
                                      std::span<std::uint8_t> out) noexcept {
    std::size_t o = 0;
    const auto put = [&](std::uint8_t b) {
        if (o < out.size()) {
            out[o] = b;
        }
        ++o;
    };
    put(telnet::iac);
    put(telnet::sb);
    put(telnet::option_com_port);
    put(raw_code);  // codes are < 113: never an IAC
    for (const std::uint8_t v : value) {
        if (v == telnet::iac) {
            put(telnet::iac);
        }
        put(v);
    }
    put(telnet::iac);
    put(telnet::se);
    return o <= out.size() ? o : 0;
}

/// A server reply (code + 100) carrying `value` in the width its command uses: 4 bytes big
/// endian for SET-BAUDRATE, none for FLOWCONTROL-SUSPEND/RESUME, one byte otherwise. Not for
/// SIGNATURE (use encode_com_port with the text).
constexpr std::size_t encode_com_port_reply(com_port_code code, std::uint32_t value,
                                            std::span<std::uint8_t> out) noexcept {
    std::array<std::uint8_t, 4> v{};
    std::size_t n = 1;
    if (code == com_port_code::set_baudrate) {
        v = {static_cast<std::uint8_t>(value >> 24U), static_cast<std::uint8_t>(value >> 16U),
             static_cast<std::uint8_t>(value >> 8U), static_cast<std::uint8_t>(value)};
        n = 4;
    } else if (code == com_port_code::flowcontrol_suspend ||
               code == com_port_code::flowcontrol_resume) {
        n = 0;
    } else {
        v[0] = static_cast<std::uint8_t>(value);
    }
    return encode_com_port(
        static_cast<std::uint8_t>(static_cast<std::uint8_t>(code) + com_port_server_offset),
        std::span<const std::uint8_t>{v}.first(n), out);
}

}  // namespace gw::device_server
