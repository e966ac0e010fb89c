#pragma once
// TLS contexts over wolfSSL, for TLS listeners (Modbus/TCP Security, port 802) and for clients
// (the tests' masters today): TLS 1.2 at least, AEAD suites with ECDHE (or TLS 1.3) only, every
// setting checked. A setting wolfSSL refuses is an error naming it, never a weaker context:
// wolfSSL's own defaults accept TLS 1.1 and offer RC4, 3DES, NULL, CBC-SHA1 and PSK suites.
//
// Needs GW_ASIO_SSL: link gw::asio_tls or gw::boost_asio_tls (cmake/gw_asio.cmake), which also
// put wolfSSL's compatibility headers first on the include path.
//
// Every setting is made with wolfSSL's own call and its return value checked. Asio's context
// calls with an error_code cannot be trusted over wolfSSL: wolfSSL often leaves its error queue
// empty, Asio then turns ERR_get_error() == 0 into "no error", and a missing certificate file
// loads "successfully". wolfSSL 5.5.4's wolfSSL_CTX_check_private_key also accepts an EC key
// that does not belong to the certificate; the key is therefore proven by a signature the
// certificate's public key verifies.
//
// Modbus/TCP Security (mTLS): a server given a client CA requires a client certificate that
// chains to it (optionally checked against a CRL); the peer's identity (subject CN, role
// extension) is read once per full handshake and kept by session id in a bounded cache, because
// a resumed session (session id or ticket) carries no peer certificate.

#if !defined(GW_ASIO_SSL)
#error "gw/tls/context.hpp needs GW_ASIO_SSL: link gw::asio_tls or gw::boost_asio_tls"
#endif

#include <gw/transport/asio.hpp>  // <wolfssl/options.h> first, then net::ssl

#include <gw/policy/decision.hpp>
#include <gw/policy/identity.hpp>
#include <gw/tls/cipher_policy.hpp>
#include <gw/tls/x509_role.hpp>

#include <wolfssl/openssl/evp.h>
#include <wolfssl/openssl/x509.h>
#include <wolfssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gw::tls {

/// The suites a gw context may offer, in wolfSSL's names (wolfSSL rejects OpenSSL-style
/// expressions such as `ECDHE+AESGCM:!aNULL`): TLS 1.3's AEAD suites, and TLS 1.2's with ECDHE
/// key exchange and an AEAD cipher. ECDHE-ECDSA needs an EC certificate, ECDHE-RSA an RSA one.
inline constexpr std::array<std::string_view, 9> offered_suites{
    "TLS13-AES128-GCM-SHA256",        "TLS13-AES256-GCM-SHA384",
    "TLS13-CHACHA20-POLY1305-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",  "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305"};

/// All of offered_suites, TLS 1.3 first. A list without TLS13-* names disables TLS 1.3.
inline constexpr std::string_view default_cipher_list =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";

/// The one suite the compatibility cipher policy adds: Modbus/TCP Security v21's mandatory
/// TLS_RSA_WITH_AES_128_CBC_SHA256 (no forward secrecy, CBC; needs an RSA server certificate).
inline constexpr std::string_view compatibility_suite = "AES128-SHA256";

struct server_settings {
    std::string certificate_chain_file;  ///< PEM: the server's certificate, then intermediates
    std::string private_key_file;        ///< PEM, the certificate's key
    /// ':'-separated wolfSSL suite names, each one of offered_suites.
    std::string cipher_list{default_cipher_list};
    /// PEM CA certificates a client certificate must chain to. Set: mutual TLS, a client
    /// without a (valid) certificate fails the handshake. Empty: none requested.
    std::string client_ca_file{};
    /// PEM CRL of the client CA (optional; needs client_ca_file). A revoked certificate fails.
    std::string crl_file{};
    /// compatibility appends compatibility_suite to cipher_list.
    cipher_policy ciphers = cipher_policy::intermediate;
};

struct client_settings {
    /// PEM trust anchors the server's certificate chain must lead to. Required: a client that
    /// does not verify the server is not offered.
    std::string ca_file;
    std::string cipher_list{default_cipher_list};
    /// A client certificate (PEM chain) and its key, for a server that requires one (mTLS).
    /// Both or neither.
    std::string certificate_chain_file{};
    std::string private_key_file{};
};

/// A context, or why none could be made ("TLS server context: cipher list: ...").
struct context_result {
    std::optional<net::ssl::context> context;
    std::string error;
    explicit operator bool() const noexcept { return context.has_value(); }
};

