#pragma once
// How a part of the console's REST API plugs in without editing management_api.hpp: an
// api_endpoint names a path prefix under /api/v1/ and the console section it belongs to; the
// API checks the session, the password state, the CSRF token and the role's right on that
// section (GET and HEAD need "read", every other method "write") before the endpoint's handler
// sees the request. The configuration editor, certificates, backups and the traffic monitor
// are endpoints of this kind (see examples/gateway/management_runtime.hpp).
//
// Sections and rights are the roles' vocabulary (docs/management.md, "Roles"): a role is one
// right per section, and the built-in Administrator and Operator are two such tables.

#include <gw/mgmt/https_server.hpp>
#include <gw/policy/audit_event.hpp>

#include <boost/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::mgmt {

/// The console's sections, each a unit of rights.
enum class api_section : std::uint8_t {
    status,    ///< status, counters, dashboard
    audit,     ///< the audit log
    monitor,   ///< live traffic, pcap export
    lines,     ///< channels (serial lines), devices, routes
    services,  ///< listeners: enable, disable, ports
    security,  ///< allowlists, authorization, rate limits, syslog, certificates, backup, reset
    accounts,  ///< accounts, roles, sessions, password policy
};
inline constexpr std::size_t api_section_count = 7;
inline constexpr std::array<std::string_view, api_section_count> api_section_names{
    "status", "audit", "monitor", "lines", "services", "security", "accounts"};

enum class api_right : std::uint8_t { none, read, write };

constexpr std::string_view to_string(api_section s) noexcept {
    return api_section_names[static_cast<std::size_t>(s)];
}
constexpr std::string_view to_string(api_right r) noexcept {
    return r == api_right::write ? "write" : r == api_right::read ? "read" : "none";
}
inline std::optional<api_section> section_named(std::string_view name) noexcept {
    for (std::size_t i = 0; i < api_section_count; ++i)
        if (api_section_names[i] == name) return static_cast<api_section>(i);
    return std::nullopt;
}
inline std::optional<api_right> right_named(std::string_view name) noexcept {
    if (name == "none") return api_right::none;
    if (name == "read") return api_right::read;
    if (name == "write") return api_right::write;
    return std::nullopt;
}

/// A role: one right per section.
struct role_rights {
    std::array<api_right, api_section_count> rights{};

    constexpr api_right of(api_section s) const noexcept {
        return rights[static_cast<std::size_t>(s)];
    }
    constexpr bool allows(api_section s, api_right needed) const noexcept {
        return static_cast<std::uint8_t>(of(s)) >= static_cast<std::uint8_t>(needed);
    }
    constexpr role_rights& set(api_section s, api_right r) noexcept {
        rights[static_cast<std::size_t>(s)] = r;
        return *this;
    }
    friend constexpr bool operator==(const role_rights&, const role_rights&) = default;
};

/// Everything, everywhere.
constexpr role_rights administrator_rights() noexcept {
    role_rights r;
    r.rights.fill(api_right::write);
    return r;
}

/// Runs the lines (channels, devices, routes) and watches everything else; no accounts, no
/// security settings, no services (which would open ports).
constexpr role_rights operator_rights() noexcept {
    role_rights r;
    r.rights.fill(api_right::read);
    r.set(api_section::lines, api_right::write);
    r.set(api_section::accounts, api_right::none);
    return r;
}

/// The right a method needs.
constexpr api_right needed_right(http::verb method) noexcept {
    return method == http::verb::get || method == http::verb::head ? api_right::read
                                                                   : api_right::write;
}

/// A request an endpoint answers; the checks are done. Movable: a handler that goes off the
/// io thread takes it along. Answer exactly once through respond, on the io thread.
struct api_call {
    http_request request;
    request_context context;
    std::string path;   ///< after "/api/v1/", without the query
    std::string query;  ///< after '?', or ""
    std::string account;
    std::string role;
    respond_fn respond;
    /// Whether the caller's session still lives (a long answer, such as a stream, asks this
    /// later; asking does not count as activity).
    std::function<bool()> session_alive;
    /// Records an event with this call's source, account's role and the given text (the
    /// account is the caller's to put in `detail`, as "by=NAME").
    std::function<void(policy::event_kind, policy::event_severity, policy::event_outcome,
                       std::string_view detail, policy::event_category)>
        audit;

    http_response answer(http::status s, std::string body,
                         std::string_view type = "application/json") const {
        http_response r{s, request.version()};
        r.set(http::field::content_type, type);
        r.body() = std::move(body);
        return r;
    }
    void reply(http::status s, std::string body) { respond(answer(s, std::move(body))); }
    void reply(http::status s, const boost::json::value& v) {
        respond(answer(s, boost::json::serialize(v)));
    }
    void fail(http::status s, std::string_view why) {
        boost::json::object o;
        o["error"] = why;
        respond(answer(s, boost::json::serialize(o)));
    }
    void no_content() { respond(http_response{http::status::no_content, request.version()}); }
};

/// A path prefix under /api/v1/ ("config/routes" matches itself and "config/routes/..."), the
/// section whose right it needs, and its handler (io thread).
struct api_endpoint {
    std::string prefix;
    api_section section = api_section::security;
    std::function<void(api_call)> handle;
};

/// Whether `path` (after /api/v1/) is `prefix` or below it.
inline bool path_under(std::string_view path, std::string_view prefix) noexcept {
    return path == prefix ||
           (path.size() > prefix.size() && path.starts_with(prefix) && path[prefix.size()] == '/');
}

/// The endpoint with the longest prefix that holds `path`, or null.
inline const api_endpoint* find_endpoint(const std::vector<api_endpoint>& endpoints,
                                         std::string_view path) noexcept {
    const api_endpoint* best = nullptr;
    for (const auto& e : endpoints) {
        if (path_under(path, e.prefix) &&
            (best == nullptr || e.prefix.size() > best->prefix.size()))
            best = &e;
    }
    return best;
}

}  // namespace gw::mgmt
