#pragma once
// A microsecond clock on the Cortex-M SysTick timer, satisfying gw::transport::clock.
// SysTick counts core cycles down from a 1 ms reload value; its interrupt counts milliseconds,
// and now() adds the cycles elapsed in the current millisecond. The 1 kHz interrupt also wakes
// the main loop from WFI so that it can call the framer's poll() for t1.5 / t3.5.

#include <gw/transport/concepts.hpp>

#include <cstdint>

#include "lm3s6965.hpp"

namespace board {

class systick_clock {
public:
    /// Starts SysTick on the core clock (core_hz: a whole number of MHz). Interrupts must not stay
    /// masked for a whole millisecond, or a tick is lost.
    void start(std::uint32_t core_hz) noexcept {
        cycles_per_us_ = core_hz / 1'000'000;
        reload_ = core_hz / 1000 - 1;
        reg(syst_csr) = 0;
        reg(syst_rvr) = reload_;
        reg(syst_cvr) = 0;
        reg(syst_csr) = 0x7;  // CLKSOURCE = core clock, TICKINT, ENABLE
        // The counter reads 0 until it first loads the reload value, and now() would take that 0
        // for the end of a millisecond: time would then step back. Wait (bounded) for the load.
        for (std::uint32_t spins = 0; spins < 1'000'000 && reg(syst_cvr) == 0; ++spins) {
        }
    }

    /// Called by the SysTick interrupt.
    void on_tick() noexcept { milliseconds_ = milliseconds_ + 1; }

    [[nodiscard]] gw::transport::time_point now() const noexcept {
        for (;;) {
            const std::uint64_t ms = milliseconds_;
            // The wrap of the counter and its pending interrupt happen together. Pending before
            // the counter read: the count belongs to the next millisecond, whose tick has not run
            // yet (interrupts masked, inside a handler, or a late tick in an emulator). Pending
            // only after it: the wrap happened around the read; read again.
            const bool pending_before = tick_pending();
            const std::uint32_t remaining = reg(syst_cvr);
            const bool pending_after = tick_pending();
            if (ms != milliseconds_ || pending_before != pending_after) {
                continue;  // the tick ran (or tore the 64-bit read), or the wrap was in between
            }
            const std::uint64_t whole_ms = pending_before ? ms + 1 : ms;
            const std::uint32_t us_in_ms = (reload_ - remaining) / cycles_per_us_;
            return gw::transport::time_point{static_cast<std::int64_t>(whole_ms * 1000 + us_in_ms)};
        }
    }

private:
    static bool tick_pending() noexcept { return (reg(scb_icsr) & icsr_pendstset) != 0; }

    // Written by the interrupt only; a 64-bit counter never wraps (584 million years).
    volatile std::uint64_t milliseconds_ = 0;
    std::uint32_t reload_ = 0;
    std::uint32_t cycles_per_us_ = 1;  // start() sets it; never divide by zero before
};

static_assert(gw::transport::clock<systick_clock>);

}  // namespace board
