#pragma once
// The hostile-input boundary: how long a PDU is (from what has arrived so far), whether a request
// respects Modbus Application Protocol v1.1b3, whether a response matches its request, and typed
// views on validated requests. Everything after this header works on validated PDUs.

#include <gw/core/endian.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/core/function_code.hpp>
#include <gw/core/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

enum class pdu_direction : std::uint8_t { request, response };

/// How long the PDU starting at a prefix is.
/// - known: `length` is the whole PDU length (function code included).
/// - need_more: the prefix is too short to tell; `length` is the prefix size needed to progress.
/// - unknown: the length cannot be told from the bytes (user-defined codes, FC 8 sub-function 0,
///   FC 43 MEI 13, and anything invalid): frame it by silence, validation decides afterwards.
struct length_prediction {
    enum kind_t : std::uint8_t { need_more, known, unknown } kind;
    std::size_t length;
};

namespace detail {

/// The framers' view: like length_prediction, plus `invalid` for bytes that cannot start a PDU
/// of this direction (function code 0, a request with the high bit set, a response of an unknown
/// public code, a length beyond 253): a framer skips such a start without waiting for silence.
enum class pdu_length_kind : std::uint8_t { need_more, known, unknown, invalid };
struct pdu_length {
    pdu_length_kind kind;
    std::size_t length;
};

constexpr pdu_length more(std::size_t n) noexcept {
    return {pdu_length_kind::need_more, n};
}
constexpr pdu_length exactly(std::size_t n) noexcept {
    return n <= max_pdu_size ? pdu_length{pdu_length_kind::known, n}
                             : pdu_length{pdu_length_kind::invalid, 0};
}
inline constexpr pdu_length unknown_length{pdu_length_kind::unknown, 0};
inline constexpr pdu_length invalid_length{pdu_length_kind::invalid, 0};

// FC 43 / MEI 14 response: fc, mei, code, conformity, more, next id, count, then count objects
// of {id, length, value}.
constexpr pdu_length predict_device_id_response(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 7) {
        return more(7);
    }
    std::size_t pos = 7;
    for (std::size_t i = 0; i < p[6]; ++i) {
        if (p.size() < pos + 2) {
            return pos + 2 <= max_pdu_size ? more(pos + 2) : invalid_length;
        }
        pos += 2 + std::size_t{p[pos + 1]};
        if (pos > max_pdu_size) {
            return invalid_length;
        }
    }
    return exactly(pos);
}

constexpr pdu_length predict_request(std::span<const std::uint8_t> p) noexcept {
    const std::uint8_t fc = p[0];
    switch (fc) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
            return exactly(5);
        case 7:
        case 11:
        case 12:
        case 17:
            return exactly(1);
        case 8:
            if (p.size() < 3) {
                return more(3);
            }
            // Return Query Data echoes any amount of data: only silence can end it.
            return get_u16(p, 1) == 0 ? unknown_length : exactly(5);
        case 15:
        case 16:
            return p.size() < 6 ? more(6) : exactly(6 + std::size_t{p[5]});
        case 20:
        case 21:
            return p.size() < 2 ? more(2) : exactly(2 + std::size_t{p[1]});
        case 22:
            return exactly(7);
        case 23:
            return p.size() < 10 ? more(10) : exactly(10 + std::size_t{p[9]});
        case 24:
            return exactly(3);
        case 43:
            if (p.size() < 2) {
                return more(2);
            }
            if (p[1] == mei_read_device_identification) {
                return exactly(4);
            }
            return p[1] == mei_canopen_general_reference ? unknown_length : invalid_length;
        default:
            // Unknown public codes still frame by silence so that the server can answer 01.
            return fc == 0 || is_exception(fc) ? invalid_length : unknown_length;
    }
}

constexpr pdu_length predict_response(std::span<const std::uint8_t> p) noexcept {
    const std::uint8_t fc = p[0];
    if (is_exception(fc)) {
        return fc == exception_flag ? invalid_length : exactly(2);
    }
    switch (fc) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 12:
        case 17:
        case 20:
        case 21:
        case 23:
            return p.size() < 2 ? more(2) : exactly(2 + std::size_t{p[1]});
        case 5:
        case 6:
        case 11:
        case 15:
        case 16:
            return exactly(5);
        case 7:
            return exactly(2);
        case 8:
            if (p.size() < 3) {
                return more(3);
            }
            return get_u16(p, 1) == 0 ? unknown_length : exactly(5);
        case 22:
            return exactly(7);
        case 24:
            return p.size() < 3 ? more(3) : exactly(3 + std::size_t{get_u16(p, 1)});
        case 43:
            if (p.size() < 2) {
                return more(2);
            }
            if (p[1] == mei_read_device_identification) {
                return predict_device_id_response(p);
            }
            return p[1] == mei_canopen_general_reference ? unknown_length : invalid_length;
        default:
            return is_user_defined(fc) ? unknown_length : invalid_length;
    }
}

