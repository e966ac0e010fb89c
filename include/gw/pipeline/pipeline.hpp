#pragma once
// The request path every upstream front end shares (a Modbus TCP session, an RTU-over-TCP
// session, a serial master line, a UART on a microcontroller):
//
//   front end --(framed by the codec)--> validation --> policies --(allowed)--> router --> queue
//
// Policies only ever see requests that passed validate_request (v1.1b3 limits), so a policy may
// read quantities and address ranges from the PDU without checking its length again.
//
// composed at compile time: the router and the policy chain are template parameters checked by
// concepts, so a policy costs nothing when it is an empty struct and the whole path inlines.

#include <gw/codec/pdu.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/core/time.hpp>
#include <gw/policy/decision.hpp>
#include <gw/router/request_origin.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>

namespace gw::pipeline {

template <class R>
concept request_router = requires(R& r, const router::request_origin& origin,
                                  router::priority_class priority,
                                  std::span<const std::uint8_t> pdu, router::master_id master) {
    { r.submit_validated(origin, priority, pdu) } -> std::same_as<std::optional<exception_code>>;
    r.drop_master(master);
};

template <class P>
concept policy_set = requires(P& p, const policy::connection_info& c, const policy::request_info& r,
                              const policy::audit_event& e) {
    { p.on_connect(c) } -> std::same_as<policy::decision>;
    p.on_disconnect(c);
    { p.on_request(r) } -> std::same_as<policy::decision>;
    p.emit(e);
};

/// One upstream request, as a front end hands it over.
struct upstream_request {
    router::master_id master;
    router::priority_class priority;
    std::uint16_t transaction_id;
    std::uint8_t unit;
    std::span<const std::uint8_t> pdu;
    timestamp now;
};

template <class Router, class Policies>
class pipeline {
    static_assert(request_router<Router>,
                  "Router must offer submit_validated(origin, priority, pdu) -> "
                  "optional<exception_code> and drop_master(master_id)");
    static_assert(policy_set<Policies>,
                  "Policies must offer on_connect, on_disconnect, on_request and emit, as "
                  "gw::policy::policy_chain does");

public:
    pipeline(Router& router, Policies& policies) noexcept : router_{router}, policies_{policies} {}

    /// A master connects: the policies decide (and the decision is audited).
    policy::decision on_connect(const policy::connection_info& c) noexcept {
        return policies_.on_connect(c);
    }

    /// A master leaves: forget its queued requests and its connection counts.
    void on_disconnect(const policy::connection_info& c, router::master_id master,
                       policy::reason why = policy::reason::none) noexcept {
        router_.drop_master(master);
        policies_.on_disconnect(c, why);
    }

    /// Returns nothing when the request was queued (the channel answers later), or the exception
    /// the front end must answer now.
    std::optional<exception_code> on_request(const policy::connection_info& c,
                                             const upstream_request& r) noexcept {
        if (const auto invalid = validate_request(r.pdu)) {
            answered(c, r, *invalid);
            return invalid;
        }
        const policy::request_info info{c, r.master, r.unit, r.pdu, r.now};
        if (const auto d = policies_.on_request(info); !d.allowed) return d.answer;
        const router::request_origin origin{r.master, r.transaction_id, r.unit, r.now};
        const auto refused = router_.submit_validated(origin, r.priority, r.pdu);
        if (refused) answered(c, r, *refused);
        return refused;
    }

    Router& router() noexcept { return router_; }
    Policies& policies() noexcept { return policies_; }

private:
    /// A Modbus answer like any other: audited and counted, logged only at level info.
    void answered(const policy::connection_info& c, const upstream_request& r,
                  exception_code code) noexcept {
        policy::audit_event e;
        e.time = r.now;
        e.category = policy::event_category::modbus;
        e.severity = policy::event_severity::info;
        e.kind = policy::event_kind::exception_answered;
        e.outcome = policy::event_outcome::denied;
        e.source = c.listener;
        e.peer = c.peer;
        e.peer_port = c.peer_port;
        e.reason = static_cast<std::uint8_t>(code);
        e.unit = r.unit;
        e.function = r.pdu.empty() ? 0 : r.pdu[0];
        policies_.emit(e);
    }

    Router& router_;
    Policies& policies_;
};

}  // namespace gw::pipeline
