#pragma once
// Modbus authorization by role (Modbus/TCP Security ): every request is checked
// against the rules of the connection's role, default deny.
//
// A rule grants a set of function codes x a unit-id range x an address range x read, write or
// both. A request is allowed only if each of its accesses (gw/policy/modbus_access.hpp: FC 23
// has a read and a write, FC 8 is checked per sub-function, FC 43 per MEI type) is covered by one
// rule of the role: the rule names the function code, the unit lies in its units, the rule's
// access includes the access's kind, and the whole window [address, address + quantity - 1]
// lies in its addresses (a window split across two rules is refused: write one rule for it).
// For FC 8 the "address" is the sub-function, for FC 43 the MEI type; functions without an
// address (FC 7, 11, 12, 17, 20, 21, user-defined) ignore the address range.
//
// The role of a connection:
// - a TLS client certificate (identity_source::client_certificate) decides: its role, or the
//   NULL role for a certificate without one; a role the database does not have has no
//   rules (everything is denied, and audited with the certificate's role);
// - otherwise the first of the listener's source-network rules containing the peer;
// - otherwise the NULL role, which has its own rules (none by default: deny everything).
// Nothing is built in: every role, the NULL role's rules included, comes from the settings.
//
// A listener may be read-only: every write access is denied, whatever the role. A listener that
// does not enforce authorization (a plain Modbus TCP listener of a configuration without an
// `authorization` object) allows every request (read-only still applies).
//
// Denial: exception 01 (illegal function), reason::unauthorized; the decision carries the role
// and the denied access's address window for the audit event. Sans-I/O, heap-free; capacities
// are template parameters, refusal() states every bound once, set() never truncates.

#include <gw/core/exception_code.hpp>
#include <gw/policy/decision.hpp>
#include <gw/policy/identity.hpp>
#include <gw/policy/ip_network.hpp>
#include <gw/policy/modbus_access.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace gw::policy {

/// What a rule grants.
enum class access_mode : std::uint8_t { read = 1, write = 2, read_write = 3 };

constexpr std::string_view to_string(access_mode m) noexcept {
    switch (m) {
        case access_mode::read:
            return "read";
        case access_mode::write:
            return "write";
        case access_mode::read_write:
            return "read_write";
    }
    return "unknown";
}

/// Function codes 1..127 as a bit set.
class function_set {
public:
    constexpr function_set() noexcept = default;
    constexpr function_set(std::initializer_list<std::uint8_t> codes) noexcept {
        for (const std::uint8_t fc : codes)
            add(fc);
    }
    /// False (nothing added) for 0 and exception codes (>= 128).
    constexpr bool add(std::uint8_t fc) noexcept {
        if (fc == 0 || fc >= 128) return false;
        bits_[fc / 64] |= std::uint64_t{1} << (fc % 64);
        return true;
    }
    constexpr bool contains(std::uint8_t fc) const noexcept {
        return fc < 128 && (bits_[fc / 64] >> (fc % 64) & 1u) != 0;
    }
    constexpr bool empty() const noexcept { return bits_[0] == 0 && bits_[1] == 0; }
    friend constexpr bool operator==(const function_set&, const function_set&) = default;

private:
    std::array<std::uint64_t, 2> bits_{};
};

struct access_rule {
    function_set functions{};
    std::uint8_t first_unit = 0;
    std::uint8_t last_unit = 255;
    std::uint16_t first_address = 0;
    std::uint16_t last_address = 65535;
    access_mode access = access_mode::read;

    /// Whether this rule covers `a` on `unit`.
    constexpr bool covers(const modbus_access& a, std::uint8_t unit) const noexcept {
        if (!functions.contains(a.function)) return false;
        if (unit < first_unit || unit > last_unit) return false;
        if ((static_cast<std::uint8_t>(access) & static_cast<std::uint8_t>(a.kind)) == 0)
            return false;
        return !a.has_address || (a.address >= first_address && a.last() <= last_address);
    }
    friend constexpr bool operator==(const access_rule&, const access_rule&) = default;
};

/// A role and its rules, as the settings hand them over (set() copies them).
struct role_rules {
    std::string_view name;
    std::span<const access_rule> rules;
};

/// A listener's rule for plain Modbus TCP: peers in `network` get `role`.
struct source_role {
    ip_network network{};
    std::string_view role;
};

struct listener_authorization {
    bool enforce = false;    ///< check every request against the rules
    bool read_only = false;  ///< deny every write access, whatever the role
    std::span<const source_role> roles_by_source{};
};

