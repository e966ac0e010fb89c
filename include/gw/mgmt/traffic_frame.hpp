#pragma once
// The traffic monitor's frames without any I/O: a frame as the ring keeps it, the unit and
// function code read from it per framing, the viewers' filter, and the pcapng writer of a
// capture. Bounded and allocation-light; fuzzed by fuzz/traffic_frame (any bytes, any framing).

#include <gw/gateway/traffic_tap.hpp>
#include <gw/router/channel_options.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gw::mgmt {

/// One frame in the ring.
struct traffic_entry {
    std::uint64_t seq = 0;
    std::int64_t unix_us = 0;  ///< wall-clock time of the tap, microseconds since 1970
    std::uint16_t channel = 0;
    gateway::traffic_direction direction = gateway::traffic_direction::to_device;
    bool truncated = false;
    std::uint16_t size = 0;
    std::array<std::uint8_t, gateway::max_traffic_frame> bytes{};

    std::span<const std::uint8_t> data() const noexcept { return {bytes.data(), size}; }
};

/// The unit and function code a frame carries, if it is long enough to carry them.
struct frame_address {
    std::uint8_t unit = 0;
    std::uint8_t function = 0;
};

inline std::optional<std::uint8_t> hex_byte(std::span<const std::uint8_t> text,
                                            std::size_t at) noexcept {
    if (text.size() < at + 2) return std::nullopt;
    const auto digit = [](std::uint8_t c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int hi = digit(text[at]);
    const int lo = digit(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    return static_cast<std::uint8_t>(hi * 16 + lo);
}

/// Reads the unit and function code of a frame of the given framing; nothing for a frame too
/// short (or, for ASCII, not starting with ':' and two hex pairs).
inline std::optional<frame_address> address_of(router::channel_framing framing,
                                               std::span<const std::uint8_t> b) noexcept {
    switch (framing) {
        case router::channel_framing::rtu:
            if (b.size() < 2) return std::nullopt;
            return frame_address{b[0], b[1]};
        case router::channel_framing::mbap:
            if (b.size() < 8) return std::nullopt;
            return frame_address{b[6], b[7]};
        case router::channel_framing::ascii: {
            if (b.empty() || b[0] != ':') return std::nullopt;
            const auto unit = hex_byte(b, 1);
            const auto function = hex_byte(b, 3);
            if (!unit || !function) return std::nullopt;
            return frame_address{*unit, *function};
        }
    }
    return std::nullopt;
}

/// What a viewer asked to see. A function filter matches the exception answers of that
/// function too (0x83 for 3).
struct traffic_filter {
    std::optional<std::uint16_t> channel;
    std::optional<std::uint8_t> unit;
    std::optional<std::uint8_t> function;

    bool matches(const traffic_entry& e, router::channel_framing framing) const noexcept {
        if (channel && *channel != e.channel) return false;
        if (!unit && !function) return true;
        const auto a = address_of(framing, e.data());
        if (!a) return false;
        if (unit && a->unit != *unit) return false;
        if (function && (a->function & 0x7F) != *function) return false;
        return true;
    }
};

/// pcapng (draft-ietf-opsawg-pcapng): a section header, an interface per channel, an enhanced
/// packet block per frame with its direction. Little-endian, as the section header says.
class pcapng_writer {
public:
    static constexpr std::uint16_t linktype_of(router::channel_framing f) noexcept {
        return f == router::channel_framing::rtu    ? 147   // LINKTYPE_USER0
               : f == router::channel_framing::mbap ? 148   // LINKTYPE_USER1
                                                    : 149;  // LINKTYPE_USER2
    }

    pcapng_writer() {
        block(0x0A0D0D0A, [&] {
            u32(0x1A2B3C4D);
            u16(1);
            u16(0);
            u32(0xFFFFFFFF);  // section length unknown
            u32(0xFFFFFFFF);
            option(4, "gw_gateway");  // shb_userappl
            end_options();
        });
    }

    /// Interface ids are given in call order, from 0.
    void interface(std::string_view name, router::channel_framing framing) {
        block(1, [&] {
            u16(linktype_of(framing));
            u16(0);
            u32(gateway::max_traffic_frame);  // snaplen
            option(2, name);                  // if_name
            std::uint8_t microseconds = 6;
            option(9, std::string_view{reinterpret_cast<const char*>(&microseconds), 1});
            end_options();
        });
    }

    void packet(std::uint32_t interface_id, const traffic_entry& e) {
        block(6, [&] {
            u32(interface_id);
            const auto t = static_cast<std::uint64_t>(e.unix_us);
            u32(static_cast<std::uint32_t>(t >> 32));
            u32(static_cast<std::uint32_t>(t & 0xFFFFFFFFu));
            u32(e.size);
            u32(e.size);
            raw(e.data());
            pad();
            // epb_flags: direction 1 inbound (from the device), 2 outbound (to it).
            const std::uint32_t flags =
                e.direction == gateway::traffic_direction::from_device ? 1u : 2u;
            std::array<std::uint8_t, 4> f{};
            for (std::size_t i = 0; i < 4; ++i)
                f[i] = static_cast<std::uint8_t>(flags >> (8 * i));
            option(2, std::string_view{reinterpret_cast<const char*>(f.data()), f.size()});
            end_options();
        });
    }

    std::string take() { return std::move(out_); }

private:
    template <class Body>
    void block(std::uint32_t type, Body&& body) {
        const std::size_t start = out_.size();
        u32(type);
        u32(0);  // length, patched below
        body();
        const auto length = static_cast<std::uint32_t>(out_.size() - start + 4);
        u32(length);
        for (std::size_t i = 0; i < 4; ++i)
            out_[start + 4 + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    }
    void u16(std::uint16_t v) {
        out_ += static_cast<char>(v & 0xFF);
        out_ += static_cast<char>(v >> 8);
    }
    void u32(std::uint32_t v) {
        for (std::size_t i = 0; i < 4; ++i)
            out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    }
    void raw(std::span<const std::uint8_t> b) {
        out_.append(reinterpret_cast<const char*>(b.data()), b.size());
    }
    void pad() {
        while (out_.size() % 4 != 0)
            out_ += '\0';
    }
    void option(std::uint16_t code, std::string_view value) {
        u16(code);
        u16(static_cast<std::uint16_t>(value.size()));
        out_.append(value);
        pad();
    }
    void end_options() { u32(0); }

    std::string out_;
};

}  // namespace gw::mgmt
