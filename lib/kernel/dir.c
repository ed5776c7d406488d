// SPDX-License-Identifier: MIT
/* Directory walks with getdents64: see dir.h. */

#include <stdint.h>

#include "dir.h"
#include "sys.h"

/* struct linux_dirent64, as getdents64 lays out each entry. */
struct uio_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

int uio_dir_each(int dir, int (*fn)(const char *name, unsigned char type,
				    void *arg), void *arg)
{
	char buf[2048] __attribute__((aligned(8))); /* small: signal handlers reach here */
	long got;

	while ((got = UIO_SYS(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			const struct uio_dirent64 *d = (const void *)(buf + off);
			int rc;

			off += d->reclen;
			rc = fn(d->name, d->type, arg);
			if (rc)
				return rc;
		}
	}
	return got < 0 ? (int)got : 0;
}

struct uio_dir_number {
	int (*fn)(long n, void *arg);
	void *arg;
};

static int uio_dir_number_one(const char *name, unsigned char type, void *arg)
{
	const struct uio_dir_number *w = arg;
	long n = 0;
	const char *c;

	(void)type;
	for (c = name; *c >= '0' && *c <= '9' && n < (1l << 40); c++)
		n = n * 10 + (*c - '0');
	if (c == name || *c)
		return 0;
	return w->fn(n, w->arg);
}

int uio_dir_each_number(int dir, int (*fn)(long n, void *arg), void *arg)
{
	struct uio_dir_number w = { fn, arg };

	return uio_dir_each(dir, uio_dir_number_one, &w);
}
