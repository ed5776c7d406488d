#!/bin/sh
# Differential test: runs test/diff/difftest for each seed in the reference
# kernel (Linux 6.12 as User-Mode Linux, ../shared/oracle) and under
# uiommufd-run, without and with --check, and compares the logs line by
# line. Prints the first divergence of each seed with context; exits 1 on
# any divergence, hang or crash.
#
#   sh test/diff/run-diff.sh [BUILDDIR] [SEEDS] [NCMDS]
#
# SEEDS: a list like "1 2 3", a range "0-31", or both ("0-3 17").
# Environment: DIFFTEST_SKIP_INHERITED_FILES=1 (default 0): commands on
# fault and access files a child inherited, and the closes and reopens whose
# last close would be a child's exit, are drawn but not issued (the
# sequence stays the same); no longer needed, kept to tell such a
# divergence from others. DIFFTEST_TIMEOUT: seconds
# per run (default 120). DIFFTEST_KEEP=DIR keeps the logs there.
# DIFFTEST_SUM_EVERY=1: the tester logs sums of its buffers after every
# command (slower; shows where memory began to differ).
# DIFFTEST_BIN: the tester binary to run in both worlds (a sanitizer
# build's tester cannot run in the reference kernel; its uiommufd-run can
# serve a plain one).
set -eu
cd "$(dirname "$0")/../.."
B=${1:-build}
SEEDS=${2:-1-4}
N=${3:-500}
ORACLE=${ORACLE:-$(cd .. && pwd)/shared/oracle}
T=${DIFFTEST_TIMEOUT:-120}
export DIFFTEST_SKIP_INHERITED_FILES=${DIFFTEST_SKIP_INHERITED_FILES:-0}
[ -x "$ORACLE/run.sh" ] || { echo "no oracle at $ORACLE" >&2; exit 2; }
ORACLE=$ORACLE sh test/oracle/kernel.sh >/dev/null
[ -d "$B" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
B=$(cd "$B" && pwd)
prog=${DIFFTEST_BIN:-$B/test/diff/difftest}
run=$B/tools/uiommufd-run
[ -x "$prog" ] && [ -x "$run" ] || { echo "no difftest in $B" >&2; exit 2; }
W=${DIFFTEST_KEEP:-$(mktemp -d /tmp/difftest.XXXXXX)}
mkdir -p "$W"
[ -n "${DIFFTEST_KEEP:-}" ] || trap 'rm -rf "$W"' EXIT

seeds=""
for s in $SEEDS; do
	case "$s" in
	*-*) seeds="$seeds $(seq "${s%-*}" "${s#*-}")" ;;
	*) seeds="$seeds $s" ;;
	esac
done

# compare NAME EXPECTED GOT: the first differing line with context
compare() {
	if cmp -s "$2" "$3"; then
		return 0
	fi
	line=$(cmp "$2" "$3" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
	[ -n "$line" ] || line=$(( $(wc -l < "$2") + 1 ))
	from=$(( line > 4 ? line - 4 : 1 ))
	echo "DIVERGED seed $seed ($1) at line $line:"
	echo "  reference kernel:"
	sed -n "${from},$((line + 1))p" "$2" | sed 's/^/    /'
	echo "  uiommufd:"
	sed -n "${from},$((line + 1))p" "$3" | sed 's/^/    /'
	return 1
}

fail=0 ok=0
for seed in $seeds; do
	k=$W/$seed.kernel u=$W/$seed.uiommufd c=$W/$seed.checked
	rc=0
	ORACLE_TIMEOUT=$T "$ORACLE/run.sh" -- /usr/bin/env \
		DIFFTEST_SKIP_INHERITED_FILES="$DIFFTEST_SKIP_INHERITED_FILES" \
		${DIFFTEST_SUM_EVERY:+DIFFTEST_SUM_EVERY=1} "$prog" "$seed" "$N" "$k" \
		>"$k.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL seed $seed: the reference kernel run ended with $rc"
		tail -3 "$k.out" | sed 's/^/    /'
		fail=$((fail + 1))
		continue
	fi
	bad=0
	for mode in plain checked; do
		out=$u; opt=""
		[ "$mode" = checked ] && { out=$c; opt=--check; }
		rc=0
		timeout -k 5 "$T" "$run" $opt -- "$prog" "$seed" "$N" "$out" \
			>"$out.out" 2>&1 || rc=$?
		if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			echo "HANG seed $seed ($mode): no progress in ${T}s, last line:"
			tail -1 "$out" | sed 's/^/    /'
			bad=1
			break
		elif [ "$rc" -ne 0 ]; then
			echo "FAIL seed $seed ($mode): exit $rc"
			tail -5 "$out.out" | sed 's/^/    /'
		fi
		compare "$mode" "$k" "$out" || { bad=1; break; }
		[ "$rc" -eq 0 ] || { bad=1; break; }
	done
	if [ "$bad" -eq 0 ]; then
		ok=$((ok + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "difftest: $ok seeds agree, $fail diverge ($N commands each)"
[ "$fail" -eq 0 ]
