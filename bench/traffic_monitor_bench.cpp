// The traffic monitor's cost on the io thread: one traffic_monitor::record() per frame a
// channel writes or reads, for a short and a long RTU frame, with no viewer and with one live
// stream wanting every frame (the JSON formatted once per frame). docs/management.md compares
// it with the io thread's CPU per request.
#include <gw/config/json_impl.hpp>
#include <gw/mgmt/traffic_monitor.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

namespace {

/// A viewer that takes every event and keeps none (the socket write is not measured here).
struct null_stream : gw::mgmt::event_stream {
    std::size_t bytes = 0;
    bool send(std::string event) override {
        bytes += event.size();
        return true;
    }
    void close() override {}
    bool open() const override { return true; }
};

void record(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const bool viewer = state.range(1) != 0;
    boost::asio::io_context io;
    gw::mgmt::traffic_monitor m{io, {{"line1", gw::router::channel_framing::rtu}}};
    auto stream = std::make_shared<null_stream>();
    if (viewer) {
        auto endpoint = m.endpoints().front();
        gw::mgmt::api_call c;
        c.request = gw::mgmt::http_request{gw::mgmt::http::verb::get, "/api/v1/traffic/stream", 11};
        c.path = "traffic/stream";
        c.respond = [](gw::mgmt::http_response) {};
        c.context.open_stream = [&](gw::mgmt::http::response_header<>) {
            return std::shared_ptr<gw::mgmt::event_stream>{stream};
        };
        endpoint.handle(std::move(c));
    }
    std::vector<std::uint8_t> bytes(size, 0x11);
    bytes[1] = 0x03;
    gw::gateway::traffic_frame f;
    f.bytes = bytes;
    for (auto _ : state) {
        m.record(f);
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    benchmark::DoNotOptimize(stream->bytes);
}
BENCHMARK(record)
    ->ArgNames({"bytes", "viewer"})
    ->Args({8, 0})
    ->Args({256, 0})
    ->Args({8, 1})
    ->Args({256, 1});

}  // namespace

BENCHMARK_MAIN();
