#pragma once
// gw_gateway's management console: its state in <state>/mgmt (accounts.json, the console's
// certificate and key; the directory 0700, secrets 0600), the HTTPS server and the REST API on
// the gateway's io_context, the hashing worker, the dashboard's criteria and /metrics.
//
// Secure by default: with no account yet it listens on 127.0.0.1 only, and the first
// administrator is created from this machine (console or --create-admin); then it opens where
// `management.address` says, subject to the accessible IP list's additional restrictions.

#include "console_certificate.hpp"

#include <gw/config/gateway_config.hpp>
#include <gw/gateway/atomic_file.hpp>
#include <gw/gateway/capacity.hpp>
#include <gw/gateway/gateway_status.hpp>
#include <gw/mgmt/management_api.hpp>
#include <gw/policy/accessible_ip_list.hpp>
#include <gw/security/account_store.hpp>
#include <gw/security/login_guard.hpp>
#include <gw/security/session_registry.hpp>
#include <gw/security/work_queue.hpp>
#include <gw/tls/context.hpp>
#include <gw/tls/self_signed.hpp>

#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace gw::examples {

/// Where the console keeps its state.
inline std::filesystem::path management_dir(const std::string& state_dir) {
    return std::filesystem::path{state_dir} / "mgmt";
}

/// The directory, made 0700 if missing; "" or why not.
inline std::string ensure_private_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return dir.string() + ": " + ec.message();
    if (::chmod(dir.c_str(), 0700) != 0) return dir.string() + ": chmod: " + std::strerror(errno);
    return {};
}

inline security::password_policy password_policy_of(const config::password_policy_config& p) {
    security::password_policy out;
    out.min_length = p.min_length;
    out.require_upper = p.require_upper;
    out.require_lower = p.require_lower;
    out.require_digit = p.require_digit;
    out.require_symbol = p.require_symbol;
    out.history = p.history;
    out.lifetime = std::chrono::days{p.lifetime_days};
    out.warn_before = std::chrono::days{p.warn_days};
    return out;
}

/// Prometheus text format from the status JSON: every number of a channel or listener as
/// gw_<table>_<counter>{<table>="name"}, the other top-level numbers as gw_<path>.
inline std::string prometheus_text(const boost::json::value& status) {
    std::string out;
    const auto label = [](std::string_view s) {
        std::string e;
        for (const char c : s) {
            if (c == '\\' || c == '"') e += '\\';
            if (c == '\n') {
                e += "\\n";
                continue;
            }
            e += c;
        }
        return e;
    };
    const auto metric_name = [](std::string s) {
        for (auto& c : s)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                c = '_';
        return s;
    };
    std::function<void(const std::string&, const boost::json::value&, const std::string&)> walk;
    walk = [&](const std::string& prefix, const boost::json::value& v, const std::string& labels) {
        if (v.is_int64() || v.is_uint64() || v.is_double() || v.is_bool()) {
            const double x = v.is_bool() ? (v.as_bool() ? 1.0 : 0.0) : v.to_number<double>();
            std::ostringstream line;
            line << metric_name(prefix) << labels << " " << x << "\n";
            out += line.str();
        } else if (v.is_object()) {
            for (const auto& [k, sub] : v.as_object())
                walk(prefix + "_" + std::string{k}, sub, labels);
        }
    };
    const auto* o = status.if_object();
    if (o == nullptr) return out;
    for (const auto& [key, value] : *o) {
        const std::string k{key};
        if (value.is_array() && (k == "channels" || k == "listeners")) {
            const std::string table = k.substr(0, k.size() - 1);
            for (const auto& item : value.as_array()) {
                const auto* io = item.if_object();
                if (io == nullptr) continue;
                std::string name;
                if (const auto* n = io->if_contains("name"); n != nullptr && n->is_string())
                    name = std::string{n->as_string()};
                const std::string labels = "{" + table + "=\"" + label(name) + "\"}";
                for (const auto& [field, sub] : *io)
                    walk("gw_" + table + "_" + std::string{field}, sub, labels);
            }
        } else if (!value.is_array()) {
            walk("gw_" + k, value, "");
        }
    }
    return out;
}

