// libFuzzer harness for Modbus authorization: gw::policy::classify_request
// (include/gw/policy/modbus_access.hpp), which reads a request PDU a master chose, and
// gw::policy::authorization_policy, which decides on it. Input: [selector][unit][PDU...].
// Only PDUs validate_request accepts reach the classifier, as in the gateway.
//
// Properties, for every valid request:
//  - it touches one or two things, each of its own function code; an addressed window is
//    1..2000 long (1..2000 coils, 1..125 registers, 1 for a sub-function or MEI type) and ends at
//    or below 65535 (no wrap), and only FC 23 and user-defined codes touch two;
//  - a role granted read_write on every code, unit and address is allowed everything;
//  - the NULL role without rules is denied everything, with exception 01;
//  - a read-only listener allows exactly the requests that write nothing;
//  - a narrow role (FC 3 reads, units 1..10, addresses 100..199) is allowed exactly what an
//    independent check of the PDU's bytes says;
//  - and, by ASan / UBSan / _GLIBCXX_ASSERTIONS, no read outside the PDU.

#include <gw/codec/pdu.hpp>
#include <gw/policy/authorization_policy.hpp>
#include <gw/policy/modbus_access.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using namespace gw::policy;
using policy_type = authorization_policy<4, 2, 2, 1>;

const policy_type& policy() {
    static const policy_type p = [] {
        policy_type q;
        static const std::array all{access_rule{.functions =
                                                    [] {
                                                        function_set f;
                                                        for (unsigned fc = 1; fc < 128; ++fc)
                                                            f.add(static_cast<std::uint8_t>(fc));
                                                        return f;
                                                    }(),
                                                .first_unit = 0,
                                                .last_unit = 255,
                                                .first_address = 0,
                                                .last_address = 65535,
                                                .access = access_mode::read_write}};
        static const std::array narrow{access_rule{.functions = {3},
                                                   .first_unit = 1,
                                                   .last_unit = 10,
                                                   .first_address = 100,
                                                   .last_address = 199,
                                                   .access = access_mode::read}};
        static const std::array roles{role_rules{"all", all}, role_rules{"narrow", narrow}};
        // 0: enforced (roles from certificates), 1: read-only only, 2: enforced, NULL role only.
        static const std::array listeners{listener_authorization{.enforce = true},
                                          listener_authorization{.read_only = true},
                                          listener_authorization{.enforce = true}};
        if (!q.set({.roles = roles, .listeners = listeners})) __builtin_trap();
        return q;
    }();
    return p;
}

std::uint16_t u16(std::span<const std::uint8_t> p, std::size_t at) {
    return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t selector = data[0];
    const std::uint8_t unit = data[1];
    const std::span<const std::uint8_t> pdu{data + 2, size - 2};
    if (gw::validate_request(pdu).has_value()) return 0;
    const std::uint8_t fc = pdu[0];

    const modbus_accesses accesses = classify_request(pdu);
    GW_FUZZ_CHECK(accesses.size == 1 || accesses.size == 2);
    GW_FUZZ_CHECK(accesses.size == 1 || fc == 23 || gw::is_user_defined(fc));
    bool writes = false;
    for (const modbus_access& a : accesses.view()) {
        GW_FUZZ_CHECK(a.function == fc);
        writes = writes || a.kind == access_kind::write;
        if (a.has_address) {
            GW_FUZZ_CHECK(a.quantity >= 1 && a.quantity <= 2000);
            GW_FUZZ_CHECK(a.last() <= 65535u);
        } else {
            GW_FUZZ_CHECK(a.quantity == 0);
        }
    }

    auto p = policy();  // a copy: the counters of one input do not leak into the next
    connection_info c;
    c.listener = static_cast<std::uint16_t>(selector % 3);
    c.identity.source = identity_source::client_certificate;
    const bool narrow_role = (selector & 0x80U) != 0;
    if (!c.identity.role.assign(narrow_role ? "narrow" : "all")) __builtin_trap();
    if (c.listener == 2) c.identity = {};  // the NULL role
    const request_info r{c, {}, unit, pdu, {}};
    const decision d = p.on_request(r);

    switch (c.listener) {
        case 0:
            if (!narrow_role) {
                GW_FUZZ_CHECK(d.allowed);
            } else {
                // Independently of the classifier: an FC 3 request's own bytes.
                const bool expected = fc == 3 && unit >= 1 && unit <= 10 && u16(pdu, 1) >= 100 &&
                                      std::uint32_t{u16(pdu, 1)} + u16(pdu, 3) - 1u <= 199u;
                GW_FUZZ_CHECK(d.allowed == expected);
            }
            break;
        case 1:
            GW_FUZZ_CHECK(d.allowed == !writes);
            break;
        default:
            GW_FUZZ_CHECK(!d.allowed);
            break;
    }
    if (!d.allowed) {
        GW_FUZZ_CHECK(d.why == reason::unauthorized);
        GW_FUZZ_CHECK(d.answer == gw::exception_code::illegal_function);
    }
    return 0;
}
