/* SPDX-License-Identifier: MIT */
/*
 * uiommufd device models: PCI devices that unmodified VFIO programs
 * (QEMU's vfio-pci, DPDK's drivers) find, map and drive through uiommufd
 * as they would a real device bound to vfio-pci.
 *
 * A model is a descriptor, struct uiommufd_model: the device's PCI
 * identity, its capabilities, its BARs and interrupt counts, the size of
 * its state, and three callbacks. uiommufd builds its config space, serves
 * the whole VFIO device uAPI, and turns every access to a BAR (a pread or
 * pwrite of the region, or a load or store through an mmap of it) into a
 * call of bar_read or bar_write with the offset and width. The model does
 * DMA and raises interrupts through the two services at the end of this
 * file. A model is a switch on the register offset:
 *
 *     static uint64_t my_read(struct uiommufd_dev *dev, void *state,
 *                             unsigned int bar, uint64_t off,
 *                             unsigned int width)
 *     {
 *             struct my_state *s = state;
 *
 *             switch (off) {
 *             case REG_STATUS:
 *                     return s->status;
 *             ...
 *
 * Widths: each BAR declares the access widths its model implements
 * (min_access..max_access, powers of two from 1 to 8). An access of
 * another width is made to fit, as QEMU's memory core does: a wider one
 * (up to 32 bytes, from SSE and AVX moves) is split into max_access parts
 * in address order, a narrower one becomes a read of the min_access unit
 * around it (a write: read, merge, write). An access never reaches the
 * model unaligned to its width.
 *
 * MSI-X: when the model has MSI-X, uiommufd itself serves the table and
 * the PBA at the offsets the descriptor gives, inside their BAR; those
 * accesses never reach the model.
 *
 * Sharing and locking
 * -------------------
 * The device's state block (state_size bytes) lives in memory shared by
 * every process of the launch, because any of them may have mapped the
 * BAR: it must hold no pointers, file descriptors or other process-local
 * values. It is zeroed, then reset() runs, when the launch starts, and
 * reset() runs again on VFIO_DEVICE_RESET and a function-level reset.
 *
 * Callbacks run in the thread that made the access, in whichever process
 * made it, with the device's lock held: the callbacks of one device never
 * run at the same time; those of different devices may. A load or store
 * through a mapping is served from a SIGSEGV handler, so callbacks must be
 * async-signal-safe in practice: no malloc, no stdio, no locks of their
 * own that the interrupted thread might hold. A callback may call
 * uiommufd_dev_dma(), uiommufd_dev_irq() and uiommufd_dev_bus_master() on
 * its own device (they do not take the device lock) and nothing else of
 * uiommufd. Work may complete inside the callback: a model's "doorbell"
 * write may do all its DMA and raise its interrupt before it returns.
 *
 * Loading
 * -------
 * uiommufd-run --vfio-device BDF[@GROUP][,model=NAME] picks a built-in
 * model by name; model=PATH.so loads a shared object that exports
 *
 *     const struct uiommufd_model *uiommufd_model_v1(void);
 *
 * built only against this header (examples/models/ has one). Every process
 * of the launch loads it by the same path.
 */
#ifndef UIOMMUFD_MODEL_H
#define UIOMMUFD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UIOMMUFD_MODEL_ABI_VERSION 1u

/* A device instance. Opaque: a model knows it only as a handle. */
struct uiommufd_dev;

/* struct uiommufd_bar flags */
#define UIOMMUFD_BAR_MEM64 (1u << 0)    /* 64-bit memory BAR (uses two slots) */
#define UIOMMUFD_BAR_PREFETCH (1u << 1) /* prefetchable */
#define UIOMMUFD_BAR_IO (1u << 2)       /* I/O space; never mmappable */

struct uiommufd_bar {
	/* A power of two, at least 16 (4096 or more to be mmappable); 0: no BAR. */
	uint64_t size;
	uint32_t flags;
	/* The widths bar_read/bar_write are called with; 0 means 1 and 8. */
	uint8_t min_access;
	uint8_t max_access;
};

/* struct uiommufd_model caps: the capabilities in config space */
#define UIOMMUFD_CAP_PM (1u << 0)   /* power management */
#define UIOMMUFD_CAP_MSI (1u << 1)  /* MSI, 64-bit, per-vector masking */
#define UIOMMUFD_CAP_MSIX (1u << 2) /* MSI-X */
#define UIOMMUFD_CAP_PCIE (1u << 3) /* PCI Express endpoint, 4 KiB config */

struct uiommufd_model {
	uint32_t abi_version;          /* UIOMMUFD_MODEL_ABI_VERSION */
	const char *name;              /* as given to model=NAME */

