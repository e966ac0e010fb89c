// examples/simulator/responder.hpp: the simulated units' replies and faults, byte for byte.
#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/crc16.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/transport/concepts.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <set>
#include <span>
#include <vector>

#include "simulator/responder.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
using gw::sim::fault_kind;
using gw::sim::responder;
using gw::sim::responder_settings;
using gw::sim::wire_mode;

bytes to_vector(std::span<const std::uint8_t> s) {
    return {s.begin(), s.end()};
}

responder_settings rtu_units(std::vector<std::uint8_t> units) {
    responder_settings s;
    s.units = std::move(units);
    return s;
}

// FC 3, start 0x000A, quantity 2.
const bytes read_hr_10_2{0x03, 0x00, 0x0A, 0x00, 0x02};

}  // namespace

TEST_CASE("responder: each unit answers from its own tables") {
    responder r(rtu_units({1, 2, 3}));
    // Unit 1, holding[10..11] = 10, 11.
    const bytes expected{0x01, 0x03, 0x04, 0x00, 0x0A, 0x00, 0x0B, 0x00, 0x00};
    auto reply = to_vector(r.respond(1, read_hr_10_2));
    REQUIRE(reply.size() == expected.size());
    CHECK(std::equal(reply.begin(), reply.end() - 2, expected.begin()));
    CHECK(gw::crc16_ok(reply));

    // Input registers: unit * 1000 + i, so unit 2 and 3 differ.
    const bytes read_ir_5_1{0x04, 0x00, 0x05, 0x00, 0x01};
    reply = to_vector(r.respond(2, read_ir_5_1));
    CHECK(bytes(reply.begin(), reply.end() - 2) == bytes{0x02, 0x04, 0x02, 0x07, 0xD5});  // 2005
    reply = to_vector(r.respond(3, read_ir_5_1));
    CHECK(bytes(reply.begin(), reply.end() - 2) == bytes{0x03, 0x04, 0x02, 0x0B, 0xBD});  // 3005

    // A write to unit 1 does not touch unit 2.
    const bytes write_hr_7{0x06, 0x00, 0x07, 0x12, 0x34};
    reply = to_vector(r.respond(1, write_hr_7));
    CHECK(bytes(reply.begin() + 1, reply.end() - 2) == write_hr_7);  // echo
    CHECK(r.model(1)->holding_register(7) == 0x1234);
    CHECK(r.model(2)->holding_register(7) == 7);

    // Beyond the tables: exception 02.
    const bytes read_far{0x03, 0x27, 0x0F, 0x00, 0x02};  // 9999, 2
    reply = to_vector(r.respond(1, read_far));
    CHECK(bytes(reply.begin(), reply.end() - 2) == bytes{0x01, 0x83, 0x02});
    CHECK(r.counters().requests == 5);
    CHECK(r.counters().replies == 5);
}

TEST_CASE("responder: other units and broadcasts get no reply") {
    responder r(rtu_units({1, 2}));
    CHECK(r.respond(9, read_hr_10_2).empty());
    CHECK(r.model(9) == nullptr);
    CHECK(r.counters().other_units == 1);

    const bytes write_hr_50{0x06, 0x00, 0x32, 0x03, 0x09};
    CHECK(r.respond(0, write_hr_50).empty());
    CHECK(r.model(1)->holding_register(50) == 777);
    CHECK(r.model(2)->holding_register(50) == 777);
    CHECK(r.counters().broadcasts == 1);
}

TEST_CASE("responder: the faults shape the reply") {
    const auto good = [] {
        responder clean(rtu_units({1, 2}));
        return to_vector(clean.respond(1, read_hr_10_2));
    }();
    REQUIRE(good.size() == 9);

    auto settings = rtu_units({1, 2});
    SUBCASE("silence") {
        settings.fault.kind = fault_kind::silence;
        responder r(settings);
        CHECK(r.respond(1, read_hr_10_2).empty());
        CHECK(r.last_fault() == fault_kind::silence);
        CHECK(r.counters().faults == 1);
        CHECK(r.counters().replies == 0);
    }
    SUBCASE("bad_crc: the same frame, a wrong CRC") {
        settings.fault.kind = fault_kind::bad_crc;
        responder r(settings);
        const auto reply = to_vector(r.respond(1, read_hr_10_2));
        REQUIRE(reply.size() == good.size());
        CHECK(bytes(reply.begin(), reply.end() - 2) == bytes(good.begin(), good.end() - 2));
        CHECK_FALSE(gw::crc16_ok(reply));
    }
    SUBCASE("wrong_unit: a valid frame from the next unit id") {
        settings.fault.kind = fault_kind::wrong_unit;
        responder r(settings);
        const auto reply = to_vector(r.respond(1, read_hr_10_2));
        REQUIRE(reply.size() == good.size());
        CHECK(reply[0] == 2);
        CHECK(bytes(reply.begin() + 1, reply.end() - 2) == bytes(good.begin() + 1, good.end() - 2));
        CHECK(gw::crc16_ok(reply));
    }
    SUBCASE("garbage: noise, then the good frame") {
        settings.fault.kind = fault_kind::garbage;
        responder r(settings);
        const auto reply = to_vector(r.respond(1, read_hr_10_2));
        REQUIRE(reply.size() > good.size());
        CHECK(bytes(reply.end() - static_cast<std::ptrdiff_t>(good.size()), reply.end()) == good);
    }
    SUBCASE("noise: random noise, a gap, then the good frame") {
        settings.fault.kind = fault_kind::noise;
        settings.fault.noise_max = 12;
        settings.fault.noise_gap_min = std::chrono::microseconds{2000};
        settings.fault.noise_gap_max = std::chrono::microseconds{5000};
        responder r(settings);
        std::set<std::size_t> lengths;
        for (int i = 0; i < 200; ++i) {
            const auto reply = to_vector(r.respond(1, read_hr_10_2));
            const auto split = r.last_split();
            REQUIRE(split.first >= 1);
            REQUIRE(split.first <= 12);
            REQUIRE(reply.size() == split.first + good.size());
            CHECK(bytes(reply.begin() + static_cast<std::ptrdiff_t>(split.first), reply.end()) ==
                  good);
            CHECK(split.gap >= std::chrono::microseconds{2000});
            CHECK(split.gap <= std::chrono::microseconds{5000});
            lengths.insert(split.first);
        }
        CHECK(lengths.size() == 12);  // every length from 1 to 12 occurs
    }
    SUBCASE("truncated: the first half only") {
        settings.fault.kind = fault_kind::truncated;
        responder r(settings);
        const auto reply = to_vector(r.respond(1, read_hr_10_2));
        CHECK(reply == bytes(good.begin(), good.begin() + 4));
    }
}

