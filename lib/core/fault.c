// SPDX-License-Identifier: MIT
/*
 * fault: IO page fault queues (FAULT objects, IOMMU_FAULT_QUEUE_ALLOC), as
 * drivers/iommu/iommufd/fault.c.
 *
 * A fault queue has an id and a file. Faults raised on a hwpt that has the
 * queue (IOMMU_HWPT_ALLOC with FAULT_ID_VALID) are queued as groups; read()
 * of the file hands out struct iommu_hwpt_pgfault records, giving each
 * group a cookie (as the kernel's xarray allocates it), and write() takes struct
 * iommu_hwpt_page_response records that complete groups by cookie. A device
 * that leaves the hwpt, or the queue's destruction, completes its pending
 * groups with INVALID, as the kernel does.
 *
 * The file is a FIFO of anon_inode.h: any process holding it (forked,
 * exec'd, sent it) is served, a process without it can still make it poll
 * readable, and its last close anywhere (close, exit, exec, kill) lets go
 * of the queue, as the kernel's release does. It polls readable exactly
 * while groups wait for read(), and always writable, the kernel's poll
 * answer. The preload layer routes read() and write() of it here, so the
 * FIFO's own bytes are never seen.
 *
 * A process serves such an fd only where it can reach the context: one it
 * has mapped (its own, or inherited over fork), or one whose fd it holds.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "file.h"
#include "filecache.h"
#include "sys.h"
#include "uaccess.h"

/*
 * Process-local: fds this process has seen to be fault queue files. A
 * cache: each use checks the fd still names the file.
 */
UIO_FILECACHE_DEFINE(uio_fault_fds, 64);

/* An fd of this process naming fault's file, or -1. */
static int uio_fault_local_fd(struct uio_ctx *ctx, struct uio_fault *fault)
{
	return uio_filecache_fd_of(&uio_fault_fds, ctx, fault->obj.id,
				   fault->file.dev, fault->file.ino);
}

/* Under ctx->lock: the queue with id whose file is ino, file still held. */
static struct uio_fault *uio_fault_by_file(struct uio_ctx *ctx, uint32_t id,
					   uint64_t ino)
{
	for (struct uio_fault *f = ctx->faults; f; f = f->next)
		if (f->obj.id == id && f->file.ino == ino && f->file_held)
			return f;
	return NULL;
}

/* The queue's lists (deliver, deliver_tail, responses), one journal save. */
static void uio_fault_j_lists(struct uio_fault *fault)
{
	uio_j_save(&fault->deliver, offsetof(struct uio_fault, responses) +
				    sizeof(fault->responses) -
				    offsetof(struct uio_fault, deliver));
}

/* Under ctx->lock: make the file's readiness match the deliver list. */
static void uio_fault_signal(struct uio_ctx *ctx, struct uio_fault *fault)
{
	bool want = fault->deliver != NULL;

	if (want == fault->signalled || !fault->file_held)
		return;
	/*
	 * Saved before the FIFO changes: a command killed in between leaves
	 * a record, and the recovery sets the FIFO from the queue
	 * (uio_fault_resync).
	 */
	UIO_J(&fault->signalled);
	uio_anon_set_ready(&fault->file, uio_fault_local_fd(ctx, fault), want);
	fault->signalled = want;
}

/*
 * After a crash was undone: the FIFO's bytes are outside shared memory, and
 * the dead command may have filled or drained it (or died between that and
 * its store of `signalled`). Make it poll readable exactly while groups wait
 * for read(), whatever it shows now, and `signalled` say so. Through this
 * process's fd if it has one, else by name; a file whose name is gone (the
 * dead command released it, and the undo brought file_held back) is left
 * to the next sweep, which finds no one holding it and releases it again.
 */
void uio_fault_resync(struct uio_ctx *ctx, struct uio_fault *fault)
{
	bool want = fault->deliver != NULL;
	int fd;

	if (!fault->file_held)
		return;
	fd = uio_fault_local_fd(ctx, fault);
	/* Emptied first: exactly one byte while it should be readable. */
	uio_anon_set_ready(&fault->file, fd, false);
	/* The recovering process may die here too (test_crash --long). */
	uio_kill_point();
	if (want)
		uio_anon_set_ready(&fault->file, fd, true);
	fault->signalled = want;
}

static void uio_group_free(struct uio_ctx *ctx, struct uio_fault_group *g)
{
	uio_delete(ctx, g);
}

