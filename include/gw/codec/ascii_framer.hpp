#pragma once
// Modbus ASCII framing (Modbus over Serial Line v1.02, 2.5.2): ':' then unit, PDU and LRC as
// pairs of hex digits, then CR LF; at most 513 characters. Hex is decoded into the frame buffer as
// it arrives, so the binary frame is ready when LF comes (the one copy).
//
// Resynchronisation: a ':' always starts a new frame (a partial one is reported bad_char and
// dropped); anything else outside a frame is skipped, reported once per run. A gap longer than
// the inter-character timeout inside a frame drops it (timeout).
// Upper and lower case hex digits are accepted; encode_ascii writes upper case.

#include <gw/codec/decode_status.hpp>
#include <gw/codec/lrc.hpp>
#include <gw/core/limits.hpp>
#include <gw/core/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

namespace detail {

inline constexpr std::uint8_t ascii_start = ':';
inline constexpr std::uint8_t ascii_cr = '\r';
inline constexpr std::uint8_t ascii_lf = '\n';

/// 0..15 for a hex digit, -1 otherwise.
constexpr int hex_value(std::uint8_t c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

constexpr std::uint8_t hex_digit(unsigned v) noexcept {
    return static_cast<std::uint8_t>(v < 10 ? '0' + v : 'A' + (v - 10));
}

}  // namespace detail

/// Characters encode_ascii writes for a PDU of `pdu_size` bytes.
constexpr std::size_t ascii_frame_size(std::size_t pdu_size) noexcept {
    return 1 + 2 * (pdu_size + 2) + 2;
}

/// Writes ':' unit PDU LRC (hex, upper case) CR LF into `out`; returns the characters written,
/// 0 if `out` is too small or the PDU is empty or longer than 253 bytes.
constexpr std::size_t encode_ascii(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                   std::span<std::uint8_t> out) noexcept {
    const std::size_t size = ascii_frame_size(pdu.size());
    if (pdu.empty() || pdu.size() > max_pdu_size || out.size() < size) {
        return 0;
    }
    std::size_t pos = 0;
    out[pos++] = detail::ascii_start;
    const auto put_hex = [&](std::uint8_t b) {
        out[pos++] = detail::hex_digit(b >> 4U);
        out[pos++] = detail::hex_digit(b & 0x0FU);
    };
    put_hex(unit);
    std::uint8_t sum = unit;
    for (std::uint8_t b : pdu) {
        put_hex(b);
        sum = static_cast<std::uint8_t>(sum + b);
    }
    put_hex(static_cast<std::uint8_t>(-sum));
    out[pos++] = detail::ascii_cr;
    out[pos++] = detail::ascii_lf;
    return pos;
}

class ascii_framer {
public:
    constexpr explicit ascii_framer(
        std::chrono::microseconds inter_char_timeout = std::chrono::seconds{1}) noexcept
        : timeout_{inter_char_timeout} {}

    /// Feeds characters that arrived at time `now`. Consumes up to the end of one frame.
    constexpr decode_result put(std::span<const std::uint8_t> chars, timestamp now) noexcept {
        frame_ready_ = false;
        if (state_ != state::idle && now - last_ >= timeout_) {
            state_ = state::idle;
            return {decode_status::timeout, 0};
        }
        for (std::size_t i = 0; i < chars.size(); ++i) {
            const std::uint8_t c = chars[i];
            switch (state_) {
                case state::idle:
                    if (c == detail::ascii_start) {
                        start(now);
                        break;
                    }
                    if (!junk_reported_) {
                        junk_reported_ = true;
                        return {decode_status::bad_char, i + 1};
                    }
                    break;
                case state::in_frame:
                    last_ = now;
                    if (c == detail::ascii_start) {
                        start(now);  // the partial frame is abandoned
                        return {decode_status::bad_char, i + 1};
                    }
                    if (c == detail::ascii_cr) {
                        if (high_pending_ || size_ < 3) {
                            return fail(decode_status::bad_char, i + 1);
                        }
                        state_ = state::after_cr;
                        break;
                    }
                    if (const int v = detail::hex_value(c); v >= 0) {
                        if (!high_pending_) {
                            if (size_ == buf_.size()) {
                                return fail(decode_status::too_long, i + 1);
                            }
                            high_ = static_cast<std::uint8_t>(v);
                            high_pending_ = true;
                        } else {
                            buf_[size_++] = static_cast<std::uint8_t>((high_ << 4U) | v);
                            high_pending_ = false;
                        }
                        break;
                    }
                    return fail(decode_status::bad_char, i + 1);
                case state::after_cr:
                    if (c == detail::ascii_lf) {
                        state_ = state::idle;
                        junk_reported_ = false;
                        const auto body = std::span<const std::uint8_t>{buf_}.first(size_ - 1);
                        if (lrc(body) != buf_[size_ - 1]) {
                            return {decode_status::bad_lrc, i + 1};
                        }
                        frame_ready_ = true;
                        return {decode_status::frame, i + 1};
                    }
                    // A ':' here starts the next frame: leave it unconsumed.
                    return fail(decode_status::bad_char, c == detail::ascii_start ? i : i + 1);
            }
        }
        return {decode_status::need_more, chars.size()};
    }

    /// Call when no character arrived and the time is `now`.
    constexpr decode_result poll(timestamp now) noexcept {
        frame_ready_ = false;
        if (state_ != state::idle && now - last_ >= timeout_) {
            state_ = state::idle;
            return {decode_status::timeout, 0};
        }
        return {decode_status::need_more, 0};
    }

    /// After `frame`: the unit id, the decoded PDU (LRC stripped).
    constexpr std::uint8_t unit() const noexcept {
        return frame_ready_ ? buf_[0] : std::uint8_t{0};
    }
    constexpr std::span<const std::uint8_t> pdu() const noexcept {
        return frame_ready_ ? std::span<const std::uint8_t>{buf_}.subspan(1, size_ - 2)
                            : std::span<const std::uint8_t>{};
    }
    /// After `frame`: unit + PDU + LRC, decoded.
    constexpr std::span<const std::uint8_t> adu() const noexcept {
        return frame_ready_ ? std::span<const std::uint8_t>{buf_}.first(size_)
                            : std::span<const std::uint8_t>{};
    }

    constexpr void reset() noexcept {
        state_ = state::idle;
        frame_ready_ = junk_reported_ = high_pending_ = false;
        size_ = 0;
    }

    /// When poll() must next be called (a frame is in progress), for timers.
    constexpr std::optional<timestamp> deadline() const noexcept {
        if (state_ == state::idle) {
            return std::nullopt;
        }
        return last_ + timeout_;
    }

private:
    enum class state : std::uint8_t { idle, in_frame, after_cr };

    constexpr void start(timestamp now) noexcept {
        state_ = state::in_frame;
        size_ = 0;
        high_pending_ = false;
        junk_reported_ = false;
        last_ = now;
    }
    // Drops the frame in progress; what follows up to the next ':' is part of the same bad run.
    constexpr decode_result fail(decode_status status, std::size_t consumed) noexcept {
        state_ = state::idle;
        junk_reported_ = true;
        return {status, consumed};
    }

    // unit + PDU + LRC
    std::array<std::uint8_t, 1 + max_pdu_size + 1> buf_{};
    std::size_t size_ = 0;
    timestamp last_{};
    std::chrono::microseconds timeout_;
    state state_ = state::idle;
    std::uint8_t high_ = 0;
    bool high_pending_ = false;
    bool frame_ready_ = false;
    bool junk_reported_ = false;
};

}  // namespace gw
