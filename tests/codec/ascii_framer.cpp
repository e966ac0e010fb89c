#include <gw/codec/ascii_framer.hpp>
#include <gw/transport/concepts.hpp>

#include "parsegrind.hpp"
#include "vectors.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using namespace gw;
using namespace std::chrono_literals;
using gw::test::cat;
using gw::test::error;
using gw::test::frame;
using gw::test::frame_event;
using gw::test::parsegrind;
using gw::test::pdu_pairs;
using bytes = std::vector<std::uint8_t>;
using transport::time_point;

namespace {

bytes chars(std::string_view s) {
    return bytes(s.begin(), s.end());
}

bytes ascii(std::uint8_t unit, const bytes& pdu) {
    bytes out(ascii_frame_size(pdu.size()));
    REQUIRE(encode_ascii(unit, pdu, out) == out.size());
    return out;
}

// Modbus over Serial Line 2.5.2: read holding registers 107, 3 at unit 0x11.
const bytes spec_frame = chars(
    ":"       // start
    "11"      // unit 17
    "03"      // function: read holding registers
    "006B"    // starting address 107
    "0003"    // quantity 3
    "7E"      // LRC: -(0x11 + 0x03 + 0x6B + 0x03)
    "\r\n");  // end
const bytes spec_pdu{0x03, 0x00, 0x6B, 0x00, 0x03};

const ascii_framer proto{};

}  // namespace

constexpr bool decodes_at_compile_time() {
    ascii_framer f;
    const std::uint8_t line[] = {':', '1', '1', '0', '7', 'E', '8', '\r', '\n'};  // unit 17, FC7
    const decode_result r = f.put(line, time_point{0});
    return r.status == decode_status::frame && f.unit() == 0x11 && f.pdu().size() == 1;
}
static_assert(decodes_at_compile_time());
constinit ascii_framer global_ascii_framer{};

TEST_CASE("encode_ascii: the specification's example") {
    CHECK(global_ascii_framer.put(spec_frame, time_point{0}).status == decode_status::frame);
    CHECK(ascii(0x11, spec_pdu) == spec_frame);
    bytes small(ascii_frame_size(5) - 1);
    CHECK(encode_ascii(0x11, spec_pdu, small) == 0);
    bytes out(600);
    CHECK(encode_ascii(1, bytes{}, out) == 0);
    CHECK(encode_ascii(1, bytes(254, 0), out) == 0);
    CHECK(encode_ascii(1, bytes(253, 0), out) == max_ascii_frame_chars);
}

TEST_CASE("every vector, both directions, every split") {
    parsegrind(proto, spec_frame, {frame(0x11, spec_pdu)});
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        parsegrind(proto, ascii(0x11, v.request), {frame(0x11, v.request)});
        parsegrind(proto, ascii(0x11, v.response), {frame(0x11, v.response)});
    }
}

TEST_CASE("all vectors back to back") {
    bytes stream;
    std::vector<frame_event> expected;
    std::uint8_t unit = 1;
    for (const auto& v : pdu_pairs()) {
        const auto f = ascii(unit, v.request);
        stream.insert(stream.end(), f.begin(), f.end());
        expected.push_back(frame(unit++, v.request));
    }
    parsegrind(proto, stream, expected);
}

TEST_CASE("lower-case hex is accepted") {
    parsegrind(proto, chars(":1103006b00037e\r\n"), {frame(0x11, spec_pdu)});
}

TEST_CASE("the largest frame: 513 characters") {
    bytes pdu(253, 0xA5);
    pdu[0] = 0x41;
    const auto f = ascii(0xF7, pdu);
    REQUIRE(f.size() == 513);
    parsegrind(proto, f, {frame(0xF7, pdu)});
}

TEST_CASE("one more byte is too long; the next frame is found") {
    bytes pdu(253, 0xA5);
    pdu[0] = 0x41;
    auto f = ascii(0xF7, pdu);
    f.insert(f.begin() + 5, {'0', '0'});  // 515 characters, 256 bytes
    parsegrind(proto, cat({f, spec_frame}),
               {error(decode_status::too_long), frame(0x11, spec_pdu)});
}

