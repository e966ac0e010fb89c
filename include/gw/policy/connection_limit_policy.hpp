#pragma once
// Connection limits: a global cap, a cap per listener and, optionally, a cap per source address
// (MGate DoS defence; MGate 5000 guide 3.4).
//
// Fair without refusing honest hosts: by default a source has no cap of its own, so one SCADA
// host (or 32 masters behind one NAT) may use every slot a listener has while nobody else needs
// them. When the listener is full and a host arrives that holds fewer connections than the
// heaviest host minus one, the newcomer is admitted and the front end is told to close one
// connection of the heaviest host (its longest-idle one): no host can lock another out, and
// repeated arrivals converge on an even share.

#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace gw::policy {

struct connection_limits {
    std::uint32_t max_connections = 32;  ///< on this listener (the MGate's figure)
    /// From one address on this listener; 0: no cap of its own (fair eviction applies instead).
    std::uint32_t max_connections_per_source = 0;

    friend constexpr bool operator==(const connection_limits&, const connection_limits&) = default;
};

template <std::size_t MaxListeners = 16, std::size_t MaxSources = 256>
class connection_limit_policy {
public:
    void set_global_limit(std::uint32_t max_total) noexcept { max_total_ = max_total; }
    /// False if the listener index is out of range (the caller reports it: never fail open).
    bool set(std::size_t listener, const connection_limits& limits) noexcept {
        if (listener >= MaxListeners) return false;
        limits_[listener] = limits;
        return true;
    }

    decision on_connect(const connection_info& c) noexcept {
        if (c.listener >= MaxListeners || total_ >= max_total_) {
            return decision::deny(reason::too_many_connections);
        }
        const auto& limits = limits_[c.listener];
        const auto peer = canonical_bytes(c.peer);
        source* s = find(c.listener, peer);
        const std::uint32_t held = s != nullptr ? s->count : 0;
        if (limits.max_connections_per_source != 0 && held >= limits.max_connections_per_source) {
            return decision::deny(reason::too_many_from_source);
        }
        decision d = decision::allow();
        if (per_listener_[c.listener] >= limits.max_connections) {
            const source* heaviest = heaviest_on(c.listener);
            if (heaviest == nullptr || heaviest->count <= held + 1) {
                return decision::deny(reason::too_many_connections);
            }
            d = decision::allow_evicting(ip_address{heaviest->address, false});
        }
        if (s == nullptr) {
            s = find_free();
            // The table of sources is full: refusing is the bounded, safe answer.
            if (s == nullptr) return decision::deny(reason::too_many_connections);
            s->address = peer;
            s->listener = static_cast<std::uint16_t>(c.listener);
        }
        ++s->count;
        ++per_listener_[c.listener];
        ++total_;
        return d;
    }

    /// Only for connections on_connect admitted.
    void on_disconnect(const connection_info& c) noexcept {
        if (c.listener >= MaxListeners) return;
        if (source* s = find(c.listener, canonical_bytes(c.peer)); s != nullptr && s->count > 0) {
            --s->count;
            per_listener_[c.listener] = std::max<std::uint32_t>(per_listener_[c.listener], 1) - 1;
            total_ = std::max<std::uint32_t>(total_, 1) - 1;
        }
    }

    std::uint32_t total() const noexcept { return total_; }
    std::uint32_t on_listener(std::size_t listener) const noexcept {
        return listener < MaxListeners ? per_listener_[listener] : 0;
    }
    /// Connections `peer` holds on `listener`.
    std::uint32_t held_by(std::size_t listener, const ip_address& peer) const noexcept {
        for (const auto& s : sources_) {
            if (s.count > 0 && s.listener == listener && s.address == canonical_bytes(peer)) {
                return s.count;
            }
        }
        return 0;
    }

private:
    struct source {
        std::array<std::uint8_t, 16> address{};  ///< canonical_bytes of the peer
        std::uint16_t listener = 0;
        std::uint32_t count = 0;
    };

    source* find(std::size_t listener, const std::array<std::uint8_t, 16>& a) noexcept {
        for (auto& s : sources_) {
            if (s.count > 0 && s.listener == listener && s.address == a) {
                return &s;
            }
        }
        return nullptr;
    }
    const source* heaviest_on(std::size_t listener) const noexcept {
        const source* best = nullptr;
        for (const auto& s : sources_) {
            if (s.count > 0 && s.listener == listener && (best == nullptr || s.count > best->count))
                best = &s;
        }
        return best;
    }
    source* find_free() noexcept {
        for (auto& s : sources_) {
            if (s.count == 0) return &s;
        }
        return nullptr;
    }

    std::array<connection_limits, MaxListeners> limits_{};
    std::array<std::uint32_t, MaxListeners> per_listener_{};
    std::array<source, MaxSources> sources_{};
    std::uint32_t total_ = 0;
    std::uint32_t max_total_ = 256;
};

}  // namespace gw::policy
