#pragma once
// What a policy answers, and what it is asked about.

#include <gw/core/exception_code.hpp>
#include <gw/core/master_id.hpp>
#include <gw/core/time.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/policy/identity.hpp>

#include <cstdint>
#include <span>
#include <string_view>

namespace gw::policy {

enum class reason : std::uint8_t {
    none,
    not_in_allowlist,
    too_many_connections,
    too_many_from_source,
    idle_timeout,
    rate_limited,
    unauthorized,
    shutting_down,
    write_timeout,   ///< the master stopped taking its answers
    evicted,         ///< the listener was full: a newcomer took this host's longest-idle slot
    protocol_error,  ///< the stream broke the framing rules (MBAP protocol id or length)
    source_blocked,  ///< the source kept exceeding its rate limits and is blocked for a while
    not_accessible,  ///< not in the device's accessible IP list (accessible_ip_list.hpp)
    frame_timeout,   ///< a request begun was not completed in time (a slow or stalled master)
    // Modbus/TCP Security (TLS) refusals, each its own reason so that the audit line says why.
    tls_handshake_failed,           ///< the TLS handshake failed for another reason
    too_many_handshakes,            ///< handshakes in progress over the listener's/source's cap
    tls_handshake_timeout,          ///< the handshake did not finish within its deadline
    tls_no_certificate,             ///< the client sent no certificate (R-10/R-44)
    tls_unknown_ca,                 ///< the client certificate does not chain to the CA
    tls_certificate_expired,        ///< the client certificate's notAfter is past
    tls_certificate_not_yet_valid,  ///< the client certificate's notBefore is ahead
    tls_certificate_revoked,        ///< the client certificate is in the CRL
    tls_bad_identity,               ///< the certificate's role or CN cannot be used
};

constexpr std::string_view to_string(reason r) noexcept {
    switch (r) {
        case reason::none:
            return "none";
        case reason::not_in_allowlist:
            return "not_in_allowlist";
        case reason::too_many_connections:
            return "too_many_connections";
        case reason::too_many_from_source:
            return "too_many_from_source";
        case reason::idle_timeout:
            return "idle_timeout";
        case reason::rate_limited:
            return "rate_limited";
        case reason::unauthorized:
            return "unauthorized";
        case reason::shutting_down:
            return "shutting_down";
        case reason::write_timeout:
            return "write_timeout";
        case reason::evicted:
            return "evicted";
        case reason::protocol_error:
            return "protocol_error";
        case reason::source_blocked:
            return "source_blocked";
        case reason::not_accessible:
            return "not_accessible";
        case reason::frame_timeout:
            return "frame_timeout";
        case reason::tls_handshake_failed:
            return "tls_handshake_failed";
        case reason::too_many_handshakes:
            return "too_many_handshakes";
        case reason::tls_handshake_timeout:
            return "tls_handshake_timeout";
        case reason::tls_no_certificate:
            return "tls_no_certificate";
        case reason::tls_unknown_ca:
            return "tls_unknown_ca";
        case reason::tls_certificate_expired:
            return "tls_certificate_expired";
        case reason::tls_certificate_not_yet_valid:
            return "tls_certificate_not_yet_valid";
        case reason::tls_certificate_revoked:
            return "tls_certificate_revoked";
        case reason::tls_bad_identity:
            return "tls_bad_identity";
    }
    return "unknown";
}

struct decision {
    bool allowed = true;
    reason why = reason::none;
    /// For a refused request: the exception the master gets (a refused connection is closed).
    exception_code answer = exception_code::illegal_function;
    /// For an admitted connection on a full listener: the front end must close one connection
    /// of this source on the same listener (its longest-idle one) to make room.
    bool make_room = false;
    ip_address evict_from{};
    /// For a refusal: whether it is audited. A policy that refuses floods (rate limiting) audits
    /// the first refusal of a source in a window and counts the others instead (`repeats`), so
    /// that a flood does not become a log flood.
    bool audit = true;
    /// Refusals of the same source that were not audited since its last audited one.
    std::uint32_t repeats = 0;
    /// For a request refused by authorization: the role it was checked as (empty: the NULL
    /// role; the view points into the policy or the connection, alive while the chain audits)
    /// and the refused access's window (quantity 0: the function has no address).
    std::string_view role{};
    std::uint16_t address = 0;
    std::uint16_t quantity = 0;

    static constexpr decision allow() noexcept { return {}; }
    static constexpr decision deny(reason r,
                                   exception_code e = exception_code::illegal_function) noexcept {
        return {false, r, e};
    }
    static constexpr decision allow_evicting(const ip_address& source) noexcept {
        decision d;
        d.make_room = true;
        d.evict_from = source;
        return d;
    }
};

/// A new TCP (or TLS) connection on a listener.
struct connection_info {
    std::uint16_t listener = 0;  ///< index of the listener in the gateway's configuration
    ip_address peer{};
    std::uint16_t peer_port = 0;
    timestamp now{};
    connection_identity identity;  ///< who vouched for it, and its role (none on plain TCP)
    /// Every write request this connection gets past the policies is audited (write_request):
    /// the listener's audit_writes option, for sites that account for every control action.
    bool audit_writes = false;
};

/// A request that passed codec validation, before it is routed.
struct request_info {
    const connection_info& connection;
    master_id master;
    std::uint8_t unit;
    std::span<const std::uint8_t> pdu;
    timestamp now;
};

}  // namespace gw::policy
