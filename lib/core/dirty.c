// SPDX-License-Identifier: MIT
/*
 * dirty: dirty tracking of paging domains (IOMMU_HWPT_SET_DIRTY_TRACKING,
 * IOMMU_HWPT_GET_DIRTY_BITMAP) and the mock driver's IOMMU_TEST_OP_DIRTY.
 *
 * Dirty bits live in the domain's page table entries (pgtable.c), set by
 * emulated DMA writes or by IOMMU_TEST_OP_DIRTY. Reading them follows the
 * mock driver's walk: one IO page at a time, a huge leaf as a whole, and a
 * dirty page is recorded as [iova, iova + page size) in the user's bitmap
 * (bit i for bitmap->iova + i * page_size, set and never cleared, as
 * iova_bitmap does), clipped to the bitmap's range.
 *
 * As 6.12.118 (Debian's linux-source-6.12): GET_DIRTY_BITMAP walks the
 * areas contiguous from the bitmap's first IOVA. A range the areas do not
 * cover to its end is EINVAL, and so is a walk on a domain whose tracking
 * is off (the mock driver refuses to read into a bitmap then). A dirty
 * page is recorded as [iova, iova + page size); a record that does not fit
 * inside the bitmap's range is dropped and the command ends with EPROTO
 * (iova_bitmap_set() keeps the first such error), the walk going on. The
 * user's bitmap is pinned a window at a time while recording: a record
 * that reaches a page it cannot write loses its remaining bits silently.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "uaccess.h"

#define UIO_MOCK_IO_PAGE_SIZE (UIO_PAGE_SIZE / 2)

/* The user's bitmap of one GET_DIRTY_BITMAP. */
struct uio_bitmap {
	uint64_t iova, last;
	unsigned int pgshift;
	uint64_t data;  /* user address */
	int err;        /* the first record that did not fit: -EPROTO */
};

/*
 * Byte off of the bitmap, its address computed as an integer: the user's
 * pointer may be NULL or wrap, where pointer arithmetic would be undefined
 * (the copy itself reports EFAULT).
 */
static unsigned char *uio_bitmap_byte(const struct uio_bitmap *bm,
				      uint64_t off)
{
	return (unsigned char *)(uintptr_t)(bm->data + off);
}

static void uio_bitmap_record(struct uio_bitmap *bm, uint64_t iova,
			      uint64_t len)
{
	uint64_t length = bm ? bm->last - bm->iova + 1 : 0, bit, last_bit;

	if (!bm)
		return;
	/* The whole record inside the bitmap's range, or nothing. */
	if (!len || len > length || iova < bm->iova ||
	    iova - bm->iova > length - len) {
		if (!bm->err)
			bm->err = -EPROTO;
		return;
	}
	bit = (iova - bm->iova) >> bm->pgshift;
	last_bit = (iova + len - 1 - bm->iova) >> bm->pgshift;
	for (; bit <= last_bit; bit++) {
		unsigned char *p = uio_bitmap_byte(bm, bit / 8), c;

		/* A page of the bitmap that cannot be pinned for writing
		 * ends this record. */
		if (uio_copy_from_user_nofail(&c, p, 1))
			return;
		c |= 1u << (bit % 8);
		if (uio_copy_to_user_nofail(p, &c, 1))
			return;
	}
}

/* Whether any IO page of [head, head + size) is dirty; clears them unless no_clear. */
static bool uio_mock_test_and_clear(struct uio_hwpt *hwpt, uint64_t head,
				    uint64_t size, bool no_clear)
{
	uint64_t cur, end = head + size - 1;
	bool dirty = false;

	for (cur = head; cur < end; cur += UIO_MOCK_IO_PAGE_SIZE)
		if (uio_pgt_test_and_clear_dirty(&hwpt->pgt, cur, !no_clear, NULL))
			dirty = true;
	return dirty;
}

/* The mock driver's read_and_clear_dirty over [iova, iova + size). */
static int uio_mock_read_and_clear(struct uio_hwpt *hwpt, uint64_t iova,
				   uint64_t size, bool no_clear,
				   struct uio_bitmap *bm)
{
	uint64_t end = iova + size;

	if (!hwpt->dirty_tracking && bm)
		return -EINVAL;
	do {
		uint64_t pgsize = UIO_MOCK_IO_PAGE_SIZE, oa, flags, head;

		if (!uio_pgt_lookup(&hwpt->pgt, iova, &oa, &flags)) {
			iova += pgsize;
			continue;
		}
		if (flags & UIO_PTE_LEAF)
			pgsize = 1ull << (hwpt->pgt.granule_shift +
					  UIO_PGT_LEVEL_BITS);
		head = iova & ~(pgsize - 1);
		if (uio_mock_test_and_clear(hwpt, head, pgsize, no_clear))
			uio_bitmap_record(bm, iova, pgsize);
		iova += pgsize;
	} while (iova < end);
	return 0;
}

