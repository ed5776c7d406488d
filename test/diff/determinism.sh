#!/bin/sh
# Two runs of the same seed under uiommufd-run must log the same lines.
#   sh determinism.sh UIOMMUFD_RUN DIFFTEST
set -eu
run=$1 prog=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fail=0
for seed in 1 2 3; do
	for i in a b; do
		timeout 120 "$run" -- "$prog" "$seed" 400 "$d/$seed.$i" \
			>/dev/null 2>"$d/$seed.$i.err" || {
			echo "seed $seed run $i failed:"; cat "$d/$seed.$i.err"; fail=1; }
	done
	if ! cmp -s "$d/$seed.a" "$d/$seed.b"; then
		echo "seed $seed: two runs differ:"
		diff "$d/$seed.a" "$d/$seed.b" | head -20
		fail=1
	fi
done
exit $fail
