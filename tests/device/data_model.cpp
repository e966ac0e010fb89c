#include <gw/device/data_model.hpp>

#include <gw/device/static_data_model.hpp>

#include <doctest/doctest.h>

using namespace gw;

namespace {
using result = std::optional<exception_code>;

// A model that forgets one operation.
struct no_register_writes {
    result read_coils(std::uint16_t, std::uint16_t, std::span<std::uint8_t>) { return {}; }
    result read_discrete_inputs(std::uint16_t, std::uint16_t, std::span<std::uint8_t>) {
        return {};
    }
    result read_holding_registers(std::uint16_t, std::uint16_t, std::span<std::uint8_t>) {
        return {};
    }
    result read_input_registers(std::uint16_t, std::uint16_t, std::span<std::uint8_t>) {
        return {};
    }
    result write_coils(std::uint16_t, std::uint16_t, std::span<const std::uint8_t>) { return {}; }
};
// A model whose operation returns the wrong type.
struct wrong_result : no_register_writes {
    bool write_registers(std::uint16_t, std::uint16_t, std::span<const std::uint8_t>) {
        return true;
    }
};
struct complete : no_register_writes {
    result write_registers(std::uint16_t, std::uint16_t, std::span<const std::uint8_t>) {
        return {};
    }
};
}  // namespace

static_assert(data_model<static_data_model<1, 1, 1, 1>>);
static_assert(data_model<complete>);
static_assert(!data_model<no_register_writes>);
static_assert(model_writes_coils<no_register_writes> &&
              !model_writes_registers<no_register_writes>);
static_assert(!data_model<wrong_result>);
static_assert(!data_model<int>);
static_assert(check_data_model<complete>());

TEST_CASE("the data_model concept names each operation") {
    CHECK(data_model<complete>);
    CHECK_FALSE(model_writes_registers<no_register_writes>);
    CHECK(model_reads_holding_registers<no_register_writes>);
}
