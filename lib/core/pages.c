// SPDX-License-Identifier: MIT
/*
 * pages: a run of user memory that areas map, its pins and their charge.
 *
 * A pages object records whose memory it is (source mm and user), the
 * page-aligned user address and length, whether it may be written, and how
 * pins on it are accounted. Creating one neither touches nor pins the memory:
 * like the kernel, uiommufd pins only when a consumer (an IOMMU domain or an
 * access) needs the pages, so IOAS_MAP of memory that is not mapped succeeds
 * until something needs it.
 *
 * Pins. Each consumer adds a pin user: a range of page indexes in
 * pages->pin_users. A page is pinned while some pin user covers it, and is
 * then charged once, however many consumers share it (the kernel pins a page
 * once per iopt_pages). Pinning checks the pages in the source process as
 * pin_user_pages() would (EFAULT, with FOLL_WRITE for writable pages), then
 * charges them (ENOMEM), then records where they are in segments
 * (struct uio_pseg, see mm.c for LIVE and SAVED).
 *
 * Accounting (the kernel's pages.c rules):
 *   NONE  the creator had CAP_IPC_LOCK when it mapped;
 *   USER  per user, against the source's RLIMIT_MEMLOCK (the default);
 *   MM    per process, the same limit (IOMMU_OPTION_RLIMIT_MODE 1, and
 *         every /dev/vfio/vfio open).
 * The per-user count is kept per context: the kernel's user_struct count is
 * shared with io_uring and every other iommufd file of the user, which a
 * userspace emulation cannot see.
 *
 * Physical addresses. Every pages object gets a range of emulated physical
 * addresses, never reused; domains map IOVA to them and ctx->phys maps them
 * back while the pages are pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "sys.h"
#include "uaccess.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* Emulated physical addresses start here; 0 stays unused. */
#define UIO_PHYS_BASE (1ull << 32)
#define UIO_PHYS_ALIGN (2ull << 20)

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
	pages->mm = uio_mm_current(ctx, err);
	if (!pages->mm) {
		uio_delete(ctx, pages);
		return NULL;
	}
	base = uptr & ~(UIO_PAGE_SIZE - 1);
	pages->refs = 1;
	pages->uptr = base;
	pages->npages = (length + (uptr - base) + UIO_PAGE_SIZE - 1) / UIO_PAGE_SIZE;
	pages->writable = writable;
	pages->source_uid = uio_current_uid();
	uio_itree_init(&pages->pin_users);
	uio_itree_init(&pages->segs);
	uio_ctx_j(ctx);
	if (!ctx->next_phys)
		ctx->next_phys = UIO_PHYS_BASE;
	/*
	 * Emulated physical addresses keep the user address's offset in a
	 * 2 MiB huge page, as hugetlb memory has: huge IO leaves can then map
	 * it when the IOVA is aligned too (uio_hwpt_map_area).
	 */
	pages->phys_node.kind = 1;
	pages->phys_node.start = ((ctx->next_phys + UIO_PHYS_ALIGN - 1) &
				  ~(UIO_PHYS_ALIGN - 1)) +
				 (base & (UIO_PHYS_ALIGN - 1));
	pages->phys_node.last = pages->phys_node.start +
				pages->npages * UIO_PAGE_SIZE - 1;
	/* A guard page between objects, so no access runs into the next. */
	ctx->next_phys = pages->phys_node.last + 1 + UIO_PAGE_SIZE;
	/*
	 * How pins will be charged is decided at the first pin (capable()
	 * costs a system call, too much for every map); the kernel decides
	 * here, which differs only if the caller's capabilities change in
	 * between. The context's mode is recorded now.
	 */
	pages->account_mode = ctx->account_mode == UIO_ACCOUNT_MM ?
				      UIO_ACCOUNT_MM_UNDECIDED :
				      UIO_ACCOUNT_UNDECIDED;
	uio_ctx_j(ctx);
	ctx->npages_objs++;
	return pages;
}

void uio_pages_get(struct uio_pages *pages)
{
	UIO_J(&pages->refs);
	pages->refs++;
}

