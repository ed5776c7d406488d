#!/bin/sh
# Runs the real VFIO clients, unmodified, under uiommufd-run and says how
# far each gets: Debian bookworm's QEMU 7.2 (vfio-pci, by host= and by
# sysfsdev=), bookworm-backports' QEMU 10.0 (iommufd backend by host= and
# by sysfsdev=, and the legacy container) and DPDK 22.11 (dpdk-test,
# dpdk-testpmd) against an emulated device at 0000:01:00.0 in IOMMU group
# 100.
#
#   sh scripts/real-clients.sh [--record] [--only NAME,...] [BUILD_DIR]
#
# BUILD_DIR: a uiommufd build directory (default: build/, set up and built
# when missing). NAMEs: qemu-host, qemu-sysfsdev, qemu10-iommufd,
# qemu10-iommufd-sysfsdev, qemu10-host, dpdk-test, dpdk-dmadev,
# dpdk-testpmd. qemu10-iommufd is `-object iommufd,id=iommufd0 -device
# vfio-pci,host=BDF,iommufd=iommufd0` (the cdev, /dev/iommu);
# qemu10-host is QEMU 10 with the type1 container. dpdk-dmadev is
# dpdk-test running DPDK's own dmadev_autotest (copies, bursts, fills) on
# the emulated device through its ioat driver.
# Every run also loads the call logger (scripts/calltrace.c, a preload put
# in front of uiommufd's) to record the VFIO calls; --record runs each
# client a second time under strace, to see what reaches the kernel.
# docs/real-clients.md explains the results. Exit status 0 when every
# client got through, 1 when one did not, 2 on a setup error.
#
# The clients are Debian's own packages, fetched with apt-get download into
# $UIOMMUFD_CLIENTS_CACHE (default /var/cache/uiommufd-clients) and unpacked
# with dpkg -x into a private root there: nothing is installed into the
# system. A second run reuses the cache. QEMU 10 comes from
# bookworm-backports through a private apt configuration in $CACHE/apt-bpo
# (its own sources list, lists and archive cache; the system's apt is not
# touched), preferring backports versions of its dependencies, unpacked
# into $CACHE/root-bpo; it is fetched only when a qemu10 client runs. Logs and traces go to
# $UIOMMUFD_CLIENTS_OUT (default $CACHE/out). No network is used beyond apt.
# UIOMMUFD_CLIENTS_TIMEOUT: seconds a client may run (60).
# UIOMMUFD_CLIENTS_WRAP: a command put in front of each client, inside the
# launcher (for example a script that sets variables, or gdb --args).
# UIOMMUFD_CLIENTS_TRACE_MMIO=1: uiommufd's trace also shows each region
# access and each trapped load and store (--trace-mmio).
# DPDK_TEST_CMDS: what dpdk-test reads on its standard input (quit).
# UIOMMUFD_CLIENTS_MODEL: the device model QEMU's device runs (default: the
# launcher's default); UIOMMUFD_CLIENTS_DPDK_MODEL: the DPDK clients' (ioat,
# the model DPDK has a driver for).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
record=0
build=""
only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--record) record=1 ;;
	--only) only=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) build=$1 ;;
	esac
	shift
done
CACHE=${UIOMMUFD_CLIENTS_CACHE:-/var/cache/uiommufd-clients}
OUT=${UIOMMUFD_CLIENTS_OUT:-$CACHE/out}
TMO=${UIOMMUFD_CLIENTS_TIMEOUT:-60}
WRAP=${UIOMMUFD_CLIENTS_WRAP:-}
TRACE_MMIO=
[ "${UIOMMUFD_CLIENTS_TRACE_MMIO:-0}" = 1 ] && TRACE_MMIO=--trace-mmio
BDF=0000:01:00.0
GROUP=100
debs=$CACHE/debs
root=$CACHE/root
say() { printf '%s\n' "$*" >&2; }

# EAL refuses a plugin directory below a world-writable one (/tmp too).
d=$CACHE
while [ "$d" != / ] && [ -n "$d" ] && [ "$d" != . ]; do
	if [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 0 -perm -0002)" ]; then
		say "real-clients: $d is world-writable, and DPDK loads no driver from below it: set UIOMMUFD_CLIENTS_CACHE elsewhere"
		exit 2
	fi
	d=$(dirname "$d")
