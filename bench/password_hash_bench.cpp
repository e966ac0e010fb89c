// Google Benchmark: gw::security password hashing (include/gw/security/password_hash.hpp) at
// the default parameters, 600,000 iterations of PBKDF2-HMAC-SHA256. hash_password is the cost
// of setting or changing a password, verify_password the cost of every login (and of every
// login for an unknown account, which is verified against decoy_hash()). A few iterations only:
// each is a large fraction of a second by design.

#include <gw/security/password_hash.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

constexpr const char* password = "correct horse battery staple";

void BM_hash_password(benchmark::State& state) {
    for (auto _ : state) {
        auto h = gw::security::hash_password(password);
        if (h.empty()) {
            state.SkipWithError("hash_password failed");
            break;
        }
        benchmark::DoNotOptimize(h);
    }
}

void BM_verify_password(benchmark::State& state) {
    const auto h = gw::security::hash_password(password);
    if (h.empty()) {
        state.SkipWithError("hash_password failed");
        return;
    }
    for (auto _ : state) {
        const bool ok = gw::security::verify_password(password, h);
        if (!ok) {
            state.SkipWithError("verify_password refused the right password");
            break;
        }
        benchmark::DoNotOptimize(ok);
    }
}

// A wrong password costs the same: the comparison runs after the full PBKDF2.
void BM_verify_wrong_password(benchmark::State& state) {
    const auto& h = gw::security::decoy_hash();
    for (auto _ : state) {
        benchmark::DoNotOptimize(gw::security::verify_password("not the password", h));
    }
}

}  // namespace

BENCHMARK(BM_hash_password)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_verify_password)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_verify_wrong_password)->Unit(benchmark::kMillisecond)->Iterations(5);

BENCHMARK_MAIN();
