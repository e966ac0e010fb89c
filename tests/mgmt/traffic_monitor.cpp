// The traffic monitor's pieces without a network: frame addresses per framing, filters, the
// ring and its JSON answer, the pcapng layout block by block, and the event streams (a
// recording stand-in for the HTTPS connection).
#include <gw/config/json_impl.hpp>
#include <gw/mgmt/traffic_monitor.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;
using gw::gateway::traffic_direction;
using gw::mgmt::address_of;
using gw::router::channel_framing;
namespace http = gw::mgmt::http;

bytes ascii(std::string_view s) {
    return {s.begin(), s.end()};
}

gw::mgmt::traffic_entry entry(std::uint16_t channel, const bytes& b) {
    gw::mgmt::traffic_entry e;
    e.channel = channel;
    e.size = static_cast<std::uint16_t>(b.size());
    std::copy(b.begin(), b.end(), e.bytes.begin());
    return e;
}

/// An event stream that records what it is sent.
struct recording_stream : gw::mgmt::event_stream {
    std::vector<std::string> sent;
    bool is_open = true;
    bool send(std::string event) override {
        if (!is_open) return false;
        sent.push_back(std::move(event));
        return true;
    }
    void close() override { is_open = false; }
    bool open() const override { return is_open; }
};

/// Calls the monitor's endpoint as the API would, for GET `target`.
struct caller {
    gw::mgmt::traffic_monitor& monitor;
    std::vector<std::shared_ptr<recording_stream>> streams;

    gw::mgmt::http_response get(const std::string& target, const std::string& last_id = {}) {
        auto endpoints = monitor.endpoints();
        REQUIRE(endpoints.size() == 1);
        gw::mgmt::api_call c;
        c.request = gw::mgmt::http_request{http::verb::get, target, 11};
        if (!last_id.empty()) c.request.set("Last-Event-ID", last_id);
        const auto path = target.substr(8, target.find('?') - 8);
        c.path = path;
        gw::mgmt::http_response answer;
        c.respond = [&](gw::mgmt::http_response r) { answer = std::move(r); };
        c.context.open_stream = [this, &answer](http::response_header<> head) {
            answer.result(head.result());
            auto s = std::make_shared<recording_stream>();
            streams.push_back(s);
            return std::shared_ptr<gw::mgmt::event_stream>{s};
        };
        endpoints[0].handle(std::move(c));
        return answer;
    }
};

gw::gateway::traffic_frame frame(std::size_t channel, traffic_direction d, const bytes& b) {
    gw::gateway::traffic_frame f;
    f.channel = channel;
    f.direction = d;
    f.bytes = b;
    return f;
}

std::uint32_t le32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at + i])) << (8 * i);
    return v;
}

}  // namespace

TEST_CASE("traffic monitor: unit and function code per framing") {
    // RTU: unit, function, ... CRC
    auto a =
        address_of(channel_framing::rtu, bytes{0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87});
    REQUIRE(a);
    CHECK(a->unit == 0x11);
    CHECK(a->function == 0x03);
    a = address_of(channel_framing::rtu, bytes{0x11, 0x83, 0x02, 0xC1, 0x34});  // an exception
    REQUIRE(a);
    CHECK(a->function == 0x83);
    CHECK_FALSE(address_of(channel_framing::rtu, bytes{0x11}));
    // MBAP: transaction 0001, protocol 0000, length 0006, unit 0x11, function 0x03
    a = address_of(channel_framing::mbap, bytes{0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03});
    REQUIRE(a);
    CHECK(a->unit == 0x11);
    CHECK(a->function == 0x03);
    CHECK_FALSE(address_of(channel_framing::mbap, bytes{0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11}));
    // ASCII: ':' then unit and function as hex pairs, either case
    a = address_of(channel_framing::ascii, ascii(":1103006B00037E\r\n"));
    REQUIRE(a);
    CHECK(a->unit == 0x11);
    CHECK(a->function == 0x03);
    a = address_of(channel_framing::ascii, ascii(":0a83"));
    REQUIRE(a);
    CHECK(a->unit == 0x0A);
    CHECK(a->function == 0x83);
    CHECK_FALSE(address_of(channel_framing::ascii, ascii("1103006B")));  // no ':'
    CHECK_FALSE(address_of(channel_framing::ascii, ascii(":11G3")));     // not hex
    CHECK_FALSE(address_of(channel_framing::ascii, ascii(":110")));      // too short
    CHECK_FALSE(address_of(channel_framing::ascii, bytes{}));
}

