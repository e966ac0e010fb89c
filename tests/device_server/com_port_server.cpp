#include <gw/device_server/com_port_server.hpp>

#include "telnet_recorder.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace gw::device_server;
using gw::test::hex;
using bytes = std::vector<std::uint8_t>;

namespace {

struct sink {
    bytes serial;  // written to the serial line
    std::vector<serial_settings> changes;
    std::vector<purge> purges;
    std::vector<bool> flows;
    void on_data(std::span<const std::uint8_t> b) {
        serial.insert(serial.end(), b.begin(), b.end());
    }
    void on_settings(const serial_settings& s) { changes.push_back(s); }
    void on_purge(purge p) { purges.push_back(p); }
    void on_flow(bool suspended) { flows.push_back(suspended); }
};

// Feeds everything (draining the output as a connection would) and returns what was sent.
std::string feed(com_port_server& s, sink& k, const bytes& in) {
    bytes sent;
    std::span<const std::uint8_t> rest{in};
    do {
        rest = rest.subspan(s.receive(rest, k));
        const auto out = s.output();
        sent.insert(sent.end(), out.begin(), out.end());
        s.consume_output(out.size());
    } while (!rest.empty());
    return hex(sent);
}

std::string take_output(com_port_server& s) {
    const auto out = s.output();
    const std::string h = hex(out);
    s.consume_output(out.size());
    return h;
}

bytes sb(std::uint8_t code, std::initializer_list<std::uint8_t> value) {
    bytes b{0xFF, 0xFA, 0x2C, code};
    for (const auto v : value) {
        b.push_back(v);
        if (v == 0xFF) {
            b.push_back(0xFF);
        }
    }
    b.insert(b.end(), {0xFF, 0xF0});
    return b;
}
std::string reply(std::uint8_t code, std::initializer_list<std::uint8_t> value) {
    return hex(sb(static_cast<std::uint8_t>(code + 100), value));
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes out;
    for (const auto& p : parts) {
        out.insert(out.end(), p.begin(), p.end());
    }
    return out;
}

// A server after connect and pyserial's negotiation: COM-PORT on, output empty.
com_port_server negotiated(sink& k, serial_capabilities caps = {}) {
    com_port_server s{{}, caps};
    s.start();
    take_output(s);
    feed(s, k,
         {0xFF, 0xFB, 0x2C,    // WILL COM-PORT-OPTION
          0xFF, 0xFD, 0x00,    // DO BINARY
          0xFF, 0xFB, 0x00});  // WILL BINARY
    REQUIRE(s.com_port_active());
    return s;
}

}  // namespace

// --- negotiation ------------------------------------------------------------------------------

TEST_CASE("connect: DO COM-PORT, WILL/DO BINARY, WILL/DO SGA") {
    com_port_server s;
    s.start();
    CHECK(take_output(s) == hex(bytes{0xFF, 0xFD, 0x2C,     // IAC DO COM-PORT-OPTION
                                      0xFF, 0xFB, 0x00,     // IAC WILL BINARY
                                      0xFF, 0xFD, 0x00,     // IAC DO BINARY
                                      0xFF, 0xFB, 0x03,     // IAC WILL SGA
                                      0xFF, 0xFD, 0x03}));  // IAC DO SGA
    CHECK_FALSE(s.com_port_active());
    s.start();  // requests already pending are not repeated
    CHECK(s.output().empty());
}

TEST_CASE("pyserial's opening negotiation is answered once, then nothing loops") {
    com_port_server s;
    sink k;
    s.start();
    take_output(s);
    // Serial.open(): DO ECHO, WILL SGA, DO SGA, DO COM-PORT, WILL COM-PORT.
    CHECK(feed(s, k,
               {0xFF, 0xFD, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFD, 0x03, 0xFF, 0xFD, 0x2C, 0xFF, 0xFB,
                0x2C}) == hex(bytes{0xFF, 0xFC, 0x01,     // WONT ECHO
                                    0xFF, 0xFB, 0x2C}));  // WILL COM-PORT (its DO)
    // WILL SGA / DO SGA / WILL COM-PORT confirm our requests: no reply.
    CHECK(s.com_port_active());
    // pyserial answers our WILL BINARY and DO BINARY (its options start INACTIVE): no reply.
    CHECK(feed(s, k, {0xFF, 0xFD, 0x00, 0xFF, 0xFB, 0x00}).empty());
    CHECK(s.binary_in());
    CHECK(s.binary_out());
    // Repeats of what is on are not answered either.
    CHECK(feed(s, k, {0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00, 0xFF, 0xFB, 0x2C}).empty());
}

