#!/usr/bin/python3
"""line_noise: how many reads survive line noise before the reply, through gw_gateway.

    bench/line_noise.py --gateway build/dev/examples/gateway/gw_gateway \\
                        --simulator build/dev/examples/simulator/gw_simulator [--reads 10000]

One gw_simulator (unit 1, 115200 baud with wire-time emulation) injects the noise fault on one
reply in `--every` (default 10): 1..8 random noise bytes (random values, headers of the awaited
reply with a large byte count, false starts, other units' headers), a silence of 2-5 ms, then the
good reply. gw_gateway serves it on a serial channel with retries 0, so every loss shows. A
Modbus TCP master reads holding registers (random address and quantity 1..64) one at a time and
checks each answer against the simulator's tables (holding[i] = i).

Prints one line of figures: reads, delivered correctly (%), answered 0x0B, wrong replies (an
answer with other data than the device's: must be 0), and the channel's counters. A figure, not
a test: nothing is asserted (run it against an old gateway for the "before" figure).
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import gwtest  # noqa: E402
from gwtest import Master, read_holding  # noqa: E402

own = argparse.ArgumentParser(add_help=False)
own.add_argument("--reads", type=int, default=10000)
own.add_argument("--every", type=int, default=10, help="the fault hits one reply in N")
own.add_argument("--seed", type=int, default=1, help="the simulator's noise and the addresses")
own.add_argument("--response-timeout-ms", type=int, default=300)
mine, rest = own.parse_known_args()
sys.argv = [sys.argv[0]] + rest

with gwtest.Env(__doc__) as env:
    sim = env.simulator("--units", "1", "--baud", 115200, "--wire-time", "--fault", "noise",
                        "--fault-every", mine.every, "--noise-max", 8, "--noise-gap-us",
                        "2000-5000", "--seed", mine.seed)
    gw = env.gateway({
        "channels": [gwtest.serial_channel("line", sim.link, retries=0,
                                           response_timeout_ms=mine.response_timeout_ms)],
        "listeners": [gwtest.tcp_listener("modbus")],
        "routes": [{"units": "1", "channel": "line"}]})
    rng = random.Random(mine.seed)
    right = lost = wrong = other = 0
    started = time.monotonic()
    with Master(gw.port("modbus")) as m:
        for _ in range(mine.reads):
            count = rng.randint(1, 64)
            address = rng.randint(0, 9999 - count)
            answer = m.request(1, read_holding(address, count))
            want = bytes([3, 2 * count]) + b"".join(
                (address + i).to_bytes(2, "big") for i in range(count))
            if answer == want:
                right += 1
            elif answer == bytes([0x83, 0x0B]):
                lost += 1
            elif answer[0] == 3:
                wrong += 1
            else:
                other += 1
    seconds = time.monotonic() - started
    c = gw.channel("line")
    faults = sum(1 for r in sim.requests() if "(fault noise)" in r[2])
    print("line_noise: %d reads in %.1f s, noise before %d replies; delivered correctly %d "
          "(%.3f %%), 0x0B %d, wrong replies %d, other answers %d; channel: crc_errors %d, "
          "invalid_responses %d, timeouts %d, wrong_unit %d" %
          (mine.reads, seconds, faults, right, 100.0 * right / mine.reads, lost, wrong, other,
           c["crc_errors"], c["invalid_responses"], c["timeouts"], c["wrong_unit"]))
    env.check(wrong == 0, "no wrong reply")
