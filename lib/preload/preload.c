// SPDX-License-Identifier: MIT
/*
 * libuiommufd-preload.so: serves /dev/iommu to unmodified programs.
 *
 * A thin layer in the manner of umockdev's preload library: every glibc
 * entry point that can reach /dev/iommu or an iommufd fd is wrapped, the
 * wrapper decides in a few instructions whether the call is ours, and either
 * hands it to the static core (linked into this library) or passes it to the
 * next definition (dlsym RTLD_NEXT). No iommufd logic lives here.
 *
 * Handles are real kernel fds (the core's memfds), so dup, dup2, dup3,
 * fcntl(F_DUPFD*), fork, exec and SCM_RIGHTS work natively; this layer only
 * tells the core when an fd number stops meaning what it meant. errno is
 * left untouched on every success and pass-through path. Asynchronous
 * signals are blocked while the core runs, so a handler that itself calls
 * into /dev/iommu cannot deadlock on the lock its thread holds.
 */
/* Define open and open64 (etc.) as distinct symbols, as glibc exports them. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "debug.h"
#include "fdtable.h"
#include "file.h"
#include "path.h"
#include "trace.h"
#include "trap.h"
#include "uaccess.h"
#include "vfio.h"
#include "vfs.h"

#define EXPORT __attribute__((visibility("default")))

/* The device number reported for /dev/iommu: misc major, a fixed minor. */
#define UIO_IOMMU_MAJOR 10
#define UIO_IOMMU_MINOR 123
#define UIO_VFIO_MINOR 196

/* ------------------------------------------------------------------ */
/* the paths we serve */

struct served_path {
	const char *path;
	int (*open)(int flags);
	unsigned int major, minor;
};

/* /dev/vfio/vfio is the type1 container, served from a context too. */
static const struct served_path served_paths[] = {
	{ "/dev/iommu", uiommufd_open, UIO_IOMMU_MAJOR, UIO_IOMMU_MINOR },
	{ "/dev/vfio/vfio", uio_open_vfio_container, UIO_IOMMU_MAJOR,
	  UIO_VFIO_MINOR },
};

/*
 * The one table of what each fd of ours is and which layer serves it
 * (lib/kernel/file.h): contexts, fault queues and accesses of the core,
 * groups and devices of VFIO.
 */
static const struct uio_file_ops *const file_kinds[UIO_FILE_NKINDS - 1] = {
	[UIO_FILE_IOMMUFD - 1] = &uio_iommufd_fops,
	[UIO_FILE_FAULT - 1] = &uio_fault_fops,
	[UIO_FILE_ACCESS - 1] = &uio_access_fops,
	[UIO_FILE_VFIO_GROUP - 1] = &uio_vfio_group_fops,
	[UIO_FILE_VFIO_DEVICE - 1] = &uio_vfio_device_fops,
	[UIO_FILE_FAILNTH - 1] = &uio_failnth_fops,
};

/*
 * Normalise an absolute path lexically ("//", "/./", "/x/../") into out.
 * Returns false if it does not fit.
 */
static bool normalise(const char *in, char *out, size_t outsz)
{
	size_t n = 0;

	while (*in) {
		const char *seg;
		size_t len;

		while (*in == '/')
			in++;
		seg = in;
		while (*in && *in != '/')
			in++;
		len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
			continue;
		}
		if (n + 1 + len + 1 > outsz)
			return false;
		out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return true;
}

static const struct served_path *served(int dirfd, const char *path)
{
	char buf[512], norm[512];

	if (!path)
		return NULL;
	if (path[0] != '/') {
		/* Relative to the cwd only; other dirfds are never /dev. */
		if (dirfd != AT_FDCWD || !getcwd(buf, sizeof(buf)) ||
		    strlen(buf) + 1 + strlen(path) + 1 > sizeof(buf))
			return NULL;
		strcat(buf, "/");
		strcat(buf, path);
		path = buf;
	}
	if (!normalise(path, norm, sizeof(norm)))
		return NULL;
	for (size_t i = 0; i < sizeof(served_paths) / sizeof(served_paths[0]); i++)
		if (!strcmp(norm, served_paths[i].path))
			return &served_paths[i];
	return NULL;
}

