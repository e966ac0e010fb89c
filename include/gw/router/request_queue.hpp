#pragma once
// Bounded, fair, two-class request queue of one channel. No heap: a fixed pool of slots linked
// into per-master FIFOs by index.
//
// Scheduling: the high class always goes first; within a class, masters are served round-robin
// (one request each in turn), so a master that floods its queue delays only itself. Each master
// may hold at most `per_master_limit` requests (MGate default 32); the pool bounds the total.

#include <gw/codec/adu_buffer.hpp>
#include <gw/router/request_origin.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

namespace gw::router {

/// One queued request: who sent it and the ADU to put on the bus. The answer is written back into
/// the same buffer, so a request costs one copy in and one out.
struct request_slot {
    adu_buffer adu;
    request_origin origin;
    priority_class priority = priority_class::normal;
    bool origin_alive = true;     ///< false once the master disconnected: run it, answer nobody
    std::uint16_t next = 0;       ///< next slot in the master's FIFO, or in the coalesced list
    std::uint16_t followers = 0;  ///< head of the list of identical reads served with this one
};

inline constexpr std::uint16_t no_slot = std::numeric_limits<std::uint16_t>::max();

template <std::size_t Slots, std::size_t Masters>
class request_queue {
    static_assert(Slots > 0 && Slots < no_slot, "slot indices are 16-bit");
    static_assert(Masters > 0 && Masters <= std::numeric_limits<master_id>::max());

public:
    static constexpr std::size_t slot_capacity = Slots;
    static constexpr std::size_t master_capacity = Masters;

    explicit request_queue(std::uint16_t per_master_limit = 32) noexcept
        : per_master_limit_{per_master_limit} {
        for (std::size_t i = 0; i < Slots; ++i) {
            slots_[i].next = i + 1 < Slots ? static_cast<std::uint16_t>(i + 1) : no_slot;
        }
        free_head_ = 0;
        for (auto& m : masters_)
            m = master_state{};
    }

    void set_per_master_limit(std::uint16_t limit) noexcept { per_master_limit_ = limit; }
    std::uint16_t per_master_limit() const noexcept { return per_master_limit_; }

    /// Takes a free slot for `master`, or no_slot when the master is at its limit or the pool is
    /// exhausted (the caller answers exception 0x06, server busy). The slot is not yet queued.
    std::uint16_t allocate(master_id master) noexcept {
        if (master >= Masters || masters_[master].held >= per_master_limit_ ||
            free_head_ == no_slot) {
            return no_slot;
        }
        const std::uint16_t index = free_head_;
        free_head_ = slots_[index].next;
        auto& s = slots_[index];
        s.next = no_slot;
        s.followers = no_slot;
        s.origin_alive = true;
        s.origin.master = master;
        ++masters_[master].held;
        ++in_use_;
        return index;
    }

    /// Appends an allocated slot to its master's FIFO in class `priority`.
    void push(std::uint16_t index, priority_class priority) noexcept {
        auto& s = slots_[index];
        s.priority = priority;
        s.next = no_slot;
        auto& q = masters_[s.origin.master].fifo[static_cast<std::size_t>(priority)];
        if (q.tail == no_slot) {
            q.head = index;
            mark(static_cast<std::size_t>(priority), s.origin.master);
        } else {
            slots_[q.tail].next = index;
        }
        q.tail = index;
        ++queued_[static_cast<std::size_t>(priority)];
    }

    /// Attaches an allocated slot to a queued one: it is answered by the same bus transaction.
    void attach_follower(std::uint16_t leader, std::uint16_t follower) noexcept {
        slots_[follower].next = slots_[leader].followers;
        slots_[leader].followers = follower;
    }

    /// Removes and returns the next request to run, or no_slot when none is waiting.
    std::uint16_t pop() noexcept {
        for (std::size_t c = priority_class_count; c-- > 0;) {
            if (queued_[c] == 0) continue;
            // Round-robin: the first master after the one served last in this class.
            const std::size_t m = next_waiting(c, (cursor_[c] + 1) % Masters);
            if (m == Masters) continue;
            auto& q = masters_[m].fifo[c];
            const std::uint16_t index = q.head;
            q.head = slots_[index].next;
            if (q.head == no_slot) {
                q.tail = no_slot;
                unmark(c, m);
            }
            slots_[index].next = no_slot;
            --queued_[c];
            cursor_[c] = m;
            return index;
        }
        return no_slot;
    }

    /// Returns a slot (and nothing else: followers are released one by one) to the pool.
    void release(std::uint16_t index) noexcept {
        auto& s = slots_[index];
        auto& held = masters_[s.origin.master].held;
        if (held > 0) --held;
        --in_use_;
        s.next = free_head_;
        s.followers = no_slot;
        free_head_ = index;
    }

