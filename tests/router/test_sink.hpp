#pragma once
// A sink that records what a channel delivers and reports, for assertions.

#include <gw/router/channel.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace gw::test {

struct recording_sink {
    struct answer {
        router::request_origin origin;
        std::vector<std::uint8_t> pdu;
    };
    std::vector<answer> answers;
    std::vector<router::channel_event> events;

    void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) {
        answers.push_back({origin, {pdu.begin(), pdu.end()}});
    }
    void on_channel_event(router::channel_event e, const router::request_origin&) {
        events.push_back(e);
    }
    bool saw(router::channel_event e) const {
        for (auto x : events) {
            if (x == e) return true;
        }
        return false;
    }
};

/// unit + pdu + CRC, as a device puts it on the line.
inline std::vector<std::uint8_t> rtu(std::uint8_t unit, std::vector<std::uint8_t> pdu) {
    std::vector<std::uint8_t> adu{unit};
    adu.insert(adu.end(), pdu.begin(), pdu.end());
    const auto crc = crc16(adu);
    adu.push_back(static_cast<std::uint8_t>(crc & 0xFF));
    adu.push_back(static_cast<std::uint8_t>(crc >> 8));
    return adu;
}

}  // namespace gw::test
