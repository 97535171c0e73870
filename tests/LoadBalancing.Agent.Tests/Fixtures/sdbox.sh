#!/bin/bash
# Test harness for LoadBalancing.Agent.Tests, adapted from the project's systemd-box recipe (real-peers.md §1):
# the box target also wants local-fs.target and remote-fs.target, so an enabled persistent mount unit is started
# at boot (the "reboot survival" test restarts the box with SDBOX_BINDS=<hostdir>:/etc/systemd/system).
#
# sdbox.sh — boot a real systemd (252) as PID 1 of its own pid+mount+net+uts+ipc+cgroup
# namespaces, on an overlay of the host root whose upper layer is a tmpfs that exists
# only inside the box's mount namespace. The host's /, /tmp, /var/tmp, /run, /dev,
# sysctls and hostname are never written.
#
#   sdbox.sh start            boot; waits for `systemctl is-system-running` = running|degraded
#   sdbox.sh exec CMD...      run CMD inside the box (all namespaces, box root)
#   sdbox.sh pid              print systemd's PID as seen from the host
#   sdbox.sh bus              print a D-Bus address for the box's system bus usable FROM THE HOST
#   sdbox.sh stop             SIGRTMIN+4 (poweroff), SIGKILL fallback, remove cgroup + state
#   sdbox.sh status           alive/dead
#
# Env: SDBOX_NAME (default lbf-box; must start with lbf), SDBOX_BINDS="hostdir:boxdir ..." (rw
# bind mounts into the box, e.g. a test-output dir), SDBOX_TIMEOUT (boot wait, default 60 s).
set -euo pipefail

NAME=${SDBOX_NAME:-lbf-box}
case "$NAME" in lbf*) ;; *) echo "SDBOX_NAME must start with lbf" >&2; exit 2;; esac
BASE=/var/tmp/lbf-scratch/sdbox
STATE=$BASE/$NAME
CG=/sys/fs/cgroup/unified/$NAME          # host cgroup2 hierarchy (hybrid host)
SELF=$(readlink -f "$0")
TIMEOUT=${SDBOX_TIMEOUT:-60}

sd_pid() { [ -s "$STATE/pid" ] && cat "$STATE/pid"; }
alive() { local p; p=$(sd_pid) || return 1; [ -n "$p" ] && [ -d /proc/$p ] && [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ]; }

