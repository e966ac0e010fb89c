#pragma once
// "Events Settings" (MGate MB3000-G2 guide 3.6): which events the audit trail records, as the
// least severe kept per category. Security events of notice and above are always kept: a filter
// that would drop them is refused (the configuration names the key), never applied.

#include <gw/policy/audit_event.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw::audit {

/// The least severe event kept, per category; `off` keeps none of that category.
enum class keep_level : std::uint8_t { off = 0, error = 1, warning = 2, notice = 3, info = 4 };

inline constexpr std::size_t category_count = 6;

struct event_filter {
    /// By category (policy::event_category order). The default keeps notice and above
    /// everywhere (the log's default level), and every security event down to info: refusals
    /// are the events an investigation needs.
    std::array<keep_level, category_count> least_severe{keep_level::notice, keep_level::notice,
                                                        keep_level::info,   keep_level::notice,
                                                        keep_level::notice, keep_level::notice};

    constexpr bool keeps(const policy::audit_event& e) const noexcept {
        const auto level = least_severe[static_cast<std::size_t>(e.category)];
        return static_cast<std::uint8_t>(e.severity) <= static_cast<std::uint8_t>(level);
    }

    /// Why this filter cannot be applied ("" when it can): security events of notice and above
    /// are always recorded (MB3000-G2 3.6; IEC 62443-4-2 CR 2.8).
    constexpr std::string_view refusal() const noexcept {
        const auto s = least_severe[static_cast<std::size_t>(policy::event_category::security)];
        if (static_cast<std::uint8_t>(s) < static_cast<std::uint8_t>(keep_level::notice))
            return "security events of notice and above are always recorded: use \"notice\" "
                   "or \"info\"";
        return {};
    }
};

}  // namespace gw::audit
