#include <gw/router/channel.hpp>
#include <gw/transport/concepts.hpp>

#include "test_sink.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

using namespace gw;
using namespace gw::router;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;
using test::recording_sink;
using test::rtu;

namespace {

using small_channel = channel<16, 4>;

// FC3 read holding registers, address 0x0000, quantity 2.
const bytes read_2 = {0x03, 0x00, 0x00, 0x00, 0x02};
// Its answer: byte count 4, registers 0x000A, 0x000B.
const bytes read_2_reply = {0x03, 0x04, 0x00, 0x0A, 0x00, 0x0B};

request_origin from(master_id m, std::uint16_t tid, std::uint8_t unit = 1) {
    return request_origin{m, tid, unit, transport::time_point{0us}};
}

bytes sent(small_channel& c, transport::time_point now) {
    const auto out = c.next_transmit(now);
    bytes copy{out.begin(), out.end()};
    if (!copy.empty()) c.on_transmitted(now);
    return copy;
}

}  // namespace

TEST_CASE("a request goes on the line as RTU and its reply reaches the master with its tid") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 77), priority_class::normal, 1, read_2));
    CHECK(sent(c, 0us) == rtu(1, read_2));
    CHECK(c.awaiting_reply());
    c.on_receive(rtu(1, read_2_reply), 10us, sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].origin.transaction_id == 77);
    CHECK(sink.answers[0].pdu == read_2_reply);
    CHECK(c.idle());
    CHECK(c.counters().responses == 1);
}

TEST_CASE("the reply completes on its last byte, fed one byte at a time") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    const auto reply = rtu(1, read_2_reply);
    for (std::size_t i = 0; i < reply.size(); ++i) {
        CHECK(sink.answers.empty());
        c.on_receive(std::span{reply}.subspan(i, 1),
                     transport::time_point{std::chrono::microseconds(i)}, sink);
    }
    CHECK(sink.answers.size() == 1);
}

TEST_CASE("only one transaction is on the bus at a time") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    CHECK_FALSE(sent(c, 0us).empty());
    CHECK(sent(c, 1us).empty());  // still awaiting the first reply
    c.on_receive(rtu(1, read_2_reply), 2us, sink);
    CHECK_FALSE(sent(c, 3us).empty());
}

TEST_CASE("silence until the timeout, after every retry, is answered 0x0B") {
    channel_options o;
    o.response_timeout = 1000us;
    o.retries = 2;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 5), priority_class::normal, 1, read_2));
    auto now = transport::time_point{0us};
    int attempts = 0;
    while (sink.answers.empty() && attempts < 10) {
        if (!sent(c, now).empty()) ++attempts;
        REQUIRE(c.deadline());
        now = *c.deadline();
        c.on_timer(now, sink);
    }
    CHECK(attempts == 3);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == bytes{0x83, 0x0B});
    CHECK(c.counters().timeouts == 3);
    CHECK(c.counters().retries == 2);
    CHECK(sink.saw(channel_event::gave_up));
}

TEST_CASE("a bad CRC or a reply from the wrong unit is retried, then the good reply is delivered") {
    channel_options o;
    o.retries = 2;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    auto corrupt = rtu(1, read_2_reply);
    corrupt.back() ^= 0xFF;
    c.on_receive(corrupt, 10us, sink);
    CHECK(sink.saw(channel_event::bad_crc));
    CHECK(sink.answers.empty());
    // The retry waits for t3.5 of silence after the corrupt reply, then goes out again.
    CHECK(sent(c, 11us).empty());
    REQUIRE(c.deadline());
    const auto retry_at = *c.deadline();
    CHECK(retry_at == 10us + o.timing.t3_5);
    c.on_timer(retry_at, sink);
    CHECK(sent(c, retry_at) == rtu(1, read_2));
    c.on_receive(rtu(2, read_2_reply), retry_at + 10us, sink);  // unit 2 answers unit 1's request
    CHECK(sink.saw(channel_event::wrong_unit));
    const auto third = *c.deadline();
    CHECK(sent(c, third) == rtu(1, read_2));
    c.on_receive(rtu(1, read_2_reply), third + 10us, sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == read_2_reply);
    CHECK(c.counters().crc_errors == 1);
    CHECK(c.counters().wrong_unit == 1);
}

