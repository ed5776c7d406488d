// SPDX-License-Identifier: MIT
/* The VFS's checks before a file's read and write; see vfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>

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