int uio_hwpt_set_dirty_tracking(struct uio_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	struct uio_itree_node *n;
	struct uio_hwpt *hwpt;
	int rc = 0;

	if (cmd->flags & ~(uint32_t)IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	hwpt = uio_hwpt_get(ucmd->ctx, cmd->hwpt_id, UIO_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->dirty_ops) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	/* Start from clean entries. */
	if (enable) {
		for (n = uio_itree_first(&hwpt->ioas->iopt.used); n;
		     n = uio_itree_next(n)) {
			if (n->kind != UIO_KIND_AREA ||
			    !uio_container_of(n, struct uio_area, node)->pages)
				continue;
			uio_mock_read_and_clear(hwpt, n->start,
						n->last - n->start + 1, false,
						NULL);
		}
	}
	UIO_J(&hwpt->dirty_tracking);
	hwpt->dirty_tracking = enable;
out_put:
	uio_obj_put(ucmd->ctx, &hwpt->obj);
	return rc;
}

static int uio_check_dirty_range(struct uio_iopt *iopt,
				 const struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	uint64_t align = iopt->iova_alignment, last;

	if (!cmd->length)
		return -EINVAL;
	if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!cmd->page_size)
		return -EINVAL;
	if ((cmd->iova & (cmd->page_size - 1)) ||
	    ((last + 1) & (cmd->page_size - 1)))
		return -EINVAL;
	return 0;
}

int uio_hwpt_get_dirty_bitmap(struct uio_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	bool no_clear = cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	struct uio_bitmap bm;
	struct uio_itree_node *n;
	struct uio_hwpt *hwpt;
	uint64_t cur;
	int rc;

	if ((cmd->flags & ~(uint32_t)IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	hwpt = uio_hwpt_get(ucmd->ctx, cmd->hwpt_id, UIO_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	rc = uio_check_dirty_range(&hwpt->ioas->iopt, cmd);
	if (rc)
		goto out_put;
	if (!hwpt->dirty_ops) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}
	/* Where the kernel allocates its iova_bitmap: a failure point. */
	if (uio_should_fail()) {
		rc = -ENOMEM;
		goto out_put;
	}
	bm.iova = cmd->iova;
	bm.last = cmd->iova + cmd->length - 1;
	bm.pgshift = __builtin_ctzll(cmd->page_size);
	bm.data = cmd->data;
	bm.err = 0;

	/* Areas contiguous from iova (iopt_for_each_contig_area). */
	rc = -EINVAL;
	cur = bm.iova;
	for (n = uio_itree_iter_first(&hwpt->ioas->iopt.used, bm.iova, bm.last,
				      UIO_KIND_AREA);
	     n; n = uio_itree_iter_next(n, bm.iova, bm.last, UIO_KIND_AREA)) {
		uint64_t last = n->last < bm.last ? n->last : bm.last;
		int err;

		if (n->start > cur ||
		    !uio_container_of(n, struct uio_area, node)->pages)
			break;
		err = uio_mock_read_and_clear(hwpt, cur, last - cur + 1, no_clear,
					      &bm);
		if (err) {
			rc = err;
			goto out_put;
		}
		if (last == bm.last) {
			/* Covered to the end. */
			rc = bm.err;
			break;
		}
		cur = last + 1;
	}
out_put:
	uio_obj_put(ucmd->ctx, &hwpt->obj);
	return rc;
}

/*
 * IOMMU_TEST_OP_DIRTY: mark the entries the user's bitmap names dirty, as
 * if DMA wrote them. Like the mock driver, bit i names the IO page at index
 * (iova + i * page_size) / page_size.
 */
int uio_test_dirty(struct uio_ucmd *ucmd, uint32_t id, uint64_t iova,
		   uint64_t length, uint64_t page_size, uint64_t uptr,
		   uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	unsigned char *tmp;
	struct uio_hwpt *hwpt;
	uint64_t i, max;
	uint32_t count = 0;
	int rc;

	(void)flags;
	if (!page_size || !length || iova % page_size || length % page_size ||
	    !uptr)
		return -EINVAL;
	max = length / page_size;
	if (max > (16ull << 20) * 8)
		return -EOVERFLOW;
	hwpt = uio_hwpt_get(ucmd->ctx, id, UIO_OBJ_HWPT_PAGING);
	if (!hwpt)
		return -ENOENT;
	if (!hwpt->dirty_tracking) {
		rc = -EINVAL;
		goto out_put;
	}
	tmp = uio_should_fail() ? NULL : calloc(1, (max + 63) / 64 * 8);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (uio_copy_from_user(tmp, (const void *)(uintptr_t)uptr,
			       (max + 7) / 8)) {
		rc = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < max; i++) {
		uint64_t cur = iova + i * page_size;

		if (!(tmp[i / 8] & (1u << (i % 8))))
			continue;
		if (uio_pgt_touch(&hwpt->pgt,
				  cur / page_size * UIO_MOCK_IO_PAGE_SIZE, true))
			count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	free(tmp);
out_put:
	uio_obj_put(ucmd->ctx, &hwpt->obj);
	return rc;
}
