// SPDX-License-Identifier: MIT
/*
 * wide: a device model for the VFIO conformance suite, loaded by path
 * (--vfio-device BDF,model=PATH/libmodel_wide.so), with what the built-in
 * models lack, so that more of vfio-pci is reached:
 *
 *   PCI 1b36:10f2, not PCI Express (256 bytes of config space, no ERR
 *   interrupt), no power management, no INTx pin;
 *   MSI with 4 vectors; MSI-X with 8, its table at 0 and its PBA at 0x800
 *   of BAR 2 (a BAR of its own);
 *   BAR 0+1: 64 KiB, 64-bit, prefetchable; 64 scratch registers of 8 bytes
 *            from 0, and RAISE at 0x200: a write of v raises vector v;
 *   BAR 2:   4 KiB, the MSI-X table and PBA, scratch bytes from 0x900;
 *   BAR 3:   256 bytes of memory (less than a page), scratch bytes;
 *   BAR 4:   32 bytes of I/O space, scratch bytes.
 * Reads of scratch have no side effect; reset zeroes them.
 */
#include <string.h>

#include <uiommufd/model.h>

#define RAISE 0x200

struct wide {
	uint8_t bar0[0x200];
	uint8_t bar2[0x700];   /* from 0x900 */
	uint8_t bar3[256];
	uint8_t bar4[32];
};

static uint8_t *cell(struct wide *w, unsigned int bar, uint64_t off, unsigned int width)
{
	switch (bar) {
	case 0:
		return off + width <= sizeof(w->bar0) ? w->bar0 + off : NULL;
	case 2:
		return off >= 0x900 && off + width <= 0x900 + sizeof(w->bar2) ?
			       w->bar2 + (off - 0x900) : NULL;
	case 3:
		return off + width <= sizeof(w->bar3) ? w->bar3 + off : NULL;
	case 4:
		return off + width <= sizeof(w->bar4) ? w->bar4 + off : NULL;
	default:
		return NULL;
	}
}

static void wide_reset(struct uiommufd_dev *dev, void *state)
{
	(void)dev;
	memset(state, 0, sizeof(struct wide));
}

static uint64_t wide_read(struct uiommufd_dev *dev, void *state, unsigned int bar,
			  uint64_t off, unsigned int width)
{
	uint8_t *p = cell(state, bar, off, width);
	uint64_t v = 0;

	(void)dev;
	if (p)
		memcpy(&v, p, width);
	return v;
}

static void wide_write(struct uiommufd_dev *dev, void *state, unsigned int bar,
		       uint64_t off, unsigned int width, uint64_t value)
{
	uint8_t *p = cell(state, bar, off, width);

	if (bar == 0 && off == RAISE) {
		uiommufd_dev_irq(dev, (unsigned int)value);
		return;
	}
	if (p)
		memcpy(p, &value, width);
}

static const struct uiommufd_model wide = {
	.abi_version = UIOMMUFD_MODEL_ABI_VERSION,
	.name = "wide",
	.vendor_id = 0x1b36,
	.device_id = 0x10f2,
	.subsystem_vendor_id = 0x1af4,
	.subsystem_id = 0x1100,
	.class_code = 0xff0000,
	.revision = 2,
	.intx_pin = 0,
	.caps = UIOMMUFD_CAP_MSI | UIOMMUFD_CAP_MSIX,
	.msi_vectors = 4,
	.msix_vectors = 8,
	.msix_table_bar = 2,
	.msix_pba_bar = 2,
	.msix_table_offset = 0,
	.msix_pba_offset = 0x800,
	.bars = {
		[0] = { .size = 0x10000, .flags = UIOMMUFD_BAR_MEM64 | UIOMMUFD_BAR_PREFETCH,
			.min_access = 1, .max_access = 8 },
		[2] = { .size = 0x1000, .min_access = 1, .max_access = 8 },
		[3] = { .size = 256, .min_access = 1, .max_access = 4 },
		[4] = { .size = 32, .flags = UIOMMUFD_BAR_IO, .min_access = 1, .max_access = 4 },
	},
	.state_size = sizeof(struct wide),
	.reset = wide_reset,
	.bar_read = wide_read,
	.bar_write = wide_write,
};

__attribute__((visibility("default")))
const struct uiommufd_model *uiommufd_model_v1(void)
{
	return &wide;
}
