#include <gw/codec/pdu.hpp>

#include "vectors.hpp"

#include <doctest/doctest.h>

#include <array>
#include <optional>
#include <vector>

using namespace gw;
using gw::test::pdu_pairs;
using bytes = std::vector<std::uint8_t>;

namespace {
constexpr auto ok = std::optional<exception_code>{};
constexpr auto e01 = std::optional<exception_code>{exception_code::illegal_function};
constexpr auto e02 = std::optional<exception_code>{exception_code::illegal_data_address};
constexpr auto e03 = std::optional<exception_code>{exception_code::illegal_data_value};

constexpr std::array<std::uint8_t, 5> fc3_max{0x03, 0x00, 0x00, 0x00, 0x7D};
constexpr std::array<std::uint8_t, 5> fc3_over{0x03, 0x00, 0x00, 0x00, 0x7E};
constexpr std::array<std::uint8_t, 5> fc3_wrap{0x03, 0xFF, 0xFF, 0x00, 0x02};
}  // namespace

// The validation is usable at compile time (e.g. to check configured requests).
static_assert(!validate_request(fc3_max));
static_assert(validate_request(fc3_over) == exception_code::illegal_data_value);
static_assert(validate_request(fc3_wrap) == exception_code::illegal_data_address);
static_assert(predict_pdu_length(pdu_direction::request, fc3_max).kind == length_prediction::known);

// --- length prediction -------------------------------------------------------------------------

TEST_CASE("prediction of every vector, from every prefix") {
    for (const auto& v : pdu_pairs()) {
        for (const auto dir : {pdu_direction::request, pdu_direction::response}) {
            const auto& pdu = dir == pdu_direction::request ? v.request : v.response;
            INFO(v.name.data() << (dir == pdu_direction::request ? " request" : " response"));
            const bool opaque = v.name.find("return query data") != std::string_view::npos;
            bool known = false;
            for (std::size_t n = 1; n <= pdu.size(); ++n) {
                const auto p = predict_pdu_length(dir, std::span{pdu}.first(n));
                INFO("prefix " << n);
                if (opaque) {
                    CHECK(p.kind ==
                          (n < 3 ? length_prediction::need_more : length_prediction::unknown));
                    continue;
                }
                if (p.kind == length_prediction::known) {
                    CHECK(p.length == pdu.size());
                    known = true;
                } else {
                    REQUIRE(p.kind == length_prediction::need_more);
                    CHECK_FALSE(known);   // once known, it stays known
                    CHECK(p.length > n);  // asks for more than it has
                    CHECK(p.length <= pdu.size());
                }
            }
            CHECK(known != opaque);
        }
    }
}