/* The device number a redirected node shows. */
static bool vfio_node_rdev(int node, uint32_t index, unsigned int *major,
			   unsigned int *minor)
{
	struct uio_vfio_registry *r = uio_vfio_registry();

	if (!r || node == UIO_VFIO_NODE_NONE)
		return false;
	if (node == UIO_VFIO_NODE_GROUP) {
		*major = UIO_VFIO_GROUP_MAJOR;
		*minor = r->groups[index].number;
	} else {
		*major = UIO_VFIO_CDEV_MAJOR;
		*minor = r->devices[index].index;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* the next definitions */

#define REAL(ret, name, ...)                                         \
	static ret (*real_##name)(__VA_ARGS__);                      \
	static ret (*get_##name(void))(__VA_ARGS__)                  \
	{                                                            \
		if (!real_##name) {                                  \
			void *p = dlsym(RTLD_NEXT, #name);           \
			__atomic_store_n(&real_##name,               \
					 (ret(*)(__VA_ARGS__))p,     \
					 __ATOMIC_RELEASE);          \
		}                                                    \
		return real_##name;                                  \
	}

REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(int, __openat_2, int, const char *, int)
REAL(int, __openat64_2, int, const char *, int)
REAL(int, ioctl, int, unsigned long, ...)
REAL(int, dup2, int, int)
REAL(int, dup3, int, int, int)
REAL(int, close_range, unsigned int, unsigned int, int)
REAL(int, sigaction, int, const struct sigaction *, struct sigaction *)
REAL(sighandler_t, signal, int, sighandler_t)
REAL(int, stat, const char *, struct stat *)
REAL(int, lstat, const char *, struct stat *)
REAL(int, fstat, int, struct stat *)
REAL(int, fstatat, int, const char *, struct stat *, int)
REAL(int, stat64, const char *, struct stat64 *)
REAL(int, lstat64, const char *, struct stat64 *)
REAL(int, fstat64, int, struct stat64 *)
REAL(int, fstatat64, int, const char *, struct stat64 *, int)
REAL(int, __xstat, int, const char *, struct stat *)
REAL(int, __lxstat, int, const char *, struct stat *)
REAL(int, __fxstat, int, int, struct stat *)
REAL(int, __fxstatat, int, int, const char *, struct stat *, int)
REAL(int, __xstat64, int, const char *, struct stat64 *)
REAL(int, __lxstat64, int, const char *, struct stat64 *)
REAL(int, __fxstat64, int, int, struct stat64 *)
REAL(int, __fxstatat64, int, int, const char *, struct stat64 *, int)
REAL(int, statx, int, const char *, int, unsigned int, struct statx *)
REAL(ssize_t, getxattr, const char *, const char *, void *, size_t)
REAL(ssize_t, lgetxattr, const char *, const char *, void *, size_t)
REAL(ssize_t, listxattr, const char *, char *, size_t)
REAL(ssize_t, llistxattr, const char *, char *, size_t)
REAL(int, access, const char *, int)
REAL(void *, mmap, void *, size_t, int, int, int, off_t)
REAL(void *, mmap64, void *, size_t, int, int, int, off64_t)
REAL(int, munmap, void *, size_t)
REAL(void *, mremap, void *, size_t, size_t, int, ...)
REAL(int, madvise, void *, size_t, int)
REAL(ssize_t, read, int, void *, size_t)
REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, pread, int, void *, size_t, off_t)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pread64, int, void *, size_t, off64_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
REAL(off_t, lseek, int, off_t, int)
REAL(off64_t, lseek64, int, off64_t, int)
REAL(void, _exit, int)
REAL(void, _Exit, int)
REAL(int, execve, const char *, char *const[], char *const[])
REAL(int, execv, const char *, char *const[])
REAL(int, execvp, const char *, char *const[])
REAL(int, execvpe, const char *, char *const[], char *const[])
REAL(int, fexecve, int, char *const[], char *const[])
REAL(int, faccessat, int, const char *, int, int)
REAL(int, euidaccess, const char *, int)
REAL(int, eaccess, const char *, int)
REAL(ssize_t, readlinkat, int, const char *, char *, size_t)
REAL(DIR *, opendir, const char *)
REAL(FILE *, fopen, const char *, const char *)
REAL(FILE *, fopen64, const char *, const char *)
REAL(char *, realpath, const char *, char *)

/* ------------------------------------------------------------------ */
/* signal blocking around the core */

/*
 * Signals that have a handler in this process (bit sig - 1), other than
 * the fault signals. While there are none, no handler can run inside the
 * core and re-enter it, so the two system calls of blocking are skipped.
 * Kept by the sigaction() and signal() wrappers; handlers installed before
 * this library was initialised are found by preload_init().
 */
static _Atomic uint64_t handled_signals;

static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
	       sig == SIGILL || sig == SIGTRAP;
}

static void note_handler(int sig, const struct sigaction *act)
{
	uint64_t bit;

	if (!act || sig < 1 || sig > 64 || is_fault_signal(sig))
		return;
	bit = 1ull << (sig - 1);
	if (act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN)
		atomic_fetch_and(&handled_signals, ~bit);
	else
		atomic_fetch_or(&handled_signals, bit);
}

/* The mask to restore is stored in *old; its first word is ~0 if unused. */
static void block_async_signals(sigset_t *old)
{
	sigset_t all;

	if (!atomic_load_explicit(&handled_signals, memory_order_relaxed)) {
		memset(old, 0xff, sizeof(*old));
		return;
	}
	sigfillset(&all);
	/* Faults stay deliverable: user copies turn them into EFAULT. */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, old, 8);
}

static void restore_signals(const sigset_t *old)
{
	static const uint64_t unused = ~0ull;

	/* No real mask blocks every signal, SIGKILL included. */
	if (!memcmp(old, &unused, sizeof(unused)))
		return;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, 8);
}

/*
 * A file operation of ours, with asynchronous signals blocked and errno
 * kept on success: the result, or -1 with errno.
 */
#define FILE_OP(expr)                                                \
	({                                                           \
		sigset_t old_;                                       \
		long r_;                                             \
		int e_ = errno;                                      \
		block_async_signals(&old_);                          \
		r_ = (expr);                                         \
		restore_signals(&old_);                              \
		if (r_ < 0 && r_ > -4096) {                          \
			errno = (int)-r_;                            \
			r_ = -1;                                     \
		} else {                                             \
			errno = e_;                                  \
		}                                                    \
		r_;                                                  \
	})

/*
 * A file operation of ours as the trace sees it (lib/kernel/trace.h): its
 * decoders before and after, when tracing; one predictable branch if not.
 * TC describes the call (UIO_TRACE_*_CALL).
 */
#define TRACED(ops, TC, expr)                                        \
	({                                                           \
		long t_;                                             \
		if (uio_trace_maybe()) {                             \
			struct uio_trace_call tc_ = TC;              \
			uio_trace_before((ops)->trace, &tc_);        \
			t_ = (expr);                                 \
			uio_trace_after((ops)->trace, &tc_, t_);     \
		} else {                                             \
			t_ = (expr);                                 \
		}                                                    \
		t_;                                                  \
	})

/* ------------------------------------------------------------------ */
/* open */

static int open_served(const struct served_path *sp, int flags)
{
	sigset_t old;
	int saved = errno, fd;

	block_async_signals(&old);
	fd = sp->open(flags);
	if (fd < 0)
		saved = errno;
	restore_signals(&old);
	uio_debug(UIO_DEBUG_PATH, "%s: served by uiommufd as fd %d", sp->path, fd);
	errno = saved;
	return fd;
}

/* The optional mode argument of the variadic open family. */
#define MODE_ARG(flags)                                              \
	({                                                           \
		mode_t m_ = 0;                                       \
		if ((flags) & (O_CREAT | O_TMPFILE)) {               \
			va_list ap_;                                 \
			va_start(ap_, flags);                        \
			m_ = va_arg(ap_, mode_t);                    \
			va_end(ap_);                                 \
		}                                                    \
		m_;                                                  \
	})

/*
 * The real open of a VFIO node file returned fd: make it the group or
 * device file it is (lib/vfio), or refuse the open with its errno.
 */
static int adopt_node(int fd, int node, uint32_t index)
{
	sigset_t old;
	int e = errno, rc;

	if (fd < 0 || node == UIO_VFIO_NODE_NONE)
		return fd;
	uio_file_forget(fd);
	block_async_signals(&old);
	rc = uio_vfio_adopt(fd, node, index);
	if (rc)
		syscall(SYS_close, fd);
	restore_signals(&old);
	if (rc) {
		errno = -rc;
		return -1;
	}
	errno = e;
	return fd;
}

/*
 * Where an open of path really goes (lib/preload/path.c): the run
 * directory's file or the host's; *node tells what an open of a VFIO node
 * file must become (lib/vfio).
 */
static const char *open_redirect(int dirfd, const char *path, char *buf,
				 size_t len, int *node, uint32_t *index)
{
	const char *p = uio_path_redirect(dirfd, path, buf, len);
	struct uio_vfio_registry *r;

	*node = UIO_VFIO_NODE_NONE;
	if (p != path && uio_path_redirected() && (r = uio_vfio_registry()))
		*node = uio_vfio_node_path(r, p, index);
	if (*node == UIO_VFIO_NODE_NONE && p != path && strstr(p, "/dev/vfio/") && !strstr(p, "/dev/vfio/vfio"))
		uio_debug(UIO_DEBUG_VFIO, "%s: no emulated group or device of that name", path);
	return p;
}

/* The same when the caller only needs the path. */
static const char *path_redirect(int dirfd, const char *path, char *buf,
				 size_t len)
{
	uint32_t index;
	int node;

	return open_redirect(dirfd, path, buf, len, &node, &index);
}

/* One body for the opens: served path, a VFIO node, or the real one. */
#define OPEN_BODY(dirfd, path, flags, mode_expr, ...)                       \
	do {                                                                \
		const struct served_path *sp_ = served(dirfd, path);        \
		mode_t mode = mode_expr;                                    \
		char rbuf_[PATH_MAX];                                       \
		uint32_t nidx_;                                             \
		int32_t tid_;                                               \
		int node_, fd_;                                             \
		(void)mode;                                                 \
		if (sp_)                                                    \
			return open_served(sp_, flags);                     \
		if (dirfd == AT_FDCWD && uio_failnth_path(path, &tid_))     \
			return (int)FILE_OP(uio_failnth_open(tid_, flags)); \
		path = open_redirect(dirfd, path, rbuf_, sizeof(rbuf_),     \
				     &node_, &nidx_);                       \
		fd_ = __VA_ARGS__;                                          \
		if (fd_ >= 0)                                               \
			uio_path_opened(fd_);                               \
		return adopt_node(fd_, node_, nidx_);                       \
	} while (0)

EXPORT int open(const char *path, int flags, ...)
{
	OPEN_BODY(AT_FDCWD, path, flags, MODE_ARG(flags), get_open()(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_BODY(AT_FDCWD, path, flags, MODE_ARG(flags), get_open64()(path, flags, mode));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(dirfd, path, flags, MODE_ARG(flags), get_openat()(dirfd, path, flags, mode));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(dirfd, path, flags, MODE_ARG(flags), get_openat64()(dirfd, path, flags, mode));
}

/* The _FORTIFY_SOURCE entry points (no mode: no O_CREAT). */
EXPORT int __open_2(const char *path, int flags)
{
	OPEN_BODY(AT_FDCWD, path, flags, 0, get___open_2()(path, flags));
}

EXPORT int __open64_2(const char *path, int flags)
{
	OPEN_BODY(AT_FDCWD, path, flags, 0, get___open64_2()(path, flags));
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(dirfd, path, flags, 0, get___openat_2()(dirfd, path, flags));
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	OPEN_BODY(dirfd, path, flags, 0, get___openat64_2()(dirfd, path, flags));
}

/* ------------------------------------------------------------------ */
/* ioctl */

/* The file operations of fd if it is one of ours (one table lookup). */
static const struct uio_file_ops *file_of(int fd, uint32_t *idx)
{
	int e = errno;
	const struct uio_file_ops *ops = uio_file_get(fd, idx);

	errno = e;
	return ops;
}

/* ioctl_fioasync(): no file of ours has fasync: a change is ENOTTY. */
static long fioasync(int fd, void *arg)
{
	long fl = syscall(SYS_fcntl, fd, F_GETFL);
	int on;

	if (uio_copy_from_user(&on, arg, sizeof(on)))
		return -EFAULT;
	if (fl < 0)
		return -errno;
	return (!!on != !!(fl & O_ASYNC)) ? -ENOTTY : 0;
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	const struct uio_file_ops *ops;
	va_list ap;
	uint32_t idx;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	ops = file_of(fd, &idx);
	if (!ops)
		return get_ioctl()(fd, request, arg);
	/*
	 * do_vfs_ioctl() serves these before the file's own ioctl: they are
	 * about the fd and the open file, which are real ones here.
	 */
	switch (request) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
		return get_ioctl()(fd, request, arg);
	case FIOASYNC:
		return (int)FILE_OP(fioasync(fd, arg));
	}
	/* Every other command on a file of ours is ours, as the kernel's
	 * fops are. */
	return (int)FILE_OP(TRACED(ops, UIO_TRACE_IOCTL_CALL(fd, idx, request, arg),
				   ops->ioctl ? ops->ioctl(fd, idx, request, arg) :
						-ENOTTY));
}

/* ------------------------------------------------------------------ */
/* fd lifetime */

EXPORT int close(int fd)
{
	const struct uio_file_ops *ops;
	uint32_t idx;

	uio_path_closed(fd);
	/* Contexts, fault queues, accesses, VFIO groups and devices. */
	ops = file_of(fd, &idx);
	if (ops && ops->close) {
		uio_file_forget(fd);
		return (int)FILE_OP(ops->close(fd, idx));
	}
	/* Not ours: the core still forgets the number and closes it. */
	return (int)FILE_OP(uiommufd_close(fd) ? -errno : 0);
}

/*
 * dup2/dup3 close newfd implicitly. When newfd is a file of ours, that may
 * be its last reference: close it through its file operations first (only
 * if the real call would go ahead: oldfd valid and different).
 */
static void close_replaced_file(int oldfd, int newfd)
{
	const struct uio_file_ops *ops;
	uint32_t idx;
	int e = errno;

	if (oldfd != newfd && syscall(SYS_fcntl, oldfd, F_GETFD) >= 0 &&
	    (ops = file_of(newfd, &idx)) && ops->close) {
		uio_file_forget(newfd);
		FILE_OP(ops->close(newfd, idx));
	}
	errno = e;
}

EXPORT int dup2(int oldfd, int newfd)
{
	int rc;

	close_replaced_file(oldfd, newfd);
	if (oldfd != newfd)
		uio_file_forget(newfd);
	rc = get_dup2()(oldfd, newfd);
	if (rc >= 0) {
		uio_file_forget(newfd);
		uio_path_dup(oldfd, newfd);
	}
	return rc;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int rc;

	close_replaced_file(oldfd, newfd);
	if (oldfd != newfd)
		uio_file_forget(newfd);
	rc = get_dup3()(oldfd, newfd, flags);
	if (rc >= 0) {
		uio_file_forget(newfd);
		uio_path_dup(oldfd, newfd);
	}
	return rc;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

EXPORT int close_range(unsigned int lo, unsigned int hi, int flags)
{
	int (*real)(unsigned int, unsigned int, int) = get_close_range();
	unsigned int top;
	int rc;

	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		/* Close our files first, so a last reference is noticed. */
		top = hi < UIO_FILE_SLOTS - 1 ? hi : UIO_FILE_SLOTS - 1;
		for (unsigned int fd = lo; fd <= top && lo <= top; fd++) {
			uint32_t v = uio_file_peek((int)fd), idx;
			const struct uio_file_ops *ops;

			if (v == UIO_FILE_NOT_OURS ||
			    (v == UIO_FILE_UNKNOWN &&
			     syscall(SYS_fcntl, fd, F_GETFD) < 0))
				continue;
			ops = file_of((int)fd, &idx);
			if (ops && ops->close)
				close((int)fd);
		}
	}
	if (real)
		rc = real(lo, hi, flags);
	else
		rc = (int)syscall(SYS_close_range, lo, hi, flags);
	if (rc == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		uio_file_forget_range(lo, hi);
	return rc;
}

/* ------------------------------------------------------------------ */
/* fault signals stay ours; the program's handler is chained */

EXPORT int sigaction(int sig, const struct sigaction *act,
		     struct sigaction *oldact)
{
	if (sig == SIGSEGV || sig == SIGBUS) {
		int rc = uio_uaccess_sigaction(sig, act, oldact);

		if (rc) {
			errno = -rc;
			return -1;
		}
		return 0;
	}
	if (get_sigaction()(sig, act, oldact))
		return -1;
	note_handler(sig, act);
	return 0;
}

/* signal(): BSD semantics, as glibc's. */
EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	if (sig == SIGSEGV || sig == SIGBUS) {
		struct sigaction sa, old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, sig);
		if (sigaction(sig, &sa, &old))
			return SIG_ERR;
		return old.sa_handler;
	}
	{
		sighandler_t old = get_signal()(sig, handler);
		struct sigaction sa = { .sa_handler = handler };

		if (old != SIG_ERR)
			note_handler(sig, &sa);
		return old;
	}
}

/* ------------------------------------------------------------------ */
/* stat and access of the device node */

static void fill_stat(struct stat *st, unsigned int major, unsigned int minor)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0660;
	st->st_rdev = makedev(major, minor);
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_dev = makedev(0, 5);
}

