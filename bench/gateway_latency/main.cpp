// gateway_latency: RTU <-> Modbus TCP latency and request rate through gw_gateway, measured in
// the same run as the direct path (an RTU master talking straight to gw_simulator over the same
// kind of virtual serial line), so that the difference is what the gateway adds.
//
//   direct:   this program (RTU master, gw's framer) --pty--> gw_simulator
//   gateway:  this program (Modbus TCP masters) --TCP--> gw_gateway --pty--> gw_simulator
//
// Both simulators are the same program with the same flags, each on its own pty. Three lines are
// measured: "fast" (no wire-time emulation: the pty's own speed), and with the simulator's
// --wire-time at 115200 and 9600 baud. Each round runs every scenario once, each in blocks
// alternating the two paths, so that both see the same machine load; figures are reported per
// round and as the median over rounds. A second gateway with a priority hold (its own simulator,
// the w115200 line) runs the priority scenarios again beside the first.
//
// Parts: cli (command line), process (children: simulators, gateways), masters (the RTU and
// Modbus TCP masters, closed loop), statistics, writers (CSV, JSON, plot data).

#include "cli.hpp"
#include "common.hpp"
#include "masters.hpp"
#include "process.hpp"
#include "statistics.hpp"
#include "writers.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <utility>

namespace gw_bench {
namespace {

/// The connections to one gateway: 32 on its normal listener, one on its priority listener.
struct clients {
    std::vector<std::unique_ptr<tcp_master>> pool;
    std::unique_ptr<tcp_master> high;
    pid_t pid = -1;

    clients(const gateway_process& g) : pid{g.process.pid} {
        for (int i = 0; i < 32; ++i)
            pool.push_back(std::make_unique<tcp_master>(g.normal_port));
        high = std::make_unique<tcp_master>(g.high_port);
    }
    std::vector<tcp_master*> normal(std::size_t n) const {
        std::vector<tcp_master*> out;
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(pool[i].get());
        return out;
    }
    /// The channels open asynchronously: waits until each line answers.
    void wait_ready(const std::vector<line>& lines) const {
        for (const auto& l : lines) {
            const request_kind probe{l.first_unit, read_holding(0, 1), std::nullopt};
            bool ok = false;
            for (int i = 0; i < 50 && !ok; ++i) {
                ok = high->transact(probe).has_value();
                if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds{100});
            }
            if (!ok) die("the gateway does not answer for line " + l.tag);
        }
    }
};

struct runner {
    const options& o;
    bench_setup& s;
    clients& gw;
    clients* hold;
    std::vector<row> rows;

    bool want(const std::string& scenario) const {
        return o.only.empty() || std::find(o.only.begin(), o.only.end(), scenario) != o.only.end();
    }

    void add(int round, const line& l, const std::string& scenario, const std::string& path,
             int masters, int depth, result r) {
        std::printf(
            "  %-8s %-24s %-8s masters %2d depth %2d: %6zu replies %8.0f req/s  p50 %8.1f us"
            "  p99 %8.1f us  max %9.1f us%s\n",
            l.tag.c_str(), scenario.c_str(), path.c_str(), masters, depth, r.latency_us.size(),
            r.rate(), percentile(r.latency_us, 50), percentile(r.latency_us, 99),
            r.latency_us.empty() ? NAN
                                 : *std::max_element(r.latency_us.begin(), r.latency_us.end()),
            r.errors ? "  ERRORS" : "");
        std::fflush(stdout);
        rows.push_back({round, l.tag, scenario, path, masters, depth, std::move(r)});
    }

    /// A scenario in `blocks` alternating blocks, direct first: both paths see the same load.
    /// The direct path is one RTU master, one request at a time (the line's own rate); the
    /// gateway path `masters` connections with `depth` requests in flight each.
    void paired(int round, const line& l, const std::string& scenario, rtu_master& direct,
                const request_kind& direct_req, const request_kind& gw_req, double seconds,
                std::size_t min_samples_per_block, int blocks, std::size_t masters, int depth) {
        result d, g;
        const auto conns = gw.normal(masters);
        for (int b = 0; b < blocks; ++b) {
            d.add(run_direct(direct, direct_req,
                             seconds / blocks / (masters > 1 || depth > 1 ? 2 : 1),
                             min_samples_per_block));
            g.add(run_tcp(conns, depth, gw_req, seconds / blocks, gw.pid));
        }
        add(round, l, scenario, "direct", 1, 1, std::move(d));
        add(round, l, scenario, "gateway", static_cast<int>(masters), depth, std::move(g));
    }

