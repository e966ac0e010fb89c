#pragma once
// Remote syslog for gw's audit events: up to 3 servers, each over UDP (RFC 5426, one message
// per datagram), TCP (RFC 6587 octet counting) or TLS (RFC 5425: octet counting over TLS, the
// server's certificate checked against a CA and the expected name, optionally a client
// certificate), each with its own minimum severity and a bounded backlog (syslog_backlog.hpp).
//
// Threads: the client runs on the executor it is given (through a strand of it), meant to be an
// io_context of its own, not the data plane's. post(), send(), async_flush(), stop() and
// counters() may be called from any thread and never block on the network: they post to the
// strand. on_failure is called on the strand.
//
// TCP/TLS delivery is at least once (see syslog_backlog.hpp): after a lost connection the
// client reconnects with a doubling backoff (gateway::reopen_backoff) and writes again what the
// server may not have read. A connection is noticed lost by a failed write or by the read the
// client keeps open on it (a syslog server never sends, so any end of that read is an end).
//
// UDP: one datagram per message; a message longer than max_datagram is cut to it (counted in
// `truncated`; RFC 5426 §3.2 lets a receiver truncate too, and a cut message still carries its
// header and usually its structured data). A datagram the kernel refuses is dropped (counted).

#if !defined(GW_ASIO_SSL)
#error "gw/audit/syslog_client.hpp needs GW_ASIO_SSL: link gw::asio_tls or gw::boost_asio_tls"
#endif

#include <gw/audit/syslog_backlog.hpp>
#include <gw/audit/syslog_message.hpp>
#include <gw/gateway/reopen_backoff.hpp>
#include <gw/tls/context.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_connect.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gw::audit {

enum class syslog_transport : std::uint8_t { udp, tcp, tls };

/// The port a transport uses when none is set: 514 (UDP, RFC 5426; TCP as rsyslog and most
/// receivers listen, RFC 6587 assigns none), 6514 (TLS, RFC 5425).
constexpr std::uint16_t default_port(syslog_transport t) noexcept {
    return t == syslog_transport::tls ? 6514 : 514;
}

struct syslog_server_settings {
    syslog_transport transport = syslog_transport::udp;
    std::string host;        ///< name or address
    std::uint16_t port = 0;  ///< 0: default_port(transport)
    /// Messages less severe than this are not sent to this server.
    syslog_severity minimum_severity = syslog_severity::informational;
    /// Unsent messages kept while the server is unreachable or slow; beyond, the oldest go.
    std::size_t backlog_capacity = 10000;
    /// TCP/TLS: messages already written that are written again after a reconnect.
    std::size_t replay_window = 1000;
    /// UDP: the largest datagram sent (RFC 5426: receivers SHOULD take 2048 octets).
    std::size_t max_datagram = 2048;
    gateway::reopen_backoff backoff{std::chrono::milliseconds{100}, std::chrono::seconds{30}};
    /// Resolution, connect and (TLS) handshake together.
    std::chrono::milliseconds connect_timeout{5000};
    /// TLS: ca_file (required), optional client certificate and key, cipher list.
    tls::client_settings tls{};
    /// TLS: the name the server's certificate must carry; empty: `host`.
    std::string server_name{};
};

/// What the status shows per server. A snapshot: counters() copies it.
struct syslog_server_counters {
    std::uint64_t sent = 0;        ///< messages written (replays count again)
    std::uint64_t dropped = 0;     ///< messages forgotten unsent (backlog full, UDP refused)
    std::uint64_t reconnects = 0;  ///< connections made after the first
    std::uint64_t truncated = 0;   ///< UDP messages cut to max_datagram
    std::uint64_t filtered = 0;    ///< messages below the server's minimum severity
    std::size_t backlog = 0;       ///< messages waiting (unsent)
    bool connected = false;
    std::string last_error;  ///< empty until something failed
};

/// (server index, why): a connection attempt or a TLS verification failed, or an established
/// connection was lost. Reported again only when the reason changes or after a success.
using syslog_failure_handler = std::function<void(std::size_t, std::string)>;

class syslog_client {
public:
    static constexpr std::size_t max_servers = 3;

