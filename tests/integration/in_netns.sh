#!/bin/sh
# Runs a command in a network namespace of its own, with only its loopback up: for tests of the
# built-in default, whose ports are fixed (1502, 1503, 1802) and would collide with anything else
# on this machine's loopback. As root: unshare --net; otherwise a user namespace as well.
# Exit 77 (ctest: skipped) if neither is allowed here.
#   usage: in_netns.sh COMMAND [ARG...]
if [ "${GW_IN_NETNS:-}" != 1 ]; then
    export GW_IN_NETNS=1
    for flags in --net "--net --map-root-user"; do
        # shellcheck disable=SC2086
        if unshare $flags true 2>/dev/null; then
            # shellcheck disable=SC2086
            exec unshare $flags "$0" "$@"
        fi
    done
    echo "SKIP: no network namespace can be made here (unshare --net refused)"
    exit 77
fi
ip link set lo up || { echo "FAIL: cannot bring the namespace's loopback up"; exit 1; }
exec "$@"
