#pragma once
// An integer token bucket: `rate` tokens a second refill it, up to `burst`. Tokens are kept in
// micro-tokens (a millionth of one), so that a refill from a timestamp difference in
// microseconds is exact integer arithmetic (elapsed_us * rate micro-tokens): no floating point,
// no drift, and no rounding lost however often it is asked.
//
// Time that does not advance refills nothing. Time that goes backwards refills nothing either,
// and the bucket keeps its last instant until the clock passes it again: a clock jump can never
// hand out tokens twice (never fail open).

#include <gw/core/time.hpp>

#include <cstdint>

namespace gw::policy {

/// A rate and a burst. rate == 0: this limit is off (the bucket always has a token).
struct rate_limit {
    std::uint32_t rate = 0;   ///< tokens a second
    std::uint32_t burst = 0;  ///< the most tokens the bucket holds (and a fresh bucket starts with)

    constexpr bool enabled() const noexcept { return rate != 0; }
    /// Off, or a rate of at most max_rate with a burst of at least one token.
    constexpr bool valid() const noexcept { return rate == 0 || (rate <= max_rate && burst >= 1); }
    static constexpr std::uint32_t max_rate = 1'000'000;  ///< one a microsecond

    friend constexpr bool operator==(const rate_limit&, const rate_limit&) = default;
};

class token_bucket {
public:
    static constexpr std::uint64_t micro = 1'000'000;  ///< micro-tokens in one token

    /// Refills for the time elapsed since the last refill (a fresh bucket starts full).
    constexpr void refill(const rate_limit& l, timestamp now) noexcept {
        const std::uint64_t capacity = std::uint64_t{l.burst} * micro;
        if (!primed_) {
            primed_ = true;
            tokens_ = capacity;
            last_ = now;
            return;
        }
        if (now <= last_) {
            if (tokens_ > capacity) tokens_ = capacity;  // the burst was lowered
            return;
        }
        const auto elapsed = static_cast<std::uint64_t>((now - last_).count());
        last_ = now;
        if (l.rate == 0 || tokens_ >= capacity) {
            tokens_ = capacity;
            return;
        }
        const std::uint64_t missing = capacity - tokens_;
        // Saturating: elapsed * rate could overflow after a long silence; more than the time to
        // fill the bucket up fills it up.
        if (elapsed >= missing / l.rate + 1) {
            tokens_ = capacity;
        } else {
            tokens_ += elapsed * l.rate;
            if (tokens_ > capacity) tokens_ = capacity;
        }
    }

    /// Whether one whole token is there (after refill()).
    constexpr bool has_token(const rate_limit& l) const noexcept {
        return !l.enabled() || tokens_ >= micro;
    }
    /// Takes one token if there is one (after refill()).
    constexpr void take(const rate_limit& l) noexcept {
        if (l.enabled() && tokens_ >= micro) tokens_ -= micro;
    }
    /// Refill, then take one token: false (and nothing taken) if there is none.
    constexpr bool try_take(const rate_limit& l, timestamp now) noexcept {
        refill(l, now);
        if (!has_token(l)) return false;
        take(l);
        return true;
    }

    /// Whole tokens left (as of the last refill).
    constexpr std::uint64_t tokens() const noexcept { return tokens_ / micro; }
    constexpr std::uint64_t micro_tokens() const noexcept { return tokens_; }

private:
    std::uint64_t tokens_ = 0;
    timestamp last_{};
    bool primed_ = false;
};

}  // namespace gw::policy
