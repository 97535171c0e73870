#!/usr/bin/env bash
# Installs the system packages the test suites need (real peers: network tools, servers, captures).
# Runs `apt-get update` once, then `apt-get install -y` for whatever is missing. Safe to run again.
set -euo pipefail

packages=(
  # Add Debian packages here as test suites start to need real peers (iproute2, nginx, curl, tshark …).
  # LoadBalancing.Health.Tests: nfs-ganesha + rpcbind in a netns, showmount/rpcinfo to compare with.
  iproute2 util-linux nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common
  # LoadBalancing.Agent.Tests: arping from a peer namespace; real systemd + dbus booted in an isolated box.
  arping systemd dbus
  # Direct-Routing end-to-end lab (tests/LoadBalancing.Forwarding.Tests/DirectRouting, samples/LoadBalancing.Director.Host/Demo/dr-lab.sh):
  iproute2 nginx curl ethtool nftables
  # wrk: many short connections whose clients reuse their ports, as in bench/dr-bench.sh (XdpEndToEndTests).
  wrk
  # tshark: on-the-wire checks of the DR lab (replies bypass the director; forwarded frames differ only in MACs).
  tshark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
