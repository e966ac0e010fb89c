#pragma once
// The console's configuration editor: GET and PUT /api/v1/config/KEY for the top-level keys of
// the configuration file. A change is the saved configuration with one key replaced, read by
// the same reader as the file (the same messages, with the JSON path of the refused value).
// What the running gateway can take is applied through the reload path and then saved
// atomically on the console's worker thread, the previous file kept as "<file>.previous"; a
// save that fails undoes the live change (what runs is what is on disk). What applies at start
// only (audit, management, a listener or channel added or removed, a moved address) is saved
// and answered 202: it is pending until the next start, and GET /api/v1/config lists it with
// why; POST /api/v1/restart (section system) restarts the gateway on it.
//
// Rights: each key belongs to a console section (lines, services, security, ...), GET needs
// read on it and PUT write; GET /api/v1/config lists the keys and where the file is.

#include <gw/config/detail/json_pretty.hpp>
#include <gw/config/gateway_config.hpp>
#include <gw/config/load_config.hpp>
#include <gw/config/to_json.hpp>
#include <gw/gateway/atomic_file.hpp>
#include <gw/mgmt/api_extension.hpp>
#include <gw/transport/asio.hpp>

#include <boost/json.hpp>

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gw::examples {

namespace http = mgmt::http;

/// A top-level key of the file, the section that owns it, and whether a running gateway can
/// change it (audit and management run as they started).
struct config_key_section {
    std::string_view key;
    mgmt::api_section section;
    bool live;
};
inline constexpr std::array<config_key_section, 9> config_key_sections{{
    {"channels", mgmt::api_section::lines, true},
    {"routes", mgmt::api_section::lines, true},
    {"listeners", mgmt::api_section::services, true},
    {"limits", mgmt::api_section::services, true},
    {"log", mgmt::api_section::services, true},
    {"accessible_ip_list", mgmt::api_section::security, true},
    {"authorization", mgmt::api_section::security, true},
    {"audit", mgmt::api_section::security, false},
    {"management", mgmt::api_section::accounts, false},
}};

class config_editor {
public:
    /// Where the running configuration came from and whether the console may write it there.
    struct origin {
        std::string file;     ///< the file saved to ("" when not editable)
        std::string label;    ///< for people: the file, or "the command line"
        std::string why_not;  ///< "" when editable
    };
    /// io thread: applies a configuration (paths unresolved, as in the file); "" or why the
    /// running gateway refused it.
    using apply_fn = std::function<std::string(const config::gateway_config&)>;
    /// io thread: "" when the running gateway can apply this configuration live, or why it
    /// applies at the next start only (the configuration has passed the file's checks).
    using start_only_fn = std::function<std::string(const config::gateway_config&)>;
    /// Runs a job on the worker thread; false when its queue is full.
    using post_work_fn = std::function<bool(std::function<void()>)>;

    config_editor(net::io_context& io, config::gateway_config running, origin where, apply_fn apply,
                  start_only_fn start_only, post_work_fn post_work)
        : io_{io}
        , running_{running}
        , saved_{std::move(running)}
        , origin_{std::move(where)}
        , apply_{std::move(apply)}
        , start_only_{std::move(start_only)}
        , post_work_{std::move(post_work)} {}

    /// What runs now, as the file holds it.
    const config::gateway_config& running() const noexcept { return running_; }
    /// What the file holds: what runs, with the changes pending until the next start.
    const config::gateway_config& saved() const noexcept { return saved_; }
    /// Where it is saved, and why not if it cannot be.
    const origin& where() const noexcept { return origin_; }

    /// A reload (SIGHUP) changed what runs to what the file holds: edits start from it.
    void reloaded(config::gateway_config running) {
        running_ = running;
        saved_ = std::move(running);
        pending_why_.clear();
    }

    /// The keys whose saved value is not what runs, and why each waits for a restart.
    std::vector<std::pair<std::string, std::string>> pending() const {
        std::vector<std::pair<std::string, std::string>> out;
        const auto run = config::to_json_value(running_);
        const auto file = config::to_json_value(saved_);
        for (const auto& k : config_key_sections) {
            const auto* a = run.as_object().if_contains(k.key);
            const auto* b = file.as_object().if_contains(k.key);
            if ((a == nullptr) != (b == nullptr) || (a != nullptr && *a != *b)) {
                const auto why = pending_why_.find(std::string{k.key});
                out.emplace_back(
                    k.key, why != pending_why_.end() ? why->second : "applies at the next start");
            }
        }
        return out;
    }

    /// POST /api/v1/restart: `restart(account)` stops the gateway to start it again on what
    /// the file holds (no handler: the endpoint answers 501).
    void on_restart(std::function<void(const std::string& account)> restart) {
        restart_ = std::move(restart);
    }

    /// The endpoints to register with the management API.
    std::vector<mgmt::api_endpoint> endpoints() {
        std::vector<mgmt::api_endpoint> out;
        out.push_back({"restart", mgmt::api_section::services,
                       [this](mgmt::api_call c) { restart(std::move(c)); }});
        out.push_back({"config", mgmt::api_section::status,
                       [this](mgmt::api_call c) { list(std::move(c)); }});
        for (const auto& k : config_key_sections) {
            out.push_back({"config/" + std::string{k.key}, k.section,
                           [this, k](mgmt::api_call c) { key(k, std::move(c)); }});
        }
        return out;
    }

private:
    void restart(mgmt::api_call c) {
        if (c.path != "restart") return c.fail(http::status::not_found, "no such endpoint");
        if (c.request.method() != http::verb::post)
            return c.fail(http::status::method_not_allowed, "POST only");
        if (!restart_) return c.fail(http::status::not_implemented, "this gateway cannot restart");
        if (saving_) return c.fail(http::status::conflict, "a change is being saved; try again");
        std::string pending_keys;
        for (const auto& p : pending())
            pending_keys += (pending_keys.empty() ? "" : ",") + p.first;
        c.audit(policy::event_kind::setting_changed, policy::event_severity::warning,
                policy::event_outcome::success,
                "key=restart by=" + c.account +
                    (pending_keys.empty() ? "" : " applies=" + pending_keys),
                policy::event_category::maintenance);
        boost::json::object o;
        o["restarting"] = true;
        c.reply(http::status::accepted, o);
        restart_(c.account);
    }

    void list(mgmt::api_call c) {
        if (c.path != "config") return c.fail(http::status::not_found, "no such key");
        if (c.request.method() != http::verb::get)
            return c.fail(http::status::method_not_allowed, "GET only");
        boost::json::object o;
        o["file"] = origin_.label;
        o["editable"] = origin_.why_not.empty();
        if (!origin_.why_not.empty()) o["why_not"] = origin_.why_not;
        auto& keys = o["keys"].emplace_array();
        for (const auto& k : config_key_sections) {
            boost::json::object e;
            e["key"] = k.key;
            e["section"] = to_string(k.section);
            e["live"] = k.live;
            keys.emplace_back(std::move(e));
        }
        auto& waiting = o["pending_restart"].emplace_array();
        for (const auto& [key, why] : pending()) {
            boost::json::object e;
            e["key"] = key;
            e["why"] = why;
            waiting.emplace_back(std::move(e));
        }
        c.reply(http::status::ok, o);
    }

    /// `base` (a configuration as the file holds it) with `key` replaced by `value` (null:
    /// removed), read as the file is; the text written too.
    static std::variant<config::gateway_config, config::config_error> replaced(
        const config::gateway_config& base, std::string_view key, const boost::json::value& value,
        std::string& text) {
        auto document = config::to_json_value(base);
        auto& top = document.as_object();
        if (value.is_null())
            top.erase(key);  // an optional key (authorization) removed
        else
            top[key] = value;
        text.clear();
        config::detail::write_pretty(document, text);
        text += '\n';
        return config::parse_config(text, "<console>");
    }

    void key(const config_key_section& k, mgmt::api_call c) {
        if (c.path != "config/" + std::string{k.key})
            return c.fail(http::status::not_found, "no such key");
        if (c.request.method() == http::verb::get) {
            // What the file holds (what the next start runs, and what an edit starts from);
            // GET /api/v1/config says which keys wait for a restart.
            const auto document = config::to_json_value(saved_);
            const auto* v = document.as_object().if_contains(k.key);
            return c.reply(http::status::ok, v != nullptr ? *v : boost::json::value{});
        }
        if (c.request.method() != http::verb::put)
            return c.fail(http::status::method_not_allowed, "GET or PUT");
        if (!origin_.why_not.empty()) return c.fail(http::status::conflict, origin_.why_not);
        if (saving_)
            return c.fail(http::status::conflict, "another change is being saved; try again");

        boost::system::error_code ec;
        boost::json::parse_options limits;
        limits.max_depth = 32;
        const auto value = boost::json::parse(c.request.body(), ec, {}, limits);
        if (ec) return c.fail(http::status::bad_request, "the body is not JSON: " + ec.message());

        // The file's configuration with this key replaced: refused as the file would be.
        std::string text;
        auto parsed = replaced(saved_, k.key, value, text);
        if (auto* e = std::get_if<config::config_error>(&parsed)) {
            boost::json::object o;
            o["error"] = e->message;
            o["path"] = e->key_path;
            return c.reply(http::status::unprocessable_entity, o);
        }
        auto next_saved = std::get<config::gateway_config>(std::move(parsed));
        if (next_saved == saved_) {
            boost::json::object o;
            o["changed"] = false;
            return c.reply(http::status::ok, o);
        }

        // What runs with this key replaced: live when the runtime can take it, otherwise the
        // change waits in the file for the next start (and what runs stays as it is).
        std::string why_later;
        std::optional<config::gateway_config> next_running;
        if (!k.live) {
            why_later = std::string{k.key} + " applies at start only";
        } else {
            std::string unused;
            auto live = replaced(running_, k.key, value, unused);
            if (auto* e = std::get_if<config::config_error>(&live)) {
                // Valid with the pending changes, not without them (a route to a channel that
                // is added at the next start).
                why_later = "depends on changes pending a restart: " + e->message;
            } else {
                next_running = std::get<config::gateway_config>(std::move(live));
                why_later = start_only_(*next_running);
            }
        }
        if (why_later.empty() && next_running && *next_running != running_) {
            if (auto why = apply_(*next_running); !why.empty())
                return c.fail(http::status::conflict, why);
        }
        const bool applied = why_later.empty();

        saving_ = true;
        const auto previous = running_;
        if (applied) running_ = *next_running;
        const std::string file = origin_.file;
        const std::string written = header(c.account) + text;
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const auto done = [this, call, previous, file, applied, why_later,
                           next = std::move(next_saved),
                           key = std::string{k.key}](std::string error) {
            saving_ = false;
            if (!error.empty()) {
                std::string undo;
                if (applied && !(running_ == previous)) {
                    running_ = previous;
                    undo = apply_(previous);
                }
                return call->fail(http::status::internal_server_error,
                                  "could not save: " + error +
                                      (!applied       ? "; nothing changed"
                                       : undo.empty() ? "; the change was undone"
                                                      : "; undoing it failed too: " + undo));
            }
            saved_ = next;
            if (applied)
                pending_why_.erase(key);
            else
                pending_why_[key] = why_later;
            call->audit(
                policy::event_kind::setting_changed, policy::event_severity::notice,
                policy::event_outcome::success,
                "key=" + key + " by=" + call->account + (applied ? "" : " applies=at_restart"),
                policy::event_category::maintenance);
            boost::json::object o;
            o["changed"] = true;
            o["applied"] = applied;
            o["file"] = file;
            if (!applied) o["restart_required"] = why_later;
            call->reply(applied ? http::status::ok : http::status::accepted, o);
        };
        const bool posted = post_work_([this, file, written, done]() mutable {
            auto error = save(file, written);
            net::post(io_, [done, error = std::move(error)]() mutable { done(std::move(error)); });
        });
        if (!posted) done("the console's worker is busy");
    }

    static std::string header(const std::string& account) {
        const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        std::tm utc{};
        ::gmtime_r(&now, &utc);
        char when[32];
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
        return "// Saved by gw_gateway's console at " + std::string{when} + " for " + account +
               ". Every key is written, defaults included;\n// the file before this change is "
               "kept beside it as <name>.previous.\n";
    }

    /// Worker thread: the old file kept as .previous, the new one written atomically.
    static std::string save(const std::string& file, const std::string& text) {
        struct ::stat st {};
        ::mode_t mode = 0640;
        if (::stat(file.c_str(), &st) == 0) {
            mode = st.st_mode & 0777;
            std::ifstream in{file, std::ios::binary};
            std::ostringstream old;
            old << in.rdbuf();
            if (!in.good() && !in.eof()) return file + ": cannot read the previous file";
            if (auto e = gateway::write_file_atomically(file + ".previous", old.str(), mode);
                !e.empty())
                return e;
        }
        return gateway::write_file_atomically(file, text, mode);
    }

    net::io_context& io_;
    config::gateway_config running_;
    config::gateway_config saved_;
    std::map<std::string, std::string> pending_why_;  ///< key -> why it waits for a restart
    origin origin_;
    apply_fn apply_;
    start_only_fn start_only_;
    post_work_fn post_work_;
    std::function<void(const std::string&)> restart_;
    bool saving_ = false;  ///< one change at a time: the next waits for this one's save
};

}  // namespace gw::examples
