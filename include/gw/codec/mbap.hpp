#pragma once
// Modbus TCP ADU framing (Modbus Messaging on TCP/IP v1.0b, 3.1.3): the 7-byte MBAP header
// (transaction id, protocol id 0, length = unit + PDU, unit) then the PDU.
//
// decode_mbap is stateless and works in the caller's receive buffer: nothing is copied, the
// frame's PDU points into that buffer. A stream with a bad header cannot be resynchronised (no
// delimiter): the caller closes the connection.

#include <gw/codec/decode_status.hpp>
#include <gw/core/endian.hpp>
#include <gw/core/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace gw {

struct mbap_header {
    std::uint16_t transaction_id;
    std::uint16_t protocol_id;
    std::uint16_t length;
    std::uint8_t unit;
};

struct mbap_frame {
    mbap_header header;
    std::span<const std::uint8_t> pdu;  ///< points into the caller's buffer
};

struct mbap_decode_result {
    decode_status status;
    std::size_t consumed;
    mbap_frame frame;
};

/// Looks at the start of `buffer`: need_more (consumed 0) until a whole ADU is present;
/// bad_header (consumed 0) when the protocol id is not 0 or the length is outside 2..254;
/// frame (consumed = 6 + length) otherwise.
constexpr mbap_decode_result decode_mbap(std::span<const std::uint8_t> buffer) noexcept {
    mbap_decode_result result{decode_status::need_more, 0, {{0, 0, 0, 0}, {}}};
    if (buffer.size() < mbap_header_size) {
        // Judge what has arrived already: a bad header need not wait for seven bytes.
        if (buffer.size() >= 4 && get_u16(buffer, 2) != 0) {
            result.status = decode_status::bad_header;
        }
        if (buffer.size() >= 6) {
            const std::uint16_t length = get_u16(buffer, 4);
            if (length < min_mbap_length || length > max_mbap_length) {
                result.status = decode_status::bad_header;
            }
        }
        return result;
    }
    mbap_header& h = result.frame.header;
    h.transaction_id = get_u16(buffer, 0);
    h.protocol_id = get_u16(buffer, 2);
    h.length = get_u16(buffer, 4);
    h.unit = buffer[6];
    if (h.protocol_id != 0 || h.length < min_mbap_length || h.length > max_mbap_length) {
        result.status = decode_status::bad_header;
        return result;
    }
    const std::size_t total = std::size_t{6} + h.length;
    if (buffer.size() < total) {
        return result;
    }
    result.status = decode_status::frame;
    result.consumed = total;
    result.frame.pdu = buffer.subspan(mbap_header_size, total - mbap_header_size);
    return result;
}

/// Writes the 7-byte header for a PDU of `pdu_size` bytes; returns 7, or 0 if `out` is shorter
/// than 7 bytes or the PDU is empty or longer than 253 bytes.
constexpr std::size_t encode_mbap_header(std::uint16_t tid, std::uint8_t unit, std::size_t pdu_size,
                                         std::span<std::uint8_t> out) noexcept {
    if (out.size() < mbap_header_size || pdu_size == 0 || pdu_size > max_pdu_size) {
        return 0;
    }
    put_u16(out, 0, tid);
    put_u16(out, 2, 0);
    put_u16(out, 4, static_cast<std::uint16_t>(pdu_size + 1));
    out[6] = unit;
    return mbap_header_size;
}

}  // namespace gw
