#include <gw/policy/authorization_policy.hpp>
#include <gw/policy/policy_chain.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>

using namespace gw::policy;
using namespace std::chrono_literals;
using gw::exception_code;

namespace {
using policy_t = authorization_policy<4, 4, 4, 4>;

connection_info conn(std::string_view address, std::uint16_t listener = 0) {
    connection_info c;
    c.listener = listener;
    c.peer = *parse_ip_address(address);
    c.peer_port = 1000;
    return c;
}
connection_info with_certificate(std::string_view role, std::string_view address = "10.9.9.9") {
    connection_info c = conn(address);
    c.identity.source = identity_source::client_certificate;
    CHECK(c.identity.role.assign(role));
    return c;
}
template <std::size_t N>
decision ask(policy_t& p, const connection_info& c, const std::array<std::uint8_t, N>& pdu,
             std::uint8_t unit = 1) {
    REQUIRE_FALSE(gw::validate_request(pdu).has_value());  // policies see validated requests
    return p.on_request(request_info{c, gw::master_id{}, unit, pdu, gw::timestamp{}});
}

constexpr std::array<std::uint8_t, 5> read_hr(std::uint16_t address, std::uint16_t quantity) {
    return {0x03, static_cast<std::uint8_t>(address >> 8), static_cast<std::uint8_t>(address),
            static_cast<std::uint8_t>(quantity >> 8), static_cast<std::uint8_t>(quantity)};
}
constexpr std::array<std::uint8_t, 5> write_hr(std::uint16_t address) {
    return {0x06, static_cast<std::uint8_t>(address >> 8), static_cast<std::uint8_t>(address), 0,
            7};
}
/// FC 23: read `rq` registers at `ra`, write one at `wa`.
constexpr std::array<std::uint8_t, 12> read_write(std::uint16_t ra, std::uint16_t rq,
                                                  std::uint16_t wa) {
    return {0x17,
            static_cast<std::uint8_t>(ra >> 8),
            static_cast<std::uint8_t>(ra),
            static_cast<std::uint8_t>(rq >> 8),
            static_cast<std::uint8_t>(rq),
            static_cast<std::uint8_t>(wa >> 8),
            static_cast<std::uint8_t>(wa),
            0,
            1,
            2,
            0,
            1};
}

constexpr access_rule rule(function_set f, access_mode m, std::uint16_t first = 0,
                           std::uint16_t last = 65535, std::uint8_t first_unit = 0,
                           std::uint8_t last_unit = 255) {
    access_rule r;
    r.functions = f;
    r.access = m;
    r.first_address = first;
    r.last_address = last;
    r.first_unit = first_unit;
    r.last_unit = last_unit;
    return r;
}

// viewer: reads of holding registers 0..99 on units 1-3, device identification (MEI 14) and
// diagnostics sub-function 0 (return query data).
constexpr std::array viewer_rules{rule({3, 4}, access_mode::read, 0, 99, 1, 3),
                                  rule({43}, access_mode::read, 14, 14),
                                  rule({8}, access_mode::read, 0, 0)};
// operator: reads and writes of 0..199 on every unit (FC 23 included).
constexpr std::array operator_rules{rule({3, 6, 16, 23}, access_mode::read_write, 0, 199)};
constexpr std::array roles{role_rules{"viewer", viewer_rules},
                           role_rules{"operator", operator_rules}};

const std::array<source_role, 2> by_source{
    source_role{parse_ip_network("10.1.0.0/16").network, "viewer"},
    source_role{parse_ip_network("10.0.0.0/8").network, "operator"}};

authorization_settings enforced(std::span<const listener_authorization> listeners) {
    authorization_settings s;
    s.roles = roles;
    s.listeners = listeners;
    return s;
}
}  // namespace

TEST_CASE("a listener that does not enforce allows everything; an empty database denies all") {
    policy_t p;
    CHECK(ask(p, conn("10.1.2.3"), write_hr(5)).allowed);  // nothing set: today's behaviour

    const std::array<listener_authorization, 1> on{listener_authorization{true, false, {}}};
    authorization_settings s;
    s.listeners = on;
    REQUIRE(p.set(s));
    const decision d = ask(p, conn("10.1.2.3"), read_hr(0, 1));
    CHECK_FALSE(d.allowed);
    CHECK(d.why == reason::unauthorized);
    CHECK(d.answer == exception_code::illegal_function);
    CHECK(d.role.empty());  // the NULL role
    CHECK(p.counters(0).denied == 1);
}

