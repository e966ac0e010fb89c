// The audit trail's worker over a real store in a temporary directory: events filtered, stored
// in order and read back; a full queue's losses counted and recorded; a disk that refuses
// writes (RLIMIT_FSIZE: EFBIG, as root too) raises one alarm, keeps the trail running and
// recovers; a full store that stops recording raises audit_full once.
#include <gw/audit/audit_store_sink.hpp>
#include <gw/audit/audit_trail.hpp>
#include <gw/audit/event_codec.hpp>
#include <gw/audit/store.hpp>

#include <doctest/doctest.h>

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using namespace gw;

namespace {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        char name[] = "/tmp/gw-audit-trail-XXXXXX";
        REQUIRE(::mkdtemp(name) != nullptr);
        path = name;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

audit::store open_store(const std::filesystem::path& dir, std::size_t capacity = 1000,
                        audit::full_policy when_full = audit::full_policy::overwrite) {
    audit::store_options o;
    o.directory = dir / "audit";
    o.capacity = capacity;
    o.when_full = when_full;
    auto r = audit::store::open(o);
    REQUIRE_MESSAGE(r.ok(), r.error);
    return std::move(*r.audit_store);
}

policy::audit_event event(policy::event_category c, policy::event_severity s,
                          policy::event_kind k = policy::event_kind::connection_refused) {
    policy::audit_event e;
    e.category = c;
    e.severity = s;
    e.kind = k;
    return e;
}

std::vector<std::pair<std::uint64_t, audit::recorded_event>> read_back(const audit::store& s) {
    std::vector<std::pair<std::uint64_t, audit::recorded_event>> out;
    const auto r = s.for_each(0, [&](std::uint64_t seq, std::span<const std::byte> payload) {
        audit::recorded_event e;
        REQUIRE(audit::decode_event(payload, e) == audit::event_decode_status::ok);
        out.emplace_back(seq, e);
    });
    REQUIRE_MESSAGE(r.ok(), r.error);
    return out;
}

struct alarms {
    std::mutex m;
    std::vector<std::string> lines;
    audit::audit_trail::alarm_fn fn() {
        return [this](policy::event_severity, std::string_view line) {
            const std::lock_guard lock{m};
            lines.emplace_back(line);
        };
    }
};

}  // namespace

TEST_CASE("events are filtered, stored in order with their source, and read back") {
    temp_dir dir;
    auto store = open_store(dir.path);
    audit::audit_store_sink sink{store};
    {
        audit::audit_trail trail{sink, {}, {}, {}};
        using C = policy::event_category;
        using S = policy::event_severity;
        CHECK(trail.push(event(C::security, S::warning), "guarded"));
        CHECK(trail.push(event(C::network, S::info), "guarded"));  // filtered: network < notice
        CHECK(trail.push(event(C::system, S::notice, policy::event_kind::started), {}));
        CHECK(trail.push(event(C::security, S::info), "tls"));  // kept: every security event
        trail.flush();
        const auto st = trail.status();
        CHECK(st.recorded == 3);
        CHECK(st.filtered == 1);
        CHECK(st.storage_ok);
        CHECK(st.last_seq == 3);
    }
    const auto recs = read_back(store);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].first == 1);
    CHECK(recs[0].second.source.view() == "guarded");
    CHECK(recs[1].second.event.kind == policy::event_kind::started);
    CHECK(recs[2].second.source.view() == "tls");
    CHECK(recs[2].second.utc_us >= recs[0].second.utc_us);
}

TEST_CASE("a full queue drops the newest events, counts them and records how many") {
    temp_dir dir;
    auto store = open_store(dir.path);
    audit::audit_store_sink sink{store};
    // The first event's forwarding holds the worker until released: the queue then fills.
    std::mutex m;
    std::condition_variable cv;
    bool held = false, release = false;
    audit::trail_settings settings;
    settings.queue_capacity = 4;
    audit::audit_trail trail{sink, settings,
                             [&](std::uint64_t, const audit::recorded_event&) {
                                 std::unique_lock lock{m};
                                 if (held) return;
                                 held = true;
                                 cv.notify_all();
                                 cv.wait(lock, [&] { return release; });
                             },
                             {}};
    const auto e = event(policy::event_category::security, policy::event_severity::warning);
    CHECK(trail.push(e, "a"));
    {
        std::unique_lock lock{m};
        cv.wait(lock, [&] { return held; });
    }
    for (int i = 0; i < 4; ++i)
        CHECK(trail.push(e, "queued"));
    CHECK_FALSE(trail.push(e, "lost"));
    CHECK_FALSE(trail.push(e, "lost"));
    CHECK_FALSE(trail.push(e, "lost"));  // still full: the worker is held
    CHECK(trail.status().dropped == 3);
    {
        const std::lock_guard lock{m};
        release = true;
    }
    cv.notify_all();
    trail.flush();
    CHECK(trail.push(e, "after"));
    trail.flush();
    const auto recs = read_back(store);
    std::size_t dropped_events = 0;
    for (const auto& [seq, r] : recs) {
        if (r.event.kind == policy::event_kind::audit_events_dropped) {
            ++dropped_events;
            CHECK(r.event.repeats == 3);
        }
    }
    CHECK(dropped_events == 1);
    CHECK(recs.back().second.source.view() == "after");
}