constexpr pdu_length predict(pdu_direction dir, std::span<const std::uint8_t> prefix) noexcept {
    if (prefix.empty()) {
        return more(1);
    }
    return dir == pdu_direction::request ? predict_request(prefix) : predict_response(prefix);
}

constexpr std::size_t bit_bytes(std::size_t bits) noexcept {
    return (bits + 7) / 8;
}

constexpr bool window_fits(std::uint16_t start, std::uint16_t quantity) noexcept {
    return std::uint32_t{start} + quantity <= address_space;
}

using maybe_exception = std::optional<exception_code>;
inline constexpr maybe_exception valid = std::nullopt;
inline constexpr maybe_exception bad_value = exception_code::illegal_data_value;
inline constexpr maybe_exception bad_address = exception_code::illegal_data_address;
inline constexpr maybe_exception bad_function = exception_code::illegal_function;

// FC 1, 2, 3, 4: quantity first (03), then the address window (02), as the spec's state
// diagrams order them.
constexpr maybe_exception validate_read(std::span<const std::uint8_t> p,
                                        std::uint16_t max_quantity) noexcept {
    if (p.size() != 5) {
        return bad_value;
    }
    const std::uint16_t quantity = get_u16(p, 3);
    if (quantity < 1 || quantity > max_quantity) {
        return bad_value;
    }
    return window_fits(get_u16(p, 1), quantity) ? valid : bad_address;
}

// FC 15, 16: the byte count must equal what the quantity implies (libmodbus CVE-2019-14462 /
// 14463 trusted one and copied the other), and the PDU must end right after the values.
constexpr maybe_exception validate_write_multiple(std::span<const std::uint8_t> p,
                                                  std::uint16_t max_quantity, bool bits) noexcept {
    if (p.size() < 6) {
        return bad_value;
    }
    const std::uint16_t quantity = get_u16(p, 3);
    if (quantity < 1 || quantity > max_quantity) {
        return bad_value;
    }
    const std::size_t expected = bits ? bit_bytes(quantity) : 2 * std::size_t{quantity};
    if (p[5] != expected || p.size() != 6 + expected) {
        return bad_value;
    }
    return window_fits(get_u16(p, 1), quantity) ? valid : bad_address;
}

// FC 23: both windows, as CVE-2022-0367 (libmodbus checked only one) shows.
constexpr maybe_exception validate_read_write(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 10) {
        return bad_value;
    }
    const std::uint16_t read_quantity = get_u16(p, 3);
    const std::uint16_t write_quantity = get_u16(p, 7);
    if (read_quantity < 1 || read_quantity > max_rw_read_registers || write_quantity < 1 ||
        write_quantity > max_rw_write_registers) {
        return bad_value;
    }
    const std::size_t expected = 2 * std::size_t{write_quantity};
    if (p[9] != expected || p.size() != 10 + expected) {
        return bad_value;
    }
    if (!window_fits(get_u16(p, 1), read_quantity) || !window_fits(get_u16(p, 5), write_quantity)) {
        return bad_address;
    }
    return valid;
}

constexpr bool is_known_diagnostic(std::uint16_t sub) noexcept {
    return sub == 0 || sub == 1 || sub == 2 || sub == 4 || (sub >= 10 && sub <= 18) || sub == 20;
}

// FC 8: sub-functions 0 (any data), 1 (0x0000 or 0xFF00), 2, 4, 10-18, 20 (data 0x0000).
constexpr maybe_exception validate_diagnostics(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 3) {
        return bad_value;
    }
    const std::uint16_t sub = get_u16(p, 1);
    if (!is_known_diagnostic(sub)) {
        return bad_function;
    }
    if (sub == 0) {
        return valid;
    }
    if (p.size() != 5) {
        return bad_value;
    }
    const std::uint16_t data = get_u16(p, 3);
    if (sub == 1) {
        return data == 0x0000 || data == 0xFF00 ? valid : bad_value;
    }
    return data == 0 ? valid : bad_value;
}

