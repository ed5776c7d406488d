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
 * Pages of a shared mapping (shared anonymous memory, memfd, tmpfs and
 * hugetlbfs files) are not copied: the kernel's pinned page is the page
 * every other mapper still sees. On munmap the pages stay mapped in the
 * process at another address (a keeper mapping, made with mremap of old
 * size 0, which maps the same pages again); on exit or exec they move to
 * another process that maps the same object and uses this context. Only
 * when no such process is left are they copied. So a LIVE segment has its
 * own process (seg->mm), which is the source process at first.
 *
 * The process holding a segment reads and writes its pages directly (with
 * fault recovery); another process of the context uses process_vm_readv and
 * process_vm_writev. A pid is matched together with its start time, so a
 * reused pid is never taken for the process that created the pages.
 *
 * Everything here runs under ctx->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core.h"
#include "sys.h"
#include "uaccess.h"

bool uio_mm_is_current(const struct uio_mm *mm)
{
	return !mm->gone &&
	       uio_current_is(mm->pid, mm->start_time, &mm->exec_id);
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

void uio_mm_get(struct uio_mm *mm)
{
	UIO_J(&mm->refs);
	mm->refs++;
}

void uio_mm_put(struct uio_ctx *ctx, struct uio_mm *mm)
{
	UIO_J(&mm->refs);
	mm->refs--;
	uio_mm_free_if_unused(ctx, mm);
}

/* ------------------------------------------------------------------ */
/* another process, by pid */

static long uio_read_proc(int pid, const char *what, void *buf, size_t len)
{
	char path[64];
	long n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, what);
	fd = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	n = uio_sys_read(fd, buf, len);
	uio_sys_close(fd);
	return n;
}

/*
 * pid's identity as it would record itself (creds.c): start time, and the
 * address and bytes of its AT_RANDOM.
 */
static bool uio_pid_identity(int pid, uint64_t *start_time,
			     struct uio_exec_id *id)
{
	uint64_t auxv[128];
	char stat[1024], *p;
	long n;
	int field;

	n = uio_read_proc(pid, "stat", stat, sizeof(stat) - 1);
	if (n <= 0)
		return false;
	stat[n] = 0;
	p = strrchr(stat, ')');
	if (!p)
		return false;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	*start_time = strtoull(p, NULL, 10);
	n = uio_read_proc(pid, "auxv", auxv, sizeof(auxv));
	if (n <= 0)
		return false;
	memset(id, 0, sizeof(*id));
	for (long i = 0; i + 1 < n / 8; i += 2) {
		if (auxv[i] == 25 /* AT_RANDOM */) {
			struct iovec local = { id->bytes, sizeof(id->bytes) };
			struct iovec remote = { (void *)auxv[i + 1],
						sizeof(id->bytes) };

			id->addr = auxv[i + 1];
			return UIO_SYS(SYS_process_vm_readv, (long)pid, &local,
				       1L, &remote, 1L, 0L) ==
			       (long)sizeof(id->bytes);
		}
		if (!auxv[i])
			break;
	}
	return false;
}

/* The mm of another live process, found or made (not referenced). */
static struct uio_mm *uio_mm_of_pid(struct uio_ctx *ctx, int pid)
{
	struct uio_exec_id id;
	uint64_t start_time;
	struct uio_mm *mm;

	if (!uio_pid_identity(pid, &start_time, &id))
		return NULL;
	for (mm = ctx->mms; mm; mm = mm->next)
		if (!mm->gone && mm->pid == pid && mm->start_time == start_time &&
		    !memcmp(&mm->exec_id, &id, sizeof(id)))
			return mm;
	mm = uio_new(ctx, struct uio_mm);
	if (!mm)
		return NULL;
	mm->pid = pid;
	mm->start_time = start_time;
	mm->exec_id = id;
	uio_itree_init(&mm->live);
	mm->next = ctx->mms;
	uio_ctx_j(ctx);
	ctx->mms = mm;
	return mm;
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
	seg->mm = NULL;
	uio_mm_put(ctx, mm);
	return true;
}

