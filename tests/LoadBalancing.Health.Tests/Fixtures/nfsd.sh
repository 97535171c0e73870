#!/bin/bash
# Test harness: a userspace NFS server (nfs-ganesha, VFS FSAL) + rpcbind inside a network namespace of its
# own with private pid + mount namespaces (own tmpfs /run), so nothing touches the host's rpcbind or /run.
# Adapted from /work/shared/recipes/nfsd.sh (real-peers.md §3).
#
#   nfsd.sh start NETNS STATEDIR   create NETNS (lo only, 127.0.0.1), export STATEDIR/export and STATEDIR/second
#   nfsd.sh stop  NETNS STATEDIR   stop the servers, delete NETNS (safe to call twice, or after a failed start)
set -euo pipefail
cmd=${1:-}; NS=${2:-}; ST=${3:-}
case "$NS" in lbf*) ;; *) echo "netns name must start with lbf" >&2; exit 2;; esac
[ -n "$ST" ] || { echo "state dir missing" >&2; exit 2; }
SELF=$(readlink -f "$0")

inner() {  # PID 1 of a new pid ns, private mount ns, inside netns $NS
  mount --make-rprivate /
  mount -t tmpfs -o mode=755,size=16m lbf-nfsrun /run
  mkdir -p /run/ganesha /run/rpcbind /run/lock
  /sbin/rpcbind -f -w &
  for _ in $(seq 1 50); do [ -S /run/rpcbind.sock ] && break; sleep 0.05; done
  /usr/bin/ganesha.nfsd -F -f "$ST/ganesha.conf" -L "$ST/ganesha.log" -p /run/ganesha/ganesha.pid -N NIV_EVENT &
  wait -n || true
  kill %1 %2 2>/dev/null || true
}

export_block() {  # id path pseudo
  cat <<EOB
EXPORT {
    Export_Id = $1;
    Path = "$2";
    Pseudo = $3;
    Protocols = 3, 4;
    Transports = TCP, UDP;
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    FSAL { Name = VFS; }
}
EOB
}

start() {
  mkdir -p "$ST/export" "$ST/second" "$ST/recov"
  {
    cat <<EOF2
NFS_CORE_PARAM {
    Protocols = 3, 4;
    NFS_Port = 2049;
    MNT_Port = 20048;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Plugins_Dir = /usr/lib/x86_64-linux-gnu/ganesha;
}
NFSV4 {
    Graceless = true;
    RecoveryBackend = fs;
    RecoveryRoot = "$ST/recov";
    Minor_Versions = 0, 1, 2;
}
LOG { Default_Log_Level = EVENT; }
EOF2
    export_block 1 "$ST/export" /export
    export_block 2 "$ST/second" /second
  } > "$ST/ganesha.conf"
  : > "$ST/ganesha.log"
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  setsid ip netns exec "$NS" unshare --pid --fork --kill-child --mount --propagation private -- \
      "$SELF" __inner "$NS" "$ST" </dev/null >"$ST/console.log" 2>&1 &
  echo $! > "$ST/launcher.pid"
  for _ in $(seq 1 100); do
    ip netns exec "$NS" rpcinfo -T tcp 127.0.0.1 mountd 3 >/dev/null 2>&1 && { echo "ganesha up in netns $NS"; return 0; }
    sleep 0.1
  done
  echo "ganesha did not come up"; tail -30 "$ST/ganesha.log" "$ST/console.log"; return 1
}

stop() {
  local l; l=$(cat "$ST/launcher.pid" 2>/dev/null || true)
  if [ -n "$l" ] && [ -d "/proc/$l" ]; then
    local init c; init=$(cat /proc/"$l"/task/*/children 2>/dev/null | tr -d ' ' || true)
    for c in $(cat /proc/"$init"/task/*/children 2>/dev/null || true); do kill -TERM "$c" 2>/dev/null || true; done
    for _ in $(seq 1 40); do [ -d "/proc/$l" ] || break; sleep 0.05; done
    if [ -d "/proc/$l" ]; then kill -KILL "$l" 2>/dev/null || true; fi
  fi
  if ip netns list | grep -qw "^$NS"; then ip netns del "$NS"; fi
  echo "nfsd stopped"
}

case "$cmd" in
  __inner) inner ;;
  start) start ;;
  stop) stop ;;
  *) sed -n '2,8p' "$SELF"; exit 2 ;;
esac
