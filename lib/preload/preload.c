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
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "file.h"
#include "uaccess.h"

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
	int vfio_kind;            /* emulated VFIO group or cdev node */
	uint32_t vfio_index;
};

/* /dev/vfio/vfio is the type1 container, served from a context too. */
static const struct served_path served_paths[] = {
	{ "/dev/iommu", uiommufd_open, UIO_IOMMU_MAJOR, UIO_IOMMU_MINOR, 0, 0 },
	{ "/dev/vfio/vfio", uio_open_vfio_container, UIO_IOMMU_MAJOR,
	  UIO_VFIO_MINOR, 0, 0 },
};

/* /dev/vfio/N and /dev/vfio/devices/vfioX of emulated devices. */
static __thread struct served_path served_vfio;

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
	served_vfio.vfio_kind = uio_vfio_path(norm, &served_vfio.vfio_index);
	if (served_vfio.vfio_kind) {
		uio_vfio_rdev(served_vfio.vfio_kind, served_vfio.vfio_index,
			      &served_vfio.major, &served_vfio.minor);
		return &served_vfio;
	}
	return NULL;
}

/*
 * Emulated sysfs: paths under /sys/bus/pci/devices/BDF and
 * /sys/kernel/iommu_groups/N of emulated devices live in the tree the
 * launcher built at $UIOMMUFD_SYSFS_ROOT. Returns the path to use.
 */
static const char *sysfs_redirect(const char *path, char *buf, size_t len)
{
	static const char *const roots[] = { "/sys/bus/pci/devices/",
					     "/sys/kernel/iommu_groups/" };
	const char *root = getenv("UIOMMUFD_SYSFS_ROOT");
	char probe[512];

	if (!root || !path || strncmp(path, "/sys/", 5))
		return path;
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(roots[i]);

		if (strncmp(path, roots[i], n) || !path[n])
			continue;
		/* Only entries the tree has: the rest is the real sysfs. */
		{
			const char *end = strchr(path + n, '/');
			size_t elen = end ? (size_t)(end - (path + n)) : strlen(path + n);

			if ((size_t)snprintf(probe, sizeof(probe), "%s%.*s%.*s", root,
					     (int)n, roots[i], (int)elen, path + n) >=
				    sizeof(probe) ||
			    syscall(SYS_faccessat, AT_FDCWD, probe, F_OK, 0))
				return path;
		}
		if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len)
			return path;
		return buf;
	}
	return path;
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
REAL(ssize_t, readlink, const char *, char *, size_t)
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

/* ------------------------------------------------------------------ */
/* open */

