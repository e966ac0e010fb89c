#pragma once
// Command line of gw_simulator, parsed into settings (kept apart from main so tests can check it).

#include <gw/transport/detail/concat.hpp>
#include <gw/transport/serial_settings.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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
};

inline constexpr std::string_view usage_text =
    "usage: gw_simulator [--device PATH | --pty-link PATH] [options]\n"
    "A Modbus RTU/ASCII slave with several unit ids, for tests and demos.\n"
    "\n"
    "  --device PATH       serve on this serial device (e.g. /dev/ttyUSB0)\n"
    "  --pty-link PATH     create a pty and symlink its slave side at PATH\n"
    "                      (neither: create a pty and print its path)\n"
    "  --baud N            line speed (default 19200); also sets wire time and RTU timing\n"
    "  --parity none|even|odd, --data-bits 7|8, --stop-bits 1|2   (--device only; 8E1)\n"
    "  --mode rtu|ascii    framing (default rtu)\n"
    "  --units LIST        unit ids, e.g. 1,2,3 or 1-5 or 1,4-6 (default 1); each unit\n"
    "                      has its own tables: holding[i]=i, input[i]=unit*1000+i,\n"
    "                      coil[i]=(i%3==0), discrete[i]=(i odd), 10000 entries each\n"
    "  --delay-us N        reply this long after the request (default 0)\n"
    "  --wire-time         also delay by the request's and reply's time on the line\n"
    "  --fault KIND        silence|bad_crc|wrong_unit|garbage|truncated|noise\n"
    "                      (noise: random noise, a silence, then the good reply)\n"
    "  --fault-unit N      only requests to unit N get the fault (default: all units)\n"
    "  --fault-every N     fault every Nth such request (default 1: each one)\n"
    "  --noise-max N       noise: 1..N bytes of noise (default 8, at most 32)\n"
    "  --noise-gap-us A-B  noise: the silence before the reply, A to B us (default 2000-5000)\n"
    "  --seed N            noise: seed of the shapes, lengths and gaps (default 1)\n"
    "  --server-id TEXT    FC 17 server id (default \"gw simulator\")\n"
    "  --verbose           log every request to stderr\n"
    "  --help              this text\n";

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

