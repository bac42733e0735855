#!/usr/bin/env bash
# Builds the qmpbook to copy to hosts without the Swift toolchain, and
# prints its path. Linked in: the Swift runtime (--static-swift-stdlib),
# libstdc++ and libgcc (the runtime is C++). Left out: debug information.
# Relative relocations are packed (DT_RELR, with the toolchain's lld), the
# binary stays position-independent, and has no $ORIGIN run path (nothing
# beside it to load: the loader would look there first for every library).
# The functions start-up and a short command run are laid out together, in
# the order Scripts/startup-order.txt gives (made by Scripts/startup-order.sh),
# so they take few pages. See Docs/performance.md, "Start-up".
#
#     Scripts/build-static.sh [--symbols] [SCRATCH]      (default .build-static)
#
# --symbols keeps the symbol table (for profiling; the install leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
strip=(-Xlinker -s)
if [ "${1:-}" = "--symbols" ]; then
    strip=()
    shift
fi
scratch=${1:-.build-static}

# --static-swift-stdlib still links libstdc++ as a shared library: the
# toolchain's static-stdlib-args.lnk says -lstdc++. A folder searched
# first, whose libstdc++.so is a linker script naming the archive, makes
# that -lstdc++ the static one.
clang="$(dirname "$(readlink -f "$(command -v swiftc)")")/clang"
archive=$("$clang" -print-file-name=libstdc++.a)
if [ ! -f "$archive" ]; then
    echo "build-static: no libstdc++.a (Debian: libstdc++-12-dev)" >&2
    exit 1
fi
mkdir -p "$scratch/static-libstdc++"
cxx=$(cd "$scratch/static-libstdc++" && pwd)
echo "INPUT($archive)" > "$cxx/libstdc++.so"

flags=(-c release --static-swift-stdlib --disable-local-rpath --product qmpbook --scratch-path "$scratch"
       -Xswiftc -L"$cxx" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc
       -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs "${strip[@]}")
if [ -f Scripts/startup-order.txt ]; then
    flags+=(-Xlinker --symbol-ordering-file="$PWD/Scripts/startup-order.txt" -Xlinker --no-warn-symbol-ordering)
fi
# The build does not know the order file is an input: linking anew each
# time makes it take the current one.
binary="$(swift build "${flags[@]}" --show-bin-path)/qmpbook"
rm -f "$binary"
swift build "${flags[@]}" >&2
echo "$binary"
