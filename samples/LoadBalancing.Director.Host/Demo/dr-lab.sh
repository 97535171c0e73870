#!/usr/bin/env bash
# dr-lab.sh — the LVS-DR topology in network namespaces: used by `lb-director demo --mode dr` (shipped with the sample,
# which does not depend on tests/), by the Direct-Routing and proxy end-to-end tests and by bench/dr-bench.sh.
#
#   dr-lab.sh up PREFIX [N] [MODE]
#                             build client, director and N real servers (default 3) on one bridge
#                             (IPv4 and IPv6: fd77::/64 with the same last numbers, VIP fd77::100). MODE dr (default)
#                             adds the director's VIP drop rule; proxy leaves it out (a userspace proxy on the
#                             director accepts on the VIP itself and connects to the real servers' own addresses)
#   dr-lab.sh down PREFIX     kill the processes started in PREFIX-* namespaces, delete them, remove scratch
#   dr-lab.sh env PREFIX      print the lab's variables
#   dr-lab.sh rs-stop PREFIX I / rs-start PREFIX I   stop real server I's nginx gracefully (SIGQUIT, then SIGKILL
#                             after 5 s) / start it again
#   dr-lab.sh nginx-stop PREFIX I / nginx-start PREFIX I
#                             stop it at once (SIGTERM; fails if it is still there after 5 s) / start it again
#
# PREFIX (<= 8 chars, e.g. lbdr1a2b) names everything, so parallel runs never collide. Namespaces:
# PREFIX-sw (bridge br0), PREFIX-cli, PREFIX-dir, PREFIX-rs1..N; each host has one veth "eth0" whose peer
# PREFIX-<host> is a port of br0. Addresses 10.77.0.0/24 (private to these namespaces): director .2,
# client .10, rsI .(20+I), VIP .100. MACs 02:77:00:00:00:<last octet in hex>.
#
# Roles (classic LVS-DR, "arp" arrangement):
#   director  owns the VIP on eth0 (answers ARP/ND for it), ip_forward=0, and a netdev-ingress nftables rule drops
#             IP packets to the VIP (IPv6: all but ICMPv6, which carries ND) unless marked PACKET_OTHERHOST
#             ("meta pkttype != other"), so its kernel never answers (no RSTs). A packet socket bound to ETH_P_ALL
#             sees the frames before that hook; in tc mode the sockets are bound to ETH_P_IP/ETH_P_IPV6 (after the
#             hook) and the tcx classifier marks what it passes to the VIP PACKET_OTHERHOST, which ip_rcv drops.
#             Fail-closed: with no forwarder running everything to the VIP is dropped. The IPv6 VIP is deprecated
#             (preferred_lft 0) so it is never used as a source address.
#   rsI       VIP/32 on lo, arp_ignore=1 and arp_announce=2 on all and eth0 (no ARP answers for the VIP),
#             nginx on :80 answering "rsI 10.77.0.(20+I)".
#   client    10.77.0.10/24, reaches the VIP on-link (ARP answered by the director).
#
# Offloads: tx checksum, TSO, GSO, GRO off on both ends of every veth. veth tx csum offload leaves L4 checksums
# unfilled (CHECKSUM_PARTIAL); a packet socket reads such frames as-is and the re-sent copy is dropped by the
# real server. GRO/GSO build frames larger than the MTU that a packet socket cannot send back (EMSGSIZE).
set -euo pipefail