TEST_CASE("our DO COM-PORT answered by the client's WILL: active, no reply") {
    com_port_server s;
    sink k;
    s.start();
    take_output(s);
    CHECK(feed(s, k, {0xFF, 0xFB, 0x2C}).empty());
    CHECK(s.com_port_active());
}

TEST_CASE("a WILL before start() is answered with DO") {
    com_port_server s;
    sink k;
    CHECK(feed(s, k, {0xFF, 0xFB, 0x2C}) == hex(bytes{0xFF, 0xFD, 0x2C}));
    CHECK(s.com_port_active());
}

TEST_CASE("refusals: unknown options refused, refusals of them ignored") {
    com_port_server s;
    sink k;
    CHECK(feed(s, k, {0xFF, 0xFB, 0x18}) == hex(bytes{0xFF, 0xFE, 0x18}));  // WILL TT -> DONT
    CHECK(feed(s, k, {0xFF, 0xFD, 0x01}) == hex(bytes{0xFF, 0xFC, 0x01}));  // DO ECHO -> WONT
    CHECK(feed(s, k, {0xFF, 0xFC, 0x18, 0xFF, 0xFE, 0x01}).empty());        // WONT / DONT
}

TEST_CASE("a client refusing our request is not asked again") {
    com_port_server s;
    sink k;
    s.start();
    take_output(s);
    CHECK(feed(s, k, {0xFF, 0xFC, 0x03}).empty());  // WONT SGA answering our DO SGA
    CHECK(feed(s, k, {0xFF, 0xFE, 0x00}).empty());  // DONT BINARY answering our WILL BINARY
    CHECK_FALSE(s.binary_out());
    CHECK(s.output().empty());  // no new request follows a refusal
    // The client changes its mind: agreed (the option is off, so this is a new request).
    CHECK(feed(s, k, {0xFF, 0xFB, 0x03}) == hex(bytes{0xFF, 0xFD, 0x03}));
}

TEST_CASE("switching an option off is acknowledged once; on again is agreed") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, {0xFF, 0xFC, 0x00}) == hex(bytes{0xFF, 0xFE, 0x00}));  // WONT -> DONT
    CHECK_FALSE(s.binary_in());
    CHECK(feed(s, k, {0xFF, 0xFC, 0x00}).empty());                          // again: already off
    CHECK(feed(s, k, {0xFF, 0xFB, 0x00}) == hex(bytes{0xFF, 0xFD, 0x00}));  // WILL -> DO
    CHECK(s.binary_in());
    CHECK(feed(s, k, {0xFF, 0xFE, 0x00}) == hex(bytes{0xFF, 0xFC, 0x00}));  // DONT -> WONT
}

// --- data -------------------------------------------------------------------------------------

TEST_CASE("data goes to the serial line unescaped") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, {0x01, 0xFF, 0xFF, 0x02, 0x0D, 0x00}).empty());
    CHECK(k.serial == bytes{0x01, 0xFF, 0x02, 0x0D, 0x00});
}

// --- SET commands -----------------------------------------------------------------------------

TEST_CASE("SET-BAUDRATE: query, set, unsupported") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(1, {0, 0, 0, 0})) == reply(1, {0x00, 0x00, 0x25, 0x80}));  // query: 9600
    CHECK(k.changes.empty());
    CHECK(feed(s, k, sb(1, {0x00, 0x01, 0xC2, 0x00})) == reply(1, {0x00, 0x01, 0xC2, 0x00}));
    CHECK(s.settings().baud == 115200);
    REQUIRE(k.changes.size() == 1);
    CHECK(k.changes[0].baud == 115200);
    CHECK(feed(s, k, sb(1, {0, 0, 0, 10})) == reply(1, {0x00, 0x01, 0xC2, 0x00}));    // 10: below
    CHECK(feed(s, k, sb(1, {0xFF, 0, 0, 0})) == reply(1, {0x00, 0x01, 0xC2, 0x00}));  // too high
    CHECK(feed(s, k, sb(1, {0x00, 0x01, 0xC2, 0x00})) == reply(1, {0x00, 0x01, 0xC2, 0x00}));
    CHECK(k.changes.size() == 1);  // unsupported and unchanged: not reported
    CHECK(s.settings().baud == 115200);
}