namespace detail {

/// Empty if every name in `list` is one of offered_suites, otherwise what is wrong.
inline std::string check_cipher_list(std::string_view list, bool compatibility = false) {
    if (list.empty()) return "is empty";
    std::size_t start = 0;
    for (;;) {
        const auto end = list.find(':', start);
        const auto name = list.substr(start, end == std::string_view::npos ? end : end - start);
        bool offered = false;
        for (const auto s : offered_suites)
            offered = offered || s == name;
        offered = offered || (compatibility && name == compatibility_suite);
        if (!offered) {
            return "'" + std::string{name} +
                   "' is not a suite gw offers (TLS 1.3, or TLS 1.2 ECDHE with AES-GCM or "
                   "ChaCha20-Poly1305, in wolfSSL's names)";
        }
        if (end == std::string_view::npos) return {};
        start = end + 1;
    }
}

/// What wolfSSL said, for an error message: " (wolfSSL -4: ...)", or "" for a bare 0.
inline std::string wolfssl_reason(int code) {
    if (code == 0 || code == WOLFSSL_SUCCESS) return {};
    // wolfSSL's codes are negative; its reason lookup takes them through unsigned long.
    const char* reason = wolfSSL_ERR_reason_error_string(static_cast<unsigned long>(code));
    return " (wolfSSL " + std::to_string(code) + ": " + (reason != nullptr ? reason : "?") + ")";
}

/// The settings both roles share: versions, options, suites. Empty on success.
/// X25519, then the NIST curves P-256 and P-384: Mozilla intermediate's list.
inline constexpr const char* key_exchange_groups = "X25519:prime256v1:secp384r1";

inline std::string apply_common(WOLFSSL_CTX* ctx, const std::string& cipher_list,
                                bool compatibility = false) {
    constexpr long options = WOLFSSL_OP_NO_SSLv2 | WOLFSSL_OP_NO_SSLv3 | WOLFSSL_OP_NO_TLSv1 |
                             WOLFSSL_OP_NO_TLSv1_1 | WOLFSSL_OP_NO_COMPRESSION |
                             WOLFSSL_OP_SINGLE_DH_USE;
    if ((wolfSSL_CTX_set_options(ctx, options) & options) != options)
        return "options (no SSL, TLS 1.0, TLS 1.1, compression): refused by wolfSSL";
    if (const int rc = wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2); rc != WOLFSSL_SUCCESS)
        return "minimum version TLS 1.2: refused" + wolfssl_reason(rc);
    if (auto why = check_cipher_list(cipher_list, compatibility); !why.empty())
        return "cipher list " + why;
    if (const int rc = wolfSSL_CTX_set_cipher_list(ctx, cipher_list.c_str());
        rc != WOLFSSL_SUCCESS) {
        return "cipher list '" + cipher_list + "': refused" + wolfssl_reason(rc);
    }
    // Key exchange groups as Mozilla's intermediate profile has them: wolfSSL's default list
    // also offers secp256k1, secp521r1, the brainpool curves, X448 and finite-field groups
    // (testssl listed them), which nothing here needs and each of which is more code exposed.
    // Two calls: the groups of TLS 1.3 key shares, and the curves TLS 1.2's ECDHE may use.
    std::array<int, 3> groups{WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1};
    if (const int rc = wolfSSL_CTX_set_groups(ctx, groups.data(), static_cast<int>(groups.size()));
        rc != WOLFSSL_SUCCESS) {
        return std::string{"key exchange groups ("} + key_exchange_groups + "): refused" +
               wolfssl_reason(rc);
    }
    if (const int rc = wolfSSL_CTX_set1_curves_list(ctx, key_exchange_groups);
        rc != WOLFSSL_SUCCESS) {
        return std::string{"ECDHE curves ("} + key_exchange_groups + "): refused" +
               wolfssl_reason(rc);
    }
    // Without a TLS13-* suite, TLS 1.3 must be off as a version too: otherwise wolfSSL agrees
    // to TLS 1.3 with a client that offers it and then fails the handshake (no suite).
    if (cipher_list.find("TLS13-") == std::string::npos) {
        if (const int rc = wolfSSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
            rc != WOLFSSL_SUCCESS) {
            return "maximum version TLS 1.2 (no TLS 1.3 suite listed): refused" +
                   wolfssl_reason(rc);
        }
    }
    return {};
}