inline bool is_loopback_address(const std::string& address) {
    transport::error_code ec;
    const auto a = net::ip::make_address(address, ec);
    return !ec && mgmt::is_loopback(a);
}

/// The security dashboard's criteria (AIG-302 3.3), each with its fix: of the configuration,
/// the accounts (null: none known), the console's certificate (as inspected when loaded) and
/// the running audit trail (null: not running, as for --security-check). Reads no file.
inline std::vector<mgmt::dashboard_check> dashboard_checks(
    const config::gateway_config& config, const security::account_store* accounts,
    const inspected_certificate& certificate, const gateway::audit_trail_status* audit = nullptr) {
    std::vector<mgmt::dashboard_check> out;
    const auto add = [&](std::string id, std::string title, bool passed, std::string detail,
                         std::string fix) {
        out.push_back({std::move(id), std::move(title), passed, std::move(detail), std::move(fix)});
    };
    const auto& m = *config.management;
    const auto& p = m.password_policy;
    const bool strong = p.min_length >= 12 || (p.min_length >= 8 && p.require_digit &&
                                               p.require_symbol && p.require_upper);
    add("password_policy", "Password policy", strong,
        "minimum length " + std::to_string(p.min_length),
        "Set management.password_policy.min_length to 12 or more, or require upper case, "
        "digits and symbols.");
    add("lockout", "Login failure lockout", m.lockout.enabled, m.lockout.enabled ? "on" : "off",
        "Set management.lockout.enabled to true.");
    const auto admins = accounts ? accounts->administrators() : 0;
    add("administrators", "Administrators", admins >= 1 && admins <= 3,
        std::to_string(admins) + " administrator accounts",
        "Keep one to three administrators; give everyone else the operator role.");
    std::size_t unused = 0;
    if (accounts) {
        for (const auto& a : accounts->list())
            if (a.last_login == 0 && !a.must_change) ++unused;
    }
    add("unused_accounts", "Unused accounts", unused == 0,
        std::to_string(unused) + " accounts never used", "Delete accounts nobody logs in with.");
    std::string open;
    for (const auto& l : config.listeners) {
        if (const auto* t = std::get_if<config::tcp_listener_config>(&l.endpoint)) {
            if (!is_loopback_address(t->address) && t->allowlist.empty() &&
                !config.accessible_ip_list.active)
                open += (open.empty() ? "" : ", ") + l.name;
        }
    }
    add("listeners_open", "Listeners beyond this machine without an allowlist", open.empty(),
        open.empty() ? "none" : open,
        "Give each listener an allowlist, or activate the accessible IP list.");
    bool tls_listener = false;
    std::string plain;
    bool compatibility = false;
    for (const auto& l : config.listeners) {
        if (l.protocol == config::listener_protocol::modbus_tls) tls_listener = true;
        if (const auto* t = std::get_if<config::tcp_listener_config>(&l.endpoint)) {
            if (t->tls.ciphers == config::cipher_policy::compatibility) compatibility = true;
            if (l.protocol == config::listener_protocol::modbus_tcp &&
                !is_loopback_address(t->address))
                plain += (plain.empty() ? "" : ", ") + l.name;
        }
    }
    add("plain_modbus", "Plain Modbus TCP beside Modbus/TCP Security",
        !tls_listener || plain.empty(), plain.empty() ? "none" : plain,
        "Where masters speak Modbus/TCP Security, close the plain listeners or bind them to "
        "127.0.0.1.");
    add("tls_compatibility", "TLS compatibility mode", !compatibility, compatibility ? "on" : "off",
        "Set the listeners' tls.ciphers to intermediate.");
    std::string cert_detail;
    bool cert_ok = false;
    if (const auto* i = std::get_if<tls::certificate_info>(&certificate)) {
        const bool weak = i->key_type == "RSA" && i->key_bits < 2048;
        const bool soon = i->not_after - unix_now() < 90LL * 86'400;
        cert_ok = !i->self_signed && !weak && !soon;
        cert_detail = i->key_type + " " + std::to_string(i->key_bits) +
                      (i->self_signed ? ", self-signed" : "") + (weak ? ", weak" : "") +
                      (soon ? ", expires within 3 months" : "");
    } else {
        cert_detail = std::get<std::string>(certificate);
    }
    add("console_certificate", "Console certificate", cert_ok, cert_detail,
        "Import a certificate from your CA (management.certificate and private_key), RSA "
        "2048+ or ECC, valid beyond 3 months.");
    if (audit != nullptr) {
        const auto percent = audit->capacity == 0 ? 0 : audit->held * 100 / audit->capacity;
        const bool stops = config.audit.when_full == config::audit_when_full::stop;
        const bool near_full = stops && percent >= config.audit.warn_percent;
        add("audit_store", "Audit store", audit->storage_ok && !near_full,
            std::to_string(audit->held) + " of " + std::to_string(audit->capacity) + " records" +
                (audit->storage_ok ? "" : ", storage failing: " + audit->last_error) +
                (near_full ? ", nearly full and set to stop recording" : ""),
            audit->storage_ok
                ? "Export the audit log and clear the store, or raise audit.capacity, or set "
                  "audit.when_full to overwrite."
                : "Free space or fix the state directory's file system; the trail resumes by "
                  "itself.");
    }
    add("syslog", "Remote syslog", !config.audit.syslog.empty(),
        std::to_string(config.audit.syslog.size()) + " servers",
        "Send the audit trail to a syslog server (audit.syslog, preferably over TLS).");
    return out;
}

