#!/usr/bin/env bash
# Builds qmpbook's test guest: a Debian cloud kernel and an initramfs holding
# busybox, qemu-ga (with the shared libraries it needs), the virtio modules for
# disk hot-plug and virtio-serial, and Tests/Guest/init. Everything comes from
# Debian packages fetched with `apt-get download`; nothing binary is committed.
#
#   Tests/Guest/build-guest.sh            # build (or reuse) the kit, print its paths
#   eval "$(Tests/Guest/build-guest.sh)"  # GUEST_KERNEL=… GUEST_INITRD=… in this shell
#
# The kit is cached in GUEST_KIT_CACHE (default: .build-guest/ in the
# repository, ignored by git), one folder per key: the package versions plus a
# hash of this script and of init. A second call with the same key only
# prints the paths. Concurrent calls wait for each other (flock).
# Needs: apt-get, apt-cache, dpkg-deb, cpio, gzip, modinfo (kmod), ldd, flock,
# and apt's package lists (`apt-get update` once).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${GUEST_KIT_CACHE:-$repo/.build-guest}"

fail() { echo "build-guest: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio gzip modinfo ldd flock sha256sum; do
    command -v "$tool" >/dev/null || fail "needs '$tool' (apt-get install cpio kmod util-linux)"
done

# The current cloud kernel: what the metapackage depends on, else the highest
# linux-image-X.Y.Z-N-cloud-amd64 apt knows.
kernel_package="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n1)"
if [ -z "$kernel_package" ]; then
    kernel_package="$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-cloud-amd64$' \
        | cut -d' ' -f1 | sort -V | tail -n1)"
fi
[ -n "$kernel_package" ] || fail "apt knows no linux-image-*-cloud-amd64 package (run apt-get update first)"

packages=("$kernel_package" busybox-static qemu-guest-agent)
versions=""
for package in "${packages[@]}"; do
    version="$(apt-cache show --no-all-versions "$package" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)"
    [ -n "$version" ] || fail "apt knows no package '$package' (run apt-get update first)"
    versions+="$package=$version "
done
key="$( (echo "$versions"; cat "$0" "$here/init") | sha256sum | cut -c1-16)"
kit="$cache/$key"

print_paths() {
    echo "GUEST_KERNEL=$kit/vmlinuz"
    echo "GUEST_INITRD=$kit/initrd.gz"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -s "$kit/vmlinuz" ] && [ -s "$kit/initrd.gz" ]; then
    print_paths
    exit 0
fi

work="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "build-guest: downloading ${versions}" >&2
# As root, apt's download sandbox user cannot write here; root is fine for a download.
apt-get -q -o APT::Sandbox::User=root download "${packages[@]}" >&2
for deb in ./*.deb; do dpkg-deb -x "$deb" extracted; done

root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,lib/modules}
cp extracted/bin/busybox "$root/bin/busybox"
cp extracted/usr/sbin/qemu-ga "$root/sbin/qemu-ga"
cp "$here/init" "$root/init"
chmod 755 "$root/init"

# qemu-ga's shared libraries, as the host's loader resolves them.
missing="$(ldd "$root/sbin/qemu-ga" | sed -n 's/^\s*\(\S*\) => not found$/\1/p')"
[ -z "$missing" ] || fail "qemu-ga needs libraries this machine lacks: $missing (apt-get install libglib2.0-0 libpcre2-8-0 libudev1 libnuma1 liburing2)"
for library in $(ldd "$root/sbin/qemu-ga" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
done

# The virtio modules, each after what `modinfo -F depends` names.
modules_dir="$(echo extracted/lib/modules/*)"
kernel_release="$(basename "$modules_dir")"
declare -A placed=()
order=()
place() {
    local module="$1" file dependency
    [ -z "${placed[$module]:-}" ] || return 0
    file="$(find "$modules_dir/kernel" -name "$module.ko*" | head -n1)"
    [ -n "$file" ] || fail "$kernel_package has no module $module"
    case "$file" in *.ko) ;; *) fail "$module is compressed ($file); this script expects plain .ko files" ;; esac
    for dependency in $(modinfo -F depends "$file" | tr ',' ' '); do place "$dependency"; done
    cp "$file" "$root/lib/modules/$module.ko"
    placed[$module]=1
    order+=("$module.ko")
}
for module in virtio_pci virtio_blk virtio_console; do place "$module"; done
printf '%s\n' "${order[@]}" > "$root/lib/modules/order"

# qemu-ga's guest-shutdown runs /sbin/shutdown -h|-r|-H -P +0 "…"; busybox has no shutdown.
cat > "$root/sbin/shutdown" <<'EOF'
#!/bin/sh
sync
case " $* " in
    *" -r "*) exec reboot -f ;;
    *" -H "*) exec halt -f ;;
    *) exec poweroff -f ;;
esac
EOF
chmod 755 "$root/sbin/shutdown"
cat > "$root/etc/os-release" <<EOF
NAME="qmpbook test guest"
ID=qmpbook-test-guest
VERSION_ID=$kernel_release
PRETTY_NAME="qmpbook test guest (busybox, qemu-ga, Linux $kernel_release)"
EOF
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "$versions" > "$root/etc/qmpbook-guest-packages"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --quiet --null -o -H newc -R 0:0) | gzip -1 > initrd.gz
mkdir -p "$kit.new"
mv initrd.gz "$kit.new/initrd.gz"
cp "extracted/boot/vmlinuz-$kernel_release" "$kit.new/vmlinuz"
echo "$versions" > "$kit.new/packages"
rm -rf "$kit"
mv "$kit.new" "$kit"
echo "build-guest: built $kit" >&2
print_paths
