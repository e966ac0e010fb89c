#pragma once
// Turns the located JSON tree into a gateway_config: every key is checked against the schema of
// the object it is in, every value against its type and range, and the cross references (names,
// routes, ports, devices) against each other. The first problem found becomes a config_error that
// names its position, its key path and what would be acceptable.

#include <gw/config/config_error.hpp>
#include <gw/config/detail/json_document.hpp>
#include <gw/config/detail/text_position.hpp>
#include <gw/config/gateway_config.hpp>
#include <gw/config/ip_network.hpp>
#include <gw/gateway/capacity.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gw::config::detail {

/// The ranges docs/configuration.md promises; the tests check each edge. Every bound that sizes
/// a runtime table comes from gw/gateway/capacity.hpp, so what the reader accepts is exactly what
/// the engine holds.
namespace bounds {
inline constexpr std::size_t max_channels = gateway::capacity::channels;
inline constexpr std::size_t max_listeners = gateway::capacity::listeners;
inline constexpr std::size_t max_routes = gateway::capacity::routes;
inline constexpr std::size_t max_allowlist = gateway::capacity::allowlist_entries;
inline constexpr std::size_t max_name = 64;
inline constexpr std::size_t max_host = 253;
inline constexpr std::int64_t max_unit = 247;
inline constexpr std::int64_t min_baud = 50;
inline constexpr std::int64_t max_baud = 4'000'000;
inline constexpr std::int64_t max_timeout_ms = 60'000;
inline constexpr std::int64_t max_retries = 10;
inline constexpr std::int64_t max_queue_per_master = gateway::capacity::queue_per_master;
inline constexpr std::int64_t max_backoff_ms = 300'000;
inline constexpr std::int64_t max_rs485_delay_ms = transport::max_rs485_delay.count();
inline constexpr std::int64_t max_listener_connections = gateway::capacity::masters;
inline constexpr std::int64_t max_idle_timeout_s = 86'400;
inline constexpr std::int64_t max_write_timeout_s = 3'600;
inline constexpr std::int64_t max_total_connections = gateway::capacity::masters;
inline constexpr std::int64_t max_event_log_capacity = gateway::capacity::event_log;
}  // namespace bounds

namespace keys {
using list = std::span<const std::string_view>;
inline constexpr std::string_view root[] = {"channels", "listeners", "routes", "limits", "log"};
inline constexpr std::string_view serial_channel[] = {"name",
                                                      "type",
                                                      "device",
                                                      "baud",
                                                      "data_bits",
                                                      "parity",
                                                      "stop_bits",
                                                      "mode",
                                                      "framing",
                                                      "rs485",
                                                      "low_latency",
                                                      "reopen_backoff_ms",
                                                      "response_timeout_ms",
                                                      "retries",
                                                      "inter_frame_delay_ms",
                                                      "broadcast_turnaround_ms",
                                                      "coalesce_reads",
                                                      "queue_per_master"};
inline constexpr std::string_view tcp_channel[] = {"name",
                                                   "type",
                                                   "host",
                                                   "port",
                                                   "protocol",
                                                   "reopen_backoff_ms",
                                                   "connect_timeout_ms",
                                                   "response_timeout_ms",
                                                   "retries",
                                                   "inter_frame_delay_ms",
                                                   "broadcast_turnaround_ms",
                                                   "coalesce_reads",
                                                   "queue_per_master"};
inline constexpr std::string_view simulator_channel[] = {"name",
                                                         "type",
                                                         "units",
                                                         "response_timeout_ms",
                                                         "retries",
                                                         "inter_frame_delay_ms",
                                                         "broadcast_turnaround_ms",
                                                         "coalesce_reads",
                                                         "queue_per_master"};
inline constexpr std::string_view tcp_listener[] = {"name",
                                                    "protocol",
                                                    "priority",
                                                    "address",
                                                    "port",
                                                    "max_connections",
                                                    "max_connections_per_source",
                                                    "idle_timeout_s",
                                                    "write_timeout_s",
                                                    "allowlist"};
inline constexpr std::string_view serial_listener[] = {
    "name",   "protocol",  "priority", "device", "baud",        "data_bits",
    "parity", "stop_bits", "framing",  "rs485",  "low_latency", "reopen_backoff_ms"};
inline constexpr std::string_view rs485[] = {"enabled", "rts_on_send", "rts_after_send",
                                             "delay_before_send_ms", "delay_after_send_ms"};
inline constexpr std::string_view netmask_entry[] = {"address", "netmask"};
inline constexpr std::string_view route[] = {"units", "channel", "map_to"};
inline constexpr std::string_view limits[] = {"max_connections"};
inline constexpr std::string_view log[] = {"level", "event_log_capacity"};

/// Whether `key` is valid in some object of the format (then it is no misspelling).
inline bool known(std::string_view key) {
    for (const list l : {list(root), list(serial_channel), list(tcp_channel),
                         list(simulator_channel), list(tcp_listener), list(serial_listener),
                         list(rs485), list(netmask_entry), list(route), list(limits), list(log)}) {
        if (std::find(l.begin(), l.end(), key) != l.end()) {
            return true;
        }
    }
    return false;
}
}  // namespace keys

