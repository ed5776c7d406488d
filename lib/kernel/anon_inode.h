/* SPDX-License-Identifier: MIT */
/*
 * anon_inode: the files the kernel makes with anon_inode_getfile() (an
 * iommufd fault queue, a selftest access), as files every process of a
 * launch can name.
 *
 * Each is a FIFO in a directory shared by the launch (RUNDIR/anon under
 * uiommufd-run, else /dev/shm/uiommufd-UID or TMPDIR/uiommufd-UID, 0700 and
 * the caller's), opened read-write. Its name says whose it is: the
 * context's 64-bit id, a tag, the object's id and the FIFO's inode number,
 * so any process holding the fd (forked, exec'd, sent it) can tell what it
 * is from /proc/self/fd. Its open file holds an open-file-description read
 * lock on byte 0: the lock lives as long as the open file, dup, fork and
 * SCM_RIGHTS copies included, so "no lock left" is the kernel's release.
 *
 * A FIFO opened read-write polls as the kernel's files do: always
 * writable, readable while a byte is in it; uio_anon_set_ready() keeps one
 * byte in it exactly while the file should poll readable.
 *
 * The name stays linked while the object has the file, so a process that
 * holds no fd of it can still wake its pollers and test it for life.
 */
#ifndef UIO_ANON_INODE_H
#define UIO_ANON_INODE_H

#include <stdbool.h>
#include <stdint.h>

#define UIO_ANON_PATH_MAX 160

/* What a file's name says, and where it is. */
struct uio_anon_file {
	char path[UIO_ANON_PATH_MAX];  /* absolute */
	uint64_t dev, ino;
};

/*
 * A new file for object id of context ctx_id, tagged tag (a few lower-case
 * letters): its fd (close-on-exec, read-write), *f filled. -errno on error
 * (nothing is left behind).
 */
int uio_anon_create(const char *tag, uint64_t ctx_id, uint32_t id,
		    struct uio_anon_file *f);

/*
 * What fd is, if it is such a file with tag: 0 with *ctx_id, *id and *f
 * (path as named when made, dev, ino); -ENOENT if it is not one.
 */
int uio_anon_identify(int fd, const char *tag, uint64_t *ctx_id, uint32_t *id,
		      struct uio_anon_file *f);

/* Whether an open file of f is left anywhere (a lock holds byte 0). */
bool uio_anon_alive(const struct uio_anon_file *f);

/*
 * Make f poll readable (ready) or not, through fd if this process holds
 * one (-1: opened by name). Call only on a change of state.
 */
void uio_anon_set_ready(const struct uio_anon_file *f, int fd, bool ready);

/* The object lets go of its file: its name goes. */
void uio_anon_unlink(const struct uio_anon_file *f);

#endif