static void fill_stat64(struct stat64 *st, unsigned int major,
			unsigned int minor)
{
	struct stat s;

	fill_stat(&s, major, minor);
	memset(st, 0, sizeof(*st));
	st->st_mode = s.st_mode;
	st->st_rdev = s.st_rdev;
	st->st_nlink = s.st_nlink;
	st->st_blksize = s.st_blksize;
	st->st_dev = s.st_dev;
}

/*
 * A path of ours: a served device (true, with its number), else the path
 * to use (a VFIO node or directory of the run directory, sysfs, itself).
 */
static bool path_rdev(int dirfd, const char **path, char *buf, size_t len,
		      unsigned int *major, unsigned int *minor)
{
	const struct served_path *sp = served(dirfd, *path);
	uint32_t index;
	int node;

	if (sp) {
		*major = sp->major;
		*minor = sp->minor;
		return true;
	}
	*path = open_redirect(dirfd, *path, buf, len, &node, &index);
	return vfio_node_rdev(node, index, major, minor);
}

/* A stat of a redirected path looks like sysfs's (path.c). */
static int stat_done(int rc, void *st)
{
	if (rc == 0)
		uio_path_fix_stat(st);
	return rc;
}

_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
	       "struct stat64 is struct stat");

#define STAT_PATH(name, st_t, fill, ...)                                    \
	do {                                                                \
		char rbuf_[PATH_MAX];                                       \
		unsigned int ma_, mi_;                                      \
		if (path_rdev(AT_FDCWD, &path, rbuf_, sizeof(rbuf_), &ma_,  \
			      &mi_)) {                                      \
			fill(st, ma_, mi_);                                 \
			return 0;                                           \
		}                                                           \
		return stat_done(get_##name()(__VA_ARGS__), st);            \
	} while (0)

/* The device number an fd of ours shows (false if it is not ours). */
static bool fd_rdev(int fd, unsigned int *major, unsigned int *minor)
{
	const struct uio_file_ops *ops;
	uint32_t idx;

	ops = file_of(fd, &idx);
	if (!ops || !ops->rdev)
		return false;
	ops->rdev(fd, idx, major, minor);
	return true;
}

EXPORT int stat(const char *path, struct stat *st)
{
	STAT_PATH(stat, struct stat, fill_stat, path, st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	STAT_PATH(lstat, struct stat, fill_stat, path, st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	STAT_PATH(stat64, struct stat64, fill_stat64, path, st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	STAT_PATH(lstat64, struct stat64, fill_stat64, path, st);
}

EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(__xstat, struct stat, fill_stat, ver, path, st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	STAT_PATH(__lxstat, struct stat, fill_stat, ver, path, st);
}

EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(__xstat64, struct stat64, fill_stat64, ver, path, st);
}

EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	STAT_PATH(__lxstat64, struct stat64, fill_stat64, ver, path, st);
}

EXPORT int fstat(int fd, struct stat *st)
{
	unsigned int ma, mi;

	if (fd_rdev(fd, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	return get_fstat()(fd, st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	unsigned int ma, mi;

	if (fd_rdev(fd, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	return get_fstat64()(fd, st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	unsigned int ma, mi;

	if (fd_rdev(fd, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	return get___fxstat()(ver, fd, st);
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	unsigned int ma, mi;

	if (fd_rdev(fd, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	return get___fxstat64()(ver, fd, st);
}

/*
 * fstatat(fd, "", st, AT_EMPTY_PATH) is fstat(fd): ours, with its number?
 * Else a path of ours, or the path to use in *path.
 */
static bool at_rdev(int dirfd, const char **path, char *buf, size_t len,
		    int flags, unsigned int *major, unsigned int *minor)
{
	if ((flags & AT_EMPTY_PATH) && *path && !(*path)[0])
		return fd_rdev(dirfd, major, minor);
	return path_rdev(dirfd, path, buf, len, major, minor);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[PATH_MAX];

	if (at_rdev(dirfd, &path, rbuf, sizeof(rbuf), flags, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	return stat_done(get_fstatat()(dirfd, path, st, flags), st);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[PATH_MAX];

	if (at_rdev(dirfd, &path, rbuf, sizeof(rbuf), flags, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	return stat_done(get_fstatat64()(dirfd, path, st, flags), st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
		      int flags)
{
	unsigned int ma, mi;
	char rbuf[PATH_MAX];

	if (at_rdev(dirfd, &path, rbuf, sizeof(rbuf), flags, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	return stat_done(get___fxstatat()(ver, dirfd, path, st, flags), st);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			struct stat64 *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[PATH_MAX];

	if (at_rdev(dirfd, &path, rbuf, sizeof(rbuf), flags, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	return stat_done(get___fxstatat64()(ver, dirfd, path, st, flags), st);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		 struct statx *stx)
{
	unsigned int ma, mi;
	char rbuf[PATH_MAX];

	if (at_rdev(dirfd, &path, rbuf, sizeof(rbuf), flags, &ma, &mi)) {
		memset(stx, 0, sizeof(*stx));
		stx->stx_mask = STATX_BASIC_STATS;
		stx->stx_mode = S_IFCHR | 0660;
		stx->stx_nlink = 1;
		stx->stx_blksize = 4096;
		stx->stx_rdev_major = ma;
		stx->stx_rdev_minor = mi;
		stx->stx_dev_minor = 5;
		return 0;
	}
	if (get_statx()(dirfd, path, flags, mask, stx))
		return -1;
	uio_path_fix_statx(stx);
	return 0;
}

EXPORT int access(const char *path, int mode)
{
	char rbuf[PATH_MAX];

	if (served(AT_FDCWD, path))
		return 0;
	return get_access()(path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char rbuf[PATH_MAX];

	if (served(dirfd, path))
		return 0;
	path = path_redirect(dirfd, path, rbuf, sizeof(rbuf));
	return get_faccessat()(dirfd, path, mode, flags);
}

EXPORT int euidaccess(const char *path, int mode)
{
	char rbuf[PATH_MAX];

	if (served(AT_FDCWD, path))
		return 0;
	return get_euidaccess()(path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), mode);
}

EXPORT int eaccess(const char *path, int mode)
{
	char rbuf[PATH_MAX];

	if (served(AT_FDCWD, path))
		return 0;
	return get_eaccess()(path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), mode);
}

/* ------------------------------------------------------------------ */
/*
 * Paths of the emulated tree. uio_path_redirect() (path.c) decides where
 * each path goes; these wrappers apply it, turn paths under RUNDIR back
 * into the names the program knows (getcwd, realpath, readlink), and make
 * directory listings show the host's entry types.
 */

REAL(DIR *, fdopendir, int)
REAL(int, dup, int)
REAL(int, fcntl, int, int, ...)
REAL(int, fcntl64, int, int, ...)
REAL(int, closedir, DIR *)
REAL(struct dirent *, readdir, DIR *)
REAL(struct dirent64 *, readdir64, DIR *)
REAL(FILE *, freopen, const char *, const char *, FILE *)
REAL(FILE *, freopen64, const char *, const char *, FILE *)
REAL(char *, canonicalize_file_name, const char *)
REAL(int, chdir, const char *)
REAL(int, fchdir, int)
REAL(char *, getcwd, char *, size_t)
REAL(char *, get_current_dir_name, void)
REAL(ssize_t, fgetxattr, int, const char *, void *, size_t)
REAL(ssize_t, flistxattr, int, char *, size_t)
REAL(int, statfs, const char *, struct statfs *)
REAL(int, statfs64, const char *, struct statfs64 *)
REAL(int, statvfs, const char *, struct statvfs *)
REAL(int, statvfs64, const char *, struct statvfs64 *)
REAL(int, glob, const char *, int, int (*)(const char *, int), glob_t *)
REAL(int, glob64, const char *, int, int (*)(const char *, int), glob64_t *)
REAL(int, scandir, const char *, struct dirent ***,
     int (*)(const struct dirent *),
     int (*)(const struct dirent **, const struct dirent **))
REAL(int, scandir64, const char *, struct dirent64 ***,
     int (*)(const struct dirent64 *),
     int (*)(const struct dirent64 **, const struct dirent64 **))
REAL(int, scandirat, int, const char *, struct dirent ***,
     int (*)(const struct dirent *),
     int (*)(const struct dirent **, const struct dirent **))
REAL(int, scandirat64, int, const char *, struct dirent64 ***,
     int (*)(const struct dirent64 *),
     int (*)(const struct dirent64 **, const struct dirent64 **))

/* Copies of a directory fd (fts makes them) are looked up below as it is. */
EXPORT int dup(int fd)
{
	int rc = get_dup()(fd);

	if (rc >= 0)
		uio_path_dup(fd, rc);
	return rc;
}

#define FCNTL_BODY(real)                                                 \
	do {                                                             \
		va_list ap_;                                             \
		void *arg_;                                              \
		int rc_;                                                 \
		va_start(ap_, cmd);                                      \
		arg_ = va_arg(ap_, void *);                              \
		va_end(ap_);                                             \
		rc_ = real(fd, cmd, arg_);                               \
		if (rc_ >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) \
			uio_path_dup(fd, rc_);                           \
		return rc_;                                              \
	} while (0)

EXPORT int fcntl(int fd, int cmd, ...)
{
	FCNTL_BODY(get_fcntl());
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	FCNTL_BODY(get_fcntl64());
}

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64),
	       "struct dirent64 is struct dirent");

static void chk_fail(void);

/* readlink into a bounce buffer, the target's RUNDIR prefix removed. */
static ssize_t readlink_unmapped(int dirfd, const char *path, char *buf,
				 size_t len)
{
	char tmp[PATH_MAX];
	ssize_t n;

	if (!len || !uio_path_active())
		return get_readlinkat()(dirfd, path, buf, len);
	n = get_readlinkat()(dirfd, path, tmp, sizeof(tmp) - 1);
	if (n < 0)
		return n;
	tmp[n] = 0;
	uio_path_unmap(tmp);
	n = (ssize_t)strlen(tmp);
	if ((size_t)n > len)
		n = (ssize_t)len;
	memcpy(buf, tmp, (size_t)n);
	return n;
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	char rbuf[PATH_MAX];

	path = uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf));
	return readlink_unmapped(AT_FDCWD, path, buf, len);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	char rbuf[PATH_MAX];

	path = uio_path_redirect(dirfd, path, rbuf, sizeof(rbuf));
	return readlink_unmapped(dirfd, path, buf, len);
}

EXPORT DIR *opendir(const char *path)
{
	char rbuf[PATH_MAX];
	const char *used = uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf));
	DIR *d = get_opendir()(used);

	if (d) {
		uio_path_opened(dirfd(d));
		uio_path_dir_opened(d, used);
	}
	return d;
}

EXPORT DIR *fdopendir(int fd)
{
	DIR *d = get_fdopendir()(fd);

	if (d)
		uio_path_fdir_opened(d, fd);
	return d;
}

EXPORT int closedir(DIR *d)
{
	uio_path_closed(dirfd(d));
	uio_path_dir_closed(d);
	return get_closedir()(d);
}

EXPORT struct dirent *readdir(DIR *d)
{
	struct dirent *e = get_readdir()(d);

	if (e)
		uio_path_dirent(d, e);
	return e;
}

EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct dirent64 *e = get_readdir64()(d);

	if (e)
		uio_path_dirent(d, (struct dirent *)(void *)e);
	return e;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	char rbuf[PATH_MAX];

	return get_fopen()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)),
			   mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	char rbuf[PATH_MAX];

	return get_fopen64()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)),
			     mode);
}

EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
	char rbuf[PATH_MAX];

	return get_freopen()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)),
			     mode, f);
}

EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
	char rbuf[PATH_MAX];

	return get_freopen64()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)),
			       mode, f);
}

