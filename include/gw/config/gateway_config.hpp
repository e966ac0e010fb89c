#pragma once
// The gateway program's configuration: channels (where requests go), listeners (where masters
// connect), routes (unit id -> channel), limits and logging. Plain values: parse_config() fills
// them from a file, to_json() writes them back, the gateway builds its pipeline from them.
// docs/configuration.md describes every key, its default and its range.

#include <gw/config/ip_network.hpp>
#include <gw/gateway/gateway_plan.hpp>
#include <gw/policy/accessible_ip_list.hpp>
#include <gw/policy/rate_limit_policy.hpp>
#include <gw/router/request_origin.hpp>
#include <gw/transport/serial_settings.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gw::config {

// One enumeration per concept: where the file names exactly what the engine has, the config uses
// the engine's type (a parallel pair once let a unit mix-up through, see the RS-485 delays).
using serial_parity = transport::parity;
enum class serial_mode : std::uint8_t { rtu, ascii };
/// predicted: a frame is complete when its last byte (known from the function code and byte
/// count) arrives; silence: wait for t3.5 of silence (devices with user-defined function codes).
enum class serial_framing : std::uint8_t { predicted, silence };
/// The wire format on a TCP connection: MBAP header, or RTU frames (CRC) carried over TCP.
enum class tcp_protocol : std::uint8_t { modbus_tcp, rtu_over_tcp };
enum class channel_type : std::uint8_t { serial, tcp, simulator };
/// rtu_serial: a master on a serial line (reverse topology: the gateway is the slave side).
using listener_protocol = gateway::listener_protocol;
/// high: requests from this listener go ahead of normal ones in each channel's queue.
using priority_class = router::priority_class;
enum class log_level : std::uint8_t { debug, info, notice, warning, error };
/// What the audit store does when it is full.
enum class audit_when_full : std::uint8_t { overwrite, stop };
/// The least severe event the audit trail keeps in a category (gw::audit::keep_level order).
enum class event_keep : std::uint8_t { off, error, warning, notice, info };
enum class syslog_transport : std::uint8_t { udp, tcp, tls };
/// What an authorization rule grants (policy::access_mode, by index rather than bit value).
enum class rule_access : std::uint8_t { read, write, read_write };
/// Who may read the console's /metrics: a logged-in session, anyone the console admits, nobody.
enum class metrics_access : std::uint8_t { session, open, off };
/// A console role's right on one section (management.roles).
enum class console_right : std::uint8_t { none, read, write };

/// Names as they appear in the file, indexed by the enumerator's value.
template <class Enum>
struct enum_names;
template <>
struct enum_names<serial_parity> {
    static constexpr std::array<std::string_view, 3> values{"none", "even", "odd"};
};
template <>
struct enum_names<serial_mode> {
    static constexpr std::array<std::string_view, 2> values{"rtu", "ascii"};
};
template <>
struct enum_names<serial_framing> {
    static constexpr std::array<std::string_view, 2> values{"predicted", "silence"};
};
template <>
struct enum_names<tcp_protocol> {
    static constexpr std::array<std::string_view, 2> values{"modbus_tcp", "rtu_over_tcp"};
};
template <>
struct enum_names<channel_type> {
    static constexpr std::array<std::string_view, 3> values{"serial", "tcp", "simulator"};
};
template <>
struct enum_names<listener_protocol> {
    static constexpr std::array<std::string_view, 4> values{"modbus_tcp", "rtu_over_tcp",
                                                            "rtu_serial", "modbus_tls"};
};
using cipher_policy = tls::cipher_policy;
template <>
struct enum_names<cipher_policy> {
    static constexpr std::array<std::string_view, 2> values{"intermediate", "compatibility"};
};
template <>
struct enum_names<priority_class> {
    static constexpr std::array<std::string_view, 2> values{"normal", "high"};
};
template <>
struct enum_names<log_level> {
    static constexpr std::array<std::string_view, 5> values{"debug", "info", "notice", "warning",
                                                            "error"};
};

template <>
struct enum_names<audit_when_full> {
    static constexpr std::array<std::string_view, 2> values{"overwrite", "stop"};
};
template <>
struct enum_names<event_keep> {
    static constexpr std::array<std::string_view, 5> values{"off", "error", "warning", "notice",
                                                            "info"};
};
template <>
struct enum_names<syslog_transport> {
    static constexpr std::array<std::string_view, 3> values{"udp", "tcp", "tls"};
};

