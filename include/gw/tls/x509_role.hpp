#pragma once
// The Modbus/TCP Security role of an X.509 certificate (Modbus.org MB-TCP-Security, R-20..R-23):
// the X.509v3 extension 1.3.6.1.4.1.50316.802.1 whose extnValue holds one ASN.1 UTF8String.
//
// Debian's wolfSSL cannot decode custom extensions, so gw reads the peer certificate's DER
// itself. The input comes from the peer: nothing in it is trusted. The reader is strict DER
// (definite, minimal lengths; single-byte tags; no element longer than its parent; nothing
// after the Certificate), bounded in depth, and checks every read against the bytes it has.
// It validates the structure of every element it skips, not only of the ones it reads, so a
// certificate is either well-formed throughout or refused. It does not verify signatures or
// any other part of the certificate: the TLS stack does that before the role is read.
//
// Freestanding: no heap, no exceptions, no OS headers (the engine's rules, tests/headers).

#include <gw/core/limits.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gw::tls {

enum class role_error {
    malformed,            ///< not strict DER, or not shaped like a Certificate
    no_role_extension,    ///< no extensions, or none with the role OID
    not_utf8string,       ///< the role extension holds something other than a UTF8String
    empty_role,           ///< a UTF8String of length 0
    role_too_long,        ///< more than max_role_bytes
    bad_utf8,             ///< overlong form, surrogate, beyond U+10FFFF or truncated sequence
    control_character,    ///< C0, DEL or C1: a role is printed in logs and matched as text
    duplicate_extension,  ///< the role extension twice (RFC 5280 4.2: at most one instance)
};

/// A role is a short name matched against the configuration's role list. 64 bytes holds any
/// sensible name and bounds what a peer can put into logs and comparisons; the specification
/// leaves the length open, so a longer one is refused rather than truncated.
inline constexpr std::size_t max_role_bytes = max_role_length;

/// Nesting of constructed elements, Certificate = 1. Real certificates need 5 to 7 (an explicit
/// EC curve in the key); the bound keeps the validating skip's recursion small on hostile input.
inline constexpr std::size_t max_der_depth = 12;

/// Either a role (a view into the DER given, valid as long as it is) or an error.
struct role_result {
    std::string_view role{};
    std::optional<role_error> error{};
    constexpr bool ok() const noexcept { return !error.has_value(); }
};

