#pragma once
// Policies composed at compile time. A policy is any type; each hook it has is detected on its
// own, so an empty struct is a valid no-op policy:
//
//   decision on_connect(const connection_info&)      may refuse a connection
//   void     on_disconnect(const connection_info&)   forget what on_connect counted
//   decision on_request(const request_info&)         may refuse a request (answered with an
//   exception) void     on_event(const audit_event&)            receives every decision and event
//   (audit hooks)
//
// The chain asks policies in order; the first refusal wins and later policies are not asked.
// Every decision, allow or deny, is reported to every on_event hook.

#include <gw/policy/audit_event.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/modbus_access.hpp>

#include <concepts>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace gw::policy {

template <class P>
concept has_on_connect = requires(P& p, const connection_info& c) {
    { p.on_connect(c) } -> std::same_as<decision>;
};
template <class P>
concept has_on_disconnect = requires(P& p, const connection_info& c) {
    p.on_disconnect(c);
};
template <class P>
concept has_on_request = requires(P& p, const request_info& r) {
    { p.on_request(r) } -> std::same_as<decision>;
};
template <class P>
concept has_on_event = requires(P& p, const audit_event& e) {
    p.on_event(e);
};

/// One clear message per malformed hook, instead of a silently ignored misspelt signature.
template <class P>
constexpr bool check_policy() noexcept {
    static_assert(
        !requires { &P::on_connect; } || has_on_connect<P>,
        "a policy's on_connect must be `decision on_connect(const connection_info&)`");
    static_assert(
        !requires { &P::on_disconnect; } || has_on_disconnect<P>,
        "a policy's on_disconnect must be `void on_disconnect(const connection_info&)`");
    static_assert(
        !requires { &P::on_request; } || has_on_request<P>,
        "a policy's on_request must be `decision on_request(const request_info&)`");
    static_assert(
        !requires { &P::on_event; } || has_on_event<P>,
        "a policy's on_event must be `void on_event(const audit_event&)`");
    return true;
}

template <class... Policies>
class policy_chain {
    static_assert((check_policy<Policies>() && ...));

public:
    policy_chain() = default;
    template <class... Args>
    requires(sizeof...(Args) == sizeof...(Policies) &&
             sizeof...(Args) > 0) explicit policy_chain(Args&&... policies) noexcept
        : policies_{std::forward<Args>(policies)...} {}

    template <class P>
    P& get() noexcept {
        return std::get<P>(policies_);
    }
    template <class P>
    const P& get() const noexcept {
        return std::get<P>(policies_);
    }

    /// Asks every on_connect hook in order; the first refusal wins. Policies that admitted the
    /// connection before a later one refused it are told it ended (on_disconnect), so no count
    /// is left behind for a connection that never existed.
    decision on_connect(const connection_info& c) noexcept {
        const decision d = connect_all(c, std::index_sequence_for<Policies...>{});
        audit_event e = connection_event(c);
        e.kind = d.allowed ? event_kind::connection_accepted : event_kind::connection_refused;
        e.category = d.allowed ? event_category::network : event_category::security;
        e.severity = d.allowed ? event_severity::info : event_severity::warning;
        e.outcome = d.allowed ? event_outcome::success : event_outcome::denied;
        e.reason = static_cast<std::uint8_t>(d.why);
        e.repeats = d.repeats;
        if (d.allowed || d.audit) emit(e);
        return d;
    }

    /// The connection ended; `why` says whether a policy or a deadline ended it (idle or write
    /// timeout, eviction, an allowlist that no longer admits it, a protocol error).
    void on_disconnect(const connection_info& c, reason why = reason::none) noexcept {
        std::apply(
            [&](auto&... p) {
                (
                    [&] {
                        if constexpr (has_on_disconnect<std::remove_reference_t<decltype(p)>>) {
                            p.on_disconnect(c);
                        }
                    }(),
                    ...);
            },
            policies_);
        audit_event e = connection_event(c);
        e.kind =
            why == reason::idle_timeout ? event_kind::idle_timeout : event_kind::connection_closed;
        switch (why) {
            case reason::none:
                e.category = event_category::network;
                e.severity = event_severity::info;
                break;
            case reason::not_in_allowlist:
            case reason::not_accessible:
            case reason::evicted:
            case reason::protocol_error:
            case reason::frame_timeout:  // slowloris: a slot held by a request never finished
                e.category = event_category::security;
                e.severity = event_severity::notice;
                e.outcome = event_outcome::denied;
                break;
            default:
                e.category = event_category::network;
                e.severity = event_severity::notice;
                break;
        }
        e.reason = static_cast<std::uint8_t>(why);
        emit(e);
    }

