#pragma once
// rs485_settings <-> the kernel's struct serial_rs485 (TIOCSRS485 / TIOCGRS485), and the check
// of what the driver applied against what was asked: drivers clamp delays (the serial core to
// 100 ms, some UARTs to 0 when they have no delay support) and adjust RTS flags, silently.

#include <gw/transport/serial_settings.hpp>

#include <linux/serial.h>

#include <cstdint>
#include <optional>
#include <string>

namespace gw::transport::detail {

/// The request for TIOCSRS485, delays passed through unchanged (invalid_reason() has already
/// refused any the kernel's u32 milliseconds cannot hold).
inline serial_rs485 to_kernel(const rs485_settings& rs) noexcept {
    serial_rs485 conf{};
    conf.flags = SER_RS485_ENABLED;
    if (rs.rts_on_send) {
        conf.flags |= SER_RS485_RTS_ON_SEND;
    }
    if (rs.rts_after_send) {
        conf.flags |= SER_RS485_RTS_AFTER_SEND;
    }
    if (rs.receive_during_send) {
        conf.flags |= SER_RS485_RX_DURING_TX;
    }
    conf.delay_rts_before_send = static_cast<std::uint32_t>(rs.delay_before_send.count());
    conf.delay_rts_after_send = static_cast<std::uint32_t>(rs.delay_after_send.count());
    return conf;
}

/// Why the driver's RS-485 settings (read back) are weaker than the request, if a delay differs:
/// the bus timing then is not what was configured, which must not pass silently.
inline std::optional<std::string> delay_difference(const serial_rs485& wanted,
                                                   const serial_rs485& applied) {
    const auto describe = [](const char* which, std::uint32_t want, std::uint32_t got) {
        return std::string("RS-485 delay ") + which + " send " + std::to_string(want) +
               " ms requested, the driver applies " + std::to_string(got) + " ms";
    };
    if (applied.delay_rts_before_send != wanted.delay_rts_before_send) {
        return describe("before", wanted.delay_rts_before_send, applied.delay_rts_before_send);
    }
    if (applied.delay_rts_after_send != wanted.delay_rts_after_send) {
        return describe("after", wanted.delay_rts_after_send, applied.delay_rts_after_send);
    }
    return std::nullopt;
}

/// The flags the request sets that the driver reports differently (0: none), for a warning.
inline std::uint32_t flag_difference(const serial_rs485& wanted,
                                     const serial_rs485& applied) noexcept {
    constexpr std::uint32_t ours = SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND |
                                   SER_RS485_RTS_AFTER_SEND | SER_RS485_RX_DURING_TX;
    return (wanted.flags ^ applied.flags) & ours;
}

}  // namespace gw::transport::detail
