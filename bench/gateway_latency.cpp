// gateway_latency: RTU <-> Modbus TCP latency and request rate through gw_gateway, measured in
// the same run as the direct path (an RTU master talking straight to gw_simulator over the same
// kind of virtual serial line), so that the difference is what the gateway adds.
//
//   direct:   this program (RTU master, gw's framer) --pty--> gw_simulator
//   gateway:  this program (Modbus TCP masters) --TCP--> gw_gateway --pty--> gw_simulator
//
// Both simulators are the same program with the same flags, each on its own pty. Three lines are
// measured: "fast" (no wire-time emulation: the pty's own speed), and with the simulator's
// --wire-time at 115200 and 9600 baud. Each round runs every scenario once, alternating the two
// paths (the 1-master comparison in interleaved blocks); figures are reported per round and as
// the median over rounds. Output (in --out DIR): gateway_latency_rounds.csv (every
// round), gateway_latency.csv and gateway_latency.json (medians and derived figures),
// latency_cdf.dat (latency distribution of the last round, for the plot).
//
// Masters are closed loop: each connection keeps `depth` requests in flight (1 = one at a time,
// more = pipelined transaction ids on one connection). A latency is the time from just before a
// request's write() to just after the read() that completed its reply, on the steady clock.

#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/endian.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using clk = std::chrono::steady_clock;
using bytes = std::vector<std::uint8_t>;

struct bench_setup;
void stop_all(bench_setup& s);
bench_setup* running = nullptr;  // stopped by die(), so that no child outlives a failed run

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "gateway_latency: %s\n", what.c_str());
    if (auto* s = std::exchange(running, nullptr)) stop_all(*s);
    std::exit(1);
}

double us_between(clk::time_point a, clk::time_point b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
}

// ---- options ----------------------------------------------------------------------------------

#ifndef GW_BENCH_GATEWAY
#define GW_BENCH_GATEWAY "gw_gateway"
#endif
#ifndef GW_BENCH_SIMULATOR
#define GW_BENCH_SIMULATOR "gw_simulator"
#endif

constexpr const char* usage =
    "usage: gateway_latency [options]\n"
    "  --gateway PATH        gw_gateway (default: the one built with this program)\n"
    "  --simulator PATH      gw_simulator (idem)\n"
    "  --out DIR             where to write the CSV/JSON/plot data (default: .)\n"
    "  --rounds N            repetitions of the whole set (default 5); medians are reported\n"
    "  --seconds S           measurement window of one scenario on the fast line (default 1)\n"
    "  --lines LIST          fast,w115200,w9600 (default: all three)\n"
    "  --only LIST           run only these scenarios (read_1master, read_8masters, ...)\n"
    "  --log-level LEVEL     the gateway's log level (default notice, its default)\n"
    "  --gateway-wrapper CMD run the gateway under CMD (e.g. \"perf record -g -o f.data\")\n"
    "  --smoke               everything very short (CI): checks the program works, no figures\n";

struct options {
    std::string gateway = GW_BENCH_GATEWAY;
    std::string simulator = GW_BENCH_SIMULATOR;
    std::string out = ".";
    int rounds = 5;
    double seconds = 1.0;
    std::vector<std::string> lines{"fast", "w115200", "w9600"};
    std::string log_level = "notice";
    std::vector<std::string> only;
    std::vector<std::string> wrapper;
    bool smoke = false;
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep)) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(usage, stdout);
            std::exit(0);
        } else if (a == "--gateway") {
            o.gateway = value();
        } else if (a == "--simulator") {
            o.simulator = value();
        } else if (a == "--out") {
            o.out = value();
        } else if (a == "--rounds") {
            o.rounds = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--seconds") {
            o.seconds = std::max(0.05, std::atof(value().c_str()));
        } else if (a == "--lines") {
            o.lines = split(value(), ',');
        } else if (a == "--only") {
            o.only = split(value(), ',');
        } else if (a == "--log-level") {
            o.log_level = value();
        } else if (a == "--gateway-wrapper") {
            o.wrapper = split(value(), ' ');
        } else if (a == "--smoke") {
            o.smoke = true;
        } else {
            die("unknown option " + a + "\n" + usage);
        }
    }
    if (o.smoke) {
        o.rounds = 1;
        o.seconds = 0.1;
    }
    return o;
}

// ---- child processes --------------------------------------------------------------------------

struct child {
    pid_t pid = -1;
    int out = -1;  // its stdout
    std::string name;
};

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
    // Its own process group, so that stop() reaches a wrapper (perf, strace) and the gateway.
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

