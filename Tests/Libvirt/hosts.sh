#!/usr/bin/env bash
# Two private libvirt daemons ("hosts") for qmpbook's tests, with no systemd.
#
#   Tests/Libvirt/hosts.sh start DIR   start host1 and host2 under DIR (made if missing)
#   Tests/Libvirt/hosts.sh env DIR     print their URIs as shell `export` lines
#   Tests/Libvirt/hosts.sh stop DIR    destroy every domain, stop the daemons, kill leftover QEMUs, remove DIR
#
# Each host is a libvirtd in a mount namespace of its own, where DIR/hostN/run,
# lib, cache, log and etc are bind-mounted over /run/libvirt, /var/lib/libvirt,
# /var/cache/libvirt, /var/log/libvirt and /etc/libvirt, under `tini -s` as the
# subreaper of the QEMUs it starts. It answers on
#   qemu+unix:///system?socket=DIR/hostN/run/libvirt-sock   (local: fd passing works)
#   qemu+tcp://127.0.0.1:PORT/system                          (remote: a free port, no auth)
# `stop` only signals processes it started: the daemons by their pidfiles, and
# QEMUs by their pidfiles only when they live in that host's mount namespace.
# Both `start` and `stop` are safe to call twice. Needs root, libvirt-daemon,
# libvirt-daemon-driver-qemu, libvirt-clients, tini and the libvirt-qemu user.
set -euo pipefail

HOSTS=(host1 host2)
MARKER=.qmpbook-libvirt-hosts

die() { echo "hosts.sh: $*" >&2; exit 1; }

usage() { die "usage: hosts.sh start|stop|env DIR"; }

[ $# -eq 2 ] || usage
command=$1
dir=$2
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac

unix_uri() { echo "qemu+unix:///system?socket=$dir/$1/run/libvirt-sock"; }
tcp_uri() { echo "qemu+tcp://127.0.0.1:$(cat "$dir/$1/port")/system"; }

# A pid from a pidfile, when that process is alive; nothing otherwise.
live_pid() {
    local pid
    [ -s "$1" ] || return 0
    pid=$(tr -dc 0-9 <"$1")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && echo "$pid"
    return 0
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
    local host=$1 port=$2 root=$dir/$1
    cat >"$root/etc/qemu.conf" <<EOF
# Without user = "root" every domain start re-probes KVM (seconds each).
user = "root"
group = "root"
dynamic_ownership = 0
stdio_handler = "file"
EOF
    cat >"$root/etc/libvirtd.conf" <<EOF
listen_tcp = 1
listen_tls = 0
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
}

start_host() {
    local host=$1 root=$dir/$1 port pid
    if [ -n "$(live_pid "$root/tini.pid")" ]; then
        echo "hosts.sh: $host is already running ($(unix_uri "$host"))" >&2
        return 0
    fi
    rm -rf "$root"
    mkdir -p "$root"/{run,lib,cache,log,etc}
    port=$(free_port)
    echo "$port" >"$root/port"
    write_config "$host" "$port"
    mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
    # setsid and unshare (without --fork) exec in place: $! is tini's pid.
    setsid unshare -m --propagation private sh -c '
        root=$1
        mount --bind "$root/run" /run/libvirt
        mount --bind "$root/lib" /var/lib/libvirt
        mount --bind "$root/cache" /var/cache/libvirt
        mount --bind "$root/log" /var/log/libvirt
        mount --bind "$root/etc" /etc/libvirt
        exec tini -s -- libvirtd --listen -f /etc/libvirt/libvirtd.conf -p "$root/libvirtd.pid"
    ' sh "$root" </dev/null >"$root/daemon.log" 2>&1 &
    pid=$!
    echo "$pid" >"$root/tini.pid"
    for _ in $(seq 1 300); do
        if ! [ -d "/proc/$pid" ]; then
            die "$host: libvirtd exited at start: $(tail -n 3 "$root/daemon.log" | tr '\n' ' ')"
        fi
        if [ -S "$root/run/libvirt-sock" ] && [ -s "$root/libvirtd.pid" ] &&
            virsh -q -c "$(unix_uri "$host")" version >/dev/null 2>&1; then
            readlink "/proc/$pid/ns/mnt" >"$root/mntns"
            return 0
        fi
        sleep 0.1
    done
    die "$host: libvirtd did not answer within 30 s (see $root/daemon.log)"
}

# Signals pid with TERM, waits up to 5 s, then KILLs it.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        [ -d "/proc/$pid" ] || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# QEMUs this host started, found by pidfile and kept only when they live in
# the host's own mount namespace (a stale pidfile never names a stranger).
host_qemus() {
    local root=$1 file pid
    [ -s "$root/mntns" ] || return 0
    for file in "$root"/run/qemu/*.pid; do
        [ -e "$file" ] || continue
        pid=$(live_pid "$file")
        [ -n "$pid" ] || continue
        [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$root/mntns")" ] && echo "$pid"
    done
    return 0
}

stop_host() {
    local host=$1 root=$dir/$1 tini daemon name pid
    [ -d "$root" ] || return 0
    tini=$(live_pid "$root/tini.pid")
    daemon=$(live_pid "$root/libvirtd.pid")
    if [ -n "$daemon" ]; then
        for name in $(timeout 10 virsh -q -c "$(unix_uri "$host")" list --name 2>/dev/null || true); do
            timeout 10 virsh -q -c "$(unix_uri "$host")" destroy "$name" >/dev/null 2>&1 || true
        done
    fi
    for pid in $(host_qemus "$root"); do stop_pid "$pid"; done
    [ -n "$daemon" ] && stop_pid "$daemon"
    [ -n "$tini" ] && stop_pid "$tini"
    # A QEMU the daemon started after the sweep above (or missed) goes now.
    for pid in $(host_qemus "$root"); do kill -KILL "$pid" 2>/dev/null || true; done
    return 0
}

case $command in
start)
    [ "$(id -u)" = 0 ] || die "needs root (libvirtd runs QEMU as root in its own mount namespace)"
    getent passwd libvirt-qemu >/dev/null || die "the libvirt-qemu user is missing (useradd --system --no-create-home libvirt-qemu)"
    for tool in libvirtd virsh tini unshare python3; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
    mkdir -p "$dir"
    touch "$dir/$MARKER"
    for host in "${HOSTS[@]}"; do start_host "$host"; done
    ;;
env)
    [ -e "$dir/$MARKER" ] || die "no hosts under $dir (run: hosts.sh start $dir)"
    echo "export QMPBOOK_LIBVIRT_HOSTS_DIR='$dir'"
    n=1
    for host in "${HOSTS[@]}"; do
        echo "export QMPBOOK_LIBVIRT_HOST${n}_UNIX='$(unix_uri "$host")'"
        echo "export QMPBOOK_LIBVIRT_HOST${n}_TCP='$(tcp_uri "$host")'"
        n=$((n + 1))
    done
    ;;
stop)
    [ -e "$dir/$MARKER" ] || exit 0
    for host in "${HOSTS[@]}"; do stop_host "$host"; done
    rm -rf "$dir"
    ;;
*) usage ;;
esac