int uio_fault_alloc_ioctl(struct uio_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct uio_ctx *ctx = ucmd->ctx;
	struct uio_fault *fault;
	struct uio_obj *obj;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	obj = uio_obj_alloc(ctx, sizeof(*fault), UIO_OBJ_FAULT, &rc);
	if (!obj)
		return rc;
	fault = uio_container_of(obj, struct uio_fault, obj);
	UIO_J(&fault->file);
	fd = uio_anon_create("fault", ctx->id, obj->id, &fault->file);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	cmd->out_fault_id = obj->id;
	cmd->out_fault_fd = fd;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_close;
	/* The file holds the queue until its last close. */
	UIO_J(&obj->users);
	atomic_fetch_add(&obj->users, 1);
	UIO_J(&fault->file_held);
	fault->file_held = true;
	UIO_J(&fault->next);
	fault->next = ctx->faults;
	uio_ctx_j(ctx);
	ctx->faults = fault;
	uio_obj_finalize(ctx, obj);
	uio_filecache_note(&uio_fault_fds, fd, ctx, obj->id, fault->file.dev,
			   fault->file.ino);
	return 0;

out_close:
	uio_sys_close(fd);
	uio_anon_unlink(&fault->file);
out_abort:
	uio_obj_abort_and_destroy(ctx, obj);
	return rc;
}

static void uio_cookie_erase(struct uio_fault *fault, uint32_t c);

/* Complete (INVALID) and free the groups of idev, or all if idev NULL. */
static void uio_fault_drop(struct uio_ctx *ctx, struct uio_fault *fault,
			   const struct uio_idev *idev)
{
	struct uio_fault_group **lists[2] = { &fault->deliver, &fault->responses };

	for (int i = 0; i < 2; i++) {
		struct uio_fault_group **pp = lists[i], *g;

		while ((g = *pp)) {
			if (idev && g->idev != idev) {
				pp = &g->next;
				continue;
			}
			UIO_J(pp);
			*pp = g->next;
			if (i)
				uio_cookie_erase(fault, g->cookie);
			uio_group_free(ctx, g);
		}
	}
	UIO_J(&fault->deliver_tail);
	fault->deliver_tail = NULL;
	for (struct uio_fault_group *g = fault->deliver; g; g = g->next)
		fault->deliver_tail = g;
	uio_fault_signal(ctx, fault);
}

void uio_fault_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	struct uio_fault *fault = uio_container_of(obj, struct uio_fault, obj);

	uio_fault_drop(ctx, fault, NULL);
	for (struct uio_fault **pp = &ctx->faults; *pp; pp = &(*pp)->next) {
		if (*pp == fault) {
			UIO_J(pp);
			*pp = fault->next;
			break;
		}
	}
	/* Its file is gone (users reached 0): the name goes if left. */
	uio_anon_unlink(&fault->file);
}

void uio_fault_device_leaves(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
			     struct uio_idev *idev)
{
	if (hwpt && hwpt->fault)
		uio_fault_drop(ctx, hwpt->fault, idev);
}

int uio_hwpt_set_fault(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
		       uint32_t fault_id)
{
	struct uio_obj *obj = uio_obj_get(ctx, fault_id, UIO_OBJ_FAULT);

	if (!obj)
		return -ENOENT;
	UIO_J(&hwpt->fault);
	hwpt->fault = uio_container_of(obj, struct uio_fault, obj);
	UIO_J(&obj->users);
	atomic_fetch_add(&obj->users, 1);
	uio_obj_put(ctx, obj);
	return 0;
}

/*
 * A page request from idev (IOMMU_TEST_OP_TRIGGER_IOPF, or emulated DMA
 * that missed): queued if the device's hwpt has a fault queue, else
 * dropped, as the IOMMU core does without an IOPF handler.
 */
int uio_fault_report(struct uio_ctx *ctx, struct uio_idev *idev,
		     uint32_t pasid, uint32_t grpid, uint32_t perm,
		     uint64_t addr)
{
	struct uio_fault *fault;
	struct uio_fault_group *g;

	/*
	 * The IOMMU core's find_fault_handler(): a request without a PASID
	 * goes to the domain attached to the device; one with a PASID to the
	 * domain attached for that PASID, and the mock driver attaches none,
	 * but keeps a user PASID table, so it goes to a nested domain
	 * attached to the device. Either needs a fault queue.
	 */
	if (!idev->hwpt || !idev->hwpt->fault ||
	    (pasid && idev->hwpt->obj.type != UIO_OBJ_HWPT_NESTED))
		return -ENODEV;
	fault = idev->hwpt->fault;
	g = uio_new(ctx, struct uio_fault_group);
	if (!g)
		return -ENOMEM;
	g->idev = idev;
	g->rec.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE |
		       (pasid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0);
	g->rec.dev_id = idev->obj.id;
	g->rec.pasid = pasid;
	g->rec.grpid = grpid;
	g->rec.perm = perm;
	g->rec.addr = addr;
	uio_fault_j_lists(fault);
	if (fault->deliver_tail) {
		UIO_J(&fault->deliver_tail->next);
		fault->deliver_tail->next = g;
	} else {
		fault->deliver = g;
	}
	fault->deliver_tail = g;
	uio_fault_signal(ctx, fault);
	return 0;
}

