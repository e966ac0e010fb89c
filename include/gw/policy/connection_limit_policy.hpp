#pragma once
// Connection limits: a global cap, and per listener a cap and a cap per source address, so one
// host cannot take every connection (MGate DoS defence; MGate 5000 guide 3.4).

#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace gw::policy {

struct connection_limits {
    std::uint32_t max_connections = 32;            ///< on this listener
    std::uint32_t max_connections_per_source = 8;  ///< from one address on this listener
};

template <std::size_t MaxListeners = 16, std::size_t MaxSources = 256>
class connection_limit_policy {
public:
    void set_global_limit(std::uint32_t max_total) noexcept { max_total_ = max_total; }
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
        if (per_listener_[c.listener] >= limits.max_connections) {
            return decision::deny(reason::too_many_connections);
        }
        const auto peer = canonical_bytes(c.peer);
        source* s = find(c.listener, peer);
        if (s != nullptr && s->count >= limits.max_connections_per_source) {
            return decision::deny(reason::too_many_from_source);
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
        return decision::allow();
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
        return per_listener_[listener];
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
