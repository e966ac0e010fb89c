// tests include/gw/security/session_registry.hpp: random ids and CSRF tokens, idle and absolute
// expiry, the per-account and total bounds, logout everywhere.
#include <gw/security/session_registry.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using namespace gw::security;
using namespace std::chrono_literals;

namespace {

const clock::time_point t0 = clock::time_point{} + 1000h;

const login_session& made(std::variant<const login_session*, std::string> r) {
    REQUIRE(std::holds_alternative<const login_session*>(r));
    const auto* s = std::get<const login_session*>(r);
    REQUIRE(s != nullptr);
    return *s;
}

std::string refusal(const std::variant<const login_session*, std::string>& r) {
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string{};
}

bool lower_hex(const std::string& s) {
    return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("a session has random hex id and CSRF token, and is found by its full id") {
    session_registry r{session_settings{}};
    const auto& s = made(r.create("alice", "admin", "192.0.2.1", t0));
    CHECK(lower_hex(s.id));
    CHECK(lower_hex(s.csrf_token));
    CHECK(s.id != s.csrf_token);
    CHECK(s.account == "alice");
    CHECK(s.role == "admin");
    CHECK(s.source == "192.0.2.1");
    CHECK(s.created == t0);
    CHECK(r.find(s.id, t0 + 1s) == &s);
    CHECK(r.find(s.id.substr(0, 31), t0 + 1s) == nullptr);
    CHECK(r.find(s.id + "0", t0 + 1s) == nullptr);
    CHECK(r.find("", t0 + 1s) == nullptr);
    std::string upper = s.id;
    for (auto& c : upper)
        c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : c;
    if (upper != s.id) CHECK(r.find(upper, t0 + 1s) == nullptr);
    CHECK(csrf_matches(s, s.csrf_token));
    CHECK_FALSE(csrf_matches(s, s.id));
    CHECK_FALSE(csrf_matches(s, ""));
    CHECK_FALSE(csrf_matches(s, s.csrf_token.substr(1)));
}

TEST_CASE("ids and tokens do not repeat") {
    session_settings st;
    st.per_account = 64;
    session_registry r{st};
    std::set<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        const auto& s = made(r.create("u", "viewer", "s", t0));
        seen.insert(s.id);
        seen.insert(s.csrf_token);
    }
    CHECK(seen.size() == 128);
}

TEST_CASE("idle sessions end; use keeps a session alive until its absolute age") {
    session_settings st;
    st.idle = 900s;
    st.absolute = 3600s;
    session_registry r{st};
    const std::string id = made(r.create("bob", "operator", "s", t0)).id;
    const std::string idle_id = made(r.create("bob", "operator", "s", t0)).id;
    // Every 10 minutes: never idle for 15.
    for (auto t = t0 + 600s; t < t0 + 3600s; t += 600s) {
        REQUIRE(r.find(id, t) != nullptr);
        CHECK(r.find(id, t)->last_seen == t);
    }
    CHECK(r.find(idle_id, t0 + 3000s) == nullptr);  // idle since t0
    CHECK(r.size() == 1);                           // and removed
    CHECK(r.find(id, t0 + 3600s) == nullptr);       // absolute: however busy
    CHECK(r.size() == 0);
}

TEST_CASE("idle expiry is at exactly `idle` since last use") {
    session_registry r{session_settings{}};
    const std::string id = made(r.create("c", "viewer", "s", t0)).id;
    CHECK(r.find(id, t0 + 899s) != nullptr);
    CHECK(r.find(id, t0 + 899s + 899s) != nullptr);
    CHECK(r.find(id, t0 + 899s + 899s + 900s) == nullptr);
}

TEST_CASE("per-account and total bounds refuse a new session, expired ones make room") {
    session_settings st;
    st.per_account = 2;
    st.total = 3;
    session_registry r{st};
    made(r.create("dora", "viewer", "a", t0));
    made(r.create("dora", "viewer", "b", t0 + 100s));
    CHECK(refusal(r.create("dora", "viewer", "c", t0 + 200s)) ==
          "too many sessions for this account");
    made(r.create("eve", "viewer", "a", t0 + 200s));
    CHECK(refusal(r.create("fred", "viewer", "a", t0 + 200s)) == "too many sessions");
    CHECK(r.size() == 3);
    // dora's first session is idle past 900 s at t0 + 950 s; her second, not yet.
    made(r.create("dora", "viewer", "c", t0 + 950s));
    CHECK(refusal(r.create("fred", "viewer", "a", t0 + 950s)) == "too many sessions");
}

TEST_CASE("remove, remove_account and list") {
    session_settings st;
    st.per_account = 8;
    session_registry r{st};
    const std::string a1 = made(r.create("gil", "admin", "s", t0)).id;
    const std::string a2 = made(r.create("gil", "admin", "s", t0 + 1s)).id;
    const std::string b1 = made(r.create("hal", "viewer", "s", t0 + 2s)).id;
    CHECK(r.remove(a1));
    CHECK_FALSE(r.remove(a1));
    CHECK(r.find(a1, t0 + 3s) == nullptr);
    made(r.create("gil", "admin", "s", t0 + 3s));
    CHECK(r.remove_account("gil") == 2);
    CHECK(r.find(a2, t0 + 4s) == nullptr);
    CHECK(r.remove_account("gil") == 0);
    made(r.create("ivy", "viewer", "s", t0 + 5s));
    const auto l = r.list(t0 + 6s);
    REQUIRE(l.size() == 2);
    CHECK(l[0].id == b1);  // oldest first
    CHECK(l[1].account == "ivy");
    CHECK(r.list(t0 + 5s + 900s).empty());  // all idle by then, and removed
    CHECK(r.size() == 0);
}

TEST_CASE("settings are kept; zero bounds refuse every login") {
    session_settings st;
    st.total = 0;
    session_registry r{st};
    CHECK(r.settings() == st);
    CHECK(refusal(r.create("j", "viewer", "s", t0)) == "too many sessions");
}

TEST_CASE("an expiry is reported once, with why, when it is noticed") {
    session_settings st;
    st.idle = 900s;
    st.absolute = 3600s;
    session_registry r{st};
    std::vector<std::pair<std::string, session_expiry>> ended;
    r.on_expired(
        [&](const login_session& s, session_expiry why) { ended.emplace_back(s.account, why); });
    const std::string idle_id = made(r.create("idle", "operator", "s", t0)).id;
    const std::string busy_id = made(r.create("busy", "operator", "s", t0)).id;
    const std::string gone_id = made(r.create("gone", "operator", "s", t0)).id;
    for (auto t = t0; t < t0 + 3500s; t += 600s)
        REQUIRE(r.find(busy_id, t) != nullptr);
    CHECK(ended.empty());                   // nothing is noticed without a use or a sweep
    CHECK(r.remove(gone_id));               // a logout is not an expiry
    CHECK(r.list(t0 + 1000s).size() == 1);  // the sweep: "idle" is past 900 s
    REQUIRE(ended.size() == 1);
    CHECK(ended[0] == std::pair<std::string, session_expiry>{"idle", session_expiry::idle});
    CHECK(r.find(busy_id, t0 + 3600s) == nullptr);  // busy, but an hour old
    REQUIRE(ended.size() == 2);
    CHECK(ended[1] == std::pair<std::string, session_expiry>{"busy", session_expiry::absolute});
    CHECK(r.find(idle_id, t0 + 3600s) == nullptr);
    CHECK(ended.size() == 2);  // each once
    CHECK(to_string(session_expiry::idle) == "idle timeout");
}
