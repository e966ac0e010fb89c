// gw/audit/syslog_backlog.hpp: bounded, oldest unsent dropped and counted, written messages
// replayed after a lost connection, in order.
#include <gw/audit/syslog_backlog.hpp>

#include <doctest/doctest.h>

#include <string>

namespace {

using gw::audit::syslog_backlog;

std::string contents(const syslog_backlog& b) {
    std::string s;
    for (const auto& e : b.pending_entries())
        s += e.bytes;
    return s;
}

std::string write(syslog_backlog& b, std::size_t max_bytes = 1000, std::size_t max_count = 100) {
    std::string buffer;
    b.begin_write(buffer, max_bytes, max_count);
    return buffer;
}

}  // namespace

TEST_CASE("syslog backlog: full, the oldest unsent goes and is counted") {
    syslog_backlog b{3, 0};
    CHECK_FALSE(b.push("a"));
    CHECK_FALSE(b.push("b"));
    CHECK_FALSE(b.push("c"));
    CHECK(b.push("d"));
    CHECK(b.dropped() == 1);
    CHECK(contents(b) == "bcd");
    CHECK(b.push("e"));
    CHECK(b.dropped() == 2);
    CHECK(contents(b) == "cde");
}

TEST_CASE("syslog backlog: a write takes pending messages up to the byte and count limits") {
    syslog_backlog b{10, 0};
    for (const char* m : {"aa", "bb", "cc", "dd"})
        b.push(m);
    CHECK(write(b, 5) == "aabb");
    CHECK(b.in_flight() == 2);
    CHECK(b.pending() == 2);
    CHECK(b.write_done() == 2);
    CHECK(write(b, 1000, 1) == "cc");
    b.write_done();
    // One message is always taken, even beyond max_bytes: a message is never split.
    b.push("a long message");
    CHECK(write(b, 3) == "dd");
    b.write_done();
    CHECK(write(b, 3) == "a long message");  // alone beyond max_bytes: a message is never split
}

TEST_CASE("syslog backlog: messages in flight are never dropped; the oldest pending is") {
    syslog_backlog b{2, 0};
    b.push("a");
    b.push("b");
    CHECK(write(b, 1, 1) == "a");
    CHECK(b.push("c"));  // b dropped, a is being written
    CHECK(b.dropped() == 1);
    CHECK(contents(b) == "c");
    syslog_backlog full{1, 0};
    full.push("x");
    CHECK(write(full) == "x");
    CHECK(full.push("y"));  // every waiting message is in flight: the new one is refused
    CHECK(full.dropped() == 1);
    CHECK(full.pending() == 0);
}

TEST_CASE("syslog backlog: after a lost connection, replay window and in-flight come back first") {
    syslog_backlog b{10, 2};
    for (const char* m : {"1", "2", "3", "4", "5"})
        b.push(m);
    CHECK(write(b, 1000, 3) == "123");
    b.write_done();
    CHECK(b.replay() == 2);  // 1 is forgotten: only the last 2 written are kept
    CHECK(write(b, 1000, 1) == "4");
    b.connection_lost();  // 4 was in flight
    CHECK(b.replay() == 0);
    CHECK(b.in_flight() == 0);
    CHECK(contents(b) == "2345");
    CHECK(b.dropped() == 0);
}

TEST_CASE("syslog backlog: a replayed message pushed out is not counted as dropped") {
    syslog_backlog b{2, 5};
    b.push("a");
    b.push("b");
    write(b);
    b.write_done();
    b.connection_lost();
    CHECK(contents(b) == "ab");
    CHECK(b.push("c"));  // a (written once) goes: not a loss
    CHECK(b.dropped() == 0);
    CHECK(b.push("d"));  // b too
    CHECK(b.dropped() == 0);
    CHECK(b.push("e"));  // c was never written: dropped
    CHECK(b.dropped() == 1);
    CHECK(contents(b) == "de");
}

TEST_CASE("syslog backlog: without a replay window (UDP) written messages are forgotten") {
    syslog_backlog b{4, 0};
    b.push("a");
    write(b);
    b.write_done();
    b.connection_lost();
    CHECK(b.pending() == 0);
    b.push("b");
    write(b);
    b.write_failed_drop();
    CHECK(b.dropped() == 1);
    CHECK(b.waiting() == 0);
}
