#pragma once
// Modbus exception codes (Modbus Application Protocol v1.1b3, section 7). An exception is a
// response value the server sends, never an error of the library.

#include <cstdint>
#include <string_view>

namespace gw {

enum class exception_code : std::uint8_t {
    illegal_function = 0x01,
    illegal_data_address = 0x02,
    illegal_data_value = 0x03,
    server_device_failure = 0x04,
    acknowledge = 0x05,
    server_device_busy = 0x06,
    negative_acknowledge = 0x07,
    memory_parity_error = 0x08,
    gateway_path_unavailable = 0x0A,
    gateway_target_failed = 0x0B,
};

constexpr std::string_view to_string(exception_code code) noexcept {
    switch (code) {
        case exception_code::illegal_function:
            return "illegal function";
        case exception_code::illegal_data_address:
            return "illegal data address";
        case exception_code::illegal_data_value:
            return "illegal data value";
        case exception_code::server_device_failure:
            return "server device failure";
        case exception_code::acknowledge:
            return "acknowledge";
        case exception_code::server_device_busy:
            return "server device busy";
        case exception_code::negative_acknowledge:
            return "negative acknowledge";
        case exception_code::memory_parity_error:
            return "memory parity error";
        case exception_code::gateway_path_unavailable:
            return "gateway path unavailable";
        case exception_code::gateway_target_failed:
            return "gateway target device failed to respond";
    }
    return "unknown exception";
}

}  // namespace gw
