#include <gw/device/server.hpp>

#include <gw/device/static_data_model.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string_view>
#include <vector>

using namespace gw;
using bytes = std::vector<std::uint8_t>;

namespace {

using model = static_data_model<100, 100, 100, 100>;

struct fixture {
    model m{};
    static constexpr std::string_view id = "GW";
    server<model> s{m, std::span{reinterpret_cast<const std::uint8_t*>(id.data()), id.size()}};

    bytes call(const bytes& request) {
        std::array<std::uint8_t, max_pdu_size> out{};
        const std::size_t n = s.handle(request, out);
        return bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    }
};

}  // namespace

TEST_CASE("FC1 read coils / FC2 read discrete inputs") {
    fixture f;
    f.m.set_coil(19, true);
    f.m.set_coil(21, true);
    f.m.set_discrete_input(99, true);
    CHECK(f.call({0x01, 0x00, 0x13, 0x00, 0x0A}) == bytes{0x01, 0x02, 0x05, 0x00});
    CHECK(f.call({0x02, 0x00, 0x62, 0x00, 0x02}) == bytes{0x02, 0x01, 0x02});
    CHECK(f.call({0x01, 0x00, 0x63, 0x00, 0x02}) == bytes{0x81, 0x02});  // past the model
}

TEST_CASE("FC3 read holding / FC4 read input registers") {
    fixture f;
    f.m.set_holding_register(0, 0x1234);
    f.m.set_holding_register(1, 0x5678);
    f.m.set_input_register(99, 0x00FF);
    CHECK(f.call({0x03, 0x00, 0x00, 0x00, 0x02}) == bytes{0x03, 0x04, 0x12, 0x34, 0x56, 0x78});
    CHECK(f.call({0x04, 0x00, 0x63, 0x00, 0x01}) == bytes{0x04, 0x02, 0x00, 0xFF});
    CHECK(f.call({0x04, 0x00, 0x63, 0x00, 0x02}) == bytes{0x84, 0x02});
    // 100 registers: the whole table.
    const auto r = f.call({0x03, 0x00, 0x00, 0x00, 0x64});
    CHECK(r.size() == 2 + 200);
    CHECK(r[1] == 200);
}

TEST_CASE("FC5 write single coil, on and off") {
    fixture f;
    CHECK(f.call({0x05, 0x00, 0x07, 0xFF, 0x00}) == bytes{0x05, 0x00, 0x07, 0xFF, 0x00});
    CHECK(f.m.coil(7));
    CHECK(f.call({0x05, 0x00, 0x07, 0x00, 0x00}) == bytes{0x05, 0x00, 0x07, 0x00, 0x00});
    CHECK_FALSE(f.m.coil(7));
    CHECK(f.call({0x05, 0x00, 0x07, 0x12, 0x34}) == bytes{0x85, 0x03});
    CHECK(f.call({0x05, 0x00, 0x64, 0xFF, 0x00}) == bytes{0x85, 0x02});
}

TEST_CASE("FC6 write single register") {
    fixture f;
    CHECK(f.call({0x06, 0x00, 0x01, 0x00, 0x03}) == bytes{0x06, 0x00, 0x01, 0x00, 0x03});
    CHECK(f.m.holding_register(1) == 3);
    CHECK(f.call({0x06, 0x01, 0x00, 0x00, 0x03}) == bytes{0x86, 0x02});
}

TEST_CASE("FC15 write multiple coils") {
    fixture f;
    CHECK(f.call({0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01}) ==
          bytes{0x0F, 0x00, 0x13, 0x00, 0x0A});
    CHECK(f.m.coil(19));
    CHECK_FALSE(f.m.coil(20));
    CHECK(f.m.coil(27));
    CHECK_FALSE(f.m.coil(28));
    // CVE-2019-14462 class: byte count disagrees with the quantity -> 03, nothing written.
    CHECK(f.call({0x0F, 0x00, 0x00, 0x00, 0x10, 0x01, 0xFF}) == bytes{0x8F, 0x03});
    CHECK_FALSE(f.m.coil(0));
}

TEST_CASE("FC16 write multiple registers") {
    fixture f;
    CHECK(f.call({0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02}) ==
          bytes{0x10, 0x00, 0x01, 0x00, 0x02});
    CHECK(f.m.holding_register(1) == 10);
    CHECK(f.m.holding_register(2) == 258);
    // CVE-2019-14463 class.
    CHECK(f.call({0x10, 0x00, 0x01, 0x00, 0x7B, 0x02, 0x00, 0x00}) == bytes{0x90, 0x03});
    CHECK(f.call({0x10, 0x00, 0x63, 0x00, 0x02, 0x04, 0, 0, 0, 0}) == bytes{0x90, 0x02});
}

TEST_CASE("FC22 mask write register: the specification's example") {
    fixture f;
    f.m.set_holding_register(4, 0x0012);
    CHECK(f.call({0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25}) ==
          bytes{0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25});
    CHECK(f.m.holding_register(4) == 0x0017);
    CHECK(f.call({0x16, 0x00, 0x64, 0x00, 0xF2, 0x00, 0x25}) == bytes{0x96, 0x02});
}

