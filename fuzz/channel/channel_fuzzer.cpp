// libFuzzer harness for the router's transaction engine (include/gw/router/channel.hpp), driven
// sans-I/O as a channel driver would: submits from several masters, transmissions, device replies
// (right, corrupted, split, from the wrong unit), stray bytes, timer ticks, disconnects, line
// failures and option reloads, in any order and at any time. A device::server plays the device.
//
// Input format (fuzz/tools/make_seeds.cpp writes seeds in it): 7 option bytes (see
// read_options), then operations [op] [arguments] until the end:
//   0 submit    [master][flags][selector] (selector >= 0xE0: [length] custom PDU bytes)
//   1 transmit  [step]         next_transmit + on_transmitted
//   2 reply     [flags][step]  the device answers the request on the bus ([pos][xor] if
//                              corrupt, [cut][pause] if split, [length][bytes][gap] of line
//                              noise before it if flags & 0x10)
//   3 stray     [length] bytes on_receive
//   4 timer     [step]         on_timer (step 0xFF: at deadline())
//   5 drop      [master]       drop_master
//   6 fail_all
//   7 reload    7 option bytes set_options
//
// Properties:
//  - every answer goes to an accepted request of a live master, at most once, and answers it
//    (validate_response accepts it for that request); a broadcast is never answered, not even
//    by fail_all;
//  - queue bounds: a submit is refused (0x06) exactly when the master id is out of range, the
//    master holds its limit, or the pool is exhausted; per-master and total holdings never
//    exceed the bounds, and no slot leaks (everything is released at the end);
//  - only one transaction on the bus; what goes on the line is a correctly framed copy of a
//    pending request;
//  - a correct reply to the request on the bus is delivered unchanged (at once when its length
//    is predictable, after t3.5 of silence otherwise), also behind line noise that cannot start
//    it and a gap, and (RTU, predictable length) split by gaps longer than t3.5;
//  - liveness: with the device silent, driving the channel by its deadline() answers every
//    pending request of a live master (0x0B) in a bounded number of steps, and leaves it idle.

#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/device/server.hpp>
#include <gw/device/static_data_model.hpp>
#include <gw/router/channel.hpp>
#include <gw/transport/concepts.hpp>

#include "../common/fuzz_support.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace {

using namespace std::chrono_literals;
using namespace gw::router;
using bytes_view = std::span<const std::uint8_t>;
using bytes = std::vector<std::uint8_t>;
using gw::transport::time_point;

constexpr std::size_t slots = 8;
constexpr std::size_t masters = 4;
using channel_type = channel<slots, masters>;
using model_type = gw::static_data_model<2048, 2048, 512, 512>;

// Valid requests of every kind the channel must carry (selector < 0xE0 picks one).
const std::array<bytes, 21> request_table{{
    {0x03, 0x00, 0x00, 0x00, 0x02},                                // FC3 read 2 registers
    {0x03, 0x00, 0x10, 0x00, 0x01},                                // FC3 another window
    {0x01, 0x00, 0x00, 0x00, 0x0A},                                // FC1 read 10 coils
    {0x02, 0x00, 0x05, 0x00, 0x03},                                // FC2
    {0x04, 0x00, 0x00, 0x00, 0x04},                                // FC4
    {0x05, 0x00, 0x01, 0xFF, 0x00},                                // FC5 coil on
    {0x06, 0x00, 0x02, 0x12, 0x34},                                // FC6
    {0x0F, 0x00, 0x00, 0x00, 0x0A, 0x02, 0xFF, 0x03},              // FC15
    {0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0x00, 0x01, 0x00, 0x02},  // FC16
    {0x17, 0x00, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x01, 0x02, 0xAB, 0xCD},  // FC23
    {0x16, 0x00, 0x03, 0x00, 0xF2, 0x00, 0x25},                                // FC22
    {0x08, 0x00, 0x00, 0x12, 0x34},  // FC8/0: echo, length unpredictable
    {0x08, 0x00, 0x0B, 0x00, 0x00},  // FC8/11
    {0x07},                          // FC7
    {0x0B},                          // FC11
    {0x11},                          // FC17
    {0x2B, 0x0E, 0x01, 0x00},        // FC43/14: the device answers 01
    {0x41, 0x01, 0x02},              // user-defined: the device answers 01
    {0x08, 0x00, 0x04, 0x00, 0x00},  // FC8/4: the device goes silent (listen-only)...
    {0x08, 0x00, 0x01, 0x00, 0x00},  // FC8/1: ...until restarted
    {0x03, 0xFF, 0xF0, 0x00, 0x10},  // FC3 beyond the model: 02
}};

