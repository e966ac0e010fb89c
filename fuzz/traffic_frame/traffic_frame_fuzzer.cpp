// libFuzzer harness for the traffic monitor's frame reading (gw/mgmt/traffic_frame.hpp): the
// first byte picks the framing (RTU, ASCII, MBAP), the rest is a frame as a device could send
// it. The unit and function code must be the frame's own bytes (RTU: 0 and 1; MBAP: 6 and 7;
// ASCII: the hex pairs after ':'), the filter must agree with them, and the pcapng capture of
// the frame must be well formed: blocks whose lengths are multiples of 4, repeated at their
// end, adding up to the whole, with the frame's bytes inside.
// Build: $CXX $CXXFLAGS -std=c++20 -Iinclude fuzz/traffic_frame/traffic_frame_fuzzer.cpp \
//        $LIB_FUZZING_ENGINE

#include <gw/mgmt/traffic_frame.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::uint32_t le32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at + i])) << (8 * i);
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    using gw::router::channel_framing;
    const auto framing = static_cast<channel_framing>(data[0] % 3);
    gw::mgmt::traffic_entry e;
    e.size = static_cast<std::uint16_t>(std::min(size - 1, e.bytes.size()));
    std::memcpy(e.bytes.data(), data + 1, e.size);
    e.unix_us = 1'700'000'000'000'000;
    e.direction = (data[0] & 0x80) != 0 ? gw::gateway::traffic_direction::from_device
                                        : gw::gateway::traffic_direction::to_device;
    const auto b = e.data();

    const auto a = gw::mgmt::address_of(framing, b);
    if (a) {
        switch (framing) {
            case channel_framing::rtu:
                if (b.size() < 2 || a->unit != b[0] || a->function != b[1]) std::abort();
                break;
            case channel_framing::mbap:
                if (b.size() < 8 || a->unit != b[6] || a->function != b[7]) std::abort();
                break;
            case channel_framing::ascii: {
                if (b.size() < 5 || b[0] != ':') std::abort();
                const auto unit = gw::mgmt::hex_byte(b, 1);
                if (!unit || *unit != a->unit) std::abort();
                break;
            }
        }
    }
    // The filter sees what address_of sees.
    gw::mgmt::traffic_filter f;
    f.unit = a ? a->unit : std::uint8_t{0};
    if (f.matches(e, framing) != a.has_value()) std::abort();
    f.function = a ? static_cast<std::uint8_t>(a->function & 0x7F) : std::uint8_t{1};
    if (f.matches(e, framing) != a.has_value()) std::abort();

    gw::mgmt::pcapng_writer w;
    w.interface("line1", framing);
    w.packet(0, e);
    const std::string p = w.take();
    std::size_t at = 0;
    std::size_t blocks = 0;
    while (at < p.size()) {
        if (at + 12 > p.size()) std::abort();
        const auto length = le32(p, at + 4);
        if (length % 4 != 0 || length < 12 || at + length > p.size()) std::abort();
        if (le32(p, at + length - 4) != length) std::abort();
        if (le32(p, at) == 6 && (le32(p, at + 20) != e.size ||
                                 std::memcmp(p.data() + at + 28, e.bytes.data(), e.size) != 0))
            std::abort();
        at += length;
        ++blocks;
    }
    if (blocks != 3) std::abort();
    return 0;
}
