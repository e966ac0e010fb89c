// Who may connect, as a master sees it: allowlists (and their capacity), reload all or nothing,
// and the connection limits' fairness. Masters connect from distinct loopback addresses
// (127.0.0.2, .3, ...), so that the gateway sees distinct hosts. Counters are checked through
// the status JSON.

#include "gateway/rig.hpp"

using namespace gw_test;
using gw::policy::event_kind;
using gw::policy::reason;

namespace {

/// `n` allowlist entries: `listed` and n - 1 networks no loopback master is in.
std::vector<gw::policy::ip_network> allowlist_of(std::size_t n, std::string_view listed) {
    std::vector<gw::policy::ip_network> out{network(listed)};
    for (std::size_t i = 1; i < n; ++i)
        out.push_back(network("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
    return out;
}

}  // namespace

TEST_CASE("allowlist: a listed peer is served, any other is closed at once, unanswered") {
    rig r;
    r.plan().listeners[0].allowlist = {network("127.0.0.2/32")};
    const auto port = r.start();

    tcp_master attacker{r.io(), from("127.0.0.3")};
    r.expect_refused(attacker, port);
    CHECK(r.count_events(event_kind::connection_refused, reason::not_in_allowlist,
                         address("127.0.0.3")) == 1);

    tcp_master listed{r.io(), from("127.0.0.2")};
    r.connect(listed, port);
    CHECK(r.ask(listed, 1, 1, read_holding(0, 2)) == answer{1, 1, registers(3, {0, 1})});

    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["connections_refused"] == 1);
    CHECK(json["connections_accepted"] == 1);
    CHECK(json["connections_active"] == 1);
}

TEST_CASE("allowlist: 64 entries are enforced in full") {
    rig r;
    // The listed address is the LAST entry: a table that kept fewer would not admit it.
    auto list = allowlist_of(gw::gateway::capacity::allowlist_entries, "127.0.0.2");
    std::rotate(list.begin(), list.begin() + 1, list.end());
    r.plan().listeners[0].allowlist = list;
    const auto port = r.start();

    tcp_master listed{r.io(), from("127.0.0.2")};
    r.connect(listed, port);
    CHECK(r.ask(listed, 1, 1, read_holding(3, 1)) == answer{1, 1, registers(3, {3})});
    tcp_master attacker{r.io(), from("127.0.0.3")};
    r.expect_refused(attacker, port);
}

TEST_CASE("allowlist: 65 entries are a start error naming the listener, and nothing listens") {
    // The original hole: an allowlist that did not fit the table was ignored, admitting everyone.
    rig r;
    r.plan().listeners[0].allowlist =
        allowlist_of(gw::gateway::capacity::allowlist_entries + 1, "127.0.0.2");
    const auto error = r.gateway().start(r.plan());
    CHECK(error.find("listener 'modbus'") != std::string::npos);
    CHECK(error.find("65") != std::string::npos);
    // No listener was opened: an attacker has nothing to connect to.
    CHECK(r.gateway().bound_ports().empty());
    CHECK_FALSE(r.logged("listener modbus on"));
}

TEST_CASE("accessible IP list: a host outside it is refused on every listener, then by reload") {
    rig r;
    auto& list = r.plan().accessible_ips;
    list.list_active = true;
    list.entries = {{network("127.0.0.2"), true}, {network("127.0.0.3"), false}};
    const auto port = r.start();

    // Listed: served. Listed but inactive, and not listed: refused at accept, unanswered.
    tcp_master listed{r.io(), from("127.0.0.2")};
    r.connect(listed, port);
    CHECK(r.ask(listed, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});
    tcp_master inactive{r.io(), from("127.0.0.3")};
    r.expect_refused(inactive, port);
    tcp_master attacker{r.io(), from("127.0.0.4")};
    r.expect_refused(attacker, port);
    CHECK(r.count_events(event_kind::connection_refused, reason::not_accessible,
                         address("127.0.0.3")) == 1);
    CHECK(r.count_events(event_kind::connection_refused, reason::not_accessible,
                         address("127.0.0.4")) == 1);
    // The services are still open to any host (no additional restrictions), and closed with them.
    const auto& policy = r.gateway().policy<gw::gateway::gateway_accessible_ips>();
    CHECK(policy.admits(address("127.0.0.4"), gw::policy::access::service));

    SUBCASE("a reload that drops the host closes its connection") {
        auto next = r.plan();
        next.accessible_ips.entries = {{network("127.0.0.3"), true}};
        const auto error = r.gateway().reload(next);
        REQUIRE_MESSAGE(error.empty(), error);
        r.run_until([&] { return listed.closed(); }, "the excluded connection to close");
        CHECK(r.count_events(event_kind::connection_closed, reason::not_accessible,
                             address("127.0.0.2")) == 1);
        CHECK(r.logged("accessible IP list (active, 1 entries)"));
        tcp_master now_active{r.io(), from("127.0.0.3")};
        r.connect(now_active, port);
        CHECK(r.ask(now_active, 1, 1, read_holding(1, 1)) == answer{1, 1, registers(3, {1})});
    }
    SUBCASE("additional restrictions close the services to the same hosts") {
        auto next = r.plan();
        next.accessible_ips.additional_restrictions = true;
        REQUIRE(r.gateway().reload(next).empty());
        CHECK_FALSE(policy.admits(address("127.0.0.4"), gw::policy::access::service));
        CHECK(policy.admits(address("127.0.0.2"), gw::policy::access::service));
    }
    SUBCASE("a list that would refuse everyone is a reload error, and the old list stays") {
        auto next = r.plan();
        next.accessible_ips.entries = {{network("127.0.0.2"), false}};
        const auto error = r.gateway().reload(next);
        CHECK(error.find("accessible_ip_list") != std::string::npos);
        CHECK_FALSE(listed.closed());
        CHECK(r.ask(listed, 2, 1, read_holding(0, 1)) == answer{2, 1, registers(3, {0})});
    }
}

TEST_CASE("accessible IP list: additional restrictions without the list are a start error") {
    rig r;
    r.plan().accessible_ips.additional_restrictions = true;
    const auto error = r.gateway().start(r.plan());
    CHECK(error.find("accessible_ip_list: additional restrictions need the list to be active") !=
          std::string::npos);
    CHECK(r.gateway().bound_ports().empty());
}

TEST_CASE("reload: refused as a whole, applied as a whole") {
    rig r;
    r.plan().listeners[0].allowlist = {network("127.0.0.2"), network("127.0.0.4")};
    const auto port = r.start();
    tcp_master dropped{r.io(), from("127.0.0.2")};  // the good reload excludes it
    tcp_master kept{r.io(), from("127.0.0.4")};     // listed before and after
    r.connect(dropped, port);
    r.connect(kept, port);
    CHECK(r.ask(dropped, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});
    CHECK(r.ask(kept, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});

    // What every reload below asks for: .3 instead of .2, and unit 12 on device unit 3.
    auto good = r.plan();
    good.listeners[0].allowlist = {network("127.0.0.3"), network("127.0.0.4")};
    good.routes.push_back({12, 12, 0, 3});

    const auto nothing_changed = [&](const std::string& error, std::string_view expected) {
        INFO("reload error: " << error);
        CHECK(error.find(expected) != std::string::npos);
        // The old routes answer, the new route does not exist...
        CHECK(r.ask(dropped, 2, 1, read_holding(7, 1)) == answer{2, 1, registers(3, {7})});
        CHECK(r.ask(kept, 2, 12, read_input(0, 1)) == answer{2, 12, {0x84, 0x0A}});
        // ...and the old allowlist still applies, to new and established connections alike.
        CHECK_FALSE(dropped.closed());
        tcp_master newcomer{r.io(), from("127.0.0.3")};
        r.expect_refused(newcomer, port);
        CHECK(r.gateway().plan().listeners[0].allowlist.size() == 2);
        CHECK(r.gateway().plan().routes.size() == 2);
        CHECK(r.count_events(event_kind::config_rejected) == 1);
    };

    SUBCASE("a changed serial device needs a restart") {
        auto next = good;
        auto& serial = std::get<gw::gateway::serial_link_plan>(next.channels[0].link);
        serial.settings.device = "/dev/gw-test-no-such-line";
        nothing_changed(r.gateway().reload(next), "restart");
    }
    SUBCASE("65 allowlist entries do not fit") {
        auto next = good;
        auto list = allowlist_of(gw::gateway::capacity::allowlist_entries, "127.0.0.3");
        list.push_back(network("127.0.0.4"));
        next.listeners[0].allowlist = list;
        nothing_changed(r.gateway().reload(next), "65 allowlist entries");
    }
    SUBCASE("an overlapping route, after a good one") {
        auto next = good;
        next.routes.push_back({3, 5, 0, 0});  // 3 is in the routes for 1-3
        nothing_changed(r.gateway().reload(next), "overlaps");
    }
    SUBCASE("a good reload applies the routes and the allowlist at once") {
        const auto error = r.gateway().reload(good);
        REQUIRE_MESSAGE(error.empty(), error);
        // The established connection the new list excludes is closed, and audited so.
        r.run_until([&] { return dropped.closed(); }, "the excluded connection to close");
        CHECK(r.count_events(event_kind::connection_closed, reason::not_in_allowlist,
                             address("127.0.0.2")) == 1);
        CHECK(r.logged("1 connection(s) the new allowlists or accessible IP list exclude closed"));
        // The one still listed stays, and has the new route.
        CHECK(r.ask(kept, 3, 12, read_input(0, 1)) == answer{3, 12, registers(4, {3000})});
        CHECK_FALSE(kept.closed());
        // The newly listed host is admitted.
        tcp_master newcomer{r.io(), from("127.0.0.3")};
        r.connect(newcomer, port);
        CHECK(r.ask(newcomer, 1, 12, read_input(1, 1)) == answer{1, 12, registers(4, {3001})});
        // And the newly unlisted one can no longer connect.
        tcp_master again{r.io(), from("127.0.0.2")};
        r.expect_refused(again, port);
        CHECK(r.count_events(event_kind::config_rejected) == 0);
    }
}

TEST_CASE("connection limits: one host may fill a listener, a newcomer evicts its longest-idle") {
    rig r;
    r.plan().listeners[0].limits.max_connections = 4;
    const auto port = r.start();

    // Host .2 takes every slot; each asks in turn, so the first is the longest idle.
    std::vector<std::unique_ptr<tcp_master>> heavy;
    for (std::uint16_t i = 0; i < 4; ++i) {
        heavy.push_back(std::make_unique<tcp_master>(r.io(), from("127.0.0.2")));
        r.connect(*heavy.back(), port);
        CHECK(r.ask(*heavy.back(), i, 1, read_holding(i, 1)) == answer{i, 1, registers(3, {i})});
    }

    // The listener is full; host .3 holds nothing: it is served, .2's longest-idle gives way.
    tcp_master second{r.io(), from("127.0.0.3")};
    r.connect(second, port);
    CHECK(r.ask(second, 9, 2, read_input(0, 1)) == answer{9, 2, registers(4, {2000})});
    r.run_until([&] { return heavy[0]->closed(); }, "the longest-idle connection to close");
    CHECK(r.count_events(event_kind::connection_closed, reason::evicted, address("127.0.0.2")) ==
          1);
    CHECK(r.counters().evictions == 1);
    for (std::uint16_t i = 1; i < 4; ++i) {
        INFO("heavy connection " << i);
        CHECK(r.ask(*heavy[i], 10, 1, read_holding(0, 1)) == answer{10, 1, registers(3, {0})});
    }

    // Two more hosts each take one of .2's slots (the longest idle in turn, i.e. heavy[1], [2]:
    // they asked before heavy[3] did above)...
    tcp_master third{r.io(), from("127.0.0.4")};
    r.connect(third, port);
    CHECK(r.ask(third, 1, 3, read_input(0, 1)) == answer{1, 3, registers(4, {3000})});
    tcp_master fourth{r.io(), from("127.0.0.5")};
    r.connect(fourth, port);
    CHECK(r.ask(fourth, 1, 3, read_input(0, 1)) == answer{1, 3, registers(4, {3000})});
    r.run_until([&] { return heavy[1]->closed() && heavy[2]->closed(); }, "two more evictions");
    CHECK_FALSE(heavy[3]->closed());

    // ...and now that every host holds one, a fifth host is refused: nobody has one to spare.
    tcp_master fifth{r.io(), from("127.0.0.6")};
    r.expect_refused(fifth, port);
    CHECK(r.count_events(event_kind::connection_refused, reason::too_many_connections,
                         address("127.0.0.6")) == 1);
    CHECK(r.ask(*heavy[3], 11, 1, read_holding(0, 1)) == answer{11, 1, registers(3, {0})});

    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["evictions"] == 3);
    CHECK(json["connections_refused"] == 1);
    CHECK(json["connections_active"] == 4);
    CHECK(json["connections_accepted"] == 7);
}

