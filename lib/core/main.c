// SPDX-License-Identifier: MIT
/*
 * The ioctl dispatcher and the public entry points.
 *
 * Every command is a row of uio_ioctl_ops: its struct size, the offset of
 * the end of its last mandatory field, its ioctl number and its handler. The
 * generic part is done once, here, in the kernel's order: read the leading
 * size word (EFAULT), match the number (ENOTTY), size below the minimum
 * (EINVAL), then copy in the struct: a shorter user struct is zero-extended,
 * a longer one must have an all-zero tail (E2BIG). Handlers answer with
 * uio_ucmd_respond(), which copies back min(user size, struct size) bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "file.h"
#include "sys.h"
#include "trace.h"
#include "uaccess.h"


union uio_ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_test_cmd test;
	struct iommu_hw_info hw_info;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_hwpt_set_dirty_tracking set_dirty;
	struct iommu_hwpt_get_dirty_bitmap get_dirty;
};

struct uio_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned long ioctl_num;
	int (*execute)(struct uio_ucmd *ucmd);
};

#define UIO_OFFSETOFEND(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))

#define UIO_IOCTL_OP(_ioctl, _fn, _struct, _last)                        \
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {                         \
		.size = sizeof(_struct),                                 \
		.min_size = UIO_OFFSETOFEND(_struct, _last),             \
		.ioctl_num = _ioctl,                                     \
		.execute = _fn,                                          \
	}

static int uio_destroy(struct uio_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return uio_obj_remove(ucmd->ctx, cmd->id);
}

static int uio_option(struct uio_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = uio_option_rlimit_mode(ucmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = uio_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 goes back, as in the kernel. */
	return uio_copy_to_user((char *)ucmd->ubuffer +
					offsetof(struct iommu_option, val64),
				&cmd->val64, sizeof(cmd->val64));
}

static const struct uio_ioctl_op uio_ioctl_ops[] = {
	UIO_IOCTL_OP(IOMMU_DESTROY, uio_destroy, struct iommu_destroy, id),
	UIO_IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, uio_fault_alloc_ioctl,
		     struct iommu_fault_alloc, out_fault_fd),
	UIO_IOCTL_OP(IOMMU_GET_HW_INFO, uio_get_hw_info, struct iommu_hw_info,
		     __reserved),
	UIO_IOCTL_OP(IOMMU_HWPT_ALLOC, uio_hwpt_alloc_ioctl,
		     struct iommu_hwpt_alloc, __reserved),
	UIO_IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, uio_hwpt_get_dirty_bitmap,
		     struct iommu_hwpt_get_dirty_bitmap, data),
	UIO_IOCTL_OP(IOMMU_HWPT_INVALIDATE, uio_hwpt_invalidate,
		     struct iommu_hwpt_invalidate, __reserved),
	UIO_IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, uio_hwpt_set_dirty_tracking,
		     struct iommu_hwpt_set_dirty_tracking, __reserved),
	UIO_IOCTL_OP(IOMMU_IOAS_ALLOC, uio_ioas_alloc_ioctl,
		     struct iommu_ioas_alloc, out_ioas_id),
	UIO_IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, uio_ioas_allow_iovas,
		     struct iommu_ioas_allow_iovas, allowed_iovas),
	UIO_IOCTL_OP(IOMMU_IOAS_COPY, uio_ioas_copy, struct iommu_ioas_copy,
		     src_iova),
	UIO_IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, uio_ioas_iova_ranges,
		     struct iommu_ioas_iova_ranges, out_iova_alignment),
	UIO_IOCTL_OP(IOMMU_IOAS_MAP, uio_ioas_map, struct iommu_ioas_map, iova),
	UIO_IOCTL_OP(IOMMU_IOAS_UNMAP, uio_ioas_unmap, struct iommu_ioas_unmap,
		     length),
	UIO_IOCTL_OP(IOMMU_OPTION, uio_option, struct iommu_option, val64),
	UIO_IOCTL_OP(IOMMU_VFIO_IOAS, uio_vfio_ioas, struct iommu_vfio_ioas,
		     __reserved),
	UIO_IOCTL_OP(IOMMU_TEST_CMD, uio_test_cmd, struct iommu_test_cmd, last),
};

#define UIO_NR_OPS (sizeof(uio_ioctl_ops) / sizeof(uio_ioctl_ops[0]))

