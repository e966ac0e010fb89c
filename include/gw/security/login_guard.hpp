#pragma once
// Login failure lockout, counted per account and per source address, the way the NPort
// 6000-G2 does it: max_failures failed logins within `window` lock the account (or the source)
// for `lockout`. The account counter stops guessing one password from many addresses; the
// source counter stops one address spraying guesses over many accounts.
//
// The caller asks check() before verifying a password (a locked name is not even verified), then
// reports the outcome with record_failure() or record_success(). Unknown accounts are counted
// like known ones, under the name as typed: a lockout that only real accounts got would tell
// which accounts exist.
//
// Bounded memory: each table (accounts, sources) holds at most `capacity` names. When a new name
// arrives at a full table, entries whose failures have all aged out go first, then the unlocked
// entry whose last failure is oldest. If every entry is a live lockout, the new name is refused:
// check() answers not allowed (retry when the first lockout ends) and nothing is recorded. An
// attacker who fills the table thus denies logins to new names for a while, but never gets
// unlimited guesses: the guard fails closed, never open.
//
// Not thread-safe: one owner (the io thread) calls it.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gw::security {

using clock = std::chrono::steady_clock;

struct lockout_settings {
    bool enabled = true;
    std::uint32_t max_failures = 5;  ///< 0 is taken as 1
    std::chrono::seconds window{300};
    std::chrono::seconds lockout{300};
    friend bool operator==(const lockout_settings&, const lockout_settings&) = default;
};

/// Names longer than this are counted under their first max_guarded_name bytes: a megabyte of
/// user name must not become a megabyte of table. Names sharing that prefix share a counter,
/// which can only lock sooner.
inline constexpr std::size_t max_guarded_name = 256;

class login_guard {
public:
    explicit login_guard(lockout_settings s, std::size_t capacity = 4096)
        : settings_{s}, capacity_{std::max<std::size_t>(capacity, 1)} {
        settings_.max_failures = std::max<std::uint32_t>(settings_.max_failures, 1);
    }

    struct verdict {
        bool allowed = true;
        std::chrono::seconds retry_after{0};  ///< when not allowed: until the lockout ends
    };

    /// Before verifying the password: not allowed while the account or the source is locked, or
    /// when either is new and its table is full of live lockouts.
    verdict check(std::string_view account, std::string_view source, clock::time_point now) {
        verdict v;
        if (!settings_.enabled) return v;
        for (auto* t : {&accounts_, &sources_}) {
            const auto which = t == &accounts_ ? account : source;
            const auto wait = t->refusal(key(which), now, *this);
            if (wait) {
                v.allowed = false;
                v.retry_after = std::max(v.retry_after, *wait);
            }
        }
        return v;
    }

    /// A failed login (a wrong password, or an unknown account). True if this failure locked the
    /// account or the source.
    bool record_failure(std::string_view account, std::string_view source, clock::time_point now) {
        if (!settings_.enabled) return false;
        const bool a = accounts_.fail(key(account), now, *this);
        const bool s = sources_.fail(key(source), now, *this);
        return a || s;
    }

    /// A successful login forgives the account's failures. Not the source's: otherwise an
    /// attacker holding one valid account could log in between guesses at others and never
    /// reach the limit. Those age out after `window`.
    void record_success(std::string_view account, [[maybe_unused]] std::string_view source) {
        // A lockout stays: check() refused this account, so a success now did not go through it.
        const auto it = accounts_.entries.find(key(account));
        if (it != accounts_.entries.end() && !it->second.locked) accounts_.entries.erase(it);
    }

    /// An administrator's action: forgets the account's failures and ends its lockout. True if a
    /// lockout was on record (one that has just ended but was not looked at since counts too).
    bool unlock(std::string_view account) { return accounts_.erase(key(account)); }
    /// The same for a source address.
    bool unlock_source(std::string_view source) { return sources_.erase(key(source)); }

    struct locked_entry {
        std::string name;
        bool is_source;
        std::chrono::seconds remaining;  ///< rounded up: 0 only once it has ended
        std::uint32_t failures;          ///< counted up to the lockout, and during it
    };

    /// The live lockouts, accounts first, each group by name.
    std::vector<locked_entry> locked(clock::time_point now) const {
        std::vector<locked_entry> out;
        for (const auto* t : {&accounts_, &sources_}) {
            const auto first = out.size();
            for (const auto& [name, e] : t->entries) {
                if (e.is_locked_at(now)) {
                    out.push_back({name, t == &sources_, ceil_seconds(e.locked_until - now),
                                   e.lock_failures});
                }
            }
            std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                      [](const auto& x, const auto& y) { return x.name < y.name; });
        }
        return out;
    }

    const lockout_settings& settings() const noexcept { return settings_; }
    std::size_t capacity() const noexcept { return capacity_; }
    /// Names tracked (failures or lockouts), per table.
    std::size_t accounts_tracked() const noexcept { return accounts_.entries.size(); }
    std::size_t sources_tracked() const noexcept { return sources_.entries.size(); }

