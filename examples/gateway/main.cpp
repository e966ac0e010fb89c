// gw_gateway: the Modbus gateway program. Serial lines and downstream TCP devices on one side,
// Modbus TCP / RTU-over-TCP listeners (and serial master lines) on the other, with the route
// table, priority queueing, allowlists, connection limits and an audit log between them.
//
// With no arguments it runs the embedded default: the device simulator on a virtual serial line
// (a pty), listening on 127.0.0.1:1502 (normal), 127.0.0.1:1503 (priority) and 127.0.0.1:1802
// (Modbus/TCP Security, with a demo PKI made in the state directory on first start).

#include "audit_cli.hpp"
#include "audit_runtime.hpp"
#include "backup_service.hpp"
#include "config_editor.hpp"
#include "demo_pki.hpp"
#include "embedded_simulator.hpp"
#include "factory_reset.hpp"
#include "logging.hpp"
#include "management_runtime.hpp"

#include <gw/config/default_config.hpp>
#include <gw/config/json_impl.hpp>
#include <gw/config/load_config.hpp>
#include <gw/gateway/atomic_file.hpp>
#include <gw/gateway/gateway.hpp>
#include <gw/gateway/log_sink.hpp>
#include <gw/gateway/plan_from_config.hpp>
#include <gw/gateway/status_writer.hpp>
#include <gw/mgmt/traffic_monitor.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <unistd.h>

namespace {

constexpr std::string_view version = "gw_gateway 0.1.0";
/// Log lines waiting for the writer thread at most; beyond that they are dropped and counted.
constexpr std::size_t log_queue_lines = 4096;

constexpr std::string_view description =
    R"(Runs a Modbus gateway in the foreground. Without a configuration it runs the embedded default:
a simulated RTU device (units 1-3) on a virtual serial line, Modbus TCP on 127.0.0.1:1502, a
priority listener on 127.0.0.1:1503, and Modbus/TCP Security (mutual TLS) on 127.0.0.1:1802 with
a demo PKI made in the state directory on first start.)";

constexpr std::string_view footer =
    R"(Signals: SIGTERM/SIGINT stop gracefully (requests in flight are answered), SIGHUP reloads the
configuration file, SIGUSR1 writes the counters (log and --status-file).

Query the embedded default with mbpoll:
  mbpoll -m tcp -a 1 -p 1502 -t 4 -r 1 -c 10 -1 127.0.0.1)";

struct options {
    std::optional<std::string> config_path;
    std::optional<std::string> check_path;
    bool print_default = false;
    std::optional<std::string> serial;
    std::uint32_t baud = 19200;
    std::string parity = "even";
    unsigned data_bits = 8;
    unsigned stop_bits = 1;
    std::string mode = "rtu";
    std::vector<std::string> listen;
    std::vector<std::string> priority_listen;
    std::string units = "1-247";
    std::uint32_t timeout_ms = 1000;
    unsigned retries = 0;
    std::optional<std::string> status_file;
    std::optional<std::string> log_level;
    std::optional<double> priority_hold_ms;
    std::optional<std::string> state_dir;
    bool audit_log = false;
    bool audit_verify = false;
    gw::examples::audit_query audit;
    std::string audit_format = "text";
    std::optional<std::string> create_admin;
    bool security_check = false;
    bool factory_reset = false;
};

[[noreturn]] void fail_usage(const std::string& message) {
    std::cerr << "gw_gateway: " << message << "\n(see gw_gateway --help)\n";
    std::exit(2);
}

