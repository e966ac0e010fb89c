#pragma once
// The management console's HTTPS certificate: a self-signed ECC P-256 certificate made with
// wolfCrypt on first start (no openssl tool needed), a reader of a certificate's facts for the
// console's display, and the check an imported certificate and key must pass.
//
// Needs GW_ASIO_SSL (gw::asio_tls or gw::boost_asio_tls): the key check reuses the TLS
// context's proof that a key belongs to its certificate (gw/tls/context.hpp).
//
// Debian's wolfSSL 5.5.4 has WOLFSSL_CERT_GEN, WOLFSSL_CERT_EXT and WOLFSSL_ALT_NAMES; the
// subject alternative names are given to it as raw DER and the validity dates too, because
// wolfSSL's own notBefore is a whole day back and its notAfter counts whole days from now.
//
// The SAN and validity of a parsed certificate are read from its DER by gw (with the strict
// reader of gw/tls/x509_role.hpp): wolfSSL's IP address entries and time structures differ
// between versions, the DER does not.

#include <gw/tls/context.hpp>
#include <gw/tls/x509_role.hpp>

#include <wolfssl/openssl/ec.h>
#include <wolfssl/openssl/evp.h>
#include <wolfssl/openssl/x509.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gw::tls {

struct self_signed_request {
    std::string common_name = "gw gateway";
    std::vector<std::string> ip_addresses;  ///< "127.0.0.1", "::1": SAN iPAddress entries
    std::vector<std::string> dns_names;     ///< SAN dNSName entries
    std::chrono::days validity{825};        ///< the longest browsers accepted for a TLS server
};

struct pem_pair {
    std::string certificate;  ///< "-----BEGIN CERTIFICATE-----..."
    std::string private_key;  ///< "-----BEGIN EC PRIVATE KEY-----..." (SEC 1)
};

struct certificate_info {
    std::string subject;  ///< wolfSSL's one-line form, "/CN=gw gateway"
    std::string issuer;
    std::int64_t not_before = 0;  ///< unix seconds
    std::int64_t not_after = 0;
    std::string key_type;                   ///< "ECC" or "RSA" (or "other")
    int key_bits = 0;                       ///< 256, 384, 521 (ECC curve degree), RSA modulus bits
    bool self_signed = false;               ///< issuer == subject and its own key verifies it
    std::vector<std::string> ip_addresses;  ///< SAN iPAddress entries, as text
};

/// The largest PEM text inspect_certificate and check_imported_pair read: a certificate chain
/// of a few certificates; more is not a certificate a console uploads.
inline constexpr std::size_t max_pem_size = 64 * 1024;

namespace detail::self_signed {

inline std::string fail(std::string_view what, int code = 0) {
    std::string s = "self-signed certificate: " + std::string{what};
    if (code != 0) s += " (wolfCrypt " + std::to_string(code) + ")";
    return s;
}

/// A DER length header for `size` bytes of content.
inline void put_length(std::vector<std::uint8_t>& out, std::size_t size) {
    if (size < 0x80) {
        out.push_back(static_cast<std::uint8_t>(size));
    } else if (size <= 0xFF) {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(size));
    } else {
        out.push_back(0x82);
        out.push_back(static_cast<std::uint8_t>(size >> 8U));
        out.push_back(static_cast<std::uint8_t>(size & 0xFFU));
    }
}

inline void put_tlv(std::vector<std::uint8_t>& out, std::uint8_t tag,
                    std::span<const std::uint8_t> value) {
    out.push_back(tag);
    put_length(out, value.size());
    out.insert(out.end(), value.begin(), value.end());
}

/// The SubjectAltName extension's value: a SEQUENCE of iPAddress [7] (4 or 16 bytes) and
/// dNSName [2] entries. Empty and `error` set if an address does not parse.
inline std::vector<std::uint8_t> alt_names(const self_signed_request& r, std::string& error) {
    std::vector<std::uint8_t> names;
    for (const auto& ip : r.ip_addresses) {
        std::array<std::uint8_t, 16> bytes{};
        std::size_t size = 0;
        if (::inet_pton(AF_INET, ip.c_str(), bytes.data()) == 1) {
            size = 4;
        } else if (::inet_pton(AF_INET6, ip.c_str(), bytes.data()) == 1) {
            size = 16;
        } else {
            error = fail("'" + ip + "' is not an IPv4 or IPv6 address");
            return {};
        }
        put_tlv(names, 0x87, std::span{bytes.data(), size});
    }
    for (const auto& dns : r.dns_names) {
        // An IA5String: printable ASCII of a host name; anything else would be a name no
        // client could match.
        bool ok = !dns.empty() && dns.size() <= 253;
        for (const char c : dns)
            ok = ok && c > ' ' && c < 0x7F;
        if (!ok) {
            error = fail("'" + dns + "' is not a DNS name");
            return {};
        }
        put_tlv(names, 0x82,
                std::span{reinterpret_cast<const std::uint8_t*>(dns.data()), dns.size()});
    }
    std::vector<std::uint8_t> out;
    put_tlv(out, 0x30, names);
    return out;
}

