// gw/tls/context.hpp, mutual TLS (Modbus/TCP Security): real handshakes over loopback between a
// gw server context with a client CA and wolfSSL clients holding the certificates of
// tests/tls/make_pki.sh. Each case checks what the server decided (handshake refused with a
// readable reason, or the identity read from the certificate) and, for resumption, that a
// resumed session gets the identity of its full handshake.
//
// Nothing sleeps: the io_context runs until both ends completed; a watchdog bounds a hang.
#include <gw/tls/context.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace {

namespace net = gw::net;
using gw::transport::error_code;
using tls_stream = net::ssl::stream<net::ip::tcp::socket>;

std::string ca_pki(const std::string& file) {
    return std::string{GW_TEST_MTLS_PKI_DIR} + "/" + file;
}

gw::tls::server_settings mtls_server(std::string crl = {}) {
    gw::tls::server_settings s;
    s.certificate_chain_file = ca_pki("server.crt");
    s.private_key_file = ca_pki("server.key");
    s.client_ca_file = ca_pki("ca.crt");
    s.crl_file = std::move(crl);
    return s;
}

gw::tls::client_settings client_with(const std::string& name) {
    gw::tls::client_settings c;
    c.ca_file = ca_pki("ca.crt");
    if (!name.empty()) {
        c.certificate_chain_file = ca_pki(name + ".crt");
        c.private_key_file = ca_pki(name + ".key");
    }
    return c;
}

using cache_type = gw::tls::session_identity_cache<16>;

struct outcome {
    bool server_ok = false;
    bool client_ok = false;
    bool reused = false;
    std::string reason;  ///< the server's, when it refused
    gw::tls::peer_identity_result identity;
    WOLFSSL_SESSION* session = nullptr;  ///< the client's, for resumption (caller frees)
};

/// One handshake on loopback: the server side as the gateway runs it (handshake, then
/// read_peer_identity), the client side optionally resuming `resume`. After the handshake the
/// server sends one byte and the client reads it, so that a TLS 1.3 ticket has arrived.
outcome handshake(net::ssl::context& server_ctx, net::ssl::context& client_ctx, cache_type& cache,
                  WOLFSSL_SESSION* resume = nullptr) {
    net::io_context io;
    net::ip::tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
    outcome out;
    int pending = 2;
    std::optional<tls_stream> server;
    tls_stream client{net::ip::tcp::socket{io}, client_ctx};
    std::array<char, 1> byte{'x'};
    std::array<char, 1> got{};
    if (resume != nullptr) REQUIRE(wolfSSL_set_session(client.native_handle(), resume) == 1);

    acceptor.async_accept([&](error_code ec, net::ip::tcp::socket s) {
        REQUIRE_FALSE(ec);
        server.emplace(std::move(s), server_ctx);
        server->async_handshake(net::ssl::stream_base::server, [&](error_code hs) {
            if (hs) {
                out.reason = gw::tls::handshake_failure_reason(server->native_handle(), hs);
                --pending;
                error_code ignored;
                server->lowest_layer().close(ignored);
                return;
            }
            out.server_ok = true;
            out.reused = wolfSSL_session_reused(server->native_handle()) != 0;
            out.identity = gw::tls::read_peer_identity(server->native_handle(), cache);
            net::async_write(*server, net::buffer(byte),
                             [&](error_code, std::size_t) { --pending; });
        });
    });
    client.lowest_layer().async_connect(acceptor.local_endpoint(), [&](error_code ec) {
        REQUIRE_FALSE(ec);
        client.async_handshake(net::ssl::stream_base::client, [&](error_code hs) {
            if (hs) {
                --pending;
                return;
            }
            net::async_read(client, net::buffer(got), [&](error_code rd, std::size_t) {
                out.client_ok = !rd;
                if (!rd) out.session = wolfSSL_get1_session(client.native_handle());
                --pending;
            });
        });
    });
    bool expired = false;
    net::steady_timer watchdog{io};
    watchdog.expires_after(std::chrono::seconds{15});
    watchdog.async_wait([&](error_code ec) { expired = !ec; });
    while (pending > 0 && !expired)
        io.run_one();
    REQUIRE_FALSE_MESSAGE(expired, "handshake did not complete");
    return out;
}

net::ssl::context server_context(const gw::tls::server_settings& s) {
    auto r = gw::tls::make_server_context(s);
    REQUIRE_MESSAGE(r, r.error);
    return std::move(*r.context);
}

