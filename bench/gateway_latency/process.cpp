#include "process.hpp"

#include "common.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace gw_bench {

namespace {
std::function<void()> cleanup;
}  // namespace

void on_die(std::function<void()> f) {
    cleanup = std::move(f);
}

void die(const std::string& what) {
    std::fprintf(stderr, "gateway_latency: %s\n", what.c_str());
    if (auto f = std::exchange(cleanup, nullptr)) f();
    std::exit(1);
}

child spawn(const std::string& name, const std::vector<std::string>& args,
            const std::string& stderr_path) {
    int fds[2];
    if (pipe(fds) != 0) die("pipe: " + std::string(std::strerror(errno)));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    child c;
    c.name = name;
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    const int rc = posix_spawnp(&c.pid, argv[0], &fa, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) die("cannot start " + args[0] + ": " + std::strerror(rc));
    c.out = fds[0];
    return c;
}

void wait_for_line(const child& c, const std::string& marker, double timeout_s) {
    std::string seen;
    const auto end = after(clk::now(), timeout_s);
    while (seen.find(marker) == std::string::npos) {
        pollfd p{c.out, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clk::now());
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            die(c.name + " did not print \"" + marker + "\" (see its log)");
        }
        char buf[512];
        const auto n = ::read(c.out, buf, sizeof buf);
        if (n <= 0) die(c.name + " exited (see its log)");
        seen.append(buf, static_cast<std::size_t>(n));
    }
}