/// Reads the child's stdout until a line contains `marker`.
void wait_for_line(const child& c, const std::string& marker, double timeout_s) {
    std::string seen;
    const auto end = clk::now() + std::chrono::duration<double>(timeout_s);
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

/// CPU time (user + system) a process has used so far, in microseconds.
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

// ---- requests and replies ---------------------------------------------------------------------

/// What a scenario sends and what it must get back.
struct request_kind {
    std::uint8_t unit;
    bytes pdu;
    std::optional<std::uint8_t> exception;  // the exception code expected, or a normal reply
};

bytes read_holding(std::uint16_t address, std::uint16_t count) {
    bytes p(5);
    p[0] = 0x03;
    gw::put_u16(p, 1, address);
    gw::put_u16(p, 3, count);
    return p;
}

bool reply_ok(const request_kind& r, std::span<const std::uint8_t> pdu) {
    if (r.exception) {
        return pdu.size() == 2 && pdu[0] == (r.pdu[0] | 0x80) && pdu[1] == *r.exception;
    }
    return !pdu.empty() && !gw::is_exception(pdu[0]) && gw::validate_response(r.pdu, pdu);
}

// ---- results ----------------------------------------------------------------------------------

struct result {
    std::vector<double> latency_us;
    double seconds = 0;  // the measurement window
    std::size_t errors = 0;
    double gateway_cpu_us = 0;  // CPU the gateway used during the window

    void add(const result& o) {
        latency_us.insert(latency_us.end(), o.latency_us.begin(), o.latency_us.end());
        seconds += o.seconds;
        errors += o.errors;
        gateway_cpu_us += o.gateway_cpu_us;
    }
    double rate() const {
        return seconds > 0 ? static_cast<double>(latency_us.size()) / seconds : 0;
    }
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double mean(const std::vector<double>& v) {
    if (v.empty()) return NAN;
    double s = 0;
    for (double x : v)
        s += x;
    return s / static_cast<double>(v.size());
}

// ---- the direct path: an RTU master on the simulator's pty -------------------------------------

class rtu_master {
public:
    rtu_master(const std::string& device, std::uint32_t baud)
        : framer_{gw::pdu_direction::response, gw::rtu_framing::predicted,
                  gw::rtu_timing_for_baud(baud)} {
        fd_ = ::open(device.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd_ < 0) die("open " + device + ": " + std::strerror(errno));
        termios t{};
        tcgetattr(fd_, &t);
        cfmakeraw(&t);
        tcsetattr(fd_, TCSANOW, &t);
        tcflush(fd_, TCIOFLUSH);
    }
    rtu_master(const rtu_master&) = delete;
    rtu_master& operator=(const rtu_master&) = delete;
    ~rtu_master() { ::close(fd_); }

    /// One transaction; the latency in microseconds, or nullopt if no valid reply came.
    std::optional<double> transact(const request_kind& r) {
        std::array<std::uint8_t, 260> tx{};
        const std::size_t n = gw::encode_rtu(r.unit, r.pdu, tx);
        const auto start = clk::now();
        if (::write(fd_, tx.data(), n) != static_cast<ssize_t>(n)) die("write to the pty");
        std::array<std::uint8_t, 512> rx{};
        for (;;) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 3000) <= 0) return std::nullopt;
            const auto got = ::read(fd_, rx.data(), rx.size());
            if (got <= 0) die("read from the pty");
            const auto now = clk::now();
            std::span<const std::uint8_t> rest{rx.data(), static_cast<std::size_t>(got)};
            const auto t =
                std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
            for (;;) {
                const auto d = framer_.put(rest, t);
                rest = rest.subspan(d.consumed);
                if (d.status == gw::decode_status::frame) {
                    if (framer_.unit() != r.unit || !reply_ok(r, framer_.pdu())) {
                        return std::nullopt;
                    }
                    return us_between(start, now);
                }
                if (d.status == gw::decode_status::need_more) break;
            }
        }
    }

private:
    int fd_ = -1;
    gw::rtu_framer framer_;
};

result run_direct(rtu_master& m, const request_kind& r, double seconds, std::size_t min_samples) {
    result res;
    for (int i = 0; i < 3; ++i)
        (void)m.transact(r);  // warm-up
    const auto start = clk::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (clk::now() < end || res.latency_us.size() < min_samples) {
        if (const auto us = m.transact(r)) {
            res.latency_us.push_back(*us);
        } else {
            ++res.errors;
        }
    }
    res.seconds = std::chrono::duration<double>(clk::now() - start).count();
    return res;
}

