#pragma once
// The asynchronous byte stream the Linux transports share: a TCP socket, a serial port, a TLS
// stream. Framers and sessions are written against this concept, not against a concrete type.

#include <gw/transport/asio.hpp>

#include <concepts>
#include <cstddef>

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

static_assert(async_stream<net::ip::tcp::socket>);
static_assert(async_stream<net::posix::stream_descriptor>);
#if defined(GW_ASIO_SSL)
static_assert(async_stream<net::ssl::stream<net::ip::tcp::socket>>);
#endif

}  // namespace gw::transport
