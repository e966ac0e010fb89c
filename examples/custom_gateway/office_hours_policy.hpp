#pragma once
// A policy of the site's own, composed into gw without editing gw: writes to holding registers
// 0-99 (the set-points of a process) are only allowed between 06:00 and 18:00 local time, when
// the plant is staffed. Reads, and writes elsewhere, pass. A refused write is answered with
// exception 01 (illegal function) and audited by the chain like any policy refusal.
//
// It sees only validated requests (the pipeline validates first), so it reads addresses and
// quantities through gw's typed views without checking lengths again.

#include <gw/codec/pdu.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/policy/decision.hpp>

#include <cstdint>
#include <functional>

namespace custom {

struct office_hours_write_policy {
    std::uint16_t first_protected = 0;  ///< holding registers first..last are protected
    std::uint16_t last_protected = 99;
    unsigned from_hour = 6;  ///< writes allowed in [from_hour, to_hour) local time; from == to:
    unsigned to_hour = 18;   ///< never; 0-24: always
    /// The local hour now (0..23); a function so that tests can set the time of day.
    std::function<unsigned()> local_hour;

    gw::policy::decision on_request(const gw::policy::request_info& r) const {
        if (!writes_protected(r.pdu) || allowed_now()) return gw::policy::decision::allow();
        return gw::policy::decision::deny(gw::policy::reason::unauthorized,
                                          gw::exception_code::illegal_function);
    }

    bool allowed_now() const {
        const unsigned h = local_hour ? local_hour() : 0;
        return from_hour <= h && h < to_hour;
    }

    /// Whether the request writes a holding register in the protected range.
    bool writes_protected(std::span<const std::uint8_t> pdu) const noexcept {
        switch (pdu[0]) {
            case 6:  // write single register
                return hits(gw::parse_write_single(pdu).address, 1);
            case 16: {  // write multiple registers
                const auto w = gw::parse_write_multiple(pdu);
                return hits(w.address, w.quantity);
            }
            case 22:  // mask write register
                return hits(gw::parse_mask_write(pdu).address, 1);
            case 23: {  // read/write multiple: only its write part matters
                const auto rw = gw::parse_read_write(pdu);
                return hits(rw.write_address, rw.write_quantity);
            }
            default:
                return false;
        }
    }

private:
    bool hits(std::uint16_t address, std::uint16_t quantity) const noexcept {
        const unsigned last = unsigned{address} + quantity - 1;  // validated: no wrap past 65535
        return address <= last_protected && last >= first_protected;
    }
};

}  // namespace custom
