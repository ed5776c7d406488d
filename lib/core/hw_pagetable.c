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
#include "uaccess.h"

/* IO page: PAGE_SIZE / 2 (2 KiB); huge leaves one level up: 1 MiB. */
#define UIO_MOCK_IO_PAGE_SHIFT (UIO_PAGE_SHIFT - 1)
/* Three 512-entry levels of 2 KiB pages cover 256 GiB, past the aperture. */
#define UIO_MOCK_LEVELS 3
/*
 * An Intel VT-d second-level table of 4 levels: 48-bit IOVA, 4 KiB pages,
 * 2 MiB and 1 GiB superpages (SAGAW 4-level, SLLPS 2M|1G).
 */
#define UIO_VTD_LEVELS 4
#define UIO_VTD_ADDR_BITS 48

static int uio_hwpt_domain_init(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
				const struct uio_idev *idev)
{
	bool huge = idev->mock_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA;

	hwpt->driver = idev->driver;
	if (idev->driver == UIO_IOMMU_INTEL_VTD) {
		hwpt->huge = true;
		hwpt->aperture_start = 0;
		hwpt->aperture_last = (1ull << UIO_VTD_ADDR_BITS) - 1;
		hwpt->pgsize_bitmap = (1ull << 12) | (1ull << 21) | (1ull << 30);
		return uio_pgt_init(&hwpt->pgt, &ctx->arena, UIO_PAGE_SHIFT,
				    UIO_VTD_LEVELS, 2);
	}
	hwpt->huge = huge;
	hwpt->aperture_start = MOCK_APERTURE_START;
	hwpt->aperture_last = MOCK_APERTURE_LAST;
	hwpt->pgsize_bitmap = (1ull << UIO_MOCK_IO_PAGE_SHIFT) |
			      (huge ? 1ull << (UIO_MOCK_IO_PAGE_SHIFT +
					       UIO_PGT_LEVEL_BITS) : 0);
	return uio_pgt_init(&hwpt->pgt, &ctx->arena, UIO_MOCK_IO_PAGE_SHIFT,
			    UIO_MOCK_LEVELS, huge ? 1 : 0);
}

/*
 * The driver's domain_alloc_user() refusals for a paging domain: the
 * Intel IOMMU here has neither nesting nor dirty tracking (SSADS), and
 * takes no driver data.
 */
static int uio_hwpt_driver_refuses(const struct uio_idev *idev,
				   uint32_t flags, bool user_data)
{
	if (idev->driver == UIO_IOMMU_INTEL_VTD &&
	    (user_data || (flags & (IOMMU_HWPT_ALLOC_NEST_PARENT |
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING))))
		return -EOPNOTSUPP;
	return 0;
}

struct uio_hwpt *uio_hwpt_paging_alloc(struct uio_ctx *ctx,
				       struct uio_ioas *ioas,
				       struct uio_idev *idev, uint32_t flags,
				       bool immediate_attach, bool user_data,
				       int *err)
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
	*err = uio_hwpt_driver_refuses(idev, flags, user_data);
	if (*err)
		return NULL;
	obj = uio_obj_alloc(ctx, sizeof(*hwpt), UIO_OBJ_HWPT_PAGING, err);
	if (!obj)
		return NULL;
	hwpt = uio_container_of(obj, struct uio_hwpt, obj);
	hwpt->ioas = ioas;
	UIO_J(&ioas->obj);
	atomic_fetch_add(&ioas->obj.users, 1);
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt->dirty_ops = flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	/* The mock paging domain takes no driver data. */
	if (user_data) {
		rc = -EOPNOTSUPP;
		goto err_abort;
	}
	rc = uio_hwpt_domain_init(ctx, hwpt, idev);
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
	UIO_J(&ioas->hwpts);
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

	UIO_J(hwpt);
	if (hwpt->fault) {
		UIO_J(&hwpt->fault->obj);
		atomic_fetch_sub(&hwpt->fault->obj.users, 1);
		hwpt->fault = NULL;
	}
	if (hwpt->parent) {
		UIO_J(&hwpt->parent->obj);
		atomic_fetch_sub(&hwpt->parent->obj.users, 1);
		hwpt->parent = NULL;
		return;
	}
	if (!ioas)
		return;
	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->ioas_next) {
		if (*pp == hwpt) {
			UIO_J(pp);
			*pp = hwpt->ioas_next;
			break;
		}
	}
	uio_iopt_table_remove_domain(ctx, &ioas->iopt, hwpt);
	if (hwpt->pgt.root)
		uio_pgt_destroy(&hwpt->pgt);
	UIO_J(&ioas->obj);
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

	uint64_t prot = uio_hwpt_prot(area);

	if (uio_should_fail())
		return -ENOMEM;
	/*
	 * Huge IO pages need physically contiguous memory: the kernel only
	 * gets it from huge pages, so only hugetlb-backed memory gets them.
	 */
	if (!hwpt->huge || len < (1ull << (hwpt->pgt.granule_shift +
					   UIO_PGT_LEVEL_BITS)) ||
	    !uio_pages_huge_backed(pages))
		prot |= UIO_PGT_MAP_SMALL;
	return uio_pgt_map(&hwpt->pgt, area->node.start,
			   pages->phys_node.start + area->start_byte, len, prot);
}

