#pragma once
// The asynchronous byte stream the Linux transports share: a TCP socket, a serial port, a TLS
// stream. Framers and sessions are written against these concepts, not against a concrete type.
//
//   async_stream<S>     reads and writes asynchronously, has an executor
//   teardown(s)         the customisation point that ends a stream now (see below)
//   upstream_stream<S>  what gw::gateway::upstream_session needs: both, movable, and an executor
//                       its timers can run on

#include <gw/transport/asio.hpp>

#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace gw::transport {

namespace detail {
/// Stands in for any completion handler with the stream signature; only ever named in
/// unevaluated requirements.
struct io_handler_archetype {
    void operator()(error_code, std::size_t) const {}
};
}  // namespace detail

/// Something that reads and writes bytes asynchronously through Asio: it has an executor, and
/// async_read_some / async_write_some accept Asio buffers and complete with
/// (error_code, std::size_t).
template <class S>
concept async_stream = requires(S& s, const net::mutable_buffer& in, const net::const_buffer& out,
                                detail::io_handler_archetype handler) {
    typename S::executor_type;
    { s.get_executor() } -> std::convertible_to<typename S::executor_type>;
    s.async_read_some(in, handler);
    s.async_write_some(out, handler);
};

namespace detail {
// Poison pill: an unqualified gw_teardown(s) below finds only the stream's own (by ADL).
void gw_teardown() = delete;

/// Whether teardown can end an S, and how (the order teardown_fn tries).
template <class S>
constexpr bool can_teardown() noexcept {
    if constexpr (requires(S & s) { gw_teardown(s); }) {
        return true;
    } else if constexpr (requires(S & s, error_code & ec) { s.close(ec); }) {
        return true;
    } else if constexpr (requires(S & s) { s.close(); }) {
        return true;
    } else if constexpr (requires(S & s) { s.next_layer(); }) {
        return can_teardown<std::remove_reference_t<decltype(std::declval<S&>().next_layer())>>();
    } else {
        return false;
    }
}

struct teardown_fn {
    /// Ends the stream now: pending operations complete (operation_aborted, or an error), the
    /// peer sees the connection close. Never blocks and never waits for the peer. In order:
    ///   1. gw_teardown(s), found by ADL: a stream type of your own says how it ends;
    ///   2. s.close(ec), then s.close(): a socket, a descriptor, a serial port;
    ///   3. teardown(s.next_layer()): a layered stream ends by ending the layer below it. For a
    ///      TLS stream (net::ssl::stream<tcp::socket>) that closes the TCP socket: no
    ///      close_notify is sent (docs/transport.md, "Tearing down a TLS stream", says why).
    template <class S>
    requires(can_teardown<S>()) void operator()(S& s) const noexcept {
        if constexpr (requires { gw_teardown(s); }) {
            gw_teardown(s);
        } else if constexpr (requires(error_code & ec) { s.close(ec); }) {
            error_code ignored;
            s.close(ignored);
        } else if constexpr (requires { s.close(); }) {
            s.close();
        } else {
            (*this)(s.next_layer());
        }
    }
};
}  // namespace detail

/// The teardown customisation point: `gw::transport::teardown(stream)`.
inline constexpr detail::teardown_fn teardown{};

/// A stream `teardown` can end: it has close(ec) or close(), an ADL gw_teardown(stream), or a
/// next_layer() that can itself be torn down.
template <class S>
concept teardown_stream = requires(S& s) {
    teardown(s);
};

/// What an upstream session (gw::gateway::upstream_session) is generic over: an async_stream
/// (read with async_read_some, written with net::async_write over async_write_some), movable
/// into the session, whose executor the session's timers can run on, and which `teardown` ends.
/// A TCP socket, a serial port and a TLS stream over a TCP socket satisfy it.
template <class S>
concept upstream_stream = async_stream<S> && teardown_stream<S> && std::move_constructible<S> &&
    std::convertible_to<typename S::executor_type, net::any_io_executor>;

static_assert(async_stream<net::ip::tcp::socket>);
static_assert(async_stream<net::posix::stream_descriptor>);
static_assert(upstream_stream<net::ip::tcp::socket>);
static_assert(upstream_stream<net::posix::stream_descriptor>);
#if defined(GW_ASIO_SSL)
static_assert(async_stream<net::ssl::stream<net::ip::tcp::socket>>);
static_assert(upstream_stream<net::ssl::stream<net::ip::tcp::socket>>);
#endif

}  // namespace gw::transport