/* Move LIVE seg of mm to address va of process to. */
static void uio_pseg_move(struct uio_ctx *ctx, struct uio_pseg *seg,
			  struct uio_mm *to, uintptr_t va)
{
	struct uio_mm *from = seg->mm;

	uio_itree_remove(&from->live, &seg->va_node);
	UIO_J(seg);
	seg->va = va;
	seg->va_node.start = va;
	seg->va_node.last = va + (seg->node.last - seg->node.start + 1) *
					 UIO_PAGE_SIZE - 1;
	uio_itree_insert(&to->live, &seg->va_node);
	if (to != from) {
		uio_mm_get(to);
		seg->mm = to;
		uio_mm_put(ctx, from);
	}
}

/* ------------------------------------------------------------------ */
/* keepers: the pages of a shared mapping the process unmaps */

static void uio_keeper_drop(struct uio_ctx *ctx, struct uio_keeper **pp,
			    bool unmap)
{
	struct uio_keeper *k = *pp;

	if (unmap)
		uio_sys_munmap((void *)k->va, k->len);
	UIO_J(pp);
	*pp = k->next;
	uio_mm_put(ctx, k->mm);
	uio_delete(ctx, k);
}

void uio_keepers_gc(struct uio_ctx *ctx)
{
	struct uio_keeper **pp = &ctx->keepers, *k;

	while ((k = *pp)) {
		if (uio_mm_is_current(k->mm) &&
		    !uio_itree_iter_first(&k->mm->live, k->va, k->va + k->len - 1,
					  UIO_ITREE_ALL_KINDS))
			uio_keeper_drop(ctx, pp, true);
		else
			pp = &k->next;
	}
}

/*
 * LIVE seg of the caller (mm) is about to be unmapped. If its pages are a
 * shared mapping's, map them again elsewhere in the caller and move the
 * segment there: the pinned pages stay the object's, as the kernel's.
 */
