/* SPDX-License-Identifier: MIT */
/*
 * What the kernel's VFS checks before a file's own read, write or mmap
 * runs (fs/read_write.c: ksys_pread64, vfs_read, rw_verify_area and their
 * write twins; the x86-64 mmap entry and mm/mmap.c's do_mmap), for the
 * files of ours, which the preload's wrappers serve in place of the VFS.
 * A failure here happens before the file is asked, and before anything
 * it had mapped is touched. Raw system calls only.
 */
#ifndef UIO_VFS_H
#define UIO_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MAX_RW_COUNT: what one read or write moves at most. */
#define UIO_VFS_MAX_RW_COUNT 0x7ffff000ul

/* TASK_SIZE_MAX: the end of the user address space (4- or 5-level paging). */
uint64_t uio_vfs_user_max(void);
/* access_ok(): [p, p + n) is user address space (not whether it is mapped). */
bool uio_vfs_access_ok(const void *p, size_t n);

/*
 * Before a read or a write reaches the file: positional (pread, pwrite)
 * with the offset as the program passed it, or at the file position pos.
 * In the kernel's order: a negative offset of pread/pwrite (EINVAL), a
 * file not open for it (EBADF), a buffer that is no user memory
 * (EFAULT), a count negative as ssize_t or an end past the largest file
 * offset (EINVAL). *count is then cut to MAX_RW_COUNT. 0 or -errno.
 */
int uio_vfs_rw_check(int fd, const void *buf, size_t *count, int64_t pos,
		     bool positional, bool write);

/*
 * Before a file's mmap: the entry's offset alignment, then do_mmap's
 * checks in their order (length, overflow, the address, MAP_FIXED_
 * NOREPLACE, the mapping type and flags, the open file's mode, a noexec
 * mount, a file without mmap: ENODEV). Returns the flags the file's mmap
 * sees (a shared mapping of a file not open for writing is private to
 * it, MAP_FIXED_NOREPLACE implies MAP_FIXED), or -errno.
 */
long uio_vfs_mmap_check(int fd, void *addr, size_t len, int prot, int flags,
			uint64_t off, bool has_mmap, bool noexec);

/* path_noexec() of a file in the host's /dev (a character device node). */
bool uio_vfs_dev_noexec(void);

#endif