net::ssl::context client_context(const gw::tls::client_settings& c) {
    auto r = gw::tls::make_client_context(c);
    REQUIRE_MESSAGE(r, r.error);
    return std::move(*r.context);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("mtls: a client certificate with a role is accepted and its role read") {
    auto server = server_context(mtls_server());
    cache_type cache;
    for (const char* name : {"operator", "viewer"}) {
        CAPTURE(name);
        auto client = client_context(client_with(name));
        auto out = handshake(server, client, cache);
        REQUIRE_MESSAGE(out.server_ok, out.reason);
        CHECK(out.client_ok);
        REQUIRE_MESSAGE(out.identity.ok(), out.identity.error);
        CHECK(out.identity.identity.source == gw::policy::identity_source::client_certificate);
        CHECK(out.identity.identity.role.view() == name);
        CHECK(out.identity.identity.subject.view() == name);
        wolfSSL_SESSION_free(out.session);
    }
}

TEST_CASE("mtls: a certificate without a role connects with an empty role") {
    auto server = server_context(mtls_server());
    auto client = client_context(client_with("no_role"));
    cache_type cache;
    auto out = handshake(server, client, cache);
    REQUIRE_MESSAGE(out.server_ok, out.reason);
    REQUIRE_MESSAGE(out.identity.ok(), out.identity.error);
    CHECK(out.identity.identity.role.empty());
    CHECK(out.identity.identity.subject.view() == "no_role");
    wolfSSL_SESSION_free(out.session);
}

TEST_CASE("mtls: refused certificates fail the handshake with a reason an operator can read") {
    struct refused {
        const char* client;
        const char* reason;
    };
    for (const auto& item :
         {refused{"", "no client certificate"}, refused{"stranger", "unknown CA"},
          refused{"expired", "expired"}, refused{"not_yet_valid", "not yet valid"}}) {
        const char* name = item.client;
        const char* reason = item.reason;
        CAPTURE(name);
        auto server = server_context(mtls_server());
        auto client = client_context(client_with(name));
        cache_type cache;
        auto out = handshake(server, client, cache);
        CHECK_FALSE(out.server_ok);
        CHECK_FALSE(out.client_ok);
        CHECK_MESSAGE(contains(out.reason, reason), out.reason);
    }
}

TEST_CASE("mtls: a revoked certificate fails only when the CRL is configured") {
    cache_type cache;
    {
        auto server = server_context(mtls_server(ca_pki("ca.crl")));
        auto client = client_context(client_with("revoked"));
        auto out = handshake(server, client, cache);
        CHECK_FALSE(out.server_ok);
        CHECK_MESSAGE(contains(out.reason, "revoked"), out.reason);
        // The CRL does not refuse the others.
        auto ok_client = client_context(client_with("operator"));
        auto ok = handshake(server, ok_client, cache);
        CHECK_MESSAGE(ok.server_ok, ok.reason);
        wolfSSL_SESSION_free(ok.session);
    }
    auto server = server_context(mtls_server());
    auto client = client_context(client_with("revoked"));
    auto out = handshake(server, client, cache);
    CHECK_MESSAGE(out.server_ok, out.reason);
    wolfSSL_SESSION_free(out.session);
}

TEST_CASE("mtls: a resumed session gets the role of its full handshake") {
    for (const bool tls13 : {false, true}) {
        CAPTURE(tls13);
        auto server = server_context(mtls_server());
        auto c = client_with("operator");
        auto client = client_context(c);
        if (!tls13) {
            REQUIRE(wolfSSL_CTX_set_max_proto_version(client.native_handle(), TLS1_2_VERSION) ==
                    WOLFSSL_SUCCESS);
        }
        cache_type cache;
        auto first = handshake(server, client, cache);
        REQUIRE_MESSAGE(first.server_ok, first.reason);
        REQUIRE(first.session != nullptr);
        CHECK_FALSE(first.reused);

        auto second = handshake(server, client, cache, first.session);
        REQUIRE_MESSAGE(second.server_ok, second.reason);
        CHECK(second.reused);
        REQUIRE_MESSAGE(second.identity.ok(), second.identity.error);
        CHECK(second.identity.identity.role.view() == "operator");
        CHECK(second.identity.identity.subject.view() == "operator");
        CHECK(second.identity.identity.source == gw::policy::identity_source::client_certificate);

        // Another listener's cache never saw the full handshake: the certificate wolfSSL kept
        // with the session gives the same identity, or the connection is refused; never a
        // connection without the role.
        cache_type other;
        auto third = handshake(server, client, other, first.session);
        if (third.server_ok && third.reused) {
            CHECK((!third.identity.ok() || third.identity.identity.role.view() == "operator"));
        }
        wolfSSL_SESSION_free(first.session);
        wolfSSL_SESSION_free(second.session);
        wolfSSL_SESSION_free(third.session);
    }
}

TEST_CASE("mtls: the compatibility policy adds exactly AES128-SHA256, or is refused") {
    auto s = mtls_server();
    s.certificate_chain_file = ca_pki("server_rsa.crt");
    s.private_key_file = ca_pki("server_rsa.key");
    CHECK(gw::tls::effective_cipher_list(s) == gw::tls::default_cipher_list);
    auto intermediate = server_context(s);
    s.ciphers = gw::tls::cipher_policy::compatibility;
    CHECK(gw::tls::effective_cipher_list(s) ==
          std::string{gw::tls::default_cipher_list} + ":AES128-SHA256");
    // The compatibility suite is never accepted in a cipher list without the policy.
    auto listed = mtls_server();
    listed.cipher_list = "AES128-SHA256";
    CHECK_FALSE(gw::tls::make_server_context(listed));

    if (!gw::tls::suite_built_in(gw::tls::compatibility_suite)) {
        // Debian's wolfSSL: no static RSA. Asking for the suite is an error, not a server that
        // silently lacks it.
        const auto r = gw::tls::make_server_context(s);
        CHECK_FALSE(r);
        CHECK(contains(r.error, "cipher policy compatibility"));
        CHECK(contains(r.error, "AES128-SHA256"));
        return;
    }
    auto compatibility = server_context(s);
    auto client = client_context(client_with("operator"));
    // An old device: TLS 1.2, TLS_RSA_WITH_AES_128_CBC_SHA256 only.
    REQUIRE(wolfSSL_CTX_set_cipher_list(client.native_handle(), "AES128-SHA256") ==
            WOLFSSL_SUCCESS);
    REQUIRE(wolfSSL_CTX_set_max_proto_version(client.native_handle(), TLS1_2_VERSION) ==
            WOLFSSL_SUCCESS);
    cache_type cache;
    auto refused = handshake(intermediate, client, cache);
    CHECK_FALSE(refused.server_ok);
    auto accepted = handshake(compatibility, client, cache);
    CHECK_MESSAGE(accepted.server_ok, accepted.reason);
    CHECK(accepted.identity.identity.role.view() == "operator");
    wolfSSL_SESSION_free(accepted.session);
}

TEST_CASE("mtls: CA and CRL problems name the file") {
    auto s = mtls_server();
    s.client_ca_file = ca_pki("missing.crt");
    auto r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "client CA file '" + ca_pki("missing.crt") + "'"));

    s = mtls_server(ca_pki("missing.crl"));
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "CRL file '" + ca_pki("missing.crl") + "'"));

    s = mtls_server(ca_pki("ca.crt"));  // a certificate, not a CRL
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "CRL file"));

    s = mtls_server(ca_pki("ca.crl"));
    s.client_ca_file.clear();
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "CRL file needs a client CA"));
}

TEST_CASE("mtls: the identity cache is bounded and keyed by session id") {
    gw::tls::session_identity_cache<2> cache;
    gw::policy::connection_identity a;
    REQUIRE(a.role.assign("operator"));
    gw::policy::connection_identity b;
    REQUIRE(b.role.assign("viewer"));
    const std::array<unsigned char, 3> id1{1, 2, 3};
    const std::array<unsigned char, 3> id2{4, 5, 6};
    const std::array<unsigned char, 3> id3{7, 8, 9};
    cache.put(id1, a);
    cache.put(id2, b);
    REQUIRE(cache.get(id1) != nullptr);
    CHECK(cache.get(id1)->role.view() == "operator");
    CHECK(cache.get(id2)->role.view() == "viewer");
    cache.put(id3, a);  // the oldest gives way
    CHECK(cache.get(id1) == nullptr);
    CHECK(cache.get(id3) != nullptr);
    CHECK(cache.get({}) == nullptr);
    const std::array<unsigned char, 33> too_long{};
    cache.put(too_long, a);
    CHECK(cache.get(too_long) == nullptr);
}
