#!/bin/sh
# The long kill sweep (test/unit/test_crash.c --long): every kill point of
# each command, the command run once and twice in a row, and at every other
# point a second kill at each point of the next locker's undo. About a
# minute and a half in a plain build; prints the counts per command.
#
#   sh scripts/crash-sweep.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
[ -d "$B" ] || meson setup "$B" >/dev/null
ninja -C "$B" test/test_crash >/dev/null
"$B/test/test_crash" --long