template <>
struct enum_names<metrics_access> {
    static constexpr std::array<std::string_view, 3> values{"session", "open", "off"};
};
template <>
struct enum_names<console_right> {
    static constexpr std::array<std::string_view, 3> values{"none", "read", "write"};
};
template <>
struct enum_names<rule_access> {
    static constexpr std::array<std::string_view, 3> values{"read", "write", "read_write"};
};

template <class Enum>
constexpr std::string_view to_string(Enum e) noexcept requires requires {
    enum_names<Enum>::values;
}
{
    const auto i = static_cast<std::size_t>(e);
    return i < enum_names<Enum>::values.size() ? enum_names<Enum>::values[i]
                                               : std::string_view{"?"};
}

/// A set of consecutive Modbus unit ids, first <= last.
struct unit_range {
    std::uint8_t first = 1;
    std::uint8_t last = 1;

    constexpr bool contains(std::uint8_t unit) const noexcept {
        return unit >= first && unit <= last;
    }
    constexpr bool overlaps(const unit_range& o) const noexcept {
        return first <= o.last && o.first <= last;
    }
    friend constexpr bool operator==(const unit_range&, const unit_range&) = default;
};

/// The "rs485" object: the transport's own settings, so that what the file says reaches
/// TIOCSRS485 without a conversion that could round (delays are whole milliseconds, the
/// kernel's unit, in the file as in the driver). `receive_during_send` has no key and stays
/// off: a master hearing its own request would feed it to the reply framer.
using rs485_config = transport::rs485_settings;

/// How long to wait before reopening a port (or reconnecting) after a failure: starts at
/// `initial`, doubles on each further failure, never exceeds `max`.
struct backoff_config {
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{5000};

    friend bool operator==(const backoff_config&, const backoff_config&) = default;
};

/// A serial line: a channel's downstream bus, or an rtu_serial listener's upstream line.
struct serial_line_config {
    std::string device;  ///< e.g. /dev/ttyUSB0
    std::uint32_t baud = 19200;
    std::uint8_t data_bits = 8;
    serial_parity parity = serial_parity::even;  ///< Modbus's default (8E1)
    std::uint8_t stop_bits = 1;
    serial_mode mode = serial_mode::rtu;
    serial_framing framing = serial_framing::predicted;
    rs485_config rs485;
    bool low_latency = true;  ///< ASYNC_LOW_LATENCY: no tty buffering delay
    backoff_config reopen_backoff;

    friend bool operator==(const serial_line_config&, const serial_line_config&) = default;
};

/// A downstream Modbus device (or serial server) reached over TCP.
/// A tcp channel's "tls" object: Modbus/TCP Security to the device (gw is the TLS client).
struct tls_client_config {
    std::string ca;           ///< PEM, required: the device's certificate must chain to it
    std::string certificate;  ///< PEM chain: gw's client certificate (with its role), optional
    std::string private_key;  ///< PEM, with certificate
    std::string server_name;  ///< the name the device's certificate must carry; empty: host

    friend bool operator==(const tls_client_config&, const tls_client_config&) = default;
};

struct tcp_device_config {
    std::string host;  ///< IP address or DNS name
    std::uint16_t port = 502;
    tcp_protocol protocol = tcp_protocol::modbus_tcp;
    backoff_config reconnect_backoff;
    /// One connection attempt fails after this long (then the backoff applies).
    std::chrono::milliseconds connect_timeout{3000};
    /// This many transactions in a row that timed out close the connection and open a new one:
    /// a rebooted device or a NAT that dropped its state leaves one that carries nothing.
    std::uint16_t reconnect_after_timeouts = 3;
    tls_client_config tls{};  ///< ca empty: plain TCP

    friend bool operator==(const tcp_device_config&, const tcp_device_config&) = default;
};

/// The built-in simulated serial device.
struct simulator_config {
    unit_range units{1, 3};  ///< the unit ids it answers

    friend bool operator==(const simulator_config&, const simulator_config&) = default;
};