static bool uio_pseg_keep(struct uio_ctx *ctx, struct uio_mm *mm,
			  struct uio_pseg *seg, uintptr_t release_va,
			  uint64_t release_last, struct uio_vmas *self,
			  bool *read)
{
	uint64_t len = (seg->node.last - seg->node.start + 1) * UIO_PAGE_SIZE;
	const struct uio_vma *e;
	struct uio_keeper *k;
	long va;

	if (!*read) {
		*read = true;
		if (uio_vmas_read(0, self))
			self->n = 0;
	}
	e = uio_vma_at(self, seg->va);
	if (!e || len > e->end - seg->va)
		return false;
	k = uio_new(ctx, struct uio_keeper);
	if (!k)
		return false;
	va = UIO_SYS(SYS_mremap, seg->va, 0L, len, (long)MREMAP_MAYMOVE, 0L);
	if (va < 0) {
		uio_delete(ctx, k);
		return false;
	}
	/* In a hole of the range being released: it would go too. */
	if ((uintptr_t)va <= release_last && (uintptr_t)va + len - 1 >= release_va) {
		uio_sys_munmap((void *)va, len);
		uio_delete(ctx, k);
		return false;
	}
	/* The pin may be writable where the mapping no longer is. */
	UIO_SYS(SYS_mprotect, va, len, (long)(PROT_READ | PROT_WRITE));
	k->mm = mm;
	uio_mm_get(mm);
	k->va = (uintptr_t)va;
	k->len = len;
	k->next = ctx->keepers;
	uio_ctx_j(ctx);
	ctx->keepers = k;
	uio_pseg_move(ctx, seg, mm, (uintptr_t)va);
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
	struct uio_keeper **pp, *k;
	struct uio_vmas self;
	bool read = false;
	struct uio_mm *mm;
	uint64_t last;

	if (!len || !(mm = uio_mm_find_current(ctx)))
		return;
	last = va + len - 1;
	if (last < va)
		last = UINT64_MAX;
	/* A keeper of ours there is gone: the program maps over it. */
	for (pp = &ctx->keepers; (k = *pp);) {
		if (k->mm == mm && k->va <= last && va <= k->va + k->len - 1)
			uio_keeper_drop(ctx, pp, false);
		else
			pp = &k->next;
	}
	if (uio_itree_empty(&mm->live))
		return;
	uio_mm_get(mm);
	/*
	 * Only the released pages of a segment are saved: the part that stays
	 * mapped stays shared with the process, as the kernel's page
	 * references keep it. Pages of a shared mapping are not saved but
	 * kept mapped elsewhere.
	 */
	for (n = uio_itree_iter_first(&mm->live, va, last, UIO_ITREE_ALL_KINDS);
	     n; n = next) {
		struct uio_pseg *seg = uio_container_of(n, struct uio_pseg, va_node);

		next = uio_itree_iter_next(n, va, last, UIO_ITREE_ALL_KINDS);
		seg = uio_pseg_isolate(ctx, seg, va, last);
		if (!uio_pseg_keep(ctx, mm, seg, va, last, &self, &read))
			uio_pseg_save(ctx, mm, seg);
	}
	if (read)
		uio_vmas_free(&self);
	uio_mm_put(ctx, mm);
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

/* A LIVE segment of a shared mapping that wants another process. */
struct uio_rehome {
	struct uio_pseg *seg;
	struct uio_shared_page sp;
	uint64_t len;
	bool done;
};

struct uio_rehome_arg {
	struct uio_ctx *ctx;
	struct uio_shared_page ctx_page;  /* the context's own mapping */
	struct uio_rehome *segs;
	size_t n, left;
};

/*
 * A process that maps this context (at its address, the same memfd) and
 * the objects of pending segments takes them. It reports its own exit, so
 * they move on again then.
 */
static bool uio_rehome_to(int pid, void *arg)
{
	struct uio_rehome_arg *a = arg;
	struct uio_mm *host = NULL;
	struct uio_vmas v;
	uintptr_t va;

	if (uio_vmas_read(pid, &v))
		return false;
	if (!uio_vma_of_page(&v, &a->ctx_page, 1, &va) ||
	    va != a->ctx->base)
		goto out;
	for (size_t i = 0; i < a->n; i++) {
		struct uio_rehome *r = &a->segs[i];

		if (r->done || !uio_vma_of_page(&v, &r->sp, r->len, &va))
			continue;
		if (!host && !(host = uio_mm_of_pid(a->ctx, pid)))
			goto out;
		uio_pseg_move(a->ctx, r->seg, host, va);
		r->done = true;
		a->left--;
	}
out:
	uio_vmas_free(&v);
	return !a->left;
}

/* Move mm's LIVE segments of shared mappings to other processes. */
static void uio_mm_rehome(struct uio_ctx *ctx, struct uio_mm *mm)
{
	struct uio_rehome_arg a = { .ctx = ctx };
	struct uio_itree_node *n;
	struct uio_vmas self;
	size_t cap = 0;

	if (uio_vmas_read(0, &self))
		return;
	if (!uio_vma_page(&self, ctx->base, &a.ctx_page))
		goto out;
	for (n = uio_itree_first(&mm->live); n; n = uio_itree_next(n)) {
		struct uio_pseg *seg = uio_container_of(n, struct uio_pseg, va_node);
		uint64_t len = n->last - n->start + 1;
		const struct uio_vma *e = uio_vma_at(&self, seg->va);

		if (!e || len > e->end - seg->va)
			continue;
		if (a.n == cap) {
			size_t c = cap ? 2 * cap : 16;
			struct uio_rehome *s = realloc(a.segs, c * sizeof(*s));

			if (!s)
				break;
			a.segs = s;
			cap = c;
		}
		a.segs[a.n].seg = seg;
		a.segs[a.n].len = len;
		a.segs[a.n].done = false;
		uio_vma_page(&self, seg->va, &a.segs[a.n].sp);
		a.n++;
	}
	a.left = a.n;
	if (a.n)
		uio_for_each_pid(uio_rehome_to, &a);
	free(a.segs);
out:
	uio_vmas_free(&self);
}

void uio_mm_release_all(struct uio_ctx *ctx, struct uio_mm *mm)
{
	struct uio_keeper **pp, *k;
	struct uio_itree_node *n;

	uio_mm_get(mm);
	if (!uio_itree_empty(&mm->live))
		uio_mm_rehome(ctx, mm);
	while ((n = uio_itree_first(&mm->live))) {
		if (!uio_pseg_save(ctx, mm, uio_container_of(n, struct uio_pseg,
							     va_node)))
			/* Arena full: the data goes with the process. */
			uio_itree_remove(&mm->live, n);
	}
	/* Its keepers go with its memory. */
	for (pp = &ctx->keepers; (k = *pp);) {
		if (k->mm == mm)
			uio_keeper_drop(ctx, pp, false);
		else
			pp = &k->next;
	}
	UIO_J(&mm->gone);
	mm->gone = true;
	uio_mm_put(ctx, mm);
}

/* ------------------------------------------------------------------ */
/* which page: what the kernel compares as struct page pointers */

void uio_vma_cache_free(struct uio_vma_cache *c)
{
	for (unsigned int i = 0; i < c->n; i++)
		uio_vmas_free(&c->v[i]);
	c->n = 0;
}

/* The shared mappings of pid (0: the caller), read once per cache. */
static const struct uio_vmas *uio_vma_cache_get(struct uio_vma_cache *c,
						int pid)
{
	static const struct uio_vmas none;
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].pid == pid)
			return &c->v[i];
	if (c->n == sizeof(c->v) / sizeof(c->v[0])) {
		/* Full: the oldest other process goes (never the caller). */
		for (i = 0; i < c->n && !c->v[i].pid; i++)
			;
		if (i == c->n)
			return &none;
		uio_vmas_free(&c->v[i]);
		c->v[i] = c->v[--c->n];
	}
	if (uio_vmas_read(pid, &c->v[c->n]))
		return &none;
	return &c->v[c->n++];
}