struct authorization_settings {
    std::span<const role_rules> roles{};
    std::span<const access_rule> null_role{};  ///< empty: the NULL role is denied everything
    std::span<const listener_authorization> listeners{};  ///< by listener index
};

struct authorization_counters {
    std::uint64_t allowed = 0;  ///< requests checked and allowed
    std::uint64_t denied = 0;   ///< requests denied (reason::unauthorized)
};

template <std::size_t MaxListeners = 16, std::size_t MaxRoles = 32,
          std::size_t MaxRulesPerRole = 32, std::size_t MaxSourceRules = 16>
class authorization_policy {
public:
    static constexpr std::size_t max_listeners = MaxListeners;
    static constexpr std::size_t max_roles = MaxRoles;
    static constexpr std::size_t max_rules_per_role = MaxRulesPerRole;
    static constexpr std::size_t max_source_rules = MaxSourceRules;

    /// Why set() would refuse `s`, in words for an error message (nullptr: it would not).
    static constexpr const char* refusal(const authorization_settings& s) noexcept {
        if (s.roles.size() > MaxRoles) return "too many roles";
        if (s.null_role.size() > MaxRulesPerRole) return "too many rules for the NULL role";
        if (s.listeners.size() > MaxListeners) return "too many listeners";
        for (std::size_t i = 0; i < s.roles.size(); ++i) {
            const role_rules& r = s.roles[i];
            if (r.name.empty() || r.name.size() > max_role_length)
                return "a role name must have 1 to 64 bytes";
            if (r.rules.size() > MaxRulesPerRole) return "too many rules for a role";
            for (std::size_t k = 0; k < i; ++k) {
                if (s.roles[k].name == r.name) return "a role is defined twice";
            }
            if (const char* why = rules_refusal(r.rules)) return why;
        }
        if (const char* why = rules_refusal(s.null_role)) return why;
        for (const listener_authorization& l : s.listeners) {
            if (l.roles_by_source.size() > MaxSourceRules) return "too many roles_by_source rules";
            for (const source_role& sr : l.roles_by_source) {
                if (find_in(s.roles, sr.role) == s.roles.size())
                    return "roles_by_source names a role that is not defined";
            }
        }
        return nullptr;
    }

    /// Replaces the whole database and every listener's settings at once. False (everything
    /// stays as it was; the caller must report it) when refusal(s) is not nullptr. Listeners
    /// beyond s.listeners do not enforce.
    [[nodiscard]] bool set(const authorization_settings& s) noexcept {
        if (refusal(s) != nullptr) return false;
        roles_size_ = s.roles.size();
        for (std::size_t i = 0; i < s.roles.size(); ++i) {
            role_entry& e = roles_[i];
            (void)e.name.assign(s.roles[i].name);  // length checked by refusal()
            copy_rules(s.roles[i].rules, e.rules, e.size);
        }
        copy_rules(s.null_role, null_role_.rules, null_role_.size);
        for (std::size_t i = 0; i < MaxListeners; ++i) {
            listener_state& l = listeners_[i];
            l = listener_state{};
            if (i >= s.listeners.size()) continue;
            const listener_authorization& in = s.listeners[i];
            l.enforce = in.enforce;
            l.read_only = in.read_only;
            l.sources_size = in.roles_by_source.size();
            for (std::size_t k = 0; k < in.roles_by_source.size(); ++k) {
                l.sources[k].network = in.roles_by_source[k].network;
                l.sources[k].role = find_role(in.roles_by_source[k].role);
            }
        }
        return true;
    }

    decision on_request(const request_info& r) noexcept {
        const connection_info& c = r.connection;
        if (c.listener >= MaxListeners) return deny(r, modbus_access{}, {});
        listener_state& l = listeners_[c.listener];
        if (!l.enforce && !l.read_only) return decision::allow();
        const modbus_accesses accesses = classify_request(r.pdu);
        const std::string_view role = l.enforce ? role_name_of(c) : std::string_view{};
        if (accesses.size == 0) return deny(r, modbus_access{}, role);
        const role_entry* rules = l.enforce ? rules_of(c) : nullptr;
        for (const modbus_access& a : accesses.view()) {
            if (l.read_only && a.kind == access_kind::write) return deny(r, a, role);
            if (l.enforce && !covered(rules, a, r.unit)) return deny(r, a, role);
        }
        ++l.counters.allowed;
        return decision::allow();
    }

