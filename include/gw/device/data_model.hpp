#pragma once
// What a Modbus server (slave) needs from the application: the four data tables. Address ranges
// reach the model already validated by the codec (quantity within the spec's limits, start +
// quantity <= 65536); the model only says whether it has those addresses (02 if not) or fails.
// Each operation returns std::nullopt on success, else the exception to answer with.
//
// Coils and discrete inputs travel packed, LSB first (byte 0 bit 0 = first address), exactly as
// in the PDU; registers big-endian, two bytes each. The spans are exactly as long as the quantity
// needs, and point into the request or response PDU: a model reads and writes them in place.

#include <gw/core/exception_code.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>

namespace gw {

namespace detail {
using model_result = std::optional<exception_code>;
}

template <class M>
concept model_reads_coils = requires(M& m, std::uint16_t a, std::uint16_t q,
                                     std::span<std::uint8_t> out) {
    { m.read_coils(a, q, out) } -> std::same_as<detail::model_result>;
};
template <class M>
concept model_reads_discrete_inputs = requires(M& m, std::uint16_t a, std::uint16_t q,
                                               std::span<std::uint8_t> out) {
    { m.read_discrete_inputs(a, q, out) } -> std::same_as<detail::model_result>;
};
template <class M>
concept model_reads_holding_registers = requires(M& m, std::uint16_t a, std::uint16_t q,
                                                 std::span<std::uint8_t> out) {
    { m.read_holding_registers(a, q, out) } -> std::same_as<detail::model_result>;
};
template <class M>
concept model_reads_input_registers = requires(M& m, std::uint16_t a, std::uint16_t q,
                                               std::span<std::uint8_t> out) {
    { m.read_input_registers(a, q, out) } -> std::same_as<detail::model_result>;
};
template <class M>
concept model_writes_coils = requires(M& m, std::uint16_t a, std::uint16_t q,
                                      std::span<const std::uint8_t> in) {
    { m.write_coils(a, q, in) } -> std::same_as<detail::model_result>;
};
template <class M>
concept model_writes_registers = requires(M& m, std::uint16_t a, std::uint16_t q,
                                          std::span<const std::uint8_t> in) {
    { m.write_registers(a, q, in) } -> std::same_as<detail::model_result>;
};

/// The whole requirement; each part is a concept of its own so that a static_assert can name
/// the missing operation.
template <class M>
concept data_model =
    model_reads_coils<M> && model_reads_discrete_inputs<M> && model_reads_holding_registers<M> &&
    model_reads_input_registers<M> && model_writes_coils<M> && model_writes_registers<M>;

/// Use as `static_assert(check_data_model<M>())` for one message per missing operation.
template <class M>
consteval bool check_data_model() {
    static_assert(model_reads_coils<M>,
                  "data_model: needs read_coils(addr, qty, span<u8>) -> "
                  "optional<exception_code>");
    static_assert(model_reads_discrete_inputs<M>,
                  "data_model: needs read_discrete_inputs(addr, "
                  "qty, span<u8>) -> optional<exception_code>");
    static_assert(model_reads_holding_registers<M>,
                  "data_model: needs read_holding_registers(addr, qty, span<u8>) -> "
                  "optional<exception_code>");
    static_assert(model_reads_input_registers<M>,
                  "data_model: needs read_input_registers(addr, "
                  "qty, span<u8>) -> optional<exception_code>");
    static_assert(model_writes_coils<M>,
                  "data_model: needs write_coils(addr, qty, span<const "
                  "u8>) -> optional<exception_code>");
    static_assert(model_writes_registers<M>,
                  "data_model: needs write_registers(addr, qty, "
                  "span<const u8>) -> optional<exception_code>");
    return true;
}

}  // namespace gw