TEST_CASE("noise before a good reply is counted, and the reply still delivered") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    bytes line = {0x01, 0x03, 0x04, 0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x00};  // a corrupt copy
    const auto good = rtu(1, read_2_reply);
    line.insert(line.end(), good.begin(), good.end());
    c.on_receive(line, 10us, sink);
    // The corrupt copy's byte count may hide the good frame until t3.5 of silence ends the run;
    // it is found then, not lost, and not retried.
    if (sink.answers.empty()) {
        REQUIRE(c.deadline());
        c.on_timer(*c.deadline(), sink);
    }
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == read_2_reply);
    CHECK(c.counters().crc_errors >= 1);
    CHECK(c.counters().retries == 0);
}

TEST_CASE("a device's exception reply passes through unchanged") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.on_receive(rtu(1, {0x83, 0x02}), 5us, sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == bytes{0x83, 0x02});
    CHECK(c.counters().device_exceptions == 1);
    CHECK(c.counters().exceptions_by_code[2] == 1);
}

TEST_CASE("a reply that does not answer the request is not delivered") {
    channel_options o;
    o.retries = 0;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.on_receive(rtu(1, {0x03, 0x02, 0x00, 0x01}), 5us, sink);  // one register, two were asked
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == bytes{0x83, 0x0B});
    CHECK(sink.saw(channel_event::invalid_response));
}

TEST_CASE("a broadcast is sent, the turnaround observed, and nobody is answered") {
    channel_options o;
    o.broadcast_turnaround = 500us;
    small_channel c{o};
    recording_sink sink;
    const bytes write_1 = {0x06, 0x00, 0x01, 0x00, 0x03};
    REQUIRE_FALSE(c.submit(from(0, 1, 0), priority_class::normal, 0, write_1));
    REQUIRE_FALSE(c.submit(from(0, 2), priority_class::normal, 1, read_2));
    CHECK(sent(c, 0us) == rtu(0, write_1));
    CHECK(sent(c, 100us).empty());  // turnaround running
    REQUIRE(c.deadline());
    CHECK(*c.deadline() == transport::time_point{500us});
    c.on_timer(500us, sink);
    CHECK(sink.answers.empty());
    CHECK(sink.saw(channel_event::broadcast_sent));
    CHECK(sent(c, 500us) == rtu(1, read_2));
}

TEST_CASE("identical queued reads of several masters share one bus transaction") {
    channel_options o;
    o.coalesce_reads = true;
    small_channel c{o};
    recording_sink sink;
    const bytes other = {0x03, 0x00, 0x10, 0x00, 0x01};
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, other));  // occupies the bus
    REQUIRE_FALSE(c.submit(from(1, 11), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(2, 22), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(3, 33), priority_class::normal, 1, read_2));
    CHECK(c.counters().coalesced == 2);
    sent(c, 0us);
    c.on_receive(rtu(1, {0x03, 0x02, 0x12, 0x34}), 1us, sink);
    CHECK(sent(c, 2us) == rtu(1, read_2));
    CHECK(sent(c, 3us).empty());  // the other two did not go on the bus
    c.on_receive(rtu(1, read_2_reply), 4us, sink);
    REQUIRE(sink.answers.size() == 4);
    CHECK(sink.answers[1].origin.transaction_id == 11);
    CHECK(sink.answers[2].pdu == read_2_reply);
    CHECK(sink.answers[3].pdu == read_2_reply);
    CHECK(c.counters().transactions == 2);
}

