#include <gw/codec/adu_buffer.hpp>

#include <gw/codec/crc16.hpp>
#include <gw/codec/mbap.hpp>
#include <gw/codec/rtu_framer.hpp>
#include <gw/transport/concepts.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <vector>

using namespace gw;

namespace {
// Read holding registers request of the spec, as an RTU ADU.
const std::vector<std::uint8_t> rtu_request{0x11,         // unit 17
                                            0x03,         // function: read holding registers
                                            0x00, 0x6B,   // starting address 107
                                            0x00, 0x03,   // quantity 3
                                            0x76, 0x87};  // CRC 0x8776, low byte first
// The same request as a Modbus TCP ADU, transaction 0x0001.
const std::vector<std::uint8_t> tcp_request{0x00, 0x01,  // transaction id
                                            0x00, 0x00,  // protocol id: Modbus
                                            0x00, 0x06,  // length: unit + 5 PDU bytes
                                            0x11,        // unit 17
                                            0x03, 0x00, 0x6B, 0x00, 0x03};  // PDU

bool same(std::span<const std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}
}  // namespace

TEST_CASE("RTU in, MBAP out, RTU again: the PDU never moves") {
    adu_buffer buf;
    REQUIRE(buf.assign_rtu(rtu_request));
    CHECK(buf.unit() == 0x11);
    CHECK(buf.pdu_size() == 5);
    const std::uint8_t* pdu_address = buf.pdu().data();

    const auto tcp = buf.as_mbap(0x0001);
    CHECK(same(tcp, tcp_request));
    CHECK(tcp.data() + adu_buffer::pdu_offset == pdu_address);  // the PDU was not copied

    const auto rtu = buf.as_rtu();
    CHECK(same(rtu, rtu_request));
    CHECK(rtu.data() + 1 == pdu_address);
    CHECK(buf.pdu().data() == pdu_address);
}

TEST_CASE("MBAP in (decoded in place), RTU out with a computed CRC") {
    const auto decoded = decode_mbap(tcp_request);
    REQUIRE(decoded.status == decode_status::frame);
    adu_buffer buf;
    REQUIRE(buf.assign_pdu(decoded.frame.header.unit, decoded.frame.pdu));
    CHECK(same(buf.as_rtu(), rtu_request));
    // An answer written into pdu_storage() in place goes back as MBAP with the right length.
    const std::array<std::uint8_t, 9> answer{0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64, 0};
    std::copy_n(answer.begin(), 8, buf.pdu_storage().begin());
    buf.set_pdu_size(8);
    const auto tcp = buf.as_mbap(0x0001);
    CHECK(tcp.size() == 7 + 8);
    CHECK(tcp[5] == 9);  // length = unit + 8
    CHECK(tcp[6] == 0x11);
    CHECK(crc16_ok(buf.as_rtu()));
}

TEST_CASE("a frame from the RTU framer converts without re-framing") {
    rtu_framer framer{pdu_direction::request, rtu_framing::predicted, rtu_timing_for_baud(9600)};
    const auto r = framer.put(rtu_request, transport::time_point{0});
    REQUIRE(r.status == decode_status::frame);
    adu_buffer buf;
    REQUIRE(buf.assign_rtu(framer.adu()));
    CHECK(same(buf.as_mbap(1), tcp_request));
}

TEST_CASE("limits: 256-byte RTU ADU and 253-byte PDU fit, one more does not") {
    adu_buffer buf;
    std::vector<std::uint8_t> pdu(max_pdu_size, 0x41);
    CHECK(buf.assign_pdu(1, pdu));
    CHECK(buf.as_rtu().size() == max_rtu_adu_size);
    CHECK(buf.as_mbap(9).size() == max_tcp_adu_size);
    CHECK(buf.as_mbap(9)[5] == 254);
    pdu.push_back(0);
    CHECK_FALSE(buf.assign_pdu(2, pdu));
    CHECK(buf.unit() == 1);  // unchanged
    CHECK(buf.pdu_size() == max_pdu_size);

    std::vector<std::uint8_t> adu(max_rtu_adu_size + 1, 0);
    CHECK_FALSE(buf.assign_rtu(adu));
    adu.resize(max_rtu_adu_size);
    CHECK(buf.assign_rtu(adu));
    CHECK(buf.pdu_size() == max_pdu_size);
    CHECK_FALSE(buf.assign_rtu(std::vector<std::uint8_t>{1, 2, 3}));  // no room for fc + CRC
    buf.set_pdu_size(1000);
    CHECK(buf.pdu_size() == max_pdu_size);
    CHECK(buf.function() == 0);
}

TEST_CASE("adu_buffer is usable at compile time") {
    constexpr auto crc_ok = [] {
        adu_buffer b;
        const std::uint8_t pdu[] = {0x03, 0x00, 0x6B, 0x00, 0x03};
        b.assign_pdu(0x11, pdu);
        const auto rtu = b.as_rtu();
        return rtu[6] == 0x76 && rtu[7] == 0x87;
    }();
    static_assert(crc_ok);
    CHECK(crc_ok);
}
