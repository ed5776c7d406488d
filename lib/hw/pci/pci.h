/* SPDX-License-Identifier: MIT */
/*
 * lib/hw/pci: an emulated PCI function, as the hardware itself behaves
 * below vfio-pci: its config space (built from a model's descriptor, with
 * the bits the hardware lets software write), its BARs, its MSI-X table
 * and PBA, its interrupt pins, and the model behind it.
 *
 * The device lives in memory shared by every process of the launch (the
 * VFIO registry's file, lib/vfio), so it holds no pointers: the model is
 * found in each process by name (lib/hw/models), and what the layer above
 * provides (DMA through the IOMMU, interrupt delivery) is a process-local
 * table of bus operations set once (uio_pci_set_bus).
 *
 * Locking: one robust process-shared mutex per device, the device lock,
 * held around every model callback and every change of the device's
 * state. It comes after the VFIO registry lock and before any context
 * lock (core.h). The bus operations are called with it held.
 *
 * Prefix: uio_pci_.
 */
#ifndef UIO_HW_PCI_H
#define UIO_HW_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommufd/model.h>

#define UIO_PCI_CFG_SIZE 4096
#define UIO_PCI_NUM_BARS 6
#define UIO_PCI_MSIX_MAX 2048
#define UIO_PCI_MSI_MAX 32

/* Interrupt kinds, as VFIO's IRQ indexes. */
enum uio_pci_irq {
	UIO_PCI_IRQ_INTX,
	UIO_PCI_IRQ_MSI,
	UIO_PCI_IRQ_MSIX,
};

struct uio_pci_bar {
	uint64_t start;         /* the address the host assigned */
	uint64_t size;          /* 0: no BAR */
	uint32_t flags;         /* UIOMMUFD_BAR_* */
	uint8_t min_access, max_access;
};

struct uio_pci_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct uio_pci_dev {
	pthread_mutex_t lock;   /* the device lock */
	char model[256];        /* the model's name, or the path of its .so */

	/* config space: bytes, bits software may write, write-1-to-clear bits */
	uint32_t cfg_size;      /* 256 or 4096 */
	uint8_t cfg[UIO_PCI_CFG_SIZE];
	uint8_t wmask[UIO_PCI_CFG_SIZE];
	uint8_t w1cmask[UIO_PCI_CFG_SIZE];
	/* where the capabilities are (0: absent) */
	uint8_t cap_pm, cap_msi, cap_msix, cap_exp;

	struct uio_pci_bar bars[UIO_PCI_NUM_BARS];

	/* interrupts, as the hardware holds them */
	uint16_t msi_vectors, msix_vectors;
	uint8_t msix_table_bar, msix_pba_bar;
	uint32_t msix_table_offset, msix_pba_offset;
	struct uio_pci_msix_entry msix[UIO_PCI_MSIX_MAX];
	uint64_t msix_pending[UIO_PCI_MSIX_MAX / 64];

	/* How the layer above routes each kind of interrupt (set by VFIO's
	 * SET_IRQS through uio_pci_irq_route): on, and how many vectors. */
	uint8_t route_kind;     /* enum uio_pci_irq + 1, or 0 for none */
	uint16_t route_count;

	/* the model's state block: state_size bytes from state_off of this
	 * struct's start (the registry lays it out) */
	uint64_t state_off;
	uint64_t state_size;
};

/*
 * What the layer above gives the device (process-local, set once): DMA
 * through the IOMMU and the signalling of an interrupt. Called with the
 * device lock held. dma returns 0 or -errno (iommufd.h's device DMA).
 */
struct uio_pci_bus_ops {
	int (*dma)(struct uio_pci_dev *pdev, uint64_t iova, void *buf,
		   size_t len, bool write);
	/* optional: IOVA to IOVA; *bad is the IOVA that failed */
	int (*dma_copy)(struct uio_pci_dev *pdev, uint64_t dst, uint64_t src,
			size_t len, uint64_t *bad);
	void (*signal)(struct uio_pci_dev *pdev, enum uio_pci_irq kind,
		       unsigned int vector);
};
void uio_pci_set_bus(const struct uio_pci_bus_ops *ops);

/* The bytes a device of this model takes in shared memory, state included. */
size_t uio_pci_dev_size(const struct uiommufd_model *m);
/*
 * Set up a device for model m (found again in other processes as `ref`,
 * a name or a path) in zeroed memory of uio_pci_dev_size(m) bytes: build
 * its config space, zero its state and run the model's reset. 0 or
 * -EINVAL (a descriptor that does not hold together).
 */