/*
 * Cookies. The kernel keeps the groups awaiting a response in an xarray
 * that allocates from 1 (XA_FLAGS_ALLOC1): index 0 holds a reserved entry
 * once the array has a leaf. The cookie is the lowest index marked free,
 * which is not always the lowest unused one, and the program can see
 * that: a response with cookie 0 erases the reserved entry, so the next
 * group gets 0; an array that empties entirely keeps 0 free; one that
 * shrinks back to its root takes the mark of slot 0 with it. The free
 * marks of the root and of the first leaf are modelled here.
 */
static uint32_t uio_cookie_alloc(struct uio_fault *fault)
{
	struct uio_cookies *x = &fault->cookies;
	uint32_t c;

	UIO_J(x);
	if (!x->node) {
		if (x->head_free && !x->head_group) {
			x->head_group = true;
			x->head_free = false;
			return 0;
		}
		/* Index 1 makes a leaf; the head's entry (or the reserved
		 * one) moves to slot 0, which keeps the head's free mark. */
		x->node = true;
		x->used = 1;
		x->slot0_group = x->head_group;
		x->head_group = false;
		x->free = ~(uint64_t)0;
		if (!x->head_free)
			x->free &= ~(uint64_t)1;
		x->head_free = true;
	}
	if (x->free) {
		c = (uint32_t)__builtin_ctzll(x->free);
		x->free &= ~(1ull << c);
		x->used |= 1ull << c;
		if (!c)
			x->slot0_group = true;
		x->head_free = x->free != 0;
		return c;
	}
	/* Past the first leaf: the lowest cookie no group holds. */
	for (c = 64;; c++) {
		struct uio_fault_group *g;

		for (g = fault->responses; g && g->cookie != c; g = g->next)
			;
		if (!g)
			return c;
	}
}

static void uio_cookie_erase(struct uio_fault *fault, uint32_t c)
{
	struct uio_cookies *x = &fault->cookies;

	UIO_J(x);
	if (!x->node) {
		if (c == 0 && x->head_group) {
			x->head_group = false;
			x->head_free = true;
		}
		return;
	}
	if (c >= 64 || !(x->used & (1ull << c)))
		return;
	x->used &= ~(1ull << c);
	x->free |= 1ull << c;
	x->head_free = true;
	if (!c)
		x->slot0_group = false;
	if (!x->used) {
		/* The leaf goes; the head keeps its free mark. */
		x->node = false;
	} else if (x->used == 1) {
		/* Only slot 0 is left: it moves back to the head. */
		x->node = false;
		x->head_group = x->slot0_group;
		if (!(x->free & 1))
			x->head_free = false;
	}
}

static long uio_fault_read(struct uio_ctx *ctx, struct uio_fault *fault,
			   char *buf, size_t count)
{
	const size_t sz = sizeof(struct iommu_hwpt_pgfault);
	size_t done = 0;
	struct uio_fault_group *g;

	(void)ctx;
	if (count % sz)
		return -ESPIPE;
	while ((g = fault->deliver)) {
		struct iommu_hwpt_pgfault rec = g->rec;

		if (done >= count || sz > count - done)
			return done ? (long)done : -EINVAL;
		rec.cookie = uio_cookie_alloc(fault);
		if (uio_copy_to_user((void *)((uintptr_t)buf + done), &rec, sz)) {
			uio_cookie_erase(fault, rec.cookie);
			return done ? (long)done : -EFAULT;
		}
		uio_fault_j_lists(fault);
		UIO_J(&g->next);
		UIO_J(&g->cookie);
		fault->deliver = g->next;
		if (!fault->deliver)
			fault->deliver_tail = NULL;
		g->cookie = rec.cookie;
		g->next = fault->responses;
		fault->responses = g;
		done += sz;
	}
	return (long)done;
}

