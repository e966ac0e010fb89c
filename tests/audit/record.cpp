// tests include/gw/audit/record.hpp and include/gw/audit/crc32c.hpp: the frame, byte by byte,
// and the decoder at every split point of its input (parsegrind).
#include <gw/audit/record.hpp>

#include <gw/audit/crc32c.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace gw::audit;

namespace {

template <class... T>
constexpr std::array<std::byte, sizeof...(T)> bytes(T... v) {
    return {static_cast<std::byte>(v)...};
}

constexpr auto check_string = bytes('1', '2', '3', '4', '5', '6', '7', '8', '9');

// Sequence 1, payload "hi", a MAC of 32 bytes 0xAA (the codec does not compute MACs).
constexpr auto record_hi = bytes(                    //
    'G', 'W', 'A', '1',                              // magic
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // sequence 1, big-endian
    0x00, 0x00, 0x00, 0x02,                          // payload length 2
    'h', 'i',                                        // payload
    0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,  // MAC, bytes 0..7
    0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,  // MAC, bytes 8..15
    0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,  // MAC, bytes 16..23
    0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,  // MAC, bytes 24..31
    0xC9, 0xC2, 0x10, 0x91);                         // CRC-32C of bytes 0..49, big-endian

// Sequence 0x0102030405060708, empty payload, MAC 00 01 .. 1F.
constexpr auto record_empty = bytes(                 //
    'G', 'W', 'A', '1',                              // magic
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // sequence
    0x00, 0x00, 0x00, 0x00,                          // payload length 0, no payload
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,  // MAC
    0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,  //
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,  //
    0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,  //
    0xA7, 0x38, 0xEC, 0x59);                         // CRC-32C

constexpr std::array<std::byte, mac_size> mac_of(std::byte fill, bool counting) {
    std::array<std::byte, mac_size> m{};
    for (std::size_t i = 0; i < m.size(); ++i) {
        m[i] = counting ? static_cast<std::byte>(i) : fill;
    }
    return m;
}

}  // namespace

// CRC-32C/ISCSI check value, evaluated at compile time.
static_assert(crc32c(check_string) == 0xE3069283U);
static_assert(crc32c(std::span<const std::byte>{}) == 0);
static_assert(detail::crc32c_table[1] == 0xF26B8303U && detail::crc32c_table[128] == 0x82F63B78U);
static_assert(record_size(2) == record_hi.size() && record_size(0) == record_empty.size());

TEST_CASE("crc32c: a running CRC over pieces equals the CRC of the whole") {
    const std::span<const std::byte> all{check_string};
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
        const auto state =
            crc32c_update(crc32c_update(crc32c_init, all.first(cut)), all.subspan(cut));
        CHECK(crc32c_final(state) == 0xE3069283U);
    }
}

TEST_CASE("record: encode writes the vectors byte for byte") {
    std::array<std::byte, 64> out{};
    const auto hi = bytes('h', 'i');
    const auto mac_aa = mac_of(std::byte{0xAA}, false);
    REQUIRE(encode_record(1, hi, mac_aa, out) == record_hi.size());
    CHECK(std::span<const std::byte>{out}.first(record_hi.size()).size() == record_hi.size());
    for (std::size_t i = 0; i < record_hi.size(); ++i) {
        CHECK(out[i] == record_hi[i]);
    }
    const auto mac_count = mac_of(std::byte{0}, true);
    REQUIRE(encode_record(0x0102030405060708U, {}, mac_count, out) == record_empty.size());
    for (std::size_t i = 0; i < record_empty.size(); ++i) {
        CHECK(out[i] == record_empty[i]);
    }
}

TEST_CASE("record: encode refuses a payload over max_payload and a short buffer") {
    std::vector<std::byte> payload(max_payload + 1);
    std::vector<std::byte> out(max_record_size + 8);
    const auto mac = mac_of(std::byte{0}, false);
    CHECK(encode_record(1, payload, mac, out) == 0);
    CHECK(encode_record(1, std::span<const std::byte>{payload}.first(max_payload), mac, out) ==
          max_record_size);
    CHECK(encode_record(1, bytes('h', 'i'), mac,
                        std::span<std::byte>{out}.first(record_size(2) - 1)) == 0);
}

