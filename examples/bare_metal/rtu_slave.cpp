// A Modbus RTU slave on UART0 of an LM3S6965 (QEMU -M lm3s6965evb): the same gw headers as the
// Linux gateway (gw::rtu_framer, gw::server, gw::static_data_model), no heap, no exceptions.
//
// Line: 115200 baud 8N1 (QEMU does not pace a UART, see docs/bare-metal.md), unit id 1. Data:
// 64 coils, 64 discrete inputs, 64 holding registers, 32 input registers; discrete input i is
// i % 2, input register i holds 0x1000 + i, so that a master can check what it reads.
//
// The main loop feeds the framer from the UART ring buffer, answers each frame addressed to it
// and sleeps (WFI) when there is nothing to do; the UART and the 1 kHz SysTick interrupts wake it.

#include <gw/codec/adu_buffer.hpp>
#include <gw/codec/decode_status.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/device/server.hpp>
#include <gw/device/static_data_model.hpp>
#include <gw/transport/concepts.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lm3s6965.hpp"
#include "stellaris_uart.hpp"
#include "systick_clock.hpp"

namespace {

constexpr std::uint8_t unit_id = 1;
constexpr board::uart_config line{.baud = 115'200, .parity_mode = board::parity::none};
constexpr std::array<std::uint8_t, 11> server_id{'g', 'w', '-', 'l', 'm', '3',
                                                 's', '6', '9', '6', '5'};

using model_type = gw::static_data_model<64, 64, 64, 32>;

// Everything lives in .bss / .data, so that `size` (and the RAM budget check) sees it all.
constinit board::stellaris_uart<board::uart0_base> uart0;
constinit board::systick_clock systick;
constinit model_type model;
gw::server<model_type> slave{model, server_id};
gw::rtu_framer framer{gw::pdu_direction::request, gw::rtu_framing::predicted,
                      gw::rtu_timing_for_baud(line.baud)};
constinit gw::adu_buffer response;
constinit std::array<std::uint8_t, 64> rx_chunk{};

static_assert(gw::transport::polled_byte_port<decltype(uart0)>);
static_assert(gw::transport::clock<decltype(systick)>);

// One frame or error from the framer. Returns the RTU ADU to send (empty: nothing to send).
std::span<const std::uint8_t> on_framer_result(gw::decode_status status) noexcept {
    switch (status) {
        case gw::decode_status::frame:
            break;
        case gw::decode_status::need_more:
            return {};
        default:  // bad CRC, too long, incomplete at t3.5: counted for FC 8 sub-function 12
            slave.note_communication_error();
            return {};
    }
    const std::uint8_t unit = framer.unit();
    if (unit == 0) {
        slave.handle_broadcast(framer.pdu(), response.pdu_storage());
        return {};
    }
    if (unit != unit_id) {
        slave.note_bus_message();
        return {};
    }
    const std::size_t n = slave.handle(framer.pdu(), response.pdu_storage());
    if (n == 0) {
        return {};
    }
    response.set_unit(unit);
    response.set_pdu_size(n);
    return response.as_rtu();
}

void init_data_model() noexcept {
    for (std::size_t i = 0; i < model_type::discrete_input_count; ++i) {
        model.set_discrete_input(i, i % 2 == 1);
    }
    for (std::size_t i = 0; i < model_type::input_register_count; ++i) {
        model.set_input_register(i, static_cast<std::uint16_t>(0x1000 + i));
    }
}

}  // namespace

extern "C" void systick_handler() {
    systick.on_tick();
}
extern "C" void uart0_handler() {
    uart0.on_interrupt();
}

extern "C" [[noreturn]] void firmware_main() {
    const std::uint32_t core_hz = board::init_system_clock();
    systick.start(core_hz);
    init_data_model();
    board::enable_uart0();
    uart0.start(line, core_hz);
    board::enable_irq(board::uart0_irq);

    std::span<const std::uint8_t> input{};  // bytes read but not yet taken by the framer
    gw::transport::time_point input_time{};
    bool framer_has_more = false;            // the last put() returned a frame or an error
    std::span<const std::uint8_t> output{};  // response bytes not yet in the UART FIFO
    std::uint32_t overruns_seen = 0;

    for (;;) {
        if (!output.empty()) {
            // Half duplex: finish the answer before looking at the next request.
            output = output.subspan(uart0.write_some(output));
            continue;
        }
        if (input.empty() && !framer_has_more) {
            const std::size_t n = uart0.read_some(rx_chunk);
            input = std::span<const std::uint8_t>{rx_chunk}.first(n);
            input_time = systick.now();
        }
        if (!input.empty() || framer_has_more) {
            // The framer takes at most one frame (or error) per call; answer it, then call again
            // with the rest, even if empty, until it needs more: it may hold the next frame.
            const gw::decode_result r = framer.put(input, input_time);
            input = input.subspan(r.consumed);
            framer_has_more = r.status != gw::decode_status::need_more;
            output = on_framer_result(r.status);
            continue;
        }
        if (const gw::decode_result r = framer.poll(systick.now());
            r.status != gw::decode_status::need_more) {
            output = on_framer_result(r.status);
            continue;
        }
        // Characters lost in the hardware FIFO or the ring feed FC 8 sub-function 18.
        const board::uart_errors errors = uart0.errors();
        for (const std::uint32_t lost = errors.overrun + errors.ring_full; overruns_seen != lost;) {
            ++overruns_seen;
            slave.note_character_overrun();
        }
        // Nothing to do until a byte or the next millisecond tick (which polls t3.5).
        board::interrupts_off();
        if (!uart0.rx_pending()) {
            board::wait_for_interrupt();
        }
        board::interrupts_on();
    }
}
