#!/usr/bin/env bash
# dr-bench.sh — the forwarders side by side with the kernel, nftables, HAProxy and nginx, in one run.
# Not run by CI. Needs root (network namespaces). Installs what it needs from Debian (apt-get update once).
#
#   bench/dr-bench.sh [-d SECONDS] [-r ROUNDS] [-p PPS] [-f] [-b BASE] [-v "direct kernel ..."]
#   (LB_LABHOST=path/to/lb-labhost.dll skips its build; LB_LABHOST_ENV="NAME=value ..." adds to its environment;
#    LB_LABHOST_B=path/to/another/lb-labhost.dll enables the variants lbproxyb and lbtcb, for an interleaved A/B of two builds,
#    with LB_LABHOST_B_ENV="NAME=value ..." added to the B build's environment only;
#    LB_BENCH_PERF=DIR records a system-wide perf profile of each close run as DIR/perf-VARIANT-ROUND.data, or of each
#    keep-alive run with LB_BENCH_PERF_LOAD=ka)
#
#   -d  seconds per load (default 5; every load is bounded by it)     -r  rounds, variants interleaved (default 3)
#   -p  paced UDP rate for the CPU measurement (default 25000 pps)    -v  variants to run (default: all)
#   -f  the variants in the same order every round; by default round k starts at the k-th variant (rotated), so
#       that over as many rounds as variants each runs once in each position (a variant that runs right after
#       another's load is often slower: position bias)
#   -b  the variant the report's round-by-round ratios are taken against (default nftdr; e.g. haproxy for the proxy)
#
# Topology: samples/LoadBalancing.Director.Host/Demo/dr-lab.sh (client, director, 2 nginx real servers configured for LVS-DR on one bridge,
# offloads off on every veth), started in "proxy" mode (no VIP drop rule); each variant then sets the director up,
# is measured, and is torn down again. Variants (director = 10.77.0.2, VIP 10.77.0.100, rs 10.77.0.21/.22):
#   direct    client → rs1's own address, the director is not involved (the floor for every other variant)
#   kernel    kernel ECMP routing of the VIP through the director (ip_forward=1, fib_multipath_hash_policy=1,
#             VIP/32 nexthop via rs1 and rs2; the client routes the VIP via the director): routing only, the ceiling
#   nftdr     nftables stateless DR: netdev ingress rule, ether daddr from jhash of the flow, fwd to eth0
#   nftnat    nftables NAT: DNAT with numgen inc mod 2, real servers route the client via the director
#   haproxy   HAProxy mode tcp on the VIP (nbthread 2, roundrobin)
#   nginx     nginx stream on the VIP (2 workers; UDP too)
#   lbdr      our Direct-Routing forwarder (lb-labhost --mode dr, 2 workers, TPACKET_V3 ring) + the VIP drop rule
#   lbxdp     lbdr with the XDP fast path for established flows in native mode (lb-labhost --xdp native); native
#             XDP_TX on a veth needs NAPI on the peer, so an XDP_PASS program (lb-labhost xdp-pass) sits on the
#             director's switch-side veth meanwhile (GRO on the peer would also give NAPI, but held frames ~30 ms)
#   lbxdpg    lbdr with the XDP fast path in generic (SKB) mode (lb-labhost --xdp generic); nothing on the peer
#   lbtc      lbdr with the same fast path at tcx ingress (lb-labhost --xdp tc): bpf_redirect on the socket buffer;
#             the kernel also schedules the SYNs (wrr) from the scheduler's published picks (the default)
#   lbtcu     lbtc with every SYN scheduled in user space (--kernel-scheduling off), as before kernel scheduling
#   lbproxy   our userspace proxy (lb-labhost --mode proxy)
#   lbproxyb  the same with the build in LB_LABHOST_B (e.g. main's build as lbproxy, a branch's as lbproxyb)
#   lbtcb     lbtc with the build in LB_LABHOST_B
# Measures, per variant and round: wrk keep-alive req/s (64 connections); wrk "Connection: close" req/s = new
# connections/s with p50/p99 latency; UDP 64-byte frames (udpgen, 256 flows, as fast as it can) forwarded per second,
# counted by an nftables sink rule on the real servers; and at a paced UDP load, the CPU time per packet of the
# sender (which, without IRQ time accounting, carries the softirq work along the path) plus every process in the
# director namespace, minus the same for "direct": the director's share, in µs per packet. Also the CPU time of the
# director namespace's processes during the close run, per new connection (0 where the director is the kernel).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$root/samples/LoadBalancing.Director.Host/Demo/dr-lab.sh
D=5 ROUNDS=3 PPS=25000 ROTATE=1 BASE=nftdr BASE_GIVEN=0
# Each of ours right next to what its target is taken against (lbtc beside nftdr, lbproxy beside haproxy): a round's
# loads run about 50 s a variant, so variants far apart in the list meet the machine minutes apart (docs/benchmarks.md,
# "Stop 21"). Rotation keeps neighbours neighbours (a pair is split only in the round that starts between them).
VARIANTS="direct kernel nftdr lbtc lbxdpg lbxdp lbdr nftnat haproxy lbproxy nginx"
while getopts "d:r:p:v:fb:" opt; do
  case $opt in
    d) D=$OPTARG ;; r) ROUNDS=$OPTARG ;; p) PPS=$OPTARG ;; v) VARIANTS=$OPTARG ;; f) ROTATE=0 ;; b) BASE=$OPTARG BASE_GIVEN=1 ;;
    *) echo "usage: $0 [-d SECONDS] [-r ROUNDS] [-p PPS] [-f] [-b BASE] [-v VARIANTS]" >&2; exit 2 ;;
  esac
