#include <gw/device_server/telnet_codec.hpp>

#include "telnet_recorder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

using namespace gw::device_server;
using gw::test::telnet_recorder;
using bytes = std::vector<std::uint8_t>;
using events = std::vector<std::string>;

namespace {

events decode_whole(const bytes& in) {
    telnet_decoder d;
    telnet_recorder r;
    CHECK(d.decode(in, r) == in.size());
    return r.events;
}

// Every cut of the stream into two and three pieces, and byte by byte, gives `expected`.
void check_every_split(const bytes& in, const events& expected) {
    CHECK(decode_whole(in) == expected);
    for (std::size_t a = 0; a <= in.size(); ++a) {
        for (std::size_t b = a; b <= in.size(); ++b) {
            telnet_decoder d;
            telnet_recorder r;
            const std::span<const std::uint8_t> s{in};
            CHECK(d.decode(s.first(a), r) == a);
            CHECK(d.decode(s.subspan(a, b - a), r) == b - a);
            CHECK(d.decode(s.subspan(b), r) == in.size() - b);
            CHECK_MESSAGE(r.events == expected, "cut at ", a, " and ", b);
            CHECK_FALSE(d.in_command());
        }
    }
    telnet_decoder d;
    telnet_recorder r;
    for (const auto b : in) {
        d.decode(std::span<const std::uint8_t>{&b, 1}, r);
    }
    CHECK(r.events == expected);
}

// pyserial's Serial.open(): its five option requests, in its order.
const bytes pyserial_opening{
    0xFF, 0xFD, 0x01,  // IAC DO ECHO
    0xFF, 0xFB, 0x03,  // IAC WILL SGA
    0xFF, 0xFD, 0x03,  // IAC DO SGA
    0xFF, 0xFD, 0x2C,  // IAC DO COM-PORT-OPTION
    0xFF, 0xFB, 0x2C,  // IAC WILL COM-PORT-OPTION
};

}  // namespace

// --- compile time -----------------------------------------------------------------------------

namespace {
struct count_handler {
    int data = 0;
    int options = 0;
    std::uint32_t baud = 0;
    constexpr void on_data(std::span<const std::uint8_t> run) {
        data += static_cast<int>(run.size());
    }
    constexpr void on_option(telnet_verb, std::uint8_t) { ++options; }
    constexpr void on_com_port(const com_port_command& c) { baud = c.value; }
    constexpr void on_malformed(telnet_malformed) {}
};

constexpr bool decodes_at_compile_time() {
    telnet_decoder d;
    count_handler h;
    const std::uint8_t in[] = {0x41, 0xFF, 0xFB, 0x2C, 0xFF, 0xFA, 0x2C, 0x01,
                               0x00, 0x00, 0x25, 0x80, 0xFF, 0xF0, 0x42};
    return d.decode(in, h) == sizeof in && h.data == 2 && h.options == 1 && h.baud == 9600;
}
static_assert(decodes_at_compile_time());
}  // namespace

// --- data -------------------------------------------------------------------------------------

TEST_CASE("plain data is passed as one run, pointing into the input") {
    const bytes in{0x01, 0x03, 0x00, 0x00, 0x00, 0x02, 0xC4, 0x0B};  // an RTU request
    telnet_decoder d;
    telnet_recorder r;
    CHECK(d.decode(in, r) == in.size());
    CHECK(r.data_calls == 1);
    CHECK(r.data == in);
}

TEST_CASE("IAC IAC is one 0xFF, and the run goes on from the second byte of the pair") {
    const bytes in{0x41,         // 'A'
                   0xFF, 0xFF,   // escaped 0xFF
                   0x42, 0x43};  // 'B' 'C'
    struct spans : telnet_recorder {
        std::vector<const std::uint8_t*> starts;
        void on_data(std::span<const std::uint8_t> run) {
            starts.push_back(run.data());
            telnet_recorder::on_data(run);
        }
    } r;
    telnet_decoder d;
    d.decode(in, r);
    CHECK(r.data == bytes{0x41, 0xFF, 0x42, 0x43});
    REQUIRE(r.starts.size() == 2);  // 'A', then FF B C from the input's second 0xFF
    CHECK(r.starts[1] == in.data() + 2);
    check_every_split(in, {"data:41 ff 42 43"});
}

TEST_CASE("CR NUL and CR LF are data: never translated (BINARY is always negotiated)") {
    check_every_split({0x0D, 0x00, 0x0D, 0x0A}, {"data:0d 00 0d 0a"});
}

// --- options and commands ---------------------------------------------------------------------

