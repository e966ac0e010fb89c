// The firmware's clock on the real (emulated) LM3S6965: system clock setup and the SysTick
// microsecond clock, including the tick that is pending while interrupts are masked.
#include <doctest/doctest.h>

#include <cstdint>

#include "lm3s6965.hpp"
#include "systick_clock.hpp"

namespace {

board::systick_clock* ticking = nullptr;

struct started_clock {
    board::systick_clock clock;
    std::uint32_t core_hz = board::init_system_clock();
    started_clock() {
        clock.start(core_hz);
        ticking = &clock;
    }
    ~started_clock() {
        board::reg(board::syst_csr) = 0;
        ticking = nullptr;
    }
    started_clock(const started_clock&) = delete;
    started_clock& operator=(const started_clock&) = delete;
};

}  // namespace

extern "C" void systick_handler() {
    if (ticking != nullptr) {
        ticking->on_tick();
    }
}

TEST_CASE("the PLL locks and the core runs at 50 MHz") {
    CHECK(board::init_system_clock() == 50'000'000U);
}

TEST_CASE("the SysTick clock advances through 20 milliseconds and never goes back") {
    started_clock s;
    const auto start = s.clock.now();
    auto previous = start;
    std::uint32_t backwards = 0;
    std::uint32_t reads = 0;
    // Bounded by a read count, not by time: each read takes some cycles of emulated time.
    for (; reads < 20'000'000 && previous - start < std::chrono::microseconds{20000}; ++reads) {
        const auto t = s.clock.now();
        if (t < previous) {
            ++backwards;
            MESSAGE("backwards at read " << reads << ": " << previous.count() << " -> "
                                         << t.count());
        }
        previous = t;
    }
    CHECK(backwards == 0);
    CHECK(previous - start >= std::chrono::microseconds{20000});
    MESSAGE("reads over 20 ms of SysTick time: " << reads);
}

TEST_CASE("a wrap whose interrupt is still pending counts as the next millisecond") {
    started_clock s;
    board::interrupts_off();
    const auto before = s.clock.now();
    // Wait (bounded) for the counter to wrap: the tick interrupt becomes pending but cannot run.
    bool pending = false;
    for (std::uint32_t i = 0; i < 5'000'000 && !pending; ++i) {
        pending = (board::reg(board::scb_icsr) & board::icsr_pendstset) != 0;
    }
    const auto during = s.clock.now();
    board::interrupts_on();  // the tick runs here
    const auto after = s.clock.now();
    REQUIRE(pending);
    CHECK(during >= before);
    CHECK(after >= during);
    // The millisecond the pending tick stands for was already counted while it was pending.
    CHECK(during.count() / 1000 > before.count() / 1000);
}
