#pragma once
// The management console's REST API (docs/management.md): first-run administrator, login and
// logout, sessions, password change, accounts, status, audit log, dashboard, metrics, and the
// console's static assets. It turns a parsed request into an answer; https_server.hpp does
// the HTTP and TLS.
//
// Every endpoint says who may call it (none, a session, an Administrator) and is checked here,
// on the server, before anything else. State-changing requests need the session's CSRF token
// in X-CSRF-Token and a JSON body; the session cookie is `__Host-gw_session` (Secure, HttpOnly,
// SameSite=Strict), given a new id at every login (no fixation).
//
// Nothing slow runs on the io thread: password hashing, the accounts file and the audit store
// are the worker's (security::work_queue), whose results are posted back. A full queue is
// answered 503.

#include <gw/gateway/capacity.hpp>
#include <gw/gateway/steady_clock.hpp>
#include <gw/mgmt/api_extension.hpp>
#include <gw/mgmt/console_assets.hpp>
#include <gw/mgmt/https_server.hpp>
#include <gw/mgmt/request_parsing.hpp>
#include <gw/policy/audit_event.hpp>
#include <gw/security/account_store.hpp>
#include <gw/security/login_guard.hpp>
#include <gw/security/password_hash.hpp>
#include <gw/security/password_policy.hpp>
#include <gw/security/session_registry.hpp>
#include <gw/security/work_queue.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::mgmt {

inline constexpr std::string_view session_cookie = "__Host-gw_session";

/// One criterion of the security dashboard.
struct dashboard_check {
    std::string id;
    std::string title;
    bool passed = false;
    std::string detail;
    std::string fix;
};

/// The audit log query of GET /api/v1/audit.
struct audit_filter {
    std::optional<std::string> category;
    std::optional<std::string> severity;
    std::size_t limit = 200;
};

/// What the API does not own: the gateway's status and metrics, the audit store, the
/// dashboard's criteria, and where its own events go.
struct api_hooks {
    std::function<std::string()> status_json;   ///< io thread
    std::function<std::string()> metrics_text;  ///< io thread; Prometheus text format
    /// Worker thread (reads the store): a JSON array of records, newest first, or nullopt and
    /// the error in `error`.
    std::function<std::optional<std::string>(const audit_filter&, std::string& error)> audit_json;
    std::function<std::vector<dashboard_check>()> dashboard;  ///< io thread
    std::function<void(const policy::audit_event&)> audit;    ///< io thread
    /// The first administrator exists: open the console where the configuration says.
    std::function<void()> first_administrator;
    /// The rights of a role that is not built in (custom roles); nullopt: no such role, which
    /// leaves its sessions no right at all.
    std::function<std::optional<role_rights>(std::string_view role)> custom_role;
    /// The custom roles' names, for the console's account form.
    std::function<std::vector<std::string>()> custom_role_names;
};

enum class metrics_access : std::uint8_t { session, open, off };

struct api_settings {
    std::string login_message;
    std::string failure_message = "Login failed: wrong name or password.";
    metrics_access metrics = metrics_access::session;
    security::password_policy policy;
    security::pbkdf2_parameters hashing;
};

/// JSON for {"error": text}, whatever the text holds.
inline std::string json_error(std::string_view text) {
    boost::json::object o;
    o["error"] = text;
    return boost::json::serialize(o);
}

class management_api {
public:
    management_api(net::io_context& io, security::account_store& accounts,
                   security::login_guard& guard, security::session_registry& sessions,
                   security::work_queue& worker, api_settings settings, api_hooks hooks)
        : io_{io}
        , accounts_{accounts}
        , guard_{guard}
        , sessions_{sessions}
        , worker_{worker}
        , settings_{std::move(settings)}
        , hooks_{std::move(hooks)}
        , alive_{std::make_shared<bool>(true)} {
        // A session that ends by itself is audited as a logout is, from where it was used.
        sessions_.on_expired(
            [this](const security::login_session& s, security::session_expiry why) {
                boost::system::error_code ec;
                const auto address = net::ip::make_address(s.source, ec);
                record(tcp::endpoint{ec ? net::ip::address{} : address, 0},
                       policy::event_kind::session_ended, policy::event_severity::info,
                       policy::event_outcome::success, s.role,
                       "account=" + s.account + " " + std::string{to_string(why)},
                       policy::event_category::security);
            });
    }
    management_api(const management_api&) = delete;
    management_api& operator=(const management_api&) = delete;
    ~management_api() {
        *alive_ = false;
        sessions_.on_expired({});
    }

    /// https_server's handler.
    void handle(http_request&& req, const request_context& ctx, respond_fn respond) {
        call c{std::move(req), ctx, std::move(respond), {}};
        dispatch(c);
    }

