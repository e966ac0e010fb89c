#pragma once
// Secrets sealed with a passphrase (a backup's private keys and password hashes): the key is
// PBKDF2-HMAC-SHA256 of the passphrase with a random 16-byte salt (600,000 iterations, as
// passwords), the cipher AES-256-GCM with a random 12-byte nonce and a 16-byte tag over the
// ciphertext and a label (associated data) that names what is sealed. A wrong passphrase, a
// changed byte or a different label fails open() with the same answer: nothing is decrypted
// that was not sealed so.
//
// Blocking for about half a second (the key derivation): call it off the io thread.

#include <gw/security/password_hash.hpp>

#include <wolfssl/options.h>  // first: wolfCrypt's headers depend on the build's settings

#include <wolfssl/wolfcrypt/aes.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gw::security {

inline constexpr std::size_t sealed_salt_size = 16;
inline constexpr std::size_t sealed_nonce_size = 12;
inline constexpr std::size_t sealed_tag_size = 16;
/// The most a sealed box holds (a backup's secrets are a few KiB).
inline constexpr std::size_t max_sealed_size = 1024 * 1024;

struct sealed_box {
    std::uint32_t iterations = min_pbkdf2_iterations;
    std::array<std::uint8_t, sealed_salt_size> salt{};
    std::array<std::uint8_t, sealed_nonce_size> nonce{};
    std::vector<std::uint8_t> ciphertext;
    std::array<std::uint8_t, sealed_tag_size> tag{};
};

namespace detail {

inline bool box_key(std::string_view passphrase, const sealed_box& box,
                    std::array<std::uint8_t, pbkdf2_key_size>& key) noexcept {
    static_assert(pbkdf2_key_size == 32, "AES-256 wants a 32-byte key");
    return pbkdf2_sha256(passphrase, box.salt, box.iterations, key);
}

/// An AES context that is freed on every path.
struct aes_holder {
    Aes aes{};
    bool ready = false;
    aes_holder() noexcept { ready = wc_AesInit(&aes, nullptr, INVALID_DEVID) == 0; }
    ~aes_holder() {
        if (ready) wc_AesFree(&aes);
    }
    aes_holder(const aes_holder&) = delete;
    aes_holder& operator=(const aes_holder&) = delete;
};

}  // namespace detail

/// `plaintext` sealed under `passphrase` with `label` as associated data; nullopt if the DRBG,
/// the key derivation or the cipher failed, or the input is too large.
inline std::optional<sealed_box> seal(std::string_view plaintext, std::string_view passphrase,
                                      std::string_view label,
                                      std::uint32_t iterations = min_pbkdf2_iterations) {
    if (plaintext.size() > max_sealed_size || iterations < min_pbkdf2_iterations)
        return std::nullopt;
    sealed_box box;
    box.iterations = iterations;
    if (!detail::random_bytes(box.salt) || !detail::random_bytes(box.nonce)) return std::nullopt;
    std::array<std::uint8_t, pbkdf2_key_size> key{};
    if (!detail::box_key(passphrase, box, key)) return std::nullopt;
    detail::aes_holder a;
    box.ciphertext.resize(plaintext.size());
    const bool ok =
        a.ready && wc_AesGcmSetKey(&a.aes, key.data(), static_cast<word32>(key.size())) == 0 &&
        wc_AesGcmEncrypt(
            &a.aes, box.ciphertext.data(), reinterpret_cast<const byte*>(plaintext.data()),
            static_cast<word32>(plaintext.size()), box.nonce.data(),
            static_cast<word32>(box.nonce.size()), box.tag.data(),
            static_cast<word32>(box.tag.size()), reinterpret_cast<const byte*>(label.data()),
            static_cast<word32>(label.size())) == 0;
    detail::wipe(key);
    if (!ok) return std::nullopt;
    return box;
}

/// The plaintext of `box`, or nullopt: a wrong passphrase, another label, a changed byte, or
/// parameters out of range.
inline std::optional<std::string> open(const sealed_box& box, std::string_view passphrase,
                                       std::string_view label) {
    if (box.ciphertext.size() > max_sealed_size || box.iterations < min_pbkdf2_iterations ||
        box.iterations > max_pbkdf2_iterations)
        return std::nullopt;
    std::array<std::uint8_t, pbkdf2_key_size> key{};
    if (!detail::box_key(passphrase, box, key)) return std::nullopt;
    detail::aes_holder a;
    std::string plain(box.ciphertext.size(), '\0');
    const bool ok =
        a.ready && wc_AesGcmSetKey(&a.aes, key.data(), static_cast<word32>(key.size())) == 0 &&
        wc_AesGcmDecrypt(&a.aes, reinterpret_cast<byte*>(plain.data()), box.ciphertext.data(),
                         static_cast<word32>(box.ciphertext.size()), box.nonce.data(),
                         static_cast<word32>(box.nonce.size()), box.tag.data(),
                         static_cast<word32>(box.tag.size()),
                         reinterpret_cast<const byte*>(label.data()),
                         static_cast<word32>(label.size())) == 0;
    detail::wipe(key);
    if (!ok) return std::nullopt;
    return plain;
}

}  // namespace gw::security
