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
#include <fcntl.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "dir.h"
#include "fdtable.h"
#include "sys.h"

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

struct uio_reach {
	const struct uio_ctx *ctx;
	long self;
	int fd_dir;                    /* the /proc/PID/fd being read */
};

static int uio_reach_fd(long fd, void *arg)
{
	struct uio_reach *r = arg;
	char name[24];
	struct stat st;

	snprintf(name, sizeof(name), "%ld", fd);
	return !UIO_SYS(SYS_newfstatat, r->fd_dir, name, &st, 0) &&
	       (uint64_t)st.st_ino == r->ctx->file_ino &&
	       (uint64_t)st.st_dev == r->ctx->file_dev;
}

static int uio_reach_pid(long pid, void *arg)
{
	struct uio_reach *r = arg;
	char path[48];
	int dir, rc;

	if (pid == r->self)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	dir = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return dir != -ENOENT; /* gone: no; unreadable: maybe */
	r->fd_dir = dir;
	rc = uio_dir_each_number(dir, uio_reach_fd, r);
	uio_sys_close(dir);
	return rc;
}

/*
 * Whether a process other than this one could still reach ctx: one that
 * has it mapped (nmappers counts them: forked children, processes that
 * used an fd of it) or holds an fd of its memfd (an exec'd image, one it
 * was sent to; seen through /proc/PID/fd). A process whose fds cannot be
 * read counts as one that could.
 */
static bool uio_ctx_reachable_elsewhere(const struct uio_ctx *ctx)
{
	struct uio_reach r = { ctx, uio_sys_getpid(), -1 };
	int proc = uio_sys_openat(AT_FDCWD, "/proc",
				  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool reach;

	if (__atomic_load_n(&ctx->nmappers, __ATOMIC_RELAXED) != 1 ||
	    proc < 0 || !ctx->file_ino) {
		if (proc >= 0)
			uio_sys_close(proc);
		return true;
	}
	reach = uio_dir_each_number(proc, uio_reach_pid, &r) != 0;
	uio_sys_close(proc);
	return reach;
}

/*
 * Below this many pinned pages the copies at exit cost less than looking
 * through /proc for another user of the context.
 */
#define UIO_EXIT_SCAN_PAGES 4096

static void uio_exit_one(struct uio_ctx *ctx, void *arg)
{
	bool exec = *(bool *)arg;
	struct uio_mm *mm;

	uio_dump_event(ctx, exec ? "exec" : "exit");
	for (mm = ctx->mms; mm; mm = mm->next)
		if (uio_mm_is_current(mm))
			break;
	/*
	 * At exit, when no other process can reach the context, its last
	 * close follows with this exit: nothing will read the pinned pages
	 * again, so they need not outlive this process (a VM's whole RAM).
	 * After exec the image keeps the fds it did not mark close-on-exec.
	 */
	if (mm && !exec && ctx->npinned >= UIO_EXIT_SCAN_PAGES &&
	    !uio_ctx_reachable_elsewhere(ctx))
		uio_dump_event(ctx, "exit-unreachable");
	else if (mm)
		uio_mm_release_all(ctx, mm);
	/* This process's mapping goes with it (a failed exec keeps it). */
	if (!exec)
		__atomic_sub_fetch(&ctx->nmappers, 1, __ATOMIC_RELAXED);
}

/*
 * A report from this thread while it is inside the core comes from code
 * the core did not call on purpose: a sanitizer's report (its own munmap),
 * a fault handler. The thread may hold a context's lock, which is not
 * recursive: skip the report rather than deadlock. The core itself never
 * changes the process's memory.
 */
static bool uio_report_reentered(void)
{
	return uio_core_entered();
}

/* exit() after _exit() wrappers etc.: one report per image. */
static bool uio_in_image_ending;

#define UIO_SHARED_CTX_MAX 256

struct uio_shared_ctxs {
	unsigned int n;
	bool cloexec_only;
	struct {
		uint64_t dev, ino;
	} file[UIO_SHARED_CTX_MAX];
};

/* Contexts another process maps too: its last close may be this exit. */
static void uio_note_shared_ctx(struct uio_ctx *ctx, void *arg)
{
	struct uio_shared_ctxs *s = arg;

	if (__atomic_load_n(&ctx->nmappers, __ATOMIC_RELAXED) > 1 &&
	    ctx->file_ino && s->n < UIO_SHARED_CTX_MAX) {
		s->file[s->n].dev = ctx->file_dev;
		s->file[s->n].ino = ctx->file_ino;
		s->n++;
	}
}

static int uio_close_shared_ctx_fd(long fd, void *arg)
{
	struct uio_shared_ctxs *s = arg;
	struct stat st;

	if (uio_sys_fstat((int)fd, &st))
		return 0;
	for (unsigned int i = 0; i < s->n; i++) {
		if ((uint64_t)st.st_ino != s->file[i].ino ||
		    (uint64_t)st.st_dev != s->file[i].dev)
			continue;
		if (s->cloexec_only &&
		    !(uio_sys_fcntl((int)fd, F_GETFD, NULL) & FD_CLOEXEC))
			return 0;
		uiommufd_close((int)fd);
		return 0;
	}
	return 0;
}

/*
 * The kernel closes this image's fds (all at exit, the close-on-exec ones
 * at exec) without a close() the preload layer sees. A context mapped by
 * another process too (a forked parent or child) may have its last open
 * file here: its parent closed its own fd while this child held a copy.
 * Each such fd gets the last-close check now, so the context is released
 * (or held by its files only) as the kernel releases it at this exit. A
 * context only this process maps keeps the shortcut of uio_exit_one.
 */
static void uio_ctx_fds_image_ending(bool cloexec_only)
{
	struct uio_shared_ctxs s;
	int dir;

	s.n = 0;
	s.cloexec_only = cloexec_only;
	uio_registry_for_each(uio_note_shared_ctx, &s);
	if (!s.n)
		return;
	dir = uio_sys_openat(AT_FDCWD, "/proc/self/fd",
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	uio_dir_each_number(dir, uio_close_shared_ctx_fd, &s);
	uio_sys_close(dir);
}

void uio_image_ending(bool exec)
{
	if (uio_registry_empty() || uio_in_image_ending ||
	    uio_report_reentered())
		return;
	uio_in_image_ending = true;
	uio_ctx_fds_image_ending(exec);
	if (uio_registry_empty())
		return;
	uio_registry_for_each(uio_exit_one, &exec);
}

UIO_EXPORT void uiommufd_memory_released(void *addr, size_t len)
{
	struct uio_range_arg r = { (uintptr_t)addr, len, 0 };

	if (!len || uio_registry_empty() || uio_report_reentered())
		return;
	uio_registry_for_each(uio_release_one, &r);
}

UIO_EXPORT void uiommufd_memory_moved(void *old_addr, size_t len,
				      void *new_addr)
{
	struct uio_range_arg r = { (uintptr_t)old_addr, len,
				   (uintptr_t)new_addr };

	if (!len || old_addr == new_addr || uio_registry_empty() ||
	    uio_report_reentered())
		return;
	uio_registry_for_each(uio_move_one, &r);
}

UIO_EXPORT void uiommufd_image_ending(void)
{
	/* Exit or exec, unknown: as exec, the safe one. */
	uio_image_ending(true);
}
