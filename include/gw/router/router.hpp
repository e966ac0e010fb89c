#pragma once
// The router: the one entry point of a request into the engine. It validates the PDU (once, at
// this boundary), finds the channel serving the unit, and queues the request there. Whatever it
// refuses is answered at once with the Modbus exception that says why:
//   01/02/03  the request breaks the Modbus limits (validation)
//   0A        no route for the unit (gateway path unavailable)
//   06        the master's queue on that channel is full (server busy)

#include <gw/codec/pdu.hpp>
#include <gw/core/exception_code.hpp>
#include <gw/router/channel.hpp>
#include <gw/router/route_table.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <span>

namespace gw::router {

template <class Channel, std::size_t MaxChannels, std::size_t MaxRoutes = 32>
class router {
public:
    /// Registers a channel the router does not own; returns its index for routes, or -1 if full.
    int add_channel(Channel& c) noexcept {
        if (channel_count_ == MaxChannels) return -1;
        channels_[channel_count_] = &c;
        return static_cast<int>(channel_count_++);
    }

    route_table<MaxRoutes>& routes() noexcept { return routes_; }
    const route_table<MaxRoutes>& routes() const noexcept { return routes_; }

    /// Admits a request PDU from a master. Returns nothing when it was queued (the channel's sink
    /// will deliver the answer), or the exception to answer now.
    std::optional<exception_code> submit(const request_origin& origin, priority_class priority,
                                         std::span<const std::uint8_t> pdu) noexcept {
        if (const auto invalid = validate_request(pdu)) return invalid;
        return submit_validated(origin, priority, pdu);
    }

    /// As submit(), for a PDU the caller has already passed through validate_request (the
    /// pipeline validates before its policies see the request, and does not pay twice).
    std::optional<exception_code> submit_validated(const request_origin& origin,
                                                   priority_class priority,
                                                   std::span<const std::uint8_t> pdu) noexcept {
        const auto target = routes_.lookup(origin.unit);
        if (!target || target->channel >= channel_count_) {
            return exception_code::gateway_path_unavailable;
        }
        return channels_[target->channel]->submit(origin, priority, target->unit, pdu);
    }

    /// A master went away: drop what it had queued anywhere.
    void drop_master(master_id master) noexcept {
        for (std::size_t i = 0; i < channel_count_; ++i)
            channels_[i]->drop_master(master);
    }

    std::size_t channel_count() const noexcept { return channel_count_; }
    Channel& channel_at(std::size_t i) noexcept { return *channels_[i]; }

private:
    std::array<Channel*, MaxChannels> channels_{};
    std::size_t channel_count_ = 0;
    route_table<MaxRoutes> routes_;
};

}  // namespace gw::router
