#pragma once
// The management console's accounts: names, roles, password hashes (never passwords), the
// previous hashes a new password may not repeat, and the flags the policy needs. Kept in one
// JSON file in the state directory (mode 0600, written atomically: temp file, fsync, rename,
// fsync dir), read at start and written on the worker thread at every change.
//
// Thread safety: a mutex guards the accounts. The io thread reads (find, list, count); changes
// are made by `update`, which the worker calls: it copies the accounts, applies the change,
// writes the file and only then publishes the copy, so a failed write changes nothing.

#include <gw/gateway/atomic_file.hpp>
#include <gw/gateway/capacity.hpp>

#include <boost/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace gw::security {

/// The built-in roles, and `custom`: a role of the configuration's management.roles, named by
/// account::custom_role (its rights come from there; a name no longer there has none).
enum class console_role : std::uint8_t { operator_, administrator, custom };

constexpr std::string_view to_string(console_role r) noexcept {
    return r == console_role::administrator ? "administrator"
           : r == console_role::custom      ? "custom"
                                            : "operator";
}
/// Whether `name` can name a custom role (management.roles' rule: 1 to 32 of a-z 0-9 _ -, not
/// a built-in name).
inline bool valid_custom_role_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 32 || name == "administrator" || name == "operator" ||
        name == "custom")
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}
inline std::optional<console_role> role_named(std::string_view name) noexcept {
    if (name == "administrator") return console_role::administrator;
    if (name == "operator") return console_role::operator_;
    return std::nullopt;
}

struct account {
    std::string name;
    console_role role = console_role::operator_;
    std::string custom_role;           ///< the role's name when role is custom
    std::string hash;                  ///< password_hash.hpp's PHC string
    std::vector<std::string> history;  ///< previous hashes, newest first
    bool must_change = true;           ///< forced change at next login
    std::int64_t created = 0;          ///< unix seconds
    std::int64_t password_changed = 0;
    std::int64_t last_login = 0;  ///< 0: never

    friend bool operator==(const account&, const account&) = default;
};

/// The name of an account's role, as sessions, the API and the file hold it.
inline std::string role_name(const account& a) {
    return a.role == console_role::custom ? a.custom_role : std::string{to_string(a.role)};
}

