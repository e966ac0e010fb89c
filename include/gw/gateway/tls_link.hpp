#pragma once
// A connection to a downstream Modbus/TCP Security device: TCP, then a TLS handshake as the
// client (gw's certificate gives it its role at the device; the device's certificate is checked
// against the plan's CA and name). To the channel driver it is a link like tcp_link: open()
// completes with (error_code, why) once the handshake is done or failed, within the plan's
// connect timeout, which covers resolution, connect and handshake together.

#if !defined(GW_ASIO_SSL)
#error "gw/gateway/tls_link.hpp needs GW_ASIO_SSL: link gw::asio_tls or gw::boost_asio_tls"
#endif

#include <gw/gateway/gateway_plan.hpp>
#include <gw/router/channel_options.hpp>
#include <gw/tls/context.hpp>
#include <gw/transport/asio.hpp>
#include <gw/transport/tcp_connect.hpp>
#include <gw/transport/tcp_options.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gw::gateway {

/// The client context of a TLS channel, or why it cannot be made ("channel 'x': tls: ...").
inline tls::context_result make_channel_context(const std::string& channel,
                                                const tls_client_plan& plan) {
    tls::client_settings s;
    s.ca_file = plan.ca;
    s.certificate_chain_file = plan.certificate;
    s.private_key_file = plan.private_key;
    auto r = tls::make_client_context(s);
    if (!r) r.error = "channel '" + channel + "': tls: " + r.error;
    return r;
}

class tls_link {
public:
    using stream_type = net::ssl::stream<net::ip::tcp::socket>;

    /// `context` is shared by the link's successive connections (and keeps their sessions).
    tls_link(const net::any_io_executor& executor, tcp_link_plan plan,
             std::shared_ptr<net::ssl::context> context)
        : executor_{executor}
        , resolver_{executor}
        , deadline_{executor}
        , plan_{std::move(plan)}
        , context_{std::move(context)} {}
    tls_link(tls_link&&) noexcept = default;
    tls_link& operator=(tls_link&&) = delete;
    tls_link(const tls_link&) = delete;
    tls_link& operator=(const tls_link&) = delete;
    ~tls_link() { close(); }

    template <class Handler>
    void open(const router::channel_options& options, Handler&& handler) {
        close();
        keepalive_ = transport::keepalive_for(options.response_timeout);
        // A TLS stream is not reused after a failure or close: each connection gets a new one.
        // The driver reopens only after its backoff, when the old stream's aborted operations
        // have completed.
        stream_.emplace(executor_, *context_);
        auto attempt = std::make_shared<attempt_state>();
        attempt_ = attempt;
        deadline_.expires_after(plan_.connect_timeout);
        deadline_.async_wait([this, attempt](transport::error_code ec) {
            if (ec || attempt->over) return;
            attempt->timed_out = true;
            abort();
        });
        auto done = [this, attempt, h = std::forward<Handler>(handler)](transport::error_code ec,
                                                                        std::string why) mutable {
            attempt->over = true;
            deadline_.cancel();
            if (attempt->timed_out) {
                ec = net::error::timed_out;
                why = describe() + ": no TLS connection within " +
                      std::to_string(plan_.connect_timeout.count()) + " ms";
            }
            if (ec) abort();
            h(ec, why);
        };
        transport::async_connect_to(
            stream_->next_layer(), resolver_, transport::host_port{plan_.host, plan_.port},
            [this, attempt, done = std::move(done)](transport::error_code ec,
                                                    const net::ip::tcp::endpoint&) mutable {
                if (ec || attempt->timed_out) {
                    done(ec, describe() + ": connect: " + ec.message());
                    return;
                }
                if (auto r = transport::configure_socket(stream_->next_layer(), keepalive_); !r) {
                    done(r.error, describe() + ": " + r.message);
                    return;
                }
                if (auto why = expect_name(); !why.empty()) {
                    done(net::error::invalid_argument, describe() + ": " + why);
                    return;
                }
                stream_->async_handshake(
                    net::ssl::stream_base::client,
                    [this, done = std::move(done)](transport::error_code hs) mutable {
                        if (hs) {
                            done(hs, describe() + ": handshake: " + handshake_failure(hs));
                            return;
                        }
                        done({}, {});
                    });
            });
    }
    stream_type& stream() noexcept { return *stream_; }
    /// A read that fails right after a TLS 1.3 handshake is usually the device's verdict on
    /// gw's certificate, sent as an alert after the client finished: name it.
    std::string error_text(const transport::error_code& ec) {
        WOLFSSL_ALERT_HISTORY h{};
        if (stream_ && wolfSSL_get_alert_history(stream_->native_handle(), &h) == WOLFSSL_SUCCESS) {
            switch (h.last_rx.code) {
                case certificate_required:
                    return "the device requires a client certificate (TLS alert "
                           "certificate_required)";
                case unknown_ca:
                    return "the device does not know gw's certificate's CA (TLS alert unknown_ca)";
                case bad_certificate:
                case certificate_revoked:
                case certificate_expired:
                case certificate_unknown:
                    return "the device refused gw's certificate (TLS alert " +
                           std::to_string(h.last_rx.code) + ")";
                default:
                    break;
            }
        }
        return ec.message();
    }
    void close() {
        if (attempt_) attempt_->over = true;
        deadline_.cancel();
        abort();
    }
    std::string describe() const { return "tls " + plan_.host + ":" + std::to_string(plan_.port); }
    const std::vector<std::string>& warnings() const noexcept { return no_warnings_; }
    std::uint16_t reconnect_after_timeouts() const noexcept {
        return plan_.reconnect_after_timeouts;
    }
    const tcp_link_plan& plan() const noexcept { return plan_; }

private:
    struct attempt_state {
        bool over = false;
        bool timed_out = false;
    };

    const std::string& server_name() const noexcept {
        return plan_.tls.server_name.empty() ? plan_.host : plan_.tls.server_name;
    }

    /// The device's certificate must carry the name (wolfSSL checks it in the handshake).
    std::string expect_name() {
        WOLFSSL* ssl = stream_->native_handle();
        if (wolfSSL_check_domain_name(ssl, server_name().c_str()) != WOLFSSL_SUCCESS)
            return "tls: the expected server name '" + server_name() + "' was refused";
        return {};
    }

    std::string handshake_failure(const transport::error_code& ec) {
        WOLFSSL* ssl = stream_->native_handle();
        switch (wolfSSL_get_error(ssl, 0)) {
            case DOMAIN_NAME_MISMATCH:
                return "the device's certificate is not for '" + server_name() + "'";
            case ASN_NO_SIGNER_E:
                return "the device's certificate is from an unknown CA";
            case ASN_AFTER_DATE_E:
                return "the device's certificate expired";
            case ASN_BEFORE_DATE_E:
                return "the device's certificate is not yet valid";
            default:
                return ec.message();
        }
    }

    void abort() {
        transport::error_code ignored;
        resolver_.cancel();
        if (stream_) stream_->lowest_layer().close(ignored);
    }

    net::any_io_executor executor_;
    net::ip::tcp::resolver resolver_;
    net::steady_timer deadline_;
    tcp_link_plan plan_;
    std::shared_ptr<net::ssl::context> context_;
    std::optional<stream_type> stream_;
    transport::tcp_keepalive keepalive_{};
    std::shared_ptr<attempt_state> attempt_;
    std::vector<std::string> no_warnings_;
};

}  // namespace gw::gateway
