#pragma once
// Backup and restore of the gateway's settings through the console (section security):
//
//   POST /api/v1/backup  {"passphrase"?}            -> gw-backup.json (a download)
//   POST /api/v1/restore {"backup": {...}, "passphrase"?}
//
// A backup is one JSON file: the running configuration (as the file would hold it), and, only
// when a passphrase is given, the secrets (the accounts file with its password hashes, an
// imported console certificate and its private key) sealed with it (sealed_box.hpp:
// PBKDF2-HMAC-SHA256 + AES-256-GCM). Without a passphrase the secrets are left out. The whole
// document carries a SHA-512 digest of its canonical text, so a damaged or edited file is
// refused; the sealed part is authenticated by the passphrase besides.
//
// A restore checks everything before it changes anything: the digest, the format, the
// configuration (the file's own reader: errors with their JSON path), the passphrase, the
// accounts (the account store's own reader, at least one administrator) and the certificate
// pair. Then it writes the files atomically and the gateway stops so that it starts on them
// (systemd's Restart=always brings it back; by hand, start it again): the console's sessions,
// accounts and certificate are not swapped under a running console.

#include "console_certificate.hpp"

#include <gw/config/detail/json_pretty.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>
#include <gw/gateway/atomic_file.hpp>
#include <gw/mgmt/api_extension.hpp>
#include <gw/mgmt/request_parsing.hpp>
#include <gw/security/account_store.hpp>
#include <gw/security/sealed_box.hpp>
#include <gw/tls/self_signed.hpp>

#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include <boost/json.hpp>

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gw::examples {

inline constexpr std::string_view backup_format = "gw-backup";
inline constexpr std::int64_t backup_version = 1;
inline constexpr std::string_view backup_seal_label = "gw-backup-v1 secrets";
/// A passphrase that seals private keys and password hashes is at least this long.
inline constexpr std::size_t min_backup_passphrase = 12;

inline std::string to_hex(std::span<const std::uint8_t> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size() * 2);
    for (const auto x : b) {
        s += digits[x >> 4];
        s += digits[x & 0xF];
    }
    return s;
}