    syslog_client(net::any_io_executor executor, std::vector<syslog_server_settings> servers,
                  syslog_failure_handler on_failure = {})
        : impl_{std::make_shared<impl>(std::move(executor), std::move(servers),
                                       std::move(on_failure))} {}
    syslog_client(const syslog_client&) = delete;
    syslog_client& operator=(const syslog_client&) = delete;
    ~syslog_client() { stop(); }

    /// Checks the settings, makes the TLS contexts and starts connecting. Empty on success,
    /// otherwise what is wrong ("syslog server 2: tls: ..."), and nothing was started.
    std::string start() {
        if (auto error = impl_->prepare(); !error.empty()) return error;
        net::post(impl_->strand, [self = impl_] {
            for (auto& s : self->servers)
                s->connect();
        });
        return {};
    }

    /// Formats `m` (on the client's strand) and queues it for every server whose filter it
    /// passes.
    void post(syslog_message m) {
        net::post(impl_->strand, [self = impl_, m = std::move(m)]() mutable {
            self->format_buffer.clear();
            format_rfc5424(m, self->format_buffer);
            self->enqueue(self->format_buffer, m.severity);
        });
    }

    /// Queues an already formatted RFC 5424 message (without framing).
    void send(std::string formatted, syslog_severity severity) {
        net::post(impl_->strand, [self = impl_, f = std::move(formatted), severity] {
            self->enqueue(f, severity);
        });
    }

    /// Calls `done` (on the strand) once no server has an unsent message. A server that stays
    /// unreachable keeps it waiting until stop().
    void async_flush(std::function<void()> done) {
        net::post(impl_->strand, [self = impl_, d = std::move(done)]() mutable {
            self->flush_waiters.push_back(std::move(d));
            self->check_flushed();
        });
    }

    /// Closes every connection and stops reconnecting; unsent messages are discarded. Pending
    /// flush handlers are called.
    void stop() {
        net::post(impl_->strand, [self = impl_] { self->stop(); });
    }

    std::vector<syslog_server_counters> counters() const {
        std::lock_guard lock{impl_->counters_mutex};
        std::vector<syslog_server_counters> r;
        for (const auto& s : impl_->servers)
            r.push_back(s->counters);
        return r;
    }

private:
    using tcp = net::ip::tcp;
    using udp = net::ip::udp;
    using tls_stream = net::ssl::stream<tcp::socket>;

    struct impl;

    struct server : std::enable_shared_from_this<server> {
        server(impl& owner_, std::size_t index_, syslog_server_settings s)
            : owner{owner_}
            , index{index_}
            , settings{std::move(s)}
            , tcp_resolver{owner_.strand}
            , udp_resolver{owner_.strand}
            , timer{owner_.strand}
            , deadline{owner_.strand}
            , backlog{settings.backlog_capacity,
                      settings.transport == syslog_transport::udp ? 0 : settings.replay_window}
            , wait{settings.backoff.first} {
            if (settings.port == 0) settings.port = default_port(settings.transport);
        }

        // A reference, not a shared_ptr (that would be a cycle): impl outlives every server
        // until stop() has run (the client's destructor posts it holding impl), and after
        // stop() a completion returns on its generation or `stopped` before touching owner.
        impl& owner;
        std::size_t index;
        syslog_server_settings settings;
        std::shared_ptr<net::ssl::context> context;
        tcp::resolver tcp_resolver;
        udp::resolver udp_resolver;
        net::steady_timer timer;     // backoff
        net::steady_timer deadline;  // connect timeout
        // Shared with the operations on them: a new connection's stream replaces the member
        // while the old one's aborted operations may still be completing.
        std::shared_ptr<tcp::socket> tcp_socket;
        std::shared_ptr<tls_stream> tls;
        std::shared_ptr<udp::socket> udp_socket;
        syslog_backlog backlog;
        std::string write_buffer;
        std::array<char, 512> read_buffer{};
        std::chrono::milliseconds wait;
        std::uint64_t generation = 0;  // which connection a completion belongs to
        bool connected = false;
        bool writing = false;
        bool ever_connected = false;
        bool stopped = false;
        bool closing = false;           // stop(): the connection is being closed gracefully
        bool shutdown_started = false;  // TLS: close_notify under way
        std::string last_reported;
        syslog_server_counters counters;  // guarded by owner.counters_mutex

        std::string describe() const {
            const char* t = settings.transport == syslog_transport::udp   ? "udp"
                            : settings.transport == syslog_transport::tcp ? "tcp"
                                                                          : "tls";
            return std::string{t} + " " + settings.host + ":" + std::to_string(settings.port);
        }
        const std::string& expected_name() const {
            return settings.server_name.empty() ? settings.host : settings.server_name;
        }

