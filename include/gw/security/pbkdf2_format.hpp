#pragma once
// The stored form of a password hash, in the PHC string format:
//
//   $pbkdf2-sha256$i=<iterations>$<salt>$<key>
//
// salt and key in base64 (standard alphabet, no padding), key 32 bytes (SHA-256's output),
// salt 16 to 64 bytes (gw writes 16). Parsing and formatting only: no crypto, no heap, no
// exceptions, so the parser can be fuzzed under the core's constraints without wolfSSL
// (gw/security/password_hash.hpp does the hashing).
//
// The parser accepts only the canonical text: iterations in decimal without leading zeros,
// base64 without padding and with zero trailing bits. Every stored hash then has exactly one
// spelling, which the fuzzer checks by formatting what it parsed.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gw::security {

inline constexpr std::uint32_t min_pbkdf2_iterations = 600'000;
/// The most a stored hash may ask: a hash file someone edited must not make a login cost hours.
inline constexpr std::uint32_t max_pbkdf2_iterations = 10'000'000;

inline constexpr std::size_t pbkdf2_key_size = 32;
inline constexpr std::size_t pbkdf2_salt_size = 16;  ///< what hash_password writes
inline constexpr std::size_t pbkdf2_min_salt_size = 16;
inline constexpr std::size_t pbkdf2_max_salt_size = 64;

inline constexpr std::string_view pbkdf2_prefix = "$pbkdf2-sha256$i=";

/// base64 characters for n bytes without padding.
constexpr std::size_t base64_length(std::size_t n) noexcept {
    return (n * 4 + 2) / 3;
}

/// The longest hash text the parser accepts (and the formatter writes).
inline constexpr std::size_t pbkdf2_max_encoded_size =
    pbkdf2_prefix.size() + 8 /* digits of max_pbkdf2_iterations */ + 1 +
    base64_length(pbkdf2_max_salt_size) + 1 + base64_length(pbkdf2_key_size);

struct parsed_hash {
    std::uint32_t iterations = 0;
    std::array<std::uint8_t, pbkdf2_max_salt_size> salt{};
    std::size_t salt_size = 0;
    std::array<std::uint8_t, pbkdf2_key_size> key{};

    std::span<const std::uint8_t> salt_bytes() const noexcept { return {salt.data(), salt_size}; }
};

namespace detail {

inline constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/// Decodes unpadded base64 into `out`; the number of bytes, or nullopt if `text` is not the
/// canonical encoding of at most out.size() bytes.
constexpr std::optional<std::size_t> decode_base64(std::string_view text,
                                                   std::span<std::uint8_t> out) noexcept {
    if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
    const std::size_t n = text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
    if (n > out.size()) return std::nullopt;
    std::uint32_t bits = 0;
    unsigned held = 0;
    std::size_t at = 0;
    for (const char c : text) {
        const int v = base64_value(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        held += 6;
        if (held >= 8) {
            held -= 8;
            out[at++] = static_cast<std::uint8_t>((bits >> held) & 0xFFU);
        }
    }
    // Left-over bits must be zero: otherwise two texts would decode to the same bytes.
    if ((bits & ((1U << held) - 1U)) != 0) return std::nullopt;
    return at;
}

/// Writes the unpadded base64 of `in` at out[at...]; the position after it. `out` must have room.
constexpr std::size_t encode_base64(std::span<const std::uint8_t> in, std::span<char> out,
                                    std::size_t at) noexcept {
    std::uint32_t bits = 0;
    unsigned held = 0;
    for (const auto b : in) {
        bits = (bits << 8) | b;
        held += 8;
        while (held >= 6) {
            held -= 6;
            out[at++] = base64_alphabet[(bits >> held) & 0x3FU];
        }
    }
    if (held > 0) out[at++] = base64_alphabet[(bits << (6 - held)) & 0x3FU];
    return at;
}

}  // namespace detail

/// Reads a stored hash. Any bytes may come in (the text is read from a file); nullopt unless it
/// is the canonical form above with 1..max_pbkdf2_iterations iterations. Fewer iterations than
/// min_pbkdf2_iterations parse: an older, weaker hash must still verify so that it can be
/// upgraded at the next login (needs_rehash).
constexpr std::optional<parsed_hash> parse_pbkdf2_hash(std::string_view text) noexcept {
    if (text.size() > pbkdf2_max_encoded_size) return std::nullopt;
    if (text.substr(0, pbkdf2_prefix.size()) != pbkdf2_prefix) return std::nullopt;
    text.remove_prefix(pbkdf2_prefix.size());

    parsed_hash h;
    std::size_t digits = 0;
    std::uint64_t iterations = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        iterations = iterations * 10 + static_cast<std::uint64_t>(text[digits] - '0');
        if (++digits > 8 || iterations > max_pbkdf2_iterations) return std::nullopt;
    }
    if (digits == 0 || text[0] == '0') return std::nullopt;  // empty, zero or a leading zero
    h.iterations = static_cast<std::uint32_t>(iterations);
    text.remove_prefix(digits);

    if (text.empty() || text[0] != '$') return std::nullopt;
    text.remove_prefix(1);
    const auto dollar = text.find('$');
    if (dollar == std::string_view::npos) return std::nullopt;
    const auto salt = detail::decode_base64(text.substr(0, dollar), h.salt);
    if (!salt || *salt < pbkdf2_min_salt_size) return std::nullopt;
    h.salt_size = *salt;

    const auto key_text = text.substr(dollar + 1);
    if (key_text.size() != base64_length(pbkdf2_key_size)) return std::nullopt;
    const auto key = detail::decode_base64(key_text, h.key);
    if (!key || *key != pbkdf2_key_size) return std::nullopt;
    return h;
}

/// Writes `h` in the canonical form into `out` (pbkdf2_max_encoded_size chars suffice); the
/// length written, or 0 if `h` is not a hash the parser would accept or `out` is too small.
constexpr std::size_t format_pbkdf2_hash(const parsed_hash& h, std::span<char> out) noexcept {
    if (h.iterations == 0 || h.iterations > max_pbkdf2_iterations ||
        h.salt_size < pbkdf2_min_salt_size || h.salt_size > pbkdf2_max_salt_size) {
        return 0;
    }
    std::array<char, 8> digits{};
    std::size_t n = 0;
    for (auto v = h.iterations; v != 0; v /= 10)
        digits[n++] = static_cast<char>('0' + v % 10);
    const std::size_t size = pbkdf2_prefix.size() + n + 1 + base64_length(h.salt_size) + 1 +
                             base64_length(pbkdf2_key_size);
    if (out.size() < size) return 0;
    std::size_t at = 0;
    for (const char c : pbkdf2_prefix)
        out[at++] = c;
    while (n > 0)
        out[at++] = digits[--n];
    out[at++] = '$';
    at = detail::encode_base64(h.salt_bytes(), out, at);
    out[at++] = '$';
    return detail::encode_base64(h.key, out, at);
}

}  // namespace gw::security