static long uio_fault_write(struct uio_ctx *ctx, struct uio_fault *fault,
			    const char *buf, size_t count)
{
	const size_t sz = sizeof(struct iommu_hwpt_page_response);
	size_t done = 0;
	long rc = 0;

	if (count % sz)
		return -ESPIPE;
	while (count > done) {
		struct iommu_hwpt_page_response resp;
		struct uio_fault_group **pp, *g;

		if (uio_copy_from_user(&resp, (const void *)((uintptr_t)buf + done),
				       sz)) {
			rc = -EFAULT;
			break;
		}
		if (resp.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    resp.code != IOMMUFD_PAGE_RESP_INVALID) {
			rc = -EINVAL;
			break;
		}
		/* The kernel erases the index whether a group is there or not. */
		uio_cookie_erase(fault, resp.cookie);
		for (pp = &fault->responses; (g = *pp); pp = &g->next)
			if (g->cookie == resp.cookie)
				break;
		if (!g) {
			rc = -EINVAL;
			break;
		}
		UIO_J(pp);
		*pp = g->next;
		uio_group_free(ctx, g);
		done += sz;
	}
	return done ? (long)done : rc;
}

/*
 * The context and queue fd names: 0 with *ctxp held for the call (until
 * uio_core_leave) and *idp, *inop; -EBADF if fd is not a fault queue file
 * this process can serve.
 */
static int uio_fault_fd_resolve(int fd, struct uio_ctx **ctxp, uint32_t *idp,
				uint64_t *inop)
{
	struct uio_filecache_ent e;
	struct uio_anon_file file;
	struct uio_ctx *ctx;
	uint64_t ctx_id;
	uint32_t id;
	bool found;

	/* Held for the call (not under the table's lock: lock order). */
	if (uio_filecache_get_checked(&uio_fault_fds, fd, &e) &&
	    uio_registry_has(e.ctx)) {
		*ctxp = e.ctx;
		*idp = e.id;
		*inop = e.ino;
		return 0;
	}
	/* First sight here: inherited, received, or the number reused. */
	if (uio_anon_identify(fd, "fault", &ctx_id, &id, &file))
		return -EBADF;
	ctx = uio_iommufd_ctx_find(ctx_id);
	if (!ctx)
		return -EBADF;
	if (uio_ctx_lock(ctx))
		return -ENOMEM;
	found = !ctx->released && uio_fault_by_file(ctx, id, file.ino);
	uio_ctx_unlock(ctx);
	if (!found)
		return -EBADF;
	uio_filecache_note(&uio_fault_fds, fd, ctx, id, file.dev, file.ino);
	*ctxp = ctx;
	*idp = id;
	*inop = file.ino;
	return 0;
}

bool uio_fault_fd_is(int fd)
{
	struct uio_ctx *ctx;
	uint64_t ino;
	uint32_t id;
	bool is;

	uio_core_enter();
	is = !uio_fault_fd_resolve(fd, &ctx, &id, &ino);
	uio_core_leave();
	return is;
}

/* read() or write() of a fault queue file: bytes or -errno. */
static long uio_fault_fd_rw_inside(int fd, void *buf, size_t count,
				   bool write)
{
	struct uio_fault *fault;
	struct uio_ctx *ctx;
	uint64_t ino;
	uint32_t id;
	long rc;

	rc = uio_fault_fd_resolve(fd, &ctx, &id, &ino);
	if (!rc)
		rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	fault = ctx->released ? NULL : uio_fault_by_file(ctx, id, ino);
	if (!fault) {
		/* The queue went with the context. */
		uio_ctx_unlock(ctx);
		return -EBADF;
	}
	rc = write ? uio_fault_write(ctx, fault, buf, count) :
		     uio_fault_read(ctx, fault, buf, count);
	uio_fault_signal(ctx, fault);
	uio_ctx_unlock(ctx);
	return rc;
}

long uio_fault_fd_rw(int fd, void *buf, size_t count, bool write)
{
	long rc;

	uio_core_enter();
	rc = uio_fault_fd_rw_inside(fd, buf, count, write);
	uio_core_leave();
	return rc;
}

/* Under ctx->lock: the file's last close: its hold on the queue goes. */
static void uio_fault_file_release(struct uio_fault *fault)
{
	UIO_J(&fault->file_held);
	UIO_J(&fault->signalled);
	fault->file_held = false;
	fault->signalled = false;
	UIO_J(&fault->obj.users);
	atomic_fetch_sub(&fault->obj.users, 1);
	/*
	 * Not undone if this command dies: the undo brings file_held back,
	 * and the next sweep finds the file held nowhere (it was not, or we
	 * would not be here) and releases it again.
	 */
	uio_anon_unlink(&fault->file);
}

