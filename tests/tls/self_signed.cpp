// gw/tls/self_signed.hpp: the console's wolfCrypt-made certificate serves a real TLS handshake
// and says what was asked (SAN, constraints, usages, dates) to wolfSSL, to gw's own reader and
// to the openssl tool; imported pairs are refused when the key is another certificate's.
#include <gw/tls/self_signed.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "tls/pki.hpp"

namespace {

namespace net = gw::net;
using gw::transport::error_code;
using tls_stream = net::ssl::stream<net::ip::tcp::socket>;

std::string work_file(const std::string& name) {
    std::filesystem::create_directories(GW_TEST_WORK_DIR);
    return std::string{GW_TEST_WORK_DIR} + "/" + name;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text;
    REQUIRE(out.good());
}

std::string read(const std::string& path) {
    std::ifstream in{path};
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

gw::tls::pem_pair make(const gw::tls::self_signed_request& r) {
    auto made = gw::tls::make_self_signed(r);
    if (const auto* error = std::get_if<std::string>(&made)) FAIL(*error);
    return std::get<gw::tls::pem_pair>(std::move(made));
}

gw::tls::self_signed_request loopback() {
    gw::tls::self_signed_request r;
    r.ip_addresses = {"127.0.0.1", "::1"};
    r.dns_names = {"gw.local"};
    return r;
}

/// One loopback handshake, the client verifying the server against `ca_file`; true if both
/// ends completed and the client read the byte the server sent.
bool handshake(net::ssl::context& server_ctx, net::ssl::context& client_ctx) {
    net::io_context io;
    net::ip::tcp::acceptor acceptor{io, {net::ip::make_address("127.0.0.1"), 0}};
    std::optional<tls_stream> server;
    tls_stream client{net::ip::tcp::socket{io}, client_ctx};
    std::array<char, 1> byte{'x'};
    std::array<char, 1> got{};
    int pending = 2;
    bool server_ok = false;
    bool client_ok = false;
    acceptor.async_accept([&](error_code ec, net::ip::tcp::socket s) {
        REQUIRE_FALSE(ec);
        server.emplace(std::move(s), server_ctx);
        server->async_handshake(net::ssl::stream_base::server, [&](error_code hs) {
            if (hs) {
                --pending;
                return;
            }
            server_ok = true;
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
                client_ok = !rd && got[0] == 'x';
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
    return server_ok && client_ok;
}

}  // namespace

TEST_CASE("self-signed: the generated pair serves a TLS handshake the certificate anchors") {
    const auto pair = make(loopback());
    CHECK(contains(pair.certificate, "-----BEGIN CERTIFICATE-----"));
    CHECK(contains(pair.private_key, "PRIVATE KEY-----"));
    const auto crt = work_file("console.crt");
    const auto key = work_file("console.key");
    write(crt, pair.certificate);
    write(key, pair.private_key);

    auto server =
        gw::tls::make_server_context({.certificate_chain_file = crt, .private_key_file = key});
    REQUIRE_MESSAGE(server, server.error);
    auto client = gw::tls::make_client_context({.ca_file = crt});
    REQUIRE_MESSAGE(client, client.error);
    CHECK(handshake(*server.context, *client.context));

    // Trusting another certificate instead, the same server is refused: the handshake above
    // succeeded because of the generated certificate, not in spite of it.
    auto stranger = gw::tls::make_client_context({.ca_file = gw_test::pki("other.crt")});
    REQUIRE_MESSAGE(stranger, stranger.error);
    CHECK_FALSE(handshake(*server.context, *stranger.context));
    gw::tls::release_thread_caches();
}

TEST_CASE("self-signed: two certificates differ in key and serial") {
    const auto a = make(loopback());
    const auto b = make(loopback());
    CHECK(a.private_key != b.private_key);
    CHECK(a.certificate != b.certificate);
    CHECK(gw::tls::check_imported_pair(a.certificate, b.private_key, now_unix()) != "");
}

TEST_CASE("self-signed: inspect_certificate reports what was asked") {
    const auto r = loopback();
    const auto pair = make(r);
    const auto inspected = gw::tls::inspect_certificate(pair.certificate);
    REQUIRE_MESSAGE(std::holds_alternative<gw::tls::certificate_info>(inspected),
                    std::get<std::string>(inspected));
    const auto& info = std::get<gw::tls::certificate_info>(inspected);
    CHECK(info.key_type == "ECC");
    CHECK(info.key_bits == 256);
    CHECK(info.self_signed);
    CHECK(info.subject == "/CN=gw gateway");
    CHECK(info.issuer == info.subject);
    CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
    // Valid from an hour ago (a client clock a little behind) for the 825 days asked.
    const auto now = now_unix();
    CHECK(info.not_before <= now - 3600 + 5);
    CHECK(info.not_before >= now - 3600 - 60);
    CHECK(info.not_after - info.not_before == 825 * 86400 + 3600);
}

TEST_CASE("self-signed: a validity past 2049 is written as GeneralizedTime and read back") {
    auto r = loopback();
    r.validity = std::chrono::days{365 * 40};
    const auto pair = make(r);
    const auto inspected = gw::tls::inspect_certificate(pair.certificate);
    REQUIRE(std::holds_alternative<gw::tls::certificate_info>(inspected));
    const auto& info = std::get<gw::tls::certificate_info>(inspected);
    CHECK(info.not_after - info.not_before == 365LL * 40 * 86400 + 3600);
}

TEST_CASE("self-signed: openssl x509 shows the SAN, constraints and usages") {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
        MESSAGE("no openssl command-line tool: skipped");
        return;
    }
    const auto crt = work_file("openssl.crt");
    write(crt, make(loopback()).certificate);
    const auto out_file = work_file("openssl.txt");
    REQUIRE(std::system(("openssl x509 -noout -text -in '" + crt + "' > '" + out_file + "' 2>&1")
                            .c_str()) == 0);
    const auto text = read(out_file);
    CAPTURE(text);
    CHECK(contains(text, "IP Address:127.0.0.1"));
    CHECK(contains(text, "IP Address:0:0:0:0:0:0:0:1"));
    CHECK(contains(text, "DNS:gw.local"));
    CHECK(contains(text, "CA:FALSE"));
    CHECK(contains(text, "Digital Signature"));
    CHECK(contains(text, "TLS Web Server Authentication"));
    CHECK(contains(text, "ecdsa-with-SHA256"));
    CHECK(contains(text, "prime256v1"));
    CHECK(contains(text, "Version: 3"));
    CHECK(contains(text, "Subject: CN = gw gateway"));
}

TEST_CASE("self-signed: a request that cannot be certified says why") {
    auto r = loopback();
    r.ip_addresses.push_back("127.0.0.256");
    auto made = gw::tls::make_self_signed(r);
    REQUIRE(std::holds_alternative<std::string>(made));
    CHECK(contains(std::get<std::string>(made), "self-signed certificate: '127.0.0.256'"));

    r = loopback();
    r.dns_names.push_back("bad name");
    made = gw::tls::make_self_signed(r);
    REQUIRE(std::holds_alternative<std::string>(made));
    CHECK(contains(std::get<std::string>(made), "is not a DNS name"));

    for (const auto days : {0, -1, 36501}) {
        r = loopback();
        r.validity = std::chrono::days{days};
        made = gw::tls::make_self_signed(r);
        REQUIRE(std::holds_alternative<std::string>(made));
        CHECK(contains(std::get<std::string>(made), "validity must be 1 to 36500 days"));
    }

    r = {};
    made = gw::tls::make_self_signed(r);
    REQUIRE(std::holds_alternative<std::string>(made));
    CHECK(contains(std::get<std::string>(made), "no IP address or DNS name"));
}

TEST_CASE("self-signed: inspect_certificate reads the test PKI's openssl certificate") {
    const auto inspected = gw::tls::inspect_certificate(read(gw_test::pki("server.crt")));
    REQUIRE(std::holds_alternative<gw::tls::certificate_info>(inspected));
    const auto& info = std::get<gw::tls::certificate_info>(inspected);
    CHECK(info.key_type == "ECC");
    CHECK(info.key_bits == 256);
    CHECK(info.self_signed);
    CHECK(info.subject == "/CN=gw-test-server");
    CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1"});
    CHECK(info.not_after - info.not_before == 3650LL * 86400);
}

TEST_CASE("self-signed: inspect_certificate refuses what is not a certificate") {
    for (const std::string& text :
         {std::string{}, std::string{"hello"}, read(gw_test::pki("server.key")),
          std::string(gw::tls::max_pem_size + 1, 'A')}) {
        const auto inspected = gw::tls::inspect_certificate(text);
        REQUIRE(std::holds_alternative<std::string>(inspected));
        CHECK(contains(std::get<std::string>(inspected), "certificate: "));
    }
}

TEST_CASE("self-signed: check_imported_pair accepts a matching pair and refuses another key") {
    const auto crt = read(gw_test::pki("server.crt"));
    CHECK(gw::tls::check_imported_pair(crt, read(gw_test::pki("server.key")), now_unix()) == "");
    CHECK(gw::tls::check_imported_pair(crt, read(gw_test::pki("stray.key")), now_unix()) ==
          "private key does not belong to the certificate");
    CHECK(gw::tls::check_imported_pair(crt, read(gw_test::pki("other.key")), now_unix()) ==
          "private key does not belong to the certificate");
    CHECK(contains(gw::tls::check_imported_pair(crt, "not a key", now_unix()), "private key"));
    CHECK(contains(
        gw::tls::check_imported_pair("not a cert", read(gw_test::pki("server.key")), now_unix()),
        "certificate: "));

    const auto pair = make(loopback());
    CHECK(gw::tls::check_imported_pair(pair.certificate, pair.private_key, now_unix()) == "");
    CHECK(gw::tls::check_imported_pair(pair.certificate, read(gw_test::pki("server.key")),
                                       now_unix()) ==
          "private key does not belong to the certificate");
    gw::tls::release_thread_caches();
}

TEST_CASE("self-signed: check_imported_pair refuses an expired certificate") {
    const auto pair = make(loopback());
    const auto info =
        std::get<gw::tls::certificate_info>(gw::tls::inspect_certificate(pair.certificate));
    CHECK(gw::tls::check_imported_pair(pair.certificate, pair.private_key, info.not_after) == "");
    CHECK(gw::tls::check_imported_pair(pair.certificate, pair.private_key, info.not_after + 1) ==
          "certificate: expired");
}
