// gw_syslog_send: sends numbered RFC 5424 messages with gw::audit::syslog_client to one server,
// for tests/integration/syslog.py (against a real rsyslog) and as the syslog benchmark.
//
//   gw_syslog_send --transport udp|tcp|tls --port P --count N [--host H] [--ca F] [--name N]
//                  [--cert F --key F] [--pause-at K] [--hold] [--replay R] [--expect-failure]
//                  [--bench]
//
// Message i carries [event@32473 seq="i"] and MSG "message i". Prints one line per event on
// stdout: "failure <reason>" (on_failure), "paused <K>" (all of 1..K written; it then waits for
// a line on stdin before going on), "done sent=.. dropped=.. reconnects=..", and with --bench
// "rate <messages/s>". --hold: after "done", keeps the connection until a line on stdin, then
// prints "final sent=.. dropped=.. reconnects=..".
// --expect-failure: exits 0 at the first failure, 1 if all was sent.
#include <gw/audit/syslog_client.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using gw::audit::syslog_transport;

struct options {
    syslog_transport transport = syslog_transport::udp;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t count = 10;
    std::size_t pause_at = 0;
    std::optional<std::size_t> replay;
    bool expect_failure = false;
    bool bench = false;
    bool hold = false;
    std::string ca, name, cert, key;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "gw_syslog_send: " << why << "\n";
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(std::string{a} + " needs a value");
            return argv[++i];
        };
        if (a == "--transport") {
            const auto t = value();
            if (t == "udp")
                o.transport = syslog_transport::udp;
            else if (t == "tcp")
                o.transport = syslog_transport::tcp;
            else if (t == "tls")
                o.transport = syslog_transport::tls;
            else
                usage("unknown transport " + t);
        } else if (a == "--host") {
            o.host = value();
        } else if (a == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoul(value()));
        } else if (a == "--count") {
            o.count = std::stoul(value());
        } else if (a == "--replay") {
            o.replay = std::stoul(value());
        } else if (a == "--pause-at") {
            o.pause_at = std::stoul(value());
        } else if (a == "--ca") {
            o.ca = value();
        } else if (a == "--name") {
            o.name = value();
        } else if (a == "--cert") {
            o.cert = value();
        } else if (a == "--key") {
            o.key = value();
        } else if (a == "--expect-failure") {
            o.expect_failure = true;
        } else if (a == "--hold") {
            o.hold = true;
        } else if (a == "--bench") {
            o.bench = true;
        } else {
            usage("unknown argument " + std::string{a});
        }
    }
    return o;
}

std::mutex output_mutex;
void say(const std::string& line) {
    std::lock_guard lock{output_mutex};
    std::cout << line << std::endl;
}

gw::audit::syslog_message numbered(std::size_t i) {
    gw::audit::syslog_message m;
    m.severity = gw::audit::syslog_severity::notice;
    m.timestamp =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    m.hostname = "gw-test";
    m.procid = "1";
    m.msgid = "test_event";
    m.structured_data = {
        {gw::audit::make_sd_id("event"), {{"seq", std::to_string(i)}, {"category", "System"}}}};
    m.msg = "message " + std::to_string(i);
    return m;
}

/// Blocks until the client has written everything queued so far.
void flush(gw::audit::syslog_client& client) {
    std::promise<void> flushed;
    client.async_flush([&] { flushed.set_value(); });
    flushed.get_future().wait();
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    gw::audit::syslog_server_settings s;
    s.transport = o.transport;
    s.host = o.host;
    s.port = o.port;
    s.minimum_severity = gw::audit::syslog_severity::debug;
    // Everything fits: the tests check that nothing is lost, not the backlog's bound.
    s.backlog_capacity = o.count + 16;
    s.replay_window = o.replay.value_or(o.count);
    s.backoff = {50ms, 500ms};
    s.connect_timeout = 3000ms;
    s.tls.ca_file = o.ca;
    s.tls.certificate_chain_file = o.cert;
    s.tls.private_key_file = o.key;
    s.server_name = o.name;

    gw::net::io_context io{1};
    auto work = gw::net::make_work_guard(io);
    std::thread syslog_thread{[&] {
        io.run();
        gw::tls::release_thread_caches();
    }};

    std::promise<std::string> first_failure;
    std::once_flag failed_once;
    gw::audit::syslog_client client{io.get_executor(), {s}, [&](std::size_t, std::string why) {
                                        say("failure " + why);
                                        std::call_once(failed_once,
                                                       [&] { first_failure.set_value(why); });
                                    }};
    int rc = 0;
    if (auto error = client.start(); !error.empty()) {
        say("start " + error);
        rc = 2;
    } else if (o.expect_failure) {
        client.post(numbered(1));
        auto f = first_failure.get_future();
        rc = f.wait_for(20s) == std::future_status::ready ? 0 : 1;
    } else {
        const auto begin = std::chrono::steady_clock::now();
        for (std::size_t i = 1; i <= o.count; ++i) {
            client.post(numbered(i));
            if (i == o.pause_at) {
                flush(client);
                say("paused " + std::to_string(i));
                std::string line;
                std::getline(std::cin, line);
            }
        }
        flush(client);
        const auto elapsed = std::chrono::steady_clock::now() - begin;
        const auto c = client.counters().front();
        say("done sent=" + std::to_string(c.sent) + " dropped=" + std::to_string(c.dropped) +
            " reconnects=" + std::to_string(c.reconnects) +
            " truncated=" + std::to_string(c.truncated));
        if (o.bench) {
            const double seconds = std::chrono::duration<double>(elapsed).count();
            say("rate " + std::to_string(static_cast<double>(o.count) / seconds));
        }
        if (o.hold) {
            std::string line;
            std::getline(std::cin, line);
            const auto f = client.counters().front();
            say("final sent=" + std::to_string(f.sent) + " dropped=" + std::to_string(f.dropped) +
                " reconnects=" + std::to_string(f.reconnects));
        }
    }
    client.stop();
    work.reset();
    syslog_thread.join();
    return rc;
}