void uio_hwpt_unmap_area(struct uio_hwpt *hwpt, struct uio_area *area)
{
	uint64_t len = area->node.last - area->node.start + 1, unmapped;

	/* Areas are mapped whole, so no large leaf needs a split here. */
	uio_pgt_unmap(&hwpt->pgt, area->node.start, len, &unmapped);
}

struct uio_hwpt *uio_hwpt_get(struct uio_ctx *ctx, uint32_t id,
			      enum uio_obj_type type)
{
	struct uio_obj *obj = uio_obj_get(ctx, id, type);

	return obj ? uio_container_of(obj, struct uio_hwpt, obj) : NULL;
}

/*
 * A mock nested domain on a NEST_PARENT paging hwpt: its driver data is a
 * struct iommu_hwpt_selftest, the initial value of its IOTLB entries.
 */
static struct uio_hwpt *uio_hwpt_nested_alloc(struct uio_ctx *ctx,
					      struct uio_hwpt *parent,
					      const struct uio_idev *idev,
					      uint32_t flags,
					      const struct iommu_hwpt_alloc *cmd,
					      int *err)
{
	struct iommu_hwpt_selftest cfg;
	struct uio_hwpt *hwpt;
	struct uio_obj *obj;
	int rc, i;

	if ((flags & ~(uint32_t)IOMMU_HWPT_FAULT_ID_VALID) || !cmd->data_len) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	/* A parent of the device's own IOMMU driver, made to nest. */
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->driver != idev->driver) {
		*err = -EINVAL;
		return NULL;
	}
	obj = uio_obj_alloc(ctx, sizeof(*hwpt), UIO_OBJ_HWPT_NESTED, err);
	if (!obj)
		return NULL;
	hwpt = uio_container_of(obj, struct uio_hwpt, obj);
	UIO_J(&parent->obj);
	atomic_fetch_add(&parent->obj.users, 1);
	hwpt->parent = parent;
	hwpt->driver = parent->driver;

	/* The mock driver's domain_alloc_user for a nested domain. */
	if (cmd->data_type != IOMMU_HWPT_DATA_SELFTEST ||
	    (flags & ~(uint32_t)IOMMU_HWPT_FAULT_ID_VALID)) {
		rc = -EOPNOTSUPP;
		goto err_abort;
	}
	if (cmd->data_len < sizeof(cfg)) {
		rc = -EINVAL;
		goto err_abort;
	}
	if (cmd->data_len > sizeof(cfg)) {
		/* iommu_copy_struct_from_user: longer than the kernel knows */
		rc = -EINVAL;
		goto err_abort;
	}
	rc = uio_copy_struct_from_user(&cfg, sizeof(cfg),
				       (const void *)(uintptr_t)cmd->data_uptr,
				       cmd->data_len);
	if (rc)
		goto err_abort;
	for (i = 0; i < UIO_MOCK_IOTLB_NUM; i++)
		hwpt->iotlb[i] = cfg.iotlb;
	return hwpt;

err_abort:
	uio_obj_abort_and_destroy(ctx, obj);
	*err = rc;
	return NULL;
}

