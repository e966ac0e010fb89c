#pragma once
// A complete Modbus gateway on one io_context: channels (serial lines, downstream TCP devices),
// listeners (Modbus TCP, RTU-over-TCP, serial master lines), the route table, the policies
// (allowlist, connection limits, audit) and the counters, built from a gateway_plan.
//
//   listener -> upstream_session -> pipeline (policies -> router) -> channel_driver -> line
//        ^                                                                   |
//        '------------------- session_table (answer by master id) <----------'

#include <gw/gateway/channel_driver.hpp>
#include <gw/gateway/gateway_plan.hpp>
#include <gw/gateway/links.hpp>
#include <gw/gateway/listener_counters.hpp>
#include <gw/gateway/session_table.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/gateway/upstream_session.hpp>
#include <gw/pipeline/pipeline.hpp>
#include <gw/policy/allowlist_policy.hpp>
#include <gw/policy/connection_limit_policy.hpp>
#include <gw/policy/event_log.hpp>
#include <gw/policy/policy_chain.hpp>
#include <gw/router/router.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_endpoint.hpp>
#include <gw/transport/tcp_listener.hpp>
#include <gw/transport/tcp_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace gw::gateway {

inline constexpr std::size_t max_channels = 32;
inline constexpr std::size_t max_routes = 64;
inline constexpr std::size_t max_listeners = 16;
inline constexpr std::size_t max_masters = 256;
inline constexpr std::size_t event_log_capacity = 10'000;  ///< as the MGate MB3000-G2 (3.6)

using log_function = std::function<void(policy::event_severity, std::string_view)>;

/// Refuses new requests while the gateway drains for a graceful stop.
struct shutdown_policy {
    bool stopping = false;
    policy::decision on_request(const policy::request_info& /*request*/) const noexcept {
        return stopping ? policy::decision::deny(policy::reason::shutting_down,
                                                 exception_code::server_device_busy)
                        : policy::decision::allow();
    }
};

/// Writes audit events at or above a severity to the log.
struct audit_log_policy {
    log_function* log = nullptr;
    policy::event_severity level = policy::event_severity::notice;
    void on_event(const policy::audit_event& e) const {
        if (log == nullptr || !*log || e.severity > level) return;
        (*log)(e.severity, format(e));
    }
    static std::string format(const policy::audit_event& e);
};

using gateway_router = router::router<channel_port, max_channels, max_routes>;
using gateway_policies =
    policy::policy_chain<shutdown_policy, policy::allowlist_policy<max_listeners, 64>,
                         policy::connection_limit_policy<max_listeners, max_masters>,
                         policy::event_log<event_log_capacity>, audit_log_policy>;
using gateway_pipeline = pipeline::pipeline<gateway_router, gateway_policies>;

inline policy::ip_address to_policy_address(const net::ip::address& a) {
    policy::ip_address out;
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
        out.v4 = true;
    } else {
        const auto b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
        out.v4 = false;
    }
    return out;
}

inline std::string to_string(const policy::ip_address& a) {
    return std::string{policy::format_ip_address(a).view()};
}

inline std::string audit_log_policy::format(const policy::audit_event& e) {
    std::string line{to_string(e.category)};
    line += ' ';
    line += to_string(e.kind);
    line += " source=" + std::to_string(e.source);
    if (e.peer_port != 0) line += " peer=" + to_string(e.peer) + ":" + std::to_string(e.peer_port);
    switch (e.kind) {
        case policy::event_kind::connection_refused:
        case policy::event_kind::request_refused:
        case policy::event_kind::connection_closed:
        case policy::event_kind::idle_timeout:
            line += " reason=";
            line += to_string(static_cast<policy::reason>(e.reason));
            break;
        case policy::event_kind::channel_event:
            line += " event=";
            line += router::to_string(static_cast<router::channel_event>(e.reason));
            break;
        case policy::event_kind::exception_answered:
            line += " exception=";
            line += to_string(static_cast<exception_code>(e.reason));
            break;
        default:
            break;
    }
    if (e.function != 0 || e.kind == policy::event_kind::channel_event) {
        line += " unit=" + std::to_string(e.unit);
    }
    if (e.function != 0) line += " function=" + std::to_string(e.function);
    line += " outcome=";
    line += to_string(e.outcome);
    return line;
}

