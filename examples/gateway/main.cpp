// gw_gateway: the Modbus gateway program. Serial lines and downstream TCP devices on one side,
// Modbus TCP / RTU-over-TCP listeners (and serial master lines) on the other, with the route
// table, priority queueing, allowlists, connection limits and an audit log between them.
//
// With no arguments it runs the embedded default: the device simulator on a virtual serial line
// (a pty), listening on 127.0.0.1:1502 (normal) and 127.0.0.1:1503 (priority).

#include "embedded_simulator.hpp"
#include "logging.hpp"
#include "plan_from_config.hpp"
#include "status_file.hpp"

#include <gw/config/default_config.hpp>
#include <gw/config/json_impl.hpp>
#include <gw/config/load_config.hpp>
#include <gw/gateway/gateway.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view version = "gw_gateway 0.1.0";

constexpr std::string_view usage = R"(usage: gw_gateway [options]

Runs a Modbus gateway in the foreground. Without a configuration it runs the embedded default:
a simulated RTU device (units 1-3) on a virtual serial line, Modbus TCP on 127.0.0.1:1502 and a
priority listener on 127.0.0.1:1503.

Configuration:
  -c, --config FILE          run the gateway described by FILE (JSON with comments)
      --check-config FILE    validate FILE, print the first error (file:line:column: key: why)
      --print-default-config print the embedded default configuration, commented
Quick start without a file (one serial line, one or two listeners):
      --serial DEVICE        the serial line, e.g. /dev/ttyUSB0
      --baud N               baud rate (default 19200)
      --parity none|even|odd (default even)  --data-bits 7|8 (8)  --stop-bits 1|2 (1)
      --mode rtu|ascii       (default rtu)
      --listen ADDR:PORT     Modbus TCP listener, e.g. 127.0.0.1:1502 or [::1]:1502 (default 127.0.0.1:1502)
      --priority-listen ADDR:PORT  a listener whose requests go first (MGate: port 7502)
      --units RANGE          unit ids routed to the line (default 1-247)
      --timeout-ms N         response timeout (default 1000)  --retries N (default 0)
Operation:
      --status-file FILE     write counters as JSON here on SIGUSR1 and at exit (atomically)
      --log-level LEVEL      error|warning|notice|info (default notice)
      --version, --help
Signals: SIGTERM/SIGINT stop gracefully (requests in flight are answered), SIGHUP reloads the
configuration file, SIGUSR1 writes the counters (log and --status-file).

Query the embedded default with mbpoll:
  mbpoll -m tcp -a 1 -p 1502 -t 4 -r 1 -c 10 -1 127.0.0.1
)";

struct options {
    std::optional<std::string> config_path;
    std::optional<std::string> check_path;
    bool print_default = false;
    std::optional<std::string> serial;
    std::uint32_t baud = 19200;
    std::string parity = "even";
    std::uint8_t data_bits = 8;
    std::uint8_t stop_bits = 1;
    std::string mode = "rtu";
    std::vector<std::string> listen;
    std::vector<std::string> priority_listen;
    std::string units = "1-247";
    std::uint32_t timeout_ms = 1000;
    std::uint8_t retries = 0;
    std::optional<std::string> status_file;
    std::optional<std::string> log_level;
};

[[noreturn]] void fail_usage(const std::string& message) {
    std::cerr << "gw_gateway: " << message << "\n(see gw_gateway --help)\n";
    std::exit(2);
}

std::uint32_t to_number(std::string_view flag, std::string_view text, std::uint32_t max) {
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 10)
        fail_usage(std::string(flag) + ": '" + std::string(text) + "' is not a number");
    for (char c : text) {
        if (c < '0' || c > '9')
            fail_usage(std::string(flag) + ": '" + std::string(text) + "' is not a number");
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > max)
        fail_usage(std::string(flag) + ": " + std::string(text) + " is out of range 0.." +
                   std::to_string(max));
    return static_cast<std::uint32_t>(value);
}

