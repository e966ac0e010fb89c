#pragma once
// A complete Modbus gateway on one io_context: channels (serial lines, downstream TCP devices),
// listeners (Modbus TCP, RTU-over-TCP, serial master lines), the route table, the policies
// (allowlist, connection limits, audit) and the counters, built from a gateway_plan.
//
//   listener -> upstream_session -> pipeline (policies -> router) -> channel_driver -> line
//        ^                                                                   |
//        '------------------- session_table (answer by master id) <----------'

#include <gw/gateway/audit_log_policy.hpp>
#include <gw/gateway/capacity.hpp>
#include <gw/gateway/channel_driver.hpp>
#include <gw/gateway/event_sink_policy.hpp>
#include <gw/gateway/gateway_plan.hpp>
#include <gw/gateway/gateway_status.hpp>
#include <gw/gateway/links.hpp>
#include <gw/gateway/listener_counters.hpp>
#include <gw/gateway/peer_address.hpp>
#include <gw/gateway/plan_check.hpp>
#include <gw/gateway/session_table.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/gateway/traffic_tap.hpp>
#include <gw/gateway/upstream_session.hpp>
#include <gw/pipeline/pipeline.hpp>
#include <gw/policy/allowlist_policy.hpp>
#include <gw/policy/connection_limit_policy.hpp>
#include <gw/policy/event_log.hpp>
#include <gw/policy/policy_chain.hpp>
#include <gw/policy/rate_limit_policy.hpp>
#include <gw/router/router.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_endpoint.hpp>
#include <gw/transport/tcp_listener.hpp>
#include <gw/transport/tcp_options.hpp>
#if defined(GW_ASIO_SSL)
#include <gw/gateway/tls_link.hpp>
#include <gw/tls/context.hpp>
#endif

#include <algorithm>
#include <array>
#include <bitset>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw::gateway {

/// Refuses new requests while the gateway drains for a graceful stop.
struct shutdown_policy {
    bool stopping = false;
    policy::decision on_request(const policy::request_info& /*request*/) const noexcept {
        return stopping ? policy::decision::deny(policy::reason::shutting_down,
                                                 exception_code::server_device_busy)
                        : policy::decision::allow();
    }
};

using gateway_router = router::router<channel_port, capacity::channels, capacity::routes>;
using gateway_allowlist =
    policy::allowlist_policy<capacity::listeners, capacity::allowlist_entries>;
using gateway_connection_limits =
    policy::connection_limit_policy<capacity::listeners, capacity::masters>;
using gateway_event_log = policy::event_log<capacity::event_log>;
/// gw's policy chain with `Extra...` (policies of your own) after its connection policies and
/// before its audit hooks, so that your refusals are audited like gw's.
template <class... Extra>
using gateway_policies_with =
    policy::policy_chain<shutdown_policy, gateway_accessible_ips, gateway_allowlist,
                         gateway_connection_limits, gateway_rate_limits, gateway_authorization,
                         Extra..., gateway_event_log, audit_log_policy, event_sink_policy>;
using gateway_policies = gateway_policies_with<>;
using gateway_pipeline = pipeline::pipeline<gateway_router, gateway_policies>;

inline std::string to_string(const policy::ip_address& a) {
    return std::string{policy::format_ip_address(a).view()};
}

/// The gateway runtime. `Extra...` are policies of your own (any types with the hooks of
/// gw/policy/policy_chain.hpp), composed in without editing gw: e.g.
/// `basic_gateway<office_hours_write_policy>` (examples/custom_gateway). `gateway` is the one
/// gw_gateway runs.
template <class... Extra>
class basic_gateway {
public:
    using policies_type = gateway_policies_with<Extra...>;
    using pipeline_type = pipeline::pipeline<gateway_router, policies_type>;

    basic_gateway(net::io_context& io, log_function log)
        : io_{io}
        , log_{std::move(log)}
        , sessions_{capacity::masters}
        , pipeline_{router_, policies_} {
        policies_.template get<audit_log_policy>().log = &log_;
    }
    basic_gateway(const basic_gateway&) = delete;
    basic_gateway& operator=(const basic_gateway&) = delete;
    ~basic_gateway() = default;

    /// Every audit event also goes to `sink` (on the io thread: it must only queue), e.g. the
    /// audit trail's push. Set before start().
    void set_event_sink(event_sink sink) {
        sink_ = std::move(sink);
        policies_.template get<event_sink_policy>().sink = &sink_;
    }

    /// Every frame the channels write and read, to a monitor (traffic_tap.hpp); empty: none.
    /// Set it before start() or on the io thread.
    void set_traffic_tap(traffic_tap tap) { tap_ = std::move(tap); }
    const traffic_tap* traffic_tap_of() const noexcept { return tap_ ? &tap_ : nullptr; }

    /// A policy of the chain, to configure it (your own ones included).
    template <class P>
    P& policy() noexcept {
        return policies_.template get<P>();
    }