TEST_CASE("traffic monitor: a filter by channel, unit and function (exceptions included)") {
    gw::mgmt::traffic_filter f;
    const auto read = entry(1, {0x05, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x4E});
    const auto fault = entry(1, {0x05, 0x83, 0x02, 0x00, 0x00});
    const auto other = entry(0, {0x05, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x4E});
    CHECK(f.matches(read, channel_framing::rtu));
    f.channel = 1;
    CHECK(f.matches(read, channel_framing::rtu));
    CHECK_FALSE(f.matches(other, channel_framing::rtu));
    f.unit = 5;
    f.function = 3;
    CHECK(f.matches(read, channel_framing::rtu));
    CHECK(f.matches(fault, channel_framing::rtu));
    f.function = 6;
    CHECK_FALSE(f.matches(read, channel_framing::rtu));
    f.function.reset();
    f.unit = 6;
    CHECK_FALSE(f.matches(read, channel_framing::rtu));
    // A frame too short to have a unit never matches a unit filter.
    CHECK_FALSE(f.matches(entry(1, {0x05}), channel_framing::rtu));
}

TEST_CASE("traffic monitor: the rx buffer hands over what it holds, cut at its bound") {
    gw::gateway::traffic_rx_buffer b;
    std::vector<std::pair<bytes, bool>> seen;
    const gw::gateway::traffic_tap tap = [&](const gw::gateway::traffic_frame& f) {
        CHECK(f.direction == traffic_direction::from_device);
        seen.push_back({{f.bytes.begin(), f.bytes.end()}, f.truncated});
    };
    b.flush(tap, 0);
    CHECK(seen.empty());  // nothing held, nothing handed over
    b.append(bytes{1, 2});
    b.append(bytes{3});
    b.flush(tap, 0);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].first == bytes{1, 2, 3});
    CHECK_FALSE(seen[0].second);
    b.append(bytes(gw::gateway::max_traffic_frame + 10, 0xAA));
    b.flush(tap, 0);
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].first.size() == gw::gateway::max_traffic_frame);
    CHECK(seen[1].second);
    CHECK(b.empty());
}

TEST_CASE("traffic monitor: the ring keeps the newest frames; GET answers them with filters") {
    gw::mgmt::http_response r;
    boost::asio::io_context io;
    gw::mgmt::traffic_monitor m{
        io, {{"line1", channel_framing::rtu}, {"plc", channel_framing::mbap}}, 4};
    caller call{m, {}};
    for (std::uint8_t unit = 1; unit <= 6; ++unit)
        m.record(frame(0, traffic_direction::to_device, {unit, 0x03, 0x00, 0x00, 0x00, 0x01}));
    m.record(frame(7, traffic_direction::to_device, {1, 3}));  // no such channel: ignored
    CHECK(m.recorded() == 6);
    r = call.get("/api/v1/traffic");
    REQUIRE(r.result() == http::status::ok);
    auto j = boost::json::parse(r.body()).as_object();
    auto& frames = j["frames"].as_array();
    REQUIRE(frames.size() == 4);  // the oldest two gave way
    CHECK(frames[0].as_object()["seq"].to_number<int>() == 2);
    CHECK(frames[0].as_object()["unit"].to_number<int>() == 3);
    CHECK(frames[0].as_object()["hex"].as_string() == "030300000001");
    CHECK(frames[0].as_object()["direction"].as_string() == "to_device");
    CHECK(frames[0].as_object()["channel"].as_string() == "line1");
    CHECK(j["next"].to_number<int>() == 6);

    r = call.get("/api/v1/traffic?after=3&limit=1");
    j = boost::json::parse(r.body()).as_object();
    REQUIRE(j["frames"].as_array().size() == 1);
    CHECK(j["frames"].as_array()[0].as_object()["seq"].to_number<int>() == 5);  // the newest

    r = call.get("/api/v1/traffic?unit=4");
    j = boost::json::parse(r.body()).as_object();
    REQUIRE(j["frames"].as_array().size() == 1);
    CHECK(j["frames"].as_array()[0].as_object()["unit"].to_number<int>() == 4);

    for (const char* bad :
         {"/api/v1/traffic?unit=256", "/api/v1/traffic?function=0", "/api/v1/traffic?function=128",
          "/api/v1/traffic?channel=nope", "/api/v1/traffic?limit=0", "/api/v1/traffic?limit=1001",
          "/api/v1/traffic?unit=1x"}) {
        CAPTURE(bad);
        CHECK(call.get(bad).result() == http::status::bad_request);
    }
    CHECK(call.get("/api/v1/traffic/nothing").result() == http::status::not_found);
}

