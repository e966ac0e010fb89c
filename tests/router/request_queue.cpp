#include <gw/router/request_queue.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

using namespace gw::router;

namespace {

using queue = request_queue<16, 4>;

std::uint16_t enqueue(queue& q, master_id m, priority_class p, std::uint16_t tid) {
    const auto i = q.allocate(m);
    REQUIRE(i != no_slot);
    q[i].origin.transaction_id = tid;
    q.push(i, p);
    return i;
}

std::vector<std::uint16_t> drain_tids(queue& q) {
    std::vector<std::uint16_t> order;
    for (auto i = q.pop(); i != no_slot; i = q.pop()) {
        order.push_back(q[i].origin.transaction_id);
        q.release(i);
    }
    return order;
}

}  // namespace

TEST_CASE("a flooding master is served in turn with the others, not before them") {
    queue q{8};
    // Master 0 queues five requests before masters 1 and 2 queue one each.
    for (std::uint16_t t = 0; t < 5; ++t)
        enqueue(q, 0, priority_class::normal, 100 + t);
    enqueue(q, 1, priority_class::normal, 200);
    enqueue(q, 2, priority_class::normal, 300);
    CHECK(drain_tids(q) == std::vector<std::uint16_t>{100, 200, 300, 101, 102, 103, 104});
}

TEST_CASE("a high-priority request goes before every normal one") {
    queue q{8};
    for (std::uint16_t t = 0; t < 4; ++t)
        enqueue(q, 0, priority_class::normal, t);
    enqueue(q, 3, priority_class::high, 7502);
    const auto first = q.pop();
    REQUIRE(first != no_slot);
    CHECK(q[first].origin.transaction_id == 7502);
}

TEST_CASE("a master holds at most its limit; the pool bounds the total") {
    queue q{3};
    for (std::uint16_t t = 0; t < 3; ++t)
        enqueue(q, 0, priority_class::normal, t);
    CHECK(q.allocate(0) == no_slot);  // the 4th request of master 0: answered 0x06
    CHECK(q.allocate(1) != no_slot);  // other masters are unaffected
    CHECK(q.held_by(0) == 3);

    request_queue<2, 4> tiny{8};
    REQUIRE(tiny.allocate(0) != no_slot);
    REQUIRE(tiny.allocate(1) != no_slot);
    CHECK(tiny.allocate(2) == no_slot);
}

TEST_CASE("released slots are reused, and the limit counts again") {
    queue q{1};
    const auto a = enqueue(q, 0, priority_class::normal, 1);
    CHECK(q.allocate(0) == no_slot);
    REQUIRE(q.pop() == a);
    q.release(a);
    CHECK(q.allocate(0) != no_slot);
}

TEST_CASE("dropping a master removes its queue and promotes reads coalesced onto it") {
    queue q{8};
    const auto leader = enqueue(q, 0, priority_class::normal, 1);
    enqueue(q, 0, priority_class::normal, 2);
    const auto follower = q.allocate(1);
    q[follower].origin.transaction_id = 10;
    q.attach_follower(leader, follower);
    const auto follower2 = q.allocate(2);
    q[follower2].origin.transaction_id = 20;
    q.attach_follower(leader, follower2);

    CHECK(q.drop_master(0) == 2);
    CHECK(q.held_by(0) == 0);
    // The first remaining follower now leads; the other follows it.
    const auto next = q.pop();
    REQUIRE(next != no_slot);
    CHECK(q[next].origin.master != 0);
    CHECK(q[next].followers != no_slot);
    CHECK(q.pop() == no_slot);
}

TEST_CASE("a dropped master's in-flight request is marked dead, not freed") {
    queue q{8};
    const auto i = enqueue(q, 0, priority_class::normal, 1);
    REQUIRE(q.pop() == i);  // on the bus now
    q.drop_master(0);
    CHECK_FALSE(q[i].origin_alive);
    CHECK(q.in_use() == 1);
}
