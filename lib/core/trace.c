// SPDX-License-Identifier: MIT
/*
 * UIOMMUFD_TRACE: one line per iommufd call, decoded the way strace decodes
 * ioctls: the command's name, its struct as the program passed it, the
 * result and the errno name, then the fields the kernel writes back.
 *
 *   UIOMMUFD_TRACE=FILE   append to FILE ("-" or "stderr": standard error)
 *
 * Lines from several processes interleave whole (one O_APPEND write each).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "sys.h"
#include "trace.h"
#include "uaccess.h"

enum fmt { DEC, HEX, MAPFLAGS };

struct field {
	const char *name;
	uint16_t off;
	uint8_t size;
	uint8_t fmt;
	uint8_t dir; /* IN: passed by the program, OUT: written back, or both */
};

struct cmd_desc {
	unsigned long nr;
	const char *name;
	uint32_t size;
	const struct field *fields;
};

enum { IN = 1, OUT = 2, INOUT = 3 };
#define FIELD(t, f, fmt, dir) \
	{ #f, offsetof(struct t, f), sizeof(((struct t *)0)->f), fmt, dir }
#define F(t, f, fmt) FIELD(t, f, fmt, IN)
#define O(t, f, fmt) FIELD(t, f, fmt, OUT)
#define IO(t, f, fmt) FIELD(t, f, fmt, INOUT)
#define END { NULL, 0, 0, 0, 0 }

static const struct field f_destroy[] = { F(iommu_destroy, id, DEC), END };
static const struct field f_alloc[] = {
	F(iommu_ioas_alloc, flags, HEX), O(iommu_ioas_alloc, out_ioas_id, DEC), END };
static const struct field f_allow[] = {
	F(iommu_ioas_allow_iovas, ioas_id, DEC),
	F(iommu_ioas_allow_iovas, num_iovas, DEC),
	F(iommu_ioas_allow_iovas, allowed_iovas, HEX), END };
static const struct field f_copy[] = {
	F(iommu_ioas_copy, flags, MAPFLAGS), F(iommu_ioas_copy, dst_ioas_id, DEC),
	F(iommu_ioas_copy, src_ioas_id, DEC), F(iommu_ioas_copy, length, HEX),
	IO(iommu_ioas_copy, dst_iova, HEX), F(iommu_ioas_copy, src_iova, HEX), END };
static const struct field f_ranges[] = {
	F(iommu_ioas_iova_ranges, ioas_id, DEC),
	IO(iommu_ioas_iova_ranges, num_iovas, DEC),
	F(iommu_ioas_iova_ranges, allowed_iovas, HEX),
	O(iommu_ioas_iova_ranges, out_iova_alignment, HEX), END };
static const struct field f_map[] = {
	F(iommu_ioas_map, flags, MAPFLAGS), F(iommu_ioas_map, ioas_id, DEC),
	F(iommu_ioas_map, user_va, HEX), F(iommu_ioas_map, length, HEX),
	IO(iommu_ioas_map, iova, HEX), END };
static const struct field f_unmap[] = {
	F(iommu_ioas_unmap, ioas_id, DEC), F(iommu_ioas_unmap, iova, HEX),
	IO(iommu_ioas_unmap, length, HEX), END };
static const struct field f_option[] = {
	F(iommu_option, option_id, DEC), F(iommu_option, op, DEC),
	F(iommu_option, object_id, DEC), IO(iommu_option, val64, DEC), END };

static const struct cmd_desc cmds[] = {
	{ IOMMU_DESTROY, "IOMMU_DESTROY", sizeof(struct iommu_destroy), f_destroy },
	{ IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC", sizeof(struct iommu_ioas_alloc), f_alloc },
	{ IOMMU_IOAS_ALLOW_IOVAS, "IOMMU_IOAS_ALLOW_IOVAS",
	  sizeof(struct iommu_ioas_allow_iovas), f_allow },
	{ IOMMU_IOAS_COPY, "IOMMU_IOAS_COPY", sizeof(struct iommu_ioas_copy), f_copy },
	{ IOMMU_IOAS_IOVA_RANGES, "IOMMU_IOAS_IOVA_RANGES",
	  sizeof(struct iommu_ioas_iova_ranges), f_ranges },
	{ IOMMU_IOAS_MAP, "IOMMU_IOAS_MAP", sizeof(struct iommu_ioas_map), f_map },
	{ IOMMU_IOAS_UNMAP, "IOMMU_IOAS_UNMAP", sizeof(struct iommu_ioas_unmap), f_unmap },
	{ IOMMU_OPTION, "IOMMU_OPTION", sizeof(struct iommu_option), f_option },
};

static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EBADF] = "EBADF",
	[ENOMEM] = "ENOMEM", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC",
	[ENOTTY] = "ENOTTY", [E2BIG] = "E2BIG", [EOVERFLOW] = "EOVERFLOW",
	[EOPNOTSUPP] = "EOPNOTSUPP", [EMSGSIZE] = "EMSGSIZE",
	[EADDRINUSE] = "EADDRINUSE",
};