TEST_CASE("prediction: empty, exceptions, opaque and invalid starts") {
    CHECK(predict_pdu_length(pdu_direction::request, {}).kind == length_prediction::need_more);
    const bytes exc{0x83};  // exception response: fc | 0x80 + one code byte
    CHECK(predict_pdu_length(pdu_direction::response, exc).length == 2);
    const bytes user{0x41, 0x01};  // user-defined 65: only silence can tell
    CHECK(predict_pdu_length(pdu_direction::request, user).kind == length_prediction::unknown);
    CHECK(predict_pdu_length(pdu_direction::response, user).kind == length_prediction::unknown);
    const bytes canopen{0x2B, 0x0D, 0x00};  // FC43 MEI 13: opaque
    CHECK(predict_pdu_length(pdu_direction::request, canopen).kind == length_prediction::unknown);
    const bytes mei15{0x2B, 0x0F};  // FC43 with an unknown MEI type
    CHECK(predict_pdu_length(pdu_direction::request, mei15).kind == length_prediction::unknown);
    CHECK(detail::predict(pdu_direction::request, mei15).kind == detail::pdu_length_kind::invalid);
    // Requests never have the high bit; function code 0 does not exist.
    for (std::uint8_t fc : {std::uint8_t{0x00}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
        const bytes p{fc};
        CHECK(detail::predict(pdu_direction::request, p).kind == detail::pdu_length_kind::invalid);
    }
    // An unknown public code in a request waits for silence so that the server can answer 01.
    const bytes fc9{0x09};
    CHECK(detail::predict(pdu_direction::request, fc9).kind == detail::pdu_length_kind::unknown);
    // ... but a server never answers it normally.
    CHECK(detail::predict(pdu_direction::response, fc9).kind == detail::pdu_length_kind::invalid);
}

TEST_CASE("prediction never claims more than a PDU holds") {
    // FC24 response with a 16-bit byte count of 0x0100: 3 + 256 > 253.
    const bytes fifo{0x18, 0x01, 0x00};
    CHECK(predict_pdu_length(pdu_direction::response, fifo).kind == length_prediction::unknown);
    CHECK(detail::predict(pdu_direction::response, fifo).kind == detail::pdu_length_kind::invalid);
    // FC16 request with byte count 0xFF: 6 + 255 > 253.
    const bytes fc16{0x10, 0x00, 0x00, 0x00, 0x01, 0xFF};
    CHECK(detail::predict(pdu_direction::request, fc16).kind == detail::pdu_length_kind::invalid);
    // FC43/14 response whose objects run past 253 bytes.
    bytes devid{0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0xF0};
    devid.resize(9 + 0xF0, 'x');
    devid.push_back(0x01);
    devid.push_back(0x10);
    CHECK(detail::predict(pdu_direction::response, devid).kind == detail::pdu_length_kind::invalid);
}

// --- request validation ------------------------------------------------------------------------

TEST_CASE("every vector request is valid") {
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        CHECK(validate_request(v.request) == ok);
    }
}

struct violation {
    const char* why;
    bytes pdu;
    std::optional<exception_code> expected;
};