/// Optimal string alignment distance (edits, adjacent swaps count one), for "did you mean".
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > 64 || b.size() > 64) {
        return 1000;
    }
    std::array<std::array<std::size_t, 65>, 3> rows{};  // i-2, i-1, i (rolling)
    for (std::size_t j = 0; j <= b.size(); ++j) {
        rows[1][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        auto& cur = rows[(i + 1) % 3];
        const auto& prev = rows[i % 3];
        const auto& prev2 = rows[(i + 2) % 3];
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
        }
    }
    return rows[(a.size() + 1) % 3][b.size()];
}

/// The candidate close enough to `word` to be what was meant, if any.
inline std::optional<std::string_view> closest(std::string_view word,
                                               std::span<const std::string_view> candidates) {
    std::optional<std::string_view> best;
    std::size_t best_distance = 3;  // at most two edits
    for (const std::string_view c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance && d < std::max(word.size(), c.size())) {
            best = c;
            best_distance = d;
        }
    }
    if (!best) {
        // "baudrate" for "baud", "enable" for "enabled": one is the start of the other.
        for (const std::string_view c : candidates) {
            if (std::min(word.size(), c.size()) >= 3 &&
                (word.starts_with(c) || c.starts_with(word))) {
                return c;
            }
        }
    }
    return best;
}

/// A user's string for a message: JSON-escaped, in quotes, cut at 60 bytes.
inline std::string quote_text(std::string_view s) {
    constexpr std::size_t limit = 60;
    bool cut = false;
    if (s.size() > limit) {
        std::size_t n = limit;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
            --n;  // do not split a UTF-8 sequence
        }
        s = s.substr(0, n);
        cut = true;
    }
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8]{};
            std::snprintf(buf, sizeof buf, "\\u%04x", unsigned{u});
            out += buf;
        } else {
            out += c;
        }
    }
    out += cut ? "...\"" : "\"";
    return out;
}

inline std::string join_quoted(std::span<const std::string_view> names) {
    std::string out;
    for (const std::string_view n : names) {
        if (!out.empty()) {
            out += ", ";
        }
        out += '"';
        out += n;
        out += '"';
    }
    return out;
}

inline std::string format_units(const unit_range& r) {
    std::string s = std::to_string(r.first);
    if (r.last != r.first) {
        s += '-';
        s += std::to_string(r.last);
    }
    return s;
}

inline std::string member_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

