#pragma once
// The runtime tests' view of the status: gateway_status serialised by to_json() (what the status
// file and the "status" log line carry) and parsed back with Boost.JSON, so that a counter is
// checked by its field name, not by a substring of the text. Defined in status_fields.cpp, the
// one translation unit of these tests that compiles Boost.JSON (and it needs no Asio).

#include <gw/gateway/gateway_status.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw_test {

/// The numeric fields of one listener's object in the status JSON.
struct listener_json {
    std::vector<std::pair<std::string, std::uint64_t>> fields;
    /// The field `key`; fails the test if the JSON does not have it.
    std::uint64_t operator[](std::string_view key) const {
        for (const auto& [k, v] : fields)
            if (k == key) return v;
        FAIL("the status JSON has no field " << std::string{key});
        return 0;
    }
};

/// Serialises `status` as JSON text, parses it, and returns listener `name`'s numeric fields.
listener_json parse_listener_status(const gw::gateway::gateway_status& status,
                                    std::string_view name);

/// The status JSON's blocked sources, each as "listener address".
std::vector<std::string> blocked_in_status(const gw::gateway::gateway_status& status);

}  // namespace gw_test