TEST_CASE("the NULL role is denied by default and has its own configurable rules") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, {}}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    CHECK_FALSE(ask(p, conn("192.168.0.1"), read_hr(0, 1)).allowed);

    const std::array null_rules{rule({4}, access_mode::read, 0, 9)};
    authorization_settings s = enforced(on);
    s.null_role = null_rules;
    REQUIRE(p.set(s));
    CHECK(ask(p, conn("192.168.0.1"), std::array<std::uint8_t, 5>{4, 0, 0, 0, 10}).allowed);
    CHECK_FALSE(ask(p, conn("192.168.0.1"), std::array<std::uint8_t, 5>{4, 0, 0, 0, 11}).allowed);
    CHECK_FALSE(ask(p, conn("192.168.0.1"), read_hr(0, 1)).allowed);  // FC 3 not granted
    // A certificate without a role is the NULL role too, not a source-network match.
    CHECK(ask(p, with_certificate(""), std::array<std::uint8_t, 5>{4, 0, 0, 0, 1}).allowed);
}

TEST_CASE("the role comes from the client certificate, before any source-network rule") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    // 10.1.x is a viewer by network, but the certificate says operator.
    const connection_info c = with_certificate("operator", "10.1.0.5");
    CHECK(p.role_name_of(c) == "operator");
    CHECK(ask(p, c, write_hr(150)).allowed);
    // A role the database does not have gets nothing, and is audited under its name.
    // (The decision's role views the connection's identity: keep the connection alive.)
    const connection_info intruder = with_certificate("intruder");
    const decision d = ask(p, intruder, read_hr(0, 1));
    CHECK_FALSE(d.allowed);
    CHECK(d.role == "intruder");
}

TEST_CASE("the role by source network: first match wins, no match is the NULL role") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    // 10.1.0.0/16 comes first although 10.0.0.0/8 contains it as well.
    CHECK(p.role_name_of(conn("10.1.7.7")) == "viewer");
    CHECK(ask(p, conn("10.1.7.7"), read_hr(0, 10)).allowed);
    const decision d = ask(p, conn("10.1.7.7"), write_hr(5));
    CHECK_FALSE(d.allowed);
    CHECK(d.role == "viewer");
    CHECK(d.address == 5);
    CHECK(d.quantity == 1);
    CHECK(p.role_name_of(conn("10.2.0.1")) == "operator");
    CHECK(ask(p, conn("10.2.0.1"), write_hr(5)).allowed);
    CHECK(p.role_name_of(conn("172.16.0.1")).empty());
    CHECK_FALSE(ask(p, conn("172.16.0.1"), read_hr(0, 1)).allowed);
    // IPv4-mapped IPv6 peers (a dual-stack socket) match IPv4 rules.
    CHECK(p.role_name_of(conn("::ffff:10.1.0.1")) == "viewer");
}

TEST_CASE("address range edges, unit ranges and windows that reach the end of the space") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    const connection_info viewer = conn("10.1.0.1");
    CHECK(ask(p, viewer, read_hr(99, 1)).allowed);         // the last allowed address
    CHECK(ask(p, viewer, read_hr(0, 100)).allowed);        // the whole range
    CHECK_FALSE(ask(p, viewer, read_hr(100, 1)).allowed);  // one past
    const decision d = ask(p, viewer, read_hr(90, 11));    // ends one past
    CHECK_FALSE(d.allowed);
    CHECK(d.address == 90);
    CHECK(d.quantity == 11);
    CHECK(ask(p, viewer, read_hr(0, 1), 3).allowed);  // units 1-3
    CHECK_FALSE(ask(p, viewer, read_hr(0, 1), 4).allowed);
    CHECK_FALSE(ask(p, viewer, read_hr(0, 1), 0).allowed);

    // A rule ending at 65535 covers a window ending there; address + quantity is computed wide.
    const std::array top{rule({3}, access_mode::read, 65500, 65535)};
    const std::array top_roles{role_rules{"top", top}};
    const std::array<source_role, 1> all{source_role{parse_ip_network("0.0.0.0/0").network, "top"}};
    const std::array<listener_authorization, 1> l{listener_authorization{true, false, all}};
    authorization_settings s;
    s.roles = top_roles;
    s.listeners = l;
    REQUIRE(p.set(s));
    CHECK(ask(p, conn("1.2.3.4"), read_hr(65535, 1)).allowed);
    CHECK(ask(p, conn("1.2.3.4"), read_hr(65436, 100)).allowed == false);  // starts below
    CHECK(ask(p, conn("1.2.3.4"), read_hr(65500, 36)).allowed);
    // A window that would wrap past 65535 (never valid, but the policy must not wrap either).
    const std::array<std::uint8_t, 5> wrapping{3, 0xff, 0xff, 0, 2};
    CHECK_FALSE(
        p.on_request(request_info{conn("1.2.3.4"), gw::master_id{}, 1, wrapping, {}}).allowed);
}