int uio_hwpt_alloc_ioctl(struct uio_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct uio_ctx *ctx = ucmd->ctx;
	struct uio_hwpt *hwpt = NULL;
	struct uio_obj *dev, *pt;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	dev = uio_obj_get(ctx, cmd->dev_id, UIO_OBJ_DEVICE);
	if (!dev)
		return -ENOENT;
	pt = uio_obj_get(ctx, cmd->pt_id, UIO_OBJ_ANY);
	if (!pt) {
		rc = -EINVAL;
		goto out_put_dev;
	}
	if (pt->type == UIO_OBJ_IOAS)
		hwpt = uio_hwpt_paging_alloc(
			ctx, uio_container_of(pt, struct uio_ioas, obj),
			uio_container_of(dev, struct uio_idev, obj), cmd->flags,
			false, cmd->data_len != 0, &rc);
	else if (pt->type == UIO_OBJ_HWPT_PAGING)
		hwpt = uio_hwpt_nested_alloc(
			ctx, uio_container_of(pt, struct uio_hwpt, obj),
			uio_container_of(dev, struct uio_idev, obj),
			cmd->flags, cmd, &rc);
	else
		rc = -EINVAL;
	if (!hwpt)
		goto out_put_pt;

	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		rc = uio_hwpt_set_fault(ctx, hwpt, cmd->fault_id);
		if (rc)
			goto out_abort;
	}
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	uio_obj_finalize(ctx, &hwpt->obj);
	goto out_put_pt;

out_abort:
	uio_obj_abort_and_destroy(ctx, &hwpt->obj);
out_put_pt:
	uio_obj_put(ctx, pt);
out_put_dev:
	uio_obj_put(ctx, dev);
	return rc;
}

/* The cap on entries per call in this 6.12 kernel. */
#define UIO_HWPT_INVALIDATE_ENTRY_NUM_MAX (1u << 19)

/* The mock nested domain's cache_invalidate_user: clear IOTLB entries. */
static int uio_mock_invalidate(struct uio_hwpt *hwpt,
			       const struct iommu_hwpt_invalidate *cmd,
			       uint32_t *done)
{
	struct iommu_hwpt_invalidate_selftest inv;
	uint64_t uptr = cmd->data_uptr; /* an integer: it may be NULL */
	uint32_t i;
	int rc = 0;

	*done = 0;
	if (cmd->data_type != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
		return -EINVAL;
	for (i = 0; i < cmd->entry_num; i++) {
		/* Each entry as iommu_copy_struct_from_user_array reads it. */
		if (cmd->entry_len < sizeof(inv)) {
			rc = -EINVAL;
			break;
		}
		if (cmd->entry_len > sizeof(inv)) {
			rc = -EINVAL;
			break;
		}
		rc = uio_copy_struct_from_user(&inv, sizeof(inv),
				(const void *)(uintptr_t)(uptr +
					(uint64_t)i * cmd->entry_len),
				cmd->entry_len);
		if (rc)
			break;
		if (inv.flags & ~(uint32_t)IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			rc = -EOPNOTSUPP;
			break;
		}
		if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
			rc = -EINVAL;
			break;
		}
		UIO_J(&hwpt->iotlb);
		if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
			for (int j = 0; j < UIO_MOCK_IOTLB_NUM; j++)
				hwpt->iotlb[j] = 0;
		} else {
			hwpt->iotlb[inv.iotlb_id] = 0;
		}
		(*done)++;
	}
	return rc;
}

int uio_hwpt_invalidate(struct uio_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct uio_hwpt *hwpt;
	uint32_t done = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num &&
	    (!cmd->data_uptr || !cmd->entry_len ||
	     cmd->entry_len > UIO_PAGE_SIZE ||
	     cmd->entry_num > UIO_HWPT_INVALIDATE_ENTRY_NUM_MAX)) {
		rc = -EINVAL;
		goto out;
	}
	hwpt = uio_hwpt_get(ucmd->ctx, cmd->hwpt_id, UIO_OBJ_HWPT_NESTED);
	if (!hwpt) {
		rc = -ENOENT;
		goto out;
	}
	rc = uio_mock_invalidate(hwpt, cmd, &done);
	uio_obj_put(ucmd->ctx, &hwpt->obj);
out:
	cmd->entry_num = done;
	if (uio_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}
