// examples/simulator/cli.hpp: the gw_simulator command line.
#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "simulator/cli.hpp"

namespace {
gw::sim::cli_result parse(std::vector<std::string_view> args) {
    return gw::sim::parse_cli(args);
}
}  // namespace

TEST_CASE("parse_units: lists and ranges") {
    using v = std::vector<std::uint8_t>;
    CHECK(gw::sim::parse_units("1,2,3") == v{1, 2, 3});
    CHECK(gw::sim::parse_units("1-5") == v{1, 2, 3, 4, 5});
    CHECK(gw::sim::parse_units("7,1,4-5,4") == v{1, 4, 5, 7});
    CHECK(gw::sim::parse_units("247") == v{247});
    for (const char* bad : {"", "0", "248", "1,", ",1", "5-1", "1-", "-3", "a", "1;2", "1-300"}) {
        CAPTURE(bad);
        CHECK_FALSE(gw::sim::parse_units(bad));
    }
}

TEST_CASE("parse_cli: every option") {
    const auto r = parse({"--pty-link", "/tmp/x", "--baud", "9600", "--mode", "ascii", "--units",
                          "1-3", "--delay-us", "2500", "--wire-time", "--fault", "truncated",
                          "--fault-unit", "2", "--fault-every", "4", "--verbose"});
    REQUIRE_MESSAGE(r.options, r.error);
    const auto& o = *r.options;
    CHECK(o.pty_link == "/tmp/x");
    CHECK(o.device.empty());
    CHECK(o.simulator.baud == 9600);
    CHECK(o.simulator.device.mode == gw::sim::wire_mode::ascii);
    CHECK(o.simulator.device.units == std::vector<std::uint8_t>{1, 2, 3});
    CHECK(o.simulator.response_delay == std::chrono::microseconds{2500});
    CHECK(o.simulator.wire_time);
    CHECK(o.simulator.device.fault.kind == gw::sim::fault_kind::truncated);
    CHECK(o.simulator.device.fault.unit == 2);
    CHECK(o.simulator.device.fault.every == 4);
    CHECK(o.verbose);

    const auto n = parse(
        {"--fault", "noise", "--noise-max", "5", "--noise-gap-us", "1000-3000", "--seed", "42"});
    REQUIRE_MESSAGE(n.options, n.error);
    const auto& f = n.options->simulator.device.fault;
    CHECK(f.kind == gw::sim::fault_kind::noise);
    CHECK(f.noise_max == 5);
    CHECK(f.noise_gap_min == std::chrono::microseconds{1000});
    CHECK(f.noise_gap_max == std::chrono::microseconds{3000});
    CHECK(f.seed == 42);

    const auto d = parse({"--device", "/dev/ttyUSB0", "--parity", "none", "--stop-bits", "2"});
    REQUIRE(d.options);
    CHECK(d.options->device == "/dev/ttyUSB0");
    CHECK(d.options->parity == gw::transport::parity::none);
    CHECK(d.options->stop_bits == 2);

    CHECK(parse({"--help"}).options->help);
    const auto defaults = parse({});
    REQUIRE(defaults.options);
    CHECK(defaults.options->simulator.device.units == std::vector<std::uint8_t>{1});
    CHECK(defaults.options->simulator.device.mode == gw::sim::wire_mode::rtu);
    CHECK(defaults.options->simulator.baud == 19200);
}

TEST_CASE("parse_cli: mistakes are refused with a reason") {
    struct bad {
        std::vector<std::string_view> args;
        std::string_view reason;
    };
    const std::vector<bad> cases{
        {{"--device", "/dev/ttyS0", "--pty-link", "/tmp/x"}, "exclude"},
        {{"--baud"}, "--baud"},
        {{"--baud", "0"}, "--baud"},
        {{"--baud", "fast"}, "--baud"},
        {{"--mode", "tcp"}, "--mode"},
        {{"--parity", "mark"}, "--parity"},
        {{"--fault-unit", "300"}, "--fault-unit"},
        {{"--units", "0"}, "--units"},
        {{"--fault", "fire"}, "--fault"},
        {{"--fault-every", "0"}, "--fault-every"},
        {{"--noise-max", "33"}, "--noise-max"},
        {{"--noise-gap-us", "5000-2000"}, "--noise-gap-us"},
        {{"--noise-gap-us", "3000"}, "--noise-gap-us"},
        {{"--seed", "x"}, "--seed"},
        {{"--units", "1,2", "--fault-unit", "3"}, "not among"},
        {{"--delay-us", "-5"}, "--delay-us"},
        {{"--data-bits", "9"}, "--data-bits"},
        {{"--frobnicate"}, "--frobnicate"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.reason);
        const auto r = parse(c.args);
        CHECK_FALSE(r.options);
        CHECK(r.error.find(c.reason) != std::string::npos);
    }
}
