#pragma once
// Socket options for Modbus TCP connections, accepted or connected.

#include <gw/transport/asio.hpp>

namespace gw::transport {

/// Options for an accepted or connected Modbus TCP socket: requests are small and latency-bound,
/// so no Nagle delay; keep-alive lets a dead peer's connection slot be reclaimed.
inline error_code configure_socket(net::ip::tcp::socket& socket) {
    error_code ec;
    socket.set_option(net::ip::tcp::no_delay(true), ec);
    if (!ec) {
        socket.set_option(net::socket_base::keep_alive(true), ec);
    }
    return ec;
}

}  // namespace gw::transport
