// SPDX-License-Identifier: MIT
/*
 * vma: the shared mappings of a process, from /proc/PID/maps.
 *
 * A page of a MAP_SHARED mapping (shared anonymous memory, a memfd, a tmpfs
 * or hugetlbfs file) is the same physical page in every process that maps
 * it: the kernel names it by the object (device and inode) and the offset
 * in it. Pins use that name where the kernel would compare pages (mm.c):
 * when the process holding a pinned shared page lets go of it, another
 * mapper still sees the same page, so uiommufd keeps it shared rather than
 * taking a copy.
 *
 * Only shared mappings are kept: a process may have thousands of private
 * ones (sanitizer shadows), and a private page is never another process's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "dir.h"
#include "sys.h"

void uio_vmas_free(struct uio_vmas *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int uio_vmas_add(struct uio_vmas *v, const struct uio_vma *e)
{
	if (v->n == v->cap) {
		unsigned int cap = v->cap ? v->cap * 2 : 16;
		struct uio_vma *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = *e;
	return 0;
}

/* One line of /proc/PID/maps, if it is a shared mapping. */
static bool uio_vma_parse(const char *line, struct uio_vma *e)
{
	unsigned long start, end, pgoff, ino;
	unsigned int major, minor;
	char perms[5];

	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms,
		   &pgoff, &major, &minor, &ino) != 7)
		return false;
	if (perms[3] != 's')
		return false;
	e->start = start;
	e->end = end;
	e->pgoff = pgoff;
	e->dev = ((uint64_t)major << 32) | minor;
	e->ino = ino;
	e->prot = (perms[0] == 'r' ? UIO_PROT_READ : 0) |
		  (perms[1] == 'w' ? UIO_PROT_WRITE : 0);
	return true;
}

int uio_vmas_read(int pid, struct uio_vmas *v)
{
	char path[64], buf[8192];
	size_t have = 0;
	int fd, rc = 0;

	memset(v, 0, sizeof(*v));
	v->pid = pid;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	fd = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	for (;;) {
		long n = uio_sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (n <= 0) {
			if (n < 0)
				rc = (int)n;
			break;
		}
		have += n;
		buf[have] = 0;
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			struct uio_vma e;

			*nl = 0;
			if (uio_vma_parse(line, &e) && (rc = uio_vmas_add(v, &e)))
				break;
		}
		if (rc)
			break;
		have = strlen(line);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: skip it */
		memmove(buf, line, have);
	}
	uio_sys_close(fd);
	if (rc)
		uio_vmas_free(v);
	return rc;
}

const struct uio_vma *uio_vma_at(const struct uio_vmas *v, uintptr_t va)
{
	for (unsigned int i = 0; i < v->n; i++)
		if (va >= v->v[i].start && va < v->v[i].end)
			return &v->v[i];
	return NULL;
}

bool uio_vma_page(const struct uio_vmas *v, uintptr_t va,
		  struct uio_shared_page *sp)
{
	const struct uio_vma *e = uio_vma_at(v, va);

	if (!e)
		return false;
	sp->dev = e->dev;
	sp->ino = e->ino;
	sp->off = e->pgoff + (va - e->start);
	return true;
}

const struct uio_vma *uio_vma_of_page(const struct uio_vmas *v,
				      const struct uio_shared_page *sp,
				      uint64_t len, uintptr_t *va)
{
	const struct uio_vma *best = NULL;

	for (unsigned int i = 0; i < v->n; i++) {
		const struct uio_vma *e = &v->v[i];

		if (e->dev != sp->dev || e->ino != sp->ino || sp->off < e->pgoff ||
		    sp->off - e->pgoff >= e->end - e->start ||
		    len > e->end - e->start - (sp->off - e->pgoff))
			continue;
		/* A writable mapping is the better home: DMA may write. */
		if (!best || ((e->prot & UIO_PROT_WRITE) &&
			      !(best->prot & UIO_PROT_WRITE)))
			best = e;
	}
	if (best)
		*va = best->start + (sp->off - best->pgoff);
	return best;
}

struct uio_pid_walk {
	bool (*fn)(int pid, void *arg);
	void *arg;
	long self;
};

static int uio_pid_one(long pid, void *arg)
{
	const struct uio_pid_walk *w = arg;

	if (pid <= 0 || pid == w->self)
		return 0;
	return w->fn((int)pid, w->arg);
}

/*
 * The processes of this machine, one call of fn per pid other than the
 * caller's, until fn returns true.
 */
void uio_for_each_pid(bool (*fn)(int pid, void *arg), void *arg)
{
	struct uio_pid_walk w = { fn, arg, uio_current_pid() };
	int dfd = uio_sys_openat(AT_FDCWD, "/proc",
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return;
	uio_dir_each_number(dfd, uio_pid_one, &w);
	uio_sys_close(dfd);
}