/// A custom role of the configuration as the API's rights table.
inline mgmt::role_rights rights_of(const config::console_role_config& r) {
    const auto right = [](config::console_right x) {
        return x == config::console_right::write  ? mgmt::api_right::write
               : x == config::console_right::read ? mgmt::api_right::read
                                                  : mgmt::api_right::none;
    };
    mgmt::role_rights out;
    out.set(mgmt::api_section::status, right(r.status));
    out.set(mgmt::api_section::audit, right(r.audit));
    out.set(mgmt::api_section::monitor, right(r.monitor));
    out.set(mgmt::api_section::lines, right(r.lines));
    out.set(mgmt::api_section::services, right(r.services));
    out.set(mgmt::api_section::security, right(r.security));
    out.set(mgmt::api_section::accounts, right(r.accounts));
    return out;
}

class management_runtime {
public:
    using log_fn = std::function<void(policy::event_severity, std::string_view)>;

    management_runtime(net::io_context& io, log_fn log) : io_{io}, log_{std::move(log)} {}
    management_runtime(const management_runtime&) = delete;
    management_runtime& operator=(const management_runtime&) = delete;

    /// Everything before the io thread runs: state, certificate, accounts, TLS context, the
    /// listener. "" or why the console cannot start (the gateway does not start then).
    std::string start(const config::gateway_config& c, const std::string& state_dir,
                      mgmt::api_hooks hooks) {
        if (!c.management) return {};
        const auto& m = *c.management;
        config_ = c;
        const auto dir = management_dir(state_dir);
        if (auto e = ensure_private_dir(dir); !e.empty()) return "management: " + e;

        accounts_ = std::make_unique<security::account_store>((dir / "accounts.json").string());
        if (auto e = accounts_->load(); !e.empty()) return "management: " + e;

        // The certificate: configured, imported, or self-signed (console_certificate.hpp).
        certificate_ = std::make_unique<console_certificate>(io_, dir, log_);
        if (auto e = certificate_->start(m.certificate, m.private_key, m.address); !e.empty())
            return e;

        guard_ = std::make_unique<security::login_guard>(security::lockout_settings{
            m.lockout.enabled, m.lockout.max_failures, m.lockout.window, m.lockout.lockout});
        sessions_ = std::make_unique<security::session_registry>(security::session_settings{
            m.sessions.idle, m.sessions.absolute, m.sessions.per_account, m.sessions.total});
        worker_ = std::make_unique<security::work_queue>(worker_queue);

        mgmt::api_settings settings;
        settings.login_message = m.login_message;
        settings.failure_message = m.failure_message;
        settings.metrics = m.metrics == config::metrics_access::open ? mgmt::metrics_access::open
                           : m.metrics == config::metrics_access::off
                               ? mgmt::metrics_access::off
                               : mgmt::metrics_access::session;
        settings.policy = password_policy_of(m.password_policy);
        if (!hooks.dashboard) hooks.dashboard = [this] { return dashboard(); };
        // Custom roles: management.roles, one right per section.
        if (!hooks.custom_role)
            hooks.custom_role = [this](std::string_view role) -> std::optional<mgmt::role_rights> {
                for (const auto& r : config_.management->roles)
                    if (r.name == role) return rights_of(r);
                return std::nullopt;
            };
        if (!hooks.custom_role_names)
            hooks.custom_role_names = [this] {
                std::vector<std::string> names;
                for (const auto& r : config_.management->roles)
                    names.push_back(r.name);
                return names;
            };
        auto opened = std::move(hooks.first_administrator);
        hooks.first_administrator = [this, opened] {
            open_configured();
            if (opened) opened();
        };
        const auto hooks_audit = hooks.audit;  // the console's TLS refusals go there too
        api_ = std::make_unique<mgmt::management_api>(io_, *accounts_, *guard_, *sessions_,
                                                      *worker_, settings, std::move(hooks));
        sweep_sessions();

        // The accessible IP list's additional restrictions reach the console too.
        const policy::accessible_ip_settings list{c.accessible_ip_list.active,
                                                  c.accessible_ip_list.additional_restrictions,
                                                  c.accessible_ip_list.entries};
        if (!accessible_.set(list)) return "management: accessible_ip_list refused";
        mgmt::server_limits limits;
        limits.max_connections = m.max_connections;
        server_ = std::make_unique<mgmt::https_server>(
            io_, certificate_->context(), limits,
            [this](mgmt::http_request&& r, const mgmt::request_context& ctx,
                   mgmt::respond_fn respond) {
                api_->handle(std::move(r), ctx, std::move(respond));
            },
            [this](const net::ip::address& a) {
                return accessible_.admits(mgmt::policy_address(a), policy::access::service);
            });
        server_->on_handshake_failure(
            [this, audit = hooks_audit](const net::ip::tcp::endpoint& peer,
                                        const transport::error_code& ec) {
                handshake_failed(audit, peer, ec);
            });
        api_->add_endpoint({"factory-reset", mgmt::api_section::security,
                            [this](mgmt::api_call call) { factory_reset(std::move(call)); }});
        api_->add_endpoint(certificate_->endpoint(
            *server_, [this](std::function<void()> job) { return post_work(std::move(job)); }));
        if (accounts_->size() == 0) {
            // Loopback only until an administrator exists.
            const auto at = is_loopback_text(m.address) ? m.address : std::string{"127.0.0.1"};
            if (auto e = listen(at, m.port); !e.empty()) return e;
            log_(policy::event_severity::notice,
                 "management console on https://" + url_host(at) + ":" +
                     std::to_string(bound_port()) +
                     "/ (loopback only until the first administrator is created)");
        } else {
            if (auto e = listen(m.address, m.port); !e.empty()) return e;
            log_(policy::event_severity::notice, "management console on https://" +
                                                     url_host(m.address) + ":" +
                                                     std::to_string(bound_port()) + "/");
        }
        return {};
    }

