#pragma once
// Modbus RTU framing (Modbus over Serial Line v1.02, 2.5.1) from caller timestamps.
//
// Three modes, chosen per channel or session:
// - predicted: the frame length follows from the function code and byte counts (codec/pdu.hpp),
//   so a frame completes the moment its last byte arrives, without the t3.5 wait. A frame whose
//   length cannot be predicted (user-defined codes, FC 8/0, FC 43/13) falls back to silence.
// - silence: a frame is whatever arrived between two silences of t3.5.
// - stream: predicted framing where gaps mean nothing (RTU over TCP: segments arrive whenever
//   they do). A frame of unpredictable length cannot be framed there and is skipped.
//
// Resynchronisation: a candidate that fails its CRC (or cannot start a frame, or is incomplete at
// t3.5) is dropped ONE byte at a time and the bytes after it are scanned again, so a good frame
// right behind garbage is found. One error is reported per run of bad bytes (a run ends at a
// good frame or at a silence).
//
// A master that knows which reply it awaits says so with expect(unit, function): then only a
// frame with that function code (or its exception) starts a candidate, gaps do not end a frame of
// predictable length (USB serial adapters deliver one frame in chunks, milliseconds apart), and
// a frame of the awaited unit that lies complete inside the bytes held wins over the candidate
// before it, so a noise "header" claiming more bytes than will ever come cannot hide the reply.
//
// Usage, like Beast's parser: put() consumes what it needs and says so; call it again with the
// unconsumed rest (possibly empty) until it returns need_more. After `frame`, unit()/pdu()/adu()
// are valid until the next put/poll/reset. Call poll() when no byte came, at deadline().

#include <gw/codec/crc16.hpp>
#include <gw/codec/decode_status.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/core/limits.hpp>
#include <gw/core/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

enum class rtu_framing : std::uint8_t {
    predicted,  ///< length from the function code; silence only for unpredictable frames
    silence,    ///< a frame is what arrived between two silences of t3.5
    stream,     ///< predicted, and gaps never end a frame (RTU over TCP)
};

struct rtu_timing {
    std::chrono::microseconds t1_5;
    std::chrono::microseconds t3_5;
};

/// t1.5 and t3.5 for a baud rate: 11 bits per character (start, 8 data, parity or second stop,
/// stop); above 19200 baud the fixed 750 us / 1750 us of the specification. Rounded up.
constexpr rtu_timing rtu_timing_for_baud(std::uint32_t baud) noexcept {
    if (baud == 0 || baud > 19200) {
        return {std::chrono::microseconds{750}, std::chrono::microseconds{1750}};
    }
    const auto ceil_div = [](std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; };
    return {std::chrono::microseconds{static_cast<std::int64_t>(ceil_div(16'500'000, baud))},
            std::chrono::microseconds{static_cast<std::int64_t>(ceil_div(38'500'000, baud))}};
}

/// Writes unit + PDU + CRC into `out`; returns the ADU size, 0 if it does not fit or the PDU is
/// empty or longer than 253 bytes.
constexpr std::size_t encode_rtu(std::uint8_t unit, std::span<const std::uint8_t> pdu,
                                 std::span<std::uint8_t> out) noexcept {
    const std::size_t size = pdu.size() + 3;
    if (pdu.empty() || pdu.size() > max_pdu_size || out.size() < size) {
        return 0;
    }
    out[0] = unit;
    for (std::size_t i = 0; i < pdu.size(); ++i) {
        out[1 + i] = pdu[i];
    }
    const std::uint16_t crc = crc16(std::span<const std::uint8_t>{out.data(), pdu.size() + 1});
    out[size - 2] = static_cast<std::uint8_t>(crc & 0xFF);
    out[size - 1] = static_cast<std::uint8_t>(crc >> 8);
    return size;
}

class rtu_framer {
public:
    constexpr rtu_framer(pdu_direction dir, rtu_framing mode, rtu_timing timing) noexcept
        : dir_{dir}, mode_{mode}, timing_{timing} {}

