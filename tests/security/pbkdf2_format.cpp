// tests include/gw/security/pbkdf2_format.hpp: the PHC text of a stored hash, canonical only.
#include <gw/security/pbkdf2_format.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

using namespace gw::security;

namespace {

// RFC 7914 section 11's PBKDF2-HMAC-SHA256 vector (4096 iterations, a 36-byte salt, the first
// 32 bytes of its key), written by Python's hashlib and base64, not by the code under test.
constexpr std::string_view rfc_hash =
    "$pbkdf2-sha256$i=4096$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$"
    "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+E";

std::string format(const parsed_hash& h) {
    std::array<char, pbkdf2_max_encoded_size> out{};
    return {out.data(), format_pbkdf2_hash(h, out)};
}

std::string with(std::string_view iterations, std::string_view salt, std::string_view key) {
    return std::string(pbkdf2_prefix) + std::string(iterations) + "$" + std::string(salt) + "$" +
           std::string(key);
}

constexpr std::string_view salt16 = "AAECAwQFBgcICQoLDA0ODw";  // bytes 0..15
constexpr std::string_view key32 = "lqWQTC4IyNpCMF28xdfPGOrSY21J9ZUmtgbyZpYoFHM";

}  // namespace

TEST_CASE("a known hash parses into its fields and formats back to the same text") {
    const auto h = parse_pbkdf2_hash(rfc_hash);
    REQUIRE(h.has_value());
    CHECK(h->iterations == 4096);
    REQUIRE(h->salt_size == 36);
    CHECK(std::string_view(reinterpret_cast<const char*>(h->salt.data()), h->salt_size) ==
          "saltSALTsaltSALTsaltSALTsaltSALTsalt");
    const std::array<std::uint8_t, 4> key_start{0x34, 0x8c, 0x89, 0xdb};
    CHECK(std::equal(key_start.begin(), key_start.end(), h->key.begin()));
    CHECK(h->key[31] == 0xe1);
    CHECK(format(*h) == rfc_hash);
}

TEST_CASE("base64 matches RFC 4648 without padding") {
    std::array<char, 8> out{};
    const std::array<std::uint8_t, 3> foo{'f', 'o', 'o'};
    CHECK(std::string_view(out.data(), detail::encode_base64(std::span(foo).first(1), out, 0)) ==
          "Zg");
    CHECK(std::string_view(out.data(), detail::encode_base64(std::span(foo).first(2), out, 0)) ==
          "Zm8");
    CHECK(std::string_view(out.data(), detail::encode_base64(foo, out, 0)) == "Zm9v");
    std::array<std::uint8_t, 3> back{};
    CHECK(detail::decode_base64("Zm8", back) == std::optional<std::size_t>{2});
    CHECK(back[1] == 'o');
}

TEST_CASE("the iteration count is decimal, canonical and in 1..max") {
    CHECK(parse_pbkdf2_hash(with("1", salt16, key32)).has_value());
    CHECK(parse_pbkdf2_hash(with("600000", salt16, key32))->iterations == 600'000);
    CHECK(parse_pbkdf2_hash(with("10000000", salt16, key32))->iterations == max_pbkdf2_iterations);
    CHECK_FALSE(parse_pbkdf2_hash(with("10000001", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("99999999999999999999", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("0", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("0600000", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("+5", salt16, key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("60x", salt16, key32)));
}

TEST_CASE("salt and key must be canonical base64 of the right sizes") {
    CHECK(parse_pbkdf2_hash(with("1", salt16, key32)).has_value());
    CHECK_FALSE(parse_pbkdf2_hash(with("1", "", key32)));
    CHECK_FALSE(parse_pbkdf2_hash(with("1", "AAECAwQFBgcICQoLDA0O", key32)));      // 15 bytes
    CHECK_FALSE(parse_pbkdf2_hash(with("1", std::string(salt16) + "==", key32)));  // padding
    CHECK_FALSE(parse_pbkdf2_hash(with("1", "AAECAwQFBgcICQoLDA0ODx", key32)));    // bits left
    CHECK_FALSE(parse_pbkdf2_hash(with("1", "AAECAwQFBgcICQoLDA0OD", key32)));     // 4n+1 chars
    CHECK_FALSE(parse_pbkdf2_hash(with("1", "AAECAwQFBgcI-QoLDA0ODw", key32)));    // url alphabet
    CHECK_FALSE(parse_pbkdf2_hash(with("1", std::string(88, 'A'), key32)));        // 66 bytes
    CHECK(parse_pbkdf2_hash(with("1", std::string(86, 'A'), key32))->salt_size == 64);
    CHECK_FALSE(parse_pbkdf2_hash(with("1", salt16, key32.substr(1))));
    CHECK_FALSE(parse_pbkdf2_hash(with("1", salt16, std::string(key32) + "A")));
    CHECK_FALSE(parse_pbkdf2_hash(with("1", salt16, std::string(key32) + "$")));
    CHECK_FALSE(
        parse_pbkdf2_hash(with("1", salt16, "lqWQTC4IyNpCMF28xdfPGOrSY21J9ZUmtgbyZpYoFHN")));
}

TEST_CASE("other algorithms, truncations and stray bytes are refused") {
    const std::string good = with("1", salt16, key32);
    CHECK_FALSE(parse_pbkdf2_hash(""));
    CHECK_FALSE(
        parse_pbkdf2_hash("$pbkdf2-sha512$i=1$" + std::string(salt16) + "$" + std::string(key32)));
    CHECK_FALSE(parse_pbkdf2_hash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA"));
    for (std::size_t n = 0; n < good.size(); ++n) {
        CAPTURE(n);
        CHECK_FALSE(parse_pbkdf2_hash(std::string_view(good).substr(0, n)));
    }
    CHECK_FALSE(parse_pbkdf2_hash(good + "\n"));
    CHECK_FALSE(parse_pbkdf2_hash(" " + good));
    std::string nul = good;
    nul[20] = '\0';
    CHECK_FALSE(parse_pbkdf2_hash(nul));
}

TEST_CASE("formatting refuses what the parser would refuse") {
    parsed_hash h;
    h.iterations = 5;
    h.salt_size = 16;
    CHECK(parse_pbkdf2_hash(format(h)).has_value());
    h.iterations = 0;
    CHECK(format(h).empty());
    h.iterations = max_pbkdf2_iterations + 1;
    CHECK(format(h).empty());
    h.iterations = 1;
    h.salt_size = 15;
    CHECK(format(h).empty());
    h.salt_size = 64;
    CHECK(format(h).size() == pbkdf2_max_encoded_size - 7);  // i=1: seven digits fewer than 8
    std::array<char, 10> small{};
    CHECK(format_pbkdf2_hash(h, small) == 0);
}
