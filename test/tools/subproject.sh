#!/bin/sh
# uiommufd as a meson subproject of another project, as a consumer uses it:
# subprojects/uiommufd (here a symlink to this tree, no wrap file),
# dependency('uiommufd') with the fallback, find_program('uiommufd-run'),
# a test run under the launcher from meson.build, and `meson test
# --wrapper 'uiommufd-run --'` over the consumer's own tests.
#
#   subproject.sh SOURCE_ROOT CC
set -eu
src=$(cd "$1" && pwd)
cc=${2:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "subproject check failed: $*" >&2; exit 1; }

mkdir -p "$tmp/consumer/subprojects"
ln -s "$src" "$tmp/consumer/subprojects/uiommufd"
cat >"$tmp/consumer/meson.build" <<'M'
project('consumer', 'c')
uiommufd = dependency('uiommufd', fallback : 'uiommufd')
uiommufd_run = find_program('uiommufd-run')
linked = executable('linked', 'linked.c', dependencies : uiommufd)
test('linked', linked)
plain = executable('plain', 'plain.c', dependencies : uiommufd.partial_dependency(compile_args : true, includes : true))
test('plain under uiommufd-run', uiommufd_run, args : ['--', plain])
# The same test as the consumer writes it for a real /dev/iommu; run it
# with meson test --wrapper 'uiommufd-run --'.
test('plain', plain, suite : 'iommu')
M
cat >"$tmp/consumer/linked.c" <<'C'
/* Links libuiommufd: a context without the launcher. */
#include <fcntl.h>
#include <stdio.h>
#include <uiommufd/uiommufd.h>
#include <uiommufd/uapi.h>

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int fd = uiommufd_open(O_RDWR | O_CLOEXEC);

	if (fd < 0 || uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		perror("uiommufd");
		return 1;
	}
	printf("linked: IOAS %u\n", alloc.out_ioas_id);
	return uiommufd_close(fd);
}
C
cat >"$tmp/consumer/plain.c" <<'C'
/* An ordinary /dev/iommu program: the uAPI header only. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uiommufd/uapi.h>

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		perror("/dev/iommu");
		return 1;
	}
	printf("plain: IOAS %u\n", alloc.out_ioas_id);
	return close(fd);
}
C
cd "$tmp/consumer"
CC=$cc meson setup build --force-fallback-for=uiommufd >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; fail "meson setup"; }
ninja -C build >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build"; }
meson test -C build --no-suite iommu >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" build/meson-logs/testlog.txt; fail "meson test"; }
grep -Eq '^Ok: +2 *$' "$tmp/log" || { cat "$tmp/log"; fail "two tests ok"; }
run=$PWD/build/subprojects/uiommufd/tools/uiommufd-run
meson test -C build --suite iommu --wrapper "$run --" >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log" build/meson-logs/testlog.txt; fail "meson test --wrapper"; }
grep -Eq '^Ok: +1 *$' "$tmp/log" || { cat "$tmp/log"; fail "wrapped test ok"; }
grep -q 'plain: IOAS 1' build/meson-logs/testlog.txt || fail "wrapped test output"
echo "subproject ok: dependency('uiommufd') from subprojects/, find_program('uiommufd-run'), meson test --wrapper"
