// SPDX-License-Identifier: MIT
/*
 * hooks: what the preload layer reports about the process's own memory, so
 * that pins outlive it (see mm.c). Each report visits every context mapped
 * in this process (fdtable.c's registry), under its lock.
 *
 * The report comes just before the call that changes the memory (munmap,
 * mmap with MAP_FIXED, discarding madvise, exec, exit) or, for mremap, just
 * after it succeeded. Between a pin in another thread and the call itself
 * there is a window the kernel does not have; it needs a pin racing the
 * unmap of the very same pages.
 */
#include <stddef.h>
#include <stdint.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"

struct uio_range_arg {
	uintptr_t va;
	size_t len;
	uintptr_t new_va;
};

static void uio_release_one(struct uio_ctx *ctx, void *arg)
{
	struct uio_range_arg *r = arg;

	uio_mm_release_range(ctx, r->va, r->len);
}

static void uio_move_one(struct uio_ctx *ctx, void *arg)
{
	struct uio_range_arg *r = arg;

	uio_mm_move_range(ctx, r->va, r->len, r->new_va);
}

static void uio_exit_one(struct uio_ctx *ctx, void *arg)
{
	struct uio_mm *mm;

	(void)arg;
	uio_dump_event(ctx, "exit");
	for (mm = ctx->mms; mm; mm = mm->next)
		if (uio_mm_is_current(mm))
			break;
	if (mm)
		uio_mm_release_all(ctx, mm);
}

/* exit() after _exit() wrappers etc.: one report per image. */
static bool uio_in_image_ending;

UIO_EXPORT void uiommufd_memory_released(void *addr, size_t len)
{
	struct uio_range_arg r = { (uintptr_t)addr, len, 0 };

	if (!len || uio_registry_empty())
		return;
	uio_registry_for_each(uio_release_one, &r);
}

UIO_EXPORT void uiommufd_memory_moved(void *old_addr, size_t len,
				      void *new_addr)
{
	struct uio_range_arg r = { (uintptr_t)old_addr, len,
				   (uintptr_t)new_addr };

	if (!len || old_addr == new_addr || uio_registry_empty())
		return;
	uio_registry_for_each(uio_move_one, &r);
}

UIO_EXPORT void uiommufd_image_ending(void)
{
	if (uio_registry_empty() || uio_in_image_ending)
		return;
	uio_in_image_ending = true;
	uio_registry_for_each(uio_exit_one, NULL);
}
