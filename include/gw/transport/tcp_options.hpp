#pragma once
// Socket options for Modbus TCP connections, accepted or connected.

#include <gw/transport/asio.hpp>
#include <gw/transport/open_result.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

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

/// An integer socket option Asio does not name (TCP_KEEPIDLE, ...), settable and gettable
/// through basic_socket::set_option / get_option.
template <int Level, int Name>
class integer_option {
public:
    integer_option() = default;
    explicit integer_option(int v) noexcept : value_{v} {}
    int value() const noexcept { return value_; }

    template <class Protocol>
    int level(const Protocol&) const noexcept {
        return Level;
    }
    template <class Protocol>
    int name(const Protocol&) const noexcept {
        return Name;
    }
    template <class Protocol>
    int* data(const Protocol&) noexcept {
        return &value_;
    }
    template <class Protocol>
    const int* data(const Protocol&) const noexcept {
        return &value_;
    }
    template <class Protocol>
    std::size_t size(const Protocol&) const noexcept {
        return sizeof value_;
    }
    template <class Protocol>
    void resize(const Protocol&, std::size_t s) {
        if (s != sizeof value_) throw std::length_error("integer socket option resize");
    }

private:
    int value_ = 0;
};

using tcp_keep_idle = integer_option<IPPROTO_TCP, TCP_KEEPIDLE>;         ///< seconds
using tcp_keep_interval = integer_option<IPPROTO_TCP, TCP_KEEPINTVL>;    ///< seconds
using tcp_keep_count = integer_option<IPPROTO_TCP, TCP_KEEPCNT>;         ///< unanswered probes
using tcp_user_timeout = integer_option<IPPROTO_TCP, TCP_USER_TIMEOUT>;  ///< milliseconds

/// When the kernel gives up on a silent connection, instead of its default two hours and more.
struct tcp_keepalive {
    std::chrono::seconds idle{7200};            ///< TCP_KEEPIDLE: silence before the first probe
    std::chrono::seconds interval{75};          ///< TCP_KEEPINTVL: between unanswered probes
    int probes = 9;                             ///< TCP_KEEPCNT: unanswered probes that end it
    std::chrono::milliseconds user_timeout{0};  ///< TCP_USER_TIMEOUT: unacknowledged data (0: off)

    friend bool operator==(const tcp_keepalive&, const tcp_keepalive&) = default;
};

/// Keep-alive for a connection to a downstream device, from the channel's response timeout:
/// with T = the response timeout rounded up to whole seconds (the kernel's unit; at least 1 s),
/// probe after T of silence, then every T, and give up after 3 unanswered probes; written data
/// left unacknowledged for the same total, 4 T, also ends the connection (TCP_USER_TIMEOUT, set
/// equal so that it neither cuts the probes short nor outlasts them). A device that is gone is
/// then noticed within 4 T even while nobody polls it, not after the kernel's 2 h 11 min.
constexpr tcp_keepalive keepalive_for(std::chrono::microseconds response_timeout) noexcept {
    const auto t = std::max(std::chrono::ceil<std::chrono::seconds>(response_timeout),
                            std::chrono::seconds{1});
    tcp_keepalive k;
    k.idle = t;
    k.interval = t;
    k.probes = 3;
    k.user_timeout = k.idle + k.probes * k.interval;
    return k;
}

/// TCP_NODELAY, SO_KEEPALIVE and `keepalive` on a connected socket. Each option is checked: the
/// first one refused fails the whole (message: "set TCP_KEEPIDLE to 3: Invalid argument"), since
/// a connection the kernel would watch less closely than asked must not pass for a good one.
inline open_result configure_socket(net::ip::tcp::socket& socket, const tcp_keepalive& keepalive) {
    open_result result;
    const auto set = [&](const auto& option, std::string_view name, long long value) {
        if (result.error) return;
        socket.set_option(option, result.error);
        if (result.error) {
            result.message = "set " + std::string(name) + " to " + std::to_string(value) + ": " +
                             result.error.message();
        }
    };
    set(net::ip::tcp::no_delay(true), "TCP_NODELAY", 1);
    set(net::socket_base::keep_alive(true), "SO_KEEPALIVE", 1);
    // The kernel takes ints; a duration beyond int is refused here rather than wrapped.
    const auto as_int = [&](long long v, std::string_view name) {
        if (!result.error && (v < 1 || v > 0x7FFFFFFF)) {
            result.error = errno_code(EINVAL);
            result.message =
                "set " + std::string(name) + " to " + std::to_string(v) + ": out of range";
        }
        return static_cast<int>(std::clamp(v, 0LL, 0x7FFFFFFFLL));
    };
    const long long idle = keepalive.idle.count();
    const long long interval = keepalive.interval.count();
    const long long user_timeout = keepalive.user_timeout.count();
    set(tcp_keep_idle{as_int(idle, "TCP_KEEPIDLE")}, "TCP_KEEPIDLE", idle);
    set(tcp_keep_interval{as_int(interval, "TCP_KEEPINTVL")}, "TCP_KEEPINTVL", interval);
    set(tcp_keep_count{as_int(keepalive.probes, "TCP_KEEPCNT")}, "TCP_KEEPCNT", keepalive.probes);
    if (user_timeout != 0) {
        set(tcp_user_timeout{as_int(user_timeout, "TCP_USER_TIMEOUT")}, "TCP_USER_TIMEOUT",
            user_timeout);
    }
    return result;
}

}  // namespace gw::transport
