#pragma once
// The few LM3S6965 / Cortex-M3 registers the firmware touches, and the system clock setup.
// Addresses and bit names follow the Stellaris LM3S6965 datasheet and the ARMv7-M ARM.

#include <cstdint>

namespace board {

inline volatile std::uint32_t& reg(std::uintptr_t address) noexcept {
    return *reinterpret_cast<volatile std::uint32_t*>(address);
}

// ---- Cortex-M3 core peripherals ---------------------------------------------------------------
inline constexpr std::uintptr_t syst_csr = 0xE000'E010;  // SysTick control and status
inline constexpr std::uintptr_t syst_rvr = 0xE000'E014;  // SysTick reload value
inline constexpr std::uintptr_t syst_cvr = 0xE000'E018;  // SysTick current value
inline constexpr std::uintptr_t nvic_iser0 = 0xE000'E100;
inline constexpr std::uintptr_t scb_icsr = 0xE000'ED04;
inline constexpr std::uint32_t icsr_pendstset = 1U << 26;

inline void enable_irq(unsigned irq) noexcept {
    reg(nvic_iser0 + 4 * (irq / 32)) = 1U << (irq % 32);
}
inline void interrupts_off() noexcept {
    __asm__ volatile("cpsid i" ::: "memory");
}
inline void interrupts_on() noexcept {
    __asm__ volatile("cpsie i" ::: "memory");
}
// Wakes on any pending enabled interrupt even while PRIMASK masks it, which makes
// "interrupts_off(); if (nothing to do) wait_for_interrupt(); interrupts_on();" race-free.
inline void wait_for_interrupt() noexcept {
    __asm__ volatile("dsb\n wfi" ::: "memory");
}

// ---- LM3S6965 system control ----------------------------------------------------------------
inline constexpr std::uintptr_t sysctl_ris = 0x400F'E050;
inline constexpr std::uintptr_t sysctl_rcc = 0x400F'E060;
inline constexpr std::uintptr_t sysctl_rcgc1 = 0x400F'E104;  // UART clock gates
inline constexpr std::uintptr_t sysctl_rcgc2 = 0x400F'E108;  // GPIO clock gates

inline constexpr std::uintptr_t gpio_port_a = 0x4000'4000;  // U0Rx PA0, U0Tx PA1
inline constexpr std::uintptr_t gpio_port_d = 0x4000'7000;  // U1Rx PD2, U1Tx PD3
inline constexpr std::uintptr_t gpio_afsel = 0x420;
inline constexpr std::uintptr_t gpio_den = 0x51C;

inline constexpr std::uintptr_t uart0_base = 0x4000'C000;
inline constexpr std::uintptr_t uart1_base = 0x4000'D000;
inline constexpr unsigned uart0_irq = 5;
inline constexpr unsigned uart1_irq = 6;

/// Runs the core at 50 MHz from the PLL (8 MHz crystal of the evaluation board, 400 MHz PLL / 2
/// / SYSDIV 4) and returns the core clock in Hz. QEMU derives the same 50 MHz from SYSDIV (it
/// models the PLL as a fixed 200 MHz source), so timing code computes identically on both. If the
/// PLL does not lock within a bounded wait, the core stays on the crystal (8 MHz).
inline std::uint32_t init_system_clock() noexcept {
    constexpr std::uint32_t rcc_moscdis = 1U << 0;
    constexpr std::uint32_t rcc_oscsrc_mask = 3U << 4;
    constexpr std::uint32_t rcc_xtal_mask = 0xFU << 6;
    constexpr std::uint32_t rcc_xtal_8mhz = 0xEU << 6;
    constexpr std::uint32_t rcc_bypass = 1U << 11;
    constexpr std::uint32_t rcc_pwrdn = 1U << 13;
    constexpr std::uint32_t rcc_usesysdiv = 1U << 22;
    constexpr std::uint32_t rcc_sysdiv_mask = 0xFU << 23;
    constexpr std::uint32_t rcc_sysdiv_4 = 3U << 23;
    constexpr std::uint32_t ris_plllris = 1U << 6;

    std::uint32_t rcc = reg(sysctl_rcc);
    rcc = (rcc | rcc_bypass) & ~rcc_usesysdiv;  // run from the raw oscillator while switching
    reg(sysctl_rcc) = rcc;
    rcc &= ~(rcc_xtal_mask | rcc_oscsrc_mask | rcc_pwrdn | rcc_moscdis);
    rcc |= rcc_xtal_8mhz;  // main oscillator, PLL powered
    rcc = (rcc & ~rcc_sysdiv_mask) | rcc_sysdiv_4 | rcc_usesysdiv;
    reg(sysctl_rcc) = rcc;
    for (std::uint32_t spins = 0; spins < 100'000; ++spins) {
        if ((reg(sysctl_ris) & ris_plllris) != 0) {
            reg(sysctl_rcc) = rcc & ~rcc_bypass;
            return 50'000'000;
        }
    }
    reg(sysctl_rcc) = rcc & ~rcc_usesysdiv;
    return 8'000'000;
}

}  // namespace board
