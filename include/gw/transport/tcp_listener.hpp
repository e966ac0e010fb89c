#pragma once
// Opening a TCP listening socket the way the gateway wants every listener: address reuse (a
// restart must not wait for TIME_WAIT), and IPv6 sockets restricted to IPv6 so that "[::]:502"
// and "0.0.0.0:502" are two independent listeners instead of clashing.

#include <gw/transport/asio.hpp>
#include <gw/transport/detail/concat.hpp>
#include <gw/transport/open_result.hpp>
#include <gw/transport/tcp_endpoint.hpp>

#include <string>
#include <string_view>

namespace gw::transport {

/// Opens, binds and starts listening; on failure the acceptor is closed and the message names
/// the endpoint and the step ("listen [::1]:502: bind: Address already in use").
inline open_result open_listener(net::ip::tcp::acceptor& acceptor,
                                 const net::ip::tcp::endpoint& endpoint,
                                 int backlog = net::socket_base::max_listen_connections) {
    open_result result;
    error_code ec;
    const auto fail = [&](std::string_view step) {
        result.error = ec;
        result.message =
            detail::concat({"listen ", to_string(endpoint), ": ", step, ": ", ec.message()});
        error_code ignored;
        acceptor.close(ignored);
        return result;
    };
    if (acceptor.is_open()) {
        acceptor.close(ec);
    }
    if (acceptor.open(endpoint.protocol(), ec); ec) {
        return fail("open");
    }
    if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) {
        return fail("set SO_REUSEADDR");
    }
    if (endpoint.address().is_v6()) {
        if (acceptor.set_option(net::ip::v6_only(true), ec); ec) {
            return fail("set IPV6_V6ONLY");
        }
    }
    if (acceptor.bind(endpoint, ec); ec) {
        return fail("bind");
    }
    if (acceptor.listen(backlog, ec); ec) {
        return fail("listen");
    }
    return result;
}

}  // namespace gw::transport
