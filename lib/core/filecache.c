// SPDX-License-Identifier: MIT
/* filecache: see filecache.h. */
#include "filecache.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "core.h"
#include "fdtable.h"
#include "sys.h"

/* fd names (dev, ino) now. */
static bool uio_fd_names(int fd, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return !uio_sys_fstat(fd, &st) && (uint64_t)st.st_dev == dev &&
	       (uint64_t)st.st_ino == ino;
}

bool uio_filecache_empty(struct uio_filecache *c)
{
	return !__atomic_load_n(&c->n, __ATOMIC_RELAXED);
}

/* Under c->lock: the index of this process's entry for fd, or c->n. */
static unsigned int uio_filecache_find(struct uio_filecache *c, int fd)
{
	int32_t pid = uio_current_pid();
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (c->ent[i].fd == fd && c->ent[i].pid == pid)
			break;
	return i;
}

uint32_t uio_filecache_note(struct uio_filecache *c, int fd,
			    struct uio_ctx *ctx, uint32_t id, uint64_t dev,
			    uint64_t ino)
{
	uint32_t idx = 0;
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	i = uio_filecache_find(c, fd);
	if (i < c->max) {
		c->ent[i] = (struct uio_filecache_ent){
			.fd = fd, .pid = uio_current_pid(), .ctx = ctx, .id = id,
			.dev = dev, .ino = ino,
		};
		if (i == c->n)
			__atomic_store_n(&c->n, c->n + 1, __ATOMIC_RELAXED);
		idx = i + 1;
	}
	pthread_mutex_unlock(&c->lock);
	return idx;
}

/* Under c->lock: remove entry i (the last one takes its place). */
static void uio_filecache_remove(struct uio_filecache *c, unsigned int i)
{
	c->ent[i] = c->ent[c->n - 1];
	__atomic_store_n(&c->n, c->n - 1, __ATOMIC_RELAXED);
}

void uio_filecache_drop(struct uio_filecache *c, int fd)
{
	unsigned int i;

	pthread_mutex_lock(&c->lock);
	i = uio_filecache_find(c, fd);
	if (i < c->n)
		uio_filecache_remove(c, i);
	pthread_mutex_unlock(&c->lock);
}

uint32_t uio_filecache_get(struct uio_filecache *c, int fd,
			   struct uio_filecache_ent *e)
{
	uint32_t idx;

	pthread_mutex_lock(&c->lock);
	idx = uio_filecache_find(c, fd);
	if (idx < c->n)
		*e = c->ent[idx++];
	else
		idx = 0;
	pthread_mutex_unlock(&c->lock);
	return idx;
}

bool uio_filecache_get_checked(struct uio_filecache *c, int fd,
			       struct uio_filecache_ent *e)
{
	return uio_filecache_get(c, fd, e) && uio_fd_names(fd, e->dev, e->ino);
}

bool uio_filecache_get_idx(struct uio_filecache *c, uint32_t idx, int fd,
			   struct uio_filecache_ent *e)
{
	bool found = false;

	pthread_mutex_lock(&c->lock);
	if (idx && idx <= c->n && c->ent[idx - 1].fd == fd &&
	    c->ent[idx - 1].pid == uio_current_pid()) {
		*e = c->ent[idx - 1];
		found = true;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

bool uio_filecache_get_inherited(struct uio_filecache *c, int fd,
				 struct uio_filecache_ent *e)
{
	int32_t pid = uio_current_pid();
	bool have_st = false, found = false;
	struct stat st;

	if (uio_filecache_empty(c))
		return false;
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < c->n; i++) {
		const struct uio_filecache_ent *x = &c->ent[i];

		if (x->fd != fd)
			continue;
		if (x->pid != pid) {
			/* fstat is a raw syscall: fine under a leaf lock. */
			if (!have_st && uio_sys_fstat(fd, &st))
				break;
			have_st = true;
			if ((uint64_t)st.st_dev != x->dev ||
			    (uint64_t)st.st_ino != x->ino)
				continue;
		}
		*e = *x;
		found = true;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

int uio_filecache_fd_of(struct uio_filecache *c, struct uio_ctx *ctx,
			uint32_t id, uint64_t dev, uint64_t ino)
{
	int32_t pid = uio_current_pid();
	int fd = -1;

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < c->n && fd < 0; i++) {
		const struct uio_filecache_ent *x = &c->ent[i];

		if (x->ctx == ctx && x->pid == pid && x->id == id &&
		    x->dev == dev && x->ino == ino)
			fd = x->fd;
	}
	pthread_mutex_unlock(&c->lock);
	return fd >= 0 && uio_fd_names(fd, dev, ino) ? fd : -1;
}

void uio_filecache_forget_ctx(struct uio_filecache *c, struct uio_ctx *ctx)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < c->n;) {
		if (c->ent[i].ctx == ctx)
			uio_filecache_remove(c, i);
		else
			i++;
	}
	pthread_mutex_unlock(&c->lock);
}

void uio_filecache_image_ending(struct uio_filecache *c, bool cloexec_only,
				int (*close_fn)(int fd, int *rc))
{
	struct uio_filecache_ent snap[UIO_FILECACHE_MAX];
	unsigned int n;

	/* Reentered (a sanitizer's report inside a command): hooks.c. */
	if (uio_filecache_empty(c) || uio_core_entered())
		return;
	pthread_mutex_lock(&c->lock);
	n = c->n;
	memcpy(snap, c->ent, n * sizeof(snap[0]));
	pthread_mutex_unlock(&c->lock);
	for (unsigned int i = 0; i < n; i++) {
		int rc;

		if (!uio_fd_names(snap[i].fd, snap[i].dev, snap[i].ino))
			continue;
		if (cloexec_only &&
		    !(uio_sys_fcntl(snap[i].fd, F_GETFD, NULL) & FD_CLOEXEC))
			continue;
		close_fn(snap[i].fd, &rc);
	}
}
