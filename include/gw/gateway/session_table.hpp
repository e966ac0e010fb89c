#pragma once
// Master ids for connected masters, and the way back from a channel to the master waiting on an
// answer. Ids are reused; a channel never answers a reused id with a stale answer because
// dropping a master marks its in-flight requests dead (router::request_queue::drop_master).

#include <gw/policy/decision.hpp>
#include <gw/router/request_origin.hpp>
#include <gw/transport/concepts.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace gw::gateway {

/// Anything a channel's answer can be delivered to: a TCP session, a serial master line.
class upstream_endpoint {
public:
    virtual void deliver(const router::request_origin& origin,
                         std::span<const std::uint8_t> pdu) = 0;
    /// Stops taking requests, sends the answers owed, then closes (the gateway is stopping).
    virtual void shutdown() = 0;
    /// Closes now, for `why` (audited with it); answers not yet sent are lost with the socket.
    virtual void close(policy::reason why) = 0;
    /// Who is connected, on which listener.
    virtual const policy::connection_info& connection() const noexcept = 0;
    /// When the master last sent a request or was sent an answer.
    virtual transport::time_point last_active() const noexcept = 0;

protected:
    ~upstream_endpoint() = default;
};

class session_table {
public:
    explicit session_table(std::size_t capacity) : endpoints_(capacity, nullptr) {}

    std::optional<router::master_id> acquire(upstream_endpoint& endpoint) noexcept {
        for (std::size_t i = 0; i < endpoints_.size(); ++i) {
            const std::size_t id = (next_ + i) % endpoints_.size();
            if (endpoints_[id] == nullptr) {
                endpoints_[id] = &endpoint;
                next_ = id + 1;  // round the ring: an id just freed is reused last
                return static_cast<router::master_id>(id);
            }
        }
        return std::nullopt;
    }

    void release(router::master_id id) noexcept {
        if (id < endpoints_.size()) endpoints_[id] = nullptr;
    }

    void deliver(const router::request_origin& origin, std::span<const std::uint8_t> pdu) {
        if (origin.master < endpoints_.size() && endpoints_[origin.master] != nullptr) {
            endpoints_[origin.master]->deliver(origin, pdu);
        }
    }

    /// Asks every endpoint to finish and close (each releases its id as it closes).
    void shutdown_all() {
        for (auto* e : endpoints_) {
            if (e != nullptr) e->shutdown();
        }
    }

    /// Closes every endpoint `pred` selects, now, for `why`; returns how many.
    template <class Pred>
    std::size_t close_if(Pred pred, policy::reason why) {
        std::size_t n = 0;
        for (auto* e : endpoints_) {
            if (e != nullptr && pred(*e)) {
                e->close(why);  // releases its slot: this loop sees nullptr from now on
                ++n;
            }
        }
        return n;
    }

    /// The endpoint `pred` selects that has been quiet longest, or nullptr.
    template <class Pred>
    upstream_endpoint* longest_idle(Pred pred) const {
        upstream_endpoint* best = nullptr;
        for (auto* e : endpoints_) {
            if (e != nullptr && pred(*e) &&
                (best == nullptr || e->last_active() < best->last_active()))
                best = e;
        }
        return best;
    }

    std::size_t active() const noexcept {
        std::size_t n = 0;
        for (const auto* e : endpoints_)
            n += e != nullptr ? 1 : 0;
        return n;
    }

private:
    std::vector<upstream_endpoint*> endpoints_;
    std::size_t next_ = 0;
};

}  // namespace gw::gateway