TEST_CASE("FC23 read/write: the write happens before the read") {
    fixture f;
    f.m.set_holding_register(3, 0x00FE);
    CHECK(f.call({0x17, 0x00, 0x03, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x02, 0x0A, 0xCD}) ==
          bytes{0x17, 0x04, 0x00, 0xFE, 0x0A, 0xCD});
    CHECK(f.m.holding_register(4) == 0x0ACD);
    // CVE-2022-0367 class: the write window overflows -> 02 from the codec, nothing written.
    CHECK(f.call({0x17, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0x00, 0x02, 0x04, 1, 2, 3, 4}) ==
          bytes{0x97, 0x02});
    // Window inside the address space but past the model.
    CHECK(f.call({0x17, 0x00, 0x63, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0, 0}) ==
          bytes{0x97, 0x02});
}

TEST_CASE("FC7 read exception status") {
    fixture f;
    f.s.set_exception_status(0x6D);
    CHECK(f.call({0x07}) == bytes{0x07, 0x6D});
    CHECK(f.call({0x07, 0x00}) == bytes{0x87, 0x03});
}

TEST_CASE("FC17 report server id") {
    fixture f;
    CHECK(f.call({0x11}) == bytes{0x11, 0x03, 'G', 'W', 0xFF});
    f.s.set_run_indicator(false);
    CHECK(f.call({0x11}) == bytes{0x11, 0x03, 'G', 'W', 0x00});
    model m;
    server<model> anonymous{m};
    std::array<std::uint8_t, 253> out{};
    const std::uint8_t req[] = {0x11};
    CHECK(anonymous.handle(req, out) == 3);
    CHECK(out[1] == 1);
    // An id too long for a PDU is cut to 250 bytes.
    const std::array<std::uint8_t, 300> long_id{};
    anonymous.set_server_id(long_id);
    CHECK(anonymous.handle(req, out) == 253);
}

