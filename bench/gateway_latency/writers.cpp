#include "writers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

namespace gw_bench {

namespace {

/// A derived figure: computed within each round (so both sides saw the same machine), then the
/// median over rounds, with the smallest and largest round.
struct derived {
    std::string name;
    std::vector<double> per_round;
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep)) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

void write_rounds(const options& o, const std::vector<row>& rows) {
    std::ofstream csv(o.out + "/gateway_latency_rounds.csv");
    csv << "round,line,scenario,path,masters,depth," << stats_header << "\n";
    for (const auto& r : rows) {
        csv << r.round << "," << r.line << "," << r.scenario << "," << r.path << "," << r.masters
            << "," << r.depth << "," << stats_csv(stats_of(r.r)) << "\n";
    }
}

/// Medians over rounds of every figure of every (line, scenario, path, masters, depth).
std::vector<std::pair<std::string, stats>> medians_of(const std::vector<row>& rows) {
    std::vector<std::string> keys;
    std::map<std::string, std::vector<const row*>> groups;
    for (const auto& r : rows) {
        const auto key = r.line + "," + r.scenario + "," + r.path + "," +
                         std::to_string(r.masters) + "," + std::to_string(r.depth);
        if (!groups.count(key)) keys.push_back(key);
        groups[key].push_back(&r);
    }
    std::vector<std::pair<std::string, stats>> medians;
    for (const auto& key : keys) {
        std::vector<stats> all;
        for (const auto* r : groups[key])
            all.push_back(stats_of(r->r));
        const auto med = [&](double stats::*field) {
            std::vector<double> v;
            for (const auto& s : all)
                v.push_back(s.*field);
            return median(v);
        };
        stats m{med(&stats::replies),    0,
                med(&stats::rate),       med(&stats::p10),
                med(&stats::p50),        med(&stats::p99),
                med(&stats::max),        med(&stats::mean),
                med(&stats::cpu_per_req)};
        for (const auto& s : all)
            m.errors = std::max(m.errors, s.errors);  // the worst round, not the median
        medians.emplace_back(key, m);
    }
    return medians;
}

/// Derived figures, paired within each round.
std::vector<derived> derive(const options& o, const std::vector<row>& rows) {
    std::vector<derived> figures;
    const auto figure = [&](const std::string& name) -> derived& {
        for (auto& f : figures)
            if (f.name == name) return f;
        figures.push_back({name, {}});
        return figures.back();
    };
    for (int round = 1; round <= o.rounds; ++round) {
        const auto get = [&](const std::string& l, const std::string& sc,
                             const std::string& p) -> std::optional<stats> {
            for (const auto& r : rows)
                if (r.round == round && r.line == l && r.scenario == sc && r.path == p)
                    return stats_of(r.r);
            return std::nullopt;
        };
        for (const auto& l : o.lines) {
            const auto d = get(l, "read_1master", "direct");
            const auto g = get(l, "read_1master", "gateway");
            if (!d || !g) continue;
            figure(l + ".added_p50_us").per_round.push_back(g->p50 - d->p50);
            figure(l + ".added_p99_us").per_round.push_back(g->p99 - d->p99);
            figure(l + ".added_p10_us").per_round.push_back(g->p10 - d->p10);
            figure(l + ".p50_gateway_over_direct").per_round.push_back(g->p50 / d->p50);
            figure(l + ".direct_rate_per_s").per_round.push_back(d->rate);
            if (g->cpu_per_req > 0)
                figure(l + ".gateway_cpu_us_per_req").per_round.push_back(g->cpu_per_req);
            // Each rate scenario ran in blocks alternating with the direct path: its ratio is
            // to the direct rate measured between its own blocks.
            for (const auto* sc : {"read_1master", "read_8masters", "read_32masters",
                                   "read_pipelined8", "read_pipelined16"}) {
                const auto x = get(l, sc, "gateway");
                const auto xd = get(l, sc, "direct");
                if (x && xd) {
                    figure(l + "." + sc + ".rate_over_direct")
                        .per_round.push_back(x->rate / xd->rate);
                    if (x->cpu_per_req > 0)
                        figure(l + "." + sc + ".gateway_cpu_us_per_req")
                            .per_round.push_back(x->cpu_per_req);
                }
            }
            // Priority, without and with the hold; "excess" is in bus transactions (the direct
            // path's p50 is one transaction on the line).
            std::optional<stats> plain_flood;
            std::optional<stats> plain_flooded;
            for (const std::string suffix : {"", "_hold"}) {
                const std::string name = suffix.empty() ? l + "." : l + ".hold.";
                const auto alone = get(l, "priority_unloaded" + suffix, "gateway");
                const auto flooded = get(l, "priority_under_flood" + suffix, "gateway");
                const auto flood = get(l, "flood_32masters" + suffix, "gateway");
                if (!alone || !flooded || !flood) continue;
                figure(name + "priority_p50_unloaded_us").per_round.push_back(alone->p50);
                figure(name + "priority_p99_unloaded_us").per_round.push_back(alone->p99);
                figure(name + "priority_p50_under_flood_us").per_round.push_back(flooded->p50);
                figure(name + "priority_p99_under_flood_us").per_round.push_back(flooded->p99);
                figure(name + "priority_p99_excess_us")
                    .per_round.push_back(flooded->p99 - alone->p99);
                figure(name + "priority_p50_excess_in_bus_transactions")
                    .per_round.push_back((flooded->p50 - alone->p50) / d->p50);
                figure(name + "priority_p99_excess_in_bus_transactions")
                    .per_round.push_back((flooded->p99 - alone->p99) / d->p50);
                figure(name + "flood_p50_us").per_round.push_back(flood->p50);
                figure(name + "flood_rate_per_s").per_round.push_back(flood->rate);
                figure(name + "flood_plus_priority_rate_over_direct")
                    .per_round.push_back((flood->rate + flooded->rate) / d->rate);
                if (suffix.empty()) {
                    plain_flood = flood;
                    plain_flooded = flooded;
                } else if (plain_flood && plain_flooded) {
                    figure(name + "flood_rate_loss")
                        .per_round.push_back(1 - flood->rate / plain_flood->rate);
                    figure(name + "bus_rate_loss")
                        .per_round.push_back(1 - (flood->rate + flooded->rate) /
                                                     (plain_flood->rate + plain_flooded->rate));
                }
            }
            if (const auto e = get(l, "exception_0A_no_route", "gateway")) {
                figure(l + ".exception_0A_p50_us").per_round.push_back(e->p50);
                figure(l + ".exception_0A_p50_over_normal_p50")
                    .per_round.push_back(e->p50 / g->p50);
            }
            const auto ed = get(l, "exception_02_device", "direct");
            const auto eg = get(l, "exception_02_device", "gateway");
            if (ed && eg) {
                figure(l + ".exception_02_added_p50_us").per_round.push_back(eg->p50 - ed->p50);
                figure(l + ".exception_02_p50_over_normal_p50")
                    .per_round.push_back(eg->p50 / g->p50);
            }
        }
    }
    return figures;
}

void write_json(const options& o, const std::vector<derived>& figures,
                const std::vector<std::pair<std::string, stats>>& medians,
                const std::vector<std::string>& loads) {
    std::printf("\nderived figures (per round, then the median over %d rounds [min .. max]):\n",
                o.rounds);
    std::ofstream js(o.out + "/gateway_latency.json");
    js << "{\n  \"rounds\": " << o.rounds << ",\n  \"seconds\": " << o.seconds
       << ",\n  \"log_level\": \"" << o.log_level
       << "\",\n  \"priority_hold_ms\": " << num(o.priority_hold_ms, 3) << ",\n  \"loadavg\": [";
    for (std::size_t i = 0; i < loads.size(); ++i)
        js << (i ? ", " : "") << "\"" << loads[i] << "\"";
    js << "],\n  \"derived\": {\n";
    for (std::size_t i = 0; i < figures.size(); ++i) {
        const auto& f = figures[i];
        const auto [lo, hi] = std::minmax_element(f.per_round.begin(), f.per_round.end());
        const double med = median(f.per_round);
        std::printf("  %-58s %11.3f  [%.3f .. %.3f]\n", f.name.c_str(), med, *lo, *hi);
        js << "    \"" << f.name << "\": {\"median\": " << num(med, 3)
           << ", \"min\": " << num(*lo, 3) << ", \"max\": " << num(*hi, 3) << ", \"rounds\": [";
        for (std::size_t k = 0; k < f.per_round.size(); ++k)
            js << (k ? ", " : "") << num(f.per_round[k], 3);
        js << "]}" << (i + 1 < figures.size() ? "," : "") << "\n";
    }
    js << "  },\n  \"median_over_rounds\": [\n";
    for (std::size_t i = 0; i < medians.size(); ++i) {
        const auto& [key, m] = medians[i];
        const auto f = split(key, ',');
        js << "    {\"line\": \"" << f[0] << "\", \"scenario\": \"" << f[1] << "\", \"path\": \""
           << f[2] << "\", \"masters\": " << f[3] << ", \"depth\": " << f[4]
           << ", \"replies\": " << num(m.replies, 0) << ", \"errors\": " << num(m.errors, 0)
           << ", \"rate_per_s\": " << num(m.rate) << ", \"p10_us\": " << num(m.p10)
           << ", \"p50_us\": " << num(m.p50) << ", \"p99_us\": " << num(m.p99)
           << ", \"max_us\": " << num(m.max) << ", \"mean_us\": " << num(m.mean)
           << ", \"gateway_cpu_us_per_req\": " << num(m.cpu_per_req) << "}"
           << (i + 1 < medians.size() ? "," : "") << "\n";
    }
    js << "  ]\n}\n";
}

/// The latency distribution of the 1-master comparison on each line, all rounds pooled, as
/// percentiles (gnuplot draws it as a CDF).
void write_cdf(const options& o, const std::vector<row>& rows) {
    std::ofstream cdf(o.out + "/latency_cdf.dat");
    cdf << "# percentile";
    std::vector<std::vector<double>> cols;
    for (const auto& l : o.lines) {
        for (const auto* p : {"direct", "gateway"}) {
            std::vector<double> v;
            for (const auto& r : rows)
                if (r.line == l && r.scenario == "read_1master" && r.path == p)
                    v.insert(v.end(), r.r.latency_us.begin(), r.r.latency_us.end());
            if (v.empty()) continue;
            std::sort(v.begin(), v.end());
            cols.push_back(std::move(v));
            cdf << " " << l << "_" << p << "_us";
        }
    }
    cdf << "\n";
    for (int i = 1; i <= 1000; ++i) {
        const double p = i / 10.0;
        cdf << num(p, 1);
        for (const auto& v : cols) {
            const auto rank =
                static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
            cdf << " " << num(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]);
        }
        cdf << "\n";
    }
}

}  // namespace

void write_outputs(const options& o, const std::vector<row>& rows,
                   const std::vector<std::string>& loads) {
    write_rounds(o, rows);
    const auto medians = medians_of(rows);
    {
        std::ofstream csv(o.out + "/gateway_latency.csv");
        csv << "line,scenario,path,masters,depth," << stats_header << "\n";
        for (const auto& [key, m] : medians)
            csv << key << "," << stats_csv(m) << "\n";
    }
    write_json(o, derive(o, rows), medians, loads);
    write_cdf(o, rows);
}

}  // namespace gw_bench
