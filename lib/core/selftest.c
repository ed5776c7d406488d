// SPDX-License-Identifier: MIT
/*
 * The selftest mock driver's command, IOMMU_TEST_CMD, as 6.12 serves it
 * with CONFIG_IOMMUFD_TEST.
 *
 * Every op of 6.12 is served; an unknown op answers EOPNOTSUPP, as the
 * kernel does.
 *
 * A mock device is a SELFTEST object that owns a bound DEVICE; destroying
 * the SELFTEST id detaches and unbinds it. The checks read real state: the
 * domain's page table entries and where each pinned page lives now.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "fdtable.h"
#include "sys.h"
#include "uaccess.h"

#define UIO_MOCK_IO_PAGE_SIZE (UIO_PAGE_SIZE / 2)

void uio_selftest_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	struct uio_stdev *sobj = uio_container_of(obj, struct uio_stdev, obj);

	if (!sobj->idev)
		return;
	uio_device_detach(ctx, sobj->idev);
	uio_device_unbind(ctx, sobj->idev);
	UIO_J(&sobj->idev);
	sobj->idev = NULL;
}

/*
 * Create a mock device attached to pt_id: a SELFTEST object (reserved, not
 * yet finalized) owning a bound DEVICE. The caller finalizes it or undoes
 * it with uio_mock_device_abort().
 */
struct uio_stdev *uio_mock_device_create(struct uio_ctx *ctx, uint32_t pt_id,
					 uint32_t dev_flags, uint32_t *hwpt_id,
					 int *err)
{
	struct uio_stdev *sobj;
	struct uio_obj *obj;
	int rc;

	obj = uio_obj_alloc(ctx, sizeof(*sobj), UIO_OBJ_SELFTEST, err);
	if (!obj)
		return NULL;
	sobj = uio_container_of(obj, struct uio_stdev, obj);
	if (dev_flags &
	    ~(uint32_t)(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA)) {
		rc = -EINVAL;
		goto out_sobj;
	}
	sobj->idev = uio_device_bind(ctx, UIO_IOMMU_MOCK, dev_flags, &rc);
	if (!sobj->idev)
		goto out_sobj;
	rc = uio_device_attach(ctx, sobj->idev, &pt_id);
	if (rc)
		goto out_unbind;
	*hwpt_id = pt_id;
	return sobj;

out_unbind:
	uio_device_unbind(ctx, sobj->idev);
	sobj->idev = NULL;
out_sobj:
	uio_obj_abort(ctx, obj, sizeof(*sobj));
	*err = rc;
	return NULL;
}

void uio_mock_device_abort(struct uio_ctx *ctx, struct uio_stdev *sobj)
{
	uio_device_detach(ctx, sobj->idev);
	uio_device_unbind(ctx, sobj->idev);
	sobj->idev = NULL;
	uio_obj_abort(ctx, &sobj->obj, sizeof(*sobj));
}

static int uio_test_mock_domain(struct uio_ucmd *ucmd,
				struct iommu_test_cmd *cmd)
{
	uint32_t dev_flags = 0, hwpt_id;
	struct uio_stdev *sobj;
	int rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;
	sobj = uio_mock_device_create(ucmd->ctx, cmd->id, dev_flags, &hwpt_id,
				      &rc);
	if (!sobj)
		return rc;
	cmd->mock_domain.out_hwpt_id = hwpt_id;
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_idev_id = sobj->idev->obj.id;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		uio_mock_device_abort(ucmd->ctx, sobj);
		return rc;
	}
	uio_obj_finalize(ucmd->ctx, &sobj->obj);
	return 0;
}

static int uio_test_mock_domain_replace(struct uio_ucmd *ucmd,
					struct iommu_test_cmd *cmd)
{
	struct uio_stdev *sobj;
	struct uio_obj *obj;
	uint32_t pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	obj = uio_obj_get(ucmd->ctx, cmd->id, UIO_OBJ_SELFTEST);
	if (!obj)
		return -ENOENT;
	sobj = uio_container_of(obj, struct uio_stdev, obj);
	rc = uio_device_replace(ucmd->ctx, sobj->idev, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	}
	uio_obj_put(ucmd->ctx, obj);
	return rc;
}

static struct uio_hwpt *uio_get_md_pagetable(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_obj *obj = uio_obj_get(ctx, id, UIO_OBJ_HWPT_PAGING);

	return obj ? uio_container_of(obj, struct uio_hwpt, obj) : NULL;
}

/*
 * The page under user address uptr must be mapped (else the error of
 * get_user_pages_fast, EFAULT) and be the page the domain maps at iova: the
 * same pinned page, at that address in the caller, or the same page of a
 * shared object wherever it is pinned.
 */
