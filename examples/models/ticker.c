// SPDX-License-Identifier: MIT
/*
 * ticker: an out-of-tree device model, built as a shared object against
 * include/uiommufd/model.h alone and loaded by path:
 *
 *   uiommufd-run --vfio-device 0000:02:00.0,model=/path/to/libticker.so -- PROG
 *
 * PCI 1b36:10f1, one 4 KiB BAR0 of 64-bit registers, one MSI-X vector:
 *   0x00 TICKS    reads count up: each read returns one more than the last
 *   0x08 SCRATCH  reads back what was written
 *   0x10 ADDR     an IOVA
 *   0x18 STORE    a write stores its value, 8 bytes, at ADDR by DMA, then
 *                 raises vector 0; STATUS says how the DMA went
 *   0x20 STATUS   0 done, else the errno of the DMA
 * The MSI-X table is at 0x800 and the PBA at 0xc00 (served by uiommufd).
 */
#include <errno.h>
#include <string.h>

#include <uiommufd/model.h>

enum { TICKS = 0x00, SCRATCH = 0x08, ADDR = 0x10, STORE = 0x18, STATUS = 0x20 };

struct ticker {
	uint64_t ticks, scratch, addr, status;
};

static void ticker_reset(struct uiommufd_dev *dev, void *state)
{
	(void)dev;
	memset(state, 0, sizeof(struct ticker));
}

static uint64_t ticker_read(struct uiommufd_dev *dev, void *state,
			    unsigned int bar, uint64_t off, unsigned int width)
{
	struct ticker *t = state;

	(void)dev;
	(void)bar;
	(void)width;
	switch (off) {
	case TICKS:
		return ++t->ticks;
	case SCRATCH:
		return t->scratch;
	case ADDR:
		return t->addr;
	case STATUS:
		return t->status;
	default:
		return 0;
	}
}

static void ticker_write(struct uiommufd_dev *dev, void *state,
			 unsigned int bar, uint64_t off, unsigned int width,
			 uint64_t value)
{
	struct ticker *t = state;

	(void)bar;
	(void)width;
	switch (off) {
	case SCRATCH:
		t->scratch = value;
		break;
	case ADDR:
		t->addr = value;
		break;
	case STORE:
		t->status = uiommufd_dev_dma(dev, t->addr, &value, sizeof(value),
					     UIOMMUFD_DEV_DMA_WRITE) ? (uint64_t)errno : 0;
		uiommufd_dev_irq(dev, 0);
		break;
	default:
		break;
	}
}

static const struct uiommufd_model ticker = {
	.abi_version = UIOMMUFD_MODEL_ABI_VERSION,
	.name = "ticker",
	.vendor_id = 0x1b36,
	.device_id = 0x10f1,
	.class_code = 0xff0000,
	.revision = 1,
	.caps = UIOMMUFD_CAP_MSIX | UIOMMUFD_CAP_PCIE,
	.msix_vectors = 1,
	.msix_table_offset = 0x800,
	.msix_pba_offset = 0xc00,
	.bars = { [0] = { .size = 4096, .min_access = 8, .max_access = 8 } },
	.state_size = sizeof(struct ticker),
	.reset = ticker_reset,
	.bar_read = ticker_read,
	.bar_write = ticker_write,
};

__attribute__((visibility("default")))
const struct uiommufd_model *uiommufd_model_v1(void)
{
	return &ticker;
}
