#!/bin/sh
# Builds uiommufd and runs the demos under uiommufd-run: demo, an ordinary
# /dev/iommu program (IOASes, maps, copies, ranges), then dma_device, an
# emulated device doing DMA through an IOMMU domain, refused a write by a
# read-only mapping, and faulting outside the mapping (the fault served);
# then type1_client, a DPDK-style VFIO type1 client driving an emulated
# VFIO PCI device's DMA engine.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
build/tools/uiommufd-run -- build/examples/demo
echo
build/tools/uiommufd-run -- build/examples/dma_device
echo
exec build/tools/uiommufd-run --vfio-device 0000:00:04.0@7 -- \
	build/examples/type1_client 0000:00:04.0