done
[[ $D =~ ^[0-9]+$ && $D -ge 1 && $D -le 60 ]] || { echo "-d must be 1..60 seconds" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 10 ]] || { echo "-r must be 1..10" >&2; exit 2; }
[[ $BASE_GIVEN = 0 || " $VARIANTS " == *" $BASE "* ]] || { echo "-b $BASE: not one of the variants run (-v \"$VARIANTS\")" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "dr-bench.sh needs root (network namespaces)" >&2; exit 1; }
if [ -n "${LB_BENCH_PERF:-}" ]; then
  command -v perf >/dev/null || { echo "LB_BENCH_PERF needs perf (Debian: apt-get install linux-perf)" >&2; exit 2; }
  mkdir -p "$LB_BENCH_PERF" 2>/dev/null || { echo "LB_BENCH_PERF=$LB_BENCH_PERF: cannot create that directory" >&2; exit 2; }
fi
case ${LB_BENCH_PERF_LOAD:-close} in
  ka | close) ;;
  *) echo "LB_BENCH_PERF_LOAD=$LB_BENCH_PERF_LOAD: expected ka or close" >&2; exit 2 ;;
esac

P=lbb$(printf '%04x' $((RANDOM % 65536)))
SCRATCH=/tmp/$P-scratch
WORK=/tmp/$P-bench
DIR=$P-dir CLI=$P-cli
VIP=10.77.0.100 RS1=10.77.0.21 RS2=10.77.0.22 DIR_IP=10.77.0.2
MAC_DIR=02:77:00:00:00:02 MAC_CLI=02:77:00:00:00:0a MAC_RS1=02:77:00:00:00:15 MAC_RS2=02:77:00:00:00:16
UDP_PORT=9000
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
log() { echo "[dr-bench $(date +%T)] $*" >&2; }

# ---- dependencies -------------------------------------------------------------------------------------------------
need=(iproute2 nftables ethtool nginx libnginx-mod-stream curl wrk haproxy gcc libc6-dev)
missing=()
for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
mkdir -p "$WORK"
cc -O2 -o "$WORK/udpgen" "$root/bench/udpgen.c"
LABHOST=$WORK/labhost/lb-labhost.dll
if [ -n "${LB_LABHOST:-}" ]; then
  LABHOST=$LB_LABHOST # an already built lb-labhost.dll (skips the build)
else
  log "building lb-labhost (Release)"
  dotnet build "$root/tests/LoadBalancing.Forwarding.LabHost" -c Release -o "$WORK/labhost" -v q -nologo >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; exit 1; }
fi

