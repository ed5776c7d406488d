// SPDX-License-Identifier: MIT
/*
 * vfio-pci region reads and writes of BARs, as vfio_pci_bar_rw() and
 * vfio_pci_core_do_io_rw(): an access is split into naturally aligned
 * pieces of 8, 4, 2 and 1 bytes, each a device access through the PCI
 * layer's one BAR entry (the same a trapped load or store takes); a
 * memory BAR whose decoding is off in the virtual command register gives
 * EIO; the MSI-X table is excluded (reads all ones, writes dropped), as
 * the kernel keeps it to itself on this path.
 */
#include <errno.h>

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

				if (uio_copy_to_user(uio_vfio_uptr(ubuf, done + i), &ff, 1))
					return -EFAULT;
			}
		} else {
			if (write && uio_copy_from_user(val, uio_vfio_uptr(ubuf, done), n))
				return -EFAULT;
			if (test_mem && !uio_vpci_memory_enabled(v))
				return -EIO;
			rc = uio_pci_bar_rw(pdev, bar, off, val, (unsigned int)n, write);
			if (rc)
				return rc;
			if (!write && uio_copy_to_user(uio_vfio_uptr(ubuf, done), val, n))
				return -EFAULT;
		}
		count -= n;
		done += n;
	}
	return (long)done;
}
