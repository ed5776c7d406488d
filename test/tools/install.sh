#!/bin/sh
# Installed as a user gets it: configure uiommufd in a scratch build dir
# (prefix /usr), install it into a DESTDIR, delete the build dir, build a
# program with `pkg-config --cflags --libs uiommufd` against the installed
# headers and library, and run it under the installed launcher, which must
# find the installed preload library beside itself. Then move the whole
# installed tree and run it again.
#
#   install.sh SOURCE_ROOT CC
set -eu
src=$1
cc=${2:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install check failed: $*" >&2; exit 1; }

CC=$cc meson setup "$tmp/build" "$src" --prefix=/usr -Dtests=false >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "meson setup"; }
ninja -C "$tmp/build" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build"; }
meson install -C "$tmp/build" --destdir "$tmp/root" >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "meson install"; }
rm -rf "$tmp/build"

pc=$(find "$tmp/root" -name uiommufd.pc)
[ -n "$pc" ] || fail "no uiommufd.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in usr/bin/uiommufd-run usr/include/uiommufd/uiommufd.h \
	usr/include/uiommufd/uapi.h usr/include/uiommufd/model.h \
	usr/share/man/man1/uiommufd-run.1 usr/share/man/man3/uiommufd.3 \
	usr/share/man/man3/uiommufd-model.3; do
	[ -e "$tmp/root/$f" ] || fail "$f not installed"
done
for f in libuiommufd.so libuiommufd.so.0 libuiommufd-preload.so; do
	[ -e "$libdir/$f" ] || fail "$f not installed in $libdir"
done

# pkg-config of a DESTDIR: the .pc says /usr; the sysroot maps it.
export PKG_CONFIG_PATH="$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
flags=$(pkg-config --cflags --libs uiommufd) || fail "pkg-config uiommufd"
run=$(pkg-config --variable=uiommufd_run uiommufd)
[ "$run" = "$tmp/root/usr/bin/uiommufd-run" ] || fail "uiommufd_run variable: $run"
echo "pkg-config --cflags --libs uiommufd: $flags"

cat >"$tmp/prog.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <uiommufd/uiommufd.h>
#include <uiommufd/uapi.h>

/* argv[1]: the preload library this process must have mapped. */
int main(int argc, char **argv)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;

	while (argc > 1 && maps && fgets(line, sizeof(line), maps))
		if (strstr(line, argv[1]))
			found = 1;
	if (!found) {
		fprintf(stderr, "%s is not mapped\n", argc > 1 ? argv[1] : "?");
		return 1;
	}

	if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		perror("/dev/iommu");
		return 1;
	}
	printf("context %d, IOAS %u\n", uiommufd_is_context_fd(fd), alloc.out_ioas_id);
	return 0;
}
C
# shellcheck disable=SC2086
$cc -o "$tmp/prog" "$tmp/prog.c" $flags || fail "building against the installed library"

out=$(LD_LIBRARY_PATH="$libdir" "$run" -- "$tmp/prog" "$libdir/libuiommufd-preload.so") || fail "under the installed launcher: $out"
[ "$out" = "context 1, IOAS 1" ] || fail "output: $out"
echo "installed launcher: $out"

# A moved install still finds its own preload library.
mv "$tmp/root" "$tmp/moved"
moved="$tmp/moved${libdir#"$tmp/root"}"
out=$(LD_LIBRARY_PATH="$moved" "$tmp/moved/usr/bin/uiommufd-run" -- "$tmp/prog" \
	"$moved/libuiommufd-preload.so") || fail "moved install: $out"
[ "$out" = "context 1, IOAS 1" ] || fail "moved install output: $out"
echo "moved install: $out"
echo "install ok"
