#pragma once
// What a serial line is configured with. Plain data, no Asio and no OS headers, so the
// configuration layer can hold and validate it without pulling in the transport.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw::transport {

enum class parity : std::uint8_t { none, even, odd };

constexpr std::string_view to_string(parity p) noexcept {
    switch (p) {
        case parity::none:
            return "none";
        case parity::even:
            return "even";
        case parity::odd:
            return "odd";
    }
    return "?";
}

/// The longest RTS delay the Linux serial core applies (RS485_MAX_RTS_DELAY, 100 ms); it
/// clamps longer ones, so they are refused before they reach it.
inline constexpr std::chrono::milliseconds max_rs485_delay{100};

/// RS-485 half-duplex direction control done by the UART driver (Linux TIOCSRS485).
/// Only applied when `enabled`; otherwise the driver's own configuration is left untouched
/// (a board may have set it up in its device tree). The one RS-485 type of gw: the
/// configuration file fills it (gw::config::rs485_config is this type), the plan carries it,
/// serial_port hands it to the kernel unchanged.
struct rs485_settings {
    bool enabled = false;
    bool rts_on_send = true;      ///< RTS level while sending (driver enable active)
    bool rts_after_send = false;  ///< RTS level after the last bit is sent
    /// RTS raised this long before the first bit, and kept this long after the last one. Whole
    /// milliseconds: the unit of the kernel's struct serial_rs485. Finer delays would need RTS
    /// toggled from user space around a blocking tcdrain(), which the io thread must not do.
    std::chrono::milliseconds delay_before_send{0};
    std::chrono::milliseconds delay_after_send{0};
    bool receive_during_send = false;  ///< keep the receiver on while sending (hears its own echo)

    friend bool operator==(const rs485_settings&, const rs485_settings&) = default;
};

/// The Modbus default is 19200 baud, 8 data bits, even parity, 1 stop bit (spec: "8E1").
struct serial_settings {
    std::string device;  ///< e.g. /dev/ttyUSB0, /dev/ttyS1 or a pty slave /dev/pts/3
    std::uint32_t baud = 19200;
    std::uint8_t data_bits = 8;  ///< 7 (ASCII mode) or 8
    transport::parity parity = transport::parity::even;
    std::uint8_t stop_bits = 1;  ///< 1 or 2
    rs485_settings rs485{};
    bool low_latency = true;  ///< ask the driver not to batch received bytes (ASYNC_LOW_LATENCY)
    bool exclusive = true;    ///< refuse further opens of the device by other processes (TIOCEXCL)

    friend bool operator==(const serial_settings&, const serial_settings&) = default;
};

/// The framing part of a serial configuration, as read back from the driver.
struct line_settings {
    std::uint32_t baud = 0;
    std::uint8_t data_bits = 8;
    transport::parity parity = transport::parity::none;
    std::uint8_t stop_bits = 1;

    friend bool operator==(const line_settings&, const line_settings&) = default;
};

constexpr line_settings line_settings_of(const serial_settings& s) noexcept {
    return {s.baud, s.data_bits, s.parity, s.stop_bits};
}

/// Why these settings cannot be applied, or an empty view when they can.
constexpr std::string_view invalid_reason(const serial_settings& s) noexcept {
    if (s.device.empty()) {
        return "no serial device given";
    }
    if (s.baud == 0) {
        return "baud rate must be positive";
    }
    if (s.data_bits != 7 && s.data_bits != 8) {
        return "data bits must be 7 or 8";
    }
    if (s.stop_bits != 1 && s.stop_bits != 2) {
        return "stop bits must be 1 or 2";
    }
    if (s.parity != parity::none && s.parity != parity::even && s.parity != parity::odd) {
        return "parity must be none, even or odd";
    }
    static_assert(max_rs485_delay == std::chrono::milliseconds{100}, "the message below says 100");
    for (const auto d : {s.rs485.delay_before_send, s.rs485.delay_after_send}) {
        if (d < std::chrono::milliseconds{0} || d > max_rs485_delay) {
            return "RS-485 delays must be 0..100 ms (the kernel clamps longer ones)";
        }
    }
    return {};
}

}  // namespace gw::transport
