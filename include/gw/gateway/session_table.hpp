#pragma once
// Master ids for connected masters, and the way back from a channel to the master waiting on an
// answer. Ids are reused; a channel never answers a reused id with a stale answer because
// dropping a master marks its in-flight requests dead (router::request_queue::drop_master).

#include <gw/router/request_origin.hpp>

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
    /// Closes the connection or line (the gateway is stopping).
    virtual void shutdown() = 0;

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

    /// Closes every endpoint (each releases its id as it closes).
    void shutdown_all() {
        for (auto* e : endpoints_) {
            if (e != nullptr) e->shutdown();
        }
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
