#!/usr/bin/env bash
# Builds qmpbook for a host without the Swift toolchain (Scripts/build-static.sh)
# and checks that it runs with the toolchain out of reach: no libswift*,
# libstdc++ or libgcc_s among its libraries, and `--version`, `check` and a real `run` of a playbook that
# launches QEMU work while the toolchain's folder is hidden (an empty folder
# mounted over it, in a mount namespace of this script's own; needs root).
# Usage: Tests/Install/static-install.sh [SCRATCH]   (default .build-static)
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=${1:-.build-static}

binary=$(Scripts/build-static.sh "$scratch" | tail -1)

if ldd "$binary" | grep -q 'libswift\|libFoundation\|libdispatch\|libstdc++\|libgcc_s'; then
    ldd "$binary" >&2
    echo "static-install: $binary still links the Swift runtime or the C++ runtime as shared libraries" >&2
    exit 1
fi

# The install stays small: no ICU (FoundationEssentials only), no debug information.
size=$(stat -c %s "$binary")
if [ "$size" -gt 20000000 ]; then
    echo "static-install: $binary is $size bytes, over the 20 MB the install may take (Docs/performance.md, start-up)" >&2
    exit 1
fi

toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")   # e.g. /opt/swift/usr
empty=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$empty" "$work"' EXIT
cp Playbooks/lifecycle.yaml "$work/"
unshare -m sh -ec '
    mount --bind "$1" "$2"
    [ -z "$(ls -A "$2")" ]
    "$3" --version
    "$3" check "$4/lifecycle.yaml"
    "$3" run --quiet "$4/lifecycle.yaml" --report "$4/report.json"
' static-install "$empty" "$toolchain" "$binary" "$work"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["outcome"] == "passed", r["outcome"]' "$work/report.json"
echo "static-install: $(du -h "$binary" | cut -f1) binary runs without the toolchain ($toolchain hidden)"