channel_options read_options(gw::fuzz::input_reader& in) {
    constexpr std::array<std::uint32_t, 4> bauds{19200, 9600, 115200, 1200};
    channel_options o;
    o.framing = static_cast<channel_framing>(in.below(3));
    const std::uint8_t flags = in.u8();
    o.rtu_mode = (flags & 1U) != 0 ? gw::rtu_framing::silence : gw::rtu_framing::predicted;
    o.coalesce_reads = (flags & 2U) != 0;
    o.retries = static_cast<std::uint8_t>((flags >> 2U) & 3U);
    o.timing = gw::rtu_timing_for_baud(bauds[(flags >> 4U) & 3U]);
    o.response_timeout = std::chrono::microseconds{200 * (in.u8() + 1)};
    o.inter_frame_delay = std::chrono::microseconds{10 * in.u8()};
    o.broadcast_turnaround = std::chrono::microseconds{100 * (in.u8() + 1)};
    o.ascii_char_timeout = std::chrono::microseconds{100 * (in.u8() + 1)};
    o.queue_per_master = static_cast<std::uint16_t>(in.below(9));
    return o;
}

struct request_record {
    master_id master;
    std::uint8_t origin_unit;
    std::uint8_t target_unit;
    bytes pdu;
    bool accepted = false;
    bool dead = false;       // its master disconnected while it was pending
    bool completed = false;  // a broadcast that went out (or was failed)
    int answers = 0;
};

// A framed request as it appeared on the line.
struct on_the_line {
    std::uint8_t unit;
    bytes pdu;
    std::uint16_t tid;  // MBAP only
};

class harness {
public:
    explicit harness(const channel_options& o) : channel_{o}, server_{model_} {}

    // The sink interface of the channel.
    void deliver(const request_origin& origin, bytes_view pdu) {
        GW_FUZZ_CHECK(origin.transaction_id < records_.size());
        request_record& r = records_[origin.transaction_id];
        GW_FUZZ_CHECK(r.accepted && !r.dead && r.answers == 0);
        GW_FUZZ_CHECK(origin.master == r.master && origin.unit == r.origin_unit);
        GW_FUZZ_CHECK(gw::validate_response(r.pdu, pdu));
        // A broadcast is never answered, not even by fail_all (finding 3).
        GW_FUZZ_CHECK(r.target_unit != 0);
        ++r.answers;
        delivered_.emplace_back(pdu.begin(), pdu.end());
    }
    void on_channel_event(channel_event e, const request_origin& origin) {
        if (e == channel_event::broadcast_sent) {
            GW_FUZZ_CHECK(origin.transaction_id < records_.size());
            request_record& r = records_[origin.transaction_id];
            GW_FUZZ_CHECK(r.accepted && r.target_unit == 0 && !r.completed);
            r.completed = true;
        }
    }

    void run(gw::fuzz::input_reader& in) {
        while (!in.empty() && records_.size() < 60000) {
            switch (in.u8() & 7U) {
                case 0:
                    submit(in);
                    break;
                case 1:
                    now_ += std::chrono::microseconds{20 * in.u8()};
                    transmit();
                    break;
                case 2:
                    reply(in);
                    break;
                case 3: {
                    const bytes_view stray = in.take(in.u8());
                    rx_clean_ = false;
                    channel_.on_receive(stray, now_, *this);
                    break;
                }
                case 4:
                    tick(in.u8());
                    break;
                case 5:
                    drop(static_cast<master_id>(in.below(masters)));
                    break;
                case 6:
                    fail_all();
                    break;
                default:
                    channel_.set_options(read_options(in));
                    break;
            }
            check_bounds();
        }
        drain();
    }

private:
    std::size_t total_held() const {
        std::size_t n = 0;
        for (master_id m = 0; m < masters; ++m) {
            n += channel_.held_by(m);
        }
        return n;
    }

