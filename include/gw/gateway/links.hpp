#pragma once
// The two kinds of line a channel drives: a serial port, and a TCP connection to a downstream
// Modbus TCP device. Both open asynchronously from the channel driver's point of view and report
// (error_code, message naming the device).

#include <gw/gateway/gateway_plan.hpp>
#include <gw/router/channel_options.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/serial_port.hpp>
#include <gw/transport/tcp_connect.hpp>
#include <gw/transport/tcp_options.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gw::gateway {

class serial_link {
public:
    using stream_type = transport::serial_port;

    serial_link(const net::any_io_executor& executor, transport::serial_settings settings)
        : port_{executor}, settings_{std::move(settings)} {}

    /// The channel's options do not change how a serial port opens.
    template <class Handler>
    void open(const router::channel_options&, Handler&& handler) {
        auto result = port_.open(settings_);
        warnings_ = std::move(result.warnings);
        // Complete asynchronously like every other open, so the driver's code path is one.
        net::post(port_.get_executor(),
                  [h = std::forward<Handler>(handler), ec = result.error,
                   message = std::move(result.message)]() mutable { h(ec, message); });
    }
    stream_type& stream() noexcept { return port_; }
    void close() { port_.close(); }
    std::string describe() const { return "serial " + settings_.device; }
    /// What the last open could not apply (RS-485 on a pty, low latency), for the log.
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }
    const transport::serial_settings& settings() const noexcept { return settings_; }

private:
    transport::serial_port port_;
    transport::serial_settings settings_;
    std::vector<std::string> warnings_;
};

/// A connection to a downstream Modbus TCP (or RTU-over-TCP) device. Each attempt has a
/// deadline; a connected socket gets keep-alive tuned to the channel's response timeout, and a
/// socket option the kernel refuses fails the attempt (never a connection watched less closely
/// than asked).
class tcp_link {
public:
    using stream_type = net::ip::tcp::socket;

    tcp_link(const net::any_io_executor& executor, tcp_link_plan plan)
        : socket_{executor}, resolver_{executor}, deadline_{executor}, plan_{std::move(plan)} {}
    tcp_link(const net::any_io_executor& executor, std::string host, std::uint16_t port)
        : tcp_link{executor, plan_for(std::move(host), port)} {}
    tcp_link(tcp_link&&) noexcept = default;
    tcp_link& operator=(tcp_link&&) = delete;
    tcp_link(const tcp_link&) = delete;
    tcp_link& operator=(const tcp_link&) = delete;
    ~tcp_link() { close(); }

    /// Resolves and connects within plan.connect_timeout, then sets TCP_NODELAY and
    /// keepalive_for(options.response_timeout). The link must stay where it is until `handler`
    /// ran (the channel driver owns it and is kept alive by the handler).
    template <class Handler>
    void open(const router::channel_options& options, Handler&& handler) {
        close();
        keepalive_ = transport::keepalive_for(options.response_timeout);
        auto attempt = std::make_shared<connect_attempt>();
        attempt_ = attempt;
        deadline_.expires_after(plan_.connect_timeout);
        // Holds only the attempt: it may run after the link is gone (then `over` is set).
        deadline_.async_wait([this, attempt](transport::error_code ec) {
            if (ec || attempt->over) return;
            attempt->timed_out = true;
            abort_connect();
        });
        transport::async_connect_to(
            socket_, resolver_, transport::host_port{plan_.host, plan_.port},
            [this, attempt, h = std::forward<Handler>(handler)](
                transport::error_code ec, const net::ip::tcp::endpoint&) mutable {
                attempt->over = true;
                deadline_.cancel();
                std::string why;
                if (attempt->timed_out) {
                    ec = net::error::timed_out;
                    why = describe() + ": connect: no connection within " +
                          std::to_string(plan_.connect_timeout.count()) + " ms";
                } else if (ec) {
                    why = describe() + ": connect: " + ec.message();
                } else if (auto r = transport::configure_socket(socket_, keepalive_); !r) {
                    ec = r.error;
                    why = describe() + ": " + r.message;
                    abort_connect();
                }
                h(ec, why);
            });
    }
    stream_type& stream() noexcept { return socket_; }
    const stream_type& stream() const noexcept { return socket_; }
    void close() {
        if (attempt_) attempt_->over = true;
        deadline_.cancel();
        abort_connect();
    }
    std::string describe() const { return "tcp " + plan_.host + ":" + std::to_string(plan_.port); }
    const std::vector<std::string>& warnings() const noexcept { return no_warnings_; }
    /// The channel driver reopens the connection after this many timed-out transactions in a row.
    std::uint16_t reconnect_after_timeouts() const noexcept {
        return plan_.reconnect_after_timeouts;
    }
    const tcp_link_plan& plan() const noexcept { return plan_; }
    /// What the last open set (or tried to set) on the socket.
    const transport::tcp_keepalive& keepalive() const noexcept { return keepalive_; }

private:
    struct connect_attempt {
        bool over = false;       ///< completed or abandoned: its deadline no longer applies
        bool timed_out = false;  ///< the deadline ended it
    };

    static tcp_link_plan plan_for(std::string host, std::uint16_t port) {
        tcp_link_plan p;
        p.host = std::move(host);
        p.port = port;
        return p;
    }

    void abort_connect() {
        transport::error_code ignored;
        resolver_.cancel();
        socket_.close(ignored);
    }

    net::ip::tcp::socket socket_;
    net::ip::tcp::resolver resolver_;
    net::steady_timer deadline_;
    tcp_link_plan plan_;
    transport::tcp_keepalive keepalive_{};
    std::shared_ptr<connect_attempt> attempt_;
    std::vector<std::string> no_warnings_;
};

}  // namespace gw::gateway
