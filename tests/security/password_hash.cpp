// tests include/gw/security/password_hash.hpp: PBKDF2-HMAC-SHA256 hashes in the PHC format,
// their verification against known answers, the upgrade path and the decoy.
#include <gw/security/password_hash.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <string_view>

using namespace gw::security;

namespace {

// Fast enough to check many cases; one test below runs the default.
constexpr pbkdf2_parameters quick{1000};

// Known answers computed by Python's hashlib.pbkdf2_hmac and base64 (not by wolfCrypt):
// RFC 7914's vector, and "correct horse" with salt bytes 0..15 at the default 600,000.
constexpr std::string_view rfc_hash =
    "$pbkdf2-sha256$i=4096$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$"
    "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+E";
constexpr std::string_view default_hash =
    "$pbkdf2-sha256$i=600000$AAECAwQFBgcICQoLDA0ODw$lqWQTC4IyNpCMF28xdfPGOrSY21J9ZUmtgbyZpYoFHM";

}  // namespace

TEST_CASE("verify_password agrees with an independent PBKDF2-HMAC-SHA256") {
    CHECK(verify_password("passwordPASSWORDpassword", rfc_hash));
    CHECK_FALSE(verify_password("passwordPASSWORDpassworD", rfc_hash));
    CHECK_FALSE(verify_password("", rfc_hash));
}

TEST_CASE("at the default parameters: the format, verification and a known answer") {
    const auto h = hash_password("correct horse battery staple");
    REQUIRE_FALSE(h.empty());
    CHECK(h.starts_with("$pbkdf2-sha256$i=600000$"));
    const auto parsed = parse_pbkdf2_hash(h);
    REQUIRE(parsed.has_value());
    CHECK(parsed->salt_size == 16);
    CHECK(verify_password("correct horse battery staple", h));
    CHECK_FALSE(needs_rehash(h));
    CHECK(verify_password("correct horse", default_hash));
}

TEST_CASE("a hash verifies its password and nothing else") {
    const auto h = hash_password("Tr0ub4dor&3", quick);
    REQUIRE_FALSE(h.empty());
    CHECK(verify_password("Tr0ub4dor&3", h));
    CHECK_FALSE(verify_password("tr0ub4dor&3", h));
    CHECK_FALSE(verify_password("Tr0ub4dor&", h));
    CHECK_FALSE(verify_password("Tr0ub4dor&3 ", h));
    CHECK_FALSE(verify_password("", h));
    // Bytes after a NUL count: the password is a string_view, not a C string.
    const std::string with_nul("ab\0cd", 5);
    const auto n = hash_password(with_nul, quick);
    CHECK(verify_password(with_nul, n));
    CHECK_FALSE(verify_password("ab", n));
    // Passphrases of any length, UTF-8 included.
    const std::string long_one(1024, 'x');
    CHECK(verify_password(long_one, hash_password(long_one, quick)));
    CHECK(verify_password("pässwörd ünd mehr", hash_password("pässwörd ünd mehr", quick)));
}

TEST_CASE("each hash has its own salt") {
    std::set<std::string> seen;
    for (int i = 0; i < 8; ++i) {
        const auto h = hash_password("same password", quick);
        REQUIRE_FALSE(h.empty());
        CHECK(verify_password("same password", h));
        seen.insert(h);
    }
    CHECK(seen.size() == 8);
}

TEST_CASE("an edited hash does not verify") {
    const auto h = hash_password("secret words", quick);
    REQUIRE_FALSE(h.empty());
    const auto key_at = h.rfind('$') + 1;
    const auto salt_at = h.rfind('$', key_at - 2) + 1;
    for (const auto at : {key_at, key_at + 20, salt_at, salt_at + 5}) {
        std::string edited = h;
        edited[at] = edited[at] == 'A' ? 'B' : 'A';
        CAPTURE(edited);
        CHECK_FALSE(verify_password("secret words", edited));
    }
    // The same salt and key at another iteration count is another hash.
    std::string other = h;
    other.replace(other.find("i=1000"), 6, "i=1001");
    CHECK_FALSE(verify_password("secret words", other));
}

TEST_CASE("malformed or out-of-range hashes are refused, and need a rehash") {
    for (const std::string_view bad :
         {std::string_view{}, std::string_view{"$pbkdf2-sha256$"}, std::string_view{"plain"},
          std::string_view{"$pbkdf2-sha256$i=10000001$AAECAwQFBgcICQoLDA0ODw$"
                           "lqWQTC4IyNpCMF28xdfPGOrSY21J9ZUmtgbyZpYoFHM"},
          std::string_view{"$pbkdf2-sha256$i=0$AAECAwQFBgcICQoLDA0ODw$"
                           "lqWQTC4IyNpCMF28xdfPGOrSY21J9ZUmtgbyZpYoFHM"}}) {
        CAPTURE(bad);
        CHECK_FALSE(verify_password("correct horse", bad));
        CHECK(needs_rehash(bad));
    }
}

TEST_CASE("needs_rehash: fewer iterations than asked, the upgrade path") {
    const auto weak = hash_password("upgrade me", quick);
    REQUIRE_FALSE(weak.empty());
    CHECK(needs_rehash(weak));  // against the defaults
    CHECK_FALSE(needs_rehash(weak, quick));
    CHECK(needs_rehash(weak, pbkdf2_parameters{1001}));
    CHECK_FALSE(needs_rehash(default_hash));
    CHECK(needs_rehash(default_hash, pbkdf2_parameters{600'001}));
    // The old hash still verifies: that is what lets the login replace it.
    CHECK(verify_password("upgrade me", weak));
}

TEST_CASE("hash_password refuses parameters a verifier would refuse") {
    CHECK(hash_password("x", pbkdf2_parameters{0}).empty());
    CHECK(hash_password("x", pbkdf2_parameters{max_pbkdf2_iterations + 1}).empty());
}

TEST_CASE("the decoy is a valid default-strength hash, the same object each time") {
    const auto& d = decoy_hash();
    CHECK(&d == &decoy_hash());
    const auto parsed = parse_pbkdf2_hash(d);
    REQUIRE(parsed.has_value());
    CHECK(parsed->iterations == pbkdf2_parameters{}.iterations);
    CHECK_FALSE(needs_rehash(d));
    CHECK_FALSE(verify_password("", d));
    CHECK_FALSE(verify_password("password", d));
}