void uio_pages_put(struct uio_ctx *ctx, struct uio_pages *pages)
{
	UIO_J(&pages->refs);
	if (--pages->refs)
		return;
	uio_ctx_j(ctx);
	ctx->npages_objs--;
	uio_mm_put(ctx, pages->mm);
	uio_delete(ctx, pages);
}

/* ------------------------------------------------------------------ */
/* checking pages as pin_user_pages() would */

/* Ranges up to this are checked page by page, larger ones by their VMAs. */
#define UIO_PROBE_MAX (2ul << 20)

/*
 * Whether the VMAs of process pid cover [va, va + len) with read (and
 * write) permission, from /proc/PID/maps. 0, -EFAULT, or -ENOENT when the
 * maps cannot be read.
 */
static int uio_vmas_cover(int pid, uintptr_t va, size_t len, bool write)
{
	char path[64], buf[8192];
	uintptr_t covered = va, end = va + len;
	size_t have = 0;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	fd = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	while (covered < end) {
		long n = uio_sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (n <= 0)
			break;
		have += n;
		buf[have] = 0;
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			unsigned long a, b;
			char perms[5];

			*nl = 0;
			if (sscanf(line, "%lx-%lx %4s", &a, &b, perms) != 3)
				continue;
			if (b <= covered || a > covered)
				continue;
			/* Contiguous from covered on, with the permissions. */
			if (perms[0] != 'r' || (write && perms[1] != 'w'))
				break;
			covered = b;
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (covered < end && line != buf && !have && n < 0)
			break;
	}
	uio_sys_close(fd);
	return covered >= end ? 0 : -EFAULT;
}

/*
 * The caller's own pages, as pin_user_pages() would find them: present
 * (faulted in), readable, and writable when the pages are. Small ranges
 * are touched; large ones are checked against the VMAs, which costs the
 * same whatever the size (the pages then fault in on first use).
 */