TEST_CASE("pipelined requests of one master are each answered with their own tid") {
    small_channel c{channel_options{}};
    recording_sink sink;
    for (std::uint16_t tid = 1; tid <= 3; ++tid) {
        REQUIRE_FALSE(c.submit(from(0, tid), priority_class::normal, 1, read_2));
    }
    for (int i = 0; i < 3; ++i) {
        const auto t = transport::time_point{std::chrono::microseconds{10 * i}};
        REQUIRE_FALSE(sent(c, t).empty());
        c.on_receive(rtu(1, read_2_reply), t + 1us, sink);
    }
    REQUIRE(sink.answers.size() == 3);
    CHECK(sink.answers[0].origin.transaction_id == 1);
    CHECK(sink.answers[1].origin.transaction_id == 2);
    CHECK(sink.answers[2].origin.transaction_id == 3);
}

TEST_CASE("a full queue answers 0x06 instead of dropping") {
    channel_options o;
    o.queue_per_master = 2;
    small_channel c{o};
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(0, 2), priority_class::normal, 1, read_2));
    const auto refused = c.submit(from(0, 3), priority_class::normal, 1, read_2);
    REQUIRE(refused);
    CHECK(*refused == exception_code::server_device_busy);
    CHECK(c.counters().busy_rejections == 1);
}

TEST_CASE("the inter-frame delay keeps the bus silent between transactions") {
    channel_options o;
    o.inter_frame_delay = 2000us;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.on_receive(rtu(1, read_2_reply), 100us, sink);
    CHECK(sent(c, 1000us).empty());
    REQUIRE(c.deadline());
    CHECK(*c.deadline() == transport::time_point{2100us});
    CHECK_FALSE(sent(c, 2100us).empty());
}

TEST_CASE("priority hold: after a priority answer the bus waits for the priority master") {
    channel_options o;
    o.priority_hold = 500us;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::high, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    CHECK_FALSE(sent(c, 0us).empty());  // the priority request goes first
    c.on_receive(rtu(1, read_2_reply), 100us, sink);
    REQUIRE(sink.answers.size() == 1);
    // The normal request waits out the hold; the driver is told when it ends.
    CHECK(sent(c, 100us).empty());
    CHECK(sent(c, 599us).empty());
    REQUIRE(c.deadline());
    CHECK(*c.deadline() == transport::time_point{600us});
    // The priority master's next request, within the hold, goes on the bus at once.
    REQUIRE_FALSE(c.submit(from(0, 3), priority_class::high, 1, read_2));
    CHECK(c.deadline() == transport::time_point{100us});  // due now (bus free since the answer)
    CHECK_FALSE(sent(c, 300us).empty());
    c.on_receive(rtu(1, read_2_reply), 400us, sink);
    REQUIRE(sink.answers.size() == 2);
    CHECK(sink.answers[1].origin.transaction_id == 3);
    // It did not come back: the hold ends and the normal request runs.
    CHECK(sent(c, 899us).empty());
    CHECK_FALSE(sent(c, 900us).empty());
    c.on_receive(rtu(1, read_2_reply), 950us, sink);
    REQUIRE(sink.answers.size() == 3);
    CHECK(sink.answers[2].origin.transaction_id == 2);
    // A normal answer starts no hold.
    REQUIRE_FALSE(c.submit(from(1, 4), priority_class::normal, 1, read_2));
    CHECK_FALSE(sent(c, 950us).empty());
}

TEST_CASE("priority hold: off by default, and never after a normal answer or a broadcast") {
    {
        small_channel c{channel_options{}};
        recording_sink sink;
        REQUIRE_FALSE(c.submit(from(0, 1), priority_class::high, 1, read_2));
        REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
        sent(c, 0us);
        c.on_receive(rtu(1, read_2_reply), 100us, sink);
        CHECK_FALSE(sent(c, 100us).empty());  // the next normal request starts at once
    }
    {
        channel_options o;
        o.priority_hold = 500us;
        o.broadcast_turnaround = 50us;
        small_channel c{o};
        recording_sink sink;
        REQUIRE_FALSE(c.submit(from(0, 1), priority_class::high, 0, read_2));  // broadcast
        REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
        sent(c, 0us);
        c.on_timer(50us, sink);
        CHECK(sink.answers.empty());
        CHECK_FALSE(sent(c, 50us).empty());  // nobody waits for an answer: no hold
    }
}

