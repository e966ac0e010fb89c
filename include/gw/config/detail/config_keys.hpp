#pragma once
// Every key of the configuration file, declared once: a table per kind of object, each entry
// naming the key, the member it binds, what it accepts and a doc line; the default is the
// member's initialiser in gateway_config.hpp. The reader (config_reader.hpp), the writer
// (to_json.hpp), the documentation check and the fuzzer dictionary check (tests/config/
// config_keys.cpp) are driven by these tables. Rules that involve more than one key (a name
// used twice, overlapping routes, ...) are code in config_reader.hpp.

#include <gw/config/detail/json_pretty.hpp>
#include <gw/config/detail/value_reader.hpp>
#include <gw/config/gateway_config.hpp>
#include <gw/config/ip_network.hpp>
#include <gw/gateway/capacity.hpp>
#include <gw/policy/identity.hpp>
#include <gw/router/channel_options.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
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

namespace bj = boost::json;
using std::chrono::milliseconds;

inline constexpr std::int64_t max_unit = 247;
inline constexpr std::int64_t max_timeout_ms = 60'000;
inline constexpr std::int64_t max_masters = gateway::capacity::masters;

// ---- checks of string values -----------------------------------------------------------------

/// Names identify channels and listeners in routes, logs and the console.
inline bool check_name(value_reader& r, const json_value& v, const path_t& p,
                       const std::string& s) {
    const bool ok = !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
    return ok ||
           r.fail_at(v, p,
                     quote_text(s) +
                         " is not a valid name: use 1 to 64 letters, digits, '_', '-' or '.'");
}

