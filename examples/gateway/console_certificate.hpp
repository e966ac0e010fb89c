#pragma once
// The console's TLS certificate: which one it serves, and replacing it while the gateway runs.
//
//   management.certificate set   that file and key (the configuration owns it: not replaced
//                                from the console)
//   <state>/mgmt/imported.crt    a certificate an administrator imported (PEM, with its key
//                                imported.key, 0600), until one regenerates the self-signed one
//   <state>/mgmt/console.crt     else: a self-signed ECC P-256 certificate made with wolfCrypt,
//                                made again when it does not name the console's addresses
//
// GET /api/v1/certificate describes it; POST /api/v1/certificate {"certificate", "private_key"}
// imports a pair (RSA 1024-4096 or ECC P-256/384/521, the key proven to be the certificate's,
// not expired); POST /api/v1/certificate/regenerate makes a new self-signed one. Checks, files
// and the new TLS context are made on the console's worker; the swap happens on the io thread:
// new connections get the new certificate, open ones keep theirs (so every context made stays
// alive until the gateway stops; at most max_certificate_swaps per run).

#include <gw/gateway/atomic_file.hpp>
#include <gw/mgmt/api_extension.hpp>
#include <gw/mgmt/https_server.hpp>
#include <gw/mgmt/request_parsing.hpp>
#include <gw/tls/context.hpp>
#include <gw/tls/self_signed.hpp>
#include <gw/transport/asio.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

