// SPDX-License-Identifier: MIT
/*
 * hw_pagetable: paging domains (HWPT_PAGING objects) on an IOAS.
 *
 * A paging hwpt owns an emulated IOMMU page table (pgtable.c) with the
 * selftest mock driver's geometry: IO pages of PAGE_SIZE / 2, also
 * MOCK_HUGE_PAGE_SIZE leaves when the device asked for huge IOVA, and the
 * MOCK_APERTURE_START..MOCK_APERTURE_LAST aperture. It holds a users
 * reference on its IOAS; the IOAS's areas are mapped into it while it is
 * one of the io_pagetable's domains (io_pagetable.c).
 *
 * Creation follows the kernel: reserve the object, take the IOAS, make the
 * domain, attach the device first when asked to (immediate attach, what the
 * mock driver's auto domains use), then join the IOAS, which fills the
 * domain and can fail (EFAULT, ENOMEM); the caller finalizes or aborts.
 */
#include <errno.h>

#include <uiommufd/uapi.h>

#include "core.h"

/* IO page: PAGE_SIZE / 2 (2 KiB); huge leaves one level up: 1 MiB. */
#define UIO_MOCK_IO_PAGE_SHIFT (UIO_PAGE_SHIFT - 1)
/* Three 512-entry levels of 2 KiB pages cover 256 GiB, past the aperture. */
#define UIO_MOCK_LEVELS 3

static int uio_hwpt_domain_init(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
				bool huge)
{
	hwpt->huge = huge;
	hwpt->aperture_start = MOCK_APERTURE_START;
	hwpt->aperture_last = MOCK_APERTURE_LAST;
	return uio_pgt_init(&hwpt->pgt, &ctx->arena, UIO_MOCK_IO_PAGE_SHIFT,
			    UIO_MOCK_LEVELS, huge ? 1 : 0);
}

struct uio_hwpt *uio_hwpt_paging_alloc(struct uio_ctx *ctx,
				       struct uio_ioas *ioas,
				       struct uio_idev *idev, uint32_t flags,
				       bool immediate_attach, int *err)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT |
			       IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	struct uio_obj *obj;
	struct uio_hwpt *hwpt;
	int rc;

	if (flags & ~valid) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* The mock device without dirty tracking cannot have a dirty domain. */
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    (idev->mock_flags & MOCK_FLAGS_DEVICE_NO_DIRTY)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	obj = uio_obj_alloc(ctx, sizeof(*hwpt), UIO_OBJ_HWPT_PAGING, err);
	if (!obj)
		return NULL;
	hwpt = uio_container_of(obj, struct uio_hwpt, obj);
	hwpt->ioas = ioas;
	atomic_fetch_add(&ioas->obj.users, 1);
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt->dirty_ops = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	rc = uio_hwpt_domain_init(ctx, hwpt,
				  idev->mock_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA);
	if (rc)
		goto err_abort;

	if (immediate_attach) {
		rc = uio_device_attach_hwpt(ctx, idev, hwpt);
		if (rc)
			goto err_abort;
	}
	rc = uio_iopt_table_add_domain(ctx, &ioas->iopt, hwpt);
	if (rc)
		goto err_detach;
	hwpt->ioas_next = ioas->hwpts;
	ioas->hwpts = hwpt;
	return hwpt;

err_detach:
	if (immediate_attach)
		uio_device_detach_hwpt(ctx, idev);
err_abort:
	uio_obj_abort_and_destroy(ctx, &hwpt->obj);
	*err = rc;
	return NULL;
}

/* Object destroy: leave the IOAS (unmapping and unpinning), free the table. */
void uio_hwpt_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	struct uio_hwpt *hwpt = uio_container_of(obj, struct uio_hwpt, obj);
	struct uio_ioas *ioas = hwpt->ioas;
	struct uio_hwpt **pp;

	if (!ioas)
		return;
	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->ioas_next) {
		if (*pp == hwpt) {
			*pp = hwpt->ioas_next;
			break;
		}
	}
	uio_iopt_table_remove_domain(ctx, &ioas->iopt, hwpt);
	if (hwpt->pgt.root)
		uio_pgt_destroy(&hwpt->pgt);
	atomic_fetch_sub(&ioas->obj.users, 1);
	hwpt->ioas = NULL;
}

static uint64_t uio_hwpt_prot(const struct uio_area *area)
{
	return ((area->prot & UIO_PROT_READ) ? UIO_PTE_READ : 0) |
	       ((area->prot & UIO_PROT_WRITE) ? UIO_PTE_WRITE : 0);
}

int uio_hwpt_map_area(struct uio_hwpt *hwpt, struct uio_area *area,
		      struct uio_pages *pages)
{
	uint64_t len = area->node.last - area->node.start + 1;

	if (uio_should_fail())
		return -ENOMEM;
	return uio_pgt_map(&hwpt->pgt, area->node.start,
			   pages->phys_node.start + area->start_byte, len,
			   uio_hwpt_prot(area));
}

void uio_hwpt_unmap_area(struct uio_hwpt *hwpt, struct uio_area *area)
{
	uint64_t len = area->node.last - area->node.start + 1, unmapped;

	/* Areas are mapped whole, so no large leaf needs a split here. */
	uio_pgt_unmap(&hwpt->pgt, area->node.start, len, &unmapped);
}