	/* identity */
	uint16_t vendor_id, device_id;
	uint16_t subsystem_vendor_id, subsystem_id;
	uint32_t class_code;           /* base << 16 | sub << 8 | prog-if */
	uint8_t revision;
	uint8_t intx_pin;              /* 0: no INTx; 1..4: INTA..INTD */

	/* capabilities and interrupts */
	uint32_t caps;                 /* UIOMMUFD_CAP_* */
	uint16_t msi_vectors;          /* with CAP_MSI: 1, 2, 4, 8, 16 or 32 */
	uint16_t msix_vectors;         /* with CAP_MSIX: 1..2048 */
	uint8_t msix_table_bar;        /* BAR index of the MSI-X table */
	uint8_t msix_pba_bar;          /* BAR index of the PBA */
	uint32_t msix_table_offset;    /* 8-byte aligned, in that BAR */
	uint32_t msix_pba_offset;      /* 8-byte aligned, in that BAR */

	/* BARs, by index; a 64-bit BAR leaves the next index empty */
	struct uiommufd_bar bars[6];

	/* the shared state block */
	size_t state_size;

	/* Power-on and reset state: registers, queues, everything. */
	void (*reset)(struct uiommufd_dev *dev, void *state);
	/* A load of width bytes at offset in BAR bar: the value read. */
	uint64_t (*bar_read)(struct uiommufd_dev *dev, void *state,
			     unsigned int bar, uint64_t offset,
			     unsigned int width);
	/* A store of width bytes of value at offset in BAR bar. */
	void (*bar_write)(struct uiommufd_dev *dev, void *state,
			  unsigned int bar, uint64_t offset, unsigned int width,
			  uint64_t value);
};

/* The entry point of a model built as a shared object. */
typedef const struct uiommufd_model *(*uiommufd_model_entry_fn)(void);
#define UIOMMUFD_MODEL_ENTRY "uiommufd_model_v1"

/* ------------------------------------------------------------------ */
/* services, for callbacks                                             */
/* ------------------------------------------------------------------ */

/* uiommufd_dev_dma() flags */
#define UIOMMUFD_DEV_DMA_WRITE 1u /* the device writes memory (else reads) */

/*
 * DMA by the device: len bytes between buf and IOVA iova, through the IO
 * page table the device is attached to (its VFIO container's IOAS, or the
 * hwpt its cdev is attached to), with that table's permissions; a write
 * sets the dirty bits of the entries while dirty tracking is on. Nothing
 * outside what the table grants is touched. Not atomic: on error a prefix
 * may have been done.
 * Returns 0, or -1 with errno:
 *   EIO      bus mastering is off in the command register;
 *   ENODEV   the device is not attached to an IO page table;
 *   EFAULT   an IOVA of the range is not mapped;
 *   EPERM    the mapping lacks the read or write permission;
 *   EAGAIN   the translation failed and the hwpt has a fault queue: a page
 *            request was queued on it (a real device would retry after
 *            the response).
 */
int uiommufd_dev_dma(struct uiommufd_dev *dev, uint64_t iova, void *buf,
		     size_t len, unsigned int flags);

/*
 * A copy engine's transfer: len bytes from IOVA src to IOVA dst, both
 * through the device's IO page table as uiommufd_dev_dma() reads src and
 * writes dst, but without a copy through a buffer of the model's. The
 * ranges should not overlap (as for memcpy). Not atomic: on error a prefix
 * may have been copied. On error, *bad (when not NULL) is the IOVA whose
 * translation or access failed: in [src, src + len) when reading failed,
 * in [dst, dst + len) when writing did.
 * Returns 0, or -1 with errno as uiommufd_dev_dma().
 */
int uiommufd_dev_dma_copy(struct uiommufd_dev *dev, uint64_t dst,
			  uint64_t src, size_t len, uint64_t *bad);

/*
 * Raise interrupt vector: an MSI-X vector when MSI-X is enabled, an MSI
 * vector when MSI is, else INTx (vector 0). A vector masked in the MSI-X
 * table, or by VFIO_DEVICE_SET_IRQS MASK, is left pending (PBA) and
 * delivered when unmasked; INTx is level-triggered: it stays asserted, and
 * masked, until the program unmasks it (VFIO's automasking). The signal
 * is the eventfd VFIO_DEVICE_SET_IRQS gave, in whichever process holds it.
 * Returns 0 (delivered, left pending, or dropped because no interrupt
 * mode is enabled, as hardware drops it), or -1 with errno EINVAL (vector
 * out of range).
 */
int uiommufd_dev_irq(struct uiommufd_dev *dev, unsigned int vector);

/* Whether bus mastering is on (command register bit 2). */
bool uiommufd_dev_bus_master(struct uiommufd_dev *dev);

#ifdef __cplusplus
}
#endif
#endif
