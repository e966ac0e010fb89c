// Sealing a backup's secrets with a passphrase: what is sealed opens with the same passphrase
// and label, and with nothing else; every changed byte is refused.
#include <gw/security/sealed_box.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("sealed box: opens with the passphrase and label it was sealed with, only") {
    const std::string secret = R"({"accounts":"...","imported.key":"-----BEGIN PRIVATE KEY-----"})";
    const auto box = gw::security::seal(secret, "correct horse battery staple", "gw-backup-v1");
    REQUIRE(box);
    CHECK(box->iterations == gw::security::min_pbkdf2_iterations);
    CHECK(box->ciphertext.size() == secret.size());
    CHECK(std::string(box->ciphertext.begin(), box->ciphertext.end()) != secret);
    CHECK(gw::security::open(*box, "correct horse battery staple", "gw-backup-v1") == secret);
    CHECK_FALSE(gw::security::open(*box, "correct horse battery stapler", "gw-backup-v1"));
    CHECK_FALSE(gw::security::open(*box, "correct horse battery staple", "gw-backup-v2"));

    // One flipped bit anywhere: ciphertext, tag, nonce or salt.
    auto changed = *box;
    changed.ciphertext[3] ^= 0x01;
    CHECK_FALSE(gw::security::open(changed, "correct horse battery staple", "gw-backup-v1"));
    changed = *box;
    changed.tag[15] ^= 0x80;
    CHECK_FALSE(gw::security::open(changed, "correct horse battery staple", "gw-backup-v1"));
    changed = *box;
    changed.nonce[0] ^= 0x01;
    CHECK_FALSE(gw::security::open(changed, "correct horse battery staple", "gw-backup-v1"));
    changed = *box;
    changed.salt[0] ^= 0x01;
    CHECK_FALSE(gw::security::open(changed, "correct horse battery staple", "gw-backup-v1"));
    // Iterations below the floor are refused before any work (an attacker's cheap box).
    changed = *box;
    changed.iterations = 1000;
    CHECK_FALSE(gw::security::open(changed, "correct horse battery staple", "gw-backup-v1"));
}

TEST_CASE("sealed box: two seals of the same secret differ (salt and nonce are fresh)") {
    const auto a = gw::security::seal("same", "passphrase one", "l");
    const auto b = gw::security::seal("same", "passphrase one", "l");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->salt != b->salt);
    CHECK(a->nonce != b->nonce);
    CHECK(a->ciphertext != b->ciphertext);
    CHECK_FALSE(gw::security::seal("x", "p", "l", 1000));  // below the iteration floor
}
