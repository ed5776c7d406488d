// SPDX-License-Identifier: MIT
/*
 * pages: a run of user memory that areas map.
 *
 * A pages object records whose memory it is (source process and user), the
 * page-aligned user address and length, whether it may be written, and how
 * pins on it are accounted. Creating one neither touches nor pins the memory:
 * like the kernel, uiommufd pins only when a consumer (an IOMMU domain or an
 * access) needs the pages, so IOAS_MAP of memory that is not mapped succeeds
 * until something needs it.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <unistd.h>

#include "core.h"
#include "sys.h"

struct uio_pages *uio_pages_alloc(struct uio_ctx *ctx, uintptr_t uptr,
				  uint64_t length, bool writable, int *err)
{
	struct uio_pages *pages;
	uintptr_t end, base;

	/* The size_t length limit, and room to round up to whole pages. */
	if (length > SIZE_MAX - UIO_PAGE_SIZE || length == 0) {
		*err = -EINVAL;
		return NULL;
	}
	if (__builtin_add_overflow(uptr, length, &end)) {
		*err = -EOVERFLOW;
		return NULL;
	}
	pages = uio_new(ctx, struct uio_pages);
	if (!pages) {
		*err = -ENOMEM;
		return NULL;
	}
	base = uptr & ~(UIO_PAGE_SIZE - 1);
	pages->refs = 1;
	pages->uptr = base;
	pages->npages = (length + (uptr - base) + UIO_PAGE_SIZE - 1) / UIO_PAGE_SIZE;
	pages->writable = writable;
	pages->source_pid = uio_current_pid();
	pages->source_uid = uio_current_uid();
	/* The kernel exempts CAP_IPC_LOCK holders from pin accounting. */
	pages->account_mode = uio_capable(CAP_IPC_LOCK) ? UIO_ACCOUNT_NONE :
							  UIO_ACCOUNT_USER;
	if (ctx->account_mode == UIO_ACCOUNT_MM &&
	    pages->account_mode == UIO_ACCOUNT_USER)
		pages->account_mode = UIO_ACCOUNT_MM;
	ctx->npages_objs++;
	return pages;
}

void uio_pages_get(struct uio_pages *pages)
{
	pages->refs++;
}

void uio_pages_put(struct uio_ctx *ctx, struct uio_pages *pages)
{
	if (--pages->refs)
		return;
	ctx->npages_objs--;
	uio_delete(ctx, pages);
}
