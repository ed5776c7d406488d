/* SPDX-License-Identifier: MIT */
/*
 * lib/vfio/pci: vfio-pci for the emulated PCI devices, as the kernel's
 * drivers/vfio/pci: the device ioctls and mmap (vfio_pci_core.c), config
 * space virtualization (vfio_pci_config.c), region reads and writes
 * (vfio_pci_rdwr.c), and INTx, MSI and MSI-X through eventfds
 * (vfio_pci_intrs.c). Below it is the PCI device (lib/hw/pci); above it
 * lib/vfio, which calls the entry points at the end of this file.
 *
 * A device's vfio-pci state (struct uio_vfio_pci) lives in the registry
 * file beside the device, shared by every process of the launch. It is
 * guarded by the registry lock, except what interrupt delivery reads:
 * the triggers, read without a lock from whichever thread raises a vector.
 *
 * Prefix: uio_vpci_.
 */
#ifndef UIO_VFIO_PCI_PRIV_H
#define UIO_VFIO_PCI_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel.h"
#include "pci.h"
#include "vfio.h"

/* A region's offset in the device fd: its index above bit 40. */
#define UIO_VPCI_OFFSET_SHIFT 40
#define UIO_VPCI_INDEX(off) ((unsigned int)((off) >> UIO_VPCI_OFFSET_SHIFT))
#define UIO_VPCI_OFFSET_MASK ((1ull << UIO_VPCI_OFFSET_SHIFT) - 1)

/* VFIO_PCI_NUM_IRQS: no interrupt type enabled. */
#define UIO_VPCI_IRQ_NONE 5

/*
 * An eventfd given by VFIO_DEVICE_SET_IRQS. The kernel holds the eventfd
 * itself; here the process that set it keeps a private duplicate of the
 * fd (close-on-exec, above the program's own fds), and the trigger names
 * it by (pid, fd). A vector raised in another process reaches it with
 * pidfd_getfd(). word packs pid and fd so a reader sees both at once.
 */
struct uio_vpci_trigger {
	_Atomic uint64_t word;          /* pid << 32 | fd, or 0 */
	uint64_t start_time;            /* the pid's, against reuse */
	struct uio_exec_id exec_id;     /* its image: fd numbers are per image */
};

/* VFIO_PCI_IOEVENTFD_MAX */
#define UIO_VPCI_IOEVENTFD_MAX 1000

/* An ioeventfd: a write of data (count bytes) at pos of a BAR each time
 * its eventfd is signalled (struct vfio_pci_ioeventfd). */
struct uio_vpci_ioeventfd {
	bool used;
	bool test_mem;                  /* a memory BAR: only while it decodes */
	uint8_t bar, count;
	uint64_t pos, data;
	struct uio_virqfd virqfd;
};

struct uio_vfio_pci {
	/* config virtualization (vfio_pci_config.c) */
	uint8_t vconfig[UIO_PCI_CFG_SIZE];
	uint8_t map[UIO_PCI_CFG_SIZE];  /* the capability of each byte */
	bool bardirty;
	bool virq_disabled;             /* INTx disable in the virtual command */
	uint8_t msi_qmax;
	uint8_t power_state;            /* pci_dev's current_state: 0 D0, 3 D3hot */
	/* what open_device found (vfio_pci_core_enable) */
	bool reset_works;
	struct uio_pci_saved_state saved;  /* pci_saved_state, put back at close */
	uint8_t msix_bar;               /* 0xff: none */
	uint32_t msix_offset, msix_size;
	bool bar_mmap[6];

	/* interrupts (vfio_pci_intrs.c) */
	uint8_t irq_type;               /* VFIO_PCI_*_IRQ_INDEX, or NONE */
	bool intx_masked;
	bool intx_pending;              /* raised while masked */
	struct uio_virqfd intx_unmask;  /* ACTION_UNMASK's eventfd */
	uint32_t nvec;                  /* MSI/MSI-X vectors enabled */
	struct uio_vpci_trigger intx;
	struct uio_vpci_trigger vec[UIO_PCI_MSIX_MAX];
	struct uio_vpci_trigger err, req;

	/* runtime PM (the low power features): engaged, and the eventfd to
	 * signal when the device wakes up */
	bool pm_engaged;
	struct uio_vpci_trigger pm_wake;

	/* VFIO_DEVICE_IOEVENTFD (vfio_pci_rdwr.c): ioeventfds_nr in use,
	 * none at or past ioeventfds_hi */
	uint32_t ioeventfds_nr, ioeventfds_hi;
	struct uio_vpci_ioeventfd ioeventfds[UIO_VPCI_IOEVENTFD_MAX];
};

