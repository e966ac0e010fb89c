#pragma once
// One fixed buffer that holds a PDU with headroom for both framings, so that converting between
// RTU and Modbus TCP never moves the PDU:
//
//   offset: 0      2      4      6     7 ............ 7+n   7+n+2
//           [tid  ][pid  ][len  ][unit][ PDU (n bytes) ][crc lo, hi]
//           \____ MBAP header (7 bytes incl. unit) ___/
//                                 \__ RTU ADU = unit + PDU + CRC __/
//
// The unit byte is shared: it is the last byte of the MBAP header and the first of the RTU ADU.
// as_mbap() writes the six bytes in front of it, as_rtu() the two CRC bytes after the PDU.

#include <gw/codec/crc16.hpp>
#include <gw/core/endian.hpp>
#include <gw/core/limits.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw {

class adu_buffer {
public:
    static constexpr std::size_t capacity = mbap_header_size + max_pdu_size + 2;
    static constexpr std::size_t unit_offset = mbap_header_size - 1;  // 6
    static constexpr std::size_t pdu_offset = mbap_header_size;       // 7

    constexpr adu_buffer() noexcept = default;

    constexpr std::uint8_t unit() const noexcept { return bytes_[unit_offset]; }
    constexpr void set_unit(std::uint8_t unit) noexcept { bytes_[unit_offset] = unit; }

    /// The 253 bytes a PDU is written into (then call set_pdu_size).
    constexpr std::span<std::uint8_t> pdu_storage() noexcept {
        return std::span<std::uint8_t>{bytes_}.subspan(pdu_offset, max_pdu_size);
    }
    /// The current PDU.
    constexpr std::span<const std::uint8_t> pdu() const noexcept {
        return std::span<const std::uint8_t>{bytes_}.subspan(pdu_offset, pdu_size_);
    }
    /// Sets the PDU size; values above 253 are clamped to 253.
    constexpr void set_pdu_size(std::size_t n) noexcept {
        pdu_size_ = n <= max_pdu_size ? n : max_pdu_size;
    }
    constexpr std::size_t pdu_size() const noexcept { return pdu_size_; }

    /// The RTU ADU (unit + PDU + CRC); computes the CRC in place.
    constexpr std::span<const std::uint8_t> as_rtu() noexcept {
        const std::size_t end = pdu_offset + pdu_size_;
        const std::uint16_t crc =
            crc16(std::span<const std::uint8_t>{bytes_}.subspan(unit_offset, 1 + pdu_size_));
        bytes_[end] = low_byte(crc);
        bytes_[end + 1] = high_byte(crc);
        return std::span<const std::uint8_t>{bytes_}.subspan(unit_offset, 1 + pdu_size_ + 2);
    }

    /// The Modbus TCP ADU (MBAP header + PDU); writes the header in place.
    constexpr std::span<const std::uint8_t> as_mbap(std::uint16_t transaction_id) noexcept {
        const std::span<std::uint8_t> all{bytes_};
        put_u16(all, 0, transaction_id);
        put_u16(all, 2, 0);
        put_u16(all, 4, static_cast<std::uint16_t>(1 + pdu_size_));
        return std::span<const std::uint8_t>{bytes_}.first(pdu_offset + pdu_size_);
    }

    /// Copies a whole RTU ADU (unit + PDU + CRC) in; the CRC is not rechecked. False (and the
    /// buffer unchanged) if it is longer than 256 bytes or shorter than 4.
    constexpr bool assign_rtu(std::span<const std::uint8_t> rtu_adu) noexcept {
        if (rtu_adu.size() < min_rtu_adu_size || rtu_adu.size() > max_rtu_adu_size) {
            return false;
        }
        for (std::size_t i = 0; i < rtu_adu.size(); ++i) {
            bytes_[unit_offset + i] = rtu_adu[i];
        }
        pdu_size_ = rtu_adu.size() - 3;
        return true;
    }

    /// Copies a PDU in. False (and the buffer unchanged) if it is longer than 253 bytes.
    constexpr bool assign_pdu(std::uint8_t unit, std::span<const std::uint8_t> pdu) noexcept {
        if (pdu.size() > max_pdu_size) {
            return false;
        }
        bytes_[unit_offset] = unit;
        for (std::size_t i = 0; i < pdu.size(); ++i) {
            bytes_[pdu_offset + i] = pdu[i];
        }
        pdu_size_ = pdu.size();
        return true;
    }

    /// The function code of the current PDU (0 when empty).
    constexpr std::uint8_t function() const noexcept {
        return pdu_size_ > 0 ? bytes_[pdu_offset] : std::uint8_t{0};
    }

private:
    std::array<std::uint8_t, capacity> bytes_{};
    std::size_t pdu_size_ = 0;
};

}  // namespace gw
