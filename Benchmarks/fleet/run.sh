#!/bin/sh
# Fleets: wall time, peak RSS and qmpbook's own CPU per member step of
# `qmpbook run --inventory` with a 20-step playbook against socket targets,
# for 1, 10 and 50 members at --parallel 1, 4 and 16.
#
# The QEMUs (small: -M none, paused, 16 MiB) are started once, before the
# runs, each with its QMP socket at WORK/qmp-m-N.sock; the inventory is a
# template, `m-*` with `count`, whose target is `connect:
# unix:WORK/qmp-${member.name}.sock`. /usr/bin/time gives wall time, peak
# RSS and user + system CPU of the qmpbook process alone (the QEMUs are not
# its children). "CPU per member step" is that CPU divided by members × 20;
# "marginal" subtracts the 1-member run of the same --parallel first, so
# the process's fixed cost (start, load, report) is left out.
#
# Usage: Benchmarks/fleet/run.sh [ROUNDS] [MEMBERS...]   (default 1 round; 1 10 50)
#        QMPBOOK=path/to/qmpbook (default: .build/release, else .build/debug)
set -eu
ROUNDS=${1:-1}
[ $# -gt 0 ] && shift
MEMBERS=${*:-1 10 50}
PARALLEL=${PARALLEL:-1 4 16}
STEPS=20
EXTRA=${EXTRA:-}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QMPBOOK=${QMPBOOK:-$ROOT/.build/release/qmpbook}
[ -x "$QMPBOOK" ] || QMPBOOK=$ROOT/.build/debug/qmpbook
WORK=$(mktemp -d /tmp/qmpbook-bench-fleet.XXXXXX)
PIDS=""
cleanup() {
    for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

most=0
for m in $MEMBERS; do [ "$m" -gt "$most" ] && most=$m; done
i=1
while [ $i -le "$most" ]; do
    qemu-system-x86_64 -M none -nodefaults -display none -S -m 16 \
        -qmp "unix:$WORK/qmp-m-$i.sock,server=on,wait=off" > /dev/null 2>&1 &
    PIDS="$PIDS $!"
    i=$((i + 1))
done
i=1
while [ $i -le "$most" ]; do
    n=0
    while [ ! -S "$WORK/qmp-m-$i.sock" ]; do
        n=$((n + 1)); [ $n -gt 200 ] && { echo "QEMU $i did not start"; exit 1; }
        sleep 0.05
    done
    i=$((i + 1))
done

{
    echo "name: fleet benchmark"
    echo "targets:"
    echo "  vm: {connect: unix:/nonexistent.qmp}"
    echo "steps:"
    s=0
    while [ $s -lt $STEPS ]; do
        case $((s % 4)) in
            0) echo "  - execute: query-status" ;;
            1) echo "  - {execute: query-name, expect: {return: {}}}" ;;
            2) echo "  - execute: query-version" ;;
            3) echo "  - {execute: qom-list, arguments: {path: /machine}}" ;;
        esac
        s=$((s + 1))
    done
} > "$WORK/book.yaml"

echo "qmpbook: $QMPBOOK; load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $STEPS steps; rounds: $ROUNDS"
printf '%-8s %-9s %9s %10s %12s %16s %14s\n' members parallel wall_s peak_rss_MB cpu_s cpu_per_step_us marginal_us
for p in $PARALLEL; do
    base_cpu=""
    for m in $MEMBERS; do
        cat > "$WORK/lab.yaml" <<INVENTORY
members:
  m-*:
    count: $m
    targets: {vm: {connect: "unix:$WORK/qmp-\${member.name}.sock"}}
INVENTORY
        best_wall=""; best_rss=""; best_cpu=""
        r=0
        while [ $r -lt "$ROUNDS" ]; do
            /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$QMPBOOK" run "$WORK/book.yaml" --inventory "$WORK/lab.yaml" \
                --parallel "$p" --report "$WORK/fleet.json" --report-dir "$WORK/reports" --quiet $EXTRA > "$WORK/out" 2>&1 \
                || { cat "$WORK/out"; echo "the fleet did not pass"; exit 1; }
            read -r wall rss user sys < "$WORK/time"
            cpu=$(echo "$user + $sys" | bc -l)
            # The best of the rounds (least disturbed by the others on the machine).
            if [ -z "$best_wall" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; fi
            if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then best_wall=$wall; fi
            if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
            r=$((r + 1))
        done
        grep -q "\"passed\" *: *$m" "$WORK/fleet.json" || { echo "not every member passed"; exit 1; }
        per_step=$(echo "$best_cpu * 1000000 / ($m * $STEPS)" | bc -l)
        if [ -z "$base_cpu" ]; then
            base_cpu=$best_cpu; base_members=$m; marginal="-"
        else
            marginal=$(printf '%.0f' "$(echo "($best_cpu - $base_cpu) * 1000000 / (($m - $base_members) * $STEPS)" | bc -l)")
        fi
        printf '%-8s %-9s %9s %10.1f %12s %16.0f %14s\n' "$m" "$p" "$best_wall" "$(echo "$best_rss / 1024" | bc -l)" \
            "$best_cpu" "$per_step" "$marginal"
    done
done