/// A validity time as DER: UTCTime (0x17) before 2050, GeneralizedTime (0x18) from 2050 on
/// (RFC 5280 4.1.2.5).
inline std::vector<std::uint8_t> der_time(std::chrono::sys_seconds t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    const int year = static_cast<int>(ymd.year());
    std::array<char, 20> text{};
    const bool utc = year < 2050;
    // UTCTime has two year digits, GeneralizedTime four.
    const int n = std::snprintf(
        text.data(), text.size(), "%0*d%02u%02u%02ld%02ld%02ldZ", utc ? 2 : 4,
        utc ? year % 100 : year, static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
        static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()));
    std::vector<std::uint8_t> out;
    put_tlv(out, utc ? 0x17 : 0x18,
            std::span{reinterpret_cast<const std::uint8_t*>(text.data()),
                      static_cast<std::size_t>(n > 0 ? n : 0)});
    return out;
}

/// Unix seconds of a DER UTCTime or GeneralizedTime "...Z" (the only forms RFC 5280 allows).
inline std::optional<std::int64_t> parse_time(const der::tlv& t) {
    const std::size_t digits = t.tag == 0x17 ? 12 : 14;
    if ((t.tag != 0x17 && t.tag != 0x18) || t.value.size() != digits + 1 || t.value[digits] != 'Z')
        return std::nullopt;
    int v[7] = {};
    std::size_t at = 0;
    auto take = [&](std::size_t count) {
        int x = 0;
        for (std::size_t k = 0; k < count; ++k, ++at) {
            const auto c = t.value[at];
            if (c < '0' || c > '9') return -1;
            x = x * 10 + (c - '0');
        }
        return x;
    };
    v[0] = take(digits == 12 ? 2 : 4);
    for (int k = 1; k < 6; ++k)
        v[k] = take(2);
    for (int k = 0; k < 6; ++k)
        if (v[k] < 0) return std::nullopt;
    if (digits == 12) v[0] += v[0] < 50 ? 2000 : 1900;
    const std::chrono::year_month_day ymd{std::chrono::year{v[0]},
                                          std::chrono::month{static_cast<unsigned>(v[1])},
                                          std::chrono::day{static_cast<unsigned>(v[2])}};
    if (!ymd.ok() || v[3] > 23 || v[4] > 59 || v[5] > 60) return std::nullopt;
    const auto days = std::chrono::sys_days{ymd}.time_since_epoch().count();
    return static_cast<std::int64_t>(days) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
}

/// What the DER of a certificate says about validity and SAN IPs; nullopt if the DER does not
/// have the shape of a Certificate.
struct der_facts {
    std::int64_t not_before = 0;
    std::int64_t not_after = 0;
    std::vector<std::string> ip_addresses;
};