/*
 * close() of fd if it is a fault queue file: 1 with *rc close's result,
 * else 0 (not one; fd left open). If no open file of it is left anywhere
 * after, the file lets go of the queue.
 */
int uio_fault_fd_close(int fd, int *rc)
{
	struct uio_fault *fault;
	struct uio_anon_file file;
	struct uio_ctx *ctx;
	uint64_t ino;
	uint32_t id;

	uio_core_enter();
	if (uio_fault_fd_resolve(fd, &ctx, &id, &ino)) {
		uio_core_leave();
		return 0;
	}
	uio_filecache_drop(&uio_fault_fds, fd);
	fault = NULL;
	if (!uio_ctx_lock(ctx)) {
		fault = ctx->released ? NULL : uio_fault_by_file(ctx, id, ino);
		if (fault)
			file = fault->file;
		uio_ctx_unlock(ctx);
	}
	*rc = uio_sys_close(fd);
	if (fault && !*rc && !uio_anon_alive(&file) && !uio_ctx_lock(ctx)) {
		fault = ctx->released ? NULL : uio_fault_by_file(ctx, id, ino);
		if (fault)
			uio_fault_file_release(fault);
		uio_ctx_unlock(ctx);
	}
	uio_ctx_file_closed(ctx);
	uio_core_leave();
	return 1;
}

/*
 * Under ctx->lock: whether a file of a queue of ctx is open anywhere.
 * Files whose holders all died (their locks went with them) are released
 * here, as the kernel released them at those exits.
 */
bool uio_fault_files_alive(struct uio_ctx *ctx)
{
	bool alive = false;

	for (struct uio_fault *f = ctx->faults; f; f = f->next) {
		if (!f->file_held)
			continue;
		if (uio_anon_alive(&f->file))
			alive = true;
		else
			uio_fault_file_release(f);
	}
	return alive;
}

/* Under ctx->lock: release fault's file if no one holds it any more. */
void uio_fault_sweep(struct uio_ctx *ctx, struct uio_fault *fault)
{
	(void)ctx;
	if (fault->file_held && !uio_anon_alive(&fault->file))
		uio_fault_file_release(fault);
}

/* The context is going away in this process: forget its fault files. */
void uio_fault_fds_forget_ctx(struct uio_ctx *ctx)
{
	uio_filecache_forget_ctx(&uio_fault_fds, ctx);
}

/*
 * This image ends (exit, or exec when cloexec_only): each fault queue file
 * among those this process knows gets the last-close check, those
 * inherited over fork and never used here too (the table came with the
 * fork, noted under an ancestor's pid): a child's exit may be the last
 * close of a file its parent closed meanwhile, and with it of a context no
 * fd holds any more.
 */
void uio_fault_fds_image_ending(bool cloexec_only)
{
	uio_filecache_image_ending(&uio_fault_fds, cloexec_only,
				   uio_fault_fd_close);
}

/* The fd -> file table's kind UIO_FILE_FAULT. */
static int uio_fault_f_probe(int fd, const struct stat *st, uint32_t *idx)
{
	*idx = 0;
	return S_ISFIFO(st->st_mode) && uio_fault_fd_is(fd);
}

static long uio_fault_f_read(int fd, uint32_t idx, void *buf, size_t n)
{
	(void)idx;
	return uio_fault_fd_rw(fd, buf, n, false);
}

static long uio_fault_f_write(int fd, uint32_t idx, const void *buf, size_t n)
{
	(void)idx;
	return uio_fault_fd_rw(fd, (void *)buf, n, true);
}

/* The kernel's fault file is not seekable. */
static long uio_fault_f_pread(int fd, uint32_t idx, void *buf, size_t n,
			      uint64_t off)
{
	(void)fd;
	(void)idx;
	(void)buf;
	(void)n;
	(void)off;
	return -ESPIPE;
}

static long uio_fault_f_pwrite(int fd, uint32_t idx, const void *buf, size_t n,
			       uint64_t off)
{
	return uio_fault_f_pread(fd, idx, (void *)buf, n, off);
}

static int uio_fault_f_close(int fd, uint32_t idx)
{
	(void)idx;
	return uiommufd_close(fd) ? -errno : 0;
}

const struct uio_file_ops uio_fault_fops = {
	.name = "iommufd-fault",
	.probe = uio_fault_f_probe,
	.read = uio_fault_f_read,
	.write = uio_fault_f_write,
	.pread = uio_fault_f_pread,
	.pwrite = uio_fault_f_pwrite,
	.close = uio_fault_f_close,
	.trace = &uio_fault_trace,
};
