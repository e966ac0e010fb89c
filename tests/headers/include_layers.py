#!/usr/bin/env python3
"""Checks that every header under <include>/gw/ includes only what its layer may.

The layers (docs/architecture.md, "Layers and include directions"), bottom up:

    core -> codec -> device, router -> policy -> pipeline      the engine: freestanding
    transport -> tls -> gateway -> config                      Linux (and the bare-metal ports)

A header may include headers of its own folder and of the folders listed for it in ALLOWED, and
nothing else from gw. Headers of the engine (and transport/concepts.hpp, which the firmware uses)
may include only the standard headers in FREESTANDING: no OS headers, no Asio, nothing that
allocates or throws by design.

Usage: include_layers.py <include-dir>. Prints one line per violation, naming file and line, and
exits 1 if there was any.
"""

import pathlib
import re
import sys

ENGINE = ("core", "codec", "device", "router", "policy", "pipeline", "device_server")

# Folders each folder may include besides its own. A folder missing here is an error: a new
# layer is placed deliberately, not by default.
ALLOWED = {
    "core": set(),
    "codec": {"core"},
    "device": {"core", "codec"},
    "router": {"core", "codec"},
    # Policies judge validated requests and connections; they need not know the router (the
    # pipeline composes the two), which also lets a policy guard a gw/device server.
    "policy": {"core", "codec"},
    "pipeline": {"core", "codec", "device", "router", "policy"},
    # The serial device server's sans-I/O side (Telnet/RFC 2217, data packing): the engine's
    # time and nothing of Modbus, since it carries any serial bytes.
    "device_server": {"core"},
    "transport": {"core", "codec"},
    # The device server's Linux side: the sans-I/O protocol over the serial and TCP transports.
    "serial_server": {"core", "codec", "policy", "device_server", "transport", "tls", "gateway"},
    # tls fills the policies' connection identity (policy is below it: DESIGN.md layers 3 and 5)
    "tls": {"core", "codec", "policy", "transport"},
    "gateway": {"core", "codec", "device", "router", "policy", "pipeline", "transport", "tls"},
    # The configuration is read into a gateway_plan and checked against the gateway's capacities.
    "config": {"core", "codec", "device", "router", "policy", "pipeline", "transport", "tls",
               "gateway"},
    # The audit trail and remote syslog: fed by the gateway's events, over its transports and TLS.
    "audit": {"core", "codec", "device", "router", "policy", "pipeline", "transport", "tls",
              "gateway"},
    # The management console (HTTPS, accounts, sessions): over the gateway, its status and audit.
    "mgmt": {"core", "codec", "device", "router", "policy", "pipeline", "transport", "tls",
             "gateway", "config", "audit", "security"},
    # The management plane's accounts (hashes, policy, lockout, sessions): self-contained but
    # for the gateway's atomic file writer and capacities (the account store), so the console
    # and the configuration can both build on it.
    "security": {"gateway"},
}

# Single headers allowed one folder more than their own. The runtime takes a gateway_plan and
# knows nothing of the configuration file; the bridge from one to the other is the exception.
FILE_ALLOWED = {"gw/gateway/plan_from_config.hpp": {"config"}}

# Standard headers that build freestanding (arm-none-eabi, -fno-exceptions -fno-rtti) and do not
# allocate. Add one here with a reason, not by habit.
FREESTANDING = {
    "algorithm", "array", "atomic", "bit", "chrono", "climits", "compare", "concepts", "cstddef",
    "cstdint", "cstring", "initializer_list", "iterator", "limits", "numeric", "optional",
    "ratio", "span", "string_view", "tuple", "type_traits", "utility", "variant", "version",
}

# Outside the engine folders, but used by the bare-metal firmware: held to the engine's rules.
# gw/tls/x509_role.hpp reads peer certificates' DER with no heap and no exceptions, so that it can
# also run where the TLS stack is not wolfSSL on Linux.
# gw/audit/record.hpp and crc32c.hpp are the audit store's sans-I/O frame codec (fuzzed, and
# usable by a reader of the files on any platform).
# gw/security/pbkdf2_format.hpp parses stored password hashes read from a file: fuzzed under the
# core's constraints, without wolfSSL.
ENGINE_FILES = {"gw/transport/concepts.hpp", "gw/tls/x509_role.hpp", "gw/audit/crc32c.hpp",
                "gw/audit/record.hpp", "gw/security/pbkdf2_format.hpp"}

# Plain data of the runtime: what config, flags or an embedding program fill in, and what status
# readers see. They must not pull in Asio, even through other headers.
PLAIN_DATA = {
    "gw/gateway/capacity.hpp", "gw/gateway/gateway_plan.hpp", "gw/gateway/gateway_status.hpp",
    "gw/gateway/latency_histogram.hpp", "gw/gateway/listener_counters.hpp",
    "gw/gateway/plan_check.hpp", "gw/gateway/reopen_backoff.hpp",
}
ASIO = ("asio", "boost/", "wolfssl/")

