#pragma once
// Shared helpers of the gw fuzz harnesses: a property check that stops the run, and a reader that
// turns the fuzzer's bytes into decisions (sizes, time steps, choices) without running past the
// end.

#include <cstddef>
#include <cstdint>
#include <span>

// A violated property is a finding: trap, so libFuzzer saves the input (a plain return would
// only report crashes, not wrong answers).
#define GW_FUZZ_CHECK(condition) \
    do {                         \
        if (!(condition)) {      \
            __builtin_trap();    \
        }                        \
    } while (false)

namespace gw::fuzz {

/// Consumes the fuzz input front to back; once it is exhausted every read returns zeros, so a
/// harness never has to test for the end in the middle of a decision.
class input_reader {
public:
    input_reader(const std::uint8_t* data, std::size_t size) noexcept : bytes_{data, size} {}
    explicit input_reader(std::span<const std::uint8_t> bytes) noexcept : bytes_{bytes} {}

    bool empty() const noexcept { return pos_ >= bytes_.size(); }
    std::size_t remaining() const noexcept { return bytes_.size() - pos_; }

    std::uint8_t u8() noexcept { return empty() ? std::uint8_t{0} : bytes_[pos_++]; }
    std::uint16_t u16() noexcept {
        const auto hi = u8();
        return static_cast<std::uint16_t>(hi << 8U | u8());
    }
    bool flag() noexcept { return (u8() & 1U) != 0; }
    /// A value in [0, n) (n > 0).
    std::size_t below(std::size_t n) noexcept { return u8() % n; }

    /// Up to `n` bytes (fewer at the end of the input).
    std::span<const std::uint8_t> take(std::size_t n) noexcept {
        const std::size_t k = n < remaining() ? n : remaining();
        const auto out = bytes_.subspan(pos_, k);
        pos_ += k;
        return out;
    }
    std::span<const std::uint8_t> rest() noexcept { return take(remaining()); }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

inline bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace gw::fuzz
