#pragma once
// Beast-style "parsegrind" for the framers: feed an input split at every offset (and byte by
// byte, and for short inputs at every pair of offsets) and check that every split produces the
// same events as the expected list. Framers must not depend on how bytes are chunked.

#include <gw/codec/decode_status.hpp>
#include <gw/transport/concepts.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gw::test {

/// What a caller observes: a status and, for frames, the unit and PDU.
struct frame_event {
    decode_status status;
    std::uint8_t unit = 0;
    std::vector<std::uint8_t> pdu{};

    friend bool operator==(const frame_event&, const frame_event&) = default;
};

inline doctest::String to_text(const std::vector<frame_event>& events) {
    std::string s;
    for (const auto& e : events) {
        s += std::string{to_string(e.status)};
        if (e.status == decode_status::frame) {
            s += "(u" + std::to_string(e.unit) + ":";
            for (auto b : e.pdu) {
                s += " " + std::to_string(b);
            }
            s += ")";
        }
        s += "; ";
    }
    return doctest::String{s.c_str()};
}

inline frame_event frame(std::uint8_t unit, std::vector<std::uint8_t> pdu) {
    return {decode_status::frame, unit, std::move(pdu)};
}
inline frame_event error(decode_status s) {
    return {s, 0, {}};
}

/// The documented caller loop: put() the rest until need_more, recording events.
/// Also checks the contract that need_more consumes everything offered.
template <class Framer>
void drive(Framer& f, std::span<const std::uint8_t> chunk, transport::time_point now,
           std::vector<frame_event>& events) {
    for (int guard = 0; guard < 100000; ++guard) {
        const decode_result r = f.put(chunk, now);
        REQUIRE(r.consumed <= chunk.size());
        if (r.consumed > chunk.size()) {
            return;  // REQUIRE does not stop a test built without exceptions
        }
        chunk = chunk.subspan(r.consumed);
        if (r.status == decode_status::need_more) {
            REQUIRE(chunk.empty());
            return;
        }
        if (r.status == decode_status::frame) {
            events.push_back(frame(f.unit(), {f.pdu().begin(), f.pdu().end()}));
        } else {
            events.push_back(error(r.status));
        }
    }
    FAIL("framer did not settle");
}

/// poll() until need_more.
template <class Framer>
void drain(Framer& f, transport::time_point now, std::vector<frame_event>& events) {
    for (int guard = 0; guard < 100000; ++guard) {
        const decode_result r = f.poll(now);
        REQUIRE(r.consumed == 0);
        if (r.status == decode_status::need_more) {
            return;
        }
        if (r.status == decode_status::frame) {
            events.push_back(frame(f.unit(), {f.pdu().begin(), f.pdu().end()}));
        } else {
            events.push_back(error(r.status));
        }
    }
    FAIL("framer did not settle on poll");
}

/// Feeds `input` cut at `cuts` (ascending offsets), all at time 0, then polls at `end` (when
/// given) so that silence-terminated frames complete.
template <class Framer>
std::vector<frame_event> feed(Framer f, std::span<const std::uint8_t> input,
                              const std::vector<std::size_t>& cuts,
                              std::optional<transport::time_point> end) {
    std::vector<frame_event> events;
    const transport::time_point t0{0};
    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        drive(f, input.subspan(pos, cut - pos), t0, events);
        pos = cut;
    }
    drive(f, input.subspan(pos), t0, events);
    if (end) {
        drain(f, *end, events);
    }
    return events;
}

/// Every split of `input` must give `expected`. `end`: the time to poll at after the input
/// (for silence framing), or nullopt to expect everything without silence.
template <class Framer>
void parsegrind(const Framer& prototype, std::span<const std::uint8_t> input,
                const std::vector<frame_event>& expected,
                std::optional<transport::time_point> end = std::nullopt) {
    {
        INFO("whole input");
        const auto got = feed(prototype, input, {}, end);
        CHECK_MESSAGE(got == expected,
                      "got: " << to_text(got) << " expected: " << to_text(expected));
    }
    for (std::size_t i = 0; i <= input.size(); ++i) {
        INFO("one cut at " << i);
        const auto got = feed(prototype, input, {i}, end);
        CHECK_MESSAGE(got == expected,
                      "got: " << to_text(got) << " expected: " << to_text(expected));
    }
    {
        INFO("byte by byte");
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < input.size(); ++i) {
            cuts.push_back(i);
        }
        const auto got = feed(prototype, input, cuts, end);
        CHECK_MESSAGE(got == expected,
                      "got: " << to_text(got) << " expected: " << to_text(expected));
    }
    if (input.size() <= 48) {
        for (std::size_t i = 0; i <= input.size(); ++i) {
            for (std::size_t j = i; j <= input.size(); ++j) {
                INFO("cuts at " << i << " and " << j);
                const auto got = feed(prototype, input, {i, j}, end);
                CHECK_MESSAGE(got == expected,
                              "got: " << to_text(got) << " expected: " << to_text(expected));
            }
        }
    }
}

/// Concatenates byte vectors.
inline std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
    std::vector<std::uint8_t> all;
    for (const auto& p : parts) {
        all.insert(all.end(), p.begin(), p.end());
    }
    return all;
}

}  // namespace gw::test