TEST_CASE("FC8 diagnostics and FC11 comm event counter") {
    fixture f;
    // 0: return query data echoes the request.
    CHECK(f.call({0x08, 0x00, 0x00, 0xA5, 0x37}) == bytes{0x08, 0x00, 0x00, 0xA5, 0x37});
    CHECK(f.call({0x08, 0x00, 0x00, 1, 2, 3}) == bytes{0x08, 0x00, 0x00, 1, 2, 3});
    // Counters: 3 messages so far (this one included), no exception.
    CHECK(f.call({0x08, 0x00, 0x0E, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0E, 0x00, 0x03});
    CHECK(f.call({0x08, 0x00, 0x0B, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0B, 0x00, 0x04});
    CHECK(f.call({0x08, 0x00, 0x0D, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0D, 0x00, 0x00});
    CHECK(f.call({0x03, 0x00, 0x00, 0x00, 0x00}) == bytes{0x83, 0x03});
    CHECK(f.call({0x08, 0x00, 0x0D, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0D, 0x00, 0x01});
    // Transport-side events.
    f.s.note_communication_error();
    f.s.note_character_overrun();
    f.s.note_character_overrun();
    CHECK(f.call({0x08, 0x00, 0x0C, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0C, 0x00, 0x01});
    CHECK(f.call({0x08, 0x00, 0x12, 0x00, 0x00}) == bytes{0x08, 0x00, 0x12, 0x00, 0x02});
    CHECK(f.call({0x08, 0x00, 0x14, 0x00, 0x00}) == bytes{0x08, 0x00, 0x14, 0x00, 0x00});
    CHECK(f.call({0x08, 0x00, 0x12, 0x00, 0x00}) == bytes{0x08, 0x00, 0x12, 0x00, 0x00});
    CHECK(f.call({0x08, 0x00, 0x0F, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0F, 0x00, 0x00});
    CHECK(f.call({0x08, 0x00, 0x10, 0x00, 0x00}) == bytes{0x08, 0x00, 0x10, 0x00, 0x00});
    CHECK(f.call({0x08, 0x00, 0x11, 0x00, 0x00}) == bytes{0x08, 0x00, 0x11, 0x00, 0x00});
    // 2: diagnostic register.
    f.s.set_diagnostic_register(0xA5A5);
    CHECK(f.call({0x08, 0x00, 0x02, 0x00, 0x00}) == bytes{0x08, 0x00, 0x02, 0xA5, 0xA5});
    // FC11: successful completions so far, not counting the exception nor FC11 itself.
    const auto events = f.s.event_counter();
    CHECK(events == 14);
    CHECK(f.call({0x0B}) == bytes{0x0B, 0x00, 0x00, 0x00, 14});
    CHECK(f.call({0x0B}) == bytes{0x0B, 0x00, 0x00, 0x00, 14});
    // 10: clear counters and the diagnostic register.
    CHECK(f.call({0x08, 0x00, 0x0A, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0A, 0x00, 0x00});
    CHECK(f.s.diagnostic_register() == 0);
    CHECK(f.call({0x08, 0x00, 0x0E, 0x00, 0x00}) == bytes{0x08, 0x00, 0x0E, 0x00, 0x01});
    // Unsupported and malformed sub-functions.
    CHECK(f.call({0x08, 0x00, 0x03, 0x0A, 0x00}) == bytes{0x88, 0x01});
    CHECK(f.call({0x08, 0x00, 0x0B, 0x00, 0x01}) == bytes{0x88, 0x03});
}

TEST_CASE("FC8/4 listen only mode: silent until FC8/1") {
    fixture f;
    CHECK(f.call({0x08, 0x00, 0x04, 0x00, 0x00}).empty());  // no response
    CHECK(f.s.listen_only());
    CHECK(f.call({0x03, 0x00, 0x00, 0x00, 0x01}).empty());
    CHECK(f.call({0x06, 0x00, 0x00, 0x00, 0x01}).empty());
    CHECK(f.m.holding_register(0) == 0);                    // not executed
    CHECK(f.call({0x08, 0x00, 0x01, 0x00, 0x00}).empty());  // restart: leaves, silently
    CHECK_FALSE(f.s.listen_only());
    CHECK(f.call({0x03, 0x00, 0x00, 0x00, 0x01}) == bytes{0x03, 0x02, 0x00, 0x00});
    // Restart when not listen-only answers first, then clears the counters.
    CHECK(f.call({0x08, 0x00, 0x01, 0xFF, 0x00}) == bytes{0x08, 0x00, 0x01, 0xFF, 0x00});
    CHECK(f.s.event_counter() == 0);
    CHECK(f.s.counters().server_message == 0);
}

TEST_CASE("functions the server does not implement: 01") {
    fixture f;
    const std::vector<bytes> unsupported{
        {0x0C},                                                  // FC12 get comm event log
        {0x14, 0x07, 0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02},  // FC20 read file record
        {0x15, 0x09, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x01, 0x06, 0xAF},  // FC21
        {0x18, 0x04, 0xDE},                                                  // FC24 read FIFO queue
        {0x2B, 0x0E, 0x01, 0x00},                                            // FC43/14 device id
        {0x41, 0x01},                                                        // user-defined 65
        {0x09},                                                              // unknown public code
    };
    for (const auto& q : unsupported) {
        INFO("fc " << int(q[0]));
        CHECK(f.call(q) == bytes{static_cast<std::uint8_t>(q[0] | 0x80), 0x01});
    }
    CHECK(f.s.counters().bus_exception_error == unsupported.size());
}

TEST_CASE("validation comes first: quantity 03, then address window 02") {
    fixture f;
    CHECK(f.call({0x01}) == bytes{0x81, 0x03});  // function code alone (libmodbus #837 class)
    CHECK(f.call({0x03, 0x00, 0x00, 0x00, 0x7E}) == bytes{0x83, 0x03});
    CHECK(f.call({0x03, 0xFF, 0xFF, 0x00, 0x02}) == bytes{0x83, 0x02});
    CHECK(f.call({0x01, 0x00, 0x00, 0x07, 0xD1}) == bytes{0x81, 0x03});
}

TEST_CASE("broadcast: executed, nothing answered") {
    fixture f;
    std::array<std::uint8_t, 253> scratch{};
    const std::uint8_t write[] = {0x06, 0x00, 0x05, 0x12, 0x34};
    f.s.handle_broadcast(write, scratch);
    CHECK(f.m.holding_register(5) == 0x1234);
    CHECK(f.s.counters().server_no_response == 1);
    const std::uint8_t bad[] = {0x06, 0x01, 0x00, 0x00, 0x00};
    f.s.handle_broadcast(bad, scratch);
    CHECK(f.s.counters().bus_exception_error == 0);
}

TEST_CASE("small or empty buffers") {
    fixture f;
    std::array<std::uint8_t, 1> tiny{};
    const std::uint8_t req[] = {0x07};
    CHECK(f.s.handle(req, tiny) == 0);
    std::array<std::uint8_t, 4> small{};
    CHECK(f.s.handle(req, small) == 2);
    const std::uint8_t read[] = {0x03, 0x00, 0x00, 0x00, 0x02};
    CHECK(f.s.handle(read, small) == 2);  // 6 bytes needed: server device failure
    CHECK(small[0] == 0x83);
    CHECK(small[1] == 0x04);
    CHECK(f.s.handle({}, small) == 0);
}

namespace {
using small_model = static_data_model<4, 4, 4, 4>;
constinit small_model global_model{};
// Bare metal: model and server are static data, constructed before main without code.
constinit server<small_model> global_server{global_model};
}  // namespace

TEST_CASE("a constinit server on a constinit model") {
    std::array<std::uint8_t, max_pdu_size> out{};
    const std::uint8_t write[] = {0x06, 0x00, 0x03, 0xAB, 0xCD};
    CHECK(global_server.handle(write, out) == 5);
    const std::uint8_t read[] = {0x03, 0x00, 0x03, 0x00, 0x01};
    CHECK(global_server.handle(read, out) == 4);
    CHECK(out[2] == 0xAB);
    CHECK(out[3] == 0xCD);
}