    /// Feeds bytes that arrived at time `now`. Consumes up to the end of one frame.
    constexpr decode_result put(std::span<const std::uint8_t> bytes, timestamp now) noexcept {
        release_frame();
        close_if_silent(now);
        if (closed_) {
            if (const auto s = scan_closed()) {
                return {*s, 0};
            }
        }
        std::size_t used = 0;
        const auto s = mode_ == rtu_framing::silence ? collect_silence(bytes, used, now)
                       : hunting()                   ? scan_hunting(bytes, used, now)
                                                     : scan_predicted(bytes, used, now);
        return {s, used};
    }

    /// Call when no byte arrived and the time is `now`: completes a frame after t3.5 of silence
    /// (silence mode, or the fallback), or reports timeout for an incomplete frame.
    constexpr decode_result poll(timestamp now) noexcept {
        release_frame();
        close_if_silent(now);
        if (closed_) {
            if (const auto s = scan_closed()) {
                return {*s, 0};
            }
        }
        return {decode_status::need_more, 0};
    }

    /// After `frame`: the unit id.
    constexpr std::uint8_t unit() const noexcept {
        return frame_size_ > 0 ? buf_[begin_] : std::uint8_t{0};
    }
    /// After `frame`: the PDU (CRC and unit stripped).
    constexpr std::span<const std::uint8_t> pdu() const noexcept {
        return frame_size_ > 0
                   ? std::span<const std::uint8_t>{buf_}.subspan(begin_ + 1, frame_size_ - 3)
                   : std::span<const std::uint8_t>{};
    }
    /// After `frame`: unit + PDU + CRC as received.
    constexpr std::span<const std::uint8_t> adu() const noexcept {
        return std::span<const std::uint8_t>{buf_}.subspan(begin_, frame_size_);
    }

    /// Drops everything held and the expectation.
    constexpr void reset() noexcept {
        begin_ = end_ = frame_size_ = 0;
        closed_ = reported_ = discarding_ = noise_ = expecting_ = false;
        expected_length_ = 0;
    }

    /// The reply awaited from now on (a master sets it when its request has gone out, after
    /// reset()): from `unit`, with `function_code` or its exception, and `pdu_length` bytes long
    /// when it is normal (0: unknown; see expected_response_length). Only a candidate with that
    /// function code is framed; other bytes are skipped as noise at once. A gap ends a candidate
    /// only when its length is unpredictable (silence framing). A complete frame from `unit`
    /// found inside the bytes held wins over a candidate before it whose length cannot be the
    /// reply's (when the length is unknown and the candidate is from `unit`: only a normal frame
    /// wins, so that data a device returns cannot smuggle an exception). A frame from another
    /// unit is still framed (the
    /// master counts a wrong-unit answer) but never wins that way.
    constexpr void expect(std::uint8_t unit, std::uint8_t function_code,
                          std::size_t pdu_length = 0) noexcept {
        expecting_ = true;
        expected_unit_ = unit;
        expected_function_ = static_cast<std::uint8_t>(function_code & ~exception_flag);
        expected_length_ = pdu_length;
    }
    constexpr bool expecting() const noexcept { return expecting_; }

    /// After an error status: true when the bytes skipped could not have been the awaited reply
    /// (not from the expected unit and function, or a frame after them won), false when they were
    /// a damaged candidate (a checked frame failed). Always false without an expectation.
    constexpr bool reported_noise() const noexcept { return noise_; }

    /// With an expectation: the bytes held contain what may be the start of the awaited reply
    /// (its unit, then its function or nothing yet), which more bytes could complete. It may
    /// sit behind a candidate of another unit.
    constexpr bool holds_reply_start() const noexcept {
        if (!expecting_ || frame_size_ > 0) {
            return false;
        }
        const auto h = held_bytes();
        for (std::size_t i = 0; i < h.size(); ++i) {
            if (h[i] == expected_unit_ && (i + 1 == h.size() || awaited_function(h[i + 1]))) {
                return true;
            }
        }
        return false;
    }