// FC 20: byte count 0x07..0xF5 in whole 7-byte sub-requests; reference type 6, file 1..0xFFFF,
// record 0..0x270F (else 02); the answer must fit in a PDU (else 03).
constexpr maybe_exception validate_read_file(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 2) {
        return bad_value;
    }
    const std::uint8_t count = p[1];
    if (count < min_file_request_byte_count || count > max_file_request_byte_count ||
        count % 7 != 0 || p.size() != 2 + std::size_t{count}) {
        return bad_value;
    }
    std::size_t response_size = 2;
    for (std::size_t pos = 2; pos < p.size(); pos += 7) {
        const std::uint16_t length = get_u16(p, pos + 5);
        if (length == 0) {
            return bad_value;
        }
        response_size += 2 + 2 * std::size_t{length};
        if (response_size > max_pdu_size) {
            return bad_value;
        }
    }
    for (std::size_t pos = 2; pos < p.size(); pos += 7) {
        if (p[pos] != file_reference_type || get_u16(p, pos + 1) == 0 ||
            get_u16(p, pos + 3) > max_file_record_number) {
            return bad_address;
        }
    }
    return valid;
}

// FC 21: byte count 0x09..0xFB exactly covered by sub-requests of 7 bytes + 2 * length.
constexpr maybe_exception validate_write_file(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 2) {
        return bad_value;
    }
    const std::uint8_t count = p[1];
    if (count < min_file_write_byte_count || count > max_file_write_byte_count ||
        p.size() != 2 + std::size_t{count}) {
        return bad_value;
    }
    std::size_t pos = 2;
    while (pos < p.size()) {
        if (p.size() - pos < 7) {
            return bad_value;
        }
        const std::uint16_t length = get_u16(p, pos + 5);
        const std::size_t sub_size = 7 + 2 * std::size_t{length};
        if (length == 0 || p.size() - pos < sub_size) {
            return bad_value;
        }
        pos += sub_size;
    }
    for (pos = 2; pos < p.size(); pos += 7 + 2 * std::size_t{get_u16(p, pos + 5)}) {
        if (p[pos] != file_reference_type || get_u16(p, pos + 1) == 0 ||
            get_u16(p, pos + 3) > max_file_record_number) {
            return bad_address;
        }
    }
    return valid;
}

// FC 43: MEI 14 (read device identification, codes 1..4); MEI 13 passes as opaque.
constexpr maybe_exception validate_encapsulated(std::span<const std::uint8_t> p) noexcept {
    if (p.size() < 2) {
        return bad_value;
    }
    if (p[1] == mei_canopen_general_reference) {
        return valid;
    }
    if (p[1] != mei_read_device_identification) {
        return bad_function;
    }
    if (p.size() != 4 || p[2] < 1 || p[2] > 4) {
        return bad_value;
    }
    return valid;
}

}  // namespace detail

/// How long the PDU starting at `prefix` (function code first) is, from what has arrived so far.
constexpr length_prediction predict_pdu_length(pdu_direction dir,
                                               std::span<const std::uint8_t> prefix) noexcept {
    const detail::pdu_length l = detail::predict(dir, prefix);
    switch (l.kind) {
        case detail::pdu_length_kind::need_more:
            return {length_prediction::need_more, l.length};
        case detail::pdu_length_kind::known:
            return {length_prediction::known, l.length};
        case detail::pdu_length_kind::unknown:
        case detail::pdu_length_kind::invalid:
            break;
    }
    return {length_prediction::unknown, 0};
}