int uio_ucmd_respond(struct uio_ucmd *ucmd, size_t cmd_len)
{
	size_t n = ucmd->user_size < cmd_len ? ucmd->user_size : cmd_len;

	return uio_copy_to_user(ucmd->ubuffer, ucmd->cmd, n);
}

/* The kernel's copy_struct_from_user(). */
int uio_copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			      size_t usize)
{
	size_t n = usize < ksize ? usize : ksize;

	if (usize > ksize) {
		int zero = uio_user_is_zero((const char *)usrc + ksize,
					    usize - ksize);

		if (zero < 0)
			return zero;
		if (!zero)
			return -E2BIG;
	}
	if (uio_copy_from_user(dst, usrc, n))
		return -EFAULT;
	if (n < ksize)
		memset((char *)dst + n, 0, ksize - n);
	return 0;
}

/* UIOMMUFD_CHECK=1: run the invariant checker after every command. */
static pthread_once_t uio_check_once = PTHREAD_ONCE_INIT;
static bool uio_check_on;

static void uio_check_init(void)
{
	const char *v = getenv("UIOMMUFD_CHECK");

	uio_check_on = v && *v && strcmp(v, "0");
}

static bool uio_check_enabled(void)
{
	pthread_once(&uio_check_once, uio_check_init);
	return uio_check_on;
}

