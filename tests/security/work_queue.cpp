// tests include/gw/security/work_queue.hpp: one worker thread, jobs in order, a bound that
// refuses, stop() that drains. The worker is held with latches and promises, never sleeps.
#include <gw/security/work_queue.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using gw::security::work_queue;

TEST_CASE("jobs run in order, on one thread that is not the caller's") {
    std::mutex m;
    std::vector<int> order;
    std::vector<std::thread::id> threads;
    {
        work_queue q{16};
        for (int i = 0; i < 10; ++i) {
            REQUIRE(q.try_post([&, i] {
                const std::lock_guard lock{m};
                order.push_back(i);
                threads.push_back(std::this_thread::get_id());
            }));
        }
    }  // the destructor runs what is queued
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    REQUIRE(threads.size() == 10);
    for (const auto id : threads) {
        CHECK(id == threads[0]);
        CHECK(id != std::this_thread::get_id());
    }
}

TEST_CASE("a full queue refuses, and queues nothing, until the worker takes a job") {
    work_queue q{2};
    std::latch started{1};
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<int> ran{0};
    REQUIRE(q.try_post([&] {
        started.count_down();
        released.wait();
        ++ran;
    }));
    started.wait();  // the worker holds the first job: none waiting
    CHECK(q.pending() == 0);
    CHECK(q.try_post([&] { ++ran; }));
    CHECK(q.try_post([&] { ++ran; }));
    CHECK(q.pending() == 2);
    CHECK_FALSE(q.try_post([&] { ran += 100; }));
    CHECK(q.pending() == 2);
    release.set_value();
    q.stop();
    CHECK(ran == 3);
    CHECK(q.pending() == 0);
}

TEST_CASE("stop drains what is queued, then refuses") {
    work_queue q{8};
    std::latch started{1};
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<int> ran{0};
    REQUIRE(q.try_post([&] {
        started.count_down();
        released.wait();
    }));
    started.wait();
    for (int i = 0; i < 5; ++i)
        REQUIRE(q.try_post([&] { ++ran; }));
    // stop() blocks until drained: release the worker from another thread meanwhile.
    std::thread releaser{[&] { release.set_value(); }};
    q.stop();
    releaser.join();
    CHECK(ran == 5);
    CHECK_FALSE(q.try_post([&] { ++ran; }));
    q.stop();  // idempotent
    CHECK(ran == 5);
}

TEST_CASE("a throwing job is counted and the worker goes on") {
    std::atomic<int> ran{0};
    work_queue q{4};
    REQUIRE(q.try_post([] { throw std::runtime_error("bad job"); }));
    REQUIRE(q.try_post([&] { ++ran; }));
    q.stop();
    CHECK(ran == 1);
    CHECK(q.failed() == 1);
}

TEST_CASE("capacity 0 and empty jobs are refused") {
    work_queue zero{0};
    CHECK_FALSE(zero.try_post([] {}));
    work_queue q{1};
    CHECK_FALSE(q.try_post(std::function<void()>{}));
}

TEST_CASE("a job may post the next one") {
    std::promise<int> done;
    auto result = done.get_future();
    work_queue q{4};
    REQUIRE(q.try_post([&] { (void)q.try_post([&] { done.set_value(42); }); }));
    CHECK(result.get() == 42);
}
