// custom_gateway: a gateway of your own from gw's headers, with one policy of the site's own
// (office_hours_policy.hpp) composed in at compile time. Everything else - the configuration
// file, channels, listeners, allowlists, limits, the audit log - is gw's, unchanged.
//
//   custom_gateway --config gateway.json [--write-hours 6-18]
//
// Stop with SIGINT or SIGTERM.

#include <gw/config/json_impl.hpp>
#include <gw/config/load_config.hpp>
#include <gw/gateway/gateway.hpp>
#include <gw/gateway/plan_from_config.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <string>

#include "office_hours_policy.hpp"

int main(int argc, char** argv) {
    std::string config_path;
    unsigned from = 6, to = 18;
    CLI::App app{
        "A Modbus gateway with a site policy: writes to holding registers 0-99 only "
        "during the given hours (local time)."};
    app.add_option("-c,--config", config_path, "the gateway configuration (gw's format)")
        ->required();
    app.add_option("--from-hour", from, "writes to 0-99 allowed from this hour")
        ->check(CLI::Range(0U, 24U))
        ->capture_default_str();
    app.add_option("--to-hour", to, "until this hour (exclusive); equal to --from-hour: never")
        ->check(CLI::Range(0U, 24U))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    // 1. The configuration, checked as gw_gateway checks it (file:line:column: key: why).
    const auto loaded = gw::config::load_config_file(config_path);
    if (const auto* error = std::get_if<gw::config::config_error>(&loaded)) {
        std::cerr << error->to_string() << "\n";
        return 1;
    }
    // 2. gw's runtime with the site's policy in its chain: no gw header was edited for it.
    gw::net::io_context io{1};
    const auto log = [](gw::policy::event_severity, std::string_view line) {
        std::cerr << line << '\n';
    };
    gw::gateway::basic_gateway<custom::office_hours_write_policy> gateway{io, log};
    auto& hours = gateway.policy<custom::office_hours_write_policy>();
    hours.from_hour = from;
    hours.to_hour = to;
    hours.local_hour = [] {
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        return static_cast<unsigned>(local.tm_hour);
    };
    // 3. Start it, stop it on a signal.
    const auto plan = gw::gateway::plan_from_config(std::get<gw::config::gateway_config>(loaded));
    if (const auto error = gateway.start(plan); !error.empty()) {
        std::cerr << "custom_gateway: " << error << "\n";
        return 1;
    }
    std::cout << "custom_gateway: ready" << std::endl;
    gw::net::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](const gw::transport::error_code& ec, int) {
        if (!ec) gateway.stop([&] { signals.cancel(); });
    });
    io.run();
    return 0;
}
