// The gateway's modbus_tls listener (Modbus/TCP Security) in process: the rig's simulator on a
// pty behind a gateway whose listener speaks MBAP inside mutual TLS, and TLS masters holding the
// certificates of tests/tls/make_pki.sh. Checks what a master sees (answers, refusals) and what
// the gateway audited (reasons, counters, the identity it logged).
//
// Nothing sleeps: the io_context runs until the awaited event; a watchdog only bounds a hang.
#include <gw/tls/context.hpp>

#include "gateway/rig.hpp"

#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <string>

namespace {

using namespace gw_test;
using tls_stream = net::ssl::stream<net::ip::tcp::socket>;
using gw::policy::event_kind;
using gw::policy::reason;

std::string ca_pki(const std::string& file) {
    return std::string{GW_TEST_MTLS_PKI_DIR} + "/" + file;
}

/// Listener 0 becomes modbus_tls; the rules let the certificate role "operator" read holding
/// registers (a modbus_tls listener needs authorization: it always checks the role).
void make_tls(gw::gateway::gateway_plan& plan) {
    plan.authorization.enabled = true;
    gw::policy::access_rule read_holding_registers;
    read_holding_registers.functions = {3};
    plan.authorization.roles = {{"operator", {read_holding_registers}}};
    auto& l = plan.listeners[0];
    l.name = "secure";
    l.protocol = gw::gateway::listener_protocol::modbus_tls;
    l.tls.certificate = ca_pki("server.crt");
    l.tls.private_key = ca_pki("server.key");
    l.tls.ca = ca_pki("ca.crt");
}

net::ssl::context client_context(const std::string& name) {
    gw::tls::client_settings c;
    c.ca_file = ca_pki("ca.crt");
    if (!name.empty()) {
        c.certificate_chain_file = ca_pki(name + ".crt");
        c.private_key_file = ca_pki(name + ".key");
    }
    auto r = gw::tls::make_client_context(c);
    REQUIRE_MESSAGE(r, r.error);
    return std::move(*r.context);
}

/// A TLS master: connects from `source`, handshakes, sends one MBAP request and reads its answer.
struct tls_master {
    tls_master(net::io_context& io, net::ssl::context& ctx, const std::string& source = "127.0.0.1")
        : stream{net::ip::tcp::socket{io}, ctx} {
        auto& s = stream.lowest_layer();
        s.open(net::ip::tcp::v4());
        s.bind({net::ip::make_address(source), 0});
    }
    void start(std::uint16_t port) {
        stream.lowest_layer().async_connect(
            {net::ip::make_address("127.0.0.1"), port}, [this](error_code ec) {
                if (ec) {
                    failed = true;
                    return;
                }
                stream.async_handshake(net::ssl::stream_base::client, [this](error_code hs) {
                    if (hs) {
                        failed = true;
                        return;
                    }
                    handshaken = true;
                    request = adu(7, 1, read_holding(0, 2));
                    net::async_write(stream, net::buffer(request),
                                     [this](error_code w, std::size_t) {
                                         if (w) {
                                             failed = true;
                                             return;
                                         }
                                         read_answer();
                                     });
                });
            });
    }
    /// The MBAP header, then as many bytes as its length field says (an answer or an exception).
    void read_answer() {
        net::async_read(stream, net::buffer(reply.data(), 7), [this](error_code r, std::size_t) {
            const std::size_t rest = r ? 0 : std::size_t{reply[4]} * 256U + reply[5] - 1U;
            if (r || rest == 0 || rest > reply.size() - 7) {
                failed = true;
                return;
            }
            net::async_read(stream, net::buffer(reply.data() + 7, rest),
                            [this, rest](error_code r2, std::size_t) {
                                failed = failed || static_cast<bool>(r2);
                                got = r2 ? 0 : 7 + rest;
                            });
        });
    }
    bool done() const { return failed || got > 0; }

    tls_stream stream;
    bytes request;
    std::array<std::uint8_t, 260> reply{};  // MBAP 7 + the PDU
    std::size_t got = 0;
    bool handshaken = false;
    bool failed = false;
};

}  // namespace

TEST_CASE("modbus_tls: a master with a role certificate is served, its identity recorded") {
    rig r;
    make_tls(r.plan());
    const auto port = r.start();
    auto ctx = client_context("operator");
    tls_master m{r.io(), ctx};
    m.start(port);
    r.run_until([&] { return m.done(); }, "the TLS master's answer");
    REQUIRE(m.handshaken);
    REQUIRE_FALSE(m.failed);
    CHECK(m.got == 13);      // MBAP 7 + FC 3, byte count, 2 registers
    CHECK(m.reply[0] == 0);  // transaction id 7 echoed
    CHECK(m.reply[1] == 7);
    CHECK(m.reply[7] == 3);  // FC 3, not an exception
    CHECK(r.logged("authenticated: subject 'operator', role 'operator'"));
    CHECK(r.counters().connections_accepted == 1);
    CHECK(r.counters().tls_handshakes_failed == 0);
}