TEST_CASE("record: decode reads the fields as views into the input") {
    const auto r = decode_record(record_hi);
    REQUIRE(r.status == record_status::ok);
    CHECK(r.consumed == record_hi.size());
    CHECK(r.record.sequence == 1);
    CHECK(r.record.payload.data() == record_hi.data() + 16);
    CHECK(r.record.payload.size() == 2);
    CHECK(r.record.mac.data() == record_hi.data() + 18);
    const auto e = decode_record(record_empty);
    REQUIRE(e.status == record_status::ok);
    CHECK(e.record.sequence == 0x0102030405060708U);
    CHECK(e.record.payload.empty());
    CHECK(e.record.mac[31] == std::byte{0x1F});
}

TEST_CASE("record: every split point gives need_more, then the record; trailing bytes stay") {
    std::vector<std::byte> stream(record_hi.begin(), record_hi.end());
    stream.insert(stream.end(), record_empty.begin(), record_empty.end());
    for (std::size_t k = 0; k < record_hi.size(); ++k) {
        const auto r = decode_record(std::span<const std::byte>{stream}.first(k));
        CHECK(r.status == record_status::need_more);
        CHECK(r.consumed == 0);
    }
    for (std::size_t k = record_hi.size(); k <= stream.size(); ++k) {
        const auto r = decode_record(std::span<const std::byte>{stream}.first(k));
        REQUIRE(r.status == record_status::ok);
        CHECK(r.consumed == record_hi.size());
    }
    // The second record after the first, split everywhere again.
    const auto rest = std::span<const std::byte>{stream}.subspan(record_hi.size());
    for (std::size_t k = 0; k <= rest.size(); ++k) {
        const auto r = decode_record(rest.first(k));
        CHECK(r.status == (k == rest.size() ? record_status::ok : record_status::need_more));
    }
}

TEST_CASE("record: a wrong magic byte is refused as soon as it is seen") {
    for (std::size_t at = 0; at < 4; ++at) {
        auto bad = record_hi;
        bad[at] = std::byte{'X'};
        for (std::size_t k = at + 1; k <= bad.size(); ++k) {
            CHECK(decode_record(std::span<const std::byte>{bad}.first(k)).status ==
                  record_status::bad_magic);
        }
        CHECK(decode_record(std::span<const std::byte>{bad}.first(at)).status ==
              record_status::need_more);
    }
}

TEST_CASE("record: a length over max_payload is refused with the header") {
    auto bad = record_hi;
    bad[12] = std::byte{0x00};
    bad[13] = std::byte{0x00};
    bad[14] = std::byte{0x10};
    bad[15] = std::byte{0x01};  // 4097
    CHECK(decode_record(std::span<const std::byte>{bad}.first(15)).status ==
          record_status::need_more);
    CHECK(decode_record(std::span<const std::byte>{bad}.first(16)).status ==
          record_status::bad_length);
    bad[12] = std::byte{0xFF};  // a 32-bit length near 4 GiB: refused, not awaited
    CHECK(decode_record(bad).status == record_status::bad_length);
}

TEST_CASE("record: any flipped bit after the magic is a bad CRC (or a bad length)") {
    for (std::size_t at = 4; at < record_hi.size(); ++at) {
        for (int bit = 0; bit < 8; ++bit) {
            auto bad = record_hi;
            bad[at] ^= static_cast<std::byte>(1U << bit);
            const auto r = decode_record(bad);
            CHECK(r.consumed == 0);
            if (at >= 12 && at < 16) {
                // A changed length: longer (need more, bad length) or shorter (bad CRC).
                CHECK(r.status != record_status::ok);
            } else {
                CHECK(r.status == record_status::bad_crc);
            }
        }
    }
}
