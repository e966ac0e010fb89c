#pragma once
// The management console's HTTPS server: Boost.Beast over wolfSSL, on the gateway's io_context.
// It knows HTTP, TLS and the bounds, not the API: every request that parses goes to a handler,
// which answers through a callback (at once, or later, once a worker has hashed a password).
//
// Bounds (server_limits): header and body sizes (431 and 413 beyond them), a handshake
// deadline, a deadline per request read (a client that trickles bytes is closed), requests per
// connection, and the connections at once (a further one is closed at accept and counted).
// Every answer carries the security headers (security_headers below).
//
// Beast needs Boost.Asio: build with GW_USE_BOOST_ASIO and GW_ASIO_SSL (gw::boost_asio_tls).

#include <gw/gateway/peer_address.hpp>
#include <gw/mgmt/request_parsing.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/transport/asio.hpp>

#if !defined(GW_USE_BOOST_ASIO) || !defined(GW_ASIO_SSL)
#error "gw/mgmt needs Boost.Asio with TLS: link gw::boost_asio_tls"
#endif

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace gw::mgmt {

namespace beast = ::boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// The bounds every connection runs with; the config's management keys set some of them.
struct server_limits {
    std::size_t header_bytes = max_header_bytes;
    std::size_t body_bytes = max_body_bytes;
    std::chrono::milliseconds handshake{10'000};
    /// From the moment the server waits for a request until it has read all of it: an idle
    /// keep-alive connection is closed after this long too.
    std::chrono::milliseconds request{15'000};
    std::chrono::milliseconds write{15'000};
    std::size_t max_connections = 16;
    std::size_t requests_per_connection = 10'000;
};

/// A response that goes on (server-sent events, text/event-stream): the connection is the
/// stream's until it ends, and carries no further request.
class event_stream {
public:
    virtual ~event_stream() = default;
    /// Queues `event` (whole SSE events: "id: 7\ndata: ...\n\n"). False once the stream has
    /// ended (the client went, a write failed or took longer than the write deadline, the
    /// queue was full, or the server stopped): forget the stream then. A client too slow for
    /// max_stream_queue events is cut off; EventSource reconnects with Last-Event-ID.
    virtual bool send(std::string event) = 0;
    virtual void close() = 0;
    virtual bool open() const = 0;
};
inline constexpr std::size_t max_stream_queue = 256;

/// Where a request came from.
struct request_context {
    tcp::endpoint peer;
    bool loopback = false;  ///< 127.0.0.0/8 or ::1 (or ::ffff:127.x)
    /// Instead of answering: sends `head` (its status and headers; Content-Type should be
    /// text/event-stream) and returns the stream the rest goes to. Once per request, on the io
    /// thread, in place of respond.
    std::function<std::shared_ptr<event_stream>(http::response_header<>)> open_stream;
};

/// Answers a request. Call it exactly once, on the io thread.
using respond_fn = std::function<void(http_response)>;
using handler_fn = std::function<void(http_request&&, const request_context&, respond_fn)>;
/// Whether a source address may connect at all (the accessible IP list); empty: everyone.
using admit_fn = std::function<bool(const net::ip::address&)>;

/// What the server counted (the console's status).
struct server_counters {
    std::uint64_t accepted = 0;
    std::uint64_t refused_capacity = 0;  ///< closed at accept: max_connections open
    std::uint64_t refused_address = 0;   ///< closed at accept: admit() said no
    std::uint64_t handshake_failures = 0;
    std::uint64_t requests = 0;
    std::uint64_t bad_requests = 0;  ///< unparsable, too large, or too slow
};

inline bool is_loopback(const net::ip::address& a) noexcept {
    if (a.is_v4()) return a.to_v4().is_loopback();
    const auto v6 = a.to_v6();
    if (v6.is_loopback()) return true;
    return v6.is_v4_mapped() && net::ip::make_address_v4(net::ip::v4_mapped, v6).is_loopback();
}

/// An address as the policies and audit records hold it (an IPv4-mapped one as IPv4).
inline policy::ip_address policy_address(const net::ip::address& a) {
    return gateway::unmapped(gateway::to_policy_address(a));
}

/// The headers of every answer: no script but the console's own, no framing, no sniffing, no
/// referrer, HTTPS only from now on, and nothing cached (answers carry sessions and secrets).
inline void security_headers(http_response& r) {
    r.set(http::field::server, "gw");
    r.set(http::field::strict_transport_security, "max-age=31536000");
    r.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    r.set("X-Frame-Options", "DENY");
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Referrer-Policy", "no-referrer");
    r.set("Cross-Origin-Opener-Policy", "same-origin");
    r.set("Cross-Origin-Resource-Policy", "same-origin");
    if (r.find(http::field::cache_control) == r.end())
        r.set(http::field::cache_control, "no-store");
}

/// A small answer with a JSON `{"error": ...}` body (the text must be JSON-safe: callers pass
/// fixed words; see json_error in management_api.hpp for text from elsewhere).
inline http_response plain_error(http::status status, unsigned version, std::string_view what) {
    http_response r{status, version};
    r.set(http::field::content_type, "application/json");
    r.body() = "{\"error\":\"" + std::string{what} + "\"}";
    r.keep_alive(false);
    r.prepare_payload();
    return r;
}

namespace detail {

class https_connection;

}  // namespace detail

class https_server {
public:
    https_server(net::io_context& io, net::ssl::context& tls, server_limits limits,
                 handler_fn handler, admit_fn admit = {})
        : io_{io}
        , tls_{&tls}
        , limits_{limits}
        , handler_{std::move(handler)}
        , admit_{std::move(admit)} {}
    https_server(const https_server&) = delete;
    https_server& operator=(const https_server&) = delete;
    ~https_server() { stop(); }

    /// Starts listening at `at`; "" or why not (address in use, ...). Several may be open.
    std::string listen(const tcp::endpoint& at) {
        auto acceptor = std::make_unique<tcp::acceptor>(io_);
        transport::error_code ec;
        acceptor->open(at.protocol(), ec);
        if (!ec) acceptor->set_option(net::socket_base::reuse_address{true}, ec);
        if (!ec && at.address().is_v6()) acceptor->set_option(net::ip::v6_only{true}, ec);
        if (!ec) acceptor->bind(at, ec);
        if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
        if (ec)
            return "listen " + at.address().to_string() + ":" + std::to_string(at.port()) + ": " +
                   ec.message();
        acceptors_.push_back(std::move(acceptor));
        accept(*acceptors_.back());
        stopped_ = false;
        return {};
    }

    /// The endpoints listened at (port 0 resolved), in listen() order.
    std::vector<tcp::endpoint> endpoints() const {
        std::vector<tcp::endpoint> out;
        for (const auto& a : acceptors_) {
            transport::error_code ec;
            out.push_back(a->local_endpoint(ec));
        }
        return out;
    }

    /// Closes the listeners and every connection (requests in flight are dropped).
    void stop();

    /// Closes the listeners only: open connections go on (moving to other addresses).
    void close_listeners() {
        for (auto& a : acceptors_) {
            transport::error_code ignored;
            a->close(ignored);
        }
        retired_.insert(retired_.end(), std::make_move_iterator(acceptors_.begin()),
                        std::make_move_iterator(acceptors_.end()));
        acceptors_.clear();
    }

    /// Told of every failed TLS handshake (a scanner, a client that does not trust the
    /// certificate, a deadline); io thread, must not block.
    void on_handshake_failure(
        std::function<void(const tcp::endpoint&, const transport::error_code&)> f) {
        on_handshake_failure_ = std::move(f);
    }

    /// New connections handshake with `tls` (a replaced certificate); open ones keep theirs,
    /// so the caller keeps the old context alive as long as the server.
    void set_tls(net::ssl::context& tls) noexcept { tls_ = &tls; }

    std::size_t connections() const noexcept { return connections_.size(); }
    const server_counters& counters() const noexcept { return counters_; }
    const server_limits& limits() const noexcept { return limits_; }

private:
    friend class detail::https_connection;

    void accept(tcp::acceptor& acceptor) {
        acceptor.async_accept(
            [this, &acceptor](const transport::error_code& ec, tcp::socket socket) {
                if (ec == net::error::operation_aborted || stopped_) return;
                if (!ec) on_accepted(std::move(socket));
                // EMFILE and the like: the next accept may succeed once a connection closes.
                accept(acceptor);
            });
    }

    void on_accepted(tcp::socket socket);

    void forget(std::uint64_t id) noexcept { connections_.erase(id); }

    net::io_context& io_;
    net::ssl::context* tls_;  ///< for new connections (set_tls swaps it)
    server_limits limits_;
    handler_fn handler_;
    admit_fn admit_;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
    /// Closed acceptors whose cancelled accept may still be queued: kept until the server goes.
    std::vector<std::unique_ptr<tcp::acceptor>> retired_;
    std::unordered_map<std::uint64_t, std::weak_ptr<detail::https_connection>> connections_;
    std::uint64_t next_id_ = 0;
    server_counters counters_;
    std::function<void(const tcp::endpoint&, const transport::error_code&)> on_handshake_failure_;
    bool stopped_ = false;
};

namespace detail {

/// One HTTPS connection: handshake, then requests one at a time (no pipelining: the next read
/// starts once the answer is written), each answered by the server's handler.
class https_connection : public std::enable_shared_from_this<https_connection>,
                         public event_stream {
public:
    https_connection(https_server& server, std::uint64_t id, tcp::socket socket,
                     request_context context)
        : server_{server}
        , id_{id}
        , stream_{std::move(socket), *server.tls_}
        , context_{std::move(context)} {}

    ~https_connection() override {
        if (!server_gone_) server_.forget(id_);
    }

    // ---- event_stream (after open_stream)
    bool send(std::string event) override {
        if (!streaming_ || stream_ended_ || server_gone_) return false;
        if (pending_.size() >= max_stream_queue) {
            close();
            return false;
        }
        pending_.push_back(std::move(event));
        if (!stream_writing_) write_stream();
        return true;
    }
    void close() override { end_stream(); }
    bool open() const override { return streaming_ && !stream_ended_ && !server_gone_; }

    void start() {
        beast::get_lowest_layer(stream_).expires_after(server_.limits_.handshake);
        stream_.async_handshake(net::ssl::stream_base::server,
                                [self = shared_from_this()](const transport::error_code& ec) {
                                    self->on_handshake(ec);
                                });
    }

    /// The server stops: close at once (the handlers' answers find a closed stream).
    void server_stopped() noexcept {
        server_gone_ = true;
        transport::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

private:
    void on_handshake(const transport::error_code& ec) {
        if (ec) {
            if (!server_gone_) {
                ++server_.counters_.handshake_failures;
                if (server_.on_handshake_failure_) server_.on_handshake_failure_(context_.peer, ec);
            }
            return;
        }
        read_request();
    }

    void read_request() {
        if (server_gone_) return;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.header_bytes));
        parser_->body_limit(server_.limits_.body_bytes);
        beast::get_lowest_layer(stream_).expires_after(server_.limits_.request);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](const transport::error_code& ec, std::size_t) {
                             self->on_read(ec);
                         });
    }

    void on_read(const transport::error_code& ec) {
        if (server_gone_) return;
        if (ec == http::error::end_of_stream || ec == net::ssl::error::stream_truncated ||
            ec == net::error::eof) {
            shutdown();
            return;
        }
        if (ec) {
            // Answer what the client can act on, then close; a timeout or a reset gets nothing.
            ++server_.counters_.bad_requests;
            if (ec == http::error::header_limit) {
                write(plain_error(http::status::request_header_fields_too_large, 11,
                                  "request header too large"),
                      false);
            } else if (ec == http::error::body_limit) {
                write(plain_error(http::status::payload_too_large, 11, "request body too large"),
                      false);
            } else if (ec.category() ==
                       http::make_error_code(http::error::end_of_stream).category()) {
                write(plain_error(http::status::bad_request, 11, "malformed request"), false);
            }
            return;
        }
        ++server_.counters_.requests;
        ++requests_;
        auto request = parser_->release();
        const bool keep_alive =
            request.keep_alive() && requests_ < server_.limits_.requests_per_connection;
        // No deadline while the handler works (a login waits for the hashing worker).
        beast::get_lowest_layer(stream_).expires_never();
        auto self = shared_from_this();
        const unsigned version = request.version();
        request_context context = context_;
        context.open_stream = [self, version](http::response_header<> head) {
            self->begin_stream(std::move(head), version);
            return std::shared_ptr<event_stream>{self};
        };
        server_.handler_(std::move(request), context,
                         [self, keep_alive, version](http_response response) {
                             response.version(version);
                             self->write(std::move(response), keep_alive);
                         });
    }

    /// The head of a response whose body goes on until the connection closes (no length, no
    /// keep-alive): then the queued events, one write at a time, each under the write deadline.
    /// A read stays pending to see the client go (it sends nothing; anything it sends ends it).
    void begin_stream(http::response_header<> head, unsigned version) {
        if (server_gone_) return;
        streaming_ = true;
        http_response h{head.result(), version};
        for (const auto& f : head)
            h.set(f.name_string(), f.value());
        security_headers(h);
        h.set(http::field::connection, "close");
        h.erase(http::field::content_length);
        std::string text = "HTTP/1." + std::to_string(version % 10) + " " +
                           std::to_string(h.result_int()) + " " + std::string{h.reason()} + "\r\n";
        for (const auto& f : h) {
            text += f.name_string();
            text += ": ";
            text += f.value();
            text += "\r\n";
        }
        text += "\r\n";
        pending_.push_front(std::move(text));
        abort_when_unacknowledged();
        write_stream();
        watch_client();
    }

    /// A viewer that vanished without a FIN (cable pulled, laptop closed) acknowledges nothing:
    /// the kernel then gives up on the connection after the write deadline (TCP_USER_TIMEOUT)
    /// instead of retransmitting for a quarter of an hour, and the pending read ends the stream,
    /// so its viewer slot is free again. The keep-alive comments make sure data is in flight.
    void abort_when_unacknowledged() {
#ifdef TCP_USER_TIMEOUT
        const auto ms = static_cast<unsigned>(server_.limits_.write.count());
        (void)::setsockopt(beast::get_lowest_layer(stream_).socket().native_handle(), IPPROTO_TCP,
                           TCP_USER_TIMEOUT, &ms, sizeof ms);
#endif
    }

    void write_stream() {
        if (stream_ended_ || server_gone_ || pending_.empty()) {
            stream_writing_ = false;
            return;
        }
        stream_writing_ = true;
        beast::get_lowest_layer(stream_).expires_after(server_.limits_.write);
        net::async_write(stream_, net::buffer(pending_.front()),
                         [self = shared_from_this()](const transport::error_code& ec, std::size_t) {
                             if (ec) {
                                 self->end_stream();
                                 return;
                             }
                             self->pending_.pop_front();
                             if (self->pending_.empty())
                                 beast::get_lowest_layer(self->stream_).expires_never();
                             self->write_stream();
                         });
    }

    void watch_client() {
        stream_.async_read_some(net::buffer(client_bytes_),
                                [self = shared_from_this()](const transport::error_code&,
                                                            std::size_t) { self->end_stream(); });
    }

    void end_stream() {
        if (stream_ended_) return;
        stream_ended_ = true;
        pending_.clear();
        transport::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    void write(http_response response, bool keep_alive) {
        if (server_gone_) return;
        response.keep_alive(keep_alive && response.keep_alive());
        security_headers(response);
        response.prepare_payload();
        response_ = std::make_unique<http_response>(std::move(response));
        beast::get_lowest_layer(stream_).expires_after(server_.limits_.write);
        http::async_write(
            stream_, *response_,
            [self = shared_from_this()](const transport::error_code& ec, std::size_t) {
                if (ec || self->server_gone_) return;
                if (self->response_->keep_alive()) {
                    self->read_request();
                } else {
                    self->shutdown();
                }
            });
    }

    void shutdown() {
        beast::get_lowest_layer(stream_).expires_after(server_.limits_.handshake);
        stream_.async_shutdown([self = shared_from_this()](const transport::error_code&) {
            transport::error_code ignored;
            beast::get_lowest_layer(self->stream_).socket().close(ignored);
        });
    }

    https_server& server_;
    std::uint64_t id_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    request_context context_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::unique_ptr<http_response> response_;
    std::size_t requests_ = 0;
    bool server_gone_ = false;
    // A streamed response (server-sent events).
    bool streaming_ = false;
    bool stream_writing_ = false;
    bool stream_ended_ = false;
    std::deque<std::string> pending_;
    std::array<char, 64> client_bytes_{};
};

}  // namespace detail

inline void https_server::on_accepted(tcp::socket socket) {
    transport::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    if (admit_ && !admit_(peer.address())) {
        ++counters_.refused_address;
        socket.close(ec);
        return;
    }
    if (connections_.size() >= limits_.max_connections) {
        ++counters_.refused_capacity;
        socket.close(ec);
        return;
    }
    ++counters_.accepted;
    socket.set_option(tcp::no_delay{true}, ec);
    const auto id = next_id_++;
    auto connection = std::make_shared<detail::https_connection>(
        *this, id, std::move(socket), request_context{peer, is_loopback(peer.address()), {}});
    connections_.emplace(id, connection);
    connection->start();
}

inline void https_server::stop() {
    stopped_ = true;
    close_listeners();
    // close() marks each connection so that its destructor does not touch this server.
    auto open = std::move(connections_);
    connections_.clear();
    for (auto& [id, weak] : open) {
        if (auto c = weak.lock()) c->server_stopped();
    }
}

}  // namespace gw::mgmt
