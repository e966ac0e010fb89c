#pragma once
// The password policy of the management plane's accounts: length, optional character classes,
// the account name, a blocklist of the most common passwords, and the reuse history and lifetime
// the account store enforces. NIST SP 800-63B's advice is the default: length and the blocklist
// count, composition rules are off unless the operator's own rules ask for them.
//
// Lengths count Unicode code points, so a passphrase in any script is measured as the user sees
// it; the bytes are bounded too (max_password_length code points, at most 1024 bytes), because
// every byte is hashed. Passwords are not normalised: the same text typed on two systems that
// compose accents differently is two passwords.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::security {

inline constexpr std::size_t min_password_length = 8;    ///< the policy's min_length may be 8..256
inline constexpr std::size_t max_password_length = 256;  ///< code points
inline constexpr std::size_t max_password_bytes = 1024;
inline constexpr std::uint32_t max_password_history = 24;
/// An account name shorter than this is not looked for inside the password ("ab" would forbid
/// too many good passwords).
inline constexpr std::size_t min_account_name_in_password = 3;

struct password_policy {
    std::size_t min_length = 8;     ///< clamped to min_password_length..max_password_length
    bool require_upper = false;     ///< an ASCII capital letter
    bool require_lower = false;     ///< an ASCII small letter
    bool require_digit = false;     ///< 0-9
    bool require_symbol = false;    ///< anything that is not an ASCII letter or digit
    std::uint32_t history = 3;      ///< how many previous passwords may not be reused (0..24)
    std::chrono::days lifetime{0};  ///< 0: passwords do not expire
    std::chrono::days warn_before{14};
    friend bool operator==(const password_policy&, const password_policy&) = default;
};

