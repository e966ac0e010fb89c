// Google Benchmark: gw::audit::store (include/gw/audit/store.hpp). Append rate durable
// (fdatasync per record) and batched (fdatasync every 64 or 1024 records), and the recovery
// time of open() on a full store of 10,000 records with 200-byte payloads (every record read,
// CRC-checked and its HMAC recomputed).
//
// The store lives under $GW_BENCH_DIR (default: the current directory): fdatasync figures mean
// something only on the disk the gateway will use, not on a tmpfs.

#include <gw/audit/store.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path bench_dir(const std::string& name) {
    const char* base = std::getenv("GW_BENCH_DIR");
    auto dir = fs::path{base != nullptr ? base : "."} / ("gw-audit-bench-" + name);
    std::error_code ec;
    fs::remove_all(dir, ec);
    return dir;
}

std::vector<std::byte> payload(std::size_t size) {
    return std::vector<std::byte>(size, std::byte{'p'});
}

void append_rate(benchmark::State& state, gw::audit::durability d, std::size_t sync_every) {
    gw::audit::store_options o;
    o.directory = bench_dir("append");
    o.capacity = 1'000'000;
    o.sync_every = sync_every;
    auto opened = gw::audit::store::open(o);
    if (!opened.ok()) {
        state.SkipWithError(opened.error.c_str());
        return;
    }
    auto& s = *opened.audit_store;
    const auto p = payload(200);
    for (auto _ : state) {
        const auto r = s.append(p, d);
        if (!r.ok()) {
            state.SkipWithError(r.error.c_str());
            break;
        }
    }
    (void)s.sync();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    std::error_code ec;
    fs::remove_all(o.directory, ec);
}

void BM_append_durable(benchmark::State& state) {
    append_rate(state, gw::audit::durability::durable, 1);
}
void BM_append_batched(benchmark::State& state) {
    append_rate(state, gw::audit::durability::batched, static_cast<std::size_t>(state.range(0)));
}

void BM_open_full_store(benchmark::State& state) {
    gw::audit::store_options o;
    o.directory = bench_dir("open");
    o.capacity = 10'000;
    {
        auto opened = gw::audit::store::open(o);
        if (!opened.ok()) {
            state.SkipWithError(opened.error.c_str());
            return;
        }
        const auto p = payload(200);
        for (int i = 0; i < 10'000; ++i)
            (void)opened.audit_store->append(p, gw::audit::durability::batched);
    }
    for (auto _ : state) {
        auto opened = gw::audit::store::open(o);
        if (!opened.ok() || opened.recovery.records != 10'000) {
            state.SkipWithError("open did not recover 10,000 records");
            break;
        }
        benchmark::DoNotOptimize(opened.recovery.records);
    }
    std::error_code ec;
    fs::remove_all(o.directory, ec);
}

}  // namespace

BENCHMARK(BM_append_durable)->UseRealTime();
BENCHMARK(BM_append_batched)->Arg(64)->Arg(1024)->UseRealTime();
BENCHMARK(BM_open_full_store)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
