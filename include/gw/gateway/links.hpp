#pragma once
// The two kinds of line a channel drives: a serial port, and a TCP connection to a downstream
// Modbus TCP device. Both open asynchronously from the channel driver's point of view and report
// (error_code, message naming the device).

#include <gw/transport/asio.hpp>
#include <gw/transport/serial_port.hpp>
#include <gw/transport/tcp_connect.hpp>
#include <gw/transport/tcp_options.hpp>

#include <string>
#include <utility>
#include <vector>

namespace gw::gateway {

class serial_link {
public:
    using stream_type = transport::serial_port;

    serial_link(const net::any_io_executor& executor, transport::serial_settings settings)
        : port_{executor}, settings_{std::move(settings)} {}

    template <class Handler>
    void open(Handler&& handler) {
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

class tcp_link {
public:
    using stream_type = net::ip::tcp::socket;

    tcp_link(const net::any_io_executor& executor, std::string host, std::uint16_t port)
        : socket_{executor}, resolver_{executor}, target_{std::move(host), port} {}

    template <class Handler>
    void open(Handler&& handler) {
        transport::error_code ignored;
        socket_.close(ignored);
        transport::async_connect_to(
            socket_, resolver_, target_,
            [this, h = std::forward<Handler>(handler)](transport::error_code ec,
                                                       const net::ip::tcp::endpoint&) mutable {
                if (!ec) ec = transport::configure_socket(socket_);
                h(ec, ec ? describe() + ": connect: " + ec.message() : std::string{});
            });
    }
    stream_type& stream() noexcept { return socket_; }
    void close() {
        transport::error_code ignored;
        resolver_.cancel();
        socket_.close(ignored);
    }
    std::string describe() const {
        return "tcp " + target_.host + ":" + std::to_string(target_.port);
    }
    const std::vector<std::string>& warnings() const noexcept { return no_warnings_; }

private:
    net::ip::tcp::socket socket_;
    net::ip::tcp::resolver resolver_;
    transport::host_port target_;
    std::vector<std::string> no_warnings_;
};

}  // namespace gw::gateway
