// libFuzzer harness for parse_pbkdf2_hash (include/gw/security/pbkdf2_format.hpp), the parser
// verify_password runs on a stored hash read from a file. Fuzzing verify_password itself would
// spend each run in up to 10,000,000 PBKDF2 iterations; the parser is where malformed bytes go,
// and it needs no wolfSSL (the fuzz build is core-only). Properties:
//  - an accepted text has iterations in 1..max and a salt of 16..64 bytes, and formatting what
//    was parsed gives back the very same text (one spelling per hash);
//  - fields built from the input, when the formatter accepts them, parse back to equal fields.
// Build: $CXX $CXXFLAGS -std=c++20 -Iinclude fuzz/password_hash/password_hash_fuzzer.cpp
//        $LIB_FUZZING_ENGINE

#include <gw/security/pbkdf2_format.hpp>

#include "../common/fuzz_support.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace sec = gw::security;

void round_trip_text(std::string_view text) {
    const auto h = sec::parse_pbkdf2_hash(text);
    if (!h) return;
    GW_FUZZ_CHECK(h->iterations >= 1 && h->iterations <= sec::max_pbkdf2_iterations);
    GW_FUZZ_CHECK(h->salt_size >= sec::pbkdf2_min_salt_size &&
                  h->salt_size <= sec::pbkdf2_max_salt_size);
    std::array<char, sec::pbkdf2_max_encoded_size> out{};
    const auto n = sec::format_pbkdf2_hash(*h, out);
    GW_FUZZ_CHECK(n == text.size());
    GW_FUZZ_CHECK(std::string_view(out.data(), n) == text);
}

void round_trip_fields(gw::fuzz::input_reader& in) {
    sec::parsed_hash h;
    h.iterations = static_cast<std::uint32_t>(in.u8()) << 16U | in.u16();
    if (in.flag()) h.iterations = sec::max_pbkdf2_iterations - in.u8() + 128U;  // at the bound
    h.salt_size = in.below(sec::pbkdf2_max_salt_size + 4);
    const auto salt = in.take(h.salt.size());
    for (std::size_t i = 0; i < salt.size(); ++i)
        h.salt[i] = salt[i];
    const auto key = in.take(h.key.size());
    for (std::size_t i = 0; i < key.size(); ++i)
        h.key[i] = key[i];

    std::array<char, sec::pbkdf2_max_encoded_size> out{};
    const auto n = sec::format_pbkdf2_hash(h, out);
    const bool valid = h.iterations >= 1 && h.iterations <= sec::max_pbkdf2_iterations &&
                       h.salt_size >= sec::pbkdf2_min_salt_size &&
                       h.salt_size <= sec::pbkdf2_max_salt_size;
    GW_FUZZ_CHECK((n != 0) == valid);
    if (n == 0) return;
    const auto back = sec::parse_pbkdf2_hash(std::string_view(out.data(), n));
    GW_FUZZ_CHECK(back.has_value());
    GW_FUZZ_CHECK(back->iterations == h.iterations);
    GW_FUZZ_CHECK(back->salt_size == h.salt_size);
    for (std::size_t i = 0; i < h.salt_size; ++i)
        GW_FUZZ_CHECK(back->salt[i] == h.salt[i]);
    GW_FUZZ_CHECK(back->key == h.key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    round_trip_text(std::string_view(reinterpret_cast<const char*>(data), size));
    gw::fuzz::input_reader in{data, size};
    round_trip_fields(in);
    return 0;
}