done
mkdir -p "$debs" "$root" "$OUT"

# ------------------------------------------------------------------
# 1. the packages: the clients, their firmware, and every runtime
#    dependency this machine does not have, resolved breadth-first
#    through apt-cache (one call per level), skipping what is installed
#    and what no binary loads (-dev, -doc, meta packages, scripts' deps).

roots="qemu-system-x86 qemu-system-data seabios ipxe-qemu dpdk-dev librte-dma-ioat23"

installed() {
	dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c "ok installed" || true
}

# resolve ROOTS [APT-CACHE OPTIONS...]: the packages to fetch.
resolve() {
	level=$1
	shift
	seen=" "
	while [ -n "$level" ]; do
		fresh=""
		for p in $level; do
			case "$seen" in *" $p "*) continue ;; esac
			seen="$seen$p "
			case "$p" in
			dpdk-dev) ;;
			*-dev|*-doc|*-dbg|librte-meta-*|python3*|perl*|*debconf*|udev|\
			lsb-base|install-info|mailcap|mime-support|hwdata|pci.ids|\
			usb.ids|pciutils|rdma-core|libc6|libgcc-s1)
				continue ;;
			esac
			[ "$(installed "$p")" = 1 ] && continue
			fresh="$fresh $p"
		done
		[ -n "$fresh" ] || break
		# shellcheck disable=SC2086
		printf '%s\n' $fresh
		# shellcheck disable=SC2086
		level=$(apt-cache "$@" depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances \
			$fresh 2>/dev/null |
			awk '$1 ~ /Depends:$/ && $2 !~ /^</ { print $2 }' | sort -u)
	done
}

if ! apt-cache policy qemu-system-x86 2>/dev/null | grep -q 'Candidate: 1:7'; then
	say "real-clients: apt-get update"
	apt-get update -qq >/dev/null
fi
if [ ! -s "$CACHE/packages.txt" ]; then
	say "real-clients: resolving packages"
	resolve "$roots" | sort -u > "$CACHE/packages.txt.new"
	mv "$CACHE/packages.txt.new" "$CACHE/packages.txt"
fi

get=""
while read -r p; do
	ls "$debs/${p}"_*.deb >/dev/null 2>&1 || get="$get $p"
done < "$CACHE/packages.txt"
if [ -n "$get" ]; then
	say "real-clients: apt-get download$(echo "$get" | wc -w | sed 's/^/ /') packages"
	# shellcheck disable=SC2086
	if ! (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $get >/dev/null); then
		say "real-clients: apt-get update, then download again"
		apt-get update -qq >/dev/null
		(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $get >/dev/null)
	fi
