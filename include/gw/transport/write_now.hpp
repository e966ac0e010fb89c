#pragma once
// write_now(stream, bytes, ec): the bytes a stream takes at once, in one system call, without
// waiting and without a completion handler. The hot path (an answer to a master, a request onto
// the line) uses it first and falls back to net::async_write for whatever is left: on Linux the
// asynchronous write would make the same send()/write() call at once anyway, and then post its
// completion, which costs a trip through the scheduler and an extra epoll_wait.
//
//   immediate_writable<S>  S can be written this way: a socket or descriptor whose
//                          non_blocking(true) makes write_some return would_block instead of
//                          waiting, or a byte port whose write_some(span, ec) never waits
//                          (gw::transport::serial_port). A TLS stream is not: it takes the
//                          asynchronous path.

#include <gw/transport/asio.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::transport {

/// A socket or descriptor: non_blocking(true) makes its write_some return would_block.
template <class S>
concept nonblocking_socket_like = requires(S& s, error_code& ec, const net::const_buffer& out) {
    s.non_blocking(true, ec);
    { s.non_blocking() } -> std::convertible_to<bool>;
    { s.write_some(out, ec) } -> std::convertible_to<std::size_t>;
};

/// Takes Asio buffers (a socket, a TLS stream: Asio's write_some accepts any argument in its
/// declaration, so a span would seem to fit too).
template <class S>
concept asio_buffer_writer = requires(S& s, error_code& ec, const net::const_buffer& out) {
    s.write_some(out, ec);
};

/// A gw byte port: write_some(span, ec) on a descriptor opened non-blocking.
template <class S>
concept nonblocking_byte_port =
    !asio_buffer_writer<S> && requires(S & s, error_code& ec, std::span<const std::uint8_t> out) {
    { s.write_some(out, ec) } -> std::convertible_to<std::size_t>;
};

template <class S>
concept immediate_writable = nonblocking_socket_like<S> || nonblocking_byte_port<S>;

/// Writes what `s` accepts now. Returns the number of bytes taken (0 when it would block, which
/// is not an error); a real failure is left in `ec` for the caller's asynchronous path to meet
/// again and report.
template <immediate_writable S>
std::size_t write_now(S& s, std::span<const std::uint8_t> bytes, error_code& ec) {
    ec = {};
    if (bytes.empty()) return 0;
    if constexpr (nonblocking_socket_like<S>) {
        // Once per socket: makes write_some fail with would_block rather than poll() until the
        // socket is writable. Asynchronous operations are unaffected.
        if (!s.non_blocking()) {
            s.non_blocking(true, ec);
            if (ec) return 0;
        }
        const std::size_t n = s.write_some(net::buffer(bytes.data(), bytes.size()), ec);
        if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
        return ec ? 0 : n;
    } else {
        return s.write_some(bytes, ec);  // never waits (the port is non-blocking)
    }
}

static_assert(nonblocking_socket_like<net::ip::tcp::socket>);
static_assert(nonblocking_socket_like<net::posix::stream_descriptor>);
#if defined(GW_ASIO_SSL)
static_assert(!immediate_writable<net::ssl::stream<net::ip::tcp::socket>>);
#endif

}  // namespace gw::transport