        template <class F>
        void update(F&& f) {
            std::lock_guard lock{owner.counters_mutex};
            f(counters);
            counters.backlog = backlog.waiting();
            counters.dropped = backlog.dropped();
        }

        void fail(std::string why) {
            update([&](syslog_server_counters& c) { c.last_error = why; });
            if (why != last_reported) {
                last_reported = why;
                if (owner.on_failure) owner.on_failure(index, describe() + ": " + why);
            }
        }

        void close_connection() {
            ++generation;
            connected = false;
            writing = false;
            closing = false;
            shutdown_started = false;
            transport::error_code ignored;
            tcp_resolver.cancel();
            udp_resolver.cancel();
            deadline.cancel();
            if (tcp_socket) tcp_socket->close(ignored);
            if (tls) tls->lowest_layer().close(ignored);
            if (udp_socket) udp_socket->close(ignored);
            update([](syslog_server_counters& c) { c.connected = false; });
        }

        /// Closes gracefully what is connected over TCP/TLS: the server must read everything
        /// written before the end. A TCP connection closed while the server still has to read
        /// can end in a reset, and rsyslog drops what a TLS connection ended without
        /// close_notify still held ("Incomplete frame at end of stream"). Bounded by
        /// connect_timeout.
        void stop() {
            if (stopped) return;
            stopped = true;
            timer.cancel();
            if (!connected || settings.transport == syslog_transport::udp) {
                close_connection();
                return;
            }
            closing = true;
            deadline.expires_after(settings.connect_timeout);
            deadline.async_wait(
                [self = shared_from_this(), gen = generation](transport::error_code ec) {
                    if (!ec && gen == self->generation) self->close_connection();
                });
            if (!writing) begin_close();  // else when the write completes
        }

        /// TCP: our FIN after the last message; the read then ends at the server's.
        /// TLS: the read is cancelled so that async_shutdown may read the server's answer.
        void begin_close() {
            transport::error_code ignored;
            if (tls)
                tls->next_layer().cancel(ignored);
            else
                tcp_socket->shutdown(tcp::socket::shutdown_send, ignored);
        }

        void closing_read_done(const transport::error_code& ec) {
            if (tls) {
                if (shutdown_started) return;
                shutdown_started = true;
                tls->async_shutdown([self = shared_from_this(), gen = generation,
                                     keep = tls](transport::error_code) {
                    if (gen == self->generation) self->close_connection();
                });
                return;
            }
            if (!ec) {
                read();  // TCP: drain until the server's end
                return;
            }
            close_connection();
        }

        void connect() {
            if (stopped) return;
            close_connection();
            const auto gen = generation;
            auto self = shared_from_this();
            deadline.expires_after(settings.connect_timeout);
            deadline.async_wait([self, gen](transport::error_code ec) {
                if (ec || gen != self->generation || self->connected) return;
                self->connect_failed("no connection within " +
                                     std::to_string(self->settings.connect_timeout.count()) +
                                     " ms");
            });
            if (settings.transport == syslog_transport::udp) {
                udp_resolver.async_resolve(
                    settings.host, std::to_string(settings.port),
                    [self, gen](transport::error_code ec, udp::resolver::results_type r) {
                        if (gen != self->generation) return;
                        if (ec || r.empty()) {
                            self->connect_failed("resolve: " + ec.message());
                            return;
                        }
                        self->udp_socket = std::make_shared<udp::socket>(self->owner.strand);
                        transport::error_code e;
                        const auto endpoint = r.begin()->endpoint();
                        self->udp_socket->open(endpoint.protocol(), e);
                        if (!e) self->udp_socket->connect(endpoint, e);
                        if (e) {
                            self->connect_failed("socket: " + e.message());
                            return;
                        }
                        self->connected_now();
                    });
                return;
            }
            tcp::socket* socket = nullptr;
            std::shared_ptr<void> keep;
            if (settings.transport == syslog_transport::tls) {
                tls = std::make_shared<tls_stream>(owner.strand, *context);
                socket = &tls->next_layer();
                keep = tls;
            } else {
                tcp_socket = std::make_shared<tcp::socket>(owner.strand);
                socket = tcp_socket.get();
                keep = tcp_socket;
            }
            transport::async_connect_to(
                *socket, tcp_resolver, transport::host_port{settings.host, settings.port},
                [self, gen, keep](transport::error_code ec, const tcp::endpoint&) {
                    if (gen != self->generation) return;
                    if (ec) {
                        self->connect_failed("connect: " + ec.message());
                        return;
                    }
                    if (self->settings.transport == syslog_transport::tcp) {
                        self->connected_now();
                        return;
                    }
                    self->handshake(gen);
                });
        }

