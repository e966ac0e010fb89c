#pragma once
// The console's configuration editor: GET and PUT /api/v1/config/KEY for the top-level keys of
// the configuration file. A change is the running configuration with one key replaced, read by
// the same reader as the file (the same messages, with the JSON path of the refused value),
// applied through the reload path (what a reload cannot change is refused: "restart to
// apply"), then saved atomically on the console's worker thread, the previous file kept as
// "<file>.previous". A save that fails undoes the live change: what runs is what is on disk.
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
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
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
    /// Runs a job on the worker thread; false when its queue is full.
    using post_work_fn = std::function<bool(std::function<void()>)>;

    config_editor(net::io_context& io, config::gateway_config running, origin where, apply_fn apply,
                  post_work_fn post_work)
        : io_{io}
        , running_{std::move(running)}
        , origin_{std::move(where)}
        , apply_{std::move(apply)}
        , post_work_{std::move(post_work)} {}

    /// What runs now, as the file holds it.
    const config::gateway_config& running() const noexcept { return running_; }
    /// Where it is saved, and why not if it cannot be.
    const origin& where() const noexcept { return origin_; }

    /// A reload (SIGHUP) changed what runs: edits start from it.
    void reloaded(config::gateway_config running) { running_ = std::move(running); }

    /// The endpoints to register with the management API.
    std::vector<mgmt::api_endpoint> endpoints() {
        std::vector<mgmt::api_endpoint> out;
        out.push_back({"config", mgmt::api_section::status,
                       [this](mgmt::api_call c) { list(std::move(c)); }});
        for (const auto& k : config_key_sections) {
            out.push_back({"config/" + std::string{k.key}, k.section,
                           [this, k](mgmt::api_call c) { key(k, std::move(c)); }});
        }
        return out;
    }

private:
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
        c.reply(http::status::ok, o);
    }

    void key(const config_key_section& k, mgmt::api_call c) {
        if (c.path != "config/" + std::string{k.key})
            return c.fail(http::status::not_found, "no such key");
        const auto document = config::to_json_value(running_);
        if (c.request.method() == http::verb::get) {
            const auto* v = document.as_object().if_contains(k.key);
            return c.reply(http::status::ok, v != nullptr ? *v : boost::json::value{});
        }
        if (c.request.method() != http::verb::put)
            return c.fail(http::status::method_not_allowed, "GET or PUT");
        if (!origin_.why_not.empty()) return c.fail(http::status::conflict, origin_.why_not);
        if (!k.live)
            return c.fail(http::status::conflict,
                          std::string{k.key} +
                              " applies at start only: edit the configuration file and restart");
        if (saving_)
            return c.fail(http::status::conflict, "another change is being saved; try again");

        boost::system::error_code ec;
        boost::json::parse_options limits;
        limits.max_depth = 32;
        auto value = boost::json::parse(c.request.body(), ec, {}, limits);
        if (ec) return c.fail(http::status::bad_request, "the body is not JSON: " + ec.message());

        // The running configuration with this key replaced, read as a file is.
        auto next_document = document;
        auto& top = next_document.as_object();
        if (value.is_null())
            top.erase(k.key);  // an optional key (authorization) removed
        else
            top[k.key] = std::move(value);
        std::string text;
        config::detail::write_pretty(next_document, text);
        text += '\n';
        auto parsed = config::parse_config(text, "<console>");
        if (auto* e = std::get_if<config::config_error>(&parsed)) {
            boost::json::object o;
            o["error"] = e->message;
            o["path"] = e->key_path;
            return c.reply(http::status::unprocessable_entity, o);
        }
        auto next = std::get<config::gateway_config>(std::move(parsed));
        if (next == running_) {
            boost::json::object o;
            o["changed"] = false;
            return c.reply(http::status::ok, o);
        }
        if (auto why = apply_(next); !why.empty()) return c.fail(http::status::conflict, why);

        // Live now; saved on the worker, or undone.
        saving_ = true;
        auto previous = running_;
        running_ = next;
        const std::string file = origin_.file;
        const std::string saved = header(c.account) + text;
        auto call = std::make_shared<mgmt::api_call>(std::move(c));
        const auto done = [this, call, previous, file,
                           key = std::string{k.key}](std::string error) {
            saving_ = false;
            if (!error.empty()) {
                running_ = previous;
                const auto undo = apply_(previous);
                return call->fail(http::status::internal_server_error,
                                  "could not save: " + error +
                                      (undo.empty() ? "; the change was undone"
                                                    : "; undoing it failed too: " + undo));
            }
            call->audit(policy::event_kind::setting_changed, policy::event_severity::notice,
                        policy::event_outcome::success, "key=" + key + " by=" + call->account,
                        policy::event_category::maintenance);
            boost::json::object o;
            o["changed"] = true;
            o["file"] = file;
            call->reply(http::status::ok, o);
        };
        const bool posted = post_work_([this, file, saved, done] {
            auto error = save(file, saved);
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
    origin origin_;
    apply_fn apply_;
    post_work_fn post_work_;
    bool saving_ = false;  ///< one change at a time: the next waits for this one's save
};

}  // namespace gw::examples