inline std::optional<der_facts> read_der(std::span<const std::uint8_t> der) {
    using namespace gw::tls::detail::der;
    der_facts f;
    tlv certificate, tbs, e;
    auto rest = der;
    if (!next_is(rest, tag_sequence, certificate, 1) || !rest.empty()) return std::nullopt;
    auto c = certificate.value;
    if (!next_is(c, tag_sequence, tbs, 2)) return std::nullopt;
    auto t = tbs.value;
    if (peek_tag(t, tag_version) && !next(t, e, 3)) return std::nullopt;
    // serial, signature algorithm, issuer
    if (!next_is(t, tag_integer, e, 3) || !next_is(t, tag_sequence, e, 3) ||
        !next_is(t, tag_sequence, e, 3))
        return std::nullopt;
    tlv validity, before, after;
    if (!next_is(t, tag_sequence, validity, 3)) return std::nullopt;
    auto v = validity.value;
    if (!next(v, before, 4) || !next(v, after, 4) || !v.empty()) return std::nullopt;
    const auto nb = parse_time(before);
    const auto na = parse_time(after);
    if (!nb || !na) return std::nullopt;
    f.not_before = *nb;
    f.not_after = *na;
    // subject, subjectPublicKeyInfo
    if (!next_is(t, tag_sequence, e, 3) || !next_is(t, tag_sequence, e, 3)) return std::nullopt;
    if (peek_tag(t, tag_issuer_unique_id) && !next(t, e, 3)) return std::nullopt;
    if (peek_tag(t, tag_subject_unique_id) && !next(t, e, 3)) return std::nullopt;
    if (!peek_tag(t, tag_extensions)) return f;
    tlv explicit_tag, list;
    if (!next(t, explicit_tag, 3)) return std::nullopt;
    auto x = explicit_tag.value;
    if (!next_is(x, tag_sequence, list, 4)) return std::nullopt;
    static constexpr std::array<std::uint8_t, 3> san_oid{0x55, 0x1D, 0x11};  // 2.5.29.17
    auto l = list.value;
    while (!l.empty()) {
        tlv extension, oid, value;
        if (!next_is(l, tag_sequence, extension, 5)) return std::nullopt;
        auto ex = extension.value;
        if (!next_is(ex, tag_oid, oid, 6)) return std::nullopt;
        if (peek_tag(ex, tag_boolean) && !next(ex, e, 6)) return std::nullopt;
        if (!next_is(ex, tag_octet_string, value, 6)) return std::nullopt;
        if (!std::equal(oid.value.begin(), oid.value.end(), san_oid.begin(), san_oid.end()))
            continue;
        tlv names;
        auto inner = value.value;
        if (!next_is(inner, tag_sequence, names, 7)) return std::nullopt;
        auto n = names.value;
        while (!n.empty()) {
            tlv name;
            if (!next(n, name, 8)) return std::nullopt;
            if (name.tag != 0x87) continue;
            std::array<char, INET6_ADDRSTRLEN> text{};
            const int family = name.value.size() == 4 ? AF_INET : AF_INET6;
            if ((name.value.size() == 4 || name.value.size() == 16) &&
                ::inet_ntop(family, name.value.data(), text.data(),
                            static_cast<socklen_t>(text.size())) != nullptr)
                f.ip_addresses.emplace_back(text.data());
        }
    }
    return f;
}

/// Frees what wolfSSL allocated, whichever way a function leaves.
struct x509_holder {
    WOLFSSL_X509* x = nullptr;
    ~x509_holder() { wolfSSL_X509_free(x); }
};
struct pkey_holder {
    WOLFSSL_EVP_PKEY* k = nullptr;
    ~pkey_holder() { wolfSSL_EVP_PKEY_free(k); }
};

inline std::string name_text(WOLFSSL_X509_NAME* name) {
    std::array<char, 512> text{};
    if (name == nullptr ||
        wolfSSL_X509_NAME_oneline(name, text.data(), static_cast<int>(text.size())) == nullptr)
        return {};
    return text.data();
}

/// inspect_certificate, plus the EC curve's NID (0 for RSA) for check_imported_pair.
inline std::variant<certificate_info, std::string> inspect(std::string_view pem, int& curve_nid) {
    curve_nid = 0;
    if (pem.empty()) return std::string{"certificate: empty"};
    if (pem.size() > max_pem_size)
        return "certificate: larger than " + std::to_string(max_pem_size) + " bytes";
    x509_holder x{
        wolfSSL_X509_load_certificate_buffer(reinterpret_cast<const unsigned char*>(pem.data()),
                                             static_cast<int>(pem.size()), WOLFSSL_FILETYPE_PEM)};
    if (x.x == nullptr) return std::string{"certificate: not a PEM X.509 certificate"};
    int der_size = 0;
    const unsigned char* der = wolfSSL_X509_get_der(x.x, &der_size);
    if (der == nullptr || der_size <= 0) return std::string{"certificate: no DER"};
    const auto facts = read_der(std::span{der, static_cast<std::size_t>(der_size)});
    if (!facts) return std::string{"certificate: DER malformed"};
    certificate_info info;
    info.subject = name_text(wolfSSL_X509_get_subject_name(x.x));
    info.issuer = name_text(wolfSSL_X509_get_issuer_name(x.x));
    info.not_before = facts->not_before;
    info.not_after = facts->not_after;
    info.ip_addresses = facts->ip_addresses;
    pkey_holder key{wolfSSL_X509_get_pubkey(x.x)};
    if (key.k == nullptr) return std::string{"certificate: public key unreadable"};
    switch (wolfSSL_EVP_PKEY_base_id(key.k)) {
        case EVP_PKEY_RSA:
            info.key_type = "RSA";
            info.key_bits = wolfSSL_EVP_PKEY_bits(key.k);
            break;
        case EVP_PKEY_EC: {
            info.key_type = "ECC";
            // The curve's degree: wolfSSL's EVP_PKEY_bits gives P-521 as 528 (66 bytes).
            const WOLFSSL_EC_KEY* ec = wolfSSL_EVP_PKEY_get0_EC_KEY(key.k);
            const WOLFSSL_EC_GROUP* group = ec != nullptr ? wolfSSL_EC_KEY_get0_group(ec) : nullptr;
            if (group != nullptr) {
                info.key_bits = wolfSSL_EC_GROUP_get_degree(group);
                curve_nid = wolfSSL_EC_GROUP_get_curve_name(group);
            }
            break;
        }
        default:
            info.key_type = "other";
            break;
    }
    info.self_signed = wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_subject_name(x.x),
                                             wolfSSL_X509_get_issuer_name(x.x)) == 0 &&
                       wolfSSL_X509_verify(x.x, key.k) == WOLFSSL_SUCCESS;
    return info;
}

}  // namespace detail::self_signed