        void handshake(std::uint64_t gen) {
            WOLFSSL* ssl = tls->native_handle();
            const std::string& name = expected_name();
            // SNI, and the name the certificate must carry (wolfSSL checks it in the handshake).
            if (wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, name.data(),
                               static_cast<unsigned short>(name.size())) != WOLFSSL_SUCCESS ||
                wolfSSL_check_domain_name(ssl, name.c_str()) != WOLFSSL_SUCCESS) {
                connect_failed("tls: the expected server name '" + name + "' was refused");
                return;
            }
            auto self = shared_from_this();
            tls->async_handshake(
                net::ssl::stream_base::client, [self, gen, keep = tls](transport::error_code ec) {
                    if (gen != self->generation) return;
                    if (ec) {
                        self->connect_failed("tls handshake: " + self->handshake_failure(ec));
                        return;
                    }
                    self->connected_now();
                });
        }

        std::string handshake_failure(const transport::error_code& ec) {
            WOLFSSL* ssl = tls->native_handle();
            switch (wolfSSL_get_error(ssl, 0)) {
                case DOMAIN_NAME_MISMATCH:
                    return "the server's certificate is not for '" + expected_name() + "'";
                case ASN_NO_SIGNER_E:
                    return "the server's certificate is from an unknown CA";
                case ASN_AFTER_DATE_E:
                    return "the server's certificate expired";
                case ASN_BEFORE_DATE_E:
                    return "the server's certificate is not yet valid";
                default:
                    return tls::describe_error(*tls, ec);
            }
        }

        void connect_failed(std::string why) {
            if (stopped) return;
            close_connection();
            fail(std::move(why));
            timer.expires_after(wait);
            wait = std::min(wait * 2, settings.backoff.max);
            timer.async_wait([self = shared_from_this()](transport::error_code ec) {
                if (!ec) self->connect();
            });
        }

        void connected_now() {
            deadline.cancel();
            connected = true;
            wait = settings.backoff.first;
            last_reported.clear();
            const bool again = ever_connected;
            ever_connected = true;
            update([again](syslog_server_counters& c) {
                c.connected = true;
                if (again) ++c.reconnects;
            });
            if (settings.transport != syslog_transport::udp) read();
            write();
        }

        /// A syslog server sends nothing (TLS records aside); the read's end is the connection's.
        void read() {
            auto self = shared_from_this();
            const auto gen = generation;
            std::shared_ptr<void> keep =
                tls ? std::shared_ptr<void>{tls} : std::shared_ptr<void>{tcp_socket};
            auto on_read = [self, gen, keep](transport::error_code ec, std::size_t) {
                if (gen != self->generation) return;
                if (self->closing) {
                    self->closing_read_done(ec);
                    return;
                }
                if (!ec) {
                    self->read();
                    return;
                }
                self->lost("connection closed by the server (" + ec.message() + ")");
            };
            if (tls)
                tls->async_read_some(net::buffer(read_buffer), std::move(on_read));
            else
                tcp_socket->async_read_some(net::buffer(read_buffer), std::move(on_read));
        }

        void lost(std::string why) {
            backlog.connection_lost();
            connect_failed(std::move(why));
        }

