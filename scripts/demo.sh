#!/bin/sh
# Builds uiommufd and runs the demo, an ordinary /dev/iommu program, under
# uiommufd-run.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/tools/uiommufd-run -- build/examples/demo
