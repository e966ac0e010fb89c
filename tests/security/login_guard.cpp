// tests include/gw/security/login_guard.hpp: lockout per account and per source, the sliding
// window, success and unlock, and the bounded tables that fail closed.
#include <gw/security/login_guard.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gw::security;
using namespace std::chrono_literals;

namespace {

const clock::time_point t0 = clock::time_point{} + 1000h;

// Fails `n` logins of `account` from `source`, one second apart from `start`; whether the last
// one locked.
bool fail(login_guard& g, std::string_view account, std::string_view source, int n,
          clock::time_point start) {
    bool locked = false;
    for (int i = 0; i < n; ++i)
        locked = g.record_failure(account, source, start + i * 1s);
    return locked;
}

}  // namespace

TEST_CASE("five failures lock the account for five minutes, then it may try again") {
    login_guard g{lockout_settings{}};
    CHECK(g.check("alice", "10.0.0.1", t0).allowed);
    CHECK_FALSE(fail(g, "alice", "10.0.0.1", 4, t0));
    CHECK(g.check("alice", "10.0.0.1", t0 + 4s).allowed);
    CHECK(g.record_failure("alice", "10.0.0.1", t0 + 4s));  // the fifth locks
    auto v = g.check("alice", "10.0.0.9", t0 + 5s);         // any source: the account is locked
    CHECK_FALSE(v.allowed);
    CHECK(v.retry_after == 299s);
    v = g.check("alice", "10.0.0.9", t0 + 4s + 299s + 500ms);
    CHECK_FALSE(v.allowed);
    CHECK(v.retry_after == 1s);  // rounded up, never 0 while locked
    CHECK(g.check("alice", "10.0.0.9", t0 + 4s + 300s).allowed);
    // The lockout cleared the count: one more failure does not lock again.
    CHECK_FALSE(g.record_failure("alice", "10.0.0.9", t0 + 305s));
    CHECK(g.check("alice", "10.0.0.9", t0 + 305s).allowed);
}

TEST_CASE("failures older than the window do not count") {
    login_guard g{lockout_settings{}};
    CHECK_FALSE(fail(g, "bob", "s", 4, t0));
    // The first failure (t0) is 300 s old at t0 + 300 s: out of the window.
    CHECK_FALSE(g.record_failure("bob", "s2", t0 + 300s));
    CHECK(g.check("bob", "s2", t0 + 300s).allowed);
    // t0+1, +2, +3, +300 and this one are inside 300 s: five.
    CHECK(g.record_failure("bob", "s3", t0 + 300s + 500ms));
    CHECK_FALSE(g.check("bob", "s4", t0 + 301s).allowed);
}

TEST_CASE("a source spraying many accounts is locked, other sources are not") {
    login_guard g{lockout_settings{}};
    for (int i = 0; i < 4; ++i) {
        CHECK_FALSE(g.record_failure("user" + std::to_string(i), "198.51.100.7", t0));
    }
    CHECK(g.record_failure("user4", "198.51.100.7", t0));
    const auto v = g.check("fresh", "198.51.100.7", t0 + 1s);
    CHECK_FALSE(v.allowed);
    CHECK(v.retry_after == 299s);
    CHECK(g.check("fresh", "198.51.100.8", t0 + 1s).allowed);
    CHECK(g.check("user0", "198.51.100.8", t0 + 1s).allowed);  // one failure each: not locked
    const auto l = g.locked(t0 + 1s);
    REQUIRE(l.size() == 1);
    CHECK(l[0].name == "198.51.100.7");
    CHECK(l[0].is_source);
    CHECK(l[0].failures == 5);
    CHECK(l[0].remaining == 299s);
}

TEST_CASE("a success forgives the account's failures, not the source's") {
    login_guard g{lockout_settings{}};
    CHECK_FALSE(fail(g, "carol", "src", 4, t0));
    g.record_success("carol", "src");
    CHECK_FALSE(g.record_failure("carol", "other", t0 + 10s));  // the account starts again
    // The source keeps its four: dave's first failure from it is the fifth and locks it.
    CHECK(g.record_failure("dave", "src", t0 + 11s));
    CHECK_FALSE(g.check("carol", "src", t0 + 12s).allowed);
    CHECK(g.check("carol", "other", t0 + 12s).allowed);
}

TEST_CASE("a success does not lift a lockout; failures during it do not extend it") {
    login_guard g{lockout_settings{}};
    CHECK(fail(g, "erin", "a", 5, t0));
    g.record_success("erin", "a");
    CHECK_FALSE(g.check("erin", "b", t0 + 10s).allowed);
    CHECK_FALSE(g.record_failure("erin", "b", t0 + 100s));
    const auto l = g.locked(t0 + 100s);
    REQUIRE(l.size() == 2);  // the account, then source "a"
    CHECK(l[0].name == "erin");
    CHECK(l[0].failures == 6);
    CHECK(l[0].remaining == 204s);
    CHECK(g.check("erin", "b", t0 + 4s + 300s).allowed);
}