TEST_CASE("errors: each reported once, the next frame decoded") {
    struct bad {
        const char* why;
        std::string_view text;
        decode_status status;
    };
    const bad cases[] = {
        {"garbage before the start", "xyz\r\n", decode_status::bad_char},
        {"bad LRC", ":1103006B00037F\r\n", decode_status::bad_lrc},
        {"non-hex digit", ":1103006G00037E\r\n", decode_status::bad_char},
        {"odd number of digits", ":1103006B00037\r\n", decode_status::bad_char},
        {"CR without LF", ":1103006B00037E\rX", decode_status::bad_char},
        {"LF without CR", ":1103006B00037E\n", decode_status::bad_char},
        {"too short: unit only", ":11\r\n", decode_status::bad_char},
        {"too short: no LRC room", ":1103\r\n", decode_status::bad_char},
        {"empty", ":\r\n", decode_status::bad_char},
        {"a ':' restarts the frame", ":110300", decode_status::bad_char},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        parsegrind(proto, cat({chars(c.text), spec_frame}),
                   {error(c.status), frame(0x11, spec_pdu)});
    }
}

TEST_CASE("a ':' right after CR starts the next frame") {
    parsegrind(proto, cat({chars(":1103006B00037E\r"), spec_frame}),
               {error(decode_status::bad_char), frame(0x11, spec_pdu)});
}

TEST_CASE("garbage between frames and after the last") {
    parsegrind(
        proto,
        cat({spec_frame, chars(std::string_view{"\0\xFF junk", 7}), spec_frame, chars("!!")}),
        {frame(0x11, spec_pdu), error(decode_status::bad_char), frame(0x11, spec_pdu),
         error(decode_status::bad_char)});
}

TEST_CASE("inter-character timeout drops a partial frame") {
    ascii_framer f{100ms};
    const time_point t0{5000};
    CHECK(f.put(std::span{spec_frame}.first(6), t0).status == decode_status::need_more);
    REQUIRE(f.deadline().has_value());
    CHECK(*f.deadline() == t0 + 100ms);
    CHECK(f.poll(t0 + 99ms).status == decode_status::need_more);
    CHECK(f.poll(t0 + 100ms).status == decode_status::timeout);
    CHECK_FALSE(f.deadline().has_value());
    // The rest of the old frame, late: junk, then a whole new frame works.
    std::vector<frame_event> events;
    gw::test::drive(
        f, cat({std::vector<std::uint8_t>(spec_frame.begin() + 6, spec_frame.end()), spec_frame}),
        t0 + 200ms, events);
    CHECK(events ==
          std::vector<frame_event>{error(decode_status::bad_char), frame(0x11, spec_pdu)});
}

TEST_CASE("a late character reports the timeout before it is consumed") {
    ascii_framer f{100ms};
    CHECK(f.put(std::span{spec_frame}.first(6), time_point{0}).status == decode_status::need_more);
    const auto r = f.put(spec_frame, time_point{0} + 150ms);
    CHECK(r.status == decode_status::timeout);
    CHECK(r.consumed == 0);
    CHECK(f.put(spec_frame, time_point{0} + 150ms).status == decode_status::frame);
}

TEST_CASE("slow but steady characters do not time out") {
    ascii_framer f{100ms};
    std::vector<frame_event> events;
    for (std::size_t i = 0; i < spec_frame.size(); ++i) {
        gw::test::drive(f, std::span{spec_frame}.subspan(i, 1), time_point{0} + 90ms * i, events);
    }
    CHECK(events == std::vector<frame_event>{frame(0x11, spec_pdu)});
}

TEST_CASE("reset") {
    ascii_framer f;
    CHECK(f.put(std::span{spec_frame}.first(6), time_point{0}).status == decode_status::need_more);
    f.reset();
    CHECK_FALSE(f.deadline().has_value());
    CHECK(f.put(spec_frame, time_point{0}).status == decode_status::frame);
}