void stop(child& c) {
    if (c.pid <= 0) return;
    ::kill(-c.pid, SIGINT);  // the group: both programs stop on it, and so does a wrapper
    for (int i = 0; i < 100; ++i) {
        int status = 0;
        if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
            c.pid = -1;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    if (c.pid > 0) {
        ::kill(-c.pid, SIGKILL);
        waitpid(c.pid, nullptr, 0);
        c.pid = -1;
    }
    ::close(c.out);
}

double process_cpu_us(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(text.substr(paren + 2));
    std::string f;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
        if (i == 14) utime = std::atof(f.c_str());
        if (i == 15) stime = std::atof(f.c_str());
    }
    return (utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::uint16_t free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(s);
    return ntohs(a.sin_port);
}

const std::vector<line>& all_lines() {
    static const std::vector<line> lines{
        {"fast", 115200, false, 1},
        {"w115200", 115200, true, 11},
        {"w9600", 9600, true, 21},
    };
    return lines;
}

const line& line_named(const std::string& tag) {
    const auto& lines = all_lines();
    const auto it =
        std::find_if(lines.begin(), lines.end(), [&](const line& l) { return l.tag == tag; });
    if (it == lines.end()) die("unknown line " + tag);
    return *it;
}

namespace {

child start_simulator(const options& o, const std::string& dir, const line& l,
                      const std::string& which) {
    std::vector<std::string> args{
        o.simulator, "--pty-link", dir + "/" + l.tag + "-" + which, "--units",
        "1-3",       "--baud",     std::to_string(l.baud)};
    if (l.wire) args.emplace_back("--wire-time");
    auto c = spawn("simulator " + l.tag + "-" + which, args,
                   dir + "/simulator-" + l.tag + "-" + which + ".log");
    wait_for_line(c, "gw_simulator:", 10);
    return c;
}

/// A gw_gateway over the simulators "<line>-<which>". Only what the benchmark needs differs
/// from the defaults: the ports, one line per channel, 64 connections from one address (32
/// masters + spares), a response timeout long enough for 9600 baud, and no rate limits (the
/// masters pipeline as fast as the line answers, which is what the benchmark measures; the default
/// limits would answer them 0x06). Idle timeout (300 s), log level (notice), 32 requests queued
/// per master: the defaults a user gets.
gateway_process start_gateway(const options& o, const std::string& dir,
                              const std::vector<line>& lines, const std::string& which,
                              const std::vector<std::string>& extra_args) {
    gateway_process g;
    g.normal_port = free_port();
    g.high_port = free_port();
    const char* const unlimited =
        ", \"rate_limit\": {\"connection_requests_per_s\": 0, \"source_requests_per_s\": 0, "
        "\"listener_requests_per_s\": 0, \"source_connections_per_s\": 0, \"block_after\": 0}";
    std::ostringstream cfg;
    cfg << "{\n  \"channels\": [\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        cfg << "    {\"name\": \"" << l.tag << "\", \"type\": \"serial\", \"device\": \"" << dir
            << "/" << l.tag << "-" << which << "\", \"baud\": " << l.baud
            << ", \"parity\": \"none\", \"response_timeout_ms\": 3000}"
            << (i + 1 < lines.size() ? "," : "") << "\n";
    }
    cfg << "  ],\n  \"listeners\": [\n"
        << "    {\"name\": \"normal\", \"protocol\": \"modbus_tcp\", \"address\": \"127.0.0.1\", "
           "\"port\": "
        << g.normal_port << ", \"max_connections\": 64, \"max_connections_per_source\": 64"
        << unlimited << "},\n"
        << "    {\"name\": \"high\", \"protocol\": \"modbus_tcp\", \"address\": \"127.0.0.1\", "
           "\"port\": "
        << g.high_port << ", \"priority\": \"high\"" << unlimited << "}\n  ],\n  \"routes\": [\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        cfg << "    {\"units\": \"" << int{l.first_unit} << "-" << l.first_unit + 2
            << "\", \"channel\": \"" << l.tag << "\", \"map_to\": 1}"
            << (i + 1 < lines.size() ? "," : "") << "\n";
    }
    cfg << "  ],\n  \"limits\": {\"max_connections\": 256},\n  \"log\": {\"level\": \""
        << o.log_level << "\"}\n}\n";
    const std::string path = dir + "/gateway-" + which + ".json";
    std::ofstream(path) << cfg.str();
    std::vector<std::string> args = o.wrapper;
    // Its own state directory (the audit store), beside its configuration.
    args.insert(args.end(), {o.gateway, "-c", path, "--state-dir", dir + "/state-" + which});
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    g.process = spawn("gw_gateway (" + which + ")", args, dir + "/gateway-" + which + ".log");
    wait_for_line(g.process, "gw_gateway: ready", 60);
    return g;
}

}  // namespace

void start_all(const options& o, const std::vector<line>& lines, bench_setup& s) {
    char tmpl[] = "/tmp/gw-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) die("mkdtemp");
    s.dir = tmpl;
    for (const auto& l : lines) {
        s.simulators[l.tag + "-direct"] = start_simulator(o, s.dir, l, "direct");
        s.simulators[l.tag + "-gw"] = start_simulator(o, s.dir, l, "gw");
    }
    s.gateway = start_gateway(o, s.dir, lines, "gw", {});
    const bool hold_line =
        std::any_of(lines.begin(), lines.end(), [](const line& l) { return l.tag == "w115200"; });
    const bool hold_wanted =
        o.only.empty() || std::find(o.only.begin(), o.only.end(), "priority_hold") != o.only.end();
    if (o.priority_hold_ms > 0 && hold_line && hold_wanted) {
        const auto& l = line_named("w115200");
        s.simulators[l.tag + "-hold"] = start_simulator(o, s.dir, l, "hold");
        char ms[32];
        std::snprintf(ms, sizeof ms, "%g", o.priority_hold_ms);
        s.hold = start_gateway(o, s.dir, {l}, "hold", {"--priority-hold-ms", ms});
    }
}

void stop_all(bench_setup& s) {
    stop(s.gateway.process);
    if (s.hold) stop(s.hold->process);
    for (auto& [name, c] : s.simulators)
        stop(c);
    // The logs stay in s.dir for inspection; main() removes them after a clean run.
}

void remove_dir(const std::string& dir) {
    for (const auto* which : {"gw", "hold"}) {
        ::unlink((dir + "/gateway-" + which + ".json").c_str());
        ::unlink((dir + "/gateway-" + which + ".log").c_str());
    }
    for (const auto& l : all_lines())
        for (const auto* which : {"direct", "gw", "hold"})
            ::unlink((dir + "/simulator-" + l.tag + "-" + which + ".log").c_str());
    ::rmdir(dir.c_str());
}

}  // namespace gw_bench
