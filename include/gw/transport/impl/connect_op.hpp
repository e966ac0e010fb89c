#pragma once
// The body of async_connect_to: resolve a host_port, then try the results in order.

#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_endpoint.hpp>

#include <string>
#include <utility>

namespace gw::transport::detail {

struct connect_op {
    net::ip::tcp::socket& socket;
    net::ip::tcp::resolver& resolver;
    host_port target;

    template <class Self>
    void operator()(Self& self) {
        resolver.async_resolve(target.host, std::to_string(target.port),
                               net::ip::resolver_base::numeric_service, std::move(self));
    }

    template <class Self>
    void operator()(Self& self, error_code ec,
                    const net::ip::tcp::resolver::results_type& results) {
        if (ec) {
            self.complete(ec, net::ip::tcp::endpoint{});
            return;
        }
        net::async_connect(socket, results, std::move(self));
    }

    template <class Self>
    void operator()(Self& self, error_code ec, const net::ip::tcp::endpoint& endpoint) {
        self.complete(ec, endpoint);
    }
};

}  // namespace gw::transport::detail