struct channel_config {
    std::string name;
    std::variant<serial_line_config, tcp_device_config, simulator_config> link;
    std::chrono::milliseconds response_timeout{1000};
    std::uint8_t retries = 0;  ///< extra attempts after a timeout or a corrupt reply
    std::chrono::milliseconds inter_frame_delay{0};
    std::chrono::milliseconds broadcast_turnaround{100};
    std::chrono::microseconds priority_hold{0};  ///< see router::channel_options::priority_hold
    bool coalesce_reads = false;
    std::uint16_t queue_per_master = 32;

    channel_type type() const noexcept { return static_cast<channel_type>(link.index()); }
    friend bool operator==(const channel_config&, const channel_config&) = default;
};

/// A TCP listener's "rate_limit" object: token buckets (a rate a second and a burst; rate 0 turns
/// that bucket off) and auto-block. The defaults are policy::rate_limit_settings' (one place;
/// docs/security.md says why they never throttle an ordinary SCADA poller).
struct rate_limit_config {
    static constexpr policy::rate_limit_settings engine{};
    std::uint32_t connection_requests_per_s = engine.requests_per_connection.rate;
    std::uint32_t connection_burst = engine.requests_per_connection.burst;
    std::uint32_t source_requests_per_s = engine.requests_per_source.rate;
    std::uint32_t source_burst = engine.requests_per_source.burst;
    std::uint32_t listener_requests_per_s = engine.requests_per_listener.rate;
    std::uint32_t listener_burst = engine.requests_per_listener.burst;
    std::uint32_t source_connections_per_s = engine.connections_per_source.rate;
    std::uint32_t source_connection_burst = engine.connections_per_source.burst;
    std::uint32_t block_after = engine.block_after;  ///< 0: never block
    std::chrono::seconds block_window =
        std::chrono::duration_cast<std::chrono::seconds>(engine.block_window);
    std::chrono::seconds block_for =
        std::chrono::duration_cast<std::chrono::seconds>(engine.block_for);
    std::chrono::seconds audit_window =
        std::chrono::duration_cast<std::chrono::seconds>(engine.audit_window);
    std::vector<ip_network> exempt;  ///< rate limited, never blocked

    friend bool operator==(const rate_limit_config&, const rate_limit_config&) = default;
};

/// A listener's rule for plain Modbus TCP: peers in `network` get `role` (first match wins).
struct source_role_config {
    ip_network network{};
    std::string role;

    friend bool operator==(const source_role_config&, const source_role_config&) = default;
};

/// A modbus_tls listener's "tls" object (Modbus/TCP Security). The handshake defaults and
/// bounds are the plan's (gateway::tls_listener_plan), defined once.
struct tls_listener_config {
    using engine = gateway::tls_listener_plan;
    std::string certificate;  ///< PEM chain, required
    std::string private_key;  ///< PEM, required
    std::string ca;           ///< PEM, required: client certificates must chain to it
    std::string crl;          ///< PEM, optional
    cipher_policy ciphers = cipher_policy::intermediate;
    std::chrono::milliseconds handshake_timeout = engine::default_handshake_timeout;
    std::uint16_t max_handshakes = engine::default_max_handshakes;
    std::uint16_t max_handshakes_per_source = engine::default_max_handshakes_per_source;

    friend bool operator==(const tls_listener_config&, const tls_listener_config&) = default;
};

/// A Modbus TCP, RTU-over-TCP or Modbus/TCP Security listening socket.
struct tcp_listener_config {
    std::string address = "127.0.0.1";   ///< an IP literal; 0.0.0.0 or :: for every interface
    std::uint16_t port = 502;            ///< required in the file
    std::uint16_t max_connections = 32;  ///< the MGate's figure
    /// Zero: no cap of its own. One host may then use every free slot, and when the listener is
    /// full a newcomer takes the longest-idle connection of the host holding the most.
    std::uint16_t max_connections_per_source = 0;
    std::chrono::seconds idle_timeout{300};  ///< zero: never close an idle connection
    /// A master that has not taken an answer for this long (it stopped reading) is closed.
    std::chrono::seconds write_timeout{10};
    /// A request begun and not completed for this long closes the connection (slowloris).
    std::chrono::milliseconds frame_timeout = gateway::frame_deadline::fallback;
    std::vector<ip_network> allowlist;  ///< empty: every source may connect
    rate_limit_config rate_limit;
    /// Every write is answered with exception 01, whatever the role.
    bool read_only = false;
    /// Every write request that passes the policies is an audit event (write_request).
    bool audit_writes = false;
    /// Roles by source network, for connections without a client certificate.
    std::vector<source_role_config> roles_by_source;
    tls_listener_config tls;  ///< modbus_tls only (certificate empty otherwise)