TEST_CASE("connection limits: an explicit per-source cap refuses, other hosts are served") {
    rig r;
    r.plan().listeners[0].limits.max_connections = 4;
    r.plan().listeners[0].limits.max_connections_per_source = 2;
    const auto port = r.start();

    tcp_master a1{r.io(), from("127.0.0.2")};
    tcp_master a2{r.io(), from("127.0.0.2")};
    r.connect(a1, port);
    r.connect(a2, port);
    CHECK(r.ask(a1, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});
    CHECK(r.ask(a2, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});

    tcp_master a3{r.io(), from("127.0.0.2")};
    r.expect_refused(a3, port);
    CHECK(r.count_events(event_kind::connection_refused, reason::too_many_from_source,
                         address("127.0.0.2")) == 1);

    tcp_master b{r.io(), from("127.0.0.3")};
    r.connect(b, port);
    CHECK(r.ask(b, 1, 1, read_holding(1, 1)) == answer{1, 1, registers(3, {1})});
    CHECK_FALSE(a1.closed());
    CHECK_FALSE(a2.closed());

    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["connections_refused"] == 1);
    CHECK(json["evictions"] == 0);
}

namespace {

/// `n` read requests in one write: the gateway takes them in one read, as a flood would send them.
bytes pipelined_reads(std::uint16_t n) {
    bytes out;
    for (std::uint16_t tid = 1; tid <= n; ++tid) {
        const auto one = adu(tid, 1, read_holding(0, 1));
        out.insert(out.end(), one.begin(), one.end());
    }
    return out;
}

std::size_t busy_answers(const tcp_master& m) {
    return static_cast<std::size_t>(
        std::count_if(m.answers().begin(), m.answers().end(), [](const answer& a) {
            return a.pdu == bytes{0x83, 0x06};
        }));
}

}  // namespace

