// gw::gateway::log_sink with a writer the test controls: a writer that blocks until the test
// releases it shows that push() never waits for the writer, and that a full queue drops, counts
// and reports. Synchronised with latches only: no sleeps.

#include <gw/gateway/log_sink.hpp>

#include <doctest/doctest.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace {

using gw::gateway::log_record;
using gw::gateway::log_sink;
using gw::policy::event_severity;

}  // namespace

TEST_CASE("log_sink: lines reach the writer in order, with their severity, and are counted") {
    std::vector<std::string> lines;
    std::vector<event_severity> severities;
    log_sink sink{8, [&](const log_record& r) {
                      lines.push_back(r.text);
                      severities.push_back(r.severity);
                  }};
    CHECK(sink.push(event_severity::error, "one"));
    CHECK(sink.push(event_severity::info, "two"));
    CHECK(sink.push(event_severity::notice, "three"));
    sink.stop();  // joins the worker: what it wrote is visible here
    CHECK(lines == std::vector<std::string>{"one", "two", "three"});
    CHECK(severities == std::vector<event_severity>{event_severity::error, event_severity::info,
                                                    event_severity::notice});
    CHECK(sink.written() == 3);
    CHECK(sink.dropped() == 0);
}

TEST_CASE(
    "log_sink: with the writer blocked, push returns at once; a full queue drops and "
    "counts, and the next line written says how many were dropped") {
    std::latch a_entered{1};
    std::latch a_release{1};
    std::latch b_entered{1};
    std::latch b_release{1};
    std::vector<std::string> lines;  // the worker's until stop() returns
    log_sink sink{2, [&](const log_record& r) {
                      lines.push_back(r.text);
                      if (r.text == "a") {
                          a_entered.count_down();
                          a_release.wait();
                      } else if (r.text == "b") {
                          b_entered.count_down();
                          b_release.wait();
                      }
                  }};
    REQUIRE(sink.push(event_severity::notice, "a"));
    a_entered.wait();  // the worker is stuck writing "a"; the queue is empty
    CHECK(sink.push(event_severity::notice, "b"));
    CHECK(sink.push(event_severity::notice, "c"));
    // Full: these return false at once (were they to wait for the writer, this would hang).
    CHECK_FALSE(sink.push(event_severity::notice, "d"));
    CHECK_FALSE(sink.push(event_severity::notice, "e"));
    CHECK(sink.dropped() == 2);

    a_release.count_down();
    b_entered.wait();  // the worker took "b": one slot is free, "c" is queued
    CHECK(sink.push(event_severity::notice, "f"));
    b_release.count_down();
    sink.stop();
    CHECK(lines ==
          std::vector<std::string>{"a", "b", "c", "2 log lines dropped (log queue full)", "f"});
    CHECK(sink.written() == 5);
    CHECK(sink.dropped() == 2);
}

TEST_CASE("log_sink: drops at the end of a flood are reported once the queue drains") {
    std::latch entered{1};
    std::latch release{1};
    std::vector<std::string> lines;
    log_sink sink{1, [&](const log_record& r) {
                      lines.push_back(r.text);
                      if (r.text == "first") {
                          entered.count_down();
                          release.wait();
                      }
                  }};
    REQUIRE(sink.push(event_severity::notice, "first"));
    entered.wait();
    CHECK(sink.push(event_severity::notice, "queued"));
    for (int i = 0; i < 5; ++i)
        CHECK_FALSE(sink.push(event_severity::notice, "lost"));
    release.count_down();
    sink.flush();  // no line follows the drops: the notice is written when the queue is empty
    sink.stop();
    CHECK(lines ==
          std::vector<std::string>{"first", "queued", "5 log lines dropped (log queue full)"});
}

TEST_CASE("log_sink: stop writes every queued line; lines after stop are dropped") {
    std::latch entered{1};
    std::latch release{1};
    std::vector<std::string> lines;
    log_sink sink{4, [&](const log_record& r) {
                      lines.push_back(r.text);
                      if (r.text == "0") {
                          entered.count_down();
                          release.wait();
                      }
                  }};
    REQUIRE(sink.push(event_severity::notice, "0"));
    entered.wait();
    for (const char* text : {"1", "2", "3", "4"})
        CHECK(sink.push(event_severity::notice, text));
    std::thread stopper{[&] { sink.stop(); }};
    release.count_down();
    stopper.join();
    CHECK(lines == std::vector<std::string>{"0", "1", "2", "3", "4"});
    CHECK_FALSE(sink.push(event_severity::notice, "late"));
    CHECK(sink.dropped() == 1);
}

TEST_CASE("log_sink: flush waits until the lines pushed before it are written") {
    std::vector<std::string> lines;
    log_sink sink{16, [&](const log_record& r) { lines.push_back(r.text); }};
    for (const char* text : {"x", "y", "z"})
        REQUIRE(sink.push(event_severity::notice, text));
    sink.flush();
    CHECK(sink.written() == 3);
    sink.stop();
    CHECK(lines.size() == 3);
}

TEST_CASE("log_sink: a record carries the time it was pushed") {
    std::vector<log_record> records;
    log_sink sink{4, [&](const log_record& r) { records.push_back(r); }};
    const auto before = std::chrono::system_clock::now();
    REQUIRE(sink.push(event_severity::warning, "stamped"));
    const auto after = std::chrono::system_clock::now();
    sink.stop();
    REQUIRE(records.size() == 1);
    CHECK(records[0].time >= before);
    CHECK(records[0].time <= after);
}
