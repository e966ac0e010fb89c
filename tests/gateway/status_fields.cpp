// The status JSON parsed back by field (status_fields.hpp).

#include "gateway/status_fields.hpp"

#include <gw/config/json_impl.hpp>
#include <gw/gateway/status_json.hpp>

#include <boost/json.hpp>

namespace gw_test {

listener_json parse_listener_status(const gw::gateway::gateway_status& status,
                                    std::string_view name) {
    // Through the text, as a reader of the status file would see it.
    const auto parsed = boost::json::parse(gw::gateway::status_json_text(status));
    listener_json out;
    bool found = false;
    for (const auto& l : parsed.at("listeners").as_array()) {
        const auto& object = l.as_object();
        if (object.at("name").as_string() != name) continue;
        found = true;
        // Nested objects (rate_limit) as "rate_limit.requests_refused".
        const auto add = [&](const boost::json::object& o, const std::string& prefix,
                             const auto& self) -> void {
            for (const auto& [key, value] : o) {
                const std::string k = prefix + std::string{key};
                if (value.is_uint64()) {
                    out.fields.emplace_back(k, value.as_uint64());
                } else if (value.is_int64() && value.as_int64() >= 0) {
                    out.fields.emplace_back(k, static_cast<std::uint64_t>(value.as_int64()));
                } else if (value.is_object() && prefix.empty()) {
                    self(value.as_object(), k + ".", self);
                }
            }
        };
        add(object, "", add);
    }
    REQUIRE_MESSAGE(found, "no listener " << std::string{name} << " in the status JSON");
    return out;
}

std::vector<std::string> blocked_in_status(const gw::gateway::gateway_status& status) {
    const auto parsed = boost::json::parse(gw::gateway::status_json_text(status));
    std::vector<std::string> out;
    for (const auto& b : parsed.at("blocked_sources").as_array()) {
        const auto& o = b.as_object();
        out.push_back(std::string{o.at("listener").as_string()} + " " +
                      std::string{o.at("address").as_string()});
    }
    return out;
}

}  // namespace gw_test