TEST_CASE("exception paths") {
    const std::vector<violation> cases{
        // Empty and oversized.
        {"no function code", {}, e01},
        // Read quantities (03) before address windows (02).
        {"FC1 quantity 0", {0x01, 0x00, 0x00, 0x00, 0x00}, e03},
        {"FC1 quantity 2000", {0x01, 0x00, 0x00, 0x07, 0xD0}, ok},
        {"FC1 quantity 2001", {0x01, 0x00, 0x00, 0x07, 0xD1}, e03},
        {"FC2 quantity 2001", {0x02, 0x00, 0x00, 0x07, 0xD1}, e03},
        {"FC3 quantity 0", {0x03, 0x00, 0x00, 0x00, 0x00}, e03},
        {"FC3 quantity 125", {0x03, 0x00, 0x00, 0x00, 0x7D}, ok},
        {"FC3 quantity 126", {0x03, 0x00, 0x00, 0x00, 0x7E}, e03},
        {"FC4 quantity 126", {0x04, 0x00, 0x00, 0x00, 0x7E}, e03},
        {"FC3 quantity 0xFFFF at 0xFFFF: quantity first", {0x03, 0xFF, 0xFF, 0xFF, 0xFF}, e03},
        {"FC3 short", {0x03, 0x00, 0x00, 0x00}, e03},
        {"FC3 long", {0x03, 0x00, 0x00, 0x00, 0x01, 0x00}, e03},
        // Address + quantity overflow: start + quantity may reach 65536, not exceed it.
        {"FC1 65535 + 1", {0x01, 0xFF, 0xFF, 0x00, 0x01}, ok},
        {"FC1 65535 + 2", {0x01, 0xFF, 0xFF, 0x00, 0x02}, e02},
        {"FC2 64000 + 1537", {0x02, 0xFA, 0x00, 0x06, 0x01}, e02},
        {"FC3 65411 + 125", {0x03, 0xFF, 0x83, 0x00, 0x7D}, ok},
        {"FC3 65412 + 125", {0x03, 0xFF, 0x84, 0x00, 0x7D}, e02},
        {"FC4 65535 + 2", {0x04, 0xFF, 0xFF, 0x00, 0x02}, e02},
        // FC5: only 0x0000 and 0xFF00.
        {"FC5 off", {0x05, 0x00, 0x01, 0x00, 0x00}, ok},
        {"FC5 0x0001", {0x05, 0x00, 0x01, 0x00, 0x01}, e03},
        {"FC5 0x00FF", {0x05, 0x00, 0x01, 0x00, 0xFF}, e03},
        {"FC5 0xFFFF", {0x05, 0x00, 0x01, 0xFF, 0xFF}, e03},
        {"FC5 at 65535", {0x05, 0xFF, 0xFF, 0xFF, 0x00}, ok},
        {"FC6 short", {0x06, 0x00, 0x01, 0x00}, e03},
        // FC15: quantity 1..1968, byte count == ceil(q / 8) (CVE-2019-14462 class).
        {"FC15 quantity 0", {0x0F, 0x00, 0x00, 0x00, 0x00, 0x00}, e03},
        {"FC15 quantity 1969", {0x0F, 0x00, 0x00, 0x07, 0xB1, 0xF7}, e03},
        {"FC15 byte count 1 for 10 coils", {0x0F, 0x00, 0x13, 0x00, 0x0A, 0x01, 0xCD}, e03},
        {"FC15 byte count 3 for 10 coils",
         {0x0F, 0x00, 0x13, 0x00, 0x0A, 0x03, 0xCD, 0x01, 0x00},
         e03},
        {"FC15 byte count right, data short", {0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD}, e03},
        {"FC15 data longer than byte count",
         {0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01, 0x00},
         e03},
        {"FC15 65535 + 2 coils", {0x0F, 0xFF, 0xFF, 0x00, 0x02, 0x01, 0x03}, e02},
        {"FC15 header only", {0x0F, 0x00, 0x13, 0x00, 0x0A}, e03},
        // FC16: quantity 1..123, byte count == 2 * q (CVE-2019-14463 class).
        {"FC16 quantity 0", {0x10, 0x00, 0x01, 0x00, 0x00, 0x00}, e03},
        {"FC16 quantity 124", {0x10, 0x00, 0x01, 0x00, 0x7C, 0xF8}, e03},
        {"FC16 byte count 2 for 2 registers",
         {0x10, 0x00, 0x01, 0x00, 0x02, 0x02, 0x00, 0x0A},
         e03},
        {"FC16 byte count 0xFF for 2 registers",
         {0x10, 0x00, 0x01, 0x00, 0x02, 0xFF, 0x00, 0x0A},
         e03},
        {"FC16 odd byte count", {0x10, 0x00, 0x01, 0x00, 0x02, 0x03, 0x00, 0x0A, 0x01}, e03},
        {"FC16 data short", {0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01}, e03},
        {"FC16 65535 + 2", {0x10, 0xFF, 0xFF, 0x00, 0x02, 0x04, 0, 0, 0, 0}, e02},
        // FC22.
        {"FC22 short", {0x16, 0x00, 0x04, 0x00, 0xF2, 0x00}, e03},
        // FC23: both windows (CVE-2022-0367 class) and both quantities.
        {"FC23 read 0", {0x17, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0}, e03},
        {"FC23 read 126", {0x17, 0, 0, 0, 0x7E, 0, 0, 0, 1, 2, 0, 0}, e03},
        {"FC23 write 0", {0x17, 0, 0, 0, 1, 0, 0, 0, 0, 0}, e03},
        {"FC23 write 122", {0x17, 0, 0, 0, 1, 0, 0, 0, 0x7A, 0xF4}, e03},
        {"FC23 byte count != 2 * write", {0x17, 0, 0, 0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0}, e03},
        {"FC23 data short", {0x17, 0, 0, 0, 1, 0, 0, 0, 2, 4, 0, 0, 0}, e03},
        {"FC23 read window overflows", {0x17, 0xFF, 0xFF, 0, 2, 0, 0, 0, 1, 2, 0, 0}, e02},
        {"FC23 write window overflows", {0x17, 0, 0, 0, 1, 0xFF, 0xFF, 0, 2, 4, 0, 0, 0, 0}, e02},
        {"FC23 both windows at the top", {0x17, 0xFF, 0xFF, 0, 1, 0xFF, 0xFF, 0, 1, 2, 0, 0}, ok},
        // FC8: sub-functions.
        {"FC8 return query data, no data", {0x08, 0x00, 0x00}, ok},
        {"FC8 return query data, 6 bytes", {0x08, 0x00, 0x00, 1, 2, 3, 4, 5, 6}, ok},
        {"FC8 restart 0xFF00", {0x08, 0x00, 0x01, 0xFF, 0x00}, ok},
        {"FC8 restart 0x1234", {0x08, 0x00, 0x01, 0x12, 0x34}, e03},
        {"FC8 diagnostic register", {0x08, 0x00, 0x02, 0x00, 0x00}, ok},
        {"FC8 diagnostic register, data 1", {0x08, 0x00, 0x02, 0x00, 0x01}, e03},
        {"FC8 change ASCII delimiter (3) is not supported", {0x08, 0x00, 0x03, 0x0A, 0x00}, e01},
        {"FC8 force listen only", {0x08, 0x00, 0x04, 0x00, 0x00}, ok},
        {"FC8 sub-function 5", {0x08, 0x00, 0x05, 0x00, 0x00}, e01},
        {"FC8 sub-function 9", {0x08, 0x00, 0x09, 0x00, 0x00}, e01},
        {"FC8 clear counters", {0x08, 0x00, 0x0A, 0x00, 0x00}, ok},
        {"FC8 counter 18", {0x08, 0x00, 0x12, 0x00, 0x00}, ok},
        {"FC8 sub-function 19", {0x08, 0x00, 0x13, 0x00, 0x00}, e01},
        {"FC8 clear overrun", {0x08, 0x00, 0x14, 0x00, 0x00}, ok},
        {"FC8 sub-function 21", {0x08, 0x00, 0x15, 0x00, 0x00}, e01},
        {"FC8 sub-function 0xFFFF", {0x08, 0xFF, 0xFF, 0x00, 0x00}, e01},
        {"FC8 counter with 4 data bytes", {0x08, 0x00, 0x0B, 0x00, 0x00, 0x00, 0x00}, e03},
        {"FC8 counter without data", {0x08, 0x00, 0x0B}, e03},
        {"FC8 half a sub-function", {0x08, 0x00}, e03},
        // Codes without data must come alone.
        {"FC7 with data", {0x07, 0x00}, e03},
        {"FC11 with data", {0x0B, 0x00}, e03},
        {"FC12 with data", {0x0C, 0x00}, e03},
        {"FC17 with data", {0x11, 0x00}, e03},
        // FC20: byte count 0x07..0xF5 in whole sub-requests; ref 6, file >= 1, record <= 9999.
        {"FC20 byte count 0", {0x14, 0x00}, e03},
        {"FC20 byte count 6", {0x14, 0x06, 6, 0, 1, 0, 0, 0}, e03},
        {"FC20 byte count 8", {0x14, 0x08, 6, 0, 1, 0, 0, 0, 1, 0}, e03},
        {"FC20 byte count 0xF6", {0x14, 0xF6}, e03},
        {"FC20 byte count longer than data", {0x14, 0x0E, 6, 0, 1, 0, 0, 0, 1}, e03},
        {"FC20 reference type 5", {0x14, 0x07, 5, 0, 1, 0, 0, 0, 1}, e02},
        {"FC20 file 0", {0x14, 0x07, 6, 0, 0, 0, 0, 0, 1}, e02},
        {"FC20 record 9999", {0x14, 0x07, 6, 0, 1, 0x27, 0x0F, 0, 1}, ok},
        {"FC20 record 10000", {0x14, 0x07, 6, 0, 1, 0x27, 0x10, 0, 1}, e02},
        {"FC20 record length 0", {0x14, 0x07, 6, 0, 1, 0, 0, 0, 0}, e03},
        {"FC20 answer would exceed a PDU", {0x14, 0x07, 6, 0, 1, 0, 0, 0, 0x7D}, e03},
        {"FC20 largest answer", {0x14, 0x07, 6, 0, 1, 0, 0, 0, 0x7C}, ok},
        // FC21: byte count 0x09..0xFB exactly covered by the sub-requests.
        {"FC21 byte count 7", {0x15, 0x07, 6, 0, 1, 0, 0, 0, 0}, e03},
        {"FC21 one record", {0x15, 0x09, 6, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD}, ok},
        {"FC21 record length 2, data for 1", {0x15, 0x09, 6, 0, 1, 0, 0, 0, 2, 0xAB, 0xCD}, e03},
        {"FC21 record length 0 padding", {0x15, 0x09, 6, 0, 1, 0, 0, 0, 0, 0xAB, 0xCD}, e03},
        {"FC21 trailing byte", {0x15, 0x0A, 6, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD, 0}, e03},
        {"FC21 reference type 7", {0x15, 0x09, 7, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD}, e02},
        {"FC21 record 10000", {0x15, 0x09, 6, 0, 1, 0x27, 0x10, 0, 1, 0xAB, 0xCD}, e02},
        {"FC21 byte count past the data", {0x15, 0x0B, 6, 0, 1, 0, 0, 0, 1, 0xAB, 0xCD}, e03},
        // FC24.
        {"FC24 short", {0x18, 0x04}, e03},
        {"FC24 long", {0x18, 0x04, 0xDE, 0x00}, e03},
        // FC43: MEI 14 codes 1..4; MEI 13 opaque; other MEI types 01.
        {"FC43/14 code 0", {0x2B, 0x0E, 0x00, 0x00}, e03},
        {"FC43/14 code 4", {0x2B, 0x0E, 0x04, 0x05}, ok},
        {"FC43/14 code 5", {0x2B, 0x0E, 0x05, 0x00}, e03},
        {"FC43/14 short", {0x2B, 0x0E, 0x01}, e03},
        {"FC43/13 opaque", {0x2B, 0x0D, 0x01, 0x02, 0x03}, ok},
        {"FC43 MEI 15", {0x2B, 0x0F, 0x01, 0x00}, e01},
        {"FC43 MEI 0", {0x2B, 0x00}, e01},
        // Unknown public codes, zero and exception codes in a request: 01.
        {"FC9", {0x09, 0x00, 0x00}, e01},
        {"FC10", {0x0A}, e01},
        {"FC14", {0x0E, 0x01}, e01},
        {"FC42", {0x2A}, e01},
        {"FC0", {0x00, 0x00, 0x00, 0x00, 0x01}, e01},
        {"FC 0x83 as a request", {0x83, 0x02}, e01},
        // User-defined codes are opaque.
        {"FC65 with data", {0x41, 0x01, 0x02, 0x03}, ok},
        {"FC110 alone", {0x6E}, ok},
    };
    for (const auto& c : cases) {
        INFO(c.why);
        CHECK(validate_request(c.pdu) == c.expected);
    }
}

