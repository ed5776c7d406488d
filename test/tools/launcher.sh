#!/bin/sh
# uiommufd-run: each usage mistake gives one line naming the option and
# exit status 2; the run directory is gone after a normal exit, after the
# program is SIGKILLed, after the launcher is SIGTERMed and after it is
# SIGKILLed (its janitor, of its own session and holding no terminal,
# removes it and exits); a child that Python starts with close_fds=True
# still has the devices.
#   launcher.sh UIOMMUFD_RUN
set -u
run=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "launcher: FAIL: $*"; fails=$((fails + 1)); }

# usage ERROR-PATTERN ARGS...: exit 2, nothing on stdout, one line on stderr.
usage() {
	pat=$1; shift
	"$run" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] || fail "uiommufd-run $*: exit $rc, want 2"
	[ -s "$tmp/out" ] && fail "uiommufd-run $*: wrote to stdout"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "uiommufd-run $*: $(wc -l <"$tmp/err") lines on stderr"
	grep -q "^uiommufd-run: .*$pat" "$tmp/err" || fail "uiommufd-run $*: '$(cat "$tmp/err")' lacks '$pat'"
}

V=--vfio-device
usage "0000:00:04: .0000:00:04. is not a PCI address" $V 0000:00:04 -- true
usage "is not a PCI address.*device 00-1f" $V 0000:00:20.0 -- true
usage "is not a PCI address" $V 0000:00:04.8 -- true
usage "is not a PCI address" $V 10000:00:04.0 -- true
usage "is not a PCI address" $V 0000:100:04.0 -- true
usage "is not a PCI address" $V 00:04.0 -- true
usage "is not a PCI address" $V 0000:0g:04.0 -- true
usage "is not a PCI address" $V " 0000:00:04.0" -- true
usage "IOMMU group 'x' is not a decimal number" $V 0000:00:04.0@x -- true
usage "IOMMU group '' is not a decimal number" $V 0000:00:04.0@ -- true
usage "IOMMU group '-1' is not" $V 0000:00:04.0@-1 -- true
usage "IOMMU group '2147483648' is not a decimal number from 0 to 2147483647" $V 0000:00:04.0@2147483648 -- true
usage "0000:00:0a.0 is given twice" $V 0000:00:0a.0@1 $V 0000:00:0A.0@2 -- true
usage "unknown option 'foo=1': the only option is model=NAME" $V 0000:00:04.0,foo=1 -- true
usage "model= needs a name" $V 0000:00:04.0@3,model= -- true
usage "model /nonexistent/m.so: No such file" $V 0000:00:04.0,model=/nonexistent/m.so -- true
usage "model ./m: No such file" $V 0000:00:04.0,model=./m -- true
usage "no built-in model \"nosuch\".*built-in models: " $V 0000:00:04.0,model=nosuch -- true
set --
for i in 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f; do
	set -- "$@" $V 0000:00:$i.0
done
set -- "$@" $V 0000:01:00.0
usage "at most 32 emulated devices" "$@" -- true
usage "--trace /nonexistent/dir/t: No such file or directory; give a writable file" --trace /nonexistent/dir/t -- true
usage "--dump /nonexistent/d: No such file" --dump /nonexistent/d -- true
usage "--dump-after 'x': want a positive decimal" --dump "$tmp/d" --dump-after x -- true
usage "--dump-after '0': want a positive" --dump "$tmp/d" --dump-after 0 -- true
usage "--dump-after 3 needs --dump FILE" --dump-after 3 -- true
usage "unknown option '--bogus'" --bogus -- true
usage "--trace needs an argument" --trace
usage "no program to run" $V 0000:00:04.0
usage "--list runs no program" --list -- true
# Two devices in one group are fine; so are the default groups.
"$run" $V 0000:00:04.0@5 $V 0000:00:05.0@5 $V 0000:00:06.0 -- true ||
	fail "two devices in one group refused"
"$run" --list $V 0000:00:04.0@5 $V 0000:00:05.0,model=ioat >"$tmp/list" || fail "--list"
grep -q "^0000:00:04.0  group 5  /sys/bus/pci/devices/0000:00:04.0  /dev/vfio/5  /dev/vfio/devices/vfio0  model copy-engine (1b36:10f0 class ff0000)$" "$tmp/list" ||
	fail "--list: $(cat "$tmp/list")"
grep -q "^0000:00:05.0  group 101 .* model ioat (8086:2021 class 088000)$" "$tmp/list" || fail "--list default group, ioat"
# The program's status is the launcher's.
"$run" -- sh -c 'exit 7'; [ $? = 7 ] || fail "exit status 7 not passed on"
"$run" -- /nonexistent/prog 2>/dev/null; [ $? = 127 ] || fail "missing program: not 127"

