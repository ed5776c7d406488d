#!/bin/sh
# Builds the Debian packages libuiommufd0, libuiommufd-dev and
# uiommufd-tools with dpkg-buildpackage from a clean copy of the tracked
# files (the working tree is left as it was), checks them with lintian,
# and puts the .deb files in build-deb/.
#
#   sh scripts/deb.sh [--check]
#
# --check also unpacks the packages into a scratch root with dpkg -x, builds
# the demo and a linked program against the root's headers and pkg-config
# file, and runs them, and a VFIO client, with the root's launcher and
# libraries (nothing of the build or of this tree).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
check=0
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "usage: sh scripts/deb.sh [--check]" >&2; exit 2 ;;
esac

# What building a Debian package of it needs.
need=""
for p in debhelper dpkg-dev lintian build-essential meson ninja-build pkgconf \
	libzydis-dev linux-libc-dev; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		need="$need $p"
done
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
	echo "installing:$need"
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		$need >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The tracked files as they are in the working tree.
mkdir "$tmp/uiommufd-0.1.0"
git ls-files -z | tar --null -T - -cf - | tar -C "$tmp/uiommufd-0.1.0" -xf -
echo "== dpkg-buildpackage -us -uc -b (log: build-deb/build.log)"
mkdir -p build-deb
rm -f build-deb/*.deb
if ! (cd "$tmp/uiommufd-0.1.0" && dpkg-buildpackage -us -uc -b) >build-deb/build.log 2>&1; then
	tail -n 40 build-deb/build.log
	exit 1
fi
cp "$tmp"/*.deb build-deb/
ls build-deb/*.deb

echo "== lintian (overrides: debian/*.lintian-overrides)"
lintian --fail-on error,warning --info --display-info "$tmp"/uiommufd_*.changes

[ "$check" = 1 ] || exit 0

echo "== the packages, unpacked into a scratch root"
root=$tmp/root
for deb in build-deb/*.deb; do
	dpkg -x "$deb" "$root"
done
libdir=$(dirname "$(find "$root" -name libuiommufd.so.0)")
run=$root/usr/bin/uiommufd-run
fail() { echo "deb check failed: $*" >&2; exit 1; }
[ -x "$run" ] || fail "no uiommufd-run in the packages"

# The launcher takes the root's preload library, found beside itself.
maps=$("$run" -- cat /proc/self/maps) || fail "uiommufd-run -- cat"
echo "$maps" | grep -q " $libdir/libuiommufd-preload.so$" ||
	fail "the launcher did not preload $libdir/libuiommufd-preload.so"

# The demo, built against the root's headers, under the root's launcher.
cc -o "$tmp/demo" -I"$root/usr/include" examples/demo.c
"$run" -- "$tmp/demo" >"$tmp/out" || { cat "$tmp/out"; fail "demo"; }
grep -q "opened /dev/iommu" "$tmp/out" || fail "demo output"
echo "demo: $(wc -l <"$tmp/out") lines, exit 0"
cc -o "$tmp/type1_client" -I"$root/usr/include" examples/type1_client.c
"$run" --vfio-device 0000:00:04.0 -- "$tmp/type1_client" >"$tmp/out" ||
	{ cat "$tmp/out"; fail "type1_client"; }
grep -q "type1_client: done" "$tmp/out" || fail "type1_client output"
echo "type1_client: $(tail -n 1 "$tmp/out")"

# A program linked with the root's libuiommufd through its pkg-config file.
flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
	pkg-config --cflags --libs uiommufd) || fail "pkg-config uiommufd"
cat >"$tmp/linked.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <uiommufd/uiommufd.h>
#include <uiommufd/uapi.h>

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int fd = uiommufd_open(O_RDWR | O_CLOEXEC);

	if (fd < 0 || uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		return perror("uiommufd"), 1;
	printf("linked: IOAS %u\n", alloc.out_ioas_id);
	return uiommufd_close(fd);
}
C
# shellcheck disable=SC2086
cc -o "$tmp/linked" "$tmp/linked.c" $flags
LD_LIBRARY_PATH="$libdir" "$tmp/linked" || fail "linked program"
echo "deb check ok: $(cd build-deb && ls ./*.deb | tr '\n' ' ')"
cd "$top"