    /// A reload's accessible IP list (already checked by the configuration reader): the
    /// console admits by it from the next connection on.
    void set_accessible_ip_list(const config::accessible_ip_list_config& l) {
        const policy::accessible_ip_settings list{l.active, l.additional_restrictions, l.entries};
        if (!accessible_.set(list))
            log_(policy::event_severity::error,
                 "management: the reloaded accessible_ip_list was refused; the console keeps "
                 "the previous one");
    }

    /// The running audit trail's status, for the dashboard (io thread; must not block).
    void on_audit_status(std::function<gateway::audit_trail_status()> f) {
        audit_status_ = std::move(f);
    }

    /// What the gateway does once an administrator confirmed a factory reset (io thread).
    void on_factory_reset(std::function<void(const std::string& account)> f) {
        factory_reset_ = std::move(f);
    }

    /// An endpoint kept outside the API (the configuration editor, ...); after start().
    void add_endpoint(mgmt::api_endpoint e) {
        if (api_) api_->add_endpoint(std::move(e));
    }

    /// A blocking job (disk) for the console's worker thread; false when its queue is full
    /// or the console does not run.
    bool post_work(std::function<void()> job) {
        return worker_ != nullptr && worker_->try_post(std::move(job));
    }

    /// The io thread stopped: end the worker (its results are dropped), close the server.
    void stop() {
        sweep_.cancel();
        if (server_) server_->stop();
        if (worker_) worker_->stop();
    }