    /// Opens every listener and starts every channel. Returns an error message (naming the item)
    /// if the plan does not fit the runtime (check_plan) or a listener cannot open; a channel
    /// that cannot open yet is retried with backoff (requests meanwhile get 0x0B), not an error.
    std::string start(const gateway_plan& plan) {
        if (auto error = check_plan(plan); !error.empty()) return error;
        plan_route_table routes;
        if (auto error = build_routes(plan, routes); !error.empty()) return error;
        plan_ = plan;
        if (auto error = apply_policies(plan); !error.empty()) return error;
        auto& named = policies_.template get<event_sink_policy>();
        named.listener_names.clear();
        named.channel_names.clear();
        for (const auto& l : plan.listeners)
            named.listener_names.push_back(l.name);
        for (const auto& c : plan.channels)
            named.channel_names.push_back(c.name);
        lost_units_.assign(plan.channels.size(), {});
        for (std::size_t i = 0; i < plan.channels.size(); ++i) {
            if (auto error = add_channel(i, plan.channels[i]); !error.empty()) return error;
        }
        router_.routes() = routes;
        for (std::size_t i = 0; i < plan.listeners.size(); ++i) {
            if (auto error = add_listener(i, plan.listeners[i]); !error.empty()) return error;
        }
        for (auto& c : channels_)
            c->start();
        emit_system(policy::event_kind::started, policy::event_severity::notice);
        emit_system(policy::event_kind::config_loaded, policy::event_severity::notice,
                    std::to_string(plan.channels.size()) + " channels, " +
                        std::to_string(plan.listeners.size()) + " listeners, " +
                        std::to_string(plan.routes.size()) + " routes");
        return {};
    }

    /// Graceful stop: no new connections, new requests answered 0x06, requests in flight
    /// finished (or timed out and answered) before connections close. Sessions then get
    /// plan.stop_flush_timeout to send what they owe; one that cannot (its master stopped
    /// reading) is closed. `done` runs when every session is closed.
    void stop(std::function<void()> done) {
        if (stopping_) return;
        stopping_ = true;
        emit_system(policy::event_kind::stopping, policy::event_severity::notice);
        policies_.template get<shutdown_policy>().stopping = true;
        for (auto& l : listeners_) {
            transport::error_code ignored;
            l->acceptor.close(ignored);
            l->retry.cancel();
#if defined(GW_ASIO_SSL)
            // A handshake in progress ends now (its handler sees stopping_).
            for (auto& h : l->handshakes) {
                h->deadline.cancel();
                h->stream.lowest_layer().close(ignored);
            }
#endif
        }
        auto longest = std::chrono::microseconds{0};
        for (const auto& c : channels_) {
            const auto& o = c->options();
            longest = std::max(longest, o.response_timeout * (o.retries + 1) + o.inter_frame_delay);
        }
        drain_deadline_ = clock_.now() + longest + std::chrono::seconds{1};
        done_ = std::move(done);
        drain();
    }

    /// Applies a new plan to the running gateway without dropping connections, all or nothing:
    /// the plan is checked and its route table built beside the running one, and only if every
    /// part can be applied live is anything changed. Live: routes, channel timing/queue options,
    /// allowlists (connections the new list excludes are closed and audited), limits, idle and
    /// write timeouts, priorities, the event log size. Anything else (channels or listeners
    /// added or removed, a changed link or listener address) needs a restart: the reload is
    /// refused and says so. Returns the error (empty: applied).
    std::string reload(const gateway_plan& next) {
        const auto refuse = [&](std::string why) {
            emit_system(policy::event_kind::config_rejected, policy::event_severity::warning, why);
            return why;
        };
        if (stopping_) return refuse("the gateway is stopping");
        if (auto error = check_plan(next); !error.empty()) return refuse(error);
        if (const auto restart = changes_needing_restart(plan_, next); !restart.empty()) {
            std::string why;
            for (const auto& r : restart)
                why += (why.empty() ? "" : "; ") + r;
            return refuse(why + ": restart to apply");
        }
        // Same channels and listeners by name: index the next plan by the running positions.
        gateway_plan applied = plan_;
        std::vector<std::uint16_t> running_index(next.channels.size());
        for (std::size_t i = 0; i < next.channels.size(); ++i) {
            const auto at = index_of(plan_.channels, next.channels[i].name);
            running_index[i] = static_cast<std::uint16_t>(at);
            applied.channels[at].options = next.channels[i].options;
        }
        applied.routes.clear();
        for (auto r : next.routes) {
            r.channel = running_index[r.channel];
            applied.routes.push_back(r);
        }
        for (const auto& l : next.listeners) {
            auto& target = applied.listeners[index_of(plan_.listeners, l.name)];
            target.enabled = l.enabled;
            target.priority = l.priority;
            target.limits = l.limits;
            target.idle_timeout = l.idle_timeout;
            target.write_timeout = l.write_timeout;
            target.frame_timeout = l.frame_timeout;
            target.allowlist = l.allowlist;
            target.rate_limit = l.rate_limit;
            target.rate_limit_exempt = l.rate_limit_exempt;
        }
        applied.accessible_ips = next.accessible_ips;
        applied.max_connections = next.max_connections;
        applied.event_log_capacity = next.event_log_capacity;
        applied.stop_flush_timeout = next.stop_flush_timeout;
        plan_route_table routes;
        if (auto error = build_routes(applied, routes); !error.empty()) return refuse(error);

        // Listeners switched on are bound first: a port that cannot be had refuses the reload
        // before anything changed (those bound for it are closed again).
        std::vector<std::size_t> opened;
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            if (!plan_.listeners[i].enabled && applied.listeners[i].enabled) {
                if (auto error = bind_tcp_listener(*listeners_[i]); !error.empty()) {
                    for (const auto j : opened) {
                        transport::error_code ignored;
                        listeners_[j]->acceptor.close(ignored);
                    }
                    return refuse(error);
                }
                opened.push_back(i);
            }
        }