/// Whether the context's private key signs what its certificate's public key verifies.
inline bool key_matches_certificate(WOLFSSL_CTX* ctx) {
    WOLFSSL_X509* certificate = wolfSSL_CTX_get0_certificate(ctx);
    WOLFSSL_EVP_PKEY* key = wolfSSL_CTX_get0_privatekey(ctx);
    if (certificate == nullptr || key == nullptr) return false;
    WOLFSSL_EVP_PKEY* public_key = wolfSSL_X509_get_pubkey(certificate);
    if (public_key == nullptr) return false;
    static constexpr std::array<unsigned char, 16> message{'g', 'w', ' ', 'k', 'e', 'y', ' ', 'c',
                                                           'h', 'e', 'c', 'k', ' ', 'T', 'L', 'S'};
    std::array<unsigned char, 1024> signature{};  // ECDSA P-521 or RSA-8192 at most
    std::size_t size = signature.size();
    bool ok = false;
    if (WOLFSSL_EVP_MD_CTX* md = wolfSSL_EVP_MD_CTX_new(); md != nullptr) {
        ok = wolfSSL_EVP_DigestSignInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr, key) == 1 &&
             wolfSSL_EVP_DigestSignUpdate(md, message.data(), message.size()) == 1 &&
             wolfSSL_EVP_DigestSignFinal(md, signature.data(), &size) == 1;
        wolfSSL_EVP_MD_CTX_free(md);
    }
    if (ok) {
        ok = false;
        if (WOLFSSL_EVP_MD_CTX* md = wolfSSL_EVP_MD_CTX_new(); md != nullptr) {
            ok = wolfSSL_EVP_DigestVerifyInit(md, nullptr, wolfSSL_EVP_sha256(), nullptr,
                                              public_key) == 1 &&
                 wolfSSL_EVP_DigestVerifyUpdate(md, message.data(), message.size()) == 1 &&
                 wolfSSL_EVP_DigestVerifyFinal(md, signature.data(), size) == 1;
            wolfSSL_EVP_MD_CTX_free(md);
        }
    }
    wolfSSL_EVP_PKEY_free(public_key);
    return ok;
}

/// Loads the certificate chain and its private key into `ctx`, and proves they belong together.
inline std::string use_certificate(WOLFSSL_CTX* ctx, const std::string& chain,
                                   const std::string& key) {
    if (const int rc = wolfSSL_CTX_use_certificate_chain_file(ctx, chain.c_str());
        rc != WOLFSSL_SUCCESS)
        return "certificate chain '" + chain + "': not a readable PEM certificate chain" +
               wolfssl_reason(rc);
    if (const int rc = wolfSSL_CTX_use_PrivateKey_file(ctx, key.c_str(), WOLFSSL_FILETYPE_PEM);
        rc != WOLFSSL_SUCCESS)
        return "private key '" + key + "': not a readable PEM private key" + wolfssl_reason(rc);
    if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS || !key_matches_certificate(ctx))
        return "private key '" + key + "' does not match certificate '" + chain + "'";
    return {};
}

/// Creates the context; an exception here is wolfSSL failing to allocate one.
inline context_result make_context(net::ssl::context::method method, std::string_view role) {
    context_result r;
    try {
        r.context.emplace(method);
    } catch (const std::exception& e) {
        r.error = "TLS " + std::string{role} + " context: cannot create: " + e.what();
    }
    return r;
}

inline context_result fail(context_result& r, std::string_view role, const std::string& what) {
    r.context.reset();
    r.error = "TLS " + std::string{role} + " context: " + what;
    return std::move(r);
}

}  // namespace detail

/// The cipher list a server with these settings offers: cipher_list, plus compatibility_suite
/// under the compatibility policy.
/// Whether this wolfSSL build has `suite` at all: Debian's has no static-RSA key exchange, so
/// no AES128-SHA256, and wolfSSL would drop an unknown name from a list silently.
inline bool suite_built_in(std::string_view suite) {
    std::array<char, 8192> names{};
    if (wolfSSL_get_ciphers(names.data(), static_cast<int>(names.size())) != WOLFSSL_SUCCESS)
        return false;
    const std::string_view all{names.data()};
    std::size_t start = 0;
    while (start <= all.size()) {
        const auto end = std::min(all.find(':', start), all.size());
        if (all.substr(start, end - start) == suite) return true;
        start = end + 1;
    }
    return false;
}

inline std::string effective_cipher_list(const server_settings& s) {
    if (s.ciphers != cipher_policy::compatibility) return s.cipher_list;
    return s.cipher_list + ":" + std::string{compatibility_suite};
}