    bool running() const noexcept { return server_ != nullptr; }

    /// Every minute: sessions idle or old past their bound end now, not at their next use, so
    /// that an abandoned session's end is in the audit log (session_ended, "idle timeout").
    void sweep_sessions() {
        sweep_.expires_after(std::chrono::minutes{1});
        sweep_.async_wait([this](const transport::error_code& ec) {
            if (ec || !sessions_) return;
            (void)sessions_->list(std::chrono::steady_clock::now());
            sweep_sessions();
        });
    }
    std::uint16_t bound_port() const {
        if (!server_) return 0;
        const auto e = server_->endpoints();
        return e.empty() ? 0 : e.front().port();
    }
    bool has_accounts() const { return accounts_ && accounts_->size() != 0; }

    /// The dashboard's criteria (AIG-302 3.3), each with its fix.
    std::vector<mgmt::dashboard_check> dashboard() const {
        if (!audit_status_)
            return dashboard_checks(config_, accounts_.get(), certificate_->inspected());
        const auto audit = audit_status_();
        return dashboard_checks(config_, accounts_.get(), certificate_->inspected(), &audit);
    }

private:
    static constexpr std::size_t worker_queue = 64;
    static constexpr std::chrono::seconds handshake_audit_window{60};
    static constexpr std::size_t handshake_audit_sources = 64;

    static bool is_loopback_text(const std::string& address) {
        return is_loopback_address(address);
    }
    static std::string url_host(const std::string& address) {
        return address.find(':') != std::string::npos ? "[" + address + "]" : address;
    }

    /// POST /api/v1/factory-reset {"password"}: an administrator, who proves it again with the
    /// password (hashed on the worker, as a login), then the gateway stops and erases its state.
    void factory_reset(mgmt::api_call c) {
        if (c.path != "factory-reset") return c.fail(http::status::not_found, "not found");
        if (c.request.method() != http::verb::post)
            return c.fail(http::status::method_not_allowed, "POST");
        if (c.role != security::to_string(security::console_role::administrator))
            return c.fail(http::status::forbidden, "only an administrator may reset the gateway");
        const auto body = mgmt::parse_json_object(c.request.body());
        const auto password = body ? mgmt::string_member(*body, "password", 256) : std::nullopt;
        if (!password) return c.fail(http::status::bad_request, "{\"password\"} to confirm");
        const auto account = accounts_->find(c.account);
        if (!account || !factory_reset_) return c.fail(http::status::conflict, "not possible now");
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const bool posted = post_work([this, call, password = *password, hash = account->hash] {
            const bool ok = security::verify_password(password, hash);
            net::post(io_, [this, call, ok] {
                if (!ok) {
                    call->audit(policy::event_kind::setting_changed,
                                policy::event_severity::warning, policy::event_outcome::denied,
                                "key=factory_reset wrong password by=" + call->account,
                                policy::event_category::security);
                    return call->fail(http::status::forbidden, "the password is not right");
                }
                call->audit(policy::event_kind::setting_changed, policy::event_severity::warning,
                            policy::event_outcome::success, "key=factory_reset by=" + call->account,
                            policy::event_category::security);
                boost::json::object o;
                o["reset"] = true;
                o["restarting"] = true;
                call->reply(http::status::accepted, o);
                factory_reset_(call->account);
            });
        });
        if (!posted) call->fail(http::status::service_unavailable, "the console's worker is busy");
    }

