#pragma once
// What a validated request PDU touches, as at most two accesses (function code, read or write,
// and an address window where the function has one): the vocabulary the authorization policy
// checks. Sans-I/O, heap-free.
//
// The "address" of an access is what the function code addresses:
// - FC 1/2/3/4 (reads) and 5/6/15/16 (writes): the coil or register window of the request;
// - FC 22 (mask write): a write of one holding register;
// - FC 23: two accesses, its read window (read) and its write window (write), each checked;
// - FC 24 (read FIFO queue): a read of the FIFO pointer register;
// - FC 8 (diagnostics): the sub-function, as a window of one. Sub-functions that change the
//   device's state (1 restart, 4 force listen-only, 10 clear counters, 20 clear overrun) are
//   writes, the others reads;
// - FC 43 (encapsulated interface): the MEI type (13 or 14), a window of one, a read;
// - FC 7/11/12/17/20 (no address of their own): a read without an address; FC 21 a write;
// - user-defined codes (65-72, 100-110), whose effect gw cannot know: a read and a write,
//   without an address (a rule must grant read_write).

#include <gw/codec/pdu.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::policy {

enum class access_kind : std::uint8_t { read = 1, write = 2 };

struct modbus_access {
    std::uint8_t function = 0;
    access_kind kind = access_kind::read;
    bool has_address = false;
    std::uint16_t address = 0;
    /// 1..2000 for tables, 1 for a sub-function or MEI type (0 when !has_address).
    std::uint16_t quantity = 0;

    /// The last address, computed wide so that a window reaching 65535 cannot wrap.
    constexpr std::uint32_t last() const noexcept {
        return quantity == 0 ? address : std::uint32_t{address} + quantity - 1u;
    }
};

/// The accesses of one request.
struct modbus_accesses {
    std::array<modbus_access, 2> items{};
    std::size_t size = 0;

    constexpr std::span<const modbus_access> view() const noexcept {
        return std::span<const modbus_access>{items}.first(size);
    }
};

constexpr bool is_state_changing_diagnostic(std::uint16_t sub) noexcept {
    return sub == 1 || sub == 4 || sub == 10 || sub == 20;
}

/// The accesses of `pdu`. Precondition: validate_request(pdu) returned nullopt. A PDU that does
/// not hold what its function code needs (never so after validation) gives no access with
/// size 0, which the authorization policy refuses.
constexpr modbus_accesses classify_request(std::span<const std::uint8_t> pdu) noexcept {
    modbus_accesses out;
    if (pdu.empty()) return out;
    const std::uint8_t fc = pdu[0];
    const auto add = [&](access_kind k, bool has_address, std::uint16_t address,
                         std::uint16_t quantity) {
        out.items[out.size++] = {fc, k, has_address, address, quantity};
    };
    const auto u16 = [&](std::size_t at) -> std::uint16_t {
        return at + 2 <= pdu.size() ? get_u16(pdu, at) : std::uint16_t{0};
    };
    switch (fc) {
        case 1:
        case 2:
        case 3:
        case 4:
            if (pdu.size() < 5) return out;
            add(access_kind::read, true, u16(1), u16(3));
            break;
        case 5:
        case 6:
            if (pdu.size() < 5) return out;
            add(access_kind::write, true, u16(1), 1);
            break;
        case 15:
        case 16:
            if (pdu.size() < 6) return out;
            add(access_kind::write, true, u16(1), u16(3));
            break;
        case 22:
            if (pdu.size() < 7) return out;
            add(access_kind::write, true, u16(1), 1);
            break;
        case 23:
            if (pdu.size() < 10) return out;
            add(access_kind::read, true, u16(1), u16(3));
            add(access_kind::write, true, u16(5), u16(7));
            break;
        case 24:
            if (pdu.size() < 3) return out;
            add(access_kind::read, true, u16(1), 1);
            break;
        case 8: {
            if (pdu.size() < 3) return out;
            const std::uint16_t sub = u16(1);
            add(is_state_changing_diagnostic(sub) ? access_kind::write : access_kind::read, true,
                sub, 1);
            break;
        }
        case 43:
            if (pdu.size() < 2) return out;
            add(access_kind::read, true, pdu[1], 1);
            break;
        case 7:
        case 11:
        case 12:
        case 17:
        case 20:
            add(access_kind::read, false, 0, 0);
            break;
        case 21:
            add(access_kind::write, false, 0, 0);
            break;
        default:
            if (is_user_defined(fc)) {
                add(access_kind::read, false, 0, 0);
                add(access_kind::write, false, 0, 0);
            }
            break;
    }
    return out;
}

}  // namespace gw::policy
