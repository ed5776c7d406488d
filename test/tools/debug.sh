#!/bin/sh
# UIOMMUFD_DEBUG: each category prints its events, one line each, and
# nothing is printed when it is unset.
#   debug.sh UIOMMUFD_RUN DEBUG_CLIENT
set -eu
run=$1 client=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "debug check failed: $*"; cat "$out"; exit 1; }
UIOMMUFD_DEBUG=all "$run" --vfio-device 0000:00:04.0@7 -- "$client" 7 0000:00:04.0 >/dev/null 2>"$out" ||
	fail "debug_client"
grep -Eq '^uiommufd\[[0-9]+\] path: /dev/vfio/7 -> /.*/dev/vfio/7$' "$out" || fail "path: the group node"
grep -Eq '^uiommufd\[[0-9]+\] path: /dev/vfio/vfio: served by uiommufd as fd [0-9]+$' "$out" || fail "path: the container"
grep -Eq '^uiommufd\[[0-9]+\] fd: fd [0-9]+ is vfio-group \(index [0-9]+\)$' "$out" || fail "fd: the group"
grep -Eq '^uiommufd\[[0-9]+\] fd: fd [0-9]+ is vfio-device \(index [0-9]+\)$' "$out" || fail "fd: the device"
grep -Eq '^uiommufd\[[0-9]+\] vfio: 1 devices in 1 groups from /.*/registry$' "$out" || fail "vfio: the registry"
grep -Eq '^uiommufd\[[0-9]+\] vfio: /dev/vfio/99999: no emulated group or device of that name$' "$out" ||
	fail "vfio: a missing node"
grep -Eq '^uiommufd\[[0-9]+\] mmio: BAR0 \[0, \+0x1000\) at 0x[0-9a-f]+: trapped$' "$out" ||
	fail "mmio: BAR0 mapped"
grep -Eq '^uiommufd\[[0-9]+\] mmio: trap \[0x[0-9a-f]+, 0x[0-9a-f]+\) added: served$' "$out" ||
	fail "mmio: trap added"
grep -Eq '^uiommufd\[[0-9]+\] mmio: trap \[0x[0-9a-f]+, 0x[0-9a-f]+\) removed, 0 pieces kept$' "$out" ||
	fail "mmio: trap removed"
grep -Eq '^uiommufd\[[0-9]+\] irq: INTx 0 raised$' "$out" || fail "irq: raised"
grep -Eq '^uiommufd\[[0-9]+\] irq: trigger \(fd [0-9]+ of pid [0-9]+\) signalled$' "$out" || fail "irq: signalled"
echo "debug: $(grep -c '^uiommufd\[' "$out") lines, every category"
# Only the categories asked for.
UIOMMUFD_DEBUG=irq "$run" --vfio-device 0000:00:04.0@7 -- "$client" 7 0000:00:04.0 >/dev/null 2>"$out"
[ "$(grep -c '^uiommufd\[' "$out")" = "$(grep -c '^uiommufd\[[0-9]*\] irq: ' "$out")" ] || fail "irq alone"
# Off: nothing.
"$run" --vfio-device 0000:00:04.0@7 -- "$client" 7 0000:00:04.0 >/dev/null 2>"$out"
[ ! -s "$out" ] || fail "output with UIOMMUFD_DEBUG unset"
# UIOMMUFD_DEBUG=1 (the launcher checks the names).
UIOMMUFD_DEBUG=1 "$run" -- true 2>"$out" || fail "UIOMMUFD_DEBUG=1"
echo "debug ok"
