#include <gw/core/exception_code.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string_view>

using gw::exception_code;

// The wire values are the specification's (Modbus Application Protocol v1.1b3, 7).
static_assert(static_cast<int>(exception_code::illegal_function) == 0x01);
static_assert(static_cast<int>(exception_code::illegal_data_address) == 0x02);
static_assert(static_cast<int>(exception_code::illegal_data_value) == 0x03);
static_assert(static_cast<int>(exception_code::server_device_failure) == 0x04);
static_assert(static_cast<int>(exception_code::acknowledge) == 0x05);
static_assert(static_cast<int>(exception_code::server_device_busy) == 0x06);
static_assert(static_cast<int>(exception_code::negative_acknowledge) == 0x07);
static_assert(static_cast<int>(exception_code::memory_parity_error) == 0x08);
static_assert(static_cast<int>(exception_code::gateway_path_unavailable) == 0x0A);
static_assert(static_cast<int>(exception_code::gateway_target_failed) == 0x0B);
static_assert(to_string(exception_code::illegal_data_address) == "illegal data address");

TEST_CASE("every exception code has its own name") {
    std::set<std::string_view> names;
    for (int v : {1, 2, 3, 4, 5, 6, 7, 8, 10, 11}) {
        const auto name = to_string(static_cast<exception_code>(v));
        CHECK(name != "unknown exception");
        names.insert(name);
    }
    CHECK(names.size() == 10);
    CHECK(to_string(static_cast<exception_code>(0x09)) == "unknown exception");
}