    void check_bounds() const {
        const std::size_t held = total_held();
        GW_FUZZ_CHECK(held <= slots);
        GW_FUZZ_CHECK(channel_.queue_depth() <= held);
    }

    void submit(gw::fuzz::input_reader& in) {
        const auto master = static_cast<master_id>(in.below(masters + 1));
        const std::uint8_t flags = in.u8();
        const std::uint8_t selector = in.u8();
        bytes pdu;
        if (selector < 0xE0) {
            pdu = request_table[selector % request_table.size()];
        } else {
            const bytes_view custom = in.take(in.u8());
            if (gw::validate_request(custom)) {
                return;  // the channel takes validated requests only
            }
            pdu.assign(custom.begin(), custom.end());
        }
        const auto priority = (flags & 1U) != 0 ? priority_class::high : priority_class::normal;
        const std::uint8_t target =
            (flags & 2U) != 0 ? 0 : static_cast<std::uint8_t>(1 + ((flags >> 2U) & 3U));
        const auto origin_unit = static_cast<std::uint8_t>(flags >> 4U);

        const auto tid = static_cast<std::uint16_t>(records_.size());
        records_.push_back({master, origin_unit, target, pdu});
        const std::size_t held_before = master < masters ? channel_.held_by(master) : 0;
        const std::size_t total_before = total_held();
        const bool must_refuse = master >= masters ||
                                 held_before >= channel_.options().queue_per_master ||
                                 total_before >= slots;
        const auto refused =
            channel_.submit(request_origin{master, tid, origin_unit, now_}, priority, target, pdu);
        GW_FUZZ_CHECK(refused.has_value() == must_refuse);
        if (refused) {
            GW_FUZZ_CHECK(*refused == gw::exception_code::server_device_busy);
            ++refused_;
            return;
        }
        GW_FUZZ_CHECK(channel_.held_by(master) == held_before + 1);
        records_.back().accepted = true;
        ++accepted_;
    }

    // Decodes what the channel put on the line, in the channel's framing.
    std::optional<on_the_line> decode_transmitted(bytes_view out) const {
        switch (channel_.options().framing) {
            case channel_framing::rtu:
                GW_FUZZ_CHECK(out.size() >= gw::min_rtu_adu_size && gw::crc16_ok(out));
                return on_the_line{out[0], {out.begin() + 1, out.end() - 2}, 0};
            case channel_framing::ascii: {
                gw::ascii_framer f;
                const auto r = f.put(out, time_point{0us});
                GW_FUZZ_CHECK(r.status == gw::decode_status::frame && r.consumed == out.size());
                return on_the_line{f.unit(), {f.pdu().begin(), f.pdu().end()}, 0};
            }
            case channel_framing::mbap: {
                const auto r = gw::decode_mbap(out);
                GW_FUZZ_CHECK(r.status == gw::decode_status::frame && r.consumed == out.size());
                return on_the_line{r.frame.header.unit,
                                   {r.frame.pdu.begin(), r.frame.pdu.end()},
                                   r.frame.header.transaction_id};
            }
        }
        return std::nullopt;
    }

    void transmit() {
        const bool was_awaiting = channel_.awaiting_reply();
        const bytes_view out = channel_.next_transmit(now_);
        if (out.empty()) {
            return;
        }
        // One transaction at a time: nothing goes out while a reply is awaited.
        GW_FUZZ_CHECK(!was_awaiting);
        const auto line = decode_transmitted(out);
        GW_FUZZ_CHECK(line.has_value());
        // It is a copy of a request still pending.
        bool found = false;
        for (const request_record& r : records_) {
            if (r.accepted && r.answers == 0 && !r.completed && r.target_unit == line->unit &&
                r.pdu == line->pdu) {
                found = true;
                break;
            }
        }
        GW_FUZZ_CHECK(found);
        line_ = line;
        transmitted_at_ = now_;
        channel_.on_transmitted(now_);
        rx_clean_ = true;
    }