EXPORT char *realpath(const char *path, char *resolved)
{
	char rbuf[PATH_MAX];

	path = uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf));
	return uio_path_unmap(get_realpath()(path, resolved));
}

EXPORT char *canonicalize_file_name(const char *path)
{
	char rbuf[PATH_MAX];

	path = uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf));
	return uio_path_unmap(get_canonicalize_file_name()(path));
}

/* The cwd may be inside RUNDIR: chdir goes there, getcwd names it as known. */
EXPORT int chdir(const char *path)
{
	char rbuf[PATH_MAX];
	int rc;

	rc = get_chdir()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)));
	if (!rc)
		uio_path_cwd_changed();
	return rc;
}

EXPORT int fchdir(int fd)
{
	int rc = get_fchdir()(fd);

	if (!rc)
		uio_path_cwd_changed();
	return rc;
}

EXPORT char *getcwd(char *buf, size_t size)
{
	return uio_path_unmap(get_getcwd()(buf, size));
}

EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		chk_fail();
	return getcwd(buf, size);
}

EXPORT char *get_current_dir_name(void)
{
	return uio_path_unmap(get_get_current_dir_name()());
}

/*
 * No extended attributes on the served nodes and the emulated tree (ls -l
 * asks for security labels and ACLs), as on sysfs.
 */
