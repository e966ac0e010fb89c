// libFuzzer harness for the audit record payload decoder: gw::audit::decode_event
// (include/gw/audit/event_codec.hpp). The payload comes from the audit store's files, which an
// attacker with access to the disk may have edited; `gw_gateway --audit-log` decodes them.
// Input: one payload.
//
// Properties:
//  - a payload that decodes is canonical: encoding the decoded event gives the input back, byte
//    for byte (so nothing in a record is ignored or guessed);
//  - what decodes is in range: a category, severity and outcome the enums name, texts within
//    their bounds;
//  - a payload that does not decode leaves the output untouched;
//  - and, by ASan / UBSan / _GLIBCXX_ASSERTIONS, no read outside the input.

#include <gw/audit/event_codec.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> in{reinterpret_cast<const std::byte*>(data), size};
    gw::audit::recorded_event out;
    (void)out.source.assign("untouched");
    const auto status = gw::audit::decode_event(in, out);
    if (status != gw::audit::event_decode_status::ok) {
        GW_FUZZ_CHECK(out.source.view() == "untouched");
        return 0;
    }
    GW_FUZZ_CHECK(static_cast<unsigned>(out.event.category) <= 5);
    GW_FUZZ_CHECK(static_cast<unsigned>(out.event.severity) >= 1 &&
                  static_cast<unsigned>(out.event.severity) <= 4);
    GW_FUZZ_CHECK(static_cast<unsigned>(out.event.outcome) <= 2);
    std::array<std::byte, gw::audit::max_event_payload> again{};
    const auto n = gw::audit::encode_event(out, again);
    GW_FUZZ_CHECK(n == size);
    GW_FUZZ_CHECK(std::memcmp(again.data(), data, size) == 0);
    return 0;
}