    /// When poll() must next be called (a partial frame is waiting for silence), for timers.
    constexpr std::optional<timestamp> deadline() const noexcept {
        if (closed_) {
            return last_;
        }
        if (pending() && silence_ends_frame()) {
            return last_ + gap_limit();
        }
        return std::nullopt;
    }

    /// Treat a gap longer than t1.5 inside a frame as its end (Serial Line 2.5.1.1) instead of
    /// waiting for t3.5. Off by default: timestamps taken by an OS after read() are not precise
    /// enough to judge 1.5 characters at high baud rates.
    constexpr void set_strict_t1_5(bool on) noexcept { strict_t1_5_ = on; }

    constexpr pdu_direction direction() const noexcept { return dir_; }
    constexpr rtu_framing framing() const noexcept { return mode_; }
    constexpr rtu_timing timing() const noexcept { return timing_; }
    /// Bytes held that are not part of a returned frame (for diagnostics and tests).
    constexpr std::size_t buffered() const noexcept { return end_ - begin_ - frame_size_; }

private:
    static constexpr std::size_t window = max_rtu_adu_size;
    // Twice the largest frame so that dropping one byte at a time rarely needs to compact.
    static constexpr std::size_t storage = 2 * window;

    constexpr std::chrono::microseconds gap_limit() const noexcept {
        return strict_t1_5_ ? timing_.t1_5 : timing_.t3_5;
    }
    constexpr bool pending() const noexcept { return end_ > begin_ || discarding_; }
    constexpr std::size_t held() const noexcept { return end_ - begin_; }
    constexpr std::span<const std::uint8_t> held_bytes() const noexcept {
        return std::span<const std::uint8_t>{buf_}.subspan(begin_, end_ - begin_);
    }

    // Expecting or streaming: candidates are hunted for in the bytes held, gaps are no evidence.
    constexpr bool hunting() const noexcept {
        return mode_ == rtu_framing::stream || (mode_ == rtu_framing::predicted && expecting_);
    }
    constexpr bool awaited_function(std::uint8_t fc) const noexcept {
        return !expecting_ || fc == expected_function_ ||
               fc == (expected_function_ | exception_flag);
    }
    // The awaited reply (unit and function) starts at offset `at` of the bytes held.
    constexpr bool awaited_at(std::size_t at) const noexcept {
        return expecting_ && at + 1 < held() && buf_[begin_ + at] == expected_unit_ &&
               awaited_function(buf_[begin_ + at + 1]);
    }

    // The candidate at begin_ has the awaited reply's exact shape (unit, function and length,
    // or an exception of 5 bytes): nothing inside it is preferred over it.
    constexpr bool head_may_be_reply() const noexcept {
        if (!awaited_at(0)) {
            return false;
        }
        if (is_exception(buf_[begin_ + 1])) {
            return true;
        }
        const detail::pdu_length l = predict_held();
        return expected_length_ > 0 && l.kind == detail::pdu_length_kind::known &&
               l.length == expected_length_;
    }

    // Does a silence end what is held? Always in silence mode, never on a stream; while hunting
    // only for a candidate of unpredictable length (chunked delivery must not cut a frame).
    constexpr bool silence_ends_frame() const noexcept {
        if (mode_ == rtu_framing::stream) {
            return false;
        }
        if (!hunting()) {
            return true;
        }
        return held() >= 2 && predict_held().kind == detail::pdu_length_kind::unknown;
    }
    constexpr void close_if_silent(timestamp now) noexcept {
        if (!closed_ && pending() && now - last_ >= gap_limit() && silence_ends_frame()) {
            close();
        }
    }

