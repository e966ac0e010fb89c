#pragma once
// Connecting to a downstream Modbus TCP device given as text ("plc7.local:502", "[fd00::7]:502").

#include <gw/transport/asio.hpp>
#include <gw/transport/impl/connect_op.hpp>
#include <gw/transport/tcp_endpoint.hpp>

#include <utility>

namespace gw::transport {

/// Resolves `target` and connects `socket` to the first address that accepts. Completes with
/// (error_code, the endpoint connected to). The socket and resolver must outlive the operation;
/// cancel the resolver and close the socket to abort (e.g. from a deadline timer).
template <class ConnectToken>
auto async_connect_to(net::ip::tcp::socket& socket, net::ip::tcp::resolver& resolver,
                      host_port target, ConnectToken&& token) {
    return net::async_compose<ConnectToken, void(error_code, net::ip::tcp::endpoint)>(
        detail::connect_op{socket, resolver, std::move(target)}, token, socket);
}

}  // namespace gw::transport
