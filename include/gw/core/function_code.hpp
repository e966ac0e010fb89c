#pragma once
// Modbus function codes (Modbus Application Protocol v1.1b3, section 5 and 6).

#include <cstdint>

namespace gw {

enum class function_code : std::uint8_t {
    read_coils = 1,
    read_discrete_inputs = 2,
    read_holding_registers = 3,
    read_input_registers = 4,
    write_single_coil = 5,
    write_single_register = 6,
    read_exception_status = 7,
    diagnostics = 8,
    get_comm_event_counter = 11,
    get_comm_event_log = 12,
    write_multiple_coils = 15,
    write_multiple_registers = 16,
    report_server_id = 17,
    read_file_record = 20,
    write_file_record = 21,
    mask_write_register = 22,
    read_write_multiple_registers = 23,
    read_fifo_queue = 24,
    encapsulated_interface = 43,
};

/// The bit a server sets in the function code of an exception response.
inline constexpr std::uint8_t exception_flag = 0x80;

/// MEI types of function 43 (encapsulated interface transport).
inline constexpr std::uint8_t mei_canopen_general_reference = 0x0D;
inline constexpr std::uint8_t mei_read_device_identification = 0x0E;

constexpr std::uint8_t to_byte(function_code fc) noexcept {
    return static_cast<std::uint8_t>(fc);
}

/// Is this the function code of an exception response (high bit set)?
constexpr bool is_exception(std::uint8_t fc) noexcept {
    return (fc & exception_flag) != 0;
}

/// The ranges the specification leaves to users (65-72 and 100-110): their PDUs are opaque.
constexpr bool is_user_defined(std::uint8_t fc) noexcept {
    return (fc >= 65 && fc <= 72) || (fc >= 100 && fc <= 110);
}

/// One of the public function codes gw knows (the enumerators of function_code).
constexpr bool is_public(std::uint8_t fc) noexcept {
    switch (fc) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
        case 7:
        case 8:
        case 11:
        case 12:
        case 15:
        case 16:
        case 17:
        case 20:
        case 21:
        case 22:
        case 23:
        case 24:
        case 43:
            return true;
        default:
            return false;
    }
}

}  // namespace gw
