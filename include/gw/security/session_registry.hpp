#pragma once
// The console's login sessions: who is logged in, from where, since when. A session is known by
// a 128-bit random id (the cookie) and carries a CSRF token of the same strength that each
// state-changing request must echo. A session ends when it is idle for `idle`, when it is
// `absolute` old however busy, on logout, or when its account logs out everywhere (password
// changed, account deleted). Bounded per account and in total: a new login past either bound
// is refused, not made at the cost of an older session. An expiry is reported (on_expired) when
// it is noticed: at the session's next use, or at any sweep (list(), create()), which the
// console runs every minute so that an abandoned session's end is audited too.
//
// Ids and tokens come from wolfCrypt's DRBG. Not thread-safe: one owner (the io thread).

#include <wolfssl/options.h>  // first: wolfCrypt's headers depend on the build's settings

#include <wolfssl/wolfcrypt/random.h>

#include <gw/security/login_guard.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace gw::security {

struct session_settings {
    std::chrono::seconds idle{900};
    std::chrono::seconds absolute{28800};
    std::size_t per_account = 4;
    std::size_t total = 64;
    friend bool operator==(const session_settings&, const session_settings&) = default;
};

inline constexpr std::size_t session_token_size = 32;  ///< hex digits: 128 random bits

struct login_session {
    std::string id;          ///< 32 lowercase hex digits = 128 random bits
    std::string csrf_token;  ///< the same
    std::string account;
    std::string role;
    std::string source;
    clock::time_point created, last_seen;
};

/// Whether `token` is the session's CSRF token, in time independent of where they differ: the
/// token is compared against a secret, unlike the id, which only selects a hash bucket.
inline bool csrf_matches(const login_session& s, std::string_view token) noexcept {
    if (token.size() != s.csrf_token.size()) return false;
    volatile unsigned char diff = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (token[i] ^ s.csrf_token[i]));
    }
    return diff == 0 && !token.empty();
}

/// Why a session ended by itself.
enum class session_expiry : std::uint8_t { idle, absolute };
constexpr std::string_view to_string(session_expiry e) noexcept {
    return e == session_expiry::idle ? "idle timeout" : "absolute timeout";
}

class session_registry {
public:
    using expired_fn = std::function<void(const login_session&, session_expiry)>;

    explicit session_registry(session_settings s) : settings_{s} {}

    /// Called for each session that ends by itself, just before it is removed.
    void on_expired(expired_fn f) { on_expired_ = std::move(f); }

    /// A new session with a fresh id and CSRF token. Expired sessions are removed first; then it
    /// refuses, saying why, if the account has per_account sessions ("too many sessions for
    /// this account") or the registry `total` ("too many sessions"), or if the DRBG failed.
    std::variant<const login_session*, std::string> create(std::string_view account,
                                                           std::string_view role,
                                                           std::string_view source,
                                                           clock::time_point now) {
        purge(now);
        const auto mine = static_cast<std::size_t>(
            std::count_if(sessions_.begin(), sessions_.end(),
                          [&](const auto& kv) { return kv.second.account == account; }));
        if (mine >= settings_.per_account) return std::string("too many sessions for this account");
        if (sessions_.size() >= settings_.total) return std::string("too many sessions");
        login_session s;
        s.csrf_token = random_token();
        // A collision of 128 random bits does not happen; the loop is only there so that one
        // could not overwrite another session.
        for (int attempt = 0; attempt < 4 && s.id.empty(); ++attempt) {
            s.id = random_token();
            if (sessions_.contains(s.id)) s.id.clear();
        }
        if (s.id.empty() || s.csrf_token.empty()) {
            return std::string("cannot generate a session id");
        }
        s.account = account;
        s.role = role;
        s.source = source;
        s.created = s.last_seen = now;
        const auto [it, inserted] = sessions_.emplace(s.id, std::move(s));
        (void)inserted;
        return &it->second;
    }

    /// The live session with this id, its last_seen set to `now`; nullptr if there is none, or
    /// it has been idle for `idle` or is `absolute` old (then it is removed). The pointer is
    /// valid until that session is removed.
    const login_session* find(std::string_view id, clock::time_point now) {
        auto* s = live(id, now);
        if (s != nullptr) s->last_seen = std::max(s->last_seen, now);
        return s;
    }

    /// As find(), without counting as activity (last_seen stays).
    const login_session* peek(std::string_view id, clock::time_point now) { return live(id, now); }

    bool remove(std::string_view id) { return sessions_.erase(std::string(id)) != 0; }

    /// Logout everywhere (password changed, account deleted); how many sessions ended.
    std::size_t remove_account(std::string_view account) {
        return static_cast<std::size_t>(
            std::erase_if(sessions_, [&](const auto& kv) { return kv.second.account == account; }));
    }

    /// The live sessions, oldest first; expired ones are removed.
    std::vector<login_session> list(clock::time_point now) {
        purge(now);
        std::vector<login_session> out;
        out.reserve(sessions_.size());
        for (const auto& kv : sessions_)
            out.push_back(kv.second);
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.created != b.created ? a.created < b.created : a.id < b.id;
        });
        return out;
    }

    std::size_t size() const noexcept { return sessions_.size(); }
    const session_settings& settings() const noexcept { return settings_; }

private:
    /// The session with this id unless it has expired (then it is removed).
    login_session* live(std::string_view id, clock::time_point now) {
        if (id.size() != session_token_size) return nullptr;
        const auto it = sessions_.find(std::string(id));
        if (it == sessions_.end()) return nullptr;
        if (const auto why = expiry(it->second, now)) {
            if (on_expired_) on_expired_(it->second, *why);
            sessions_.erase(it);
            return nullptr;
        }
        return &it->second;
    }

    /// Why the session has ended by `now`, if it has (absolute first: it ends however busy).
    std::optional<session_expiry> expiry(const login_session& s,
                                         clock::time_point now) const noexcept {
        if (now - s.created >= settings_.absolute) return session_expiry::absolute;
        if (now - s.last_seen >= settings_.idle) return session_expiry::idle;
        return std::nullopt;
    }

    void purge(clock::time_point now) {
        std::erase_if(sessions_, [&](const auto& kv) {
            const auto why = expiry(kv.second, now);
            if (why && on_expired_) on_expired_(kv.second, *why);
            return why.has_value();
        });
    }

    /// 128 bits from the DRBG in lowercase hex, or "" if the DRBG failed.
    static std::string random_token() {
        std::array<unsigned char, session_token_size / 2> bytes{};
        WC_RNG rng;
        if (wc_InitRng(&rng) != 0) return {};
        const bool ok =
            wc_RNG_GenerateBlock(&rng, bytes.data(), static_cast<word32>(bytes.size())) == 0;
        wc_FreeRng(&rng);
        if (!ok) return {};
        static constexpr std::string_view hex = "0123456789abcdef";
        std::string out;
        out.reserve(session_token_size);
        for (const auto b : bytes) {
            out.push_back(hex[b >> 4U]);
            out.push_back(hex[b & 0x0FU]);
        }
        return out;
    }

    session_settings settings_;
    std::unordered_map<std::string, login_session> sessions_;
    expired_fn on_expired_;
};

}  // namespace gw::security