/// Validates a request PDU; nullopt if valid, else the exception the server must answer with.
constexpr std::optional<exception_code> validate_request(
    std::span<const std::uint8_t> pdu) noexcept {
    using namespace detail;
    if (pdu.empty() || pdu.size() > max_pdu_size) {
        return pdu.empty() ? bad_function : bad_value;
    }
    const std::uint8_t fc = pdu[0];
    if (is_user_defined(fc)) {
        return valid;
    }
    switch (fc) {
        case 1:
        case 2:
            return validate_read(pdu, max_read_bits);
        case 3:
        case 4:
            return validate_read(pdu, max_read_registers);
        case 5:
            if (pdu.size() != 5) {
                return bad_value;
            }
            return get_u16(pdu, 3) == coil_on || get_u16(pdu, 3) == coil_off ? valid : bad_value;
        case 6:
            return pdu.size() == 5 ? valid : bad_value;
        case 7:
        case 11:
        case 12:
        case 17:
            return pdu.size() == 1 ? valid : bad_value;
        case 8:
            return validate_diagnostics(pdu);
        case 15:
            return validate_write_multiple(pdu, max_write_bits, true);
        case 16:
            return validate_write_multiple(pdu, max_write_registers, false);
        case 20:
            return validate_read_file(pdu);
        case 21:
            return validate_write_file(pdu);
        case 22:
            return pdu.size() == 7 ? valid : bad_value;
        case 23:
            return validate_read_write(pdu);
        case 24:
            return pdu.size() == 3 ? valid : bad_value;
        case 43:
            return validate_encapsulated(pdu);
        default:
            return bad_function;
    }
}

namespace detail {

constexpr bool equal_bytes(std::span<const std::uint8_t> a,
                           std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

// A byte-counted response: fc, count, count bytes.
constexpr bool counted(std::span<const std::uint8_t> r, std::size_t expected_count) noexcept {
    return r.size() >= 2 && r[1] == expected_count && r.size() == 2 + expected_count;
}

constexpr bool valid_read_file_response(std::span<const std::uint8_t> q,
                                        std::span<const std::uint8_t> r) noexcept {
    if (r.size() < 2 || r.size() != 2 + std::size_t{r[1]}) {
        return false;
    }
    std::size_t pos = 2;
    for (std::size_t sub = 2; sub + 7 <= q.size(); sub += 7) {
        const std::size_t data = 2 * std::size_t{get_u16(q, sub + 5)};
        if (r.size() - pos < 2 || r[pos] != data + 1 || r[pos + 1] != file_reference_type ||
            r.size() - pos < 2 + data) {
            return false;
        }
        pos += 2 + data;
    }
    return pos == r.size();
}

constexpr bool valid_device_id_response(std::span<const std::uint8_t> q,
                                        std::span<const std::uint8_t> r) noexcept {
    if (q.size() < 3 || r.size() < 7 || r[1] != mei_read_device_identification || r[2] != q[2]) {
        return false;
    }
    const pdu_length l = predict_device_id_response(r);
    return l.kind == pdu_length_kind::known && l.length == r.size();
}

}  // namespace detail

/// Validates a response PDU against its (valid) request: the function code echoes, the byte
/// count matches the requested quantity, writes are echoed. Exception responses (fc | 0x80 and
/// one code byte) are valid.
constexpr bool validate_response(std::span<const std::uint8_t> request_pdu,
                                 std::span<const std::uint8_t> response_pdu) noexcept {
    using namespace detail;
    const auto& q = request_pdu;
    const auto& r = response_pdu;
    if (q.empty() || r.empty() || r.size() > max_pdu_size) {
        return false;
    }
    const std::uint8_t fc = q[0];
    if (r[0] == (fc | exception_flag)) {
        return r.size() == 2 && !is_exception(fc);
    }
    if (r[0] != fc) {
        return false;
    }
    if (is_user_defined(fc)) {
        return true;
    }
    switch (fc) {
        case 1:
        case 2:
            return q.size() == 5 && counted(r, bit_bytes(get_u16(q, 3)));
        case 3:
        case 4:
            return q.size() == 5 && counted(r, 2 * std::size_t{get_u16(q, 3)});
        case 5:
        case 6:
        case 22:
        case 21:
            return equal_bytes(q, r);
        case 7:
            return r.size() == 2;
        case 8:
            if (q.size() < 3 || r.size() < 3 || get_u16(q, 1) != get_u16(r, 1)) {
                return false;
            }
            return get_u16(q, 1) == 0 ? equal_bytes(q, r) : r.size() == 5;
        case 11:
            return r.size() == 5;
        case 12:
            return r.size() >= 8 && counted(r, r[1]);
        case 15:
        case 16:
            return q.size() >= 5 && r.size() == 5 && get_u16(q, 1) == get_u16(r, 1) &&
                   get_u16(q, 3) == get_u16(r, 3);
        case 17:
            return r.size() >= 3 && counted(r, r[1]);
        case 20:
            return valid_read_file_response(q, r);
        case 23:
            return q.size() >= 5 && counted(r, 2 * std::size_t{get_u16(q, 3)});
        case 24:
            return r.size() >= 5 && get_u16(r, 1) == r.size() - 3 &&
                   get_u16(r, 3) <= max_fifo_count &&
                   r.size() == 5 + 2 * std::size_t{get_u16(r, 3)};
        case 43:
            if (q.size() < 2 || r.size() < 2 || r[1] != q[1]) {
                return false;
            }
            return q[1] == mei_read_device_identification ? valid_device_id_response(q, r) : true;
        default:
            return false;
    }
}

/// The length of the normal response PDU that answers this (valid) request, where the request
/// alone decides it; 0 where the device does (FC 12, 17, 20, 24, 43, user-defined codes).
constexpr std::size_t expected_response_length(std::span<const std::uint8_t> q) noexcept {
    using detail::bit_bytes;
    if (q.empty()) {
        return 0;
    }
    switch (q[0]) {
        case 1:
        case 2:
            return q.size() == 5 ? 2 + bit_bytes(get_u16(q, 3)) : 0;
        case 3:
        case 4:
            return q.size() == 5 ? 2 + 2 * std::size_t{get_u16(q, 3)} : 0;
        case 23:
            return q.size() >= 5 ? 2 + 2 * std::size_t{get_u16(q, 3)} : 0;
        case 5:
        case 6:
        case 11:
        case 15:
        case 16:
            return 5;
        case 7:
            return 2;
        case 22:
            return 7;
        case 21:
            return q.size();  // an echo
        case 8:
            return q.size() >= 3 && get_u16(q, 1) == 0 ? q.size() : 5;
        default:
            return 0;
    }
}

/// Writes fc | 0x80 and the code into `out` (out.size() >= 2); returns 2 (0 if out is too small).
constexpr std::size_t make_exception_response(std::uint8_t function, exception_code code,
                                              std::span<std::uint8_t> out) noexcept {
    if (out.size() < 2) {
        return 0;
    }
    out[0] = static_cast<std::uint8_t>(function | exception_flag);
    out[1] = static_cast<std::uint8_t>(code);
    return 2;
}

/// Is this (validated) request a read whose answer depends only on the data model (FC 1-4)?
constexpr bool is_read_request(std::span<const std::uint8_t> pdu) noexcept {
    return pdu.size() == 5 && pdu[0] >= 1 && pdu[0] <= 4;
}

// Typed views of validated requests. Preconditions: validate_request(pdu) returned nullopt and
// pdu[0] is a function code the view is for; values spans point into the PDU.

/// FC 1, 2, 3, 4.
struct read_request {
    std::uint16_t address;
    std::uint16_t quantity;
};
constexpr read_request parse_read_request(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), get_u16(pdu, 3)};
}