TEST_CASE("pyserial's opening negotiation, split everywhere") {
    check_every_split(pyserial_opening, {"do:1", "will:3", "do:3", "do:44", "will:44"});
}

TEST_CASE("option negotiation between data") {
    check_every_split({0x41,              // 'A'
                       0xFF, 0xFE, 0x00,  // IAC DONT BINARY
                       0x42},             // 'B'
                      {"data:41", "dont:0", "data:42"});
}

TEST_CASE("other commands are reported and do not disturb the data") {
    check_every_split({0x41,        // 'A'
                       0xFF, 0xF1,  // IAC NOP
                       0xFF, 0xF3,  // IAC BRK
                       0xFF, 0xF0,  // IAC SE outside a subnegotiation
                       0x42},       // 'B'
                      {"data:41", "cmd:241", "cmd:243", "cmd:240", "data:42"});
}

// --- COM-PORT-OPTION --------------------------------------------------------------------------

TEST_CASE("SET-BAUDRATE 9600") {
    check_every_split({0xFF, 0xFA,              // IAC SB
                       0x2C,                    // COM-PORT-OPTION
                       0x01,                    // SET-BAUDRATE
                       0x00, 0x00, 0x25, 0x80,  // 9600, big endian
                       0xFF, 0xF0},             // IAC SE
                      {"com:1=9600"});
}

TEST_CASE("SET-BAUDRATE with 0xFF bytes in the value, doubled") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x01,  // IAC SB COM-PORT SET-BAUDRATE
                       0x00, 0x01,              // 0x00 0x01
                       0xFF, 0xFF,              // 0xFF (doubled)
                       0xFF, 0xFF,              // 0xFF (doubled)
                       0xFF, 0xF0},             // IAC SE
                      {"com:1=131071"});
}

TEST_CASE("each one-byte SET command and its value") {
    for (std::uint8_t code = 2; code <= 12; ++code) {
        if (code == 6 || code == 7 || code == 8 || code == 9) {
            continue;
        }
        CAPTURE(code);
        check_every_split({0xFF, 0xFA, 0x2C, code, 0x07, 0xFF, 0xF0},
                          {"com:" + std::to_string(code) + "=7"});
    }
}

TEST_CASE("NOTIFY polls without a value, FLOWCONTROL without one") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x07, 0xFF, 0xF0,  // NOTIFY-MODEMSTATE poll (pyserial)
                       0xFF, 0xFA, 0x2C, 0x06, 0x00, 0xFF, 0xF0,  // NOTIFY-LINESTATE 0
                       0xFF, 0xFA, 0x2C, 0x08, 0xFF, 0xF0,        // FLOWCONTROL-SUSPEND
                       0xFF, 0xFA, 0x2C, 0x09, 0xFF, 0xF0},       // FLOWCONTROL-RESUME
                      {"com:7", "com:6=0", "com:8", "com:9"});
}

TEST_CASE("SIGNATURE: a request (empty) and a text") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x00, 0xFF, 0xF0,             // SIGNATURE request
                       0xFF, 0xFA, 0x2C, 0x00, 'g', 'w', 0xFF, 0xF0},  // SIGNATURE "gw"
                      {"com:0", "com:0 text:67 77"});
}

TEST_CASE("server codes are parsed as such (what a client would receive)") {
    telnet_decoder d;
    struct : telnet_recorder {
        com_port_command last{};
        void on_com_port(const com_port_command& c) {
            last = c;
            telnet_recorder::on_com_port(c);
        }
    } r;
    const bytes in{0xFF, 0xFA, 0x2C, 0x65, 0x00, 0x00, 0x25, 0x80, 0xFF, 0xF0};  // 101 = 1 + 100
    d.decode(in, r);
    CHECK(r.events == events{"com:101=9600"});
    CHECK(r.last.from_server());
    CHECK(r.last.code() == com_port_code::set_baudrate);
}

TEST_CASE("a subnegotiation of another option is reported with its payload") {
    check_every_split({0xFF, 0xFA, 0x18, 0x01, 0xFF, 0xF0},  // TERMINAL-TYPE SEND
                      {"sb:24 01"});
}

// --- malformed --------------------------------------------------------------------------------

TEST_CASE("an oversized subnegotiation is discarded up to IAC SE, reported once") {
    bytes in{0xFF, 0xFA, 0x2C, 0x00};        // IAC SB COM-PORT SIGNATURE
    in.insert(in.end(), 100, 'A');           // 100 bytes of text: beyond the 64-byte bound
    in.insert(in.end(), {0xFF, 0xFF});       // an escaped 0xFF in the discarded part
    in.insert(in.end(), {0xFF, 0xF0, 'Z'});  // IAC SE, then data
    check_every_split(in, {"bad:too_long", "data:5a"});
    telnet_decoder d;
    telnet_recorder r;
    d.decode(in, r);
    CHECK(d.malformed_count() == 1);
}

