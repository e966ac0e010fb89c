#pragma once
// gateway_latency's command line (CLI11): ranges, choices and exclusions are declared there, and
// --help is generated from the same declarations.

#include <string>
#include <vector>

namespace gw_bench {

struct options {
    std::string gateway;
    std::string simulator;
    std::string out = ".";
    int rounds = 5;
    double seconds = 1.0;
    std::vector<std::string> lines{"fast", "w115200", "w9600"};
    std::string log_level = "notice";
    std::vector<std::string> only;
    std::vector<std::string> wrapper;
    /// The priority hold of the second gateway (w115200 line), in ms; 0: no hold scenarios.
    double priority_hold_ms = 1.0;
    bool smoke = false;
};

/// The scenarios --only accepts.
const std::vector<std::string>& scenario_names();

/// Parses the command line; exits 0 after --help, 2 on a usage error.
options parse_options(int argc, char** argv);

}  // namespace gw_bench
