// SPDX-License-Identifier: MIT
/*
 * access: the kAPI an emulated device driver (the kernel's mdev, here the
 * selftest driver and library users) uses to reach an IOAS without an IOMMU
 * domain, as drivers/iommu/iommufd/device.c's iommufd_access_*.
 *
 * An access is an ACCESS object (it takes an id, and its driver holds a
 * users reference, so IOMMU_DESTROY of it is EBUSY). It is attached to one
 * IOAS at a time and holds a users reference on it. Reads and writes by IOVA
 * walk the IOAS's areas and copy through the pages objects, with the
 * kernel's three paths (pages.c, uio_pages_rw_access):
 *   - the caller is the process that mapped the memory: straight from the
 *     user address, pins or not (copy_to/from_user);
 *   - another process (or MOCK_ACCESS_RW_SLOW_PATH), one page: pin that page
 *     from the source's address now, copy, unpin;
 *   - another process, several pages: through the pins where pages are
 *     pinned, so a source that exited is still readable through them.
 *
 * The selftest driver hands the program an fd for each access (a memfd named
 * like the kernel's anon inode). The file holds an OFD lock: when the last
 * fd of it closes, the preload layer reports it and the access goes, as the
 * kernel's release does.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "file.h"
#include "filecache.h"
#include "sys.h"
#include "uaccess.h"

struct uio_access *uio_access_create(struct uio_ctx *ctx, bool needs_pin,
				     int *err)
{
	struct uio_access *access;
	struct uio_obj *obj;

	obj = uio_obj_alloc(ctx, sizeof(*access), UIO_OBJ_ACCESS, err);
	if (!obj)
		return NULL;
	access = uio_container_of(obj, struct uio_access, obj);
	access->needs_pin = needs_pin;
	/* The driver is a user until it destroys the access. */
	UIO_J(obj);
	atomic_fetch_add(&obj->users, 1);
	uio_obj_finalize(ctx, obj);
	access->next = ctx->accesses;
	uio_ctx_j(ctx);
	ctx->accesses = access;
	return access;
}

/* Detach from the IOAS: the driver is told everything is unmapped first. */
static void uio_access_detach(struct uio_ctx *ctx, struct uio_access *access)
{
	struct uio_ioas *ioas = access->ioas;
	struct uio_access **pp;

	if (!ioas)
		return;
	uio_access_notify_unmap(ctx, access, 0, UINT64_MAX);
	if (access->needs_pin)
		uio_iopt_remove_pin_access(&ioas->iopt);
	for (pp = &ioas->accesses; *pp; pp = &(*pp)->ioas_next) {
		if (*pp == access) {
			UIO_J(pp);
			*pp = access->ioas_next;
			break;
		}
	}
	UIO_J(access);
	access->ioas = NULL;
	UIO_J(&ioas->obj);
	atomic_fetch_sub(&ioas->obj.users, 1);
}

int uio_access_attach(struct uio_ctx *ctx, struct uio_access *access,
		      uint32_t ioas_id)
{
	struct uio_ioas *ioas = uio_ioas_get(ctx, ioas_id);

	if (!ioas)
		return -ENOENT;
	if (access->ioas == ioas) {
		uio_obj_put(ctx, &ioas->obj);
		return 0;
	}
	/* Join the new IOAS before leaving the old one, as replace does. */
	if (access->needs_pin) {
		int rc = uio_iopt_add_pin_access(&ioas->iopt);

		if (rc) {
			uio_obj_put(ctx, &ioas->obj);
			return rc;
		}
	}
	UIO_J(&ioas->obj);
	atomic_fetch_add(&ioas->obj.users, 1);
	uio_access_detach(ctx, access);
	UIO_J(access);
	UIO_J(&ioas->accesses);
	access->ioas = ioas;
	access->ioas_next = ioas->accesses;
	ioas->accesses = access;
	uio_obj_put(ctx, &ioas->obj);
	return 0;
}

