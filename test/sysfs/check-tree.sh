#!/bin/sh
# The emulated tree as programs see it: ls, ls -lR, find, tree and Python's
# os.scandir on every served directory under uiommufd-run, each exiting 0
# with nothing on standard error; the expected entries (emulated ones
# present, a hidden host device gone, host devices still there) and every
# file of an emulated device with its content.
#   check-tree.sh UIOMMUFD_RUN
set -eu

if [ "${1:-}" != --inside ]; then
	run=$1
	# Emulate, if the host has PCI devices, one at the first host address
	# (hiding that host device), and one on a bus of its own; both in
	# group 7, as two functions of one IOMMU group can be.
	hidden=
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d" ] || continue
		hidden=$(basename "$d")
		break
	done
	first=${hidden:-0000:00:04.0}
	second=0000:3a:00.1
	# bash if there is one: dash under an ASan build of the preload gets
	# a stack-use-after-scope report inside lib/kernel/file.c's fd probe
	# (close in a command substitution), which is not this test's subject.
	inner=$(command -v bash || echo sh)
	exec "$run" --vfio-device "$first@7" --vfio-device "$second@7" \
		-- "$inner" "$0" --inside "$first" "$second" "$hidden"
fi
first=$2 second=$3 hidden=$4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fails=0
fail() { echo "check-tree: FAIL: $*"; fails=$((fails + 1)); }

# Run a tool; it must succeed and write nothing on standard error.
tool() {
	name=$1; shift
	if ! "$@" >"$out/stdout" 2>"$out/stderr"; then
		fail "$name: exit status $? ($*)"
		sed 's/^/  /' "$out/stderr"
	elif [ -s "$out/stderr" ]; then
		fail "$name wrote to standard error ($*)"
		sed 's/^/  /' "$out/stderr"
	fi
}

# os.scandir of every directory in one Python: "DIR NAME TYPE" lines.
scandir='
import os, sys
for d in sys.argv[1:]:
    for e in sorted(os.scandir(d), key=lambda e: e.name):
        t = "d" if e.is_dir(follow_symlinks=False) else "l" if e.is_symlink() else "f"
        e.stat(follow_symlinks=False)
        print(d, e.name, t)
'

dev1=/sys/bus/pci/devices/$first
dirs="/dev/vfio /dev/vfio/devices /sys/bus/pci/devices /sys/bus/pci/drivers
/sys/bus/pci/drivers/vfio-pci /sys/kernel/iommu_groups
/sys/kernel/iommu_groups/7/devices /sys/class/vfio-dev
/sys/module/vfio/parameters /sys/module/vfio_pci/parameters
/sys/module/vfio_iommu_type1/parameters /sys/module/iommufd/parameters
/sys/kernel/debug/failslab /sys/kernel/debug/fail_page_alloc
$dev1 $dev1/ /sys/devices/pci0000:3a/$second"

tool "os.scandir" python3 -c "$scandir" $dirs
cp "$out/stdout" "$out/scandir"
for d in $dirs; do
	tool "ls $d" ls "$d"
	sort "$out/stdout" >"$out/ls"
	tool "ls -l $d" ls -l "$d"
	tool "ls -lR $d" ls -lR "$d"
	tool "find $d" find "$d"
	tool "tree $d" tree "$d"
	# ls and os.scandir agree on the names.
	grep "^$d " "$out/scandir" | cut -d' ' -f2 | sort >"$out/names-scandir"
	cmp -s "$out/names-scandir" "$out/ls" || fail "ls and os.scandir differ on $d"
done

# Types as the host has them: drivers are directories, devices symlinks.
grep "^/sys/bus/pci/drivers " "$out/scandir" | grep -v ' d$' >"$out/bad" || true
if [ -s "$out/bad" ]; then fail "os.scandir: not directories in /sys/bus/pci/drivers: $(cat "$out/bad")"; fi
grep "^/sys/bus/pci/devices " "$out/scandir" | grep -v ' l$' >"$out/bad" || true
if [ -s "$out/bad" ]; then fail "os.scandir: not symlinks in /sys/bus/pci/devices: $(cat "$out/bad")"; fi