TEST_CASE("a PDU of a function code alone (libmodbus #837 class), for all 256 codes") {
    for (int fc = 0; fc < 256; ++fc) {
        const bytes pdu{static_cast<std::uint8_t>(fc)};
        INFO("fc " << fc);
        const auto b = static_cast<std::uint8_t>(fc);
        if (fc == 7 || fc == 11 || fc == 12 || fc == 17 || is_user_defined(b)) {
            CHECK(validate_request(pdu) == ok);
        } else if (is_public(b)) {
            CHECK(validate_request(pdu) == e03);
        } else {
            CHECK(validate_request(pdu) == e01);
        }
    }
}

TEST_CASE("a PDU longer than 253 bytes is 03 whatever it claims") {
    bytes user(254, 0x41);
    CHECK(validate_request(user) == e03);
    user.pop_back();
    CHECK(validate_request(user) == ok);
}

TEST_CASE("every quantity of FC1 and FC3 around the limits") {
    for (unsigned q = 0; q <= 2100; ++q) {
        const bytes fc1{0x01, 0x00, 0x00, static_cast<std::uint8_t>(q >> 8),
                        static_cast<std::uint8_t>(q)};
        const bytes fc3{0x03, 0x00, 0x00, static_cast<std::uint8_t>(q >> 8),
                        static_cast<std::uint8_t>(q)};
        INFO("quantity " << q);
        CHECK(validate_request(fc1) == (q >= 1 && q <= 2000 ? ok : e03));
        CHECK(validate_request(fc3) == (q >= 1 && q <= 125 ? ok : e03));
    }
}