# Transitional forwarding headers, each allowed exactly one include (its new home) and nothing
# else. Remove an entry together with its header.
FORWARDERS = {"gw/core/adu_buffer.hpp": "gw/codec/adu_buffer.hpp"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def check(root: pathlib.Path) -> tuple[list[str], int, int]:
    problems: list[str] = []
    headers = sorted((root / "gw").rglob("*.hpp"))
    includes = 0
    graph: dict[str, list[tuple[int, str]]] = {}  # header -> (line, included header)
    for path in headers:
        name = path.relative_to(root).as_posix()
        parts = name.split("/")
        layer = parts[1] if len(parts) > 2 else ""
        if layer not in ALLOWED:
            problems.append(f"{name}:1: folder '{layer}' has no place in the layers: add it to "
                            f"ALLOWED in {pathlib.Path(__file__).name}")
            continue
        freestanding = layer in ENGINE or name in ENGINE_FILES
        forwarder = FORWARDERS.get(name)
        declares = False
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            where = f"{name}:{number}"
            stripped = line.strip()
            if forwarder is not None and not declares and stripped and not stripped.startswith(
                    ("//", "#pragma once", "#include")):
                declares = True
                problems.append(f"{where}: a forwarding header holds its one include, nothing "
                                f"else")
            match = INCLUDE.match(line)
            if not match:
                continue
            includes += 1
            delimiter, target = match.groups()
            graph.setdefault(name, []).append((number, target))
            if delimiter == '"':
                problems.append(f'{where}: "{target}": public headers include with <gw/...>')
                continue
            if target.startswith("gw/"):
                target_parts = target.split("/")
                target_layer = target_parts[1] if len(target_parts) > 2 else ""
                if not (root / target).is_file():
                    problems.append(f"{where}: <{target}> does not exist")
                if target == forwarder:
                    continue
                allowed = ALLOWED[layer] | FILE_ALLOWED.get(name, set())
                if target_layer != layer and target_layer not in allowed:
                    below = ", ".join(sorted(ALLOWED[layer])) or "nothing"
                    problems.append(f"{where}: {layer} may not include <{target}> "
                                    f"({layer} may include {below})")
            elif freestanding and target not in FREESTANDING:
                problems.append(f"{where}: <{target}> in a freestanding header (engine headers "
                                f"include no OS, Asio, heap or I/O headers)")
    for listed in sorted(PLAIN_DATA | ENGINE_FILES | set(FORWARDERS) | set(FILE_ALLOWED)):
        if not (root / listed).is_file():
            problems.append(f"{listed}:1: listed in {pathlib.Path(__file__).name} but missing")
    for name in sorted(PLAIN_DATA):
        chain = path_to_asio(graph, name)
        if chain:
            line, _ = next(e for e in graph[name] if e[1] == chain[1])
            problems.append(f"{name}:{line}: plain data reaches Asio: {' -> '.join(chain)}")
    return problems, len(headers), includes


def path_to_asio(graph: dict[str, list[tuple[int, str]]], start: str) -> list[str]:
    """The include chain from start to an Asio, Boost or wolfSSL header, or []."""
    seen = {start}
    todo = [[start]]
    while todo:
        chain = todo.pop()
        for _, target in graph.get(chain[-1], []):
            if target.startswith(ASIO) or target == "gw/transport/asio.hpp":
                return chain + [target]
            if target not in seen:
                seen.add(target)
                todo.append(chain + [target])
    return []


def main(argv: list[str]) -> int:
    # include_layers.py <include-dir>, or, to test the checker itself on a tree of known
    # violations: include_layers.py --expect <report.txt> <include-dir>
    expected = None
    if len(argv) == 4 and argv[1] == "--expect":
        expected = pathlib.Path(argv[2]).read_text()
        argv = [argv[0], argv[3]]
    if len(argv) != 2:
        print("usage: include_layers.py [--expect <report.txt>] <include-dir>", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    problems, headers, includes = check(root)
    if problems:
        report = "\n".join(problems) + f"\n{len(problems)} violations in {headers} headers\n"
    elif not headers:
        # A wrong path must not pass as "nothing violated".
        report = f"no headers under {root / 'gw'}\n"
    else:
        report = f"{headers} headers, {includes} includes: every include points down\n"
    print(report, end="")
    if expected is not None:
        if report != expected:
            print("--- the report above differs from the expected one:\n" + expected, end="")
            return 1
        return 0
    return 1 if problems or not headers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
