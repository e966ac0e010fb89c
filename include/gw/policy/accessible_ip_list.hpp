#pragma once
// The device-wide accessible IP list with its two switches (MGate 5000 hardening guide 3.4):
//
//   list active | additional restrictions | host in the list (entry active) | any other host
//   ------------+-------------------------+---------------------------------+-------------------
//   off         | (cannot be on)          | protocol and services allowed   | the same
//   on          | off                     | protocol and services allowed   | protocol refused,
//               |                         |                                 | services allowed
//   on          | on                      | protocol and services allowed   | both refused
//
// "Protocol communication" is every gateway listener (Modbus TCP, RTU over TCP, Modbus/TCP
// Security): on_connect refuses there. "Services" are the gateway's own inbound management
// services (the HTTPS console and its API): they ask admits(peer, access::service). Outbound
// traffic (syslog, SNMP traps) is not a connection from a host and is never affected.
//
// It sits before the per-listener allowlists: a host must pass both. An entry can be kept in
// the list but inactive (the guide's per-entry "Active" box): it then admits nobody.

#include <gw/policy/decision.hpp>
#include <gw/policy/ip_network.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace gw::policy {

/// What a host wants to reach: the gateway's Modbus listeners, or a management service.
enum class access : std::uint8_t { protocol, service };

struct accessible_ip_entry {
    ip_network network{};
    bool active = true;  ///< an inactive entry is kept in the list and admits nobody

    friend constexpr bool operator==(const accessible_ip_entry&,
                                     const accessible_ip_entry&) = default;
};

struct accessible_ip_settings {
    bool list_active = false;              ///< "Activate the accessible IP list"
    bool additional_restrictions = false;  ///< "Apply additional restrictions" (services too)
    std::span<const accessible_ip_entry> entries{};
};

template <std::size_t MaxEntries = 16>
class accessible_ip_list {
public:
    static constexpr std::size_t max_entries = MaxEntries;

    /// Why `s` cannot be set, or empty. Additional restrictions without an active list is
    /// refused rather than ignored (the guide's box cannot be ticked then), as is an active
    /// list without an active entry: it would lock every host out of the Modbus listeners.
    static constexpr std::string_view refusal(const accessible_ip_settings& s) noexcept {
        if (s.entries.size() > MaxEntries) return "too many entries";
        if (s.additional_restrictions && !s.list_active)
            return "additional restrictions need the list to be active";
        if (s.list_active) {
            for (const auto& e : s.entries)
                if (e.active) return {};
            return "an active list needs at least one active entry (it would refuse every host)";
        }
        return {};
    }

    /// Replaces the list; false (and the old list stays) if refusal(s) says why not.
    [[nodiscard]] constexpr bool set(const accessible_ip_settings& s) noexcept {
        if (!refusal(s).empty()) return false;
        list_active_ = s.list_active;
        additional_ = s.additional_restrictions;
        size_ = s.entries.size();
        for (std::size_t i = 0; i < size_; ++i)
            entries_[i] = s.entries[i];
        return true;
    }

    /// Whether `peer` may reach what `what` names.
    constexpr bool admits(const ip_address& peer, access what) const noexcept {
        if (!list_active_ || listed(peer)) return true;
        return what == access::service && !additional_;
    }

    /// Every gateway listener is protocol communication.
    constexpr decision on_connect(const connection_info& c) const noexcept {
        return admits(c.peer, access::protocol) ? decision::allow()
                                                : decision::deny(reason::not_accessible);
    }

    constexpr bool list_active() const noexcept { return list_active_; }
    constexpr bool additional_restrictions() const noexcept { return additional_; }
    constexpr std::span<const accessible_ip_entry> entries() const noexcept {
        return std::span<const accessible_ip_entry>{entries_}.first(size_);
    }

private:
    constexpr bool listed(const ip_address& peer) const noexcept {
        for (std::size_t i = 0; i < size_; ++i)
            if (entries_[i].active && entries_[i].network.contains(peer)) return true;
        return false;
    }

    std::array<accessible_ip_entry, MaxEntries> entries_{};
    std::size_t size_ = 0;
    bool list_active_ = false;
    bool additional_ = false;
};

}  // namespace gw::policy