// ---- the gateway path: Modbus TCP masters -------------------------------------------------------

class tcp_master {
public:
    explicit tcp_master(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            die("connect to the gateway: " + std::string(std::strerror(errno)));
        }
    }
    tcp_master(const tcp_master&) = delete;
    tcp_master& operator=(const tcp_master&) = delete;
    ~tcp_master() { ::close(fd_); }

    int fd() const noexcept { return fd_; }
    int in_flight() const noexcept { return in_flight_; }

    void send(const request_kind& r) {
        std::array<std::uint8_t, 260> tx{};
        const std::uint16_t tid = ++tid_;
        gw::encode_mbap_header(tid, r.unit, r.pdu.size(), tx);
        std::copy(r.pdu.begin(), r.pdu.end(), tx.begin() + 7);
        const std::size_t n = 7 + r.pdu.size();
        sent_[tid % sent_.size()] = clk::now();
        if (::write(fd_, tx.data(), n) != static_cast<ssize_t>(n)) die("write to the gateway");
        ++in_flight_;
    }

    /// Reads what is there; calls on_reply(latency_us, ok) for every complete reply.
    template <class F>
    void receive(const request_kind& r, F&& on_reply) {
        const auto got = ::read(fd_, rx_.data() + rx_size_, rx_.size() - rx_size_);
        if (got <= 0) die("the gateway closed a connection");
        const auto now = clk::now();
        rx_size_ += static_cast<std::size_t>(got);
        std::size_t offset = 0;
        for (;;) {
            const auto d = gw::decode_mbap({rx_.data() + offset, rx_size_ - offset});
            if (d.status == gw::decode_status::need_more) break;
            if (d.status != gw::decode_status::frame) die("bad MBAP header from the gateway");
            const auto tid = d.frame.header.transaction_id;
            const bool ok = d.frame.header.unit == r.unit && reply_ok(r, d.frame.pdu);
            --in_flight_;
            on_reply(us_between(sent_[tid % sent_.size()], now), ok, now);
            offset += d.consumed;
        }
        std::memmove(rx_.data(), rx_.data() + offset, rx_size_ - offset);
        rx_size_ -= offset;
    }

    /// One blocking transaction (the priority probe).
    std::optional<double> transact(const request_kind& r) {
        send(r);
        std::optional<double> out;
        while (in_flight_ > 0) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 3000) <= 0) die("no reply from the gateway");
            receive(r, [&](double us, bool ok, clk::time_point) {
                if (ok) out = us;
            });
        }
        return out;
    }

private:
    int fd_ = -1;
    std::uint16_t tid_ = 0;
    int in_flight_ = 0;
    std::array<clk::time_point, 256> sent_{};
    std::array<std::uint8_t, 16384> rx_{};
    std::size_t rx_size_ = 0;
};

