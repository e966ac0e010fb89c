#pragma once
// Data packing for serial -> network (what an NPort calls "data packing"): when the bytes read
// from the serial line go out as one TCP segment. Sans-I/O: put() takes the bytes and the time
// they were read, poll() the time when nothing was read, deadline() says when to poll next.
//
// A packet is emitted when, whichever comes first:
// - the delimiter arrives (1 byte, or 2 bytes in sequence), processed as set: kept, stripped,
//   or kept and followed by 1 or 2 more bytes (a checksum after an end marker);
// - no byte came for force_transmit_ms after the last one (an idle gap, measured from it);
// - the packet reaches max_length;
// - the internal buffer is full (Capacity), so a delimiter that never comes cannot stall it.
// With none of them set (the defaults) every put() is emitted at once, without copying: the
// lowest latency, and what a Modbus RTU reply needs when the client frames it itself.
// With only max_length or only a delimiter set, bytes wait for it (no timeout): as an NPort.

#include <gw/core/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw::device_server {

enum class delimiter_process : std::uint8_t {
    keep,      ///< "do nothing": the packet ends with the delimiter
    strip,     ///< the delimiter is removed
    plus_one,  ///< the packet ends one byte after the delimiter
    plus_two,  ///< two bytes after it
};

struct packer_settings {
    std::array<std::uint8_t, 2> delimiter{};
    std::uint8_t delimiter_size = 0;  ///< 0 (off), 1 or 2
    delimiter_process process = delimiter_process::keep;
    std::uint32_t force_transmit_ms = 0;  ///< 0: off
    std::uint16_t max_length = 0;         ///< 0: off; above Capacity counts as Capacity
};

/// Emit (callable): void(std::span<const std::uint8_t> packet), the span valid during the call.
template <std::size_t Capacity = 1024>
class packer {
public:
    static_assert(Capacity > 0);
    static constexpr std::size_t capacity = Capacity;

    constexpr explicit packer(packer_settings s = {}) noexcept : s_{s} {
        if (s_.delimiter_size > 2) {
            s_.delimiter_size = 2;
        }
        limit_ = s_.max_length == 0 || s_.max_length > Capacity ? Capacity : s_.max_length;
    }

    /// Bytes read from the serial line at `now`. Consumes all of them; emits 0 or more packets.
    template <class Emit>
    constexpr void put(std::span<const std::uint8_t> in, timestamp now, Emit&& emit) {
        poll(now, emit);  // an idle gap that ended before these bytes ends the packet first
        if (in.empty()) {
            return;
        }
        last_ = now;
        if (immediate()) {
            emit(in);
            return;
        }
        for (const std::uint8_t b : in) {
            push(b, emit);
        }
    }

    /// No byte was read and the time is `now`: emits the held packet when force-transmit ran out.
    template <class Emit>
    constexpr void poll(timestamp now, Emit&& emit) {
        if (const auto d = deadline(); d && now >= *d) {
            flush(emit);
        }
    }

    /// When poll() must be called next: force-transmit after the last byte, if bytes are held.
    constexpr std::optional<timestamp> deadline() const noexcept {
        if (size_ == 0 || s_.force_transmit_ms == 0) {
            return std::nullopt;
        }
        return last_ + std::chrono::milliseconds{s_.force_transmit_ms};
    }

    /// Emits what is held (e.g. before the connection closes).
    template <class Emit>
    constexpr void flush(Emit&& emit) {
        if (size_ > 0) {
            emit(std::span<const std::uint8_t>{buf_}.first(size_));
        }
        size_ = 0;
        trailing_ = 0;
        first_held_ = false;
    }

    /// Drops what is held (a purge).
    constexpr void reset() noexcept {
        size_ = 0;
        trailing_ = 0;
        first_held_ = false;
        matched_first_ = false;
    }

    constexpr std::size_t buffered() const noexcept { return size_; }
    constexpr const packer_settings& settings() const noexcept { return s_; }

private:
    constexpr bool immediate() const noexcept {
        return s_.delimiter_size == 0 && s_.force_transmit_ms == 0 && s_.max_length == 0;
    }

    template <class Emit>
    constexpr void push(std::uint8_t b, Emit& emit) {
        if (trailing_ > 0) {  // the bytes after a delimiter (+1 / +2)
            append(b);
            if (--trailing_ == 0) {
                flush(emit);
            } else if (size_ >= limit_) {
                flush(emit);
            }
            return;
        }
        bool hit = false;
        bool strip_first = false;  // 2-byte delimiter: its first byte is the last one held
        if (s_.delimiter_size == 1) {
            hit = b == s_.delimiter[0];
        } else if (s_.delimiter_size == 2) {
            hit = matched_first_ && b == s_.delimiter[1];
            strip_first = hit && first_held_;
            matched_first_ = !hit && b == s_.delimiter[0];
        }
        if (hit && s_.process == delimiter_process::strip) {
            if (strip_first) {
                --size_;
            }
            first_held_ = false;
            flush(emit);
            return;
        }
        append(b);
        first_held_ = matched_first_;
        if (hit) {
            if (s_.process == delimiter_process::keep) {
                flush(emit);
                return;
            }
            trailing_ = s_.process == delimiter_process::plus_one ? 1 : 2;
        }
        if (size_ >= limit_) {
            flush(emit);
        }
    }

    constexpr void append(std::uint8_t b) noexcept { buf_[size_++] = b; }

    packer_settings s_;
    std::size_t limit_ = Capacity;
    std::array<std::uint8_t, Capacity> buf_{};
    std::size_t size_ = 0;
    timestamp last_{};
    std::uint8_t trailing_ = 0;
    bool matched_first_ = false;  // the previous byte was the first of a 2-byte delimiter
    bool first_held_ = false;     // ...and it is the last byte in buf_ (so strip can remove it)
};

}  // namespace gw::device_server
