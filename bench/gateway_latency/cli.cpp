#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <sstream>

#ifndef GW_BENCH_GATEWAY
#define GW_BENCH_GATEWAY "gw_gateway"
#endif
#ifndef GW_BENCH_SIMULATOR
#define GW_BENCH_SIMULATOR "gw_simulator"
#endif

namespace gw_bench {

const std::vector<std::string>& scenario_names() {
    static const std::vector<std::string> names{
        "read_1master",        "read_8masters",    "read_32masters",
        "read_pipelined8",     "read_pipelined16", "exception_0A_no_route",
        "exception_02_device", "priority",         "priority_hold"};
    return names;
}

namespace {
std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}
}  // namespace

options parse_options(int argc, char** argv) {
    options o;
    o.gateway = GW_BENCH_GATEWAY;
    o.simulator = GW_BENCH_SIMULATOR;
    CLI::App app{
        "RTU <-> Modbus TCP latency and request rate through gw_gateway, measured in the same "
        "run as an RTU master talking straight to gw_simulator (docs/benchmarks.md).",
        "gateway_latency"};
    app.get_formatter()->column_width(34);
    app.add_option("--gateway", o.gateway, "gw_gateway (default: the one built with this program)")
        ->type_name("PATH")
        ->capture_default_str();
    app.add_option("--simulator", o.simulator, "gw_simulator (idem)")
        ->type_name("PATH")
        ->capture_default_str();
    app.add_option("--out", o.out, "where to write the CSV/JSON/plot data")
        ->type_name("DIR")
        ->capture_default_str();
    auto* rounds =
        app.add_option("--rounds", o.rounds, "repetitions of the whole set; medians are reported")
            ->check(CLI::Range(1, 1000))
            ->capture_default_str();
    auto* seconds =
        app.add_option("--seconds", o.seconds,
                       "measurement window of one scenario on the fast line (x2 at 115200, x3 at "
                       "9600 baud)")
            ->check(CLI::Range(0.05, 600.0))
            ->capture_default_str();
    app.add_option("--lines", o.lines, "lines to measure")
        ->delimiter(',')
        ->check(CLI::IsMember({"fast", "w115200", "w9600"}))
        ->type_name("LIST")
        ->capture_default_str();
    app.add_option("--only", o.only, "run only these scenarios")
        ->delimiter(',')
        ->check(CLI::IsMember(scenario_names()))
        ->type_name("LIST");
    app.add_option("--log-level", o.log_level, "the gateway's log level (its default: notice)")
        ->check(CLI::IsMember({"error", "warning", "notice", "info", "debug"}))
        ->capture_default_str();
    std::string wrapper;
    app.add_option("--gateway-wrapper", wrapper,
                   "run the gateway under CMD (e.g. \"perf record -g -o f.data\")")
        ->type_name("CMD");
    app.add_option("--priority-hold-ms", o.priority_hold_ms,
                   "priority hold of a second gateway on the w115200 line (priority_hold "
                   "scenarios); 0: not run")
        ->check(CLI::Range(0.0, 1000.0))
        ->capture_default_str();
    auto* smoke = app.add_flag("--smoke", o.smoke,
                               "everything very short (CI): checks the program works, no figures");
    smoke->excludes(rounds)->excludes(seconds);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e) == 0 ? 0 : 2);
    }
    o.wrapper = split_words(wrapper);
    if (o.smoke) {
        o.rounds = 1;
        o.seconds = 0.1;
    }
    return o;
}

}  // namespace gw_bench