TEST_CASE(
    "rate limit: a flooding source gets 0x06 beyond its burst, audited once; others are served") {
    rig r;
    auto& limits = r.plan().listeners[0].rate_limit;
    limits.requests_per_connection = {1, 3};  // a token a second: none comes back during the test
    limits.block_after = 0;
    const auto port = r.start();

    tcp_master flood{r.io(), from("127.0.0.2")};
    r.connect(flood, port);
    flood.send(pipelined_reads(10));
    r.run_until([&] { return flood.answers().size() == 10 || flood.closed(); }, "ten answers");
    REQUIRE(flood.answers().size() == 10);
    CHECK(busy_answers(flood) == 7);
    // Seven refusals, one audit event (a flood must not become a log flood).
    CHECK(r.count_events(event_kind::request_refused, reason::rate_limited, address("127.0.0.2")) ==
          1);

    tcp_master honest{r.io(), from("127.0.0.3")};
    r.connect(honest, port);
    CHECK(r.ask(honest, 1, 1, read_holding(0, 1)) == answer{1, 1, registers(3, {0})});

    const auto json = parse_listener_status(r.gateway().status(), "modbus");
    CHECK(json["rate_limit.requests_refused"] == 7);
}

TEST_CASE("rate limit: a source that keeps exceeding is blocked: its new connection is refused") {
    rig r;
    auto& limits = r.plan().listeners[0].rate_limit;
    limits.requests_per_connection = {1, 1};
    limits.block_after = 3;
    r.plan().listeners[0].rate_limit_exempt = {network("127.0.0.4")};
    const auto port = r.start();

    tcp_master flood{r.io(), from("127.0.0.2")};
    r.connect(flood, port);
    flood.send(pipelined_reads(5));
    r.run_until([&] { return flood.answers().size() == 5 || flood.closed(); }, "five answers");
    CHECK(busy_answers(flood) == 4);
    CHECK(blocked_in_status(r.gateway().status()) == std::vector<std::string>{"modbus 127.0.0.2"});

    tcp_master again{r.io(), from("127.0.0.2")};
    r.expect_refused(again, port);
    // Counted, not audited again (the source's first refusal in this audit window was): the
    // fifth request, refused once the third refusal had blocked the source, and this connection.
    CHECK(parse_listener_status(r.gateway().status(), "modbus")["rate_limit.blocked_refusals"] ==
          2);

    // An exempt source is throttled the same way but never blocked.
    tcp_master exempt{r.io(), from("127.0.0.4")};
    r.connect(exempt, port);
    exempt.send(pipelined_reads(5));
    r.run_until([&] { return exempt.answers().size() == 5 || exempt.closed(); }, "five answers");
    CHECK(busy_answers(exempt) == 4);
    tcp_master exempt_again{r.io(), from("127.0.0.4")};
    r.connect(exempt_again, port);
    CHECK(blocked_in_status(r.gateway().status()) == std::vector<std::string>{"modbus 127.0.0.2"});
}

