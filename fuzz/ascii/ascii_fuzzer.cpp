// libFuzzer harness for ascii_framer (include/gw/codec/ascii_framer.hpp). Input format
// (fuzz/tools/make_seeds.cpp writes seeds in it):
//
//   byte 0: bit 4 structured mode; byte 1: inter-character timeout = (byte + 1) * 100 us.
//   raw mode, records until the end: [head][step] then (head & 0x7F) characters if head < 0x80
//     head >= 0x80: poll(); else put(). The clock advances step * 32 us first (0xFF: to the
//     framer's deadline, or 10 ms when it has none).
//   structured mode, frames until the end: [unit][flags][length][pause] then `length` PDU bytes
//     (at least 1), then (flags >> 1 & 3) junk characters sent before the frame ( ':' becomes
//     '?'). flags bit 0: lower-case hex; high nibble + 1: chunk size; pause: the gap between
//     chunks, pause / 256 of the timeout.
//
// Properties, raw mode: the decode-loop contract; every frame has a good LRC, 1..253 PDU bytes
// and re-encodes (encode_ascii) into a frame that decodes to the same unit and PDU; feeding the
// same characters one at a time gives the same events; a timeout flushes the framer, after which
// a good frame is found. Structured mode: encoded frames with junk between them, cut anywhere and
// timed within the timeout, come out exactly as they went in (the junk reported as bad_char only).

#include <gw/codec/ascii_framer.hpp>
#include <gw/codec/lrc.hpp>
#include <gw/core/limits.hpp>
#include <gw/transport/concepts.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bytes_view = std::span<const std::uint8_t>;
using gw::decode_status;

struct event {
    decode_status status;
    std::uint8_t unit;
    std::vector<std::uint8_t> pdu;

    friend bool operator==(const event&, const event&) = default;
};

std::vector<std::uint8_t> encode(std::uint8_t unit, bytes_view pdu) {
    std::vector<std::uint8_t> out(gw::ascii_frame_size(pdu.size()));
    GW_FUZZ_CHECK(out.size() <= gw::max_ascii_frame_chars);
    GW_FUZZ_CHECK(gw::encode_ascii(unit, pdu, out) == out.size());
    return out;
}

class driver {
public:
    explicit driver(std::chrono::microseconds timeout, bool check_round_trip)
        : framer_{timeout}, round_trip_{check_round_trip} {}

    gw::ascii_framer& framer() { return framer_; }
    std::vector<event>& events() { return events_; }

    void put(bytes_view chars, gw::transport::time_point now) {
        bytes_view rest = chars;
        for (std::size_t n = 0;; ++n) {
            // Each event consumes at least one character, but for a timeout (at most one).
            GW_FUZZ_CHECK(n <= chars.size() + 2);
            const gw::decode_result r = framer_.put(rest, now);
            GW_FUZZ_CHECK(r.consumed <= rest.size());
            rest = rest.subspan(r.consumed);
            if (r.status == decode_status::need_more) {
                GW_FUZZ_CHECK(rest.empty());
                return;
            }
            record(r.status);
        }
    }

    void poll(gw::transport::time_point now) {
        const gw::decode_result r = framer_.poll(now);
        GW_FUZZ_CHECK(r.consumed == 0);
        if (r.status != decode_status::need_more) {
            GW_FUZZ_CHECK(r.status == decode_status::timeout);
            record(r.status);
            GW_FUZZ_CHECK(framer_.poll(now).status == decode_status::need_more);
        }
    }

    gw::transport::time_point flush(gw::transport::time_point now) {
        if (const auto d = framer_.deadline()) {
            now = *d > now ? *d : now;
            poll(now);
        }
        GW_FUZZ_CHECK(!framer_.deadline());
        return now;
    }

private:
    void record(decode_status status) {
        if (status != decode_status::frame) {
            GW_FUZZ_CHECK(framer_.pdu().empty());
            events_.push_back({status, 0, {}});
            return;
        }
        const bytes_view adu = framer_.adu();
        const bytes_view pdu = framer_.pdu();
        GW_FUZZ_CHECK(adu.size() >= 3 && adu.size() <= gw::max_pdu_size + 2);
        GW_FUZZ_CHECK(gw::lrc(adu.first(adu.size() - 1)) == adu.back());
        GW_FUZZ_CHECK(framer_.unit() == adu[0]);
        GW_FUZZ_CHECK(pdu.data() == adu.data() + 1 && pdu.size() == adu.size() - 2);
        events_.push_back({status, framer_.unit(), {pdu.begin(), pdu.end()}});
        if (round_trip_) {
            // What we decoded, written back (upper case), decodes to the same frame.
            const auto text = encode(framer_.unit(), pdu);
            gw::ascii_framer again;
            const auto r = again.put(text, gw::transport::time_point{0us});
            GW_FUZZ_CHECK(r.status == decode_status::frame && r.consumed == text.size());
            GW_FUZZ_CHECK(again.unit() == framer_.unit());
            GW_FUZZ_CHECK(gw::fuzz::same_bytes(again.pdu(), pdu));
        }
    }

