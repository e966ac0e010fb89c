#pragma once
// What a gateway runs, as plain data: the configuration file (gw/config) is one way to make a
// plan, command-line flags another, and a program embedding gw a third.

#include <gw/gateway/frame_deadline.hpp>
#include <gw/gateway/reopen_backoff.hpp>
#include <gw/policy/accessible_ip_list.hpp>
#include <gw/policy/authorization_policy.hpp>
#include <gw/policy/connection_limit_policy.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/policy/rate_limit_policy.hpp>
#include <gw/router/channel_options.hpp>
#include <gw/router/request_origin.hpp>
#include <gw/router/route_table.hpp>
#include <gw/tls/cipher_policy.hpp>
#include <gw/transport/serial_settings.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace gw::gateway {

struct serial_link_plan {
    transport::serial_settings settings;
};
/// Modbus/TCP Security to a downstream device: gw's client side of mutual TLS.
struct tls_client_plan {
    std::string ca;           ///< PEM trust anchors for the device's certificate
    std::string certificate;  ///< PEM chain presented to the device (its role), optional
    std::string private_key;  ///< PEM
    std::string server_name;  ///< checked against the device's certificate; empty: the host

    friend bool operator==(const tls_client_plan&, const tls_client_plan&) = default;
};

struct tcp_link_plan {
    std::string host;
    std::uint16_t port = 502;
    /// One connection attempt (name resolution included) fails after this long, and the reopen
    /// backoff applies; without it a blackholed address would hold the channel for the
    /// kernel's ~2 minutes of SYN retries.
    std::chrono::milliseconds connect_timeout{3000};
    /// This many transactions in a row that timed out (no reply to their last attempt) mean
    /// the connection is probably dead (a rebooted device, a NAT that dropped its state): it is
    /// closed and reopened. 0: never.
    std::uint16_t reconnect_after_timeouts = 3;
    /// ca empty: plain TCP. Otherwise the connect deadline covers the TLS handshake too.
    tls_client_plan tls{};

    bool uses_tls() const noexcept { return !tls.ca.empty(); }
    friend bool operator==(const tcp_link_plan&, const tcp_link_plan&) = default;
};

/// A downstream channel: a serial line (RTU or ASCII) or a Modbus TCP device.
struct channel_plan {
    std::string name;
    std::variant<serial_link_plan, tcp_link_plan> link;
    router::channel_options options;
    reopen_backoff backoff;
};

enum class listener_protocol : std::uint8_t {
    modbus_tcp,    ///< Modbus TCP (MBAP) on a TCP port
    rtu_over_tcp,  ///< RTU ADUs on a TCP port
    rtu_serial,    ///< a serial line on which a master polls gw (gw is the slave side)
    modbus_tls,    ///< Modbus/TCP Security: MBAP inside mutual TLS (port 802)
};

/// A modbus_tls listener's TLS settings. The handshake bounds are defined here, once: a TLS
/// handshake is CPU an attacker buys for the price of a TCP connection.
struct tls_listener_plan {
    static constexpr std::chrono::milliseconds default_handshake_timeout{10'000};
    static constexpr std::chrono::milliseconds max_handshake_timeout{120'000};
    static constexpr std::uint16_t default_max_handshakes = 64;
    static constexpr std::uint16_t default_max_handshakes_per_source = 8;
    static constexpr std::uint16_t max_handshakes_bound = 1024;

    std::string certificate;  ///< PEM chain
    std::string private_key;  ///< PEM
    std::string ca;           ///< PEM: client certificates must chain to it
    std::string crl;          ///< PEM, optional
    tls::cipher_policy ciphers = tls::cipher_policy::intermediate;
    std::chrono::milliseconds handshake_timeout = default_handshake_timeout;
    /// Handshakes in progress on this listener, and from one source address; over either, a
    /// new connection is closed at once.
    std::uint16_t max_handshakes = default_max_handshakes;
    std::uint16_t max_handshakes_per_source = default_max_handshakes_per_source;

    friend bool operator==(const tls_listener_plan&, const tls_listener_plan&) = default;
};

/// A peer in `network` (without a client certificate) is checked as `role`.
struct source_role_plan {
    policy::ip_network network{};
    std::string role;

    friend bool operator==(const source_role_plan&, const source_role_plan&) = default;
};

/// An upstream listener: where masters reach the gateway.
struct listener_plan {
    std::string name;
    listener_protocol protocol = listener_protocol::modbus_tcp;
    std::string address = "127.0.0.1";  ///< TCP listeners
    std::uint16_t port = 1502;
    transport::serial_settings serial;  ///< rtu_serial listeners
    router::priority_class priority = router::priority_class::normal;
    /// false: not opened (the services table). A TCP listener is opened or closed by a reload
    /// (closing it closes its connections); an rtu_serial one needs a restart.
    bool enabled = true;
    policy::connection_limits limits;
    std::optional<std::chrono::seconds> idle_timeout;
    /// A master whose answers have not drained for this long (it stopped reading) is closed.
    std::chrono::seconds write_timeout{10};
    /// TCP listeners: a request begun and not completed for this long closes the connection
    /// (within frame_deadline::min..max; there is no "off": a request never finished is never
    /// legitimate, and a trickling master would otherwise defeat the idle timeout).
    std::chrono::milliseconds frame_timeout = frame_deadline::fallback;
    std::vector<policy::ip_network> allowlist;  ///< empty: every address may connect
    /// Request and connection rates, auto-block. Its `exempt` span is ignored: the networks are
    /// in rate_limit_exempt, which the plan owns.
    policy::rate_limit_settings rate_limit{};
    std::vector<policy::ip_network> rate_limit_exempt;
    tls_listener_plan tls;      ///< modbus_tls listeners
    bool read_only = false;     ///< every write access is refused (exception 01)
    bool audit_writes = false;  ///< every write that passes the policies is audited
    std::vector<source_role_plan> roles_by_source;  ///< first match wins
};

struct role_plan {
    std::string name;
    std::vector<policy::access_rule> rules;

    friend bool operator==(const role_plan&, const role_plan&) = default;
};

/// The rules database (gw/policy/authorization_policy.hpp). Not enabled: no listener checks
/// rules (a configuration without "authorization"); enabled: every listener does.
struct authorization_plan {
    bool enabled = false;
    std::vector<role_plan> roles;
    std::vector<policy::access_rule> null_role;  ///< empty: the NULL role is denied everything

    friend bool operator==(const authorization_plan&, const authorization_plan&) = default;
};

/// The device-wide accessible IP list (MGate 5000 guide 3.4; gw/policy/accessible_ip_list.hpp).
struct accessible_ip_plan {
    bool list_active = false;
    bool additional_restrictions = false;
    std::vector<policy::accessible_ip_entry> entries;

    policy::accessible_ip_settings settings() const noexcept {
        return {list_active, additional_restrictions, entries};
    }
    friend bool operator==(const accessible_ip_plan&, const accessible_ip_plan&) = default;
};

struct gateway_plan {
    std::vector<channel_plan> channels;
    std::vector<listener_plan> listeners;
    std::vector<router::route> routes;
    accessible_ip_plan accessible_ips;
    std::uint32_t max_connections = 256;      ///< across every listener
    std::size_t event_log_capacity = 10'000;  ///< audit events kept in memory
    /// On stop, how long sessions may take to send the answers they owe before they are closed.
    std::chrono::milliseconds stop_flush_timeout{2000};
    authorization_plan authorization;
};

}  // namespace gw::gateway
