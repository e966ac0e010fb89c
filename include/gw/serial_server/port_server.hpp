#pragma once
// One serial line on the network in the NPort's TCP Server or RFC 2217 operation mode, over
// Asio: up to max_clients TCP clients share the line; what the line sends goes to all of them
// (packed by gw/device_server/packer.hpp), what any of them sends goes to the line. In RFC 2217
// mode each client speaks Telnet with the COM-PORT-OPTION (gw/device_server/com_port_server.hpp):
// its baud rate, framing and modem-line requests reach the line's termios.
//
// Bounded both ways. Towards a client: its backlog holds at most client_backlog bytes; beyond
// that its oldest data is dropped and counted (drop_oldest), or it is disconnected
// (disconnect): a slow client never makes the line buffer without limit nor stalls the others.
// Towards the line: at most serial_backlog bytes wait for the UART; a client whose data finds it
// full is not read until it has drained (TCP's own flow control then holds the client back).
//
// Refused before a byte is read: a source outside the allowlist, a client past max_clients.
// Every connection, refusal and settings change is an event (port_event) for the log and audit.
//
// TLS ("Secure Connection"), with GW_ASIO_SSL: the same wolfSSL contexts and cipher policy as
// Modbus/TCP Security (gw/tls/context.hpp); with a client CA, "authenticated": a client without
// a certificate that chains to it fails the handshake and is refused. The handshake has its
// deadline (handshake_timeout) and counts against max_clients while it runs.

#include <gw/device_server/com_port_server.hpp>
#include <gw/device_server/packer.hpp>
#include <gw/device_server/telnet_codec.hpp>
#include <gw/gateway/peer_address.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/serial_port.hpp>
#include <gw/transport/serial_settings.hpp>
#if defined(GW_ASIO_SSL)
#include <gw/tls/context.hpp>
#endif

#include <sys/ioctl.h>
#include <termios.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::serial_server {

namespace net = gw::net;
using tcp = net::ip::tcp;

enum class operation_mode : std::uint8_t { tcp_server, rfc2217 };
enum class when_backlog_full : std::uint8_t { drop_oldest, disconnect };

/// The bounds the settings are checked against (one place: the command line and the
/// configuration refuse what these refuse).
inline constexpr std::size_t max_clients_limit = 8;  ///< the NPort's limit
inline constexpr std::size_t min_client_backlog = 1024;
inline constexpr std::size_t max_client_backlog = 16 * 1024 * 1024;
inline constexpr std::size_t serial_backlog = 64 * 1024;
inline constexpr std::size_t read_chunk = 4096;
inline constexpr std::chrono::milliseconds line_retry{200};
inline constexpr std::chrono::seconds handshake_timeout{10};

struct port_settings {
    transport::serial_settings serial;
    operation_mode mode = operation_mode::tcp_server;
    std::string address = "127.0.0.1";
    std::uint16_t port = 4001;
    std::size_t max_clients = 1;
    /// Sources admitted; empty admits every source (the listen address is then the bound).
    std::vector<policy::ip_network> allowlist;
    std::size_t client_backlog = 64 * 1024;
    when_backlog_full when_full = when_backlog_full::drop_oldest;
    std::chrono::seconds idle_timeout{0};  ///< a client silent this long is closed; 0: never
    device_server::packer_settings packing{};
#if defined(GW_ASIO_SSL)
    /// Set: every client speaks TLS first (tls::make_server_context made it, so its settings
    /// were checked); shared, as the gateway's listeners share theirs.
    std::shared_ptr<net::ssl::context> tls;
#endif
};

/// "" or why the settings cannot run.
inline std::string invalid_reason(const port_settings& s) {
    if (s.max_clients < 1 || s.max_clients > max_clients_limit)
        return "max_clients must be 1.." + std::to_string(max_clients_limit);
    if (s.client_backlog < min_client_backlog || s.client_backlog > max_client_backlog)
        return "client_backlog must be " + std::to_string(min_client_backlog) + ".." +
               std::to_string(max_client_backlog) + " bytes";
    if (s.packing.delimiter_size > 2) return "a delimiter has 1 or 2 bytes";
    return {};
}