gone() { # gone DIR WHAT: DIR disappears within 5 s
	i=0
	while [ -e "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ ! -e "$1" ] || fail "$2: $1 still there"
}
# The processes whose command line has a word.
with_word() {
	grep -l -a -e "[${1%"${1#?}"}]${1#?}" /proc/[0-9]*/cmdline 2>/dev/null |
		sed 's,^/proc/\([0-9]*\)/cmdline$,\1,' | grep -vx -e $$ -e self || true
}
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# Normal exit.
"$run" $V 0000:00:04.0 -- sh -c 'echo "$UIOMMUFD_RUNDIR"' >"$tmp/rd" || fail "normal run"
rd=$(cat "$tmp/rd")
case $rd in /*) ;; *) fail "UIOMMUFD_RUNDIR '$rd'" ;; esac
[ -e "$rd" ] && fail "normal exit: $rd still there"

# The shell's notes on jobs killed by signals are not ours to check.
exec 3>&2 2>"$tmp/shell-notes"

# The program SIGKILLed: the launcher ends the same way.
"$run" $V 0000:00:04.0 -- sh -c 'echo "$UIOMMUFD_RUNDIR" >"$1"; kill -9 $$' sh "$tmp/rd2"
rc=$?
[ $rc = 137 ] || fail "program SIGKILLed: launcher status $rc, want 137"
gone "$(cat "$tmp/rd2")" "program SIGKILLed"

# The launcher SIGTERMed: forwarded to the program, then cleaned.
tag=uio-launcher-test-$$
"$run" $V 0000:00:04.0 -- sh -c 'echo "$UIOMMUFD_RUNDIR" >"$1"; exec sleep 30' sh "$tmp/rd3" $tag &
lpid=$!
wait_file "$tmp/rd3"
rd=$(cat "$tmp/rd3")
# Its janitor: its own session, no terminal, only /dev/null and the pipe open.
for p in $(with_word "$tag"); do
	[ "$p" = $lpid ] && continue
	[ "$(readlink /proc/$p/exe)" = "$(readlink /proc/$lpid/exe)" ] || continue
	set -- $(sed 's/^.*) //' /proc/$p/stat)
	[ "$4" = "$p" ] || fail "janitor $p is not a session leader (sid $4)"
	[ "$5" = 0 ] || fail "janitor $p has a terminal ($5)"
	for fd in /proc/$p/fd/*; do
		t=$(readlink "$fd")
		case $t in /dev/null|pipe:*) ;; *) fail "janitor holds $t" ;; esac
	done
	janitor=$p
done
[ -n "${janitor:-}" ] || fail "no janitor found"
kill -TERM $lpid
wait $lpid
rc=$?
[ $rc = 143 ] || fail "launcher SIGTERMed: status $rc, want 143"
[ -e "$rd" ] && fail "launcher SIGTERMed: $rd still there"
[ -z "$(with_word "$tag")" ] || fail "launcher SIGTERMed: left $(with_word "$tag")"

# The launcher SIGKILLed: the janitor cleans up and goes.
tag=uio-launcher-kill-$$
"$run" $V 0000:00:04.0 -- sh -c 'echo "$UIOMMUFD_RUNDIR" >"$1"; echo $$ >"$1.pid"; exec sleep 30' sh "$tmp/rd4" $tag &
lpid=$!
wait_file "$tmp/rd4"
wait_file "$tmp/rd4.pid"
kill -KILL $lpid
wait $lpid 2>/dev/null
gone "$(cat "$tmp/rd4")" "launcher SIGKILLed"
kill "$(cat "$tmp/rd4.pid")" 2>/dev/null # the orphaned program
sleep 0.2
[ -z "$(with_word "$tag")" ] || fail "launcher SIGKILLed: left $(with_word "$tag")"

exec 2>&3 3>&-

# close_fds children see the devices and their state: one registry, by name.
"$run" $V 0000:00:04.0@7 -- python3 -c '
import errno, fcntl, os, struct, subprocess, sys
VFIO_DEVICE_BIND_IOMMUFD = 0x3b76  # _IO(";", 100 + 18)
iommufd = os.open("/dev/iommu", os.O_RDWR)
cdev = os.open("/dev/vfio/devices/vfio0", os.O_RDWR)
fcntl.ioctl(cdev, VFIO_DEVICE_BIND_IOMMUFD, bytearray(struct.pack("IIiI", 16, 0, iommufd, 0)))
child = """
import errno, os
os.close(os.open("/dev/vfio/devices/vfio0", os.O_RDWR))
try:
    os.open("/dev/vfio/7", os.O_RDWR)
    raise SystemExit("group opened while the cdev is bound")
except OSError as e:
    assert e.errno == errno.EBUSY, e
print("child ok")
"""
out = subprocess.run([sys.executable, "-c", child], close_fds=True, check=True,
                     capture_output=True, text=True).stdout
assert out == "child ok\n", out
' || fail "close_fds child"

if [ $fails != 0 ]; then
	echo "launcher: $fails failures"
	exit 1
fi
echo "launcher: ok"
