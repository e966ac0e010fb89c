#pragma once
// A UART driver for the Stellaris (ARM PL011-derived) UARTs of the LM3S6965, satisfying
// gw::transport::polled_byte_port. Reception is interrupt-fed: the interrupt drains the 16-byte
// hardware FIFO into a ring buffer, so the main loop may sleep (WFI) between frames and never
// loses a byte while it builds a response. Transmission writes straight into the hardware FIFO
// and accepts only what fits, so write_some never blocks.

#include <gw/transport/concepts.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lm3s6965.hpp"

namespace board {

enum class parity : std::uint8_t { none, even, odd };

struct uart_config {
    std::uint32_t baud = 115'200;
    parity parity_mode = parity::none;
    bool two_stop_bits = false;
};

/// Counters of what the line did wrong; a Modbus frame with such a byte fails its CRC later.
struct uart_errors {
    std::uint32_t framing = 0;
    std::uint32_t parity = 0;
    std::uint32_t brk = 0;
    std::uint32_t overrun = 0;    // hardware FIFO overrun: the interrupt came too late
    std::uint32_t ring_full = 0;  // the main loop did not read for RxBufferSize bytes
};

/// One UART at register block `Base` (uart0_base, uart1_base). The base is a template argument so
/// that a global instance is all zeros and lands in .bss, not in .data (which costs flash too).
template <std::uintptr_t Base, std::size_t RxBufferSize = 256>
class stellaris_uart {
    static_assert(RxBufferSize >= 2 && (RxBufferSize & (RxBufferSize - 1)) == 0,
                  "the ring buffer size must be a power of two");

public:
    constexpr stellaris_uart() noexcept = default;

    /// Configures 8 data bits at the given baud, parity and stop bits, FIFOs on, and enables
    /// the receive interrupts. The caller enables the clock gates and the NVIC line (see
    /// enable_uart0 / enable_uart1 below) because they differ per instance.
    void start(const uart_config& config, std::uint32_t core_hz) noexcept {
        r(ctl) = 0;
        // Divisor in 1/64ths, rounded: BRD = core_hz / (16 * baud) (32-bit: core_hz < 500 MHz).
        const std::uint32_t div64 = ((core_hz * 8) / config.baud + 1) / 2;
        r(ibrd) = div64 >> 6;
        r(fbrd) = div64 & 0x3F;
        std::uint32_t lcrh = lcrh_wlen_8 | lcrh_fen;
        if (config.parity_mode != parity::none) {
            lcrh |= lcrh_pen;
            if (config.parity_mode == parity::even) {
                lcrh |= lcrh_eps;
            }
        }
        if (config.two_stop_bits) {
            lcrh |= lcrh_stp2;
        }
        r(lcrh_reg) = lcrh;  // must follow IBRD/FBRD: the write latches the divisor
        r(icr) = 0x7FF;
        r(im) = int_rx | int_rt | int_oe;
        r(ctl) = ctl_uarten | ctl_txe | ctl_rxe;
    }

    /// The interrupt handler body: drains the hardware FIFO into the ring buffer.
    void on_interrupt() noexcept {
        // Clear first, then drain: a byte arriving after the drain raises the interrupt again.
        r(icr) = int_rx | int_rt | int_oe;
        std::uint32_t head = head_.load(std::memory_order_relaxed);
        const std::uint32_t tail = tail_.load(std::memory_order_acquire);
        while ((r(fr) & fr_rxfe) == 0) {
            const std::uint32_t data = r(dr);
            if ((data & dr_error_mask) != 0) {
                count_errors(data);
                continue;  // a damaged byte is dropped; the frame then fails its CRC
            }
            if (head - tail == RxBufferSize) {
                errors_.ring_full = errors_.ring_full + 1;
                continue;
            }
            rx_[head % RxBufferSize] = static_cast<std::uint8_t>(data);
            ++head;
        }
        head_.store(head, std::memory_order_release);
    }

    // ---- gw::transport::polled_byte_port ---------------------------------------------------
    std::size_t read_some(std::span<std::uint8_t> in) noexcept {
        const std::uint32_t head = head_.load(std::memory_order_acquire);
        std::uint32_t tail = tail_.load(std::memory_order_relaxed);
        std::size_t n = 0;
        while (n < in.size() && tail != head) {
            in[n++] = rx_[tail % RxBufferSize];
            ++tail;
        }
        tail_.store(tail, std::memory_order_release);
        return n;
    }