void uio_access_destroy(struct uio_ctx *ctx, struct uio_access *access)
{
	struct uio_access **pp;

	uio_access_detach(ctx, access);
	for (pp = &ctx->accesses; *pp; pp = &(*pp)->next) {
		if (*pp == access) {
			UIO_J(pp);
			*pp = access->next;
			break;
		}
	}
	UIO_J(access);
	while (access->events) {
		struct uio_unmap_event *ev = access->events;

		access->events = ev->next;
		uio_delete(ctx, ev);
	}
	UIO_J(&access->obj);
	atomic_fetch_sub(&access->obj.users, 1);
	access->obj.live = false;
	uio_obj_abort_and_destroy(ctx, &access->obj);
}

/* Object destroy hook: nothing beyond what uio_access_destroy undid. */
void uio_access_obj_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	(void)ctx;
	(void)obj;
}

/*
 * Each pinned page of item, in order, must be the page mapped at uptr
 * (aligned down, as get_user_pages_fast() does) in the caller now: EFAULT
 * if nothing is, EBADE if another.
 */
static int uio_access_check_pages(struct uio_ctx *ctx,
				  struct uio_access_item *item, uintptr_t uptr)
{
	struct uio_vma_cache cache = { 0 };
	struct uio_access_pin *p;
	int rc = 0;

	(void)ctx;
	uptr &= ~(UIO_PAGE_SIZE - 1);
	for (p = item->pins; p && !rc; p = p->next) {
		struct uio_pages *pages = p->area->pages;
		uint64_t idx;

		for (idx = p->pin.node.start; idx <= p->pin.node.last; idx++) {
			struct uio_pseg *seg = uio_pages_seg(pages, idx);
			char c;

			if (uio_copy_from_user(&c, (const void *)uptr, 1)) {
				rc = -EFAULT;
				break;
			}
			if (!seg || !uio_pseg_page_is(seg, idx, uptr, &cache)) {
				rc = -EBADE;
				break;
			}
			uptr += UIO_PAGE_SIZE;
		}
	}
	uio_vma_cache_free(&cache);
	return rc;
}

static void uio_access_item_free(struct uio_ctx *ctx,
				 struct uio_access_item *item)
{
	struct uio_access_pin *p, *next;

	for (p = item->pins; p; p = next) {
		next = p->next;
		uio_pages_unpin(ctx, p->area->pages, &p->pin);
		UIO_J(&p->area->num_accesses);
		p->area->num_accesses--;
		uio_delete(ctx, p);
	}
	uio_delete(ctx, item);
}

/*
 * The selftest driver's unmap callback: every item overlapping
 * [iova, last] is unpinned and forgotten, as a driver must.
 */
void uio_access_notify_unmap(struct uio_ctx *ctx, struct uio_access *access,
			     uint64_t iova, uint64_t last)
{
	struct uio_access_item **pp = &access->items, *item;

	while ((item = *pp)) {
		if (iova > item->iova + item->length - 1 || last < item->iova) {
			pp = &item->next;
			continue;
		}
		UIO_J(pp);
		*pp = item->next;
		if (access->record_unmaps && last != UINT64_MAX) {
			struct uio_unmap_event *ev = uio_new(ctx, struct uio_unmap_event);

			/* Without memory the event is lost; the pin still goes. */
			if (ev) {
				ev->iova = item->iova;
				ev->length = item->length;
				UIO_J(access);
				if (access->events_tail) {
					UIO_J(&access->events_tail->next);
					access->events_tail->next = ev;
				} else {
					access->events = ev;
				}
				access->events_tail = ev;
			}
		}
		uio_access_item_free(ctx, item);
	}
}

void uio_iopt_notify_unmap(struct uio_ctx *ctx, struct uio_iopt *iopt,
			   uint64_t iova, uint64_t last)
{
	struct uio_ioas *ioas = uio_container_of(iopt, struct uio_ioas, iopt);
	struct uio_access *a;

	for (a = ioas->accesses; a; a = a->ioas_next)
		uio_access_notify_unmap(ctx, a, iova, last);
}

/*
 * ACCESS_PAGES. Pins each area's part of [iova, iova + length) (the
 * kernel's iommufd_access_pin_pages), then checks, as the selftest does,
 * that each pinned page is the page under uptr now (EBADE if not).
 */
