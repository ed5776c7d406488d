// SPDX-License-Identifier: MIT
/*
 * vfio_compat: the VFIO type1 container served from a context, as 6.12's
 * drivers/iommu/iommufd/vfio_compat.c serves /dev/vfio/vfio (and the same
 * ioctls on /dev/iommu).
 *
 * The container's ioctls have no IOAS id: they act on the context's "compat
 * IOAS" (ctx->vfio_ioas), chosen with IOMMU_VFIO_IOAS SET, or made when a
 * VFIO group joins the container. Without one they answer ENODEV.
 * Maps made here are charged per process (the context of /dev/vfio/vfio
 * starts in that mode), TYPE1 (v1) is emulated by disabling large pages so
 * that any range can be cut, and the dirty and vaddr extensions are
 * refused, all as the kernel does.
 *
 * ioctl results are values: VFIO_GET_API_VERSION and VFIO_CHECK_EXTENSION
 * return them (>= 0), errors are -errno.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "uaccess.h"

#define UIO_OFFSETOFEND(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

/* The compat IOAS with a short-term reference, or NULL (ENODEV). */
static struct uio_ioas *uio_compat_ioas(struct uio_ctx *ctx)
{
	if (!ctx->vfio_ioas || !ctx->vfio_ioas->obj.live)
		return NULL;
	atomic_fetch_add(&ctx->vfio_ioas->obj.shortterm, 1);
	return ctx->vfio_ioas;
}

