#pragma once
// gateway_latency: the two kinds of master. The direct path is an RTU master on the simulator's
// pty (gw's encoder and framer); the gateway path is Modbus TCP connections to gw_gateway.
// Masters are closed loop: a latency is the time from just before a request's write() to just
// after the read() that completed its reply, on the steady clock; every reply is checked.

#include "common.hpp"
#include "statistics.hpp"

#include <gw/codec/rtu_framer.hpp>

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace gw_bench {

/// What a scenario sends and what it must get back.
struct request_kind {
    std::uint8_t unit;
    bytes pdu;
    std::optional<std::uint8_t> exception;  // the exception code expected, or a normal reply
};

bytes read_holding(std::uint16_t address, std::uint16_t count);
bool reply_ok(const request_kind& r, std::span<const std::uint8_t> pdu);

class rtu_master {
public:
    rtu_master(const std::string& device, std::uint32_t baud);
    rtu_master(const rtu_master&) = delete;
    rtu_master& operator=(const rtu_master&) = delete;
    ~rtu_master();

    /// One transaction; the latency in microseconds, or nullopt if no valid reply came.
    std::optional<double> transact(const request_kind& r);

private:
    int fd_ = -1;
    gw::rtu_framer framer_;
};

/// Transactions one after the other for `seconds` (and at least min_samples).
result run_direct(rtu_master& m, const request_kind& r, double seconds, std::size_t min_samples);

class tcp_master {
public:
    explicit tcp_master(std::uint16_t port);
    tcp_master(const tcp_master&) = delete;
    tcp_master& operator=(const tcp_master&) = delete;
    ~tcp_master();

    int fd() const noexcept { return fd_; }
    int in_flight() const noexcept { return in_flight_; }

    void send(const request_kind& r);

    /// Reads what is there; calls on_reply(latency_us, ok, at) for every complete reply.
    template <class F>
    void receive(const request_kind& r, F&& on_reply);

    /// One blocking transaction (the priority probe).
    std::optional<double> transact(const request_kind& r);

private:
    /// One read: the replies it completed, as (transaction id, ok); the time it returned.
    std::size_t read_replies(const request_kind& r, clk::time_point& at);

    int fd_ = -1;
    std::uint16_t tid_ = 0;
    int in_flight_ = 0;
    std::array<clk::time_point, 256> sent_{};
    std::array<std::uint8_t, 16384> rx_{};
    std::size_t rx_size_ = 0;
    std::array<std::pair<std::uint16_t, bool>, 1024> done_{};
};

template <class F>
void tcp_master::receive(const request_kind& r, F&& on_reply) {
    clk::time_point at;
    const std::size_t n = read_replies(r, at);
    for (std::size_t i = 0; i < n; ++i) {
        const auto [tid, ok] = done_[i];
        on_reply(us_between(sent_[tid % sent_.size()], at), ok, at);
    }
}

/// Keeps `depth` requests in flight on each of `masters`, records replies completed between
/// warm-up and the end of the window, then lets the last ones finish. `gateway`: whose CPU
/// time to read.
result run_tcp(std::span<tcp_master* const> masters, int depth, const request_kind& r,
               double seconds, pid_t gateway);

}  // namespace gw_bench
