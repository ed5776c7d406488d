/* SPDX-License-Identifier: MIT */
/*
 * The iommufd kAPI: what the layers above the core (VFIO) may ask of it,
 * as the kernel's include/linux/iommufd.h is all drivers/vfio sees of
 * drivers/iommu/iommufd. The only header of lib/core they include.
 *
 * A context is known to callers as a handle (struct uio_ctx, opaque) that
 * is valid for the current call: every entry point of the library
 * brackets its work with uio_core_enter()/uio_core_leave(), and a context
 * found here stays mapped until the outermost leave. Across calls and
 * processes, a context is named by its 64-bit id, which shared state may
 * store. Each function takes the context's lock itself: callers hold no
 * lock of the core, and may hold their own (registry, device) locks,
 * which come before the context's in the lock order (core.h).
 *
 * Errors are -errno, as the kernel's functions return them, and -ENOMEM
 * from any that takes the lock when this process cannot map what the
 * context uses (core.h, uio_ctx_lock); those returning nothing then do
 * nothing.
 */
#ifndef UIO_IOMMUFD_H
#define UIO_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uio_ctx;

/* Bracket every entry point that may reach a context (fdtable.h). */
void uio_core_enter(void);
void uio_core_leave(void);

/* The IOMMU behind a bound device (its domains' geometry and answers). */
enum uio_iommu_driver {
	UIO_IOMMU_MOCK,        /* the selftest mock driver */
	UIO_IOMMU_INTEL_VTD,   /* Intel VT-d second-level tables (VFIO devices) */
};

/*
 * iommufd_ctx_from_fd(): the context behind fd, held for the call. NULL
 * with *err -EBADF (fd is not open) or -EBADFD (not an iommufd).
 */
struct uio_ctx *uio_iommufd_ctx_from_fd(int fd, int *err);
/*
 * The context named id, held for the call, or NULL if this process can
 * reach none: a context it has mapped, or one behind an fd it holds.
 * A context already released is not found.
 */
struct uio_ctx *uio_iommufd_ctx_find(uint64_t id);
uint64_t uio_iommufd_ctx_id(const struct uio_ctx *ctx);

/*
 * iommufd_device_bind(): a new device object of ctx behind the given
 * IOMMU; its id in *id. -ENOMEM.
 */
int uio_iommufd_device_bind(struct uio_ctx *ctx, enum uio_iommu_driver iommu,
			    uint32_t *id);
/* iommufd_device_unbind(): detaches first if attached. */
void uio_iommufd_device_unbind(struct uio_ctx *ctx, uint32_t id);
/*
 * iommufd_device_attach()/_replace(): attach device id to *pt_id (an
 * IOAS, whose automatic domain is found or made, or a hwpt); *pt_id
 * becomes the hwpt used. replace switches an attached device. -ENOENT,
 * -EINVAL, -EADDRINUSE (reserved ranges over mapped areas), -EFAULT and
 * -ENOMEM (pinning for a new domain).
 */
int uio_iommufd_device_attach(struct uio_ctx *ctx, uint32_t id,
			      uint32_t *pt_id, bool replace);
void uio_iommufd_device_detach(struct uio_ctx *ctx, uint32_t id);
/* Whether device id of ctx is attached. */
bool uio_iommufd_device_attached(struct uio_ctx *ctx, uint32_t id);
/*
 * DMA by device id through the IO page table it is attached to, as
 * uiommufd_dma(): 0, -ENODEV (not attached or gone), -EFAULT, -EPERM,
 * -EAGAIN (a page request was queued on the hwpt's fault queue).
 */
int uio_iommufd_device_dma(struct uio_ctx *ctx, uint32_t id, uint64_t iova,
			   void *buf, size_t len, bool write);

/*
 * A copy engine's transfer by device id: len bytes from IOVA src to IOVA
 * dst, without a bounce where it can. Errors as uio_iommufd_device_dma();
 * *bad is the IOVA whose access failed.
 */
int uio_iommufd_device_dma_copy(struct uio_ctx *ctx, uint32_t id, uint64_t dst,
				uint64_t src, size_t len, uint64_t *bad);

/*
 * iommufd_ctx_get()/iommufd_ctx_put(): a reference held on the context
 * from outside its files (a VFIO group set to it; a bound device takes one
 * in uio_iommufd_device_bind() and drops it at unbind). The context's own
 * last close leaves it alive while one is held; the last put of such a
 * context releases it.
 */
void uio_iommufd_ctx_get(struct uio_ctx *ctx);
void uio_iommufd_ctx_put(struct uio_ctx *ctx);

/* iommufd_vfio_compat_ioas_create(): the compat IOAS exists after. */
int uio_iommufd_vfio_compat_ioas_create(struct uio_ctx *ctx);
/* iommufd_vfio_compat_ioas_get_id(): -ENODEV if there is none. */
int uio_iommufd_vfio_compat_ioas_get_id(struct uio_ctx *ctx, uint32_t *id);

#endif
