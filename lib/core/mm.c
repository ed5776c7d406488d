// SPDX-License-Identifier: MIT
/*
 * mm: the processes whose memory a context's pages objects refer to.
 *
 * The kernel's iopt_pages holds the source mm and, once pinned, references
 * to the physical pages. uiommufd cannot hold a page: a pinned page stays
 * where it is, in the source process (a LIVE segment), until that process
 * lets go of the memory. The preload layer reports each munmap, mremap,
 * MAP_FIXED mmap, discarding madvise, exec and exit before it happens
 * (uio_mm_release_range, uio_mm_move_range, uio_mm_release_all); pinned
 * pages in the range are then copied to the arena (SAVED), or follow the
 * move. The data behind the IOAS therefore stays what it was, as with a
 * kernel page reference. mm->live indexes the LIVE segments by address so
 * that a report costs O(log n) and nothing when no pin is there.
 *
 * The source process reads and writes its own pinned pages directly (with
 * fault recovery); another process of the context uses process_vm_readv and
 * process_vm_writev. A pid is matched together with its start time, so a
 * reused pid is never taken for the process that created the pages.
 *
 * Everything here runs under ctx->lock.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "core.h"
#include "sys.h"
#include "uaccess.h"

bool uio_mm_is_current(const struct uio_mm *mm)
{
	return !mm->gone && mm->pid == uio_current_pid() &&
	       mm->start_time == uio_current_start_time() &&
	       !memcmp(&mm->exec_id, uio_current_exec_id(), sizeof(mm->exec_id));
}

/*
 * Whether mm's program image still runs (another process asks): its
 * AT_RANDOM bytes must still be where they were. An exec or exit, seen or
 * not by the preload layer, fails this.
 */
static bool uio_mm_alive(struct uio_mm *mm)
{
	return !mm->gone && uio_exec_id_alive(mm->pid, &mm->exec_id);
}

struct uio_mm *uio_mm_current(struct uio_ctx *ctx, int *err)
{
	struct uio_mm *mm;

	for (mm = ctx->mms; mm; mm = mm->next) {
		if (uio_mm_is_current(mm)) {
			UIO_J(&mm->refs);
			mm->refs++;
			return mm;
		}
	}
	mm = uio_new(ctx, struct uio_mm);
	if (!mm) {
		*err = -ENOMEM;
		return NULL;
	}
	mm->pid = uio_current_pid();
	mm->start_time = uio_current_start_time();
	mm->exec_id = *uio_current_exec_id();
	mm->refs = 1;
	uio_itree_init(&mm->live);
	mm->next = ctx->mms;
	uio_ctx_j(ctx);
	ctx->mms = mm;
	return mm;
}

static void uio_mm_free_if_unused(struct uio_ctx *ctx, struct uio_mm *mm)
{
	struct uio_mm **pp;

	if (mm->refs || !uio_itree_empty(&mm->live))
		return;
	for (pp = &ctx->mms; *pp; pp = &(*pp)->next) {
		if (*pp == mm) {
			UIO_J(pp);
			*pp = mm->next;
			break;
		}
	}
	uio_delete(ctx, mm);
}

void uio_mm_put(struct uio_ctx *ctx, struct uio_mm *mm)
{
	UIO_J(&mm->refs);
	mm->refs--;
	uio_mm_free_if_unused(ctx, mm);
}

/* Copy between buf and the source process's memory at va. 0 or -EFAULT. */
int uio_mm_access(struct uio_mm *mm, uintptr_t va, void *buf, size_t len,
		  bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)va, .iov_len = len };
	long n;

	if (!len)
		return 0;
	if (mm->gone)
		return -EFAULT;
	if (uio_mm_is_current(mm))
		return write ? uio_copy_to_user_nofail((void *)va, buf, len) :
			       uio_copy_from_user_nofail(buf, (const void *)va, len);
	if (!uio_mm_alive(mm))
		return -EFAULT;
	n = UIO_SYS(write ? SYS_process_vm_writev : SYS_process_vm_readv,
		    (long)mm->pid, &local, 1L, &remote, 1L, 0L);
	return n == (long)len ? 0 : -EFAULT;
}