/* IOMMU_VFIO_IOAS: get, set or clear the compat IOAS. */
int uio_vfio_ioas(struct uio_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct uio_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = uio_compat_ioas(ucmd->ctx);
		if (!ioas)
			return -ENODEV;
		cmd->ioas_id = ioas->obj.id;
		uio_obj_put(ucmd->ctx, &ioas->obj);
		return uio_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		ioas = uio_ioas_get(ucmd->ctx, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		uio_ctx_j(ucmd->ctx);
		ucmd->ctx->vfio_ioas = ioas;
		uio_obj_put(ucmd->ctx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		uio_ctx_j(ucmd->ctx);
		ucmd->ctx->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static long uio_vfio_map_dma(struct uio_ctx *ctx, void *arg)
{
	const uint32_t supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	const size_t minsz = UIO_OFFSETOFEND(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct uio_ioas *ioas;
	uint64_t iova;
	int prot = 0, rc;

	if (uio_copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~supported))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= UIO_PROT_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= UIO_PROT_WRITE;
	ioas = uio_compat_ioas(ctx);
	if (!ioas)
		return -ENODEV;
	iova = map.iova;
	rc = uio_iopt_map_user_pages(ctx, &ioas->iopt, &iova,
				     (uintptr_t)map.vaddr, map.size, prot, 0);
	uio_obj_put(ctx, &ioas->obj);
	return rc;
}

static long uio_vfio_unmap_dma(struct uio_ctx *ctx, void *arg)
{
	const size_t minsz = UIO_OFFSETOFEND(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	uint64_t unmapped = 0;
	struct uio_ioas *ioas;
	int rc;

	if (uio_copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	/* The dirty-bitmap and vaddr flags are refused, as the kernel does. */
	if (unmap.argsz < minsz || (unmap.flags & ~(uint32_t)VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	ioas = uio_compat_ioas(ctx);
	if (!ioas)
		return -ENODEV;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size) {
			rc = -EINVAL;
			goto out_put;
		}
		rc = uio_iopt_unmap_all(ctx, &ioas->iopt, &unmapped);
	} else {
		if (ioas->iopt.disable_large_pages) {
			/* TYPE1: cut at both ends, then unmap what is inside. */
			uint64_t iovas[2] = { unmap.iova + unmap.size - 1,
					      unmap.iova - 1 };

			rc = uio_iopt_cut_iova(ctx, &ioas->iopt, iovas,
					       unmap.iova ? 2 : 1);
			if (rc)
				goto out_put;
		}
		rc = uio_iopt_unmap_iova(ctx, &ioas->iopt, unmap.iova, unmap.size,
					 &unmapped);
	}
	unmap.size = unmapped;
	if (uio_copy_to_user(arg, &unmap, minsz))
		rc = -EFAULT;
out_put:
	uio_obj_put(ctx, &ioas->obj);
	return rc;
}

/* VFIO_DMA_CC_IOMMU: 1 unless a domain does not enforce coherency. */
static long uio_vfio_cc_iommu(struct uio_ctx *ctx)
{
	struct uio_ioas *ioas = uio_compat_ioas(ctx);
	long rc;

	if (!ioas)
		return -ENODEV;
	/* Mock domains never enforce cache coherency. */
	rc = ioas->hwpts ? 0 : 1;
	uio_obj_put(ctx, &ioas->obj);
	return rc;
}

static long uio_vfio_check_extension(struct uio_ctx *ctx, unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return uio_vfio_cc_iommu(ctx);
	case VFIO_NOIOMMU_IOMMU:   /* CONFIG_VFIO_NOIOMMU is not emulated */
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UPDATE_VADDR:
	default:
		return 0;
	}
}

static long uio_vfio_set_iommu(struct uio_ctx *ctx, unsigned long type)
{
	struct uio_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;
	ioas = uio_compat_ioas(ctx);
	if (!ioas)
		return -ENODEV;
	/* TYPE1 may unmap any part of a mapping: no large IO pages. */
	if (type == VFIO_TYPE1_IOMMU)
		rc = uio_iopt_disable_large_pages(&ioas->iopt);
	uio_obj_put(ctx, &ioas->obj);
	return rc;
}

/* The page sizes every domain takes, as vfio_update_pgsize_bitmap(). */
static uint64_t uio_vfio_pgsizes(struct uio_ioas *ioas)
{
	uint64_t bitmap = UINT64_MAX;
	struct uio_hwpt *h;

	for (h = ioas->iopt.domains; h; h = h->iopt_next)
		bitmap &= h->pgsize_bitmap;
	if (bitmap & (UIO_PAGE_SIZE - 1)) {
		bitmap &= ~(UIO_PAGE_SIZE - 1);
		bitmap |= UIO_PAGE_SIZE;
	}
	return bitmap > ioas->iopt.iova_alignment ? bitmap :
						    ioas->iopt.iova_alignment;
}

/* Write the DMA_AVAIL capability at cur if avail allows; its size. */
static long uio_cap_dma_avail(struct uio_ioas *ioas, char *cur, size_t avail)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
		.avail = UINT32_MAX,
	};

	(void)ioas;
	if (avail >= sizeof(cap) && uio_copy_to_user(cur, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap);
}

/* The IOVA_RANGE capability: the holes between reserved ranges. */
static long uio_cap_iova(struct uio_ioas *ioas, char *cur, size_t avail)
{
	struct vfio_iommu_type1_info_cap_iova_range cap = {
		.header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			    .version = 1 },
	};
	struct uio_itree_span sp;

	for (uio_itree_span_first(&sp, &ioas->iopt.reserved, 0, UINT64_MAX);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp)) {
		struct vfio_iova_range r = { sp.start, sp.last };

		if (!sp.is_hole)
			continue;
		if (avail >= sizeof(cap) + (cap.nr_iovas + 1) * sizeof(r) &&
		    uio_copy_to_user(cur + sizeof(cap) + cap.nr_iovas * sizeof(r),
				     &r, sizeof(r)))
			return -EFAULT;
		cap.nr_iovas++;
	}
	if (avail >= sizeof(cap) + cap.nr_iovas * sizeof(struct vfio_iova_range) &&
	    uio_copy_to_user(cur, &cap, sizeof(cap)))
		return -EFAULT;
	return sizeof(cap) + cap.nr_iovas * sizeof(struct vfio_iova_range);
}

static long uio_vfio_get_info(struct uio_ctx *ctx, void *arg)
{
	static long (*const fill[])(struct uio_ioas *, char *, size_t) = {
		uio_cap_dma_avail,
		uio_cap_iova,
	};
	size_t minsz = UIO_OFFSETOFEND(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info;
	char *last_cap = NULL;
	struct uio_ioas *ioas;
	size_t total;
	long rc = 0;

	memset(&info, 0, sizeof(info));
	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	ioas = uio_compat_ioas(ctx);
	if (!ioas)
		return -ENODEV;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = uio_vfio_pgsizes(ioas);
	info.cap_offset = 0;

	/* Capabilities chain after the struct; each 8-byte aligned. */
	total = sizeof(info);
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		long size;

		if (info.argsz > total)
			size = fill[i](ioas, (char *)arg + total, info.argsz - total);
		else
			size = fill[i](ioas, NULL, 0);
		if (size < 0) {
			rc = size;
			goto out_put;
		}
		size = (size + 7) & ~7l;
		if (last_cap && info.argsz >= total) {
			uint32_t next = (uint32_t)total;

			if (uio_copy_to_user(last_cap + offsetof(struct vfio_info_cap_header,
								 next),
					     &next, sizeof(next))) {
				rc = -EFAULT;
				goto out_put;
			}
		}
		last_cap = (char *)arg + total;
		total += size;
	}
	/* Too small a buffer gets what fits, and the size that would. */
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = (uint32_t)total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (uio_copy_to_user(arg, &info, minsz))
		rc = -EFAULT;
out_put:
	uio_obj_put(ctx, &ioas->obj);
	return rc;
}

long uio_vfio_ioctl(struct uio_ctx *ctx, unsigned long cmd, void *arg)
{
	long rc;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
	case VFIO_CHECK_EXTENSION:
	case VFIO_IOMMU_GET_INFO:
	case VFIO_IOMMU_MAP_DMA:
	case VFIO_IOMMU_UNMAP_DMA:
		break;
	default:
		return -ENOTTY;
	}
	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	switch (cmd) {
	case VFIO_SET_IOMMU:
		rc = uio_vfio_set_iommu(ctx, (unsigned long)arg);
		break;
	case VFIO_CHECK_EXTENSION:
		rc = uio_vfio_check_extension(ctx, (unsigned long)arg);
		break;
	case VFIO_IOMMU_GET_INFO:
		rc = uio_vfio_get_info(ctx, arg);
		break;
	case VFIO_IOMMU_MAP_DMA:
		rc = uio_vfio_map_dma(ctx, arg);
		break;
	default:
		rc = uio_vfio_unmap_dma(ctx, arg);
		break;
	}
	uio_ctx_unlock(ctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the kAPI for VFIO groups (iommufd.h) */

int uio_iommufd_vfio_compat_ioas_create(struct uio_ctx *ctx)
{
	struct uio_ioas *ioas;
	int rc = uio_ctx_lock(ctx);

	if (rc)
		return rc;
	if (ctx->released) {
		rc = -ENODEV;
	} else if (!ctx->vfio_ioas) {
		ioas = uio_ioas_alloc(ctx, &rc);
		if (ioas) {
			uio_obj_finalize(ctx, &ioas->obj);
			uio_ctx_j(ctx);
			ctx->vfio_ioas = ioas;
		}
	}
	uio_ctx_unlock(ctx);
	return rc;
}

int uio_iommufd_vfio_compat_ioas_get_id(struct uio_ctx *ctx, uint32_t *id)
{
	int rc = uio_ctx_lock(ctx);

	if (rc)
		return rc;
	rc = -ENODEV;
	if (!ctx->released && ctx->vfio_ioas) {
		*id = ctx->vfio_ioas->obj.id;
		rc = 0;
	}
	uio_ctx_unlock(ctx);
	return rc;
}