TEST_CASE("FC15 and FC16: every quantity with the byte count it implies, and one off") {
    for (unsigned q = 1; q <= 1968; ++q) {
        const unsigned count = (q + 7) / 8;
        for (int delta : {-1, 0, 1}) {
            const unsigned claimed = count + static_cast<unsigned>(delta);
            bytes pdu{0x0F,
                      0x00,
                      0x00,
                      static_cast<std::uint8_t>(q >> 8),
                      static_cast<std::uint8_t>(q),
                      static_cast<std::uint8_t>(claimed)};
            pdu.resize(6 + claimed, 0);
            INFO("coils " << q << " byte count " << claimed);
            CHECK(validate_request(pdu) == (delta == 0 ? ok : e03));
        }
    }
    for (unsigned q = 1; q <= 123; ++q) {
        for (int delta : {-1, 0, 1, 2}) {
            const unsigned claimed = 2 * q + static_cast<unsigned>(delta);
            bytes pdu{0x10,
                      0x00,
                      0x00,
                      0x00,
                      static_cast<std::uint8_t>(q),
                      static_cast<std::uint8_t>(claimed)};
            pdu.resize(6 + claimed, 0);
            INFO("registers " << q << " byte count " << claimed);
            CHECK(validate_request(pdu) == (delta == 0 ? ok : e03));
        }
    }
}

