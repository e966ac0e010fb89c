// gw/transport/async_stream.hpp: which types are asynchronous byte streams, which of them an
// upstream session can run on, and how teardown ends each.
#include <gw/transport/async_stream.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>

namespace net = gw::net;
using gw::transport::async_stream;
using gw::transport::teardown_stream;
using gw::transport::upstream_stream;

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

static_assert(upstream_stream<net::ip::tcp::socket>);
static_assert(upstream_stream<gw::transport::serial_port>);
#if defined(GW_ASIO_SSL)
// The TLS stream has no close(): teardown goes through next_layer() to the TCP socket.
static_assert(upstream_stream<net::ssl::stream<net::ip::tcp::socket>>);
static_assert(upstream_stream<net::ssl::stream<net::ip::tcp::socket&>>);
#endif

namespace {
/// A stream that reads and writes but cannot be ended: not for a session.
struct endless_stream {
    using executor_type = net::any_io_executor;
    executor_type get_executor();
    template <class B, class H>
    void async_read_some(const B&, H&&);
    template <class B, class H>
    void async_write_some(const B&, H&&);
};

/// A layered stream (like a TLS stream) over a TCP socket, without close() of its own.
struct layered_stream {
    net::ip::tcp::socket socket;
    using executor_type = net::ip::tcp::socket::executor_type;
    executor_type get_executor() { return socket.get_executor(); }
    template <class B, class H>
    void async_read_some(const B&, H&&);
    template <class B, class H>
    void async_write_some(const B&, H&&);
    net::ip::tcp::socket& next_layer() { return socket; }
};

/// A layered stream over something that cannot be ended either.
struct layered_endless_stream : endless_stream {
    endless_stream inner;
    endless_stream& next_layer() { return inner; }
};

/// A stream type of our own that says how it ends (ADL gw_teardown), although it has close().
struct custom_stream : layered_stream {
    int custom_teardowns = 0;
    void close() { FAIL("close() must not be chosen over gw_teardown"); }
};
void gw_teardown(custom_stream& s) noexcept {
    ++s.custom_teardowns;
    gw::transport::error_code ignored;
    s.socket.close(ignored);
}
}  // namespace

static_assert(async_stream<endless_stream> && !teardown_stream<endless_stream>);
static_assert(!upstream_stream<endless_stream>);
static_assert(!teardown_stream<layered_endless_stream>);
static_assert(upstream_stream<layered_stream>);
static_assert(upstream_stream<custom_stream>);
static_assert(!upstream_stream<read_only_stream>);

TEST_CASE("teardown: a socket is closed, a layered stream through its next layer") {
    net::io_context io;
    net::ip::tcp::socket socket{io};
    socket.open(net::ip::tcp::v4());
    REQUIRE(socket.is_open());
    gw::transport::teardown(socket);
    CHECK_FALSE(socket.is_open());
    gw::transport::teardown(socket);  // twice is harmless
    CHECK_FALSE(socket.is_open());

    layered_stream layered{net::ip::tcp::socket{io}};
    layered.socket.open(net::ip::tcp::v4());
    gw::transport::teardown(layered);
    CHECK_FALSE(layered.socket.is_open());
}

TEST_CASE("teardown: a stream's own gw_teardown comes first") {
    net::io_context io;
    custom_stream s{{net::ip::tcp::socket{io}}};
    s.socket.open(net::ip::tcp::v4());
    gw::transport::teardown(s);
    CHECK(s.custom_teardowns == 1);
    CHECK_FALSE(s.socket.is_open());
}

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
