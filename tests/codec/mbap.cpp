#include <gw/codec/mbap.hpp>

#include <doctest/doctest.h>

#include <array>
#include <vector>

using namespace gw;

namespace {
constexpr std::array<std::uint8_t, 12> adu{0x00, 0x01,  // transaction id 1
                                           0x00, 0x00,  // protocol id 0
                                           0x00, 0x06,  // length: unit + 5
                                           0x11,        // unit 17
                                           0x03, 0x00, 0x6B,
                                           0x00, 0x03};  // PDU: read holding registers 107, 3
}  // namespace

static_assert(decode_mbap(adu).status == decode_status::frame);
static_assert(decode_mbap(adu).consumed == 12);
static_assert(decode_mbap(std::span{adu}.first(11)).status == decode_status::need_more);

TEST_CASE("decode a whole ADU; the PDU points into the caller's buffer") {
    const auto r = decode_mbap(adu);
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.consumed == adu.size());
    CHECK(r.frame.header.transaction_id == 1);
    CHECK(r.frame.header.protocol_id == 0);
    CHECK(r.frame.header.length == 6);
    CHECK(r.frame.header.unit == 0x11);
    CHECK(r.frame.pdu.data() == adu.data() + 7);
    CHECK(r.frame.pdu.size() == 5);
}

TEST_CASE("every prefix is need_more with nothing consumed") {
    for (std::size_t n = 0; n < adu.size(); ++n) {
        const auto r = decode_mbap(std::span{adu}.first(n));
        CHECK(r.status == decode_status::need_more);
        CHECK(r.consumed == 0);
    }
}

TEST_CASE("two ADUs back to back: consumed leaves the second in place") {
    std::vector<std::uint8_t> two(adu.begin(), adu.end());
    two.insert(two.end(), {0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x05, 0x07});  // tid 2, FC7
    auto r = decode_mbap(two);
    REQUIRE(r.status == decode_status::frame);
    r = decode_mbap(std::span{two}.subspan(r.consumed));
    REQUIRE(r.status == decode_status::frame);
    CHECK(r.frame.header.transaction_id == 2);
    CHECK(r.frame.header.unit == 5);
    CHECK(r.frame.pdu.size() == 1);
    CHECK((r.frame.pdu.size() == 1 && r.frame.pdu[0] == 7));
}

TEST_CASE("bad headers: protocol id, length below 2 or above 254") {
    auto bad = adu;
    bad[3] = 0x01;  // protocol id 1
    CHECK(decode_mbap(bad).status == decode_status::bad_header);
    CHECK(decode_mbap(std::span{bad}.first(4)).status == decode_status::bad_header);  // early
    CHECK(decode_mbap(bad).consumed == 0);

    for (unsigned length : {0U, 1U, 255U, 256U, 0xFFFFU}) {
        std::array<std::uint8_t, 7> h{
            0, 1, 0, 0, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length),
            1};
        INFO("length " << length);
        CHECK(decode_mbap(h).status == decode_status::bad_header);
        CHECK(decode_mbap(std::span{h}.first(6)).status == decode_status::bad_header);
    }
}

TEST_CASE("lengths 2 and 254 are the limits") {
    std::vector<std::uint8_t> small{0, 1, 0, 0, 0, 2, 9, 0x07};  // unit 9, FC 7
    CHECK(decode_mbap(small).status == decode_status::frame);
    std::vector<std::uint8_t> big(6 + 254, 0x41);
    big[0] = big[1] = big[2] = big[3] = 0;
    big[4] = 0;
    big[5] = 254;
    const auto r = decode_mbap(big);
    CHECK(r.status == decode_status::frame);
    CHECK(r.frame.pdu.size() == 253);
    CHECK(decode_mbap(std::span{big}.first(big.size() - 1)).status == decode_status::need_more);
}

TEST_CASE("encode_mbap_header") {
    std::array<std::uint8_t, 7> h{};
    CHECK(encode_mbap_header(0xABCD, 0x11, 5, h) == 7);
    CHECK(h == std::array<std::uint8_t, 7>{0xAB, 0xCD, 0x00, 0x00, 0x00, 0x06, 0x11});
    CHECK(encode_mbap_header(1, 1, 0, h) == 0);
    CHECK(encode_mbap_header(1, 1, 254, h) == 0);
    CHECK(encode_mbap_header(1, 1, 253, h) == 7);
    CHECK(h[5] == 254);
    std::array<std::uint8_t, 6> small{};
    CHECK(encode_mbap_header(1, 1, 5, small) == 0);
}
