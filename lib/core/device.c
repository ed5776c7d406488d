// SPDX-License-Identifier: MIT
/*
 * device: bound devices (DEVICE objects) and their attachment to an IO page
 * table, as drivers/iommu/iommufd/device.c does for a driver.
 *
 * A bound device is a leaf: the driver that bound it (here the selftest
 * object, selftest.c) holds a users reference, so IOMMU_DESTROY of its id is
 * EBUSY until the driver unbinds. An attached device holds a users
 * reference on its hwpt. Attaching to an IOAS id picks an automatic domain:
 * the first auto domain of the IOAS the device can use, else a new one; an
 * auto domain is destroyed when its last device leaves.
 */
#include <errno.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "uaccess.h"

struct uio_idev *uio_device_bind(struct uio_ctx *ctx,
				 enum uio_iommu_driver driver,
				 uint32_t mock_flags, int *err)
{
	struct uio_obj *obj;
	struct uio_idev *idev;

	obj = uio_obj_alloc(ctx, sizeof(*idev), UIO_OBJ_DEVICE, err);
	if (!obj)
		return NULL;
	idev = uio_container_of(obj, struct uio_idev, obj);
	idev->driver = (uint8_t)driver;
	idev->mock_flags = mock_flags;
	/* The binding driver is a user until it unbinds. */
	UIO_J(obj);
	atomic_fetch_add(&obj->users, 1);
	uio_obj_finalize(ctx, obj);
	return idev;
}

void uio_device_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	(void)ctx;
	(void)obj;
}

void uio_device_unbind(struct uio_ctx *ctx, struct uio_idev *idev)
{
	UIO_J(&idev->obj);
	atomic_fetch_sub(&idev->obj.users, 1);
	idev->obj.live = false;
	uio_obj_abort_and_destroy(ctx, &idev->obj);
}

/*
 * The IOVA ranges a device's IOMMU driver reserves (get_resv_regions): an
 * Intel IOMMU keeps the interrupt window; the mock driver nothing.
 */
#define UIO_VTD_MSI_START 0xfee00000ull
#define UIO_VTD_MSI_LAST 0xfeefffffull

/* The IOAS whose areas a hwpt translates: its own, or its parent's. */
static struct uio_ioas *uio_hwpt_paging_ioas(struct uio_hwpt *hwpt)
{
	return hwpt->parent ? hwpt->parent->ioas : hwpt->ioas;
}

/* iopt_table_enforce_dev_resv_regions(): EADDRINUSE over a mapped area. */
static int uio_device_reserve(struct uio_ctx *ctx, struct uio_idev *idev,
			      struct uio_ioas *ioas)
{
	if (!ioas || idev->driver != UIO_IOMMU_INTEL_VTD)
		return 0;
	return uio_iopt_reserve_iova(ctx, &ioas->iopt, UIO_VTD_MSI_START,
				     UIO_VTD_MSI_LAST, idev);
}

static void uio_device_unreserve(struct uio_ctx *ctx, struct uio_idev *idev,
				 struct uio_ioas *ioas)
{
	if (ioas && idev->driver == UIO_IOMMU_INTEL_VTD)
		uio_iopt_remove_reserved_iova(ctx, &ioas->iopt, idev);
}

/*
 * The IOMMU driver's attach: a domain of another driver, and the mock
 * driver's dirty domain for a device without dirty tracking, are refused.
 */
