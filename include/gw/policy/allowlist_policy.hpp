#pragma once
// IP allowlist per listener (MGate MB3000-G2 guide 3.5). A listener with an empty list admits
// every address (the guide's "toggle closed"); otherwise only peers inside one of its networks.

#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>

#include <array>
#include <cstddef>
#include <span>

namespace gw::policy {

template <std::size_t MaxListeners = 16, std::size_t MaxEntries = 32>
class allowlist_policy {
public:
    /// Replaces the list of `listener`; false if the listener index or the list is too large (the
    /// old list then stays: the caller must report it, never run without the list it asked for).
    [[nodiscard]] bool set(std::size_t listener, std::span<const ip_network> networks) noexcept {
        if (listener >= MaxListeners || networks.size() > MaxEntries) return false;
        auto& l = lists_[listener];
        l.size = networks.size();
        for (std::size_t i = 0; i < networks.size(); ++i)
            l.entries[i] = networks[i];
        return true;
    }

    bool admits(std::size_t listener, const ip_address& peer) const noexcept {
        if (listener >= MaxListeners) return false;
        const auto& l = lists_[listener];
        return allowlist_permits(std::span<const ip_network>{l.entries}.first(l.size), peer.bytes,
                                 peer.v4);
    }

    decision on_connect(const connection_info& c) noexcept {
        return admits(c.listener, c.peer) ? decision::allow()
                                          : decision::deny(reason::not_in_allowlist);
    }

private:
    struct list {
        std::array<ip_network, MaxEntries> entries{};
        std::size_t size = 0;
    };
    std::array<list, MaxListeners> lists_{};
};

}  // namespace gw::policy
