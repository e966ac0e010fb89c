#pragma once
// A bounded in-memory event log (an audit hook). When full, the oldest event is overwritten and
// counted, so a flood can never grow memory and never vanishes without a trace.
// MGate MB3000-G2 keeps up to 10,000 events. `Capacity` sizes the storage; set_capacity() may
// hold fewer (the configured log.event_log_capacity), never more.

#include <gw/policy/audit_event.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace gw::policy {

template <std::size_t Capacity>
class event_log {
    static_assert(Capacity > 0);

public:
    void on_event(const audit_event& e) noexcept {
        // The window [first_, first_ + size_) slides over the storage; when it holds limit_
        // events the oldest gives way (and is counted).
        events_[(first_ + size_) % Capacity] = e;
        if (size_ < limit_) {
            ++size_;
        } else {
            first_ = (first_ + 1) % Capacity;
            ++overwritten_;
        }
        ++by_category_[static_cast<std::size_t>(e.category)];
        ++by_severity_[static_cast<std::size_t>(e.severity)];
        ++by_kind_[static_cast<std::size_t>(e.kind)];
        ++total_;
    }

    std::size_t size() const noexcept { return size_; }
    /// How many events are held at most now.
    std::size_t capacity() const noexcept { return limit_; }
    static constexpr std::size_t max_capacity() noexcept { return Capacity; }

    /// Holds at most `n` events from now on (1..Capacity); false, and nothing changes, outside
    /// that range. Shrinking keeps the newest events and counts the others as overwritten.
    [[nodiscard]] bool set_capacity(std::size_t n) noexcept {
        if (n == 0 || n > Capacity) return false;
        if (n < size_) {
            const std::size_t drop = size_ - n;
            first_ = (first_ + drop) % Capacity;
            size_ = n;
            overwritten_ += drop;
        }
        limit_ = n;
        return true;
    }
    /// i = 0 is the oldest event held.
    const audit_event& operator[](std::size_t i) const noexcept {
        return events_[(first_ + i) % Capacity];
    }
    const audit_event& newest() const noexcept { return (*this)[size_ - 1]; }

    std::uint64_t total() const noexcept { return total_; }
    std::uint64_t overwritten() const noexcept { return overwritten_; }
    std::uint64_t count(event_category c) const noexcept {
        return by_category_[static_cast<std::size_t>(c)];
    }
    std::uint64_t count(event_severity s) const noexcept {
        return by_severity_[static_cast<std::size_t>(s)];
    }
    std::uint64_t count(event_kind k) const noexcept {
        return by_kind_[static_cast<std::size_t>(k)];
    }

private:
    std::array<audit_event, Capacity> events_{};
    std::size_t first_ = 0;
    std::size_t size_ = 0;
    std::size_t limit_ = Capacity;
    std::uint64_t total_ = 0;
    std::uint64_t overwritten_ = 0;
    std::array<std::uint64_t, 6> by_category_{};
    std::array<std::uint64_t, 5> by_severity_{};
    std::array<std::uint64_t, event_kind_count> by_kind_{};
};

}  // namespace gw::policy