TEST_CASE("traffic monitor: the pcapng capture, block by block") {
    boost::asio::io_context io;
    gw::mgmt::traffic_monitor m{io,
                                {{"line1", channel_framing::rtu}, {"plc", channel_framing::mbap}}};
    caller call{m, {}};
    m.record(
        frame(0, traffic_direction::to_device, {0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A}));
    m.record(frame(1, traffic_direction::from_device, {0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01}));
    const auto r = call.get("/api/v1/traffic/pcap");
    REQUIRE(r.result() == http::status::ok);
    const std::string& p = r.body();
    // Every block: type, total length, ..., the same length again; lengths are multiples of 4.
    std::vector<std::uint32_t> types;
    std::vector<std::size_t> starts;
    std::size_t at = 0;
    while (at < p.size()) {
        REQUIRE(at + 12 <= p.size());
        const auto length = le32(p, at + 4);
        REQUIRE(length % 4 == 0);
        REQUIRE(at + length <= p.size());
        CHECK(le32(p, at + length - 4) == length);
        types.push_back(le32(p, at));
        starts.push_back(at);
        at += length;
    }
    CHECK(at == p.size());
    // Section header, an interface per channel, a packet per frame.
    CHECK(types == std::vector<std::uint32_t>{0x0A0D0D0A, 1, 1, 6, 6});
    CHECK(le32(p, 8) == 0x1A2B3C4D);                  // byte-order magic: little-endian
    CHECK((le32(p, starts[1] + 8) & 0xFFFF) == 147);  // RTU: LINKTYPE_USER0
    CHECK((le32(p, starts[2] + 8) & 0xFFFF) == 148);  // MBAP: LINKTYPE_USER1
    // The interfaces are named after the channels (if_name, option 2).
    CHECK(p.substr(starts[1] + 16, 4) == std::string("\x02\x00\x05\x00", 4));
    CHECK(p.substr(starts[1] + 20, 5) == "line1");
    // The first packet: interface 0, captured and original length 8, the bytes, outbound.
    const auto e = starts[3];
    CHECK(le32(p, e + 8) == 0);
    CHECK(le32(p, e + 20) == 8);
    CHECK(le32(p, e + 24) == 8);
    CHECK(p.substr(e + 28, 8) == std::string("\x01\x03\x00\x00\x00\x01\x84\x0A", 8));
    CHECK(p.substr(e + 36, 8) == std::string("\x02\x00\x04\x00\x02\x00\x00\x00", 8));  // flags
    // The second: interface 1, 7 bytes padded to 8, inbound.
    const auto f = starts[4];
    CHECK(le32(p, f + 8) == 1);
    CHECK(le32(p, f + 20) == 7);
    CHECK(p.substr(f + 36, 8) == std::string("\x02\x00\x04\x00\x01\x00\x00\x00", 8));
}

TEST_CASE("traffic monitor: streams get the frames their filter wants, replay, and a cap") {
    boost::asio::io_context io;
    gw::mgmt::traffic_monitor m{io, {{"line1", channel_framing::rtu}}};
    caller call{m, {}};
    CHECK(call.get("/api/v1/traffic/stream?unit=2").result() == http::status::ok);
    REQUIRE(call.streams.size() == 1);
    auto& s = *call.streams[0];
    REQUIRE(s.sent.size() == 1);
    CHECK(s.sent[0].starts_with("retry: "));  // the reconnect delay, before any frame
    m.record(frame(0, traffic_direction::to_device, {1, 3, 0, 0, 0, 1}));
    m.record(frame(0, traffic_direction::to_device, {2, 3, 0, 0, 0, 1}));
    REQUIRE(s.sent.size() == 2);
    CHECK(s.sent[1].starts_with("id: 1\ndata: {"));
    CHECK(s.sent[1].ends_with("}\n\n"));
    CHECK(s.sent[1].find("\"hex\":\"020300000001\"") != std::string::npos);

    // A reconnect after id 0 gets frame 1 (unit 2) from the ring, not frame 0 (unit 1).
    CHECK(call.get("/api/v1/traffic/stream?unit=2", "0").result() == http::status::ok);
    REQUIRE(call.streams.size() == 2);
    REQUIRE(call.streams[1]->sent.size() == 2);
    CHECK(call.streams[1]->sent[0].starts_with("id: 1\n"));

    // A closed stream is forgotten at the next frame; four streams at most.
    call.streams[1]->is_open = false;
    m.record(frame(0, traffic_direction::from_device, {2, 3, 2, 0, 7}));
    CHECK(m.streams() == 1);
    CHECK(s.sent.size() == 3);
    for (int i = 0; i < 3; ++i)
        CHECK(call.get("/api/v1/traffic/stream").result() == http::status::ok);
    CHECK(call.get("/api/v1/traffic/stream").result() == http::status::service_unavailable);
    CHECK(call.get("/api/v1/traffic/stream?function=999").result() == http::status::bad_request);
    m.stop();
    CHECK_FALSE(s.is_open);
}