    void reply(gw::fuzz::input_reader& in) {
        const std::uint8_t flags = in.u8();
        now_ += std::chrono::microseconds{20 * in.u8()};
        const std::uint8_t pos = (flags & 1U) != 0 ? in.u8() : 0;
        const std::uint8_t flip = (flags & 1U) != 0 ? static_cast<std::uint8_t>(in.u8() | 1U) : 0;
        const std::uint8_t cut = (flags & 4U) != 0 ? in.u8() : 0;
        const std::uint8_t pause = (flags & 4U) != 0 ? in.u8() : 0;
        bytes noise;
        std::uint8_t noise_gap = 0;
        if ((flags & 0x10U) != 0) {
            const auto taken = in.take(in.u8() & 0x0FU);
            noise.assign(taken.begin(), taken.end());
            noise_gap = in.u8();
        }
        if (!line_ || line_->unit == 0) {
            return;
        }
        std::array<std::uint8_t, gw::max_pdu_size> response{};
        const std::size_t n = server_.handle(line_->pdu, response);
        if (n == 0) {
            return;  // the device is silent (listen-only)
        }
        const bytes_view pdu = bytes_view{response}.first(n);
        const bool wrong_unit = (flags & 2U) != 0;
        const bool stale_tid = (flags & 8U) != 0;
        const auto unit = static_cast<std::uint8_t>(line_->unit + (wrong_unit ? 1 : 0));
        bytes frame(gw::max_ascii_frame_chars);
        std::size_t size = 0;
        switch (channel_.options().framing) {
            case channel_framing::rtu:
                size = gw::encode_rtu(unit, pdu, frame);
                break;
            case channel_framing::ascii:
                size = gw::encode_ascii(unit, pdu, frame);
                break;
            case channel_framing::mbap: {
                const auto tid = static_cast<std::uint16_t>(line_->tid - (stale_tid ? 1 : 0));
                size = gw::encode_mbap_header(tid, unit, n, frame);
                std::copy(pdu.begin(), pdu.end(),
                          frame.begin() + static_cast<std::ptrdiff_t>(size));
                size += n;
                break;
            }
        }
        GW_FUZZ_CHECK(size > 0);
        frame.resize(size);
        if ((flags & 1U) != 0) {
            frame[pos % size] ^= flip;
        }
        const bool rtu = channel_.options().framing == channel_framing::rtu;
        // Line noise before the reply (RTU): bytes that cannot start the awaited reply (not its
        // unit, not its function or exception), then a gap of up to 5 ms. The reply must still
        // be found. Left out where the reply's unit byte is itself such a function value: then
        // the last noise byte and the reply form a candidate whose CRC a fuzzer can forge.
        const auto awaited = [&](std::uint8_t b) {
            const auto fc = static_cast<std::uint8_t>(line_->pdu[0] & 0x7FU);
            return b == fc || b == (fc | 0x80U);
        };
        if (!rtu || awaited(line_->unit)) {
            noise.clear();
        }
        for (auto& b : noise) {
            while (b == line_->unit || awaited(b)) {
                ++b;
            }
        }
        // A split reply stays exact on RTU when its length is predictable: gaps inside a frame
        // of known length do not cut it (USB adapters deliver frames in chunks).
        const bool predictable = gw::detail::predict(gw::pdu_direction::response, pdu).kind ==
                                 gw::detail::pdu_length_kind::known;
        const bool split_ok =
            (flags & 4U) == 0 ||
            (rtu && predictable && channel_.options().rtu_mode != gw::rtu_framing::silence);
        // ... and all of it within the response timeout.
        const auto last_byte_at = now_ +
                                  std::chrono::microseconds{20 * (noise.empty() ? 0 : noise_gap)} +
                                  std::chrono::microseconds{(flags & 4U) != 0 ? 20 * pause : 0};
        const bool in_time = last_byte_at < transmitted_at_ + channel_.options().response_timeout;
        const bool exact =
            (flags & 0x0BU) == 0 && split_ok && in_time && rx_clean_ && channel_.awaiting_reply();
        const std::size_t delivered_before = delivered_.size();
        rx_clean_ = false;
        if (!noise.empty()) {
            channel_.on_receive(noise, now_, *this);
            now_ += std::chrono::microseconds{20 * noise_gap};
            tick_through(now_);
        }
        if ((flags & 4U) != 0) {
            const std::size_t at = cut % size;
            channel_.on_receive(bytes_view{frame}.first(at), now_, *this);
            now_ += std::chrono::microseconds{20 * pause};
            tick_through(now_);
            channel_.on_receive(bytes_view{frame}.subspan(at), now_, *this);
        } else {
            channel_.on_receive(frame, now_, *this);
        }
        if (!exact) {
            return;
        }
        // A correct reply completes the transaction: at once, or after the silence that ends a
        // frame of unpredictable length.
        if (channel_.awaiting_reply() && channel_.options().framing == channel_framing::rtu) {
            now_ += channel_.options().timing.t3_5;
            channel_.on_timer(now_, *this);
        }
        GW_FUZZ_CHECK(!channel_.awaiting_reply());
        for (std::size_t i = delivered_before; i < delivered_.size(); ++i) {
            GW_FUZZ_CHECK(gw::fuzz::same_bytes(delivered_[i], pdu));
        }
        line_.reset();
    }