TEST_CASE("SET-BAUDRATE with 0xFF in the reply value is escaped") {
    sink k;
    auto s = negotiated(k, {.max_baud = 0xFFFFFF});
    CHECK(feed(s, k, sb(1, {0x00, 0x00, 0xFF, 0xFF})) == reply(1, {0x00, 0x00, 0xFF, 0xFF}));
    CHECK(s.settings().baud == 0xFFFF);
}

TEST_CASE("SET-DATASIZE: query, 5..8, invalid") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(2, {0})) == reply(2, {8}));
    CHECK(feed(s, k, sb(2, {7})) == reply(2, {7}));
    CHECK(feed(s, k, sb(2, {5})) == reply(2, {5}));
    CHECK(feed(s, k, sb(2, {4})) == reply(2, {5}));
    CHECK(feed(s, k, sb(2, {9})) == reply(2, {5}));
    CHECK(s.settings().data_bits == 5);
    CHECK(k.changes.size() == 2);
    sink k2;
    auto limited = negotiated(k2, {.min_data_bits = 7});
    CHECK(feed(limited, k2, sb(2, {6})) == reply(2, {8}));
}

TEST_CASE("SET-PARITY: query, values 1..5, mark/space by capability") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(3, {0})) == reply(3, {1}));  // none
    CHECK(feed(s, k, sb(3, {3})) == reply(3, {3}));  // even
    CHECK(s.settings().parity == parity::even);
    CHECK(feed(s, k, sb(3, {5})) == reply(3, {5}));  // space
    CHECK(feed(s, k, sb(3, {6})) == reply(3, {5}));  // not a parity
    sink k2;
    auto no_mark = negotiated(k2, {.mark_space_parity = false});
    CHECK(feed(no_mark, k2, sb(3, {4})) == reply(3, {1}));
    CHECK(feed(no_mark, k2, sb(3, {2})) == reply(3, {2}));
}

TEST_CASE("SET-STOPSIZE: query, 1 and 2, 1.5 by capability") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(4, {0})) == reply(4, {1}));
    CHECK(feed(s, k, sb(4, {2})) == reply(4, {2}));
    CHECK(feed(s, k, sb(4, {3})) == reply(4, {2}));  // 1.5 unsupported by default
    CHECK(feed(s, k, sb(4, {4})) == reply(4, {2}));
    sink k2;
    auto s15 = negotiated(k2, {.one_and_half_stop_bits = true});
    CHECK(feed(s15, k2, sb(4, {3})) == reply(4, {3}));
    CHECK(s15.settings().stop_bits == stop_bits::one_and_half);
}

TEST_CASE("SET-CONTROL: flow, break, DTR, RTS, their queries") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(5, {0})) == reply(5, {1}));  // flow query: none
    CHECK(feed(s, k, sb(5, {3})) == reply(5, {3}));  // hardware
    CHECK(s.settings().flow == flow_control::rts_cts);
    CHECK(feed(s, k, sb(5, {13})) == reply(5, {16}));  // inbound query: hardware
    CHECK(feed(s, k, sb(5, {15})) == reply(5, {15}));  // inbound XON/XOFF
    CHECK(s.settings().flow == flow_control::xon_xoff);
    CHECK(feed(s, k, sb(5, {0})) == reply(5, {2}));
    CHECK(feed(s, k, sb(5, {17})) == reply(5, {2}));   // DCD flow: unsupported
    CHECK(feed(s, k, sb(5, {18})) == reply(5, {15}));  // DTR flow (inbound): unsupported
    CHECK(feed(s, k, sb(5, {19})) == reply(5, {2}));   // DSR flow: unsupported
    CHECK(feed(s, k, sb(5, {1})) == reply(5, {1}));
    CHECK(feed(s, k, sb(5, {4})) == reply(5, {6}));  // break query: off
    CHECK(feed(s, k, sb(5, {5})) == reply(5, {5}));
    CHECK(s.settings().break_on);
    CHECK(feed(s, k, sb(5, {4})) == reply(5, {5}));
    CHECK(feed(s, k, sb(5, {6})) == reply(5, {6}));
    CHECK(feed(s, k, sb(5, {7})) == reply(5, {8}));  // DTR query: on
    CHECK(feed(s, k, sb(5, {9})) == reply(5, {9}));
    CHECK_FALSE(s.settings().dtr);
    CHECK(feed(s, k, sb(5, {7})) == reply(5, {9}));
    CHECK(feed(s, k, sb(5, {10})) == reply(5, {11}));  // RTS query: on
    CHECK(feed(s, k, sb(5, {12})) == reply(5, {12}));
    CHECK_FALSE(s.settings().rts);
    CHECK(feed(s, k, sb(5, {10})) == reply(5, {12}));
    CHECK(feed(s, k, sb(5, {200})) == reply(5, {1}));  // unknown: the flow in effect
    // Changes reported: flow x3 (hw, xon, none), break on/off, DTR off, RTS off.
    CHECK(k.changes.size() == 7);
}