        // Everything is known to fit: from here on nothing can fail half way.
        const std::string summary = describe_changes(plan_, applied);
        if (auto error = apply_policies(applied); !error.empty()) {
            // check_plan bounds every table apply_policies fills: reaching this is a bug, and
            // the gateway must not run on with half a policy.
            log_line(policy::event_severity::error, "reload: " + error + ": stopping");
            stop({});
            return refuse(error);
        }
        router_.routes() = routes;
        for (std::size_t i = 0; i < channels_.size(); ++i)
            channels_[i]->set_options(applied.channels[i].options);
        std::size_t switched_off = 0;
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            auto& l = *listeners_[i];
            const bool was = l.plan.enabled;
            l.plan = applied.listeners[i];
            if (was && !l.plan.enabled) switched_off += close_tcp_listener(l);
        }
        plan_ = std::move(applied);
        for (const auto i : opened)
            start_accepting(*listeners_[i]);
        const auto closed = close_excluded_sessions();
        emit_system(policy::event_kind::config_loaded, policy::event_severity::notice,
                    "reloaded: " + summary);
        log_line(policy::event_severity::notice,
                 "configuration applied: " + summary +
                     (closed > 0 ? "; " + std::to_string(closed) +
                                       " connection(s) the new allowlists or accessible IP "
                                       "list exclude closed"
                                 : std::string{}) +
                     (switched_off > 0 ? "; " + std::to_string(switched_off) +
                                             " connection(s) of disabled listeners closed"
                                       : std::string{}));
        return {};
    }

    /// A snapshot of every channel's and listener's counters: a cheap copy, so that the io
    /// thread can hand it to another thread to serialise and write (status_json.hpp).
    gateway_status status() const {
        gateway_status s;
        s.channels.reserve(channels_.size());
        for (std::size_t i = 0; i < channels_.size(); ++i) {
            const auto& c = *channels_[i];
            s.channels.push_back(
                {plan_.channels[i].name, c.describe(), c.up(), c.queue_depth(), c.counters()});
        }
        s.listeners.reserve(listeners_.size());
        const auto& rates = policies_.template get<gateway_rate_limits>();
        for (const auto& l : listeners_)
            s.listeners.push_back({.name = l->plan.name,
                                   .port = l->bound_port,
                                   .counters = l->counters,
                                   .rate_limit = rates.counters(l->index)});
        std::array<policy::blocked_source, 64> blocked{};
        const auto n = rates.blocked_sources(clock_.now(), blocked);
        for (std::size_t i = 0; i < n && i < blocked.size(); ++i) {
            const auto& b = blocked[i];
            const auto secs = std::chrono::ceil<std::chrono::seconds>(b.remaining).count();
            s.blocked_sources.push_back(
                {b.listener < plan_.listeners.size() ? plan_.listeners[b.listener].name : "",
                 to_string(unmapped(b.address)), static_cast<std::uint64_t>(secs < 0 ? 0 : secs)});
        }
        const auto& log = events();
        s.events = {log.total(), log.size(), log.overwritten()};
        return s;
    }

    const gateway_event_log& events() const {
        return policies_.template get<gateway_event_log>();
    }
    void set_log_level(policy::event_severity level) {
        policies_.template get<audit_log_policy>().level = level;
    }

    /// The port each TCP listener is bound to (useful with port 0), in plan order; 0 for serial.
    std::vector<std::uint16_t> bound_ports() const {
        std::vector<std::uint16_t> ports;
        for (const auto& l : listeners_)
            ports.push_back(l->bound_port);
        return ports;
    }
    /// Counters of listener `i` (plan order).
    const listener_counters& counters_of_listener(std::size_t i) const {
        return listeners_.at(i)->counters;
    }
    /// Connected masters on every listener.
    std::size_t sessions_active() const noexcept {
        return sessions_.active();
    }
    /// The plan running now (after the last successful reload).
    const gateway_plan& plan() const noexcept {
        return plan_;
    }

    // -- the channels' sink ---------------------------------------------------------------------
    void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) {
        sessions_.deliver(origin, pdu);
    }
    /// The device behind `channel` answered a request for `unit` (a reply or its exception).
    void on_device_answered(std::size_t channel, std::uint8_t unit) {
        device_event(channel, unit, false);
    }
    void on_channel_event(std::size_t channel, router::channel_event event,
                          const router::request_origin& origin) {
        using router::channel_event;
        if (event == channel_event::gave_up && origin.unit != 0)
            device_event(channel, origin.unit, true);
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = policy::event_kind::channel_event;
        e.source = static_cast<std::uint16_t>(channel);
        e.reason = static_cast<std::uint8_t>(event);
        e.unit = origin.unit;
        switch (event) {
            case channel_event::bad_crc:
            case channel_event::wrong_unit:
            case channel_event::unexpected_bytes:
                e.category = policy::event_category::serial;
                e.severity = policy::event_severity::warning;
                e.outcome = policy::event_outcome::failed;
                break;
            case channel_event::timeout:
            case channel_event::invalid_response:
            case channel_event::framing_lost:
            case channel_event::gave_up:
            case channel_event::queue_full:
                e.category = policy::event_category::modbus;
                e.severity = policy::event_severity::warning;
                e.outcome = policy::event_outcome::failed;
                break;
            case channel_event::transport_failed:
                e.category = policy::event_category::serial;
                e.severity = policy::event_severity::error;
                e.outcome = policy::event_outcome::failed;
                break;
            case channel_event::retry:
            case channel_event::coalesced:
            case channel_event::broadcast_sent:
                e.category = policy::event_category::modbus;
                e.severity = policy::event_severity::info;
                break;
        }
        policies_.emit(e);
    }
    void on_channel_down(std::size_t channel, const std::string& why) {
        log_line(policy::event_severity::error, "channel " + plan_.channels[channel].name +
                                                    " down: " + why + " (reopening with backoff)");
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = policy::event_kind::channel_down;
        e.category = policy::event_category::serial;
        e.severity = policy::event_severity::error;
        e.outcome = policy::event_outcome::failed;
        e.source = static_cast<std::uint16_t>(channel);
        policies_.emit(e);
    }
    void on_channel_up(std::size_t channel) {
        for (const auto& w : channels_[channel]->link_warnings()) {
            log_line(policy::event_severity::warning,
                     "channel " + plan_.channels[channel].name + ": " + w);
        }
        log_line(policy::event_severity::notice, "channel " + plan_.channels[channel].name +
                                                     " up: " + channels_[channel]->describe());
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = policy::event_kind::channel_up;
        e.category = policy::event_category::serial;
        e.severity = policy::event_severity::notice;
        e.source = static_cast<std::uint16_t>(channel);
        policies_.emit(e);
    }