inline bool check_device(value_reader& r, const json_value& v, const path_t& p,
                         const std::string& s) {
    const bool control = std::any_of(s.begin(), s.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    return (s.size() >= 2 && s[0] == '/' && !control) ||
           r.fail_at(v, p, quote_text(s) + " is not an absolute device path such as /dev/ttyUSB0");
}

inline bool valid_host(std::string_view h) {
    ip_address a;
    if (parse_ip_address(h, a)) {
        return true;
    }
    // Digits and dots only, or a colon, means an address was meant; it did not parse.
    if (h.empty() || h.size() > 253 || h.find(':') != std::string_view::npos ||
        std::all_of(h.begin(), h.end(),
                    [](char c) { return c == '.' || (c >= '0' && c <= '9'); })) {
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

inline bool check_host(value_reader& r, const json_value& v, const path_t& p,
                       const std::string& s) {
    return valid_host(s) || r.fail_at(v, p, quote_text(s) + " is not an IP address or a host name");
}

/// A required TLS file: absolute, or relative to the state directory; never empty (an empty
/// channel "ca" would otherwise read as "no TLS").
inline bool check_file_path(value_reader& r, const json_value& v, const path_t& p,
                            const std::string& s) {
    const bool control = std::any_of(s.begin(), s.end(),
                                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    return (!s.empty() && !control) || r.fail_at(v, p, quote_text(s) + " is not a file path");
}

/// A certificate name to expect: a host name or IP literal, as for "host".
inline bool check_server_name(value_reader& r, const json_value& v, const path_t& p,
                              const std::string& s) {
    return s.empty() || check_host(r, v, p, s);
}

inline bool check_listen_address(value_reader& r, const json_value& v, const path_t& p,
                                 const std::string& s) {
    ip_address a;
    return parse_ip_address(s, a) ||
           r.fail_at(
               v, p,
               quote_text(s) + " is not an IP address (such as 127.0.0.1, 0.0.0.0, ::1 or ::)");
}

// ---- shapes of their own: unit ids, backoff -------------------------------------------------

inline bool parse_unit(std::string_view s, std::int64_t& out) {
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

/// 5, "5" or "1-10"; `lo` is 0 where broadcast may be routed, 1 elsewhere.
template <auto M>
bool read_units(value_reader& r, const key_decl<owner_of<M>>& d, const json_value& v,
                const path_t& p, owner_of<M>& out) {
    const std::string range = std::to_string(d.lo) + ".." + std::to_string(d.hi);
    std::int64_t first = 0;
    std::int64_t last = 0;
    if (v.kind == json_kind::string) {
        const std::string_view s = v.string;
        const std::size_t dash = s.find('-');
        if (!parse_unit(s.substr(0, dash), first) ||
            (dash != std::string_view::npos && !parse_unit(s.substr(dash + 1), last))) {
            return r.fail_at(v, p, quote_text(s) + " is not a unit id or a range such as \"1-10\"");
        }
        last = dash == std::string_view::npos ? first : last;
        for (const std::int64_t u : {first, last}) {
            if (u < d.lo || u > d.hi) {
                return r.fail_at(v, p, "unit " + std::to_string(u) + " is out of range " + range);
            }
        }
        if (first > last) {
            return r.fail_at(v, p,
                             "the range " + std::string(s) + " is reversed (write " +
                                 std::to_string(last) + "-" + std::to_string(first) + ")");
        }
    } else if (v.kind == json_kind::integer || v.kind == json_kind::unsigned_integer ||
               v.kind == json_kind::floating) {
        if (!r.integer_value(v, p, d.lo, d.hi, first)) {
            return false;
        }
        last = first;
    } else {
        return r.wrong_type(v, p, "a unit id in " + range + " or a range such as \"1-10\"");
    }
    if (first == 0 && last != 0) {
        return r.fail_at(v, p,
                         "unit 0 (broadcast) can only be routed on its own: write \"units\": 0");
    }
    out.*M = unit_range{static_cast<std::uint8_t>(first), static_cast<std::uint8_t>(last)};
    return true;
}

template <auto M>
std::optional<bj::value> write_units(const owner_of<M>& s) {
    const unit_range& u = s.*M;
    return u.first == u.last ? bj::value(std::int64_t{u.first}) : bj::value(format_units(u));
}

template <auto M>
constexpr key_decl<owner_of<M>> units_key(std::int64_t lo, std::string_view doc) {
    return {.key = "units",
            .shape = key_shape::units,
            .required = true,
            .lo = lo,
            .hi = max_unit,
            .doc = doc,
            .read = &read_units<M>,
            .write = &write_units<M>};
}

template <auto M>
bool read_backoff(value_reader& r, const key_decl<owner_of<M>>& d, const json_value& v,
                  const path_t& p, owner_of<M>& out) {
    if (v.kind != json_kind::array || v.elements.size() != 2) {
        return r.wrong_type(v, p, "[initial, max] in milliseconds such as [100, 5000]");
    }
    std::int64_t initial = 0;
    std::int64_t max = 0;
    if (!r.integer_value(v.elements[0], element_path(p, 0), d.lo, d.hi, initial) ||
        !r.integer_value(v.elements[1], element_path(p, 1), d.lo, d.hi, max)) {
        return false;
    }
    if (initial > max) {
        return r.fail_at(v, p,
                         "the initial delay " + std::to_string(initial) + " exceeds the maximum " +
                             std::to_string(max));
    }
    out.*M = backoff_config{milliseconds{initial}, milliseconds{max}};
    return true;
}

template <auto M>
std::optional<bj::value> write_backoff(const owner_of<M>& s) {
    return bj::value(bj::array{(s.*M).initial.count(), (s.*M).max.count()});
}

template <auto M>
constexpr key_decl<owner_of<M>> backoff_key(std::string_view doc) {
    return {.key = "reopen_backoff_ms",
            .shape = key_shape::backoff,
            .lo = 1,
            .hi = 300'000,
            .doc = doc,
            .read = &read_backoff<M>,
            .write = &write_backoff<M>};
}

// ---- rs485 -----------------------------------------------------------------------------------

inline constexpr std::int64_t max_rs485_delay_ms = transport::max_rs485_delay.count();

/// `receive_during_send` has no key: a master hearing its own request would feed it to the
/// reply framer.
inline constexpr key_decl<rs485_config> rs485_keys[] = {
    key<&rs485_config::enabled>("enabled", "Switch the port to RS-485 mode (`TIOCSRS485`)."),
    key<&rs485_config::rts_on_send>("rts_on_send", "RTS level while sending."),
    key<&rs485_config::rts_after_send>("rts_after_send", "RTS level after sending."),
    key<&rs485_config::delay_before_send>("delay_before_send_ms", 0, max_rs485_delay_ms,
                                          "Milliseconds between raising RTS and the first bit."),
    key<&rs485_config::delay_after_send>("delay_after_send_ms", 0, max_rs485_delay_ms,
                                         "Milliseconds between the last bit and releasing RTS."),
};
inline constexpr std::string_view rs485_what = "\"rs485\"";

/// The delays were once keys in microseconds, silently truncated to the kernel's milliseconds
/// (500 us became 0): such a file must be corrected, not reinterpreted.
inline bool read_rs485(value_reader& r, const key_decl<serial_line_config>& d, const json_value& v,
                       const path_t& p, serial_line_config& out) {
    for (const json_member& m : v.members) {
        if (m.key == "delay_before_send_us" || m.key == "delay_after_send_us") {
            return r.fail(m.key_offset, member_path(p, m.key),
                          "RS-485 delays are whole milliseconds, the unit of the kernel's RS-485 "
                          "driver: use \"" +
                              m.key.substr(0, m.key.size() - 2) + "ms\" (0.." +
                              std::to_string(max_rs485_delay_ms) + ")");
        }
    }
    return read_object<&serial_line_config::rs485, rs485_keys, rs485_what>(r, d, v, p, out);
}

// ---- serial lines: a serial channel's bus, an rtu_serial listener's line ---------------------

/// "framing" is refused with ASCII, where it has no meaning, so it is not written there either.
inline std::optional<bj::value> write_framing(const serial_line_config& s) {
    return s.mode == serial_mode::rtu ? write_member<&serial_line_config::framing>(s)
                                      : std::nullopt;
}

template <class S>
constexpr key_decl<S> with_write(key_decl<S> d, typename key_decl<S>::write_fn write) {
    d.write = write;
    return d;
}

inline constexpr key_decl<serial_line_config> serial_line_keys[] = {
    key<&serial_line_config::device, &check_device>(
        "device", "absolute path", "The serial port, e.g. `/dev/ttyUSB0`, `/dev/serial/by-id/...`.",
        true),
    key<&serial_line_config::baud>("baud", 50, 4'000'000, "Line speed in bit/s."),
    key<&serial_line_config::data_bits>(
        "data_bits", 7, 8, "7 only with `\"mode\": \"ascii\"`: RTU frames are binary."),
    key<&serial_line_config::parity>("parity", "Modbus's default is even (8E1)."),
    key<&serial_line_config::stop_bits>("stop_bits", 1, 2, "Stop bits per character."),
    key<&serial_line_config::mode>("mode", "The serial framing of Modbus."),
    with_write(
        key<&serial_line_config::framing>("framing", "How the end of an RTU reply is found."),
        &write_framing),
    {.key = "rs485",
     .shape = key_shape::object,
     .doc = "RS-485 direction control.",
     .read = &read_rs485,
     .write = &write_object<&serial_line_config::rs485, rs485_keys>},
    key<&serial_line_config::low_latency>(
        "low_latency",
        "Ask the driver for low latency (`ASYNC_LOW_LATENCY`), avoiding tty buffering delays."),
    backoff_key<&serial_line_config::reopen_backoff>(
        "After the port fails (unplugged adapter), reopen it after `first` ms, doubling on each "
        "further failure up to `second` ms."),
};

// ---- channels ----------------------------------------------------------------------------------

/// The type is the index of the link's alternative: reading it selects the alternative.
inline bool read_channel_type(value_reader& r, const key_decl<channel_config>& d,
                              const json_value& v, const path_t& p, channel_config& out) {
    std::size_t i = 0;
    if (!r.choice_value(v, p, d.choices, i)) {
        return false;
    }
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((i == I ? (void)out.link.emplace<I>() : void()), ...);
    }
    (std::make_index_sequence<std::variant_size_v<decltype(out.link)>>());
    return true;
}

inline std::optional<bj::value> write_channel_type(const channel_config& c) {
    return bj::value(bj::string_view(to_string(c.type())));
}

/// The keys every channel has, before its link's keys.
inline constexpr key_decl<channel_config> channel_head_keys[] = {
    key<&channel_config::name, &check_name>(
        "name", "1-64 of `A-Z a-z 0-9 _ - .`",
        "Identifies the channel in routes, logs and the console.", true),
    {.key = "type",
     .shape = key_shape::choice,
     .required = true,
     .choices = enum_names<channel_type>::values,
     .doc = "What the channel talks to; decides which other keys are allowed.",
     .read = &read_channel_type,
     .write = &write_channel_type},
};

/// The keys every channel has, after its link's keys.
inline constexpr key_decl<channel_config> channel_option_keys[] = {
    key<&channel_config::response_timeout>(
        "response_timeout_ms", 1, max_timeout_ms,
        "How long to wait for a reply before answering the master with exception 0x0B (gateway "
        "target failed to respond) or retrying."),
    key<&channel_config::retries>(
        "retries", 0, 10,
        "Extra attempts after a timeout, a corrupt reply or a reply from the wrong unit."),
    key<&channel_config::inter_frame_delay>(
        "inter_frame_delay_ms", 0, max_timeout_ms,
        "Silence kept on the bus after one transaction before the next request."),
    key<&channel_config::broadcast_turnaround>(
        "broadcast_turnaround_ms", 0, max_timeout_ms,
        "After a broadcast (unit 0) no reply comes; this is how long slaves get to act on it "
        "before the next request."),
    key<&channel_config::priority_hold>(
        "priority_hold_us", 0, router::max_priority_hold.count(),
        "After answering a priority master, keep the bus free this long for its next request "
        "before a normal request goes out; size it to that master's round trip. 0: off."),
    key<&channel_config::coalesce_reads>(
        "coalesce_reads",
        "When several masters queue the same read, do one bus transaction and answer all of "
        "them."),
    key<&channel_config::queue_per_master>(
        "queue_per_master", 1, gateway::capacity::queue_per_master,
        "Requests one master may have waiting on this channel; beyond that it gets exception "
        "0x06 (slave device busy), never a hang."),
};

// ---- tls (tcp channels: Modbus/TCP Security to the device) -----------------------------------

inline constexpr key_decl<tls_client_config> tls_client_keys[] = {
    key<&tls_client_config::ca, &check_file_path>(
        "ca", "path", "CA certificates (PEM) the device's certificate must chain to.", true),
    key<&tls_client_config::certificate>(
        "certificate", "path",
        "gw's client certificate chain (PEM), carrying the role the device grants; with "
        "`private_key`. Empty: none (a device that requires one refuses the handshake)."),
    key<&tls_client_config::private_key>("private_key", "path",
                                         "The client certificate's private key (PEM); keep it "
                                         "0600."),
    key<&tls_client_config::server_name, &check_server_name>(
        "server_name", "DNS name",
        "The name the device's certificate must carry (subject alternative name or CN). Empty: "
        "`host`."),
};

inline constexpr std::string_view channel_tls_what = "\"tls\"";

/// Only a TLS channel has a "tls" object (it always has a ca).
inline std::optional<bj::value> write_channel_tls(const tcp_device_config& t) {
    if (t.tls.ca.empty()) return std::nullopt;
    return write_object<&tcp_device_config::tls, tls_client_keys>(t);
}

inline constexpr key_decl<tcp_device_config> tcp_device_keys[] = {
    key<&tcp_device_config::host, &check_host>("host", "IP address or host name",
                                               "The device's address or DNS name.", true),
    key<&tcp_device_config::port>("port", 1, 65535, "The device's TCP port."),
    key<&tcp_device_config::protocol>("protocol", "The framing on the connection."),
    backoff_key<&tcp_device_config::reconnect_backoff>(
        "Reconnection delays after the connection fails, as for serial ports."),
    key<&tcp_device_config::connect_timeout>(
        "connect_timeout_ms", 1, max_timeout_ms,
        "How long one connection attempt (name resolution included) may take."),
    key<&tcp_device_config::reconnect_after_timeouts>(
        "reconnect_after_timeouts", 1, 100,
        "Transactions in a row that timed out after which the connection is closed and opened "
        "again."),
    {.key = "tls",
     .shape = key_shape::object,
     .doc = "Modbus/TCP Security to the device: mutual TLS, gw the client; see below. The "
            "connect timeout covers the handshake.",
     .read = &read_object<&tcp_device_config::tls, tls_client_keys, channel_tls_what>,
     .write = &write_channel_tls},
};

inline constexpr key_decl<simulator_config> simulator_keys[] = {
    units_key<&simulator_config::units>(
        1, "The unit ids the simulator answers: `2`, `\"2\"` or `\"1-3\"`."),
};

// ---- listeners -------------------------------------------------------------------------------

/// The keys every listener has, before its endpoint's keys.
inline constexpr key_decl<listener_config> listener_head_keys[] = {
    key<&listener_config::name, &check_name>("name", "1-64 of `A-Z a-z 0-9 _ - .`",
                                             "Unique across channels and listeners.", true),
    key<&listener_config::protocol>("protocol", "Decides which other keys are allowed.", true),
    key<&listener_config::priority>(
        "priority",
        "`high`: requests from this listener go ahead of normal ones in each channel's queue "
        "(the MGate's port 7502)."),
    key<&listener_config::enabled>(
        "enabled",
        "`false`: the service is off (the services table): the port is not opened; a reload "
        "or the console switches a TCP listener live."),
};

/// An allowlist entry in the MGate's two fields.
struct netmask_entry {
    std::string address;
    std::string netmask;
};

inline constexpr key_decl<netmask_entry> allowlist_entry_keys[] = {
    key<&netmask_entry::address>("address", "IPv4 address", "The network's first address.", true),
    key<&netmask_entry::netmask>("netmask", "contiguous netmask",
                                 "Such as `255.255.255.0`; `255.255.255` is read as one host.",
                                 true),
};

inline bool read_allowlist_entry(value_reader& r, const json_value& v, const path_t& p,
                                 ip_network& out) {
    if (v.kind == json_kind::string) {
        const ip_network_result n = parse_ip_network(v.string);
        if (n.error == ip_network_errc::host_bits_set) {
            const std::string_view s = v.string;
            return r.fail_at(v, p,
                             quote_text(s) + " has host bits set: write \"" +
                                 std::string(format_ip_network(n.network).view()) +
                                 "\" for the network, or \"" +
                                 std::string(s.substr(0, s.find('/'))) + "\" for the one host");
        }
        out = n.network;
        return n ||
               r.fail_at(v, p,
                         quote_text(v.string) + " " + std::string(gw::config::describe(n.error)));
    }
    if (v.kind != json_kind::object) {
        return r.wrong_type(v, p,
                            "an address or network such as \"192.168.1.0/24\", or "
                            "{\"address\": ..., \"netmask\": ...}");
    }
    netmask_entry e;
    if (!r.check_keys(v, p, key_names({}, allowlist_entry_keys), "an allowlist entry") ||
        !r.read_keys(allowlist_entry_keys, v, p, e)) {
        return false;
    }
    const ip_network_result n = parse_ip_network(e.address, e.netmask);
    out = n.network;
    const json_value& a = *value_reader::member(v, "address");
    switch (n.error) {
        case ip_network_errc::ok:
            return true;
        case ip_network_errc::bad_address:
        case ip_network_errc::netmask_with_ipv6:
            return r.fail_at(
                a, member_path(p, "address"),
                quote_text(e.address) + " " + std::string(gw::config::describe(n.error)));
        case ip_network_errc::host_bits_set:
            return r.fail_at(a, member_path(p, "address"),
                             quote_text(e.address) + " has host bits set for netmask " + e.netmask +
                                 ": the network address is " +
                                 std::string(format_ip_address({n.network.address, true}).view()));
        default:
            return r.fail_at(*value_reader::member(v, "netmask"), member_path(p, "netmask"),
                             quote_text(e.netmask) +
                                 " is not a netmask with contiguous ones such as 255.255.255.0 "
                                 "(or 255.255.255 for one host)");
    }
}

/// An array of at most `max` entries, each read by `one` into `out`; the one past `max` is an
/// error "more than <max> <what>".
template <class T, class F>
bool read_entries(value_reader& r, const json_value& v, const path_t& p, std::int64_t max,
                  std::string_view what, std::vector<T>& out, F&& one) {
    if (!r.expect(v, p, json_kind::array, "an array of addresses and networks")) {
        return false;
    }
    const auto limit = static_cast<std::size_t>(max);
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        if (i == limit) {
            return r.fail_at(v.elements[i], element_path(p, i),
                             "more than " + std::to_string(limit) + " " + std::string(what));
        }
        T t{};
        if (!one(r, v.elements[i], element_path(p, i), t)) {
            return false;
        }
        out.push_back(t);
    }
    return true;
}

inline bool read_allowlist(value_reader& r, const key_decl<tcp_listener_config>& d,
                           const json_value& v, const path_t& p, tcp_listener_config& out) {
    return read_entries(r, v, p, d.hi, "allowlist entries", out.allowlist, &read_allowlist_entry);
}

/// Networks in prefix form, a single host without its /32.
inline std::optional<bj::value> write_allowlist(const tcp_listener_config& t) {
    bj::array a;
    for (const ip_network& n : t.allowlist) {
        a.emplace_back(bj::string_view(format_ip_network(n).view()));
    }
    return bj::value(std::move(a));
}

// ---- rate_limit ------------------------------------------------------------------------------

inline constexpr std::int64_t max_rate = policy::rate_limit::max_rate;
inline constexpr std::int64_t max_burst = 10'000'000;

inline bool read_exempt(value_reader& r, const key_decl<rate_limit_config>& d, const json_value& v,
                        const path_t& p, rate_limit_config& out) {
    return read_entries(r, v, p, d.hi, "exempt networks", out.exempt, &read_allowlist_entry);
}

inline std::optional<bj::value> write_exempt(const rate_limit_config& c) {
    bj::array a;
    for (const ip_network& n : c.exempt) {
        a.emplace_back(bj::string_view(format_ip_network(n).view()));
    }
    return bj::value(std::move(a));
}

inline constexpr key_decl<rate_limit_config> rate_limit_keys[] = {
    key<&rate_limit_config::connection_requests_per_s>(
        "connection_requests_per_s", 0, max_rate,
        "Requests a second one connection may send; beyond its burst it gets exception 0x06. "
        "`0`: no limit."),
    key<&rate_limit_config::connection_burst>("connection_burst", 0, max_burst,
                                              "Requests one connection may send at once."),
    key<&rate_limit_config::source_requests_per_s>(
        "source_requests_per_s", 0, max_rate,
        "Requests a second all connections of one source address may send. `0`: no limit."),
    key<&rate_limit_config::source_burst>("source_burst", 0, max_burst,
                                          "Requests one source may send at once."),
    key<&rate_limit_config::listener_requests_per_s>(
        "listener_requests_per_s", 0, max_rate,
        "Requests a second the listener takes from everyone together. `0`: no limit."),
    key<&rate_limit_config::listener_burst>("listener_burst", 0, max_burst,
                                            "Requests the listener takes at once."),
    key<&rate_limit_config::source_connections_per_s>(
        "source_connections_per_s", 0, max_rate,
        "New connections a second from one source; beyond its burst they are refused at "
        "accept. `0`: no limit."),
    key<&rate_limit_config::source_connection_burst>(
        "source_connection_burst", 0, max_burst, "New connections one source may open at once."),
    key<&rate_limit_config::block_after>(
        "block_after", 0, 1'000'000,
        "Refusals of one source within `block_window_s` that block it for `block_for_s` "
        "(connections refused, requests answered 0x06). `0`: never block."),
    key<&rate_limit_config::block_window>("block_window_s", 1, 86'400,
                                          "The window `block_after` counts in."),
    key<&rate_limit_config::block_for>("block_for_s", 1, 86'400,
                                       "How long a blocked source stays blocked."),
    key<&rate_limit_config::audit_window>(
        "audit_window_s", 1, 86'400,
        "A source's refusals are audited once per this window, with the count of the others."),
    list_key<rate_limit_config>("exempt", 0, gateway::capacity::rate_limit_exempt,
                                "Sources that are rate limited but never blocked (addresses or "
                                "networks, as in the allowlist).",
                                &read_exempt, &write_exempt),
};
inline constexpr std::string_view rate_limit_what = "\"rate_limit\"";

/// A rate needs a burst: checked after the object is read, naming the burst key.
inline bool read_rate_limit(value_reader& r, const key_decl<tcp_listener_config>& d,
                            const json_value& v, const path_t& p, tcp_listener_config& out) {
    if (!read_object<&tcp_listener_config::rate_limit, rate_limit_keys, rate_limit_what>(r, d, v, p,
                                                                                         out)) {
        return false;
    }
    const rate_limit_config& c = out.rate_limit;
    const std::pair<std::uint32_t, std::uint32_t> pairs[] = {
        {c.connection_requests_per_s, c.connection_burst},
        {c.source_requests_per_s, c.source_burst},
        {c.listener_requests_per_s, c.listener_burst},
        {c.source_connections_per_s, c.source_connection_burst}};
    const std::string_view bursts[] = {"connection_burst", "source_burst", "listener_burst",
                                       "source_connection_burst"};
    for (std::size_t i = 0; i < 4; ++i) {
        if (pairs[i].first != 0 && pairs[i].second == 0) {
            const std::string why =
                "a rate needs a burst of at least 1 (each default burst is twice its rate)";
            if (const json_value* at = value_reader::member(v, bursts[i])) {
                return r.fail_at(*at, member_path(p, bursts[i]), why);
            }
            return r.fail_at(v, member_path(p, bursts[i]), why);
        }
    }
    return true;
}

// ---- authorization ---------------------------------------------------------------------------

inline constexpr std::int64_t max_function_code = 127;

/// Role names are matched against certificate roles and printed in audit lines: the charset of
/// names, at most policy::max_role_length bytes (a certificate role with other characters
/// matches no role and is denied).
inline bool valid_role_name(std::string_view s) {
    return !s.empty() && s.size() <= policy::max_role_length &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
           });
}
inline const std::string role_name_rule = "is not a valid role name: use 1 to " +
                                          std::to_string(policy::max_role_length) +
                                          " letters, digits, '_', '-' or '.'";

inline bool check_role(value_reader& r, const json_value& v, const path_t& p,
                       const std::string& s) {
    return valid_role_name(s) || r.fail_at(v, p, quote_text(s) + " " + role_name_rule);
}

inline bool read_functions(value_reader& r, const key_decl<access_rule_config>& d,
                           const json_value& v, const path_t& p, access_rule_config& out) {
    if (!r.expect(v, p, json_kind::array, "an array of function codes such as [3, 4]")) {
        return false;
    }
    if (v.elements.empty()) {
        return r.fail_at(v, p, "a rule needs at least one function code");
    }
    out.functions.clear();
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        std::int64_t fc = 0;
        if (!r.integer_value(v.elements[i], element_path(p, i), 1, max_function_code, fc)) {
            return false;
        }
        const auto code = static_cast<std::uint8_t>(fc);
        if (std::find(out.functions.begin(), out.functions.end(), code) != out.functions.end()) {
            return r.fail_at(v.elements[i], element_path(p, i),
                             "function code " + std::to_string(fc) + " is listed twice");
        }
        if (out.functions.size() == static_cast<std::size_t>(d.hi)) {
            return r.fail_at(v.elements[i], element_path(p, i), "too many function codes");
        }
        out.functions.push_back(code);
    }
    return true;
}