# ---- lab ----------------------------------------------------------------------------------------------------------
HOST_PID=""
cleanup() {
  stop_variant 2>/dev/null || true
  bash "$LAB" down "$P" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
bash "$LAB" up "$P" 2 proxy >/dev/null
for ns in "$CLI" "$DIR"; do
  nsx "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=8192 \
    net.ipv4.tcp_max_syn_backlog=8192
done
for i in 1 2; do
  nsx "$P-rs$i" sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192
  # UDP sink: counted and dropped before the socket lookup (no ICMP port unreachable back).
  nsx "$P-rs$i" nft -f - <<NFT
table inet ${P}_sink {
  chain in { type filter hook input priority 0; policy accept; udp dport $UDP_PORT counter drop; }
}
NFT
  # nginx with 2 workers and no connection limit to speak of, so the servers are not the bottleneck.
  sed -i 's/^worker_processes 1;/worker_processes 2;/; s/worker_connections 1024;/worker_connections 16384;/' "$SCRATCH/rs$i/nginx.conf"
  nsx "$P-rs$i" nginx -q -c "$SCRATCH/rs$i/nginx.conf" -s reload
done
sleep 0.5

sink_count() { # total UDP datagrams the real servers' sinks dropped
  local total=0 i n
  for i in 1 2; do
    n=$(nsx "$P-rs$i" nft list table inet "${P}_sink" | grep -o 'packets [0-9]*' | awk '{print $2}')
    total=$((total + n))
  done
  echo "$total"
}

dir_cpu_threads() { # FILE: "pid/tid ticks" (utime+stime) of every thread of every process in the director namespace
  # but the .NET runtime's background JIT thread (".NET Tiered Com"): methods called once a second reach their
  # optimized tier only after ~30 s, inside the measurement; that is warm-up, not work per packet. Per thread, not
  # the process's total minus that thread: the runtime ends the JIT thread when it is idle, its time stays in the
  # process's total, and a subtraction at the end of the window then missed it (up to a second of JIT counted).
  local pid task
  for pid in $(ip netns pids "$DIR" 2>/dev/null); do
    for task in /proc/"$pid"/task/*; do
      [ "$(cat "$task/comm" 2>/dev/null)" = ".NET Tiered Com" ] && continue
      echo "$pid/${task##*/} $(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}')"
    done
  done >"$1"
}

dir_cpu_seconds() { # BEFORE AFTER → CPU seconds the threads alive at AFTER used since BEFORE (all of it for new ones)
  awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { t0[$1] = $2; next } $2 != "" { d += $2 - ($1 in t0 ? t0[$1] : 0) }
    END { print d / hz }' "$1" "$2"
}

vip_drop_rule() {
  nsx "$DIR" nft -f - <<NFT
table netdev ${P}_vip {
  chain in { type filter hook ingress device "eth0" priority 0; policy accept; ip daddr $VIP meta pkttype != other counter drop; }
}
NFT
}

start_labhost() { # mode [extra args...]
  local mode=$1; shift
  mkfifo "$WORK/ctl"
  exec 9<>"$WORK/ctl"
  # ip netns exec execs the command, so $! is the forwarder's own PID.
  # LB_LABHOST_ENV="NAME=value ...": extra environment for the forwarder process (e.g. runtime settings to compare).
  # shellcheck disable=SC2086
  ip netns exec "$DIR" env ${LB_LABHOST_ENV:-} dotnet "$LABHOST" --mode "$mode" --vip "$VIP" --service tcp:80 --service "udp:$UDP_PORT" \
    --server "$RS1:1" --server "$RS2:1" --scheduler wrr --workers 2 "$@" <"$WORK/ctl" >"$WORK/labhost.log" 2>&1 &
  HOST_PID=$!
  for _ in $(seq 150); do grep -q '^ready' "$WORK/labhost.log" && return 0; sleep 0.1; done
  cat "$WORK/labhost.log" >&2; return 1
}

quit_process() { # pid fd fifo: "quit" on its control fifo, up to 5 s to exit, then SIGTERM; the fifo is closed and removed
  local pid=$1 fd=$2 fifo=$3
  echo quit >&"$fd" || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  eval "exec $fd>&-"
  rm -f "$fifo"
}

stop_labhost() {
  [ -n "$HOST_PID" ] || return 0
  quit_process "$HOST_PID" 9 "$WORK/ctl"
  HOST_PID=""
}

PASS_PID=""
start_peer_pass() { # the director's switch-side veth gets an XDP_PASS program (NAPI for native XDP_TX)
  mkfifo "$WORK/passctl"
  exec 8<>"$WORK/passctl"
  ip netns exec "$P-sw" dotnet "$LABHOST" xdp-pass "$DIR" <"$WORK/passctl" >"$WORK/pass.log" 2>&1 &
  PASS_PID=$!
  for _ in $(seq 100); do grep -q '^ready' "$WORK/pass.log" && return 0; sleep 0.1; done
  cat "$WORK/pass.log" >&2; return 1
}

