/* SPDX-License-Identifier: MIT */
/*
 * Raw system calls for the core.
 *
 * The preload layer interposes libc's open/close/ioctl/stat/... families, so
 * the core must never call them: it would recurse into itself. Everything the
 * core asks of the kernel goes through these wrappers, which use syscall(2)
 * directly and return -errno instead of touching errno.
 */
#ifndef UIO_SYS_H
#define UIO_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long uio_sys_ret(long rc)
{
	return rc < 0 ? -errno : rc;
}

#define UIO_SYS(...)                                                  \
	({                                                            \
		int saved_errno_ = errno;                             \
		long rc_ = uio_sys_ret(syscall(__VA_ARGS__));         \
		errno = saved_errno_;                                 \
		rc_;                                                  \
	})

static inline int uio_sys_close(int fd)
{
	return (int)UIO_SYS(SYS_close, fd);
}

static inline int uio_sys_memfd_create(const char *name, unsigned int flags)
{
	return (int)UIO_SYS(SYS_memfd_create, name, flags);
}

static inline int uio_sys_ftruncate(int fd, uint64_t len)
{
	return (int)UIO_SYS(SYS_ftruncate, fd, len);
}

static inline int uio_sys_fstat(int fd, struct stat *st)
{
	return (int)UIO_SYS(SYS_fstat, fd, st);
}

static inline long uio_sys_pread(int fd, void *buf, size_t n, uint64_t off)
{
	return UIO_SYS(SYS_pread64, fd, buf, n, off);
}

static inline long uio_sys_read(int fd, void *buf, size_t n)
{
	return UIO_SYS(SYS_read, fd, buf, n);
}

static inline int uio_sys_openat(int dirfd, const char *path, int flags)
{
	return (int)UIO_SYS(SYS_openat, dirfd, path, flags, 0);
}

static inline int uio_sys_fcntl(int fd, int cmd, void *arg)
{
	return (int)UIO_SYS(SYS_fcntl, fd, cmd, arg);
}

/* fcntl with an integer argument (F_DUPFD*, F_SETFD, F_SETFL). */
static inline long uio_sys_fcntl_long(int fd, int cmd, long arg)
{
	return UIO_SYS(SYS_fcntl, fd, cmd, arg);
}

static inline void uio_sys_sched_yield(void)
{
	UIO_SYS(SYS_sched_yield);
}

/* fd is an open file descriptor (fcntl F_GETFD succeeds). */
static inline int uio_sys_fd_valid(int fd)
{
	return uio_sys_fcntl(fd, F_GETFD, NULL) >= 0;
}

/* Returns the mapping or a negative errno cast to a pointer-sized value. */
static inline long uio_sys_mmap(void *addr, size_t len, int prot, int flags,
				int fd, uint64_t off)
{
	return UIO_SYS(SYS_mmap, addr, len, prot, flags, fd, off);
}

static inline int uio_sys_munmap(void *addr, size_t len)
{
	return (int)UIO_SYS(SYS_munmap, addr, len);
}

/* The mapping's address, or a negative errno as a pointer-sized value. */
static inline long uio_sys_mremap(void *addr, size_t old_len, size_t new_len,
				  int flags)
{
	return UIO_SYS(SYS_mremap, addr, old_len, new_len, flags);
}

static inline int uio_sys_madvise(void *addr, size_t len, int advice)
{
	return (int)UIO_SYS(SYS_madvise, addr, len, advice);
}

/* RLIMIT_MEMLOCK (soft) of pid (0: the caller), in bytes; 0 on error. */
static inline uint64_t uio_sys_memlock_limit(int pid)
{
	struct { uint64_t cur, max; } lim;

	if (UIO_SYS(SYS_prlimit64, pid, 8 /* RLIMIT_MEMLOCK */, NULL, &lim))
		return 0;
	return lim.cur;
}

static inline long uio_sys_write(int fd, const void *buf, size_t n)
{
	return UIO_SYS(SYS_write, fd, buf, n);
}

static inline int uio_sys_getpid(void)
{
	return (int)UIO_SYS(SYS_getpid);
}

/* arch_prctl(ARCH_GET_FS or ARCH_GET_GS, &base): a segment base. */
static inline int uio_sys_arch_prctl(int code, uint64_t *arg)
{
	return (int)UIO_SYS(SYS_arch_prctl, code, arg);
}

static inline int uio_sys_getrandom(void *buf, size_t len)
{
	return (int)UIO_SYS(SYS_getrandom, buf, len, 0);
}

static inline int uio_sys_sigprocmask(int how, const sigset_t *set,
				      sigset_t *old)
{
	/* The kernel's sigset is 8 bytes on every 64-bit ABI. */
	return (int)UIO_SYS(SYS_rt_sigprocmask, how, set, old, 8);
}

/*
 * sigaction without the preload layer's wrapper: glibc's own exported
 * __sigaction (the raw syscall would need a signal-return trampoline).
 */
extern int __sigaction(int sig, const struct sigaction *act,
		       struct sigaction *old);

static inline int uio_sys_sigaction(int sig, const struct sigaction *act,
				    struct sigaction *old)
{
	return __sigaction(sig, act, old) ? -errno : 0;
}

#endif
