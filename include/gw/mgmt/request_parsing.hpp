#pragma once
// The console's readers of request bytes, apart from the server so that a fuzzer reaches them
// without TLS (fuzz/http_request): the bounds of a request, the session cookie, query values
// and the JSON body. Every one is bounded and answers "nothing" for what it does not accept.

#include <boost/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::mgmt {

/// What a request may be at most: a header beyond header_bytes is answered 431, a body beyond
/// body_bytes 413 (https_server.hpp's server_limits default to these).
inline constexpr std::size_t max_header_bytes = 8 * 1024;
inline constexpr std::size_t max_body_bytes = 64 * 1024;
/// JSON bodies nest at most this deep (the API's bodies are flat objects).
inline constexpr unsigned max_json_depth = 4;

/// The value of cookie `name` in a Cookie header ("a=1; name=v; b=2"), empty if absent.
inline std::string_view cookie_value(std::string_view header, std::string_view name) noexcept {
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
    }
    return {};
}

/// A query parameter's raw value (no percent-decoding: the API's values are plain words and
/// numbers, and a value that needed decoding is refused by its reader).
inline std::optional<std::string_view> query_value(std::string_view target,
                                                   std::string_view key) noexcept {
    const auto q = target.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == key)
            return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
    return std::nullopt;
}

/// A request body as a JSON object, or nothing (not JSON, not an object, too deep).
inline std::optional<boost::json::object> parse_json_object(std::string_view body) {
    if (body.size() > max_body_bytes) return std::nullopt;
    boost::json::error_code ec;
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    auto v = boost::json::parse(body, ec, {}, options);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

/// A string member of at most `max` bytes, or nothing.
inline std::optional<std::string> string_member(const boost::json::object& o, std::string_view key,
                                                std::size_t max) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string() || v->as_string().size() > max) return std::nullopt;
    return std::string{v->as_string()};
}

}  // namespace gw::mgmt
