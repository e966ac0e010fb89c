#pragma once
// An RFC 5424 syslog message and its encoder, sans-I/O: no Asio, no OS headers, nothing thrown
// by this code (std::string may still report allocation failure with bad_alloc).
//
// The encoder never produces an invalid message from bad field contents. What it does instead,
// field by field (RFC 5424 §6):
// - PRI: a facility above 23 is written as 13 (log audit); a severity above 7 as 7 (debug).
// - TIMESTAMP: RFC 3339 in UTC with microseconds and "Z"; a time outside years 0000..9999 is
//   written as NILVALUE ("-").
// - HOSTNAME (255), APP-NAME (48), PROCID (128), MSGID (32): PRINTUSASCII only. Each byte outside
//   33..126 is replaced by '_', then the field is cut to its maximum length; an empty field is
//   NILVALUE. Replacing keeps the field's length and position readable ("gw_host" for "gw host")
//   where dropping the byte would merge words.
// - SD-ID and PARAM-NAME (SD-NAME, 32): PRINTUSASCII except '=', ' ', ']', '"'; the same
//   replacement by '_' and cut. An empty one is written as "_" so the element's values survive.
// - PARAM-VALUE: '"', '\' and ']' are escaped with '\' (§6.3.3). Invalid UTF-8 and control
//   characters (C0, DEL) are replaced by U+FFFD: audit values carry text from outside (peer
//   names, request details) and a line feed must not forge a second line at a receiver that
//   writes one message per line.
// - MSG: the same UTF-8 cleaning. Pure ASCII is written as MSG-ANY without a BOM; anything else
//   is MSG-UTF8 and starts with the BOM that §6.4 requires for UTF-8. So an ASCII message shows
//   no stray "\xEF\xBB\xBF" in receivers that do not strip it, and a UTF-8 one is marked as the
//   RFC asks. An empty MSG is omitted (the RFC's [SP MSG] is optional).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gw::audit {

/// RFC 5612's enterprise number for documentation, the default in gw's SD-IDs.
inline constexpr std::uint32_t documentation_enterprise_number = 32473;

/// RFC 5424 §6.2.1 facility "log audit": what gw's audit events are.
inline constexpr std::uint8_t log_audit_facility = 13;

/// RFC 5424 severities, most severe first (a smaller value is more severe).
enum class syslog_severity : std::uint8_t {
    emergency = 0,
    alert = 1,
    critical = 2,
    error = 3,
    warning = 4,
    notice = 5,
    informational = 6,
    debug = 7,
};

/// Whether a message of severity `s` passes a filter that keeps `minimum` and more severe.
constexpr bool at_least(syslog_severity s, syslog_severity minimum) noexcept {
    return static_cast<std::uint8_t>(s) <= static_cast<std::uint8_t>(minimum);
}

struct sd_param {
    std::string name;
    std::string value;
};

/// One SD-ELEMENT: "[id name="value" ...]".
struct sd_element {
    std::string id;  ///< "event@32473": see make_sd_id
    std::vector<sd_param> params;
};

/// "name@enterprise", the SD-ID form for private structured data (RFC 5424 §7.2.2).
inline std::string make_sd_id(std::string_view name,
                              std::uint32_t enterprise = documentation_enterprise_number) {
    std::string id{name};
    id += '@';
    id += std::to_string(enterprise);
    return id;
}

struct syslog_message {
    std::uint8_t facility = log_audit_facility;
    syslog_severity severity = syslog_severity::informational;
    std::chrono::sys_time<std::chrono::microseconds> timestamp{};  ///< UTC
    std::string hostname;
    std::string app_name{"gw"};
    std::string procid;
    std::string msgid;  ///< the event type's name
    std::vector<sd_element> structured_data;
    std::string msg;  ///< free text, UTF-8
};

/// RFC 5424 field limits (§6).
inline constexpr std::size_t max_hostname = 255;
inline constexpr std::size_t max_app_name = 48;
inline constexpr std::size_t max_procid = 128;
inline constexpr std::size_t max_msgid = 32;
inline constexpr std::size_t max_sd_name = 32;

namespace detail {

inline void put_printable(std::string& out, std::string_view field, std::size_t max, bool sd_name) {
    if (field.empty()) {
        out += sd_name ? '_' : '-';
        return;
    }
    const std::size_t n = field.size() < max ? field.size() : max;
    for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(field[i]);
        bool ok = c >= 33 && c <= 126;
        if (sd_name) ok = ok && c != '=' && c != ']' && c != '"';
        out += ok ? static_cast<char>(c) : '_';
    }
}

inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

/// The length of the valid UTF-8 sequence at the start of `s` (1..4), or 0 if it is not one
/// (overlong forms, surrogates and code points above U+10FFFF are invalid).
inline std::size_t utf8_sequence(std::string_view s) noexcept {
    const auto b0 = static_cast<unsigned char>(s[0]);
    if (b0 < 0x80) return 1;
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
        cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        cp = b0 & 0x07u;
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if ((b & 0xC0u) != 0x80u) return 0;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/// `text` as valid UTF-8 without control characters, escaping '"', '\' and ']' if `escape`.
inline void put_utf8(std::string& out, std::string_view text, bool escape) {
    while (!text.empty()) {
        const std::size_t n = utf8_sequence(text);
        if (n == 0) {
            out += replacement_character;
            text.remove_prefix(1);
            continue;
        }
        if (n == 1) {
            const char c = text[0];
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7F) {
                out += replacement_character;
            } else {
                if (escape && (c == '"' || c == '\\' || c == ']')) out += '\\';
                out += c;
            }
        } else {
            out.append(text.substr(0, n));
        }
        text.remove_prefix(n);
    }
}

inline void put_digits(std::string& out, std::uint64_t value, int width) {
    char digits[20];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < 20);
    for (int i = n; i < width; ++i)
        out += '0';
    while (n > 0)
        out += digits[--n];
}

inline void put_timestamp(std::string& out, std::chrono::sys_time<std::chrono::microseconds> t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const int y = static_cast<int>(ymd.year());
    if (y < 0 || y > 9999) {
        out += '-';
        return;
    }
    const auto in_day = t - day;  // 0 .. 24 h, as sys_days floors
    const auto us = static_cast<std::uint64_t>(in_day.count());
    put_digits(out, static_cast<std::uint64_t>(y), 4);
    out += '-';
    put_digits(out, static_cast<unsigned>(ymd.month()), 2);
    out += '-';
    put_digits(out, static_cast<unsigned>(ymd.day()), 2);
    out += 'T';
    put_digits(out, us / 3'600'000'000u, 2);
    out += ':';
    put_digits(out, us / 60'000'000u % 60, 2);
    out += ':';
    put_digits(out, us / 1'000'000u % 60, 2);
    out += '.';
    put_digits(out, us % 1'000'000u, 6);
    out += 'Z';
}

}  // namespace detail

/// Writes `m` as one RFC 5424 SYSLOG-MSG into `out` (replacing its contents; its capacity is
/// reused). See the top of this header for what happens to field contents RFC 5424 forbids.
inline void format_rfc5424(const syslog_message& m, std::string& out) {
    out.clear();
    const unsigned facility = m.facility <= 23 ? m.facility : log_audit_facility;
    const unsigned severity =
        static_cast<unsigned>(m.severity) <= 7 ? static_cast<unsigned>(m.severity) : 7u;
    out += '<';
    detail::put_digits(out, facility * 8 + severity, 1);
    out += ">1 ";
    detail::put_timestamp(out, m.timestamp);
    out += ' ';
    detail::put_printable(out, m.hostname, max_hostname, false);
    out += ' ';
    detail::put_printable(out, m.app_name, max_app_name, false);
    out += ' ';
    detail::put_printable(out, m.procid, max_procid, false);
    out += ' ';
    detail::put_printable(out, m.msgid, max_msgid, false);
    out += ' ';
    if (m.structured_data.empty()) out += '-';
    for (const auto& element : m.structured_data) {
        out += '[';
        detail::put_printable(out, element.id, max_sd_name, true);
        for (const auto& p : element.params) {
            out += ' ';
            detail::put_printable(out, p.name, max_sd_name, true);
            out += "=\"";
            detail::put_utf8(out, p.value, true);
            out += '"';
        }
        out += ']';
    }
    if (m.msg.empty()) return;
    out += ' ';
    bool ascii = true;
    for (const char c : m.msg)
        ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (!ascii) out += "\xEF\xBB\xBF";
    detail::put_utf8(out, m.msg, false);
}

/// Appends `message` to `out` with RFC 6587 §3.4.1 octet-counting framing ("LEN SP MSG"), as
/// RFC 5425 (TLS) requires and rsyslog's imtcp reads.
inline void append_octet_counted(std::string_view message, std::string& out) {
    detail::put_digits(out, message.size(), 1);
    out += ' ';
    out.append(message);
}

}  // namespace gw::audit
