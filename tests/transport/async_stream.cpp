// gw/transport/async_stream.hpp: which types are asynchronous byte streams.
#include <gw/transport/async_stream.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>

namespace net = gw::net;
using gw::transport::async_stream;

static_assert(async_stream<net::ip::tcp::socket>);
static_assert(async_stream<gw::transport::serial_port>);
static_assert(async_stream<net::posix::stream_descriptor>);
#if defined(GW_ASIO_SSL)
static_assert(async_stream<net::ssl::stream<net::ip::tcp::socket>>);
#endif

// Not streams: no asynchronous operations, or only half of them.
static_assert(!async_stream<int>);
static_assert(!async_stream<gw::transport::pty_pair>);
static_assert(!async_stream<net::ip::tcp::acceptor>);
static_assert(!async_stream<net::ip::udp::socket>);  // datagrams: async_receive, not read_some

struct read_only_stream {
    using executor_type = net::any_io_executor;
    executor_type get_executor();
    template <class B, class H>
    void async_read_some(const B&, H&&);
};
static_assert(!async_stream<read_only_stream>);

// The polled side of the serial port meets the bare-metal concept too.
static_assert(gw::transport::polled_byte_port<gw::transport::serial_port>);

TEST_CASE("async_stream: the flavour in use is the one the build selected") {
#if defined(GW_USE_BOOST_ASIO)
    CHECK(gw::transport::uses_boost_asio);
#else
    CHECK_FALSE(gw::transport::uses_boost_asio);
#endif
#if defined(GW_ASIO_SSL)
    MESSAGE("TLS streams checked");
#endif
}