struct port_counters {
    std::uint64_t serial_bytes_in = 0;   ///< read from the line
    std::uint64_t serial_bytes_out = 0;  ///< written to the line
    std::uint64_t accepted = 0;
    std::uint64_t refused_allowlist = 0;
    std::uint64_t refused_full = 0;
    std::uint64_t refused_tls = 0;        ///< handshakes failed or timed out
    std::uint64_t dropped_bytes = 0;      ///< oldest backlog dropped (drop_oldest)
    std::uint64_t disconnected_slow = 0;  ///< clients cut off for their backlog (disconnect)
    std::uint64_t idle_closed = 0;
    std::uint64_t settings_changes = 0;  ///< RFC 2217 requests applied to the line
};

enum class port_event_kind : std::uint8_t {
    connected,
    disconnected,
    refused,
    settings_changed,
    line_error,
};
struct port_event {
    port_event_kind kind;
    std::string peer;    ///< address:port, or "" for the line
    std::string detail;  ///< why, or what changed
};
using event_fn = std::function<void(const port_event&)>;

/// RFC 2217's framing in termios terms: what this gw can run (the serial layer takes 7 or 8
/// data bits, no mark/space parity, 1 or 2 stop bits); the rest is answered with what runs.
inline constexpr device_server::serial_capabilities linux_capabilities{50, 4'000'000, 7, false,
                                                                       false};

inline device_server::serial_settings com_port_settings_of(const transport::serial_settings& s) {
    device_server::serial_settings c;
    c.baud = s.baud;
    c.data_bits = s.data_bits;
    c.parity = s.parity == transport::parity::even  ? device_server::parity::even
               : s.parity == transport::parity::odd ? device_server::parity::odd
                                                    : device_server::parity::none;
    c.stop_bits = s.stop_bits == 2 ? device_server::stop_bits::two : device_server::stop_bits::one;
    return c;
}

inline transport::serial_settings transport_settings_of(const device_server::serial_settings& c,
                                                        transport::serial_settings base) {
    base.baud = c.baud;
    base.data_bits = c.data_bits;
    base.parity = c.parity == device_server::parity::even  ? transport::parity::even
                  : c.parity == device_server::parity::odd ? transport::parity::odd
                                                           : transport::parity::none;
    base.stop_bits = c.stop_bits == device_server::stop_bits::two ? 2 : 1;
    return base;
}

class port_server {
public:
    port_server(net::io_context& io, port_settings settings, event_fn events)
        : io_{io}
        , settings_{std::move(settings)}
        , events_{std::move(events)}
        , line_{io}
        , acceptor_{io}
        , pack_timer_{io}
        , retry_timer_{io}
        , packer_{settings_.packing} {}
    port_server(const port_server&) = delete;
    port_server& operator=(const port_server&) = delete;
    ~port_server() { stop(); }

