#include <gw/router/router.hpp>
#include <gw/transport/concepts.hpp>

#include "test_sink.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

using namespace gw;
using namespace gw::router;
using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {
using small_channel = channel<16, 4>;
request_origin from(std::uint8_t unit) {
    return request_origin{0, 1, unit, transport::time_point{0us}};
}
}  // namespace

TEST_CASE("the router validates, routes with remapping, and refuses what it cannot serve") {
    small_channel line1{channel_options{}};
    small_channel line2{channel_options{}};
    gw::router::router<small_channel, 2> r;
    REQUIRE(r.add_channel(line1) == 0);
    REQUIRE(r.add_channel(line2) == 1);
    REQUIRE(r.routes().add(route{1, 5, 0, 0}));
    REQUIRE(r.routes().add(route{101, 102, 1, 1}));

    const bytes read = {0x03, 0x00, 0x00, 0x00, 0x01};
    CHECK_FALSE(r.submit(from(3), priority_class::normal, read));
    CHECK(line1.queue_depth() == 1);

    CHECK_FALSE(r.submit(from(102), priority_class::normal, read));
    const auto out = line2.next_transmit(transport::time_point{0us});
    REQUIRE_FALSE(out.empty());
    CHECK(out[0] == 2);  // virtual unit 102 is real unit 2 on line 2

    SUBCASE("no route: 0x0A") {
        CHECK(r.submit(from(50), priority_class::normal, read) ==
              exception_code::gateway_path_unavailable);
    }
    SUBCASE("validation first: a bad quantity is 0x03 even without a route") {
        const bytes zero_quantity = {0x03, 0x00, 0x00, 0x00, 0x00};
        CHECK(r.submit(from(50), priority_class::normal, zero_quantity) ==
              exception_code::illegal_data_value);
    }
    SUBCASE("address + quantity beyond 65536: 0x02") {
        const bytes overflow = {0x03, 0xFF, 0xFF, 0x00, 0x02};
        CHECK(r.submit(from(3), priority_class::normal, overflow) ==
              exception_code::illegal_data_address);
    }
    SUBCASE("an unknown public function: 0x01") {
        const bytes fc9 = {0x09, 0x00};
        CHECK(r.submit(from(3), priority_class::normal, fc9) == exception_code::illegal_function);
    }
}
