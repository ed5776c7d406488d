// SPDX-License-Identifier: MIT
/* The VFS's checks before a file's read, write and mmap; see vfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include "sys.h"
#include "vfs.h"

#define UIO_PAGE 4096ull

uint64_t uio_vfs_user_max(void)
{
	static _Atomic uint64_t max;
	uint64_t m = atomic_load_explicit(&max, memory_order_relaxed);
	long p;

	if (m)
		return m;
	/*
	 * 5-level paging lets a hint above 47 bits be mapped there; with 4
	 * levels the kernel ignores the hint and maps below.
	 */
	m = (1ull << 47) - UIO_PAGE;
	p = uio_sys_mmap((void *)(1ull << 48), UIO_PAGE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p >= 0 || p < -4095) {
		if ((uint64_t)p >= (1ull << 47))
			m = (1ull << 56) - UIO_PAGE;
		uio_sys_munmap((void *)p, UIO_PAGE);
	}
	atomic_store_explicit(&max, m, memory_order_relaxed);
	return m;
}

bool uio_vfs_access_ok(const void *p, size_t n)
{
	uint64_t end;

	return !__builtin_add_overflow((uintptr_t)p, n, &end) &&
	       end <= uio_vfs_user_max();
}

int uio_vfs_rw_check(int fd, const void *buf, size_t *count, int64_t pos,
		     bool positional, bool write)
{
	long fl;
	int64_t end;

	/* ksys_pread64/ksys_pwrite64 */
	if (positional && pos < 0)
		return -EINVAL;
	/* vfs_read/vfs_write */
	fl = uio_sys_fcntl_long(fd, F_GETFL, 0);
	if (fl < 0)
		return (int)fl;
	if ((fl & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (!uio_vfs_access_ok(buf, *count))
		return -EFAULT;
	/* rw_verify_area */
	if ((int64_t)*count < 0)
		return -EINVAL;
	if (__builtin_add_overflow(pos, (int64_t)*count, &end))
		return -EINVAL;
	if (*count > UIO_VFS_MAX_RW_COUNT)
		*count = UIO_VFS_MAX_RW_COUNT;
	return 0;
}

bool uio_vfs_dev_noexec(void)
{
	struct statfs st;

	return !UIO_SYS(SYS_statfs, "/dev", &st) && (st.f_flags & ST_NOEXEC);
}

/* Whether [addr, addr + len) meets a mapping (find_vma_intersection). */
static bool uio_vfs_mapped(void *addr, size_t len)
{
	long p = uio_sys_mmap(addr, len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				      MAP_FIXED_NOREPLACE, -1, 0);

	if (p == -EEXIST)
		return true;
	if ((p >= 0 || p < -4095) && (void *)p == addr)
		uio_sys_munmap(addr, len);
	return false;
}

long uio_vfs_mmap_check(int fd, void *addr, size_t len, int prot, int flags,
			uint64_t off, bool has_mmap, bool noexec)
{
	/* do_mmap()'s MAP_SHARED masks its flags to these (LEGACY_MAP_MASK);
	 * MAP_SHARED_VALIDATE refuses the others. */
	const long legacy = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |
			    MAP_DENYWRITE | MAP_EXECUTABLE | 0x4000000 /* UNINITIALIZED */ |
			    MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE |
			    MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB;
	uint64_t pgoff = off >> 12, max = uio_vfs_user_max();
	long fl = uio_sys_fcntl_long(fd, F_GETFL, 0);
	long f = flags;

	/* the x86-64 entry, then ksys_mmap_pgoff */
	if (off & (UIO_PAGE - 1))
		return -EINVAL;
	if (fl < 0)
		return fl;
	if (f & MAP_HUGETLB)
		return -EINVAL;
	/* do_mmap */
	if (!len)
		return -EINVAL;
	if (f & MAP_FIXED_NOREPLACE)
		f |= MAP_FIXED;
	if (len > SIZE_MAX - UIO_PAGE + 1)
		return -ENOMEM;
	len = (len + UIO_PAGE - 1) & ~(size_t)(UIO_PAGE - 1);
	if (pgoff + (len >> 12) < pgoff)
		return -EOVERFLOW;
	/* __get_unmapped_area (a free range elsewhere is the real mmap's) */
	if (len > max)
		return -ENOMEM;
	if (f & MAP_FIXED) {
		if ((uintptr_t)addr > max - len)
			return -ENOMEM;
		if ((uintptr_t)addr & (UIO_PAGE - 1))
			return -EINVAL;
	}
	if ((f & MAP_FIXED_NOREPLACE) && uio_vfs_mapped(addr, len))
		return -EEXIST;
	switch (f & MAP_TYPE) {
	case MAP_SHARED:
		f &= legacy;
		/* fall through */
	case MAP_SHARED_VALIDATE:
		if (f & ~legacy & ~(long)MAP_TYPE)
			return -EOPNOTSUPP;
		if ((prot & PROT_WRITE) && (fl & O_ACCMODE) == O_RDONLY)
			return -EACCES;
		if ((fl & O_ACCMODE) == O_RDONLY)
			f = (f & ~(long)MAP_TYPE) | MAP_PRIVATE;
		else
			f = (f & ~(long)MAP_TYPE) | MAP_SHARED;
		/* fall through */
	case MAP_PRIVATE:
		if ((fl & O_ACCMODE) == O_WRONLY)
			return -EACCES;
		if ((prot & PROT_EXEC) && noexec)
			return -EPERM;
		if (!has_mmap)
			return -ENODEV;
		if (f & MAP_GROWSDOWN)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return f;
}