TEST_CASE("the largest subnegotiation that fits is parsed") {
    bytes in{0xFF, 0xFA, 0x2C, 0x00};
    in.insert(in.end(), max_signature, 's');
    in.insert(in.end(), {0xFF, 0xF0});
    const auto e = decode_whole(in);
    REQUIRE(e.size() == 1);
    CHECK(e[0].starts_with("com:0 text:73"));
    in.insert(in.begin() + 4, 's');  // one more byte: too long
    CHECK(decode_whole(in) == events{"bad:too_long"});
}

TEST_CASE("wrong value sizes") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x01, 0x25, 0x80, 0xFF, 0xF0,  // SET-BAUDRATE, 2 bytes
                       0xFF, 0xFA, 0x2C, 0x02, 0xFF, 0xF0,              // SET-DATASIZE, none
                       0xFF, 0xFA, 0x2C, 0x02, 0x08, 0x08, 0xFF, 0xF0,  // SET-DATASIZE, 2 bytes
                       0xFF, 0xFA, 0x2C, 0x08, 0x01, 0xFF, 0xF0,        // FLOWCONTROL-SUSPEND 1
                       0xFF, 0xFA, 0x2C, 0x07, 0x01, 0x02, 0xFF, 0xF0,  // NOTIFY, 2 bytes
                       0xFF, 0xFA, 0x2C, 0xFF, 0xF0,                    // COM-PORT, no code
                       0xFF, 0xFA, 0xFF, 0xF0,                          // empty subnegotiation
                       0x41},
                      {"bad:length", "bad:length", "bad:length", "bad:length", "bad:length",
                       "bad:length", "bad:length", "data:41"});
}

TEST_CASE("unknown COM-PORT codes") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x0D, 0x00, 0xFF, 0xF0,   // 13
                       0xFF, 0xFA, 0x2C, 0x63, 0x00, 0xFF, 0xF0,   // 99
                       0xFF, 0xFA, 0x2C, 0x71, 0x00, 0xFF, 0xF0},  // 113
                      {"bad:unknown", "bad:unknown", "bad:unknown"});
}

TEST_CASE("a subnegotiation cut short by another command is dropped, the command kept") {
    check_every_split({0xFF, 0xFA, 0x2C, 0x02, 0x08,  // IAC SB COM-PORT SET-DATASIZE 8
                       0xFF, 0xFB, 0x00,              // IAC WILL BINARY (no IAC SE before it)
                       0x41},
                      {"bad:unterminated", "will:0", "data:41"});
    check_every_split({0xFF, 0xFA, 0x2C, 0x02,        // IAC SB COM-PORT SET-DATASIZE
                       0xFF, 0xFA, 0x2C, 0x02, 0x07,  // IAC SB again: restarts
                       0xFF, 0xF0},
                      {"bad:unterminated", "com:2=7"});
}

TEST_CASE("a truncated subnegotiation waits; reset() drops it") {
    telnet_decoder d;
    telnet_recorder r;
    const bytes in{0xFF, 0xFA, 0x2C, 0x01, 0x00, 0x00};  // SET-BAUDRATE, half of it
    d.decode(in, r);
    CHECK(r.events.empty());
    CHECK(d.in_command());
    d.reset();
    CHECK_FALSE(d.in_command());
    const bytes after{0x41};
    d.decode(after, r);
    CHECK(r.events == events{"data:41"});
}

// --- pause ------------------------------------------------------------------------------------

TEST_CASE("pause() stops decode right after the command") {
    struct : telnet_recorder {
        bool pause() const { return true; }
    } r;
    telnet_decoder d;
    const bytes in{0x41, 0xFF, 0xFD, 0x00,                    // 'A', IAC DO BINARY
                   0xFF, 0xFA, 0x2C, 0x02, 0x08, 0xFF, 0xF0,  // SET-DATASIZE 8
                   0x42};
    std::span<const std::uint8_t> s{in};
    CHECK(d.decode(s, r) == 4);
    CHECK(r.events == events{"data:41", "do:0"});
    s = s.subspan(4);
    CHECK(d.decode(s, r) == 7);
    s = s.subspan(7);
    CHECK(d.decode(s, r) == 1);
    CHECK(r.events == events{"data:41", "do:0", "com:2=8", "data:42"});
}

