#pragma once
// The RTU framer harness, shared by rtu_request_fuzzer and rtu_response_fuzzer (one direction
// each). Input format (fuzz/tools/make_seeds.cpp writes seeds in it):
//
//   byte 0: bit 0 silence framing (else predicted), bit 1 strict t1.5,
//           bits 2-3 baud rate (19200, 9600, 115200, 1200), bit 4 structured mode,
//           bit 5 an expectation (response direction: expect(unit, function, length); raw
//           mode reads [unit][function][length] next, structured mode expects each frame's
//           own), bit 6 stream
//           framing (instead of predicted or silence).
//   raw mode, records until the end:   [head][step] then (head & 0x7F) bytes if head < 0x80
//     head >= 0x80: poll(); else put() of the bytes. step: the clock advances step * 32 us
//     before the record (0xFF: to the framer's deadline, or 10 ms when it has none).
//   structured mode, frames until the end: [unit][gap][split] then the PDU, read byte by byte
//     as the length prediction asks; where the length is unknown, one byte L then L bytes.
//     gap bit 0: right behind the previous frame (only after a predicted-length frame in
//     predicted mode), else after a silence; split: chunk size (low nibble + 1) and the gap
//     between chunks ((high nibble / 16) of the gap limit, so always inside the frame).
//
// Properties, raw mode:
//  - the decode-loop contract: need_more consumes everything, consumed <= offered, poll never
//    consumes, the loop ends (bounded number of events);
//  - every frame: 4..256 bytes, CRC good, unit/pdu/adu agree; in predicted mode its length is
//    the predicted one (or unpredictable), never a prefix the direction forbids;
//  - chunking does not matter: the same bytes at the same times fed one byte at a time give
//    exactly the same events (Beast's parsegrind);
//  - a silence flushes everything (buffered() == 0, no deadline), after which a good frame is
//    found again (recovery);
//  - hunting (an expectation, or stream framing): every frame has the awaited function (or its
//    exception) and its predicted length (stream: never an unpredictable one); a stream never
//    has a deadline; a candidate of predictable length may stay held after a silence, but the
//    awaited reply arriving behind held bytes that do not start a reply of the awaited unit is
//    never swallowed: a frame comes out while it is fed (itself, or one ending inside it whose
//    CRC the input forged).
// Structured mode: well-formed frames, cut anywhere and timed within the limits, come out
// exactly as they went in, in order, with no error; hunting, frames of predictable length also
// when cut by gaps of up to 4x the limit (USB adapters).

#include <gw/codec/crc16.hpp>
#include <gw/codec/pdu.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/core/limits.hpp>
#include <gw/transport/concepts.hpp>

#include "fuzz_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gw::fuzz {

using namespace std::chrono_literals;
using bytes_view = std::span<const std::uint8_t>;

struct rtu_event {
    decode_status status;
    std::uint8_t unit;
    std::vector<std::uint8_t> pdu;

    friend bool operator==(const rtu_event&, const rtu_event&) = default;
};

struct rtu_setup {
    rtu_framing mode;
    bool strict;
    rtu_timing timing;
    bool structured;
    bool expecting;
};

inline rtu_setup read_rtu_setup(std::uint8_t b) {
    constexpr std::array<std::uint32_t, 4> bauds{19200, 9600, 115200, 1200};
    const rtu_framing mode = (b & 0x40U) != 0 ? rtu_framing::stream
                             : (b & 1U) != 0  ? rtu_framing::silence
                                              : rtu_framing::predicted;
    return {mode, (b & 2U) != 0, rtu_timing_for_baud(bauds[(b >> 2U) & 3U]), (b & 0x10U) != 0,
            (b & 0x20U) != 0};
}

/// One framer, driven with the documented decode loop, every event checked and recorded.
class rtu_driver {
public:
    rtu_driver(pdu_direction dir, const rtu_setup& s) : dir_{dir}, framer_{dir, s.mode, s.timing} {
        framer_.set_strict_t1_5(s.strict);
        gap_limit_ = s.strict ? s.timing.t1_5 : s.timing.t3_5;
    }