    constexpr void release_frame() noexcept {
        if (frame_size_ > 0) {
            drop(frame_size_);
            frame_size_ = 0;
        }
    }
    constexpr void drop(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_) {
            begin_ = end_ = 0;
        }
    }
    constexpr void close() noexcept {
        closed_ = true;
        if (discarding_) {
            // An over-long run has ended; what it held is already gone.
            discarding_ = false;
        }
    }
    constexpr void append(std::span<const std::uint8_t> bytes, std::size_t count,
                          timestamp now) noexcept {
        if (end_ + count > storage) {
            const std::size_t n = held();
            for (std::size_t i = 0; i < n; ++i) {
                buf_[i] = buf_[begin_ + i];
            }
            begin_ = 0;
            end_ = n;
        }
        for (std::size_t i = 0; i < count; ++i) {
            buf_[end_ + i] = bytes[i];
        }
        end_ += count;
        last_ = now;
    }
    constexpr std::optional<decode_status> emit(std::size_t size) noexcept {
        frame_size_ = size;
        reported_ = false;
        return decode_status::frame;
    }
    // Drops the first `n` bytes held; reports `status` unless this run already reported. `noise`:
    // they could not have been the awaited reply (see reported_noise).
    constexpr std::optional<decode_status> skip(decode_status status, bool noise = false,
                                                std::size_t n = 1) noexcept {
        drop(n);
        if (reported_) {
            return std::nullopt;
        }
        reported_ = true;
        noise_ = noise;
        return status;
    }
    // A candidate that failed: damaged if it was the awaited reply's, noise if not.
    constexpr std::optional<decode_status> skip_failed(decode_status status) noexcept {
        return skip(status, expecting_ && !awaited_at(0));
    }

    constexpr detail::pdu_length predict_held() const noexcept {
        return detail::predict(dir_, held_bytes().subspan(1));
    }

    // Predicted mode, bytes still arriving: take exactly what the candidate at begin_ needs.
    constexpr decode_status scan_predicted(std::span<const std::uint8_t> in, std::size_t& used,
                                           timestamp now) noexcept {
        for (;;) {
            std::size_t need = 2;  // unit + function code
            if (held() >= 2) {
                const detail::pdu_length l = predict_held();
                switch (l.kind) {
                    case detail::pdu_length_kind::known:
                        need = l.length + 3;
                        if (held() >= need) {
                            if (crc16_ok(held_bytes().first(need))) {
                                return *emit(need);
                            }
                            if (const auto s = skip(decode_status::bad_crc)) {
                                return *s;
                            }
                            continue;
                        }
                        break;
                    case detail::pdu_length_kind::need_more:
                        need = l.length + 1;
                        break;
                    case detail::pdu_length_kind::invalid:
                        if (const auto s = skip(decode_status::bad_crc)) {
                            return *s;
                        }
                        continue;
                    case detail::pdu_length_kind::unknown:
                        // Silence ends this frame; until then it may grow to the maximum.
                        need = window;
                        if (held() >= window && used < in.size()) {
                            if (const auto s = skip(decode_status::too_long)) {
                                return *s;
                            }
                            continue;
                        }
                        break;
                }
            }
            if (used == in.size() || held() >= need) {
                return decode_status::need_more;
            }
            const std::size_t take =
                need - held() < in.size() - used ? need - held() : in.size() - used;
            append(in.subspan(used), take, now);
            used += take;
        }
    }

    // The awaited reply complete inside the bytes held, after the first byte and ending before
    // `limit` (offsets from begin_): the one that ends first (then: starts first), as if the
    // bytes had come one at a time. Returns its offset, 0 if there is none. A frame that lies
    // whole inside a candidate yet ends before it is what a bogus long header hides.
    constexpr std::size_t awaited_frame_inside(std::size_t limit) const noexcept {
        std::size_t found = 0;
        if (!expecting_ || head_may_be_reply()) {
            // Without a unit to match, CRC collisions would cut good frames; and inside a
            // candidate shaped exactly like the reply, what looks like a frame is its data.
            return found;
        }
        const auto h = held_bytes();
        for (std::size_t at = 1; at + min_rtu_adu_size <= h.size(); ++at) {
            // Where the length is unknown, an exception inside a candidate of the awaited unit
            // may be its data: only a normal frame wins there.
            if (!awaited_at(at) ||
                (expected_length_ == 0 && awaited_at(0) && is_exception(h[at + 1]))) {
                continue;
            }
            const detail::pdu_length l = detail::predict(dir_, h.subspan(at + 1));
            if (l.kind != detail::pdu_length_kind::known) {
                continue;
            }
            const std::size_t end = at + l.length + 3;
            if (end <= h.size() && end < limit && crc16_ok(h.subspan(at, l.length + 3))) {
                found = at;
                limit = end;
            }
        }
        return found;
    }

    // Hunting (an expectation, or a stream): like scan_predicted, but only the awaited function
    // starts a candidate, nothing ends one but its length, and a frame of the awaited unit
    // complete inside the bytes held takes precedence over the candidate at begin_.
    constexpr decode_status scan_hunting(std::span<const std::uint8_t> in, std::size_t& used,
                                         timestamp now) noexcept {
        for (;;) {
            std::size_t need = 2;  // unit + function code
            std::size_t limit = held() + 1;
            if (held() >= 2) {
                if (!awaited_function(buf_[begin_ + 1])) {
                    if (const auto s = skip(decode_status::bad_crc, expecting_)) {
                        return *s;
                    }
                    continue;
                }
                const detail::pdu_length l = predict_held();
                switch (l.kind) {
                    case detail::pdu_length_kind::known:
                        need = l.length + 3;
                        limit = need;
                        break;
                    case detail::pdu_length_kind::need_more:
                        need = l.length + 1;
                        break;
                    case detail::pdu_length_kind::invalid:
                        if (const auto s = skip(decode_status::bad_crc, expecting_)) {
                            return *s;
                        }
                        continue;
                    case detail::pdu_length_kind::unknown:
                        if (mode_ == rtu_framing::stream) {
                            // No silence on a stream will ever end it: it cannot be framed.
                            if (const auto s = skip(decode_status::bad_crc, expecting_)) {
                                return *s;
                            }
                            continue;
                        }
                        need = window;
                        if (held() >= window && used < in.size()) {
                            if (const auto s = skip_failed(decode_status::too_long)) {
                                return *s;
                            }
                            continue;
                        }
                        break;
                }
                if (const std::size_t at = awaited_frame_inside(limit); at > 0) {
                    // What came before the reply is noise; the reply is the next candidate.
                    if (const auto s = skip(decode_status::bad_crc, true, at)) {
                        return *s;
                    }
                    continue;
                }
                if (l.kind == detail::pdu_length_kind::known && held() >= need) {
                    if (crc16_ok(held_bytes().first(need))) {
                        return *emit(need);
                    }
                    if (const auto s = skip_failed(decode_status::bad_crc)) {
                        return *s;
                    }
                    continue;
                }
            }
            if (used == in.size() || held() >= need) {
                return decode_status::need_more;
            }
            const std::size_t take =
                need - held() < in.size() - used ? need - held() : in.size() - used;
            append(in.subspan(used), take, now);
            used += take;
        }
    }

    // Silence mode: everything that arrives joins the current frame, up to 256 bytes.
    constexpr decode_status collect_silence(std::span<const std::uint8_t> in, std::size_t& used,
                                            timestamp now) noexcept {
        if (in.empty()) {
            return decode_status::need_more;
        }
        if (discarding_) {
            used = in.size();
            last_ = now;
            return decode_status::need_more;
        }
        const std::size_t room = window - held();
        if (in.size() <= room) {
            append(in, in.size(), now);
            used = in.size();
            return decode_status::need_more;
        }
        // Over-long: drop it all and everything until the next silence.
        begin_ = end_ = 0;
        discarding_ = true;
        last_ = now;
        used = in.size();
        reported_ = true;
        noise_ = false;
        return decode_status::too_long;
    }

    // A silence ended the bytes held: no more bytes will join them. Returns a status to report,
    // or nullopt once everything held has been dealt with.
    constexpr std::optional<decode_status> scan_closed() noexcept {
        while (held() > 0) {
            if (hunting() && !silence_ends_frame()) {
                // What follows the silence-framed candidate is not ended by the silence: hunt in
                // it as if it had just arrived (it may hold a whole frame already).
                closed_ = false;
                reported_ = false;
                std::size_t used = 0;
                const decode_status s = scan_hunting({}, used, last_);
                return s == decode_status::need_more ? std::nullopt
                                                     : std::optional<decode_status>{s};
            }
            const std::optional<decode_status> s = closed_step();
            if (s) {
                return s;
            }
        }
        closed_ = false;
        reported_ = false;
        return std::nullopt;
    }

    constexpr std::optional<decode_status> closed_step() noexcept {
        if (mode_ == rtu_framing::silence) {
            return closed_silence_step();
        }
        return hunting() ? closed_hunting_step() : closed_predicted_step();
    }

    constexpr std::optional<decode_status> closed_predicted_step() noexcept {
        if (held() < 2) {
            return skip(decode_status::timeout);
        }
        const detail::pdu_length l = predict_held();
        switch (l.kind) {
            case detail::pdu_length_kind::known:
                if (held() >= l.length + 3) {
                    return crc16_ok(held_bytes().first(l.length + 3))
                               ? emit(l.length + 3)
                               : skip(decode_status::bad_crc);
                }
                return skip(decode_status::timeout);
            case detail::pdu_length_kind::need_more:
                return skip(decode_status::timeout);
            case detail::pdu_length_kind::invalid:
                return skip(decode_status::bad_crc);
            case detail::pdu_length_kind::unknown:
                break;
        }
        if (held() >= min_rtu_adu_size && crc16_ok(held_bytes())) {
            return emit(held());
        }
        return skip(decode_status::bad_crc);
    }

    // Hunting, after a silence that ended a candidate of unpredictable length.
    constexpr std::optional<decode_status> closed_hunting_step() noexcept {
        if (!awaited_function(buf_[begin_ + 1])) {
            return skip(decode_status::bad_crc, expecting_);
        }
        if (held() >= min_rtu_adu_size && crc16_ok(held_bytes())) {
            return emit(held());
        }
        return skip_failed(decode_status::bad_crc);
    }

    constexpr std::optional<decode_status> closed_silence_step() noexcept {
        const std::size_t n = held();
        const bool awaited = !expecting_ || (n >= 2 && awaited_function(buf_[begin_ + 1]));
        if (n >= min_rtu_adu_size && awaited && crc16_ok(held_bytes())) {
            return emit(n);
        }
        // Noise glued in front of a frame: find the suffix that is a frame (its CRC holds and
        // its length is the predicted one, or unpredictable), else drop everything.
        for (std::size_t s = 1; s + min_rtu_adu_size <= n; ++s) {
            const auto candidate = held_bytes().subspan(s);
            if (!awaited_function(candidate[1]) || !crc16_ok(candidate)) {
                continue;
            }
            const detail::pdu_length l = detail::predict(dir_, candidate.subspan(1));
            if ((l.kind == detail::pdu_length_kind::known && l.length + 3 == candidate.size()) ||
                l.kind == detail::pdu_length_kind::unknown) {
                return skip(decode_status::bad_crc, expecting_, s);
            }
        }
        const bool damaged = !expecting_ || awaited_at(0);
        if (const auto s =
                skip(n < min_rtu_adu_size ? decode_status::timeout : decode_status::bad_crc,
                     !damaged, n)) {
            return s;
        }
        return std::nullopt;
    }

    std::array<std::uint8_t, storage> buf_{};
    std::size_t begin_ = 0;       // first byte of the current candidate
    std::size_t end_ = 0;         // one past the last byte held
    std::size_t frame_size_ = 0;  // size of the frame returned last (released on the next call)
    timestamp last_{};
    pdu_direction dir_;
    rtu_framing mode_;
    rtu_timing timing_;
    bool closed_ = false;      // a silence followed the bytes held
    bool reported_ = false;    // this run of bad bytes has already been reported
    bool discarding_ = false;  // silence mode: dropping an over-long run until silence
    bool strict_t1_5_ = false;
    bool noise_ = false;               // the error reported last was noise (see reported_noise)
    bool expecting_ = false;           // expect() was called since the last reset
    std::size_t expected_length_ = 0;  // of a normal reply's PDU, 0: unknown
    std::uint8_t expected_unit_ = 0;
    std::uint8_t expected_function_ = 0;
};

}  // namespace gw