    /// The role a request of `c` is checked as ("" for the NULL role), for status and tests.
    std::string_view role_name_of(const connection_info& c) const noexcept {
        if (c.identity.source == identity_source::client_certificate ||
            c.identity.source == identity_source::source_network)
            return c.identity.role.view();
        if (c.listener >= MaxListeners) return {};
        const listener_state& l = listeners_[c.listener];
        for (std::size_t k = 0; k < l.sources_size; ++k) {
            if (l.sources[k].network.contains(c.peer) && l.sources[k].role < roles_size_)
                return roles_[l.sources[k].role].name.view();
        }
        return {};
    }

    authorization_counters counters(std::size_t listener) const noexcept {
        return listener < MaxListeners ? listeners_[listener].counters : authorization_counters{};
    }
    bool enforces(std::size_t listener) const noexcept {
        return listener < MaxListeners && listeners_[listener].enforce;
    }
    bool read_only(std::size_t listener) const noexcept {
        return listener < MaxListeners && listeners_[listener].read_only;
    }
    std::size_t roles() const noexcept { return roles_size_; }

private:
    struct role_entry {
        role_name name;
        std::array<access_rule, MaxRulesPerRole> rules{};
        std::size_t size = 0;
    };
    struct source_entry {
        ip_network network{};
        std::size_t role = MaxRoles;  ///< index in roles_
    };
    struct listener_state {
        bool enforce = false;
        bool read_only = false;
        std::array<source_entry, MaxSourceRules> sources{};
        std::size_t sources_size = 0;
        authorization_counters counters{};
    };

    static constexpr const char* rules_refusal(std::span<const access_rule> rules) noexcept {
        for (const access_rule& a : rules) {
            if (a.functions.empty()) return "a rule names no function code";
            if (a.first_unit > a.last_unit) return "a rule's unit range is reversed";
            if (a.first_address > a.last_address) return "a rule's address range is reversed";
            const auto m = static_cast<std::uint8_t>(a.access);
            if (m < 1 || m > 3) return "a rule's access is not read, write or read_write";
        }
        return nullptr;
    }
    static constexpr std::size_t find_in(std::span<const role_rules> roles,
                                         std::string_view name) noexcept {
        for (std::size_t i = 0; i < roles.size(); ++i) {
            if (roles[i].name == name) return i;
        }
        return roles.size();
    }
    static void copy_rules(std::span<const access_rule> in,
                           std::array<access_rule, MaxRulesPerRole>& out,
                           std::size_t& size) noexcept {
        size = in.size();
        for (std::size_t k = 0; k < in.size(); ++k)
            out[k] = in[k];
    }

    std::size_t find_role(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < roles_size_; ++i) {
            if (roles_[i].name.view() == name) return i;
        }
        return MaxRoles;
    }

    /// The rules `c` is checked against; nullptr for a role the database does not have.
    const role_entry* rules_of(const connection_info& c) const noexcept {
        if (c.identity.source == identity_source::client_certificate ||
            c.identity.source == identity_source::source_network) {
            if (c.identity.role.empty()) return &null_role_;
            const std::size_t i = find_role(c.identity.role.view());
            return i < roles_size_ ? &roles_[i] : nullptr;
        }
        const listener_state& l = listeners_[c.listener];
        for (std::size_t k = 0; k < l.sources_size; ++k) {
            if (l.sources[k].network.contains(c.peer))
                return l.sources[k].role < roles_size_ ? &roles_[l.sources[k].role] : nullptr;
        }
        return &null_role_;
    }

    static bool covered(const role_entry* rules, const modbus_access& a,
                        std::uint8_t unit) noexcept {
        if (rules == nullptr) return false;
        for (std::size_t k = 0; k < rules->size; ++k) {
            if (rules->rules[k].covers(a, unit)) return true;
        }
        return false;
    }

    decision deny(const request_info& r, const modbus_access& a, std::string_view role) noexcept {
        if (r.connection.listener < MaxListeners)
            ++listeners_[r.connection.listener].counters.denied;
        decision d = decision::deny(reason::unauthorized, exception_code::illegal_function);
        d.role = role;
        d.address = a.address;
        d.quantity = a.quantity;
        return d;
    }

    std::array<role_entry, MaxRoles> roles_{};
    std::size_t roles_size_ = 0;
    role_entry null_role_{};
    std::array<listener_state, MaxListeners> listeners_{};
};

}  // namespace gw::policy