/*
 * A mapping of a BAR: PROT_NONE memory whose every load and store traps
 * (lib/hw/mmio/trap.c) into the one BAR entry of the PCI layer. Process-
 * local: made by uio_vpci_mmap, inherited by fork, gone at exec as the
 * kernel's. This is its trap range's priv (the trace decodes it too),
 * freed by the range's release when its last piece is unmapped.
 *
 * The kernel's VMA holds a reference on the device's struct file, so the
 * device is released (close_device, the reset, the open count) only once
 * every mapping is gone too. Here the mapping holds a private duplicate
 * of the fd it was made from (close-on-exec, high above the program's
 * fds): the open file, and its lock byte (vfio.h), live as long as it
 * does; the release closes it as close() would, releasing the device if
 * it was the last reference. fork shares it with the child's copy of the
 * mapping; exit and exec close it with the rest of the process's fds.
 */
struct uio_vpci_map {
	uint32_t dev;                   /* index in the registry */
	uint32_t bar;
	int prot;
	uint64_t start;                 /* where in the BAR it starts */
	int fd;                         /* the private duplicate */
	uint32_t file;                  /* its open file (vfio_main.c's index) */
};

/* vfio_pci_core.c: what lib/vfio calls */
size_t uio_vpci_size(void);
/* At launch, with the PCI device built. */
void uio_vpci_init(struct uio_vfio_pci *v, struct uio_pci_dev *pdev);
/* The first open of the device, and the last close (registry locked). */
int uio_vpci_open_device(struct uio_vfio_registry *r, struct uio_vfio_device *d);
void uio_vpci_close_device(struct uio_vfio_registry *r, struct uio_vfio_device *d);
/*
 * VFIO_GROUP_GET_DEVICE_FD's name against d (vfio_pci_core_match): 1 it
 * names d, 0 it does not, -EINVAL a malformed option after the name.
 */
int uio_vpci_match(struct uio_vfio_device *d, const char *buf);
/* The device ioctls of vfio-pci (registry locked): >= 0 or -errno. */
long uio_vpci_ioctl(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		    unsigned long cmd, void *arg);
/* DEVICE_FEATURE's part: -ENOTTY for every feature vfio-pci lacks here. */
long uio_vpci_feature(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		      uint32_t flags, void *data, size_t len);
/* pread/pwrite of a region: bytes, or -errno. Not under the registry lock. */
long uio_vpci_rw(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		 void *buf, size_t count, uint64_t pos, bool write);
/* mmap of a region through fd (whose open file's index is file): the
 * address, or -errno. */
long uio_vpci_mmap(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		   int fd, uint32_t file, void *addr, size_t len, int prot,
		   int flags, uint64_t off);

/* vfio_pci_config.c */
void uio_vpci_config_init(struct uio_vfio_pci *v, struct uio_pci_dev *pdev);
long uio_vpci_config_rw(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			uint8_t *buf, size_t count, uint64_t pos, bool write);
bool uio_vpci_memory_enabled(struct uio_vfio_pci *v);
/* vfio_pci_set_power_state(): 0 (D0) or 3 (D3hot); device lock held. */
void uio_vpci_set_power_state(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			      unsigned int state);

/* vfio_pci_rdwr.c */
long uio_vpci_bar_rw(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		     unsigned int bar, uint8_t *buf, size_t count, uint64_t pos,
		     bool write);
/* vfio_pci_ioeventfd() (registry locked): add (fd >= 0) or remove (-1)
 * an ioeventfd of device dev. 0 or -errno. */
int uio_vpci_ioeventfd(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		       uint32_t dev, uint64_t offset, uint64_t data,
		       unsigned int count, int fd);
/* Every ioeventfd goes (the device's close; registry locked). */
void uio_vpci_ioeventfds_release(struct uio_vfio_pci *v);

/* vfio_pci_intrs.c */
unsigned int uio_vpci_irq_count(struct uio_vfio_pci *v,
				struct uio_pci_dev *pdev, unsigned int index);
/* SET_IRQS for device dev (its index in the registry; registry locked). */
int uio_vpci_set_irqs(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		      uint32_t dev, uint32_t flags, unsigned int index,
		      unsigned int start, unsigned int count, void *data);
void uio_vpci_intx_mask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev);
void uio_vpci_intx_unmask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev);
/* The PCI layer's bus signal: deliver an interrupt of pdev. */
void uio_vpci_signal(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		     enum uio_pci_irq kind, unsigned int vector);
/* Close every eventfd this process holds for v (device closed). */
void uio_vpci_triggers_release(struct uio_vfio_pci *v);
/* A private duplicate of fd, close-on-exec, high above the program's
 * own fds: the fd or -errno. */
int uio_vpci_dup_private(int fd);
/* eventfd_ctx_fdget() into a trigger (-EBADF, -EINVAL), its put and its
 * eventfd_signal(), for the other eventfds of vfio-pci. */
int uio_vpci_trigger_set(struct uio_vpci_trigger *t, int fd);
void uio_vpci_trigger_clear(struct uio_vpci_trigger *t);
void uio_vpci_trigger_signal(struct uio_vpci_trigger *t);

/*
 * vfio_device_pm_runtime_get() before each ioctl and region access: the
 * device, suspended while low power is engaged, wakes up (and leaves low
 * power if a wakeup eventfd was given, signalling it).
 */
void uio_vpci_runtime_resume(struct uio_vfio_registry *r, struct uio_vfio_device *d);

#endif