stop_peer_pass() {
  [ -n "$PASS_PID" ] || return 0
  quit_process "$PASS_PID" 8 "$WORK/passctl"
  PASS_PID=""
}

PROXY_PID=""
start_proxy() { # command... (runs in the director namespace, in the foreground of its own background job)
  ip netns exec "$DIR" "$@" >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 50); do nsx "$DIR" ss -ltn "sport = :80" | grep -q LISTEN && return 0; sleep 0.1; done
  cat "$WORK/proxy.log" >&2; return 1
}

stop_proxy() {
  [ -n "$PROXY_PID" ] || return 0
  kill "$PROXY_PID" 2>/dev/null || true
  wait "$PROXY_PID" 2>/dev/null || true
  PROXY_PID=""
}

CURRENT=""
TARGET_IP=$VIP TARGET_MAC=$MAC_DIR
start_variant() {
  CURRENT=$1 TARGET_IP=$VIP TARGET_MAC=$MAC_DIR
  case $1 in
    direct)
      TARGET_IP=$RS1 TARGET_MAC=$MAC_RS1 ;;
    kernel)
      ip -n "$DIR" addr del "$VIP/32" dev eth0
      # Early demux off: TIME_WAIT sockets left on the director by the proxies (they close towards the client first)
      # would otherwise be matched to forwarded SYNs by early demux, and ip_forward drops packets carrying a socket.
      nsx "$DIR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.tcp_early_demux=0
      ip -n "$DIR" route add "$VIP/32" nexthop via "$RS1" nexthop via "$RS2"
      ip -n "$CLI" route add "$VIP/32" via "$DIR_IP" ;;
    nftdr)
      nsx "$DIR" nft -f - <<NFT
table netdev ${P}_nftdr {
  chain in {
    type filter hook ingress device "eth0" priority -100; policy accept;
    ip daddr $VIP meta l4proto { tcp, udp } ether saddr set $MAC_DIR ether daddr set jhash ip saddr . ip daddr . ip protocol . th sport . th dport mod 2 map { 0 : $MAC_RS1, 1 : $MAC_RS2 } fwd to "eth0"
  }
}
NFT
      ;;
    nftnat)
      nsx "$DIR" sysctl -qw net.ipv4.ip_forward=1
      for i in 1 2; do ip -n "$P-rs$i" route add 10.77.0.10/32 via "$DIR_IP"; done
      nsx "$DIR" nft -f - <<NFT
table ip ${P}_nat {
  chain pre {
    type nat hook prerouting priority -100; policy accept;
    ip daddr $VIP tcp dport 80 dnat to numgen inc mod 2 map { 0 : $RS1, 1 : $RS2 }
    ip daddr $VIP udp dport $UDP_PORT dnat to numgen inc mod 2 map { 0 : $RS1, 1 : $RS2 }
  }
}
NFT
      ;;
    haproxy)
      cat >"$WORK/haproxy.cfg" <<CFG
global
  nbthread 2
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind $VIP:80 backlog 8192
  default_backend be
backend be
  balance roundrobin
  server rs1 $RS1:80
  server rs2 $RS2:80
CFG
      start_proxy haproxy -db -f "$WORK/haproxy.cfg" ;;
    nginx)
      cat >"$WORK/nginx-stream.conf" <<CFG
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
pid $WORK/nginx-stream.pid;
error_log $WORK/nginx-stream.err warn;
daemon off;
events { worker_connections 8000; }
stream {
  upstream tcp_be { server $RS1:80; server $RS2:80; }
  upstream udp_be { server $RS1:$UDP_PORT; server $RS2:$UDP_PORT; }
  server { listen $VIP:80 backlog=8192; proxy_pass tcp_be; }
  server { listen $VIP:$UDP_PORT udp; proxy_pass udp_be; proxy_timeout 5s; }
}
CFG
      start_proxy nginx -c "$WORK/nginx-stream.conf" ;;
    lbdr)
      vip_drop_rule
      start_labhost dr ;;
    lbxdp)
      vip_drop_rule
      start_peer_pass
      start_labhost dr --xdp native ;;
    lbxdpg)
      vip_drop_rule
      start_labhost dr --xdp generic ;;
    lbtc)
      vip_drop_rule
      start_labhost dr --xdp tc ;;
    lbtcu)
      vip_drop_rule
      start_labhost dr --xdp tc --kernel-scheduling off ;;
    lbproxy)
      start_labhost proxy ;;
    lbproxyb | lbtcb)
      [ -n "${LB_LABHOST_B:-}" ] || { echo "$1 needs LB_LABHOST_B=path/to/lb-labhost.dll" >&2; exit 2; }
      local labhost_a=$LABHOST env_a=${LB_LABHOST_ENV:-}
      LABHOST=$LB_LABHOST_B LB_LABHOST_ENV="$env_a ${LB_LABHOST_B_ENV:-}"
      if [ "$1" = lbtcb ]; then vip_drop_rule; start_labhost dr --xdp tc; else start_labhost proxy; fi
      LABHOST=$labhost_a LB_LABHOST_ENV=$env_a ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}