/// Account names: 1 to 32 of A-Z a-z 0-9 _ - . (they appear in audit records and URLs).
inline bool valid_account_name(std::string_view n) noexcept {
    if (n.empty() || n.size() > 32) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

/// The accounts file: at most this large (64 accounts with 24 old hashes each fit easily).
inline constexpr std::size_t max_account_file_bytes = 1024 * 1024;

namespace detail {

inline boost::json::object to_json(const account& a) {
    boost::json::object o;
    o["name"] = a.name;
    o["role"] = role_name(a);
    o["hash"] = a.hash;
    boost::json::array h;
    for (const auto& old : a.history)
        h.emplace_back(old);
    o["history"] = std::move(h);
    o["must_change"] = a.must_change;
    o["created"] = a.created;
    o["password_changed"] = a.password_changed;
    o["last_login"] = a.last_login;
    return o;
}

/// One account from the file, or why not.
inline std::string from_json(const boost::json::value& v, account& a) {
    const auto* o = v.if_object();
    if (o == nullptr) return "an account is not an object";
    const auto text = [&](std::string_view key, std::string& out) -> bool {
        const auto* s = o->if_contains(key);
        if (s == nullptr || !s->is_string()) return false;
        out = std::string{s->as_string()};
        return true;
    };
    const auto number = [&](std::string_view key, std::int64_t& out) -> bool {
        const auto* n = o->if_contains(key);
        if (n == nullptr || !n->is_int64()) return false;
        out = n->as_int64();
        return true;
    };
    std::string role;
    if (!text("name", a.name) || !valid_account_name(a.name)) return "an account has no valid name";
    const std::string who = "account \"" + a.name + "\": ";
    if (!text("role", role)) return who + "unknown role";
    if (const auto builtin = role_named(role)) {
        a.role = *builtin;
    } else if (valid_custom_role_name(role)) {
        a.role = console_role::custom;
        a.custom_role = role;
    } else {
        return who + "unknown role";
    }
    if (!text("hash", a.hash) || a.hash.empty() || a.hash.size() > 256) return who + "no hash";
    const auto* h = o->if_contains("history");
    if (h == nullptr || !h->is_array() ||
        h->as_array().size() > gateway::capacity::password_history_max)
        return who + "bad history";
    a.history.clear();
    for (const auto& old : h->as_array()) {
        if (!old.is_string() || old.as_string().size() > 256) return who + "bad history";
        a.history.emplace_back(old.as_string());
    }
    const auto* m = o->if_contains("must_change");
    if (m == nullptr || !m->is_bool()) return who + "no must_change";
    a.must_change = m->as_bool();
    if (!number("created", a.created) || !number("password_changed", a.password_changed) ||
        !number("last_login", a.last_login))
        return who + "bad times";
    return {};
}

}  // namespace detail

class account_store {
public:
    /// `path`: the accounts file (its directory must exist, mode 0700 suggested).
    explicit account_store(std::string path) : path_{std::move(path)} {}

    /// Reads the file; a missing file is no accounts (first run). "" or why it cannot be used:
    /// unreadable, readable by others than its owner, too large, or malformed.
    std::string load() {
        struct ::stat st {};
        if (::stat(path_.c_str(), &st) != 0) {
            if (errno == ENOENT) return {};
            return path_ + ": " + std::strerror(errno);
        }
        if ((st.st_mode & 077) != 0)
            return path_ + ": readable by others (mode " + mode_text(st.st_mode) +
                   "): it holds password hashes; chmod 600 it";
        if (static_cast<std::size_t>(st.st_size) > max_account_file_bytes)
            return path_ + ": larger than " + std::to_string(max_account_file_bytes) + " bytes";
        std::ifstream in{path_, std::ios::binary};
        if (!in) return path_ + ": cannot be read";
        std::ostringstream text;
        text << in.rdbuf();
        boost::json::error_code ec;
        boost::json::parse_options options;
        options.max_depth = 8;
        const auto doc = boost::json::parse(text.str(), ec, {}, options);
        if (ec) return path_ + ": not JSON: " + ec.message();
        const auto* o = doc.if_object();
        const auto* list = o != nullptr ? o->if_contains("accounts") : nullptr;
        if (list == nullptr || !list->is_array()) return path_ + ": no \"accounts\" array";
        if (list->as_array().size() > gateway::capacity::console_accounts)
            return path_ + ": more than " + std::to_string(gateway::capacity::console_accounts) +
                   " accounts";
        std::vector<account> loaded;
        for (const auto& v : list->as_array()) {
            account a;
            if (auto why = detail::from_json(v, a); !why.empty()) return path_ + ": " + why;
            if (find_in(loaded, a.name) != nullptr)
                return path_ + ": account \"" + a.name + "\" twice";
            loaded.push_back(std::move(a));
        }
        const std::lock_guard lock{mutex_};
        accounts_ = std::move(loaded);
        return {};
    }

    std::optional<account> find(std::string_view name) const {
        const std::lock_guard lock{mutex_};
        if (const auto* a = find_in(accounts_, name)) return *a;
        return std::nullopt;
    }
    std::vector<account> list() const {
        const std::lock_guard lock{mutex_};
        return accounts_;
    }
    std::size_t size() const {
        const std::lock_guard lock{mutex_};
        return accounts_.size();
    }
    std::size_t administrators() const {
        const std::lock_guard lock{mutex_};
        return static_cast<std::size_t>(
            std::count_if(accounts_.begin(), accounts_.end(),
                          [](const account& a) { return a.role == console_role::administrator; }));
    }

    /// Applies `change` to a copy of the accounts; if it returns "" the copy is written to the
    /// file and then becomes the accounts. Returns change's refusal, the write's error, or "".
    /// Blocking (disk): the worker thread's, never the io thread's.
    std::string update(const std::function<std::string(std::vector<account>&)>& change) {
        const std::lock_guard write_lock{write_mutex_};  // one writer at a time
        std::vector<account> next = list();
        if (auto refused = change(next); !refused.empty()) return refused;
        if (next.size() > gateway::capacity::console_accounts)
            return "at most " + std::to_string(gateway::capacity::console_accounts) + " accounts";
        if (auto error = write(next); !error.empty()) return error;
        const std::lock_guard lock{mutex_};
        accounts_ = std::move(next);
        return {};
    }

    /// Removes the file and every account (factory reset).
    std::string erase() {
        const std::lock_guard write_lock{write_mutex_};
        if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
            return path_ + ": " + std::strerror(errno);
        const std::lock_guard lock{mutex_};
        accounts_.clear();
        return {};
    }

    const std::string& path() const noexcept { return path_; }

    static const account* find_in(const std::vector<account>& list, std::string_view name) {
        const auto it = std::find_if(list.begin(), list.end(),
                                     [&](const account& a) { return a.name == name; });
        return it == list.end() ? nullptr : &*it;
    }
    static account* find_in(std::vector<account>& list, std::string_view name) {
        const auto it = std::find_if(list.begin(), list.end(),
                                     [&](const account& a) { return a.name == name; });
        return it == list.end() ? nullptr : &*it;
    }

private:
    static std::string mode_text(::mode_t m) {
        char text[8];
        std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(m & 07777));
        return text;
    }

    std::string write(const std::vector<account>& list) const {
        boost::json::array a;
        for (const auto& acc : list)
            a.emplace_back(detail::to_json(acc));
        boost::json::object doc;
        doc["version"] = 1;
        doc["accounts"] = std::move(a);
        return gateway::write_file_atomically(path_, boost::json::serialize(doc) + "\n", 0600);
    }

    std::string path_;
    mutable std::mutex mutex_;
    std::mutex write_mutex_;
    std::vector<account> accounts_;
};

}  // namespace gw::security