        void write() {
            if (!connected || writing || stopped || backlog.pending() == 0) return;
            write_buffer.clear();
            const bool datagram = settings.transport == syslog_transport::udp;
            backlog.begin_write(write_buffer, datagram ? 0 : 65536, datagram ? 1 : 4096);
            if (datagram && write_buffer.size() > settings.max_datagram) {
                write_buffer.resize(settings.max_datagram);
                update([](syslog_server_counters& c) { ++c.truncated; });
            }
            writing = true;
            auto self = shared_from_this();
            const auto gen = generation;
            std::shared_ptr<void> keep = datagram ? std::shared_ptr<void>{udp_socket}
                                         : tls    ? std::shared_ptr<void>{tls}
                                                  : std::shared_ptr<void>{tcp_socket};
            auto done = [self, gen, keep](transport::error_code ec, std::size_t) {
                if (gen != self->generation) return;
                self->writing = false;
                if (self->closing) {
                    self->begin_close();
                    return;
                }
                if (ec) {
                    if (self->settings.transport == syslog_transport::udp) {
                        // A refused datagram (e.g. ICMP port unreachable) is lost: UDP
                        // promises nothing more; the socket stays.
                        self->backlog.write_failed_drop();
                        self->fail("send: " + ec.message());
                        self->write();
                        self->owner.check_flushed();
                        return;
                    }
                    self->lost("write: " + ec.message());
                    return;
                }
                const auto n = self->backlog.write_done();
                self->update([n](syslog_server_counters& c) { c.sent += n; });
                self->write();
                self->owner.check_flushed();
            };
            if (datagram)
                udp_socket->async_send(net::buffer(write_buffer), std::move(done));
            else if (tls)
                net::async_write(*tls, net::buffer(write_buffer), std::move(done));
            else
                net::async_write(*tcp_socket, net::buffer(write_buffer), std::move(done));
        }

        void enqueue(std::string_view message, syslog_severity severity) {
            if (stopped) return;
            if (!at_least(severity, settings.minimum_severity)) {
                update([](syslog_server_counters& c) { ++c.filtered; });
                return;
            }
            std::string bytes;
            if (settings.transport == syslog_transport::udp)
                bytes.assign(message);
            else
                append_octet_counted(message, bytes);
            backlog.push(std::move(bytes));
            update([](syslog_server_counters&) {});
            write();
        }

        bool flushed() const { return backlog.waiting() == 0; }
    };

    struct impl {
        impl(net::any_io_executor executor, std::vector<syslog_server_settings> settings_,
             syslog_failure_handler failure)
            : strand{net::make_strand(std::move(executor))}
            , settings{std::move(settings_)}
            , on_failure{std::move(failure)} {}

        std::string prepare() {
            if (settings.empty()) return "syslog: no server";
            if (settings.size() > max_servers)
                return "syslog: " + std::to_string(settings.size()) + " servers, at most " +
                       std::to_string(max_servers);
            std::vector<std::shared_ptr<server>> made;
            for (std::size_t i = 0; i < settings.size(); ++i) {
                const auto& s = settings[i];
                const std::string where = "syslog server " + std::to_string(i + 1) + ": ";
                if (s.host.empty()) return where + "host is empty";
                if (s.backlog_capacity == 0) return where + "backlog capacity is 0";
                if (s.transport == syslog_transport::udp && (s.max_datagram < 480))
                    return where + "max_datagram below 480 (RFC 5426's minimum)";
                if (s.backoff.first.count() <= 0 || s.backoff.max < s.backoff.first)
                    return where + "backoff must be positive and its maximum not below the first";
                auto srv = std::make_shared<server>(*this, i, s);
                if (s.transport == syslog_transport::tls) {
                    auto r = tls::make_client_context(s.tls);
                    if (!r) return where + "tls: " + r.error;
                    srv->context = std::make_shared<net::ssl::context>(std::move(*r.context));
                }
                made.push_back(std::move(srv));
            }
            std::lock_guard lock{counters_mutex};
            servers = std::move(made);
            return {};
        }

        void enqueue(std::string_view message, syslog_severity severity) {
            for (auto& s : servers)
                s->enqueue(message, severity);
        }

        void check_flushed() {
            if (flush_waiters.empty()) return;
            for (const auto& s : servers) {
                if (!s->flushed() && !s->stopped) return;
            }
            auto waiters = std::move(flush_waiters);
            flush_waiters.clear();
            for (auto& w : waiters)
                w();
        }

        void stop() {
            for (auto& s : servers)
                s->stop();
            check_flushed();
        }

        net::strand<net::any_io_executor> strand;
        std::vector<syslog_server_settings> settings;
        syslog_failure_handler on_failure;
        std::vector<std::shared_ptr<server>> servers;
        std::vector<std::function<void()>> flush_waiters;
        std::string format_buffer;
        mutable std::mutex counters_mutex;
    };

    std::shared_ptr<impl> impl_;
};

}  // namespace gw::audit