cmd=${1:?usage: dr-lab.sh up|down|env|rs-stop|rs-start|nginx-stop|nginx-start PREFIX [N|I] [MODE]}
P=${2:?PREFIX required}
N=${3:-3}
MODE=${4:-dr}
[[ $MODE == dr || $MODE == proxy ]] || { echo "MODE must be dr or proxy" >&2; exit 2; }
[[ ${#P} -le 8 && $P =~ ^[a-z0-9]+$ ]] || { echo "PREFIX must be 1-8 lowercase letters/digits" >&2; exit 2; }

SCRATCH=/tmp/$P-scratch
NET=10.77.0; VIP=$NET.100; DIR_IP=$NET.2; CLI_IP=$NET.10
NET6=fd77:; VIP6=fd77::100
SW=$P-sw; CLI=$P-cli; DIR=$P-dir; IF=eth0

mac_of() { printf '02:77:00:00:00:%02x' "${1##*.}"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P-(sw|cli|dir|rs[0-9]+)$" || true; }

offloads_off() { # ns dev
  nsx "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
  nsx "$1" ethtool -K "$2" rx-udp-gro-forwarding off lro off >/dev/null 2>&1 || true
}

add_host() { # name ip
  local ns=$P-$1 ip=$2
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # IPv6 without router solicitations/autoconf noise; addresses are added with nodad (no 1 s tentative phase).
  nsx "$ns" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0
  nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.all.accept_redirects=0
  ip -n "$SW" link add "$P-$1" type veth peer name "$IF" netns "$ns"
  ip -n "$SW" link set "$P-$1" master br0 up
  ip -n "$ns" link set "$IF" address "$(mac_of "$ip")" up
  ip -n "$ns" addr add "$ip/24" dev "$IF"
  ip -n "$ns" -6 addr add "$NET6:${ip##*.}/64" dev "$IF" nodad
  nsx "$ns" sysctl -qw "net.ipv4.conf.$IF.rp_filter=0" "net.ipv4.conf.$IF.send_redirects=0"
  offloads_off "$SW" "$P-$1"
  offloads_off "$ns" "$IF"
}

nginx_start() { # i
  local i=$1 d=$SCRATCH/rs$1
  mkdir -p "$d/www" "$d/tmp"
  printf 'rs%s %s\n' "$i" "$NET.$((20 + i))" > "$d/www/index.html"
  cat > "$d/nginx.conf" <<CONF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  default_type text/plain;
  server { listen 80; listen [::]:80; root $d/www; index index.html; }
}
CONF
  chmod -R a+rX "$SCRATCH"
  nsx "$P-rs$i" nginx -q -c "$d/nginx.conf" -e "$d/error.log"
}

down() {
  local ns pid
  for ns in $(namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  for ns in $(namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$SCRATCH"
}

up() {
  down
  mkdir -p "$SCRATCH"
  ip netns add "$SW"
  ip -n "$SW" link set lo up
  ip -n "$SW" link add br0 type bridge
  ip -n "$SW" link set br0 up
  # Bridged frames must not traverse netfilter (only present when br_netfilter is loaded).
  nsx "$SW" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
    net.bridge.bridge-nf-call-arptables=0 2>/dev/null || true

  add_host cli "$CLI_IP"
  add_host dir "$DIR_IP"
  nsx "$DIR" sysctl -qw net.ipv4.ip_forward=0
  ip -n "$DIR" addr add "$VIP/32" dev "$IF"
  # preferred_lft 0 (deprecated): still received and answered in neighbour discovery, but never chosen as a
  # source address. Otherwise, for the /128 VIP the kernel's longest-prefix rule (capped at each address's prefix
  # length) beats the /64 address, and the director solicits real servers from the VIP: their answers go to
  # their own VIP on lo and the director never learns their MACs (the IPv6 form of arp_announce).
  ip -n "$DIR" -6 addr add "$VIP6/128" dev "$IF" nodad preferred_lft 0
  if [[ $MODE == dr ]]; then
  nsx "$DIR" nft -f - <<NFT
table netdev ${P}_vip {
  chain in {
    type filter hook ingress device "$IF" priority 0; policy accept;
    ip daddr $VIP meta pkttype != other counter drop
    ip6 daddr $VIP6 meta l4proto != ipv6-icmp meta pkttype != other counter drop
  }
}
NFT
  fi
  local i
  for ((i = 1; i <= N; i++)); do
    add_host "rs$i" "$NET.$((20 + i))"
    ip -n "$P-rs$i" addr add "$VIP/32" dev lo
    # IPv6 has no arp_ignore: the kernel answers neighbour solicitations only for addresses on the receiving
    # interface, so the VIP on lo stays silent on eth0.
    ip -n "$P-rs$i" -6 addr add "$VIP6/128" dev lo nodad preferred_lft 0
    nsx "$P-rs$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      "net.ipv4.conf.$IF.arp_ignore=1" "net.ipv4.conf.$IF.arp_announce=2"
    nginx_start "$i"
  done
  env_vars
}

env_vars() {
  local i ips=""
  for ((i = 1; i <= N; i++)); do ips+="$NET.$((20 + i)) "; done
  cat <<VARS
LAB_PREFIX=$P
LAB_VIP=$VIP
LAB_VIP6=$VIP6
LAB_DIR_NS=$DIR
LAB_CLI_NS=$CLI
LAB_IF=$IF
LAB_RS_IPS="${ips% }"
VARS
}

rs_stop() { # i: nginx exits on SIGQUIT after closing its listeners; wait until it is gone.
  local pidfile=$SCRATCH/rs$1/nginx.pid pid
  pid=$(cat "$pidfile")
  kill -QUIT "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

nginx_stop() { # i
  local pidfile=$SCRATCH/rs$1/nginx.pid pid
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "nginx $pid did not stop" >&2; return 1
}

case $cmd in
  up) up ;;
  down) down ;;
  env) env_vars ;;
  rs-stop) rs_stop "$N" ;;
  rs-start) nginx_start "$N" ;;
  nginx-stop) nginx_stop "$N" ;;
  nginx-start) nginx_start "$N" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