/// Frees this thread's wolfSSL fixed-point ECC cache (built with FP_ECC, as Debian's is): the
/// cache is per thread and lives until freed, so a thread that ran handshakes and ends must
/// call this last (a leak of every cached point otherwise, which LeakSanitizer reports).
inline void release_thread_caches() noexcept {
#if defined(FP_ECC)
    wc_ecc_fp_free();
#endif
}

/// A server context: the certificate chain and its key, TLS 1.2+, the suites of `cipher_list`
/// (and of the cipher policy). With client_ca_file, mutual TLS: a client certificate chaining to
/// that CA (and not in crl_file) is required.
inline context_result make_server_context(const server_settings& s) {
    constexpr std::string_view role = "server";
    auto r = detail::make_context(net::ssl::context::tls_server, role);
    if (!r) return r;
    WOLFSSL_CTX* ctx = r.context->native_handle();
    if (s.ciphers == cipher_policy::compatibility && !suite_built_in(compatibility_suite)) {
        return detail::fail(r, role,
                            "cipher policy compatibility: this wolfSSL build has no " +
                                std::string{compatibility_suite} +
                                " (TLS_RSA_WITH_AES_128_CBC_SHA256 needs static RSA key "
                                "exchange, WOLFSSL_STATIC_RSA)");
    }
    if (auto error = detail::apply_common(ctx, effective_cipher_list(s),
                                          s.ciphers == cipher_policy::compatibility);
        !error.empty())
        return detail::fail(r, role, error);
    if (auto error = detail::use_certificate(ctx, s.certificate_chain_file, s.private_key_file);
        !error.empty())
        return detail::fail(r, role, error);
    if (s.client_ca_file.empty()) {
        if (!s.crl_file.empty()) return detail::fail(r, role, "a CRL file needs a client CA file");
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
        return r;
    }
    if (const int rc = wolfSSL_CTX_load_verify_locations(ctx, s.client_ca_file.c_str(), nullptr);
        rc != WOLFSSL_SUCCESS) {
        return detail::fail(r, role,
                            "client CA file '" + s.client_ca_file +
                                "': not a readable PEM certificate file" +
                                detail::wolfssl_reason(rc));
    }
    // no certificate, no connection.
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    if (!s.crl_file.empty()) {
        if (const int rc = wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL); rc != WOLFSSL_SUCCESS)
            return detail::fail(r, role, "CRL checking: refused" + detail::wolfssl_reason(rc));
        if (const int rc = wolfSSL_CTX_LoadCRLFile(ctx, s.crl_file.c_str(), WOLFSSL_FILETYPE_PEM);
            rc != WOLFSSL_SUCCESS) {
            return detail::fail(r, role,
                                "CRL file '" + s.crl_file + "': not a readable PEM CRL" +
                                    detail::wolfssl_reason(rc));
        }
    }
    // Sessions resume only into a context with the same id; wolfSSL's cache is process-wide.
    static constexpr std::array<unsigned char, 13> session_context{
        'g', 'w', '-', 'm', 'o', 'd', 'b', 'u', 's', '-', 't', 'l', 's'};
    if (const int rc = wolfSSL_CTX_set_session_id_context(
            ctx, session_context.data(), static_cast<unsigned int>(session_context.size()));
        rc != WOLFSSL_SUCCESS) {
        return detail::fail(r, role, "session id context: refused" + detail::wolfssl_reason(rc));
    }
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_SERVER);
    // TLS 1.2 resumes by session id only: a TLS 1.2 ticket carries no peer certificate, and the
    // id the client sends with it is new, so the identity cache could not find the role (such a
    // resumption was refused with tls_bad_identity). TLS 1.3 tickets keep the chain.
    if (const int rc = wolfSSL_CTX_NoTicketTLSv12(ctx); rc != WOLFSSL_SUCCESS)
        return detail::fail(
            r, role, "TLS 1.2 session tickets: cannot be turned off" + detail::wolfssl_reason(rc));
    return r;
}