inline std::optional<bj::value> write_functions(const access_rule_config& c) {
    bj::array a;
    for (const std::uint8_t fc : c.functions) {
        a.emplace_back(std::int64_t{fc});
    }
    return bj::value(std::move(a));
}

inline bool parse_address(std::string_view s, std::int64_t& out) {
    if (s.empty() || s.size() > 5 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    out = 0;
    for (const char c : s) {
        out = out * 10 + (c - '0');
    }
    return out <= 65535;
}

inline bool read_addresses(value_reader& r, const key_decl<access_rule_config>&,
                           const json_value& v, const path_t& p, access_rule_config& out) {
    std::int64_t first = 0;
    std::int64_t last = 0;
    if (v.kind == json_kind::string) {
        const std::string_view s = v.string;
        const std::size_t dash = s.find('-');
        if (!parse_address(s.substr(0, dash), first) ||
            (dash != std::string_view::npos && !parse_address(s.substr(dash + 1), last))) {
            return r.fail_at(
                v, p, quote_text(s) + " is not an address or a range such as \"0-99\" (0..65535)");
        }
        last = dash == std::string_view::npos ? first : last;
        if (first > last) {
            return r.fail_at(v, p, "the range " + std::string(s) + " is reversed");
        }
    } else if (v.kind == json_kind::integer || v.kind == json_kind::unsigned_integer ||
               v.kind == json_kind::floating) {
        if (!r.integer_value(v, p, 0, 65535, first)) {
            return false;
        }
        last = first;
    } else {
        return r.wrong_type(v, p, "an address in 0..65535 or a range such as \"0-99\"");
    }
    out.addresses = {static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)};
    return true;
}