TEST_CASE("responder: the noise fault is reproducible from its seed, with header-like shapes") {
    auto settings = rtu_units({1});
    settings.fault.kind = fault_kind::noise;
    const auto run = [&](std::uint32_t seed) {
        settings.fault.seed = seed;
        responder r(settings);
        std::vector<bytes> noises;
        for (int i = 0; i < 100; ++i) {
            const auto reply = to_vector(r.respond(1, read_hr_10_2));
            noises.emplace_back(reply.begin(),
                                reply.begin() + static_cast<std::ptrdiff_t>(r.last_split().first));
        }
        return noises;
    };
    const auto a = run(7);
    CHECK(run(7) == a);
    CHECK(run(8) != a);
    // Among them the awaited reply's header with a large byte count (unit 1, function 3, 0x80+),
    // which swallows the reply in a framer that trusts the first header it sees.
    const auto swallowing = std::count_if(a.begin(), a.end(), [](const bytes& n) {
        return n.size() >= 3 && n[0] == 0x01 && n[1] == 0x03 && n[2] >= 0x80;
    });
    CHECK(swallowing >= 5);
}

TEST_CASE("responder: --fault-unit and --fault-every select the requests") {
    auto settings = rtu_units({1, 2});
    settings.fault.kind = fault_kind::silence;
    settings.fault.unit = 2;
    settings.fault.every = 3;
    responder r(settings);
    std::vector<bool> silent;
    for (int i = 0; i < 7; ++i) {
        CHECK_FALSE(r.respond(1, read_hr_10_2).empty());  // unit 1 never qualifies
        silent.push_back(r.respond(2, read_hr_10_2).empty());
    }
    // Unit 2's 3rd and 6th requests.
    CHECK(silent == std::vector<bool>{false, false, true, false, false, true, false});
    CHECK(r.counters().faults == 2);
}

TEST_CASE("responder: ASCII frames and a bad LRC") {
    responder_settings settings;
    settings.mode = wire_mode::ascii;
    settings.units = {17};
    responder clean(settings);
    const auto good = to_vector(clean.respond(17, read_hr_10_2));
    // ":11 03 04 000A 000B LRC CR LF"
    const std::string text(good.begin(), good.end());
    CHECK(text.rfind(":110304000A000B", 0) == 0);
    CHECK(text.substr(text.size() - 2) == "\r\n");

    gw::ascii_framer master;
    auto res = master.put(good, gw::transport::time_point{0});
    REQUIRE(res.status == gw::decode_status::frame);
    CHECK(master.unit() == 17);

    settings.fault.kind = fault_kind::bad_crc;
    responder faulty(settings);
    const auto bad = to_vector(faulty.respond(17, read_hr_10_2));
    REQUIRE(bad.size() == good.size());
    CHECK(bytes(bad.begin(), bad.end() - 4) == bytes(good.begin(), good.end() - 4));
    gw::ascii_framer master2;
    res = master2.put(bad, gw::transport::time_point{0});
    CHECK(res.status == gw::decode_status::bad_lrc);
}

TEST_CASE("wire time: characters times bits per character over the baud rate") {
    using gw::sim::wire_time;
    using std::chrono::microseconds;
    CHECK(wire_time(8, wire_mode::rtu, 19200) == microseconds{4584});     // 88 bits: 4583.3 us
    CHECK(wire_time(1, wire_mode::rtu, 9600) == microseconds{1146});      // 11 bits: 1145.8 us
    CHECK(wire_time(17, wire_mode::ascii, 9600) == microseconds{17709});  // 170 bits
    CHECK(wire_time(100, wire_mode::rtu, 0) == microseconds{0});
}