int uio_pci_dev_init(struct uio_pci_dev *pdev, const struct uiommufd_model *m,
		     const char *ref);
/* Check a descriptor without building anything: 0 or -EINVAL. */
int uio_pci_model_check(const struct uiommufd_model *m);

/* The model of pdev in this process, NULL if it cannot be loaded here. */
const struct uiommufd_model *uio_pci_model(struct uio_pci_dev *pdev);

void uio_pci_lock(struct uio_pci_dev *pdev);
void uio_pci_unlock(struct uio_pci_dev *pdev);

/*
 * Config space as the hardware answers it (under the device lock): reads
 * of 1, 2 or 4 bytes, little endian; writes keep read-only bits and clear
 * the write-1-to-clear bits written with 1.
 */
uint32_t uio_pci_cfg_read(struct uio_pci_dev *pdev, unsigned int off,
			  unsigned int len);
void uio_pci_cfg_write(struct uio_pci_dev *pdev, unsigned int off,
		       unsigned int len, uint32_t val);

/*
 * The one entry for every BAR access, from pread/pwrite of the region or
 * a trapped load or store: len bytes (1..32) at off of BAR bar. Takes
 * the device lock. The MSI-X table and PBA are served here; everything
 * else reaches the model with the widths it declared (split or widened).
 * 0, or -EINVAL (no such BAR, out of range).
 */
int uio_pci_bar_rw(struct uio_pci_dev *pdev, unsigned int bar, uint64_t off,
		   void *buf, unsigned int len, bool write);

/*
 * A function-level reset as the host kernel does one (pci_reset_function:
 * config saved and restored around it): the model's reset state, no
 * interrupt pending; config space, BAR addresses and the MSI-X table as
 * they were.
 */
void uio_pci_reset(struct uio_pci_dev *pdev);
void uio_pci_reset_locked(struct uio_pci_dev *pdev);
/*
 * The power state the host puts the function in (pci_set_power_state),
 * under the device lock: 0 (D0) or 3 (D3hot) in the PM capability's
 * control register; the capability built here has no D1 or D2 (-EIO,
 * nothing changes), a function without one stays in D0. Back in D0 from
 * D3hot, a function without No_Soft_Reset has reset itself and the host
 * restores its config space (pci_restore_state), so what remains of the
 * trip is the model's reset. 0 or -EIO.
 */
int uio_pci_set_power_state_locked(struct uio_pci_dev *pdev, unsigned int state);
/*
 * pci_save_state() and pci_restore_state(), for what the host saves of an
 * endpoint here: the standard header and the PCI Express control
 * registers. Restoring writes them back as the hardware takes writes.
 * Under the device lock.
 */
struct uio_pci_saved_state {
	uint32_t hdr[16];
	uint16_t devctl, lnkctl, devctl2, lnkctl2;
};
void uio_pci_save_state(struct uio_pci_dev *pdev, struct uio_pci_saved_state *st);
void uio_pci_restore_state(struct uio_pci_dev *pdev,
			   const struct uio_pci_saved_state *st);
/* Where the host put BAR bar (at launch, as firmware assigns BARs). */
void uio_pci_set_bar_start(struct uio_pci_dev *pdev, unsigned int bar,
			   uint64_t start);

/*
 * How interrupts leave the device, as the host kernel sets it up when
 * VFIO's SET_IRQS enables them (under the device lock): kind with count
 * vectors, or none (count 0). An MSI-X vector the host requests is
 * unmasked in the table, one it frees masked (uio_pci_msix_mask); a
 * vector raised while masked is left pending in the PBA and goes out when
 * unmasked.
 */
void uio_pci_irq_route(struct uio_pci_dev *pdev, enum uio_pci_irq kind,
		       unsigned int count);
void uio_pci_msix_mask(struct uio_pci_dev *pdev, unsigned int vector,
		       bool masked);
/*
 * The same for an MSI vector, through the capability's per-vector mask
 * bits: the host masks every vector the device is capable of when it
 * enables MSI, unmasks each vector it requests, masks each it frees, and
 * unmasks them all again when it disables MSI (pci_msi_shutdown).
 */
void uio_pci_msi_mask(struct uio_pci_dev *pdev, unsigned int vector,
		      bool masked);
/* The model raises vector (uiommufd_dev_irq): 0 or -EINVAL. */
int uio_pci_raise(struct uio_pci_dev *pdev, unsigned int vector);

#endif