uint64_t uio_mm_pin_count(struct uio_mm *mm, uintptr_t va)
{
	struct uio_itree_node *n;
	uint64_t count = 0;

	for (n = uio_itree_iter_first(&mm->live, va, va, UIO_ITREE_ALL_KINDS);
	     n; n = uio_itree_iter_next(n, va, va, UIO_ITREE_ALL_KINDS))
		count++;
	return count;
}

/*
 * Copy a LIVE segment's pages to the arena. If the arena is full the
 * segment is left LIVE: the data then goes with the process's memory, the
 * one case where a pin does not outlive it.
 */
static bool uio_pseg_save(struct uio_ctx *ctx, struct uio_mm *mm,
			  struct uio_pseg *seg)
{
	uint64_t npages = seg->node.last - seg->node.start + 1;
	size_t len = npages * UIO_PAGE_SIZE;
	char *buf = uio_zalloc(ctx, len);

	if (!buf)
		return false;
	/* A page the process cannot read (mprotect) saves as zeroes. */
	if (uio_mm_access(mm, seg->va, buf, len, false))
		memset(buf, 0, len);
	UIO_J(seg);
	seg->saved = buf;
	seg->saved_first = seg->node.start;
	seg->saved_npages = npages;
	uio_itree_remove(&mm->live, &seg->va_node);
	return true;
}

static struct uio_mm *uio_mm_find_current(struct uio_ctx *ctx)
{
	struct uio_mm *mm;

	for (mm = ctx->mms; mm; mm = mm->next)
		if (uio_mm_is_current(mm))
			return mm;
	return NULL;
}

void uio_mm_release_range(struct uio_ctx *ctx, uintptr_t va, size_t len)
{
	struct uio_itree_node *n, *next;
	struct uio_mm *mm;
	uint64_t last;

	if (!len || !(mm = uio_mm_find_current(ctx)) ||
	    uio_itree_empty(&mm->live))
		return;
	last = va + len - 1;
	if (last < va)
		last = UINT64_MAX;
	/*
	 * Only the released pages of a segment are saved: the part that stays
	 * mapped stays shared with the process, as the kernel's page
	 * references keep it.
	 */
	for (n = uio_itree_iter_first(&mm->live, va, last, UIO_ITREE_ALL_KINDS);
	     n; n = next) {
		struct uio_pseg *seg = uio_container_of(n, struct uio_pseg, va_node);

		next = uio_itree_iter_next(n, va, last, UIO_ITREE_ALL_KINDS);
		uio_pseg_save(ctx, mm, uio_pseg_isolate(ctx, seg, va, last));
	}
}

void uio_mm_move_range(struct uio_ctx *ctx, uintptr_t old, size_t len,
		       uintptr_t new_va)
{
	struct uio_itree_node *n, *next;
	struct uio_mm *mm;
	uint64_t last = (old + len - 1) | (UIO_PAGE_SIZE - 1); /* whole pages move */

	if (!len || !(mm = uio_mm_find_current(ctx)) ||
	    uio_itree_empty(&mm->live))
		return;
	for (n = uio_itree_iter_first(&mm->live, old, last, UIO_ITREE_ALL_KINDS);
	     n; n = next) {
		struct uio_pseg *seg = uio_container_of(n, struct uio_pseg, va_node);

		next = uio_itree_iter_next(n, old, last, UIO_ITREE_ALL_KINDS);
		if (n->start < old || n->last > last) {
			/* Only part of the segment moves: that part goes alone. */
			seg = uio_pseg_isolate(ctx, seg, old, last);
			if (n->start < old || n->last > last) {
				/* No memory to split it: keep a copy. */
				uio_pseg_save(ctx, mm, seg);
				continue;
			}
		}
		uio_itree_remove(&mm->live, n);
		UIO_J(seg);
		seg->va = seg->va - old + new_va;
		n->start = seg->va;
		n->last = seg->va + (seg->node.last - seg->node.start + 1) *
					    UIO_PAGE_SIZE - 1;
		uio_itree_insert(&mm->live, n);
	}
}

void uio_mm_release_all(struct uio_ctx *ctx, struct uio_mm *mm)
{
	struct uio_itree_node *n;

	while ((n = uio_itree_first(&mm->live))) {
		if (!uio_pseg_save(ctx, mm, uio_container_of(n, struct uio_pseg,
							     va_node)))
			/* Arena full: the data goes with the process. */
			uio_itree_remove(&mm->live, n);
	}
	UIO_J(&mm->gone);
	mm->gone = true;
}
