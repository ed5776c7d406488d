// SPDX-License-Identifier: MIT
/*
 * fault: IO page fault queues (FAULT objects, IOMMU_FAULT_QUEUE_ALLOC), as
 * drivers/iommu/iommufd/fault.c.
 *
 * A fault queue has an id and a file. Faults raised on a hwpt that has the
 * queue (IOMMU_HWPT_ALLOC with FAULT_ID_VALID) are queued as groups; read()
 * of the file hands out struct iommu_hwpt_pgfault records, giving each
 * group a cookie (the lowest free from 1), and write() takes struct
 * iommu_hwpt_page_response records that complete groups by cookie. A device
 * that leaves the hwpt, or the queue's destruction, completes its pending
 * groups with INVALID, as the kernel does.
 *
 * The file is an eventfd: the program polls, selects or epolls it natively.
 * Its counter is non-zero exactly while groups wait for read(), so it is
 * readable then and always writable, the kernel's poll answer. The preload
 * layer routes read() and write() of it here (uio_fault_fd_read/write), so
 * the eventfd's own read and write semantics are never seen.
 *
 * Limits: the queue is signalled through this process's fd; a fault raised
 * in a process that does not hold the fault fd does not wake pollers in
 * others until the next read. The queue goes with the close of the fd in
 * the process that allocated it (dup and fork copies are not tracked).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "file.h"
#include "sys.h"
#include "uaccess.h"

/* Process-local: which fd numbers are fault queue files. */
struct uio_fault_fd {
	int fd;
	int32_t pid;
	struct uio_ctx *ctx;
	struct uio_fault *fault;
};

#define UIO_FAULT_FDS_MAX 64
static struct uio_fault_fd uio_fault_fds[UIO_FAULT_FDS_MAX];
static unsigned int uio_nfault_fds;
static pthread_mutex_t uio_fault_fds_lock = PTHREAD_MUTEX_INITIALIZER;

static int uio_fault_local_fd(struct uio_fault *fault)
{
	int fd = -1;

	pthread_mutex_lock(&uio_fault_fds_lock);
	for (unsigned int i = 0; i < uio_nfault_fds; i++)
		if (uio_fault_fds[i].fault == fault &&
		    uio_fault_fds[i].pid == uio_current_pid())
			fd = uio_fault_fds[i].fd;
	pthread_mutex_unlock(&uio_fault_fds_lock);
	return fd;
}

/* Make the file's readiness match the deliver list. */
static void uio_fault_signal(struct uio_fault *fault)
{
	bool want = fault->deliver != NULL;
	int fd;

	if (want == fault->signalled)
		return;
	fd = uio_fault_local_fd(fault);
	if (fd < 0)
		return;
	if (want) {
		uint64_t one = 1;

		if (UIO_SYS(SYS_write, fd, &one, sizeof(one)) == sizeof(one))
			fault->signalled = true;
	} else {
		uint64_t v;

		/* Counter is non-zero: this read does not block. */
		if (UIO_SYS(SYS_read, fd, &v, sizeof(v)) == sizeof(v))
			fault->signalled = false;
	}
}

static void uio_group_free(struct uio_ctx *ctx, struct uio_fault_group *g)
{
	uio_delete(ctx, g);
}

int uio_fault_alloc_ioctl(struct uio_ucmd *ucmd)
{
	struct iommu_fault_alloc *cmd = ucmd->cmd;
	struct uio_fault *fault;
	struct uio_obj *obj;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	obj = uio_obj_alloc(ucmd->ctx, sizeof(*fault), UIO_OBJ_FAULT, &rc);
	if (!obj)
		return rc;
	fault = uio_container_of(obj, struct uio_fault, obj);
	fd = (int)UIO_SYS(SYS_eventfd2, 0, EFD_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	/* The file holds the queue until it is closed. */
	atomic_fetch_add(&obj->users, 1);
	cmd->out_fault_id = obj->id;
	cmd->out_fault_fd = fd;
	rc = uio_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_close;
	pthread_mutex_lock(&uio_fault_fds_lock);
	if (uio_nfault_fds == UIO_FAULT_FDS_MAX) {
		pthread_mutex_unlock(&uio_fault_fds_lock);
		rc = -EMFILE;
		goto out_close;
	}
	uio_fault_fds[uio_nfault_fds++] = (struct uio_fault_fd){
		fd, uio_current_pid(), ucmd->ctx, fault };
	pthread_mutex_unlock(&uio_fault_fds_lock);
	uio_obj_finalize(ucmd->ctx, obj);
	return 0;

out_close:
	atomic_fetch_sub(&obj->users, 1);
	uio_sys_close(fd);
out_abort:
	uio_obj_abort_and_destroy(ucmd->ctx, obj);
	return rc;
}

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
			*pp = g->next;
			uio_group_free(ctx, g);
		}
	}
	fault->deliver_tail = NULL;
	for (struct uio_fault_group *g = fault->deliver; g; g = g->next)
		fault->deliver_tail = g;
	uio_fault_signal(fault);
}

void uio_fault_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	uio_fault_drop(ctx, uio_container_of(obj, struct uio_fault, obj), NULL);
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
	hwpt->fault = uio_container_of(obj, struct uio_fault, obj);
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
	if (fault->deliver_tail)
		fault->deliver_tail->next = g;
	else
		fault->deliver = g;
	fault->deliver_tail = g;
	uio_fault_signal(fault);
	return 0;
}

