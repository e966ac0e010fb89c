#include <gw/policy/allowlist_policy.hpp>
#include <gw/policy/event_log.hpp>
#include <gw/policy/policy_chain.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>

using namespace gw::policy;

namespace {

struct no_op_policy {};  // an empty struct is a valid policy

struct deny_all_requests {
    int asked = 0;
    decision on_request(const request_info&) {
        ++asked;
        return decision::deny(reason::unauthorized, gw::exception_code::illegal_function);
    }
};

struct count_requests {
    int asked = 0;
    decision on_request(const request_info&) {
        ++asked;
        return decision::allow();
    }
};

connection_info from(std::string_view address) {
    connection_info c;
    c.peer = *parse_ip_address(address);
    return c;
}

}  // namespace

TEST_CASE("an empty chain and a chain of no-op policies allow everything") {
    policy_chain<> empty;
    CHECK(empty.on_connect(from("10.0.0.1")).allowed);
    policy_chain<no_op_policy, no_op_policy> two;
    CHECK(two.on_connect(from("10.0.0.1")).allowed);
}

TEST_CASE("the first refusal wins, later policies are not asked, and it is audited") {
    policy_chain<deny_all_requests, count_requests, event_log<8>> chain;
    const auto c = from("10.0.0.1");
    const std::array<std::uint8_t, 5> pdu{0x03, 0, 0, 0, 1};
    const request_info r{c, 0, 1, pdu, {}};
    const auto d = chain.on_request(r);
    CHECK_FALSE(d.allowed);
    CHECK(d.why == reason::unauthorized);
    CHECK(chain.get<deny_all_requests>().asked == 1);
    CHECK(chain.get<count_requests>().asked == 0);
    const auto& log = chain.get<event_log<8>>();
    REQUIRE(log.size() == 1);
    CHECK(log.newest().kind == event_kind::request_refused);
    CHECK(log.newest().category == event_category::security);
    CHECK(log.newest().function == 0x03);
}

TEST_CASE("every connection decision reaches the audit hooks, allowed or refused") {
    policy_chain<allowlist_policy<1, 2>, event_log<8>> chain;
    const std::array<ip_network, 1> list{parse_ip_network("127.0.0.2").network};
    REQUIRE(chain.get<allowlist_policy<1, 2>>().set(0, list));
    CHECK(chain.on_connect(from("127.0.0.2")).allowed);
    CHECK_FALSE(chain.on_connect(from("127.0.0.3")).allowed);
    chain.on_disconnect(from("127.0.0.2"), reason::idle_timeout);
    const auto& log = chain.get<event_log<8>>();
    REQUIRE(log.size() == 3);
    CHECK(log[0].kind == event_kind::connection_accepted);
    CHECK(log[1].kind == event_kind::connection_refused);
    CHECK(log[1].reason == static_cast<std::uint8_t>(reason::not_in_allowlist));
    CHECK(log[1].severity == event_severity::warning);
    CHECK(log[2].kind == event_kind::idle_timeout);
}

namespace {
/// Counts connections like connection_limit_policy does.
struct counting_policy {
    int open = 0;
    decision on_connect(const connection_info&) {
        ++open;
        return decision::allow();
    }
    void on_disconnect(const connection_info&) { --open; }
};
struct refuse_connections {
    decision on_connect(const connection_info&) { return decision::deny(reason::not_in_allowlist); }
};
}  // namespace

TEST_CASE("a refusal rolls back the counts of the policies that admitted the connection") {
    struct counting_after : counting_policy {};
    policy_chain<counting_policy, refuse_connections, counting_after> chain;
    CHECK_FALSE(chain.on_connect(from("10.0.0.1")).allowed);
    CHECK(chain.get<counting_policy>().open == 0);  // counted, then rolled back
    CHECK(chain.get<counting_after>().open == 0);   // never asked
}