fi
for d in "$debs"/*.deb; do
	s="$root/.unpacked/$(basename "$d")"
	[ -e "$s" ] && continue
	dpkg -x "$d" "$root"
	mkdir -p "$root/.unpacked" && : > "$s"
done

want() { [ -z "$only" ] || case ",$only," in *",$1,"*) true ;; *) false ;; esac; }

# QEMU 10.0 from bookworm-backports, with its own apt configuration: the
# bookworm suites and backports, lists and archives under $CACHE/apt-bpo,
# backports preferred (-t), unpacked into $CACHE/root-bpo.
bpo=$CACHE/apt-bpo
root10=$CACHE/root-bpo
debs10=$CACHE/debs-bpo
roots10="qemu-system-x86 qemu-system-common qemu-system-data seabios ipxe-qemu"
if want qemu10-iommufd || want qemu10-iommufd-sysfsdev || want qemu10-host; then
	mkdir -p "$bpo/lists/partial" "$bpo/cache/archives/partial" "$bpo/parts" \
		"$debs10" "$root10"
	k=signed-by=/usr/share/keyrings/debian-archive-keyring.gpg
	cat > "$bpo/sources.list.new" <<-EOF
	deb [$k] http://deb.debian.org/debian bookworm main
	deb [$k] http://deb.debian.org/debian bookworm-updates main
	deb [$k] http://deb.debian.org/debian-security bookworm-security main
	deb [$k] http://deb.debian.org/debian bookworm-backports main
	EOF
	mv "$bpo/sources.list.new" "$bpo/sources.list"
	set -- -o Dir::Etc::sourcelist="$bpo/sources.list" \
		-o Dir::Etc::sourceparts="$bpo/parts" \
		-o Dir::State::Lists="$bpo/lists" -o Dir::Cache="$bpo/cache" \
		-t bookworm-backports
	if ! apt-cache "$@" policy qemu-system-x86 2>/dev/null | grep -q 'Candidate: 1:10'; then
		say "real-clients: apt-get update (bookworm-backports, private lists)"
		apt-get "$@" update -qq >/dev/null
	fi
	if [ ! -s "$CACHE/packages-bpo.txt" ]; then
		say "real-clients: resolving QEMU 10 packages"
		resolve "$roots10" "$@" | sort -u > "$CACHE/packages-bpo.txt.new"
		mv "$CACHE/packages-bpo.txt.new" "$CACHE/packages-bpo.txt"
	fi
	get=""
	while read -r p; do
		ls "$debs10/${p}"_*.deb >/dev/null 2>&1 || get="$get $p"
	done < "$CACHE/packages-bpo.txt"
	if [ -n "$get" ]; then
		say "real-clients: apt-get download$(echo "$get" | wc -w | sed 's/^/ /') QEMU 10 packages"
		# shellcheck disable=SC2086
		(cd "$debs10" && apt-get "$@" download -q \
			-o APT::Sandbox::User=root $get >/dev/null)
	fi
	for d in "$debs10"/*.deb; do
		s="$root10/.unpacked/$(basename "$d")"
		[ -e "$s" ] && continue
		dpkg -x "$d" "$root10"
		mkdir -p "$root10/.unpacked" && : > "$s"
	done
	set --
fi

# libdirs ROOT: the library directories of a private root, for
# LD_LIBRARY_PATH (the system's come after them).
libdirs() {
	lp=""
	for d in "$1/lib/x86_64-linux-gnu" "$1/usr/lib/x86_64-linux-gnu" \
		"$1"/usr/lib/x86_64-linux-gnu/*/ ; do
		[ -d "$d" ] || continue
		case "$d" in */dpdk/*|*/pmds-*|*/qemu/) continue ;; esac
		ls "$d"/*.so* >/dev/null 2>&1 || continue
		lp="$lp${lp:+:}${d%/}"
	done
	echo "$lp"
}
libpath=$(libdirs "$root")
libpath10=$(libdirs "$root10")
QEMU=$root/usr/bin/qemu-system-x86_64
QEMU10=$root10/usr/bin/qemu-system-x86_64
DPDK_TEST=$root/usr/bin/dpdk-test
TESTPMD=$root/usr/bin/dpdk-testpmd
# DPDK loads drivers from its plugin directory (-d DIR: every *.so and
# *.so.23.0 in it); ours holds only the ones wanted, since a whole pmds
# dir loads every driver and the libraries each needs.
pmd=$CACHE/pmds
mkdir -p "$pmd"
for l in librte_dma_ioat librte_mempool_ring; do
	ln -sfn "$root/usr/lib/x86_64-linux-gnu/$l.so.23" "$pmd/$l.so"
done

missing=$(for b in "$QEMU" "$DPDK_TEST" "$TESTPMD" "$pmd"/*.so*; do
	LD_LIBRARY_PATH=$libpath ldd "$b" 2>/dev/null | grep 'not found' || true
done | sort -u)
if [ -x "$QEMU10" ]; then
	missing="$missing$(for b in "$QEMU10" "$root10"/usr/lib/x86_64-linux-gnu/qemu/*.so; do
		[ -e "$b" ] || continue
		LD_LIBRARY_PATH=$libpath10 ldd "$b" 2>/dev/null | grep 'not found' || true
	done | sort -u)"
fi
if [ -n "$missing" ]; then
	say "real-clients: libraries still missing:"
	say "$missing"
	exit 2
fi

# ------------------------------------------------------------------
# 2. uiommufd

if [ -z "$build" ]; then
	build=$here/build
	sh "$here/scripts/deps.sh"
	[ -d "$build" ] || meson setup "$build" "$here" >/dev/null
	ninja -C "$build" >/dev/null
fi
build=$(cd "$build" && pwd)
RUN=$build/tools/uiommufd-run
LIB=$build/lib/preload/libuiommufd-preload.so
if [ ! -x "$RUN" ] || [ ! -f "$LIB" ]; then
	say "real-clients: no uiommufd-run in $build"
	exit 2
fi


# The call logger (scripts/calltrace.c), built once per source change.
CT=$CACHE/calltrace.so
if [ ! -f "$CT" ] || [ -n "$(find "$here/scripts/calltrace.c" -newer "$CT")" ]; then
	cc -O1 -g -Wall -Wextra -shared -fPIC -fvisibility=hidden \
		-o "$CT.new" "$here/scripts/calltrace.c" -ldl
	mv "$CT.new" "$CT"
fi

# ------------------------------------------------------------------
# 3. the clients

if [ "$record" = 1 ] && ! command -v strace >/dev/null 2>&1; then
	say "real-clients: --record needs strace (apt-get install strace)"
	exit 2
fi
STRACE_SET=openat,open,readlink,readlinkat,stat,newfstatat,statx,access,faccessat,faccessat2,getdents64,ioctl,mmap,pread64,pwrite64,memfd_create
QEMU_DEV=$BDF@$GROUP${UIOMMUFD_CLIENTS_MODEL:+,model=$UIOMMUFD_CLIENTS_MODEL}
DPDK_MODEL=${UIOMMUFD_CLIENTS_DPDK_MODEL:-ioat}
DPDK_DEV=$BDF@$GROUP${DPDK_MODEL:+,model=$DPDK_MODEL}
DEVSPEC=$QEMU_DEV
runlib=$libpath

# timeout puts itself and the client in a process group of its own, whose
# id is timeout's pid (kept in $OUT/.pgid). A client the launcher leaves
# behind (uiommufd-run dies of timeout's SIGTERM without passing it on, so
# the KILL that follows never comes) is killed with that group afterwards.
pgroup() {
	sh -c 'echo $$ > "$0"; exec "$@"' "$OUT/.pgid" "$@"
}
reap() {
	if [ -s "$OUT/.pgid" ]; then
		kill -9 "-$(cat "$OUT/.pgid")" 2>/dev/null || true
		rm -f "$OUT/.pgid"
	fi
}

# run NAME FEED -- PROG ARGS...: PROG under uiommufd-run with the device,
# FEED (a shell snippet) on its standard input, and the call logger in
# front of uiommufd's preload. Output in $OUT/NAME.{log,trace,calls}, and
# with --record a second run under strace in $OUT/NAME.strace.
run() {
	name=$1 feed=$2
	shift 3
	rm -f "$OUT/$name".log "$OUT/$name".trace "$OUT/$name".calls "$OUT/$name".strace
	set +e
	# shellcheck disable=SC2086 # WRAP is a command with its arguments
	sh -c "$feed" | pgroup timeout -k 5 "$TMO" "$RUN" --trace "$OUT/$name.trace" $TRACE_MMIO \
		--vfio-device "$DEVSPEC" -- \
		env LD_PRELOAD="$CT:$LIB" CALLTRACE="$OUT/$name.calls" \
		LD_LIBRARY_PATH="$runlib" $WRAP "$@" > "$OUT/$name.log" 2>&1
	echo $? > "$OUT/$name.rc"
	reap
	if [ "$record" = 1 ]; then
		# shellcheck disable=SC2086
		sh -c "$feed" | pgroup timeout -k 5 "$TMO" strace -f -qq -o "$OUT/$name.strace" \
			-e trace="$STRACE_SET" -e signal=none "$RUN" \
			--vfio-device "$DEVSPEC" -- \
			env LD_LIBRARY_PATH="$runlib" $WRAP "$@" > "$OUT/$name.strace.log" 2>&1
		reap
	fi
	set -e
	: > "$OUT/$name.trace.tmp"
	[ -f "$OUT/$name.trace" ] && cat "$OUT/$name.trace" > "$OUT/$name.trace.tmp"
	mv "$OUT/$name.trace.tmp" "$OUT/$name.trace"
	touch "$OUT/$name.calls"
}

# The last VFIO call the client made, from the call log.
last_vfio() {
	grep -E 'ioctl\(|mmap|pread|pwrite|open64\("/dev/vfio|open\("/dev/vfio' "$1" |
		tail -n 1 | sed 's/^\[[0-9]*\] //' | cut -c1-160
}

# The first failing VFIO call, if any.
first_fail() {
	grep -E '^\[[0-9]+\] ((ioctl|pwrite|mmap|open)[^ ]*\(.*= -1 [A-Z]+|(__)?pread[^ ]*\(.*(= 0$|= -1 [A-Z]+)|mmap.*MAP_FAILED)' "$1" |
		grep -v 'CHECK_EXTENSION\|/dev/sgx' | head -n 1 | sed 's/^\[[0-9]*\] //' | cut -c1-160
}

# verdict NAME STAGE: print the verdict block.
passed=0 failed=0
verdict() {
	name=$1 stage=$2
	rc=$(cat "$OUT/$name.rc")
	case "$rc" in
	124|137) stage="TIMEOUT after ${TMO} s, having reached: ${stage#PASS: }" ;;
	129|1[3-8][0-9]|19[0-2])
		stage="CRASH (signal $((rc - 128))), having reached: ${stage#PASS: }" ;;
	esac
	case "$stage" in PASS*) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
	printf '%-14s %s (exit %s)\n' "$name:" "$stage" "$(cat "$OUT/$name.rc")"
	fail=$(first_fail "$OUT/$name.calls")
	[ -n "$fail" ] && printf '  first failed call: %s\n' "$fail"
	lv=$(last_vfio "$OUT/$name.calls")
	printf '  last VFIO call:    %s\n' "${lv:-(none)}"
	printf '  output (last lines):\n'
	grep -v '^\s*$' "$OUT/$name.log" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
		grep -v 'Detected lcore\|Ask a virtual\|Virtual area\|IPC is disabled' |
		tail -n "${TAIL:-6}" | sed 's/^/    | /'
	printf '  uiommufd trace (last lines):\n'
	if [ -s "$OUT/$name.trace" ]; then
		tail -n 3 "$OUT/$name.trace" | cut -c1-200 | sed 's/^/    | /'
	else
		echo '    | (empty)'
	fi
}

qemu_stage() {
	l=$OUT/$1.log c=$OUT/$1.calls
	if grep -q 'BAR0: .* at 0x' "$l" && grep -q 'PCI device \(1b36:10f0\|8086:2021\)' "$l"; then
		bar=$(grep 'BAR0: ' "$l" | grep -v '0xc040\|0x0700' | head -n 1 | sed 's/^ *//')
		if grep -q 'VFIO_DEVICE_BIND_IOMMUFD.* = 0' "$c"; then
			ram=""
			grep -q 'IOMMU_IOAS_MAP(.*length=0x10000000, iova=0x0}) = 0' \
				"$OUT/$1.trace" && ram=", guest RAM at IOVA 0"
			att=""
			grep -q 'VFIO_DEVICE_ATTACH_IOMMUFD_PT.* = 0' "$c" && att=", attached"
			bar="$bar (cdev bound to /dev/iommu$att$ram)"
		fi
		echo "PASS: info pci shows the device, $bar"
	elif grep -q 'PCI device \(1b36:10f0\|8086:2021\)' "$l"; then
		echo "PARTIAL: info pci shows the device but no BAR assigned"
	elif grep -q "qemu-system-x86_64: -device" "$l"; then
		msg=$(grep -o "qemu-system-x86_64: -device.*" "$l" | tail -n 1 | sed "s/^qemu-system-x86_64: -device [^ ]*: //")
		if grep -q 'VFIO_DEVICE_ATTACH_IOMMUFD_PT.* = 0' "$c"; then
			if grep -q 'VFIO_DEVICE_GET_INFO.* = 0' "$c"; then at="after ATTACH (device realize)"
			else at="after ATTACH (guest RAM mapping, IOVA ranges)"; fi
		elif grep -q 'VFIO_DEVICE_BIND_IOMMUFD.* = 0' "$c"; then at="at HWPT_ALLOC or ATTACH"
		elif grep -q 'open[a-z0-9]*("/dev/vfio/devices/vfio[0-9]*", [0-7]*) = [0-9]' "$c"; then at="at BIND (the cdev is open)"
		elif grep -q 'vfio-dev' "$c"; then at="at the cdev (vfio-dev/vfioX, /dev/vfio/devices)"
		elif grep -q 'VFIO_DEVICE_GET_INFO.* = 0' "$c"; then at="after GET_DEVICE_FD (device realize)"
		elif grep -q 'VFIO_IOMMU_MAP_DMA.* = 0' "$c"; then at="at GET_DEVICE_FD (container set up, guest RAM mapped)"
		elif grep -q 'VFIO_GROUP_GET_STATUS.* = 0' "$c"; then at="at the container"
		elif grep -q 'iommu_group") = "' "$c"; then at="at the group"
		else at="at sysfs"; fi
		echo "FAIL $at: $msg"
	else
		echo "FAIL: no info pci output"
	fi
}