static int uio_md_check_one(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
			    uint64_t iova, uintptr_t uptr,
			    struct uio_vma_cache *cache)
{
	uint64_t oa, flags, off, idx;
	struct uio_pages *pages;
	struct uio_pseg *seg;
	char c;

	/* get_user_pages_fast() in the kernel: no failure point. */
	if (uio_copy_from_user_nofail(&c, (const void *)uptr, 1))
		return -EFAULT;
	if (!uio_pgt_lookup(&hwpt->pgt, iova, &oa, &flags))
		return -EINVAL;
	pages = uio_phys_to_pages(ctx, oa, &off);
	if (!pages)
		return -EINVAL;
	idx = off / UIO_PAGE_SIZE;
	seg = uio_pages_seg(pages, idx);
	if (!seg || off % UIO_PAGE_SIZE != uptr % UIO_PAGE_SIZE ||
	    !uio_pseg_page_is(seg, idx, uptr & ~(UIO_PAGE_SIZE - 1), cache))
		return -EINVAL;
	return 0;
}

static int uio_test_md_check_map(struct uio_ucmd *ucmd, uint32_t id,
				 uint64_t iova, uint64_t length, uint64_t uptr)
{
	struct uio_vma_cache cache = { 0 };
	struct uio_hwpt *hwpt;
	uint64_t end;
	int rc = 0;

	if (iova % UIO_MOCK_IO_PAGE_SIZE || length % UIO_MOCK_IO_PAGE_SIZE ||
	    uptr % UIO_MOCK_IO_PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	hwpt = uio_get_md_pagetable(ucmd->ctx, id);
	if (!hwpt)
		return -ENOENT;
	for (; length && !rc; length -= UIO_MOCK_IO_PAGE_SIZE) {
		rc = uio_md_check_one(ucmd->ctx, hwpt, iova, uptr, &cache);
		iova += UIO_MOCK_IO_PAGE_SIZE;
		uptr += UIO_MOCK_IO_PAGE_SIZE;
	}
	uio_vma_cache_free(&cache);
	uio_obj_put(ucmd->ctx, &hwpt->obj);
	return rc;
}

/*
 * Take the caller's lock again after letting go of it within the command:
 * rc, or uio_ctx_lock's error (the command then returns without the lock,
 * marked so for the dispatcher).
 */
static int uio_ucmd_relock(struct uio_ucmd *ucmd, int rc)
{
	int e = uio_ctx_lock(ucmd->ctx);

	if (e) {
		ucmd->unlocked = true;
		return e;
	}
	return rc;
}

/*
 * Each page under [uptr, uptr + length) must have `refs` pins. The kernel
 * counts the page's pins: those of every context, and of every process
 * that pinned the same page of a shared object. The contexts are visited
 * through this process's registry, each under its own lock, so the
 * caller's is dropped meanwhile (lock order: registry, then a context).
 */
struct uio_refs_arg {
	uintptr_t uptr;
	uint64_t n;
	uint64_t *counts;
	struct uio_vma_cache cache;
};

static void uio_refs_one(struct uio_ctx *ctx, void *arg)
{
	struct uio_refs_arg *a = arg;

	if (ctx->released)
		return;
	for (uint64_t i = 0; i < a->n; i++)
		a->counts[i] += uio_mm_pins_at(ctx, a->uptr + i * UIO_PAGE_SIZE,
					       &a->cache);
}

#define UIO_REFS_CHUNK 512

static int uio_test_md_check_refs(struct uio_ucmd *ucmd, uint64_t uptr,
				  uint64_t length, uint32_t refs)
{
	uint64_t counts[UIO_REFS_CHUNK], end;
	struct uio_refs_arg a = { .counts = counts };
	int rc = 0;

	if (length % UIO_PAGE_SIZE || uptr % UIO_PAGE_SIZE ||
	    __builtin_add_overflow(uptr, length, &end))
		return -EINVAL;
	uio_ctx_unlock(ucmd->ctx);
	while (length && !rc) {
		uint64_t i;

		a.uptr = uptr;
		a.n = length / UIO_PAGE_SIZE < UIO_REFS_CHUNK ?
			      length / UIO_PAGE_SIZE : UIO_REFS_CHUNK;
		memset(counts, 0, sizeof(counts));
		uio_registry_for_each(uio_refs_one, &a);
		for (i = 0; i < a.n && !rc; i++) {
			char c;

			if (uio_copy_from_user_nofail(&c, (const void *)(uptr +
						      i * UIO_PAGE_SIZE), 1))
				rc = -EFAULT;
			else if (counts[i] != refs)
				rc = -EIO;
		}
		uptr += a.n * UIO_PAGE_SIZE;
		length -= a.n * UIO_PAGE_SIZE;
	}
	uio_vma_cache_free(&a.cache);
	return uio_ucmd_relock(ucmd, rc);
}

static int uio_test_add_reserved(struct uio_ucmd *ucmd, uint32_t ioas_id,
				 uint64_t start, uint64_t length)
{
	struct uio_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = uio_ioas_get(ucmd->ctx, ioas_id);
	if (!ioas)
		return -ENOENT;
	/* Owner NULL: removed with the IOAS, as the kernel's test ranges are. */
	rc = uio_iopt_reserve_iova(ucmd->ctx, &ioas->iopt, start, last, NULL);
	uio_obj_put(ucmd->ctx, &ioas->obj);
	return rc;
}

/* A mock nested domain's IOTLB entry must hold iotlb. */
static int uio_test_md_check_iotlb(struct uio_ucmd *ucmd, uint32_t id,
				   uint32_t iotlb_id, uint32_t iotlb)
{
	struct uio_hwpt *hwpt = uio_hwpt_get(ucmd->ctx, id, UIO_OBJ_HWPT_NESTED);
	int rc = 0;

	if (!hwpt)
		return -ENOENT;
	if (iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    hwpt->iotlb[iotlb_id] != iotlb)
		rc = -EINVAL;
	uio_obj_put(ucmd->ctx, &hwpt->obj);
	return rc;
}

/* A page request from a mock device; the result is not reported. */
static int uio_test_trigger_iopf(struct uio_ucmd *ucmd,
				 struct iommu_test_cmd *cmd)
{
	struct uio_obj *obj = uio_obj_get(ucmd->ctx, cmd->trigger_iopf.dev_id,
					  UIO_OBJ_DEVICE);

	if (!obj)
		return -ENOENT;
	/* Only the mock driver's devices take a triggered fault. */
	if (uio_container_of(obj, struct uio_idev, obj)->driver != UIO_IOMMU_MOCK) {
		uio_obj_put(ucmd->ctx, obj);
		return -EINVAL;
	}
	uio_fault_report(ucmd->ctx, uio_container_of(obj, struct uio_idev, obj),
			 cmd->trigger_iopf.pasid, cmd->trigger_iopf.grpid,
			 cmd->trigger_iopf.perm, cmd->trigger_iopf.addr);
	uio_obj_put(ucmd->ctx, obj);
	return 0;
}

/* ------------------------------------------------------------------ */
/* accesses */

static int uio_test_create_access(struct uio_ucmd *ucmd, uint32_t ioas_id,
				  uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct uio_access *access;
	int fd, rc;

	if (flags & ~(uint32_t)MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	access = uio_access_create(ucmd->ctx,
				   flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &rc);
	if (!access)
		return rc;
	rc = uio_access_attach(ucmd->ctx, access, ioas_id);
	if (rc)
		goto out_destroy;
	fd = uio_access_file_create(ucmd->ctx, access);
	if (fd < 0) {
		rc = fd;
		goto out_destroy;
	}
	cmd->create_access.out_access_fd = fd;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_close;
	uio_access_fd_note(fd, ucmd->ctx);
	return 0;

out_close:
	uio_sys_close(fd);
	uio_anon_unlink(&access->file);
out_destroy:
	uio_access_destroy(ucmd->ctx, access);
	return rc;
}

/* The kernel refuses one access read or write above 16 MiB. */
#define UIO_ACCESS_RW_MAX (16ul << 20)

static int uio_test_access_rw(struct uio_ucmd *ucmd, int fd, uint64_t iova,
			      uint64_t length, uint64_t uptr, uint32_t flags)
{
	struct uio_access *access;
	void *tmp;
	int rc;

	if (length > UIO_ACCESS_RW_MAX)
		return -ENOMEM;
	if (flags & ~(uint32_t)(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
				MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	access = uio_access_from_fd(ucmd->ctx, fd);
	if (!access)
		return -EBADFD;
	/* One copy instead of two where the outcome is the same (access.c). */
	rc = uio_access_rw_user(ucmd->ctx, access, iova, uptr, length, flags);
	if (rc <= 0)
		return rc;
	/* A private bounce buffer, as the kernel's kvzalloc. */
	tmp = uio_should_fail() ? NULL : malloc(length ? length : 1);
	if (!tmp)
		return -ENOMEM;
	if ((flags & MOCK_ACCESS_RW_WRITE) &&
	    uio_copy_from_user(tmp, (const void *)uptr, length)) {
		rc = -EFAULT;
		goto out_free;
	}
	rc = uio_access_rw(ucmd->ctx, access, iova, tmp, length, flags);
	if (!rc && !(flags & MOCK_ACCESS_RW_WRITE) &&
	    uio_copy_to_user((void *)uptr, tmp, length))
		rc = -EFAULT;
out_free:
	free(tmp);
	return rc;
}

static int uio_test_access_replace_ioas(struct uio_ucmd *ucmd, int fd,
					uint32_t ioas_id)
{
	struct uio_access *access = uio_access_from_fd(ucmd->ctx, fd);

	if (!access)
		return -EBADFD;
	if (!access->ioas)
		return -ENOENT;
	return uio_access_attach(ucmd->ctx, access, ioas_id);
}

static int uio_test_access_item_destroy(struct uio_ucmd *ucmd, int fd,
					uint32_t item_id)
{
	struct uio_access *access = uio_access_from_fd(ucmd->ctx, fd);

	if (!access)
		return -EBADFD;
	return uio_access_unpin_item(ucmd->ctx, access, item_id);
}

static int uio_test_access_pages(struct uio_ucmd *ucmd, int fd,
				 uint64_t iova, uint64_t length, uint64_t uptr,
				 uint32_t flags)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct uio_access *access;
	uint32_t id;
	int rc;

	if (length > UIO_ACCESS_RW_MAX)
		return -ENOMEM;
	if (flags & ~(uint32_t)(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	access = uio_access_from_fd(ucmd->ctx, fd);
	if (!access)
		return -EBADFD;
	if (!access->needs_pin)
		return -EOPNOTSUPP;
	rc = uio_access_pin_item(ucmd->ctx, access, iova, length,
				 flags & MOCK_FLAGS_ACCESS_WRITE, uptr, &id);
	if (rc)
		return rc;
	cmd->access_pages.out_access_pages_id = id;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		uio_access_unpin_item(ucmd->ctx, access, id);
	return rc;
}

static int uio_test_access_op(struct uio_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ACCESS_RW:
		return uio_test_access_rw(ucmd, (int)cmd->id, cmd->access_rw.iova,
					  cmd->access_rw.length,
					  cmd->access_rw.uptr,
					  cmd->access_rw.flags);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return uio_test_access_replace_ioas(
			ucmd, (int)cmd->id, cmd->access_replace_ioas.ioas_id);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return uio_test_access_pages(ucmd, (int)cmd->id,
					     cmd->access_pages.iova,
					     cmd->access_pages.length,
					     cmd->access_pages.uptr,
					     cmd->access_pages.flags);
	default:
		return uio_test_access_item_destroy(
			ucmd, (int)cmd->id,
			cmd->destroy_access_pages.access_pages_id);
	}
}

/*
 * The kernel's selftest takes an access from its file, whichever iommufd
 * the command came through: an access of another context of this process
 * (one whose /dev/iommu fd was closed, which the access file keeps) is
 * served under that context. The caller's is let go meanwhile (lock order:
 * registry, then one context).
 */
static int uio_test_access_cmd(struct uio_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct uio_ucmd theirs = *ucmd;
	struct uio_ctx *ctx;
	int rc;

	if (uio_access_from_fd(ucmd->ctx, (int)cmd->id) ||
	    !(ctx = uio_access_fd_ctx((int)cmd->id)) || ctx == ucmd->ctx)
		return uio_test_access_op(ucmd);
	uio_ctx_unlock(ucmd->ctx);
	if (uio_registry_has(ctx)) {
		rc = uio_ctx_lock(ctx);
		if (!rc) {
			theirs.ctx = ctx;
			rc = ctx->released ? -EBADFD :
					     uio_test_access_op(&theirs);
			uio_ctx_unlock(ctx);
		}
		return uio_ucmd_relock(ucmd, rc);
	}
	rc = uio_ucmd_relock(ucmd, 0);
	return rc ? rc : uio_test_access_op(ucmd);
}

int uio_test_cmd(struct uio_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return uio_test_add_reserved(ucmd, cmd->id, cmd->add_reserved.start,
					     cmd->add_reserved.length);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return uio_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return uio_test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return uio_test_md_check_map(ucmd, cmd->id, cmd->check_map.iova,
					     cmd->check_map.length,
					     cmd->check_map.uptr);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return uio_test_md_check_refs(ucmd, cmd->check_refs.uptr,
					      cmd->check_refs.length,
					      cmd->check_refs.refs);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return uio_test_create_access(ucmd, cmd->id,
					      cmd->create_access.flags);
	case IOMMU_TEST_OP_ACCESS_RW:
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
	case IOMMU_TEST_OP_ACCESS_PAGES:
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return uio_test_access_cmd(ucmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return uio_test_md_check_iotlb(ucmd, cmd->id, cmd->check_iotlb.id,
					       cmd->check_iotlb.iotlb);
	case IOMMU_TEST_OP_DIRTY:
		return uio_test_dirty(ucmd, cmd->id, cmd->dirty.iova,
				      cmd->dirty.length, cmd->dirty.page_size,
				      cmd->dirty.uptr, cmd->dirty.flags);
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return uio_test_trigger_iopf(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* The kernel refuses a limit below one batch element. */
		if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t))
			return -EINVAL;
		uio_ctx_j(ucmd->ctx);
		ucmd->ctx->temp_memory_limit = cmd->memory_limit.limit;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}
