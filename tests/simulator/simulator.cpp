// examples/simulator/simulator.hpp over a real pty, with the codec's framers as the master:
// requests go in through the slave side, replies (and each fault) are observed as a master sees
// them. The simulator runs on its own thread; the master side blocks on the pty (with a hang
// guard only).
#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/transport/pty_pair.hpp>
#include <gw/transport/serial_port.hpp>

#include <doctest/doctest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <variant>
#include <vector>

#include "simulator/simulator.hpp"
#include "transport/fd_io.hpp"

namespace {

namespace net = gw::net;
using bytes = std::vector<std::uint8_t>;
using gw::sim::fault_kind;
using gw::sim::wire_mode;
using std::chrono::seconds;

// A simulator serving the master side of a pty on a thread of its own.
class rig {
public:
    explicit rig(const gw::sim::simulator_settings& settings)
        : pty_(gw::transport::pty_pair::create()), port_(io_) {
        REQUIRE_FALSE(port_.assign(pty_.release_master(), "pty master"));
        sim_ = std::make_unique<gw::sim::simulator<gw::transport::serial_port>>(port_, settings);
        sim_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    rig(const rig&) = delete;
    rig& operator=(const rig&) = delete;
    ~rig() {
        net::post(io_, [this] { sim_->stop(); });
        thread_.join();
    }

    void send(const bytes& frame) { REQUIRE(gw::test::write_all(pty_.slave(), frame)); }

    // Reads until the stream received so far ends with `suffix`.
    bytes read_until(const bytes& suffix) {
        bytes got;
        while (got.size() < suffix.size() ||
               !std::equal(suffix.begin(), suffix.end(),
                           got.end() - static_cast<std::ptrdiff_t>(suffix.size()))) {
            const auto more = gw::test::read_exact(pty_.slave(), 1);
            if (more.empty()) {
                FAIL("no more bytes from the simulator; got " << got.size());
            }
            got.push_back(more[0]);
        }
        return got;
    }

    bool quiet() { return gw::test::nothing_waiting(pty_.slave()); }

private:
    net::io_context io_;
    gw::transport::pty_pair pty_;
    gw::transport::serial_port port_;
    std::unique_ptr<gw::sim::simulator<gw::transport::serial_port>> sim_;
    std::thread thread_;
};

bytes rtu(std::uint8_t unit, const bytes& pdu) {
    std::array<std::uint8_t, 256> out{};
    const auto n = gw::encode_rtu(unit, pdu, out);
    return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

bytes ascii(std::uint8_t unit, const bytes& pdu) {
    std::array<std::uint8_t, 600> out{};
    const auto n = gw::encode_ascii(unit, pdu, out);
    return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)};
}

bytes read_hr(std::uint16_t address, std::uint16_t quantity) {
    return {0x03, static_cast<std::uint8_t>(address >> 8), static_cast<std::uint8_t>(address),
            static_cast<std::uint8_t>(quantity >> 8), static_cast<std::uint8_t>(quantity)};
}

// The reply PDU holding[i] = i gives for read_hr(address, quantity).
bytes hr_reply(std::uint16_t address, std::uint16_t quantity) {
    bytes pdu{0x03, static_cast<std::uint8_t>(2 * quantity)};
    for (std::uint16_t i = 0; i < quantity; ++i) {
        const auto v = static_cast<std::uint16_t>(address + i);
        pdu.push_back(static_cast<std::uint8_t>(v >> 8));
        pdu.push_back(static_cast<std::uint8_t>(v));
    }
    return pdu;
}

struct observed {
    gw::decode_status status;
    std::uint8_t unit;
    bytes pdu;
};

// What a master's framer makes of the received bytes: `first` arriving at t = 0 and `second`
// one second later (a silence far beyond t3.5), then a poll after another second.
template <class Framer>
std::vector<observed> master_view(Framer framer, std::span<const std::uint8_t> first,
                                  std::span<const std::uint8_t> second) {
    std::vector<observed> events;
    const auto record = [&](gw::decode_result r) {
        if (r.status != gw::decode_status::need_more) {
            events.push_back(
                {r.status, framer.unit(), bytes(framer.pdu().begin(), framer.pdu().end())});
        }
    };
    const auto feed = [&](std::span<const std::uint8_t> in, gw::transport::time_point t) {
        for (int guard = 0; guard < 1000; ++guard) {
            const auto r = framer.put(in, t);
            in = in.subspan(r.consumed);
            record(r);
            if (r.status == gw::decode_status::need_more) {
                return;
            }
        }
        FAIL("framer did not settle");
    };
    feed(first, gw::transport::time_point{seconds{1}});
    feed(second, gw::transport::time_point{seconds{2}});
    for (int guard = 0; guard < 1000; ++guard) {
        const auto r = framer.poll(gw::transport::time_point{seconds{3}});
        record(r);
        if (r.status == gw::decode_status::need_more) {
            break;
        }
    }
    return events;
}

gw::rtu_framer rtu_master() {
    return gw::rtu_framer(gw::pdu_direction::response, gw::rtu_framing::predicted,
                          gw::rtu_timing_for_baud(19200));
}

bool has_frame(const std::vector<observed>& events, std::uint8_t unit, const bytes& pdu) {
    return std::any_of(events.begin(), events.end(), [&](const observed& e) {
        return e.status == gw::decode_status::frame && e.unit == unit && e.pdu == pdu;
    });
}

gw::sim::simulator_settings settings_with(wire_mode mode, fault_kind fault) {
    gw::sim::simulator_settings s;
    s.device.mode = mode;
    s.device.units = {1, 2, 3};
    s.device.fault.kind = fault;
    s.device.fault.every = 2;  // requests 2, 4, ... get the fault
    return s;
}

}  // namespace