int uio_access_pin_item(struct uio_ctx *ctx, struct uio_access *access,
			uint64_t iova, uint64_t length, bool write,
			uintptr_t uptr, uint32_t *id)
{
	struct uio_access_item *item;
	struct uio_access_pin **tail;
	struct uio_itree_node *n;
	uint64_t last, cur;
	int rc = -ENOENT;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	item = uio_new(ctx, struct uio_access_item);
	if (!item)
		return -ENOMEM;
	item->iova = iova;
	item->length = length;
	tail = &item->pins;
	cur = iova;
	for (n = uio_itree_iter_first(&access->ioas->iopt.used, iova, last,
				      UIO_KIND_AREA);
	     n; n = uio_itree_iter_next(n, iova, last, UIO_KIND_AREA)) {
		struct uio_area *area = uio_container_of(n, struct uio_area, node);
		uint64_t end = n->last < last ? n->last : last;
		uint64_t first_byte = area->start_byte + (cur - n->start);
		uint64_t last_byte = area->start_byte + (end - n->start);
		struct uio_access_pin *p;

		if (n->start > cur || !area->pages) {
			rc = -ENOENT;
			goto err_unpin;
		}
		/* Whole pages, except at the two ends of the range. */
		if (first_byte % UIO_PAGE_SIZE ||
		    (end != last && last_byte % UIO_PAGE_SIZE != UIO_PAGE_SIZE - 1)) {
			rc = -EINVAL;
			goto err_unpin;
		}
		if (!(area->prot & (write ? UIO_PROT_WRITE : UIO_PROT_READ)) ||
		    (write && !area->pages->writable)) {
			rc = -EPERM;
			goto err_unpin;
		}
		p = uio_new(ctx, struct uio_access_pin);
		if (!p) {
			rc = -ENOMEM;
			goto err_unpin;
		}
		rc = uio_pages_pin(ctx, area->pages, &p->pin,
				   first_byte / UIO_PAGE_SIZE,
				   last_byte / UIO_PAGE_SIZE);
		if (rc) {
			uio_delete(ctx, p);
			goto err_unpin;
		}
		p->area = area;
		UIO_J(&area->num_accesses);
		area->num_accesses++;
		*tail = p;
		tail = &p->next;
		if (end == last) {
			rc = 0;
			break;
		}
		cur = end + 1;
		rc = -ENOENT;	/* until an area reaches last */
	}
	if (rc)
		goto err_unpin;

	if (uptr) {
		rc = uio_access_check_pages(ctx, item,
					    uptr - (iova % UIO_PAGE_SIZE));
		if (rc)
			goto err_unpin;
	}
	UIO_J(access);
	item->id = access->next_item_id++;
	item->next = access->items;
	access->items = item;
	*id = item->id;
	return 0;

err_unpin:
	uio_access_item_free(ctx, item);
	return rc;
}

int uio_access_unpin_item(struct uio_ctx *ctx, struct uio_access *access,
			  uint32_t id)
{
	struct uio_access_item **pp, *item;

	for (pp = &access->items; (item = *pp); pp = &item->next) {
		if (item->id == id) {
			UIO_J(pp);
			*pp = item->next;
			uio_access_item_free(ctx, item);
			return 0;
		}
	}
	return -ENOENT;
}

/* The three paths of the kernel's iopt_pages_rw_access(). */
/* (uio_access_rw below walks the areas and calls this per area.) */
static int uio_pages_rw_access(struct uio_ctx *ctx, struct uio_pages *pages,
			       uint64_t start_byte, void *data, size_t len,
			       unsigned int flags)
{
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	bool change_mm = !uio_mm_is_current(pages->mm) ||
			 (flags & MOCK_ACCESS_RW_SLOW_PATH);
	uint64_t first = start_byte / UIO_PAGE_SIZE;
	uint64_t last = (start_byte + len - 1) / UIO_PAGE_SIZE;

	if (write && !pages->writable)
		return -EPERM;
	if (!change_mm)
		return uio_mm_access(pages->mm, pages->uptr + start_byte, data,
				     len, write);
	if (first == last && !pages->mm->gone)
		return uio_mm_access(pages->mm, pages->uptr + start_byte, data,
				     len, write);
	return uio_pages_rw(ctx, pages, start_byte, data, len, write);
}

