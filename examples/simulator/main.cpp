// gw_simulator: a Modbus RTU/ASCII slave on a serial device or on a pty it creates, for tests
// and demos. Runs in the foreground until SIGINT or SIGTERM.
#include <gw/transport/asio.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "simulator.hpp"

namespace {

namespace net = gw::net;

// Replaces a stale symlink from an earlier run, but never a regular file someone put there.
bool make_link(const std::string& target, const std::string& link) {
    struct stat st {};
    if (::lstat(link.c_str(), &st) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            std::fprintf(stderr, "gw_simulator: %s exists and is not a symlink\n", link.c_str());
            return false;
        }
        ::unlink(link.c_str());
    }
    if (::symlink(target.c_str(), link.c_str()) != 0) {
        std::fprintf(stderr, "gw_simulator: symlink %s -> %s: %s\n", link.c_str(), target.c_str(),
                     std::strerror(errno));
        return false;
    }
    return true;
}

// Removes the link only if it still points at our pty (another run may have replaced it).
void remove_link(const std::string& target, const std::string& link) {
    std::array<char, 4096> buf{};
    const auto n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
    if (n > 0 && std::string_view(buf.data(), static_cast<std::size_t>(n)) == target) {
        ::unlink(link.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto parsed = gw::sim::parse_cli(args);
    if (!parsed.options) {
        std::fprintf(stderr, "gw_simulator: %s\n", parsed.error.c_str());
        return 2;
    }
    const auto& opt = *parsed.options;
    if (opt.help) {
        std::fputs(parsed.help.c_str(), stdout);
        return 0;
    }

    net::io_context io;
    gw::transport::serial_port port(io);
    gw::transport::pty_pair pty;
    std::string served;
    if (!opt.device.empty()) {
        gw::transport::serial_settings s;
        s.device = opt.device;
        s.baud = opt.simulator.baud;
        s.parity = opt.parity;
        s.data_bits = opt.data_bits;
        s.stop_bits = opt.stop_bits;
        const auto r = port.open(s);
        if (!r) {
            std::fprintf(stderr, "gw_simulator: %s\n", r.message.c_str());
            return 1;
        }
        for (const auto& w : r.warnings) {
            std::fprintf(stderr, "gw_simulator: warning: %s\n", w.c_str());
        }
        for (const auto& n : r.notes) {
            std::fprintf(stderr, "gw_simulator: note: %s\n", n.c_str());
        }
        served = opt.device;
    } else {
        if (const auto ec = pty.open()) {
            std::fprintf(stderr, "gw_simulator: openpty: %s\n", ec.message().c_str());
            return 1;
        }
        if (const auto ec = port.assign(pty.release_master(), "pty master")) {
            std::fprintf(stderr, "gw_simulator: pty master: %s\n", ec.message().c_str());
            return 1;
        }
        served = pty.slave_path();
        if (!opt.pty_link.empty() && !make_link(served, opt.pty_link)) {
            return 1;
        }
    }

    int exit_code = 0;
    gw::sim::simulator<gw::transport::serial_port> sim(port, opt.simulator);
    if (opt.verbose) {
        sim.on_log = [](std::string_view line) {
            std::fprintf(stderr, "gw_simulator: %.*s\n", static_cast<int>(line.size()),
                         line.data());
        };
    }
    net::signal_set signals(io, SIGINT, SIGTERM);
    sim.on_error = [&](gw::transport::error_code ec) {
        std::fprintf(stderr, "gw_simulator: %s: %s\n", served.c_str(), ec.message().c_str());
        exit_code = 1;
        sim.stop();
        signals.cancel();
    };
    signals.async_wait([&](gw::transport::error_code ec, int) {
        if (!ec) {
            sim.stop();
        }
    });
    sim.start();

    const auto& dev = opt.simulator.device;
    std::printf("gw_simulator: Modbus %s slave, units %s, on %s", to_string(dev.mode).data(),
                gw::sim::format_units(dev.units).c_str(), served.c_str());
    if (!opt.pty_link.empty()) {
        std::printf(" (link %s)", opt.pty_link.c_str());
    }
    if (dev.fault.kind != gw::sim::fault_kind::none) {
        std::printf(", fault %s", to_string(dev.fault.kind).data());
    }
    std::printf("\n");
    std::fflush(stdout);

    io.run();

    if (!opt.pty_link.empty()) {
        remove_link(served, opt.pty_link);
    }
    const auto& c = sim.device().counters();
    std::fprintf(stderr,
                 "gw_simulator: stopped: %llu requests, %llu replies, %llu faults, %llu bad "
                 "frames\n",
                 static_cast<unsigned long long>(c.requests),
                 static_cast<unsigned long long>(c.replies),
                 static_cast<unsigned long long>(c.faults),
                 static_cast<unsigned long long>(sim.link().bad_frames));
    return exit_code;
}