static pthread_once_t trace_once = PTHREAD_ONCE_INIT;
static int trace_fd = -1;

static void trace_open(void)
{
	const char *path = getenv("UIOMMUFD_TRACE");

	if (!path || !*path)
		return;
	if (!strcmp(path, "-") || !strcmp(path, "stderr"))
		trace_fd = 2;
	else
		trace_fd = uio_sys_openat(AT_FDCWD, path,
					  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC);
}

bool uio_trace_enabled(void)
{
	pthread_once(&trace_once, trace_open);
	return trace_fd >= 0;
}

struct line {
	char buf[768];
	size_t n;
};

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->n >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	k = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		l->n += (size_t)k < sizeof(l->buf) - l->n ? (size_t)k :
							    sizeof(l->buf) - l->n - 1;
}

static uint64_t get_field(const uint8_t *s, const struct field *f)
{
	uint64_t v = 0;

	memcpy(&v, s + f->off, f->size); /* little endian */
	return v;
}

static void put_value(struct line *l, const struct field *f, uint64_t v)
{
	if (f->fmt == MAPFLAGS) {
		static const char *const names[] = { "FIXED_IOVA", "WRITEABLE",
						     "READABLE" };
		bool any = false;

		for (int b = 0; b < 3; b++)
			if (v & (1u << b)) {
				put(l, "%s%s", any ? "|" : "", names[b]);
				any = true;
			}
		if (v & ~7ull)
			put(l, "%s0x%llx", any ? "|" : "", (unsigned long long)(v & ~7ull));
		else if (!any)
			put(l, "0");
	} else if (f->fmt == HEX) {
		put(l, "0x%llx", (unsigned long long)v);
	} else {
		put(l, "%llu", (unsigned long long)v);
	}
}

/*
 * before: the user's struct as copied before the call (up to 64 bytes,
 * nbefore of them valid); arg: the user pointer, re-read for the answer.
 */
void uio_trace_call(int fd, unsigned long request, const void *before,
		    size_t nbefore, void *arg, int rc)
{
	const struct cmd_desc *d = NULL;
	uint8_t after[64];
	struct line l = { .n = 0 };
	int e = errno;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].nr == request)
			d = &cmds[i];
	put(&l, "[%d] ", (int)uio_current_pid());
	if (!d) {
		put(&l, "ioctl(%d, 0x%lx, %p)", fd, request, arg);
	} else {
		put(&l, "%s(%d, ", d->name, fd);
		if (nbefore < d->size) {
			put(&l, "%p", arg);
		} else {
			put(&l, "{size=%u", *(const uint32_t *)before);
			for (const struct field *f = d->fields; f->name; f++) {
				if (!(f->dir & IN))
					continue;
				put(&l, ", %s=", f->name);
				put_value(&l, f, get_field(before, f));
			}
			put(&l, "}");
		}
		put(&l, ")");
	}
	if (rc < 0) {
		int en = -rc;
		const char *name = en > 0 && en < (int)(sizeof(errno_names) /
							sizeof(errno_names[0])) &&
						   errno_names[en] ?
					   errno_names[en] : "E?";

		put(&l, " = -1 %s (%s)\n", name, strerror(en));
	} else {
		put(&l, " = %d", rc);
		if (d && !uio_copy_from_user_nofail(after, arg,
					     d->size < sizeof(after) ? d->size :
								      sizeof(after))) {
			bool first = true;

			for (const struct field *f = d->fields; f->name; f++) {
				if (!(f->dir & OUT))
					continue;
				put(&l, "%s%s=", first ? " => {" : ", ", f->name);
				put_value(&l, f, get_field(after, f));
				first = false;
			}
			if (!first)
				put(&l, "}");
		}
		put(&l, "\n");
	}
	UIO_SYS(SYS_write, trace_fd, l.buf, l.n);
	errno = e;
}