    /// A failed TLS handshake on the console, audited once per source per minute with the
    /// count of those not recorded (a scanner cannot fill the audit store through the console).
    void handshake_failed(const std::function<void(const policy::audit_event&)>& audit,
                          const net::ip::tcp::endpoint& peer, const transport::error_code& ec) {
        if (!audit) return;
        const auto now = std::chrono::steady_clock::now();
        const auto source = peer.address().to_string();
        auto it = handshake_refusals_.find(source);
        if (it != handshake_refusals_.end() && now - it->second.first < handshake_audit_window) {
            ++it->second.second;
            return;
        }
        std::uint64_t unrecorded = 0;
        if (it != handshake_refusals_.end()) {
            unrecorded = it->second.second;
            it->second = {now, 0};
        } else {
            if (handshake_refusals_.size() >= handshake_audit_sources) {
                // Full: the oldest source gives way (it is recorded again when it returns).
                auto oldest = handshake_refusals_.begin();
                for (auto i = handshake_refusals_.begin(); i != handshake_refusals_.end(); ++i)
                    if (i->second.first < oldest->second.first) oldest = i;
                handshake_refusals_.erase(oldest);
            }
            handshake_refusals_.emplace(source, std::make_pair(now, std::uint64_t{0}));
        }
        policy::audit_event e;
        e.time = gateway::steady_clock{}.now();
        e.kind = policy::event_kind::connection_refused;
        e.category = policy::event_category::security;
        e.severity = policy::event_severity::warning;
        e.outcome = policy::event_outcome::denied;
        e.peer = mgmt::policy_address(peer.address());
        e.peer_port = peer.port();
        policy::set_detail(e.detail, "console reason=tls_handshake_failed error=" + ec.message() +
                                         (unrecorded != 0 ? " (and " + std::to_string(unrecorded) +
                                                                " more from this source before)"
                                                          : ""));
        audit(e);
    }

    std::string listen(const std::string& address, std::uint16_t port) {
        transport::error_code ec;
        const auto a = net::ip::make_address(address, ec);
        if (ec) return "management.address: " + address + ": " + ec.message();
        if (auto e = server_->listen({a, port}); !e.empty()) return "management: " + e;
        return {};
    }

    /// After the first administrator: from loopback to where the configuration says.
    void open_configured() {
        const auto& m = *config_.management;
        if (is_loopback_text(m.address)) return;  // already there
        server_->close_listeners();
        if (auto e = listen(m.address, m.port); !e.empty()) {
            log_(policy::event_severity::error, e);
            return;
        }
        log_(policy::event_severity::notice, "management console now on https://" +
                                                 url_host(m.address) + ":" +
                                                 std::to_string(m.port) + "/");
    }

    net::io_context& io_;
    log_fn log_;
    config::gateway_config config_;
    std::unique_ptr<console_certificate> certificate_;
    std::function<void(const std::string&)> factory_reset_;
    std::function<gateway::audit_trail_status()> audit_status_;
    /// Per source: when its last handshake failure was recorded, and how many since were not.
    std::map<std::string, std::pair<std::chrono::steady_clock::time_point, std::uint64_t>>
        handshake_refusals_;
    std::unique_ptr<security::account_store> accounts_;
    std::unique_ptr<security::login_guard> guard_;
    std::unique_ptr<security::session_registry> sessions_;
    net::steady_timer sweep_{io_};  ///< ends (and audits) abandoned sessions every minute
    std::unique_ptr<security::work_queue> worker_;
    std::unique_ptr<mgmt::management_api> api_;
    policy::accessible_ip_list<gateway::capacity::accessible_ip_entries> accessible_;
    std::unique_ptr<mgmt::https_server> server_;
};