class gateway {
public:
    gateway(net::io_context& io, log_function log)
        : io_{io}, log_{std::move(log)}, sessions_{max_masters}, pipeline_{router_, policies_} {
        policies_.get<audit_log_policy>().log = &log_;
    }
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;
    ~gateway() = default;

    /// Opens every listener and starts every channel. Returns an error message (naming the
    /// listener) if a listener cannot open; a channel that cannot open yet is retried with
    /// backoff (requests meanwhile get 0x0B), not an error.
    std::string start(const gateway_plan& plan) {
        if (plan.channels.size() > max_channels) return "too many channels (at most 32)";
        if (plan.listeners.size() > max_listeners) return "too many listeners (at most 16)";
        plan_ = plan;
        policies_.get<policy::connection_limit_policy<max_listeners, max_masters>>()
            .set_global_limit(plan.max_connections);
        for (std::size_t i = 0; i < plan.channels.size(); ++i)
            add_channel(i, plan.channels[i]);
        if (auto error = apply_routes(plan); !error.empty()) return error;
        for (std::size_t i = 0; i < plan.listeners.size(); ++i) {
            if (auto error = add_listener(i, plan.listeners[i]); !error.empty()) return error;
        }
        for (auto& c : channels_)
            c->start();
        emit_system(policy::event_kind::started, policy::event_severity::notice);
        return {};
    }