static int uio_driver_attach(struct uio_idev *idev, struct uio_hwpt *hwpt)
{
	if (hwpt->driver != idev->driver)
		return -EINVAL;
	if (hwpt->dirty_ops && (idev->mock_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	return 0;
}

/* iommufd_hw_pagetable_attach(): reserved ranges first, then the driver. */
int uio_device_attach_hwpt(struct uio_ctx *ctx, struct uio_idev *idev,
			   struct uio_hwpt *hwpt)
{
	struct uio_ioas *ioas = uio_hwpt_paging_ioas(hwpt);
	int rc;

	if (idev->hwpt && idev->hwpt != hwpt)
		return -EINVAL;
	rc = uio_device_reserve(ctx, idev, ioas);
	if (rc)
		return rc;
	rc = uio_driver_attach(idev, hwpt);
	if (rc) {
		uio_device_unreserve(ctx, idev, ioas);
		return rc;
	}
	UIO_J(&idev->hwpt);
	UIO_J(&hwpt->ndevices);
	idev->hwpt = hwpt;
	hwpt->ndevices++;
	UIO_J(&hwpt->obj);
	atomic_fetch_add(&hwpt->obj.users, 1);
	return 0;
}

/* Drop a device's hold on a hwpt; an unused auto domain goes with it. */
static void uio_hwpt_put(struct uio_ctx *ctx, struct uio_hwpt *hwpt)
{
	UIO_J(&hwpt->obj);
	atomic_fetch_sub(&hwpt->obj.users, 1);
	if (hwpt->auto_domain && !hwpt->ndevices &&
	    atomic_load(&hwpt->obj.users) == 1 &&
	    !atomic_load(&hwpt->obj.shortterm)) {
		hwpt->obj.live = false;
		uio_obj_abort_and_destroy(ctx, &hwpt->obj);
	}
}

void uio_device_detach_hwpt(struct uio_ctx *ctx, struct uio_idev *idev)
{
	struct uio_hwpt *hwpt = idev->hwpt;

	if (!hwpt)
		return;
	uio_fault_device_leaves(ctx, hwpt, idev);
	uio_device_unreserve(ctx, idev, uio_hwpt_paging_ioas(hwpt));
	UIO_J(&idev->hwpt);
	UIO_J(&hwpt->ndevices);
	idev->hwpt = NULL;
	hwpt->ndevices--;
	UIO_J(&hwpt->obj);
	atomic_fetch_sub(&hwpt->obj.users, 1);
}

void uio_device_detach(struct uio_ctx *ctx, struct uio_idev *idev)
{
	struct uio_hwpt *hwpt = idev->hwpt;

	if (!hwpt)
		return;
	uio_fault_device_leaves(ctx, hwpt, idev);
	uio_device_unreserve(ctx, idev, uio_hwpt_paging_ioas(hwpt));
	UIO_J(&idev->hwpt);
	UIO_J(&hwpt->ndevices);
	idev->hwpt = NULL;
	hwpt->ndevices--;
	uio_hwpt_put(ctx, hwpt);
}

/*
 * Switch a device from its hwpt to another: the domain replace. The new
 * IOAS's reserved ranges come first; the old IOAS's go once it is done.
 */
static int uio_device_switch_hwpt(struct uio_ctx *ctx, struct uio_idev *idev,
				  struct uio_hwpt *hwpt, struct uio_hwpt **old)
{
	struct uio_ioas *ioas = uio_hwpt_paging_ioas(hwpt);
	struct uio_ioas *old_ioas;
	int rc;

	*old = idev->hwpt;
	old_ioas = *old ? uio_hwpt_paging_ioas(*old) : NULL;
	if (ioas != old_ioas) {
		rc = uio_device_reserve(ctx, idev, ioas);
		if (rc)
			return rc;
	}
	rc = uio_driver_attach(idev, hwpt);
	if (rc) {
		if (ioas != old_ioas)
			uio_device_unreserve(ctx, idev, ioas);
		return rc;
	}
	if (ioas != old_ioas)
		uio_device_unreserve(ctx, idev, old_ioas);
	UIO_J(&idev->hwpt);
	UIO_J(&hwpt->ndevices);
	idev->hwpt = hwpt;
	hwpt->ndevices++;
	UIO_J(&hwpt->obj);
	atomic_fetch_add(&hwpt->obj.users, 1);
	if (*old) {
		uio_fault_device_leaves(ctx, *old, idev);
		UIO_J(&(*old)->ndevices);
		(*old)->ndevices--;
	}
	return 0;
}

/*
 * Attach (replace false) or replace the attachment of idev to pt_id: a
 * paging hwpt, or an IOAS whose auto domain is found or made. On success
 * *pt_id is the hwpt used.
 */
int uio_device_change_pt(struct uio_ctx *ctx, struct uio_idev *idev,
			 uint32_t *pt_id, bool replace)
{
	struct uio_hwpt *hwpt = NULL, *old = NULL;
	struct uio_obj *pt;
	int rc;

	if (replace && !idev->hwpt)
		return -EINVAL;
	pt = uio_obj_get(ctx, *pt_id, UIO_OBJ_ANY);
	if (!pt)
		return -ENOENT;
	switch (pt->type) {
	case UIO_OBJ_HWPT_PAGING:
	case UIO_OBJ_HWPT_NESTED:
		hwpt = uio_container_of(pt, struct uio_hwpt, obj);
		if (replace) {
			if (hwpt == idev->hwpt)
				goto out_put;
			rc = uio_device_switch_hwpt(ctx, idev, hwpt, &old);
		} else {
			rc = uio_device_attach_hwpt(ctx, idev, hwpt);
		}
		if (rc)
			goto out_put_rc;
		break;
	case UIO_OBJ_IOAS: {
		struct uio_ioas *ioas = uio_container_of(pt, struct uio_ioas, obj);
		struct uio_hwpt *h;

		for (h = ioas->hwpts; h; h = h->ioas_next) {
			if (!h->auto_domain)
				continue;
			if (replace && h == idev->hwpt) {
				hwpt = h;
				goto out_put;
			}
			rc = replace ? uio_device_switch_hwpt(ctx, idev, h, &old) :
				       uio_device_attach_hwpt(ctx, idev, h);
			if (rc == -EINVAL)
				continue; /* incompatible: try the next */
			if (rc)
				goto out_put_rc;
			hwpt = h;
			break;
		}
		if (!hwpt) {
			hwpt = uio_hwpt_paging_alloc(ctx, ioas, idev, 0,
						     !replace, false, &rc);
			if (!hwpt)
				goto out_put_rc;
			if (replace) {
				rc = uio_device_switch_hwpt(ctx, idev, hwpt, &old);
				if (rc) {
					UIO_J(&hwpt->obj);
					hwpt->obj.live = false;
					uio_obj_abort_and_destroy(ctx, &hwpt->obj);
					goto out_put_rc;
				}
			}
			UIO_J(&hwpt->auto_domain);
			hwpt->auto_domain = true;
			uio_obj_finalize(ctx, &hwpt->obj);
		}
		break;
	}
	default:
		rc = -EINVAL;
		goto out_put_rc;
	}
out_put:
	*pt_id = hwpt->obj.id;
	uio_obj_put(ctx, pt);
	/* After everything is in place, as the kernel destroys late. */
	if (old)
		uio_hwpt_put(ctx, old);
	return 0;

out_put_rc:
	uio_obj_put(ctx, pt);
	return rc;
}

int uio_device_attach(struct uio_ctx *ctx, struct uio_idev *idev,
		      uint32_t *pt_id)
{
	return uio_device_change_pt(ctx, idev, pt_id, false);
}

int uio_device_replace(struct uio_ctx *ctx, struct uio_idev *idev,
		       uint32_t *pt_id)
{
	return uio_device_change_pt(ctx, idev, pt_id, true);
}

/*
 * The Intel IOMMU VFIO devices sit behind: a Skylake-SP DMAR unit's
 * capability registers (48-bit second-level tables with 2 MiB and 1 GiB
 * pages, no nesting, no dirty tracking, no PASID).
 */
#define UIO_VTD_CAP_REG 0x8d2078c106f0466ull
#define UIO_VTD_ECAP_REG 0xf020dfull

/*
 * IOMMU_GET_HW_INFO: the mock IOMMU reports its selftest register, the
 * Intel one its capability registers, as intel_iommu_hw_info().
 */
int uio_get_hw_info(struct uio_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	struct iommu_test_hw_info test = {
		.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL };
	struct iommu_hw_info_vtd vtd = {
		.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17,
		.cap_reg = UIO_VTD_CAP_REG,
		.ecap_reg = UIO_VTD_ECAP_REG };
	void *uptr = (void *)(uintptr_t)cmd->data_uptr;
	const void *info = &test;
	uint32_t copy_len, len = sizeof(test);
	struct uio_idev *idev;
	struct uio_obj *obj;
	int rc = 0;

	if (cmd->flags || cmd->__reserved[0] || cmd->__reserved[1] ||
	    cmd->__reserved[2])
		return -EOPNOTSUPP;
	obj = uio_obj_get(ucmd->ctx, cmd->dev_id, UIO_OBJ_DEVICE);
	if (!obj)
		return -ENOENT;
	idev = uio_container_of(obj, struct uio_idev, obj);
	if (idev->driver == UIO_IOMMU_INTEL_VTD) {
		info = &vtd;
		len = sizeof(vtd);
	}
	copy_len = cmd->data_len < len ? cmd->data_len : len;
	if (uio_copy_to_user(uptr, info, copy_len)) {
		rc = -EFAULT;
		goto out_put;
	}
	/* The rest of a larger buffer is cleared. */
	if (copy_len < cmd->data_len &&
	    uio_clear_user((void *)((uintptr_t)uptr + copy_len),
			   cmd->data_len - copy_len)) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = len;
	cmd->out_capabilities = 0;
	cmd->out_max_pasid_log2 = 0;
	if (idev->driver == UIO_IOMMU_INTEL_VTD) {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	} else {
		cmd->out_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
		if (!(idev->mock_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
			cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	}
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	uio_obj_put(ucmd->ctx, obj);
	return rc;
}

/*
 * Translate the run of IO pages from iova (at most len bytes) that map
 * consecutive output addresses with the permission: the pages object, the
 * offset in it, the run's length. A failed translation raises a page
 * request when the hwpt has a fault queue (EAGAIN: retry once it is
 * served); else EFAULT (nothing mapped) or EPERM (no permission).
 */
static int uio_dma_translate(struct uio_ctx *ctx, struct uio_idev *idev,
			     uint64_t iova, size_t len, bool write,
			     struct uio_pages **pages, uint64_t *off,
			     uint64_t *run)
{
	struct uio_hwpt *hwpt = idev->hwpt;
	struct uio_hwpt *table = hwpt->parent ? hwpt->parent : hwpt;
	uint64_t need = write ? UIO_PTE_WRITE : UIO_PTE_READ;
	uint64_t gsize = 1ull << table->pgt.granule_shift;
	uint64_t oa, flags, oa2, flags2, r = gsize - (iova & (gsize - 1));

	if (!uio_pgt_lookup(&table->pgt, iova, &oa, &flags) || !(flags & need)) {
		bool mapped = uio_pgt_lookup(&table->pgt, iova, &oa, &flags);

		UIO_J(&idev->next_grpid);
		if (hwpt->fault &&
		    !uio_fault_report(ctx, idev, 0, idev->next_grpid++,
				      write ? IOMMU_PGFAULT_PERM_WRITE :
					      IOMMU_PGFAULT_PERM_READ,
				      iova & ~(gsize - 1)))
			return -EAGAIN;
		return mapped ? -EPERM : -EFAULT;
	}
	while (r < len && uio_pgt_lookup(&table->pgt, iova + r, &oa2, &flags2) &&
	       (flags2 & need) && oa2 == oa + r)
		r += gsize;
	if (r > len)
		r = len;
	*pages = uio_phys_to_pages(ctx, oa, off);
	if (!*pages)
		return -EFAULT;
	/* A run never crosses from one pages object into another. */
	if (*off + r > (*pages)->npages * UIO_PAGE_SIZE)
		r = (*pages)->npages * UIO_PAGE_SIZE - *off;
	*run = r;
	return 0;
}

/* Writes by DMA mark the entries dirty while tracking is on (A/D bits). */
static void uio_dma_dirty(struct uio_idev *idev, uint64_t iova, uint64_t len)
{
	struct uio_hwpt *table = idev->hwpt->parent ? idev->hwpt->parent : idev->hwpt;
	uint64_t gsize = 1ull << table->pgt.granule_shift;

	if (!table->dirty_tracking)
		return;
	for (uint64_t at = iova & ~(gsize - 1); at < iova + len; at += gsize)
		uio_pgt_touch(&table->pgt, at, true);
}

/* DMA through the IO page table idev is attached to, a run at a time. */
int uio_device_dma(struct uio_ctx *ctx, struct uio_idev *idev, uint64_t iova,
		   void *buf, size_t len, bool write)
{
	char *p = buf;

	if (!idev->hwpt)
		return -ENODEV;
	while (len) {
		struct uio_pages *pages;
		uint64_t off, run;
		int rc = uio_dma_translate(ctx, idev, iova, len, write, &pages,
					   &off, &run);

		if (!rc)
			rc = uio_pages_rw(ctx, pages, off, p, run, write);
		if (rc)
			return rc;
		if (write)
			uio_dma_dirty(idev, iova, run);
		iova += run;
		p += run;
		len -= run;
	}
	return 0;
}

/*
 * A copy engine's transfer: read at src, write at dst, through the same
 * translation as uio_device_dma(), without a bounce where both sides are
 * memory this process can reach directly. On error *bad is the IOVA whose
 * access failed; what was copied before stays copied.
 */
int uio_device_dma_copy(struct uio_ctx *ctx, struct uio_idev *idev,
			uint64_t dst, uint64_t src, size_t len, uint64_t *bad)
{
	char bounce[4096];

	if (!idev->hwpt)
		return -ENODEV;
	while (len) {
		struct uio_pages *sp, *dp;
		uint64_t soff, doff, srun, drun;
		size_t n;
		void *s, *d;
		int rc;

		*bad = src;
		rc = uio_dma_translate(ctx, idev, src, len, false, &sp, &soff, &srun);
		if (rc)
			return rc;
		*bad = dst;
		rc = uio_dma_translate(ctx, idev, dst, srun, true, &dp, &doff, &drun);
		if (rc)
			return rc;
		n = drun;
		s = uio_pages_direct(sp, soff, &n);
		d = s ? uio_pages_direct(dp, doff, &n) : NULL;
		if (s && d) {
			/* Both in reach: one copy, fault-safe. */
			*bad = src;
			/* Saved pages are shared state (journal.h). */
			uio_j_save(d, n);
			if (uio_copy_to_user_nofail(d, s, n))
				return -EFAULT;
		} else {
			if (n > sizeof(bounce))
				n = sizeof(bounce);
			*bad = src;
			rc = uio_pages_rw(ctx, sp, soff, bounce, n, false);
			if (rc)
				return rc;
			*bad = dst;
			rc = uio_pages_rw(ctx, dp, doff, bounce, n, true);
			if (rc)
				return rc;
		}
		uio_dma_dirty(idev, dst, n);
		src += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the kAPI for VFIO (iommufd.h): each takes the context's lock */

int uio_iommufd_device_bind(struct uio_ctx *ctx, enum uio_iommu_driver iommu,
			    uint32_t *id)
{
	struct uio_idev *idev;
	int rc = 0;

	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	idev = ctx->released ? NULL : uio_device_bind(ctx, iommu, 0, &rc);
	if (idev) {
		*id = idev->obj.id;
		/* A real device holds the context (a mock one does not). */
		uio_ctx_j(ctx);
		ctx->kholds++;
	} else if (!rc) {
		rc = -ENODEV;
	}
	uio_ctx_unlock(ctx);
	return rc;
}

/* Under ctx->lock: device id, or NULL. */
static struct uio_idev *uio_idev_find(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_obj *obj;

	if (ctx->released)
		return NULL;
	obj = uio_obj_get(ctx, id, UIO_OBJ_DEVICE);
	if (!obj)
		return NULL;
	uio_obj_put(ctx, obj);
	return uio_container_of(obj, struct uio_idev, obj);
}

void uio_iommufd_device_unbind(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_idev *idev;

	if (uio_ctx_lock(ctx))
		return;
	idev = uio_idev_find(ctx, id);
	if (idev) {
		uio_device_detach(ctx, idev);
		uio_device_unbind(ctx, idev);
		/*
		 * Its hold on the context goes in the same command (a process
		 * killed in between would leave a hold no device has).
		 */
		uio_ctx_j(ctx);
		if (ctx->kholds)
			ctx->kholds--;
	}
	uio_ctx_unlock(ctx);
	/* The last hold of a context whose files are all closed. */
	if (idev)
		uio_ctx_file_closed(ctx);
}

int uio_iommufd_device_attach(struct uio_ctx *ctx, uint32_t id,
			      uint32_t *pt_id, bool replace)
{
	struct uio_idev *idev;
	int rc;

	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	idev = uio_idev_find(ctx, id);
	if (!idev)
		rc = -ENODEV;
	else
		rc = uio_device_change_pt(ctx, idev, pt_id, replace);
	uio_ctx_unlock(ctx);
	return rc;
}

void uio_iommufd_device_detach(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_idev *idev;

	if (uio_ctx_lock(ctx))
		return;
	idev = uio_idev_find(ctx, id);
	if (idev)
		uio_device_detach(ctx, idev);
	uio_ctx_unlock(ctx);
}

bool uio_iommufd_device_attached(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_idev *idev;
	bool attached;

	if (uio_ctx_lock(ctx))
		return false;
	idev = uio_idev_find(ctx, id);
	attached = idev && idev->hwpt;
	uio_ctx_unlock(ctx);
	return attached;
}

int uio_iommufd_device_dma(struct uio_ctx *ctx, uint32_t id, uint64_t iova,
			   void *buf, size_t len, bool write)
{
	struct uio_idev *idev;
	int rc;

	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	idev = uio_idev_find(ctx, id);
	rc = idev ? uio_device_dma(ctx, idev, iova, buf, len, write) : -ENODEV;
	uio_ctx_unlock(ctx);
	return rc;
}

int uio_iommufd_device_dma_copy(struct uio_ctx *ctx, uint32_t id, uint64_t dst,
				uint64_t src, size_t len, uint64_t *bad)
{
	struct uio_idev *idev;
	int rc;

	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	idev = uio_idev_find(ctx, id);
	rc = idev ? uio_device_dma_copy(ctx, idev, dst, src, len, bad) : -ENODEV;
	uio_ctx_unlock(ctx);
	return rc;
}
