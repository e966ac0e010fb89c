// tests include/gw/security/password_policy.hpp: length in code points, the blocklist, the
// account name, the optional character classes, and UTF-8 checking.
#include <gw/security/password_policy.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gw::security;

TEST_CASE("the default policy: at least 8 characters, not common, not the account name") {
    const password_policy p;
    CHECK(check_password(p, "plover-granite-7", "alice") == "");
    CHECK(check_password(p, "short", "alice") == "must have at least 8 characters");
    CHECK(check_password(p, "", "alice") == "must have at least 8 characters");
    CHECK(check_password(p, "password", "alice") == "is one of the most common passwords");
    CHECK(check_password(p, "PassWord123", "alice") == "is one of the most common passwords");
    CHECK(check_password(p, "xxalicexx", "alice") == "must not contain the account name");
    CHECK(check_password(p, "my-ALICE-pw", "Alice") == "must not contain the account name");
}

TEST_CASE("min_length is the policy's, clamped to 8..256") {
    password_policy p;
    p.min_length = 12;
    CHECK(check_password(p, "elevenchars", "bob") == "must have at least 12 characters");
    CHECK(check_password(p, "twelve chars", "bob") == "");
    p.min_length = 2;  // cannot weaken below 8
    CHECK(check_password(p, "seven77", "bob") == "must have at least 8 characters");
    p.min_length = 10'000;
    CHECK(check_password(p, std::string(256, 'q'), "bob") == "");
    CHECK(check_password(p, std::string(255, 'q'), "bob") == "must have at least 256 characters");
}

TEST_CASE("lengths count code points, and both code points and bytes are bounded") {
    const password_policy p;
    // Seven two-byte characters: 14 bytes but 7 characters.
    CHECK(check_password(p, "ééééééé", "bob") == "must have at least 8 characters");
    CHECK(check_password(p, "éééééééé", "bob") == "");
    CHECK(check_password(p, std::string(256, 'k'), "bob") == "");
    CHECK(check_password(p, std::string(257, 'k'), "bob") == "must have at most 256 characters");
    // 256 four-byte characters: 256 code points, exactly 1024 bytes.
    std::string emoji;
    for (int i = 0; i < 256; ++i)
        emoji += "\xF0\x9F\x94\x91";
    CHECK(check_password(p, emoji, "bob") == "");
    CHECK(check_password(p, emoji + "\xF0\x9F\x94\x91", "bob") ==
          "must have at most 256 characters");
}

TEST_CASE("invalid UTF-8 and control characters are refused") {
    const password_policy p;
    for (const std::string& bad : {
             std::string("abcdefgh\xFF"),              // never in UTF-8
             std::string("abcdefgh\x80"),              // a continuation byte first
             std::string("abcdefgh\xC3"),              // truncated
             std::string("abcdefgh\xC0\xAF"),          // overlong '/'
             std::string("abcdefgh\xE0\x80\xAF"),      // overlong, three bytes
             std::string("abcdefgh\xED\xA0\x80"),      // a UTF-16 surrogate
             std::string("abcdefgh\xF4\x90\x80\x80"),  // above U+10FFFF
             std::string("abcdefgh\xC3\x28"),          // bad continuation
         }) {
        CAPTURE(bad);
        CHECK(check_password(p, bad, "bob") == "is not valid UTF-8");
    }
    CHECK(check_password(p, std::string("abcd\0efgh", 9), "bob") ==
          "must not contain control characters");
    CHECK(check_password(p, "abcd\tefgh", "bob") == "must not contain control characters");
    CHECK(check_password(p,
                         "abcd\x7F"
                         "efgh",
                         "bob") == "must not contain control characters");
    CHECK(check_password(p,
                         "abcd\xC2\x85"
                         "efgh",
                         "bob") ==  // U+0085, a C1 control
          "must not contain control characters");
    CHECK(check_password(p,
                         "\xF4\x8F\xBF\xBF"
                         "abcdefgh",
                         "bob") == "");  // U+10FFFF
}

TEST_CASE("optional character classes") {
    password_policy p;
    p.require_upper = true;
    CHECK(check_password(p, "plover granite", "bob") == "must contain a capital letter");
    CHECK(check_password(p, "Plover granite", "bob") == "");
    p.require_lower = true;
    CHECK(check_password(p, "PLOVER GRANITE", "bob") == "must contain a small letter");
    p.require_digit = true;
    CHECK(check_password(p, "Plover granite", "bob") == "must contain a digit");
    CHECK(check_password(p, "Plover granite 9", "bob") == "");
    p.require_symbol = true;
    CHECK(check_password(p, "PloverGranite9", "bob") == "must contain a symbol");
    CHECK(check_password(p, "PloverGranite9!", "bob") == "");
    CHECK(check_password(p, "PloverGranite9é", "bob") == "");  // non-ASCII counts as a symbol
}

TEST_CASE("short account names are not looked for") {
    const password_policy p;
    CHECK(check_password(p, "abacus-lantern", "ab") == "");
    CHECK(check_password(p, "abacus-lantern", "") == "");
    CHECK(check_password(p, "abacus-lantern", "lan") == "must not contain the account name");
}

TEST_CASE("the blocklist: sorted lookup, case-insensitive, whole strings only") {
    CHECK(is_common_password("123456"));
    CHECK(is_common_password("qwerty"));
    CHECK(is_common_password("QWERTY"));
    CHECK(is_common_password("iloveyou"));
    CHECK(is_common_password("admin"));
    CHECK(is_common_password("moxa"));
    CHECK(is_common_password("P@ssw0rd"));
    // The first and last entries: an off-by-one in the search would miss them.
    CHECK(is_common_password(detail::common_passwords[0]));
    CHECK(is_common_password(std::end(detail::common_passwords)[-1]));
    CHECK(std::size(detail::common_passwords) >= 300);
    CHECK_FALSE(is_common_password(""));
    CHECK_FALSE(is_common_password("password-of-mine"));
    CHECK_FALSE(is_common_password("passwor"));
    CHECK_FALSE(is_common_password(std::string(300, 'a')));
    // Every entry is found, whatever its case.
    for (const auto w : detail::common_passwords) {
        std::string upper(w);
        for (auto& c : upper)
            c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        CAPTURE(w);
        CHECK(is_common_password(upper));
    }
    static_assert(is_common_password("letmein"));
}

TEST_CASE("policies compare by value") {
    password_policy a, b;
    CHECK(a == b);
    b.history = 5;
    CHECK_FALSE(a == b);
}