# Names in a listing.
has() {
	dir=$1; shift
	ls -a "$dir" >"$out/names" 2>/dev/null || { fail "cannot list $dir"; return; }
	for n in "$@"; do
		grep -qx -- "$n" "$out/names" || fail "$dir lacks $n"
	done
}
lacks() {
	dir=$1; shift
	ls -a "$dir" >"$out/names" 2>/dev/null || return 0
	for n in "$@"; do
		if grep -qx -- "$n" "$out/names"; then fail "$dir has $n"; fi
	done
}

has /dev/vfio 7 vfio devices
has /dev/vfio/devices vfio0 vfio1
has /sys/bus/pci/devices "$first" "$second"
has /sys/bus/pci/drivers vfio-pci
has /sys/bus/pci/drivers/vfio-pci "$first" "$second" bind unbind new_id remove_id uevent module
has /sys/kernel/iommu_groups 7
has /sys/kernel/iommu_groups/7 devices reserved_regions type
has /sys/kernel/iommu_groups/7/devices "$first" "$second"
has /sys/class/vfio-dev vfio0 vfio1
has /sys/module vfio vfio_pci vfio_pci_core vfio_iommu_type1 iommufd
has /sys/module/vfio/parameters enable_unsafe_noiommu_mode
has /sys/module/vfio_iommu_type1/parameters allow_unsafe_interrupts disable_hugepages dma_entry_limit
has /sys/module/vfio_pci/parameters nointxmask disable_vga disable_idle_d3 enable_sriov disable_denylist
has /sys/kernel/debug/failslab probability interval times space verbose task-filter ignore-gfp-wait cache-filter
has /sys/kernel/debug/fail_page_alloc probability ignore-gfp-wait ignore-gfp-highmem min-order
has /sys/class/misc vfio iommu
lacks /dev/vfio 8
# The host: its other PCI devices are still listed; the hidden one is ours.
if [ -n "$hidden" ]; then
	n=$(ls /sys/bus/pci/devices | grep -cx -- "$hidden" || true)
	[ "$n" = 1 ] || fail "$hidden listed $n times"
	for drv in /sys/bus/pci/drivers/*; do
		[ "$(basename "$drv")" = vfio-pci ] && continue
		if [ -e "$drv/$hidden" ]; then fail "host driver $drv still lists $hidden"; fi
	done
	# Every host device but the hidden one is there, as the host has it.
	for d in $(ls /sys/devices/pci0000:00 2>/dev/null); do
		case $d in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*) ;; *) continue ;; esac
		[ "$d" = "$hidden" ] && continue
		[ -L "/sys/bus/pci/devices/$d" ] || continue
		has /sys/bus/pci/devices "$d"
		[ -d "/sys/bus/pci/devices/$d/" ] || fail "host device $d is not a directory"
	done
fi
[ -d /sys/devices/system/cpu ] || fail "/sys/devices/system/cpu gone"

# File contents of an emulated device, as pci-sysfs.c prints them, and
# as its config space says.
val() {
	got=$(cat "$1" 2>&1) || { fail "cat $1: $got"; return; }
	[ "$got" = "$2" ] || fail "$1: '$got', want '$2'"
}
cfg() { # cfg DEV OFFSET SIZE: a little-endian field of config space, hex
	od -An -tx"$3" -j"$2" -N"$3" "$1/config" | tr -d ' '
}
i=0
for d in "$dev1" "/sys/bus/pci/devices/$second"; do
	vendor=$(cfg "$d" 0 2) device=$(cfg "$d" 2 2)
	svendor=$(cfg "$d" 44 2) sdevice=$(cfg "$d" 46 2)
	class=$(printf %06x $((0x$(cfg "$d" 8 4) >> 8)))
	rev=$(cfg "$d" 8 1) pin=$((0x$(cfg "$d" 61 1)))
	bar0=$((0x$(cfg "$d" 16 4)))
	val "$d/vendor" "0x$vendor"
	val "$d/device" "0x$device"
	val "$d/subsystem_vendor" "0x$svendor"
	val "$d/subsystem_device" "0x$sdevice"
	val "$d/class" "0x$class"
	val "$d/revision" "0x$rev"
	up() { echo "$1" | tr a-f A-F; }
	V=$(up $vendor) D=$(up $device) SV=$(up $svendor) SD=$(up $sdevice) C=$(up $class)
	alias=pci:v0000${V}d0000${D}sv0000${SV}sd0000${SD}bc$(echo $C | cut -c1-2)sc$(echo $C | cut -c3-4)i$(echo $C | cut -c5-6)
	val "$d/modalias" "$alias"
	val "$d/uevent" "$(printf 'DRIVER=vfio-pci\nPCI_CLASS=%X\nPCI_ID=%s:%s\nPCI_SUBSYS_ID=%s:%s\nPCI_SLOT_NAME=%s\nMODALIAS=%s' \
		0x$class $V $D $SV $SD "$(basename "$d")" "$alias")"
	irq=$(cat "$d/irq")
	if [ $pin = 0 ]; then
		[ "$irq" = 0 ] || fail "$d/irq: $irq without an interrupt pin"
	elif [ "$irq" -lt 16 ] || [ "$irq" -gt 23 ]; then
		fail "$d/irq: $irq, not an IOAPIC PCI GSI"
	fi
	val "$d/numa_node" -1
	val "$d/enable" 0
	val "$d/dma_mask_bits" 32
	val "$d/consistent_dma_mask_bits" 32
	val "$d/driver_override" vfio-pci
	val "$d/msi_bus" 1
	val "$d/local_cpulist" "$(cat /sys/devices/system/cpu/online)"
	val "$d/iommu/intel-iommu/cap" 8d2078c106f0466
	val "$d/iommu_group/type" DMA-FQ
	val "$d/iommu_group/reserved_regions" "0x00000000fee00000 0x00000000feefffff msi"
	[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] || fail "$d/driver"
	[ "$(basename "$(readlink "$d/iommu_group")")" = 7 ] || fail "$d/iommu_group"
	[ "$(realpath "$d/subsystem")" = /sys/bus/pci ] || fail "$d/subsystem: $(realpath "$d/subsystem")"
	# resource: BAR0 where config space has it, 13 lines (PCI_IOV).
	[ "$(wc -l <"$d/resource")" = 13 ] || fail "$d/resource: not 13 lines"
	size=$(stat -c %s "$d/resource0")
	low=$((bar0 & 15))
	if [ $((low & 1)) = 1 ]; then flags=0x40101; start=$((bar0 & ~3))
	else
		flags=$((0x40200 | ((low & 6) == 4 ? 0x100004 : 0) | (low & 8 ? 0x2008 : 0)))
		start=$((bar0 & ~15 | ((low & 6) == 4 ? 0x$(cfg "$d" 20 4) << 32 : 0)))
	fi
	line=$(printf '0x%016x 0x%016x 0x%016x' $start $((start + size - 1)) $flags)
	[ "$(head -1 "$d/resource")" = "$line" ] || fail "$d/resource: '$(head -1 "$d/resource")', want '$line'"
	[ "$(sed -n 8,13p "$d/resource" | sort -u)" = "0x0000000000000000 0x0000000000000000 0x0000000000000000" ] ||
		fail "$d/resource: SR-IOV lines not zero"
	csize=$(stat -c %s "$d/config")
	[ "$csize" = 256 ] || [ "$csize" = 4096 ] || fail "$d/config size $csize"
	[ "$(stat -c %s "$d/vendor")" = 4096 ] || fail "$d/vendor: stat size not sysfs's 4096"
	[ "$(stat -c %U "$d/vendor")" = root ] || fail "$d/vendor: not root's"
	[ "$(readlink -f "$d/vfio-dev/vfio$i/device")" = "$(readlink -f "$d")" ] ||
		fail "$d/vfio-dev/vfio$i/device: $(readlink -f "$d/vfio-dev/vfio$i/device")"
	val "$d/vfio-dev/vfio$i/dev" "238:$i"
	i=$((i + 1))
done
val "$dev1/vfio-dev/vfio0/dev" 238:0
val /sys/class/vfio-dev/vfio1/dev 238:1
[ "$(realpath /sys/class/vfio-dev/vfio1/device)" = "$(realpath "/sys/bus/pci/devices/$second")" ] ||
	fail "vfio-dev/vfio1/device: $(realpath /sys/class/vfio-dev/vfio1/device)"
[ "$(realpath "$dev1")" = "/sys/devices/pci${first%:*.*}/$first" ] || fail "realpath $dev1: $(realpath "$dev1")"
val /sys/module/vfio/parameters/enable_unsafe_noiommu_mode N
val /sys/module/vfio_iommu_type1/parameters/dma_entry_limit 65535
val /sys/module/vfio/initstate live
val /sys/kernel/debug/failslab/ignore-gfp-wait Y
# Knobs take writes, as debugfs's do.
echo N >/sys/kernel/debug/failslab/ignore-gfp-wait || fail "write failslab/ignore-gfp-wait"
val /sys/kernel/debug/failslab/ignore-gfp-wait N
[ "$(stat -c %F /dev/vfio/7)" = "character special file" ] || fail "/dev/vfio/7 is not a character device"
[ "$(stat -c %t:%T /dev/vfio/devices/vfio1)" = ee:1 ] || fail "/dev/vfio/devices/vfio1 is not 238:1"
[ "$(ls -l /dev/vfio | grep -c '^c')" = 2 ] || fail "ls -l /dev/vfio: not two character devices"
[ "$(find /dev/vfio -type c | wc -l)" = 4 ] || fail "find /dev/vfio -type c: not four"
[ "$(stat -f -c %T "$dev1/vendor")" = sysfs ] || fail "statfs $dev1/vendor is $(stat -f -c %T "$dev1/vendor")"

# Shell globs and a cwd inside the tree.
set -- /sys/bus/pci/devices/*/vfio-dev
[ $# = 2 ] || fail "glob */vfio-dev: $*"
(cd /sys/bus/pci/devices && ls >/dev/null && [ "$(pwd -P)" = /sys/bus/pci/devices ] &&
	cd "$first" && [ "$(pwd -P)" = "/sys/devices/pci${first%:*.*}/$first" ] &&
	[ "$(cat vendor)" = 0x1b36 ] && [ "$(ls vfio-dev)" = vfio0 ]) ||
	fail "cd into the tree"
python3 -c '
import glob, os, sys
first = sys.argv[1]
os.chdir("/sys/bus/pci/devices/" + first)
assert os.getcwd() == os.path.realpath("/sys/bus/pci/devices/" + first), os.getcwd()
assert open("vendor").read() == "0x1b36\n"
assert sorted(os.listdir("vfio-dev")) == ["vfio0"]
assert os.path.realpath("driver") == "/sys/bus/pci/drivers/vfio-pci", os.path.realpath("driver")
assert len(glob.glob("/sys/kernel/iommu_groups/*/devices/*")) >= 2
fd = os.open("/sys/bus/pci", os.O_RDONLY | os.O_DIRECTORY)
assert first in os.listdir(os.open("devices", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd))
assert os.readlink("devices/" + first, dir_fd=fd).startswith("../../../devices/pci")
' "$first" || fail "python: paths, chdir, dir_fd"

if [ "$fails" != 0 ]; then
	echo "check-tree: $fails failures"
	exit 1
fi
echo "check-tree: ok ($(echo $dirs | wc -w) directories, each with ls, ls -l, ls -lR, find, tree and os.scandir)"
