#pragma once
// A data model in fixed arrays: Coils and Discrete bits, Holding and Input registers, addressed
// from 0. A request reaching past the end of a table gets 02 (illegal data address).

#include <gw/core/endian.hpp>
#include <gw/core/exception_code.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

template <std::size_t Coils, std::size_t Discrete, std::size_t Holding, std::size_t Input>
class static_data_model {
public:
    using result = std::optional<exception_code>;

    static constexpr std::size_t coil_count = Coils;
    static constexpr std::size_t discrete_input_count = Discrete;
    static constexpr std::size_t holding_register_count = Holding;
    static constexpr std::size_t input_register_count = Input;

    // The data model interface (gw::data_model).
    constexpr result read_coils(std::uint16_t addr, std::uint16_t qty,
                                std::span<std::uint8_t> packed_out) const noexcept {
        return read_bits(coils_, addr, qty, packed_out);
    }
    constexpr result read_discrete_inputs(std::uint16_t addr, std::uint16_t qty,
                                          std::span<std::uint8_t> packed_out) const noexcept {
        return read_bits(discrete_, addr, qty, packed_out);
    }
    constexpr result read_holding_registers(std::uint16_t addr, std::uint16_t qty,
                                            std::span<std::uint8_t> out) const noexcept {
        return read_registers(holding_, addr, qty, out);
    }
    constexpr result read_input_registers(std::uint16_t addr, std::uint16_t qty,
                                          std::span<std::uint8_t> out) const noexcept {
        return read_registers(input_, addr, qty, out);
    }
    constexpr result write_coils(std::uint16_t addr, std::uint16_t qty,
                                 std::span<const std::uint8_t> packed_in) noexcept {
        if (!fits(Coils, addr, qty) || packed_in.size() * 8 < qty) {
            return exception_code::illegal_data_address;
        }
        for (std::size_t i = 0; i < qty; ++i) {
            coils_[addr + i] = ((packed_in[i / 8] >> (i % 8)) & 1U) != 0;
        }
        return std::nullopt;
    }
    constexpr result write_registers(std::uint16_t addr, std::uint16_t qty,
                                     std::span<const std::uint8_t> in) noexcept {
        if (!fits(Holding, addr, qty) || in.size() < 2 * std::size_t{qty}) {
            return exception_code::illegal_data_address;
        }
        for (std::size_t i = 0; i < qty; ++i) {
            holding_[addr + i] = get_u16(in, 2 * i);
        }
        return std::nullopt;
    }

    // Direct access for the application (and tests). Preconditions: index < count.
    constexpr bool coil(std::size_t i) const noexcept { return coils_[i]; }
    constexpr void set_coil(std::size_t i, bool v) noexcept { coils_[i] = v; }
    constexpr bool discrete_input(std::size_t i) const noexcept { return discrete_[i]; }
    constexpr void set_discrete_input(std::size_t i, bool v) noexcept { discrete_[i] = v; }
    constexpr std::uint16_t holding_register(std::size_t i) const noexcept { return holding_[i]; }
    constexpr void set_holding_register(std::size_t i, std::uint16_t v) noexcept {
        holding_[i] = v;
    }
    constexpr std::uint16_t input_register(std::size_t i) const noexcept { return input_[i]; }
    constexpr void set_input_register(std::size_t i, std::uint16_t v) noexcept { input_[i] = v; }

private:
    static constexpr bool fits(std::size_t size, std::uint16_t addr, std::uint16_t qty) noexcept {
        return std::size_t{addr} + qty <= size;
    }

    template <std::size_t N>
    static constexpr result read_bits(const std::array<bool, N>& bits, std::uint16_t addr,
                                      std::uint16_t qty, std::span<std::uint8_t> out) noexcept {
        if (!fits(N, addr, qty) || out.size() * 8 < qty) {
            return exception_code::illegal_data_address;
        }
        for (std::size_t byte = 0; byte < (qty + 7U) / 8U; ++byte) {
            out[byte] = 0;  // unused high bits of the last byte are zero (spec 6.1)
        }
        for (std::size_t i = 0; i < qty; ++i) {
            if (bits[addr + i]) {
                out[i / 8] = static_cast<std::uint8_t>(out[i / 8] | (1U << (i % 8)));
            }
        }
        return std::nullopt;
    }

    template <std::size_t N>
    static constexpr result read_registers(const std::array<std::uint16_t, N>& regs,
                                           std::uint16_t addr, std::uint16_t qty,
                                           std::span<std::uint8_t> out) noexcept {
        if (!fits(N, addr, qty) || out.size() < 2 * std::size_t{qty}) {
            return exception_code::illegal_data_address;
        }
        for (std::size_t i = 0; i < qty; ++i) {
            put_u16(out, 2 * i, regs[addr + i]);
        }
        return std::nullopt;
    }

    std::array<bool, Coils> coils_{};
    std::array<bool, Discrete> discrete_{};
    std::array<std::uint16_t, Holding> holding_{};
    std::array<std::uint16_t, Input> input_{};
};

}  // namespace gw