/* The lowest cookie from 1 no group awaiting a response holds. */
static uint32_t uio_fault_cookie(struct uio_fault *fault)
{
	uint32_t c = 1;
	bool again = true;

	while (again) {
		again = false;
		for (struct uio_fault_group *g = fault->responses; g; g = g->next) {
			if (g->cookie == c) {
				c++;
				again = true;
			}
		}
	}
	return c;
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
		rec.cookie = uio_fault_cookie(fault);
		if (uio_copy_to_user((void *)((uintptr_t)buf + done), &rec, sz))
			return done ? (long)done : -EFAULT;
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
		for (pp = &fault->responses; (g = *pp); pp = &g->next)
			if (g->cookie == resp.cookie)
				break;
		if (!g) {
			rc = -EINVAL;
			break;
		}
		*pp = g->next;
		uio_group_free(ctx, g);
		done += sz;
	}
	return done ? (long)done : rc;
}

static struct uio_fault_fd *uio_fault_fd_find(int fd)
{
	if (!__atomic_load_n(&uio_nfault_fds, __ATOMIC_RELAXED))
		return NULL;
	for (unsigned int i = 0; i < uio_nfault_fds; i++)
		if (uio_fault_fds[i].fd == fd &&
		    uio_fault_fds[i].pid == uio_current_pid())
			return &uio_fault_fds[i];
	return NULL;
}

bool uio_fault_fd_is(int fd)
{
	bool is;

	if (!__atomic_load_n(&uio_nfault_fds, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&uio_fault_fds_lock);
	is = uio_fault_fd_find(fd) != NULL;
	pthread_mutex_unlock(&uio_fault_fds_lock);
	return is;
}

/* read() or write() of a fault queue file: bytes or -errno. */
static long uio_fault_fd_rw_inside(int fd, void *buf, size_t count,
				   bool write)
{
	struct uio_fault_fd *f;
	struct uio_ctx *ctx;
	struct uio_fault *fault;
	long rc;

	pthread_mutex_lock(&uio_fault_fds_lock);
	f = uio_fault_fd_find(fd);
	if (!f) {
		pthread_mutex_unlock(&uio_fault_fds_lock);
		return -EBADF;
	}
	ctx = f->ctx;
	fault = f->fault;
	pthread_mutex_unlock(&uio_fault_fds_lock);
	/*
	 * Hold the context for the call (not under uio_fault_fds_lock, which
	 * is taken under a context's lock), then check the file still names
	 * this queue: a released context forgets its fault files first.
	 */
	if (!uio_registry_has(ctx))
		return -EBADF;
	pthread_mutex_lock(&uio_fault_fds_lock);
	f = uio_fault_fd_find(fd);
	if (!f || f->ctx != ctx || f->fault != fault)
		ctx = NULL;
	pthread_mutex_unlock(&uio_fault_fds_lock);
	if (!ctx)
		return -EBADF;
	uio_ctx_lock(ctx);
	if (ctx->released) {
		/* The queue went with the context. */
		uio_ctx_unlock(ctx);
		return -EBADF;
	}
	rc = write ? uio_fault_write(ctx, fault, buf, count) :
		     uio_fault_read(ctx, fault, buf, count);
	uio_fault_signal(fault);
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

/* close() of a fault queue file: the file's hold on the queue goes. */
static void uio_fault_fd_closed_inside(int fd)
{
	struct uio_fault *fault = NULL;
	struct uio_ctx *ctx = NULL;

	pthread_mutex_lock(&uio_fault_fds_lock);
	for (unsigned int i = 0; i < uio_nfault_fds; i++) {
		if (uio_fault_fds[i].fd == fd &&
		    uio_fault_fds[i].pid == uio_current_pid()) {
			ctx = uio_fault_fds[i].ctx;
			fault = uio_fault_fds[i].fault;
			uio_fault_fds[i] = uio_fault_fds[--uio_nfault_fds];
			break;
		}
	}
	pthread_mutex_unlock(&uio_fault_fds_lock);
	/* Held for the call; a context already released is left alone. */
	if (!fault || !uio_registry_has(ctx))
		return;
	uio_ctx_lock(ctx);
	if (!ctx->released) {
		fault->signalled = false;
		atomic_fetch_sub(&fault->obj.users, 1);
	}
	uio_ctx_unlock(ctx);
	uio_ctx_file_closed(ctx);
}

bool uio_fault_fds_hold(struct uio_ctx *ctx)
{
	bool held = false;

	pthread_mutex_lock(&uio_fault_fds_lock);
	for (unsigned int i = 0; i < uio_nfault_fds && !held; i++)
		held = uio_fault_fds[i].ctx == ctx &&
		       uio_fault_fds[i].pid == uio_current_pid();
	pthread_mutex_unlock(&uio_fault_fds_lock);
	return held;
}

void uio_fault_fd_closed(int fd)
{
	uio_core_enter();
	uio_fault_fd_closed_inside(fd);
	uio_core_leave();
}

/* The context is going away in this process: forget its fault files. */
void uio_fault_fds_forget_ctx(struct uio_ctx *ctx)
{
	pthread_mutex_lock(&uio_fault_fds_lock);
	for (unsigned int i = 0; i < uio_nfault_fds;) {
		if (uio_fault_fds[i].ctx == ctx)
			uio_fault_fds[i] = uio_fault_fds[--uio_nfault_fds];
		else
			i++;
	}
	pthread_mutex_unlock(&uio_fault_fds_lock);
}

/* The fd -> file table's kind UIO_FILE_FAULT: this process's queue files. */
static int uio_fault_f_probe(int fd, const struct stat *st, uint32_t *idx)
{
	(void)st;
	*idx = 0;
	return uio_fault_fd_is(fd);
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
