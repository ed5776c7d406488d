// SPDX-License-Identifier: MIT
/*
 * vfio-pci interrupts: VFIO_DEVICE_SET_IRQS for INTx, MSI, MSI-X, ERR and
 * REQ, with the kernel's rules (drivers/vfio/pci/vfio_pci_intrs.c and
 * vfio_set_irqs_validate_and_prepare()), and the delivery of the
 * interrupts the device raises to the eventfds the program gave.
 *
 * INTx is automasked, as vfio-pci does it with a device that supports
 * INTx disable: an interrupt masks the line and signals the trigger; the
 * program unmasks it (VFIO UNMASK, its unmask eventfd (a virqfd, see
 * lib/vfio/virqfd.c), or the INTx disable bit of the virtual command
 * register); an interrupt that came while masked is signalled at
 * the unmask, and the line stays masked for it. MSI and MSI-X vectors are
 * routed by the host (lib/hw/pci) as pci_alloc_irq_vectors() and
 * request_irq() would: a vector with a trigger is unmasked in the MSI-X
 * table. Only ACTION_TRIGGER exists for them, as in 6.12.
 *
 * An eventfd given by the program is duplicated into a private fd of the
 * calling process (the kernel holds a reference instead); see the
 * trigger in vfio_pci_priv.h for how other processes reach it.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <uiommufd/uapi.h>

#include "debug.h"
#include "kernel.h"
#include "sys.h"
#include "vfio_pci_priv.h"

/* ------------------------------------------------------------------ */
/* triggers */

static uint64_t uio_trig_word(int32_t pid, int fd)
{
	return ((uint64_t)(uint32_t)pid << 32) | (uint32_t)fd;
}

/* Whether fd is an eventfd of this process: 0, -EBADF or -EINVAL. */
static int uio_check_eventfd(int fd)
{
	return uio_virqfd_check_eventfd(fd);
}

/* A private duplicate of fd, high above the program's own fds. */
int uio_vpci_dup_private(int fd)
{
	struct rlimit rl;
	long base = 3, nfd;

	/* The top quarter of the fd space, at most 4096 fds of it. */
	if (!UIO_SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) &&
	    rl.rlim_cur > 512 && rl.rlim_cur != RLIM_INFINITY)
		base = (long)rl.rlim_cur -
		       (rl.rlim_cur / 4 < 4096 ? (long)rl.rlim_cur / 4 : 4096);
	nfd = uio_sys_fcntl_long(fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0 && base > 3)
		nfd = uio_sys_fcntl_long(fd, F_DUPFD_CLOEXEC, 3);
	return (int)nfd;
}

/* Whether this program image set the trigger (its fd is one of ours). */
static bool uio_trig_mine(const struct uio_vpci_trigger *t, uint64_t w)
{
	return (int32_t)(w >> 32) == uio_current_pid() &&
	       t->start_time == uio_current_start_time() &&
	       !memcmp(&t->exec_id, uio_current_exec_id(), sizeof(t->exec_id));
}

/* Drop the trigger; its private fd too if this image holds it. */
static void uio_trig_clear(struct uio_vpci_trigger *t)
{
	uint64_t w = atomic_exchange(&t->word, 0);

	if (w && uio_trig_mine(t, w))
		uio_sys_close((int)(uint32_t)w);
}

/* Point the trigger at the program's eventfd fd: 0, -EBADF, -EINVAL. */
static int uio_trig_set(struct uio_vpci_trigger *t, int fd)
{
	int rc = uio_check_eventfd(fd), nfd;

	if (rc)
		return rc;
	nfd = uio_vpci_dup_private(fd);
	if (nfd < 0)
		return nfd;
	uio_trig_clear(t);
	t->start_time = uio_current_start_time();
	t->exec_id = *uio_current_exec_id();
	atomic_store(&t->word, uio_trig_word(uio_current_pid(), nfd));
	return 0;
}