TEST_CASE(
    "FC 23: the write part is checked on its own, and denied while the read part is allowed") {
    const std::array rw{rule({23}, access_mode::read, 0, 99),
                        rule({23}, access_mode::write, 50, 59)};
    const std::array r{role_rules{"mixer", rw}};
    const std::array<source_role, 1> all{
        source_role{parse_ip_network("0.0.0.0/0").network, "mixer"}};
    const std::array<listener_authorization, 1> l{listener_authorization{true, false, all}};
    authorization_settings s;
    s.roles = r;
    s.listeners = l;
    policy_t p;
    REQUIRE(p.set(s));
    CHECK(ask(p, conn("1.1.1.1"), read_write(0, 10, 55)).allowed);
    const decision d = ask(p, conn("1.1.1.1"), read_write(0, 10, 60));
    CHECK_FALSE(d.allowed);
    CHECK(d.address == 60);  // the write part is what was refused
    const decision d2 = ask(p, conn("1.1.1.1"), read_write(95, 10, 55));
    CHECK_FALSE(d2.allowed);
    CHECK(d2.address == 95);
}

TEST_CASE("FC 8 per sub-function and FC 43 per MEI type") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    const connection_info viewer = conn("10.1.0.1");
    CHECK(ask(p, viewer, std::array<std::uint8_t, 5>{8, 0, 0, 0xab, 0xcd}).allowed);  // echo
    // Sub-function 1 (restart communications) is a write and not granted; 10 (clear counters)
    // neither.
    const decision d = ask(p, viewer, std::array<std::uint8_t, 5>{8, 0, 1, 0, 0});
    CHECK_FALSE(d.allowed);
    CHECK(d.address == 1);
    CHECK_FALSE(ask(p, viewer, std::array<std::uint8_t, 5>{8, 0, 10, 0, 0}).allowed);
    CHECK(ask(p, viewer, std::array<std::uint8_t, 4>{43, 14, 1, 0}).allowed);
    CHECK_FALSE(ask(p, viewer, std::array<std::uint8_t, 3>{43, 13, 0}).allowed);

    CHECK(classify_request(std::array<std::uint8_t, 5>{8, 0, 4, 0, 0}).items[0].kind ==
          access_kind::write);
    CHECK(classify_request(std::array<std::uint8_t, 5>{8, 0, 11, 0, 0}).items[0].kind ==
          access_kind::read);
}

TEST_CASE("functions without an address, and user-defined codes that need read_write") {
    const std::array rules{rule({7, 11, 17}, access_mode::read), rule({65}, access_mode::read),
                           rule({66}, access_mode::read_write)};
    const std::array r{role_rules{"x", rules}};
    const std::array<source_role, 1> all{source_role{parse_ip_network("0.0.0.0/0").network, "x"}};
    const std::array<listener_authorization, 1> l{listener_authorization{true, false, all}};
    authorization_settings s;
    s.roles = r;
    s.listeners = l;
    policy_t p;
    REQUIRE(p.set(s));
    CHECK(ask(p, conn("1.1.1.1"), std::array<std::uint8_t, 1>{7}).allowed);
    CHECK(ask(p, conn("1.1.1.1"), std::array<std::uint8_t, 1>{17}).allowed);
    CHECK_FALSE(ask(p, conn("1.1.1.1"), std::array<std::uint8_t, 1>{12}).allowed);
    CHECK_FALSE(ask(p, conn("1.1.1.1"), std::array<std::uint8_t, 2>{65, 1}).allowed);
    CHECK(ask(p, conn("1.1.1.1"), std::array<std::uint8_t, 2>{66, 1}).allowed);
}

TEST_CASE("a read-only listener denies every write, whatever the role") {
    const std::array<listener_authorization, 2> l{listener_authorization{true, false, by_source},
                                                  listener_authorization{true, true, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(l)));
    CHECK(ask(p, conn("10.2.0.1", 0), write_hr(5)).allowed);
    const decision d = ask(p, conn("10.2.0.1", 1), write_hr(5));
    CHECK_FALSE(d.allowed);
    CHECK(d.role == "operator");
    CHECK(ask(p, conn("10.2.0.1", 1), read_hr(5, 1)).allowed);
    CHECK_FALSE(ask(p, conn("10.2.0.1", 1), read_write(0, 1, 2)).allowed);  // its write part

    // Read-only without rules (no authorization configured): reads pass, writes do not.
    const std::array<listener_authorization, 1> ro{listener_authorization{false, true, {}}};
    authorization_settings s;
    s.listeners = ro;
    REQUIRE(p.set(s));
    CHECK(ask(p, conn("9.9.9.9"), read_hr(5, 1)).allowed);
    CHECK_FALSE(ask(p, conn("9.9.9.9"), write_hr(5)).allowed);
}