TEST_CASE("modbus_tls: a certificate without a role is authenticated, then denied (exception 01)") {
    rig r;
    make_tls(r.plan());
    const auto port = r.start();
    auto ctx = client_context("no_role");
    tls_master m{r.io(), ctx};
    m.start(port);
    r.run_until([&] { return m.done(); }, "the TLS master's answer");
    CHECK(m.got == 9);
    CHECK(m.reply[7] == 0x83);  // FC 3 | 0x80: the NULL role has no rules here
    CHECK(m.reply[8] == 0x01);
    CHECK(r.logged("authenticated: subject 'no_role', role ''"));
    CHECK(r.device_requests() == 0);
}

TEST_CASE("modbus_tls: refused certificates are audited with their reason, never served") {
    struct refused {
        const char* client;
        reason why;
    };
    for (const auto& item :
         {refused{"", reason::tls_no_certificate}, refused{"stranger", reason::tls_unknown_ca},
          refused{"expired", reason::tls_certificate_expired},
          refused{"not_yet_valid", reason::tls_certificate_not_yet_valid},
          refused{"revoked", reason::tls_certificate_revoked}}) {
        const char* name = item.client;
        const reason why = item.why;
        CAPTURE(name);
        rig r;
        make_tls(r.plan());
        r.plan().listeners[0].tls.crl = ca_pki("ca.crl");
        const auto port = r.start();
        auto ctx = client_context(name);
        tls_master m{r.io(), ctx};
        m.start(port);
        r.run_until([&] { return m.done(); }, "the refusal");
        CHECK(m.failed);
        CHECK(m.got == 0);
        r.run_until([&] { return r.counters().tls_handshakes_failed == 1; }, "the audit");
        CHECK(r.count_events(event_kind::connection_refused, why) == 1);
        CHECK(r.device_requests() == 0);
        CHECK(r.gateway().sessions_active() == 0);
    }
}

TEST_CASE("modbus_tls: handshakes are capped per source; over the cap a connection closes") {
    rig r;
    make_tls(r.plan());
    r.plan().listeners[0].tls.max_handshakes_per_source = 1;
    const auto port = r.start();
    // A peer that opens TCP and never says hello holds a handshake slot (until the deadline).
    tcp_master holder{r.io(), from("127.0.0.2")};
    r.connect(holder, port);
    tcp_master second{r.io(), from("127.0.0.2")};
    r.connect(second, port);
    r.run_until([&] { return second.closed(); }, "the second handshake to be refused");
    CHECK(r.counters().tls_handshakes_refused == 1);
    CHECK(r.count_events(event_kind::connection_refused, reason::too_many_handshakes) == 1);
    // Another source is not held up by the first one.
    auto ctx = client_context("operator");
    tls_master m{r.io(), ctx, "127.0.0.3"};
    m.start(port);
    r.run_until([&] { return m.done(); }, "the other source's answer");
    CHECK(m.got == 13);
}

TEST_CASE("modbus_tls: a handshake that does not finish by its deadline is closed and audited") {
    rig r;
    make_tls(r.plan());
    r.plan().listeners[0].tls.handshake_timeout = std::chrono::milliseconds{100};
    const auto port = r.start();
    tcp_master silent{r.io(), from("127.0.0.2")};
    r.connect(silent, port);
    r.run_until([&] { return silent.closed(); }, "the deadline");
    r.run_until([&] { return r.counters().tls_handshakes_failed == 1; }, "the audit");
    CHECK(r.count_events(event_kind::connection_refused, reason::tls_handshake_timeout) == 1);
}

TEST_CASE("modbus_tls: a listener without authorization rules is a start error") {
    rig r;
    make_tls(r.plan());
    r.plan().authorization = {};
    const auto error = r.gateway().start(r.plan());
    CHECK_MESSAGE(error.find("listener 'secure': a modbus_tls listener needs authorization") !=
                      std::string::npos,
                  error);
}

TEST_CASE("modbus_tls: a setting wolfSSL refuses is a start error naming the key") {
    struct bad {
        const char* key;
        void (*edit)(gw::gateway::tls_listener_plan&);
    };
    for (const auto& item : {
             bad{"\"ca\"", [](auto& t) { t.ca = ca_pki("missing.crt"); }},
             bad{"\"crl\"", [](auto& t) { t.crl = ca_pki("ca.crt"); }},
             bad{"\"private_key\"", [](auto& t) { t.private_key = ca_pki("operator.key"); }},
             bad{"\"certificate\"", [](auto& t) { t.certificate = ca_pki("missing.crt"); }},
         }) {
        const char* key = item.key;
        CAPTURE(key);
        rig r;
        make_tls(r.plan());
        item.edit(r.plan().listeners[0].tls);
        const auto error = r.gateway().start(r.plan());
        CHECK_MESSAGE(error.find(std::string{"listener 'secure': "} + key) != std::string::npos,
                      error);
    }
}