static bool uio_trig_set_p(struct uio_vpci_trigger *t)
{
	return atomic_load(&t->word) != 0;
}

/*
 * Another process's trigger fds, fetched with pidfd_getfd() once. Small
 * and process-local; entries of processes that are gone are reused.
 */
#define UIO_TRIG_CACHE 64

static struct {
	uint64_t word, start_time;
	int local;
} uio_trig_cache[UIO_TRIG_CACHE];
static pthread_mutex_t uio_trig_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int uio_trig_remote_fd(uint64_t w, uint64_t start_time,
			      const struct uio_exec_id *exec_id)
{
	int32_t pid = (int32_t)(w >> 32);
	int fd = -1, pidfd, slot = -1;

	pthread_mutex_lock(&uio_trig_cache_lock);
	for (int i = 0; i < UIO_TRIG_CACHE; i++) {
		if (uio_trig_cache[i].word == w &&
		    uio_trig_cache[i].start_time == start_time) {
			fd = uio_trig_cache[i].local;
			goto out;
		}
		if (slot < 0 && !uio_trig_cache[i].word)
			slot = i;
	}
	pidfd = (int)UIO_SYS(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		goto out;
	/*
	 * Only from the image that set it (checked with the pidfd held: the
	 * pid cannot be reused under it): after an exec the number may be
	 * another file of the new program.
	 */
	if (uio_exec_id_alive(pid, exec_id))
		fd = (int)UIO_SYS(SYS_pidfd_getfd, pidfd, (int)(uint32_t)w, 0);
	uio_sys_close(pidfd);
	if (fd < 0)
		goto out;
	if (slot < 0) {
		/* Full: forget the oldest (slot 0) and shift. */
		uio_sys_close(uio_trig_cache[0].local);
		memmove(&uio_trig_cache[0], &uio_trig_cache[1],
			sizeof(uio_trig_cache[0]) * (UIO_TRIG_CACHE - 1));
		slot = UIO_TRIG_CACHE - 1;
	}
	uio_trig_cache[slot].word = w;
	uio_trig_cache[slot].start_time = start_time;
	uio_trig_cache[slot].local = fd;
out:
	pthread_mutex_unlock(&uio_trig_cache_lock);
	return fd;
}

/* eventfd_signal(): add 1 to the counter, from whichever process. */
static void uio_trig_signal(struct uio_vpci_trigger *t)
{
	uint64_t w = atomic_load(&t->word), one = 1;
	int fd;

	if (!w)
		return;
	if (uio_trig_mine(t, w))
		fd = (int)(uint32_t)w;
	else if ((int32_t)(w >> 32) == uio_current_pid())
		fd = -1; /* set by this process's image before an exec: gone */
	else
		fd = uio_trig_remote_fd(w, t->start_time, &t->exec_id);
	if (fd >= 0)
		UIO_SYS(SYS_write, fd, &one, sizeof(one));
	uio_debug(UIO_DEBUG_IRQ, "trigger (fd %u of pid %d) %s", (unsigned int)w, (int)(w >> 32), fd >= 0 ? "signalled" : "not signalled: that process or fd is gone");
}

int uio_vpci_trigger_set(struct uio_vpci_trigger *t, int fd)
{
	return uio_trig_set(t, fd);
}

void uio_vpci_trigger_clear(struct uio_vpci_trigger *t)
{
	uio_trig_clear(t);
}

void uio_vpci_trigger_signal(struct uio_vpci_trigger *t)
{
	uio_trig_signal(t);
}

void uio_vpci_triggers_release(struct uio_vfio_pci *v)
{
	uio_trig_clear(&v->pm_wake);
	uio_trig_clear(&v->intx);
	uio_trig_clear(&v->err);
	uio_trig_clear(&v->req);
	for (unsigned int i = 0; i < UIO_PCI_MSIX_MAX; i++)
		if (atomic_load_explicit(&v->vec[i].word, memory_order_relaxed))
			uio_trig_clear(&v->vec[i]);
}

/* ------------------------------------------------------------------ */
/* delivery (the PCI layer's bus signal; device lock held) */

void uio_vpci_signal(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		     enum uio_pci_irq kind, unsigned int vector)
{
	(void)pdev;
	uio_debug(UIO_DEBUG_IRQ, "%s %u raised%s", kind == UIO_PCI_IRQ_INTX ? "INTx" : kind == UIO_PCI_IRQ_MSI ? "MSI vector" : "MSI-X vector", vector, v->irq_type == UIO_VPCI_IRQ_NONE ? ": no interrupt enabled (VFIO_DEVICE_SET_IRQS), dropped" : "");
	switch (kind) {
	case UIO_PCI_IRQ_INTX:
		if (v->irq_type != VFIO_PCI_INTX_IRQ_INDEX)
			return;
		/* Automasked: one interrupt until the program unmasks. */
		if (v->intx_masked || v->virq_disabled) {
			v->intx_pending = true;
			return;
		}
		v->intx_masked = true;
		uio_trig_signal(&v->intx);
		return;
	case UIO_PCI_IRQ_MSI:
	case UIO_PCI_IRQ_MSIX:
		if (vector < UIO_PCI_MSIX_MAX)
			uio_trig_signal(&v->vec[vector]);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* INTx */

void uio_vpci_intx_mask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	(void)pdev;
	if (v->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
		v->intx_masked = true;
}

void uio_vpci_intx_unmask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	(void)pdev;
	if (v->irq_type != VFIO_PCI_INTX_IRQ_INDEX || !v->intx_masked ||
	    v->virq_disabled)
		return;
	if (v->intx_pending) {
		/* Still asserted: signal again, stay masked. */
		v->intx_pending = false;
		uio_trig_signal(&v->intx);
		return;
	}
	v->intx_masked = false;
}

static int uio_intx_enable(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	if (v->irq_type != UIO_VPCI_IRQ_NONE)
		return -EINVAL;
	if (!v->vconfig[PCI_INTERRUPT_PIN])
		return -ENODEV;
	v->intx_masked = v->virq_disabled;
	v->intx_pending = false;
	v->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
	uio_pci_irq_route(pdev, UIO_PCI_IRQ_INTX, 1);
	return 0;
}

static void uio_intx_disable(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	uio_virqfd_disable(&v->intx_unmask);
	uio_pci_irq_route(pdev, UIO_PCI_IRQ_INTX, 0);
	uio_trig_clear(&v->intx);
	v->irq_type = UIO_VPCI_IRQ_NONE;
}

/*
 * The unmask eventfd was signalled (vfio_pci_intx_unmask_handler, then
 * vfio_send_intx_eventfd if the line is still asserted): the same unmask
 * as the UNMASK ioctl's. In the watching process's service thread, the
 * registry locked.
 */
static void uio_intx_unmask_fn(struct uio_vfio_registry *r, uint32_t dev,
			       uint32_t arg)
{
	struct uio_vfio_device *d;
	struct uio_pci_dev *pdev;

	(void)arg;
	if (dev >= r->ndevices)
		return;
	d = &r->devices[dev];
	pdev = uio_vfio_pci(r, d);
	uio_pci_lock(pdev);
	uio_vpci_intx_unmask(uio_vfio_vpci(r, d), pdev);
	uio_pci_unlock(pdev);
}

static int uio_set_intx_unmask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			       uint32_t dev, unsigned int start,
			       unsigned int count, uint32_t flags, void *data)
{
	if (v->irq_type != VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		uio_vpci_intx_unmask(v, pdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(uint8_t *)data)
			uio_vpci_intx_unmask(v, pdev);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd = *(int32_t *)data;

		/* An eventfd that unmasks when signalled (KVM's resampler
		 * writes it): a virqfd; a negative fd disables it. */
		if (fd >= 0)
			return uio_virqfd_enable(&v->intx_unmask, fd,
						 uio_intx_unmask_fn, dev, 0);
		uio_virqfd_disable(&v->intx_unmask);
	}
	return 0;
}

static int uio_set_intx_mask(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     unsigned int start, unsigned int count,
			     uint32_t flags, void *data)
{
	if (v->irq_type != VFIO_PCI_INTX_IRQ_INDEX || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		uio_vpci_intx_mask(v, pdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(uint8_t *)data)
			uio_vpci_intx_mask(v, pdev);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		return -ENOTTY;
	}
	return 0;
}

static int uio_set_intx_trigger(struct uio_vfio_pci *v,
				struct uio_pci_dev *pdev, unsigned int start,
				unsigned int count, uint32_t flags, void *data)
{
	bool intx = v->irq_type == VFIO_PCI_INTX_IRQ_INDEX;

	if (intx && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		uio_intx_disable(v, pdev);
		return 0;
	}
	if (!(intx || v->irq_type == UIO_VPCI_IRQ_NONE) || start != 0 ||
	    count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd = *(int32_t *)data;
		int rc;

		if (fd >= 0) {
			rc = uio_check_eventfd(fd);
			if (rc)
				return rc;
		}
		if (!intx) {
			rc = uio_intx_enable(v, pdev);
			if (rc)
				return rc;
		}
		if (fd >= 0)
			return uio_trig_set(&v->intx, fd);
		uio_trig_clear(&v->intx);
		return 0;
	}
	if (!intx)
		return -EINVAL;
	/* Loopback: a DATA_NONE or true DATA_BOOL trigger signals. */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
	    ((flags & VFIO_IRQ_SET_DATA_BOOL) && *(uint8_t *)data)) {
		if (!v->virq_disabled)
			uio_trig_signal(&v->intx);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* MSI and MSI-X */

/* request_irq() unmasks the vector, free_irq() masks it (irq_shutdown). */
static void uio_msi_set_vector(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			       unsigned int vec, bool msix, bool on)
{
	if (msix)
		uio_pci_msix_mask(pdev, vec, !on);
	else
		uio_pci_msi_mask(pdev, vec, !on);
	(void)v;
}

static void uio_msi_disable(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			    bool msix)
{
	for (unsigned int i = 0; i < UIO_PCI_MSIX_MAX; i++) {
		if (!uio_trig_set_p(&v->vec[i]))
			continue;
		uio_trig_clear(&v->vec[i]);
		uio_msi_set_vector(v, pdev, i, msix, false);
	}
	uio_pci_irq_route(pdev, msix ? UIO_PCI_IRQ_MSIX : UIO_PCI_IRQ_MSI, 0);
	v->nvec = 0;
	v->irq_type = UIO_VPCI_IRQ_NONE;
}

/* vfio_msi_set_block(): each vector gets its fd, or none; all or nothing. */
static int uio_msi_set_block(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     unsigned int start, unsigned int count,
			     const int32_t *fds, bool msix)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < count && !rc; i++) {
		int fd = fds ? fds[i] : -1;
		unsigned int vec = start + i;

		if (uio_trig_set_p(&v->vec[vec])) {
			uio_trig_clear(&v->vec[vec]);
			uio_msi_set_vector(v, pdev, vec, msix, false);
		}
		if (fd < 0)
			continue;
		/* A vector past those enabled: dynamic MSI-X allocates it;
		 * MSI cannot grow. */
		if (vec >= v->nvec) {
			if (!msix) {
				rc = -EINVAL;
				break;
			}
			v->nvec = vec + 1;
			uio_pci_irq_route(pdev, UIO_PCI_IRQ_MSIX, v->nvec);
		}
		rc = uio_trig_set(&v->vec[vec], fd);
		if (!rc)
			uio_msi_set_vector(v, pdev, vec, msix, true);
	}
	if (rc) {
		for (unsigned int j = start; j < start + i; j++) {
			if (!uio_trig_set_p(&v->vec[j]))
				continue;
			uio_trig_clear(&v->vec[j]);
			uio_msi_set_vector(v, pdev, j, msix, false);
		}
	}
	return rc;
}