stop_variant() {
  case $CURRENT in
    kernel)
      ip -n "$CLI" route del "$VIP/32" via "$DIR_IP" || true
      ip -n "$DIR" route del "$VIP/32" || true
      nsx "$DIR" sysctl -qw net.ipv4.ip_forward=0 net.ipv4.tcp_early_demux=1
      ip -n "$DIR" addr add "$VIP/32" dev eth0 ;;
    nftdr) nsx "$DIR" nft delete table netdev "${P}_nftdr" ;;
    nftnat)
      nsx "$DIR" nft delete table ip "${P}_nat"
      nsx "$DIR" sysctl -qw net.ipv4.ip_forward=0
      for i in 1 2; do ip -n "$P-rs$i" route del 10.77.0.10/32 via "$DIR_IP" || true; done ;;
    haproxy | nginx) stop_proxy ;;
    lbdr | lbxdpg | lbtc | lbtcu | lbtcb) stop_labhost; nsx "$DIR" nft delete table netdev "${P}_vip" ;;
    lbxdp) stop_labhost; stop_peer_pass; nsx "$DIR" nft delete table netdev "${P}_vip" ;;
    lbproxy | lbproxyb) stop_labhost ;;
  esac
  CURRENT=""
}

# ---- measurements -------------------------------------------------------------------------------------------------
wrk_run() { # extra wrk args... → "req/s p50 p99 max"
  local out
  out=$(nsx "$CLI" timeout $((D + 15)) wrk -t2 -c64 -d"${D}s" --timeout 5s --latency "$@" "http://$TARGET_IP/" 2>&1) || true
  echo "$out" >>"$WORK/wrk.log"
  local rps p50 p99 max errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  # The longest request as measured (the thread stats' Max). wrk's percentiles are corrected for coordinated
  # omission: a request of a few seconds adds a sample every (64 connections / rate) below it, so a handful of
  # them lift the p99 to hundreds of ms (stop 20's 774 ms); the max says whether that is what happened.
  max=$(echo "$out" | awk '$1 == "Latency" && NF >= 4 {print $4; exit}')
  errors=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
  [ -n "$errors" ] && log "$CURRENT wrk $*: $errors"
  case ${max:-} in *[0-9]s) log "$CURRENT wrk $*: the longest request took $max (p99 $p99)" ;; esac
  echo "${rps:-0} ${p50:-n/a} ${p99:-n/a} ${max:-n/a}"
}

udp_flood() { # → forwarded pps (sink count / seconds) and generator pps
  local before after gen
  before=$(sink_count)
  gen=$(nsx "$CLI" "$WORK/udpgen" -i eth0 -s "$MAC_CLI" -d "$TARGET_MAC" -S 10.77.0.10 -D "$TARGET_IP" -p "$UDP_PORT" \
    -f 256 -l 60 -t "$D" -b 64)
  sleep 0.5
  after=$(sink_count)
  local seconds sent
  seconds=$(echo "$gen" | sed 's/.*"seconds": \([0-9.]*\).*/\1/')
  sent=$(echo "$gen" | sed 's/.*"pps": \([0-9]*\).*/\1/')
  awk -v n=$((after - before)) -v s="$seconds" -v g="$sent" 'BEGIN { printf "%.0f %.0f\n", n / s, g }'
}