static int uio_dispatch(struct uio_ctx *ctx, unsigned long cmd, void *arg)
{
	const struct uio_ioctl_op *op;
	union uio_ucmd_buffer buf;
	struct uio_ucmd ucmd = { .ctx = ctx, .ubuffer = arg, .cmd = &buf };
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	uio_jverify_note(cmd);
	/* Like the kernel, only the number selects the table row. */
	if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= UIO_NR_OPS) {
		/* The VFIO type1 container's commands (vfio_compat.c). */
		rc = (int)uio_vfio_ioctl(ctx, cmd, arg);
		if (uio_check_enabled() && !uio_ctx_lock(ctx)) {
			if (uio_ctx_check(ctx)) {
				fprintf(stderr, "uiommufd check: broken after ioctl 0x%lx\n",
					cmd);
				abort();
			}
			uio_ctx_unlock(ctx);
		}
		return rc;
	}
	if (uio_copy_from_user(&ucmd.user_size, arg, sizeof(ucmd.user_size)))
		return -EFAULT;
	op = &uio_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (!op->execute || op->ioctl_num != cmd)
		return -ENOTTY;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	rc = uio_copy_struct_from_user(&buf, op->size, arg, ucmd.user_size);
	if (rc)
		return rc;

	rc = uio_ctx_lock(ctx);
	if (rc)
		return rc;
	rc = op->execute(&ucmd);
	if (ucmd.unlocked)
		return rc;
	if (uio_check_enabled() && uio_ctx_check(ctx)) {
		fprintf(stderr, "uiommufd check: broken after ioctl 0x%lx\n", cmd);
		abort();
	}
	uio_dump_after_call(ctx);
	uio_ctx_unlock(ctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* public API */

UIO_EXPORT int uiommufd_open(int flags)
{
	struct uio_ctx *ctx;
	int fd, rc;

	ctx = uio_ctx_create(flags, &fd, &rc);
	if (!ctx)
		goto err;
	rc = uio_registry_add_fd(fd, ctx);
	if (rc) {
		uio_ctx_unmap(ctx);
		uio_sys_close(fd);
		goto err;
	}
	return fd;
err:
	errno = -rc;
	return -1;
}

/* open("/dev/vfio/vfio"): a context charging pins per process, as VFIO. */
int uio_open_vfio_container(int flags)
{
	int fd = uiommufd_open(flags);
	struct uio_ctx *ctx;

	if (fd < 0)
		return fd;
	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	if (uio_ctx_lock(ctx)) {
		/* Cannot happen: its creator maps what it uses. */
		uio_core_leave();
		uiommufd_close(fd);
		errno = ENOMEM;
		return -1;
	}
	UIO_J(&ctx->account_mode);
	uio_ctx_j(ctx);
	ctx->account_mode = UIO_ACCOUNT_MM;
	ctx->vfio_container = true;
	uio_ctx_unlock(ctx);
	uio_core_leave();
	return fd;
}

/* 1 if fd is a context opened as /dev/vfio/vfio, 0 if another, -1 if none. */
int uio_fd_is_vfio_container(int fd)
{
	int saved = errno, rc;
	struct uio_ctx *ctx;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	rc = ctx ? ctx->vfio_container : -1;
	uio_core_leave();
	errno = saved;
	return rc;
}

static int uio_ioctl(int fd, unsigned long request, void *arg)
{
	struct uio_ctx *ctx;
	int rc;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	if (ctx)
		rc = uio_dispatch(ctx, request, arg);
	else
		rc = uio_sys_fd_valid(fd) ? -ENOTTY : -EBADF;
	uio_core_leave();
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	/* VFIO_GET_API_VERSION and VFIO_CHECK_EXTENSION return values. */
	return rc;
}

/* An ioctl of a context, untraced: what the preload's file operation calls. */
static int uio_ioctl_entry(int fd, unsigned long request, void *arg)
{
	int rc = uio_uaccess_ensure();

	if (rc) {
		errno = -rc;
		return -1;
	}
	return uio_ioctl(fd, request, arg);
}

/* Programs that link the library are traced here (lib/kernel/trace.h). */
UIO_EXPORT int uiommufd_ioctl(int fd, unsigned long request, void *arg)
{
	struct uio_trace_call tc;
	int rc;

	if (!uio_trace_maybe())
		return uio_ioctl_entry(fd, request, arg);
	tc = UIO_TRACE_IOCTL_CALL(fd, 0, request, arg);
	uio_trace_before(&uio_iommufd_trace, &tc);
	rc = uio_ioctl_entry(fd, request, arg);
	uio_trace_after(&uio_iommufd_trace, &tc, rc < 0 ? -errno : rc);
	return rc;
}

UIO_EXPORT int uiommufd_is_context_fd(int fd)
{
	int saved = errno;
	int rc = uio_fd_known(fd);

	/* The preload asks this of every ioctl's fd, signals unblocked: the
	 * answer is mostly known already and needs no reference. */
	if (rc >= 0)
		return rc;
	uio_core_enter();
	rc = uio_fd_lookup(fd) != NULL;
	uio_core_leave();
	errno = saved;
	return rc;
}

/*
 * The kernel's fault queue and access files each hold their ictx, and so
 * do VFIO's bound devices and groups (kholds), so a context whose own
 * files are all closed lives on while such a file is open in any process
 * or a hold is left (held_by_files); the last of them to go, wherever it
 * is, releases it. Each decision is made under the context's lock, so
 * a file closing in one process and the context's last close in another
 * cannot both miss the release.
 */
static void uio_ctx_release_here(struct uio_ctx *ctx)
{
	uio_ctx_release(ctx);
	uio_registry_remove(ctx);
	/* Its fault and access files are gone now, their numbers free. */
	uio_fault_fds_forget_ctx(ctx);
	uio_access_fds_forget_ctx(ctx);
}

/* Under ctx->lock: a fault or access file of ctx is open anywhere. */
static bool uio_ctx_files_alive(struct uio_ctx *ctx)
{
	bool faults = uio_fault_files_alive(ctx);

	/* Both: each releases the files whose holders died. */
	return uio_access_files_alive(ctx) || faults || ctx->kholds;
}

/* No open file of ctx's own is left anywhere. */
static void uio_ctx_last_close(struct uio_ctx *ctx)
{
	bool held;

	if (uio_ctx_lock(ctx))
		return;
	held = !ctx->released && uio_ctx_files_alive(ctx);
	UIO_J(&ctx->held_by_files);
	ctx->held_by_files = held;
	uio_ctx_unlock(ctx);
	if (!held)
		uio_ctx_release_here(ctx);
}

void uio_ctx_file_closed(struct uio_ctx *ctx)
{
	bool release = false;

	if (!ctx || uio_ctx_lock(ctx))
		return;
	if (ctx->held_by_files && !ctx->released && !uio_ctx_files_alive(ctx)) {
		UIO_J(&ctx->held_by_files);
		ctx->held_by_files = false;
		release = true;
	}
	uio_ctx_unlock(ctx);
	if (release)
		uio_ctx_release_here(ctx);
}

void uio_iommufd_ctx_get(struct uio_ctx *ctx)
{
	if (uio_ctx_lock(ctx))
		return;
	uio_ctx_j(ctx);
	ctx->kholds++;
	uio_ctx_unlock(ctx);
}

void uio_iommufd_ctx_put(struct uio_ctx *ctx)
{
	if (!uio_ctx_lock(ctx)) {
		uio_ctx_j(ctx);
		if (ctx->kholds)
			ctx->kholds--;
		uio_ctx_unlock(ctx);
	}
	/* The last hold of a context whose files are all closed. */
	uio_ctx_file_closed(ctx);
}

/*
 * No open file of the context holds its lock: this was the last close. A
 * lookup in another thread may still hold the closed file for the length
 * of a system call; once those are done, look again.
 */
static bool uio_ofd_unlocked(int probe, struct flock *lk)
{
	struct flock q = *lk;

	/* Bounded: lookups that keep coming cannot hold the closer forever. */
	for (int tries = 0; tries < 1000; tries++) {
		*lk = q;
		if (uio_sys_fcntl(probe, F_OFD_GETLK, lk))
			return false;
		if (lk->l_type == F_UNLCK)
			return true;
		if (!uio_file_probes_settle())
			return false;
	}
	return false;
}

/*
 * Close fd; if that was the last reference to the open file in any process,
 * release the context. See ctx.c for how the last close is recognised.
 */
UIO_EXPORT int uiommufd_close(int fd)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };
	struct uio_ctx *ctx;
	char path[64];
	int probe, rc;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	/* Forgotten before the number can be reused. */
	uio_file_forget(fd);
	if (!ctx) {
		/* A fault queue's or selftest access's file, or another. */
		if (!uio_fault_fd_close(fd, &rc) && !uio_access_fd_close(fd, &rc))
			rc = uio_sys_close(fd);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	probe = uio_sys_openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	rc = uio_sys_close(fd);
	if (probe < 0)
		goto out;
	if (!rc && uio_ofd_unlocked(probe, &lk)) {
		uio_registry_quiesce(ctx);
		uio_ctx_last_close(ctx);
	}
	uio_sys_close(probe);
out:
	uio_core_leave();
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

UIO_EXPORT int uiommufd_stats(int fd, struct uiommufd_stats *st)
{
	struct uio_ctx *ctx = uio_fd_ctx_lock(fd);

	if (!ctx)
		return -1;
	st->objects = ctx->objs.count;
	st->areas = ctx->nareas;
	st->pages_objs = ctx->npages_objs;
	st->pinned_pages = ctx->npinned;
	st->arena_bytes = ctx->arena.bytes_in_use;
	uio_fd_ctx_unlock(ctx);
	return 0;
}

UIO_EXPORT int uiommufd_check(int fd)
{
	struct uio_ctx *ctx = uio_fd_ctx_lock(fd);
	int rc;

	if (!ctx)
		return -1;
	rc = uio_ctx_check(ctx);
	uio_fd_ctx_unlock(ctx);
	if (rc) {
		errno = EUCLEAN;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the fd -> file table's kind UIO_FILE_IOMMUFD */

static long uio_iommufd_f_ioctl(int fd, uint32_t idx, unsigned long cmd,
				void *arg)
{
	int rc;

	(void)idx;
	/* The preload's dispatch traces it. */
	rc = uio_ioctl_entry(fd, cmd, arg);
	return rc < 0 ? -errno : rc;
}

/* /dev/iommu and /dev/vfio/vfio: misc device 10, their minors. */
static void uio_iommufd_f_rdev(int fd, uint32_t idx, unsigned int *major,
			       unsigned int *minor)
{
	(void)idx;
	*major = UIO_IOMMU_MISC_MAJOR;
	*minor = uio_fd_is_vfio_container(fd) == 1 ? UIO_VFIO_MISC_MINOR :
						     UIO_IOMMU_MISC_MINOR;
}

static int uio_iommufd_f_close(int fd, uint32_t idx)
{
	(void)idx;
	return uiommufd_close(fd) ? -errno : 0;
}

const struct uio_file_ops uio_iommufd_fops = {
	.name = "iommufd",
	.probe = uio_fd_ctx_probe,
	.ioctl = uio_iommufd_f_ioctl,
	.rdev = uio_iommufd_f_rdev,
	.trace = &uio_iommufd_trace,
	.close = uio_iommufd_f_close,
};