static int uio_set_msi_trigger(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			       unsigned int index, unsigned int start,
			       unsigned int count, uint32_t flags, void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	int rc;

	if (v->irq_type == index && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		uio_msi_disable(v, pdev, msix);
		return 0;
	}
	if (!(v->irq_type == index || v->irq_type == UIO_VPCI_IRQ_NONE))
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		const int32_t *fds = data;

		if (v->irq_type == index)
			return uio_msi_set_block(v, pdev, start, count, fds, msix);
		/* vfio_msi_enable(): start + count vectors from the host. */
		v->irq_type = (uint8_t)index;
		v->nvec = start + count;
		if (!msix)
			v->msi_qmax = (uint8_t)(32 - __builtin_clz(v->nvec * 2 - 1) - 1);
		uio_pci_irq_route(pdev, msix ? UIO_PCI_IRQ_MSIX : UIO_PCI_IRQ_MSI,
				  v->nvec);
		rc = uio_msi_set_block(v, pdev, start, count, fds, msix);
		if (rc)
			uio_msi_disable(v, pdev, msix);
		return rc;
	}
	if (v->irq_type != index)
		return -EINVAL;
	/* Loopback: signal the vectors that have a trigger. */
	for (unsigned int i = start; i < start + count; i++) {
		if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
		    ((flags & VFIO_IRQ_SET_DATA_BOOL) &&
		     ((uint8_t *)data)[i - start]))
			uio_trig_signal(&v->vec[i]);
	}
	return 0;
}