namespace gw::examples {

namespace http = mgmt::http;

inline constexpr std::size_t max_certificate_swaps = 32;
/// The console warns (log, status, dashboard) this long before its certificate expires.
inline constexpr std::int64_t certificate_warning_days = 30;

inline std::optional<std::string> read_small_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A certificate file, inspected (its facts, or why they cannot be had). Blocking: disk.
using inspected_certificate = std::variant<tls::certificate_info, std::string>;
inline inspected_certificate inspect_certificate_file(const std::string& path) {
    const auto pem = read_small_file(path);
    if (!pem) return std::string{"unreadable"};
    return tls::inspect_certificate(*pem);
}

inline std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::string rfc3339(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

class console_certificate {
public:
    using log_fn = std::function<void(policy::event_severity, std::string_view)>;
    enum class origin { configured, imported, self_signed };

    console_certificate(net::io_context& io, std::filesystem::path dir, log_fn log)
        : io_{io}, dir_{std::move(dir)}, log_{std::move(log)} {}

    /// Chooses and loads the certificate at start; "" or why the console cannot start.
    std::string start(const std::string& configured_certificate, const std::string& configured_key,
                      const std::string& address) {
        address_ = address;
        if (!configured_certificate.empty()) {
            origin_ = origin::configured;
            certificate_ = configured_certificate;
            key_ = configured_key;
        } else if (std::filesystem::exists(imported_certificate()) &&
                   std::filesystem::exists(imported_key())) {
            origin_ = origin::imported;
            certificate_ = imported_certificate();
            key_ = imported_key();
        } else {
            origin_ = origin::self_signed;
            certificate_ = self_signed_certificate();
            key_ = self_signed_key();
            if (auto e = ensure_self_signed(false); !e.empty()) return e;
        }
        auto made = make_context(certificate_, key_);
        if (auto* why = std::get_if<std::string>(&made)) return *why;
        contexts_.push_back(std::move(std::get<net::ssl::context>(made)));
        inspected_ = inspect_certificate_file(certificate_);  // before the io thread runs
        warn_if_expiring();
        return {};
    }

    net::ssl::context& context() { return contexts_.back(); }
    const std::string& file() const noexcept { return certificate_; }
    /// What the served certificate is, read when it was loaded (the io thread never reads the
    /// disk for it).
    const inspected_certificate& inspected() const noexcept { return inspected_; }

    /// The endpoint (section security): GET describes, POST imports, POST .../regenerate.
    /// `server` gets the new context; `post_work` runs a job on the console's worker.
    mgmt::api_endpoint endpoint(mgmt::https_server& server,
                                std::function<bool(std::function<void()>)> post_work) {
        server_ = &server;
        post_work_ = std::move(post_work);
        return {"certificate", mgmt::api_section::security,
                [this](mgmt::api_call c) { handle(std::move(c)); }};
    }

    /// What GET answers.
    boost::json::object describe() const {
        boost::json::object o;
        o["source"] = origin_ == origin::configured ? "configured"
                      : origin_ == origin::imported ? "imported"
                                                    : "self-signed";
        o["file"] = certificate_;
        if (const auto* why = std::get_if<std::string>(&inspected_)) {
            o["error"] = *why;
            return o;
        }
        const auto& i = std::get<tls::certificate_info>(inspected_);
        o["subject"] = i.subject;
        o["issuer"] = i.issuer;
        o["not_before"] = rfc3339(i.not_before);
        o["not_after"] = rfc3339(i.not_after);
        const auto days = (i.not_after - unix_now()) / 86'400;
        o["days_left"] = days;
        o["key"] = i.key_type + " " + std::to_string(i.key_bits);
        o["self_signed"] = i.self_signed;
        auto& ips = o["ip_addresses"].emplace_array();
        for (const auto& ip : i.ip_addresses)
            ips.emplace_back(ip);
        if (days < certificate_warning_days)
            o["warning"] = days < 0
                               ? "the certificate has expired"
                               : "the certificate expires in " + std::to_string(days) + " days";
        return o;
    }

private:
    std::string imported_certificate() const { return (dir_ / "imported.crt").string(); }
    std::string imported_key() const { return (dir_ / "imported.key").string(); }
    std::string self_signed_certificate() const { return (dir_ / "console.crt").string(); }
    std::string self_signed_key() const { return (dir_ / "console.key").string(); }

    static std::variant<net::ssl::context, std::string> make_context(const std::string& cert,
                                                                     const std::string& key) {
        tls::server_settings ts;
        ts.certificate_chain_file = cert;
        ts.private_key_file = key;
        auto made = tls::make_server_context(ts);
        if (!made.context) return "management: " + made.error;
        return std::move(*made.context);
    }

    void warn_if_expiring() const {
        const auto d = describe();
        if (const auto* w = d.if_contains("warning"))
            log_(policy::event_severity::warning,
                 "management: " + std::string{w->as_string()} + " (" + certificate_ + ")");
    }

    /// A self-signed certificate for the console's addresses, made when there is none, when
    /// the one there does not name them, or when `force`.
    std::string ensure_self_signed(bool force) {
        std::vector<std::string> ips{"127.0.0.1", "::1"};
        transport::error_code ec;
        const auto a = net::ip::make_address(address_, ec);
        if (!ec && !a.is_unspecified() && !mgmt::is_loopback(a)) ips.push_back(a.to_string());
        const auto cert = self_signed_certificate();
        const auto key = self_signed_key();
        if (auto pem = read_small_file(cert); !force && pem && read_small_file(key)) {
            auto info = tls::inspect_certificate(*pem);
            if (const auto* i = std::get_if<tls::certificate_info>(&info)) {
                const bool all = std::all_of(ips.begin(), ips.end(), [&](const std::string& ip) {
                    return std::find(i->ip_addresses.begin(), i->ip_addresses.end(), ip) !=
                           i->ip_addresses.end();
                });
                if (all) return {};
            }
        }
        tls::self_signed_request r;
        r.common_name = "gw management console";
        r.ip_addresses = ips;
        r.dns_names = {"localhost"};
        auto made = tls::make_self_signed(r);
        if (const auto* why = std::get_if<std::string>(&made)) return "management: " + *why;
        const auto& pair = std::get<tls::pem_pair>(made);
        if (auto e = gateway::write_file_atomically(key, pair.private_key, 0600); !e.empty())
            return "management: " + e;
        if (auto e = gateway::write_file_atomically(cert, pair.certificate, 0644); !e.empty())
            return "management: " + e;
        log_(policy::event_severity::notice, "management: made a self-signed certificate " + cert);
        return {};
    }

    void handle(mgmt::api_call c) {
        const bool regenerate = c.path == "certificate/regenerate";
        if (c.path != "certificate" && !regenerate)
            return c.fail(http::status::not_found, "not found");
        if (c.request.method() == http::verb::get && !regenerate)
            return c.reply(http::status::ok, describe());
        if (c.request.method() != http::verb::post)
            return c.fail(http::status::method_not_allowed, "GET or POST");
        if (origin_ == origin::configured)
            return c.fail(http::status::conflict,
                          "the certificate is set in the configuration (management.certificate): "
                          "change it there");
        if (busy_) return c.fail(http::status::conflict, "a certificate is being replaced");
        if (contexts_.size() >= max_certificate_swaps)
            return c.fail(http::status::conflict,
                          "replaced " + std::to_string(max_certificate_swaps) +
                              " times since the start: restart the gateway first");
        std::string certificate;
        std::string key;
        if (!regenerate) {
            const auto body = mgmt::parse_json_object(c.request.body());
            const auto cert =
                body ? mgmt::string_member(*body, "certificate", tls::max_pem_size) : std::nullopt;
            const auto k =
                body ? mgmt::string_member(*body, "private_key", tls::max_pem_size) : std::nullopt;
            if (!cert || !k)
                return c.fail(http::status::bad_request,
                              "a JSON object with \"certificate\" and \"private_key\" (PEM)");
            certificate = *cert;
            key = *k;
        }
        busy_ = true;
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const bool posted = post_work_([this, call, regenerate, certificate, key] {
            // Worker thread: check, write, load; then the swap on the io thread.
            std::string why;
            std::string file;
            std::string key_file;
            if (regenerate) {
                why = ensure_self_signed(true);
                file = self_signed_certificate();
                key_file = self_signed_key();
            } else {
                why = tls::check_imported_pair(certificate, key, unix_now());
                file = imported_certificate();
                key_file = imported_key();
                if (why.empty()) why = write_pair(certificate, key);
            }
            std::optional<net::ssl::context> context;
            if (why.empty()) {
                auto made = make_context(file, key_file);
                if (auto* e = std::get_if<std::string>(&made))
                    why = *e;
                else
                    context.emplace(std::move(std::get<net::ssl::context>(made)));
            }
            if (why.empty() && regenerate) {
                std::error_code ignored;  // back to the self-signed one for good
                std::filesystem::remove(imported_certificate(), ignored);
                std::filesystem::remove(imported_key(), ignored);
            }
            auto inspected = std::make_shared<inspected_certificate>(
                why.empty() ? inspect_certificate_file(file) : inspected_certificate{why});
            // The ECC cache wolfSSL keeps per thread (FP_ECC) is freed after each such job: the
            // worker thread lives on, and its cache would otherwise be left at exit.
            tls::release_thread_caches();
            auto shared = std::make_shared<std::optional<net::ssl::context>>(std::move(context));
            net::post(io_, [this, call, regenerate, why, file, key_file, shared, inspected] {
                busy_ = false;
                if (!why.empty()) return call->fail(http::status::unprocessable_entity, why);
                contexts_.push_back(std::move(**shared));
                server_->set_tls(contexts_.back());
                origin_ = regenerate ? origin::self_signed : origin::imported;
                certificate_ = file;
                key_ = key_file;
                inspected_ = std::move(*inspected);
                call->audit(policy::event_kind::setting_changed, policy::event_severity::notice,
                            policy::event_outcome::success,
                            std::string{"key=certificate "} +
                                (regenerate ? "regenerated" : "imported") + " by=" + call->account,
                            policy::event_category::security);
                log_(policy::event_severity::notice,
                     "management: the console now serves " + certificate_ + " (" +
                         (regenerate ? "regenerated" : "imported") + " by " + call->account + ")");
                warn_if_expiring();
                call->reply(http::status::ok, describe());
            });
        });
        if (!posted) {
            busy_ = false;
            call->fail(http::status::service_unavailable, "the console's worker is busy");
        }
    }

    /// Worker thread: the imported pair into the state directory (the key 0600 first).
    std::string write_pair(const std::string& certificate, const std::string& key) const {
        if (auto e = gateway::write_file_atomically(imported_key(), key, 0600); !e.empty())
            return e;
        return gateway::write_file_atomically(imported_certificate(), certificate, 0644);
    }

    net::io_context& io_;
    std::filesystem::path dir_;
    log_fn log_;
    std::string address_;
    origin origin_ = origin::self_signed;
    std::string certificate_;
    std::string key_;
    inspected_certificate inspected_{std::string{"not loaded"}};
    /// Every context made this run: open connections may still use an old one.
    std::list<net::ssl::context> contexts_;
    mgmt::https_server* server_ = nullptr;
    std::function<bool(std::function<void()>)> post_work_;
    bool busy_ = false;
};

}  // namespace gw::examples