    gw::ascii_framer framer_;
    bool round_trip_;
    std::vector<event> events_;
};

void run_raw(std::chrono::microseconds timeout, gw::fuzz::input_reader& in) {
    driver whole{timeout, true};
    driver bytewise{timeout, false};
    gw::transport::time_point now{0us};
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
    }
    now = whole.flush(now);
    bytewise.flush(now);
    GW_FUZZ_CHECK(whole.events() == bytewise.events());

    // Recovery: a good frame is found after whatever came before, once the framer is idle.
    const std::array<std::uint8_t, 5> pdu{0x03, 0x00, 0x6B, 0x00, 0x03};
    const auto text = encode(0x11, pdu);
    const std::size_t before = whole.events().size();
    now += 1ms;
    whole.put(text, now);
    GW_FUZZ_CHECK(whole.events().size() == before + 1);
    const event& e = whole.events().back();
    GW_FUZZ_CHECK(e.status == decode_status::frame && e.unit == 0x11);
    GW_FUZZ_CHECK(gw::fuzz::same_bytes(e.pdu, pdu));
}

void run_structured(std::chrono::microseconds timeout, gw::fuzz::input_reader& in) {
    driver d{timeout, false};
    std::vector<event> expected;
    gw::transport::time_point now{0us};
    while (in.remaining() >= 5) {
        const std::uint8_t unit = in.u8();
        const std::uint8_t flags = in.u8();
        const std::size_t length = in.u8();
        const std::uint8_t pause_byte = in.u8();
        const std::size_t n =
            length == 0 ? 1 : (length > gw::max_pdu_size ? gw::max_pdu_size : length);
        if (in.remaining() < n) {
            break;
        }
        const std::vector<std::uint8_t> pdu = [&] {
            const auto b = in.take(n);
            return std::vector<std::uint8_t>{b.begin(), b.end()};
        }();
        std::vector<std::uint8_t> junk;
        for (const std::uint8_t c : in.take((flags >> 1U) & 3U)) {
            junk.push_back(c == ':' ? std::uint8_t{'?'} : c);
        }
        auto text = encode(unit, pdu);
        if ((flags & 1U) != 0) {
            for (auto& c : text) {
                if (c >= 'A' && c <= 'F') {
                    c = static_cast<std::uint8_t>(c - 'A' + 'a');
                }
            }
        }
        // Between frames the framer is idle: any pause is fine.
        now += 1ms;
        if (!junk.empty()) {
            d.put(junk, now);
        }
        const std::size_t chunk = (flags >> 4U) + 1U;
        const auto pause = (timeout - 1us) * pause_byte / 256;
        for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
            if (pos > 0) {
                now += pause;
            }
            const std::size_t k = chunk < text.size() - pos ? chunk : text.size() - pos;
            d.put(bytes_view{text}.subspan(pos, k), now);
        }
        expected.push_back({decode_status::frame, unit, pdu});
    }
    d.flush(now);
    std::vector<event> frames;
    for (const event& e : d.events()) {
        if (e.status == decode_status::frame) {
            frames.push_back(e);
        } else {
            GW_FUZZ_CHECK(e.status == decode_status::bad_char);
        }
    }
    GW_FUZZ_CHECK(frames == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    gw::fuzz::input_reader in{data, size};
    const bool structured = (in.u8() & 0x10U) != 0;
    const auto timeout = std::chrono::microseconds{100 * (in.u8() + 1)};
    if (structured) {
        run_structured(timeout, in);
    } else {
        run_raw(timeout, in);
    }
    return 0;
}