TEST_CASE("pyserial's open() settings and purges get the replies it compares") {
    sink k;
    auto s = negotiated(k);
    const auto settings = cat({sb(1, {0x00, 0x00, 0x4B, 0x00}),  // 19200
                               sb(2, {8}), sb(3, {3}), sb(4, {1})});
    CHECK(feed(s, k, settings) == reply(1, {0x00, 0x00, 0x4B, 0x00}) + " " + reply(2, {8}) + " " +
                                      reply(3, {3}) + " " + reply(4, {1}));
    CHECK(feed(s, k, sb(5, {1})) == reply(5, {1}));    // no flow control
    CHECK(feed(s, k, sb(5, {8})) == reply(5, {8}));    // DTR on
    CHECK(feed(s, k, sb(5, {11})) == reply(5, {11}));  // RTS on
    CHECK(feed(s, k, sb(12, {1})) == reply(12, {1}));  // purge rx
    CHECK(feed(s, k, sb(12, {2})) == reply(12, {2}));  // purge tx
    CHECK(k.purges == std::vector<purge>{purge::rx, purge::tx});
    CHECK(s.settings().baud == 19200);
    CHECK(s.settings().parity == parity::even);
}

// --- the rest ---------------------------------------------------------------------------------

TEST_CASE("PURGE-DATA: 1..3 reported and answered, others ignored") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(12, {3})) == reply(12, {3}));
    CHECK(feed(s, k, sb(12, {0})).empty());
    CHECK(feed(s, k, sb(12, {4})).empty());
    CHECK(k.purges == std::vector<purge>{purge::both});
    CHECK(s.ignored_count() == 2);
}

TEST_CASE("FLOWCONTROL-SUSPEND/RESUME are reported, not answered") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(8, {})).empty());
    CHECK(s.flow_suspended());
    CHECK(feed(s, k, sb(9, {})).empty());
    CHECK_FALSE(s.flow_suspended());
    CHECK(k.flows == std::vector<bool>{true, false});
}

TEST_CASE("SIGNATURE: a request is answered with ours, a text is not answered") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(0, {})) == reply(0, {'g', 'w'}));
    CHECK(feed(s, k, sb(0, {'p', 'y'})).empty());
}

TEST_CASE("server codes from a client are ignored") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(101, {0, 0, 0x25, 0x80})).empty());
    CHECK(s.ignored_count() == 1);
    CHECK(s.settings().baud == 9600);
}

TEST_CASE("malformed subnegotiations are counted and not answered") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(1, {0x25, 0x80})).empty());  // SET-BAUDRATE with 2 bytes
    CHECK(s.malformed_count() == 1);
}

TEST_CASE("NOTIFY-MODEMSTATE: first one forced, then changes under the mask, polls") {
    com_port_server s;
    sink k;
    s.modem_lines(modem_state::cts | modem_state::dsr);  // before the option is on: nothing
    CHECK(s.output().empty());
    // WILL COM-PORT: agreed, and the first notification follows.
    CHECK(feed(s, k, {0xFF, 0xFB, 0x2C}) == hex(bytes{0xFF, 0xFD, 0x2C}) + " " + reply(7, {0x30}));
    s.modem_lines(0x30);  // no change
    CHECK(s.output().empty());
    s.modem_lines(0x20);  // CTS dropped: level and delta
    CHECK(take_output(s) == reply(7, {0x21}));
    CHECK(feed(s, k, sb(11, {0x10})) == reply(11, {0x10}));  // mask: CTS only
    s.modem_lines(0x00);                                     // DSR dropped: masked out
    CHECK(s.output().empty());
    s.modem_lines(0x10);  // CTS up
    CHECK(take_output(s) == reply(7, {0x10}));
    CHECK(feed(s, k, sb(7, {})) == reply(7, {0x10}));  // a poll (pyserial's, no value)
}