/// Keeps `depth` requests in flight on each of `masters`, records replies completed between
/// warm-up and the end of the window, then lets the last ones finish.
result run_tcp(std::span<tcp_master* const> masters, int depth, const request_kind& r,
               double seconds, pid_t gateway) {
    result res;
    std::vector<pollfd> fds;
    for (auto* m : masters) {
        fds.push_back({m->fd(), POLLIN, 0});
        for (int i = 0; i < depth; ++i)
            m->send(r);
    }
    const auto warm = clk::now() + std::chrono::duration<double>(std::min(0.2, seconds / 4));
    const auto end = warm + std::chrono::duration<double>(seconds);
    double cpu_at_warm = -1;
    clk::time_point last_progress = clk::now();
    for (;;) {
        bool pending = false;
        for (auto* m : masters)
            pending = pending || m->in_flight() > 0;
        if (!pending) break;
        const int n = ::poll(fds.data(), fds.size(), 200);
        if (cpu_at_warm < 0 && clk::now() >= warm) cpu_at_warm = process_cpu_us(gateway);
        if (n <= 0) {
            if (clk::now() - last_progress > std::chrono::seconds{5}) die("the gateway stalled");
            continue;
        }
        last_progress = clk::now();
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if ((fds[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
            auto* m = masters[i];
            m->receive(r, [&](double us, bool ok, clk::time_point at) {
                if (at >= warm && at < end) res.latency_us.push_back(us);
                if (!ok) ++res.errors;
                if (at < end) m->send(r);
            });
        }
    }
    res.seconds = seconds;
    res.gateway_cpu_us = cpu_at_warm >= 0 ? process_cpu_us(gateway) - cpu_at_warm : 0;
    return res;
}

// ---- the setup: simulators, gateway -----------------------------------------------------------

struct line {
    std::string tag;
    std::uint32_t baud;
    bool wire;
    std::uint8_t first_unit;  // the gateway's units for this line (mapped to 1..3)
};

const std::vector<line> all_lines{
    {"fast", 115200, false, 1},
    {"w115200", 115200, true, 11},
    {"w9600", 9600, true, 21},
};

struct bench_setup {
    std::string dir;
    std::map<std::string, child> simulators;
    child gateway;
    std::uint16_t normal_port = 0;
    std::uint16_t high_port = 0;
};

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

void start_all(const options& o, const std::vector<line>& lines, bench_setup& s) {
    char tmpl[] = "/tmp/gw-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) die("mkdtemp");
    s.dir = tmpl;
    for (const auto& l : lines) {
        s.simulators[l.tag + "-direct"] = start_simulator(o, s.dir, l, "direct");
        s.simulators[l.tag + "-gw"] = start_simulator(o, s.dir, l, "gw");
    }
    s.normal_port = free_port();
    s.high_port = free_port();
    // Only what the benchmark needs differs from the defaults: the ports, one line per channel,
    // 64 connections from one address (32 masters + spares), a response timeout long enough
    // for 9600 baud. Idle timeout (300 s), log level (notice), 32 requests queued per master:
    // the defaults a user gets.
    std::ostringstream cfg;
    cfg << "{\n  \"channels\": [\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        cfg << "    {\"name\": \"" << l.tag << "\", \"type\": \"serial\", \"device\": \"" << s.dir
            << "/" << l.tag << "-gw\", \"baud\": " << l.baud
            << ", \"parity\": \"none\", \"response_timeout_ms\": 3000}"
            << (i + 1 < lines.size() ? "," : "") << "\n";
    }
    cfg << "  ],\n  \"listeners\": [\n"
        << "    {\"name\": \"normal\", \"protocol\": \"modbus_tcp\", \"address\": \"127.0.0.1\", "
           "\"port\": "
        << s.normal_port << ", \"max_connections\": 64, \"max_connections_per_source\": 64},\n"
        << "    {\"name\": \"high\", \"protocol\": \"modbus_tcp\", \"address\": \"127.0.0.1\", "
           "\"port\": "
        << s.high_port << ", \"priority\": \"high\"}\n  ],\n  \"routes\": [\n";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        cfg << "    {\"units\": \"" << int{l.first_unit} << "-" << l.first_unit + 2
            << "\", \"channel\": \"" << l.tag << "\", \"map_to\": 1}"
            << (i + 1 < lines.size() ? "," : "") << "\n";
    }
    cfg << "  ],\n  \"limits\": {\"max_connections\": 256},\n  \"log\": {\"level\": \""
        << o.log_level << "\"}\n}\n";
    const std::string path = s.dir + "/gateway.json";
    std::ofstream(path) << cfg.str();
    std::vector<std::string> args = o.wrapper;
    args.insert(args.end(), {o.gateway, "-c", path});
    s.gateway = spawn("gw_gateway", args, s.dir + "/gateway.log");
    wait_for_line(s.gateway, "gw_gateway: ready", 60);
}

void stop_all(bench_setup& s) {
    stop(s.gateway);
    for (auto& [name, c] : s.simulators)
        stop(c);
    // The logs stay in s.dir for inspection; main() removes them after a clean run.
}

void remove_dir(const std::string& dir) {
    for (const auto* name : {"gateway.json", "gateway.log"})
        ::unlink((dir + "/" + name).c_str());
    for (const auto& l : all_lines)
        for (const auto* which : {"direct", "gw"})
            ::unlink((dir + "/simulator-" + l.tag + "-" + which + ".log").c_str());
    ::rmdir(dir.c_str());
}

// ---- scenarios ---------------------------------------------------------------------------------

struct row {
    int round;
    std::string line;
    std::string scenario;
    std::string path;  // direct | gateway
    int masters;
    int depth;
    result r;
};

struct runner {
    const options& o;
    bench_setup& s;
    std::vector<row> rows;
    std::vector<std::unique_ptr<tcp_master>> pool;  // 32 normal connections
    std::unique_ptr<tcp_master> high;

    bool want(const std::string& scenario) const {
        return o.only.empty() || std::find(o.only.begin(), o.only.end(), scenario) != o.only.end();
    }

    std::vector<tcp_master*> normal(std::size_t n) {
        std::vector<tcp_master*> out;
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(pool[i].get());
        return out;
    }

    void add(int round, const line& l, const std::string& scenario, const std::string& path,
             int masters, int depth, result r) {
        std::printf(
            "  %-8s %-22s %-8s masters %2d depth %2d: %6zu replies %8.0f req/s  p50 %8.1f us"
            "  p99 %8.1f us  max %9.1f us%s\n",
            l.tag.c_str(), scenario.c_str(), path.c_str(), masters, depth, r.latency_us.size(),
            r.rate(), percentile(r.latency_us, 50), percentile(r.latency_us, 99),
            r.latency_us.empty() ? NAN
                                 : *std::max_element(r.latency_us.begin(), r.latency_us.end()),
            r.errors ? "  ERRORS" : "");
        std::fflush(stdout);
        rows.push_back({round, l.tag, scenario, path, masters, depth, std::move(r)});
    }

    /// The 1-master comparison, in alternating blocks so that both see the same machine load.
    void interleaved(int round, const line& l, const std::string& scenario, rtu_master& direct,
                     const request_kind& direct_req, const request_kind& gw_req, double seconds,
                     std::size_t min_samples_per_block, int blocks) {
        result d, g;
        auto* one = pool[0].get();
        for (int b = 0; b < blocks; ++b) {
            d.add(run_direct(direct, direct_req, seconds / blocks, min_samples_per_block));
            g.add(run_tcp(std::span<tcp_master* const>(&one, 1), 1, gw_req, seconds / blocks,
                          s.gateway.pid));
        }
        add(round, l, scenario, "direct", 1, 1, std::move(d));
        add(round, l, scenario, "gateway", 1, 1, std::move(g));
    }

    void run_round(int round, const line& l) {
        const double scale = l.tag == "fast" ? 1.0 : (l.tag == "w115200" ? 2.0 : 3.0);
        const double t = o.seconds * scale;
        const std::size_t min_block = o.smoke ? 2 : (l.tag == "w9600" ? 10 : 20);
        rtu_master direct(s.dir + "/" + l.tag + "-direct", l.baud);
        const request_kind direct_read{1, read_holding(100, 10), std::nullopt};
        const request_kind gw_read{l.first_unit, read_holding(100, 10), std::nullopt};

        if (want("read_1master")) {
            interleaved(round, l, "read_1master", direct, direct_read, gw_read, t, min_block, 4);
        }
        const auto flood = [&](const std::string& name, std::size_t masters, int depth) {
            if (!want(name)) return;
            add(round, l, name, "gateway", static_cast<int>(masters), depth,
                run_tcp(normal(masters), depth, gw_read, t, s.gateway.pid));
        };
        flood("read_8masters", 8, 1);
        if (l.tag != "w9600") {
            flood("read_32masters", 32, 1);
            flood("read_pipelined8", 1, 8);
            flood("read_pipelined16", 1, 16);
        }
        // The direct path again, so each gateway rate has a direct rate on either side of it.
        if (want("read_1master_after")) {
            add(round, l, "read_1master_after", "direct", 1, 1,
                run_direct(direct, direct_read, t / 2, min_block));
        }

        if (l.tag == "fast") {
            // Exceptions: 0x0A is the gateway's own answer (no route for unit 9, the bus is not
            // used); 0x02 comes from the device (address 20000 is beyond its 10000 registers).
            auto* one = pool[0].get();
            const request_kind no_route{9, read_holding(100, 10), 0x0A};
            if (want("exception_0A_no_route")) {
                add(round, l, "exception_0A_no_route", "gateway", 1, 1,
                    run_tcp(std::span<tcp_master* const>(&one, 1), 1, no_route, t, s.gateway.pid));
            }
            if (want("exception_02_device")) {
                interleaved(round, l, "exception_02_device", direct,
                            {1, read_holding(20000, 10), 0x02},
                            {l.first_unit, read_holding(20000, 10), 0x02}, t, min_block, 2);
            }
        }
        if (l.tag != "w9600" && want("priority")) {
            // A priority master (the high listener) alone, then while 32 masters flood the
            // normal listener of the same channel.
            result alone;
            const auto after = [](clk::time_point from, double seconds) {
                return from + std::chrono::duration_cast<clk::duration>(
                                  std::chrono::duration<double>(seconds));
            };
            const auto probe = [&](result& into, clk::time_point end) {
                const auto start = clk::now();
                while (clk::now() < end) {
                    if (const auto us = high->transact(gw_read)) {
                        into.latency_us.push_back(*us);
                    } else {
                        ++into.errors;
                    }
                }
                into.seconds = std::chrono::duration<double>(clk::now() - start).count();
            };
            probe(alone, after(clk::now(), t));
            add(round, l, "priority_unloaded", "gateway", 1, 1, std::move(alone));
            result loaded;
            const auto flood_start = clk::now();
            std::thread prober([&] {
                // From once the flood has filled the queue until the flood's window ends.
                std::this_thread::sleep_until(after(flood_start, std::min(0.3, t / 3)));
                probe(loaded, after(flood_start, std::min(0.2, t / 4) + t));
            });
            auto flood_result = run_tcp(normal(32), 1, gw_read, t, s.gateway.pid);
            prober.join();
            add(round, l, "priority_under_flood", "gateway", 1, 1, std::move(loaded));
            add(round, l, "flood_32masters", "gateway", 32, 1, std::move(flood_result));
        }
    }
};

// ---- reporting --------------------------------------------------------------------------------

double median(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string num(double x, int decimals = 1) {
    if (std::isnan(x)) return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return buf;
}

/// The figures of one row.
struct stats {
    double replies, errors, rate, p10, p50, p99, max, mean, cpu_per_req;
};

stats stats_of(const result& r) {
    const auto& v = r.latency_us;
    return {static_cast<double>(v.size()),
            static_cast<double>(r.errors),
            r.rate(),
            percentile(v, 10),
            percentile(v, 50),
            percentile(v, 99),
            v.empty() ? NAN : *std::max_element(v.begin(), v.end()),
            mean(v),
            v.empty() || r.gateway_cpu_us <= 0 ? NAN
                                               : r.gateway_cpu_us / static_cast<double>(v.size())};
}

const char* stats_header =
    "replies,errors,rate_per_s,p10_us,p50_us,p99_us,max_us,mean_us,"
    "gateway_cpu_us_per_req";

std::string stats_csv(const stats& s) {
    return num(s.replies, 0) + "," + num(s.errors, 0) + "," + num(s.rate) + "," + num(s.p10) + "," +
           num(s.p50) + "," + num(s.p99) + "," + num(s.max) + "," + num(s.mean) + "," +
           num(s.cpu_per_req);
}

/// A derived figure: computed within each round (so both sides saw the same machine), then the
/// median over rounds, with the smallest and largest round.
struct derived {
    std::string name;
    std::vector<double> per_round;
};

void write_outputs(const options& o, const std::vector<row>& rows,
                   const std::vector<std::string>& loads) {
    {
        std::ofstream csv(o.out + "/gateway_latency_rounds.csv");
        csv << "round,line,scenario,path,masters,depth," << stats_header << "\n";
        for (const auto& r : rows) {
            csv << r.round << "," << r.line << "," << r.scenario << "," << r.path << ","
                << r.masters << "," << r.depth << "," << stats_csv(stats_of(r.r)) << "\n";
        }
    }
    // Medians over rounds of every figure of every (line, scenario, path).
    std::vector<std::string> keys;
    std::map<std::string, std::vector<const row*>> groups;
    for (const auto& r : rows) {
        const auto key = r.line + "," + r.scenario + "," + r.path + "," +
                         std::to_string(r.masters) + "," + std::to_string(r.depth);
        if (!groups.count(key)) keys.push_back(key);
        groups[key].push_back(&r);
    }
    std::vector<std::pair<std::string, stats>> medians;
    for (const auto& key : keys) {
        std::vector<stats> all;
        for (const auto* r : groups[key])
            all.push_back(stats_of(r->r));
        const auto med = [&](double stats::*field) {
            std::vector<double> v;
            for (const auto& s : all)
                v.push_back(s.*field);
            return median(v);
        };
        stats m{med(&stats::replies),    0,
                med(&stats::rate),       med(&stats::p10),
                med(&stats::p50),        med(&stats::p99),
                med(&stats::max),        med(&stats::mean),
                med(&stats::cpu_per_req)};
        for (const auto& s : all)
            m.errors = std::max(m.errors, s.errors);  // the worst round, not the median
        medians.emplace_back(key, m);
    }
    {
        std::ofstream csv(o.out + "/gateway_latency.csv");
        csv << "line,scenario,path,masters,depth," << stats_header << "\n";
        for (const auto& [key, m] : medians)
            csv << key << "," << stats_csv(m) << "\n";
    }

    // Derived figures, paired within each round.
    std::vector<derived> figures;
    const auto figure = [&](const std::string& name) -> derived& {
        for (auto& f : figures)
            if (f.name == name) return f;
        figures.push_back({name, {}});
        return figures.back();
    };
    for (int round = 1; round <= o.rounds; ++round) {
        const auto get = [&](const std::string& l, const std::string& sc,
                             const std::string& p) -> std::optional<stats> {
            for (const auto& r : rows)
                if (r.round == round && r.line == l && r.scenario == sc && r.path == p)
                    return stats_of(r.r);
            return std::nullopt;
        };
        for (const auto& l : o.lines) {
            const auto d = get(l, "read_1master", "direct");
            const auto g = get(l, "read_1master", "gateway");
            if (!d || !g) continue;
            figure(l + ".added_p50_us").per_round.push_back(g->p50 - d->p50);
            figure(l + ".added_p99_us").per_round.push_back(g->p99 - d->p99);
            figure(l + ".added_p10_us").per_round.push_back(g->p10 - d->p10);
            figure(l + ".p50_gateway_over_direct").per_round.push_back(g->p50 / d->p50);
            const auto d2 = get(l, "read_1master_after", "direct");
            const double direct_rate = d2 ? (d->rate + d2->rate) / 2 : d->rate;
            figure(l + ".direct_rate_per_s").per_round.push_back(direct_rate);
            for (const auto* sc : {"read_1master", "read_8masters", "read_32masters",
                                   "read_pipelined8", "read_pipelined16"}) {
                if (const auto x = get(l, sc, "gateway")) {
                    figure(l + "." + sc + ".rate_over_direct")
                        .per_round.push_back(x->rate / direct_rate);
                }
            }
            const auto alone = get(l, "priority_unloaded", "gateway");
            const auto flooded = get(l, "priority_under_flood", "gateway");
            const auto flood = get(l, "flood_32masters", "gateway");
            if (alone && flooded && flood) {
                figure(l + ".priority_p99_unloaded_us").per_round.push_back(alone->p99);
                figure(l + ".priority_p99_under_flood_us").per_round.push_back(flooded->p99);
                figure(l + ".priority_p99_excess_us")
                    .per_round.push_back(flooded->p99 - alone->p99);
                figure(l + ".priority_p99_excess_in_bus_transactions")
                    .per_round.push_back((flooded->p99 - alone->p99) / d->p50);
                figure(l + ".flood_p50_us").per_round.push_back(flood->p50);
                figure(l + ".flood_plus_priority_rate_over_direct")
                    .per_round.push_back((flood->rate + flooded->rate) / direct_rate);
            }
            if (const auto e = get(l, "exception_0A_no_route", "gateway")) {
                figure(l + ".exception_0A_p50_us").per_round.push_back(e->p50);
                figure(l + ".exception_0A_p50_over_normal_p50")
                    .per_round.push_back(e->p50 / g->p50);
            }
            const auto ed = get(l, "exception_02_device", "direct");
            const auto eg = get(l, "exception_02_device", "gateway");
            if (ed && eg) {
                figure(l + ".exception_02_added_p50_us").per_round.push_back(eg->p50 - ed->p50);
                figure(l + ".exception_02_p50_over_normal_p50")
                    .per_round.push_back(eg->p50 / g->p50);
            }
        }
    }

    std::printf("\nderived figures (per round, then the median over %d rounds [min .. max]):\n",
                o.rounds);
    std::ofstream js(o.out + "/gateway_latency.json");
    js << "{\n  \"rounds\": " << o.rounds << ",\n  \"seconds\": " << o.seconds
       << ",\n  \"log_level\": \"" << o.log_level << "\",\n  \"loadavg\": [";
    for (std::size_t i = 0; i < loads.size(); ++i)
        js << (i ? ", " : "") << "\"" << loads[i] << "\"";
    js << "],\n  \"derived\": {\n";
    for (std::size_t i = 0; i < figures.size(); ++i) {
        const auto& f = figures[i];
        const auto [lo, hi] = std::minmax_element(f.per_round.begin(), f.per_round.end());
        const double med = median(f.per_round);
        std::printf("  %-55s %11.3f  [%.3f .. %.3f]\n", f.name.c_str(), med, *lo, *hi);
        js << "    \"" << f.name << "\": {\"median\": " << num(med, 3)
           << ", \"min\": " << num(*lo, 3) << ", \"max\": " << num(*hi, 3) << ", \"rounds\": [";
        for (std::size_t k = 0; k < f.per_round.size(); ++k)
            js << (k ? ", " : "") << num(f.per_round[k], 3);
        js << "]}" << (i + 1 < figures.size() ? "," : "") << "\n";
    }
    js << "  },\n  \"median_over_rounds\": [\n";
    for (std::size_t i = 0; i < medians.size(); ++i) {
        const auto& [key, m] = medians[i];
        const auto f = split(key, ',');
        js << "    {\"line\": \"" << f[0] << "\", \"scenario\": \"" << f[1] << "\", \"path\": \""
           << f[2] << "\", \"masters\": " << f[3] << ", \"depth\": " << f[4]
           << ", \"replies\": " << num(m.replies, 0) << ", \"errors\": " << num(m.errors, 0)
           << ", \"rate_per_s\": " << num(m.rate) << ", \"p10_us\": " << num(m.p10)
           << ", \"p50_us\": " << num(m.p50) << ", \"p99_us\": " << num(m.p99)
           << ", \"max_us\": " << num(m.max) << ", \"mean_us\": " << num(m.mean)
           << ", \"gateway_cpu_us_per_req\": " << num(m.cpu_per_req) << "}"
           << (i + 1 < medians.size() ? "," : "") << "\n";
    }
    js << "  ]\n}\n";

    // The latency distribution of the 1-master comparison on each line, all rounds pooled, as
    // percentiles (gnuplot draws it as a CDF).
    std::ofstream cdf(o.out + "/latency_cdf.dat");
    cdf << "# percentile";
    std::vector<std::vector<double>> cols;
    for (const auto& l : o.lines) {
        for (const auto* p : {"direct", "gateway"}) {
            std::vector<double> v;
            for (const auto& r : rows)
                if (r.line == l && r.scenario == "read_1master" && r.path == p)
                    v.insert(v.end(), r.r.latency_us.begin(), r.r.latency_us.end());
            if (v.empty()) continue;
            std::sort(v.begin(), v.end());
            cols.push_back(std::move(v));
            cdf << " " << l << "_" << p << "_us";
        }
    }
    cdf << "\n";
    for (int i = 1; i <= 1000; ++i) {
        const double p = i / 10.0;
        cdf << num(p, 1);
        for (const auto& v : cols) {
            const auto rank =
                static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
            cdf << " " << num(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]);
        }
        cdf << "\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    const options o = parse_options(argc, argv);
    std::vector<line> lines;
    for (const auto& name : o.lines) {
        const auto it = std::find_if(all_lines.begin(), all_lines.end(),
                                     [&](const line& l) { return l.tag == name; });
        if (it == all_lines.end()) die("unknown line " + name);
        lines.push_back(*it);
    }
    ::mkdir(o.out.c_str(), 0755);

    bench_setup s;
    running = &s;
    start_all(o, lines, s);
    std::printf("gateway_latency: gateway pid %d, ports %u/%u (high), logs in %s, load %s\n",
                s.gateway.pid, s.normal_port, s.high_port, s.dir.c_str(), loadavg().c_str());
    runner r{o, s, {}, {}, {}};
    for (int i = 0; i < 32; ++i)
        r.pool.push_back(std::make_unique<tcp_master>(s.normal_port));
    r.high = std::make_unique<tcp_master>(s.high_port);
    {
        // The channels open asynchronously: wait until each line answers.
        for (const auto& l : lines) {
            const request_kind probe{l.first_unit, read_holding(0, 1), std::nullopt};
            bool ok = false;
            for (int i = 0; i < 50 && !ok; ++i) {
                ok = r.high->transact(probe).has_value();
                if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds{100});
            }
            if (!ok) die("the gateway does not answer for line " + l.tag);
        }
    }
    std::vector<std::string> loads{loadavg()};
    for (int round = 1; round <= o.rounds; ++round) {
        std::printf("round %d (load %s)\n", round, loadavg().c_str());
        for (const auto& l : lines)
            r.run_round(round, l);
        loads.push_back(loadavg());
    }
    r.pool.clear();
    r.high.reset();
    running = nullptr;
    stop_all(s);
    write_outputs(o, r.rows, loads);
    std::size_t errors = 0;
    for (const auto& row : r.rows)
        errors += row.r.errors;
    if (errors > 0) {
        std::fprintf(stderr, "gateway_latency: %zu wrong or missing replies (logs in %s)\n", errors,
                     s.dir.c_str());
        return 1;
    }
    remove_dir(s.dir);
    return 0;
}
