// Accept backoff when the process is out of descriptors: accept() fails with EMFILE while the
// connection waits in the backlog; the listener must back off (not spin on a readable listening
// socket), log once per burst, and accept the waiting connection once descriptors are free.
//
// It lowers RLIMIT_NOFILE, which is per process: an executable of its own, so that no other
// test runs meanwhile. The limit is restored on every path (rlimit_guard).

#include "gateway/rig.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace gw_test;
using namespace std::chrono_literals;

namespace {

/// Lowers the soft RLIMIT_NOFILE so that no new descriptor can be made (every number below the
/// limit is taken), and restores it when it goes out of scope.
class rlimit_guard {
public:
    rlimit_guard() {
        REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        // open() returns the lowest free number: every descriptor below it is open.
        const int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(lowest_free >= 0);
        close(lowest_free);
        rlimit lowered = saved_;
        lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
        REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        lowered_ = true;
    }
    rlimit_guard(const rlimit_guard&) = delete;
    rlimit_guard& operator=(const rlimit_guard&) = delete;
    ~rlimit_guard() { (void)restore(); }  // no REQUIRE here: it may run while unwinding

    [[nodiscard]] bool restore() {
        if (!lowered_) return true;
        lowered_ = false;
        return setrlimit(RLIMIT_NOFILE, &saved_) == 0;
    }

private:
    rlimit saved_{};
    bool lowered_ = false;
};

}  // namespace

TEST_CASE("accept: out of descriptors, the listener backs off, logs once, and recovers") {
    rig r;
    const auto port = r.start();
    // The master's socket exists before the limit drops: only the gateway's accept needs a new
    // descriptor (connecting does not).
    tcp_master m{r.io(), from("127.0.0.2")};
    const auto& counters = r.counters();
    {
        rlimit_guard limit;
        m.connect(port, [&] { m.send(adu(1, 1, read_holding(0, 2))); });
        r.run_until([&] { return m.connected() && counters.accept_failures >= 1; },
                    "accept to fail");
        CHECK(r.logged("Too many open files"));

        // No spinning: failing again at once would fail again at once, the listening socket
        // staying readable. With the backoff (at least 10 ms, doubling) the io_context has only a
        // timer to wait for; without it accept would complete again and again. The bound below is
        // far above the backoff's (one failure per millisecond) and far below a spin's.
        const auto failures_before = counters.accept_failures;
        const auto start = std::chrono::steady_clock::now();
        r.io().restart();
        const auto handlers = r.io().run_for(50ms);
        const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start)
                                    .count();
        const auto bound = 1 + static_cast<std::uint64_t>(elapsed_ms);
        INFO("handlers " << handlers << ", failures " << counters.accept_failures - failures_before
                         << " in " << elapsed_ms << " ms");
        CHECK(counters.accept_failures - failures_before <= bound);
        CHECK(handlers <= 4 * bound);
        // A burst is one log line, with a count, however many failures it holds.
        CHECK(r.count_logged("accept:") == 1);
        CHECK(m.answers().empty());
        REQUIRE(limit.restore());
    }

    // Descriptors are free again: the connection waiting in the backlog is accepted and served.
    r.run_until([&] { return m.answers().size() == 1; }, "the waiting master's answer");
    CHECK(m.answers()[0] == answer{1, 1, registers(3, {0, 1})});
    CHECK(r.logged("listener modbus: accepting connections again"));
    // The 10 ms retry fell inside the 50 ms above: its failure, not logged, is reported now.
    CHECK(counters.accept_failures >= 2);
    CHECK(r.logged("more accept failure(s) since the last report"));
    CHECK(r.count_logged("accept:") == 1);

    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["accept_failures"] == counters.accept_failures);
    CHECK(json["accept_failures"] >= 1);
    CHECK(json["connections_accepted"] == 1);
}