static bool no_xattrs(const char **path, char *rbuf, size_t len)
{
	if (served(AT_FDCWD, *path))
		return true;
	*path = uio_path_redirect(AT_FDCWD, *path, rbuf, len);
	return uio_path_redirected();
}

EXPORT ssize_t getxattr(const char *path, const char *name, void *value,
			size_t size)
{
	char rbuf[PATH_MAX];

	if (no_xattrs(&path, rbuf, sizeof(rbuf))) {
		errno = ENODATA;
		return -1;
	}
	return get_getxattr()(path, name, value, size);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value,
			 size_t size)
{
	char rbuf[PATH_MAX];

	if (no_xattrs(&path, rbuf, sizeof(rbuf))) {
		errno = ENODATA;
		return -1;
	}
	return get_lgetxattr()(path, name, value, size);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	char rbuf[PATH_MAX];

	return no_xattrs(&path, rbuf, sizeof(rbuf)) ? 0 :
						     get_listxattr()(path, list, size);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	char rbuf[PATH_MAX];

	return no_xattrs(&path, rbuf, sizeof(rbuf)) ? 0 :
						     get_llistxattr()(path, list, size);
}

EXPORT ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
	if (uio_path_active() && uio_path_fd_in_rundir(fd)) {
		errno = ENODATA;
		return -1;
	}
	return get_fgetxattr()(fd, name, value, size);
}