inline std::optional<bj::value> write_addresses(const access_rule_config& c) {
    const address_range& a = c.addresses;
    return a.first == a.last
               ? bj::value(std::int64_t{a.first})
               : bj::value(bj::string_view(std::to_string(a.first) + "-" + std::to_string(a.last)));
}

template <class S>
constexpr key_decl<S> optional_key(key_decl<S> d) {
    d.required = false;
    return d;
}
template <class S>
constexpr key_decl<S> required_key(key_decl<S> d) {
    d.required = true;
    return d;
}

inline constexpr key_decl<access_rule_config> rule_keys[] = {
    required_key(list_key<access_rule_config>(
        "functions", 1, max_function_code,
        "The function codes (1..127) the rule grants; gw/policy/modbus_access.hpp and the text "
        "below say what each one accesses.",
        &read_functions, &write_functions)),
    optional_key(units_key<&access_rule_config::units>(
        0, "The unit ids: `5`, `\"5\"` or `\"1-10\"`; a broadcast (unit 0) needs `\"units\": 0`.")),
    {.key = "addresses",
     .shape = key_shape::string,
     .range_text = "0..65535",
     .doc = "The addresses (`\"0-99\"` or one address): coils or registers of the function's "
            "table, FC 8's sub-function, FC 43's MEI type.",
     .read = &read_addresses,
     .write = &write_addresses},
    key<&access_rule_config::access>("access", "What the rule grants."),
};

inline bool read_rule_list(value_reader& r, const json_value& v, const path_t& p, std::size_t max,
                           std::vector<access_rule_config>& out) {
    if (!r.expect(v, p, json_kind::array, "an array of rules")) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        const json_value& e = v.elements[i];
        const path_t ep = element_path(p, i);
        if (i == max) {
            return r.fail_at(e, ep, "more than " + std::to_string(max) + " rules");
        }
        access_rule_config rule;
        if (!r.expect(e, ep, json_kind::object, "an object (a rule)") ||
            !r.check_keys(e, ep, key_names({}, rule_keys), "a rule") ||
            !r.read_keys(rule_keys, e, ep, rule)) {
            return false;
        }
        out.push_back(std::move(rule));
    }
    return true;
}

// ---- tls (modbus_tls listeners) ----------------------------------------------------------------

using tls_bounds = gateway::tls_listener_plan;

inline constexpr key_decl<tls_listener_config> tls_listener_keys[] = {
    key<&tls_listener_config::certificate, &check_file_path>(
        "certificate", "path", "The server's certificate chain (PEM): its certificate first.",
        true),
    key<&tls_listener_config::private_key, &check_file_path>(
        "private_key", "path", "The certificate's private key (PEM); keep it 0600.", true),
    key<&tls_listener_config::ca, &check_file_path>(
        "ca", "path",
        "CA certificates (PEM) a client certificate must chain to; a client without one is "
        "refused.",
        true),
    key<&tls_listener_config::crl>("crl", "path",
                                   "A CRL (PEM) of that CA: revoked client certificates are "
                                   "refused. Empty: none."),
    key<&tls_listener_config::ciphers>(
        "cipher_policy",
        "`intermediate`: TLS 1.3, and TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305 only. "
        "`compatibility` also offers TLS_RSA_WITH_AES_128_CBC_SHA256 (logged as a warning)."),
    key<&tls_listener_config::handshake_timeout>(
        "handshake_timeout_ms", 1, tls_bounds::max_handshake_timeout.count(),
        "A TLS handshake not finished after this long is closed."),
    key<&tls_listener_config::max_handshakes>(
        "max_handshakes", 1, tls_bounds::max_handshakes_bound,
        "TLS handshakes in progress on this listener; over it a new connection is closed at once."),
    key<&tls_listener_config::max_handshakes_per_source>(
        "max_handshakes_per_source", 1, tls_bounds::max_handshakes_bound,
        "TLS handshakes in progress from one source address, at most `max_handshakes`."),
};

inline constexpr std::string_view tls_what = "\"tls\"";

inline bool read_tls(value_reader& r, const key_decl<tcp_listener_config>& d, const json_value& v,
                     const path_t& p, tcp_listener_config& out) {
    if (!read_object<&tcp_listener_config::tls, tls_listener_keys, tls_what>(r, d, v, p, out))
        return false;
    const tls_listener_config& t = out.tls;
    if (t.max_handshakes_per_source > t.max_handshakes) {
        const json_value* at = value_reader::member(v, "max_handshakes_per_source");
        return r.fail_at(at != nullptr ? *at : v, member_path(p, "max_handshakes_per_source"),
                         "exceeds max_handshakes (" + std::to_string(t.max_handshakes) + ")");
    }
    return true;
}

inline bj::array write_rule_list(const std::vector<access_rule_config>& rules) {
    bj::array a;
    for (const access_rule_config& rule : rules) {
        a.emplace_back(write_keys(rule_keys, rule));
    }
    return a;
}