udp_paced_cpu() { # → total packets forwarded, sender CPU s, director-namespace CPU s
  local before after t
  before=$(sink_count)
  dir_cpu_threads "$WORK/cpu0"
  local TIMEFORMAT='%U %S'
  t=$( { time nsx "$CLI" "$WORK/udpgen" -i eth0 -s "$MAC_CLI" -d "$TARGET_MAC" -S 10.77.0.10 -D "$TARGET_IP" \
      -p "$UDP_PORT" -f 256 -l 60 -t "$D" -b 32 -r "$PPS" >/dev/null; } 2>&1 )
  sleep 0.3
  dir_cpu_threads "$WORK/cpu1"
  after=$(sink_count)
  echo "$((after - before)) $(echo "$t" | awk '{print $1 + $2}') $(dir_cpu_seconds "$WORK/cpu0" "$WORK/cpu1")"
}

# A request, 2 s of keep-alive load, 3 s of new connections and a few datagrams: ARP/neighbour entries warm, and a
# JIT-compiled forwarder past its tiering on the paths each load takes (without the close warm-up, lbtc's JIT thread
# took 1.6 % of the machine during the measured close run: its per-connection paths compiled then; docs/benchmarks.md).
warm() {
  nsx "$CLI" curl -s -o /dev/null --max-time 3 "http://$TARGET_IP/" || log "$CURRENT: warm-up request failed"
  nsx "$CLI" timeout 10 wrk -t2 -c64 -d2s "http://$TARGET_IP/" >/dev/null 2>&1 || true
  nsx "$CLI" timeout 10 wrk -t2 -c64 -d3s -H "Connection: close" "http://$TARGET_IP/" >/dev/null 2>&1 || true
  nsx "$CLI" "$WORK/udpgen" -i eth0 -s "$MAC_CLI" -d "$TARGET_MAC" -S 10.77.0.10 -D "$TARGET_IP" -p "$UDP_PORT" -f 4 -t 1 -n 16 >/dev/null
}

perf_start() { # variant round: a system-wide profile of the next load (LB_BENCH_PERF), in the background
  perf record -a -g -e cpu-clock -F 999 -o "$LB_BENCH_PERF/perf-$1-$2.data" -- sleep "$D" >/dev/null 2>&1 &
  perf_pid=$!
}