EXPORT ssize_t flistxattr(int fd, char *list, size_t size)
{
	if (uio_path_active() && uio_path_fd_in_rundir(fd))
		return 0;
	return get_flistxattr()(fd, list, size);
}

/* statfs: the tree is sysfs, debugfs or devtmpfs, as its place says. */
EXPORT int statfs(const char *path, struct statfs *buf)
{
	char rbuf[PATH_MAX];
	int rc;

	rc = get_statfs()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), buf);
	if (!rc && uio_path_fs_magic())
		buf->f_type = uio_path_fs_magic();
	return rc;
}

EXPORT int statfs64(const char *path, struct statfs64 *buf)
{
	char rbuf[PATH_MAX];
	int rc;

	rc = get_statfs64()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), buf);
	if (!rc && uio_path_fs_magic())
		buf->f_type = uio_path_fs_magic();
	return rc;
}

EXPORT int statvfs(const char *path, struct statvfs *buf)
{
	char rbuf[PATH_MAX];

	return get_statvfs()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)), buf);
}

EXPORT int statvfs64(const char *path, struct statvfs64 *buf)
{
	char rbuf[PATH_MAX];

	return get_statvfs64()(uio_path_redirect(AT_FDCWD, path, rbuf, sizeof(rbuf)),
			       buf);
}

/*
 * glob and scandir reach opendir and readdir inside libc, past the
 * wrappers: glob is given them as GLOB_ALTDIRFUNC, scandir is done here.
 */
static void *glob_opendir(const char *path)
{
	return opendir(path);
}

static struct dirent *glob_readdir(void *d)
{
	return readdir(d);
}

static struct dirent64 *glob_readdir64(void *d)
{
	return readdir64(d);
}

static void glob_closedir(void *d)
{
	closedir(d);
}

static int glob_stat(const char *path, struct stat *st)
{
	return stat(path, st);
}

static int glob_lstat(const char *path, struct stat *st)
{
	return lstat(path, st);
}

static int glob_stat64(const char *path, struct stat64 *st)
{
	return stat64(path, st);
}

static int glob_lstat64(const char *path, struct stat64 *st)
{
	return lstat64(path, st);
}

EXPORT int glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
		glob_t *g)
{
	if (uio_path_active() && !(flags & GLOB_ALTDIRFUNC)) {
		g->gl_opendir = glob_opendir;
		g->gl_readdir = glob_readdir;
		g->gl_closedir = glob_closedir;
		g->gl_stat = glob_stat;
		g->gl_lstat = glob_lstat;
		flags |= GLOB_ALTDIRFUNC;
	}
	return get_glob()(pattern, flags, errfunc, g);
}

EXPORT int glob64(const char *pattern, int flags,
		  int (*errfunc)(const char *, int), glob64_t *g)
{
	if (uio_path_active() && !(flags & GLOB_ALTDIRFUNC)) {
		g->gl_opendir = glob_opendir;
		g->gl_readdir = glob_readdir64;
		g->gl_closedir = glob_closedir;
		g->gl_stat = glob_stat64;
		g->gl_lstat = glob_lstat64;
		flags |= GLOB_ALTDIRFUNC;
	}
	return get_glob64()(pattern, flags, errfunc, g);
}

typedef int (*scan_filter_fn)(const struct dirent *);
typedef int (*scan_compar_fn)(const struct dirent **, const struct dirent **);

/* scandir's body on an open stream, which it closes. */
static int scan(DIR *d, struct dirent ***namelist, scan_filter_fn filter,
		scan_compar_fn compar)
{
	struct dirent **list = NULL, *e;
	size_t n = 0, cap = 0;
	int saved = errno, err = 0;

	for (;;) {
		struct dirent *copy, **grown;
		size_t sz;

		errno = 0;
		e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (filter && !filter(e))
			continue;
		sz = offsetof(struct dirent, d_name) + strlen(e->d_name) + 1;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				err = ENOMEM;
				break;
			}
			list = grown;
		}
		copy = malloc(sz);
		if (!copy) {
			err = ENOMEM;
			break;
		}
		memcpy(copy, e, sz);
		copy->d_reclen = (unsigned short)sz;
		list[n++] = copy;
	}
	closedir(d);
	if (err) {
		while (n)
			free(list[--n]);
		free(list);
		errno = err;
		return -1;
	}
	if (compar && n > 1)
		qsort(list, n, sizeof(*list), (int (*)(const void *, const void *))compar);
	*namelist = list;
	errno = saved;
	return (int)n;
}

static int scan_at(int dirfd, const char *path, struct dirent ***namelist,
		   scan_filter_fn filter, scan_compar_fn compar)
{
	DIR *d;

	if (dirfd == AT_FDCWD) {
		d = opendir(path);
	} else {
		int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		d = fd < 0 ? NULL : fdopendir(fd);
		if (fd >= 0 && !d) {
			int e = errno;

			close(fd);
			errno = e;
		}
	}
	return d ? scan(d, namelist, filter, compar) : -1;
}

EXPORT int scandir(const char *path, struct dirent ***namelist,
		   scan_filter_fn filter, scan_compar_fn compar)
{
	if (!uio_path_active())
		return get_scandir()(path, namelist, filter, compar);
	return scan_at(AT_FDCWD, path, namelist, filter, compar);
}

