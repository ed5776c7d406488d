// SPDX-License-Identifier: MIT
/*
 * copy-engine: the default model, a small DMA engine of uiommufd's own
 * design (PCI 1b36:10f0, QEMU's vendor id for test devices).
 *
 * BAR0 (4 KiB, 32-bit memory) holds 64-bit little-endian registers:
 *   0x00 SRC_IOVA, 0x08 DST_IOVA, 0x10 LEN (at most 1 MiB),
 *   0x18 DOORBELL: a store copies LEN bytes from SRC_IOVA to DST_IOVA
 *        through the device's IO page table, then raises vector 0;
 *   0x20 STATUS (read-only): 1 done, or 2 | errno << 8;
 *   0x28 ID (read-only): "ufuiommu".
 * One MSI-X vector (table at 0x800, PBA at 0xc00 of BAR0), MSI with one
 * vector, and INTA.
 *
 * Built only against include/uiommufd/model.h, as an out-of-tree model.
 */
#include <errno.h>
#include <string.h>

#include <uiommufd/model.h>

enum {
	CE_SRC = 0x00,
	CE_DST = 0x08,
	CE_LEN = 0x10,
	CE_DOORBELL = 0x18,
	CE_STATUS = 0x20,
	CE_ID = 0x28,
	CE_NREGS = 6,
};

#define CE_ID_VALUE 0x756d6d6f69756675ull /* "ufuiommu" */
#define CE_MAX_LEN (1u << 20)

struct ce_state {
	uint64_t regs[CE_NREGS];
};

static void ce_reset(struct uiommufd_dev *dev, void *state)
{
	struct ce_state *s = state;

	(void)dev;
	memset(s, 0, sizeof(*s));
	s->regs[CE_ID / 8] = CE_ID_VALUE;
}

/* Copy through the IO page table, a chunk at a time (no allocation). */
static uint64_t ce_copy(struct uiommufd_dev *dev, uint64_t src, uint64_t dst,
			uint64_t len)
{
	/* Bus mastering must be on (command register bit 2). */
	if (!uiommufd_dev_bus_master(dev))
		return 2 | ((uint64_t)EPERM << 8);
	if (!len || len > CE_MAX_LEN)
		return 2 | ((uint64_t)EINVAL << 8);
	if (uiommufd_dev_dma_copy(dev, dst, src, len, NULL))
		return 2 | ((uint64_t)errno << 8);
	return 1;
}

static uint64_t ce_read(struct uiommufd_dev *dev, void *state, unsigned int bar,
			uint64_t off, unsigned int width)
{
	struct ce_state *s = state;

	(void)dev;
	(void)bar;
	(void)width;
	return off / 8 < CE_NREGS ? s->regs[off / 8] : 0;
}

static void ce_write(struct uiommufd_dev *dev, void *state, unsigned int bar,
		     uint64_t off, unsigned int width, uint64_t value)
{
	struct ce_state *s = state;

	(void)bar;
	(void)width;
	switch (off) {
	case CE_SRC:
	case CE_DST:
	case CE_LEN:
		s->regs[off / 8] = value;
		break;
	case CE_DOORBELL:
		s->regs[CE_STATUS / 8] = ce_copy(dev, s->regs[CE_SRC / 8],
						 s->regs[CE_DST / 8],
						 s->regs[CE_LEN / 8]);
		uiommufd_dev_irq(dev, 0);
		break;
	default:
		/* STATUS, ID and the rest are read-only. */
		break;
	}
}

const struct uiommufd_model uio_model_copy_engine = {
	.abi_version = UIOMMUFD_MODEL_ABI_VERSION,
	.name = "copy-engine",
	.vendor_id = 0x1b36,
	.device_id = 0x10f0,
	.subsystem_vendor_id = 0x1af4,
	.subsystem_id = 0x1100,
	.class_code = 0xff0000,
	.revision = 1,
	.intx_pin = 1,
	.caps = UIOMMUFD_CAP_PM | UIOMMUFD_CAP_MSI | UIOMMUFD_CAP_MSIX |
		UIOMMUFD_CAP_PCIE,
	.msi_vectors = 1,
	.msix_vectors = 1,
	.msix_table_bar = 0,
	.msix_pba_bar = 0,
	.msix_table_offset = 0x800,
	.msix_pba_offset = 0xc00,
	.bars = { [0] = { .size = 4096, .min_access = 8, .max_access = 8 } },
	.state_size = sizeof(struct ce_state),
	.reset = ce_reset,
	.bar_read = ce_read,
	.bar_write = ce_write,
};
