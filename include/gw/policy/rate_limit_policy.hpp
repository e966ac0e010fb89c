#pragma once
// Rate limiting and DoS defence: token buckets (token_bucket.hpp) for requests per source
// address, per connection and per listener, and for new connections per source; a source that
// keeps exceeding them is blocked for a while. Sans-I/O: the time comes from the
// connection_info / request_info `now`, every table has a fixed capacity.
//
// Over a request rate: the request is answered with exception 0x06 (server device busy),
// reason::rate_limited. Over the connection rate: the connection is refused at accept,
// reason::rate_limited. A blocked source: refused with reason::source_blocked (its requests on
// connections it already holds, with 0x06 as well).
//
// Auto-block: `block_after` refusals of one source within `block_window` block it for
// `block_for`; sources in `exempt` are rate limited but never blocked. A source is a (listener,
// address) pair: limits, blocks and counters are per listener.
//
// Audit: the refusal that blocks a source is audited with reason::source_blocked. Otherwise the
// first refusal of a source in each `audit_window` has decision::audit set; the
// following ones in that window do not, and are counted; the next audited refusal of the source
// carries that count in decision::repeats (policy_chain copies it to audit_event::repeats and
// emits nothing for an unaudited refusal).
//
// The source table holds MaxSources entries, shared by all listeners. When a new source arrives and
// it is full, the least recently seen source that is not blocked is evicted (it starts again with
// full buckets when it comes back; the per-listener bucket still bounds the listener's total). A
// blocked source is never evicted while blocked. When the table is full of blocked sources, new
// sources share one overflow entry per listener: one set of per-source buckets for all of them
// (never unlimited; the overflow entry itself is never blocked, so that it cannot lock out
// newcomers).
//
// Connections: MaxConnections entries keyed by (listener, peer, port). A connection arriving when
// that table is full is refused (reason::too_many_connections): the bounded, safe answer.

#include <gw/core/exception_code.hpp>
#include <gw/core/time.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/policy/token_bucket.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace gw::policy {

/// One listener's limits. The defaults never throttle an ordinary SCADA poller, which sends at
/// most tens of requests a second on a connection (one request in flight, a few ms to tens of ms
/// per round trip) and opens a handful of connections a minute (see docs/security.md, "Rate
/// limiting and DoS defence"):
struct rate_limit_settings {
    rate_limit requests_per_connection{100, 200};   ///< several times a busy poller's rate
    rate_limit requests_per_source{500, 1000};      ///< five busy connections from one host
    rate_limit requests_per_listener{5000, 10000};  ///< all sources together
    rate_limit connections_per_source{20, 40};      ///< a reconnect storm, not a poller
    /// Refusals of one source within block_window that block it; 0: never block.
    std::uint32_t block_after = 100;
    timestamp block_window = std::chrono::seconds{10};
    timestamp block_for = std::chrono::seconds{300};
    /// A source's refusals are audited once per this window, with a count.
    timestamp audit_window = std::chrono::seconds{10};
    /// Sources that are rate limited but never blocked.
    std::span<const ip_network> exempt{};

    /// The same limits, ignoring `exempt` (a view: its owner compares the networks).
    constexpr bool same_limits(const rate_limit_settings& o) const noexcept {
        return requests_per_connection == o.requests_per_connection &&
               requests_per_source == o.requests_per_source &&
               requests_per_listener == o.requests_per_listener &&
               connections_per_source == o.connections_per_source && block_after == o.block_after &&
               block_window == o.block_window && block_for == o.block_for &&
               audit_window == o.audit_window;
    }
};

/// A listener's counters.
struct rate_limit_counters {
    std::uint64_t requests_refused = 0;     ///< over a request rate (reason::rate_limited)
    std::uint64_t connections_refused = 0;  ///< over the connection rate
    std::uint64_t blocked_refusals = 0;     ///< connections or requests of blocked sources
    std::uint64_t blocks = 0;               ///< sources blocked
    std::uint64_t evictions = 0;            ///< sources evicted from a full table
    std::uint64_t overflow = 0;             ///< decisions made with the shared overflow entry
};

