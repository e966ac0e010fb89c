#pragma once
// Sizes and quantity limits of Modbus Application Protocol v1.1b3 and the serial/TCP
// specifications. Everything that bounds a buffer in gw comes from here.

#include <cstddef>
#include <cstdint>

namespace gw {

// Frame sizes.
inline constexpr std::size_t max_pdu_size = 253;           ///< function code + data
inline constexpr std::size_t max_rtu_adu_size = 256;       ///< unit + PDU + CRC
inline constexpr std::size_t min_rtu_adu_size = 4;         ///< unit + function code + CRC
inline constexpr std::size_t max_ascii_frame_chars = 513;  ///< ':' + 2 * (unit + PDU + LRC) + CR LF
inline constexpr std::size_t mbap_header_size = 7;         ///< tid, pid, length, unit
inline constexpr std::size_t max_tcp_adu_size = 260;       ///< MBAP header + PDU
inline constexpr std::uint16_t min_mbap_length = 2;        ///< unit + function code
inline constexpr std::uint16_t max_mbap_length = 254;      ///< unit + 253-byte PDU

// Quantity limits (per request).
inline constexpr std::uint16_t max_read_bits = 2000;               ///< FC 1, 2 (0x07D0)
inline constexpr std::uint16_t max_read_registers = 125;           ///< FC 3, 4 (0x007D)
inline constexpr std::uint16_t max_write_bits = 1968;              ///< FC 15 (0x07B0)
inline constexpr std::uint16_t max_write_registers = 123;          ///< FC 16 (0x007B)
inline constexpr std::uint16_t max_rw_read_registers = 125;        ///< FC 23 read part (0x007D)
inline constexpr std::uint16_t max_rw_write_registers = 121;       ///< FC 23 write part (0x0079)
inline constexpr std::uint16_t max_fifo_count = 31;                ///< FC 24
inline constexpr std::uint8_t min_file_request_byte_count = 0x07;  ///< FC 20
inline constexpr std::uint8_t max_file_request_byte_count = 0xF5;  ///< FC 20
inline constexpr std::uint8_t min_file_write_byte_count = 0x09;    ///< FC 21
inline constexpr std::uint8_t max_file_write_byte_count = 0xFB;    ///< FC 21
inline constexpr std::uint8_t file_reference_type = 6;             ///< FC 20, 21
inline constexpr std::uint16_t max_file_record_number = 0x270F;    ///< FC 20, 21 (9999)

/// Addresses are 16-bit: start + quantity may reach 65536 but not exceed it.
inline constexpr std::uint32_t address_space = 65536;

// Coil values of FC 5.
inline constexpr std::uint16_t coil_on = 0xFF00;
inline constexpr std::uint16_t coil_off = 0x0000;

/// The longest Modbus/TCP Security role name, in bytes: one bound for the certificate role
/// reader (gw/tls/x509_role.hpp), a connection's identity, the authorization rules and audit
/// events. The specification leaves the length open; 64 holds any sensible name.
inline constexpr std::size_t max_role_length = 64;

}  // namespace gw