# dmadev_autotest's verdict: its "Test OK", and what it ran.
dmadev_stage() {
	l=$OUT/$1.log
	if grep -q '^Test OK' "$l" && grep -q 'Running copy Tests' "$l"; then
		# Each test prints running totals; its last one is its count.
		tests=$(grep -o 'Running [a-z ]* Tests\|Ops completed: [0-9]*' "$l" | awk '
			/^Running/ { if (t != "") { printf "%s%s %s", sep, t, n; sep = ", " }
				     t = $2 (NF > 3 ? " " $3 : ""); n = 0; next }
			{ n = $3 }
			END { if (t != "") printf "%s%s %s", sep, t, n }')
		echo "PASS: dmadev_autotest Test OK (descriptors completed: $tests; 0 errors)"
	elif grep -q 'Test Failed' "$l"; then
		echo "FAIL: dmadev_autotest: $(grep -iE 'error|fail' "$l" | head -n 2 | tr '\n' ' ')"
	else
		echo "FAIL before the test: $(dpdk_stage "$1")"
	fi
}

dpdk_stage() {
	l=$OUT/$1.log c=$OUT/$1.calls
	listed=0 vfio=0
	grep -Eq 'readdir(64)? -> '"$BDF" "$c" && listed=1
	grep -q 'VFIO support initialized' "$l" && vfio=1
	if grep -q 'Init 0000:01:00.0' "$l" && ! grep -q 'cannot reset device\|cannot be used' "$l"; then
		echo "PASS: the ioat dmadev driver probed 0000:01:00.0"
	elif grep -q 'EAL: FATAL' "$l"; then
		echo "FAIL at EAL init: $(grep -B1 'EAL: FATAL' "$l" | head -n 2 | tr '\n' ' ')"
	elif grep -q 'probe driver: ' "$l"; then
		err=$(grep -E 'cannot|Cannot|Error|failed|Fail|not found' "$l" |
			grep -v 'mem event callbacks\|HPET' | head -n 2 | tr '\n' ' ')
		echo "FAIL in the $(grep -o 'probe driver: [^ ]* [^ ]*' "$l" | head -n 1 | sed 's/probe driver: //') probe: $err"
	elif [ $listed = 0 ] && [ $vfio = 0 ]; then
		echo "FAIL at the PCI scan and VFIO detection: readdir(/sys/bus/pci/devices) does not list $BDF; stat(/sys/module/vfio) ENOENT, VFIO support skipped"
	elif [ $listed = 0 ]; then
		echo "FAIL at the PCI scan: readdir(/sys/bus/pci/devices) does not list $BDF"
	elif grep -q "$BDF/[a-z_]*\", \"r\") = NULL" "$c"; then
		echo "FAIL at the PCI scan: $(grep -o "$BDF/[a-z_]*\", \"r\") = NULL" "$c" | head -n 1 | sed 's/", "r") = NULL//') missing"
	elif [ $vfio = 0 ]; then
		echo "FAIL at VFIO detection: stat(/sys/module/vfio) ENOENT, VFIO support skipped"
	elif grep -Eq 'stat(64)?\("/sys/module/vfio_pci"\) = -1' "$c"; then
		echo "FAIL before mapping: stat(/sys/module/vfio_pci) ENOENT"
	else
		echo "FAIL after the PCI scan: no driver matched $BDF"
	fi
}