TEST_CASE("a disk that refuses writes: one alarm, the trail runs on, and recovers") {
    temp_dir dir;
    auto store = open_store(dir.path);
    audit::audit_store_sink sink{store};
    alarms seen;
    std::vector<std::uint64_t> forwarded;
    std::mutex fm;
    audit::audit_trail trail{sink,
                             {},
                             [&](std::uint64_t seq, const audit::recorded_event&) {
                                 const std::lock_guard lock{fm};
                                 forwarded.push_back(seq);
                             },
                             seen.fn()};
    const auto e = event(policy::event_category::security, policy::event_severity::warning);
    CHECK(trail.push(e, "before"));
    trail.flush();

    // No file may grow past its size now: every append fails with EFBIG (root too).
    std::uintmax_t largest = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir.path / "audit"))
        if (f.is_regular_file()) largest = std::max(largest, f.file_size());
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit tight = old;
    tight.rlim_cur = static_cast<rlim_t>(largest);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &tight) == 0);
    for (int i = 0; i < 5; ++i)
        CHECK(trail.push(e, "lost"));
    trail.flush();
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &old) == 0);
    std::signal(SIGXFSZ, previous);

    auto st = trail.status();
    CHECK_FALSE(st.storage_ok);
    CHECK(st.not_stored == 5);
    CHECK(st.storage_errors >= 5);
    CHECK_FALSE(st.last_error.empty());
    {
        const std::lock_guard lock{seen.m};
        REQUIRE(seen.lines.size() == 1);  // once, not once per record
        CHECK(seen.lines[0].find("audit_storage_failed") != std::string::npos);
    }
    {
        const std::lock_guard lock{fm};
        // syslog still got the lost events (seq 0) and the alarm.
        CHECK(std::count(forwarded.begin(), forwarded.end(), 0u) == 6);
    }

    CHECK(trail.push(e, "again"));
    trail.flush();
    st = trail.status();
    CHECK(st.storage_ok);
    const auto recs = read_back(store);
    REQUIRE(recs.size() >= 3);
    CHECK(recs[0].second.source.view() == "before");
    bool recovered = false, again = false;
    for (const auto& [seq, r] : recs) {
        recovered = recovered || r.event.kind == policy::event_kind::audit_storage_recovered;
        again = again || r.source.view() == "again";
    }
    CHECK(recovered);
    CHECK(again);
    for (const auto& [seq, r] : recs)
        CHECK(r.source.view() != "lost");
}

TEST_CASE("a full store that stops recording raises audit_full once; nearly full is recorded") {
    temp_dir dir;
    auto store = open_store(dir.path, 100, audit::full_policy::stop);
    audit::audit_store_sink sink{store};
    alarms seen;
    audit::audit_trail trail{sink, {}, {}, seen.fn()};
    const auto e = event(policy::event_category::security, policy::event_severity::warning);
    for (int i = 0; i < 150; ++i)
        CHECK(trail.push(e, "x"));
    trail.flush();
    const auto st = trail.status();
    CHECK(st.recorded == 100);
    CHECK(st.not_stored > 0);
    CHECK(st.held == 100);
    {
        const std::lock_guard lock{seen.m};
        REQUIRE(seen.lines.size() == 1);
        CHECK(seen.lines[0].find("audit_full") != std::string::npos);
    }
    std::size_t nearly_full = 0;
    for (const auto& [seq, r] : read_back(store))
        nearly_full += r.event.kind == policy::event_kind::audit_nearly_full ? 1 : 0;
    CHECK(nearly_full == 1);
}