options parse_args(int argc, char** argv) {
    options o;
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto flag = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) fail_usage(std::string(flag) + " needs a value");
            return std::string(args[++i]);
        };
        if (flag == "--help" || flag == "-h") {
            std::cout << usage;
            std::exit(0);
        } else if (flag == "--version") {
            std::cout << version << "\n";
            std::exit(0);
        } else if (flag == "-c" || flag == "--config") {
            o.config_path = value();
        } else if (flag == "--check-config") {
            o.check_path = value();
        } else if (flag == "--print-default-config") {
            o.print_default = true;
        } else if (flag == "--serial") {
            o.serial = value();
        } else if (flag == "--baud") {
            o.baud = to_number(flag, value(), 4'000'000);
        } else if (flag == "--parity") {
            o.parity = value();
        } else if (flag == "--data-bits") {
            o.data_bits = static_cast<std::uint8_t>(to_number(flag, value(), 8));
        } else if (flag == "--stop-bits") {
            o.stop_bits = static_cast<std::uint8_t>(to_number(flag, value(), 2));
        } else if (flag == "--mode") {
            o.mode = value();
        } else if (flag == "--listen") {
            o.listen.push_back(value());
        } else if (flag == "--priority-listen") {
            o.priority_listen.push_back(value());
        } else if (flag == "--units") {
            o.units = value();
        } else if (flag == "--timeout-ms") {
            o.timeout_ms = to_number(flag, value(), 60'000);
        } else if (flag == "--retries") {
            o.retries = static_cast<std::uint8_t>(to_number(flag, value(), 10));
        } else if (flag == "--status-file") {
            o.status_file = value();
        } else if (flag == "--log-level") {
            o.log_level = value();
        } else {
            fail_usage("unknown option '" + std::string(flag) + "'");
        }
    }
    if (o.config_path && o.serial) fail_usage("--config and --serial exclude each other");
    return o;
}

/// The quick-start flags, written as the configuration file they stand for, so that they pass
/// through exactly the same validation as a file does.
std::string config_text_from_flags(const options& o) {
    const auto quote = [](const std::string& s) {
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    };
    const auto listener = [&](const std::string& name, const std::string& addr_port,
                              const char* priority) {
        std::string error;
        const auto hp = gw::transport::split_host_port(addr_port, error);
        if (!hp) fail_usage("--listen " + addr_port + ": " + error);
        return "{\"name\": " + quote(name) +
               ", \"protocol\": \"modbus_tcp\", \"address\": " + quote(hp->host) +
               ", \"port\": " + std::to_string(hp->port) + ", \"priority\": \"" + priority + "\"}";
    };
    std::string listeners;
    auto normal = o.listen.empty() ? std::vector<std::string>{"127.0.0.1:1502"} : o.listen;
    for (std::size_t i = 0; i < normal.size(); ++i) {
        listeners += (listeners.empty() ? "" : ", ") +
                     listener("tcp" + std::to_string(i), normal[i], "normal");
    }
    for (std::size_t i = 0; i < o.priority_listen.size(); ++i) {
        listeners += ", " + listener("priority" + std::to_string(i), o.priority_listen[i], "high");
    }
    const auto dash = o.units.find('-');
    const std::string units = dash == std::string::npos ? o.units : quote(o.units);
    return "{\"channels\": [{\"name\": \"line\", \"type\": \"serial\", \"device\": " +
           quote(*o.serial) + ", \"baud\": " + std::to_string(o.baud) +
           ", \"parity\": " + quote(o.parity) + ", \"data_bits\": " + std::to_string(o.data_bits) +
           ", \"stop_bits\": " + std::to_string(o.stop_bits) + ", \"mode\": " + quote(o.mode) +
           ", \"response_timeout_ms\": " + std::to_string(o.timeout_ms) +
           ", \"retries\": " + std::to_string(o.retries) + "}], \"listeners\": [" + listeners +
           "], \"routes\": [{\"units\": " + units + ", \"channel\": \"line\"}]}";
}

gw::config::log_level log_level_named(const std::string& name) {
    const auto& names = gw::config::enum_names<gw::config::log_level>::values;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return static_cast<gw::config::log_level>(i);
    }
    fail_usage("--log-level: '" + name + "' is not one of error, warning, notice, info, debug");
}

gw::policy::event_severity severity_of(gw::config::log_level level) {
    switch (level) {
        case gw::config::log_level::error:
            return gw::policy::event_severity::error;
        case gw::config::log_level::warning:
            return gw::policy::event_severity::warning;
        case gw::config::log_level::notice:
            return gw::policy::event_severity::notice;
        case gw::config::log_level::info:
        case gw::config::log_level::debug:
            return gw::policy::event_severity::info;
    }
    return gw::policy::event_severity::notice;
}

}  // namespace