QEMU_ARGS="-accel tcg -machine q35 -m 256 -nodefaults -display none -serial none
 -L $root/usr/share/qemu -L $root/usr/share/seabios -L $root/usr/lib/ipxe/qemu -monitor stdio"
QEMU_FEED='sleep 4; echo "info pci"; sleep 1; echo quit; sleep 2'
EAL_ARGS="--no-huge -m 256 --iova-mode=va --no-shconf --no-telemetry -a $BDF -d $pmd
 --log-level=eal,8 --log-level=pci,8 --log-level=pmd.dma.ioat,8"
DPDK_FEED=${DPDK_TEST_CMDS:-quit}

echo "real-clients: uiommufd from $build, device $BDF in group $GROUP;" \
	"logs in $OUT"
# shellcheck disable=SC2086
if want qemu-host; then
	run qemu-host "$QEMU_FEED" -- "$QEMU" $QEMU_ARGS -device vfio-pci,host=$BDF
	verdict qemu-host "$(qemu_stage qemu-host)"
fi
# shellcheck disable=SC2086
if want qemu-sysfsdev; then
	run qemu-sysfsdev "$QEMU_FEED" -- "$QEMU" $QEMU_ARGS \
		-device vfio-pci,sysfsdev=/sys/bus/pci/devices/$BDF
	verdict qemu-sysfsdev "$(qemu_stage qemu-sysfsdev)"