inline bool read_roles(value_reader& r, const key_decl<authorization_config>& d,
                       const json_value& v, const path_t& p, authorization_config& out) {
    if (!r.expect(v, p, json_kind::object,
                  "an object: role name -> array of rules, such as {\"viewer\": [...]}")) {
        return false;
    }
    out.roles.clear();
    const auto max = static_cast<std::size_t>(d.hi);
    for (std::size_t i = 0; i < v.members.size(); ++i) {
        const json_member& m = v.members[i];
        const path_t mp = valid_role_name(m.key) ? member_path(p, m.key) : p;
        if (!valid_role_name(m.key)) {
            return r.fail(m.key_offset, mp, quote_text(m.key) + " " + role_name_rule);
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (v.members[j].key == m.key) {
                return r.fail(m.key_offset, mp,
                              "the role " + quote_text(m.key) + " is defined twice");
            }
        }
        if (i == max) {
            return r.fail(m.key_offset, mp, "more than " + std::to_string(max) + " roles");
        }
        role_config role;
        role.name = m.key;
        if (!read_rule_list(r, m.value, mp, gateway::capacity::authorization_rules, role.rules)) {
            return false;
        }
        out.roles.push_back(std::move(role));
    }
    return true;
}

inline std::optional<bj::value> write_roles(const authorization_config& c) {
    bj::object o;
    for (const role_config& role : c.roles) {
        o.emplace(role.name, write_rule_list(role.rules));
    }
    return bj::value(std::move(o));
}

inline bool read_null_role(value_reader& r, const key_decl<authorization_config>& d,
                           const json_value& v, const path_t& p, authorization_config& out) {
    return read_rule_list(r, v, p, static_cast<std::size_t>(d.hi), out.null_role);
}

inline std::optional<bj::value> write_null_role(const authorization_config& c) {
    return bj::value(write_rule_list(c.null_role));
}

inline constexpr key_decl<authorization_config> authorization_keys[] = {
    {.key = "roles",
     .shape = key_shape::object,
     .hi = gateway::capacity::authorization_roles,
     .doc = "Role name -> array of rules (at most 32 roles of 32 rules); see below.",
     .read = &read_roles,
     .write = &write_roles},
    list_key<authorization_config>(
        "null_role", 0, gateway::capacity::authorization_rules,
        "The rules of connections without a role (R-23); none: they are denied everything.",
        &read_null_role, &write_null_role),
};
inline constexpr std::string_view authorization_what = "\"authorization\"";

inline bool read_authorization(value_reader& r, const key_decl<gateway_config>&,
                               const json_value& v, const path_t& p, gateway_config& out) {
    authorization_config& a = out.authorization.emplace();
    return r.expect(v, p, json_kind::object, "an object") &&
           r.check_keys(v, p, key_names({}, authorization_keys), authorization_what) &&
           r.read_keys(authorization_keys, v, p, a);
}

inline std::optional<bj::value> write_authorization(const gateway_config& c) {
    if (!c.authorization) {
        return std::nullopt;
    }
    return bj::value(write_keys(authorization_keys, *c.authorization));
}

/// A roles_by_source entry as written.
struct source_role_entry {
    std::string network;
    std::string role;
};

inline constexpr key_decl<source_role_entry> source_role_keys[] = {
    key<&source_role_entry::network>("network", "address or network",
                                     "Such as `10.1.0.0/16`, as in the allowlist.", true),
    key<&source_role_entry::role, &check_role>("role", "a role of `authorization.roles`",
                                               "The role its connections get.", true),
};

inline bool read_roles_by_source(value_reader& r, const key_decl<tcp_listener_config>& d,
                                 const json_value& v, const path_t& p, tcp_listener_config& out) {
    if (!r.expect(v, p, json_kind::array,
                  "an array of {\"network\": \"10.1.0.0/16\", \"role\": \"hmi\"}")) {
        return false;
    }
    const auto max = static_cast<std::size_t>(d.hi);
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        const json_value& e = v.elements[i];
        const path_t ep = element_path(p, i);
        if (i == max) {
            return r.fail_at(e, ep, "more than " + std::to_string(max) + " roles_by_source rules");
        }
        source_role_entry entry;
        if (!r.expect(e, ep, json_kind::object, "an object with \"network\" and \"role\"") ||
            !r.check_keys(e, ep, key_names({}, source_role_keys), "a roles_by_source rule") ||
            !r.read_keys(source_role_keys, e, ep, entry)) {
            return false;
        }
        source_role_config sr;
        sr.role = entry.role;
        if (!read_allowlist_entry(r, *value_reader::member(e, "network"),
                                  member_path(ep, "network"), sr.network)) {
            return false;
        }
        out.roles_by_source.push_back(std::move(sr));
    }
    return true;
}

inline std::optional<bj::value> write_roles_by_source(const tcp_listener_config& t) {
    bj::array a;
    for (const source_role_config& sr : t.roles_by_source) {
        bj::object o;
        o.emplace("network", bj::string_view(format_ip_network(sr.network).view()));
        o.emplace("role", bj::string_view(sr.role));
        a.emplace_back(std::move(o));
    }
    return bj::value(std::move(a));
}

/// Only a modbus_tls listener has a "tls" object (it always has a certificate).
inline std::optional<bj::value> write_tls(const tcp_listener_config& t) {
    if (t.tls.certificate.empty()) return std::nullopt;
    return write_object<&tcp_listener_config::tls, tls_listener_keys>(t);
}

inline constexpr key_decl<tcp_listener_config> tcp_listener_keys[] = {
    key<&tcp_listener_config::address, &check_listen_address>("address", "IP address",
                                                              "Where to listen."),
    key<&tcp_listener_config::port>("port", 1, 65535, "The TCP port to listen on.", true),
    key<&tcp_listener_config::max_connections>(
        "max_connections", 1, max_masters,
        "Open connections on this listener (32 is the MGate's figure)."),
    key<&tcp_listener_config::max_connections_per_source>("max_connections_per_source", 0,
                                                          max_masters, "A cap per source address."),
    key<&tcp_listener_config::idle_timeout>(
        "idle_timeout_s", 0, 86'400,
        "Close a connection that has sent nothing for this long and is owed no answer; `0` "
        "never does."),
    key<&tcp_listener_config::write_timeout>(
        "write_timeout_s", 1, 3'600,
        "Close a connection whose answers have not drained for this long: the master stopped "
        "reading."),
    key<&tcp_listener_config::frame_timeout>(
        "frame_timeout_ms", gateway::frame_deadline::min.count(),
        gateway::frame_deadline::max.count(),
        "Close a connection that began a request and has not completed it for this long."),
    list_key<tcp_listener_config>("allowlist", 0, gateway::capacity::allowlist_entries,
                                  "Source addresses allowed to connect; see below.",
                                  &read_allowlist, &write_allowlist),
    {.key = "rate_limit",
     .shape = key_shape::object,
     .doc = "Request and connection rates and auto-block; see below.",
     .read = &read_rate_limit,
     .write = &write_object<&tcp_listener_config::rate_limit, rate_limit_keys>},
    key<&tcp_listener_config::read_only>(
        "read_only",
        "Answer every write (FC 5, 6, 15, 16, 21, 22, FC 23's write part, FC 8's "
        "state-changing sub-functions) with exception 01, whatever the role."),
    key<&tcp_listener_config::audit_writes>(
        "audit_writes",
        "Record every write request that passes the policies in the audit trail (event "
        "`write_request`: unit, function, address range, role), for sites that must account "
        "for every control action."),
    list_key<tcp_listener_config>("roles_by_source", 0, gateway::capacity::roles_by_source,
                                  "Roles for connections without a client certificate, by source "
                                  "network; the first match wins. Needs `authorization`.",
                                  &read_roles_by_source, &write_roles_by_source),
    {.key = "tls",
     .shape = key_shape::object,
     .doc = "`modbus_tls` only, and required there: the TLS settings; see below.",
     .read = &read_tls,
     .write = &write_tls},
};

// ---- routes, limits, log, the document ----------------------------------------------------------

inline constexpr key_decl<route_config> route_keys[] = {
    units_key<&route_config::units>(
        0,
        "The unit ids (slave addresses) the masters use: `5`, `\"5\"` or `\"1-10\"` (no "
        "spaces)."),
    key<&route_config::channel>("channel", "a channel's `name`", "Where these requests go.", true),
    key<&route_config::map_to>(
        "map_to", 1, max_unit,
        "Renumbering: unit `first + k` is sent to the device as unit `map_to + k`, and the reply "
        "goes back under the id the master used."),
};

inline constexpr key_decl<limits_config> limits_keys[] = {
    key<&limits_config::max_connections>("max_connections", 1, max_masters,
                                         "Open TCP connections across all listeners."),
};

inline constexpr key_decl<log_config> log_keys[] = {
    key<&log_config::level>("level", "Events of this severity and above are kept."),
    key<&log_config::event_log_capacity>(
        "event_log_capacity", 1, gateway::capacity::event_log,
        "Events kept in the local (in-memory) event log; the oldest go first."),
};

inline constexpr std::string_view limits_what = "\"limits\"";

// ---- audit -----------------------------------------------------------------------------------

