#!/usr/bin/env python3
"""Turns the raw benchmark output into the tables of docs/benchmarks.md.

    summarise.py codec   codec_bench.json       -> codec_bench.csv, codec_tables.md
    summarise.py gateway gateway_latency.json   -> gateway_tables.md

Every figure is the median over repetitions (codec_bench: Google Benchmark's `median`
aggregate of interleaved repetitions; gateway_latency: the median over rounds). In-memory
benchmarks are read in CPU time (immune to the time the thread spends preempted on a loaded
machine), pty benchmarks in their manual (wall-clock) time, which is what a caller waits.
"""

import csv
import json
import os
import sys


def codec(path):
    data = json.load(open(path))
    rows = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median" or b.get("error_occurred"):
            continue
        parts = [p for p in b["run_name"].split("/")
                 if not p.startswith("min_time:") and p != "manual_time"]
        manual = "manual_time" in b["run_name"]
        # crc16/<side>/<size>, send|decode/<path>/<side>/<arg>, transaction/memory/<side>
        if parts[0] == "crc16":
            key = ("crc16", "memory", parts[1], parts[2])
        elif parts[0] == "transaction":
            key = ("transaction", parts[1], parts[2], "fc3_10_registers")
        else:
            key = (parts[0], parts[1], parts[2], b.get("label") or parts[3])
        ns = b["real_time"] if manual else b["cpu_time"]
        rows[key] = {"ns": ns, "bytes_per_second": b.get("bytes_per_second"),
                     "clock": "wall (manual)" if manual else "cpu"}

    out_dir = os.path.dirname(os.path.abspath(path))
    with open(os.path.join(out_dir, "codec_bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["what", "path", "side", "case", "clock", "ns", "MB_per_s"])
        for (what, p, side, case), r in sorted(rows.items()):
            mbs = r["bytes_per_second"] / 1e6 if r["bytes_per_second"] else ""
            w.writerow([what, p, side, case, r["clock"], f"{r['ns']:.2f}",
                        f"{mbs:.1f}" if mbs != "" else ""])

    def get(what, p, side, case):
        return rows.get((what, p, side, str(case)))

    md = []
    ctx = data["context"]
    md.append(f"Run {ctx['date']}, {ctx['num_cpus']} CPUs, load average "
              f"{' '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}, libmodbus "
              f"{ctx.get('libmodbus', '?')}.\n")
    md.append("CRC-16 alone (CPU time, median):\n")
    md.append("| bytes | gw::crc16 (slice-by-8) | bitwise constexpr path | ratio |")
    md.append("|---:|---:|---:|---:|")
    for size in ("8", "25", "64", "256", "4096"):
        s, b = get("crc16", "memory", "gw_sliced", size), get("crc16", "memory", "gw_bitwise", size)
        if s and b:
            md.append(f"| {size} | {s['ns']:.1f} ns = {s['bytes_per_second'] / 1e6:.0f} MB/s | "
                      f"{b['ns']:.1f} ns = {b['bytes_per_second'] / 1e6:.0f} MB/s | "
                      f"{b['ns'] / s['ns']:.1f}x |")
    md.append("")
    md.append("Build an RTU ADU (CRC included) and write() it (CPU time, median; the write to the "
              "shimmed descriptor returns at once):\n")
    md.append("| ADU bytes | libmodbus modbus_send_raw_request | gw encode_rtu + write | "
              "libmodbus / gw |")
    md.append("|---:|---:|---:|---:|")
    for size in ("4", "8", "25", "64", "256"):
        l, g = get("send", "memory", "libmodbus", size), get("send", "memory", "gw", size)
        if l and g:
            md.append(f"| {size} | {l['ns']:.1f} ns ({l['bytes_per_second'] / 1e6:.0f} MB/s) | "
                      f"{g['ns']:.1f} ns ({g['bytes_per_second'] / 1e6:.0f} MB/s) | "
                      f"{l['ns'] / g['ns']:.2f} |")
    l4, l256 = get("send", "memory", "libmodbus", "4"), get("send", "memory", "libmodbus", "256")
    g4, g256 = get("send", "memory", "gw", "4"), get("send", "memory", "gw", "256")
    if l4 and l256 and g4 and g256:
        lm = 252 / (l256["ns"] - l4["ns"]) * 1e3
        gm = 252 / (g256["ns"] - g4["ns"]) * 1e3
        md.append("")
        md.append(f"Marginal throughput (the 252 bytes between a 4- and a 256-byte ADU, i.e. the "
                  f"per-byte CRC and copy with the fixed costs removed): libmodbus {lm:.0f} MB/s, "
                  f"gw {gm:.0f} MB/s: **{gm / lm:.1f}x**.")
    md.append("")
    md.append("Same, with a real write() into a pty (wall time of the send only, median):\n")
    md.append("| ADU bytes | libmodbus | gw | libmodbus / gw |")
    md.append("|---:|---:|---:|---:|")
    for size in ("8", "256"):
        l, g = get("send", "pty", "libmodbus", size), get("send", "pty", "gw", size)
        if l and g:
            md.append(f"| {size} | {l['ns'] / 1e3:.2f} us | {g['ns'] / 1e3:.2f} us | "
                      f"{l['ns'] / g['ns']:.2f} |")
    md.append("")
    md.append("Decode and check one frame (median; memory: CPU time, pty: wall time from "
              "\"frame readable\" to \"checked\"):\n")
    md.append("| frame | path | gw | libmodbus | gw / libmodbus | libmodbus minus the shim's "
              "own calls | gw / that |")
    md.append("|---|---|---:|---:|---:|---:|---:|")
    for case in ("fc3_request_8B", "fc3_response_25B", "fc16_request_255B"):
        for p in ("memory", "pty"):
            g, l = get("decode", p, "gw", case), get("decode", p, "libmodbus", case)
            if g and l:
                unit, div = ("ns", 1) if p == "memory" else ("us", 1e3)
                shim = get("decode", p, "shim_calls", case)
                extra = " | | |"
                if shim:
                    own = l["ns"] - shim["ns"]
                    extra = f" | {own:.2f} ns | {g['ns'] / own:.2f} |"
                md.append(f"| {case} | {p} | {g['ns'] / div:.2f} {unit} | "
                          f"{l['ns'] / div:.2f} {unit} | {g['ns'] / l['ns']:.2f}" + extra)
    with open(os.path.join(out_dir, "codec_decode.dat"), "w") as f:
        f.write("# frame and path,gw ns,libmodbus ns (for plot.gp)\n")
        for case, short in (("fc3_request_8B", "8B FC3 req"), ("fc3_response_25B", "25B FC3 rsp"),
                            ("fc16_request_255B", "255B FC16 req")):
            for p in ("memory", "pty"):
                g, l = get("decode", p, "gw", case), get("decode", p, "libmodbus", case)
                if g and l:
                    f.write(f"{short} ({p}),{g['ns']:.1f},{l['ns']:.1f}\n")
    g, l = get("transaction", "memory", "gw", "fc3_10_registers"), \
        get("transaction", "memory", "libmodbus", "fc3_10_registers")
    if g and l:
        md.append("")
        md.append(f"A master's FC 3 transaction in memory (encode, decode, check, copy 10 "
                  f"registers): gw {g['ns']:.0f} ns, libmodbus modbus_read_registers "
                  f"{l['ns']:.0f} ns: gw / libmodbus = {g['ns'] / l['ns']:.2f}.")
    text = "\n".join(md) + "\n"
    open(os.path.join(out_dir, "codec_tables.md"), "w").write(text)
    print(text)


def gateway(path):
    data = json.load(open(path))
    d = data["derived"]
    rows = {(r["line"], r["scenario"], r["path"]): r for r in data["median_over_rounds"]}

    def fig(name, fmt="{:.1f}"):
        x = d.get(name)
        if not x:
            return "n/a"
        return f"{fmt.format(x['median'])} [{fmt.format(x['min'])} .. {fmt.format(x['max'])}]"

    md = [f"{data['rounds']} rounds, gateway log level {data['log_level']}; load average during "
          f"the run: {', '.join(data['loadavg'])}. Figures: median over rounds, [min .. max] "
          f"over rounds.\n"]
    md.append("One master, one request at a time (read 10 holding registers), the two paths "
              "interleaved:\n")
    md.append("| line | path | p10 us | p50 us | p99 us | max us | req/s | gateway CPU us/req |")
    md.append("|---|---|---:|---:|---:|---:|---:|---:|")
    lines = [l for l in ("fast", "w115200", "w9600")
             if (l, "read_1master", "direct") in rows]
    for l in lines:
        for p in ("direct", "gateway"):
            r = rows[(l, "read_1master", p)]
            cpu = r["gateway_cpu_us_per_req"]
            md.append(f"| {l} | {p} | {r['p10_us']} | {r['p50_us']} | {r['p99_us']} | "
                      f"{r['max_us']} | {r['rate_per_s']} | {cpu if cpu is not None else ''} |")
    md.append("")
    md.append("Gateway-added latency (gateway - direct, paired within each round):\n")
    md.append("| line | added p10 us | added p50 us | added p99 us | p50 gateway / direct |")
    md.append("|---|---:|---:|---:|---:|")
    for l in lines:
        md.append(f"| {l} | {fig(l + '.added_p10_us')} | {fig(l + '.added_p50_us')} | "
                  f"{fig(l + '.added_p99_us')} | {fig(l + '.p50_gateway_over_direct', '{:.3f}')} |")
    md.append("")
    md.append("Request rate through the gateway over the direct path's (each scenario in blocks "
              "alternating with the direct path, one RTU master closed loop; the ratio is to the "
              "direct rate between its own blocks):\n")
    md.append("| line | direct req/s | 1 master | 8 masters | 32 masters | 1 conn, 8 in flight | "
              "1 conn, 16 in flight |")
    md.append("|---|---:|---:|---:|---:|---:|---:|")
    for l in lines:
        cells = [fig(f"{l}.{s}.rate_over_direct", "{:.2f}") for s in
                 ("read_1master", "read_8masters", "read_32masters", "read_pipelined8",
                  "read_pipelined16")]
        md.append(f"| {l} | {fig(l + '.direct_rate_per_s', '{:.0f}')} | " + " | ".join(cells) + " |")
    md.append("")
    md.append("Latency under load (median over rounds):\n")
    md.append("| line | scenario | masters | in flight | p50 us | p99 us | req/s |")
    md.append("|---|---|---:|---:|---:|---:|---:|")
    for (l, sc, p), r in rows.items():
        if p == "gateway" and sc not in ("read_1master",):
            md.append(f"| {l} | {sc} | {r['masters']} | {r['depth']} | {r['p50_us']} | "
                      f"{r['p99_us']} | {r['rate_per_s']} |")
    for (l, sc, p), r in rows.items():
        if p == "direct" and sc not in ("read_1master",):
            md.append(f"| {l} | {sc} (direct) | 1 | 1 | {r['p50_us']} | {r['p99_us']} | "
                      f"{r['rate_per_s']} |")
    md.append("")
    cpu = [fig(f"{l}.{s}.gateway_cpu_us_per_req", "{:.0f}") for l in lines for s in
           ("read_1master", "read_8masters", "read_32masters", "read_pipelined8")]
    if any(c != "n/a" for c in cpu):
        md.append("Gateway CPU per request, us (from /proc, 10 ms ticks; wall-clock load makes "
                  "it rough):\n")
        md.append("| line | 1 master | 8 masters | 32 masters | 1 conn, 8 in flight |")
        md.append("|---|---:|---:|---:|---:|")
        for i, l in enumerate(lines):
            md.append(f"| {l} | " + " | ".join(cpu[4 * i:4 * i + 4]) + " |")
        md.append("")
    hold = [l for l in lines if f"{l}.hold.priority_p50_under_flood_us" in d]
    if hold:
        md.append(f"Priority under a 32-master flood, without and with the priority hold "
                  f"({data.get('priority_hold_ms', '?')} ms; a second gateway on its own "
                  f"simulator, run right after the first in each round). Excess: flooded minus "
                  f"unloaded, in bus transactions (the direct path's p50):\n")
        md.append("| line | hold | unloaded p50 / p99 ms | flooded p50 / p99 ms | excess p50 | "
                  "excess p99 | flood req/s | flood's loss |")
        md.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for l in hold:
            for label, pre in (("off", f"{l}."), ("on", f"{l}.hold.")):
                def ms(name):
                    x = d.get(pre + name)
                    return "n/a" if not x else f"{x['median'] / 1000:.2f}"
                loss = fig(pre + "flood_rate_loss", "{:.3f}") if label == "on" else ""
                md.append(f"| {l} | {label} | {ms('priority_p50_unloaded_us')} / "
                          f"{ms('priority_p99_unloaded_us')} | {ms('priority_p50_under_flood_us')} / "
                          f"{ms('priority_p99_under_flood_us')} | "
                          f"{fig(pre + 'priority_p50_excess_in_bus_transactions', '{:.2f}')} | "
                          f"{fig(pre + 'priority_p99_excess_in_bus_transactions', '{:.2f}')} | "
                          f"{fig(pre + 'flood_rate_per_s', '{:.0f}')} | {loss} |")
        md.append("")
    md.append("Exceptions and priority (paired within each round):\n")
    md.append("| figure | median [min .. max] |")
    md.append("|---|---:|")
    for name in sorted(d):
        if "exception" in name or "priority" in name or "flood" in name:
            md.append(f"| {name} | {fig(name, '{:.3f}')} |")
    text = "\n".join(md) + "\n"
    open(os.path.join(os.path.dirname(os.path.abspath(path)), "gateway_tables.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("codec", "gateway"):
        sys.exit(__doc__)
    (codec if sys.argv[1] == "codec" else gateway)(sys.argv[2])