TEST_CASE("simulator answers RTU requests on a pty, per unit") {
    rig r(settings_with(wire_mode::rtu, fault_kind::none));

    r.send(rtu(1, read_hr(0, 4)));
    CHECK(r.read_until(rtu(1, hr_reply(0, 4))) == rtu(1, hr_reply(0, 4)));

    // Input registers differ per unit: unit 3's input[2] = 3002 (0x0BBA).
    r.send(rtu(3, {0x04, 0x00, 0x02, 0x00, 0x01}));
    CHECK(r.read_until(rtu(3, {0x04, 0x02, 0x0B, 0xBA})) == rtu(3, {0x04, 0x02, 0x0B, 0xBA}));

    // A broadcast write reaches every unit and gets no reply; the next reply proves it.
    r.send(rtu(0, {0x06, 0x00, 0x32, 0x03, 0x09}));
    r.send(rtu(2, read_hr(0x32, 1)));
    CHECK(r.read_until(rtu(2, {0x03, 0x02, 0x03, 0x09})) == rtu(2, {0x03, 0x02, 0x03, 0x09}));

    // A unit that is not simulated stays silent: only the following reply arrives.
    r.send(rtu(9, read_hr(0, 1)));
    r.send(rtu(1, read_hr(5, 1)));
    CHECK(r.read_until(rtu(1, hr_reply(5, 1))) == rtu(1, hr_reply(5, 1)));

    // Exception: beyond the tables.
    r.send(rtu(1, read_hr(9999, 2)));
    CHECK(r.read_until(rtu(1, {0x83, 0x02})) == rtu(1, {0x83, 0x02}));

    // Line noise in front of a request: the simulator's framer resynchronises and answers.
    auto noisy = bytes{0xFF, 0xFF};
    const auto req = rtu(2, read_hr(7, 2));
    noisy.insert(noisy.end(), req.begin(), req.end());
    r.send(noisy);
    CHECK(r.read_until(rtu(2, hr_reply(7, 2))) == rtu(2, hr_reply(7, 2)));
    CHECK(r.quiet());
}

TEST_CASE("simulator replies in order with a response delay and wire time") {
    auto s = settings_with(wire_mode::rtu, fault_kind::none);
    s.response_delay = std::chrono::microseconds{1500};
    s.wire_time = true;
    s.baud = 9600;
    rig r(s);
    bytes expected;
    for (std::uint16_t a = 0; a < 3; ++a) {
        r.send(rtu(1, read_hr(a * 10U, 2)));
        const auto reply = rtu(1, hr_reply(static_cast<std::uint16_t>(a * 10U), 2));
        expected.insert(expected.end(), reply.begin(), reply.end());
    }
    CHECK(r.read_until(rtu(1, hr_reply(20, 2))) == expected);
}

