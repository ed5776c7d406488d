// SPDX-License-Identifier: MIT
/*
 * The one glue file between VFIO and iommufd, as drivers/vfio/iommufd.c:
 * everything VFIO asks of the core goes through the kAPI here
 * (lib/core/iommufd.h), for the device bound in its context: bind and
 * unbind (vfio_iommufd_physical_bind/unbind), attach, replace and detach,
 * the compat IOAS of the group path, and the device's DMA.
 *
 * A device's binding is the context's id and the device object's id, in
 * the shared registry; each process finds the context itself. Callers
 * hold the registry lock, except for DMA (called from a device model
 * under the device lock).
 */
#include <errno.h>

#include "file.h"
#include "iommufd.h"
#include "vfio.h"

/*
 * iommu_device_claim_dma_owner(), as iommufd_device_bind() claims it: the
 * devices of one IOMMU group are owned by one iommufd at a time (EPERM).
 */
static int uio_vfio_claim_dma_owner(struct uio_vfio_registry *r,
				    struct uio_vfio_device *d, uint64_t id)
{
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *o = &r->devices[i];

		if (o == d || o->group != d->group)
			continue;
		uio_vfio_sweep_device(r, o);
		if (o->iommufd && o->iommufd != id)
			return -EPERM;
	}
	return 0;
}

int uio_vfio_iommufd_bind(struct uio_vfio_registry *r, struct uio_vfio_device *d,
			  struct uio_ctx *ctx)
{
	uint32_t id;
	int rc = uio_vfio_claim_dma_owner(r, d, uio_iommufd_ctx_id(ctx));

	if (rc)
		return rc;
	rc = uio_iommufd_device_bind(ctx, UIO_IOMMU_INTEL_VTD, &id);

	if (rc)
		return rc;
	d->iommufd = uio_iommufd_ctx_id(ctx);
	d->devid = id;
	d->attached = false;
	return 0;
}

void uio_vfio_iommufd_unbind(struct uio_vfio_device *d)
{
	struct uio_ctx *ctx;

	if (!d->iommufd)
		return;
	uio_core_enter();
	/* A context already released took its device objects with it. */
	ctx = uio_iommufd_ctx_find(d->iommufd);
	if (ctx)
		uio_iommufd_device_unbind(ctx, d->devid);
	uio_core_leave();
	d->iommufd = 0;
	d->devid = 0;
	d->attached = false;
}

/* vfio_iommufd_physical_attach_ioas(): attach, or replace once attached. */
int uio_vfio_iommufd_attach(struct uio_vfio_device *d, uint32_t *pt_id)
{
	struct uio_ctx *ctx;
	int rc;

	if (!d->iommufd)
		return -EINVAL;
	uio_core_enter();
	ctx = uio_iommufd_ctx_find(d->iommufd);
	rc = ctx ? uio_iommufd_device_attach(ctx, d->devid, pt_id, d->attached) :
		   -ENODEV;
	uio_core_leave();
	if (!rc)
		d->attached = true;
	return rc;
}

void uio_vfio_iommufd_detach(struct uio_vfio_device *d)
{
	struct uio_ctx *ctx;

	if (!d->iommufd || !d->attached)
		return;
	uio_core_enter();
	ctx = uio_iommufd_ctx_find(d->iommufd);
	if (ctx)
		uio_iommufd_device_detach(ctx, d->devid);
	uio_core_leave();
	d->attached = false;
}

/* vfio_iommufd_compat_attach_ioas(): the group path's IOAS. */
int uio_vfio_iommufd_compat_attach(struct uio_vfio_device *d)
{
	struct uio_ctx *ctx;
	uint32_t ioas_id;
	int rc;

	uio_core_enter();
	ctx = uio_iommufd_ctx_find(d->iommufd);
	rc = ctx ? uio_iommufd_vfio_compat_ioas_get_id(ctx, &ioas_id) : -ENODEV;
	if (!rc)
		rc = uio_iommufd_device_attach(ctx, d->devid, &ioas_id, d->attached);
	uio_core_leave();
	if (!rc)
		d->attached = true;
	return rc;
}

int uio_vfio_iommufd_dma(struct uio_vfio_device *d, uint64_t iova, void *buf,
			 size_t len, bool write)
{
	uint64_t id = __atomic_load_n(&d->iommufd, __ATOMIC_ACQUIRE);
	struct uio_ctx *ctx;
	int rc;

	if (!id)
		return -ENODEV;
	uio_core_enter();
	ctx = uio_iommufd_ctx_find(id);
	rc = ctx ? uio_iommufd_device_dma(ctx, d->devid, iova, buf, len, write) :
		   -ENODEV;
	uio_core_leave();
	return rc;
}

int uio_vfio_iommufd_dma_copy(struct uio_vfio_device *d, uint64_t dst,
			      uint64_t src, size_t len, uint64_t *bad)
{
	uint64_t id = __atomic_load_n(&d->iommufd, __ATOMIC_ACQUIRE);
	struct uio_ctx *ctx;
	int rc;

	*bad = src;
	if (!id)
		return -ENODEV;
	uio_core_enter();
	ctx = uio_iommufd_ctx_find(id);
	rc = ctx ? uio_iommufd_device_dma_copy(ctx, d->devid, dst, src, len, bad) :
		   -ENODEV;
	uio_core_leave();
	return rc;
}

/*
 * iommufd_ctx_from_fd(): fget() (EBADF), and the file must be an iommufd
 * (EBADFD). The fd is looked up first as the VFS finds any file, every
 * kind of ours probed: asked only "is it a context?", the core would
 * remember an fd nobody had looked at yet as none of ours, and a VFIO
 * group or device file would stop being one in this process.
 */
struct uio_ctx *uio_vfio_iommufd_ctx_from_fd(int fd, int *err)
{
	uint32_t idx;

	if (uio_file_get(fd, &idx) && !uio_file_is(fd, UIO_FILE_IOMMUFD, &idx)) {
		*err = -EBADFD;
		return NULL;
	}
	return uio_iommufd_ctx_from_fd(fd, err);
}

/* VFIO_GROUP_SET_CONTAINER's iommufd part: the context, its compat IOAS. */
int uio_vfio_iommufd_container(int fd, uint64_t *id)
{
	struct uio_ctx *ctx;
	int rc;

	uio_core_enter();
	ctx = uio_vfio_iommufd_ctx_from_fd(fd, &rc);
	if (ctx) {
		rc = uio_iommufd_vfio_compat_ioas_create(ctx);
		if (!rc) {
			*id = uio_iommufd_ctx_id(ctx);
			/* The group holds it until UNSET_CONTAINER or release. */
			uio_iommufd_ctx_get(ctx);
		}
	}
	uio_core_leave();
	return rc;
}

/* The group lets go of its container's context (iommufd_ctx_put). */
void uio_vfio_iommufd_container_put(uint64_t id)
{
	struct uio_ctx *ctx;

	uio_core_enter();
	ctx = uio_iommufd_ctx_find(id);
	if (ctx)
		uio_iommufd_ctx_put(ctx);
	uio_core_leave();
}