# ---------------------------------------------------------------- inside the new namespaces
inner() {
  # We are PID 1 of a fresh pid namespace, in private mount/net/uts/ipc/cgroup namespaces.
  set -e
  local L=$STATE/layer R=$STATE/root
  mount --make-rprivate /
  mount -t tmpfs -o size=4g,mode=755 lbf-layer "$L"
  mkdir -p "$L/upper" "$L/work"
  # upper MUST be on another fs than / (same-fs upper under lowerdir=/ -> "overlapping" ELOOP)
  mount -t overlay lbf-root -o "lowerdir=/,upperdir=$L/upper,workdir=$L/work" "$R"

  # API filesystems — all new instances, nothing shared with the host
  mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
  # global sysctls (kernel.core_pattern, fs.nr_open, fs.file-max ...) are NOT namespaced and
  # systemd PID 1 writes some of them: make /proc/sys read-only, but keep /proc/sys/net
  # writable (per-netns: arp_ignore/arp_announce tests need it).
  mount --bind "$R/proc/sys" "$R/proc/sys"
  mount --bind "$R/proc/sys/net" "$R/proc/sys/net"
  mount -o remount,bind,ro,nosuid,nodev,noexec "$R/proc/sys"
  if [ -e "$R/proc/sysrq-trigger" ]; then
    mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"
    mount -o remount,bind,ro "$R/proc/sysrq-trigger"
  fi
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"         # ro => udev-ish units skip
  mount -t cgroup2 -o rw,nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"   # cgroupns root = $CG

  mount -t tmpfs -o mode=755,size=64m,nosuid lbf-dev "$R/dev"
  local n
  for n in null zero full random urandom tty fuse; do
    [ -e /dev/$n ] || continue; touch "$R/dev/$n"; mount --bind /dev/$n "$R/dev/$n"
  done
  mkdir -p "$R/dev/net"; touch "$R/dev/net/tun"; mount --bind /dev/net/tun "$R/dev/net/tun" || true
  mkdir -p "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$R/dev/pts"
  ln -s pts/ptmx "$R/dev/ptmx"
  mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev lbf-shm "$R/dev/shm"
  ln -s /proc/self/fd "$R/dev/fd"; ln -s /proc/self/fd/0 "$R/dev/stdin"
  ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
  touch "$R/dev/console"; mount --bind "$STATE/console.log" "$R/dev/console"

  mount -t tmpfs -o mode=755,size=256m,nosuid,nodev lbf-run "$R/run"
  mount -t tmpfs -o mode=1777,size=2g,nosuid,nodev lbf-tmp "$R/tmp"
  mount -t tmpfs -o mode=1777,size=1g,nosuid,nodev lbf-vartmp "$R/var/tmp"

  # optional rw binds of host dirs (test artefacts, a built app ...)
  local b
  for b in ${SDBOX_BINDS:-}; do
    mkdir -p "$R/${b#*:}"; mount --bind "${b%%:*}" "$R/${b#*:}"
  done

  # ---- minimal boot configuration (written into the tmpfs upper layer only)
  local E=$R/etc/systemd/system
  mkdir -p "$E" "$R/etc/systemd/system-generators"
  cat > "$E/lbf-box.target" <<'EOF'
[Unit]
Description=lbf isolated systemd box
Requires=sysinit.target dbus.socket
Wants=dbus.service systemd-journald.service local-fs.target remote-fs.target
After=sysinit.target dbus.socket dbus.service systemd-journald.service
AllowIsolate=yes
EOF
  # generators: none (no fstab/sysv/getty/gpt-auto units)
  for n in "$R"/lib/systemd/system-generators/*; do ln -sf /dev/null "$R/etc/systemd/system-generators/${n##*/}"; done
  # everything sysinit.target pulls in, except journald, plus anything that could touch
  # global kernel state (sysctl, modules, binfmt, udev trigger, swap, clock) or the console
  local u
  for u in $(ls "$R/lib/systemd/system/sysinit.target.wants" "$R/etc/systemd/system/sysinit.target.wants" 2>/dev/null | grep -v ':$' | sort -u); do
    case "$u" in systemd-journald.service) continue;; esac
    ln -sf /dev/null "$E/$u"
  done
  for u in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service \
           systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer \
           systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
           systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service \
           systemd-remount-fs.service systemd-fsck-root.service systemd-sysctl.service \
           systemd-modules-load.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
           proc-sys-fs-binfmt_misc.mount systemd-random-seed.service systemd-timesyncd.service \
           systemd-journal-flush.service systemd-journal-catalog-update.service ldconfig.service \
           systemd-update-done.service systemd-firstboot.service systemd-pstore.service \
           getty.target console-getty.service container-getty@.service getty@.service \
           serial-getty@.service networking.service ntpsec.service ntp.service \
           swap.target cryptsetup.target systemd-networkd.service systemd-resolved.service \
           rpcbind.service rpcbind.socket nfs-ganesha.service keepalived.service \
           apt-daily.timer apt-daily-upgrade.timer fstrim.timer man-db.timer e2scrub_all.timer; do
    ln -sf /dev/null "$E/$u"
  done
  echo "$NAME" > "$R/etc/hostname"

  # ---- become the box root and exec systemd as PID 1
  mkdir -p "$R/run/lbf-oldroot"
  cd "$R"
  pivot_root . run/lbf-oldroot
  cd /
  umount -l /run/lbf-oldroot
  rmdir /run/lbf-oldroot
  # container= makes systemd skip hardware/kernel-global setup (and systemd-shutdown
  # skips loop/DM detach, swapoff, reboot()).
  exec env -i container=lbf-sdbox PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
       TERM=dumb /lib/systemd/systemd --system --unit=lbf-box.target \
       --log-target=console --show-status=no </dev/null >/dev/console 2>&1
}

