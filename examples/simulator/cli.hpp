#pragma once
// Command line of gw_simulator, parsed into settings (kept apart from main so tests can check it).

#include <gw/transport/detail/concat.hpp>
#include <gw/transport/serial_settings.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "simulator.hpp"

namespace gw::sim {

struct cli_options {
    std::string device;    ///< serve on this serial device
    std::string pty_link;  ///< or: create a pty and symlink its slave here
    simulator_settings simulator;
    transport::parity parity = transport::parity::even;
    std::uint8_t data_bits = 8;
    std::uint8_t stop_bits = 1;
    bool verbose = false;
    bool help = false;
};

struct cli_result {
    std::optional<cli_options> options;
    std::string error;
    std::string help;  ///< the generated --help text, when options->help is set
};

namespace detail {

template <class T>
std::optional<T> parse_number(std::string_view text) noexcept {
    T value{};
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

inline std::optional<std::uint8_t> parse_unit(std::string_view text) noexcept {
    const auto v = parse_number<unsigned>(text);
    if (!v || *v < 1 || *v > 247) {
        return std::nullopt;
    }
    return static_cast<std::uint8_t>(*v);
}

}  // namespace detail

/// "1,2,3", "1-5", "1,4-6": unit ids 1..247, sorted, without duplicates.
inline std::optional<std::vector<std::uint8_t>> parse_units(std::string_view text) {
    std::vector<std::uint8_t> units;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const auto item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (comma != std::string_view::npos && text.empty()) {
            return std::nullopt;  // trailing comma
        }
        const auto dash = item.find('-');
        const auto first = detail::parse_unit(item.substr(0, dash));
        const auto last =
            dash == std::string_view::npos ? first : detail::parse_unit(item.substr(dash + 1));
        if (!first || !last || *last < *first) {
            return std::nullopt;
        }
        for (unsigned u = *first; u <= *last; ++u) {
            units.push_back(static_cast<std::uint8_t>(u));
        }
    }
    if (units.empty()) {
        return std::nullopt;
    }
    std::sort(units.begin(), units.end());
    units.erase(std::unique(units.begin(), units.end()), units.end());
    return units;
}

/// "A-B" microseconds, A <= B.
inline std::optional<std::pair<std::uint32_t, std::uint32_t>> parse_us_range(
    std::string_view text) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto low = detail::parse_number<std::uint32_t>(text.substr(0, dash));
    const auto high = detail::parse_number<std::uint32_t>(text.substr(dash + 1));
    if (!low || !high || *high < *low) return std::nullopt;
    return std::pair{*low, *high};
}