namespace detail::der {

/// DER encoding of the role OID's body: 2B = 1.3, then 6.1.4.1, 50316 (83 89 0C), 802 (86 22), 1.
inline constexpr std::uint8_t role_oid[] = {0x2B, 0x06, 0x01, 0x04, 0x01, 0x83,
                                            0x89, 0x0C, 0x86, 0x22, 0x01};

inline constexpr std::uint8_t tag_boolean = 0x01;
inline constexpr std::uint8_t tag_integer = 0x02;
inline constexpr std::uint8_t tag_bit_string = 0x03;
inline constexpr std::uint8_t tag_octet_string = 0x04;
inline constexpr std::uint8_t tag_oid = 0x06;
inline constexpr std::uint8_t tag_utf8string = 0x0C;
inline constexpr std::uint8_t tag_sequence = 0x30;
inline constexpr std::uint8_t tag_version = 0xA0;            // [0] EXPLICIT
inline constexpr std::uint8_t tag_issuer_unique_id = 0x81;   // [1] IMPLICIT BIT STRING
inline constexpr std::uint8_t tag_subject_unique_id = 0x82;  // [2] IMPLICIT BIT STRING
inline constexpr std::uint8_t tag_extensions = 0xA3;         // [3] EXPLICIT

struct tlv {
    std::uint8_t tag = 0;
    std::span<const std::uint8_t> value{};
    std::size_t size = 0;  ///< header + value
};

/// Reads one element at the start of `in`. False for anything but strict DER.
constexpr bool read_tlv(std::span<const std::uint8_t> in, tlv& out) noexcept {
    if (in.size() < 2) {
        return false;
    }
    const std::uint8_t tag = in[0];
    // 0x1F in the low bits starts a multi-byte tag, which nothing in a certificate uses; 0x00
    // is the end-of-contents marker of indefinite lengths, which DER does not have.
    if ((tag & 0x1FU) == 0x1FU || tag == 0x00) {
        return false;
    }
    const std::uint8_t first = in[1];
    std::size_t length = 0;
    std::size_t header = 2;
    if (first < 0x80) {
        length = first;
    } else {
        // 0x80 is the indefinite length, 0xFF reserved; more than 3 length bytes (16 MiB)
        // cannot be a certificate and keeps the sum below from overflowing.
        const std::size_t n = first & 0x7FU;
        if (n == 0 || n > 3 || in.size() - 2 < n) {
            return false;
        }
        if (in[2] == 0) {
            return false;  // a leading zero byte is not the minimal encoding
        }
        for (std::size_t k = 0; k < n; ++k) {
            length = length << 8U | in[2 + k];
        }
        if (length < 0x80) {
            return false;  // fits the short form: not minimal
        }
        header += n;
    }
    if (in.size() - header < length) {
        return false;  // longer than what its parent has left
    }
    out.tag = tag;
    out.value = in.subspan(header, length);
    out.size = header + length;
    return true;
}

constexpr bool next(std::span<const std::uint8_t>& rest, tlv& out, std::size_t depth) noexcept;

/// Checks that `content` is a sequence of well-formed elements, recursing into constructed ones
/// (bit 0x20) up to max_der_depth. `depth` is that of the elements in `content`.
constexpr bool well_formed(std::span<const std::uint8_t> content, std::size_t depth) noexcept {
    if (depth > max_der_depth) {
        return false;
    }
    tlv e;
    while (!content.empty()) {
        if (!next(content, e, depth)) {
            return false;
        }
    }
    return true;
}

/// Reads the next element of `rest` (advancing it), well-formed throughout; `depth` is the
/// element's own depth.
constexpr bool next(std::span<const std::uint8_t>& rest, tlv& out, std::size_t depth) noexcept {
    if (!read_tlv(rest, out)) {
        return false;
    }
    if ((out.tag & 0x20U) != 0 && !well_formed(out.value, depth + 1)) {
        return false;
    }
    rest = rest.subspan(out.size);
    return true;
}

constexpr bool next_is(std::span<const std::uint8_t>& rest, std::uint8_t tag, tlv& out,
                       std::size_t depth) noexcept {
    return next(rest, out, depth) && out.tag == tag;
}

constexpr bool peek_tag(std::span<const std::uint8_t> rest, std::uint8_t tag) noexcept {
    return !rest.empty() && rest[0] == tag;
}

constexpr bool is_role_oid(std::span<const std::uint8_t> oid) noexcept {
    if (oid.size() != sizeof(role_oid)) {
        return false;
    }
    for (std::size_t k = 0; k < oid.size(); ++k) {
        if (oid[k] != role_oid[k]) {
            return false;
        }
    }
    return true;
}

/// Validates UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing beyond U+10FFFF) and
/// refuses control characters (U+0000..U+001F, U+007F, U+0080..U+009F).
constexpr std::optional<role_error> check_role_text(std::span<const std::uint8_t> s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        const std::uint32_t b0 = s[i];
        std::size_t n = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if (b0 < 0x80) {
            n = 1;
            cp = b0;
        } else if ((b0 & 0xE0U) == 0xC0U) {
            n = 2;
            cp = b0 & 0x1FU;
            min = 0x80;
        } else if ((b0 & 0xF0U) == 0xE0U) {
            n = 3;
            cp = b0 & 0x0FU;
            min = 0x800;
        } else if ((b0 & 0xF8U) == 0xF0U) {
            n = 4;
            cp = b0 & 0x07U;
            min = 0x10000;
        } else {
            return role_error::bad_utf8;  // a continuation byte first, or 0xF8..0xFF
        }
        if (s.size() - i < n) {
            return role_error::bad_utf8;  // truncated sequence
        }
        for (std::size_t k = 1; k < n; ++k) {
            const std::uint32_t b = s[i + k];
            if ((b & 0xC0U) != 0x80U) {
                return role_error::bad_utf8;
            }
            cp = cp << 6U | (b & 0x3FU);
        }
        if (cp < min || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) {
            return role_error::bad_utf8;
        }
        if (cp < 0x20U || cp == 0x7FU || (cp >= 0x80U && cp <= 0x9FU)) {
            return role_error::control_character;
        }
        i += n;
    }
    return std::nullopt;
}