// --- encoder ----------------------------------------------------------------------------------

TEST_CASE("escape_data doubles 0xFF and never splits the pair") {
    const bytes in{0x41, 0xFF, 0x42};
    std::array<std::uint8_t, 8> out{};
    auto r = escape_data(in, std::span<std::uint8_t>{out}.first(2));
    CHECK(r.consumed == 1);  // 0xFF needs 2 bytes, only 1 left
    CHECK(r.written == 1);
    r = escape_data(in, std::span<std::uint8_t>{out}.first(3));
    CHECK(r.consumed == 2);
    CHECK(r.written == 3);
    r = escape_data(in, out);
    CHECK(r.consumed == 3);
    CHECK(r.written == 4);
    CHECK(bytes(out.begin(), out.begin() + 4) == bytes{0x41, 0xFF, 0xFF, 0x42});
    CHECK(escape_data(in, {}).consumed == 0);
}

TEST_CASE("escape then decode gives every byte value back, through a small output buffer") {
    bytes data;
    for (int i = 0; i < 256; ++i) {
        data.push_back(static_cast<std::uint8_t>(i));
        data.push_back(0xFF);
    }
    for (const std::size_t chunk : {2U, 3U, 7U, 64U}) {
        CAPTURE(chunk);
        bytes wire;
        std::span<const std::uint8_t> rest{data};
        std::vector<std::uint8_t> out(chunk);
        while (!rest.empty()) {
            const auto r = escape_data(rest, out);
            REQUIRE(r.consumed > 0);
            wire.insert(wire.end(), out.begin(), out.begin() + static_cast<long>(r.written));
            rest = rest.subspan(r.consumed);
        }
        CHECK(wire.size() == data.size() + 257);  // 256 + 1 (the value 0xFF itself) doubled
        telnet_decoder d;
        telnet_recorder rec;
        d.decode(wire, rec);
        CHECK(rec.data == data);
    }
}

TEST_CASE("encode_option") {
    std::array<std::uint8_t, 3> out{};
    CHECK(encode_option(telnet_verb::do_, telnet::option_com_port, out) == 3);
    CHECK(out == std::array<std::uint8_t, 3>{0xFF, 0xFD, 0x2C});  // IAC DO COM-PORT-OPTION
    CHECK(encode_option(telnet_verb::will, 0, std::span<std::uint8_t>{out}.first(2)) == 0);
}

TEST_CASE("encode_com_port_reply: widths and escaping") {
    std::array<std::uint8_t, 16> out{};
    std::size_t n = encode_com_port_reply(com_port_code::set_baudrate, 9600, out);
    CHECK(bytes(out.begin(), out.begin() + static_cast<long>(n)) ==
          bytes{0xFF, 0xFA, 0x2C,        // IAC SB COM-PORT-OPTION
                0x65,                    // SET-BAUDRATE + 100
                0x00, 0x00, 0x25, 0x80,  // 9600
                0xFF, 0xF0});            // IAC SE
    n = encode_com_port_reply(com_port_code::set_baudrate, 0x00FF00FF, out);
    CHECK(bytes(out.begin(), out.begin() + static_cast<long>(n)) ==
          bytes{0xFF, 0xFA, 0x2C, 0x65, 0x00, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xF0});
    n = encode_com_port_reply(com_port_code::set_datasize, 8, out);
    CHECK(bytes(out.begin(), out.begin() + static_cast<long>(n)) ==
          bytes{0xFF, 0xFA, 0x2C, 0x66, 0x08, 0xFF, 0xF0});
    n = encode_com_port_reply(com_port_code::flowcontrol_suspend, 0, out);
    CHECK(bytes(out.begin(), out.begin() + static_cast<long>(n)) ==
          bytes{0xFF, 0xFA, 0x2C, 0x6C, 0xFF, 0xF0});
    // Too small: nothing.
    CHECK(encode_com_port_reply(com_port_code::set_baudrate, 9600,
                                std::span<std::uint8_t>{out}.first(9)) == 0);
    CHECK(encode_com_port_reply(com_port_code::set_baudrate, 9600,
                                std::span<std::uint8_t>{out}.first(10)) == 10);
}

TEST_CASE("an encoded reply decodes to itself") {
    std::array<std::uint8_t, 16> out{};
    const std::size_t n = encode_com_port_reply(com_port_code::set_baudrate, 0xFFFFFFFF, out);
    CHECK(n == com_port_frame_capacity(4));
    CHECK(decode_whole(bytes(out.begin(), out.begin() + static_cast<long>(n))) ==
          events{"com:101=4294967295"});
}
