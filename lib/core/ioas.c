// SPDX-License-Identifier: MIT
/*
 * IOAS objects and their commands: ALLOC, IOVA_RANGES, ALLOW_IOVAS, MAP,
 * COPY, UNMAP and the per-IOAS options. The checks and their order are the
 * kernel's; io_pagetable.c does the work.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "uaccess.h"

#define UIO_ULONG_MAX UINT64_MAX

struct uio_ioas *uio_ioas_alloc(struct uio_ctx *ctx, int *err)
{
	struct uio_obj *obj = uio_obj_alloc(ctx, sizeof(struct uio_ioas),
					    UIO_OBJ_IOAS, err);
	struct uio_ioas *ioas;

	if (!obj)
		return NULL;
	ioas = uio_container_of(obj, struct uio_ioas, obj);
	uio_iopt_init(&ioas->iopt);
	return ioas;
}

void uio_ioas_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	struct uio_ioas *ioas = uio_container_of(obj, struct uio_ioas, obj);

	if (ctx->vfio_ioas == ioas) {
		uio_ctx_j(ctx);
		ctx->vfio_ioas = NULL;
	}
	uio_iopt_unmap_all(ctx, &ioas->iopt, NULL);
	uio_iopt_destroy(ctx, &ioas->iopt);
}

struct uio_ioas *uio_ioas_get(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_obj *obj = uio_obj_get(ctx, id, UIO_OBJ_IOAS);

	return obj ? uio_container_of(obj, struct uio_ioas, obj) : NULL;
}

static void uio_ioas_put(struct uio_ctx *ctx, struct uio_ioas *ioas)
{
	uio_obj_put(ctx, &ioas->obj);
}

int uio_ioas_alloc_ioctl(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct uio_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = uio_ioas_alloc(ucmd->ctx, &rc);
	if (!ioas)
		return rc;
	cmd->out_ioas_id = ioas->obj.id;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	uio_obj_finalize(ucmd->ctx, &ioas->obj);
	return 0;

out_abort:
	uio_obj_abort_and_destroy(ucmd->ctx, &ioas->obj);
	return rc;
}

/*
 * Element i of a user array at base, its address computed as an integer:
 * the user's pointer may be NULL or wrap, where pointer arithmetic would be
 * undefined (the copy itself reports EFAULT).
 */
static void *uio_user_elem(uint64_t base, uint64_t i, size_t size)
{
	return (void *)(uintptr_t)(base + i * size);
}

int uio_ioas_iova_ranges(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	uint64_t uranges;
	struct uio_itree_span span;
	struct uio_ioas *ioas;
	uint32_t max_iovas;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = uio_ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	max_iovas = cmd->num_iovas;
	uranges = cmd->allowed_iovas;
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	/* The usable ranges are the holes between reserved ranges. */
	for (uio_itree_span_first(&span, &ioas->iopt.reserved, 0, UIO_ULONG_MAX);
	     !uio_itree_span_done(&span); uio_itree_span_next(&span)) {
		if (!span.is_hole)
			continue;
		if (cmd->num_iovas < max_iovas) {
			struct iommu_iova_range elm = { .start = span.start,
							.last = span.last };

			if (uio_copy_to_user(uio_user_elem(uranges, cmd->num_iovas,
							   sizeof(elm)),
					     &elm, sizeof(elm))) {
				rc = -EFAULT;
				goto out_put;
			}
		}
		cmd->num_iovas++;
	}
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_put;
	if (cmd->num_iovas > max_iovas)
		rc = -EMSGSIZE;
out_put:
	uio_ioas_put(ucmd->ctx, ioas);
	return rc;
}

/* Read the user's ranges into a new tree; overlapping or empty ranges: EINVAL. */
static int uio_ioas_load_iovas(struct uio_ctx *ctx, struct uio_itree *t,
			       uint64_t uranges, uint32_t num)
{
	for (uint32_t i = 0; i != num; i++) {
		struct iommu_iova_range range;
		struct uio_allowed *allowed;

		if (uio_copy_from_user(&range,
				       uio_user_elem(uranges, i, sizeof(range)),
				       sizeof(range)))
			return -EFAULT;
		if (range.start >= range.last)
			return -EINVAL;
		if (uio_itree_iter_first(t, range.start, range.last,
					 UIO_ITREE_ALL_KINDS))
			return -EINVAL;
		allowed = uio_new(ctx, struct uio_allowed);
		if (!allowed)
			return -ENOMEM;
		allowed->node.start = range.start;
		allowed->node.last = range.last;
		allowed->node.kind = 1;
		uio_itree_insert(t, &allowed->node);
	}
	return 0;
}

int uio_ioas_allow_iovas(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct uio_itree allowed;
	struct uio_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = uio_ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	uio_itree_init(&allowed);
	rc = uio_ioas_load_iovas(ucmd->ctx, &allowed, cmd->allowed_iovas,
				 cmd->num_iovas);
	if (!rc)
		rc = uio_iopt_set_allow_iova(&ioas->iopt, &allowed);
	/* Either the rejected new set or the replaced old one. */
	uio_allowed_tree_free(ucmd->ctx, &allowed);
	uio_ioas_put(ucmd->ctx, ioas);
	return rc;
}