int uio_access_rw(struct uio_ctx *ctx, struct uio_access *access,
		  uint64_t iova, void *data, size_t len, unsigned int flags)
{
	struct uio_itree_node *n;
	uint64_t last, cur;
	char *p = data;
	int rc;

	if (!len)
		return -EINVAL;
	if (__builtin_add_overflow(iova, len - 1, &last))
		return -EOVERFLOW;
	if (!access->ioas)
		return -ENOENT;
	/* Areas must cover [iova, last] without a gap. */
	cur = iova;
	for (n = uio_itree_iter_first(&access->ioas->iopt.used, iova, last,
				      UIO_KIND_AREA);
	     n; n = uio_itree_iter_next(n, iova, last, UIO_KIND_AREA)) {
		struct uio_area *area = uio_container_of(n, struct uio_area, node);
		uint64_t end = n->last < last ? n->last : last;
		uint64_t bytes = end - cur + 1;

		if (n->start > cur)
			return -ENOENT;
		if (!area->pages)
			return -ENOENT;
		if (!(area->prot & ((flags & MOCK_ACCESS_RW_WRITE) ?
					    UIO_PROT_WRITE : UIO_PROT_READ)))
			return -EPERM;
		rc = uio_pages_rw_access(ctx, area->pages,
					 area->start_byte + (cur - n->start), p,
					 bytes, flags);
		if (rc)
			return rc;
		p += bytes;
		if (end == last)
			return 0;
		cur = end + 1;
	}
	return -ENOENT;
}

/*
 * IOMMU_TEST_OP_ACCESS_RW between the caller's buffer at uptr and the IOAS,
 * with one copy where the selftest otherwise copies twice (through its
 * bounce buffer, as the kernel's does), where the outcome cannot differ:
 * one area covers the range, its memory is this process's (the direct path
 * of uio_pages_rw_access), the two ranges do not overlap, and the source
 * is readable, probed before the destination is written, so a source that
 * faults leaves the destination as it was. The failure points are the
 * bounce path's: its allocation (-ENOMEM), then its user copy (-EFAULT).
 * 1: not such a case, nothing done.
 */
int uio_access_rw_user(struct uio_ctx *ctx, struct uio_access *access,
		       uint64_t iova, uintptr_t uptr, size_t len,
		       unsigned int flags)
{
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	struct uio_itree_node *n;
	struct uio_area *area;
	uintptr_t va, src, dst;
	uint64_t last;

	(void)ctx;
	if (!len || (flags & MOCK_ACCESS_RW_SLOW_PATH) || !access->ioas ||
	    __builtin_add_overflow(iova, len - 1, &last))
		return 1;
	n = uio_itree_iter_first(&access->ioas->iopt.used, iova, last,
				 UIO_KIND_AREA);
	if (!n || n->start > iova || n->last < last)
		return 1;
	area = uio_container_of(n, struct uio_area, node);
	if (!area->pages || (write && !area->pages->writable) ||
	    !(area->prot & (write ? UIO_PROT_WRITE : UIO_PROT_READ)) ||
	    !uio_mm_is_current(area->pages->mm))
		return 1;
	va = area->pages->uptr + area->start_byte + (iova - n->start);
	if (va + len < va || uptr + len < uptr ||
	    (uptr < va + len && va < uptr + len))
		return 1;
	src = write ? uptr : va;
	dst = write ? va : uptr;
	if (uio_should_fail())
		return -ENOMEM;
	if (uio_should_fail())
		return -EFAULT;
	return uio_copy_user_checked((void *)dst, (const void *)src, len);
}

struct uio_access *uio_access_from_ino(struct uio_ctx *ctx, uint64_t dev,
				       uint64_t ino)
{
	struct uio_access *a;

	for (a = ctx->accesses; a; a = a->next)
		if (a->has_file && a->file.ino == ino && a->file.dev == dev)
			return a;
	return NULL;
}

static bool uio_access_fd_cached(int fd, uint64_t *dev, uint64_t *ino);

/* The access behind a selftest access fd, or NULL (EBADFD for the caller). */
struct uio_access *uio_access_from_fd(struct uio_ctx *ctx, int fd)
{
	uint64_t dev, ino;
	struct stat st;

	if (uio_access_fd_cached(fd, &dev, &ino))
		return uio_access_from_ino(ctx, dev, ino);
	if (uio_sys_fstat(fd, &st))
		return NULL;
	return uio_access_from_ino(ctx, st.st_dev, st.st_ino);
}