EXPORT int scandir64(const char *path, struct dirent64 ***namelist,
		     int (*filter)(const struct dirent64 *),
		     int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	if (!uio_path_active())
		return get_scandir64()(path, namelist, filter, compar);
	return scan_at(AT_FDCWD, path, (struct dirent ***)(void *)namelist,
		       (scan_filter_fn)(void *)filter, (scan_compar_fn)(void *)compar);
}

EXPORT int scandirat(int dirfd, const char *path, struct dirent ***namelist,
		     scan_filter_fn filter, scan_compar_fn compar)
{
	if (!uio_path_active())
		return get_scandirat()(dirfd, path, namelist, filter, compar);
	return scan_at(dirfd, path, namelist, filter, compar);
}

EXPORT int scandirat64(int dirfd, const char *path, struct dirent64 ***namelist,
		       int (*filter)(const struct dirent64 *),
		       int (*compar)(const struct dirent64 **,
				     const struct dirent64 **))
{
	if (!uio_path_active())
		return get_scandirat64()(dirfd, path, namelist, filter, compar);
	return scan_at(dirfd, path, (struct dirent ***)(void *)namelist,
		       (scan_filter_fn)(void *)filter, (scan_compar_fn)(void *)compar);
}

/* ------------------------------------------------------------------ */
/* the process's memory: pins outlive it (the core's hooks.c) */

static void report_released(void *addr, size_t len)
{
	sigset_t old;
	int e = errno;

	block_async_signals(&old);
	uiommufd_memory_released(addr, len);
	restore_signals(&old);
	errno = e;
}

static void report_image_ending_as(bool exec)
{
	sigset_t old;
	int e = errno;

	block_async_signals(&old);
	uio_access_fds_image_ending(exec);
	uio_fault_fds_image_ending(exec);
	uio_image_ending(exec);
	restore_signals(&old);
	errno = e;
}

/*
 * Trapped ranges (mapped BARs) in [addr, addr + len) go: a mapping whose
 * last piece goes lets go of its device file (which may release the
 * device), so asynchronous signals are blocked as around a file operation.
 */
static void trap_remove(void *addr, size_t len)
{
	sigset_t old;
	int e = errno;

	if (!uio_trap_covers(addr, len))
		return;
	block_async_signals(&old);
	uio_trap_remove(addr, len);
	restore_signals(&old);
	errno = e;
}

EXPORT int munmap(void *addr, size_t len)
{
	report_released(addr, len);
	trap_remove(addr, len);
	return get_munmap()(addr, len);
}

/* path_noexec() of a file of ours, for mmap's PROT_EXEC. */
static bool file_noexec(const struct uio_file_ops *ops, uint32_t idx)
{
	/* Fault queues and accesses are anonymous inodes, fail-nth in /proc. */
	if (ops == &uio_fault_fops || ops == &uio_access_fops ||
	    ops == &uio_failnth_fops)
		return true;
	if (ops == &uio_vfio_device_fops)
		return uio_vfio_device_noexec(idx);
	return uio_vfs_dev_noexec();
}

/*
 * The mmap system call on a file of ours: the VFS's checks (nothing is
 * touched when they fail), then, for MAP_FIXED, what was mapped in the
 * range goes (pins saved, traps removed), then the file's mmap; failing
 * there leaves a hole where the old mapping was, as 6.12's mmap_region.
 */
static long mmap_ours(const struct uio_file_ops *ops, int fd, uint32_t idx,
		      void *addr, size_t len, int prot, int flags, uint64_t off)
{
	long f = uio_vfs_mmap_check(fd, addr, len, prot, flags, off, ops->mmap != NULL,
				    file_noexec(ops, idx));
	long r;

	if (f < 0)
		return f;
	if (f & MAP_FIXED) {
		report_released(addr, len);
		uio_trap_remove(addr, len);
	}
	r = ops->mmap(fd, idx, addr, len, prot, (int)f, off);
	if (r < 0 && (f & MAP_FIXED))
		syscall(SYS_munmap, addr, len);
	return r;
}

/*
 * mmap of a file of ours (a VFIO device's BAR): its file operation, with
 * MAP_FAILED and errno as the kernel's would. *ours tells if it was one.
 */
static void *mmap_file(void *addr, size_t len, int prot, int flags, int fd,
		       uint64_t off, bool *ours)
{
	const struct uio_file_ops *ops;
	uint32_t idx;
	long r;

	*ours = false;
	if ((flags & MAP_ANONYMOUS) || fd < 0 || !(ops = file_of(fd, &idx)))
		return NULL;
	*ours = true;
	r = FILE_OP(TRACED(ops, UIO_TRACE_MMAP_CALL(fd, idx, addr, len, prot, flags, off),
			   mmap_ours(ops, fd, idx, addr, len, prot, flags, off)));
	return r == -1 ? MAP_FAILED : (void *)r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	bool ours;
	void *p = mmap_file(addr, len, prot, flags, fd, (uint64_t)off, &ours);

	if (ours)
		return p;
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE)) {
		report_released(addr, len);
		trap_remove(addr, len);
	}
	return get_mmap()(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off64_t off)
{
	bool ours;
	void *p = mmap_file(addr, len, prot, flags, fd, (uint64_t)off, &ours);

	if (ours)
		return p;
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE)) {
		report_released(addr, len);
		trap_remove(addr, len);
	}
	return get_mmap64()(addr, len, prot, flags, fd, off);
}

EXPORT void *mremap(void *old_addr, size_t old_len, size_t new_len,
		    int flags, ...)
{
	void *new_addr = NULL, *rc;
	va_list ap;

	bool trapped;
	long r;
	sigset_t mask;
	int e = errno;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
		/* What was at the target is replaced. */
		report_released(new_addr, new_len);
	}
	/* A shrink gives up the tail. */
	if (new_len < old_len)
		report_released((char *)old_addr + new_len, old_len - new_len);
	/* A mapped BAR is remapped as the kernel remaps a device's PFN map. */
	block_async_signals(&mask);
	r = uio_trap_mremap(old_addr, old_len, new_len, flags, new_addr, &trapped);
	restore_signals(&mask);
	if (trapped) {
		if (r < 0 && r > -4096) {
			errno = (int)-r;
			return MAP_FAILED;
		}
		errno = e;
		rc = (void *)r;
	} else {
		if (flags & MREMAP_FIXED)
			trap_remove(new_addr, new_len);
		rc = get_mremap()(old_addr, old_len, new_len, flags, new_addr);
	}
	if (rc != MAP_FAILED && rc != old_addr) {
		sigset_t old;
		int e = errno;

		block_async_signals(&old);
		uiommufd_memory_moved(old_addr,
				      old_len < new_len ? old_len : new_len, rc);
		restore_signals(&old);
		errno = e;
	}
	return rc;
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	/* Advice that throws the pages away; a pinned page would stay. */
	if (advice == MADV_DONTNEED || advice == MADV_FREE ||
	    advice == MADV_REMOVE || advice == 24 /* MADV_DONTNEED_LOCKED */)
		report_released(addr, len);
	return get_madvise()(addr, len, advice);
}