    decision on_request(const request_info& r) noexcept {
        decision d = decision::allow();
        std::apply([&](auto&... p) { ((d.allowed ? ask_request(p, r, d) : void()), ...); },
                   policies_);
        if (!d.allowed) {
            audit_event e = connection_event(r.connection);
            e.time = r.now;
            e.kind = event_kind::request_refused;
            e.category = event_category::security;
            e.severity = event_severity::warning;
            e.outcome = event_outcome::denied;
            e.reason = static_cast<std::uint8_t>(d.why);
            e.unit = r.unit;
            e.function = r.pdu.empty() ? 0 : r.pdu[0];
            e.repeats = d.repeats;
            e.address = d.address;
            e.quantity = d.quantity;
            (void)e.role.assign(d.role);  // at most max_role_length: both sides use it
            if (d.audit) emit(e);
        } else if (r.connection.audit_writes) {
            audit_write(r);
        }
        return d;
    }

    /// Sends an event (from the chain, a session or a channel) to every audit hook.
    void emit(const audit_event& e) noexcept {
        std::apply(
            [&](auto&... p) {
                (
                    [&] {
                        if constexpr (has_on_event<std::remove_reference_t<decltype(p)>>) {
                            p.on_event(e);
                        }
                    }(),
                    ...);
            },
            policies_);
    }

private:
    /// A write that every policy allowed, on a connection whose listener audits writes: one
    /// event per write access (FC 23 reads and writes: its write window is recorded).
    void audit_write(const request_info& r) noexcept {
        const auto accesses = classify_request(r.pdu);  // view() points into it: keep it
        for (const auto& a : accesses.view()) {
            if (a.kind != access_kind::write) continue;
            audit_event e = connection_event(r.connection);
            e.time = r.now;
            e.kind = event_kind::write_request;
            e.category = event_category::modbus;
            e.severity = event_severity::notice;
            e.outcome = event_outcome::success;
            e.unit = r.unit;
            e.function = a.function;
            e.address = a.address;
            e.quantity = a.has_address ? a.quantity : std::uint16_t{0};
            (void)e.role.assign(r.connection.identity.role.view());
            emit(e);
        }
    }

    static audit_event connection_event(const connection_info& c) noexcept {
        audit_event e;
        e.time = c.now;
        e.source = c.listener;
        e.peer = c.peer;
        e.peer_port = c.peer_port;
        return e;
    }

    template <std::size_t... I>
    decision connect_all(const connection_info& c, std::index_sequence<I...>) noexcept {
        decision d = decision::allow();
        std::size_t refused_by = sizeof...(I);
        const auto ask = [&](auto& p, std::size_t index) {
            if constexpr (has_on_connect<std::remove_reference_t<decltype(p)>>) {
                const decision mine = p.on_connect(c);
                if (!mine.allowed) {
                    refused_by = index;
                    d = mine;
                } else if (mine.make_room) {
                    d.make_room = true;
                    d.evict_from = mine.evict_from;
                }
            }
        };
        ((d.allowed ? ask(std::get<I>(policies_), I) : void()), ...);
        (void)ask;  // an empty chain has nothing to ask
        if (!d.allowed) {
            const auto undo = [&](auto& p, std::size_t index) {
                using P = std::remove_reference_t<decltype(p)>;
                if constexpr (has_on_connect<P> && has_on_disconnect<P>) {
                    if (index < refused_by) p.on_disconnect(c);
                }
            };
            (undo(std::get<I>(policies_), I), ...);
            (void)undo;
        }
        return d;
    }
    template <class P>
    static void ask_request(P& p, const request_info& r, decision& d) noexcept {
        if constexpr (has_on_request<P>) d = p.on_request(r);
    }

    std::tuple<Policies...> policies_;
};

}  // namespace gw::policy