    std::chrono::microseconds gap_limit() const { return gap_limit_; }
    rtu_framer& framer() { return framer_; }
    /// Gaps mean nothing to frames of predictable length (the framer hunts).
    bool hunting() const {
        return framer_.framing() == rtu_framing::stream ||
               (framer_.framing() == rtu_framing::predicted && framer_.expecting());
    }
    void expect(std::uint8_t unit, std::uint8_t function, std::size_t length) {
        framer_.expect(unit, function, length);
        expected_function_ = static_cast<std::uint8_t>(function & 0x7FU);
    }
    std::vector<rtu_event>& events() { return events_; }

    void put(bytes_view bytes, transport::time_point now) {
        bytes_view rest = bytes;
        // Each event drops at least one byte held or offered, or hands over a frame.
        const std::size_t max_events = 4 * (bytes.size() + 2 * max_rtu_adu_size) + 8;
        for (std::size_t n = 0;; ++n) {
            GW_FUZZ_CHECK(n < max_events);
            const decode_result r = framer_.put(rest, now);
            GW_FUZZ_CHECK(r.consumed <= rest.size());
            rest = rest.subspan(r.consumed);
            if (r.status == decode_status::need_more) {
                GW_FUZZ_CHECK(rest.empty());
                break;
            }
            record(r.status);
        }
        after_loop();
    }

    void poll(transport::time_point now) {
        for (std::size_t n = 0;; ++n) {
            GW_FUZZ_CHECK(n < 4 * max_rtu_adu_size + 8);
            const decode_result r = framer_.poll(now);
            GW_FUZZ_CHECK(r.consumed == 0);
            if (r.status == decode_status::need_more) {
                break;
            }
            record(r.status);
        }
        after_loop();
    }

    /// Polls at the deadline until nothing is pending; returns the time it ended at.
    transport::time_point flush(transport::time_point now) {
        for (int i = 0; i < 8; ++i) {
            const auto d = framer_.deadline();
            if (!d) {
                break;
            }
            now = *d > now ? *d : now;
            poll(now);
        }
        // Hunting, a candidate of predictable length waits for its bytes whatever the silence.
        GW_FUZZ_CHECK(hunting() || framer_.buffered() == 0);
        GW_FUZZ_CHECK(!framer_.deadline());
        return now;
    }

private:
    void record(decode_status status) {
        if (status != decode_status::frame) {
            events_.push_back({status, 0, {}});
            return;
        }
        const bytes_view adu = framer_.adu();
        const bytes_view pdu = framer_.pdu();
        GW_FUZZ_CHECK(adu.size() >= min_rtu_adu_size && adu.size() <= max_rtu_adu_size);
        GW_FUZZ_CHECK(crc16_ok(adu));
        GW_FUZZ_CHECK(framer_.unit() == adu[0]);
        GW_FUZZ_CHECK(pdu.data() == adu.data() + 1 && pdu.size() == adu.size() - 3);
        if (framer_.framing() != rtu_framing::silence) {
            // Predicted framing only hands over what the prediction allows; a stream only what
            // it can predict.
            const detail::pdu_length l = detail::predict(dir_, pdu);
            GW_FUZZ_CHECK((l.kind == detail::pdu_length_kind::known && l.length == pdu.size()) ||
                          (l.kind == detail::pdu_length_kind::unknown &&
                           framer_.framing() == rtu_framing::predicted));
        }
        if (framer_.expecting()) {
            GW_FUZZ_CHECK((pdu[0] & 0x7FU) == expected_function_);
        }
        events_.push_back({status, framer_.unit(), {pdu.begin(), pdu.end()}});
    }

    void after_loop() {
        GW_FUZZ_CHECK(framer_.buffered() <= 2 * max_rtu_adu_size);
        if (framer_.buffered() > 0 && !hunting()) {
            GW_FUZZ_CHECK(framer_.deadline().has_value());
        }
        if (framer_.framing() == rtu_framing::stream) {
            GW_FUZZ_CHECK(!framer_.deadline().has_value());
        }
    }

    pdu_direction dir_;
    rtu_framer framer_;
    std::chrono::microseconds gap_limit_;
    std::vector<rtu_event> events_;
    std::uint8_t expected_function_ = 0;
};