namespace detail {

// The most common passwords of public breach corpora and devices' factory defaults, lower case,
// sorted (checked below) for binary search.
inline constexpr std::string_view common_passwords[] = {
    "0000",         "000000",        "00000000",     "000000000",    "0000000000",  "01011990",
    "01012000",     "0987654321",    "1111",         "11111",        "111111",      "11111111",
    "111111111",    "1111111111",    "112233",       "11223344",     "1122334455",  "121212",
    "12121212",     "123123",        "123123123",    "123321",       "1234",        "12344321",
    "12345",        "1234512345",    "1234554321",   "123456",       "1234567",     "12345678",
    "123456789",    "1234567890",    "1234567890a",  "12345678910",  "123456789a",  "123456789q",
    "12345678a",    "123456a",       "123456q",      "1234abcd",     "1234qwer",    "123654",
    "123qwe",       "131313",        "13131313",     "147258",       "147258369",   "159357",
    "159753",       "1q2w3e4r",      "1q2w3e4r5t",   "1q2w3e4r5t6y", "1qaz2wsx",    "1qaz2wsx3edc",
    "1qazxsw2",     "2000",          "222222",       "22222222",     "232323",      "333333",
    "33333333",     "44444444",      "5201314",      "520520",       "555555",      "55555555",
    "654321",       "666666",        "66666666",     "696969",       "696969696",   "7654321",
    "777777",       "7777777",       "77777777",     "8675309",      "87654321",    "888888",
    "88888888",     "987654",        "987654321",    "987654321a",   "999999",      "99999999",
    "a1234567",     "a12345678",     "aa123456",     "aa12345678",   "aaaaaa",      "aaaaaaaa",
    "abc123",       "abc12345",      "abc123456",    "abc12345678",  "abcabc",      "abcd1234",
    "abcd12345",    "abcdef",        "abcdefg",      "abcdefgh",     "access",      "adidas",
    "admin",        "admin1",        "admin12",      "admin123",     "admin1234",   "admin12345",
    "adminadmin",   "administrator", "alexander",    "amanda",       "andrea",      "andrew",
    "andrew1",      "angel",         "anthony",      "apples",       "arsenal",     "arsenal1",
    "asd123",       "asdf1234",      "asdfasdf",     "asdfgh",       "asdfghjk",    "asdfghjkl",
    "asdfghjkl123", "ashley",        "ashley1",      "asshole",      "austin",      "autumn2024",
    "azerty",       "azertyuiop",    "badboy",       "bailey",       "banana",      "barcelona",
    "barney",       "baseball",      "baseball1",    "baseball123",  "batman",      "batman123",
    "benjamin",     "bigdick",       "bigdog",       "bitch1",       "biteme",      "blink182",
    "booboo",       "boomer",        "boston",       "brandon",      "brandy",      "bulldog",
    "buster",       "butterfly",     "camaro",       "casper",       "changeme",    "changeme1",
    "changeme123",  "charles",       "charlie",      "charlie1",     "cheese",      "chelsea",
    "chelsea1",     "chester",       "chicago",      "chicken",      "chris",       "christopher",
    "cocacola",     "coffee",        "compaq",       "computer",     "computer1",   "computer123",
    "contrasena",   "cookie",        "corvette",     "cowboy",       "cowboys",     "crystal",
    "dakota",       "dallas",        "daniel",       "daniel1",      "danielle",    "december",
    "default",      "diablo",        "diamond",      "dragon",       "dragon1",     "dragon123",
    "eagles",       "edward",        "elizabeth",    "engineer",     "enter",       "facebook",
    "factory",      "falcon",        "february",     "fender",       "ferrari",     "fishing",
    "flower",       "flower1",       "football",     "football1",    "football123", "forever",
    "freedom",      "fuckoff",       "fuckyou",      "fuckyou1",     "gandalf",     "gateway",
    "george",       "gfhjkm",        "ghbdtn",       "ginger",       "golden",      "golfer",
    "google",       "guest",         "guest123",     "guitar",       "hammer",      "hannah",
    "hardcore",     "harley",        "haslo123",     "heather",      "hello",       "hello123",
    "hello1234",    "hockey",        "hunter",       "hunter12",     "hunter2",     "iceman",
    "iloveu",       "iloveyou",      "iloveyou!",    "iloveyou1",    "iloveyou123", "iloveyou2",
    "instagram",    "internet",      "internet1",    "jackson",      "james",       "january",
    "jasmine",      "jasper",        "jennifer",     "jennifer1",    "jessica",     "jessica1",
    "johnny",       "jonathan",      "jordan",       "jordan23",     "joseph",      "joshua",
    "joshua1",      "junior",        "justin",       "juventus",     "killer",      "klaster",
    "knight",       "lakers",        "letmein",      "letmein!",     "letmein1",    "letmein123",
    "letmeinnow",   "linkedin",      "liverpool",    "london",       "love",        "lovelove",
    "lovely",       "loveme",        "lozinka",      "maggie",       "manager",     "manchester",
    "marina",       "marine",        "marlboro",     "martin",       "master",      "master123",
    "matrix",       "matthew",       "matthew1",     "maverick",     "melissa",     "mercedes",
    "merlin",       "michael",       "michael1",     "michelle",     "michelle1",   "mickey",
    "midnight",     "miller",        "minecraft",    "modbus",       "modbus123",   "money",
    "monkey",       "monkey1",       "monkey123",    "monster",      "morgan",      "motdepasse",
    "mother",       "moxa",          "moxa1234",     "mustang",      "mustang1",    "myspace1",
    "nascar",       "natalie",       "natasha",      "ncc1701",      "nicole",      "nicole1",
    "nikita",       "nothing",       "oliver",       "opensesame",   "openup",      "operator",
    "orange",       "p4ssw0rd",      "p4ssword",     "p@$$w0rd",     "p@ssw0rd",    "p@ssw0rd!",
    "p@ssw0rd1",    "p@ssword",      "pa55w0rd",     "pa55word",     "panties",     "parola123",
    "pass",         "passw0rd",      "passw0rd!",    "password",     "password!",   "password1",
    "password12",   "password123",   "password1234", "passwort",     "patrick",     "peanut",
    "pepper",       "phoenix",       "player",       "plc12345",     "please",      "pokemon",
    "porsche",      "prince",        "princess",     "princess1",    "princess123", "purple",
    "q1w2e3",       "q1w2e3r4",      "q1w2e3r4t5",   "qazwsx",       "qazwsxedc",   "qwe123",
    "qwe123456",    "qweasdzxc",     "qwer1234",     "qwerty",       "qwerty1",     "qwerty12",
    "qwerty123",    "qwerty1234",    "qwerty12345",  "qwertyui",     "qwertyuiop",  "qwertyuiop123",
    "rabbit",       "rachel",        "raiders",      "ranger",       "rangers",     "redsox",
    "richard",      "robert",        "root",         "rootroot",     "salasana",    "samantha",
    "samantha1",    "samsung",       "scada",        "scada123",     "schneider",   "scooby",
    "scooter",      "secret",        "secret123",    "security",     "senha123",    "service",
    "sesame",       "shadow",        "shadow123",    "siemens",      "silver",      "slayer",
    "smokey",       "snoopy",        "soccer",       "sparky",       "spider",      "spring2024",
    "starcraft",    "starwars",      "starwars1",    "steelers",     "stephanie",   "steven",
    "summer",       "summer2023",    "summer2024",   "summer2025",   "sunshine",    "sunshine1",
    "sunshine123",  "superman",      "superman1",    "superman123",  "supervisor",  "support",
    "sysadmin",     "system",        "taylor",       "tennis",       "test",        "test123",
    "test1234",     "testtest",      "thomas",       "thunder",      "tigers",      "tigger",
    "toor",         "trustme",       "trustno1",     "twitter",      "user",        "user1234",
    "veronica",     "victoria",      "victoria1",    "wachtwoord",   "warcraft",    "welcome",
    "welcome1",     "welcome12",     "welcome123",   "whatever",     "whatever1",   "william",
    "winner",       "winter",        "winter2023",   "winter2024",   "winter2025",  "wizard",
    "xsw21qaz",     "xxxxxx",        "yamaha",       "yankees",      "yellow",      "youtube",
    "zaq12wsx",     "zaq1xsw2",      "zaq1zaq1",     "zxc123",       "zxcvbn",      "zxcvbnm",
    "zxcvbnm1",     "zxcvbnm123",
};

constexpr bool sorted_lower_unique() {
    for (const auto w : common_passwords) {
        for (const char c : w) {
            if (c >= 'A' && c <= 'Z') return false;
        }
    }
    return std::is_sorted(std::begin(common_passwords), std::end(common_passwords)) &&
           std::adjacent_find(std::begin(common_passwords), std::end(common_passwords)) ==
               std::end(common_passwords);
}
static_assert(sorted_lower_unique(), "common_passwords must be lower case, sorted and unique");

inline constexpr std::size_t longest_common_password = [] {
    std::size_t n = 0;
    for (const auto w : common_passwords)
        n = std::max(n, w.size());
    return n;
}();

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// The number of code points of strict UTF-8 (no overlong forms, no surrogates, at most
/// U+10FFFF), or nullopt if `s` is not UTF-8. `control` is set when a C0 control or DEL occurs.
constexpr std::optional<std::size_t> utf8_length(std::string_view s, bool& control) noexcept {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) {
            if (b0 < 0x20 || b0 == 0x7F) control = true;
            ++i;
            continue;
        }
        std::size_t extra = 0;
        std::uint32_t cp = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            extra = 1;
            cp = b0 & 0x1FU;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            extra = 2;
            cp = b0 & 0x0FU;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            extra = 3;
            cp = b0 & 0x07U;
        } else {
            return std::nullopt;  // a continuation byte first, C0/C1 (overlong), or above F4
        }
        if (s.size() - i <= extra) return std::nullopt;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0U) != 0x80U) return std::nullopt;
            cp = (cp << 6) | (b & 0x3FU);
        }
        const std::uint32_t least = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
        if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        if (cp >= 0x80 && cp <= 0x9F) control = true;  // C1 controls
        i += extra + 1;
    }
    return count;
}