private:
    /// Accept backoff when the process or the system is out of descriptors or memory: accepting
    /// again at once would fail again at once (the listening socket stays readable), so the loop
    /// would spin. 10 ms doubling to 1 s; existing sessions are served meanwhile.
    static constexpr std::chrono::milliseconds accept_backoff_first{10};
    static constexpr std::chrono::milliseconds accept_backoff_max{1000};
    /// Repeated accept failures are logged once per this window, with a count.
    static constexpr std::chrono::seconds accept_log_window{10};

#if defined(GW_ASIO_SSL)
    using tls_stream = net::ssl::stream<net::ip::tcp::socket>;
    /// Sessions whose identity a listener remembers for resumption (about 170 B each).
    static constexpr std::size_t tls_identity_cache_entries = 1024;
    /// One TLS handshake in progress, with its deadline.
    struct tls_handshake {
        tls_stream stream;
        net::steady_timer deadline;
        policy::connection_info info;
        bool timed_out = false;
        tls_handshake(net::ip::tcp::socket s, net::ssl::context& ctx,
                      const policy::connection_info& c)
            : stream{std::move(s), ctx}, deadline{stream.get_executor()}, info{c} {}
    };
#endif

    struct listener_state {
        std::size_t index = 0;
        listener_plan plan;
        net::ip::tcp::acceptor acceptor;
        net::steady_timer retry;
        listener_counters counters;
        std::uint16_t bound_port = 0;
        std::chrono::milliseconds accept_backoff{0};  ///< zero: not backing off
        std::uint64_t failures_unlogged = 0;
        transport::time_point last_failure_log{};
        std::shared_ptr<upstream_session<transport::serial_port, pipeline_type>> serial_session;
#if defined(GW_ASIO_SSL)
        std::optional<net::ssl::context> tls_context;
        std::unique_ptr<tls::session_identity_cache<tls_identity_cache_entries>> identities;
        /// Handshakes in progress (bounded by plan.tls.max_handshakes), for the caps and stop().
        std::vector<std::shared_ptr<tls_handshake>> handshakes;
#endif
        listener_state(net::io_context& io, std::size_t i, listener_plan p)
            : index{i}, plan{std::move(p)}, acceptor{io}, retry{io} {}
    };

    template <class Link>
    using driver = channel_driver<Link, basic_gateway, capacity::channel_slots, capacity::masters>;

    template <class Named>
    static std::size_t index_of(const std::vector<Named>& items, const std::string& name) {
        return static_cast<std::size_t>(
            std::find_if(items.begin(), items.end(),
                         [&](const Named& n) { return n.name == name; }) -
            items.begin());
    }

    void log_line(policy::event_severity severity, const std::string& text) {
        if (log_) log_(severity, text);
    }

    void emit_system(policy::event_kind kind, policy::event_severity severity,
                     std::string_view detail = {}) {
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = kind;
        e.category = policy::event_category::system;
        e.severity = severity;
        policy::set_detail(e.detail, detail);
        policies_.emit(e);
    }

    /// Device loss and recovery, per channel and unit: all attempts failing marks the unit
    /// lost (one event), its next reply recovers it (one event), so a dead device polled every
    /// second is two events, not one per poll.
    void device_event(std::size_t channel, std::uint8_t unit, bool lost) {
        if (channel >= lost_units_.size()) return;
        auto& bits = lost_units_[channel];
        if (bits[unit] == lost) return;
        bits[unit] = lost;
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = lost ? policy::event_kind::device_lost : policy::event_kind::device_recovered;
        e.category = policy::event_category::modbus;
        e.severity = lost ? policy::event_severity::warning : policy::event_severity::notice;
        e.outcome = lost ? policy::event_outcome::failed : policy::event_outcome::success;
        e.source = static_cast<std::uint16_t>(channel);
        e.unit = unit;
        policies_.emit(e);
    }

    /// Fills every policy table from `plan`. Each setter that can refuse is checked: a refusal
    /// is an error naming the listener, never a policy left weaker than the plan says.
    std::string apply_policies(const gateway_plan& plan) {
        if (!policies_.template get<gateway_accessible_ips>().set(plan.accessible_ips.settings()))
            return "accessible_ip_list: refused (" +
                   std::string(gateway_accessible_ips::refusal(plan.accessible_ips.settings())) +
                   ")";
        auto& allow = policies_.template get<gateway_allowlist>();
        auto& limits = policies_.template get<gateway_connection_limits>();
        auto& rates = policies_.template get<gateway_rate_limits>();
        for (std::size_t i = 0; i < plan.listeners.size(); ++i) {
            const auto& l = plan.listeners[i];
            if (!allow.set(i, l.allowlist))
                return "listener '" + l.name + "': the allowlist does not fit (" +
                       std::to_string(l.allowlist.size()) + " entries, at most " +
                       std::to_string(capacity::allowlist_entries) + ")";
            if (!limits.set(i, l.limits))
                return "listener '" + l.name + "': connection limits cannot be set";
            auto rate = l.rate_limit;
            rate.exempt = l.rate_limit_exempt;
            if (!rates.set(i, rate))
                return "listener '" + l.name + "': the rate limit is refused (" +
                       std::to_string(l.rate_limit_exempt.size()) + " exempt networks, at most " +
                       std::to_string(capacity::rate_limit_exempt) + "; every rate needs a burst)";
        }
        const bool authorized = with_authorization_settings(plan, [&](const auto& s) {
            return policies_.template get<gateway_authorization>().set(s);
        });
        if (!authorized)
            return "authorization: the rules are refused (at most " +
                   std::to_string(capacity::authorization_roles) + " roles of " +
                   std::to_string(capacity::authorization_rules) + " rules, " +
                   std::to_string(capacity::roles_by_source) +
                   " roles_by_source rules per listener, every named role defined)";
        limits.set_global_limit(plan.max_connections);
        if (!policies_.template get<gateway_event_log>().set_capacity(plan.event_log_capacity))
            return "log.event_log_capacity " + std::to_string(plan.event_log_capacity) +
                   " does not fit";
        return {};
    }

    /// After a reload: sessions whose peer the new accessible IP list or the listener's new
    /// allowlist no longer admits.
    std::size_t close_excluded_sessions() {
        const auto& accessible = policies_.template get<gateway_accessible_ips>();
        const auto& allow = policies_.template get<gateway_allowlist>();
        const auto tcp = [&](const upstream_endpoint& e) {
            return listeners_[e.connection().listener]->plan.protocol !=
                   listener_protocol::rtu_serial;
        };
        const auto closed = sessions_.close_if(
            [&](const upstream_endpoint& e) {
                return tcp(e) && !accessible.admits(e.connection().peer, policy::access::protocol);
            },
            policy::reason::not_accessible);
        return closed + sessions_.close_if(
                            [&](const upstream_endpoint& e) {
                                const auto& c = e.connection();
                                return tcp(e) && !allow.admits(c.listener, c.peer);
                            },
                            policy::reason::not_in_allowlist);
    }

    std::string add_channel(std::size_t index, const channel_plan& plan) {
        std::shared_ptr<channel_port> port;
        if (const auto* serial = std::get_if<serial_link_plan>(&plan.link)) {
            port = std::make_shared<driver<serial_link>>(
                io_.get_executor(), index, serial_link{io_.get_executor(), serial->settings},
                plan.options, *this, plan.backoff);
        } else if (std::get<tcp_link_plan>(plan.link).uses_tls()) {
#if defined(GW_ASIO_SSL)
            const auto& tcp = std::get<tcp_link_plan>(plan.link);
            auto context = make_channel_context(plan.name, tcp.tls);
            if (!context) return context.error;
            port = std::make_shared<driver<tls_link>>(
                io_.get_executor(), index,
                tls_link{io_.get_executor(), tcp,
                         std::make_shared<net::ssl::context>(std::move(*context.context))},
                plan.options, *this, plan.backoff);
#else
            return "channel '" + plan.name + "': tls needs gw built with wolfSSL (gw::*_tls)";
#endif
        } else {
            const auto& tcp = std::get<tcp_link_plan>(plan.link);
            port = std::make_shared<driver<tcp_link>>(io_.get_executor(), index,
                                                      tcp_link{io_.get_executor(), tcp},
                                                      plan.options, *this, plan.backoff);
        }
        router_.add_channel(*port);
        channels_.push_back(std::move(port));
        return {};
    }

    std::string add_listener(std::size_t index, const listener_plan& plan) {
        auto state = std::make_unique<listener_state>(io_, index, plan);
        auto& l = *state;
        listeners_.push_back(std::move(state));
        if (!plan.enabled) {
            // The services table: off. Its settings are still checked (a TLS context is made)
            // so that switching it on later cannot fail on them.
            if (plan.protocol == listener_protocol::modbus_tls) {
                if (auto tls_error = make_tls_context(l); !tls_error.empty()) return tls_error;
            }
            log_line(policy::event_severity::notice, "listener " + plan.name + " disabled");
            return {};
        }
        if (plan.protocol == listener_protocol::rtu_serial) {
            open_serial_listener(l);
            return {};
        }
        if (plan.protocol == listener_protocol::modbus_tls) {
            if (auto tls_error = make_tls_context(l); !tls_error.empty()) return tls_error;
        }
        if (auto error = bind_tcp_listener(l); !error.empty()) return error;
        start_accepting(l);
        return {};
    }

    /// Opens and binds a TCP listener's socket; "" or why not.
    std::string bind_tcp_listener(listener_state& l) {
        std::string error;
        auto endpoint =
            transport::parse_endpoint(l.plan.address + ":" + std::to_string(l.plan.port), error);
        if (!endpoint)
            endpoint = transport::parse_endpoint(
                "[" + l.plan.address + "]:" + std::to_string(l.plan.port), error);
        if (!endpoint) return "listener '" + l.plan.name + "': " + error;
        const auto result = transport::open_listener(l.acceptor, *endpoint);
        if (!result) return "listener '" + l.plan.name + "': " + result.message;
        l.bound_port = l.acceptor.local_endpoint().port();
        return {};
    }

    void start_accepting(listener_state& l) {
        log_line(policy::event_severity::notice,
                 "listener " + l.plan.name + " on " +
                     transport::to_string(l.acceptor.local_endpoint()) +
                     (l.plan.priority == router::priority_class::high ? " (priority)" : ""));
        accept(l);
    }

    /// A listener switched off: its port closed, its connections closed; how many.
    std::size_t close_tcp_listener(listener_state& l) {
        transport::error_code ignored;
        l.acceptor.close(ignored);
        l.retry.cancel();
        l.bound_port = 0;
        log_line(policy::event_severity::notice, "listener " + l.plan.name + " disabled");
        const auto index = l.index;
        return sessions_.close_if(
            [index](const upstream_endpoint& e) { return e.connection().listener == index; },
            policy::reason::shutting_down);
    }

    static bool out_of_resources(const transport::error_code& ec) {
        return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
               ec == net::error::no_memory || ec.value() == ENFILE;
    }

    void accept(listener_state& l) {
        l.acceptor.async_accept([this, &l](transport::error_code ec, net::ip::tcp::socket socket) {
            if (ec == net::error::operation_aborted || !l.acceptor.is_open()) return;
            if (!ec) {
                if (l.accept_backoff.count() > 0) {
                    l.accept_backoff = std::chrono::milliseconds{0};
                    // Failures inside the last window are reported here, not lost.
                    log_line(policy::event_severity::notice,
                             "listener " + l.plan.name + ": accepting connections again" +
                                 (l.failures_unlogged > 0
                                      ? " (" + std::to_string(l.failures_unlogged) +
                                            " more accept failure(s) since the last report)"
                                      : std::string{}));
                    l.failures_unlogged = 0;
                }
                on_accepted(l, std::move(socket));
                accept(l);
                return;
            }
            if (!out_of_resources(ec)) {
                accept(l);  // e.g. the peer reset before accept(): nothing to wait for
                return;
            }
            on_accept_exhausted(l, ec);
        });
    }

    void on_accept_exhausted(listener_state& l, const transport::error_code& ec) {
        ++l.counters.accept_failures;
        ++l.failures_unlogged;
        // A burst (failures until the next successful accept) is reported when it starts and
        // then once per window, with the count since the last report.
        const bool burst_starts = l.accept_backoff.count() == 0;
        l.accept_backoff = burst_starts ? accept_backoff_first
                                        : std::min(l.accept_backoff * 2, accept_backoff_max);
        const auto now = clock_.now();
        if (burst_starts || now - l.last_failure_log >= accept_log_window) {
            log_line(policy::event_severity::error,
                     "listener " + l.plan.name + ": accept: " + ec.message() + " (" +
                         std::to_string(l.failures_unlogged) +
                         " time(s) since the last report); retrying in " +
                         std::to_string(l.accept_backoff.count()) + " ms");
            policy::audit_event e;
            e.time = now;
            e.kind = policy::event_kind::accept_failed;
            e.category = policy::event_category::system;
            e.severity = policy::event_severity::error;
            e.outcome = policy::event_outcome::failed;
            e.source = static_cast<std::uint16_t>(l.index);
            policies_.emit(e);
            l.failures_unlogged = 0;
            l.last_failure_log = now;
        }
        l.retry.expires_after(l.accept_backoff);
        l.retry.async_wait([this, &l](transport::error_code wait_ec) {
            if (!wait_ec && l.acceptor.is_open()) accept(l);
        });
    }

    void on_accepted(listener_state& l, net::ip::tcp::socket socket) {
        transport::error_code ec;
        const auto peer = socket.remote_endpoint(ec);
        if (ec) return;
        policy::connection_info info;
        info.listener = static_cast<std::uint16_t>(l.index);
        info.peer = to_policy_address(peer.address());
        info.peer_port = peer.port();
        info.now = clock_.now();
        info.audit_writes = l.plan.audit_writes;
        const auto decision = pipeline_.on_connect(info);
        if (!decision.allowed) {
            ++l.counters.connections_refused;
            socket.close(ec);
            return;
        }
        if (decision.make_room) evict_longest_idle(l.index, decision.evict_from);
        // The kernel's send buffer is bounded too: autotuning lets one master that stops reading
        // park megabytes of answers in the kernel (256 masters: gigabytes). A refusal here is a
        // connection not served, never one served unbounded.
        if (const auto error = configure_session_socket(socket); error) {
            log_line(policy::event_severity::error,
                     "listener " + l.plan.name + ": socket options refused: " + error.message());
            ++l.counters.connections_refused;
            policies_.on_disconnect(info, policy::reason::none);
            socket.close(ec);
            return;
        }
#if defined(GW_ASIO_SSL)
        if (l.plan.protocol == listener_protocol::modbus_tls) {
            start_handshake(l, std::move(socket), info);
            return;
        }
#endif
        start_session(l, std::move(socket), info);
    }

    /// An upstream session on an accepted (and, for modbus_tls, authenticated) stream.
    template <class Stream>
    void start_session(listener_state& l, Stream stream, const policy::connection_info& info) {
        session_options options;
        options.priority = l.plan.priority;
        options.framing = l.plan.protocol == listener_protocol::rtu_over_tcp
                              ? upstream_framing::rtu
                              : upstream_framing::mbap;
        options.idle_timeout = l.plan.idle_timeout;
        options.write_timeout = l.plan.write_timeout;
        options.frame_timeout = l.plan.frame_timeout;
        auto session = std::make_shared<upstream_session<Stream, pipeline_type>>(
            std::move(stream), pipeline_, sessions_, l.counters, info, options);
        const auto id = sessions_.acquire(*session);
        if (!id) {
            ++l.counters.connections_refused;
            policies_.on_disconnect(info, policy::reason::too_many_connections);
            return;  // the socket closes with the session
        }
        ++l.counters.connections_accepted;
        session->start(*id);
    }

    /// A modbus_tls listener's context, or the error naming the config key wolfSSL refused.
    std::string make_tls_context(listener_state& l) {
#if defined(GW_ASIO_SSL)
        const auto& t = l.plan.tls;
        tls::server_settings s;
        s.certificate_chain_file = t.certificate;
        s.private_key_file = t.private_key;
        s.client_ca_file = t.ca;
        s.crl_file = t.crl;
        s.ciphers = t.ciphers;
        if (t.ca.empty()) {
            return "listener '" + l.plan.name +
                   "': \"ca\" is required (a modbus_tls listener always verifies clients)";
        }
        auto r = tls::make_server_context(s);
        if (!r) {
            // Which key: the context's message names the file and what was wrong with it.
            const auto has = [&](std::string_view part) {
                return r.error.find(part) != std::string::npos;
            };
            const char* key = has("client CA")     ? "ca"
                              : has("CRL")         ? "crl"
                              : has("private key") ? "private_key"
                              : has("cipher")      ? "cipher_policy"
                                                   : "certificate";
            return "listener '" + l.plan.name + "': \"" + key + "\": " + r.error;
        }
        l.tls_context.emplace(std::move(*r.context));
        l.identities = std::make_unique<tls::session_identity_cache<tls_identity_cache_entries>>();
        if (t.ciphers == tls::cipher_policy::compatibility) {
            log_line(policy::event_severity::warning,
                     "listener " + l.plan.name + ": cipher_policy \"compatibility\" also offers " +
                         std::string{tls::compatibility_suite} +
                         " (no forward secrecy, CBC): only for devices that cannot do better");
        }
        return {};
#else
        return "listener '" + l.plan.name +
               "': protocol modbus_tls needs a build with TLS (wolfSSL; gw::boost_asio_tls)";
#endif
    }