bool uio_pseg_page_is(struct uio_pseg *seg, uint64_t idx, uintptr_t uptr,
		      struct uio_vma_cache *c)
{
	uintptr_t va = seg->va + (idx - seg->node.start) * UIO_PAGE_SIZE;
	struct uio_shared_page a, b;
	const struct uio_vmas *theirs;

	if (seg->saved || seg->mm->gone)
		return false;
	if (uio_mm_is_current(seg->mm)) {
		if (va == uptr)
			return true;
		theirs = uio_vma_cache_get(c, 0);
	} else {
		theirs = uio_vma_cache_get(c, seg->mm->pid);
	}
	/* Otherwise only a page of a shared object can be the same. */
	if (!uio_vma_page(uio_vma_cache_get(c, 0), uptr, &a) ||
	    !uio_vma_page(theirs, va, &b) || a.dev != b.dev || a.ino != b.ino ||
	    a.off != b.off)
		return false;
	return uio_mm_is_current(seg->mm) || uio_mm_alive(seg->mm);
}

uint64_t uio_mm_pins_at(struct uio_ctx *ctx, uintptr_t uptr,
			struct uio_vma_cache *c)
{
	struct uio_shared_page sp;
	struct uio_mm *mm;
	uint64_t count = 0;
	bool shared = uio_vma_page(uio_vma_cache_get(c, 0), uptr, &sp);

	for (mm = ctx->mms; mm; mm = mm->next) {
		const struct uio_vmas *v;

		if (uio_itree_empty(&mm->live))
			continue;
		if (!shared) {
			if (uio_mm_is_current(mm))
				count += uio_mm_pin_count(mm, uptr);
			continue;
		}
		/* Every mapping of the page in mm, the caller's own included. */
		if (uio_mm_is_current(mm))
			v = uio_vma_cache_get(c, 0);
		else if (!mm->gone && uio_mm_alive(mm))
			v = uio_vma_cache_get(c, mm->pid);
		else
			continue;
		for (unsigned int i = 0; i < v->n; i++) {
			const struct uio_vma *e = &v->v[i];

			if (e->dev == sp.dev && e->ino == sp.ino &&
			    sp.off >= e->pgoff &&
			    sp.off - e->pgoff < e->end - e->start)
				count += uio_mm_pin_count(mm, e->start +
							  (sp.off - e->pgoff));
		}
	}
	return count;
}