/// The command line, declared with CLI11 (ranges, choices and exclusions in one place; --help
/// generated from them). `args` excludes the program name.
inline cli_result parse_cli(std::span<const std::string_view> args) {
    cli_options o;
    cli_result result;
    std::string mode = "rtu";
    std::string parity = "even";
    unsigned data_bits = 8;
    unsigned stop_bits = 1;
    std::string units = "1";
    std::string fault = "none";
    std::optional<unsigned> fault_unit;
    std::string noise_gap = "2000-5000";
    std::uint32_t delay_us = 0;
    std::size_t noise_max = o.simulator.device.fault.noise_max;

    CLI::App app{"A Modbus RTU/ASCII slave with several unit ids, for tests and demos.",
                 "gw_simulator"};
    app.get_formatter()->column_width(26);
    auto* device =
        app.add_option("--device", o.device, "serve on this serial device (e.g. /dev/ttyUSB0)");
    auto* link = app.add_option("--pty-link", o.pty_link,
                                "create a pty and symlink its slave side here (neither: create a "
                                "pty and print its path)");
    device->excludes(link);
    app.add_option("--baud", o.simulator.baud, "line speed; also sets wire time and RTU timing")
        ->check(CLI::Range(1U, 4'000'000U))
        ->capture_default_str();
    app.add_option("--parity", parity, "parity (--device only)")
        ->check(CLI::IsMember({"none", "even", "odd"}))
        ->capture_default_str();
    app.add_option("--data-bits", data_bits, "data bits (--device only)")
        ->check(CLI::Range(7U, 8U))
        ->capture_default_str();
    app.add_option("--stop-bits", stop_bits, "stop bits (--device only)")
        ->check(CLI::Range(1U, 2U))
        ->capture_default_str();
    app.add_option("--mode", mode, "framing")
        ->check(CLI::IsMember({"rtu", "ascii"}))
        ->capture_default_str();
    app.add_option("--units", units,
                   "unit ids, e.g. 1,2,3 or 1-5 or 1,4-6; each unit has its own tables: "
                   "holding[i]=i, input[i]=unit*1000+i, coil[i]=(i%3==0), discrete[i]=(i odd), "
                   "10000 entries each")
        ->check(CLI::Validator(
            [](std::string& text) {
                return parse_units(text)
                           ? std::string{}
                           : std::string{"needs ids from 1 to 247, e.g. 1,2,3 or 1-5"};
            },
            "LIST"))
        ->capture_default_str();
    app.add_option("--delay-us", delay_us, "reply this long after the request")
        ->check(CLI::Range(0U, 60'000'000U))
        ->capture_default_str();
    app.add_flag("--wire-time", o.simulator.wire_time,
                 "also delay by the request's and reply's time on the line");
    app.add_option("--fault", fault,
                   "noise: random noise, a silence, then the good reply; the others replace or "
                   "damage the reply")
        ->check(CLI::IsMember(
            {"none", "silence", "bad_crc", "wrong_unit", "garbage", "truncated", "noise"}))
        ->capture_default_str();
    app.add_option("--fault-unit", fault_unit,
                   "only requests to this unit get the fault (default: all units)")
        ->check(CLI::Range(1U, 247U));
    app.add_option("--fault-every", o.simulator.device.fault.every, "fault every Nth such request")
        ->check(CLI::Range(1U, 1'000'000U))
        ->capture_default_str();
    app.add_option("--noise-max", noise_max, "noise: 1..N bytes of noise")
        ->check(CLI::Range(std::size_t{1}, max_noise_bytes))
        ->capture_default_str();
    app.add_option("--noise-gap-us", noise_gap, "noise: the silence before the reply, A to B us")
        ->check(CLI::Validator(
            [](std::string& text) {
                return parse_us_range(text)
                           ? std::string{}
                           : std::string{"needs a range of microseconds, e.g. 2000-5000"};
            },
            "A-B"))
        ->capture_default_str();
    app.add_option("--seed", o.simulator.device.fault.seed,
                   "noise: seed of the shapes, lengths and gaps")
        ->capture_default_str();
    app.add_option("--server-id", o.simulator.device.server_id, "FC 17 server id")
        ->capture_default_str();
    app.add_flag("--verbose", o.verbose, "log every request to stderr");

    // CLI11 takes the arguments last first.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        o.help = true;
        result.help = app.help();
        result.options = std::move(o);
        return result;
    } catch (const CLI::ParseError& e) {
        result.error = e.what();
        return result;
    }
    o.simulator.device.mode = mode == "ascii" ? wire_mode::ascii : wire_mode::rtu;
    o.parity = parity == "none"  ? transport::parity::none
               : parity == "odd" ? transport::parity::odd
                                 : transport::parity::even;
    o.data_bits = static_cast<std::uint8_t>(data_bits);
    o.stop_bits = static_cast<std::uint8_t>(stop_bits);
    o.simulator.device.units = *parse_units(units);
    o.simulator.response_delay = std::chrono::microseconds{delay_us};
    o.simulator.device.fault.kind = *parse_fault(fault);
    o.simulator.device.fault.noise_max = noise_max;
    const auto gap = *parse_us_range(noise_gap);
    o.simulator.device.fault.noise_gap_min = std::chrono::microseconds{gap.first};
    o.simulator.device.fault.noise_gap_max = std::chrono::microseconds{gap.second};
    if (fault_unit) {
        o.simulator.device.fault.unit = static_cast<std::uint8_t>(*fault_unit);
        const auto& u = o.simulator.device.units;
        if (std::find(u.begin(), u.end(), *fault_unit) == u.end()) {
            result.error = transport::detail::concat(
                {"--fault-unit ", std::to_string(*fault_unit), " is not among --units"});
            return result;
        }
    }
    result.options = std::move(o);
    return result;
}

/// "1,2,3" for the start-up line.
inline std::string format_units(const std::vector<std::uint8_t>& units) {
    std::string s;
    for (const auto u : units) {
        if (!s.empty()) {
            s += ',';
        }
        s += std::to_string(u);
    }
    return s;
}

}  // namespace gw::sim
