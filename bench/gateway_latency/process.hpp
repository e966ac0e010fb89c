#pragma once
// gateway_latency: the programs it drives (simulators, gateways) and what it reads about them.

#include "cli.hpp"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gw_bench {

struct child {
    pid_t pid = -1;
    int out = -1;  // its stdout
    std::string name;
};

/// Starts a program in its own process group (so that stop() reaches a wrapper and the program
/// under it), stdout to a pipe, stderr to a file.
child spawn(const std::string& name, const std::vector<std::string>& args,
            const std::string& stderr_path);
/// Reads the child's stdout until a line contains `marker`.
void wait_for_line(const child& c, const std::string& marker, double timeout_s);
/// SIGINT to the group, then SIGKILL if it has not exited within 2 s.
void stop(child& c);

/// CPU time (user + system) a process has used so far, in microseconds.
double process_cpu_us(pid_t pid);
std::string loadavg();
std::uint16_t free_port();

/// A virtual serial line: "fast" (the pty's own speed) or with the simulator's wire time.
struct line {
    std::string tag;
    std::uint32_t baud;
    bool wire;
    std::uint8_t first_unit;  // the gateway's units for this line (mapped to 1..3)
};
const std::vector<line>& all_lines();
const line& line_named(const std::string& tag);

/// One gw_gateway and the ports of its two listeners.
struct gateway_process {
    child process;
    std::uint16_t normal_port = 0;
    std::uint16_t high_port = 0;
};

struct bench_setup {
    std::string dir;
    std::map<std::string, child> simulators;
    gateway_process gateway;              // every line, the defaults
    std::optional<gateway_process> hold;  // w115200 only, with a priority hold
};

/// Simulators for every line (one for the direct path, one behind the gateway), the gateway
/// with every other setting at its default, and, when asked, the second gateway with a hold.
void start_all(const options& o, const std::vector<line>& lines, bench_setup& s);
void stop_all(bench_setup& s);
/// Removes the logs of a clean run.
void remove_dir(const std::string& dir);

}  // namespace gw_bench