RESULTS=$WORK/results.txt
: >"$RESULTS"
log "lab $P up; $ROUNDS round(s) × [$VARIANTS]$([ "$ROTATE" = 1 ] && echo ", rotated"), $D s per load, paced UDP $PPS pps"
read -r -a variant_list <<<"$VARIANTS"
for round in $(seq "$ROUNDS"); do
  order=("${variant_list[@]}")
  if [ "$ROTATE" = 1 ]; then
    shift_by=$(((round - 1) % ${#variant_list[@]}))
    order=("${variant_list[@]:shift_by}" "${variant_list[@]:0:shift_by}")
  fi
  for v in "${order[@]}"; do
    start_variant "$v"
    warm
    perf_load=${LB_BENCH_PERF_LOAD:-close}
    [ -z "${LB_BENCH_PERF:-}" ] || [ "$perf_load" != ka ] || perf_start "$v" "$round"
    read -r ka _ _ _ < <(wrk_run)
    [ -z "${perf_pid:-}" ] || { wait "$perf_pid" || true; perf_pid=""; }
    [ -z "${LB_BENCH_PERF:-}" ] || [ "$perf_load" != close ] || perf_start "$v" "$round"
    dir_cpu_threads "$WORK/cc0"
    read -r cc p50 p99 cmax < <(wrk_run -H "Connection: close")
    dir_cpu_threads "$WORK/cc1"
    cc_cpu=$(dir_cpu_seconds "$WORK/cc0" "$WORK/cc1")
    [ -z "${perf_pid:-}" ] || { wait "$perf_pid" || true; perf_pid=""; }
    read -r udp gen < <(udp_flood)
    read -r pk cpu_gen cpu_dir < <(udp_paced_cpu)
    stop_variant
    echo "$round $v $ka $cc $p50 $p99 $udp $gen $pk $cpu_gen $cpu_dir $cc_cpu $cmax" | tee -a "$RESULTS" >&2
  done
done

# ---- report (median over rounds) ----------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR] = $1} END { if (NR == 0) exit; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v v="$1" -v c="$2" '$2 == v {print $c}' "$RESULTS"; }
direct_us=$(awk '$2 == "direct" && $9 > 0 {print ($10 + $11) * 1e6 / $9}' "$RESULTS" | median)
echo
echo "Machine: $(nproc) cores, $(uname -r); $ROUNDS rounds interleaved, median shown; $D s per load; paced UDP $PPS pps."
echo
echo "| Variant | keep-alive req/s | new conn/s | p50 (each round) | p99 (each round) | UDP 64 B fwd pps (sent pps) | director CPU µs/pkt | director-ns processes µs/pkt | director-ns processes µs/conn |"
echo "|---|---|---|---|---|---|---|---|---|"
for v in $VARIANTS; do
  ka=$(col "$v" 3 | median); cc=$(col "$v" 4 | median)
  p50=$(col "$v" 5 | paste -sd/); p99=$(col "$v" 6 | paste -sd/) # every round's, as wrk prints them
  udp=$(col "$v" 7 | median); gen=$(col "$v" 8 | median)
  us=$(awk -v v="$v" '$2 == v && $9 > 0 {print ($10 + $11) * 1e6 / $9}' "$RESULTS" | median)
  pus=$(awk -v v="$v" '$2 == v && $9 > 0 {print $11 * 1e6 / $9}' "$RESULTS" | median)
  cus=$(awk -v v="$v" -v d="$D" '$2 == v && $4 > 0 {print $12 * 1e6 / ($4 * d)}' "$RESULTS" | median)
  if [ -n "$direct_us" ]; then
    extra=$(awk -v a="$us" -v b="$direct_us" 'BEGIN { printf "%.2f", a - b }')
  else
    extra="n/a (add direct: $(printf '%.2f' "$us") with the sender's own)" # the director's share needs the baseline
  fi
  [ "$v" = direct ] && extra="0 (baseline $(printf '%.2f' "$direct_us"))"
  [ -z "$us" ] && extra="n/a (no UDP)" && pus=0
  printf '| %s | %.0f | %.0f | %s | %s | %.0f (%.0f) | %s | %.2f | %.1f |\n' "$v" "$ka" "$cc" "$p50" "$p99" "$udp" "$gen" "$extra" "$pus" "${cus:-0}"
done
# Each variant against the base (-b, nftdr unless told) within the same round (their loads ran minutes apart, not a
# day): the ratios of every round, and their median, for the targets (DR ≥ 0.95× nftdr's keep-alive req/s and new
# conn/s; the proxy ≥ HAProxy's, printed apart when the base is not haproxy).
against() { # base variants...
  local base=$1 v ratios; shift
  grep -q " $base " "$RESULTS" || return 0
  echo
  echo "Against $base, round by round (keep-alive req/s ratio, new conn/s ratio; median of the rounds' ratios):"
  for v in "$@"; do
    [ "$v" = "$base" ] && continue
    # "round ka_ratio cc_ratio", one line per round both ran
    ratios=$(awk -v v="$v" -v base="$base" -v rounds="$ROUNDS" '
      $2 == base { ka[$1] = $3; cc[$1] = $4 }
      $2 == v { vka[$1] = $3; vcc[$1] = $4 }
      END { for (r = 1; r <= rounds; r++) if ((r in vka) && ka[r] > 0 && cc[r] > 0) printf "%d %.9f %.9f\n", r, vka[r] / ka[r], vcc[r] / cc[r] }' "$RESULTS")
    [ -n "$ratios" ] || continue
    printf '    %-8s%s; median %.2f× / %.2f×\n' "$v" "$(awk '{printf " r%d %.2f/%.2f", $1, $2, $3}' <<<"$ratios")" \
      "$(awk '{print $2}' <<<"$ratios" | median)" "$(awk '{print $3}' <<<"$ratios" | median)"
  done
}
read -r -a report_list <<<"$VARIANTS"
against "$BASE" "${report_list[@]}"
if [ "$BASE" != haproxy ]; then
  proxies=()
  for v in lbproxy lbproxyb; do [[ " $VARIANTS " == *" $v "* ]] && proxies+=("$v"); done
  [ ${#proxies[@]} -eq 0 ] || against haproxy "${proxies[@]}"
fi
echo
echo "Raw rows (round variant ka_rps close_rps p50 p99 udp_fwd_pps udp_sent_pps paced_pkts sender_cpu_s dirns_cpu_s close_dirns_cpu_s close_max):"
sed 's/^/    /' "$RESULTS"