/* ERR and REQ: one eventfd each (vfio_pci_set_ctx_trigger_single). */
static int uio_set_single(struct uio_vpci_trigger *t, unsigned int start,
			  unsigned int count, uint32_t flags, void *data)
{
	if (start != 0 || count > 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (!uio_trig_set_p(t))
			return -EINVAL;
		if (count)
			uio_trig_signal(t);
		else
			uio_trig_clear(t);
		return 0;
	}
	if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			return -EINVAL;
		if (*(uint8_t *)data)
			uio_trig_signal(t);
		return 0;
	}
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		int32_t fd;

		if (!count)
			return -EINVAL;
		fd = *(int32_t *)data;
		if (fd == -1) {
			uio_trig_clear(t);
			return 0;
		}
		if (fd >= 0)
			return uio_trig_set(t, fd);
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* VFIO_DEVICE_SET_IRQS and GET_IRQ_INFO's count */

unsigned int uio_vpci_irq_count(struct uio_vfio_pci *v,
				struct uio_pci_dev *pdev, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return v->vconfig[PCI_INTERRUPT_PIN] ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		return pdev->cap_msi ? pdev->msi_vectors : 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return pdev->cap_msix ? pdev->msix_vectors : 0;
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pdev->cap_exp ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

int uio_vpci_set_irqs(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		      uint32_t dev, uint32_t flags, unsigned int index,
		      unsigned int start, unsigned int count, void *data)
{
	uint32_t action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	int rc = -ENOTTY;

	uio_pci_lock(pdev);
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			rc = uio_set_intx_mask(v, pdev, start, count, flags, data);
		else if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			rc = uio_set_intx_unmask(v, pdev, dev, start, count, flags,
						 data);
		else if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = uio_set_intx_trigger(v, pdev, start, count, flags, data);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		/* Masking MSI and MSI-X is not exported in 6.12. */
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = uio_set_msi_trigger(v, pdev, index, start, count,
						 flags, data);
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER && pdev->cap_exp)
			rc = uio_set_single(&v->err, start, count, flags, data);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			rc = uio_set_single(&v->req, start, count, flags, data);
		break;
	}
	uio_pci_unlock(pdev);
	return rc;
}