/// A blocked source, for the status.
struct blocked_source {
    std::uint16_t listener = 0;
    ip_address address{};  ///< canonical (IPv4 as IPv4-mapped IPv6, v4 false)
    timestamp remaining{};
};

template <std::size_t MaxListeners = 16, std::size_t MaxSources = 256,
          std::size_t MaxConnections = 256, std::size_t MaxExempt = 16>
class rate_limit_policy {
public:
    /// Why set() would refuse `s`, in words for an error message (nullptr: it would not). The one
    /// statement of the rules, which plan checks call before anything is applied.
    static constexpr const char* refusal(const rate_limit_settings& s) noexcept {
        if (s.exempt.size() > MaxExempt) return "too many exempt networks";
        const auto bad = [](const rate_limit& l) { return !l.valid(); };
        if (bad(s.requests_per_connection) || bad(s.requests_per_source) ||
            bad(s.requests_per_listener) || bad(s.connections_per_source))
            return "a rate must be at most 1000000 a second and have a burst of at least 1";
        if (s.block_after != 0 && (s.block_window <= timestamp{} || s.block_for <= timestamp{}))
            return "auto-block needs a positive window and duration";
        if (s.audit_window <= timestamp{}) return "the audit window must be positive";
        return nullptr;
    }

    /// Replaces the settings of `listener`. False (the old settings stay; the caller must report
    /// it) if the listener index is out of range, a limit is invalid (a rate without a burst, or
    /// above rate_limit::max_rate), auto-block is on with a zero window or duration, the audit
    /// window is not positive, or there are more than MaxExempt exempt networks.
    [[nodiscard]] bool set(std::size_t listener, const rate_limit_settings& s) noexcept {
        if (listener >= MaxListeners || refusal(s) != nullptr) return false;
        auto& l = listeners_[listener];
        l.settings = s;
        l.settings.exempt = {};
        l.exempt_size = s.exempt.size();
        for (std::size_t i = 0; i < s.exempt.size(); ++i)
            l.exempt[i] = s.exempt[i];
        return true;
    }

    decision on_connect(const connection_info& c) noexcept {
        if (c.listener >= MaxListeners) return decision::deny(reason::rate_limited);
        auto& l = listeners_[c.listener];
        source& s = source_for(c.listener, c.peer, c.now);
        if (blocked(s, c.now)) {
            ++l.counters.blocked_refusals;
            return refuse(s, reason::source_blocked, c.now, false);
        }
        if (!s.connections.try_take(l.settings.connections_per_source, c.now)) {
            ++l.counters.connections_refused;
            return refuse(s, reason::rate_limited, c.now, true);
        }
        if (find_connection(c) == nullptr) {
            connection* slot = nullptr;
            for (auto& k : connections_) {
                if (!k.used) {
                    slot = &k;
                    break;
                }
            }
            if (slot == nullptr) return decision::deny(reason::too_many_connections);
            *slot = connection{};
            slot->used = true;
            slot->listener = c.listener;
            slot->address = canonical_bytes(c.peer);
            slot->port = c.peer_port;
        }
        return decision::allow();
    }

    void on_disconnect(const connection_info& c) noexcept {
        if (connection* k = find_connection(c); k != nullptr) k->used = false;
    }