/// `gw_gateway --security-check`: the dashboard's criteria for this configuration and state
/// directory, one per line; exit 1 if any fails (for automation), 0 if all pass.
inline int security_check(const config::gateway_config& c, const std::string& state_dir) {
    if (!c.management) {
        std::cout << "FAIL management: no console configured; the checks need its settings\n";
        return 1;
    }
    const auto dir = management_dir(state_dir);
    security::account_store accounts{(dir / "accounts.json").string()};
    if (auto e = accounts.load(); !e.empty()) {
        std::cout << "FAIL accounts: " << e << "\n";
        return 1;
    }
    const auto certificate = !c.management->certificate.empty() ? c.management->certificate
                             : std::filesystem::exists(dir / "imported.crt")
                                 ? (dir / "imported.crt").string()
                                 : (dir / "console.crt").string();
    bool all = true;
    for (const auto& check :
         dashboard_checks(c, &accounts, inspect_certificate_file(certificate))) {
        std::cout << (check.passed ? "ok   " : "FAIL ") << check.id << ": " << check.title << " ("
                  << check.detail << ")";
        if (!check.passed) std::cout << "\n     fix: " << check.fix;
        std::cout << "\n";
        all = all && check.passed;
    }
    return all ? 0 : 1;
}

/// `gw_gateway --create-admin NAME`: the first administrator, from this machine, while the
/// gateway is stopped (a running one holds <state>/audit.lock and its accounts in memory: use
/// its console then). The password comes from standard input: asked twice without echo on a
/// terminal, one line otherwise (scripts). Exit code 0, or 1 with the reason on stderr.
inline int create_admin(const config::gateway_config& c, const std::string& state_dir,
                        const std::string& name) {
    const auto fail = [](const std::string& why) {
        std::cerr << "gw_gateway: --create-admin: " << why << "\n";
        return 1;
    };
    if (!c.management) return fail("the configuration has no \"management\" console");
    if (!security::valid_account_name(name)) return fail("a name is 1 to 32 of A-Z a-z 0-9 _ - .");
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    const auto lock_path = state_dir + "/audit.lock";
    const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0) return fail(lock_path + ": " + std::strerror(errno));
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0)
        return fail("a gateway runs with this state directory (" + state_dir +
                    "): create the administrator in its console");
    const auto dir = management_dir(state_dir);
    if (auto e = ensure_private_dir(dir); !e.empty()) return fail(e);
    security::account_store accounts{(dir / "accounts.json").string()};
    if (auto e = accounts.load(); !e.empty()) return fail(e);
    if (accounts.size() != 0) return fail("accounts exist: an administrator manages them");

    const auto read_line = [](bool echo_off, const char* prompt) -> std::optional<std::string> {
        termios old{};
        if (echo_off) {
            std::cerr << prompt << std::flush;
            ::tcgetattr(0, &old);
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(0, TCSANOW, &quiet);
        }
        std::string line;
        const bool got = static_cast<bool>(std::getline(std::cin, line));
        if (echo_off) {
            ::tcsetattr(0, TCSANOW, &old);
            std::cerr << "\n";
        }
        if (!got) return std::nullopt;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
    };
    const bool terminal = ::isatty(0) != 0;
    const auto password = read_line(terminal, "Password: ");
    if (!password) return fail("no password on standard input");
    if (terminal) {
        const auto again = read_line(true, "Again: ");
        if (!again || *again != *password) return fail("the passwords differ");
    }
    const auto policy = password_policy_of(c.management->password_policy);
    if (auto why = security::check_password(policy, *password, name); !why.empty())
        return fail("the password " + why);
    const auto hash = security::hash_password(*password);
    if (hash.empty()) return fail("hashing failed");
    const auto error = accounts.update([&](std::vector<security::account>& list) -> std::string {
        security::account a;
        a.name = name;
        a.role = security::console_role::administrator;
        a.hash = hash;
        a.must_change = false;
        a.created = a.password_changed = std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count();
        list.push_back(std::move(a));
        return {};
    });
    if (!error.empty()) return fail(error);
    std::cout << "gw_gateway: administrator \"" << name << "\" created in " << accounts.path()
              << "\n";
    return 0;
}

}  // namespace gw::examples