TEST_CASE(
    "priority hold: a priority request that timed out also holds, and a failed line ends it") {
    channel_options o;
    o.priority_hold = 500us;
    o.response_timeout = 1000us;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::high, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.on_timer(1000us, sink);  // answered 0x0B: the master will try again
    REQUIRE(sink.answers.size() == 1);
    CHECK(sent(c, 1200us).empty());
    CHECK(c.deadline() == transport::time_point{1500us});
    c.fail_all(1300us, sink);  // the queued normal request is answered 0x0B
    CHECK(sink.answers.size() == 2);
    REQUIRE_FALSE(c.submit(from(1, 3), priority_class::normal, 1, read_2));
    CHECK_FALSE(sent(c, 1300us).empty());
}

TEST_CASE("a failed line answers the request in flight and every queued one with 0x0B") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.fail_all(5us, sink);
    REQUIRE(sink.answers.size() == 2);
    CHECK(sink.answers[0].pdu == bytes{0x83, 0x0B});
    CHECK(sink.answers[1].pdu == bytes{0x83, 0x0B});
    CHECK(c.idle());
    CHECK(c.queue_depth() == 0);
}

TEST_CASE("stopping answers the request on the bus 0x0B and the never-sent ones 0x06") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(1, 2), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.fail_all(5us, sink, exception_code::server_device_busy);
    REQUIRE(sink.answers.size() == 2);
    CHECK(sink.answers[0].pdu == bytes{0x83, 0x0B});  // it may have reached the device
    CHECK(sink.answers[1].pdu == bytes{0x83, 0x06});  // never sent: try again
}

TEST_CASE("a promoted coalesced read puts its own request on the bus, not a stale one") {
    channel_options o;
    o.coalesce_reads = true;
    small_channel c{o};
    recording_sink sink;
    const bytes write = {0x06, 0x00, 0x01, 0x00, 0x2A};
    REQUIRE_FALSE(c.submit(from(1, 100), priority_class::normal, 1, write));
    sent(c, 0us);
    REQUIRE_FALSE(c.submit(from(0, 200), priority_class::normal, 1, read_2));
    c.on_receive(rtu(1, write), 1us, sink);  // the write's slot is free again
    REQUIRE_FALSE(c.submit(from(3, 300), priority_class::normal, 1, read_2));  // follows 200
    CHECK(c.counters().coalesced == 1);
    c.drop_master(0);  // the leader's master leaves: the follower is promoted
    CHECK(sent(c, 2us) == rtu(1, read_2));
    c.on_receive(rtu(1, read_2_reply), 3us, sink);
    REQUIRE(sink.answers.size() == 2);
    CHECK(sink.answers[1].origin.transaction_id == 300);
    CHECK(sink.answers[1].pdu == read_2_reply);
}

TEST_CASE("a broadcast is never answered, not even when the line fails") {
    small_channel c{channel_options{}};
    recording_sink sink;
    const bytes write_1 = {0x06, 0x00, 0x01, 0x00, 0x03};
    REQUIRE_FALSE(c.submit(from(0, 1, 0), priority_class::normal, 0, write_1));
    REQUIRE_FALSE(c.submit(from(0, 2, 0), priority_class::normal, 0, write_1));
    sent(c, 0us);  // the first is in its turnaround, the second queued
    c.fail_all(1us, sink);
    CHECK(sink.answers.empty());
    CHECK(c.idle());
}

TEST_CASE("a disconnected master's request runs but nobody is answered") {
    small_channel c{channel_options{}};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    REQUIRE_FALSE(c.submit(from(0, 2), priority_class::normal, 1, read_2));
    sent(c, 0us);
    CHECK(c.drop_master(0) == 1);
    c.on_receive(rtu(1, read_2_reply), 1us, sink);
    CHECK(sink.answers.empty());
    CHECK(sent(c, 2us).empty());
}