static int uio_pages_check_local(uintptr_t va, size_t len, bool write)
{
	int rc;

	if (len <= UIO_PROBE_MAX)
		return uio_user_probe((const void *)va, len, UIO_PAGE_SIZE, write);
	rc = uio_vmas_cover(0, va, len, write);
	if (rc != -ENOENT)
		return rc;
	/* No /proc: populate, which checks every page. */
	rc = uio_sys_madvise((void *)va, len,
			     write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
	if (rc == -EINVAL)
		return uio_user_probe((const void *)va, len, UIO_PAGE_SIZE, write);
	return rc ? -EFAULT : 0;
}

static int uio_pages_check(struct uio_pages *pages, uint64_t first,
			   uint64_t last)
{
	uintptr_t va = pages->uptr + first * UIO_PAGE_SIZE;
	size_t len = (last - first + 1) * UIO_PAGE_SIZE;
	size_t off;

	if (pages->mm->gone)
		return -EFAULT;
	if (uio_mm_is_current(pages->mm))
		return uio_pages_check_local(va, len, pages->writable);
	/* Another process's memory: each page must be readable there... */
	for (off = 0; off < len; off += UIO_PAGE_SIZE) {
		char c;

		if (uio_mm_access(pages->mm, va + off, &c, 1, false))
			return -EFAULT;
	}
	/* ...and writable for a writable pin, as FOLL_WRITE asks. */
	if (pages->writable &&
	    uio_vmas_cover(pages->mm->pid, va, len, true) == -EFAULT)
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------ */
/* accounting */

static struct uio_user *uio_user_get(struct uio_ctx *ctx, uint32_t uid,
				     bool create)
{
	struct uio_user *u;

	for (u = ctx->users; u; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create || !(u = uio_new(ctx, struct uio_user)))
		return NULL;
	u->uid = uid;
	u->next = ctx->users;
	uio_ctx_j(ctx);
	ctx->users = u;
	return u;
}

static uint64_t uio_pages_limit(struct uio_pages *pages)
{
	int pid = uio_mm_is_current(pages->mm) ? 0 : pages->mm->pid;

	return uio_sys_memlock_limit(pid) >> UIO_PAGE_SHIFT;
}

static int uio_pages_charge(struct uio_ctx *ctx, struct uio_pages *pages,
			    uint64_t npages)
{
	struct uio_user *user;

	UIO_J(pages);
	if (pages->account_mode == UIO_ACCOUNT_UNDECIDED ||
	    pages->account_mode == UIO_ACCOUNT_MM_UNDECIDED) {
		/* The kernel exempts CAP_IPC_LOCK holders from accounting. */
		if (uio_capable_now(CAP_IPC_LOCK))
			pages->account_mode = UIO_ACCOUNT_NONE;
		else if (pages->account_mode == UIO_ACCOUNT_MM_UNDECIDED)
			pages->account_mode = UIO_ACCOUNT_MM;
		else
			pages->account_mode = UIO_ACCOUNT_USER;
	}
	switch (pages->account_mode) {
	case UIO_ACCOUNT_USER:
		user = uio_user_get(ctx, pages->source_uid, true);
		if (!user)
			return -ENOMEM;
		if (user->locked_vm + npages > uio_pages_limit(pages))
			return -ENOMEM;
		UIO_J(&user->locked_vm);
		user->locked_vm += npages;
		break;
	case UIO_ACCOUNT_MM:
		if (pages->mm->gone)
			return -EINVAL; /* mmget_not_zero() failed */
		if (pages->mm->locked_vm + npages > uio_pages_limit(pages) &&
		    !uio_capable_now(CAP_IPC_LOCK))
			return -ENOMEM;
		UIO_J(&pages->mm->locked_vm);
		pages->mm->locked_vm += npages;
		break;
	default:
		break;
	}
	UIO_J(&pages->mm->pinned_vm);
	uio_ctx_j(ctx);
	pages->mm->pinned_vm += npages;
	pages->npinned += npages;
	ctx->npinned += npages;
	return 0;
}

static void uio_pages_uncharge(struct uio_ctx *ctx, struct uio_pages *pages,
			       uint64_t npages)
{
	struct uio_user *user;

	switch (pages->account_mode) {
	case UIO_ACCOUNT_USER:
		user = uio_user_get(ctx, pages->source_uid, false);
		if (user) {
			UIO_J(&user->locked_vm);
			user->locked_vm -= npages;
		}
		break;
	case UIO_ACCOUNT_MM:
		UIO_J(&pages->mm->locked_vm);
		pages->mm->locked_vm -= npages;
		break;
	default:
		break;
	}
	UIO_J(&pages->mm->pinned_vm);
	UIO_J(&pages->npinned);
	uio_ctx_j(ctx);
	pages->mm->pinned_vm -= npages;
	pages->npinned -= npages;
	ctx->npinned -= npages;
}

/* ------------------------------------------------------------------ */
/* segments */

static bool uio_pseg_live(const struct uio_pseg *seg)
{
	return !seg->saved && !seg->mm->gone;
}

static void uio_pseg_set_va_node(struct uio_pseg *seg)
{
	seg->va_node.start = seg->va;
	seg->va_node.last = seg->va + (seg->node.last - seg->node.start + 1) *
					      UIO_PAGE_SIZE - 1;
}

/*
 * may_fail false: for the unpin path, which cannot fail in the kernel (its
 * allocations there fall back to stack memory and are no failure points),
 * so fault injection skips it; only a full arena still fails it.
 */
static struct uio_pseg *uio_pseg_new(struct uio_ctx *ctx,
				     struct uio_pages *pages, struct uio_mm *mm,
				     uint64_t first, uint64_t last,
				     bool may_fail)
{
	struct uio_pseg *seg = may_fail ?
		uio_new(ctx, struct uio_pseg) :
		uio_arena_zalloc(&ctx->arena, sizeof(struct uio_pseg));

	if (!seg)
		return NULL;
	seg->pages = pages;
	seg->mm = mm;
	if (mm)
		uio_mm_get(mm);
	seg->node.start = first;
	seg->node.last = last;
	seg->node.kind = 1;
	seg->va_node.kind = 1;
	seg->va = pages->uptr + first * UIO_PAGE_SIZE;
	uio_pseg_set_va_node(seg);
	return seg;
}

static void uio_pseg_insert(struct uio_pages *pages, struct uio_pseg *seg)
{
	uio_itree_insert(&pages->segs, &seg->node);
	if (uio_pseg_live(seg))
		uio_itree_insert(&seg->mm->live, &seg->va_node);
}

static void uio_pseg_free(struct uio_ctx *ctx, struct uio_pseg *seg)
{
	struct uio_pages *pages = seg->pages;

	uio_itree_remove(&pages->segs, &seg->node);
	if (uio_pseg_live(seg))
		uio_itree_remove(&seg->mm->live, &seg->va_node);
	if (seg->saved)
		uio_free(ctx, seg->saved, seg->saved_npages * UIO_PAGE_SIZE);
	if (seg->mm)
		uio_mm_put(ctx, seg->mm);
	uio_delete(ctx, seg);
}

/* A segment made but never inserted. */
static void uio_pseg_free_unlinked(struct uio_ctx *ctx, struct uio_pseg *seg)
{
	if (seg->mm)
		uio_mm_put(ctx, seg->mm);
	uio_delete(ctx, seg);
}

/* Move seg's bounds to [first, last] (inside the old ones). */
static void uio_pseg_trim(struct uio_pseg *seg, uint64_t first, uint64_t last)
{
	struct uio_pages *pages = seg->pages;
	bool live = uio_pseg_live(seg);

	uio_itree_remove(&pages->segs, &seg->node);
	if (live)
		uio_itree_remove(&seg->mm->live, &seg->va_node);
	UIO_J(seg);
	seg->va += (first - seg->node.start) * UIO_PAGE_SIZE;
	seg->node.start = first;
	seg->node.last = last;
	uio_pseg_set_va_node(seg);
	uio_pseg_insert(pages, seg);
}

/*
 * Forget where pages [first, last] are: they are no longer pinned. A
 * segment that keeps pages on both sides is split; if that allocation fails
 * the segment stays whole, which only keeps a location for pages nobody
 * pins (uio_pages_pin skips pages that already have one).
 */
static void uio_pages_carve(struct uio_ctx *ctx, struct uio_pages *pages,
			    uint64_t first, uint64_t last)
{
	struct uio_itree_node *n, *next;

	for (n = uio_itree_iter_first(&pages->segs, first, last,
				      UIO_ITREE_ALL_KINDS);
	     n; n = next) {
		struct uio_pseg *seg = uio_container_of(n, struct uio_pseg, node);
		uint64_t s = n->start, l = n->last;

		next = uio_itree_iter_next(n, first, last, UIO_ITREE_ALL_KINDS);
		if (s >= first && l <= last) {
			uio_pseg_free(ctx, seg);
		} else if (s < first && l > last) {
			struct uio_pseg *right;

			right = uio_pseg_new(ctx, pages, seg->mm, last + 1, l,
					     false);
			if (!right)
				continue;
			right->va = seg->va + (last + 1 - s) * UIO_PAGE_SIZE;
			uio_pseg_set_va_node(right);
			if (seg->saved) {
				/* The right part gets its own copy. */
				right->saved = uio_arena_zalloc(&ctx->arena,
							(l - last) * UIO_PAGE_SIZE);
				if (!right->saved) {
					uio_pseg_free_unlinked(ctx, right);
					continue;
				}
				right->saved_first = last + 1;
				right->saved_npages = l - last;
				memcpy(right->saved,
				       seg->saved + (last + 1 - seg->saved_first) *
							    UIO_PAGE_SIZE,
				       (l - last) * UIO_PAGE_SIZE);
			}
			uio_pseg_trim(seg, s, first - 1);
			uio_pseg_insert(pages, right);
			/* Iteration restarts past the carved range. */
			return;
		} else if (s < first) {
			uio_pseg_trim(seg, s, first - 1);
		} else {
			uio_pseg_trim(seg, last + 1, l);
		}
	}
}

/*
 * Cut a LIVE segment so that its part in user bytes [va, last_va] is a
 * segment of its own, and return that part: the pages outside it stay
 * where they are when the part is saved or moved. Without memory for the
 * pieces (never an injected failure: a munmap cannot fail) the whole
 * segment is returned.
 */
struct uio_pseg *uio_pseg_isolate(struct uio_ctx *ctx, struct uio_pseg *seg,
				  uintptr_t va, uintptr_t last_va)
{
	uint64_t s = seg->node.start, l = seg->node.last, first = s, last = l;
	struct uio_pseg *left = NULL, *right = NULL;

	if (va > seg->va_node.start)
		first = s + (va - seg->va) / UIO_PAGE_SIZE;
	if (last_va < seg->va_node.last)
		last = s + (last_va - seg->va) / UIO_PAGE_SIZE;
	if (first > s &&
	    !(left = uio_pseg_new(ctx, seg->pages, seg->mm, s, first - 1, false)))
		return seg;
	if (last < l &&
	    !(right = uio_pseg_new(ctx, seg->pages, seg->mm, last + 1, l,
				   false))) {
		if (left)
			uio_pseg_free_unlinked(ctx, left);
		return seg;
	}
	if (left) {
		left->va = seg->va;
		uio_pseg_set_va_node(left);
	}
	if (right) {
		right->va = seg->va + (last + 1 - s) * UIO_PAGE_SIZE;
		uio_pseg_set_va_node(right);
	}
	uio_pseg_trim(seg, first, last);
	if (left)
		uio_pseg_insert(seg->pages, left);
	if (right)
		uio_pseg_insert(seg->pages, right);
	return seg;
}

/* Add segments for pinned pages [first, last] that have none. */
static int uio_pages_add_segs(struct uio_ctx *ctx, struct uio_pages *pages,
			      uint64_t first, uint64_t last)
{
	struct uio_itree_span sp;

	for (uio_itree_span_first(&sp, &pages->segs, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp)) {
		struct uio_pseg *seg;

		if (!sp.is_hole)
			continue;
		seg = uio_pseg_new(ctx, pages, pages->mm, sp.start, sp.last, true);
		if (!seg)
			return -ENOMEM;
		uio_pseg_insert(pages, seg);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* pinning */

/* Pages of [first, last] no pin user covers: the ones a new pin adds. */
static uint64_t uio_pages_count_unpinned(struct uio_pages *pages,
					 uint64_t first, uint64_t last)
{
	struct uio_itree_span sp;
	uint64_t n = 0;

	for (uio_itree_span_first(&sp, &pages->pin_users, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp))
		if (sp.is_hole)
			n += sp.last - sp.start + 1;
	return n;
}

int uio_pages_pin(struct uio_ctx *ctx, struct uio_pages *pages,
		  struct uio_pin *pin, uint64_t first, uint64_t last)
{
	struct uio_itree_span sp;
	uint64_t npages;
	int rc;

	npages = uio_pages_count_unpinned(pages, first, last);
	/*
	 * 1. The pages must be there, as pin_user_pages() needs them. Taking
	 * pages is a failure point (fail.c): pin_user_pages() short of memory
	 * reports ENOMEM. Pages already pinned are taken from the pins.
	 */
	if (npages && uio_should_fail())
		return -ENOMEM;
	for (uio_itree_span_first(&sp, &pages->pin_users, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp)) {
		if (!sp.is_hole)
			continue;
		rc = uio_pages_check(pages, sp.start, sp.last);
		if (rc)
			return rc;
	}
	/* 2. Charge them; the charge is a failure point too (ENOMEM). */
	if (npages) {
		if (uio_should_fail())
			return -ENOMEM;
		rc = uio_pages_charge(ctx, pages, npages);
		if (rc)
			return rc;
	}
	/* 3. Record where they are. */
	for (uio_itree_span_first(&sp, &pages->pin_users, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp)) {
		if (!sp.is_hole)
			continue;
		rc = uio_pages_add_segs(ctx, pages, sp.start, sp.last);
		if (rc)
			goto err_carve;
	}
	if (!pages->pin_users.root)
		uio_itree_insert(&ctx->phys, &pages->phys_node);
	UIO_J(pin);
	pin->node.start = first;
	pin->node.last = last;
	pin->node.kind = 1;
	uio_itree_insert(&pages->pin_users, &pin->node);
	return 0;

err_carve:
	for (uio_itree_span_first(&sp, &pages->pin_users, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp))
		if (sp.is_hole)
			uio_pages_carve(ctx, pages, sp.start, sp.last);
	if (npages)
		uio_pages_uncharge(ctx, pages, npages);
	return rc;
}

void uio_pages_unpin(struct uio_ctx *ctx, struct uio_pages *pages,
		     struct uio_pin *pin)
{
	uint64_t first = pin->node.start, last = pin->node.last, npages;
	struct uio_itree_span sp;

	uio_itree_remove(&pages->pin_users, &pin->node);
	npages = uio_pages_count_unpinned(pages, first, last);
	for (uio_itree_span_first(&sp, &pages->pin_users, first, last);
	     !uio_itree_span_done(&sp); uio_itree_span_next(&sp))
		if (sp.is_hole)
			uio_pages_carve(ctx, pages, sp.start, sp.last);
	if (npages)
		uio_pages_uncharge(ctx, pages, npages);
	if (!pages->pin_users.root) {
		uio_itree_remove(&ctx->phys, &pages->phys_node);
		/* Leftovers of failed splits. */
		while (pages->segs.root)
			uio_pseg_free(ctx, uio_container_of(pages->segs.root,
							    struct uio_pseg,
							    node));
	}
	if (ctx->keepers)
		uio_keepers_gc(ctx);
}

/* ------------------------------------------------------------------ */
/* data */

struct uio_pseg *uio_pages_seg(struct uio_pages *pages, uint64_t idx)
{
	struct uio_itree_node *n;

	n = uio_itree_iter_first(&pages->segs, idx, idx, UIO_ITREE_ALL_KINDS);
	return n ? uio_container_of(n, struct uio_pseg, node) : NULL;
}

int uio_pages_rw(struct uio_ctx *ctx, struct uio_pages *pages,
		 uint64_t offset, void *buf, size_t len, bool write)
{
	char *p = buf;

	(void)ctx;
	/*
	 * The kernel gathers every page of the range (pinning the ones no
	 * consumer pins) before it copies a byte: a page it cannot pin fails
	 * the call with nothing copied.
	 */
	if (len && offset / UIO_PAGE_SIZE < pages->npages) {
		uint64_t last = (offset + len - 1) / UIO_PAGE_SIZE;
		struct uio_itree_span sp;

		if (last >= pages->npages)
			last = pages->npages - 1;
		for (uio_itree_span_first(&sp, &pages->segs, offset / UIO_PAGE_SIZE,
					  last);
		     !uio_itree_span_done(&sp); uio_itree_span_next(&sp)) {
			int rc;

			if (sp.is_hole &&
			    (rc = uio_pages_check(pages, sp.start, sp.last)))
				return rc;
		}
	}
	while (len) {
		uint64_t idx = offset / UIO_PAGE_SIZE;
		uint64_t in_page = offset % UIO_PAGE_SIZE;
		struct uio_pseg *seg = uio_pages_seg(pages, idx);
		size_t n;
		int rc;

		if (idx >= pages->npages)
			return -EFAULT;
		/* Whole run of the segment, or the rest of an unpinned page. */
		if (seg)
			n = (seg->node.last + 1) * UIO_PAGE_SIZE - offset;
		else
			n = UIO_PAGE_SIZE - in_page;
		if (n > len)
			n = len;
		if (seg && seg->saved) {
			char *d = seg->saved +
				  (offset - seg->saved_first * UIO_PAGE_SIZE);

			if (write) {
				/* Saved data is shared state: journaled too. */
				uio_j_save(d, n);
				memcpy(d, p, n);
			} else
				memcpy(p, d, n);
			rc = 0;
		} else if (seg) {
			rc = uio_mm_access(seg->mm,
					   seg->va + (offset - seg->node.start *
									 UIO_PAGE_SIZE),
					   p, n, write);
		} else {
			/*
			 * Not pinned: the kernel pins it for the copy (checked
			 * above: present, and writable if the pages are,
			 * whatever the copy's direction).
			 */
			rc = uio_mm_access(pages->mm, pages->uptr + offset, p, n,
					   write);
		}
		if (rc)
			return rc;
		p += n;
		offset += n;
		len -= n;
	}
	return 0;
}

/*
 * A pointer this process can use for bytes [offset, offset + *len) of
 * pages, *len cut to what stays contiguous: the source's own memory when
 * the caller is the source (pinned or not), or the arena copy of a saved
 * run. NULL where only a copy through the kernel reaches it.
 */
void *uio_pages_direct(struct uio_pages *pages, uint64_t offset, size_t *len)
{
	uint64_t idx = offset / UIO_PAGE_SIZE;
	struct uio_pseg *seg;
	size_t n;

	if (idx >= pages->npages)
		return NULL;
	seg = uio_pages_seg(pages, idx);
	if (seg) {
		n = (seg->node.last + 1) * UIO_PAGE_SIZE - offset;
		if (n < *len)
			*len = n;
		if (seg->saved)
			return seg->saved + (offset - seg->saved_first * UIO_PAGE_SIZE);
		if (!uio_mm_is_current(pages->mm))
			return NULL;
		return (void *)(seg->va + (offset - seg->node.start * UIO_PAGE_SIZE));
	}
	/* Unpinned: only up to the next pinned page is known to be plain. */
	n = UIO_PAGE_SIZE - offset % UIO_PAGE_SIZE;
	if (n < *len)
		*len = n;
	return uio_mm_is_current(pages->mm) ? (void *)(pages->uptr + offset) : NULL;
}

struct uio_pages *uio_phys_to_pages(struct uio_ctx *ctx, uint64_t pa,
				    uint64_t *offset)
{
	struct uio_itree_node *n;

	n = uio_itree_iter_first(&ctx->phys, pa, pa, UIO_ITREE_ALL_KINDS);
	if (!n)
		return NULL;
	*offset = pa - n->start;
	return uio_container_of(n, struct uio_pages, phys_node);
}

/*
 * Whether the pages sit on huge pages (hugetlb) in the source process, so
 * that they are physically contiguous per huge page as the kernel would
 * see them. Read once from /proc/PID/smaps (KernelPageSize). Memory that
 * is gone or unreadable counts as small pages.
 */
bool uio_pages_huge_backed(struct uio_pages *pages)
{
	char path[64], buf[4096], *line;
	uintptr_t lo = pages->uptr, hi = pages->uptr + pages->npages * UIO_PAGE_SIZE;
	uintptr_t vstart = 0, vend = 0, covered = lo;
	size_t have = 0;
	bool huge = true, in_vma = false;
	int fd;

	if (pages->backing)
		return pages->backing == 2;
	UIO_J(&pages->backing);
	pages->backing = 1;
	if (pages->mm->gone)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/smaps", pages->mm->pid);
	fd = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (;;) {
		long n = uio_sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (n <= 0)
			break;
		have += n;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			unsigned long a, b, kb;

			*nl = 0;
			if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') &&
			    line[0] != ' ') {
				vstart = a;
				vend = b;
				in_vma = vend > lo && vstart < hi;
			} else if (in_vma &&
				   sscanf(line, "KernelPageSize: %lu kB", &kb) == 1) {
				if (kb * 1024 < (1ul << 20))
					huge = false;
				if (vstart <= covered && vend > covered)
					covered = vend;
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
	uio_sys_close(fd);
	if (huge && covered >= hi)
		pages->backing = 2;
	return pages->backing == 2;
}