inline cli_result parse_cli(std::span<const std::string_view> args) {
    cli_options o;
    cli_result result;
    const auto fail = [&](std::string message) {
        result.options.reset();
        result.error = std::move(message);
        return result;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const auto value = [&]() -> std::optional<std::string_view> {
            if (i + 1 >= args.size()) {
                return std::nullopt;
            }
            return args[++i];
        };
        if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else if (arg == "--verbose") {
            o.verbose = true;
        } else if (arg == "--wire-time") {
            o.simulator.wire_time = true;
        } else if (arg == "--device" || arg == "--pty-link" || arg == "--server-id") {
            const auto v = value();
            if (!v || v->empty()) {
                return fail(transport::detail::concat({arg, " needs a value"}));
            }
            (arg == "--device"     ? o.device
             : arg == "--pty-link" ? o.pty_link
                                   : o.simulator.device.server_id) = std::string(*v);
        } else if (arg == "--baud") {
            const auto v = value();
            const auto n = v ? detail::parse_number<std::uint32_t>(*v) : std::nullopt;
            if (!n || *n == 0) {
                return fail("--baud needs a positive number");
            }
            o.simulator.baud = *n;
        } else if (arg == "--mode") {
            const auto v = value();
            if (v == "rtu") {
                o.simulator.device.mode = wire_mode::rtu;
            } else if (v == "ascii") {
                o.simulator.device.mode = wire_mode::ascii;
            } else {
                return fail("--mode must be rtu or ascii");
            }
        } else if (arg == "--parity") {
            const auto v = value();
            if (v == "none") {
                o.parity = transport::parity::none;
            } else if (v == "even") {
                o.parity = transport::parity::even;
            } else if (v == "odd") {
                o.parity = transport::parity::odd;
            } else {
                return fail("--parity must be none, even or odd");
            }
        } else if (arg == "--data-bits" || arg == "--stop-bits") {
            const auto v = value();
            const auto n = v ? detail::parse_number<unsigned>(*v) : std::nullopt;
            const bool data = arg == "--data-bits";
            if (!n || (data ? (*n != 7 && *n != 8) : (*n != 1 && *n != 2))) {
                return fail(data ? "--data-bits must be 7 or 8" : "--stop-bits must be 1 or 2");
            }
            (data ? o.data_bits : o.stop_bits) = static_cast<std::uint8_t>(*n);
        } else if (arg == "--units") {
            const auto v = value();
            auto units = v ? parse_units(*v) : std::nullopt;
            if (!units) {
                return fail("--units needs ids from 1 to 247, e.g. 1,2,3 or 1-5");
            }
            o.simulator.device.units = std::move(*units);
        } else if (arg == "--delay-us") {
            const auto v = value();
            const auto n = v ? detail::parse_number<std::uint32_t>(*v) : std::nullopt;
            if (!n) {
                return fail("--delay-us needs a number of microseconds");
            }
            o.simulator.response_delay = std::chrono::microseconds{*n};
        } else if (arg == "--fault") {
            const auto v = value();
            const auto f = v ? parse_fault(*v) : std::nullopt;
            if (!f) {
                return fail(
                    "--fault must be silence, bad_crc, wrong_unit, garbage, truncated or noise");
            }
            o.simulator.device.fault.kind = *f;
        } else if (arg == "--fault-unit") {
            const auto v = value();
            const auto u = v ? detail::parse_unit(*v) : std::nullopt;
            if (!u) {
                return fail("--fault-unit needs a unit id from 1 to 247");
            }
            o.simulator.device.fault.unit = *u;
        } else if (arg == "--noise-max") {
            const auto v = value();
            const auto n = v ? detail::parse_number<std::size_t>(*v) : std::nullopt;
            if (!n || *n == 0 || *n > max_noise_bytes) {
                return fail("--noise-max needs a number from 1 to 32");
            }
            o.simulator.device.fault.noise_max = *n;
        } else if (arg == "--noise-gap-us") {
            const auto v = value();
            const auto dash = v ? v->find('-') : std::string_view::npos;
            const auto low = dash != std::string_view::npos
                                 ? detail::parse_number<std::uint32_t>(v->substr(0, dash))
                                 : std::nullopt;
            const auto high = dash != std::string_view::npos
                                  ? detail::parse_number<std::uint32_t>(v->substr(dash + 1))
                                  : std::nullopt;
            if (!low || !high || *high < *low) {
                return fail("--noise-gap-us needs a range of microseconds, e.g. 2000-5000");
            }
            o.simulator.device.fault.noise_gap_min = std::chrono::microseconds{*low};
            o.simulator.device.fault.noise_gap_max = std::chrono::microseconds{*high};
        } else if (arg == "--seed") {
            const auto v = value();
            const auto n = v ? detail::parse_number<std::uint32_t>(*v) : std::nullopt;
            if (!n) {
                return fail("--seed needs a number");
            }
            o.simulator.device.fault.seed = *n;
        } else if (arg == "--fault-every") {
            const auto v = value();
            const auto n = v ? detail::parse_number<std::uint32_t>(*v) : std::nullopt;
            if (!n || *n == 0) {
                return fail("--fault-every needs a positive number");
            }
            o.simulator.device.fault.every = *n;
        } else {
            return fail(transport::detail::concat({"unknown argument '", arg, "' (see --help)"}));
        }
    }
    if (!o.device.empty() && !o.pty_link.empty()) {
        return fail("--device and --pty-link exclude each other");
    }
    const auto& units = o.simulator.device.units;
    if (const auto fu = o.simulator.device.fault.unit;
        fu && std::find(units.begin(), units.end(), *fu) == units.end()) {
        return fail(transport::detail::concat(
            {"--fault-unit ", std::to_string(*fu), " is not among --units"}));
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