inline std::optional<std::vector<std::uint8_t>> from_hex(std::string_view s) {
    if (s.size() % 2 != 0) return std::nullopt;
    const auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::vector<std::uint8_t> out;
    out.reserve(s.size() / 2);
    for (std::size_t i = 0; i < s.size(); i += 2) {
        const int hi = digit(s[i]);
        const int lo = digit(s[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

/// SHA-512 of the document without its "digest" member, as Boost.JSON serialises it (the
/// importer parses and serialises the same way, so the text is canonical for both).
inline std::string backup_digest(boost::json::object doc) {
    doc.erase("digest");
    const auto text = boost::json::serialize(doc);
    std::array<std::uint8_t, WC_SHA512_DIGEST_SIZE> d{};
    if (wc_Sha512Hash(reinterpret_cast<const byte*>(text.data()), static_cast<word32>(text.size()),
                      d.data()) != 0)
        return {};
    return to_hex(d);
}

class backup_service {
public:
    struct files {
        std::string state_dir;
        std::string config_file;  ///< where a restored configuration goes ("" : not editable)
        std::string why_not;      ///< why the configuration cannot be restored, if so
    };
    /// io thread: the running configuration (paths as in the file).
    using running_fn = std::function<config::gateway_config()>;
    using post_work_fn = std::function<bool(std::function<void()>)>;
    /// io thread: stop the gateway so that it starts on the restored files.
    using stop_fn = std::function<void(std::string why)>;

    backup_service(net::io_context& io, files where, running_fn running, post_work_fn post_work,
                   stop_fn stop)
        : io_{io}
        , files_{std::move(where)}
        , running_{std::move(running)}
        , post_work_{std::move(post_work)}
        , stop_{std::move(stop)} {}

    std::vector<mgmt::api_endpoint> endpoints() {
        return {{"backup", mgmt::api_section::security,
                 [this](mgmt::api_call c) { backup(std::move(c)); }},
                {"restore", mgmt::api_section::security,
                 [this](mgmt::api_call c) { restore(std::move(c)); }}};
    }

private:
    std::string mgmt_file(const char* name) const {
        return (std::filesystem::path{files_.state_dir} / "mgmt" / name).string();
    }

    void backup(mgmt::api_call c) {
        if (c.path != "backup") return c.fail(http::status::not_found, "not found");
        if (c.request.method() != http::verb::post)
            return c.fail(http::status::method_not_allowed, "POST");
        const auto body =
            mgmt::parse_json_object(c.request.body().empty() ? "{}" : c.request.body());
        if (!body) return c.fail(http::status::bad_request, "a JSON object");
        std::string passphrase;
        if (body->contains("passphrase")) {
            const auto p = mgmt::string_member(*body, "passphrase", 256);
            if (!p || p->size() < min_backup_passphrase)
                return c.fail(http::status::unprocessable_entity,
                              "the passphrase is " + std::to_string(min_backup_passphrase) +
                                  " to 256 characters (or none: the secrets are left out)");
            passphrase = *p;
        }
        std::string config_text;
        config::detail::write_pretty(config::to_json_value(running_()), config_text);
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const bool posted = post_work_([this, call, passphrase, config_text] {
            // Worker: read the secrets, seal them, digest the whole.
            boost::json::object doc;
            doc["format"] = backup_format;
            doc["version"] = backup_version;
            doc["created"] = rfc3339(unix_now());
            doc["by"] = call->account;
            doc["config"] = config_text;
            std::string error;
            if (passphrase.empty()) {
                doc["secrets"] = nullptr;
            } else {
                boost::json::object secrets;
                const auto put = [&](const char* key, const char* file) {
                    if (auto text = read_small_file(mgmt_file(file)))
                        secrets[key] = *text;
                    else
                        secrets[key] = nullptr;
                };
                put("accounts", "accounts.json");
                put("imported_certificate", "imported.crt");
                put("imported_key", "imported.key");
                const auto box =
                    security::seal(boost::json::serialize(secrets), passphrase, backup_seal_label);
                if (!box) {
                    error = "sealing the secrets failed";
                } else {
                    boost::json::object s;
                    s["kdf"] = "pbkdf2-sha256";
                    s["iterations"] = box->iterations;
                    s["salt"] = to_hex(box->salt);
                    s["cipher"] = "aes-256-gcm";
                    s["nonce"] = to_hex(box->nonce);
                    s["tag"] = to_hex(box->tag);
                    s["ciphertext"] = to_hex(box->ciphertext);
                    doc["secrets"] = std::move(s);
                }
            }
            doc["digest"] = backup_digest(doc);
            std::string text = error.empty() ? boost::json::serialize(doc) : std::string{};
            net::post(io_, [call, error, text = std::move(text), sealed = !passphrase.empty()] {
                if (!error.empty()) return call->fail(http::status::internal_server_error, error);
                call->audit(policy::event_kind::setting_changed, policy::event_severity::notice,
                            policy::event_outcome::success,
                            std::string{"key=backup exported"} +
                                (sealed ? " with secrets" : " without secrets") +
                                " by=" + call->account,
                            policy::event_category::security);
                auto r = call->answer(http::status::ok, text);
                r.set(http::field::content_disposition, "attachment; filename=\"gw-backup.json\"");
                call->respond(std::move(r));
            });
        });
        if (!posted) call->fail(http::status::service_unavailable, "the console's worker is busy");
    }

    /// What a restore will write, once everything checked.
    struct plan {
        std::string config_text;
        std::optional<std::string> accounts;
        std::optional<std::string> certificate;
        std::optional<std::string> key;
    };

    /// Worker: every check of a backup; "" and `out` filled, or why it is refused.
    std::string check(const boost::json::object& doc, const std::string& passphrase, plan& out) {
        const auto* format = doc.if_contains("format");
        const auto* version = doc.if_contains("version");
        if (format == nullptr || !format->is_string() || format->as_string() != backup_format)
            return "not a gw backup";
        if (version == nullptr || !version->is_int64() || version->as_int64() != backup_version)
            return "a backup of another version";
        const auto* digest = doc.if_contains("digest");
        if (digest == nullptr || !digest->is_string() || digest->as_string() != backup_digest(doc))
            return "the digest does not match: the file was changed or damaged";
        const auto* text = doc.if_contains("config");
        if (text == nullptr || !text->is_string()) return "no configuration in the backup";
        auto parsed = config::parse_config(text->as_string(), "<backup>");
        if (auto* e = std::get_if<config::config_error>(&parsed))
            return "the configuration is refused: " + e->key_path +
                   (e->key_path.empty() ? "" : ": ") + e->message;
        out.config_text = std::string{text->as_string()};

        const auto* secrets = doc.if_contains("secrets");
        if (secrets == nullptr || secrets->is_null()) return {};
        if (passphrase.empty()) return "the backup holds sealed secrets: give its passphrase";
        const auto* s = secrets->if_object();
        if (s == nullptr) return "the secrets are malformed";
        const auto hex = [&](const char* key) -> std::optional<std::vector<std::uint8_t>> {
            const auto* v = s->if_contains(key);
            if (v == nullptr || !v->is_string()) return std::nullopt;
            return from_hex(v->as_string());
        };
        security::sealed_box box;
        const auto* iterations = s->if_contains("iterations");
        const auto salt = hex("salt");
        const auto nonce = hex("nonce");
        const auto tag = hex("tag");
        auto ciphertext = hex("ciphertext");
        if (iterations == nullptr || !iterations->is_int64() || !salt ||
            salt->size() != box.salt.size() || !nonce || nonce->size() != box.nonce.size() ||
            !tag || tag->size() != box.tag.size() || !ciphertext)
            return "the secrets are malformed";
        const auto n = iterations->as_int64();
        if (n < security::min_pbkdf2_iterations || n > security::max_pbkdf2_iterations)
            return "the secrets are malformed";
        box.iterations = static_cast<std::uint32_t>(n);
        std::copy(salt->begin(), salt->end(), box.salt.begin());
        std::copy(nonce->begin(), nonce->end(), box.nonce.begin());
        std::copy(tag->begin(), tag->end(), box.tag.begin());
        box.ciphertext = std::move(*ciphertext);
        const auto plain = security::open(box, passphrase, backup_seal_label);
        if (!plain) return "wrong passphrase, or the secrets were changed";
        boost::system::error_code ec;
        const auto inner = boost::json::parse(*plain, ec);
        const auto* o = ec ? nullptr : inner.if_object();
        if (o == nullptr) return "the secrets are malformed";
        const auto member = [&](const char* key) -> std::optional<std::string> {
            const auto* v = o->if_contains(key);
            if (v == nullptr || !v->is_string()) return std::nullopt;
            return std::string{v->as_string()};
        };
        out.accounts = member("accounts");
        out.certificate = member("imported_certificate");
        out.key = member("imported_key");
        if (out.accounts) {
            // The account store's own reader, on a private copy in the mgmt directory.
            const auto probe = mgmt_file("accounts.restore-check");
            if (auto e = gateway::write_file_atomically(probe, *out.accounts, 0600); !e.empty())
                return e;
            security::account_store check{probe};
            auto why = check.load();
            std::error_code ignored;
            std::filesystem::remove(probe, ignored);
            if (!why.empty()) return "the accounts are refused: " + why;
            if (check.administrators() == 0) return "the accounts hold no administrator";
        }
        if (out.certificate.has_value() != out.key.has_value())
            return "the certificate and its key must come together";
        if (out.certificate) {
            if (auto why = tls::check_imported_pair(*out.certificate, *out.key, unix_now());
                !why.empty())
                return "the console certificate is refused: " + why;
        }
        return {};
    }

    void restore(mgmt::api_call c) {
        if (c.path != "restore") return c.fail(http::status::not_found, "not found");
        if (c.request.method() != http::verb::post)
            return c.fail(http::status::method_not_allowed, "POST");
        if (!files_.why_not.empty()) return c.fail(http::status::conflict, files_.why_not);
        if (busy_) return c.fail(http::status::conflict, "a restore is under way");
        boost::system::error_code ec;
        boost::json::parse_options limits;
        limits.max_depth = 8;
        auto body = boost::json::parse(c.request.body(), ec, {}, limits);
        const auto* o = ec ? nullptr : body.if_object();
        const auto* doc = o != nullptr ? o->if_contains("backup") : nullptr;
        if (doc == nullptr || !doc->is_object())
            return c.fail(http::status::bad_request, "a JSON object with \"backup\"");
        std::string passphrase;
        if (const auto* p = o->if_contains("passphrase"); p != nullptr && p->is_string())
            passphrase = std::string{p->as_string()};
        busy_ = true;
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const bool posted = post_work_([this, call, backup = doc->as_object(), passphrase] {
            plan p;
            auto why = check(backup, passphrase, p);
            if (why.empty()) why = write(p);
            net::post(io_, [this, call, why, secrets = p.accounts.has_value()] {
                busy_ = false;
                if (!why.empty()) return call->fail(http::status::unprocessable_entity, why);
                call->audit(policy::event_kind::setting_changed, policy::event_severity::warning,
                            policy::event_outcome::success,
                            std::string{"key=backup restored"} +
                                (secrets ? " with secrets" : " without secrets") +
                                " by=" + call->account,
                            policy::event_category::security);
                boost::json::object answer;
                answer["restored"] = true;
                answer["restarting"] = true;
                call->reply(http::status::ok, answer);
                stop_("a backup was restored by " + call->account);
            });
        });
        if (!posted) {
            busy_ = false;
            call->fail(http::status::service_unavailable, "the console's worker is busy");
        }
    }

    /// Worker: the checked files, each atomically; the configuration last (a failure before
    /// it leaves the old configuration running).
    std::string write(const plan& p) const {
        if (p.accounts) {
            if (auto e =
                    gateway::write_file_atomically(mgmt_file("accounts.json"), *p.accounts, 0600);
                !e.empty())
                return e;
        }
        if (p.certificate) {
            if (auto e = gateway::write_file_atomically(mgmt_file("imported.key"), *p.key, 0600);
                !e.empty())
                return e;
            if (auto e =
                    gateway::write_file_atomically(mgmt_file("imported.crt"), *p.certificate, 0644);
                !e.empty())
                return e;
        }
        return gateway::write_file_atomically(files_.config_file, p.config_text + "\n", 0640);
    }

    net::io_context& io_;
    files files_;
    running_fn running_;
    post_work_fn post_work_;
    stop_fn stop_;
    bool busy_ = false;
};

}  // namespace gw::examples