static int open_served(const struct served_path *sp, int flags)
{
	sigset_t old;
	int saved = errno, fd;

	block_async_signals(&old);
	if (sp->vfio_kind) {
		fd = uio_vfio_open(sp->vfio_kind, sp->vfio_index, flags);
		if (fd < 0) {
			saved = -fd;
			fd = -1;
		}
	} else {
		fd = sp->open(flags);
		if (fd < 0)
			saved = errno;
	}
	restore_signals(&old);
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

/* One body for the four variadic opens: served path, or the real one. */
#define OPEN_BODY(dirfd, path, flags, ...)                           \
	do {                                                         \
		const struct served_path *sp_ = served(dirfd, path); \
		mode_t mode = MODE_ARG(flags);                       \
		char rbuf_[512];                                     \
		if (sp_)                                             \
			return open_served(sp_, flags);              \
		path = sysfs_redirect(path, rbuf_, sizeof(rbuf_));   \
		return __VA_ARGS__;                                  \
	} while (0)

EXPORT int open(const char *path, int flags, ...)
{
	OPEN_BODY(AT_FDCWD, path, flags, get_open()(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_BODY(AT_FDCWD, path, flags, get_open64()(path, flags, mode));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(dirfd, path, flags, get_openat()(dirfd, path, flags, mode));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPEN_BODY(dirfd, path, flags, get_openat64()(dirfd, path, flags, mode));
}

/* The _FORTIFY_SOURCE entry points. */
EXPORT int __open_2(const char *path, int flags)
{
	const struct served_path *sp = served(AT_FDCWD, path);
	char rbuf[512];

	if (!sp)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));

	return sp ? open_served(sp, flags) : get___open_2()(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	const struct served_path *sp = served(AT_FDCWD, path);
	char rbuf[512];

	if (!sp)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));

	return sp ? open_served(sp, flags) : get___open64_2()(path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	const struct served_path *sp = served(dirfd, path);

	return sp ? open_served(sp, flags) : get___openat_2()(dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	const struct served_path *sp = served(dirfd, path);

	return sp ? open_served(sp, flags) :
		    get___openat64_2()(dirfd, path, flags);
}

/* ------------------------------------------------------------------ */
/* ioctl */

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	sigset_t old;
	int rc;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* Emulated VFIO group and device fds. */
	if (uio_vfio_fd_kind(fd)) {
		long r;
		int e = errno;

		block_async_signals(&old);
		r = uio_vfio_fd_ioctl(fd, request, arg);
		restore_signals(&old);
		if (r < 0) {
			errno = (int)-r;
			return -1;
		}
		errno = e;
		return (int)r;
	}
	/* Every command on a context fd is ours, as the kernel's fops are. */
	if (!uiommufd_is_context_fd(fd))
		return get_ioctl()(fd, request, arg);
	block_async_signals(&old);
	{
		int saved = errno;

		rc = uiommufd_ioctl(fd, request, arg);
		if (rc >= 0)
			errno = saved;
	}
	{
		int e = errno;

		restore_signals(&old);
		errno = e;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* fd lifetime */

EXPORT int close(int fd)
{
	sigset_t old;
	int rc, e;

	/* Any fd: contexts, fault queues, accesses, VFIO fds, the rest. */
	e = errno;
	block_async_signals(&old);
	rc = uiommufd_close(fd);
	if (rc)
		e = errno;
	restore_signals(&old);
	errno = e;
	return rc;
}

/*
 * dup2/dup3 close newfd implicitly. When newfd is a context that may be its
 * last reference, so close it through the core first (only if the real
 * call would go ahead: oldfd valid and different).
 */
static void close_replaced_context(int oldfd, int newfd)
{
	int e = errno;

	if (oldfd != newfd && uiommufd_is_context_fd(newfd) &&
	    syscall(SYS_fcntl, oldfd, F_GETFD) >= 0) {
		sigset_t old;

		block_async_signals(&old);
		uiommufd_close(newfd);
		restore_signals(&old);
	}
	errno = e;
}

EXPORT int dup2(int oldfd, int newfd)
{
	int rc;

	close_replaced_context(oldfd, newfd);
	if (oldfd != newfd)
		uio_file_forget(newfd);
	rc = get_dup2()(oldfd, newfd);
	if (rc >= 0)
		uio_file_forget(newfd);
	return rc;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int rc;

	close_replaced_context(oldfd, newfd);
	if (oldfd != newfd)
		uio_file_forget(newfd);
	rc = get_dup3()(oldfd, newfd, flags);
	if (rc >= 0)
		uio_file_forget(newfd);
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
		/* Close the contexts first, so a last reference is noticed. */
		top = hi < 65535 ? hi : 65535;
		for (unsigned int fd = lo; fd <= top && lo <= top; fd++)
			if (uiommufd_is_context_fd((int)fd))
				close((int)fd);
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

#define STAT_PATH(name, st_t, fill, ...)                                    \
	do {                                                                \
		const struct served_path *sp_ = served(AT_FDCWD, path);     \
		char rbuf_[512];                                            \
		if (sp_) {                                                  \
			fill(st, sp_->major, sp_->minor);                   \
			return 0;                                           \
		}                                                           \
		path = sysfs_redirect(path, rbuf_, sizeof(rbuf_));          \
		return get_##name()(__VA_ARGS__);                           \
	} while (0)

/* The device number an fd of ours shows (false if it is not ours). */
static bool fd_rdev(int fd, unsigned int *major, unsigned int *minor)
{
	int v = uio_fd_is_vfio_container(fd);

	if (v >= 0) {
		*major = UIO_IOMMU_MAJOR;
		*minor = v ? UIO_VFIO_MINOR : UIO_IOMMU_MINOR;
		return true;
	}
	return !uio_vfio_fd_rdev(fd, major, minor);
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

/* fstatat(fd, "", st, AT_EMPTY_PATH) is fstat(fd): ours, with its number? */
static bool at_rdev(int dirfd, const char *path, int flags, unsigned int *major,
		    unsigned int *minor)
{
	const struct served_path *sp;

	if ((flags & AT_EMPTY_PATH) && path && !path[0])
		return fd_rdev(dirfd, major, minor);
	sp = served(dirfd, path);
	if (!sp)
		return false;
	*major = sp->major;
	*minor = sp->minor;
	return true;
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[512];

	if (at_rdev(dirfd, path, flags, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get_fstatat()(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[512];

	if (at_rdev(dirfd, path, flags, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get_fstatat64()(dirfd, path, st, flags);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
		      int flags)
{
	unsigned int ma, mi;
	char rbuf[512];

	if (at_rdev(dirfd, path, flags, &ma, &mi)) {
		fill_stat(st, ma, mi);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get___fxstatat()(ver, dirfd, path, st, flags);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
			struct stat64 *st, int flags)
{
	unsigned int ma, mi;
	char rbuf[512];

	if (at_rdev(dirfd, path, flags, &ma, &mi)) {
		fill_stat64(st, ma, mi);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get___fxstatat64()(ver, dirfd, path, st, flags);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask,
		 struct statx *stx)
{
	unsigned int ma, mi;
	char rbuf[512];

	if (at_rdev(dirfd, path, flags, &ma, &mi)) {
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
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get_statx()(dirfd, path, flags, mask, stx);
}

EXPORT int access(const char *path, int mode)
{
	char rbuf[512];

	if (served(AT_FDCWD, path))
		return 0;
	return get_access()(sysfs_redirect(path, rbuf, sizeof(rbuf)), mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char rbuf[512];

	if (served(dirfd, path))
		return 0;
	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get_faccessat()(dirfd, path, mode, flags);
}

EXPORT int euidaccess(const char *path, int mode)
{
	char rbuf[512];

	if (served(AT_FDCWD, path))
		return 0;
	return get_euidaccess()(sysfs_redirect(path, rbuf, sizeof(rbuf)), mode);
}

EXPORT int eaccess(const char *path, int mode)
{
	char rbuf[512];

	if (served(AT_FDCWD, path))
		return 0;
	return get_eaccess()(sysfs_redirect(path, rbuf, sizeof(rbuf)), mode);
}

/* The emulated sysfs entries are read with these too. */
EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	char rbuf[512];

	return get_readlink()(sysfs_redirect(path, rbuf, sizeof(rbuf)), buf, len);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	char rbuf[512];

	if (dirfd == AT_FDCWD)
		path = sysfs_redirect(path, rbuf, sizeof(rbuf));
	return get_readlinkat()(dirfd, path, buf, len);
}

EXPORT DIR *opendir(const char *path)
{
	char rbuf[512];

	return get_opendir()(sysfs_redirect(path, rbuf, sizeof(rbuf)));
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	char rbuf[512];

	return get_fopen()(sysfs_redirect(path, rbuf, sizeof(rbuf)), mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	char rbuf[512];

	return get_fopen64()(sysfs_redirect(path, rbuf, sizeof(rbuf)), mode);
}

EXPORT char *realpath(const char *path, char *resolved)
{
	char rbuf[512];

	return get_realpath()(sysfs_redirect(path, rbuf, sizeof(rbuf)), resolved);
}

/* The node has no extended attributes (ls -l asks for security labels). */
EXPORT ssize_t getxattr(const char *path, const char *name, void *value,
			size_t size)
{
	if (served(AT_FDCWD, path)) {
		errno = ENODATA;
		return -1;
	}
	return get_getxattr()(path, name, value, size);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value,
			 size_t size)
{
	if (served(AT_FDCWD, path)) {
		errno = ENODATA;
		return -1;
	}
	return get_lgetxattr()(path, name, value, size);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	return served(AT_FDCWD, path) ? 0 : get_listxattr()(path, list, size);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	return served(AT_FDCWD, path) ? 0 : get_llistxattr()(path, list, size);
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
	uiommufd_image_ending();
	restore_signals(&old);
	errno = e;
}

EXPORT int munmap(void *addr, size_t len)
{
	report_released(addr, len);
	return get_munmap()(addr, len);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		report_released(addr, len);
	return get_mmap()(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off64_t off)
{
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		report_released(addr, len);
	return get_mmap64()(addr, len, prot, flags, fd, off);
}

EXPORT void *mremap(void *old_addr, size_t old_len, size_t new_len,
		    int flags, ...)
{
	void *new_addr = NULL, *rc;
	va_list ap;

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
	rc = get_mremap()(old_addr, old_len, new_len, flags, new_addr);
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
	uio_file_closes_seen();
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
/* fault queue files: read() and write() are the core's (fault.c) */

static ssize_t fault_rw(int fd, void *buf, size_t count, bool write)
{
	sigset_t old;
	long rc;
	int e = errno;

	block_async_signals(&old);
	rc = uio_fault_fd_rw(fd, buf, count, write);
	restore_signals(&old);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	errno = e;
	return rc;
}

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	if (uio_fault_fd_is(fd))
		return fault_rw(fd, buf, count, false);
	return get_read()(fd, buf, count);
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	if (uio_fault_fd_is(fd))
		return fault_rw(fd, (void *)buf, count, true);
	return get_write()(fd, buf, count);
}

/* The kernel's fault file is not seekable. */
static ssize_t fault_espipe(void)
{
	errno = ESPIPE;
	return -1;
}

/* Region accesses of an emulated VFIO device: the core's BAR handler. */
static ssize_t vfio_rw(int fd, void *buf, size_t count, uint64_t off,
		       bool write)
{
	sigset_t old;
	long rc;
	int e = errno;

	block_async_signals(&old);
	rc = uio_vfio_fd_rw(fd, buf, count, off, write);
	restore_signals(&old);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	errno = e;
	return rc;
}

EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	if (uio_vfio_fd_kind(fd))
		return vfio_rw(fd, buf, count, (uint64_t)off, false);
	return uio_fault_fd_is(fd) ? fault_espipe() :
				     get_pread()(fd, buf, count, off);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	if (uio_vfio_fd_kind(fd))
		return vfio_rw(fd, (void *)buf, count, (uint64_t)off, true);
	return uio_fault_fd_is(fd) ? fault_espipe() :
				     get_pwrite()(fd, buf, count, off);
}

EXPORT ssize_t pread64(int fd, void *buf, size_t count, off64_t off)
{
	if (uio_vfio_fd_kind(fd))
		return vfio_rw(fd, buf, count, (uint64_t)off, false);
	return uio_fault_fd_is(fd) ? fault_espipe() :
				     get_pread64()(fd, buf, count, off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t off)
{
	if (uio_vfio_fd_kind(fd))
		return vfio_rw(fd, (void *)buf, count, (uint64_t)off, true);
	return uio_fault_fd_is(fd) ? fault_espipe() :
				     get_pwrite64()(fd, buf, count, off);
}