/// Makes an ECC P-256 key and an X.509 v3 certificate for it, signed by itself (SHA-256 with
/// ECDSA): SAN of every IP address and DNS name of `r`, basicConstraints CA:FALSE, keyUsage
/// digitalSignature, extKeyUsage serverAuth, a random serial, valid from an hour ago (clients
/// with a clock a little behind) for r.validity. The PEM pair, or why not.
inline std::variant<pem_pair, std::string> make_self_signed(const self_signed_request& r) {
    namespace d = detail::self_signed;
    if (r.common_name.empty() || r.common_name.size() >= CTC_NAME_SIZE)
        return d::fail("common name must be 1 to " + std::to_string(CTC_NAME_SIZE - 1) + " bytes");
    // A hundred years at most keeps notAfter a four-digit year, as GeneralizedTime needs.
    if (r.validity.count() < 1 || r.validity.count() > 36500)
        return d::fail("validity must be 1 to 36500 days");
    std::string error;
    const auto san = d::alt_names(r, error);
    if (!error.empty()) return error;
    if (r.ip_addresses.empty() && r.dns_names.empty())
        return d::fail("no IP address or DNS name to certify");

    WC_RNG rng;
    if (const int rc = wc_InitRng(&rng); rc != 0) return d::fail("random generator", rc);
    ecc_key key;
    if (const int rc = wc_ecc_init(&key); rc != 0) {
        wc_FreeRng(&rng);
        return d::fail("ECC key init", rc);
    }
    struct guard {
        WC_RNG& rng;
        ecc_key& key;
        ~guard() {
            wc_ecc_free(&key);
            wc_FreeRng(&rng);
        }
    } cleanup{rng, key};

    if (const int rc = wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1); rc != 0)
        return d::fail("P-256 key generation", rc);

    Cert cert;
    if (const int rc = wc_InitCert(&cert); rc != 0) return d::fail("certificate init", rc);
    cert.sigType = CTC_SHA256wECDSA;
    cert.selfSigned = 1;
    std::snprintf(cert.subject.commonName, CTC_NAME_SIZE, "%s", r.common_name.c_str());
    cert.subject.commonNameEnc = CTC_UTF8;
    // A set but false basic constraint: wolfSSL then writes CA:FALSE instead of leaving it out.
    cert.isCA = 0;
    cert.basicConstSet = 1;

    // Positive, non-zero first byte: a 16-byte random INTEGER without DER padding.
    if (const int rc = wc_RNG_GenerateBlock(&rng, cert.serial, 16); rc != 0)
        return d::fail("serial number", rc);
    cert.serial[0] = static_cast<byte>((cert.serial[0] & 0x7FU) | 0x01U);
    cert.serialSz = 16;

    if (san.size() > sizeof(cert.altNames)) return d::fail("too many alternative names");
    std::copy(san.begin(), san.end(), cert.altNames);
    cert.altNamesSz = static_cast<int>(san.size());

    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto before = d::der_time(now - std::chrono::hours{1});
    const auto after = d::der_time(now + r.validity);
    std::copy(before.begin(), before.end(), cert.beforeDate);
    cert.beforeDateSz = static_cast<int>(before.size());
    std::copy(after.begin(), after.end(), cert.afterDate);
    cert.afterDateSz = static_cast<int>(after.size());

    if (const int rc = wc_SetKeyUsage(&cert, "digitalSignature"); rc != 0)
        return d::fail("keyUsage", rc);
    if (const int rc = wc_SetExtKeyUsage(&cert, "serverAuth"); rc != 0)
        return d::fail("extKeyUsage", rc);
    if (const int rc = wc_SetSubjectKeyIdFromPublicKey_ex(&cert, ECC_TYPE, &key); rc != 0)
        return d::fail("subject key identifier", rc);
    if (const int rc = wc_SetAuthKeyIdFromPublicKey_ex(&cert, ECC_TYPE, &key); rc != 0)
        return d::fail("authority key identifier", rc);

    std::vector<byte> der(4096);
    const int body =
        wc_MakeCert_ex(&cert, der.data(), static_cast<word32>(der.size()), ECC_TYPE, &key, &rng);
    if (body <= 0) return d::fail("encoding", body);
    const int der_size = wc_SignCert_ex(cert.bodySz, cert.sigType, der.data(),
                                        static_cast<word32>(der.size()), ECC_TYPE, &key, &rng);
    if (der_size <= 0) return d::fail("signing", der_size);

    std::vector<byte> key_der(256);
    const int key_size = wc_EccKeyToDer(&key, key_der.data(), static_cast<word32>(key_der.size()));
    if (key_size <= 0) return d::fail("private key encoding", key_size);

    auto to_pem = [](const byte* in, int size, int type, std::string& out) {
        std::vector<byte> pem(static_cast<std::size_t>(size) * 2 + 128);
        const int n = wc_DerToPem(in, static_cast<word32>(size), pem.data(),
                                  static_cast<word32>(pem.size()), type);
        if (n <= 0) return n;
        out.assign(reinterpret_cast<const char*>(pem.data()), static_cast<std::size_t>(n));
        return 0;
    };
    pem_pair pair;
    if (const int rc = to_pem(der.data(), der_size, CERT_TYPE, pair.certificate); rc != 0)
        return d::fail("certificate PEM", rc);
    if (const int rc = to_pem(key_der.data(), key_size, ECC_PRIVATEKEY_TYPE, pair.private_key);
        rc != 0)
        return d::fail("private key PEM", rc);
    // The key's DER copy held the private scalar: not left behind in freed memory.
    for (auto& b : key_der)
        static_cast<volatile byte&>(b) = 0;
    return pair;
}

