#pragma once
// Request latency (received from the master -> answer queued to it) in power-of-two microsecond
// buckets: constant memory, one increment per answer, percentiles good to a factor of two.

#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace gw::gateway {

class latency_histogram {
public:
    static constexpr std::size_t bucket_count = 28;  ///< 1 us .. ~134 s, the last one open-ended

    void record(std::chrono::microseconds latency) noexcept {
        const auto us = static_cast<std::uint64_t>(latency.count() < 0 ? 0 : latency.count());
        const std::size_t b = us == 0 ? 0 : static_cast<std::size_t>(std::bit_width(us)) - 1;
        ++buckets_[b < bucket_count ? b : bucket_count - 1];
        ++count_;
        sum_us_ += us;
        if (us > max_us_) max_us_ = us;
    }

    std::uint64_t count() const noexcept { return count_; }
    std::uint64_t max_us() const noexcept { return max_us_; }
    std::uint64_t mean_us() const noexcept { return count_ == 0 ? 0 : sum_us_ / count_; }
    /// Upper bound (exclusive) of bucket i in microseconds.
    static constexpr std::uint64_t bucket_limit_us(std::size_t i) noexcept {
        return std::uint64_t{2} << i;
    }
    std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i]; }

    /// Upper bound of the bucket holding the q-quantile (0 < q <= 1).
    std::uint64_t quantile_bound_us(double q) const noexcept {
        if (count_ == 0) return 0;
        const auto target =
            static_cast<std::uint64_t>(std::llround(q * static_cast<double>(count_)));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += buckets_[i];
            if (seen >= target && seen > 0) return bucket_limit_us(i);
        }
        return bucket_limit_us(bucket_count - 1);
    }

private:
    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_us_ = 0;
    std::uint64_t max_us_ = 0;
};

}  // namespace gw::gateway