/// A frame every direction accepts, for the recovery check: FC 3 of the specification.
inline std::vector<std::uint8_t> known_good_adu(pdu_direction dir) {
    const std::vector<std::uint8_t> request{0x03, 0x00, 0x6B, 0x00, 0x03};
    const std::vector<std::uint8_t> response{0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64};
    const auto& pdu = dir == pdu_direction::request ? request : response;
    std::vector<std::uint8_t> adu(pdu.size() + 3);
    GW_FUZZ_CHECK(encode_rtu(0x11, pdu, adu) == adu.size());
    return adu;
}

inline void run_rtu_raw(pdu_direction dir, const rtu_setup& setup, input_reader& in) {
    rtu_driver whole{dir, setup};
    rtu_driver bytewise{dir, setup};
    std::uint8_t unit = 0;
    std::uint8_t function = 0;
    const bool expecting = setup.expecting && dir == pdu_direction::response;
    if (expecting) {
        unit = in.u8();
        function = static_cast<std::uint8_t>(in.u8() & 0x7FU);
        function = function == 0 ? std::uint8_t{3} : function;
        const std::size_t length = in.u8();  // 0: unknown
        whole.expect(unit, function, length);
        bytewise.expect(unit, function, length);
    }
    transport::time_point now{0us};
    while (!in.empty()) {
        const std::uint8_t head = in.u8();
        const std::uint8_t step = in.u8();
        if (step == 0xFF) {
            const auto d = whole.framer().deadline();
            now = d && *d > now ? *d : now + 10ms;
        } else {
            now += std::chrono::microseconds{32 * step};
        }
        if (head >= 0x80) {
            whole.poll(now);
            bytewise.poll(now);
            continue;
        }
        const bytes_view chunk = in.take(head);
        whole.put(chunk, now);
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            bytewise.put(chunk.subspan(i, 1), now);
        }
        if (chunk.empty()) {
            bytewise.put(chunk, now);
        }
    }
    now = whole.flush(now);
    bytewise.flush(now);
    GW_FUZZ_CHECK(whole.events() == bytewise.events());

    if (whole.hunting() || expecting) {
        if (whole.hunting() && expecting && !whole.framer().holds_reply_start()) {
            // The awaited reply (an exception: always 5 bytes) behind whatever is held, when
            // that is not itself the start of a reply of the awaited unit (which may take what
            // follows as its data: an exception inside it could be data, the unit tests cover
            // the noise headers of that kind).
            const std::vector<std::uint8_t> exc{static_cast<std::uint8_t>(function | 0x80U), 0x04};
            std::vector<std::uint8_t> reply(exc.size() + 3);
            GW_FUZZ_CHECK(encode_rtu(unit, exc, reply) == reply.size());
            const std::size_t before = whole.events().size();
            whole.put(reply, now);
            bool framed = false;
            for (std::size_t i = before; i < whole.events().size(); ++i) {
                framed = framed || whole.events()[i].status == decode_status::frame;
            }
            GW_FUZZ_CHECK(framed);
        }
        // Recovery after reset: the good frame alone.
        whole.framer().reset();
        auto good = known_good_adu(dir);
        if (expecting) {
            whole.expect(good[0], good[1], good.size() - 3);
        }
        const std::size_t before = whole.events().size();
        now += 2 * whole.gap_limit();
        whole.put(good, now);
        whole.flush(now);
        GW_FUZZ_CHECK(whole.events().size() == before + 1);
        GW_FUZZ_CHECK(whole.events().back().status == decode_status::frame);
        return;
    }

    // Recovery: after the silence a good frame is found, and nothing else.
    const auto good = known_good_adu(dir);
    const std::size_t before = whole.events().size();
    now += 2 * whole.gap_limit();
    whole.put(good, now);
    whole.flush(now);
    GW_FUZZ_CHECK(whole.events().size() == before + 1);
    const rtu_event& e = whole.events().back();
    GW_FUZZ_CHECK(e.status == decode_status::frame && e.unit == good[0]);
    GW_FUZZ_CHECK(same_bytes(e.pdu, bytes_view{good}.subspan(1, good.size() - 3)));
}

