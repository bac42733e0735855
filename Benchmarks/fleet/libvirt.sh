#!/bin/sh
# Fleets over libvirt: wall time, peak RSS and qmpbook's CPU per member step
# of the 20-step playbook of run.sh against MEMBERS libvirt domains (half on
# each of the two private hosts of Tests/Libvirt/hosts.sh, found with
# from-libvirt; host 1 over its unix socket, host 2 over TCP), at
# --parallel 1, 4 and 16. The domains (paused, 32 MiB, no disk) are made with
# virsh before the runs and destroyed after them.
#
# Usage: eval "$(Tests/Libvirt/hosts.sh env /tmp/qmpbook-hosts)"; Benchmarks/fleet/libvirt.sh [MEMBERS]   (default 50)
set -eu
MEMBERS=${1:-50}
PARALLEL=${PARALLEL:-1 4 16}
STEPS=20
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
QMPBOOK=${QMPBOOK:-$ROOT/.build/release/qmpbook}
[ -x "$QMPBOOK" ] || QMPBOOK=$ROOT/.build/debug/qmpbook
: "${QMPBOOK_LIBVIRT_HOST1_UNIX:?start the hosts: Tests/Libvirt/hosts.sh start DIR, then eval its env}"
: "${QMPBOOK_LIBVIRT_HOST2_TCP:?}"
: "${QMPBOOK_LIBVIRT_HOST2_UNIX:?}"
WORK=$(mktemp -d /tmp/qmpbook-bench-fleet-libvirt.XXXXXX)
PREFIX=qmpbook-bench-$(basename "$WORK" | tr -dc 'A-Za-z0-9' | tail -c 6 | tr 'A-Z' 'a-z')
MADE=""
cleanup() {
    for entry in $MADE; do virsh -c "${entry%%|*}" destroy "${entry#*|}" > /dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

i=1
while [ $i -le "$MEMBERS" ]; do
    if [ $((i % 2)) -eq 1 ]; then uri=$QMPBOOK_LIBVIRT_HOST1_UNIX; else uri=$QMPBOOK_LIBVIRT_HOST2_UNIX; fi
    name=$PREFIX-$i
    cat > "$WORK/$name.xml" <<XML
<domain type='qemu'><name>$name</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><controller type='usb' model='none'/><memballoon model='none'/></devices></domain>
XML
    virsh -c "$uri" create "$WORK/$name.xml" --paused > /dev/null
    MADE="$MADE $uri|$name"
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
cat > "$WORK/lab.yaml" <<INVENTORY
from-libvirt:
  - {uri: "$QMPBOOK_LIBVIRT_HOST1_UNIX", domains: {\$regex: "^$PREFIX-"}, target: vm}
  - {uri: "$QMPBOOK_LIBVIRT_HOST2_TCP", domains: {\$regex: "^$PREFIX-"}, target: vm}
INVENTORY

echo "qmpbook: $QMPBOOK; load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $MEMBERS libvirt members; $STEPS steps"
printf '%-8s %-9s %9s %10s %12s %16s\n' members parallel wall_s peak_rss_MB cpu_s cpu_per_step_us
for p in $PARALLEL; do
    /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$QMPBOOK" run "$WORK/book.yaml" --inventory "$WORK/lab.yaml" \
        --parallel "$p" --report "$WORK/fleet.json" --report-dir "$WORK/reports" --quiet ${EXTRA:-} > "$WORK/out" 2>&1 \
        || { cat "$WORK/out"; echo "the fleet did not pass"; exit 1; }
    grep -q "\"passed\" *: *$MEMBERS" "$WORK/fleet.json" || { echo "not every member passed"; exit 1; }
    read -r wall rss user sys < "$WORK/time"
    cpu=$(echo "$user + $sys" | bc -l)
    printf '%-8s %-9s %9s %10.1f %12s %16.0f\n' "$MEMBERS" "$p" "$wall" "$(echo "$rss / 1024" | bc -l)" "$cpu" \
        "$(echo "$cpu * 1000000 / ($MEMBERS * $STEPS)" | bc -l)"
done