private:
    struct entry {
        std::vector<clock::time_point> failures;  // inside the window, oldest first, < max
        clock::time_point locked_until{};
        bool locked = false;
        std::uint32_t lock_failures = 0;

        bool is_locked_at(clock::time_point now) const noexcept {
            return locked && now < locked_until;
        }
    };

    struct table {
        std::unordered_map<std::string, entry> entries;

        // Drops failures that fell out of the window, and a lockout that ended.
        static void age(entry& e, clock::time_point now, const lockout_settings& s) {
            if (e.locked && now >= e.locked_until) {
                e.locked = false;
                e.lock_failures = 0;
            }
            std::erase_if(e.failures, [&](clock::time_point t) { return now - t >= s.window; });
        }

        // Whether `e` holds nothing that still matters at `now`: no lockout, no failure inside
        // the window.
        static bool expired(const entry& e, clock::time_point now, const lockout_settings& s) {
            return !e.is_locked_at(now) &&
                   std::none_of(e.failures.begin(), e.failures.end(),
                                [&](clock::time_point t) { return now - t < s.window; });
        }

        // Room for one more name: the aged-out entries go, else the unlocked one whose last
        // failure is oldest. False if every entry is a live lockout.
        bool make_room(clock::time_point now, const login_guard& g) {
            if (entries.size() < g.capacity_) return true;
            std::erase_if(entries,
                          [&](const auto& kv) { return expired(kv.second, now, g.settings_); });
            if (entries.size() < g.capacity_) return true;
            auto victim = entries.end();
            for (auto it = entries.begin(); it != entries.end(); ++it) {
                if (it->second.is_locked_at(now)) continue;
                if (victim == entries.end() ||
                    it->second.failures.back() < victim->second.failures.back()) {
                    victim = it;
                }
            }
            if (victim == entries.end()) return false;
            entries.erase(victim);
            return true;
        }

        // How long `name` must wait, or nullopt if it may try now.
        std::optional<std::chrono::seconds> refusal(const std::string& name, clock::time_point now,
                                                    login_guard& g) {
            const auto it = entries.find(name);
            if (it != entries.end()) {
                age(it->second, now, g.settings_);
                if (!it->second.locked) return std::nullopt;
                return ceil_seconds(it->second.locked_until - now);
            }
            // Only asks whether there would be room: evicting is record_failure()'s business.
            if (entries.size() < g.capacity_ ||
                std::any_of(entries.begin(), entries.end(),
                            [&](const auto& kv) { return !kv.second.is_locked_at(now); })) {
                return std::nullopt;
            }
            // Full of live lockouts: refuse until the first of them ends.
            auto first = clock::time_point::max();
            for (const auto& kv : entries)
                first = std::min(first, kv.second.locked_until);
            return ceil_seconds(first - now);
        }

        bool fail(const std::string& name, clock::time_point now, login_guard& g) {
            auto it = entries.find(name);
            if (it == entries.end()) {
                if (!make_room(now, g)) return false;  // refused by check() as well
                it = entries.emplace(name, entry{}).first;
            }
            auto& e = it->second;
            age(e, now, g.settings_);
            if (e.locked) {
                // Counted for the administrator's view; a lockout is not extended by failures
                // during it, so a locked-out user's retries do not keep them out for ever.
                ++e.lock_failures;
                return false;
            }
            e.failures.push_back(now);
            if (e.failures.size() < g.settings_.max_failures) return false;
            e.locked = true;
            e.locked_until = now + g.settings_.lockout;
            e.lock_failures = static_cast<std::uint32_t>(e.failures.size());
            e.failures.clear();
            return true;
        }

        bool erase(const std::string& name) {
            const auto it = entries.find(name);
            if (it == entries.end()) return false;
            const bool was_locked = it->second.locked;
            entries.erase(it);
            return was_locked;
        }
    };

    static std::string key(std::string_view name) {
        return std::string(name.substr(0, max_guarded_name));
    }

    static std::chrono::seconds ceil_seconds(clock::duration d) {
        return std::max(std::chrono::ceil<std::chrono::seconds>(d), std::chrono::seconds{0});
    }

    lockout_settings settings_;
    std::size_t capacity_;
    table accounts_;
    table sources_;
};

}  // namespace gw::security
