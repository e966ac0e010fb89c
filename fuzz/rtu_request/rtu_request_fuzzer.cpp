// libFuzzer harness for rtu_framer in the request direction (what a serial slave or an RTU
// listener decodes), predicted and silence framing, with timestamps taken from the input so that
// the t1.5 / t3.5 paths are explored. Input format and properties: ../common/rtu_harness.hpp.

#include "../common/rtu_harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return gw::fuzz::run_rtu_harness(gw::pdu_direction::request, data, size);
}
