#!/bin/sh
# The kernel's floor for TCP probes on loopback, in a network namespace of its own (needs root, gcc).
# Usage: bench/tcp-probe-floor.sh [targets=10000] [seconds=10]     (docs/benchmarks.md, "Health checker")
set -eu
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/tcp-probe-floor" tcp-probe-floor.c
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for mode in connect reuse syn; do
  unshare -n sh -c "ip link set lo up && '$out/tcp-probe-floor' $mode ${1:-10000} ${2:-10}"
done