/// The facts of the first certificate of a PEM text (at most max_pem_size bytes), or why it
/// cannot be read ("certificate: ...").
inline std::variant<certificate_info, std::string> inspect_certificate(std::string_view pem) {
    int curve = 0;
    return detail::self_signed::inspect(pem, curve);
}

/// Whether an imported PEM certificate (chain) and private key can serve the console: the
/// certificate parses, its key is RSA of 1024 to 4096 bits or ECC P-256, P-384 or P-521, the
/// private key is that certificate's (proven by a signature, as make_server_context does), and
/// it has not expired at `now_unix`. "" or why not.
inline std::string check_imported_pair(std::string_view certificate_pem, std::string_view key_pem,
                                       std::int64_t now_unix) {
    int curve = 0;
    const auto inspected = detail::self_signed::inspect(certificate_pem, curve);
    if (const auto* error = std::get_if<std::string>(&inspected)) return *error;
    const auto& info = std::get<certificate_info>(inspected);
    if (info.key_type == "RSA") {
        if (info.key_bits < 1024 || info.key_bits > 4096)
            return "certificate: RSA key of " + std::to_string(info.key_bits) +
                   " bits (1024 to 4096 accepted)";
    } else if (info.key_type == "ECC") {
        if (curve != NID_X9_62_prime256v1 && curve != NID_secp384r1 && curve != NID_secp521r1)
            return "certificate: ECC key on a curve other than P-256, P-384 or P-521";
    } else {
        return "certificate: key neither RSA nor ECC";
    }
    if (key_pem.empty()) return "private key: empty";
    if (key_pem.size() > max_pem_size)
        return "private key: larger than " + std::to_string(max_pem_size) + " bytes";

    // A throwaway server context holds the pair the way the console's context will.
    WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (ctx == nullptr) return "cannot create a TLS context to check the pair";
    std::string why;
    if (wolfSSL_CTX_use_certificate_chain_buffer_format(
            ctx, reinterpret_cast<const unsigned char*>(certificate_pem.data()),
            static_cast<long>(certificate_pem.size()), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
        why = "certificate: not a PEM certificate chain wolfSSL accepts";
    } else if (wolfSSL_CTX_use_PrivateKey_buffer(
                   ctx, reinterpret_cast<const unsigned char*>(key_pem.data()),
                   static_cast<long>(key_pem.size()), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
        why = "private key: not a readable, unencrypted PEM private key";
    } else if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS ||
               !detail::key_matches_certificate(ctx)) {
        why = "private key does not belong to the certificate";
    }
    wolfSSL_CTX_free(ctx);
    if (!why.empty()) return why;
    if (now_unix > info.not_after) return "certificate: expired";
    return {};
}

}  // namespace gw::tls