TEST_CASE("an administrator unlocks an account or a source") {
    login_guard g{lockout_settings{}};
    CHECK(fail(g, "frank", "src", 5, t0));
    CHECK(g.locked(t0 + 5s).size() == 2);  // the account and the source
    CHECK(g.unlock("frank"));
    CHECK_FALSE(g.unlock("frank"));
    CHECK_FALSE(g.unlock("nobody"));
    CHECK_FALSE(g.check("frank", "src", t0 + 5s).allowed);  // the source still is
    CHECK(g.check("frank", "elsewhere", t0 + 5s).allowed);
    CHECK(g.unlock_source("src"));
    CHECK(g.check("frank", "src", t0 + 5s).allowed);
    CHECK(g.locked(t0 + 5s).empty());
}

TEST_CASE("settings: disabled never refuses, max_failures and lockout are honoured") {
    lockout_settings off;
    off.enabled = false;
    login_guard g{off};
    CHECK_FALSE(fail(g, "gina", "s", 50, t0));
    CHECK(g.check("gina", "s", t0 + 50s).allowed);
    CHECK(g.accounts_tracked() == 0);

    lockout_settings strict;
    strict.max_failures = 2;
    strict.lockout = 60s;
    login_guard h{strict};
    CHECK(h.settings() == strict);
    CHECK_FALSE(h.record_failure("gina", "s", t0));
    CHECK(h.record_failure("gina", "s", t0 + 1s));
    CHECK(h.check("gina", "s", t0 + 1s).retry_after == 60s);
    CHECK(h.check("gina", "s", t0 + 61s).allowed);
}

TEST_CASE("a full table evicts aged-out entries, then the oldest unlocked one") {
    login_guard g{lockout_settings{}, 3};
    CHECK_FALSE(g.record_failure("a", "s1", t0));
    CHECK_FALSE(g.record_failure("b", "s2", t0 + 1s));
    CHECK_FALSE(g.record_failure("c", "s3", t0 + 2s));
    CHECK(g.accounts_tracked() == 3);
    // "d" is new at a full table of live failures: the oldest (a) goes.
    CHECK(g.check("d", "s1", t0 + 3s).allowed);
    CHECK_FALSE(g.record_failure("d", "s1", t0 + 3s));
    CHECK(g.accounts_tracked() == 3);
    // b keeps its failure: four more lock it; a's was forgotten, so four do not lock a.
    CHECK(fail(g, "b", "s2", 4, t0 + 4s));
    // The table holds b (locked), c and d; a takes c's place (its failure is older than d's).
    CHECK_FALSE(fail(g, "a", "s1", 4, t0 + 10s));
    CHECK_FALSE(g.check("b", "s9", t0 + 20s).allowed);
    // Long after, everything aged out: a new name gets in without evicting anything alive.
    CHECK(g.check("zed", "s1", t0 + 3600s).allowed);
    CHECK_FALSE(g.record_failure("zed", "s1", t0 + 3600s));
    CHECK(g.accounts_tracked() == 1);
}

TEST_CASE("a table full of live lockouts refuses new names: it fails closed") {
    login_guard g{lockout_settings{}, 2};
    CHECK(fail(g, "x", "sx", 5, t0));
    CHECK(fail(g, "y", "sy", 5, t0 + 10s));
    const auto v = g.check("someone-new", "sz", t0 + 20s);
    CHECK_FALSE(v.allowed);
    CHECK(v.retry_after == 300s + 4s - 20s);  // until x's lockout (locked at t0 + 4 s) ends
    // Failures of the refused name are not recorded anywhere, and it stays refused.
    CHECK_FALSE(g.record_failure("someone-new", "sz", t0 + 21s));
    CHECK(g.accounts_tracked() == 2);
    CHECK_FALSE(g.check("someone-new", "sz", t0 + 22s).allowed);
    // Known names still get their own answer.
    CHECK_FALSE(g.check("x", "sx", t0 + 22s).allowed);
    // Once x's lockout ends, there is room again.
    CHECK(g.check("someone-new", "sz", t0 + 304s).allowed);
    CHECK_FALSE(g.record_failure("someone-new", "sz", t0 + 304s));
}

TEST_CASE("the source table is bounded the same way") {
    login_guard g{lockout_settings{}, 1};
    CHECK(fail(g, "p", "203.0.113.1", 5, t0));
    // Account table is full too (p is locked); a new account from a new source is refused.
    CHECK_FALSE(g.check("q", "203.0.113.2", t0 + 5s).allowed);
    CHECK(g.unlock("p"));
    // The account table has room now, the source table does not.
    CHECK_FALSE(g.check("q", "203.0.113.2", t0 + 5s).allowed);
    CHECK(g.unlock_source("203.0.113.1"));
    CHECK(g.check("q", "203.0.113.2", t0 + 5s).allowed);
}

TEST_CASE("huge names are counted under a bounded key") {
    login_guard g{lockout_settings{}};
    const std::string base(max_guarded_name, 'n');
    for (int i = 0; i < 5; ++i) {
        (void)g.record_failure(base + std::string(10'000, static_cast<char>('a' + i)), "s", t0);
    }
    CHECK(g.accounts_tracked() == 1);
    CHECK_FALSE(g.check(base + "different tail", "other", t0 + 1s).allowed);
    CHECK(g.locked(t0 + 1s)[0].name.size() == max_guarded_name);
}