int main(int argc, char** argv) {
    const options opts = parse_args(argc, argv);
    const gw::examples::stderr_log log;

    if (opts.print_default) {
        std::cout << gw::config::default_config_text();
        return 0;
    }
    if (opts.check_path) {
        const auto result = gw::config::load_config_file(*opts.check_path);
        if (const auto* error = std::get_if<gw::config::config_error>(&result)) {
            std::cerr << error->to_string() << "\n";
            return 1;
        }
        const auto& c = std::get<gw::config::gateway_config>(result);
        // What start() would refuse, --check-config refuses too.
        if (const auto error = gw::gateway::check_plan(gw::examples::plan_from_config(
                c, [](const std::string&) { return std::string{"(simulated)"}; }));
            !error.empty()) {
            std::cerr << *opts.check_path << ": " << error << "\n";
            return 1;
        }
        std::cout << *opts.check_path << ": OK (" << c.channels.size() << " channels, "
                  << c.listeners.size() << " listeners, " << c.routes.size() << " routes)\n";
        return 0;
    }

    // Where the configuration comes from decides what SIGHUP reloads.
    const auto load = [&]() -> std::variant<gw::config::gateway_config, gw::config::config_error> {
        if (opts.config_path) return gw::config::load_config_file(*opts.config_path);
        if (opts.serial)
            return gw::config::parse_config(config_text_from_flags(opts), "<command line>");
        return gw::config::parse_config(gw::config::default_config_text(), "<embedded default>");
    };
    auto loaded = load();
    if (const auto* error = std::get_if<gw::config::config_error>(&loaded)) {
        std::cerr << error->to_string() << "\n";
        return 1;
    }
    const auto config = std::get<gw::config::gateway_config>(std::move(loaded));

    gw::net::io_context io{1};  // one thread: Asio can skip its internal locking
    // Simulated devices of "simulator" channels, each on its own virtual serial line.
    std::map<std::string, std::unique_ptr<gw::examples::embedded_simulator>> simulators;
    for (const auto& ch : config.channels) {
        if (const auto* sim = std::get_if<gw::config::simulator_config>(&ch.link)) {
            auto s = std::make_unique<gw::examples::embedded_simulator>(io, sim->units.first,
                                                                        sim->units.last);
            if (const auto error = s->start(); !error.empty()) {
                log(gw::policy::event_severity::error, "simulator " + ch.name + ": " + error);
                return 1;
            }
            log(gw::policy::event_severity::notice,
                "simulator " + ch.name + " (units " + std::to_string(sim->units.first) + "-" +
                    std::to_string(sim->units.last) + ") on virtual serial line " + s->device());
            simulators.emplace(ch.name, std::move(s));
        }
    }
    const auto simulator_device = [&](const std::string& name) {
        const auto it = simulators.find(name);
        return it == simulators.end() ? std::string{} : it->second->device();
    };

    gw::gateway::gateway gateway{io, log};
    gateway.set_log_level(opts.log_level ? severity_of(log_level_named(*opts.log_level))
                                         : severity_of(config.log.level));
    if (const auto error = gateway.start(gw::examples::plan_from_config(config, simulator_device));
        !error.empty()) {
        log(gw::policy::event_severity::error, error);
        return 1;
    }
    if (!opts.config_path && !opts.serial) {
        std::cout << "gw_gateway: embedded default running (simulated RTU device, units 1-3).\n"
                     "  Modbus TCP:          127.0.0.1:1502\n"
                     "  priority Modbus TCP: 127.0.0.1:1503\n"
                     "Try:  mbpoll -m tcp -a 1 -p 1502 -t 4 -r 1 -c 10 -1 127.0.0.1\n"
                     "Stop with Ctrl-C.\n";
    }
    std::cout << "gw_gateway: ready" << std::endl;

    const auto write_status = [&] {
        const auto status = gateway.status_json();
        log(gw::policy::event_severity::notice, "status " + status);
        if (opts.status_file) {
            if (const auto error =
                    gw::examples::write_file_atomically(*opts.status_file, status + "\n");
                !error.empty()) {
                log(gw::policy::event_severity::error, "status file: " + error);
            }
        }
    };

    gw::net::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
    signals.add(SIGUSR1);
    std::function<void(const gw::transport::error_code&, int)> on_signal;
    on_signal = [&](const gw::transport::error_code& ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            auto next = load();
            if (const auto* error = std::get_if<gw::config::config_error>(&next)) {
                log(gw::policy::event_severity::error,
                    "reload refused, configuration unchanged: " + error->to_string());
            } else {
                const auto refused = gateway.reload(gw::examples::plan_from_config(
                    std::get<gw::config::gateway_config>(next), simulator_device));
                if (refused.empty()) {
                    log(gw::policy::event_severity::notice, "configuration reloaded");
                } else {
                    log(gw::policy::event_severity::error,
                        "reload refused, configuration unchanged: " + refused);
                }
            }
        } else if (signal == SIGUSR1) {
            write_status();
        } else {
            log(gw::policy::event_severity::notice, "stopping: finishing requests in flight");
            gateway.stop([&] {
                write_status();
                for (auto& [name, sim] : simulators)
                    sim->stop();
                signals.cancel();
                log(gw::policy::event_severity::notice, "stopped");
            });
            return;
        }
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    io.run();
    return 0;
}