TEST_CASE("a database beyond the capacities is refused whole, never truncated") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));

    const std::array five_rules{rule({3}, access_mode::read), rule({3}, access_mode::read),
                                rule({3}, access_mode::read), rule({3}, access_mode::read),
                                rule({3}, access_mode::read)};
    const std::array too_many_rules{role_rules{"big", five_rules}};
    authorization_settings s;
    s.roles = too_many_rules;
    CHECK(policy_t::refusal(s) != nullptr);
    CHECK_FALSE(p.set(s));

    const std::array one{rule({3}, access_mode::read)};
    const std::array five_roles{role_rules{"a", one}, role_rules{"b", one}, role_rules{"c", one},
                                role_rules{"d", one}, role_rules{"e", one}};
    s.roles = five_roles;
    CHECK_FALSE(p.set(s));

    const std::array twice{role_rules{"a", one}, role_rules{"a", one}};
    s.roles = twice;
    CHECK_FALSE(p.set(s));

    const std::array<source_role, 1> unknown{
        source_role{parse_ip_network("0.0.0.0/0").network, "ghost"}};
    const std::array<listener_authorization, 1> bad{listener_authorization{true, false, unknown}};
    s.roles = roles;
    s.listeners = bad;
    CHECK(std::string_view{policy_t::refusal(s)} ==
          "roles_by_source names a role that is not defined");
    CHECK_FALSE(p.set(s));

    const std::array<source_role, 5> many_sources{};
    const std::array<listener_authorization, 1> bad2{
        listener_authorization{true, false, many_sources}};
    s.listeners = bad2;
    CHECK_FALSE(p.set(s));

    const std::array empty_fc{rule({}, access_mode::read)};
    const std::array r_empty{role_rules{"e", empty_fc}};
    s.roles = r_empty;
    s.listeners = {};
    CHECK_FALSE(p.set(s));

    // The long role name bound is the certificate reader's: 64 bytes pass, 65 do not.
    const std::string_view name65 =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    REQUIRE(name65.size() == 65);
    const std::array long_name{role_rules{name65, one}};
    s.roles = long_name;
    CHECK_FALSE(p.set(s));
    const std::array ok_name{role_rules{name65.substr(1), one}};
    s.roles = ok_name;
    CHECK(p.set(s));

    // The refused settings left nothing behind: after the good set above, "viewer" is gone,
    // before it the earlier state stayed (checked by the refusals not changing decisions).
    CHECK(p.roles() == 1);
}

TEST_CASE("refused sets keep the previous database") {
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    policy_t p;
    REQUIRE(p.set(enforced(on)));
    const std::array<source_role, 1> unknown{
        source_role{parse_ip_network("0.0.0.0/0").network, "ghost"}};
    const std::array<listener_authorization, 1> bad{listener_authorization{true, false, unknown}};
    authorization_settings s = enforced(bad);
    CHECK_FALSE(p.set(s));
    CHECK(ask(p, conn("10.1.0.1"), read_hr(0, 1)).allowed);
    CHECK(p.role_name_of(conn("10.1.0.1")) == "viewer");
}

TEST_CASE("in a chain, a denial is audited with role, function, unit and address window") {
    struct recorder {
        audit_event last{};
        int count = 0;
        void on_event(const audit_event& e) {
            last = e;
            ++count;
        }
    };
    policy_chain<policy_t, recorder> chain;
    const std::array<listener_authorization, 1> on{listener_authorization{true, false, by_source}};
    REQUIRE(chain.get<policy_t>().set(enforced(on)));
    const connection_info c = conn("10.1.0.1");
    const auto pdu = write_hr(42);
    const decision d = chain.on_request(request_info{c, gw::master_id{}, 2, pdu, 5us});
    CHECK_FALSE(d.allowed);
    const audit_event& e = chain.get<recorder>().last;
    CHECK(e.kind == event_kind::request_refused);
    CHECK(e.reason == static_cast<std::uint8_t>(reason::unauthorized));
    CHECK(e.role.view() == "viewer");
    CHECK(e.function == 6);
    CHECK(e.unit == 2);
    CHECK(e.address == 42);
    CHECK(e.quantity == 1);
    CHECK(e.peer == c.peer);
}