static int uio_conv_prot(uint32_t map_flags)
{
	int prot = 0;

	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= UIO_PROT_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		prot |= UIO_PROT_READ;
	return prot;
}

#define UIO_MAP_FLAGS                                                   \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |         \
	 IOMMU_IOAS_MAP_READABLE)

int uio_ioas_map(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	uint64_t iova = cmd->iova;
	struct uio_ioas *ioas;
	unsigned int flags = 0;
	int rc;

	if ((cmd->flags & ~UIO_MAP_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= UIO_ULONG_MAX || cmd->length >= UIO_ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	ioas = uio_ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = UIO_IOPT_ALLOC_IOVA;
	rc = uio_iopt_map_user_pages(ucmd->ctx, &ioas->iopt, &iova,
				     (uintptr_t)cmd->user_va, cmd->length,
				     uio_conv_prot(cmd->flags), flags);
	if (rc)
		goto out_put;
	cmd->iova = iova;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	/* Like the kernel, a failed copy-out leaves the mapping in place. */
out_put:
	uio_ioas_put(ucmd->ctx, ioas);
	return rc;
}

int uio_ioas_copy(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct uio_pages_list list = { 0 };
	struct uio_ioas *src, *dst;
	unsigned int flags = 0;
	uint64_t iova;
	int rc;

	if (cmd->flags & ~UIO_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= UIO_ULONG_MAX || cmd->src_iova >= UIO_ULONG_MAX ||
	    cmd->dst_iova >= UIO_ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;

	src = uio_ioas_get(ucmd->ctx, cmd->src_ioas_id);
	if (!src)
		return -ENOENT;
	rc = uio_iopt_get_pages(&src->iopt, cmd->src_iova, cmd->length, &list);
	uio_ioas_put(ucmd->ctx, src);
	if (rc)
		goto out_pages;

	dst = uio_ioas_get(ucmd->ctx, cmd->dst_ioas_id);
	if (!dst) {
		rc = -ENOENT;
		goto out_pages;
	}
	if (!(cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA))
		flags = UIO_IOPT_ALLOC_IOVA;
	iova = cmd->dst_iova;
	rc = uio_iopt_map_pages(ucmd->ctx, &dst->iopt, &list, cmd->length,
				&iova, uio_conv_prot(cmd->flags), flags);
	if (rc)
		goto out_put_dst;
	cmd->dst_iova = iova;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
out_put_dst:
	uio_ioas_put(ucmd->ctx, dst);
out_pages:
	uio_pages_list_free(ucmd->ctx, &list);
	return rc;
}

int uio_ioas_unmap(struct uio_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	uint64_t unmapped = 0;
	struct uio_ioas *ioas;
	int rc;

	ioas = uio_ioas_get(ucmd->ctx, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;

	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = uio_iopt_unmap_all(ucmd->ctx, &ioas->iopt, &unmapped);
		if (rc)
			goto out_put;
	} else {
		if (cmd->iova >= UIO_ULONG_MAX || cmd->length >= UIO_ULONG_MAX) {
			rc = -EOVERFLOW;
			goto out_put;
		}
		rc = uio_iopt_unmap_iova(ucmd->ctx, &ioas->iopt, cmd->iova,
					 cmd->length, &unmapped);
		if (rc)
			goto out_put;
		if (!unmapped) {
			rc = -ENOENT;
			goto out_put;
		}
	}
	cmd->length = unmapped;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	uio_ioas_put(ucmd->ctx, ioas);
	return rc;
}

int uio_option_rlimit_mode(struct uio_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct uio_ctx *ctx = ucmd->ctx;

	if (cmd->object_id)
		return -EOPNOTSUPP;
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ctx->account_mode == UIO_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (!uio_capable(CAP_SYS_RESOURCE))
			return -EPERM;
		if (!uio_objtable_empty(ctx))
			return -EBUSY;
		UIO_J(&ctx->account_mode);
		if (cmd->val64 == 0)
			ctx->account_mode = UIO_ACCOUNT_USER;
		else if (cmd->val64 == 1)
			ctx->account_mode = UIO_ACCOUNT_MM;
		else
			return -EINVAL;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int uio_ioas_option_huge_pages(struct iommu_option *cmd,
				      struct uio_ioas *ioas)
{
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_large_pages;
		return 0;
	}
	if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0)
			return uio_iopt_disable_large_pages(&ioas->iopt);
		if (cmd->val64 == 1) {
			uio_iopt_enable_large_pages(&ioas->iopt);
			return 0;
		}
		return -EINVAL;
	}
	return -EOPNOTSUPP;
}

int uio_ioas_option(struct uio_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct uio_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = uio_ioas_get(ucmd->ctx, cmd->object_id);
	if (!ioas)
		return -ENOENT;
	switch (cmd->option_id) {
	case IOMMU_OPTION_HUGE_PAGES:
		rc = uio_ioas_option_huge_pages(cmd, ioas);
		break;
	default:
		rc = -EOPNOTSUPP;
	}
	uio_ioas_put(ucmd->ctx, ioas);
	return rc;
}