// --- response validation -----------------------------------------------------------------------

TEST_CASE("every vector response matches its request") {
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        CHECK(validate_response(v.request, v.response));
        // An exception response to any request is valid.
        const bytes exception{static_cast<std::uint8_t>(v.request[0] | 0x80), 0x04};
        CHECK(validate_response(v.request, exception));
    }
}

TEST_CASE("responses that do not match their request") {
    for (const auto& v : pdu_pairs()) {
        INFO(v.name.data());
        if (v.response[0] & 0x80) {
            continue;
        }
        // Wrong function code.
        bytes r = v.response;
        r[0] = static_cast<std::uint8_t>(r[0] + 1);
        CHECK_FALSE(validate_response(v.request, r));
        // Truncated by one byte.
        r = v.response;
        r.pop_back();
        if (!r.empty()) {
            CHECK_FALSE(validate_response(v.request, r));
        }
        // One byte too many.
        r = v.response;
        r.push_back(0);
        CHECK_FALSE(validate_response(v.request, r));
    }
    const bytes read3{0x03, 0x00, 0x6B, 0x00, 0x03};
    CHECK_FALSE(validate_response(read3, bytes{0x03, 0x04, 0, 0, 0, 0}));  // 2 registers for 3
    CHECK_FALSE(validate_response(read3, bytes{0x83}));                    // exception, no code
    CHECK_FALSE(validate_response(read3, bytes{0x83, 0x02, 0x00}));        // exception, extra
    CHECK_FALSE(validate_response(read3, bytes{0x84, 0x02}));              // other fc's exception
    CHECK_FALSE(validate_response(read3, bytes{}));
    const bytes write5{0x05, 0x00, 0xAC, 0xFF, 0x00};
    CHECK_FALSE(validate_response(write5, bytes{0x05, 0x00, 0xAC, 0x00, 0x00}));  // not an echo
    const bytes write16{0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0, 1, 0, 2};
    CHECK_FALSE(validate_response(write16, bytes{0x10, 0x00, 0x01, 0x00, 0x03}));
    const bytes diag{0x08, 0x00, 0x0B, 0x00, 0x00};
    CHECK_FALSE(validate_response(diag, bytes{0x08, 0x00, 0x0C, 0x00, 0x05}));  // other sub
    const bytes fifo{0x18, 0x04, 0xDE};
    CHECK_FALSE(validate_response(fifo, bytes{0x18, 0x00, 0x04, 0x00, 0x02, 0x01, 0xB8}));
    bytes big_fifo{0x18, 0x00, 0x42, 0x00, 0x20};  // 32 registers > 31
    big_fifo.resize(5 + 64, 0);
    CHECK_FALSE(validate_response(fifo, big_fifo));
    const bytes user{0x41, 0x01};
    CHECK(validate_response(user, bytes{0x41, 0x09, 0x09}));  // opaque: the code must echo
    CHECK_FALSE(validate_response(user, bytes{0x42}));
}