/// The role in one extnValue's content: exactly one UTF8String.
constexpr role_result role_of(std::span<const std::uint8_t> content) noexcept {
    tlv s;
    // The extnValue's content is DER of its own (RFC 5280 4.2). The OCTET STRING is at depth 6
    // (Certificate, tbs, [3], SEQUENCE OF, Extension, OCTET STRING): its content is at 7.
    if (!next(content, s, 7) || !content.empty()) {
        return {{}, role_error::malformed};
    }
    if (s.tag != tag_utf8string) {
        return {{}, role_error::not_utf8string};
    }
    if (s.value.empty()) {
        return {{}, role_error::empty_role};
    }
    if (s.value.size() > max_role_bytes) {
        return {{}, role_error::role_too_long};
    }
    if (const auto e = check_role_text(s.value)) {
        return {{}, *e};
    }
    // The bytes are checked UTF-8; a string_view of them is a view, not a conversion.
    const auto* first = s.value.data();
    std::string_view role{};
    if (first != nullptr) {
        role = std::string_view{static_cast<const char*>(static_cast<const void*>(first)),
                                s.value.size()};
    }
    return {role, std::nullopt};
}

}  // namespace detail::der

/// The Modbus/TCP Security role of the DER certificate `der`, or why there is none.
inline role_result read_modbus_role(std::span<const std::uint8_t> der) noexcept {
    namespace d = detail::der;
    constexpr role_result malformed{{}, role_error::malformed};
    d::tlv e;

    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, alone.
    std::span<const std::uint8_t> top = der;
    if (!d::next_is(top, d::tag_sequence, e, 1) || !top.empty()) {
        return malformed;
    }
    std::span<const std::uint8_t> cert = e.value;
    d::tlv tbs;
    if (!d::next_is(cert, d::tag_sequence, tbs, 2) || !d::next_is(cert, d::tag_sequence, e, 2) ||
        !d::next_is(cert, d::tag_bit_string, e, 2) || !cert.empty()) {
        return malformed;
    }

    // TBSCertificate: the fields before the extensions, in their order; only their shape matters.
    std::span<const std::uint8_t> t = tbs.value;
    if (d::peek_tag(t, d::tag_version) && !d::next(t, e, 3)) {
        return malformed;
    }
    if (!d::next_is(t, d::tag_integer, e, 3)) {  // serialNumber
        return malformed;
    }
    for (int k = 0; k < 5; ++k) {  // signature, issuer, validity, subject, subjectPublicKeyInfo
        if (!d::next_is(t, d::tag_sequence, e, 3)) {
            return malformed;
        }
    }
    if (d::peek_tag(t, d::tag_issuer_unique_id) && !d::next(t, e, 3)) {
        return malformed;
    }
    if (d::peek_tag(t, d::tag_subject_unique_id) && !d::next(t, e, 3)) {
        return malformed;
    }
    if (t.empty()) {
        return {{}, role_error::no_role_extension};  // a v1 certificate, or no extensions
    }
    d::tlv wrapper;
    if (!d::next_is(t, d::tag_extensions, wrapper, 3) || !t.empty()) {
        return malformed;
    }
    std::span<const std::uint8_t> w = wrapper.value;
    d::tlv list;
    // Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
    if (!d::next_is(w, d::tag_sequence, list, 4) || !w.empty() || list.value.empty()) {
        return malformed;
    }

    // Read past the role to the end: a later malformed or duplicate extension refuses the
    // certificate even though the role was already seen.
    std::optional<role_result> found;
    std::span<const std::uint8_t> exts = list.value;
    while (!exts.empty()) {
        d::tlv ext;
        if (!d::next_is(exts, d::tag_sequence, ext, 5)) {
            return malformed;
        }
        // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue }
        std::span<const std::uint8_t> f = ext.value;
        d::tlv oid;
        d::tlv value;
        if (!d::next_is(f, d::tag_oid, oid, 6) || oid.value.empty()) {
            return malformed;
        }
        if (d::peek_tag(f, d::tag_boolean)) {
            // DER encodes TRUE as FF and omits a FALSE that is the default (X.690 11.1, 11.5).
            if (!d::next(f, e, 6) || e.value.size() != 1 || e.value[0] != 0xFF) {
                return malformed;
            }
        }
        if (!d::next_is(f, d::tag_octet_string, value, 6) || !f.empty()) {
            return malformed;
        }
        if (!d::is_role_oid(oid.value)) {
            continue;
        }
        if (found) {
            return {{}, role_error::duplicate_extension};
        }
        found = d::role_of(value.value);
        if (!found->ok()) {
            return *found;
        }
    }
    if (!found) {
        return {{}, role_error::no_role_extension};
    }
    return *found;
}

}  // namespace gw::tls
