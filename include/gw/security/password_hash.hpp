#pragma once
// Password hashing for the management plane's accounts: PBKDF2-HMAC-SHA256 (wolfCrypt), stored
// in the PHC string format of gw/security/pbkdf2_format.hpp:
//
//   $pbkdf2-sha256$i=600000$<16-byte salt, base64>$<32-byte key, base64>
//
// The iteration count travels with each hash, so raising it later breaks nothing: old hashes
// still verify, and needs_rehash() says which to replace after a successful login.
//
// Slow by design (hundreds of milliseconds at the default): call it from a worker thread
// (gw/security/work_queue.hpp), never the io thread. Thread-safe: no shared state except
// decoy_hash()'s, which is built once.

#include <wolfssl/options.h>  // first: wolfCrypt's headers depend on the build's settings

#include <wolfssl/wolfcrypt/pwdbased.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <gw/security/pbkdf2_format.hpp>

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gw::security {

/// OWASP's current figure for PBKDF2-HMAC-SHA256.
struct pbkdf2_parameters {
    std::uint32_t iterations = 600'000;
};

namespace detail {

/// Clears secrets the compiler would otherwise drop as dead stores.
inline void wipe(std::span<std::uint8_t> bytes) noexcept {
    volatile std::uint8_t* p = bytes.data();
    for (std::size_t i = 0; i < bytes.size(); ++i)
        p[i] = 0;
}

/// Same time whatever bytes differ: a timing difference would tell how much of a key matched.
inline bool constant_time_equal(std::span<const std::uint8_t> a,
                                std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) return false;
    volatile std::uint8_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
    return diff == 0;
}

/// `out.size()` bytes from wolfCrypt's DRBG; false if it could not be seeded or run.
inline bool random_bytes(std::span<std::uint8_t> out) noexcept {
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) return false;
    const bool ok = wc_RNG_GenerateBlock(&rng, out.data(), static_cast<word32>(out.size())) == 0;
    wc_FreeRng(&rng);
    return ok;
}

inline bool pbkdf2_sha256(std::string_view password, std::span<const std::uint8_t> salt,
                          std::uint32_t iterations,
                          std::array<std::uint8_t, pbkdf2_key_size>& key) noexcept {
    if (password.size() > static_cast<std::size_t>(INT_MAX) || iterations == 0 ||
        iterations > max_pbkdf2_iterations) {
        return false;
    }
    return wc_PBKDF2(key.data(), reinterpret_cast<const byte*>(password.data()),
                     static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                     static_cast<int>(iterations), static_cast<int>(key.size()), WC_SHA256) == 0;
}

}  // namespace detail

/// A new hash of `password` with a fresh 16-byte salt; empty if the DRBG or PBKDF2 failed or
/// p.iterations is 0 or above max_pbkdf2_iterations. Fewer than min_pbkdf2_iterations is
/// accepted (tests use it), but such a hash needs_rehash() at the defaults.
inline std::string hash_password(std::string_view password, pbkdf2_parameters p = {}) {
    parsed_hash h;
    h.iterations = p.iterations;
    h.salt_size = pbkdf2_salt_size;
    if (!detail::random_bytes({h.salt.data(), h.salt_size}) ||
        !detail::pbkdf2_sha256(password, h.salt_bytes(), p.iterations, h.key)) {
        detail::wipe(h.key);
        return {};
    }
    std::array<char, pbkdf2_max_encoded_size> text{};
    const auto n = format_pbkdf2_hash(h, text);
    detail::wipe(h.key);
    return std::string(text.data(), n);
}

/// Whether `password` matches the stored hash `encoded`. false on any malformed text or
/// iterations out of 1..max_pbkdf2_iterations; the cost of a well-formed hash is PBKDF2's.
inline bool verify_password(std::string_view password, std::string_view encoded) noexcept {
    const auto h = parse_pbkdf2_hash(encoded);
    if (!h) return false;
    std::array<std::uint8_t, pbkdf2_key_size> key{};
    const bool ok = detail::pbkdf2_sha256(password, h->salt_bytes(), h->iterations, key) &&
                    detail::constant_time_equal(key, h->key);
    detail::wipe(key);
    return ok;
}

/// True when the stored hash is malformed or weaker than `p` (fewer iterations): after a
/// successful login, hash the password again and store the new hash.
inline bool needs_rehash(std::string_view encoded, pbkdf2_parameters p = {}) noexcept {
    const auto h = parse_pbkdf2_hash(encoded);
    return !h || h->iterations < p.iterations;
}

/// A valid hash, at the default parameters, of a random password nobody knows. Verifying a login
/// for an unknown account against it costs what a real verification costs, so the answer's
/// timing does not tell which accounts exist. Built on first use (thread-safe static).
inline const std::string& decoy_hash() {
    static const std::string hash = [] {
        std::array<std::uint8_t, 32> secret{};
        std::string h;
        if (detail::random_bytes(secret)) {
            h = hash_password(
                std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
        }
        detail::wipe(secret);
        if (h.empty()) {
            // No DRBG: a well-formed hash whose key no password is known to produce still costs a
            // full PBKDF2 per verification, which is what matters here.
            parsed_hash fixed;
            fixed.iterations = pbkdf2_parameters{}.iterations;
            fixed.salt_size = pbkdf2_salt_size;
            std::array<char, pbkdf2_max_encoded_size> text{};
            h.assign(text.data(), format_pbkdf2_hash(fixed, text));
        }
        return h;
    }();
    return hash;
}

}  // namespace gw::security