    friend bool operator==(const tcp_listener_config&, const tcp_listener_config&) = default;
};

struct listener_config {
    std::string name;
    listener_protocol protocol = listener_protocol::modbus_tcp;
    priority_class priority = priority_class::normal;
    /// false: the service is off (a TCP listener is not opened; switched live by a reload or
    /// the console; an rtu_serial listener's switch needs a restart).
    bool enabled = true;
    /// tcp_listener_config for modbus_tcp, rtu_over_tcp and modbus_tls; serial_line_config for
    /// rtu_serial.
    std::variant<tcp_listener_config, serial_line_config> endpoint;

    friend bool operator==(const listener_config&, const listener_config&) = default;
};

/// Requests for `units` go to `channel`. With `map_to`, unit `first + k` is sent to the device
/// as unit `*map_to + k` (and replies come back under the unit the master asked for).
struct route_config {
    unit_range units;
    std::string channel;
    std::optional<std::uint8_t> map_to;

    constexpr std::uint8_t device_unit(std::uint8_t unit) const noexcept {
        return map_to ? static_cast<std::uint8_t>(*map_to + (unit - units.first)) : unit;
    }
    friend bool operator==(const route_config&, const route_config&) = default;
};

struct limits_config {
    std::uint32_t max_connections = 256;  ///< across all listeners

    friend bool operator==(const limits_config&, const limits_config&) = default;
};

struct log_config {
    log_level level = log_level::notice;  ///< the MGate default: notice, warning and error kept
    std::uint32_t event_log_capacity = 10000;

    friend bool operator==(const log_config&, const log_config&) = default;
};

/// The device-wide accessible IP list (MGate 5000 guide 3.4): with `active`, only hosts in an
/// active entry reach the Modbus listeners; with `additional_restrictions` too, only they reach
/// the management services. Entries: the engine's (network, active) pairs.
struct accessible_ip_list_config {
    bool active = false;
    bool additional_restrictions = false;
    std::vector<policy::accessible_ip_entry> entries;

    friend bool operator==(const accessible_ip_list_config&,
                           const accessible_ip_list_config&) = default;
};

/// Addresses first..last (0..65535), or for FC 8 sub-functions and FC 43 MEI types.
struct address_range {
    std::uint16_t first = 0;
    std::uint16_t last = 65535;

    friend constexpr bool operator==(const address_range&, const address_range&) = default;
};

/// One authorization rule: these function codes, on these units, at these addresses, for
/// reading, writing or both (gw/policy/authorization_policy.hpp says what each code touches).
struct access_rule_config {
    std::vector<std::uint8_t> functions;
    unit_range units{1, 247};  ///< broadcasts (unit 0) need a rule of their own
    address_range addresses{};
    rule_access access = rule_access::read;

    friend bool operator==(const access_rule_config&, const access_rule_config&) = default;
};

struct role_config {
    std::string name;
    std::vector<access_rule_config> rules;

    friend bool operator==(const role_config&, const role_config&) = default;
};

/// The "authorization" object: present, every listener checks every request against it.
struct authorization_config {
    std::vector<role_config> roles;             ///< in the file's order
    std::vector<access_rule_config> null_role;  ///< empty: connections without a role get nothing

    friend bool operator==(const authorization_config&, const authorization_config&) = default;
};

/// "Events Settings": the least severe event recorded, per category.
struct audit_events_config {
    event_keep system = event_keep::notice;
    event_keep network = event_keep::notice;
    event_keep security = event_keep::info;
    event_keep maintenance = event_keep::notice;
    event_keep modbus = event_keep::notice;
    event_keep serial = event_keep::notice;

    friend bool operator==(const audit_events_config&, const audit_events_config&) = default;
};

struct reconnaissance_config {
    std::uint32_t threshold = 20;  ///< refusals or unknown units from one source; 0: off
    std::chrono::seconds window{60};

    friend bool operator==(const reconnaissance_config&, const reconnaissance_config&) = default;
};

/// One remote syslog server.
struct syslog_server_config {
    std::string host;
    std::uint16_t port = 0;  ///< 0: the transport's port (514 udp and tcp, 6514 tls)
    syslog_transport transport = syslog_transport::udp;
    log_level level = log_level::notice;  ///< events of this severity and above are sent
    tls_client_config tls;                ///< transport tls: ca required