    /// Ends every session of `account` (deleted, password reset).
    void end_sessions_of(std::string_view account) { sessions_.remove_account(account); }

    const api_settings& settings() const noexcept { return settings_; }

    /// Adds the endpoints of a part of the API kept elsewhere (api_extension.hpp); before the
    /// server starts, on the io thread.
    void add_endpoint(api_endpoint e) { endpoints_.push_back(std::move(e)); }

    /// The rights of a role by name: built in, custom, or none at all.
    role_rights rights_of(std::string_view role) const {
        if (role == to_string(security::console_role::administrator)) return administrator_rights();
        if (role == to_string(security::console_role::operator_)) return operator_rights();
        if (hooks_.custom_role) {
            if (auto r = hooks_.custom_role(role)) return *r;
        }
        return {};
    }

private:
    /// A request being answered.
    struct call {
        http_request req;
        request_context ctx;
        respond_fn respond;
        std::string path;  ///< the target without its query
    };

    enum class access : std::uint8_t { anyone, session, administrator };

    using clock = std::chrono::steady_clock;
    static clock::time_point now() { return clock::now(); }
    static std::int64_t unix_now() {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    // ---- answers ---------------------------------------------------------------------------

    static http_response json(http::status s, const call& c, std::string body) {
        http_response r{s, c.req.version()};
        r.set(http::field::content_type, "application/json");
        r.body() = std::move(body);
        return r;
    }
    static http_response error(http::status s, const call& c, std::string_view text) {
        return json(s, c, json_error(text));
    }
    static http_response no_content(const call& c) {
        return http_response{http::status::no_content, c.req.version()};
    }

    // ---- the router ------------------------------------------------------------------------

    void dispatch(call& c) {
        const std::string_view target = c.req.target();
        const auto q = target.find('?');
        c.path = std::string{target.substr(0, q)};
        const auto method = c.req.method();

        // Static assets: anyone (the login page must load).
        if (method == http::verb::get && !c.path.starts_with("/api/") && c.path != "/metrics") {
            if (const auto* asset = find_asset(c.path)) {
                http_response r{http::status::ok, c.req.version()};
                r.set(http::field::content_type, asset->content_type);
                r.set(http::field::cache_control, "no-cache");
                r.body() = std::string{asset->body};
                return c.respond(std::move(r));
            }
            return c.respond(error(http::status::not_found, c, "not found"));
        }
        if (c.path == "/metrics" && method == http::verb::get) return metrics(c);
        if (!c.path.starts_with("/api/v1/"))
            return c.respond(error(http::status::not_found, c, "not found"));
        const std::string_view rest = std::string_view{c.path}.substr(8);

        // Before a session exists.
        if (rest == "setup" && method == http::verb::get) return setup_state(c);
        if (rest == "setup" && method == http::verb::post) return setup(c);
        if (rest == "login" && method == http::verb::post) return login(c);

        // Every other endpoint: a session first (401), then the role (403), then CSRF.
        const auto* s = session_of(c);
        if (s == nullptr) return c.respond(error(http::status::unauthorized, c, "log in first"));
        const security::login_session session = *s;  // the registry may drop it meanwhile
        const bool changes = method != http::verb::get && method != http::verb::head;
        if (changes && !csrf_ok(c, session))
            return c.respond(error(http::status::forbidden, c, "missing or wrong CSRF token"));
        if (rest == "logout" && method == http::verb::post) return logout(c, session);
        if (rest == "session" && method == http::verb::get) return session_info(c, session);
        if (rest == "password" && method == http::verb::post) return change_password(c, session);
        // A password that must change allows nothing else.
        if (must_change(session.account))
            return c.respond(error(http::status::forbidden, c, "change your password first"));
        // From here on, the role's right on the endpoint's section.
        const auto rights = rights_of(session.role);
        const auto needed = needed_right(method);
        const auto refuse = [&](api_section section) {
            c.respond(error(http::status::forbidden, c,
                            "your role has no " + std::string{to_string(needed)} + " right on " +
                                std::string{to_string(section)}));
        };
        if (rest == "status" || rest == "dashboard") {
            if (!rights.allows(api_section::status, needed)) return refuse(api_section::status);
            if (method != http::verb::get)
                return c.respond(error(http::status::method_not_allowed, c, "method not allowed"));
            if (rest == "dashboard") return dashboard(c);
            return c.respond(
                json(http::status::ok, c, hooks_.status_json ? hooks_.status_json() : "{}"));
        }
        if (rest == "audit") {
            if (!rights.allows(api_section::audit, needed)) return refuse(api_section::audit);
            if (method != http::verb::get)
                return c.respond(error(http::status::method_not_allowed, c, "method not allowed"));
            return audit_log(c);
        }
        if (const auto* e = find_endpoint(endpoints_, rest)) {
            if (!rights.allows(e->section, needed)) return refuse(e->section);
            return extension(c, session, *e);
        }
        const bool known = rest == "accounts" || rest.starts_with("accounts/") ||
                           rest == "sessions" || rest.starts_with("sessions/");
        if (!known) return c.respond(error(http::status::not_found, c, "not found"));
        if (!rights.allows(api_section::accounts, needed)) return refuse(api_section::accounts);
        if (rest == "accounts" && method == http::verb::get) return list_accounts(c);
        if (rest == "accounts" && method == http::verb::post) return create_account(c, session);
        if (rest.starts_with("accounts/")) {
            std::string_view name = rest.substr(9);
            bool unlock = false;
            if (name.ends_with("/unlock")) {
                name.remove_suffix(7);
                unlock = true;
            }
            if (!security::valid_account_name(name))
                return c.respond(error(http::status::not_found, c, "no such account"));
            if (unlock && method == http::verb::post)
                return unlock_account(c, session, std::string{name});
            if (!unlock && method == http::verb::delete_)
                return delete_account(c, session, std::string{name});
        }
        if (rest == "sessions" && method == http::verb::get) return list_sessions(c);
        if (rest.starts_with("sessions/") && method == http::verb::delete_)
            return end_session(c, session, rest.substr(9));
        return c.respond(error(http::status::method_not_allowed, c, "method not allowed"));
    }

    /// Hands a checked request to an extension's endpoint.
    void extension(call& c, const security::login_session& s, const api_endpoint& e) {
        const std::string_view target = c.req.target();
        const auto q = target.find('?');
        api_call a;
        a.path = c.path.substr(8);
        a.query = q == std::string_view::npos ? std::string{} : std::string{target.substr(q + 1)};
        a.request = std::move(c.req);
        a.context = c.ctx;
        a.account = s.account;
        a.role = s.role;
        a.respond = std::move(c.respond);
        a.session_alive = [this, id = s.id] { return sessions_.peek(id, now()) != nullptr; };
        a.audit = [this, peer = c.ctx.peer, role = s.role](
                      policy::event_kind kind, policy::event_severity severity,
                      policy::event_outcome outcome, std::string_view detail,
                      policy::event_category category) {
            record(peer, kind, severity, outcome, role, detail, category);
        };
        e.handle(std::move(a));
    }

    // ---- sessions, CSRF --------------------------------------------------------------------

    /// The session id of the request's cookie, if any.
    static std::string_view cookie_id(const http_request& req) {
        const auto it = req.find(http::field::cookie);
        return it == req.end() ? std::string_view{}
                               : mgmt::cookie_value(it->value(), session_cookie);
    }

    const security::login_session* session_of(const call& c) {
        const auto id = cookie_id(c.req);
        if (id.empty()) return nullptr;
        return sessions_.find(id, now());
    }

    /// Equal, in time that depends on the length only (the token is a secret).
    static bool same_secret(std::string_view a, std::string_view b) noexcept {
        if (a.size() != b.size() || a.empty()) return false;
        unsigned char diff = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
        return diff == 0;
    }

    static bool csrf_ok(const call& c, const security::login_session& s) {
        const auto it = c.req.find("X-CSRF-Token");
        return it != c.req.end() && same_secret(it->value(), s.csrf_token);
    }

    /// Requests without a session that change state (setup, login) cannot carry a token: they
    /// must be JSON (a cross-site form cannot send that without a CORS preflight, which this
    /// server never grants) and, when the browser says where they come from, same-origin.
    static bool same_origin_json(const call& c) {
        const auto type = c.req.find(http::field::content_type);
        if (type == c.req.end() || !type->value().starts_with("application/json")) return false;
        const auto site = c.req.find("Sec-Fetch-Site");
        if (site != c.req.end() && site->value() != "same-origin" && site->value() != "none")
            return false;
        const auto origin = c.req.find(http::field::origin);
        const auto host = c.req.find(http::field::host);
        if (origin != c.req.end()) {
            if (host == c.req.end()) return false;
            return origin->value() == "https://" + std::string{host->value()};
        }
        return true;
    }

    static std::string set_cookie_text(std::string_view id) {
        return std::string{session_cookie} + "=" + std::string{id} +
               "; Path=/; Secure; HttpOnly; SameSite=Strict";
    }

    bool must_change(std::string_view account) const {
        const auto a = accounts_.find(account);
        return !a || a->must_change || expired(*a);
    }

    bool expired(const security::account& a) const {
        const auto life = settings_.policy.lifetime;
        if (life.count() == 0) return false;
        return unix_now() - a.password_changed >=
               std::chrono::duration_cast<std::chrono::seconds>(life).count();
    }

    std::optional<std::int64_t> expires_in_days(const security::account& a) const {
        const auto life = settings_.policy.lifetime;
        if (life.count() == 0) return std::nullopt;
        const auto left = a.password_changed +
                          std::chrono::duration_cast<std::chrono::seconds>(life).count() -
                          unix_now();
        return left <= 0 ? 0 : left / 86'400;
    }

    // ---- input -----------------------------------------------------------------------------

    /// The request's JSON object, or nullopt (and the answer sent).
    std::optional<boost::json::object> body_object(call& c) {
        const auto type = c.req.find(http::field::content_type);
        if (type == c.req.end() || !type->value().starts_with("application/json")) {
            c.respond(error(http::status::unsupported_media_type, c, "send application/json"));
            return std::nullopt;
        }
        auto o = parse_json_object(c.req.body());
        if (!o) c.respond(error(http::status::bad_request, c, "the body is not a JSON object"));
        return o;
    }

    static std::optional<std::string> text(const boost::json::object& o, std::string_view key,
                                           std::size_t max) {
        return string_member(o, key, max);
    }

    // ---- events ----------------------------------------------------------------------------

    void event(const call& c, policy::event_kind kind, policy::event_severity severity,
               policy::event_outcome outcome, std::string_view role, std::string_view detail,
               policy::event_category category = policy::event_category::security) {
        record(c.ctx.peer, kind, severity, outcome, role, detail, category);
    }

    void record(const tcp::endpoint& peer, policy::event_kind kind, policy::event_severity severity,
                policy::event_outcome outcome, std::string_view role, std::string_view detail,
                policy::event_category category) {
        if (!hooks_.audit) return;
        policy::audit_event e;
        e.time = gateway::steady_clock{}.now();
        e.kind = kind;
        e.category = category;
        e.severity = severity;
        e.outcome = outcome;
        e.peer = policy_address(peer.address());
        e.peer_port = peer.port();
        (void)e.role.assign(role.substr(0, e.role.capacity()));
        policy::set_detail(e.detail, detail);
        hooks_.audit(e);
    }

    /// Runs `job` on the worker, then `done(result)` on the io thread; 503 if the queue is
    /// full. The call moves along.
    template <class Job, class Done>
    void off_thread(call c, Job job, Done done) {
        auto shared = std::make_shared<call>(std::move(c));
        std::weak_ptr<bool> alive = alive_;
        const bool queued = worker_.try_post([this, shared, alive, job = std::move(job),
                                              done = std::move(done)]() mutable {
            auto result = job();
            net::post(
                io_, [shared, alive, done = std::move(done), result = std::move(result)]() mutable {
                    const auto a = alive.lock();
                    if (!a || !*a) return;
                    done(*shared, std::move(result));
                });
        });
        if (!queued)
            shared->respond(error(http::status::service_unavailable, *shared, "busy, try again"));
    }

    // ---- endpoints -------------------------------------------------------------------------

    /// The name and password of a new account, checked (the name's characters, the password
    /// policy); or nothing, and the refusal answered.
    std::optional<std::pair<std::string, std::string>> new_credentials(
        call& c, const boost::json::object& body) {
        auto name = text(body, "name", 64);
        auto password = text(body, "password", 1024);
        if (!name || !security::valid_account_name(*name)) {
            c.respond(error(http::status::unprocessable_entity, c,
                            "a name is 1 to 32 of A-Z a-z 0-9 _ - ."));
            return std::nullopt;
        }
        if (!password) {
            c.respond(error(http::status::unprocessable_entity, c, "no password"));
            return std::nullopt;
        }
        if (auto why = security::check_password(settings_.policy, *password, *name); !why.empty()) {
            c.respond(error(http::status::unprocessable_entity, c, "password " + why));
            return std::nullopt;
        }
        return std::pair{std::move(*name), std::move(*password)};
    }

    /// The worker's part of a new account: hash, add, write. "" or why not ("the account
    /// exists"; with first_only, "an administrator exists" once there is any account).
    std::string add_account(const std::string& name, security::console_role role,
                            const std::string& password, bool must_change, bool first_only,
                            const std::string& custom_role = {}) {
        const auto hash = security::hash_password(password, settings_.hashing);
        if (hash.empty()) return "hashing failed";
        return accounts_.update([&](std::vector<security::account>& list) -> std::string {
            if (first_only && !list.empty()) return "an administrator exists";
            if (security::account_store::find_in(list, name) != nullptr)
                return "the account exists";
            security::account a;
            a.name = name;
            a.role = role;
            a.custom_role = custom_role;
            a.hash = hash;
            a.must_change = must_change;
            a.created = a.password_changed = unix_now();
            list.push_back(std::move(a));
            return {};
        });
    }

    void setup_state(call& c) {
        boost::json::object o;
        o["needed"] = accounts_.size() == 0;
        o["login_message"] = settings_.login_message;
        c.respond(json(http::status::ok, c, boost::json::serialize(o)));
    }

    /// The first administrator: only while there is no account, only from this machine.
    void setup(call& c) {
        if (accounts_.size() != 0)
            return c.respond(error(http::status::conflict, c, "an administrator exists"));
        if (!c.ctx.loopback)
            return c.respond(error(http::status::forbidden, c,
                                   "the first administrator is created from this machine"));
        if (!same_origin_json(c))
            return c.respond(error(http::status::forbidden, c, "cross-site request refused"));
        const auto body = body_object(c);
        if (!body) return;
        auto credentials = new_credentials(c, *body);
        if (!credentials) return;
        std::string name = std::move(credentials->first);
        std::string password = std::move(credentials->second);
        off_thread(
            std::move(c),
            [this, name, password = std::move(password)]() {
                // Chose it just now: no forced change.
                return add_account(name, security::console_role::administrator, password, false,
                                   true);
            },
            [this, name](call& done, std::string refused) {
                if (!refused.empty())
                    return done.respond(error(refused == "an administrator exists"
                                                  ? http::status::conflict
                                                  : http::status::internal_server_error,
                                              done, refused));
                event(done, policy::event_kind::account_created, policy::event_severity::notice,
                      policy::event_outcome::success, "administrator",
                      "account=" + name + " first administrator");
                boost::json::object o;
                o["account"] = name;
                done.respond(json(http::status::created, done, boost::json::serialize(o)));
                if (hooks_.first_administrator) hooks_.first_administrator();
            });
    }

    void login(call& c) {
        if (!same_origin_json(c))
            return c.respond(error(http::status::forbidden, c, "cross-site request refused"));
        const auto body = body_object(c);
        if (!body) return;
        const auto name = text(*body, "name", 64);
        const auto password = text(*body, "password", 1024);
        const std::string source = c.ctx.peer.address().to_string();
        // A name no account can have (control characters, 33+ bytes) is a failure of the source
        // at once: it never reaches the audit text, and it cannot tell whether an account exists.
        if (!name || !password || !security::valid_account_name(*name)) {
            (void)guard_.record_failure("", source, now());
            event(c, policy::event_kind::login_failed, policy::event_severity::warning,
                  policy::event_outcome::denied, {}, "an invalid account name");
            return c.respond(error(http::status::unauthorized, c, settings_.failure_message));
        }
        const auto verdict = guard_.check(*name, source, now());
        if (!verdict.allowed) {
            event(c, policy::event_kind::login_failed, policy::event_severity::warning,
                  policy::event_outcome::denied, {}, "account=" + *name + " locked out");
            boost::json::object o;
            o["error"] = "Too many failed logins.";
            o["retry_after_s"] = verdict.retry_after.count();
            auto r = json(http::status::too_many_requests, c, boost::json::serialize(o));
            r.set(http::field::retry_after, std::to_string(verdict.retry_after.count()));
            return c.respond(std::move(r));
        }
        // An unknown account costs one hash as a known one does: the answer and its timing
        // are the same.
        const auto found = accounts_.find(*name);
        std::string stored = found ? found->hash : security::decoy_hash();
        off_thread(
            std::move(c),
            [password = *password, stored = std::move(stored)]() {
                return security::verify_password(password, stored);
            },
            [this, name = *name, source, known = found.has_value()](call& done, bool ok) {
                finish_login(done, name, source, ok && known);
            });
    }

    void finish_login(call& c, const std::string& name, const std::string& source, bool ok) {
        const auto a = ok ? accounts_.find(name) : std::nullopt;
        if (!a) {
            if (guard_.record_failure(name, source, now())) {
                event(c, policy::event_kind::account_locked, policy::event_severity::warning,
                      policy::event_outcome::denied, {},
                      "account=" + name + " source=" + source + " after " +
                          std::to_string(guard_.settings().max_failures) + " failures");
            }
            event(c, policy::event_kind::login_failed, policy::event_severity::warning,
                  policy::event_outcome::denied, {}, "account=" + name + " wrong name or password");
            return c.respond(error(http::status::unauthorized, c, settings_.failure_message));
        }
        const auto role = security::role_name(*a);
        auto created = sessions_.create(name, role, source, now());
        if (auto* why = std::get_if<std::string>(&created)) {
            event(c, policy::event_kind::login_failed, policy::event_severity::warning,
                  policy::event_outcome::denied, role, "account=" + name + " " + *why);
            return c.respond(error(http::status::service_unavailable, c, *why));
        }
        guard_.record_success(name, source);
        const auto* s = std::get<const security::login_session*>(created);
        event(c, policy::event_kind::login_succeeded, policy::event_severity::notice,
              policy::event_outcome::success, role, "account=" + name);
        boost::json::object o;
        o["account"] = name;
        o["role"] = role;
        o["rights"] = rights_json(role);
        o["csrf_token"] = s->csrf_token;
        o["must_change_password"] = a->must_change || expired(*a);
        if (const auto days = expires_in_days(*a)) {
            o["password_expires_in_days"] = *days;
        } else {
            o["password_expires_in_days"] = nullptr;
        }
        auto r = json(http::status::ok, c, boost::json::serialize(o));
        r.set(http::field::set_cookie, set_cookie_text(s->id));
        c.respond(std::move(r));
        // Last login, on the worker (a disk write); a full queue only loses this timestamp.
        (void)worker_.try_post([this, name] {
            (void)accounts_.update([&](std::vector<security::account>& list) -> std::string {
                if (auto* acc = security::account_store::find_in(list, name))
                    acc->last_login = unix_now();
                return {};
            });
        });
    }

    void logout(call& c, const security::login_session& s) {
        sessions_.remove(s.id);
        event(c, policy::event_kind::session_ended, policy::event_severity::info,
              policy::event_outcome::success, s.role, "account=" + s.account + " logout");
        auto r = no_content(c);
        r.set(http::field::set_cookie, std::string{session_cookie} +
                                           "=; Path=/; Secure; HttpOnly; SameSite=Strict; "
                                           "Max-Age=0");
        c.respond(std::move(r));
    }

    /// {"status": "read", ...}: what the console shows this session.
    boost::json::object rights_json(std::string_view role) const {
        const auto r = rights_of(role);
        boost::json::object o;
        for (std::size_t i = 0; i < api_section_count; ++i)
            o[api_section_names[i]] = to_string(r.rights[i]);
        return o;
    }

    void session_info(call& c, const security::login_session& s) {
        boost::json::object o;
        o["account"] = s.account;
        o["role"] = s.role;
        o["rights"] = rights_json(s.role);
        o["csrf_token"] = s.csrf_token;
        o["must_change_password"] = must_change(s.account);
        c.respond(json(http::status::ok, c, boost::json::serialize(o)));
    }

    void change_password(call& c, const security::login_session& s) {
        const auto body = body_object(c);
        if (!body) return;
        const auto current = text(*body, "current", 1024);
        const auto next = text(*body, "new", 1024);
        if (!current || !next)
            return c.respond(
                error(http::status::unprocessable_entity, c, "give \"current\" and \"new\""));
        if (auto why = security::check_password(settings_.policy, *next, s.account); !why.empty())
            return c.respond(error(http::status::unprocessable_entity, c, "password " + why));
        const auto history = settings_.policy.history;
        const auto parameters = settings_.hashing;
        off_thread(
            std::move(c),
            [this, account = s.account, current = *current, next = *next, history,
             parameters]() -> std::pair<http::status, std::string> {
                const auto a = accounts_.find(account);
                if (!a) return {http::status::unauthorized, "no such account"};
                if (!security::verify_password(current, a->hash))
                    return {http::status::unprocessable_entity, "the current password is wrong"};
                if (security::verify_password(next, a->hash))
                    return {http::status::unprocessable_entity,
                            "the new password must differ from the current one"};
                for (std::size_t i = 0; i < a->history.size() && i < history; ++i) {
                    if (security::verify_password(next, a->history[i]))
                        return {http::status::unprocessable_entity,
                                "the new password was used before"};
                }
                const auto hash = security::hash_password(next, parameters);
                if (hash.empty()) return {http::status::internal_server_error, "hashing failed"};
                auto refused =
                    accounts_.update([&](std::vector<security::account>& list) -> std::string {
                        auto* acc = security::account_store::find_in(list, account);
                        if (acc == nullptr) return "no such account";
                        acc->history.insert(acc->history.begin(), acc->hash);
                        if (acc->history.size() > gateway::capacity::password_history_max)
                            acc->history.resize(gateway::capacity::password_history_max);
                        acc->hash = hash;
                        acc->must_change = false;
                        acc->password_changed = unix_now();
                        return {};
                    });
                if (!refused.empty()) return {http::status::internal_server_error, refused};
                return {http::status::no_content, {}};
            },
            [this, id = s.id, account = s.account, role = s.role](
                call& done, std::pair<http::status, std::string> result) {
                if (result.first != http::status::no_content)
                    return done.respond(error(result.first, done, result.second));
                // The other sessions of the account end; this one goes on.
                for (const auto& other : sessions_.list(now())) {
                    if (other.account == account && other.id != id) sessions_.remove(other.id);
                }
                event(done, policy::event_kind::account_changed, policy::event_severity::notice,
                      policy::event_outcome::success, role,
                      "account=" + account + " password changed");
                done.respond(no_content(done));
            });
    }

    void list_accounts(call& c) {
        boost::json::array list;
        for (const auto& a : accounts_.list()) {
            boost::json::object o;
            o["name"] = a.name;
            o["role"] = security::role_name(a);
            o["must_change_password"] = a.must_change;
            if (a.last_login == 0) {
                o["last_login"] = nullptr;
            } else {
                o["last_login"] = a.last_login;
            }
            list.emplace_back(std::move(o));
        }
        boost::json::object o;
        o["accounts"] = std::move(list);
        auto& roles = o["roles"].emplace_array();
        roles.emplace_back("administrator");
        roles.emplace_back("operator");
        if (hooks_.custom_role_names)
            for (const auto& r : hooks_.custom_role_names())
                roles.emplace_back(r);
        c.respond(json(http::status::ok, c, boost::json::serialize(o)));
    }

    void create_account(call& c, const security::login_session& s) {
        const auto body = body_object(c);
        if (!body) return;
        const auto role_text = text(*body, "role", 32);
        auto role = role_text ? security::role_named(*role_text) : std::nullopt;
        std::string custom;
        if (!role && role_text && security::valid_custom_role_name(*role_text) &&
            hooks_.custom_role && hooks_.custom_role(*role_text)) {
            role = security::console_role::custom;
            custom = *role_text;
        }
        if (!role)
            return c.respond(error(http::status::unprocessable_entity, c,
                                   "role is \"administrator\", \"operator\" or one of "
                                   "management.roles"));
        auto credentials = new_credentials(c, *body);
        if (!credentials) return;
        std::string name = std::move(credentials->first);
        std::string password = std::move(credentials->second);
        off_thread(
            std::move(c),
            [this, name, role = *role, custom, password = std::move(password)]() {
                // The administrator chose it: the account must change it at first login.
                return add_account(name, role, password, true, false, custom);
            },
            [this, by = s.account, by_role = s.role, name,
             role = custom.empty() ? std::string{to_string(*role)} : custom](call& done,
                                                                             std::string refused) {
                if (!refused.empty())
                    return done.respond(error(refused == "the account exists"
                                                  ? http::status::conflict
                                                  : http::status::unprocessable_entity,
                                              done, refused));
                event(done, policy::event_kind::account_created, policy::event_severity::notice,
                      policy::event_outcome::success, by_role,
                      "account=" + name + " role=" + role + " by=" + by);
                boost::json::object o;
                o["account"] = name;
                done.respond(json(http::status::created, done, boost::json::serialize(o)));
            });
    }

    void delete_account(call& c, const security::login_session& s, std::string name) {
        off_thread(
            std::move(c),
            [this, name]() {
                return accounts_.update([&](std::vector<security::account>& list) -> std::string {
                    const auto it = std::find_if(list.begin(), list.end(),
                                                 [&](const auto& a) { return a.name == name; });
                    if (it == list.end()) return "no such account";
                    const auto admins = std::count_if(list.begin(), list.end(), [](const auto& a) {
                        return a.role == security::console_role::administrator;
                    });
                    if (it->role == security::console_role::administrator && admins == 1)
                        return "the last administrator cannot be deleted";
                    list.erase(it);
                    return {};
                });
            },
            [this, by = s.account, by_role = s.role, name](call& done, std::string refused) {
                if (!refused.empty())
                    return done.respond(error(refused == "no such account" ? http::status::not_found
                                                                           : http::status::conflict,
                                              done, refused));
                sessions_.remove_account(name);
                guard_.unlock(name);
                event(done, policy::event_kind::account_deleted, policy::event_severity::notice,
                      policy::event_outcome::success, by_role, "account=" + name + " by=" + by);
                done.respond(no_content(done));
            });
    }

    void unlock_account(call& c, const security::login_session& s, const std::string& name) {
        if (!guard_.unlock(name))
            return c.respond(error(http::status::not_found, c, "the account is not locked"));
        event(c, policy::event_kind::account_changed, policy::event_severity::notice,
              policy::event_outcome::success, s.role,
              "account=" + name + " unlocked by=" + s.account);
        c.respond(no_content(c));
    }

    void list_sessions(call& c) {
        boost::json::array list;
        const auto t = now();
        for (const auto& s : sessions_.list(t)) {
            boost::json::object o;
            o["id_prefix"] = s.id.substr(0, 8);
            o["account"] = s.account;
            o["role"] = s.role;
            o["source"] = s.source;
            o["created_s_ago"] =
                std::chrono::duration_cast<std::chrono::seconds>(t - s.created).count();
            o["idle_s"] = std::chrono::duration_cast<std::chrono::seconds>(t - s.last_seen).count();
            list.emplace_back(std::move(o));
        }
        boost::json::object o;
        o["sessions"] = std::move(list);
        c.respond(json(http::status::ok, c, boost::json::serialize(o)));
    }

    /// Ends the sessions whose id starts with `prefix` (8 hex digits: what the list shows).
    void end_session(call& c, const security::login_session& s, std::string_view prefix) {
        if (prefix.size() != 8)
            return c.respond(error(http::status::not_found, c, "no such session"));
        std::size_t ended = 0;
        for (const auto& other : sessions_.list(now())) {
            if (std::string_view{other.id}.substr(0, 8) == prefix) {
                sessions_.remove(other.id);
                ++ended;
                event(c, policy::event_kind::session_ended, policy::event_severity::info,
                      policy::event_outcome::success, s.role,
                      "account=" + other.account + " terminated by=" + s.account);
            }
        }
        if (ended == 0) return c.respond(error(http::status::not_found, c, "no such session"));
        c.respond(no_content(c));
    }

    void audit_log(call& c) {
        if (!hooks_.audit_json)
            return c.respond(error(http::status::not_found, c, "no audit trail"));
        audit_filter f;
        const std::string_view target = c.req.target();
        static constexpr std::array<std::string_view, 6> categories{
            "system", "network", "security", "maintenance", "modbus", "serial"};
        static constexpr std::array<std::string_view, 4> severities{"error", "warning", "notice",
                                                                    "info"};
        if (auto v = query_value(target, "category"); v && !v->empty()) {
            if (std::find(categories.begin(), categories.end(), *v) == categories.end())
                return c.respond(error(http::status::bad_request, c, "unknown category"));
            f.category = std::string{*v};
        }
        if (auto v = query_value(target, "severity"); v && !v->empty()) {
            if (std::find(severities.begin(), severities.end(), *v) == severities.end())
                return c.respond(error(http::status::bad_request, c, "unknown severity"));
            f.severity = std::string{*v};
        }
        if (auto v = query_value(target, "limit"); v && !v->empty()) {
            std::size_t n = 0;
            const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
            if (ec != std::errc{} || p != v->data() + v->size() || n == 0 || n > 10'000)
                return c.respond(error(http::status::bad_request, c, "limit is 1..10000"));
            f.limit = n;
        }
        const bool download =
            query_value(target, "format") == std::optional<std::string_view>{"json"};
        off_thread(
            std::move(c),
            [this, f]() -> std::pair<bool, std::string> {
                std::string why;
                auto records = hooks_.audit_json(f, why);
                if (!records) return {false, why};
                return {true, std::move(*records)};
            },
            [download](call& done, std::pair<bool, std::string> result) {
                if (!result.first)
                    return done.respond(error(http::status::internal_server_error, done,
                                              "audit store: " + result.second));
                auto r = json(http::status::ok, done, "{\"records\":" + result.second + "}");
                if (download)
                    r.set(http::field::content_disposition,
                          "attachment; filename=\"gw-audit.json\"");
                done.respond(std::move(r));
            });
    }

    void dashboard(call& c) {
        boost::json::array checks;
        if (hooks_.dashboard) {
            for (const auto& d : hooks_.dashboard()) {
                boost::json::object o;
                o["id"] = d.id;
                o["title"] = d.title;
                o["passed"] = d.passed;
                o["detail"] = d.detail;
                o["fix"] = d.fix;
                checks.emplace_back(std::move(o));
            }
        }
        boost::json::object o;
        o["checks"] = std::move(checks);
        c.respond(json(http::status::ok, c, boost::json::serialize(o)));
    }

    void metrics(call& c) {
        if (settings_.metrics == metrics_access::off || !hooks_.metrics_text)
            return c.respond(error(http::status::not_found, c, "not found"));
        if (settings_.metrics == metrics_access::session) {
            const auto* s = session_of(c);
            if (s == nullptr)
                return c.respond(error(http::status::unauthorized, c, "log in first"));
        }
        http_response r{http::status::ok, c.req.version()};
        r.set(http::field::content_type, "text/plain; version=0.0.4");
        r.body() = hooks_.metrics_text();
        c.respond(std::move(r));
    }

    net::io_context& io_;
    security::account_store& accounts_;
    security::login_guard& guard_;
    security::session_registry& sessions_;
    security::work_queue& worker_;
    api_settings settings_;
    api_hooks hooks_;
    std::vector<api_endpoint> endpoints_;
    /// Results posted back after this API is gone find it false (shutdown order).
    std::shared_ptr<bool> alive_;
};

}  // namespace gw::mgmt
