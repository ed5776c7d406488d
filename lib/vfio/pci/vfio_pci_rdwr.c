// SPDX-License-Identifier: MIT
/*
 * vfio-pci region reads and writes of BARs, as vfio_pci_bar_rw() and
 * vfio_pci_core_do_io_rw(): an access is split into naturally aligned
 * pieces of 8, 4, 2 and 1 bytes, each a device access through the PCI
 * layer's one BAR entry (the same a trapped load or store takes); a
 * memory BAR whose decoding is off in the virtual command register gives
 * EIO; the MSI-X table is excluded (reads all ones, writes dropped), as
 * the kernel keeps it to itself on this path. And the ioeventfds
 * (vfio_pci_ioeventfd()): a BAR write each time an eventfd is signalled.
 */
#include <errno.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "uaccess.h"
#include "vfio_pci_priv.h"

long uio_vpci_bar_rw(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		     unsigned int bar, uint8_t *ubuf, size_t count, uint64_t pos,
		     bool write)
{
	const struct uio_pci_bar *b;
	uint64_t end, x_start = 0, x_end = 0;
	bool test_mem;
	size_t done = 0;

	if (bar >= UIO_PCI_NUM_BARS || !pdev->bars[bar].size ||
	    !pdev->bars[bar].start)
		return -EINVAL;
	b = &pdev->bars[bar];
	end = b->size;
	if (pos >= end)
		return -EINVAL;
	if (count > end - pos)
		count = (size_t)(end - pos);
	if (bar == v->msix_bar) {
		x_start = v->msix_offset;
		x_end = v->msix_offset + v->msix_size;
	}
	test_mem = !(b->flags & UIOMMUFD_BAR_IO);
	while (count) {
		uint64_t off = pos + done;
		size_t fillable, n;
		uint8_t val[8];
		int rc;

		if (off < x_start)
			fillable = count < x_start - off ? count : (size_t)(x_start - off);
		else if (off >= x_end)
			fillable = count;
		else
			fillable = 0;
		if (fillable >= 8 && !(off % 8))
			n = 8;
		else if (fillable >= 4 && !(off % 4))
			n = 4;
		else if (fillable >= 2 && !(off % 2))
			n = 2;
		else if (fillable)
			n = 1;
		else
			n = 0;
		if (!n) {
			/* The MSI-X table: reads all ones, writes dropped. */
			n = count < x_end - off ? count : (size_t)(x_end - off);
			for (size_t i = 0; i < n && !write; i++) {
				uint8_t ff = 0xff;

				if (uio_copy_to_user(UIO_UPTR(ubuf, done + i), &ff, 1))
					return -EFAULT;
			}
		} else {
			if (write && uio_copy_from_user(val, UIO_UPTR(ubuf, done), n))
				return -EFAULT;
			if (test_mem && !uio_vpci_memory_enabled(v))
				return -EIO;
			rc = uio_pci_bar_rw(pdev, bar, off, val, (unsigned int)n, write);
			if (rc)
				return rc;
			if (!write && uio_copy_to_user(UIO_UPTR(ubuf, done), val, n))
				return -EFAULT;
		}
		count -= n;
		done += n;
	}
	return (long)done;
}

/* ------------------------------------------------------------------ */
/* ioeventfds */

/*
 * An ioeventfd's eventfd was signalled (vfio_pci_ioeventfd_handler and
 * its thread): the write, through the PCI layer's one BAR entry as a
 * trapped store; on a memory BAR only while it decodes (dropped
 * otherwise, and while low power is engaged: the device is suspended).
 * In the watching process's service thread, the registry locked.
 */
static void uio_ioeventfd_fn(struct uio_vfio_registry *r, uint32_t dev,
			     uint32_t arg)
{
	struct uio_vpci_ioeventfd *e;
	struct uio_vfio_pci *v;
	uint8_t val[8];

	if (dev >= r->ndevices || arg >= UIO_VPCI_IOEVENTFD_MAX)
		return;
	v = uio_vfio_vpci(r, &r->devices[dev]);
	e = &v->ioeventfds[arg];
	if (!e->used)
		return;
	if (e->test_mem && (v->pm_engaged || !uio_vpci_memory_enabled(v)))
		return;
	memcpy(val, &e->data, sizeof(val));
	uio_pci_bar_rw(uio_vfio_pci(r, &r->devices[dev]), e->bar, e->pos, val,
		       e->count, true);
}

int uio_vpci_ioeventfd(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
		       uint32_t dev, uint64_t offset, uint64_t data,
		       unsigned int count, int fd)
{
	unsigned int bar = UIO_VPCI_INDEX(offset), free_slot = UIO_VPCI_IOEVENTFD_MAX;
	uint64_t pos = offset & UIO_VPCI_OFFSET_MASK;
	struct uio_vpci_ioeventfd *e;
	int rc;

	/* BARs only, inside, clear of the MSI-X table (x86 has iowrite64). */
	if (bar > VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	if (pos + count > pdev->bars[bar].size)
		return -EINVAL;
	if (bar == v->msix_bar &&
	    !(pos + count <= v->msix_offset || pos >= v->msix_offset + v->msix_size))
		return -EINVAL;
	/* The same place, value and size: EEXIST, or removed by fd -1. */
	for (unsigned int i = 0; i < v->ioeventfds_hi; i++) {
		e = &v->ioeventfds[i];
		if (!e->used) {
			if (free_slot == UIO_VPCI_IOEVENTFD_MAX)
				free_slot = i;
			continue;
		}
		if (e->pos != pos || e->bar != bar || e->data != data ||
		    e->count != count)
			continue;
		if (fd != -1)
			return -EEXIST;
		uio_virqfd_disable(&e->virqfd);
		e->used = false;
		v->ioeventfds_nr--;
		while (v->ioeventfds_hi && !v->ioeventfds[v->ioeventfds_hi - 1].used)
			v->ioeventfds_hi--;
		return 0;
	}
	if (fd < 0)
		return -ENODEV;
	if (v->ioeventfds_nr >= UIO_VPCI_IOEVENTFD_MAX)
		return -ENOSPC;
	if (free_slot == UIO_VPCI_IOEVENTFD_MAX)
		free_slot = v->ioeventfds_hi;
	e = &v->ioeventfds[free_slot];
	e->pos = pos;
	e->bar = (uint8_t)bar;
	e->data = data;
	e->count = (uint8_t)count;
	e->test_mem = !(pdev->bars[bar].flags & UIOMMUFD_BAR_IO);
	rc = uio_virqfd_enable(&e->virqfd, fd, uio_ioeventfd_fn, dev, free_slot);
	if (rc)
		return rc;
	e->used = true;
	v->ioeventfds_nr++;
	if (free_slot >= v->ioeventfds_hi)
		v->ioeventfds_hi = free_slot + 1;
	return 0;
}

void uio_vpci_ioeventfds_release(struct uio_vfio_pci *v)
{
	for (unsigned int i = 0; i < v->ioeventfds_hi; i++) {
		if (!v->ioeventfds[i].used)
			continue;
		uio_virqfd_disable(&v->ioeventfds[i].virqfd);
		v->ioeventfds[i].used = false;
	}
	v->ioeventfds_nr = 0;
	v->ioeventfds_hi = 0;
}
