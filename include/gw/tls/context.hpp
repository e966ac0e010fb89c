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
// Not yet here (the Modbus/TCP Security work): client certificates (mTLS), the role extension,
// a configurable cipher policy with the specification's opt-in suites, revocation, resumption.

#if !defined(GW_ASIO_SSL)
#error "gw/tls/context.hpp needs GW_ASIO_SSL: link gw::asio_tls or gw::boost_asio_tls"
#endif

#include <gw/transport/asio.hpp>  // <wolfssl/options.h> first, then net::ssl

#include <wolfssl/openssl/evp.h>
#include <wolfssl/ssl.h>

#include <array>
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

struct server_settings {
    std::string certificate_chain_file;  ///< PEM: the server's certificate, then intermediates
    std::string private_key_file;        ///< PEM, the certificate's key
    /// ':'-separated wolfSSL suite names, each one of offered_suites.
    std::string cipher_list{default_cipher_list};
};

struct client_settings {
    /// PEM trust anchors the server's certificate chain must lead to. Required: a client that
    /// does not verify the server is not offered.
    std::string ca_file;
    std::string cipher_list{default_cipher_list};
};

/// A context, or why none could be made ("TLS server context: cipher list: ...").
struct context_result {
    std::optional<net::ssl::context> context;
    std::string error;
    explicit operator bool() const noexcept { return context.has_value(); }
};

namespace detail {

/// Empty if every name in `list` is one of offered_suites, otherwise what is wrong.
inline std::string check_cipher_list(std::string_view list) {
    if (list.empty()) return "is empty";
    std::size_t start = 0;
    for (;;) {
        const auto end = list.find(':', start);
        const auto name = list.substr(start, end == std::string_view::npos ? end : end - start);
        bool offered = false;
        for (const auto s : offered_suites)
            offered = offered || s == name;
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
inline std::string apply_common(WOLFSSL_CTX* ctx, const std::string& cipher_list) {
    constexpr long options = WOLFSSL_OP_NO_SSLv2 | WOLFSSL_OP_NO_SSLv3 | WOLFSSL_OP_NO_TLSv1 |
                             WOLFSSL_OP_NO_TLSv1_1 | WOLFSSL_OP_NO_COMPRESSION |
                             WOLFSSL_OP_SINGLE_DH_USE;
    if ((wolfSSL_CTX_set_options(ctx, options) & options) != options)
        return "options (no SSL, TLS 1.0, TLS 1.1, compression): refused by wolfSSL";
    if (const int rc = wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2); rc != WOLFSSL_SUCCESS)
        return "minimum version TLS 1.2: refused" + wolfssl_reason(rc);
    if (auto why = check_cipher_list(cipher_list); !why.empty()) return "cipher list " + why;
    if (const int rc = wolfSSL_CTX_set_cipher_list(ctx, cipher_list.c_str());
        rc != WOLFSSL_SUCCESS) {
        return "cipher list '" + cipher_list + "': refused" + wolfssl_reason(rc);
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

/// A server context: the certificate chain and its key, TLS 1.2+, the suites of `cipher_list`.
/// Client certificates are not requested (mutual TLS comes with Modbus/TCP Security).
inline context_result make_server_context(const server_settings& s) {
    constexpr std::string_view role = "server";
    auto r = detail::make_context(net::ssl::context::tls_server, role);
    if (!r) return r;
    WOLFSSL_CTX* ctx = r.context->native_handle();
    if (auto error = detail::apply_common(ctx, s.cipher_list); !error.empty())
        return detail::fail(r, role, error);
    if (const int rc =
            wolfSSL_CTX_use_certificate_chain_file(ctx, s.certificate_chain_file.c_str());
        rc != WOLFSSL_SUCCESS) {
        return detail::fail(r, role,
                            "certificate chain '" + s.certificate_chain_file +
                                "': not a readable PEM certificate chain" +
                                detail::wolfssl_reason(rc));
    }
    if (const int rc =
            wolfSSL_CTX_use_PrivateKey_file(ctx, s.private_key_file.c_str(), WOLFSSL_FILETYPE_PEM);
        rc != WOLFSSL_SUCCESS) {
        return detail::fail(r, role,
                            "private key '" + s.private_key_file +
                                "': not a readable PEM private key" + detail::wolfssl_reason(rc));
    }
    if (wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS ||
        !detail::key_matches_certificate(ctx)) {
        return detail::fail(r, role,
                            "private key '" + s.private_key_file +
                                "' does not match certificate '" + s.certificate_chain_file + "'");
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, nullptr);
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
    return r;
}

/// Asio reports most wolfSSL failures as "unexpected result"; this adds wolfSSL's own reason
/// from the stream's last error ("... (wolfSSL -313: received alert fatal error)").
template <class Stream>
std::string describe_error(Stream& stream, const transport::error_code& ec) {
    return ec.message() + detail::wolfssl_reason(wolfSSL_get_error(stream.native_handle(), 0));
}

}  // namespace gw::tls