/* Every sigaction() of the program passes through here from the start. */
__attribute__((constructor)) static void preload_init(void)
{
	uio_uaccess_guarded_by_preload();
	uio_debug_check_env();
	uio_file_set_kinds(file_kinds, UIO_FILE_NKINDS - 1);
	uio_file_closes_seen();
	/* --trace-mmio: trapped BAR loads and stores too. */
	if (uio_trace_flags() & UIO_TRACE_MMIO)
		uio_trap_set_trace(uio_vfio_trace_trap);
	/* Handlers installed before us (other libraries' constructors). */
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction cur;

		if (!is_fault_signal(sig) &&
		    !syscall(SYS_rt_sigaction, sig, NULL, &cur, 8))
			note_handler(sig, &cur);
	}
}

/* exit() runs destructors; _exit and _Exit do not. */
__attribute__((destructor)) static void image_ending_at_exit(void)
{
	report_image_ending_as(false);
}

EXPORT void _exit(int status)
{
	report_image_ending_as(false);
	get__exit()(status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	report_image_ending_as(false);
	get__Exit()(status);
	__builtin_unreachable();
}

/*
 * exec ends this image. Pins are saved first; should the exec fail, the
 * program continues with its pins copied (the device no longer sees its
 * later writes to them).
 */
EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	report_image_ending_as(true);
	return get_execve()(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	report_image_ending_as(true);
	return get_execv()(path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	report_image_ending_as(true);
	return get_execvp()(file, argv);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	report_image_ending_as(true);
	return get_execvpe()(file, argv, envp);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	report_image_ending_as(true);
	return get_fexecve()(fd, argv, envp);
}

/*
 * execl, execle and execlp reach execve inside libc, past the wrappers
 * above: their argument lists are gathered here and passed to those.
 */
#define UIO_GATHER_ARGS(arg, argv, envp, with_env)                        \
	size_t n_ = 1;                                                    \
	va_list ap_;                                                      \
	va_start(ap_, arg);                                               \
	while (va_arg(ap_, char *))                                       \
		n_++;                                                     \
	va_end(ap_);                                                      \
	char *argv[n_ + 1];                                               \
	char *const *envp = environ;                                      \
	va_start(ap_, arg);                                               \
	argv[0] = (char *)(arg);                                          \
	for (size_t i_ = 1; i_ <= n_; i_++)                               \
		argv[i_] = va_arg(ap_, char *);                           \
	envp = with_env ? va_arg(ap_, char *const *) : envp;              \
	va_end(ap_)

EXPORT int execl(const char *path, const char *arg, ...)
{
	UIO_GATHER_ARGS(arg, argv, envp, false);
	return execve(path, argv, envp);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	UIO_GATHER_ARGS(arg, argv, envp, true);
	return execve(path, argv, envp);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	UIO_GATHER_ARGS(arg, argv, envp, false);
	(void)envp;
	return execvp(file, argv);
}

/* ------------------------------------------------------------------ */
/* read and write: fault queues, VFIO device regions, through their file ops */

/*
 * A file of ours without the operation answers as the kernel's does. top
 * and off: the call for the trace (the wrapper's buf and count are its).
 */
#define RW_OP(fd, name, top, off, dflt, ...)                              \
	({                                                                \
		uint32_t idx_;                                            \
		const struct uio_file_ops *ops_ = file_of(fd, &idx_);     \
		ops_ ? (ssize_t)FILE_OP(TRACED(ops_,                      \
			UIO_TRACE_RW_CALL(top, fd, idx_, buf, count, off), \
			ops_->name ? ops_->name(fd, idx_, __VA_ARGS__) :  \
				     (dflt))) :                           \
		       (ssize_t)-2;                                       \
	})

#define RW_BODY(fd, name, top, off, real, ...)                            \
	do {                                                              \
		ssize_t r_ = RW_OP(fd, name, top, off, -EINVAL, __VA_ARGS__); \
		return r_ != -2 ? r_ : real;                              \
	} while (0)

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	RW_BODY(fd, read, UIO_TRACE_READ, 0, get_read()(fd, buf, count), buf, count);
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	RW_BODY(fd, write, UIO_TRACE_WRITE, 0, get_write()(fd, buf, count), buf, count);
}

EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	RW_BODY(fd, pread, UIO_TRACE_PREAD, (uint64_t)off, get_pread()(fd, buf, count, off), buf, count,
		(uint64_t)off);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	RW_BODY(fd, pwrite, UIO_TRACE_PWRITE, (uint64_t)off, get_pwrite()(fd, buf, count, off), buf, count,
		(uint64_t)off);
}

EXPORT ssize_t pread64(int fd, void *buf, size_t count, off64_t off)
{
	RW_BODY(fd, pread, UIO_TRACE_PREAD, (uint64_t)off, get_pread64()(fd, buf, count, off), buf, count,
		(uint64_t)off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off)
{
	RW_BODY(fd, pwrite, UIO_TRACE_PWRITE, (uint64_t)off, get_pwrite64()(fd, buf, count, off), buf, count,
		(uint64_t)off);
}

/*
 * lseek: no file of ours has llseek (iommufd, vfio groups and devices,
 * fault queues), so the VFS answers ESPIPE; read() and write() still use
 * the file position, which starts at 0.
 */
EXPORT off_t lseek(int fd, off_t off, int whence)
{
	uint32_t idx;

	if (file_of(fd, &idx)) {
		errno = ESPIPE;
		return -1;
	}
	return get_lseek()(fd, off, whence);
}

EXPORT off64_t lseek64(int fd, off64_t off, int whence)
{
	uint32_t idx;

	if (file_of(fd, &idx)) {
		errno = ESPIPE;
		return -1;
	}
	return get_lseek64()(fd, off, whence);
}

/*
 * The _FORTIFY_SOURCE entry points of the same: glibc checks the buffer
 * size first (abort on overflow), as __read_chk and friends do.
 */
static void chk_fail(void)
{
	static const char msg[] = "*** buffer overflow detected ***: terminated\n";

	syscall(SYS_write, 2, msg, sizeof(msg) - 1);
	abort();
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		chk_fail();
	return read(fd, buf, count);
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off,
			   size_t buflen)
{
	if (count > buflen)
		chk_fail();
	return pread(fd, buf, count, off);
}

EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t count, off64_t off,
			     size_t buflen)
{
	if (count > buflen)
		chk_fail();
	return pread64(fd, buf, count, off);
}

EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t len,
			      size_t buflen)
{
	if (len > buflen)
		chk_fail();
	return readlink(path, buf, len);
}

EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf,
				size_t len, size_t buflen)
{
	if (len > buflen)
		chk_fail();
	return readlinkat(dirfd, path, buf, len);
}

EXPORT char *__realpath_chk(const char *path, char *resolved, size_t reslen)
{
	if (resolved && reslen < PATH_MAX)
		chk_fail();
	return realpath(path, resolved);
}
