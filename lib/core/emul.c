// SPDX-License-Identifier: MIT
/*
 * emul: the public C API for device emulators (uiommufd.h): mock devices,
 * device DMA through IO page tables, and accesses. Each call takes the
 * context's lock like an ioctl and reports errors through errno.
 */
#include <errno.h>
#include <stdlib.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "uaccess.h"

/* The context behind fd, locked; NULL with errno set. */
static struct uio_ctx *uio_api_enter(int fd)
{
	int rc = uio_uaccess_ensure();

	if (rc) {
		errno = -rc;
		return NULL;
	}
	return uio_fd_ctx_lock(fd);
}

static int uio_api_leave(struct uio_ctx *ctx, int rc)
{
	uio_fd_ctx_unlock(ctx);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

UIO_EXPORT int uiommufd_mock_device_create(int fd, uint32_t pt_id,
					   uint32_t dev_flags,
					   struct uiommufd_mock_device *out)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_stdev *sobj;
	uint32_t hwpt_id;
	int rc = 0;

	if (!ctx)
		return -1;
	sobj = uio_mock_device_create(ctx, pt_id, dev_flags, &hwpt_id, &rc);
	if (sobj) {
		struct uiommufd_mock_device d = { sobj->obj.id, hwpt_id,
						  sobj->idev->obj.id };

		rc = uio_copy_to_user(out, &d, sizeof(d));
		if (rc)
			uio_mock_device_abort(ctx, sobj);
		else
			uio_obj_finalize(ctx, &sobj->obj);
	}
	return uio_api_leave(ctx, rc);
}

UIO_EXPORT int uiommufd_dma(int fd, uint32_t dev_id, uint64_t iova, void *buf,
			    size_t len, unsigned int flags)
{
	bool write = flags & UIOMMUFD_DMA_WRITE;
	struct uio_ctx *ctx;
	struct uio_obj *obj;
	void *tmp;
	int rc;

	/* Bounce: a bad buf is EFAULT before the device touches anything. */
	tmp = malloc(len ? len : 1);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	if (write && uio_copy_from_user(tmp, buf, len)) {
		free(tmp);
		errno = EFAULT;
		return -1;
	}
	ctx = uio_api_enter(fd);
	if (!ctx) {
		free(tmp);
		return -1;
	}
	obj = uio_obj_get(ctx, dev_id, UIO_OBJ_DEVICE);
	if (!obj) {
		rc = -ENOENT;
	} else {
		rc = uio_device_dma(ctx, uio_container_of(obj, struct uio_idev, obj),
				    iova, tmp, len, write);
		uio_obj_put(ctx, obj);
	}
	if (!rc && !write && uio_copy_to_user(buf, tmp, len))
		rc = -EFAULT;
	free(tmp);
	return uio_api_leave(ctx, rc);
}

static struct uio_access *uio_api_access(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_obj *obj = uio_obj_get(ctx, id, UIO_OBJ_ACCESS);

	if (!obj)
		return NULL;
	/* Held under the context lock for the call: no short-term ref needed. */
	uio_obj_put(ctx, obj);
	return uio_container_of(obj, struct uio_access, obj);
}

UIO_EXPORT int uiommufd_access_create(int fd, uint32_t ioas_id,
				      uint32_t *access_id)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_access *access;
	int rc = 0;

	if (!ctx)
		return -1;
	access = uio_access_create(ctx, true, &rc);
	if (access) {
		access->record_unmaps = true;
		rc = uio_access_attach(ctx, access, ioas_id);
		if (!rc)
			rc = uio_copy_to_user(access_id, &access->obj.id,
					      sizeof(*access_id));
		if (rc)
			uio_access_destroy(ctx, access);
	}
	return uio_api_leave(ctx, rc);
}

UIO_EXPORT int uiommufd_access_destroy(int fd, uint32_t access_id)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_access *access;

	if (!ctx)
		return -1;
	access = uio_api_access(ctx, access_id);
	if (access)
		uio_access_destroy(ctx, access);
	return uio_api_leave(ctx, access ? 0 : -ENOENT);
}

UIO_EXPORT int uiommufd_access_rw(int fd, uint32_t access_id, uint64_t iova,
				  void *buf, size_t len, unsigned int flags)
{
	unsigned int rw = flags & UIOMMUFD_DMA_WRITE ? MOCK_ACCESS_RW_WRITE : 0;
	struct uio_access *access;
	struct uio_ctx *ctx;
	void *tmp;
	int rc;

	tmp = malloc(len ? len : 1);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	if (rw && uio_copy_from_user(tmp, buf, len)) {
		free(tmp);
		errno = EFAULT;
		return -1;
	}
	ctx = uio_api_enter(fd);
	if (!ctx) {
		free(tmp);
		return -1;
	}
	access = uio_api_access(ctx, access_id);
	rc = access ? uio_access_rw(ctx, access, iova, tmp, len, rw) : -ENOENT;
	if (!rc && !rw && uio_copy_to_user(buf, tmp, len))
		rc = -EFAULT;
	free(tmp);
	return uio_api_leave(ctx, rc);
}

UIO_EXPORT int uiommufd_access_pin(int fd, uint32_t access_id, uint64_t iova,
				   uint64_t len, unsigned int flags,
				   uint32_t *pin_id)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_access *access;
	uint32_t id;
	int rc;

	if (!ctx)
		return -1;
	access = uio_api_access(ctx, access_id);
	rc = access ? uio_access_pin_item(ctx, access, iova, len,
					  flags & UIOMMUFD_DMA_WRITE, 0, &id) :
		      -ENOENT;
	if (!rc && uio_copy_to_user(pin_id, &id, sizeof(id))) {
		uio_access_unpin_item(ctx, access, id);
		rc = -EFAULT;
	}
	return uio_api_leave(ctx, rc);
}

UIO_EXPORT int uiommufd_access_unpin(int fd, uint32_t access_id,
				     uint32_t pin_id)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_access *access;

	if (!ctx)
		return -1;
	access = uio_api_access(ctx, access_id);
	return uio_api_leave(ctx, access ? uio_access_unpin_item(ctx, access,
								  pin_id) :
					   -ENOENT);
}

UIO_EXPORT int uiommufd_access_next_unmap(int fd, uint32_t access_id,
					  uint64_t *iova, uint64_t *len)
{
	struct uio_ctx *ctx = uio_api_enter(fd);
	struct uio_access *access;
	struct uio_unmap_event *ev;
	int rc = 0;

	if (!ctx)
		return -1;
	access = uio_api_access(ctx, access_id);
	if (!access) {
		rc = -ENOENT;
	} else if (!(ev = access->events)) {
		rc = -EAGAIN;
	} else if (uio_copy_to_user(iova, &ev->iova, sizeof(*iova)) ||
		   uio_copy_to_user(len, &ev->length, sizeof(*len))) {
		rc = -EFAULT;
	} else {
		UIO_J(access);
		access->events = ev->next;
		if (!access->events)
			access->events_tail = NULL;
		uio_delete(ctx, ev);
	}
	return uio_api_leave(ctx, rc);
}