    // The driver's timer: on_timer at every deadline up to `t` while a reply is awaited.
    void tick_through(time_point t) {
        for (int i = 0; i < 64 && channel_.awaiting_reply(); ++i) {
            const auto d = channel_.deadline();
            if (!d || *d > t) {
                return;
            }
            channel_.on_timer(*d, *this);
        }
    }

    void tick(std::uint8_t step) {
        if (step == 0xFF) {
            const auto d = channel_.deadline();
            now_ = d && *d > now_ ? *d : now_;
        } else {
            now_ += std::chrono::microseconds{50 * step};
        }
        channel_.on_timer(now_, *this);
    }

    static bool pending(const request_record& r) {
        return r.accepted && r.answers == 0 && !r.completed && !r.dead;
    }

    void drop(master_id m) {
        // What the queue may release: the master's unfinished requests, including dead ones
        // that came back as promoted followers.
        std::size_t count = 0;
        for (request_record& r : records_) {
            if (r.master == m && r.accepted && r.answers == 0 && !r.completed) {
                r.dead = true;
                ++count;
            }
        }
        GW_FUZZ_CHECK(channel_.drop_master(m) <= count);
    }

    void fail_all() {
        channel_.fail_all(now_, *this);
        GW_FUZZ_CHECK(channel_.idle() && channel_.queue_depth() == 0);
        line_.reset();
        // Everything pending was answered at once (0x0B), but broadcasts, which end unanswered.
        for (request_record& r : records_) {
            if (!pending(r)) {
                continue;
            }
            GW_FUZZ_CHECK(r.target_unit == 0);
            r.completed = true;
        }
    }

    // The device goes silent: the deadline drives every pending request to an answer.
    void drain() {
        const std::size_t limit = 4 * slots * (3 + 1) * 4 + 64;
        for (std::size_t i = 0;; ++i) {
            if (channel_.idle() && channel_.queue_depth() == 0) {
                break;
            }
            GW_FUZZ_CHECK(i < limit);
            transmit();
            const auto d = channel_.deadline();
            GW_FUZZ_CHECK(d.has_value());
            now_ = *d > now_ ? *d : now_;
            channel_.on_timer(now_, *this);
        }
        GW_FUZZ_CHECK(total_held() == 0);
        for (const request_record& r : records_) {
            if (!r.accepted || r.dead) {
                continue;
            }
            if (r.target_unit == 0) {
                GW_FUZZ_CHECK(r.completed);
            } else {
                GW_FUZZ_CHECK(r.answers == 1);
            }
        }
        GW_FUZZ_CHECK(channel_.counters().requests == accepted_);
        GW_FUZZ_CHECK(channel_.counters().busy_rejections == refused_);
    }

    channel_type channel_;
    model_type model_{};
    gw::server<model_type> server_;
    std::vector<request_record> records_;
    std::vector<bytes> delivered_;
    std::optional<on_the_line> line_;
    time_point transmitted_at_{};
    time_point now_{0us};
    std::size_t accepted_ = 0;
    std::size_t refused_ = 0;
    bool rx_clean_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    gw::fuzz::input_reader in{data, size};
    const channel_options options = read_options(in);
    harness h{options};
    h.run(in);
    return 0;
}
