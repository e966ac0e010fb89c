#include <gw/pipeline/pipeline.hpp>
#include <gw/policy/allowlist_policy.hpp>
#include <gw/policy/event_log.hpp>
#include <gw/policy/policy_chain.hpp>
#include <gw/router/router.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>

using namespace gw;
using namespace std::chrono_literals;

namespace {

using line = router::channel<16, 4>;
using gateway_router = router::router<line, 1>;

/// Refuses writes: a stand-in for the authorization policy a later stage brings.
struct read_only_policy {
    policy::decision on_request(const policy::request_info& r) {
        const bool write =
            !r.pdu.empty() && (r.pdu[0] == 5 || r.pdu[0] == 6 || r.pdu[0] == 15 || r.pdu[0] == 16);
        return write ? policy::decision::deny(policy::reason::unauthorized,
                                              exception_code::illegal_function)
                     : policy::decision::allow();
    }
};

using policies =
    policy::policy_chain<policy::allowlist_policy<1, 4>, read_only_policy, policy::event_log<16>>;

}  // namespace

TEST_CASE("a request passes the policies, then the router; refusals are audited") {
    line l{router::channel_options{}};
    gateway_router r;
    r.add_channel(l);
    REQUIRE(r.routes().add(router::route{1, 1, 0, 0}));
    policies p;
    pipeline::pipeline<gateway_router, policies> pipe{r, p};

    policy::connection_info c;
    c.peer = *policy::parse_ip_address("127.0.0.2");
    REQUIRE(pipe.on_connect(c).allowed);

    const std::array<std::uint8_t, 5> read{0x03, 0x00, 0x00, 0x00, 0x01};
    const std::array<std::uint8_t, 5> write{0x06, 0x00, 0x00, 0x00, 0x01};
    CHECK_FALSE(pipe.on_request(c, {0, router::priority_class::normal, 1, 1, read, 0us}));
    CHECK(l.queue_depth() == 1);

    CHECK(pipe.on_request(c, {0, router::priority_class::normal, 2, 1, write, 0us}) ==
          exception_code::illegal_function);
    CHECK(pipe.on_request(c, {0, router::priority_class::normal, 3, 9, read, 0us}) ==
          exception_code::gateway_path_unavailable);
    CHECK(l.queue_depth() == 1);

    const auto& log = p.get<policy::event_log<16>>();
    CHECK(log.count(policy::event_kind::connection_accepted) == 1);
    CHECK(log.count(policy::event_kind::request_refused) == 1);
    CHECK(log.count(policy::event_kind::exception_answered) == 1);

    pipe.on_disconnect(c, 0);
    CHECK(l.queue_depth() == 0);  // its queued request went with it
    CHECK(log.count(policy::event_kind::connection_closed) == 1);
}

namespace {
/// Records whether any request it saw broke the v1.1b3 limits: a policy must only ever see
/// validated requests (the authorization policy reads address ranges from them).
struct inspecting_policy {
    int seen = 0;
    int invalid = 0;
    policy::decision on_request(const policy::request_info& r) {
        ++seen;
        if (validate_request(r.pdu)) ++invalid;
        return policy::decision::allow();
    }
};
}  // namespace

TEST_CASE("policies only see requests that passed validation") {
    line l{router::channel_options{}};
    gateway_router r;
    r.add_channel(l);
    REQUIRE(r.routes().add(router::route{1, 1, 0, 0}));
    policy::policy_chain<inspecting_policy, policy::event_log<16>> p;
    pipeline::pipeline<gateway_router, decltype(p)> pipe{r, p};
    policy::connection_info c;

    const std::array<std::uint8_t, 1> fc3_alone{0x03};  // no address, no count
    const std::array<std::uint8_t, 5> too_many{0x03, 0x00, 0x00, 0x00, 0x7E};  // 126 registers
    CHECK(pipe.on_request(c, {0, router::priority_class::normal, 1, 1, fc3_alone, 0us}) ==
          exception_code::illegal_data_value);
    CHECK(pipe.on_request(c, {0, router::priority_class::normal, 2, 1, too_many, 0us}) ==
          exception_code::illegal_data_value);
    CHECK(p.get<inspecting_policy>().seen == 0);
    CHECK(p.get<policy::event_log<16>>().count(policy::event_kind::exception_answered) == 2);

    const std::array<std::uint8_t, 5> good{0x03, 0x00, 0x00, 0x00, 0x7D};
    CHECK_FALSE(pipe.on_request(c, {0, router::priority_class::normal, 3, 1, good, 0us}));
    CHECK(p.get<inspecting_policy>().seen == 1);
    CHECK(p.get<inspecting_policy>().invalid == 0);
}