/*
 * The file behind a selftest access fd: an anon_inode.h file, whose last
 * close anywhere destroys the access. Returns the fd or -errno.
 */
int uio_access_file_create(struct uio_ctx *ctx, struct uio_access *access)
{
	int fd;

	UIO_J(&access->file);
	fd = uio_anon_create("access", ctx->id, access->obj.id, &access->file);
	if (fd >= 0) {
		UIO_J(&access->has_file);
		access->has_file = true;
	}
	return fd;
}

/*
 * An fd's answer, cached per process: fd numbers seen to be access files.
 * The fd -> file table caches such a number as kind UIO_FILE_ACCESS with
 * its entry's index + 1 (0: none), a hint checked against the entry.
 */
UIO_FILECACHE_DEFINE(uio_access_fds, 256);

/* Record fd as an access file of ctx; its entry's index + 1, or 0. */
static uint32_t uio_access_fd_add(int fd, struct uio_ctx *ctx)
{
	unsigned long gen = uio_file_forget_gen();
	struct stat st;
	uint32_t idx;

	if (uio_sys_fstat(fd, &st))
		return 0;
	idx = uio_filecache_note(&uio_access_fds, fd, ctx, 0, st.st_dev,
				 st.st_ino);
	/* Unless fd was closed or replaced since the fstat. */
	if (idx) {
		uio_file_forget(fd);
		uio_file_set_unless_forgotten(fd, UIO_FILE_VAL(UIO_FILE_ACCESS, idx),
					      gen + 1);
	}
	return idx;
}

void uio_access_fd_note(int fd, struct uio_ctx *ctx)
{
	uio_access_fd_add(fd, ctx);
}

/*
 * The dev and ino of access file fd without a system call: where the
 * preload sees every close and dup over an fd number, a number the fd ->
 * file table still caches as this process's entry names the file that
 * entry's fstat saw. false: ask fstat.
 */
static bool uio_access_fd_cached(int fd, uint64_t *dev, uint64_t *ino)
{
	uint32_t v = uio_file_peek(fd), i = UIO_FILE_IDX(v);
	struct uio_filecache_ent e;

	if (UIO_FILE_KIND(v) != UIO_FILE_ACCESS || v == UIO_FILE_NOT_OURS ||
	    !i || !uio_file_closes_are_seen() ||
	    !uio_filecache_get_idx(&uio_access_fds, i, fd, &e))
		return false;
	*dev = e.dev;
	*ino = e.ino;
	return true;
}

struct uio_ctx *uio_access_fd_ctx(int fd)
{
	struct uio_filecache_ent e;

	return uio_filecache_get_inherited(&uio_access_fds, fd, &e) ? e.ctx :
								      NULL;
}

/*
 * The context of access file fd, held for the call, and the file's dev
 * and ino; NULL if fd is not one this process can serve.
 */
