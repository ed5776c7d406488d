#!/bin/sh
# Makes sure the reference kernel is built and boots on this machine.
#
# The kernel comes from the shared oracle's build-kernel.sh (Linux 6.12 as
# User-Mode Linux, about 8 minutes the first time). On hosts whose XSAVE
# area is larger than UML 6.12 expects (AMX) its first process dies; then
# uml-xstate.py fixes UML's host-side FPU save/restore (no iommufd code is
# touched) and the kernel is relinked, in seconds.
#
#   sh test/oracle/kernel.sh     (ORACLE: the shared oracle directory;
#                                 ORACLE_DIR: where the kernel is built)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ORACLE=${ORACLE:-$(cd "$here/../../.." && pwd)/shared/oracle}
DIR=${ORACLE_DIR:-/var/cache/iommufd-oracle}
[ -x "$ORACLE/build-kernel.sh" ] || { echo "no oracle at $ORACLE" >&2; exit 2; }
"$ORACLE/build-kernel.sh" "$DIR" >/dev/null
boots() { [ "$("$ORACLE/run.sh" -- /bin/echo ok 2>/dev/null)" = ok ]; }
boots && exit 0
K=$DIR/src/linux-source-6.12
python3 "$here/uml-xstate.py" "$K"
make -s -C "$K" ARCH=um O="$DIR/build" -j"$(nproc)" linux >"$DIR/relink.log" 2>&1 || {
	tail -20 "$DIR/relink.log" >&2; exit 1; }
cp "$DIR/build/linux" "$DIR/linux"
boots || { echo "the reference kernel does not boot on this machine" >&2; exit 1; }