inline std::string element_path(const std::string& parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

/// Whether a key can be shown in a key path as it is (otherwise the message quotes it).
inline bool plain_key(std::string_view k) {
    if (k.empty() || k.size() > 64) {
        return false;
    }
    return std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

class config_reader {
public:
    config_reader(std::string_view text, std::string_view file) : text_(text), file_(file) {}

    std::variant<gateway_config, config_error> read(const json_value& root) {
        gateway_config c;
        if (read_root(root, c)) {
            return c;
        }
        return std::move(*error_);
    }

private:
    using path_t = std::string;

    // ---- errors ------------------------------------------------------------------------------

    bool fail(std::size_t offset, path_t path, std::string message) {
        if (!error_) {
            const text_position p = position_of(text_, offset);
            error_ = config_error{std::string(file_), p.line, p.column, std::move(path),
                                  std::move(message)};
        }
        return false;
    }

    static bool is_token_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '+' || c == '-' || c == '.';
    }

    /// A number or literal as written in the file.
    std::string_view token(const json_value& v) const {
        std::size_t end = v.offset;
        while (end < text_.size() && is_token_char(text_[end])) {
            ++end;
        }
        return text_.substr(v.offset, end - v.offset);
    }

    /// The token for a message, cut when huge.
    std::string literal(const json_value& v) const {
        const std::string_view s = token(v);
        return s.size() > 40 ? std::string(s.substr(0, 40)) + "..." : std::string(s);
    }

    std::string describe_value(const json_value& v) const {
        switch (v.kind) {
            case json_kind::null:
                return "null";
            case json_kind::boolean:
                return v.boolean ? "true" : "false";
            case json_kind::integer:
            case json_kind::unsigned_integer:
            case json_kind::floating:
                return "the number " + literal(v);
            case json_kind::string:
                return "the string " + quote_text(v.string);
            case json_kind::array:
                return "an array";
            case json_kind::object:
                return "an object";
        }
        return "?";
    }

    bool wrong_type(const json_value& v, const path_t& path, std::string_view expected) {
        return fail(v.offset, path,
                    "expected " + std::string(expected) + ", got " + describe_value(v));
    }

    bool missing(const json_value& obj, const path_t& path, std::string_view key) {
        std::string m = "missing required key \"" + std::string(key) + "\"";
        for (const json_member& mem : obj.members) {
            if (!keys::known(mem.key) && edit_distance(mem.key, key) <= 2) {
                m += " (is " + quote_text(mem.key) + " a misspelling?)";
                break;
            }
        }
        return fail(obj.offset, path, std::move(m));
    }

    // ---- structure ---------------------------------------------------------------------------

    static const json_value* member(const json_value& obj, std::string_view key) {
        for (const json_member& m : obj.members) {
            if (m.key == key) {
                return &m.value;
            }
        }
        return nullptr;
    }

    bool expect(const json_value& v, const path_t& path, json_kind kind, std::string_view what) {
        return v.kind == kind || wrong_type(v, path, what);
    }

    /// Refuses duplicate and unknown keys. `family` lists keys valid for another variant of the
    /// same object (a tcp key in a serial channel), for a more precise message.
    bool check_keys(const json_value& obj, const path_t& path, keys::list allowed,
                    std::string_view what, keys::list family = {}) {
        for (std::size_t i = 0; i < obj.members.size(); ++i) {
            const json_member& m = obj.members[i];
            const path_t p = plain_key(m.key) ? member_path(path, m.key) : path;
            for (std::size_t j = 0; j < i; ++j) {
                if (obj.members[j].key == m.key) {
                    const text_position first = position_of(text_, obj.members[j].key_offset);
                    return fail(m.key_offset, p,
                                "duplicate key " + quote_text(m.key) + " (first at line " +
                                    std::to_string(first.line) + ", column " +
                                    std::to_string(first.column) + ")");
                }
            }
            if (std::find(allowed.begin(), allowed.end(), m.key) != allowed.end()) {
                continue;
            }
            if (std::find(family.begin(), family.end(), m.key) != family.end()) {
                return fail(m.key_offset, p,
                            "key " + quote_text(m.key) + " does not apply to " + std::string(what));
            }
            std::string msg = "unknown key " + quote_text(m.key);
            if (const auto near = closest(m.key, allowed)) {
                msg += " (did you mean \"" + std::string(*near) + "\"?)";
            } else {
                msg += "; " + std::string(what) + " has the keys " + join_quoted(allowed);
            }
            return fail(m.key_offset, p, std::move(msg));
        }
        return true;
    }

    // ---- scalars -----------------------------------------------------------------------------

    bool integer_value(const json_value& v, const path_t& path, std::int64_t lo, std::int64_t hi,
                       std::int64_t& out) {
        const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
        switch (v.kind) {
            case json_kind::integer:
                if (v.integer < lo || v.integer > hi) {
                    return fail(v.offset, path, literal(v) + " is out of range " + range);
                }
                out = v.integer;
                return true;
            case json_kind::unsigned_integer:
                return fail(v.offset, path, literal(v) + " is out of range " + range);
            case json_kind::floating: {
                const std::string lit = literal(v);
                if (token(v).find_first_of(".eE") == std::string_view::npos) {
                    // Only digits: an integer too large for 64 bits.
                    return fail(v.offset, path, lit + " is out of range " + range);
                }
                return fail(v.offset, path, "expected a whole number in " + range + ", got " + lit);
            }
            default:
                return wrong_type(v, path, "a whole number in " + range);
        }
    }

    template <class T>
    bool read_integer(const json_value& obj, const path_t& path, std::string_view key,
                      std::int64_t lo, std::int64_t hi, T& out, bool required = false) {
        const json_value* v = member(obj, key);
        if (v == nullptr) {
            return !required || missing(obj, path, key);
        }
        std::int64_t x = 0;
        if (!integer_value(*v, member_path(path, key), lo, hi, x)) {
            return false;
        }
        if constexpr (requires { typename T::rep; }) {
            out = T{static_cast<typename T::rep>(x)};
        } else {
            out = static_cast<T>(x);
        }
        return true;
    }

    bool read_bool(const json_value& obj, const path_t& path, std::string_view key, bool& out) {
        const json_value* v = member(obj, key);
        if (v == nullptr) {
            return true;
        }
        if (v->kind != json_kind::boolean) {
            return wrong_type(*v, member_path(path, key), "true or false");
        }
        out = v->boolean;
        return true;
    }

    const json_value* read_string(const json_value& obj, const path_t& path, std::string_view key,
                                  std::string& out, bool required) {
        const json_value* v = member(obj, key);
        if (v == nullptr) {
            if (required) {
                missing(obj, path, key);
            }
            return nullptr;
        }
        if (v->kind != json_kind::string) {
            wrong_type(*v, member_path(path, key), "a string");
            return nullptr;
        }
        out = v->string;
        return v;
    }

    template <class Enum>
    bool read_enum(const json_value& obj, const path_t& path, std::string_view key, Enum& out,
                   bool required = false) {
        const json_value* v = member(obj, key);
        if (v == nullptr) {
            return !required || missing(obj, path, key);
        }
        constexpr auto& names = enum_names<Enum>::values;
        const std::string choices = join_quoted(names);
        if (v->kind != json_kind::string) {
            return wrong_type(*v, member_path(path, key), "one of " + choices);
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (v->string == names[i]) {
                out = static_cast<Enum>(i);
                return true;
            }
        }
        std::string msg = quote_text(v->string) + " is not one of " + choices;
        if (const auto near = closest(v->string, names)) {
            msg += " (did you mean \"" + std::string(*near) + "\"?)";
        }
        return fail(v->offset, member_path(path, key), std::move(msg));
    }

    /// Names identify channels and listeners in routes, logs and the console.
    bool read_name(const json_value& obj, const path_t& path, std::string& out) {
        const json_value* v = read_string(obj, path, "name", out, true);
        if (v == nullptr) {
            return false;
        }
        const bool ok = !out.empty() && out.size() <= bounds::max_name &&
                        std::all_of(out.begin(), out.end(), [](char c) {
                            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
                        });
        if (!ok) {
            return fail(v->offset, member_path(path, "name"),
                        quote_text(out) + " is not a valid name: use 1 to " +
                            std::to_string(bounds::max_name) + " letters, digits, '_', '-' or '.'");
        }
        for (const auto& [name, owner] : names_) {
            if (name == out) {
                return fail(v->offset, member_path(path, "name"),
                            quote_text(out) + " is already the name of " + owner);
            }
        }
        names_.emplace_back(out, path);
        return true;
    }

    bool read_backoff(const json_value& obj, const path_t& path, backoff_config& out) {
        const json_value* v = member(obj, "reopen_backoff_ms");
        if (v == nullptr) {
            return true;
        }
        const path_t p = member_path(path, "reopen_backoff_ms");
        if (v->kind != json_kind::array || v->elements.size() != 2) {
            return wrong_type(*v, p, "[initial, max] in milliseconds such as [100, 5000]");
        }
        std::int64_t initial = 0;
        std::int64_t max = 0;
        if (!integer_value(v->elements[0], element_path(p, 0), 1, bounds::max_backoff_ms,
                           initial) ||
            !integer_value(v->elements[1], element_path(p, 1), 1, bounds::max_backoff_ms, max)) {
            return false;
        }
        if (initial > max) {
            return fail(v->offset, p,
                        "the initial delay " + std::to_string(initial) + " exceeds the maximum " +
                            std::to_string(max));
        }
        out.initial = std::chrono::milliseconds{initial};
        out.max = std::chrono::milliseconds{max};
        return true;
    }

    // ---- unit ids ----------------------------------------------------------------------------

    /// 5, "5" or "1-10"; `lo` is 0 where broadcast may be routed, 1 elsewhere.
    bool read_units(const json_value& obj, const path_t& path, std::int64_t lo, unit_range& out) {
        const json_value* v = member(obj, "units");
        if (v == nullptr) {
            return missing(obj, path, "units");
        }
        const path_t p = member_path(path, "units");
        const std::string range = std::to_string(lo) + ".." + std::to_string(bounds::max_unit);
        std::int64_t first = 0;
        std::int64_t last = 0;
        if (v->kind == json_kind::string) {
            const std::string_view s = v->string;
            const std::size_t dash = s.find('-');
            if (!parse_unit(s.substr(0, dash), first) ||
                (dash != std::string_view::npos && !parse_unit(s.substr(dash + 1), last))) {
                return fail(v->offset, p,
                            quote_text(s) + " is not a unit id or a range such as \"1-10\"");
            }
            if (dash == std::string_view::npos) {
                last = first;
            }
            for (const std::int64_t u : {first, last}) {
                if (u < lo || u > bounds::max_unit) {
                    return fail(v->offset, p,
                                "unit " + std::to_string(u) + " is out of range " + range);
                }
            }
            if (first > last) {
                return fail(v->offset, p,
                            "the range " + std::string(s) + " is reversed (write " +
                                std::to_string(last) + "-" + std::to_string(first) + ")");
            }
        } else if (v->kind == json_kind::integer || v->kind == json_kind::unsigned_integer ||
                   v->kind == json_kind::floating) {
            if (!integer_value(*v, p, lo, bounds::max_unit, first)) {
                return false;
            }
            last = first;
        } else {
            return wrong_type(*v, p, "a unit id in " + range + " or a range such as \"1-10\"");
        }
        if (first == 0 && last != 0) {
            return fail(v->offset, p,
                        "unit 0 (broadcast) can only be routed on its own: write \"units\": 0");
        }
        out.first = static_cast<std::uint8_t>(first);
        out.last = static_cast<std::uint8_t>(last);
        return true;
    }

    static bool parse_unit(std::string_view s, std::int64_t& out) {
        if (s.empty() || s.size() > 3 ||
            !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return false;
        }
        out = 0;
        for (const char c : s) {
            out = out * 10 + (c - '0');
        }
        return true;
    }

    // ---- serial lines ------------------------------------------------------------------------

    /// `owner` is the channel or listener: its path and name.
    bool claim_device(const json_value& v, const path_t& path, const std::string& device,
                      std::string owner) {
        for (const auto& [dev, user] : devices_) {
            if (dev == device) {
                return fail(v.offset, path, quote_text(device) + " is already used by " + user);
            }
        }
        devices_.emplace_back(device, std::move(owner));
        return true;
    }

    bool read_serial_line(const json_value& obj, const path_t& path, serial_line_config& out,
                          bool listener, const std::string& name) {
        const json_value* dev = read_string(obj, path, "device", out.device, true);
        if (dev == nullptr) {
            return false;
        }
        const bool control = std::any_of(out.device.begin(), out.device.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20;
        });
        if (out.device.size() < 2 || out.device[0] != '/' || control) {
            return fail(dev->offset, member_path(path, "device"),
                        quote_text(out.device) + " is not an absolute device path such as " +
                            "/dev/ttyUSB0");
        }
        if (!claim_device(*dev, member_path(path, "device"), out.device,
                          path + " (" + quote_text(name) + ")")) {
            return false;
        }
        if (!read_integer(obj, path, "baud", bounds::min_baud, bounds::max_baud, out.baud) ||
            !read_integer(obj, path, "data_bits", 7, 8, out.data_bits) ||
            !read_enum(obj, path, "parity", out.parity) ||
            !read_integer(obj, path, "stop_bits", 1, 2, out.stop_bits) ||
            (!listener && !read_enum(obj, path, "mode", out.mode)) ||
            !read_enum(obj, path, "framing", out.framing) ||
            !read_bool(obj, path, "low_latency", out.low_latency) ||
            !read_backoff(obj, path, out.reopen_backoff)) {
            return false;
        }
        if (out.mode == serial_mode::rtu && out.data_bits != 8) {
            return fail(member(obj, "data_bits")->offset, member_path(path, "data_bits"),
                        "RTU frames need 8 data bits (7 is only for \"mode\": \"ascii\")");
        }
        if (out.mode == serial_mode::ascii && member(obj, "framing") != nullptr) {
            return fail(member(obj, "framing")->offset, member_path(path, "framing"),
                        "\"framing\" only applies to \"mode\": \"rtu\" (ASCII frames end with "
                        "CR LF)");
        }
        if (const json_value* rs = member(obj, "rs485")) {
            const path_t p = member_path(path, "rs485");
            rs485_config& r = out.rs485;
            if (!expect(*rs, p, json_kind::object, "an object") || !refuse_microseconds(*rs, p) ||
                !check_keys(*rs, p, keys::rs485, "\"rs485\"") ||
                !read_bool(*rs, p, "enabled", r.enabled) ||
                !read_bool(*rs, p, "rts_on_send", r.rts_on_send) ||
                !read_bool(*rs, p, "rts_after_send", r.rts_after_send) ||
                !read_integer(*rs, p, "delay_before_send_ms", 0, bounds::max_rs485_delay_ms,
                              r.delay_before_send) ||
                !read_integer(*rs, p, "delay_after_send_ms", 0, bounds::max_rs485_delay_ms,
                              r.delay_after_send)) {
                return false;
            }
        }
        return true;
    }

    /// The delays were once keys in microseconds, silently truncated to the kernel's
    /// milliseconds (500 us became 0): such a file must be corrected, not reinterpreted.
    bool refuse_microseconds(const json_value& rs, const path_t& path) {
        static constexpr std::string_view renamed[][2] = {
            {"delay_before_send_us", "delay_before_send_ms"},
            {"delay_after_send_us", "delay_after_send_ms"}};
        for (const json_member& m : rs.members) {
            for (const auto& [old_key, new_key] : renamed) {
                if (m.key == old_key) {
                    return fail(m.key_offset, member_path(path, old_key),
                                "RS-485 delays are whole milliseconds, the unit of the kernel's "
                                "RS-485 driver: use \"" +
                                    std::string(new_key) + "\" (0.." +
                                    std::to_string(bounds::max_rs485_delay_ms) + ")");
                }
            }
        }
        return true;
    }

    // ---- channels ----------------------------------------------------------------------------

    static bool valid_host(std::string_view h) {
        ip_address a;
        if (parse_ip_address(h, a)) {
            return true;
        }
        // Digits and dots only, or a colon, means an address was meant; it did not parse.
        if (h.find(':') != std::string_view::npos || std::all_of(h.begin(), h.end(), [](char c) {
                return c == '.' || (c >= '0' && c <= '9');
            })) {
            return false;
        }
        if (h.empty() || h.size() > bounds::max_host) {
            return false;
        }
        std::size_t label = 0;
        for (std::size_t i = 0; i <= h.size(); ++i) {
            if (i == h.size() || h[i] == '.') {
                if (label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-') {
                    return false;
                }
                label = 0;
                continue;
            }
            const char c = h[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-')) {
                return false;
            }
            ++label;
        }
        return true;
    }

    bool read_channel(const json_value& v, const path_t& path, channel_config& out) {
        if (!expect(v, path, json_kind::object, "an object (a channel)")) {
            return false;
        }
        channel_type type = channel_type::serial;
        if (!read_enum(v, path, "type", type, true)) {
            return false;
        }
        static constexpr std::string_view all[] = {"device",      "baud",
                                                   "data_bits",   "parity",
                                                   "stop_bits",   "mode",
                                                   "framing",     "rs485",
                                                   "low_latency", "reopen_backoff_ms",
                                                   "host",        "port",
                                                   "protocol",    "connect_timeout_ms",
                                                   "units"};
        switch (type) {
            case channel_type::serial: {
                serial_line_config line;
                if (!check_keys(v, path, keys::serial_channel, "a serial channel", all) ||
                    !read_name(v, path, out.name) ||
                    !read_serial_line(v, path, line, false, out.name)) {
                    return false;
                }
                out.link = std::move(line);
                break;
            }
            case channel_type::tcp: {
                tcp_device_config tcp;
                const json_value* host = nullptr;
                if (!check_keys(v, path, keys::tcp_channel, "a tcp channel", all) ||
                    !read_name(v, path, out.name) ||
                    (host = read_string(v, path, "host", tcp.host, true)) == nullptr) {
                    return false;
                }
                if (!valid_host(tcp.host)) {
                    return fail(host->offset, member_path(path, "host"),
                                quote_text(tcp.host) + " is not an IP address or a host name");
                }
                if (!read_integer(v, path, "port", 1, 65535, tcp.port) ||
                    !read_enum(v, path, "protocol", tcp.protocol) ||
                    !read_backoff(v, path, tcp.reconnect_backoff) ||
                    !read_integer(v, path, "connect_timeout_ms", 1, bounds::max_timeout_ms,
                                  tcp.connect_timeout)) {
                    return false;
                }
                out.link = std::move(tcp);
                break;
            }
            case channel_type::simulator: {
                simulator_config sim;
                if (!check_keys(v, path, keys::simulator_channel, "a simulator channel", all) ||
                    !read_name(v, path, out.name) || !read_units(v, path, 1, sim.units)) {
                    return false;
                }
                out.link = sim;
                break;
            }
        }
        return read_integer(v, path, "response_timeout_ms", 1, bounds::max_timeout_ms,
                            out.response_timeout) &&
               read_integer(v, path, "retries", 0, bounds::max_retries, out.retries) &&
               read_integer(v, path, "inter_frame_delay_ms", 0, bounds::max_timeout_ms,
                            out.inter_frame_delay) &&
               read_integer(v, path, "broadcast_turnaround_ms", 0, bounds::max_timeout_ms,
                            out.broadcast_turnaround) &&
               read_bool(v, path, "coalesce_reads", out.coalesce_reads) &&
               read_integer(v, path, "queue_per_master", 1, bounds::max_queue_per_master,
                            out.queue_per_master);
    }

    // ---- listeners ---------------------------------------------------------------------------

    bool read_allowlist_entry(const json_value& v, const path_t& path, ip_network& out) {
        if (v.kind == json_kind::string) {
            const ip_network_result r = parse_ip_network(v.string);
            if (r.error == ip_network_errc::host_bits_set) {
                const std::string_view s = v.string;
                const std::string_view addr = s.substr(0, s.find('/'));
                return fail(v.offset, path,
                            quote_text(s) + " has host bits set: write \"" +
                                std::string(format_ip_network(r.network).view()) +
                                "\" for the network, or \"" + std::string(addr) +
                                "\" for the one host");
            }
            if (!r) {
                return fail(
                    v.offset, path,
                    quote_text(v.string) + " " + std::string(gw::config::describe(r.error)));
            }
            out = r.network;
            return true;
        }
        if (v.kind != json_kind::object) {
            return wrong_type(v, path,
                              "an address or network such as \"192.168.1.0/24\", or "
                              "{\"address\": ..., \"netmask\": ...}");
        }
        std::string address;
        std::string netmask;
        const json_value* a = nullptr;
        const json_value* m = nullptr;
        if (!check_keys(v, path, keys::netmask_entry, "an allowlist entry") ||
            (a = read_string(v, path, "address", address, true)) == nullptr ||
            (m = read_string(v, path, "netmask", netmask, true)) == nullptr) {
            return false;
        }
        const ip_network_result r = parse_ip_network(address, netmask);
        switch (r.error) {
            case ip_network_errc::ok:
                out = r.network;
                return true;
            case ip_network_errc::bad_address:
            case ip_network_errc::netmask_with_ipv6:
                return fail(a->offset, member_path(path, "address"),
                            quote_text(address) + " " + std::string(gw::config::describe(r.error)));
            case ip_network_errc::host_bits_set:
                return fail(a->offset, member_path(path, "address"),
                            quote_text(address) + " has host bits set for netmask " + netmask +
                                ": the network address is " +
                                std::string(format_ip_address({r.network.address, true}).view()));
            default:
                return fail(m->offset, member_path(path, "netmask"),
                            quote_text(netmask) +
                                " is not a netmask with contiguous ones such as " +
                                "255.255.255.0 (or 255.255.255 for one host)");
        }
    }

    /// Two sockets cannot listen on the same port when their addresses are equal, when one is
    /// 0.0.0.0 and the other IPv4, or when one is "::" (dual-stack: it covers IPv4 as well).
    static bool endpoints_clash(const tcp_listener_config& a, const tcp_listener_config& b) {
        if (a.port != b.port) {
            return false;
        }
        ip_address x;
        ip_address y;
        parse_ip_address(a.address, x);
        parse_ip_address(b.address, y);
        const auto unspecified = [](const ip_address& z) {
            return std::all_of(z.bytes.begin(), z.bytes.end(),
                               [](std::uint8_t o) { return o == 0; });
        };
        return x == y || (unspecified(x) && (!x.v4 || y.v4)) || (unspecified(y) && (!y.v4 || x.v4));
    }

    static std::string endpoint_text(const tcp_listener_config& t) {
        const bool v6 = t.address.find(':') != std::string::npos;
        return (v6 ? "[" + t.address + "]" : t.address) + ":" + std::to_string(t.port);
    }

    bool read_listener(const json_value& v, const path_t& path, listener_config& out,
                       std::span<const listener_config> earlier) {
        if (!expect(v, path, json_kind::object, "an object (a listener)")) {
            return false;
        }
        if (!read_enum(v, path, "protocol", out.protocol, true)) {
            return false;
        }
        static constexpr std::string_view all[] = {"address",
                                                   "port",
                                                   "max_connections",
                                                   "max_connections_per_source",
                                                   "idle_timeout_s",
                                                   "write_timeout_s",
                                                   "allowlist",
                                                   "device",
                                                   "baud",
                                                   "data_bits",
                                                   "parity",
                                                   "stop_bits",
                                                   "mode",
                                                   "framing",
                                                   "rs485",
                                                   "low_latency",
                                                   "reopen_backoff_ms"};
        if (out.protocol == listener_protocol::rtu_serial) {
            serial_line_config line;
            if (const json_value* mode = member(v, "mode")) {
                return fail(mode->offset, member_path(path, "mode"),
                            "an rtu_serial listener always speaks RTU: remove \"mode\"");
            }
            if (!check_keys(v, path, keys::serial_listener, "an rtu_serial listener", all) ||
                !read_name(v, path, out.name) || !read_enum(v, path, "priority", out.priority) ||
                !read_serial_line(v, path, line, true, out.name)) {
                return false;
            }
            out.endpoint = std::move(line);
            return true;
        }
        tcp_listener_config tcp;
        const json_value* address = nullptr;
        if (!check_keys(v, path, keys::tcp_listener,
                        "a " + std::string(to_string(out.protocol)) + " listener", all) ||
            !read_name(v, path, out.name) || !read_enum(v, path, "priority", out.priority)) {
            return false;
        }
        if (member(v, "address") != nullptr) {
            address = read_string(v, path, "address", tcp.address, true);
            ip_address parsed;
            if (address == nullptr) {
                return false;
            }
            if (!parse_ip_address(tcp.address, parsed)) {
                return fail(address->offset, member_path(path, "address"),
                            quote_text(tcp.address) +
                                " is not an IP address (such as 127.0.0.1, 0.0.0.0, ::1 or ::)");
            }
        }
        if (!read_integer(v, path, "port", 1, 65535, tcp.port, true) ||
            !read_integer(v, path, "max_connections", 1, bounds::max_listener_connections,
                          tcp.max_connections) ||
            !read_integer(v, path, "max_connections_per_source", 0,
                          bounds::max_listener_connections, tcp.max_connections_per_source) ||
            !read_integer(v, path, "idle_timeout_s", 0, bounds::max_idle_timeout_s,
                          tcp.idle_timeout) ||
            !read_integer(v, path, "write_timeout_s", 1, bounds::max_write_timeout_s,
                          tcp.write_timeout)) {
            return false;
        }
        if (tcp.max_connections_per_source > tcp.max_connections) {
            const json_value* per = member(v, "max_connections_per_source");
            const json_value* at = per != nullptr ? per : member(v, "max_connections");
            return fail(at->offset, member_path(path, "max_connections_per_source"),
                        std::to_string(tcp.max_connections_per_source) +
                            " exceeds max_connections (" + std::to_string(tcp.max_connections) +
                            ")");
        }
        for (std::size_t i = 0; i < earlier.size(); ++i) {
            const auto* other = std::get_if<tcp_listener_config>(&earlier[i].endpoint);
            if (other != nullptr && endpoints_clash(tcp, *other)) {
                return fail(member(v, "port")->offset, member_path(path, "port"),
                            endpoint_text(tcp) + " clashes with " + endpoint_text(*other) +
                                " of listeners[" + std::to_string(i) + "] (" +
                                quote_text(earlier[i].name) + ")");
            }
        }
        if (const json_value* list = member(v, "allowlist")) {
            const path_t p = member_path(path, "allowlist");
            if (!expect(*list, p, json_kind::array, "an array of addresses and networks")) {
                return false;
            }
            for (std::size_t i = 0; i < list->elements.size(); ++i) {
                if (i == bounds::max_allowlist) {
                    return fail(list->elements[i].offset, element_path(p, i),
                                "more than " + std::to_string(bounds::max_allowlist) +
                                    " allowlist entries");
                }
                ip_network n;
                if (!read_allowlist_entry(list->elements[i], element_path(p, i), n)) {
                    return false;
                }
                tcp.allowlist.push_back(n);
            }
        }
        out.endpoint = std::move(tcp);
        return true;
    }

    // ---- routes ------------------------------------------------------------------------------

    bool read_route(const json_value& v, const path_t& path, route_config& out,
                    const gateway_config& c) {
        if (!expect(v, path, json_kind::object, "an object (a route)") ||
            !check_keys(v, path, keys::route, "a route") || !read_units(v, path, 0, out.units)) {
            return false;
        }
        const json_value* units = member(v, "units");
        for (std::size_t i = 0; i < c.routes.size(); ++i) {
            if (c.routes[i].units.overlaps(out.units)) {
                return fail(units->offset, member_path(path, "units"),
                            "units " + format_units(out.units) + " overlap routes[" +
                                std::to_string(i) + "] (units " + format_units(c.routes[i].units) +
                                ")");
            }
        }
        const json_value* ch = read_string(v, path, "channel", out.channel, true);
        if (ch == nullptr) {
            return false;
        }
        if (find_channel(c, out.channel) == nullptr) {
            std::vector<std::string_view> names;
            for (const channel_config& cc : c.channels) {
                names.push_back(cc.name);
            }
            std::string msg = "no channel is named " + quote_text(out.channel);
            if (const auto near = closest(out.channel, names)) {
                msg += " (did you mean \"" + std::string(*near) + "\"?)";
            } else {
                msg += "; the channels are " + join_quoted(names);
            }
            return fail(ch->offset, member_path(path, "channel"), std::move(msg));
        }
        if (const json_value* m = member(v, "map_to")) {
            const path_t p = member_path(path, "map_to");
            if (out.units.first == 0) {
                return fail(m->offset, p, "a broadcast (unit 0) cannot be mapped to a unit");
            }
            const std::int64_t span = out.units.last - out.units.first;
            std::int64_t first = 0;
            if (!integer_value(*m, p, 1, bounds::max_unit, first)) {
                return false;
            }
            if (first + span > bounds::max_unit) {
                return fail(m->offset, p,
                            "units " + format_units(out.units) + " mapped to " +
                                std::to_string(first) + " would reach unit " +
                                std::to_string(first + span) + "; map_to can be at most " +
                                std::to_string(bounds::max_unit - span));
            }
            out.map_to = static_cast<std::uint8_t>(first);
        }
        return true;
    }

    // ---- the document ------------------------------------------------------------------------

    /// The array under `key`: present, an array, not empty, at most `max` long.
    const json_value* read_list(const json_value& root, std::string_view key, std::size_t max,
                                std::string_view element) {
        const json_value* v = member(root, key);
        if (v == nullptr) {
            missing(root, {}, key);
            return nullptr;
        }
        if (v->kind != json_kind::array) {
            wrong_type(*v, std::string(key), "an array");
            return nullptr;
        }
        if (v->elements.empty()) {
            fail(v->offset, std::string(key),
                 "at least one " + std::string(element) + " is needed");
            return nullptr;
        }
        if (v->elements.size() > max) {
            fail(v->elements[max].offset, element_path(std::string(key), max),
                 "more than " + std::to_string(max) + " " + std::string(key));
            return nullptr;
        }
        return v;
    }

    bool read_root(const json_value& root, gateway_config& c) {
        if (!expect(root, {}, json_kind::object, "a JSON object at the top level") ||
            !check_keys(root, {}, keys::root, "the top level")) {
            return false;
        }
        const json_value* channels = read_list(root, "channels", bounds::max_channels, "channel");
        if (channels == nullptr) {
            return false;
        }
        for (std::size_t i = 0; i < channels->elements.size(); ++i) {
            channel_config ch;
            if (!read_channel(channels->elements[i], element_path("channels", i), ch)) {
                return false;
            }
            c.channels.push_back(std::move(ch));
        }
        const json_value* listeners =
            read_list(root, "listeners", bounds::max_listeners, "listener");
        if (listeners == nullptr) {
            return false;
        }
        for (std::size_t i = 0; i < listeners->elements.size(); ++i) {
            listener_config l;
            if (!read_listener(listeners->elements[i], element_path("listeners", i), l,
                               c.listeners)) {
                return false;
            }
            c.listeners.push_back(std::move(l));
        }
        const json_value* routes = read_list(root, "routes", bounds::max_routes, "route");
        if (routes == nullptr) {
            return false;
        }
        for (std::size_t i = 0; i < routes->elements.size(); ++i) {
            route_config r;
            if (!read_route(routes->elements[i], element_path("routes", i), r, c)) {
                return false;
            }
            c.routes.push_back(std::move(r));
        }
        if (const json_value* limits = member(root, "limits")) {
            if (!expect(*limits, "limits", json_kind::object, "an object") ||
                !check_keys(*limits, "limits", keys::limits, "\"limits\"") ||
                !read_integer(*limits, "limits", "max_connections", 1,
                              bounds::max_total_connections, c.limits.max_connections)) {
                return false;
            }
        }
        if (const json_value* lg = member(root, "log")) {
            if (!expect(*lg, "log", json_kind::object, "an object") ||
                !check_keys(*lg, "log", keys::log, "\"log\"") ||
                !read_enum(*lg, "log", "level", c.log.level) ||
                !read_integer(*lg, "log", "event_log_capacity", 1, bounds::max_event_log_capacity,
                              c.log.event_log_capacity)) {
                return false;
            }
        }
        return true;
    }

    std::string_view text_;
    std::string_view file_;
    std::optional<config_error> error_;
    std::vector<std::pair<std::string, path_t>> names_;    // channel and listener names
    std::vector<std::pair<std::string, path_t>> devices_;  // serial devices in use
};

}  // namespace gw::config::detail