/// FC 5, 6.
struct write_single {
    std::uint16_t address;
    std::uint16_t value;
};
constexpr write_single parse_write_single(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), get_u16(pdu, 3)};
}

/// FC 15, 16: values are packed coils (LSB first) or big-endian registers.
struct write_multiple {
    std::uint16_t address;
    std::uint16_t quantity;
    std::span<const std::uint8_t> values;
};
constexpr write_multiple parse_write_multiple(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), get_u16(pdu, 3), pdu.subspan(6, pdu[5])};
}

/// FC 22.
struct mask_write {
    std::uint16_t address;
    std::uint16_t and_mask;
    std::uint16_t or_mask;
};
constexpr mask_write parse_mask_write(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), get_u16(pdu, 3), get_u16(pdu, 5)};
}

/// FC 23.
struct read_write {
    std::uint16_t read_address;
    std::uint16_t read_quantity;
    std::uint16_t write_address;
    std::uint16_t write_quantity;
    std::span<const std::uint8_t> values;
};
constexpr read_write parse_read_write(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), get_u16(pdu, 3), get_u16(pdu, 5), get_u16(pdu, 7),
            pdu.subspan(10, pdu[9])};
}

/// FC 8.
struct diagnostic_request {
    std::uint16_t sub_function;
    std::span<const std::uint8_t> data;
};
constexpr diagnostic_request parse_diagnostic(std::span<const std::uint8_t> pdu) noexcept {
    return {get_u16(pdu, 1), pdu.subspan(3)};
}

}  // namespace gw