TEST_CASE("bytes nobody waits for are counted, not taken for a reply") {
    small_channel c{channel_options{}};
    recording_sink sink;
    c.on_receive(rtu(1, read_2_reply), 0us, sink);
    CHECK(c.counters().unexpected_bytes == 1);
    CHECK(sink.answers.empty());
}

TEST_CASE("a Modbus TCP channel frames with MBAP and matches the transaction id") {
    channel_options o;
    o.framing = channel_framing::mbap;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 900), priority_class::normal, 1, read_2));
    const auto out = sent(c, 0us);
    REQUIRE(out.size() == 7 + read_2.size());
    const std::uint8_t tid_hi = out[0];
    const std::uint8_t tid_lo = out[1];
    CHECK(out[2] == 0x00);  // protocol id
    CHECK(out[3] == 0x00);
    CHECK(out[5] == 1 + read_2.size());  // length: unit + pdu
    CHECK(out[6] == 1);
    // A stale answer (another tid) is ignored; the matching one is delivered.
    bytes stale = {static_cast<std::uint8_t>(tid_hi ^ 0x80), tid_lo, 0, 0, 0, 7, 1};
    stale.insert(stale.end(), read_2_reply.begin(), read_2_reply.end());
    bytes good = {tid_hi, tid_lo, 0, 0, 0, 7, 1};
    good.insert(good.end(), read_2_reply.begin(), read_2_reply.end());
    c.on_receive(stale, 1us, sink);
    CHECK(sink.answers.empty());
    c.on_receive(good, 2us, sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].origin.transaction_id == 900);
}

// --- line noise before a reply (the framer hunts for the awaited reply) ------------------------

namespace {

// The driver's loop: on_timer at every deadline up to `t` (when nothing arrives meanwhile).
void advance(small_channel& c, transport::time_point t, recording_sink& sink) {
    for (int guard = 0; guard < 1000; ++guard) {
        const auto due = c.deadline();
        if (!due || *due > t || !c.awaiting_reply()) return;
        c.on_timer(*due, sink);
    }
    FAIL("the channel's deadline does not move");
}

// Bytes arriving at a time: on_timer for every deadline before, then on_receive.
void arrive(small_channel& c, transport::time_point t, const bytes& data, recording_sink& sink) {
    advance(c, t, sink);
    c.on_receive(data, t, sink);
}

}  // namespace

TEST_CASE("noise with a long byte count, a gap of 5 ms, then the reply: delivered, no retry") {
    channel_options o;
    o.timing = rtu_timing_for_baud(115200);  // t3.5 = 1750 us: the gap is longer
    o.retries = 0;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    const bytes noise{0x01,   // unit 1 (the one asked) ...
                      0x03,   // ... function 3: a candidate start ...
                      0xC8,   // ... byte count 200: it needs 205 bytes
                      0x5A};  // noise
    arrive(c, 100us, noise, sink);
    arrive(c, 5100us, rtu(1, read_2_reply), sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == read_2_reply);
    CHECK(c.counters().crc_errors == 1);  // the noise is counted
    CHECK(c.counters().retries == 0);
    CHECK(c.idle());
}

