// libFuzzer harness for rtu_framer in the response direction (what the gateway's channel decodes
// from the bus), predicted and silence framing, with timestamps taken from the input. Input
// format and properties: ../common/rtu_harness.hpp.

#include "../common/rtu_harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return gw::fuzz::run_rtu_harness(gw::pdu_direction::response, data, size);
}