/// Why a server handshake failed, in words an operator can act on: the certificate check's
/// verdict when there is one ("client certificate expired"), else wolfSSL's reason.
inline std::string handshake_failure_reason(WOLFSSL* ssl, const transport::error_code& ec) {
    const int code = wolfSSL_get_error(ssl, 0);
    switch (code) {
        case ASN_AFTER_DATE_E:
            return "client certificate expired";
        case ASN_BEFORE_DATE_E:
            return "client certificate not yet valid";
        case ASN_NO_SIGNER_E:
            return "client certificate from an unknown CA";
        case NO_PEER_CERT:
            return "no client certificate";
        case CRL_CERT_REVOKED:
            return "client certificate revoked";
        case ASN_SIG_CONFIRM_E:
            return "client certificate signature invalid";
        case VERSION_ERROR:
            return "protocol version below TLS 1.2";
        case MATCH_SUITE_ERROR:
            return "no cipher suite in common";
        default:
            break;
    }
    switch (wolfSSL_get_verify_result(ssl)) {
        case X509_V_OK:
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return "client certificate expired";
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "client certificate not yet valid";
        case X509_V_ERR_CERT_REVOKED:
            return "client certificate revoked";
        default:
            return "client certificate not verified";
    }
    return ec.message() + detail::wolfssl_reason(code);
}

/// A role_error in words, for the log.
inline std::string_view describe(role_error e) noexcept {
    switch (e) {
        case role_error::malformed:
            return "certificate DER malformed";
        case role_error::no_role_extension:
            return "no role extension";
        case role_error::not_utf8string:
            return "role not a UTF8String";
        case role_error::empty_role:
            return "empty role";
        case role_error::role_too_long:
            return "role longer than 64 bytes";
        case role_error::bad_utf8:
            return "role not valid UTF-8";
        case role_error::control_character:
            return "role holds a control character";
        case role_error::duplicate_extension:
            return "role extension twice";
    }
    return "?";
}

/// The audit reason of a failed server handshake (see handshake_failure_reason for the words).
inline policy::reason handshake_failure_code(WOLFSSL* ssl) {
    switch (wolfSSL_get_error(ssl, 0)) {
        case ASN_AFTER_DATE_E:
            return policy::reason::tls_certificate_expired;
        case ASN_BEFORE_DATE_E:
            return policy::reason::tls_certificate_not_yet_valid;
        case ASN_NO_SIGNER_E:
            return policy::reason::tls_unknown_ca;
        case NO_PEER_CERT:
            return policy::reason::tls_no_certificate;
        case CRL_CERT_REVOKED:
            return policy::reason::tls_certificate_revoked;
        default:
            break;
    }
    switch (wolfSSL_get_verify_result(ssl)) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return policy::reason::tls_certificate_expired;
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return policy::reason::tls_certificate_not_yet_valid;
        case X509_V_ERR_CERT_REVOKED:
            return policy::reason::tls_certificate_revoked;
        default:
            break;
    }
    return policy::reason::tls_handshake_failed;
}

/// Who a client proved to be: its certificate's subject CN and role, or why it cannot be used.
struct peer_identity_result {
    policy::connection_identity identity;
    std::string error;  ///< empty: identity holds the peer
    bool ok() const noexcept { return error.empty(); }
};

/// The identities of recent full handshakes by session id, so that a resumed session (which
/// may carry no peer certificate) gets the role its certificate gave. Bounded: the oldest entry
/// gives way. Per listener.
template <std::size_t N>
class session_identity_cache {
public:
    void put(std::span<const unsigned char> id, const policy::connection_identity& identity) {
        if (id.empty() || id.size() > max_id) return;
        entry* slot = find(id);
        if (slot == nullptr) {
            slot = &entries_[next_];
            next_ = (next_ + 1) % N;
        }
        slot->size = static_cast<std::uint8_t>(id.size());
        std::copy(id.begin(), id.end(), slot->id.begin());
        slot->identity = identity;
    }
    const policy::connection_identity* get(std::span<const unsigned char> id) const {
        const entry* e = const_cast<session_identity_cache*>(this)->find(id);
        return e != nullptr ? &e->identity : nullptr;
    }
    void clear() { entries_ = {}; }

private:
    static constexpr std::size_t max_id = 32;  // ID_LEN
    struct entry {
        std::array<unsigned char, max_id> id{};
        std::uint8_t size = 0;
        policy::connection_identity identity;
    };
    entry* find(std::span<const unsigned char> id) {
        if (id.empty() || id.size() > max_id) return nullptr;
        for (auto& e : entries_) {
            if (e.size == id.size() && std::equal(id.begin(), id.end(), e.id.begin())) return &e;
        }
        return nullptr;
    }
    std::array<entry, N> entries_{};
    std::size_t next_ = 0;
};