fi
QEMU10_ARGS="-accel tcg -machine q35 -m 256 -nodefaults -display none -serial none
 -L $root10/usr/share/qemu -L $root10/usr/share/seabios -L $root10/usr/lib/ipxe/qemu -monitor stdio"
runlib=$libpath10
export QEMU_MODULE_DIR="$root10/usr/lib/x86_64-linux-gnu/qemu"
# shellcheck disable=SC2086
if want qemu10-iommufd; then
	run qemu10-iommufd "$QEMU_FEED" -- "$QEMU10" $QEMU10_ARGS \
		-object iommufd,id=iommufd0 -device vfio-pci,host=$BDF,iommufd=iommufd0
	verdict qemu10-iommufd "$(qemu_stage qemu10-iommufd)"
fi
# shellcheck disable=SC2086
if want qemu10-iommufd-sysfsdev; then
	run qemu10-iommufd-sysfsdev "$QEMU_FEED" -- "$QEMU10" $QEMU10_ARGS \
		-object iommufd,id=iommufd0 \
		-device vfio-pci,sysfsdev=/sys/bus/pci/devices/$BDF,iommufd=iommufd0
	verdict qemu10-iommufd-sysfsdev "$(qemu_stage qemu10-iommufd-sysfsdev)"
fi
# shellcheck disable=SC2086
if want qemu10-host; then
	run qemu10-host "$QEMU_FEED" -- "$QEMU10" $QEMU10_ARGS -device vfio-pci,host=$BDF
	verdict qemu10-host "$(qemu_stage qemu10-host)"
fi
unset QEMU_MODULE_DIR
runlib=$libpath
# shellcheck disable=SC2086
DEVSPEC=$DPDK_DEV
if want dpdk-test; then
	run dpdk-test "printf '%s\n' '$DPDK_FEED'" -- "$DPDK_TEST" $EAL_ARGS
	verdict dpdk-test "$(dpdk_stage dpdk-test)"
fi
# shellcheck disable=SC2086
if want dpdk-dmadev; then
	run dpdk-dmadev "printf '%s\n' dmadev_autotest quit" -- "$DPDK_TEST" $EAL_ARGS
	verdict dpdk-dmadev "$(dmadev_stage dpdk-dmadev)"
fi
# shellcheck disable=SC2086
if want dpdk-testpmd; then
	run dpdk-testpmd "echo quit" -- "$TESTPMD" $EAL_ARGS -- -i --total-num-mbufs=2048
	verdict dpdk-testpmd "$(dpdk_stage dpdk-testpmd)"
fi
echo "real-clients: $passed of $((passed + failed)) clients through"
[ "$failed" = 0 ]