    friend bool operator==(const syslog_server_config&, const syslog_server_config&) = default;
};

/// The audit trail: the persistent store in the state directory, what it records, and where
/// the events are sent.
struct audit_config {
    std::uint32_t capacity = 10000;  ///< records kept
    audit_when_full when_full = audit_when_full::overwrite;
    std::uint8_t warn_percent = 80;  ///< an audit_nearly_full event when the fill level crosses it
    bool durable_security = true;    ///< security events and errors synced one by one
    std::uint32_t batch_records = 64;
    audit_events_config events;
    reconnaissance_config reconnaissance;
    std::vector<syslog_server_config> syslog;
    std::uint32_t enterprise_number = 32473;  ///< of the SD-IDs (RFC 5612's documentation number)

    friend bool operator==(const audit_config&, const audit_config&) = default;
};

/// Login failure lockout of the management console (NPort 6000-G2 Login Settings): per account
/// and per source address.
struct lockout_config {
    bool enabled = true;
    std::uint32_t max_failures = 5;
    std::chrono::seconds window{300};   ///< failures older than this do not count
    std::chrono::seconds lockout{300};  ///< how long a locked account or source waits

    friend bool operator==(const lockout_config&, const lockout_config&) = default;
};

/// The console accounts' password policy.
struct password_policy_config {
    std::uint32_t min_length = 8;
    bool require_upper = false;
    bool require_lower = false;
    bool require_digit = false;
    bool require_symbol = false;
    std::uint32_t history = 3;        ///< previous passwords that may not be reused
    std::uint32_t lifetime_days = 0;  ///< 0: passwords do not expire
    std::uint32_t warn_days = 14;

    friend bool operator==(const password_policy_config&, const password_policy_config&) = default;
};

struct console_sessions_config {
    std::chrono::seconds idle{900};
    std::chrono::seconds absolute{28800};
    std::uint32_t per_account = 4;
    std::uint32_t total = 32;

    friend bool operator==(const console_sessions_config&,
                           const console_sessions_config&) = default;
};

/// A custom console role: one right per section of the console (docs/management.md, "Roles").
/// The defaults are read-only on what any role may watch, nothing else.
struct console_role_config {
    std::string name;
    console_right status = console_right::read;
    console_right audit = console_right::none;
    console_right monitor = console_right::read;
    console_right lines = console_right::none;
    console_right services = console_right::none;
    console_right security = console_right::none;
    console_right accounts = console_right::none;

    friend bool operator==(const console_role_config&, const console_role_config&) = default;
};

/// The HTTPS management console and REST API. Until an administrator exists it listens on
/// loopback only, whatever `address` says.
struct management_config {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8443;
    std::string certificate;  ///< empty: a self-signed ECC P-256 certificate in the state dir
    std::string private_key;
    std::uint32_t max_connections = 16;
    std::string login_message;
    std::string failure_message = "Login failed: wrong name or password.";
    metrics_access metrics = metrics_access::session;
    lockout_config lockout;
    password_policy_config password_policy;
    console_sessions_config sessions;
    std::vector<console_role_config> roles;  ///< besides administrator and operator

    friend bool operator==(const management_config&, const management_config&) = default;
};

struct gateway_config {
    std::vector<channel_config> channels;
    std::vector<listener_config> listeners;
    std::vector<route_config> routes;
    accessible_ip_list_config accessible_ip_list;
    limits_config limits;
    log_config log;
    audit_config audit;
    /// Absent: plain listeners trust their allowlist (no rules are checked; read_only still
    /// applies).
    std::optional<authorization_config> authorization;
    /// Absent: no management console.
    std::optional<management_config> management;

    friend bool operator==(const gateway_config&, const gateway_config&) = default;
};

inline const channel_config* find_channel(const gateway_config& c, std::string_view name) noexcept {
    for (const channel_config& ch : c.channels) {
        if (ch.name == name) {
            return &ch;
        }
    }
    return nullptr;
}

/// The route serving `unit`, if any (routes never overlap).
inline const route_config* find_route(const gateway_config& c, std::uint8_t unit) noexcept {
    for (const route_config& r : c.routes) {
        if (r.units.contains(unit)) {
            return &r;
        }
    }
    return nullptr;
}

}  // namespace gw::config