start() {
  if alive; then echo "box $NAME already running (pid $(sd_pid))" >&2; return 1; fi
  rm -rf "$STATE"; mkdir -p "$STATE/layer" "$STATE/root"; : > "$STATE/console.log"
  mkdir -p "$CG"
  local t0; t0=$(date +%s.%N)
  # Move the launcher into $CG first, so the new cgroup namespace is rooted there.
  setsid bash -c 'echo $$ > "$1/cgroup.procs" && exec unshare --pid --fork --kill-child \
      --mount --propagation private --net --uts --ipc --cgroup -- "$2" __inner' \
      lbf-sdbox-launch "$CG" "$SELF" </dev/null >>"$STATE/console.log" 2>&1 &
  echo $! > "$STATE/unshare.pid"
  # systemd = the only child of unshare
  local i p=""
  for i in $(seq 1 100); do
    p=$(cat /proc/$(cat "$STATE/unshare.pid")/task/*/children 2>/dev/null | tr -d ' ' || true)
    [ -n "$p" ] && [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && break
    p=""; sleep 0.05
  done
  [ -n "$p" ] || { echo "systemd did not start; see $STATE/console.log" >&2; cat "$STATE/console.log" >&2; return 1; }
  echo "$p" > "$STATE/pid"
  local st=""
  for i in $(seq 1 $((TIMEOUT*10))); do
    st=$(nsenter -t "$p" -a -- systemctl is-system-running 2>/dev/null || true)
    case "$st" in running|degraded) break;; esac
    [ -d /proc/$p ] || { echo "systemd died; see $STATE/console.log" >&2; return 1; }
    sleep 0.1
  done
  local t1; t1=$(date +%s.%N)
  printf 'box %s: systemd pid %s (host view), state=%s, boot %.2fs\n' "$NAME" "$p" "$st" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
  case "$st" in running|degraded) return 0;; *) return 1;; esac
}

stop() {
  local p; p=$(sd_pid || true)
  if [ -n "$p" ] && alive; then
    kill -s SIGRTMIN+4 "$p" || true
    local i; for i in $(seq 1 200); do [ -d /proc/$p ] || break; sleep 0.05; done
    if [ -d /proc/$p ]; then echo "poweroff timed out, SIGKILL $p" >&2; kill -KILL "$p" || true; sleep 0.5; fi
  fi
  local u; u=$(cat "$STATE/unshare.pid" 2>/dev/null || true)
  if [ -n "$u" ] && [ -d /proc/$u ] && grep -q unshare /proc/$u/comm 2>/dev/null; then
    local i; for i in $(seq 1 40); do [ -d /proc/$u ] || break; sleep 0.05; done
    [ -d /proc/$u ] && kill -KILL "$u" || true
  fi
  # remove the (now empty) cgroup subtree systemd created under $CG, deepest first
  if [ -d "$CG" ]; then find "$CG" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  [ -d "$CG" ] && echo "warning: $CG still present" >&2
  rm -rf "$STATE"
  echo "box $NAME stopped"
}

case "${1:-}" in
  __inner) inner ;;
  start) start ;;
  stop) stop ;;
  pid) sd_pid ;;
  bus) alive && echo "unix:path=/proc/$(sd_pid)/root/run/dbus/system_bus_socket" ;;
  status) if alive; then echo "running pid $(sd_pid)"; else echo dead; exit 1; fi ;;
  exec) shift; alive || { echo "box $NAME not running" >&2; exit 1; }
        exec nsenter -t "$(sd_pid)" -a -- "$@" ;;
  *) sed -n '6,20p' "$SELF"; exit 2 ;;
esac
