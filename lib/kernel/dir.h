/* SPDX-License-Identifier: MIT */
/*
 * Walking a directory with getdents64, for the core's scans of /proc,
 * /proc/self/fd and the anon-inode directory. opendir/readdir allocate
 * and may be interposed; these use raw system calls only.
 */
#ifndef UIO_DIR_H
#define UIO_DIR_H

/*
 * Each entry of the open directory dir ("." and ".." included), one call
 * of fn with its name and d_type (DT_*), until fn returns non-zero.
 * Returns fn's non-zero value, 0 at the end, or -errno if a read fails.
 */
int uio_dir_each(int dir, int (*fn)(const char *name, unsigned char type,
				    void *arg), void *arg);

/*
 * The same over the entries whose whole name is a decimal number (the
 * pids of /proc, the fds of /proc/PID/fd), with that number.
 */
int uio_dir_each_number(int dir, int (*fn)(long n, void *arg), void *arg);

#endif