TEST_CASE("each RTU fault as the master sees it") {
    const auto req_a = rtu(1, read_hr(0, 2));
    const auto req_b = rtu(1, read_hr(10, 2));  // the faulty one (every 2nd request)
    const auto req_c = rtu(1, read_hr(20, 3));
    const auto good_b = rtu(1, hr_reply(10, 2));
    const auto good_c = rtu(1, hr_reply(20, 3));

    for (const auto fault : gw::sim::all_faults) {
        CAPTURE(to_string(fault));
        rig r(settings_with(wire_mode::rtu, fault));
        r.send(req_a);
        CHECK(r.read_until(rtu(1, hr_reply(0, 2))) == rtu(1, hr_reply(0, 2)));
        r.send(req_b);
        r.send(req_c);
        const auto got = r.read_until(good_c);
        const bytes before(got.begin(), got.end() - static_cast<std::ptrdiff_t>(good_c.size()));
        // The noise fault needs a master that knows what it awaits (as gw's channel does).
        auto master = rtu_master();
        if (fault == fault_kind::noise) {
            master.expect(1, 0x03);
        }
        const auto events = master_view(master, before, good_c);
        CHECK(has_frame(events, 1, hr_reply(20, 3)));
        REQUIRE_FALSE(events.empty());

        switch (fault) {
            case fault_kind::silence:
                CHECK(before.empty());
                CHECK(events.size() == 1);
                break;
            case fault_kind::bad_crc:
                CHECK(before.size() == good_b.size());
                CHECK(events.front().status == gw::decode_status::bad_crc);
                CHECK_FALSE(has_frame(events, 1, hr_reply(10, 2)));
                break;
            case fault_kind::wrong_unit:
                CHECK(events.front().status == gw::decode_status::frame);
                CHECK(events.front().unit == 2);
                CHECK(events.front().pdu == hr_reply(10, 2));
                break;
            case fault_kind::garbage:
                CHECK(before.size() > good_b.size());
                CHECK(events.front().status != gw::decode_status::frame);
                CHECK(has_frame(events, 1, hr_reply(10, 2)));
                break;
            case fault_kind::noise:
                CHECK(before.size() > good_b.size());
                CHECK(std::equal(good_b.rbegin(), good_b.rend(), before.rbegin()));
                CHECK(has_frame(events, 1, hr_reply(10, 2)));
                break;
            case fault_kind::truncated:
                CHECK(before.size() < good_b.size());
                CHECK(std::equal(before.begin(), before.end(), good_b.begin()));
                CHECK(events.front().status == gw::decode_status::timeout);
                CHECK_FALSE(has_frame(events, 1, hr_reply(10, 2)));
                break;
            case fault_kind::none:
                break;
        }
    }
}

TEST_CASE("simulator speaks Modbus ASCII, faults included") {
    const auto good_a = ascii(1, hr_reply(0, 2));
    const auto good_c = ascii(1, hr_reply(20, 3));
    for (const auto fault : {fault_kind::bad_crc, fault_kind::garbage, fault_kind::wrong_unit,
                             fault_kind::truncated}) {
        CAPTURE(to_string(fault));
        rig r(settings_with(wire_mode::ascii, fault));
        r.send(ascii(1, read_hr(0, 2)));
        CHECK(r.read_until(good_a) == good_a);
        r.send(ascii(1, read_hr(10, 2)));
        r.send(ascii(1, read_hr(20, 3)));
        const auto got = r.read_until(good_c);
        const bytes before(got.begin(), got.end() - static_cast<std::ptrdiff_t>(good_c.size()));
        const auto events = master_view(gw::ascii_framer{}, before, good_c);
        CHECK(has_frame(events, 1, hr_reply(20, 3)));
        REQUIRE_FALSE(events.empty());
        switch (fault) {
            case fault_kind::bad_crc:
                CHECK(events.front().status == gw::decode_status::bad_lrc);
                break;
            case fault_kind::garbage:
                CHECK(events.front().status == gw::decode_status::bad_char);
                CHECK(has_frame(events, 1, hr_reply(10, 2)));
                break;
            case fault_kind::wrong_unit:
                CHECK(events.front().status == gw::decode_status::frame);
                CHECK(events.front().unit == 2);
                break;
            case fault_kind::truncated:
                CHECK(events.front().status != gw::decode_status::frame);
                CHECK_FALSE(has_frame(events, 1, hr_reply(10, 2)));
                break;
            default:
                break;
        }
    }
}
