#!/bin/sh
# Probing 10 000 TCP targets on loopback at a 1 s delay loop (docs/benchmarks.md, "Health checker: 10 000 TCP targets").
# Usage: bench/health-10k.sh [targets=10000] [seconds=60] [warmup=10] [tcp|noop]
set -eu
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dotnet build bench/LoadBalancing.Health.Bench -c Release -v q -nologo >/dev/null
exec bench/LoadBalancing.Health.Bench/bin/Release/net10.0/LoadBalancing.Health.Bench "${1:-10000}" "${2:-60}" "${3:-10}" "${4:-tcp}"
