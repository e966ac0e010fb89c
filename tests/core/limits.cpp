#include <gw/core/limits.hpp>

#include <doctest/doctest.h>

using namespace gw;

// The relations the buffers of gw rely on.
static_assert(max_rtu_adu_size == 1 + max_pdu_size + 2);
static_assert(max_tcp_adu_size == mbap_header_size + max_pdu_size);
static_assert(max_ascii_frame_chars == 1 + 2 * (1 + max_pdu_size + 1) + 2);
static_assert(max_mbap_length == 1 + max_pdu_size);

TEST_CASE("quantity limits fill but do not overflow a PDU") {
    // Read answers: fc + byte count + data.
    CHECK(2 + (max_read_bits + 7) / 8 <= max_pdu_size);
    CHECK(2 + 2 * max_read_registers <= max_pdu_size);
    CHECK(2 + 2 * (max_read_registers + 1) > max_pdu_size);
    // Write requests: fc + address + quantity + byte count + data.
    CHECK(6 + (max_write_bits + 7) / 8 <= max_pdu_size);
    CHECK(6 + 2 * max_write_registers <= max_pdu_size);
    CHECK(6 + 2 * (max_write_registers + 1) > max_pdu_size);
    // FC 23: fc + 2 windows + byte count + data.
    CHECK(10 + 2 * max_rw_write_registers <= max_pdu_size);
    CHECK(10 + 2 * (max_rw_write_registers + 1) > max_pdu_size);
}