    /// Visits every queued (not in-flight) leader slot in FIFO order per master: f(index) -> bool
    /// (true stops the walk). Used by read coalescing to find an identical queued read.
    template <class F>
    std::uint16_t find_queued(F&& f) const noexcept {
        for (std::size_t c = 0; c < priority_class_count; ++c) {
            for (std::size_t w = 0; w < waiting_words; ++w) {
                for (std::uint64_t bits = waiting_[c][w]; bits != 0; bits &= bits - 1) {
                    const std::size_t m = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
                    for (std::uint16_t i = masters_[m].fifo[c].head; i != no_slot;
                         i = slots_[i].next) {
                        if (f(i)) return i;
                    }
                }
            }
        }
        return no_slot;
    }

    /// Drops every queued request of a master that went away and returns how many were dropped.
    /// Followers it had attached to other masters' requests are marked dead, answered to nobody.
    std::size_t drop_master(master_id master) noexcept {
        if (master >= Masters) return 0;  // never allocated: nothing to drop
        std::size_t dropped = 0;
        for (std::size_t c = 0; c < priority_class_count; ++c) {
            auto& q = masters_[master].fifo[c];
            while (q.head != no_slot) {
                const std::uint16_t index = q.head;
                q.head = slots_[index].next;
                --queued_[c];
                // Identical reads of other masters hang on this one: the first of them takes its
                // place (at the tail of its own master's queue), the others follow it.
                std::uint16_t promoted = no_slot;
                for (std::uint16_t f = slots_[index].followers; f != no_slot;) {
                    const std::uint16_t after = slots_[f].next;
                    if (slots_[f].origin.master == master) {
                        release(f);
                        ++dropped;
                    } else if (promoted == no_slot) {
                        promoted = f;
                        slots_[f].followers = no_slot;
                    } else {
                        attach_follower(promoted, f);
                    }
                    f = after;
                }
                slots_[index].followers = no_slot;
                if (promoted != no_slot) push(promoted, slots_[index].priority);
                release(index);
                ++dropped;
            }
            q.tail = no_slot;
            unmark(c, master);
        }
        // Its followers on other masters' requests (and its in-flight request) stay allocated
        // until that transaction completes; they must not be answered.
        for (std::size_t i = 0; i < Slots; ++i) {
            if (slots_[i].origin.master == master) slots_[i].origin_alive = false;
        }
        return dropped;
    }

    request_slot& operator[](std::uint16_t index) noexcept { return slots_[index]; }
    const request_slot& operator[](std::uint16_t index) const noexcept { return slots_[index]; }

    std::size_t queued() const noexcept { return queued_[0] + queued_[1]; }
    std::size_t queued(priority_class c) const noexcept {
        return queued_[static_cast<std::size_t>(c)];
    }
    std::size_t in_use() const noexcept { return in_use_; }
    std::size_t held_by(master_id master) const noexcept {
        return master < Masters ? masters_[master].held : 0;
    }

private:
    // One bit per master and class: "has requests waiting", so that pop() and find_queued()
    // skip idle masters 64 at a time instead of visiting all `Masters` of them.
    static constexpr std::size_t waiting_words = (Masters + 63) / 64;

    void mark(std::size_t c, std::size_t m) noexcept {
        waiting_[c][m / 64] |= std::uint64_t{1} << (m % 64);
    }
    void unmark(std::size_t c, std::size_t m) noexcept {
        waiting_[c][m / 64] &= ~(std::uint64_t{1} << (m % 64));
    }

    /// The first master at or after `from`, cyclically, with requests waiting in class `c`;
    /// `Masters` if none has.
    std::size_t next_waiting(std::size_t c, std::size_t from) const noexcept {
        std::size_t w = from / 64;
        std::uint64_t bits = waiting_[c][w] & (~std::uint64_t{0} << (from % 64));
        // The first word from `from` on, the other words, then the first word's lower bits.
        for (std::size_t k = 0; k <= waiting_words; ++k) {
            if (bits != 0) return w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
            w = w + 1 == waiting_words ? 0 : w + 1;
            bits = waiting_[c][w];
        }
        return Masters;
    }

    struct fifo_ends {
        std::uint16_t head = no_slot;
        std::uint16_t tail = no_slot;
    };
    struct master_state {
        std::array<fifo_ends, priority_class_count> fifo{};
        std::uint16_t held = 0;  ///< slots allocated to this master: queued, followers, in flight
    };

    std::array<request_slot, Slots> slots_{};
    std::array<master_state, Masters> masters_{};
    std::array<std::size_t, priority_class_count> queued_{};
    std::array<std::array<std::uint64_t, waiting_words>, priority_class_count> waiting_{};
    std::array<std::size_t, priority_class_count> cursor_{Masters - 1, Masters - 1};
    std::uint16_t free_head_ = 0;
    std::size_t in_use_ = 0;
    std::uint16_t per_master_limit_;
};

}  // namespace gw::router