#if defined(GW_ASIO_SSL)
    /// The TLS handshake of an admitted connection: capped (in total and per source), with a
    /// deadline, asynchronous (the io thread does wolfSSL's CPU work and nothing else). Only an
    /// authenticated client gets a session; its certificate's identity goes with it.
    void start_handshake(listener_state& l, net::ip::tcp::socket socket,
                         const policy::connection_info& info) {
        const auto& t = l.plan.tls;
        auto& running = l.handshakes;
        const auto key = policy::canonical_bytes(info.peer);
        const auto from_source = std::count_if(running.begin(), running.end(), [&](const auto& h) {
            return policy::canonical_bytes(h->info.peer) == key;
        });
        if (running.size() >= t.max_handshakes ||
            static_cast<std::size_t>(from_source) >= t.max_handshakes_per_source) {
            ++l.counters.tls_handshakes_refused;
            transport::error_code ignored;
            socket.close(ignored);
            refuse_tls(l, info, policy::reason::too_many_handshakes);
            return;
        }
        auto h = std::make_shared<tls_handshake>(std::move(socket), *l.tls_context, info);
        running.push_back(h);
        h->deadline.expires_after(t.handshake_timeout);
        h->deadline.async_wait([h](transport::error_code ec) {
            if (ec) return;
            h->timed_out = true;
            transport::error_code ignored;
            h->stream.lowest_layer().close(ignored);  // the handshake completes with an error
        });
        h->stream.async_handshake(
            net::ssl::stream_base::server, [this, &l, h](transport::error_code ec) {
                h->deadline.cancel();
                std::erase(l.handshakes, h);
                if (stopping_) {
                    policies_.on_disconnect(h->info, policy::reason::shutting_down);
                    return;
                }
                if (ec) {
                    ++l.counters.tls_handshakes_failed;
                    const auto why = h->timed_out
                                         ? policy::reason::tls_handshake_timeout
                                         : tls::handshake_failure_code(h->stream.native_handle());
                    const auto text =
                        h->timed_out ? std::string{"handshake timeout"}
                                     : tls::handshake_failure_reason(h->stream.native_handle(), ec);
                    log_line(policy::event_severity::info,
                             "listener " + l.plan.name + ": TLS handshake from " +
                                 to_string(unmapped(h->info.peer)) + " failed: " + text);
                    refuse_tls(l, h->info, why);
                    return;
                }
                auto identity = tls::read_peer_identity(h->stream.native_handle(), *l.identities);
                if (!identity.ok()) {
                    ++l.counters.tls_handshakes_failed;
                    log_line(policy::event_severity::info, "listener " + l.plan.name + ": client " +
                                                               to_string(unmapped(h->info.peer)) +
                                                               " refused: " + identity.error);
                    transport::error_code ignored;
                    h->stream.lowest_layer().close(ignored);
                    refuse_tls(l, h->info, policy::reason::tls_bad_identity);
                    return;
                }
                auto authenticated = h->info;
                authenticated.identity = identity.identity;
                log_line(policy::event_severity::info,
                         "listener " + l.plan.name + ": client " +
                             to_string(unmapped(authenticated.peer)) + " authenticated: subject '" +
                             std::string{authenticated.identity.subject.view()} + "', role '" +
                             std::string{authenticated.identity.role.view()} + "'" +
                             (wolfSSL_session_reused(h->stream.native_handle()) != 0
                                  ? " (resumed session)"
                                  : ""));
                start_session(l, std::move(h->stream), authenticated);
            });
    }

    /// A connection the policies admitted but TLS refused: audited with the reason (the text
    /// log limits similar events per source and window), and the policies' counts released.
    void refuse_tls(listener_state& l, const policy::connection_info& info, policy::reason why) {
        ++l.counters.connections_refused;
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = policy::event_kind::connection_refused;
        e.category = policy::event_category::security;
        e.severity = policy::event_severity::warning;
        e.outcome = policy::event_outcome::denied;
        e.source = info.listener;
        e.peer = info.peer;
        e.peer_port = info.peer_port;
        e.reason = static_cast<std::uint8_t>(why);
        policies_.emit(e);
        policies_.on_disconnect(info, why);
    }