    std::size_t write_some(std::span<const std::uint8_t> out) noexcept {
        std::size_t n = 0;
        while (n < out.size() && (r(fr) & fr_txff) == 0) {
            r(dr) = out[n++];
        }
        return n;
    }

    // ---- for the main loop -----------------------------------------------------------------
    [[nodiscard]] bool rx_pending() const noexcept {
        return head_.load(std::memory_order_acquire) != tail_.load(std::memory_order_relaxed);
    }
    /// True once the last stop bit has left the shifter (an RS-485 driver may be released).
    [[nodiscard]] bool tx_idle() const noexcept { return (r(fr) & (fr_busy | fr_txfe)) == fr_txfe; }
    [[nodiscard]] uart_errors errors() const noexcept {
        std::atomic_signal_fence(std::memory_order_acquire);  // written by the interrupt
        return errors_;
    }

private:
    // Register offsets and bits (LM3S6965 datasheet, chapter "UART").
    static constexpr std::uintptr_t dr = 0x000, fr = 0x018, ibrd = 0x024, fbrd = 0x028,
                                    lcrh_reg = 0x02C, ctl = 0x030, im = 0x038, icr = 0x044;
    static constexpr std::uint32_t fr_busy = 1U << 3, fr_rxfe = 1U << 4, fr_txff = 1U << 5,
                                   fr_txfe = 1U << 7;
    static constexpr std::uint32_t dr_fe = 1U << 8, dr_pe = 1U << 9, dr_be = 1U << 10,
                                   dr_oe = 1U << 11, dr_error_mask = 0xF00;
    static constexpr std::uint32_t lcrh_pen = 1U << 1, lcrh_eps = 1U << 2, lcrh_stp2 = 1U << 3,
                                   lcrh_fen = 1U << 4, lcrh_wlen_8 = 3U << 5;
    static constexpr std::uint32_t ctl_uarten = 1U << 0, ctl_txe = 1U << 8, ctl_rxe = 1U << 9;
    static constexpr std::uint32_t int_rx = 1U << 4, int_rt = 1U << 6, int_oe = 1U << 10;

    static volatile std::uint32_t& r(std::uintptr_t offset) noexcept { return reg(Base + offset); }

    void count_errors(std::uint32_t data) noexcept {
        if ((data & dr_fe) != 0) {
            errors_.framing = errors_.framing + 1;
        }
        if ((data & dr_pe) != 0) {
            errors_.parity = errors_.parity + 1;
        }
        if ((data & dr_be) != 0) {
            errors_.brk = errors_.brk + 1;
        }
        if ((data & dr_oe) != 0) {
            errors_.overrun = errors_.overrun + 1;
        }
    }

    std::array<std::uint8_t, RxBufferSize> rx_{};
    // Single producer (the interrupt) and single consumer (the main loop): free-running indices,
    // lock-free on Cortex-M3 (plain LDR/STR with barriers).
    std::atomic<std::uint32_t> head_{0};
    std::atomic<std::uint32_t> tail_{0};
    uart_errors errors_{};
};

static_assert(gw::transport::polled_byte_port<stellaris_uart<uart0_base>>);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

/// Clock gates and pin muxing for UART0 (PA0/PA1) and UART1 (PD2/PD3), then the NVIC line.
inline void enable_uart0() noexcept {
    reg(sysctl_rcgc1) = reg(sysctl_rcgc1) | (1U << 0);
    reg(sysctl_rcgc2) = reg(sysctl_rcgc2) | (1U << 0);
    reg(gpio_port_a + gpio_afsel) = reg(gpio_port_a + gpio_afsel) | 0x3U;
    reg(gpio_port_a + gpio_den) = reg(gpio_port_a + gpio_den) | 0x3U;
}
inline void enable_uart1() noexcept {
    reg(sysctl_rcgc1) = reg(sysctl_rcgc1) | (1U << 1);
    reg(sysctl_rcgc2) = reg(sysctl_rcgc2) | (1U << 3);
    reg(gpio_port_d + gpio_afsel) = reg(gpio_port_d + gpio_afsel) | 0xCU;
    reg(gpio_port_d + gpio_den) = reg(gpio_port_d + gpio_den) | 0xCU;
}

}  // namespace board