TEST_CASE("rate limit: a reload applies new limits to the running listener") {
    // Reload once copied every listener field but the rate limits: the old limits kept running.
    rig r;
    r.plan().listeners[0].rate_limit.block_after = 0;
    const auto port = r.start();
    auto next = r.plan();
    next.listeners[0].rate_limit.requests_per_connection = {1, 3};
    const auto error = r.gateway().reload(next);
    REQUIRE_MESSAGE(error.empty(), error);
    CHECK(r.logged("listener 'modbus' rate limits"));

    tcp_master flood{r.io(), from("127.0.0.2")};
    r.connect(flood, port);
    flood.send(pipelined_reads(10));
    r.run_until([&] { return flood.answers().size() == 10 || flood.closed(); }, "ten answers");
    REQUIRE(flood.answers().size() == 10);
    CHECK(busy_answers(flood) == 7);  // the reloaded burst of 3, not the default 200
}

TEST_CASE("rate limit: settings the engine refuses are a start error naming the listener") {
    rig r;
    r.plan().listeners[0].rate_limit.requests_per_source = {10, 0};  // a rate without a burst
    const auto error = r.gateway().start(r.plan());
    CHECK(error.find("listener 'modbus': rate_limit:") != std::string::npos);
    CHECK(r.gateway().bound_ports().empty());
}