#endif

    /// Kernel send buffer per master: answers are at most 260 bytes, 64 KiB holds hundreds.
    static constexpr int session_send_buffer = 64 * 1024;

    static transport::error_code configure_session_socket(net::ip::tcp::socket& socket) {
        if (auto ec = transport::configure_socket(socket); ec) return ec;
        transport::error_code ec;
        socket.set_option(net::socket_base::send_buffer_size(session_send_buffer), ec);
        return ec;
    }

    /// The listener is full and a host holding fewer connections arrived: the heaviest host's
    /// longest-idle connection on this listener gives way (audited as an eviction).
    void evict_longest_idle(std::size_t listener, const policy::ip_address& source) {
        auto* victim = sessions_.longest_idle([&](const upstream_endpoint& e) {
            const auto& c = e.connection();
            return c.listener == listener && policy::canonical_bytes(c.peer) == source.bytes;
        });
        if (victim != nullptr) victim->close(policy::reason::evicted);
    }

    void open_serial_listener(listener_state& l) {
        if (stopping_) return;
        transport::serial_port port{io_.get_executor()};
        const auto result = port.open(l.plan.serial);
        if (!result) {
            log_line(policy::event_severity::error,
                     "listener " + l.plan.name + ": " + result.message + " (retrying)");
            l.retry.expires_after(std::chrono::seconds{1});
            l.retry.async_wait([this, &l](transport::error_code ec) {
                if (!ec) open_serial_listener(l);
            });
            return;
        }
        for (const auto& w : result.warnings)
            log_line(policy::event_severity::warning, "listener " + l.plan.name + ": " + w);
        policy::connection_info info;
        info.listener = static_cast<std::uint16_t>(l.index);
        info.now = clock_.now();
        session_options options;
        options.priority = l.plan.priority;
        options.framing = upstream_framing::rtu;
        options.rtu_silence = true;
        options.timing = rtu_timing_for_baud(l.plan.serial.baud);
        options.write_timeout = l.plan.write_timeout;
        options.on_closed = [this, &l] {
            if (stopping_) return;
            l.retry.expires_after(std::chrono::seconds{1});
            l.retry.async_wait([this, &l](transport::error_code ec) {
                if (!ec) open_serial_listener(l);
            });
        };
        l.serial_session =
            std::make_shared<upstream_session<transport::serial_port, pipeline_type>>(
                std::move(port), pipeline_, sessions_, l.counters, info, options);
        const auto id = sessions_.acquire(*l.serial_session);
        if (!id) return;
        log_line(policy::event_severity::notice,
                 "listener " + l.plan.name + " serving masters on " + l.plan.serial.device);
        l.serial_session->start(*id);
    }

    /// Waits (bounded) for the channels to finish what they hold. At the deadline, what is still
    /// queued never reached a device: it is answered 0x06 (busy, try again), not dropped. Then
    /// every session flushes its answers and closes; flush() bounds that.
    void drain() {
        const bool idle = std::all_of(channels_.begin(), channels_.end(),
                                      [](const auto& c) { return c->idle(); });
        if (!idle && clock_.now() < drain_deadline_) {
            drain_timer_.expires_after(std::chrono::milliseconds{5});
            drain_timer_.async_wait([this](transport::error_code ec) {
                if (!ec) drain();
            });
            return;
        }
        for (auto& c : channels_) {
            if (!c->idle()) c->abandon(exception_code::server_device_busy);
        }
        sessions_.shutdown_all();
        for (auto& c : channels_)
            c->stop();
        for (auto& l : listeners_)
            l->retry.cancel();
        flush_deadline_ = clock_.now() + plan_.stop_flush_timeout;
        flush();
    }

    /// Waits for the sessions to send what they owe, up to the flush deadline; then closes
    /// those left (a master that stopped reading must not hold the stop).
    void flush() {
        if (sessions_.active() > 0 && clock_.now() < flush_deadline_) {
            drain_timer_.expires_after(std::chrono::milliseconds{5});
            drain_timer_.async_wait([this](transport::error_code ec) {
                if (!ec) flush();
            });
            return;
        }
        sessions_.close_if([](const upstream_endpoint&) { return true; },
                           policy::reason::shutting_down);
        if (done_) {
            auto done = std::move(done_);
            done();
        }
    }

    net::io_context& io_;
    log_function log_;
    event_sink sink_;
    traffic_tap tap_;
    /// Per channel: the units all of whose attempts failed last time (device_lost reported).
    std::vector<std::bitset<256>> lost_units_;
    steady_clock clock_;
    gateway_plan plan_;
    session_table sessions_;
    gateway_router router_;
    policies_type policies_;
    pipeline_type pipeline_;
    std::vector<std::shared_ptr<channel_port>> channels_;
    std::vector<std::unique_ptr<listener_state>> listeners_;
    net::steady_timer drain_timer_{io_};
    transport::time_point drain_deadline_{};
    transport::time_point flush_deadline_{};
    std::function<void()> done_;
    bool stopping_ = false;
};

/// The gateway gw_gateway runs: gw's policies only.
using gateway = basic_gateway<>;

}  // namespace gw::gateway
