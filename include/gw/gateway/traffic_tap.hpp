#pragma once
// What a channel puts on its line and reads back, frame by frame, for a traffic monitor or a
// capture: the bytes as they are on the wire (an RTU frame with its CRC, an ASCII line, an
// MBAP ADU), so that a bad CRC or a stray byte is seen as it was.
//
// The tap is called on the io thread, inside the channel's read and write paths: it must copy
// what it keeps and return (no I/O, no locks held long). A gateway without a tap pays one
// branch per frame.
//
// To the device: each request exactly as written. From the device: the bytes read since the
// last frame, handed over when the engine has decided about them (a reply, a bad CRC, a wrong
// unit, an invalid answer) or, for stray bytes, before the next request goes out. A frame
// longer than max_traffic_frame is cut there and marked truncated.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace gw::gateway {

enum class traffic_direction : std::uint8_t { to_device, from_device };

/// An RTU frame is at most 256 bytes, an MBAP ADU 260, an ASCII line 513.
inline constexpr std::size_t max_traffic_frame = 520;

struct traffic_frame {
    std::size_t channel = 0;  ///< the plan's channel index
    traffic_direction direction = traffic_direction::to_device;
    std::span<const std::uint8_t> bytes;
    bool truncated = false;  ///< more bytes came than max_traffic_frame
};

using traffic_tap = std::function<void(const traffic_frame&)>;

/// The bytes a channel has read and not yet handed to the tap (bounded, no heap).
class traffic_rx_buffer {
public:
    void append(std::span<const std::uint8_t> bytes) noexcept {
        for (const auto b : bytes) {
            if (size_ == data_.size()) {
                truncated_ = true;
                return;
            }
            data_[size_++] = b;
        }
    }
    bool empty() const noexcept { return size_ == 0; }
    /// Hands what is held to `tap` as one frame from the device, then forgets it.
    void flush(const traffic_tap& tap, std::size_t channel) {
        if (size_ == 0) return;
        traffic_frame f;
        f.channel = channel;
        f.direction = traffic_direction::from_device;
        f.bytes = std::span<const std::uint8_t>{data_.data(), size_};
        f.truncated = truncated_;
        size_ = 0;
        truncated_ = false;
        tap(f);
    }
    void clear() noexcept {
        size_ = 0;
        truncated_ = false;
    }

private:
    std::array<std::uint8_t, max_traffic_frame> data_{};
    std::size_t size_ = 0;
    bool truncated_ = false;
};

}  // namespace gw::gateway