inline constexpr key_decl<audit_events_config> audit_events_keys[] = {
    key<&audit_events_config::system>("system", "Start, stop, configuration, the audit store."),
    key<&audit_events_config::network>("network", "Connections opened and closed, timeouts."),
    key<&audit_events_config::security>(
        "security",
        "Refusals (allowlists, limits, TLS, authorization), reconnaissance. At least "
        "`\"notice\"`: security events of notice and above are always recorded."),
    key<&audit_events_config::maintenance>("maintenance", "Operator actions on the device."),
    key<&audit_events_config::modbus>(
        "modbus", "Exceptions, timeouts, devices lost and recovered, audited writes."),
    key<&audit_events_config::serial>("serial", "Lines down and up, CRC and framing errors."),
};
inline constexpr std::string_view audit_events_what = "\"events\"";

/// The categories' levels, then the rule that security events of notice and above are kept.
inline bool read_audit_events(value_reader& r, const key_decl<audit_config>& d, const json_value& v,
                              const path_t& p, audit_config& out) {
    if (!read_object<&audit_config::events, audit_events_keys, audit_events_what>(r, d, v, p, out))
        return false;
    if (static_cast<std::uint8_t>(out.events.security) >=
        static_cast<std::uint8_t>(event_keep::notice))
        return true;
    const json_value* at = value_reader::member(v, "security");
    return r.fail_at(at != nullptr ? *at : v, member_path(p, "security"),
                     "security events of notice and above are always recorded: use "
                     "\"notice\" or \"info\"");
}

inline constexpr key_decl<reconnaissance_config> reconnaissance_keys[] = {
    key<&reconnaissance_config::threshold>(
        "threshold", 0, 1'000'000,
        "Refused connections or requests, or requests for units without a route, from one "
        "source within the window that make one `reconnaissance_suspected` event. 0: off."),
    key<&reconnaissance_config::window>("window_s", 1, 86'400, "The window, in seconds."),
};
inline constexpr std::string_view reconnaissance_what = "\"reconnaissance\"";

inline constexpr key_decl<syslog_server_config> syslog_server_keys[] = {
    key<&syslog_server_config::host, &check_host>("host", "IP address or host name",
                                                  "The syslog server.", true),
    key<&syslog_server_config::port>(
        "port", 0, 65535, "0: the transport's port (514 for udp and tcp, 6514 for tls)."),
    key<&syslog_server_config::transport>(
        "transport",
        "`udp` (RFC 5426), `tcp` (octet counting, RFC 6587) or `tls` (RFC 5425, the server's "
        "certificate checked)."),
    key<&syslog_server_config::level>("level", "Events of this severity and above are sent."),
    {.key = "tls",
     .shape = key_shape::object,
     .doc = "Transport `tls`: the CA the server's certificate must chain to, the name it must "
            "carry, an optional client certificate; the keys of a tcp channel's `tls`.",
     .read = &read_object<&syslog_server_config::tls, tls_client_keys, channel_tls_what>,
     .write = [](const syslog_server_config& s) -> std::optional<bj::value> {
         if (s.tls.ca.empty()) return std::nullopt;
         return write_object<&syslog_server_config::tls, tls_client_keys>(s);
     }},
};

inline bool read_syslog_server(value_reader& r, const json_value& v, const path_t& p,
                               syslog_server_config& out) {
    if (!r.expect(v, p, json_kind::object, "an object with \"host\"") ||
        !r.check_keys(v, p, key_names({}, syslog_server_keys), "a syslog server") ||
        !r.read_keys(syslog_server_keys, v, p, out))
        return false;
    const bool tls = out.transport == syslog_transport::tls;
    if (tls == !out.tls.ca.empty()) return true;
    const json_value* at = value_reader::member(v, tls ? "transport" : "tls");
    return r.fail_at(at != nullptr ? *at : v, member_path(p, tls ? "transport" : "tls"),
                     tls ? "transport \"tls\" needs a \"tls\" object with a \"ca\": the "
                           "server's certificate is always checked"
                         : "a \"tls\" object needs transport \"tls\"");
}

inline bool read_syslog_servers(value_reader& r, const key_decl<audit_config>& d,
                                const json_value& v, const path_t& p, audit_config& out) {
    if (!r.expect(v, p, json_kind::array, "an array of syslog servers")) return false;
    const auto max = static_cast<std::size_t>(d.hi);
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        const path_t ep = element_path(p, i);
        if (i == max)
            return r.fail_at(v.elements[i], ep,
                             "more than " + std::to_string(max) + " syslog servers");
        syslog_server_config s;
        if (!read_syslog_server(r, v.elements[i], ep, s)) return false;
        out.syslog.push_back(std::move(s));
    }
    return true;
}

inline std::optional<bj::value> write_syslog_servers(const audit_config& c) {
    bj::array a;
    for (const auto& s : c.syslog)
        a.emplace_back(write_keys(syslog_server_keys, s));
    return bj::value(std::move(a));
}

inline constexpr key_decl<audit_config> audit_keys[] = {
    key<&audit_config::capacity>(
        "capacity", gateway::capacity::audit_records_min, gateway::capacity::audit_records_max,
        "Records the persistent audit store keeps (in the state directory's `audit/`)."),
    key<&audit_config::when_full>(
        "when_full",
        "`overwrite`: the oldest records give way; `stop`: recording stops (an `audit_full` "
        "alarm goes to the log and syslog) until the store is cleared."),
    key<&audit_config::warn_percent>(
        "warn_percent", 1, 100,
        "An `audit_nearly_full` event when the store's fill level crosses this percentage."),
    key<&audit_config::durable_security>(
        "durable_security",
        "Security events and errors are synced to disk one by one; `false`: batched like "
        "the rest."),
    key<&audit_config::batch_records>(
        "batch_records", 1, gateway::capacity::audit_batch_max,
        "Other events are synced at the latest after this many (and whenever the queue is "
        "empty)."),
    {.key = "events",
     .shape = key_shape::object,
     .doc = "Events Settings: the least severe event recorded per category; see below.",
     .read = &read_audit_events,
     .write = &write_object<&audit_config::events, audit_events_keys>},
    object_key<&audit_config::reconnaissance, reconnaissance_keys, reconnaissance_what>(
        "reconnaissance", "When one source's refusals are reported as a scan; see below."),
    list_key<audit_config>("syslog", 0, gateway::capacity::syslog_servers,
                           "Remote syslog servers (RFC 5424); see below.", &read_syslog_servers,
                           &write_syslog_servers),
    key<&audit_config::enterprise_number>(
        "enterprise_number", 1, 4'294'967'295,
        "The private enterprise number in syslog's SD-IDs (`event@32473`); 32473 is RFC "
        "5612's number for documentation: use your organisation's."),
};
inline constexpr std::string_view audit_what = "\"audit\"";

// ---- management ------------------------------------------------------------------------------

inline constexpr key_decl<lockout_config> lockout_keys[] = {
    key<&lockout_config::enabled>(
        "enabled", "Lock an account, and a source address, after repeated login failures."),
    key<&lockout_config::max_failures>(
        "max_failures", 1, gateway::capacity::login_failures_max,
        "Failures within the window that lock the account (and, separately, the source)."),
    key<&lockout_config::window>("window_s", 10, 86'400,
                                 "Failures older than this many seconds do not count."),
    key<&lockout_config::lockout>("lockout_s", 10, 86'400,
                                  "How long, in seconds, a locked account or source waits."),
};
inline constexpr std::string_view lockout_what = "\"lockout\"";

inline constexpr key_decl<password_policy_config> password_policy_keys[] = {
    key<&password_policy_config::min_length>(
        "min_length", gateway::capacity::password_length_min,
        gateway::capacity::password_length_max,
        "Characters (Unicode code points) a password has at least; passphrases up to 256."),
    key<&password_policy_config::require_upper>("require_upper", "At least one upper-case letter."),
    key<&password_policy_config::require_lower>("require_lower", "At least one lower-case letter."),
    key<&password_policy_config::require_digit>("require_digit", "At least one digit."),
    key<&password_policy_config::require_symbol>(
        "require_symbol", "At least one character that is not a letter or a digit."),
    key<&password_policy_config::history>(
        "history", 0, gateway::capacity::password_history_max,
        "Previous passwords of the account that may not be used again."),
    key<&password_policy_config::lifetime_days>(
        "lifetime_days", 0, 3650,
        "Days a password lasts; then it must be changed at login. 0: no expiry."),
    key<&password_policy_config::warn_days>("warn_days", 0, 365,
                                            "Days before expiry that the console warns at login."),
};
inline constexpr std::string_view password_policy_what = "\"password_policy\"";

