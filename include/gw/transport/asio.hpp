#pragma once
// The one place that chooses between standalone Asio and Boost.Asio. Every other transport header
// includes this one and spells Asio as `gw::net`, so the same source builds with either flavour:
// the CMake target gw::boost_asio defines GW_USE_BOOST_ASIO, gw::asio does not.
//
// TLS: define GW_ASIO_SSL (the TLS target does) to also get net::ssl. wolfSSL's options header
// must come first: it defines (BOOST_)ASIO_USE_WOLFSSL, and with -I/usr/include/wolfssl the
// <openssl/ssl.h> that Asio includes then resolves to wolfSSL's compatibility layer.

// A standard library header first: Asio decides between std::aligned_alloc and operator new by
// looking at libstdc++'s _GLIBCXX_HAVE_ALIGNED_ALLOC, which only exists once a libstdc++ header has
// been read. A translation unit that reached <asio.hpp> first would pick operator new while the
// others pick aligned_alloc, and the one inline aligned_delete the linker keeps would free some
// blocks with the wrong function (ASan: alloc-dealloc-mismatch).
#include <cstddef>

#if defined(GW_ASIO_SSL)
#include <wolfssl/options.h>
#endif

#if defined(GW_USE_BOOST_ASIO)

#include <boost/asio.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#if defined(GW_ASIO_SSL)
#include <boost/asio/ssl.hpp>
#endif

namespace gw {
namespace net = ::boost::asio;
}  // namespace gw

namespace gw::transport {
using error_code = ::boost::system::error_code;
using system_error = ::boost::system::system_error;
inline constexpr bool uses_boost_asio = true;

/// The category errno values belong to, in this flavour's error_code family.
inline const ::boost::system::error_category& system_category() noexcept {
    return ::boost::system::system_category();
}
}  // namespace gw::transport

#else

#include <asio.hpp>
#if defined(GW_ASIO_SSL)
#include <asio/ssl.hpp>
#endif

#include <system_error>

namespace gw {
namespace net = ::asio;
}  // namespace gw

namespace gw::transport {
using error_code = ::std::error_code;
using system_error = ::std::system_error;
inline constexpr bool uses_boost_asio = false;

/// The category errno values belong to, in this flavour's error_code family.
inline const ::std::error_category& system_category() noexcept {
    return ::std::system_category();
}
}  // namespace gw::transport

#endif

namespace gw::transport {

/// The io_context concurrency hint for the gateway's one io thread: the io_context is run by
/// one thread and its I/O objects (sockets, descriptors, timers) are used from that thread
/// only, while other threads (a log or audit writer, password hashing) may still post() to it.
/// Asio's UNSAFE_IO hint: the scheduler keeps its lock, so post() and dispatch() from another
/// thread stay safe (as do asynchronous resolves, whose worker posts back); the reactor drops
/// its per-descriptor lock, taken twice per read or write otherwise. A hint of 1 keeps every
/// lock (it only tells the scheduler one thread runs it); UNSAFE, which also drops the
/// scheduler's lock, would make a cross-thread post() a data race: never use it here.
#if defined(GW_USE_BOOST_ASIO)
inline constexpr int one_io_thread = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;
#else
inline constexpr int one_io_thread = ASIO_CONCURRENCY_HINT_UNSAFE_IO;
#endif

/// An error_code for an errno value, e.g. after a failed open() or ioctl().
inline error_code errno_code(int errno_value) noexcept {
    return error_code(errno_value, system_category());
}

}  // namespace gw::transport
