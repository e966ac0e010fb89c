#include "masters.hpp"

#include "process.hpp"

#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/core/endian.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace gw_bench {

bytes read_holding(std::uint16_t address, std::uint16_t count) {
    bytes p(5);
    p[0] = 0x03;
    gw::put_u16(p, 1, address);
    gw::put_u16(p, 3, count);
    return p;
}

bool reply_ok(const request_kind& r, std::span<const std::uint8_t> pdu) {
    if (r.exception) {
        return pdu.size() == 2 && pdu[0] == (r.pdu[0] | 0x80) && pdu[1] == *r.exception;
    }
    return !pdu.empty() && !gw::is_exception(pdu[0]) && gw::validate_response(r.pdu, pdu);
}

// ---- the direct path ----------------------------------------------------------------------------

rtu_master::rtu_master(const std::string& device, std::uint32_t baud)
    : framer_{gw::pdu_direction::response, gw::rtu_framing::predicted,
              gw::rtu_timing_for_baud(baud)} {
    fd_ = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) die("open " + device + ": " + std::strerror(errno));
    termios t{};
    tcgetattr(fd_, &t);
    cfmakeraw(&t);
    tcsetattr(fd_, TCSANOW, &t);
    tcflush(fd_, TCIOFLUSH);
}

rtu_master::~rtu_master() {
    ::close(fd_);
}

std::optional<double> rtu_master::transact(const request_kind& r) {
    std::array<std::uint8_t, 260> tx{};
    const std::size_t n = gw::encode_rtu(r.unit, r.pdu, tx);
    const auto start = clk::now();
    if (::write(fd_, tx.data(), n) != static_cast<ssize_t>(n)) die("write to the pty");
    std::array<std::uint8_t, 512> rx{};
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) return std::nullopt;
        const auto got = ::read(fd_, rx.data(), rx.size());
        if (got <= 0) die("read from the pty");
        const auto now = clk::now();
        std::span<const std::uint8_t> rest{rx.data(), static_cast<std::size_t>(got)};
        const auto t =
            std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
        for (;;) {
            const auto d = framer_.put(rest, t);
            rest = rest.subspan(d.consumed);
            if (d.status == gw::decode_status::frame) {
                if (framer_.unit() != r.unit || !reply_ok(r, framer_.pdu())) {
                    return std::nullopt;
                }
                return us_between(start, now);
            }
            if (d.status == gw::decode_status::need_more) break;
        }
    }
}

result run_direct(rtu_master& m, const request_kind& r, double seconds, std::size_t min_samples) {
    result res;
    for (int i = 0; i < 3; ++i)
        (void)m.transact(r);  // warm-up
    const auto start = clk::now();
    const auto end = after(start, seconds);
    while (clk::now() < end || res.latency_us.size() < min_samples) {
        if (const auto us = m.transact(r)) {
            res.latency_us.push_back(*us);
        } else {
            ++res.errors;
        }
    }
    res.seconds = std::chrono::duration<double>(clk::now() - start).count();
    return res;
}

// ---- the gateway path ---------------------------------------------------------------------------

tcp_master::tcp_master(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        die("connect to the gateway: " + std::string(std::strerror(errno)));
    }
}

tcp_master::~tcp_master() {
    ::close(fd_);
}

void tcp_master::send(const request_kind& r) {
    std::array<std::uint8_t, 260> tx{};
    const std::uint16_t tid = ++tid_;
    gw::encode_mbap_header(tid, r.unit, r.pdu.size(), tx);
    std::copy(r.pdu.begin(), r.pdu.end(), tx.begin() + 7);
    const std::size_t n = 7 + r.pdu.size();
    sent_[tid % sent_.size()] = clk::now();
    if (::write(fd_, tx.data(), n) != static_cast<ssize_t>(n)) die("write to the gateway");
    ++in_flight_;
}

std::size_t tcp_master::read_replies(const request_kind& r, clk::time_point& at) {
    const auto got = ::read(fd_, rx_.data() + rx_size_, rx_.size() - rx_size_);
    if (got <= 0) die("the gateway closed a connection");
    at = clk::now();
    rx_size_ += static_cast<std::size_t>(got);
    std::size_t offset = 0;
    std::size_t count = 0;
    while (count < done_.size()) {
        const auto d = gw::decode_mbap({rx_.data() + offset, rx_size_ - offset});
        if (d.status == gw::decode_status::need_more) break;
        if (d.status != gw::decode_status::frame) die("bad MBAP header from the gateway");
        const bool ok = d.frame.header.unit == r.unit && reply_ok(r, d.frame.pdu);
        done_[count++] = {d.frame.header.transaction_id, ok};
        --in_flight_;
        offset += d.consumed;
    }
    std::memmove(rx_.data(), rx_.data() + offset, rx_size_ - offset);
    rx_size_ -= offset;
    return count;
}

std::optional<double> tcp_master::transact(const request_kind& r) {
    send(r);
    std::optional<double> out;
    while (in_flight_ > 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) die("no reply from the gateway");
        receive(r, [&](double us, bool ok, clk::time_point) {
            if (ok) out = us;
        });
    }
    return out;
}

result run_tcp(std::span<tcp_master* const> masters, int depth, const request_kind& r,
               double seconds, pid_t gateway) {
    result res;
    std::vector<pollfd> fds;
    for (auto* m : masters) {
        fds.push_back({m->fd(), POLLIN, 0});
        for (int i = 0; i < depth; ++i)
            m->send(r);
    }
    const auto warm = after(clk::now(), std::min(0.2, seconds / 4));
    const auto end = after(warm, seconds);
    double cpu_at_warm = -1;
    clk::time_point last_progress = clk::now();
    for (;;) {
        bool pending = false;
        for (auto* m : masters)
            pending = pending || m->in_flight() > 0;
        if (!pending) break;
        const int n = ::poll(fds.data(), fds.size(), 200);
        if (cpu_at_warm < 0 && clk::now() >= warm) cpu_at_warm = process_cpu_us(gateway);
        if (n <= 0) {
            if (clk::now() - last_progress > std::chrono::seconds{5}) die("the gateway stalled");
            continue;
        }
        last_progress = clk::now();
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
            auto* m = masters[i];
            m->receive(r, [&](double us, bool ok, clk::time_point at) {
                if (at >= warm && at < end) res.latency_us.push_back(us);
                if (!ok) ++res.errors;
                if (at < end) m->send(r);
            });
        }
    }
    res.seconds = seconds;
    res.gateway_cpu_us = cpu_at_warm >= 0 ? process_cpu_us(gateway) - cpu_at_warm : 0;
    return res;
}

}  // namespace gw_bench
