/* SPDX-License-Identifier: MIT */
/*
 * The one place the preload decides where a path goes: the host's file,
 * or its counterpart in the launch's testbed tree (lib/sysfs/sysfs.h),
 * found through $UIOMMUFD_RUNDIR and RUNDIR/index.
 *
 * Nothing here calls a libc function the preload interposes; the kernel
 * is reached with raw system calls.
 */
#ifndef UIO_PRELOAD_PATH_H
#define UIO_PRELOAD_PATH_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * The path to use for path (as given, relative to dirfd): path itself, or
 * its counterpart under RUNDIR when path names the emulated tree, or, when
 * path is relative to a directory inside RUNDIR but names a host entry,
 * that entry's absolute host path. buf (len bytes, PATH_MAX is enough)
 * receives the result when it is not path. Relative paths are resolved
 * against the cwd or dirfd, after lexical normalisation ("//", "/./",
 * ".."). A path outside /sys and /dev costs a few string compares.
 */
const char *uio_path_redirect(int dirfd, const char *path, char *buf, size_t len);

/* What the last uio_path_redirect() of this thread found. */
bool uio_path_redirected(void); /* into RUNDIR */

/*
 * After a successful open of the last path (directory fds matter): note
 * fd as a directory whose relative lookups may need uio_path_redirect.
 */
void uio_path_opened(int fd);
void uio_path_closed(int fd);
void uio_path_dup(int oldfd, int newfd); /* newfd is now a copy of oldfd */

/* Make a stat of the last (redirected) path look like sysfs, debugfs or devtmpfs. */
void uio_path_fix_stat(struct stat *st);
void uio_path_fix_statx(struct statx *stx);
/* The file system magic for statfs of the last redirected path, or 0. */
long uio_path_fs_magic(void);

/* A physical path under RUNDIR back to the path the program knows, in place. */
char *uio_path_unmap(char *path);
/* Whether fd is a file of RUNDIR. */
bool uio_path_fd_in_rundir(int fd);

/* The cwd changed (chdir, fchdir succeeded). */
void uio_path_cwd_changed(void);

/* Directory streams of redirected directories: readdir shows host types. */
void uio_path_dir_opened(DIR *d, const char *used); /* opendir(used) */
void uio_path_fdir_opened(DIR *d, int fd); /* after fdopendir(fd) */
void uio_path_dir_closed(DIR *d);
void uio_path_dirent(DIR *d, struct dirent *e);

/* Whether a launch tree is in use (UIOMMUFD_RUNDIR). */
bool uio_path_active(void);

#endif