    /// Graceful stop: no new connections, new requests answered 0x06, requests in flight
    /// finished (or timed out and answered) before connections close. `done` runs after.
    void stop(std::function<void()> done) {
        if (stopping_) return;
        stopping_ = true;
        emit_system(policy::event_kind::stopping, policy::event_severity::notice);
        policies_.get<shutdown_policy>().stopping = true;
        for (auto& l : listeners_) {
            transport::error_code ignored;
            l->acceptor.close(ignored);
            l->retry.cancel();
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

    /// Applies a new plan to the running gateway without dropping connections. Routes,
    /// channel timing/queue options, allowlists, limits, idle timeouts and listener priorities
    /// change live; a changed channel link (device, baud, host...) or added/removed channels and
    /// listeners need a restart and are reported as such. Returns what was (not) applied.
    std::vector<std::string> reload(const gateway_plan& plan) {
        std::vector<std::string> notes;
        std::vector<std::size_t> channel_of(plan.channels.size(), max_channels);
        for (std::size_t i = 0; i < plan.channels.size(); ++i) {
            const auto& next = plan.channels[i];
            const auto it =
                std::find_if(plan_.channels.begin(), plan_.channels.end(),
                             [&](const channel_plan& c) { return c.name == next.name; });
            if (it == plan_.channels.end()) {
                notes.push_back("channel '" + next.name + "' is new: restart to add it");
                continue;
            }
            const auto index = static_cast<std::size_t>(it - plan_.channels.begin());
            if (!same_link(it->link, next.link)) {
                notes.push_back("channel '" + next.name +
                                "': link settings changed: restart to apply");
            }
            channels_[index]->set_options(next.options);
            it->options = next.options;
            channel_of[i] = index;
        }
        for (const auto& old : plan_.channels) {
            if (std::none_of(plan.channels.begin(), plan.channels.end(),
                             [&](const channel_plan& c) { return c.name == old.name; })) {
                notes.push_back("channel '" + old.name + "' was removed: restart to remove it");
            }
        }
        // Routes are remapped onto the running channels' indices.
        gateway_plan remapped = plan;
        remapped.routes.clear();
        for (auto r : plan.routes) {
            if (r.channel < channel_of.size() && channel_of[r.channel] != max_channels) {
                r.channel = static_cast<std::uint16_t>(channel_of[r.channel]);
                remapped.routes.push_back(r);
            } else {
                notes.push_back("route to unit " + std::to_string(r.first_unit) +
                                " skipped: its channel is not running");
            }
        }
        if (auto error = apply_routes(remapped); !error.empty()) {
            notes.push_back(error);
        }
        for (const auto& next : plan.listeners) {
            const auto it = std::find_if(listeners_.begin(), listeners_.end(),
                                         [&](const auto& l) { return l->plan.name == next.name; });
            if (it == listeners_.end()) {
                notes.push_back("listener '" + next.name + "' is new: restart to open it");
                continue;
            }
            auto& l = **it;
            if (l.plan.address != next.address || l.plan.port != next.port ||
                l.plan.protocol != next.protocol) {
                notes.push_back("listener '" + next.name +
                                "': address or protocol changed: restart to apply");
            }
            l.plan.priority = next.priority;
            l.plan.limits = next.limits;
            l.plan.idle_timeout = next.idle_timeout;
            l.plan.allowlist = next.allowlist;
            apply_listener_policies(l.index, l.plan);
        }
        policies_.get<policy::connection_limit_policy<max_listeners, max_masters>>()
            .set_global_limit(plan.max_connections);
        emit_system(policy::event_kind::config_loaded, policy::event_severity::notice);
        return notes;
    }

    /// Counters of every channel and listener as JSON (for the status file and logs).
    std::string status_json() const {
        std::ostringstream out;
        out << "{\"channels\":[";
        for (std::size_t i = 0; i < channels_.size(); ++i) {
            const auto& c = *channels_[i];
            const auto& k = c.counters();
            out << (i > 0 ? "," : "") << "{\"name\":\"" << plan_.channels[i].name
                << "\",\"link\":\"" << c.describe() << "\",\"up\":" << (c.up() ? "true" : "false")
                << ",\"queue_depth\":" << c.queue_depth() << ",\"requests\":" << k.requests
                << ",\"transactions\":" << k.transactions << ",\"responses\":" << k.responses
                << ",\"device_exceptions\":" << k.device_exceptions
                << ",\"timeouts\":" << k.timeouts << ",\"retries\":" << k.retries
                << ",\"crc_errors\":" << k.crc_errors << ",\"wrong_unit\":" << k.wrong_unit
                << ",\"invalid_responses\":" << k.invalid_responses
                << ",\"busy_rejections\":" << k.busy_rejections << ",\"coalesced\":" << k.coalesced
                << ",\"broadcasts\":" << k.broadcasts
                << ",\"unexpected_bytes\":" << k.unexpected_bytes
                << ",\"transport_failures\":" << k.transport_failures << ",\"exceptions\":";
            write_exceptions(out, k.exceptions_by_code);
            out << "}";
        }
        out << "],\"listeners\":[";
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            const auto& l = *listeners_[i];
            const auto& k = l.counters;
            out << (i > 0 ? "," : "") << "{\"name\":\"" << l.plan.name
                << "\",\"port\":" << l.bound_port
                << ",\"connections_accepted\":" << k.connections_accepted
                << ",\"connections_refused\":" << k.connections_refused
                << ",\"connections_active\":" << k.connections_active
                << ",\"idle_timeouts\":" << k.idle_timeouts
                << ",\"protocol_errors\":" << k.protocol_errors << ",\"requests\":" << k.requests
                << ",\"responses\":" << k.responses << ",\"exceptions\":";
            write_exceptions(out, k.exceptions_by_code);
            out << ",\"latency_us\":{\"count\":" << k.latency.count()
                << ",\"mean\":" << k.latency.mean_us()
                << ",\"p50_bound\":" << k.latency.quantile_bound_us(0.5)
                << ",\"p99_bound\":" << k.latency.quantile_bound_us(0.99)
                << ",\"max\":" << k.latency.max_us() << "}}";
        }
        const auto& log = events();
        out << "],\"events\":{\"total\":" << log.total() << ",\"held\":" << log.size()
            << ",\"overwritten\":" << log.overwritten() << "}}";
        return out.str();
    }

    const policy::event_log<event_log_capacity>& events() const {
        return const_cast<gateway_policies&>(policies_)
            .get<policy::event_log<event_log_capacity>>();
    }
    void set_log_level(policy::event_severity level) {
        policies_.get<audit_log_policy>().level = level;
    }

    /// The port each TCP listener is bound to (useful with port 0), in plan order; 0 for serial.
    std::vector<std::uint16_t> bound_ports() const {
        std::vector<std::uint16_t> ports;
        for (const auto& l : listeners_)
            ports.push_back(l->bound_port);
        return ports;
    }

    // -- the channels' sink ---------------------------------------------------------------------
    void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) {
        sessions_.deliver(origin, pdu);
    }
    void on_channel_event(std::size_t channel, router::channel_event event,
                          const router::request_origin& origin) {
        using router::channel_event;
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
            case channel_event::gave_up:
            case channel_event::queue_full:
            case channel_event::framing_lost:
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
    struct listener_state {
        std::size_t index = 0;
        listener_plan plan;
        net::ip::tcp::acceptor acceptor;
        net::steady_timer retry;
        listener_counters counters;
        std::uint16_t bound_port = 0;
        std::shared_ptr<upstream_session<transport::serial_port, gateway_pipeline>> serial_session;
        listener_state(net::io_context& io, std::size_t i, listener_plan p)
            : index{i}, plan{std::move(p)}, acceptor{io}, retry{io} {}
    };

    template <class Link>
    using driver = channel_driver<Link, gateway, 1024, max_masters>;

    static bool same_link(const std::variant<serial_link_plan, tcp_link_plan>& a,
                          const std::variant<serial_link_plan, tcp_link_plan>& b) {
        if (a.index() != b.index()) return false;
        if (const auto* s = std::get_if<serial_link_plan>(&a))
            return s->settings == std::get<serial_link_plan>(b).settings;
        const auto& x = std::get<tcp_link_plan>(a);
        const auto& y = std::get<tcp_link_plan>(b);
        return x.host == y.host && x.port == y.port;
    }

    static void write_exceptions(std::ostringstream& out,
                                 const std::array<std::uint64_t, 12>& codes) {
        out << "{";
        bool first = true;
        for (std::size_t code = 1; code < codes.size(); ++code) {
            if (codes[code] == 0) continue;
            out << (first ? "" : ",") << "\"" << code << "\":" << codes[code];
            first = false;
        }
        out << "}";
    }

    void log_line(policy::event_severity severity, const std::string& text) {
        if (log_) log_(severity, text);
    }

    void emit_system(policy::event_kind kind, policy::event_severity severity) {
        policy::audit_event e;
        e.time = clock_.now();
        e.kind = kind;
        e.category = policy::event_category::system;
        e.severity = severity;
        policies_.emit(e);
    }

    void add_channel(std::size_t index, const channel_plan& plan) {
        std::shared_ptr<channel_port> port;
        if (const auto* serial = std::get_if<serial_link_plan>(&plan.link)) {
            port = std::make_shared<driver<serial_link>>(
                io_.get_executor(), index, serial_link{io_.get_executor(), serial->settings},
                plan.options, *this, plan.backoff);
        } else {
            const auto& tcp = std::get<tcp_link_plan>(plan.link);
            port = std::make_shared<driver<tcp_link>>(
                io_.get_executor(), index, tcp_link{io_.get_executor(), tcp.host, tcp.port},
                plan.options, *this, plan.backoff);
        }
        router_.add_channel(*port);
        channels_.push_back(std::move(port));
    }

    std::string apply_routes(const gateway_plan& plan) {
        router_.routes().clear();
        for (const auto& r : plan.routes) {
            if (r.channel >= channels_.size())
                return "route to unit " + std::to_string(r.first_unit) + ": no such channel";
            if (!router_.routes().add(r)) {
                return "route " + std::to_string(r.first_unit) + "-" + std::to_string(r.last_unit) +
                       ": overlaps another route, is empty, or the table is full";
            }
        }
        return {};
    }

    void apply_listener_policies(std::size_t index, const listener_plan& plan) {
        policies_.get<policy::allowlist_policy<max_listeners, 64>>().set(index, plan.allowlist);
        policies_.get<policy::connection_limit_policy<max_listeners, max_masters>>().set(
            index, plan.limits);
    }

    std::string add_listener(std::size_t index, const listener_plan& plan) {
        auto state = std::make_unique<listener_state>(io_, index, plan);
        apply_listener_policies(index, plan);
        auto& l = *state;
        listeners_.push_back(std::move(state));
        if (plan.protocol == listener_protocol::rtu_serial) {
            open_serial_listener(l);
            return {};
        }
        std::string error;
        const auto endpoint =
            transport::parse_endpoint(plan.address + ":" + std::to_string(plan.port), error);
        if (!endpoint) {
            const auto bracketed = transport::parse_endpoint(
                "[" + plan.address + "]:" + std::to_string(plan.port), error);
            if (!bracketed) return "listener '" + plan.name + "': " + error;
            return open_tcp_listener(l, *bracketed);
        }
        return open_tcp_listener(l, *endpoint);
    }

    std::string open_tcp_listener(listener_state& l, const net::ip::tcp::endpoint& endpoint) {
        const auto result = transport::open_listener(l.acceptor, endpoint);
        if (!result) return "listener '" + l.plan.name + "': " + result.message;
        l.bound_port = l.acceptor.local_endpoint().port();
        log_line(policy::event_severity::notice,
                 "listener " + l.plan.name + " on " +
                     transport::to_string(l.acceptor.local_endpoint()) +
                     (l.plan.priority == router::priority_class::high ? " (priority)" : ""));
        accept(l);
        return {};
    }

    void accept(listener_state& l) {
        l.acceptor.async_accept([this, &l](transport::error_code ec, net::ip::tcp::socket socket) {
            if (ec == net::error::operation_aborted || !l.acceptor.is_open()) return;
            if (!ec) on_accepted(l, std::move(socket));
            accept(l);
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
        if (!pipeline_.on_connect(info).allowed) {
            ++l.counters.connections_refused;
            socket.close(ec);
            return;
        }
        transport::configure_socket(socket);
        session_options options;
        options.priority = l.plan.priority;
        options.framing = l.plan.protocol == listener_protocol::rtu_over_tcp
                              ? upstream_framing::rtu
                              : upstream_framing::mbap;
        options.idle_timeout = l.plan.idle_timeout;
        auto session = std::make_shared<upstream_session<net::ip::tcp::socket, gateway_pipeline>>(
            std::move(socket), pipeline_, sessions_, l.counters, info, options);
        const auto id = sessions_.acquire(*session);
        if (!id) {
            ++l.counters.connections_refused;
            policies_.on_disconnect(info, policy::reason::too_many_connections);
            return;  // the socket closes with the session
        }
        ++l.counters.connections_accepted;
        session->start(*id);
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
        options.timing = rtu_timing_for_baud(l.plan.serial.baud);
        options.on_closed = [this, &l] {
            if (stopping_) return;
            l.retry.expires_after(std::chrono::seconds{1});
            l.retry.async_wait([this, &l](transport::error_code ec) {
                if (!ec) open_serial_listener(l);
            });
        };
        l.serial_session =
            std::make_shared<upstream_session<transport::serial_port, gateway_pipeline>>(
                std::move(port), pipeline_, sessions_, l.counters, info, options);
        const auto id = sessions_.acquire(*l.serial_session);
        if (!id) return;
        log_line(policy::event_severity::notice,
                 "listener " + l.plan.name + " serving masters on " + l.plan.serial.device);
        l.serial_session->start(*id);
    }

    /// Waits (bounded) for the channels to finish what they hold. At the deadline, what is still
    /// queued never reached a device: it is answered 0x06 (busy, try again), not dropped. Then
    /// every session flushes its answers and closes.
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
        if (done_) {
            auto done = std::move(done_);
            done();
        }
    }

    net::io_context& io_;
    log_function log_;
    steady_clock clock_;
    gateway_plan plan_;
    session_table sessions_;
    gateway_router router_;
    gateway_policies policies_;
    gateway_pipeline pipeline_;
    std::vector<std::shared_ptr<channel_port>> channels_;
    std::vector<std::unique_ptr<listener_state>> listeners_;
    net::steady_timer drain_timer_{io_};
    transport::time_point drain_deadline_{};
    std::function<void()> done_;
    bool stopping_ = false;
};

}  // namespace gw::gateway