/// Whether `needle` (non-empty) occurs in `hay`, ASCII letters compared without case.
constexpr bool contains_ignoring_case(std::string_view hay, std::string_view needle) noexcept {
    if (needle.size() > hay.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        std::size_t k = 0;
        while (k < needle.size() && ascii_lower(hay[i + k]) == ascii_lower(needle[k]))
            ++k;
        if (k == needle.size()) return true;
    }
    return false;
}

}  // namespace detail

/// Whether `password` is on the embedded blocklist, ASCII letters compared without case.
constexpr bool is_common_password(std::string_view password) noexcept {
    if (password.empty() || password.size() > detail::longest_common_password) return false;
    std::array<char, detail::longest_common_password> buffer{};
    for (std::size_t i = 0; i < password.size(); ++i)
        buffer[i] = detail::ascii_lower(password[i]);
    const std::string_view lower(buffer.data(), password.size());
    return std::binary_search(std::begin(detail::common_passwords),
                              std::end(detail::common_passwords), lower);
}

/// "" if the policy accepts `password` for `account`, else why, in words for the user (the
/// first rule broken, in this order): "is not valid UTF-8", "must not contain control
/// characters", "must have at most 256 characters", "must have at least N characters", "is one
/// of the most common passwords", "must not contain the account name", "must contain a capital
/// letter", "... a small letter", "... a digit", "... a symbol".
inline std::string check_password(const password_policy& p, std::string_view password,
                                  std::string_view account) {
    bool control = false;
    const auto length = detail::utf8_length(password, control);
    if (!length) return "is not valid UTF-8";
    if (control) return "must not contain control characters";
    if (*length > max_password_length || password.size() > max_password_bytes) {
        return "must have at most " + std::to_string(max_password_length) + " characters";
    }
    const auto min_length = std::clamp(p.min_length, min_password_length, max_password_length);
    if (*length < min_length) {
        return "must have at least " + std::to_string(min_length) + " characters";
    }
    if (is_common_password(password)) return "is one of the most common passwords";
    if (account.size() >= min_account_name_in_password &&
        detail::contains_ignoring_case(password, account)) {
        return "must not contain the account name";
    }
    bool upper = false, lower = false, digit = false, symbol = false;
    for (const char c : password) {
        if (c >= 'A' && c <= 'Z') {
            upper = true;
        } else if (c >= 'a' && c <= 'z') {
            lower = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            symbol = true;  // ASCII punctuation, space, or a byte of a non-ASCII character
        }
    }
    if (p.require_upper && !upper) return "must contain a capital letter";
    if (p.require_lower && !lower) return "must contain a small letter";
    if (p.require_digit && !digit) return "must contain a digit";
    if (p.require_symbol && !symbol) return "must contain a symbol";
    return {};
}

}  // namespace gw::security