    /// Opens the line and the listening socket; "" or why not (nothing left open then).
    std::string start() {
        if (auto why = invalid_reason(settings_); !why.empty()) return why;
        if (auto opened = line_.open(settings_.serial); !opened) return opened.message;
        transport::error_code ec;
        const auto address = net::ip::make_address(settings_.address, ec);
        if (ec) return "address " + settings_.address + ": " + ec.message();
        const tcp::endpoint at{address, settings_.port};
        acceptor_.open(at.protocol(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(at, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) {
            line_.close();
            transport::error_code ignored;
            acceptor_.close(ignored);
            return "listen on " + settings_.address + ":" + std::to_string(settings_.port) + ": " +
                   ec.message();
        }
        running_ = true;
        accept();
        read_line();
        return {};
    }

    void stop() {
        if (!running_) return;
        running_ = false;
        transport::error_code ignored;
        acceptor_.close(ignored);
        pack_timer_.cancel();
        retry_timer_.cancel();
        for (auto& c : clients_)
            c->close();
        clients_.clear();
        line_.close();
    }

    tcp::endpoint local_endpoint() const {
        transport::error_code ec;
        return acceptor_.local_endpoint(ec);
    }
    const port_counters& counters() const noexcept { return counters_; }
    std::size_t clients() const noexcept { return clients_.size(); }
    const transport::serial_settings& line_settings() const noexcept { return settings_.serial; }

private:
    struct client : std::enable_shared_from_this<client> {
        client(port_server& server, tcp::socket s, std::string peer_text)
            : owner{&server}
            , socket{std::move(s)}
            , peer{std::move(peer_text)}
            , idle{socket.get_executor()}
            , com_port{com_port_settings_of(server.settings_.serial), linux_capabilities, "gw"} {}

        port_server* owner;
        tcp::socket socket;
#if defined(GW_ASIO_SSL)
        std::unique_ptr<net::ssl::stream<tcp::socket&>> tls;  ///< over `socket`, when TLS
#endif
        std::string peer;
        net::steady_timer idle;
        device_server::com_port_server com_port;
        std::array<std::uint8_t, read_chunk> in{};
        std::deque<std::vector<std::uint8_t>> out;
        std::size_t queued = 0;  ///< bytes in `out`
        std::size_t front_sent = 0;
        bool writing = false;
        bool paused = false;  ///< its last data found the line's backlog full
        bool closed = false;
        bool handshaken = false;  ///< TLS done (or none): data flows

        template <class Buffers, class Handler>
        void read_some(const Buffers& b, Handler&& h) {
#if defined(GW_ASIO_SSL)
            if (tls) return tls->async_read_some(b, std::forward<Handler>(h));
#endif
            socket.async_read_some(b, std::forward<Handler>(h));
        }
        template <class Buffers, class Handler>
        void write_some(const Buffers& b, Handler&& h) {
#if defined(GW_ASIO_SSL)
            if (tls) return tls->async_write_some(b, std::forward<Handler>(h));
#endif
            socket.async_write_some(b, std::forward<Handler>(h));
        }

        void close() {
            if (closed) return;
            closed = true;
            transport::error_code ignored;
            socket.close(ignored);
            idle.cancel();
        }
    };
    using client_ptr = std::shared_ptr<client>;

    bool tls_enabled() const noexcept {
#if defined(GW_ASIO_SSL)
        return settings_.tls != nullptr;
#else
        return false;
#endif
    }

    void emit(port_event_kind kind, std::string peer, std::string detail) {
        if (events_) events_({kind, std::move(peer), std::move(detail)});
    }

    // ---- accepting
    void accept() {
        acceptor_.async_accept([this](const transport::error_code& ec, tcp::socket s) {
            if (!running_) return;
            if (!ec) admit(std::move(s));
            accept();
        });
    }

    void admit(tcp::socket s) {
        transport::error_code ec;
        const auto remote = s.remote_endpoint(ec);
        if (ec) return;
        const std::string peer = remote.address().to_string() + ":" + std::to_string(remote.port());
        const auto address = gateway::to_policy_address(remote.address());
        if (!settings_.allowlist.empty()) {
            bool admitted = false;
            for (const auto& n : settings_.allowlist)
                admitted = admitted || n.contains(address.bytes, address.v4);
            if (!admitted) {
                ++counters_.refused_allowlist;
                emit(port_event_kind::refused, peer, "not in the allowlist");
                return;  // closed by the socket's destructor, before a byte is read
            }
        }
        std::erase_if(clients_, [](const client_ptr& c) { return c->closed; });
        if (clients_.size() >= settings_.max_clients) {
            ++counters_.refused_full;
            emit(port_event_kind::refused, peer,
                 "too many clients (" + std::to_string(settings_.max_clients) + ")");
            return;
        }
        s.set_option(tcp::no_delay(true), ec);
        auto c = std::make_shared<client>(*this, std::move(s), peer);
        clients_.push_back(c);
#if defined(GW_ASIO_SSL)
        if (settings_.tls) {
            c->tls = std::make_unique<net::ssl::stream<tcp::socket&>>(c->socket, *settings_.tls);
            c->idle.expires_after(handshake_timeout);
            c->idle.async_wait([this, c](const transport::error_code& e) {
                if (e || c->closed || c->handshaken) return;
                ++counters_.refused_tls;
                c->close();
                emit(port_event_kind::refused, c->peer, "TLS handshake timeout");
            });
            c->tls->async_handshake(net::ssl::stream_base::server,
                                    [this, c](const transport::error_code& e) {
                                        if (c->closed || !running_) return;
                                        if (e) {
                                            ++counters_.refused_tls;
                                            c->close();
                                            return emit(port_event_kind::refused, c->peer,
                                                        "TLS handshake failed: " + e.message());
                                        }
                                        c->handshaken = true;
                                        c->idle.cancel();
                                        serve(c);
                                    });
            return;
        }
#endif
        serve(c);
    }

    void serve(const client_ptr& c) {
        c->handshaken = true;
        ++counters_.accepted;
        emit(port_event_kind::connected, c->peer,
             std::string{settings_.mode == operation_mode::rfc2217 ? "rfc2217" : "tcp_server"} +
                 (tls_enabled() ? " over TLS" : ""));
        if (settings_.mode == operation_mode::rfc2217) {
            c->com_port.start();
            modem_lines(*c);
            flush_com_port(c);
        }
        arm_idle(c);
        read_client(c);
    }

    void arm_idle(const client_ptr& c) {
        if (settings_.idle_timeout.count() == 0) return;
        c->idle.expires_after(settings_.idle_timeout);
        c->idle.async_wait([this, c](const transport::error_code& ec) {
            if (ec || c->closed) return;
            ++counters_.idle_closed;
            drop(c, "idle timeout");
        });
    }

    void drop(const client_ptr& c, std::string why) {
        if (c->closed) return;
        c->close();
        emit(port_event_kind::disconnected, c->peer, std::move(why));
    }

    // ---- client -> line
    void read_client(const client_ptr& c) {
        if (c->closed) return;
        if (serial_queued_ >= serial_backlog) {
            c->paused = true;  // resumed when the line's backlog drains
            return;
        }
        c->read_some(net::buffer(c->in), [this, c](const transport::error_code& ec, std::size_t n) {
            if (c->closed || !running_) return;
            if (ec) return drop(c, ec == net::error::eof ? "closed by the client" : ec.message());
            arm_idle(c);
            const std::span<const std::uint8_t> data{c->in.data(), n};
            if (settings_.mode == operation_mode::rfc2217)
                from_telnet(c, data);
            else
                to_line(data);
            read_client(c);
        });
    }

    struct com_port_sink {
        port_server& server;
        client& from;
        void on_data(std::span<const std::uint8_t> d) { server.to_line(d); }
        void on_settings(const device_server::serial_settings& s) { server.apply(from, s); }
        void on_purge(device_server::purge p) { server.purge(p); }
    };

    void from_telnet(const client_ptr& c, std::span<const std::uint8_t> data) {
        com_port_sink sink{*this, *c};
        while (!data.empty()) {
            const auto used = c->com_port.receive(data, sink);
            const bool replies = !c->com_port.output().empty();
            flush_com_port(c);
            if (used == 0 && !replies) break;  // nothing more it can take (cannot happen)
            data = data.subspan(used);
        }
    }

    void flush_com_port(const client_ptr& c) {
        const auto o = c->com_port.output();
        if (o.empty()) return;
        to_client(c, o);
        c->com_port.consume_output(o.size());
    }

    void apply(client& from, const device_server::serial_settings& s) {
        const auto next = transport_settings_of(s, settings_.serial);
        if (!(next == settings_.serial)) {
            if (auto r = line_.apply(next); !r) {
                emit(port_event_kind::line_error, from.peer, r.message);
            } else {
                settings_.serial = next;
                ++counters_.settings_changes;
                emit(port_event_kind::settings_changed, from.peer,
                     std::to_string(next.baud) + " baud, " + std::to_string(next.data_bits) +
                         std::string{transport::to_string(next.parity)}.substr(0, 1) +
                         std::to_string(next.stop_bits));
            }
        }
        // Modem lines: a pty has none (ENOTTY/EINVAL), a UART does.
        int bits = TIOCM_DTR;
        (void)::ioctl(line_.native_handle(), s.dtr ? TIOCMBIS : TIOCMBIC, &bits);
        bits = TIOCM_RTS;
        (void)::ioctl(line_.native_handle(), s.rts ? TIOCMBIS : TIOCMBIC, &bits);
        (void)::ioctl(line_.native_handle(), s.break_on ? TIOCSBRK : TIOCCBRK);
    }

    void purge(device_server::purge p) {
        const int which = p == device_server::purge::rx   ? TCIFLUSH
                          : p == device_server::purge::tx ? TCOFLUSH
                                                          : TCIOFLUSH;
        (void)::tcflush(line_.native_handle(), which);
    }

    void modem_lines(client& c) {
        int lines = 0;
        if (::ioctl(line_.native_handle(), TIOCMGET, &lines) != 0) lines = 0;
        std::uint8_t state = 0;
        if ((lines & TIOCM_CTS) != 0) state |= 0x10;
        if ((lines & TIOCM_DSR) != 0) state |= 0x20;
        if ((lines & TIOCM_RI) != 0) state |= 0x40;
        if ((lines & TIOCM_CD) != 0) state |= 0x80;
        c.com_port.modem_lines(state);
    }

    void to_line(std::span<const std::uint8_t> d) {
        if (d.empty()) return;
        serial_out_.emplace_back(d.begin(), d.end());
        serial_queued_ += d.size();
        write_line();
    }

    void write_line() {
        if (line_writing_ || serial_out_.empty() || !running_) return;
        line_writing_ = true;
        line_.async_write_some(net::buffer(serial_out_.front().data() + serial_front_sent_,
                                           serial_out_.front().size() - serial_front_sent_),
                               [this](const transport::error_code& ec, std::size_t n) {
                                   line_writing_ = false;
                                   if (!running_) return;
                                   if (ec) return line_failed("write", ec);
                                   counters_.serial_bytes_out += n;
                                   serial_queued_ -= n;
                                   serial_front_sent_ += n;
                                   if (serial_front_sent_ == serial_out_.front().size()) {
                                       serial_out_.pop_front();
                                       serial_front_sent_ = 0;
                                   }
                                   if (serial_queued_ < serial_backlog) resume_clients();
                                   write_line();
                               });
    }

    void resume_clients() {
        for (auto& c : clients_) {
            if (c->paused && !c->closed) {
                c->paused = false;
                read_client(c);
            }
        }
    }

    // ---- line -> clients
    void read_line() {
        line_.async_read_some(
            net::buffer(line_in_), [this](const transport::error_code& ec, std::size_t n) {
                if (!running_) return;
                if (ec) return line_hung_up(ec);
                if (line_down_) {
                    line_down_ = false;
                    emit(port_event_kind::line_error, {}, settings_.serial.device + ": data again");
                }
                counters_.serial_bytes_in += n;
                packer_.put(std::span<const std::uint8_t>{line_in_.data(), n}, clock_.now(),
                            [this](std::span<const std::uint8_t> p) { broadcast(p); });
                arm_packer();
                read_line();
            });
    }

    void arm_packer() {
        const auto due = packer_.deadline();
        if (!due) return;
        pack_timer_.expires_after(std::chrono::microseconds{*due - clock_.now()});
        pack_timer_.async_wait([this](const transport::error_code& ec) {
            if (ec || !running_) return;
            packer_.poll(clock_.now(), [this](std::span<const std::uint8_t> p) { broadcast(p); });
            arm_packer();
        });
    }

    void broadcast(std::span<const std::uint8_t> packet) {
        for (auto& c : clients_) {
            if (c->closed || !c->handshaken) continue;
            if (settings_.mode == operation_mode::rfc2217) {
                escaped_.resize(packet.size() * 2);
                const auto r = device_server::escape_data(packet, escaped_);
                to_client(c, std::span<const std::uint8_t>{escaped_.data(), r.written});
            } else {
                to_client(c, packet);
            }
        }
    }

    void to_client(const client_ptr& c, std::span<const std::uint8_t> d) {
        if (c->closed || d.empty()) return;
        if (c->queued + d.size() > settings_.client_backlog) {
            if (settings_.when_full == when_backlog_full::disconnect) {
                ++counters_.disconnected_slow;
                return drop(c, "backlog full (" + std::to_string(settings_.client_backlog) +
                                   " bytes): disconnected");
            }
            // The oldest whole chunks go, never the one being written (its bytes are partly on
            // the wire already).
            while (c->queued + d.size() > settings_.client_backlog && c->out.size() > 1) {
                const auto victim = c->writing ? std::next(c->out.begin()) : c->out.begin();
                counters_.dropped_bytes += victim->size();
                c->queued -= victim->size();
                c->out.erase(victim);
            }
            if (c->queued + d.size() > settings_.client_backlog) {
                counters_.dropped_bytes += d.size();  // the new data itself does not fit
                return;
            }
        }
        c->out.emplace_back(d.begin(), d.end());
        c->queued += d.size();
        write_client(c);
    }

    void write_client(const client_ptr& c) {
        if (c->writing || c->out.empty() || c->closed) return;
        c->writing = true;
        c->write_some(net::buffer(c->out.front().data() + c->front_sent,
                                  c->out.front().size() - c->front_sent),
                      [this, c](const transport::error_code& ec, std::size_t n) {
                          c->writing = false;
                          if (c->closed) return;
                          if (ec) return drop(c, ec.message());
                          c->queued -= n;
                          c->front_sent += n;
                          if (c->front_sent == c->out.front().size()) {
                              c->out.pop_front();
                              c->front_sent = 0;
                          }
                          write_client(c);
                      });
    }

    /// A pty whose other side is closed reads EOF (EIO) until it is opened again; a USB
    /// adapter unplugged, the same. The line is kept and read again every line_retry; the
    /// clients stay connected.
    void line_hung_up(const transport::error_code& ec) {
        if (!line_down_) {
            line_down_ = true;
            emit(port_event_kind::line_error, {},
                 "read " + settings_.serial.device + ": " + ec.message() + "; retrying");
        }
        retry_timer_.expires_after(line_retry);
        retry_timer_.async_wait([this](const transport::error_code& e) {
            if (!e && running_) read_line();
        });
    }

    void line_failed(std::string_view what, const transport::error_code& ec) {
        // What waited for the line is lost with it: counted, and the clients may send again.
        counters_.dropped_bytes += serial_queued_;
        serial_out_.clear();
        serial_queued_ = 0;
        serial_front_sent_ = 0;
        emit(port_event_kind::line_error, {},
             std::string{what} + " " + settings_.serial.device + ": " + ec.message());
        resume_clients();
    }

    net::io_context& io_;
    port_settings settings_;
    event_fn events_;
    transport::serial_port line_;
    tcp::acceptor acceptor_;
    net::steady_timer pack_timer_;
    net::steady_timer retry_timer_;
    bool line_down_ = false;
    device_server::packer<> packer_;
    gateway::steady_clock clock_;
    std::array<std::uint8_t, read_chunk> line_in_{};
    std::vector<std::uint8_t> escaped_;
    std::deque<std::vector<std::uint8_t>> serial_out_;
    std::size_t serial_queued_ = 0;
    std::size_t serial_front_sent_ = 0;
    bool line_writing_ = false;
    std::vector<client_ptr> clients_;
    port_counters counters_;
    bool running_ = false;
};

}  // namespace gw::serial_server