    decision on_request(const request_info& r) noexcept {
        const connection_info& c = r.connection;
        if (c.listener >= MaxListeners) {
            return decision::deny(reason::rate_limited, exception_code::server_device_busy);
        }
        auto& l = listeners_[c.listener];
        source& s = source_for(c.listener, c.peer, r.now);
        if (blocked(s, r.now)) {
            ++l.counters.blocked_refusals;
            return refuse(s, reason::source_blocked, r.now, false);
        }
        // A connection on_connect did not see (the policy came later): its own bucket starts
        // now; with the table full it has none, and the source and listener limits still apply.
        connection* k = find_connection(c);
        if (k == nullptr) {
            for (auto& free : connections_) {
                if (!free.used) {
                    free = connection{};
                    free.used = true;
                    free.listener = c.listener;
                    free.address = canonical_bytes(c.peer);
                    free.port = c.peer_port;
                    k = &free;
                    break;
                }
            }
        }
        const auto& st = l.settings;
        s.requests.refill(st.requests_per_source, r.now);
        l.requests.refill(st.requests_per_listener, r.now);
        if (k != nullptr) k->requests.refill(st.requests_per_connection, r.now);
        const bool ok = s.requests.has_token(st.requests_per_source) &&
                        l.requests.has_token(st.requests_per_listener) &&
                        (k == nullptr || k->requests.has_token(st.requests_per_connection));
        if (!ok) {
            ++l.counters.requests_refused;
            return refuse(s, reason::rate_limited, r.now, true);
        }
        s.requests.take(st.requests_per_source);
        l.requests.take(st.requests_per_listener);
        if (k != nullptr) k->requests.take(st.requests_per_connection);
        return decision::allow();
    }

    /// Writes the sources blocked at `now` (at most out.size()); returns how many it wrote.
    std::size_t blocked_sources(timestamp now, std::span<blocked_source> out) const noexcept {
        std::size_t n = 0;
        for (const auto& s : sources_) {
            if (n == out.size()) break;
            if (s.used && s.blocked_until > now) {
                out[n++] = {s.listener, ip_address{s.address, false}, s.blocked_until - now};
            }
        }
        return n;
    }
    /// Lifts the block of `peer` on `listener`; false if it was not blocked.
    bool unblock(std::size_t listener, const ip_address& peer) noexcept {
        source* s = find_source(listener, canonical_bytes(peer));
        if (s == nullptr || s->blocked_until == timestamp{}) return false;
        s->blocked_until = timestamp{};
        s->refusals = 0;
        return true;
    }
    bool is_blocked(std::size_t listener, const ip_address& peer, timestamp now) const noexcept {
        for (const auto& s : sources_) {
            if (s.used && s.listener == listener && s.address == canonical_bytes(peer))
                return s.blocked_until > now;
        }
        return false;
    }

    rate_limit_counters counters(std::size_t listener) const noexcept {
        return listener < MaxListeners ? listeners_[listener].counters : rate_limit_counters{};
    }
    /// The settings of `listener` (their `exempt` span is empty: see exempt_networks()).
    const rate_limit_settings& settings(std::size_t listener) const noexcept {
        return listeners_[listener < MaxListeners ? listener : 0].settings;
    }

    /// The exempt networks of `listener`, as set() copied them.
    std::span<const ip_network> exempt_networks(std::size_t listener) const noexcept {
        if (listener >= MaxListeners) return {};
        const auto& l = listeners_[listener];
        return std::span<const ip_network>{l.exempt}.first(l.exempt_size);
    }

private:
    struct source {
        bool used = false;
        bool overflow = false;
        std::uint16_t listener = 0;
        std::array<std::uint8_t, 16> address{};
        timestamp last_seen{};
        token_bucket requests;
        token_bucket connections;
        std::uint32_t refusals = 0;  ///< in the block window starting at window_start
        timestamp window_start{};
        timestamp blocked_until{};  ///< blocked while now < blocked_until
        bool audited = false;       ///< an audit window is open (from audit_start)
        timestamp audit_start{};
        std::uint32_t suppressed = 0;
    };
    struct connection {
        bool used = false;
        std::uint16_t listener = 0;
        std::array<std::uint8_t, 16> address{};
        std::uint16_t port = 0;
        token_bucket requests;
    };
    struct listener_state {
        rate_limit_settings settings{};
        std::array<ip_network, MaxExempt> exempt{};
        std::size_t exempt_size = 0;
        token_bucket requests;
        rate_limit_counters counters{};
        source overflow{};
    };