TEST_CASE("random noise, a gap, then the reply: 0 lost without retries, never a wrong reply") {
    channel_options o;
    o.timing = rtu_timing_for_baud(115200);
    o.retries = 0;
    std::uint32_t x = 77;
    const auto next = [&x] {
        x = x * 1664525U + 1013904223U;
        return static_cast<std::uint8_t>(x >> 24);
    };
    constexpr int trials = 2000;
    int right = 0;
    for (int trial = 0; trial < trials; ++trial) {
        INFO("trial " << trial);
        small_channel c{o};
        recording_sink sink;
        const std::uint16_t count = static_cast<std::uint16_t>(1 + next() % 125);
        const bytes request{0x03, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(count)};
        bytes reply{0x03, static_cast<std::uint8_t>(2 * count)};
        for (int i = 0; i < 2 * count; ++i)
            reply.push_back(next());
        REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, request));
        sent(c, 0us);
        // 1..10 noise bytes: random, or a header of the awaited reply with a large byte count.
        bytes noise(1 + next() % 10);
        for (auto& b : noise)
            b = next();
        if (next() % 2 == 0) {
            noise[0] = 0x01;
            if (noise.size() > 1) noise[1] = 0x03;
            if (noise.size() > 2) noise[2] = static_cast<std::uint8_t>(0x80 | next());
        }
        const auto adu = rtu(1, reply);
        const auto gap = std::chrono::microseconds{2000 + 1000 * (next() % 4)};  // 2..5 ms
        arrive(c, 50us, noise, sink);
        // The reply in two chunks, the second up to 16 ms later (a USB adapter).
        const std::size_t cut = next() % adu.size();
        const auto t1 = transport::time_point{50us + gap};
        arrive(c, t1, bytes(adu.begin(), adu.begin() + static_cast<std::ptrdiff_t>(cut)), sink);
        arrive(c, t1 + std::chrono::microseconds{1000 * (next() % 17)},
               bytes(adu.begin() + static_cast<std::ptrdiff_t>(cut), adu.end()), sink);
        advance(c, transport::time_point{10s}, sink);
        REQUIRE(sink.answers.size() == 1);
        const auto& got = sink.answers[0].pdu;
        CHECK((got == reply || got == bytes{0x83, 0x0B}));  // the reply or 0x0B, nothing else
        right += got == reply ? 1 : 0;
        if (got != reply) {
            MESSAGE("lost: noise " << noise.size() << " cut " << cut << " n " << count);
            for (auto b : noise)
                MESSAGE(int(b));
            for (auto e : sink.events)
                MESSAGE(to_string(e));
        }
    }
    CHECK(right == trials);
}

TEST_CASE("a reply delivered in chunks with gaps of 16 ms (a USB adapter) is one reply") {
    channel_options o;
    o.timing = rtu_timing_for_baud(115200);
    small_channel c{o};
    recording_sink sink;
    const bytes read_20 = {0x03, 0x00, 0x00, 0x00, 0x14};
    bytes reply{0x03, 40};
    for (std::uint8_t i = 0; i < 40; ++i)
        reply.push_back(i);
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_20));
    sent(c, 0us);
    const auto adu = rtu(1, reply);  // 45 bytes in 3 chunks
    arrive(c, 1000us, bytes(adu.begin(), adu.begin() + 15), sink);
    arrive(c, 17000us, bytes(adu.begin() + 15, adu.begin() + 30), sink);
    arrive(c, 33000us, bytes(adu.begin() + 30, adu.end()), sink);
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == reply);
    CHECK(c.counters().crc_errors + c.counters().invalid_responses == 0);
}

TEST_CASE("an MBAP header error reports framing_lost so that the driver reconnects") {
    channel_options o;
    o.framing = channel_framing::mbap;
    o.retries = 1;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    c.on_receive(bytes{0x00, 0x01, 0x12, 0x34, 0x00, 0x06, 0x01}, 1us, sink);  // protocol 0x1234
    CHECK(sink.saw(channel_event::framing_lost));
    CHECK(sink.saw(channel_event::retry));  // the attempt failed as before
    CHECK(c.counters().invalid_responses == 1);
    CHECK(to_string(channel_event::framing_lost) == "framing_lost");
}

TEST_CASE("silence framing: noise glued before the reply, delivered at the first timer") {
    channel_options o;
    o.rtu_mode = rtu_framing::silence;
    small_channel c{o};
    recording_sink sink;
    REQUIRE_FALSE(c.submit(from(0, 1), priority_class::normal, 1, read_2));
    sent(c, 0us);
    bytes line{0x55, 0xAA};  // noise right before the reply, in the same run
    const auto reply = rtu(1, read_2_reply);
    line.insert(line.end(), reply.begin(), reply.end());
    c.on_receive(line, 10us, sink);
    REQUIRE(c.deadline());
    c.on_timer(*c.deadline(), sink);  // the silence: the noise is reported, then the reply
    REQUIRE(sink.answers.size() == 1);
    CHECK(sink.answers[0].pdu == read_2_reply);
}