TEST_CASE("FC20 response structure follows the request") {
    const auto& v = pdu_pairs()[14];
    REQUIRE(v.request[0] == 0x14);
    bytes r = v.response;
    r[2] = 0x07;  // first sub-response claims 3 registers
    CHECK_FALSE(validate_response(v.request, r));
    r = v.response;
    r[3] = 0x05;  // reference type
    CHECK_FALSE(validate_response(v.request, r));
}

// --- helpers and views ---------------------------------------------------------------------------

TEST_CASE("make_exception_response") {
    std::array<std::uint8_t, 2> out{};
    CHECK(make_exception_response(0x03, exception_code::illegal_data_address, out) == 2);
    CHECK(out == std::array<std::uint8_t, 2>{0x83, 0x02});
    std::array<std::uint8_t, 1> small{};
    CHECK(make_exception_response(0x03, exception_code::illegal_data_address, small) == 0);
}

TEST_CASE("is_read_request: FC1-4 only") {
    for (const auto& v : pdu_pairs()) {
        const bool read = v.request[0] >= 1 && v.request[0] <= 4;
        INFO(v.name.data());
        CHECK(is_read_request(v.request) == read);
    }
}

TEST_CASE("typed views") {
    const bytes fc3{0x03, 0x00, 0x6B, 0x00, 0x03};
    const auto r = parse_read_request(fc3);
    CHECK(r.address == 107);
    CHECK(r.quantity == 3);
    const auto w = parse_write_single(bytes{0x06, 0x00, 0x01, 0x00, 0x03});
    CHECK(w.address == 1);
    CHECK(w.value == 3);
    const bytes fc16{0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02};
    const auto m = parse_write_multiple(fc16);
    CHECK(m.address == 1);
    CHECK(m.quantity == 2);
    CHECK(m.values.size() == 4);
    CHECK(m.values.data() == fc16.data() + 6);  // a view, not a copy
    const auto mw = parse_mask_write(bytes{0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25});
    CHECK(mw.address == 4);
    CHECK(mw.and_mask == 0xF2);
    CHECK(mw.or_mask == 0x25);
    const bytes fc23{0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00,
                     0x03, 0x06, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF};
    const auto rw = parse_read_write(fc23);
    CHECK(rw.read_address == 3);
    CHECK(rw.read_quantity == 6);
    CHECK(rw.write_address == 14);
    CHECK(rw.write_quantity == 3);
    CHECK(rw.values.size() == 6);
    const auto d = parse_diagnostic(bytes{0x08, 0x00, 0x00, 0xA5, 0x37});
    CHECK(d.sub_function == 0);
    CHECK(d.data.size() == 2);
}

TEST_CASE("expected_response_length: what the request alone decides, 0 where the device does") {
    for (const auto& v : gw::test::pdu_pairs()) {
        INFO(v.name.data());
        const std::size_t n = expected_response_length(v.request);
        if (n != 0 && !is_exception(v.response[0])) {
            CHECK(n == v.response.size());
        }
    }
    const std::vector<std::uint8_t> read_2{0x03, 0x00, 0x00, 0x00, 0x02};  // 2 registers
    CHECK(expected_response_length(read_2) == 6);
    const std::vector<std::uint8_t> coils_10{0x01, 0x00, 0x00, 0x00, 0x0A};  // 10 coils: 2 bytes
    CHECK(expected_response_length(coils_10) == 4);
    const std::vector<std::uint8_t> server_id{0x11};  // FC 17: the device decides
    CHECK(expected_response_length(server_id) == 0);
    CHECK(expected_response_length({}) == 0);
}
