// gw/tls/context.hpp: contexts that are TLS 1.2+ with AEAD/ECDHE suites, or an error that names
// the setting wolfSSL (or gw) refused.
#include <gw/tls/context.hpp>

#include <doctest/doctest.h>

#include <string>

#include "tls/pki.hpp"

namespace {

using gw_test::pki;

gw::tls::server_settings good_server() {
    return {.certificate_chain_file = pki("server.crt"), .private_key_file = pki("server.key")};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tls context: a server and a client context from the test PKI") {
    auto server = gw::tls::make_server_context(good_server());
    REQUIRE_MESSAGE(server, server.error);
    CHECK(server.error.empty());
    auto client = gw::tls::make_client_context({.ca_file = pki("server.crt")});
    REQUIRE_MESSAGE(client, client.error);
}

TEST_CASE("tls context: the default list is exactly the offered suites") {
    std::string all;
    for (const auto s : gw::tls::offered_suites)
        all += (all.empty() ? "" : ":") + std::string{s};
    CHECK(all == gw::tls::default_cipher_list);
    CHECK(gw::tls::detail::check_cipher_list(gw::tls::default_cipher_list).empty());
}

TEST_CASE("tls context: a suite outside the AEAD/ECDHE set is refused by name, not weakened") {
    for (const char* list :
         {"NULL-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256:NULL-SHA256", "PSK-AES128-GCM-SHA256",
          "DES-CBC3-SHA", "ECDHE-RSA-AES128-SHA", "TLS13-SHA256-SHA256", "ECDHE+AESGCM:!aNULL",
          "ALL", "ECDHE-ECDSA-AES128-GCM-SHA256:", ""}) {
        CAPTURE(list);
        auto s = good_server();
        s.cipher_list = list;
        const auto r = gw::tls::make_server_context(s);
        CHECK_FALSE(r);
        CHECK_FALSE(r.context.has_value());
        CHECK(contains(r.error, "TLS server context: cipher list"));
        auto c = gw::tls::make_client_context({.ca_file = pki("server.crt"), .cipher_list = list});
        CHECK_FALSE(c);
        CHECK(contains(c.error, "TLS client context: cipher list"));
    }
    auto s = good_server();
    s.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:NULL-SHA256";
    CHECK(contains(gw::tls::make_server_context(s).error, "'NULL-SHA256'"));
}

TEST_CASE("tls context: a subset of the offered suites is accepted") {
    auto s = good_server();
    s.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256";  // TLS 1.2 only, as R-62 names it
    const auto r = gw::tls::make_server_context(s);
    CHECK_MESSAGE(r, r.error);
}

TEST_CASE("tls context: certificate and key problems name the file") {
    auto s = good_server();
    s.certificate_chain_file = pki("missing.crt");
    auto r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "certificate chain '" + pki("missing.crt") + "'"));

    s = good_server();
    s.private_key_file = pki("missing.key");
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "private key '" + pki("missing.key") + "'"));

    s = good_server();
    s.private_key_file = pki("stray.key");  // a valid key, of another certificate
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "does not match certificate"));

    s = good_server();
    s.certificate_chain_file = pki("server.key");  // not a certificate
    r = gw::tls::make_server_context(s);
    CHECK_FALSE(r);
    CHECK(contains(r.error, "certificate chain"));
}

TEST_CASE("tls context: a client always verifies the server") {
    auto r = gw::tls::make_client_context({});
    CHECK_FALSE(r);
    CHECK(contains(r.error, "ca_file is required"));
    r = gw::tls::make_client_context({.ca_file = pki("missing.crt")});
    CHECK_FALSE(r);
    CHECK(contains(r.error, "CA file '" + pki("missing.crt") + "'"));
}
