#pragma once
// gateway_latency's output: every round (gateway_latency_rounds.csv), medians over rounds
// (gateway_latency.csv), the figures derived within each round then their median
// (gateway_latency.json), the 1-master latency distribution (latency_cdf.dat, for the plot).

#include "cli.hpp"
#include "statistics.hpp"

#include <string>
#include <vector>

namespace gw_bench {

struct row {
    int round;
    std::string line;
    std::string scenario;
    std::string path;  // direct | gateway
    int masters;
    int depth;
    result r;
};

void write_outputs(const options& o, const std::vector<row>& rows,
                   const std::vector<std::string>& loads);

}  // namespace gw_bench
