// A Modbus RTU router on an LM3S6965 (QEMU -M lm3s6965evb): requests from a master on UART0 go
// through gw::router::router to one gw::router::channel driving the slaves on UART1, and the
// answers (or the router's own exceptions: 0x0A no route, 0x0B no answer, 0x06 queue full) go
// back on UART0. The same sans-I/O engine as the Linux gateway; here a main loop moves the bytes.
//
// Lines: 115200 baud 8N1 on both UARTs. Units 1-247 are routed to UART1 unchanged, broadcasts
// (unit 0) are forwarded and not answered. Response timeout 500 ms, no retries.

#include <gw/codec/adu_buffer.hpp>
#include <gw/codec/decode_status.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/router/channel.hpp>
#include <gw/router/request_origin.hpp>
#include <gw/router/router.hpp>
#include <gw/transport/concepts.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "lm3s6965.hpp"
#include "stellaris_uart.hpp"
#include "systick_clock.hpp"

namespace {

constexpr board::uart_config line{.baud = 115'200, .parity_mode = board::parity::none};

// A serial master sends one request at a time: a few slots are plenty, and one master.
using channel_type = gw::router::channel<4, 1>;
using router_type = gw::router::router<channel_type, 1, 2>;

constinit board::stellaris_uart<board::uart0_base> upstream;    // the master's line
constinit board::stellaris_uart<board::uart1_base> downstream;  // the slaves' line
constinit board::systick_clock systick;

gw::router::channel_options downstream_options() noexcept {
    gw::router::channel_options o;
    o.framing = gw::router::channel_framing::rtu;
    o.rtu_mode = gw::rtu_framing::predicted;
    o.timing = gw::rtu_timing_for_baud(line.baud);
    o.response_timeout = std::chrono::milliseconds{500};
    o.retries = 0;
    o.broadcast_turnaround = std::chrono::milliseconds{20};
    o.queue_per_master = 4;
    return o;
}

channel_type bus{downstream_options()};
router_type router;
gw::rtu_framer requests{gw::pdu_direction::request, gw::rtu_framing::predicted,
                        gw::rtu_timing_for_baud(line.baud)};
constinit gw::adu_buffer answer;
std::span<const std::uint8_t> upstream_output{};  // answer bytes not yet in UART0's FIFO

static_assert(gw::transport::polled_byte_port<decltype(upstream)>);
static_assert(gw::transport::polled_byte_port<decltype(downstream)>);
static_assert(gw::transport::clock<decltype(systick)>);

void answer_master(std::uint8_t unit, std::span<const std::uint8_t> pdu) noexcept {
    if (unit == 0 || !answer.assign_pdu(unit, pdu)) {
        return;  // a broadcast is never answered
    }
    upstream_output = answer.as_rtu();
}

// The channel's sink: the answer to the master's request (device reply or router exception).
struct answer_sink {
    void deliver(const gw::router::request_origin& origin,
                 std::span<const std::uint8_t> pdu) noexcept {
        answer_master(origin.unit, pdu);
    }
};
answer_sink sink;

void on_request(gw::decode_status status) noexcept {
    if (status != gw::decode_status::frame) {
        return;  // bad CRC / incomplete: a master times out and retries; nothing to answer
    }
    const gw::router::request_origin origin{
        .master = 0, .transaction_id = 0, .unit = requests.unit(), .received_at = systick.now()};
    if (const auto refused =
            router.submit(origin, gw::router::priority_class::normal, requests.pdu())) {
        std::array<std::uint8_t, 2> pdu{};
        gw::make_exception_response(requests.pdu()[0], *refused, pdu);
        answer_master(origin.unit, pdu);
    }
}

}  // namespace

extern "C" void systick_handler() {
    systick.on_tick();
}
extern "C" void uart0_handler() {
    upstream.on_interrupt();
}
extern "C" void uart1_handler() {
    downstream.on_interrupt();
}

extern "C" [[noreturn]] void firmware_main() {
    const std::uint32_t core_hz = board::init_system_clock();
    systick.start(core_hz);
    board::enable_uart0();
    board::enable_uart1();
    upstream.start(line, core_hz);
    downstream.start(line, core_hz);
    board::enable_irq(board::uart0_irq);
    board::enable_irq(board::uart1_irq);

    router.add_channel(bus);
    router.routes().add({.first_unit = 0, .last_unit = 247, .channel = 0, .map_to = 0});

    std::array<std::uint8_t, 64> chunk{};
    std::span<const std::uint8_t> input{};  // request bytes read but not yet framed
    gw::transport::time_point input_time{};
    bool framer_has_more = false;
    std::span<const std::uint8_t> downstream_output{};
    bool downstream_sending = false;

    for (;;) {
        bool busy = false;
        const gw::transport::time_point now = systick.now();

        // Upstream: finish an answer before taking the master's next request (half duplex).
        if (!upstream_output.empty()) {
            upstream_output = upstream_output.subspan(upstream.write_some(upstream_output));
            busy = true;
        } else {
            if (input.empty() && !framer_has_more) {
                input = std::span<const std::uint8_t>{chunk}.first(upstream.read_some(chunk));
                input_time = now;
            }
            if (!input.empty() || framer_has_more) {
                const gw::decode_result r = requests.put(input, input_time);
                input = input.subspan(r.consumed);
                framer_has_more = r.status != gw::decode_status::need_more;
                on_request(r.status);
                busy = true;
            } else {
                on_request(requests.poll(now).status);
            }
        }

        // Downstream: one transaction on the bus at a time, driven by the channel.
        if (!downstream_sending) {
            downstream_output = bus.next_transmit(now);
            downstream_sending = !downstream_output.empty();
        }
        if (downstream_sending) {
            downstream_output = downstream_output.subspan(downstream.write_some(downstream_output));
            // The response timeout starts when the last stop bit has left, not when the FIFO
            // took the last byte.
            if (downstream_output.empty() && downstream.tx_idle()) {
                bus.on_transmitted(systick.now());
                downstream_sending = false;
            }
            busy = true;
        }
        std::array<std::uint8_t, 64> reply{};
        if (const std::size_t n = downstream.read_some(reply); n > 0) {
            bus.on_receive(std::span<const std::uint8_t>{reply}.first(n), systick.now(), sink);
            busy = true;
        }
        if (const auto due = bus.deadline(); due && systick.now() >= *due) {
            bus.on_timer(systick.now(), sink);
        }

        if (!busy) {
            // Sleep until a byte or the next millisecond tick (deadlines are checked then).
            board::interrupts_off();
            if (!upstream.rx_pending() && !downstream.rx_pending()) {
                board::wait_for_interrupt();
            }
            board::interrupts_on();
        }
    }
}