TEST_CASE("a policy's request to make room survives the rest of the chain") {
    struct make_room {
        decision on_connect(const connection_info&) {
            return decision::allow_evicting(ip_address{{}, false});
        }
    };
    policy_chain<make_room, counting_policy> chain;
    const auto d = chain.on_connect(from("10.0.0.1"));
    CHECK(d.allowed);
    CHECK(d.make_room);
    CHECK(chain.get<counting_policy>().open == 1);
}

TEST_CASE("closing reasons are audited with their category and severity") {
    policy_chain<event_log<8>> chain;
    chain.on_disconnect(from("127.0.0.2"), reason::write_timeout);
    chain.on_disconnect(from("127.0.0.2"), reason::evicted);
    chain.on_disconnect(from("127.0.0.2"), reason::not_in_allowlist);
    const auto& log = chain.get<event_log<8>>();
    REQUIRE(log.size() == 3);
    CHECK(log[0].kind == event_kind::connection_closed);
    CHECK(log[0].reason == static_cast<std::uint8_t>(reason::write_timeout));
    CHECK(log[0].severity == event_severity::notice);
    CHECK(log[1].category == event_category::security);
    CHECK(log[1].reason == static_cast<std::uint8_t>(reason::evicted));
    CHECK(log[2].outcome == event_outcome::denied);
}

TEST_CASE("a listener that audits writes: every allowed write is an event, reads are not") {
    policy_chain<count_requests, event_log<16>> chain;
    auto& log = chain.get<event_log<16>>();
    connection_info c = from("192.168.1.7");
    c.peer_port = 50000;
    c.audit_writes = true;
    (void)c.identity.role.assign("operator");
    // FC 6 write single register at 0x0010; FC 3 read; FC 16 write 3 registers at 0x0100.
    const std::array<std::uint8_t, 5> write_one{0x06, 0x00, 0x10, 0x12, 0x34};
    const std::array<std::uint8_t, 5> read{0x03, 0x00, 0x00, 0x00, 0x0a};
    const std::array<std::uint8_t, 12> write_many{0x10, 0x01, 0x00, 0x00, 0x03, 0x06,
                                                  0x00, 0x01, 0x00, 0x02, 0x00, 0x03};
    CHECK(chain.on_request({c, {}, 5, write_one, {}}).allowed);
    CHECK(chain.on_request({c, {}, 5, read, {}}).allowed);
    CHECK(chain.on_request({c, {}, 9, write_many, {}}).allowed);
    REQUIRE(log.count(event_kind::write_request) == 2);
    const auto& first = log[log.size() - 2];
    CHECK(first.kind == event_kind::write_request);
    CHECK(first.unit == 5);
    CHECK(first.function == 0x06);
    CHECK(first.address == 0x0010);
    CHECK(first.quantity == 1);
    CHECK(first.role.view() == "operator");
    CHECK(first.peer_port == 50000);
    const auto& second = log.newest();
    CHECK(second.unit == 9);
    CHECK(second.function == 0x10);
    CHECK(second.address == 0x0100);
    CHECK(second.quantity == 3);

    // The same requests on a listener that does not audit writes: nothing recorded.
    c.audit_writes = false;
    CHECK(chain.on_request({c, {}, 5, write_one, {}}).allowed);
    CHECK(log.count(event_kind::write_request) == 2);
}

TEST_CASE("a refused write is a request_refused event, not a write_request") {
    policy_chain<deny_all_requests, event_log<16>> chain;
    connection_info c = from("192.168.1.7");
    c.peer_port = 50000;
    c.audit_writes = true;
    const std::array<std::uint8_t, 5> write_one{0x06, 0x00, 0x10, 0x12, 0x34};
    CHECK_FALSE(chain.on_request({c, {}, 5, write_one, {}}).allowed);
    CHECK(chain.get<event_log<16>>().count(event_kind::write_request) == 0);
    CHECK(chain.get<event_log<16>>().count(event_kind::request_refused) == 1);
}
