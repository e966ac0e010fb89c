#pragma once
// Unit id -> channel, with remapping of virtual unit ids (what masters address) to the real ids
// on the line. A bounded table of ranges plus a 256-byte index by unit id, so a lookup is one
// load whatever the number of routes (up to one per unit id).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace gw::router {

struct route {
    std::uint8_t first_unit = 1;  ///< first virtual unit id (inclusive)
    std::uint8_t last_unit = 1;   ///< last virtual unit id (inclusive)
    std::uint16_t channel = 0;    ///< index of the channel serving these units
    std::uint8_t map_to = 0;      ///< real unit id of first_unit (0: ids are not remapped)
};

struct route_target {
    std::uint16_t channel;
    std::uint8_t unit;  ///< real unit id on that channel
};

template <std::size_t MaxRoutes = 32>
class route_table {
    static_assert(MaxRoutes > 0 && MaxRoutes < 255, "the index stores route numbers in a byte");

public:
    /// Adds a route; false when the table is full, the range is empty, a remapped range would
    /// leave 1..247, or it overlaps an existing route (a unit must have exactly one way out).
    bool add(const route& r) noexcept {
        if (size_ == MaxRoutes || r.first_unit > r.last_unit) return false;
        if (r.map_to != 0 && r.map_to + (r.last_unit - r.first_unit) > 247) return false;
        for (std::size_t i = 0; i < size_; ++i) {
            if (r.first_unit <= routes_[i].last_unit && routes_[i].first_unit <= r.last_unit) {
                return false;
            }
        }
        for (unsigned u = r.first_unit; u <= r.last_unit; ++u)
            by_unit_[u] = static_cast<std::uint8_t>(size_);
        routes_[size_++] = r;
        return true;
    }

    std::optional<route_target> lookup(std::uint8_t unit) const noexcept {
        for (std::size_t i = 0; i < size_; ++i) {
            const auto& r = routes_[i];
            if (unit < r.first_unit || unit > r.last_unit) continue;
            const auto real =
                r.map_to == 0 ? unit : static_cast<std::uint8_t>(r.map_to + (unit - r.first_unit));
            return route_target{r.channel, real};
        }
        return std::nullopt;
    }

    void clear() noexcept { size_ = 0; }
    std::size_t size() const noexcept { return size_; }
    const route& operator[](std::size_t i) const noexcept { return routes_[i]; }

private:
    static constexpr std::uint8_t no_route = 0xFF;
    static constexpr std::array<std::uint8_t, 256> empty_index() noexcept {
        std::array<std::uint8_t, 256> a{};
        a.fill(no_route);
        return a;
    }

    std::array<route, MaxRoutes> routes_{};
    std::array<std::uint8_t, 256> by_unit_ = empty_index();
    std::size_t size_ = 0;
};

}  // namespace gw::router