static struct uio_ctx *uio_access_fd_resolve(int fd, uint64_t *dev,
					     uint64_t *ino, uint32_t *idx)
{
	struct uio_filecache_ent e;
	struct uio_anon_file file;
	struct uio_ctx *ctx;
	uint64_t ctx_id;
	struct stat st;
	uint32_t id;

	*idx = 0;
	if (uio_sys_fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		return NULL;
	*dev = st.st_dev;
	*ino = st.st_ino;
	*idx = uio_filecache_get(&uio_access_fds, fd, &e);
	if (*idx && (e.dev != *dev || e.ino != *ino))
		*idx = 0;
	/* Held for the call (not under the table's lock: lock order). */
	if (*idx && uio_registry_has(e.ctx))
		return e.ctx;
	if (uio_anon_identify(fd, "access", &ctx_id, &id, &file))
		return NULL;
	ctx = uio_iommufd_ctx_find(ctx_id);
	if (ctx)
		*idx = uio_access_fd_add(fd, ctx);
	return ctx;
}

/*
 * close(fd) of what may be a selftest access file: 1 with *rc close's
 * result if it was one (when no open file of it is left anywhere after,
 * the access is destroyed, as the kernel's release does), else 0 and fd
 * left open.
 */
int uio_access_fd_close(int fd, int *rc)
{
	struct uio_access *access;
	struct uio_anon_file file;
	struct uio_ctx *ctx;
	uint64_t dev, ino;
	uint32_t idx;

	uio_core_enter();
	ctx = uio_access_fd_resolve(fd, &dev, &ino, &idx);
	if (!ctx) {
		uio_core_leave();
		return 0;
	}
	uio_filecache_drop(&uio_access_fds, fd);
	access = NULL;
	if (!uio_ctx_lock(ctx)) {
		access = ctx->released ? NULL :
					 uio_access_from_ino(ctx, dev, ino);
		if (access)
			file = access->file;
		uio_ctx_unlock(ctx);
	}
	*rc = uio_sys_close(fd);
	if (access && !*rc && !uio_anon_alive(&file) && !uio_ctx_lock(ctx)) {
		access = ctx->released ? NULL : uio_access_from_ino(ctx, dev, ino);
		if (access) {
			uio_anon_unlink(&access->file);
			uio_access_destroy(ctx, access);
		}
		uio_ctx_unlock(ctx);
	}
	uio_ctx_file_closed(ctx);
	uio_core_leave();
	return 1;
}

/*
 * Under ctx->lock: whether the file of a selftest access of ctx is open
 * anywhere. Accesses whose holders all died are destroyed here, as the
 * kernel destroyed them at those exits.
 */
bool uio_access_files_alive(struct uio_ctx *ctx)
{
	struct uio_access *a = ctx->accesses, *next;
	bool alive = false;

	for (; a; a = next) {
		next = a->next;
		if (!a->has_file)
			continue;
		if (uio_anon_alive(&a->file)) {
			alive = true;
		} else {
			uio_anon_unlink(&a->file);
			uio_access_destroy(ctx, a);
		}
	}
	return alive;
}

/*
 * This image ends (exit, or exec when cloexec_only): the kernel closes its
 * fds without a close() the preload layer sees. Each access file among them,
 * those inherited over fork too, gets the last-close check here, so an
 * access whose last holder exits goes, with its pins, as in the kernel.
 * (Should the exec fail, the program has lost its close-on-exec access fds.)
 */
void uio_access_fds_image_ending(bool cloexec_only)
{
	uio_filecache_image_ending(&uio_access_fds, cloexec_only,
				   uio_access_fd_close);
}

/* The context is going away in this process: forget its access files. */
void uio_access_fds_forget_ctx(struct uio_ctx *ctx)
{
	uio_filecache_forget_ctx(&uio_access_fds, ctx);
}

/* The fd -> file table's kind UIO_FILE_ACCESS. */
static int uio_access_f_probe(int fd, const struct stat *st, uint32_t *idx)
{
	uint64_t dev, ino;
	bool is;

	*idx = 0;
	if (!S_ISFIFO(st->st_mode))
		return 0;
	uio_core_enter();
	is = uio_access_fd_resolve(fd, &dev, &ino, idx) != NULL;
	uio_core_leave();
	return is;
}

/* The selftest's access file has no read or write (vfs_read: EINVAL) ... */
static long uio_access_f_read(int fd, uint32_t idx, void *buf, size_t n)
{
	(void)fd;
	(void)idx;
	(void)buf;
	(void)n;
	return -EINVAL;
}

static long uio_access_f_write(int fd, uint32_t idx, const void *buf, size_t n)
{
	return uio_access_f_read(fd, idx, (void *)buf, n);
}

/* ... and, an anon inode's file, no pread or pwrite (ESPIPE). */
static long uio_access_f_pread(int fd, uint32_t idx, void *buf, size_t n,
			       uint64_t off)
{
	(void)fd;
	(void)idx;
	(void)buf;
	(void)n;
	(void)off;
	return -ESPIPE;
}

static long uio_access_f_pwrite(int fd, uint32_t idx, const void *buf,
				size_t n, uint64_t off)
{
	return uio_access_f_pread(fd, idx, (void *)buf, n, off);
}

static int uio_access_f_close(int fd, uint32_t idx)
{
	(void)idx;
	return uiommufd_close(fd) ? -errno : 0;
}

const struct uio_file_ops uio_access_fops = {
	.name = "iommufd-access",
	.probe = uio_access_f_probe,
	.read = uio_access_f_read,
	.write = uio_access_f_write,
	.pread = uio_access_f_pread,
	.pwrite = uio_access_f_pwrite,
	.close = uio_access_f_close,
};