/// Reads one PDU as the length prediction asks for it; nullopt when the input ends first or the
/// bytes cannot start a PDU of this direction.
inline std::optional<std::vector<std::uint8_t>> read_predicted_pdu(pdu_direction dir,
                                                                   input_reader& in,
                                                                   bool& predictable) {
    std::vector<std::uint8_t> pdu;
    const auto grow_to = [&](std::size_t n) {
        if (in.remaining() < n - pdu.size()) {
            return false;
        }
        const auto more = in.take(n - pdu.size());
        pdu.insert(pdu.end(), more.begin(), more.end());
        return true;
    };
    if (!grow_to(1)) {
        return std::nullopt;
    }
    for (;;) {
        const detail::pdu_length l = detail::predict(dir, pdu);
        switch (l.kind) {
            case detail::pdu_length_kind::need_more:
            case detail::pdu_length_kind::known:
                if (l.length < pdu.size() || !grow_to(l.length)) {
                    return std::nullopt;
                }
                if (l.kind == detail::pdu_length_kind::known) {
                    predictable = true;
                    return pdu;
                }
                break;
            case detail::pdu_length_kind::unknown: {
                predictable = false;
                const std::size_t extra = in.u8();
                const std::size_t target =
                    pdu.size() + extra > max_pdu_size ? max_pdu_size : pdu.size() + extra;
                if (!grow_to(target)) {
                    return std::nullopt;
                }
                return pdu;
            }
            case detail::pdu_length_kind::invalid:
                return std::nullopt;
        }
    }
}

inline void run_rtu_structured(pdu_direction dir, const rtu_setup& setup, input_reader& in) {
    rtu_driver d{dir, setup};
    const auto limit = d.gap_limit();
    std::vector<rtu_event> expected;
    transport::time_point now{0us};
    bool previous_predictable = false;
    while (in.remaining() >= 4) {
        const std::uint8_t unit = in.u8();
        const std::uint8_t gap = in.u8();
        const std::uint8_t split = in.u8();
        bool predictable = false;
        const auto pdu = read_predicted_pdu(dir, in, predictable);
        if (!pdu) {
            break;
        }
        if (setup.mode == rtu_framing::stream && !predictable) {
            break;  // a stream cannot frame it (documented): the generator stops here
        }
        std::vector<std::uint8_t> adu(pdu->size() + 3);
        GW_FUZZ_CHECK(encode_rtu(unit, *pdu, adu) == adu.size());
        if (setup.expecting && dir == pdu_direction::response) {
            // A master expects each reply in turn, once the previous one is complete (a
            // silence-framed one completes at the silence after it).
            if (d.framer().buffered() > 0) {
                now += limit;
                d.poll(now);
            }
            // The channel knows the length for most requests; where it does not, data inside a
            // reply could be taken for a frame of its own (documented), so say it here.
            d.expect(unit, (*pdu)[0], pdu->size());
        }

        const bool back_to_back =
            (gap & 1U) != 0 && previous_predictable && setup.mode != rtu_framing::silence;
        now += back_to_back ? std::chrono::microseconds{0}
                            : limit + std::chrono::microseconds{(gap >> 1U) * 16};
        const std::size_t chunk = (split & 0x0FU) + 1U;
        // Hunting, a frame of predictable length survives gaps beyond the limit (USB adapters).
        const auto pause =
            d.hunting() && predictable ? limit * (split >> 4U) / 4 : limit * (split >> 4U) / 16;
        for (std::size_t pos = 0; pos < adu.size(); pos += chunk) {
            if (pos > 0) {
                now += pause;
            }
            const std::size_t n = chunk < adu.size() - pos ? chunk : adu.size() - pos;
            d.put(bytes_view{adu}.subspan(pos, n), now);
        }
        expected.push_back({decode_status::frame, unit, *pdu});
        previous_predictable = predictable;
    }
    d.flush(now);
    GW_FUZZ_CHECK(d.events() == expected);
}

inline int run_rtu_harness(pdu_direction dir, const std::uint8_t* data, std::size_t size) {
    input_reader in{data, size};
    const rtu_setup setup = read_rtu_setup(in.u8());
    if (setup.structured) {
        run_rtu_structured(dir, setup, in);
    } else {
        run_rtu_raw(dir, setup, in);
    }
    return 0;
}

}  // namespace gw::fuzz