TEST_CASE("the first NOTIFY-MODEMSTATE waits for the lines to be known") {
    sink k;
    auto s = negotiated(k);
    CHECK(feed(s, k, sb(7, {})).empty());  // poll with unknown lines: nothing to say yet
    s.modem_lines(modem_state::cd);
    CHECK(take_output(s) == reply(7, {0x80}));
    s.modem_lines(modem_state::cd | 0x0F);  // the low nibble given is ignored
    CHECK(s.output().empty());
}

TEST_CASE("NOTIFY-LINESTATE: mask 0 by default, then under the mask") {
    sink k;
    auto s = negotiated(k);
    s.line_state(0x08);  // framing error
    CHECK(s.output().empty());
    CHECK(feed(s, k, sb(10, {0x0E})) == reply(10, {0x0E}));
    s.line_state(0x18);  // framing + break: break masked out
    CHECK(take_output(s) == reply(6, {0x08}));
    s.line_state(0x60);  // shift registers empty: masked
    CHECK(s.output().empty());
    CHECK(feed(s, k, sb(6, {})) == reply(6, {0x00}));  // poll
}

TEST_CASE("a client that does not read: receive() pauses, nothing is lost") {
    sink k;
    auto s = negotiated(k);
    bytes many;
    for (int i = 0; i < 200; ++i) {
        const auto q = sb(0, {});  // SIGNATURE request: 8-byte reply
        many.insert(many.end(), q.begin(), q.end());
    }
    const std::size_t first = s.receive(many, k);
    CHECK(first < many.size());
    CHECK(first % 6 == 0);  // stopped between commands
    CHECK(s.receive(std::span<const std::uint8_t>{many}.subspan(first), k) == 0);  // still full
    std::size_t sent = s.output().size();
    CHECK(sent + com_port_server::max_reply > com_port_server::output_capacity);
    s.consume_output(sent);
    std::span<const std::uint8_t> rest{many};
    rest = rest.subspan(first);
    while (!rest.empty()) {
        rest = rest.subspan(s.receive(rest, k));
        sent += s.output().size();
        s.consume_output(s.output().size());
    }
    CHECK(sent == 200 * 8);  // every request answered: IAC SB 44 100 'g' 'w' IAC SE
    CHECK(s.dropped_count() == 0);
}

TEST_CASE("two servers back to back go quiet: negotiation cannot loop") {
    com_port_server a;
    com_port_server b;
    sink ka;
    sink kb;
    a.start();
    b.start();
    int rounds = 0;
    while (!a.output().empty() || !b.output().empty()) {
        REQUIRE(++rounds < 10);
        const bytes from_a(a.output().begin(), a.output().end());
        const bytes from_b(b.output().begin(), b.output().end());
        a.consume_output(from_a.size());
        b.consume_output(from_b.size());
        CHECK(b.receive(from_a, kb) == from_a.size());
        CHECK(a.receive(from_b, ka) == from_b.size());
    }
    // Round 1: the requests, which confirm each other except DO COM-PORT (neither offers WILL),
    // answered with WILL; round 2: that WILL confirms the DO, and nothing more is said.
    CHECK(rounds == 2);
    CHECK(a.com_port_active());
    CHECK(a.binary_in());
    CHECK(a.binary_out());
    CHECK(ka.serial.empty());
}

TEST_CASE("a client that agrees to everything it is sent goes quiet with us") {
    // It answers every WILL with DO and every DO with WILL, even for options already on.
    com_port_server s;
    sink k;
    s.start();
    int rounds = 0;
    while (!s.output().empty()) {
        REQUIRE(++rounds < 10);
        bytes answer;
        const auto out = s.output();
        for (std::size_t i = 0; i + 2 < out.size(); i += 3) {
            const auto verb = out[i + 1];
            answer.insert(
                answer.end(),
                {0xFF, static_cast<std::uint8_t>(verb == 0xFB ? 0xFD : 0xFB), out[i + 2]});
        }
        s.consume_output(out.size());
        s.receive(answer, k);
    }
    CHECK(rounds == 1);
    CHECK(s.com_port_active());
}