/// The command line, declared with CLI11: ranges, choices and exclusions are checked there and
/// --help is generated from the same declarations.
options parse_args(int argc, char** argv) {
    options o;
    CLI::App app{std::string{description}, "gw_gateway"};
    app.footer(std::string{footer});
    app.add_flag_callback(
        "--version",
        [] {
            std::cout << version << "\n";
            std::exit(0);
        },
        "print the version and exit");
    app.get_formatter()->column_width(30);

    auto* config = app.add_option("-c,--config", o.config_path,
                                  "run the gateway described by FILE (JSON with comments)")
                       ->type_name("FILE")
                       ->group("Configuration");
    auto* check =
        app.add_option("--check-config", o.check_path,
                       "validate FILE, print the first error (file:line:column: key: why)")
            ->type_name("FILE")
            ->group("Configuration");
    auto* print = app.add_flag("--print-default-config", o.print_default,
                               "print the embedded default configuration, commented")
                      ->group("Configuration");

    const std::string quick = "Quick start without a file (one serial line, one or two listeners)";
    auto* serial = app.add_option("--serial", o.serial, "the serial line, e.g. /dev/ttyUSB0")
                       ->type_name("DEVICE")
                       ->group(quick);
    std::vector<CLI::Option*> line_options;
    line_options.push_back(app.add_option("--baud", o.baud, "baud rate")
                               ->check(CLI::Range(50, 4'000'000))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--parity", o.parity, "parity")
                               ->check(CLI::IsMember({"none", "even", "odd"}))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--data-bits", o.data_bits, "data bits")
                               ->check(CLI::Range(7, 8))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--stop-bits", o.stop_bits, "stop bits")
                               ->check(CLI::Range(1, 2))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--mode", o.mode, "framing on the line")
                               ->check(CLI::IsMember({"rtu", "ascii"}))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(
        app.add_option("--listen", o.listen,
                       "Modbus TCP listener, e.g. 127.0.0.1:1502 or [::1]:1502 (default "
                       "127.0.0.1:1502)")
            ->type_name("ADDR:PORT")
            ->group(quick));
    line_options.push_back(app.add_option("--priority-listen", o.priority_listen,
                                          "a listener whose requests go first (MGate: port 7502)")
                               ->type_name("ADDR:PORT")
                               ->group(quick));
    line_options.push_back(app.add_option("--units", o.units, "unit ids routed to the line")
                               ->type_name("RANGE")
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--timeout-ms", o.timeout_ms, "response timeout")
                               ->check(CLI::Range(1, 60'000))
                               ->capture_default_str()
                               ->group(quick));
    line_options.push_back(app.add_option("--retries", o.retries, "extra attempts")
                               ->check(CLI::Range(0, 10))
                               ->capture_default_str()
                               ->group(quick));
    for (auto* option : line_options)
        option->needs(serial);

    app.add_option("--status-file", o.status_file,
                   "write counters as JSON here on SIGUSR1 and at exit (atomically)")
        ->type_name("FILE")
        ->group("Operation");
    app.add_option("--log-level", o.log_level, "log events of this severity and above")
        ->check(CLI::IsMember({"error", "warning", "notice", "info", "debug"}))
        ->group("Operation");

    // Overrides every channel's priority_hold_us key.
    app.add_option("--priority-hold-ms", o.priority_hold_ms,
                   "after answering a priority master, keep each channel's bus free of normal "
                   "requests this long (0: off, the default; see channel_options.hpp)")
        ->type_name("MS")
        ->check(CLI::Range(
            0.0, std::chrono::duration<double, std::milli>{gw::router::max_priority_hold}.count()))
        ->group("Operation");

    app.add_option("--state-dir", o.state_dir,
                   "the gateway's state: relative paths of the configuration (TLS files) are "
                   "here, and the built-in default keeps its demo PKI here (default: "
                   "$STATE_DIRECTORY, else /var/lib/gw as root, else ~/.local/state/gw)")
        ->type_name("DIR")
        ->group("Operation");

    const std::string audit_group = "Audit trail (read the store in the state directory)";
    auto* audit_log = app.add_flag("--audit-log", o.audit_log,
                                   "print the audit trail and exit (read-only: the gateway may "
                                   "run meanwhile)")
                          ->group(audit_group);
    auto* audit_verify =
        app.add_flag("--audit-verify", o.audit_verify,
                     "check the audit trail's sequence, checksums and hash chain; exit 1 if it "
                     "is not intact")
            ->group(audit_group);
    std::vector<CLI::Option*> audit_filters;
    audit_filters.push_back(app.add_option("--since", o.audit.since,
                                           "records from this RFC 3339 UTC time "
                                           "(2026-12-02T09:00:00Z) or sequence number on")
                                ->type_name("TIME|SEQ")
                                ->group(audit_group));
    audit_filters.push_back(
        app.add_option("--category", o.audit.category, "records of this category")
            ->check(
                CLI::IsMember({"system", "network", "security", "maintenance", "modbus", "serial"}))
            ->group(audit_group));
    audit_filters.push_back(
        app.add_option("--severity", o.audit.severity, "records of this severity and above")
            ->check(CLI::IsMember({"error", "warning", "notice", "info"}))
            ->group(audit_group));
    audit_filters.push_back(app.add_option("--format", o.audit_format, "output format")
                                ->check(CLI::IsMember({"text", "json"}))
                                ->capture_default_str()
                                ->group(audit_group));
    for (auto* f : audit_filters)
        f->needs(audit_log);

    auto* create_admin =
        app.add_option("--create-admin", o.create_admin,
                       "create the console's first administrator NAME (the password is read "
                       "from standard input, twice on a terminal) and exit; the gateway must "
                       "not be running")
            ->type_name("NAME")
            ->group("Management console");
    auto* security_check =
        app.add_flag("--security-check", o.security_check,
                     "check the configuration and the console's state against the security "
                     "dashboard's criteria (docs/management.md); exit 1 if one fails")
            ->group("Management console");
    auto* factory_reset =
        app.add_flag("--factory-reset", o.factory_reset,
                     "erase the state directory's accounts, keys, certificates, audit store and "
                     "the configuration saved from the console, then exit: the next start is a "
                     "first run; the gateway must not be running")
            ->group("Management console");
    factory_reset->excludes(create_admin)
        ->excludes(security_check)
        ->excludes(audit_log)
        ->excludes(audit_verify)
        ->excludes(check)
        ->excludes(print);
    security_check->excludes(create_admin)
        ->excludes(audit_log)
        ->excludes(audit_verify)
        ->excludes(check)
        ->excludes(print);
    create_admin->excludes(audit_log)
        ->excludes(audit_verify)
        ->excludes(serial)
        ->excludes(check)
        ->excludes(print);
    audit_log->excludes(audit_verify)->excludes(serial)->excludes(check)->excludes(print);
    audit_verify->excludes(serial)->excludes(check)->excludes(print);

    config->excludes(serial)->excludes(check)->excludes(print);
    check->excludes(serial)->excludes(print);
    print->excludes(serial);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help exits 0; every usage error exits 2, as before CLI11.
        std::exit(app.exit(e) == 0 ? 0 : 2);
    }
    return o;
}

/// --state-dir, else systemd's $STATE_DIRECTORY (its first entry), else a per-user default.
std::string state_directory(const options& o) {
    if (o.state_dir) return *o.state_dir;
    if (const char* s = std::getenv("STATE_DIRECTORY"); s != nullptr && *s != '\0') {
        const std::string_view all{s};
        return std::string{all.substr(0, all.find(':'))};
    }
    if (::geteuid() == 0) return "/var/lib/gw";
    if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && *x == '/')
        return std::string{x} + "/gw";
    const char* home = std::getenv("HOME");
    return std::string{home != nullptr ? home : "."} + "/.local/state/gw";
}

/// Relative file names in the configuration are in the state directory (not the working
/// directory, which for a service is "/").
void resolve_paths(gw::config::gateway_config& c, const std::string& state_dir) {
    const auto resolve = [&](std::string& path) {
        if (!path.empty() && path.front() != '/') path = state_dir + "/" + path;
    };
    for (auto& ch : c.channels) {
        if (auto* t = std::get_if<gw::config::tcp_device_config>(&ch.link)) {
            resolve(t->tls.ca);
            resolve(t->tls.certificate);
            resolve(t->tls.private_key);
        }
    }
    for (auto& s : c.audit.syslog) {
        resolve(s.tls.ca);
        resolve(s.tls.certificate);
        resolve(s.tls.private_key);
    }
    for (auto& l : c.listeners) {
        if (auto* t = std::get_if<gw::config::tcp_listener_config>(&l.endpoint)) {
            resolve(t->tls.certificate);
            resolve(t->tls.private_key);
            resolve(t->tls.ca);
            resolve(t->tls.crl);
        }
    }
}

/// The quick-start flags as the configuration they stand for, built as a value. CLI11 checked
/// each flag's range; what is left to check (addresses, the unit range) is checked here, and the
/// whole configuration then passes the same plan checks as a file (check_plan at start).
gw::config::gateway_config config_from_flags(const options& o) {
    gw::config::gateway_config c;
    gw::config::channel_config line;
    line.name = "line";
    gw::config::serial_line_config s;
    s.device = *o.serial;
    s.baud = o.baud;
    s.data_bits = static_cast<std::uint8_t>(o.data_bits);
    s.stop_bits = static_cast<std::uint8_t>(o.stop_bits);
    s.parity = o.parity == "none"  ? gw::config::serial_parity::none
               : o.parity == "odd" ? gw::config::serial_parity::odd
                                   : gw::config::serial_parity::even;
    s.mode = o.mode == "ascii" ? gw::config::serial_mode::ascii : gw::config::serial_mode::rtu;
    line.link = s;
    line.response_timeout = std::chrono::milliseconds{o.timeout_ms};
    line.retries = static_cast<std::uint8_t>(o.retries);
    c.channels.push_back(line);

    const auto add_listener = [&](const std::string& name, const std::string& addr_port,
                                  gw::config::priority_class priority) {
        std::string error;
        const auto hp = gw::transport::split_host_port(addr_port, error);
        if (!hp) fail_usage("--listen " + addr_port + ": " + error);
        gw::config::ip_address parsed;
        if (!gw::config::parse_ip_address(hp->host, parsed))
            fail_usage("--listen " + addr_port + ": '" + hp->host +
                       "' is not an IP address (such as 127.0.0.1 or ::1)");
        gw::config::listener_config l;
        l.name = name;
        l.priority = priority;
        gw::config::tcp_listener_config t;
        t.address = hp->host;
        t.port = hp->port;
        l.endpoint = t;
        c.listeners.push_back(l);
    };
    const auto normal = o.listen.empty() ? std::vector<std::string>{"127.0.0.1:1502"} : o.listen;
    for (std::size_t i = 0; i < normal.size(); ++i)
        add_listener("tcp" + std::to_string(i), normal[i], gw::config::priority_class::normal);
    for (std::size_t i = 0; i < o.priority_listen.size(); ++i)
        add_listener("priority" + std::to_string(i), o.priority_listen[i],
                     gw::config::priority_class::high);

    // --units N or A-B, within 0..247 (0: broadcasts).
    const auto unit = [&](std::string_view text) {
        unsigned value = 0;
        const auto* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc{} || ptr != end || value > 247)
            fail_usage("--units " + o.units + ": '" + std::string{text} +
                       "' is not a unit id 0..247");
        return static_cast<std::uint8_t>(value);
    };
    const std::string_view units{o.units};
    const auto dash = units.find('-');
    gw::config::route_config route;
    route.channel = "line";
    route.units.first = unit(units.substr(0, dash));
    route.units.last =
        dash == std::string_view::npos ? route.units.first : unit(units.substr(dash + 1));
    if (route.units.first > route.units.last)
        fail_usage("--units " + o.units + ": the range is empty");
    c.routes.push_back(route);
    return c;
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

/// The gateway program; `restart` is set when it stopped to start again (the console's
/// restart), which main() does once everything here is closed.
static int run(int argc, char** argv, bool& restart) {
    const options opts = parse_args(argc, argv);

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
        if (const auto error = gw::gateway::check_plan(gw::gateway::plan_from_config(
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
    const std::string state_dir = state_directory(opts);
    if (opts.audit_log) {
        auto q = opts.audit;
        q.json = opts.audit_format == "json";
        return gw::examples::print_audit_log(state_dir, q);
    }
    if (opts.audit_verify) return gw::examples::verify_audit_log(state_dir);
    if (opts.factory_reset) return gw::examples::factory_reset_command(state_dir);
    const bool embedded_default = !opts.config_path && !opts.serial;
    // What the console saves when the embedded default runs, and what starts then if present.
    const std::string saved_config = state_dir + "/gateway.json";
    using loaded_config = std::variant<gw::config::gateway_config, gw::config::config_error>;
    // As in the file: relative paths are resolved (in the state directory) when applied, so
    // that what the console saves is what the file said.
    const auto load = [&]() -> loaded_config {
        if (opts.config_path) return gw::config::load_config_file(*opts.config_path);
        if (opts.serial) return loaded_config{config_from_flags(opts)};
        std::error_code ec;
        if (std::filesystem::exists(saved_config, ec))
            return gw::config::load_config_file(saved_config);
        return gw::config::parse_config(gw::config::default_config_text(), "<embedded default>");
    };
    const auto resolved = [&](gw::config::gateway_config c) {
        resolve_paths(c, state_dir);
        return c;
    };
    // The built-in default's modbus_tls listener needs certificates: made once, kept.
    if (embedded_default) {
        if (const auto error = gw::examples::ensure_demo_pki(state_dir); !error.empty()) {
            std::cerr << "gw_gateway: " << error << "\n";
            return 1;
        }
    }
    auto loaded = load();
    if (const auto* error = std::get_if<gw::config::config_error>(&loaded)) {
        std::cerr << error->to_string() << "\n";
        return 1;
    }
    const auto file_config = std::get<gw::config::gateway_config>(std::move(loaded));
    const auto config = resolved(file_config);
    if (opts.create_admin) return gw::examples::create_admin(config, state_dir, *opts.create_admin);
    if (opts.security_check) return gw::examples::security_check(config, state_dir);

    // Nothing blocks the io thread: log lines go to a bounded queue that a worker thread writes
    // to stderr, and status snapshots to a worker that serialises and writes them.
    gw::gateway::log_sink sink{log_queue_lines, gw::examples::stderr_log{}};
    const auto log = [&sink](gw::policy::event_severity severity, std::string_view text) {
        sink.push(severity, std::string{text});
    };
    gw::gateway::status_writer status_out{[&](const std::string& json) {
        log(gw::policy::event_severity::notice, "status " + json);
        if (!opts.status_file) return;
        if (const auto error = gw::gateway::write_file_atomically(*opts.status_file, json + "\n");
            !error.empty()) {
            log(gw::policy::event_severity::error, "status file: " + error);
        }
    }};

    // One io thread; other threads only post() to it (transport/asio.hpp: one_io_thread).
    gw::net::io_context io{gw::transport::one_io_thread};
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

    // The plan the configuration describes, with the command line's overrides.
    const auto plan_of = [&](const gw::config::gateway_config& c) {
        auto plan = gw::gateway::plan_from_config(c, simulator_device);
        if (opts.priority_hold_ms) {
            const auto hold = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::duration<double, std::milli>{*opts.priority_hold_ms});
            for (auto& ch : plan.channels)
                ch.options.priority_hold = hold;
        }
        return plan;
    };

    // The audit trail: its store in the state directory, its worker and syslog threads. A
    // setting it cannot apply stops the start (never a weaker trail).
    gw::examples::audit_runtime audit;
    if (const auto error = audit.start(config.audit, state_dir, log); !error.empty()) {
        log(gw::policy::event_severity::error, error);
        return 1;
    }

    gw::gateway::gateway gateway{io, log};
    gateway.set_event_sink([&audit](const gw::policy::audit_event& e, std::string_view source) {
        audit.push(e, source);
    });
    gateway.set_log_level(opts.log_level ? severity_of(log_level_named(*opts.log_level))
                                         : severity_of(config.log.level));
    if (const auto error = gateway.start(plan_of(config)); !error.empty()) {
        log(gw::policy::event_severity::error, error);
        return 1;
    }

    // The management console on the same io_context; its worker hashes and reads the disk.
    gw::examples::management_runtime console{io, log};
    gw::mgmt::api_hooks hooks;
    hooks.status_json = [&] {
        auto s = gateway.status();
        s.audit = audit.status();
        return gw::gateway::status_json_text(s);
    };
    hooks.metrics_text = [&] {
        auto s = gateway.status();
        s.audit = audit.status();
        return gw::examples::prometheus_text(gw::gateway::to_json(s));
    };
    hooks.audit_json = [state_dir](const gw::mgmt::audit_filter& f, std::string& error) {
        return gw::examples::audit_records_json(state_dir, f.category, f.severity, f.limit, error);
    };
    hooks.audit = [&audit](const gw::policy::audit_event& e) { audit.push(e, "console"); };
    if (const auto error = console.start(config, state_dir, std::move(hooks)); !error.empty()) {
        log(gw::policy::event_severity::error, error);
        return 1;
    }

    // The live traffic monitor: every frame of every channel into its ring (console only).
    const auto traffic_channels = [](const gw::gateway::gateway_plan& plan) {
        std::vector<gw::mgmt::traffic_channel> out;
        for (const auto& ch : plan.channels)
            out.push_back({ch.name, ch.options.framing});
        return out;
    };
    std::unique_ptr<gw::mgmt::traffic_monitor> traffic;
    if (console.running()) {
        traffic = std::make_unique<gw::mgmt::traffic_monitor>(io, traffic_channels(gateway.plan()));
        gateway.set_traffic_tap(
            [&t = *traffic](const gw::gateway::traffic_frame& f) { t.record(f); });
        for (auto& e : traffic->endpoints())
            console.add_endpoint(std::move(e));
    }

    // A new configuration (a reload or the console's editor) on the running gateway: "" or why
    // it was refused, the running one unchanged.
    const auto apply_config = [&](const gw::config::gateway_config& unresolved) -> std::string {
        const auto n = resolved(unresolved);
        if (!(n.audit == config.audit) || !(n.management == config.management)) {
            // The trail and the console run as they started (the store, syslog connections,
            // the console's certificate and accounts): a change the reload cannot apply is
            // refused, never ignored.
            std::string why = !(n.audit == config.audit)
                                  ? "audit settings changed: restart to apply"
                                  : "management settings changed: restart to apply";
            gw::policy::audit_event e;
            e.time = gw::gateway::steady_clock{}.now();
            e.kind = gw::policy::event_kind::config_rejected;
            e.category = gw::policy::event_category::system;
            e.severity = gw::policy::event_severity::warning;
            gw::policy::set_detail(e.detail, why);
            audit.push(e, {});
            return why;
        }
        if (auto refused = gateway.reload(plan_of(n)); !refused.empty()) return refused;
        if (traffic) traffic->set_channels(traffic_channels(gateway.plan()));
        // The accessible IP list's additional restrictions reach the console too.
        console.set_accessible_ip_list(n.accessible_ip_list);
        if (!opts.log_level) gateway.set_log_level(severity_of(n.log.level));
        return {};
    };
    gw::examples::config_editor::origin where;
    if (opts.config_path) {
        where.file = where.label = *opts.config_path;
    } else if (opts.serial) {
        where.label = "the command line";
        where.why_not =
            "the configuration comes from the command line (--serial): start gw_gateway with "
            "--config FILE to edit it in the console";
    } else {
        where.file = where.label = saved_config;
    }
    // What the running gateway cannot take live waits in the file for the next start.
    const auto start_only = [&](const gw::config::gateway_config& unresolved) -> std::string {
        const auto n = resolved(unresolved);
        if (!(n.audit == config.audit)) return "audit settings apply at start only";
        if (!(n.management == config.management)) return "management settings apply at start only";
        const auto plan = plan_of(n);
        if (!gw::gateway::check_plan(plan).empty()) return {};  // the reload refuses it, saying why
        std::string why;
        for (const auto& r : gw::gateway::changes_needing_restart(gateway.plan(), plan))
            why += (why.empty() ? "" : "; ") + r;
        return why;
    };
    gw::examples::config_editor editor{io,
                                       file_config,
                                       where,
                                       apply_config,
                                       start_only,
                                       [&console](std::function<void()> job) {
            return console.post_work(std::move(job)); }};
    for (auto& e : editor.endpoints())
        console.add_endpoint(std::move(e));

    // Backup and restore, factory reset: both end with the gateway stopping (as SIGTERM
    // would), to start again on the restored or erased state.
    std::string exit_reason;
    bool erase_on_exit = false;
    const auto stop_for = [&](std::string why) {
        exit_reason = std::move(why);
        log(gw::policy::event_severity::warning, "stopping: " + exit_reason);
        ::kill(::getpid(), SIGTERM);
    };
    gw::examples::backup_service backups{
        io,
        {state_dir, where.file, where.why_not},
        [&editor] { return editor.saved(); },
        [&console](std::function<void()> job) { return console.post_work(std::move(job)); },
        stop_for};
    for (auto& e : backups.endpoints())
        console.add_endpoint(std::move(e));
    console.on_audit_status([&audit] { return audit.status(); });
    editor.on_restart([&](const std::string& account) {
        restart = true;
        stop_for("restart requested by " + account);
    });
    console.on_factory_reset([&](const std::string& account) {
        erase_on_exit = true;
        stop_for("factory reset by " + account);
    });
    if (embedded_default) {
        const std::string pki = state_dir + "/pki/";
        std::cout << "gw_gateway: embedded default running (simulated RTU device, units 1-3).\n"
                     "  Modbus TCP:          127.0.0.1:1502 (this machine has the role operator)\n"
                     "  priority Modbus TCP: 127.0.0.1:1503\n"
                     "  Modbus/TCP Security: 127.0.0.1:1802, mutual TLS; demo PKI in "
                  << pki
                  << "\n"
                     "    operator.crt reads and writes, viewer.crt only reads, guest.crt (no role)"
                     " is denied\n"
                     "Try:  mbpoll -m tcp -a 1 -p 1502 -t 4 -r 1 -c 10 -1 127.0.0.1\n"
                     "      openssl s_client -connect 127.0.0.1:1802 -CAfile "
                  << pki << "ca.crt -cert " << pki << "viewer.crt -key " << pki
                  << "viewer.key\n"
                     "Management console: https://127.0.0.1:"
                  << console.bound_port() << "/ (self-signed certificate; "
                  << (console.has_accounts() ? "log in"
                                             : "first run: create the administrator there, or "
                                               "with gw_gateway --create-admin NAME")
                  << ")\n"
                     "Configuration: "
                  << (std::filesystem::exists(saved_config)
                          ? saved_config + " (saved from the console)"
                          : std::string{"the embedded default "
                                        "(gw_gateway --print-default-config)"})
                  << "\n"
                     "Stop with Ctrl-C.\n";
    }
    audit.flush();  // the start-up records are stored before "ready"
    sink.flush();   // whoever waits for "ready" finds the start-up lines (listener ports) written
    std::cout << "gw_gateway: ready" << std::endl;

    // The io thread only copies the counters; the worker formats and writes them.
    const auto write_status = [&] {
        auto s = gateway.status();
        s.audit = audit.status();  // atomics and a short lock: no waiting on the worker
        status_out.submit(std::move(s));
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
            } else if (const auto refused =
                           apply_config(std::get<gw::config::gateway_config>(next));
                       !refused.empty()) {
                log(gw::policy::event_severity::error,
                    "reload refused, configuration unchanged: " + refused);
            } else {
                editor.reloaded(std::get<gw::config::gateway_config>(std::move(next)));
                log(gw::policy::event_severity::notice, "configuration reloaded");
            }
        } else if (signal == SIGUSR1) {
            write_status();
        } else {
            log(gw::policy::event_severity::notice, "stopping: finishing requests in flight");
            if (traffic) traffic->stop();
            console.stop();  // its connections and worker go first: nothing waits on them
            gateway.stop([&] {
                write_status();
                for (auto& [name, sim] : simulators)
                    sim->stop();
                signals.cancel();
            });
            return;
        }
        signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    io.run();
    console.stop();
    audit.stop();       // every event stored, syslog given its grace to send
    status_out.stop();  // the final status is written (and logged) before "stopped"
    if (erase_on_exit) {
        if (const auto error = gw::examples::erase_state(state_dir, nullptr); !error.empty()) {
            log(gw::policy::event_severity::error, "factory reset: " + error);
            return 1;
        }
        log(gw::policy::event_severity::warning,
            "factory reset: " + state_dir + " erased; the next start is a first run");
    }
    log(gw::policy::event_severity::notice,
        exit_reason.empty() ? std::string{"stopped"} : "stopped (" + exit_reason + ")");
    return 0;
}

int main(int argc, char** argv) {
    bool restart = false;
    const int status = run(argc, argv, restart);
    if (status != 0 || !restart) return status;
    // Every socket, file and thread of the stopped gateway is closed: the same program, the
    // same arguments and the same process id (a supervisor sees no exit), on the saved file.
    std::cout.flush();
    std::cerr.flush();
    ::execv("/proc/self/exe", argv);
    std::cerr << "gw_gateway: restart failed: " << std::strerror(errno) << "\n";
    return 1;
}