    /// A priority master (the high listener) alone, then while 32 masters flood the normal
    /// listener of the same channel.
    void priority(int round, const line& l, clients& c, const std::string& suffix, double t) {
        const request_kind req{l.first_unit, read_holding(100, 10), std::nullopt};
        const auto probe = [&](result& into, clk::time_point end) {
            const auto start = clk::now();
            while (clk::now() < end) {
                if (const auto us = c.high->transact(req)) {
                    into.latency_us.push_back(*us);
                } else {
                    ++into.errors;
                }
            }
            into.seconds = std::chrono::duration<double>(clk::now() - start).count();
        };
        result alone;
        probe(alone, after(clk::now(), t));
        add(round, l, "priority_unloaded" + suffix, "gateway", 1, 1, std::move(alone));
        result loaded;
        const auto flood_start = clk::now();
        std::thread prober([&] {
            // From once the flood has filled the queue until the flood's window ends.
            std::this_thread::sleep_until(after(flood_start, std::min(0.3, t / 3)));
            probe(loaded, after(flood_start, std::min(0.2, t / 4) + t));
        });
        auto flood_result = run_tcp(c.normal(32), 1, req, t, c.pid);
        prober.join();
        add(round, l, "priority_under_flood" + suffix, "gateway", 1, 1, std::move(loaded));
        add(round, l, "flood_32masters" + suffix, "gateway", 32, 1, std::move(flood_result));
    }

    void run_round(int round, const line& l) {
        const double scale = l.tag == "fast" ? 1.0 : (l.tag == "w115200" ? 2.0 : 3.0);
        const double t = o.seconds * scale;
        const std::size_t min_block = o.smoke ? 2 : (l.tag == "w9600" ? 10 : 20);
        rtu_master direct(s.dir + "/" + l.tag + "-direct", l.baud);
        const request_kind direct_read{1, read_holding(100, 10), std::nullopt};
        const request_kind gw_read{l.first_unit, read_holding(100, 10), std::nullopt};

        if (want("read_1master")) {
            paired(round, l, "read_1master", direct, direct_read, gw_read, t, min_block, 4, 1, 1);
        }
        const auto rate = [&](const std::string& name, std::size_t masters, int depth) {
            if (want(name))
                paired(round, l, name, direct, direct_read, gw_read, t, min_block, 2, masters,
                       depth);
        };
        rate("read_8masters", 8, 1);
        if (l.tag != "w9600") {
            rate("read_32masters", 32, 1);
            rate("read_pipelined8", 1, 8);
            rate("read_pipelined16", 1, 16);
        }
        if (l.tag == "fast") {
            // Exceptions: 0x0A is the gateway's own answer (no route for unit 9, the bus is not
            // used); 0x02 comes from the device (address 20000 is beyond its 10000 registers).
            const auto one = gw.normal(1);
            const request_kind no_route{9, read_holding(100, 10), 0x0A};
            if (want("exception_0A_no_route")) {
                add(round, l, "exception_0A_no_route", "gateway", 1, 1,
                    run_tcp(one, 1, no_route, t, gw.pid));
            }
            if (want("exception_02_device")) {
                paired(round, l, "exception_02_device", direct, {1, read_holding(20000, 10), 0x02},
                       {l.first_unit, read_holding(20000, 10), 0x02}, t, min_block, 2, 1, 1);
            }
        }
        if (l.tag != "w9600") {
            // Without and with the hold, one after the other in the same round.
            if (want("priority")) priority(round, l, gw, "", t);
            if (hold && l.tag == "w115200" && want("priority_hold"))
                priority(round, l, *hold, "_hold", t);
        }
    }
};

}  // namespace
}  // namespace gw_bench

int main(int argc, char** argv) {
    using namespace gw_bench;
    ::signal(SIGPIPE, SIG_IGN);
    const options o = parse_options(argc, argv);
    std::vector<line> lines;
    for (const auto& name : o.lines)
        lines.push_back(line_named(name));
    ::mkdir(o.out.c_str(), 0755);

    bench_setup s;
    on_die([&s] { stop_all(s); });
    start_all(o, lines, s);
    std::printf("gateway_latency: gateway pid %d, ports %u/%u (high), logs in %s, load %s\n",
                s.gateway.process.pid, s.gateway.normal_port, s.gateway.high_port, s.dir.c_str(),
                loadavg().c_str());
    auto gw = std::make_unique<clients>(s.gateway);
    gw->wait_ready(lines);
    std::unique_ptr<clients> hold;
    if (s.hold) {
        std::printf("gateway_latency: gateway with a %g ms priority hold: pid %d, ports %u/%u\n",
                    o.priority_hold_ms, s.hold->process.pid, s.hold->normal_port,
                    s.hold->high_port);
        hold = std::make_unique<clients>(*s.hold);
        hold->wait_ready({line_named("w115200")});
    }
    runner r{o, s, *gw, hold.get(), {}};
    std::vector<std::string> loads{loadavg()};
    for (int round = 1; round <= o.rounds; ++round) {
        std::printf("round %d (load %s)\n", round, loadavg().c_str());
        for (const auto& l : lines)
            r.run_round(round, l);
        loads.push_back(loadavg());
    }
    gw.reset();
    hold.reset();
    on_die(nullptr);
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