    static bool blocked(const source& s, timestamp now) noexcept {
        return !s.overflow && s.blocked_until > now;
    }

    bool exempt(const source& s) const noexcept {
        const auto& l = listeners_[s.listener];
        for (std::size_t i = 0; i < l.exempt_size; ++i) {
            if (l.exempt[i].contains(s.address, false)) return true;
        }
        return false;
    }

    /// Counts a refusal of `s` (towards a block, if `counts`) and decides whether it is audited.
    decision refuse(source& s, reason why, timestamp now, bool counts) noexcept {
        auto& l = listeners_[s.listener];
        const auto& st = l.settings;
        if (counts && st.block_after != 0 && !s.overflow && !exempt(s)) {
            // A clock that went back stays in the current window: it neither restarts the count
            // nor shortens a block (which runs from the latest instant seen).
            if (s.refusals == 0 ||
                (now >= s.window_start && now - s.window_start >= st.block_window)) {
                s.refusals = 0;
                s.window_start = now;
            }
            if (++s.refusals >= st.block_after) {
                s.blocked_until = (now > s.last_seen ? now : s.last_seen) + st.block_for;
                s.refusals = 0;
                ++l.counters.blocks;
                // The refusal that blocks is always audited, as source_blocked: the one event
                // an operator must see even in the middle of a suppressed flood.
                why = reason::source_blocked;
                s.audited = false;
            }
        }
        decision d = decision::deny(why, exception_code::server_device_busy);
        if (!s.audited || (now >= s.audit_start && now - s.audit_start >= st.audit_window)) {
            s.audited = true;
            s.audit_start = now;
            d.repeats = s.suppressed;
            s.suppressed = 0;
        } else {
            d.audit = false;
            if (s.suppressed != UINT32_MAX) ++s.suppressed;
        }
        return d;
    }

    source* find_source(std::size_t listener, const std::array<std::uint8_t, 16>& a) noexcept {
        for (auto& s : sources_) {
            if (s.used && s.listener == listener && s.address == a) return &s;
        }
        return nullptr;
    }

    /// The entry for (listener, peer): found, a free one, an evicted one, or the overflow entry.
    source& source_for(std::uint16_t listener, const ip_address& peer, timestamp now) noexcept {
        const auto a = canonical_bytes(peer);
        auto& l = listeners_[listener];
        if (source* s = find_source(listener, a); s != nullptr) {
            if (now > s->last_seen) s->last_seen = now;
            return *s;
        }
        source* slot = nullptr;
        for (auto& s : sources_) {
            if (!s.used) {
                slot = &s;
                break;
            }
        }
        if (slot == nullptr) {
            for (auto& s : sources_) {
                if (s.blocked_until > now) continue;  // never evicted while blocked
                if (slot == nullptr || s.last_seen < slot->last_seen) slot = &s;
            }
            if (slot != nullptr) ++listeners_[slot->listener].counters.evictions;
        }
        if (slot == nullptr) {
            ++l.counters.overflow;
            source& o = l.overflow;
            if (!o.used) {
                o.used = true;
                o.overflow = true;
                o.listener = listener;
            }
            o.last_seen = now;
            return o;
        }
        *slot = source{};
        slot->used = true;
        slot->listener = listener;
        slot->address = a;
        slot->last_seen = now;
        return *slot;
    }

    connection* find_connection(const connection_info& c) noexcept {
        if (c.listener >= MaxListeners) return nullptr;
        const auto a = canonical_bytes(c.peer);
        for (auto& k : connections_) {
            if (k.used && k.listener == c.listener && k.port == c.peer_port && k.address == a)
                return &k;
        }
        return nullptr;
    }

    std::array<listener_state, MaxListeners> listeners_{};
    std::array<source, MaxSources> sources_{};
    std::array<connection, MaxConnections> connections_{};
};

}  // namespace gw::policy