inline constexpr key_decl<console_sessions_config> console_sessions_keys[] = {
    key<&console_sessions_config::idle>(
        "idle_s", 60, 86'400, "A session unused for this many seconds ends (logged out)."),
    key<&console_sessions_config::absolute>(
        "absolute_s", 300, 604'800, "A session ends this many seconds after login, used or not."),
    key<&console_sessions_config::per_account>(
        "per_account", 1, gateway::capacity::console_sessions,
        "Sessions one account may have at once; a further login is refused."),
    key<&console_sessions_config::total>("total", 1, gateway::capacity::console_sessions,
                                         "Sessions of all accounts at once."),
};
inline constexpr std::string_view console_sessions_what = "\"sessions\"";

inline bool check_console_text(value_reader& r, const json_value& v, const path_t& p,
                               const std::string& s) {
    if (s.size() > gateway::capacity::console_message_bytes) {
        return r.fail_at(
            v, p,
            "longer than " + std::to_string(gateway::capacity::console_message_bytes) + " bytes");
    }
    return true;
}

inline bool check_role_name(value_reader& r, const json_value& v, const path_t& p,
                            const std::string& s) {
    const bool valid = !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!valid) return r.fail_at(v, p, "a role name is 1 to 32 of a-z 0-9 _ -");
    if (s == "administrator" || s == "operator")
        return r.fail_at(v, p, "\"" + s + "\" is a built-in role: choose another name");
    return true;
}

inline constexpr key_decl<console_role_config> console_role_keys[] = {
    key<&console_role_config::name, &check_role_name>(
        "name", "1 to 32 of a-z 0-9 _ -", "The role's name, as accounts are given it.", true),
    key<&console_role_config::status>("status", "Status, counters and the security dashboard."),
    key<&console_role_config::audit>("audit", "The audit log."),
    key<&console_role_config::monitor>("monitor", "The live traffic monitor and its capture."),
    key<&console_role_config::lines>("lines", "Channels, devices and routes."),
    key<&console_role_config::services>("services", "Listeners, limits and the log level."),
    key<&console_role_config::security>(
        "security", "Allowlists, authorization, certificates, backup, restore and reset."),
    key<&console_role_config::accounts>("accounts", "Accounts and sessions."),
};

inline bool read_console_roles(value_reader& r, const key_decl<management_config>& d,
                               const json_value& v, const path_t& p, management_config& out) {
    if (!r.expect(v, p, json_kind::array, "an array of roles")) return false;
    const auto max = static_cast<std::size_t>(d.hi);
    for (std::size_t i = 0; i < v.elements.size(); ++i) {
        const path_t ep = element_path(p, i);
        if (i == max)
            return r.fail_at(v.elements[i], ep, "more than " + std::to_string(max) + " roles");
        console_role_config role;
        if (!r.expect(v.elements[i], ep, json_kind::object, "an object with \"name\"") ||
            !r.check_keys(v.elements[i], ep, key_names({}, console_role_keys), "a role") ||
            !r.read_keys(console_role_keys, v.elements[i], ep, role))
            return false;
        for (const auto& other : out.roles) {
            if (other.name == role.name) {
                const json_value* at = value_reader::member(v.elements[i], "name");
                return r.fail_at(at != nullptr ? *at : v.elements[i], member_path(ep, "name"),
                                 "a second role named \"" + role.name + "\"");
            }
        }
        out.roles.push_back(std::move(role));
    }
    return true;
}

inline std::optional<bj::value> write_console_roles(const management_config& c) {
    bj::array a;
    for (const auto& role : c.roles)
        a.emplace_back(write_keys(console_role_keys, role));
    return bj::value(std::move(a));
}

inline constexpr key_decl<management_config> management_keys[] = {
    key<&management_config::address, &check_listen_address>(
        "address", "IP address",
        "Where the console listens once an administrator exists (until then: 127.0.0.1 only)."),
    key<&management_config::port>("port", 1, 65535, "The HTTPS port."),
    key<&management_config::certificate>(
        "certificate", "path",
        "The console's certificate chain; empty: a self-signed ECC P-256 certificate made in "
        "the state directory's `mgmt/` on first start."),
    key<&management_config::private_key>(
        "private_key", "path", "Its private key (mode 0600). Required with `certificate`."),
    key<&management_config::max_connections>(
        "max_connections", 1, gateway::capacity::console_connections,
        "Open HTTPS connections at once; a further one is closed at accept."),
    key<&management_config::login_message, &check_console_text>(
        "login_message", "at most 1024 bytes", "Shown above the login form (a legal notice)."),
    key<&management_config::failure_message, &check_console_text>(
        "failure_message", "at most 1024 bytes",
        "The answer to every failed login, whatever failed (name or password)."),
    key<&management_config::metrics>(
        "metrics",
        "Who may read `/metrics` (Prometheus): `session`: a logged-in account; "
        "`open`: any client the console admits; `off`: nobody."),
    object_key<&management_config::lockout, lockout_keys, lockout_what>(
        "lockout", "Login failure lockout; see below."),
    object_key<&management_config::password_policy, password_policy_keys, password_policy_what>(
        "password_policy", "Rules for the accounts' passwords; see below."),
    object_key<&management_config::sessions, console_sessions_keys, console_sessions_what>(
        "sessions", "Console login sessions; see below."),
    list_key<management_config>("roles", 0, gateway::capacity::console_custom_roles,
                                "Custom roles besides administrator and operator; see below.",
                                &read_console_roles, &write_console_roles),
};
inline constexpr std::string_view management_what = "\"management\"";

inline bool read_management(value_reader& r, const key_decl<gateway_config>&, const json_value& v,
                            const path_t& p, gateway_config& out) {
    management_config& m = out.management.emplace();
    if (!r.expect(v, p, json_kind::object, "an object") ||
        !r.check_keys(v, p, key_names({}, management_keys), management_what) ||
        !r.read_keys(management_keys, v, p, m)) {
        return false;
    }
    if (m.certificate.empty() != m.private_key.empty()) {
        const std::string_view missing = m.certificate.empty() ? "certificate" : "private_key";
        return r.fail_at(v, member_path(p, missing),
                         "`certificate` and `private_key` go together: give both or neither");
    }
    return true;
}

inline std::optional<bj::value> write_management(const gateway_config& c) {
    if (!c.management) {
        return std::nullopt;
    }
    return bj::value(write_keys(management_keys, *c.management));
}

// ---- accessible_ip_list ----------------------------------------------------------------------

inline bool read_entry_network(value_reader& r, const key_decl<policy::accessible_ip_entry>&,
                               const json_value& v, const path_t& p,
                               policy::accessible_ip_entry& out) {
    if (v.kind != json_kind::string) {
        return r.wrong_type(v, p, "an address or network such as \"192.168.1.0/24\"");
    }
    return read_allowlist_entry(r, v, p, out.network);
}
inline std::optional<bj::value> write_entry_network(const policy::accessible_ip_entry& e) {
    return bj::value(bj::string_view(format_ip_network(e.network).view()));
}

/// An entry kept in the list with its own switch (the guide's per-entry "Active" box).
inline constexpr key_decl<policy::accessible_ip_entry> accessible_ip_entry_keys[] = {
    {.key = "network",
     .shape = key_shape::string,
     .required = true,
     .range_text = "address or network",
     .doc = "As in the allowlist: `\"192.168.1.0/24\"`, `\"10.0.0.5\"`.",
     .read = &read_entry_network,
     .write = &write_entry_network},
    key<&policy::accessible_ip_entry::active>("active",
                                              "`false`: kept in the list, admits nobody."),
};

/// An entry: an address or network (active), or {"network": ..., "active": false}.
inline bool read_accessible_entry(value_reader& r, const json_value& v, const path_t& p,
                                  policy::accessible_ip_entry& out) {
    // An address or network, or the allowlist's {"address", "netmask"} object: active.
    if (v.kind != json_kind::object || (value_reader::member(v, "network") == nullptr &&
                                        value_reader::member(v, "active") == nullptr)) {
        out.active = true;
        return read_allowlist_entry(r, v, p, out.network);
    }
    return r.check_keys(v, p, key_names({}, accessible_ip_entry_keys), "an accessible IP entry") &&
           r.read_keys(accessible_ip_entry_keys, v, p, out);
}

inline bool read_accessible_entries(value_reader& r, const key_decl<accessible_ip_list_config>& d,
                                    const json_value& v, const path_t& p,
                                    accessible_ip_list_config& out) {
    return read_entries(r, v, p, d.hi, "accessible IP entries", out.entries,
                        &read_accessible_entry);
}

/// Active entries as plain networks, inactive ones as objects.
inline std::optional<bj::value> write_accessible_entries(const accessible_ip_list_config& c) {
    bj::array a;
    for (const auto& e : c.entries) {
        if (e.active) {
            a.emplace_back(bj::string_view(format_ip_network(e.network).view()));
        } else {
            a.emplace_back(write_keys(accessible_ip_entry_keys, e));
        }
    }
    return bj::value(std::move(a));
}

inline constexpr key_decl<accessible_ip_list_config> accessible_ip_list_keys[] = {
    key<&accessible_ip_list_config::active>(
        "active",
        "The guide's \"Activate the accessible IP list\": only hosts in an active entry "
        "reach the Modbus listeners."),
    key<&accessible_ip_list_config::additional_restrictions>(
        "additional_restrictions",
        "The guide's \"Apply additional restrictions\": the management services too. Needs "
        "`active`."),
    list_key<accessible_ip_list_config>("entries", 0, gateway::capacity::accessible_ip_entries,
                                        "Addresses and networks; see below.",
                                        &read_accessible_entries, &write_accessible_entries),
};
inline constexpr std::string_view accessible_ip_list_what = "\"accessible_ip_list\"";

/// The switches' rules, checked after the object is read (the engine's own refusal, so that the
/// file and the engine agree), naming the key that must change.
inline bool read_accessible_ip_list(value_reader& r, const key_decl<gateway_config>& d,
                                    const json_value& v, const path_t& p, gateway_config& out) {
    if (!read_object<&gateway_config::accessible_ip_list, accessible_ip_list_keys,
                     accessible_ip_list_what>(r, d, v, p, out)) {
        return false;
    }
    const accessible_ip_list_config& c = out.accessible_ip_list;
    const policy::accessible_ip_settings s{c.active, c.additional_restrictions, c.entries};
    const auto why =
        policy::accessible_ip_list<gateway::capacity::accessible_ip_entries>::refusal(s);
    if (why.empty()) {
        return true;
    }
    const std::string_view key =
        c.additional_restrictions && !c.active ? "additional_restrictions" : "entries";
    const json_value* at = value_reader::member(v, key);
    return r.fail_at(at != nullptr ? *at : v, member_path(p, key), std::string(why));
}
inline constexpr std::string_view log_what = "\"log\"";

/// The lists at the top: their elements are read by config_reader and written by to_json, which
/// know their variants (channel types, listener protocols) and the rules between them.
inline constexpr key_decl<gateway_config> document_list_keys[] = {
    {.key = "channels",
     .shape = key_shape::list,
     .required = true,
     .lo = 1,
     .hi = gateway::capacity::channels,
     .doc = "Downstream: where requests go."},
    {.key = "listeners",
     .shape = key_shape::list,
     .required = true,
     .lo = 1,
     .hi = gateway::capacity::listeners,
     .doc = "Upstream: where masters connect."},
    {.key = "routes",
     .shape = key_shape::list,
     .required = true,
     .lo = 1,
     .hi = gateway::capacity::routes,
     .doc = "Which unit ids go to which channel."},
};

inline constexpr key_decl<gateway_config> document_object_keys[] = {
    {.key = "accessible_ip_list",
     .shape = key_shape::object,
     .doc = "The device-wide accessible IP list and its additional restrictions; see below.",
     .read = &read_accessible_ip_list,
     .write = &write_object<&gateway_config::accessible_ip_list, accessible_ip_list_keys>},
    object_key<&gateway_config::limits, limits_keys, limits_what>(
        "limits", "Limits across the whole gateway."),
    object_key<&gateway_config::log, log_keys, log_what>("log", "The local event log."),
    object_key<&gateway_config::audit, audit_keys, audit_what>(
        "audit", "The persistent audit trail and remote syslog; see below."),
    {.key = "authorization",
     .shape = key_shape::object,
     .doc = "Modbus authorization by role; present, it is enforced on every listener. See below.",
     .read = &read_authorization,
     .write = &write_authorization},
    {.key = "management",
     .shape = key_shape::object,
     .doc = "The HTTPS management console and REST API; absent: none. See below.",
     .read = &read_management,
     .write = &write_management},
};

/// The keys of each variant of a channel's link and a listener's endpoint.
inline std::span<const key_decl<serial_line_config>> keys_of(const serial_line_config&) {
    return serial_line_keys;
}
inline std::span<const key_decl<tcp_device_config>> keys_of(const tcp_device_config&) {
    return tcp_device_keys;
}
inline std::span<const key_decl<simulator_config>> keys_of(const simulator_config&) {
    return simulator_keys;
}
inline std::span<const key_decl<tcp_listener_config>> keys_of(const tcp_listener_config&) {
    return tcp_listener_keys;
}

// ---- the tables together ---------------------------------------------------------------------

/// Calls f(docs section, table) for every table, in the order docs/configuration.md has them;
/// the section is the heading of the docs section whose table documents these keys.
template <class F>
void for_each_key_table(F&& f) {
    f("The whole file", std::span(document_list_keys));
    f("The whole file", std::span(document_object_keys));
    f("Channels", std::span(channel_head_keys));
    f("Channels", std::span(channel_option_keys));
    f("`\"type\": \"serial\"`", std::span(serial_line_keys));
    f("`rs485`", std::span(rs485_keys));
    f("`\"type\": \"tcp\"`", std::span(tcp_device_keys));
    f("A tcp channel's `tls`", std::span(tls_client_keys));
    f("`\"type\": \"simulator\"`", std::span(simulator_keys));
    f("Listeners", std::span(listener_head_keys));
    f("`\"protocol\": \"modbus_tcp\"`, `\"rtu_over_tcp\"` and `\"modbus_tls\"`",
      std::span(tcp_listener_keys));
    f("Allowlist entries", std::span(allowlist_entry_keys));
    f("`rate_limit`", std::span(rate_limit_keys));
    f("`roles_by_source` entries", std::span(source_role_keys));
    f("`tls`", std::span(tls_listener_keys));
    f("Routes", std::span(route_keys));
    f("`accessible_ip_list`", std::span(accessible_ip_list_keys));
    f("Accessible IP entries", std::span(accessible_ip_entry_keys));
    f("`limits`", std::span(limits_keys));
    f("`log`", std::span(log_keys));
    f("`audit`", std::span(audit_keys));
    f("`audit.events`", std::span(audit_events_keys));
    f("`audit.reconnaissance`", std::span(reconnaissance_keys));
    f("`audit.syslog` servers", std::span(syslog_server_keys));
    f("`authorization`", std::span(authorization_keys));
    f("Authorization rules", std::span(rule_keys));
    f("`management`", std::span(management_keys));
    f("`management.lockout`", std::span(lockout_keys));
    f("`management.password_policy`", std::span(password_policy_keys));
    f("`management.sessions`", std::span(console_sessions_keys));
    f("`management.roles`", std::span(console_role_keys));
}

/// Whether `key` is valid in some object of the format (then it is no misspelling).
inline bool is_declared_key(std::string_view key) {
    bool found = false;
    for_each_key_table([&](std::string_view, auto table) {
        found = found || std::any_of(table.begin(), table.end(),
                                     [&](const auto& d) { return d.key == key; });
    });
    return found;
}

/// A key as the documentation shows it: the cells of its row in docs/configuration.md.
struct key_info {
    std::string_view key;
    std::string_view type;
    std::string default_text;  ///< "required", "none", "see below" or the value in backquotes
    std::string range;         ///< the start of the Range cell; a cross-key rule may follow
    std::string_view doc;      ///< the start of the Meaning cell
    std::vector<std::string_view> choices;
};

template <class S>
key_info document_key(const key_decl<S>& d) {
    static constexpr std::string_view types[] = {
        "integer", "boolean", "string", "string", "integer or string", "array of 2 integers",
        "object",  "array"};
    const std::string lo_hi = std::to_string(d.lo) + ".." + std::to_string(d.hi);
    key_info k{d.key, types[static_cast<std::size_t>(d.shape)], "required", {},
               d.doc, {d.choices.begin(), d.choices.end()}};
    switch (d.shape) {
        case key_shape::integer:
        case key_shape::units:
            k.range = lo_hi;
            break;
        case key_shape::choice:
            for (const std::string_view c : d.choices) {
                k.range += (k.range.empty() ? "`\"" : ", `\"") + std::string(c) + "\"`";
            }
            break;
        case key_shape::string:
            k.range = d.range_text;
            break;
        case key_shape::backoff:
            k.range = "each " + lo_hi + ", first <= second";
            break;
        case key_shape::list:
            k.range = lo_hi + " entries";
            break;
        default:
            break;
    }
    if (!d.required) {
        const std::optional<bj::value> v = d.write(S{});
        k.default_text = !v ? "none" : v->is_object() ? "see below" : "";
        if (k.default_text.empty()) {
            k.default_text = "`";
            write_pretty(*v, k.default_text);
            k.default_text += '`';
        }
    }
    return k;
}

}  // namespace gw::config::detail
