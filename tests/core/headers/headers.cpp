// The headers test is mostly a build test: each generated translation unit includes one public
// header of gw/core, gw/codec or gw/device alone. The case below guards the glob itself: if it
// stopped finding the headers, nothing would be checked and the build would still pass.
#include <doctest/doctest.h>

TEST_CASE("every public header of core, codec and device got its own translation unit") {
    // exception_code function_code limits endian master_id time adu_buffer (forwarder) |
    // adu_buffer decode_status crc16 lrc pdu rtu_framer ascii_framer mbap | data_model
    // static_data_model server
    CHECK(GW_PUBLIC_HEADER_COUNT >= 18);
}