/// The session id wolfSSL keeps for `ssl` (TLS 1.2 session id; with tickets, the id the ticket
/// carries: WOLFSSL_TICKET_HAVE_ID), empty if none.
inline std::span<const unsigned char> session_id_of(WOLFSSL* ssl) {
    WOLFSSL_SESSION* session = wolfSSL_get_session(ssl);
    if (session == nullptr) return {};
    unsigned int size = 0;
    const unsigned char* id = wolfSSL_SESSION_get_id(session, &size);
    if (id == nullptr) return {};
    return {id, size};
}

/// The verified client's identity after a server handshake: from its certificate on a full
/// handshake (stored in `cache`), from `cache` on a resumed one.
template <std::size_t N>
peer_identity_result read_peer_identity(WOLFSSL* ssl, session_identity_cache<N>& cache) {
    peer_identity_result r;
    const auto id = session_id_of(ssl);
    const bool resumed = wolfSSL_session_reused(ssl) != 0;
    if (resumed) {
        if (const auto* known = cache.get(id); known != nullptr) {
            r.identity = *known;
            return r;
        }
    }
    // A resumed session not in the cache (a TLS 1.3 ticket: its id exists only once the
    // ticket is sent, after the handshake) still has the certificate chain wolfSSL verified
    // and stored with the session (SESSION_CERTS); without one it is refused, never roleless.
    WOLFSSL_X509* peer = wolfSSL_get_peer_certificate(ssl);
    if (peer == nullptr) {
        r.error = resumed ? "resumed session with no identity on record" : "no client certificate";
        return r;
    }
    int der_size = 0;
    const unsigned char* der = wolfSSL_X509_get_der(peer, &der_size);
    std::array<char, 256> cn{};
    const int cn_size =
        wolfSSL_X509_NAME_get_text_by_NID(wolfSSL_X509_get_subject_name(peer), NID_commonName,
                                          cn.data(), static_cast<int>(cn.size()));
    if (der == nullptr || der_size <= 0) {
        r.error = "client certificate unreadable";
    } else {
        const auto role = read_modbus_role(
            std::span<const std::uint8_t>{der, static_cast<std::size_t>(der_size)});
        r.identity.source = policy::identity_source::client_certificate;
        if (cn_size > 0 && !r.identity.subject.assign(
                               std::string_view{cn.data(), static_cast<std::size_t>(cn_size)})) {
            r.error = "client certificate subject CN longer than " +
                      std::to_string(decltype(r.identity.subject)::capacity()) + " bytes";
        } else if (role.ok()) {
            if (!r.identity.role.assign(role.role)) r.error = "client certificate role too long";
        } else if (*role.error != role_error::no_role_extension) {
            // A role that cannot be read is refused, not taken as "no role": the certificate's
            // issuer meant something by it.
            r.error = "client certificate role extension refused (" +
                      std::string{describe(*role.error)} + ")";
        }
    }
    wolfSSL_X509_free(peer);
    if (r.ok()) cache.put(id, r.identity);
    return r;
}

/// A client context that verifies the server's chain against `ca_file` (the host name is the
/// caller's: stream.set_verify_callback(net::ssl::host_name_verification(name))).
inline context_result make_client_context(const client_settings& s) {
    constexpr std::string_view role = "client";
    if (s.ca_file.empty()) {
        return {std::nullopt,
                "TLS client context: ca_file is required (the server's "
                "certificate is always verified)"};
    }
    auto r = detail::make_context(net::ssl::context::tls_client, role);
    if (!r) return r;
    WOLFSSL_CTX* ctx = r.context->native_handle();
    if (auto error = detail::apply_common(ctx, s.cipher_list); !error.empty())
        return detail::fail(r, role, error);
    if (const int rc = wolfSSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr);
        rc != WOLFSSL_SUCCESS) {
        return detail::fail(r, role,
                            "CA file '" + s.ca_file + "': not a readable PEM certificate file" +
                                detail::wolfssl_reason(rc));
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    if (s.certificate_chain_file.empty() != s.private_key_file.empty())
        return detail::fail(r, role, "a client certificate needs its private key, and back");
    if (s.certificate_chain_file.empty()) return r;
    if (auto error = detail::use_certificate(ctx, s.certificate_chain_file, s.private_key_file);
        !error.empty())
        return detail::fail(r, role, error);
    return r;
}

/// Asio reports most wolfSSL failures as "unexpected result"; this adds wolfSSL's own reason
/// from the stream's last error ("... (wolfSSL -313: received alert fatal error)").
template <class Stream>
std::string describe_error(Stream& stream, const transport::error_code& ec) {
    return ec.message() + detail::wolfssl_reason(wolfSSL_get_error(stream.native_handle(), 0));
}

}  // namespace gw::tls
