// SPDX-License-Identifier: MIT
/*
 * The trace's mechanism (trace.h): what is traced, the output, the line
 * builder and the generic decoders (the line of a call no layer decodes,
 * field and command tables).
 *
 *   UIOMMUFD_TRACE=FILE      append to FILE ("-" or "stderr": standard error)
 *   UIOMMUFD_TRACE_MMIO=1    also region reads and writes, trapped MMIO
 *
 * FILE is opened at the first line of each process (O_APPEND | O_CREAT,
 * mode 0644 before the umask), relative to the working directory the
 * process started in, and moved to a high descriptor number. Since the
 * program may close that number or dup2() over it (close_range() before an
 * exec, a daemon closing everything), every line first checks with fstat()
 * that the descriptor is still the file, and opens it again if not.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "sys.h"
#include "trace.h"
#include "uaccess.h"

/* ------------------------------------------------------------------ */
/* what is traced */

#define UIO_TRACE_UNREAD 0x80u

unsigned int uio_trace_mask = UIO_TRACE_UNREAD;
static unsigned int uio_trace_bits;
static int uio_trace_state; /* 0 unread, 1 being read, 2 read */
static bool uio_trace_stderr;
static char uio_trace_path[PATH_MAX];

static void uio_trace_read_env(void)
{
	const char *path = getenv("UIOMMUFD_TRACE");
	const char *mmio = getenv("UIOMMUFD_TRACE_MMIO");
	unsigned int bits = 0;
	size_t n = 0;

	if (!path || !*path)
		goto out;
	if (!strcmp(path, "-") || !strcmp(path, "stderr")) {
		uio_trace_stderr = true;
	} else {
		/* Relative to where the process started, whatever it does later. */
		if (path[0] != '/') {
			if (UIO_SYS(SYS_getcwd, uio_trace_path, sizeof(uio_trace_path)) < 0)
				goto out;
			n = strlen(uio_trace_path);
			if (n + 1 < sizeof(uio_trace_path) && n && uio_trace_path[n - 1] != '/')
				uio_trace_path[n++] = '/';
		}
		if (n + strlen(path) + 1 > sizeof(uio_trace_path))
			goto out;
		memcpy(uio_trace_path + n, path, strlen(path) + 1);
	}
	bits = UIO_TRACE_CALLS;
	if (mmio && *mmio && strcmp(mmio, "0"))
		bits |= UIO_TRACE_MMIO;
out:
	uio_trace_bits = bits;
}

unsigned int uio_trace_flags(void)
{
	int st = __atomic_load_n(&uio_trace_state, __ATOMIC_ACQUIRE), unread = 0;

	if (st == 2)
		return uio_trace_bits;
	if (__atomic_compare_exchange_n(&uio_trace_state, &unread, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		uio_trace_read_env();
		__atomic_store_n(&uio_trace_state, 2, __ATOMIC_RELEASE);
		__atomic_store_n(&uio_trace_mask, uio_trace_bits, __ATOMIC_RELEASE);
	} else {
		/* Another thread reads it (bounded: a fork may have left it half read). */
		for (int i = 0; __atomic_load_n(&uio_trace_state, __ATOMIC_ACQUIRE) != 2; i++) {
			if (i == 10000)
				return 0;
			UIO_SYS(SYS_sched_yield);
		}
	}
	return uio_trace_bits;
}

/* Before main (and before the program can chdir), when we can. */
__attribute__((constructor)) static void uio_trace_init(void)
{
	uio_trace_flags();
}

/* ------------------------------------------------------------------ */
/* the output */

static int uio_trace_fd = -1;
static uint64_t uio_trace_dev, uio_trace_ino;

/* Open the file, high above the program's own descriptors. */
static int uio_trace_open(uint64_t *dev, uint64_t *ino)
{
	struct rlimit rl;
	struct stat st;
	long fd, nfd, base = 3;

	fd = UIO_SYS(SYS_openat, AT_FDCWD, uio_trace_path,
		     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (!UIO_SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) &&
	    rl.rlim_cur > 512 && rl.rlim_cur != RLIM_INFINITY)
		base = (long)rl.rlim_cur - 128;
	nfd = UIO_SYS(SYS_fcntl, fd, F_DUPFD_CLOEXEC, base);
	if (nfd >= 0) {
		uio_sys_close((int)fd);
		fd = nfd;
	}
	if (uio_sys_fstat((int)fd, &st)) {
		uio_sys_close((int)fd);
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return (int)fd;
}

/* The descriptor to write to, or -1. */
static int uio_trace_out(void)
{
	int fd = __atomic_load_n(&uio_trace_fd, __ATOMIC_ACQUIRE), nfd;
	uint64_t dev, ino;
	struct stat st;

	if (uio_trace_stderr)
		return 2;
	if (fd >= 0 && !uio_sys_fstat(fd, &st) &&
	    st.st_dev == __atomic_load_n(&uio_trace_dev, __ATOMIC_RELAXED) &&
	    st.st_ino == __atomic_load_n(&uio_trace_ino, __ATOMIC_RELAXED))
		return fd;
	/* Not open yet, or the program took the number: open it (again). */
	nfd = uio_trace_open(&dev, &ino);
	if (nfd < 0)
		return -1;
	if (__atomic_compare_exchange_n(&uio_trace_fd, &fd, nfd, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* The old number is the program's now: leave it alone. */
		__atomic_store_n(&uio_trace_dev, dev, __ATOMIC_RELAXED);
		__atomic_store_n(&uio_trace_ino, ino, __ATOMIC_RELAXED);
		return nfd;
	}
	/* Another thread did it first: use its descriptor. */
	uio_sys_close(nfd);
	return fd;
}

/* ------------------------------------------------------------------ */
/* the line */

void uio_tl_begin(struct uio_trace_line *l, char *buf, size_t cap)
{
	l->buf = buf;
	l->cap = cap;
	l->n = 0;
	l->truncated = false;
	uio_tl_printf(l, "[%d] ", (int)UIO_SYS(SYS_getpid));
}

/* Room kept for "...\n". */
#define UIO_TL_TAIL 4

static void tl_putc(struct uio_trace_line *l, char c)
{
	if (l->n + UIO_TL_TAIL >= l->cap) {
		l->truncated = true;
		return;
	}
	l->buf[l->n++] = c;
}

static void tl_putn(struct uio_trace_line *l, const char *s, size_t n)
{
	while (n--)
		tl_putc(l, *s++);
}

void uio_tl_puts(struct uio_trace_line *l, const char *s)
{
	tl_putn(l, s, strlen(s));
}

void uio_tl_emit(struct uio_trace_line *l)
{
	int fd;

	/* tl_putc kept UIO_TL_TAIL bytes for this. */
	if (l->truncated) {
		memcpy(l->buf + l->n, "...\n", 4);
		l->n += 4;
	} else {
		l->buf[l->n++] = '\n';
	}
	fd = uio_trace_out();
	if (fd >= 0)
		UIO_SYS(SYS_write, fd, l->buf, l->n);
}

/* An unsigned number in base 10 or 16, padded to width. */
static void tl_num(struct uio_trace_line *l, unsigned long long v, unsigned int base,
		   bool neg, bool alt, bool zero, int width, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + (neg ? 1 : 0) + (alt ? 2 : 0);
	if (!zero)
		for (; width > len; width--)
			tl_putc(l, ' ');
	if (neg)
		tl_putc(l, '-');
	if (alt)
		tl_putn(l, upper ? "0X" : "0x", 2);
	if (zero)
		for (; width > len; width--)
			tl_putc(l, '0');
	while (n)
		tl_putc(l, tmp[--n]);
}

static void tl_vprintf(struct uio_trace_line *l, const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p; p++) {
		bool alt = false, zero = false;
		int width = 0, prec = -1, lng = 0;

		if (*p != '%') {
			tl_putc(l, *p);
			continue;
		}
		for (p++; *p == '#' || *p == '0'; p++) {
			if (*p == '#')
				alt = true;
			else
				zero = true;
		}
		if (*p == '*') {
			width = va_arg(ap, int);
			p++;
		}
		for (; *p >= '0' && *p <= '9'; p++)
			width = width * 10 + (*p - '0');
		if (*p == '.') {
			p++;
			prec = 0;
			if (*p == '*') {
				prec = va_arg(ap, int);
				p++;
			}
			for (; *p >= '0' && *p <= '9'; p++)
				prec = prec * 10 + (*p - '0');
		}
		for (; *p == 'h' || *p == 'l' || *p == 'z'; p++)
			lng += *p == 'l' ? 1 : *p == 'z' ? 2 : 0;
		switch (*p) {
		case '%':
			tl_putc(l, '%');
			break;
		case 'c':
			tl_putc(l, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			for (int i = 0; s[i] && (prec < 0 || i < prec); i++)
				tl_putc(l, s[i]);
			break;
		}
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long) :
				      lng == 1 ? va_arg(ap, long) : va_arg(ap, int);

			tl_num(l, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v,
			       10, v < 0, false, zero, width, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long) :
					       lng == 1 ? va_arg(ap, unsigned long) :
							  va_arg(ap, unsigned int);

			tl_num(l, v, *p == 'u' ? 10 : 16, false, alt && v, zero, width,
			       *p == 'X');
			break;
		}
		case 'p':
			tl_num(l, (uintptr_t)va_arg(ap, void *), 16, false, true, false,
			       0, false);
			break;
		default:
			/* Not ours: show it as written. */
			tl_putc(l, '%');
			if (!*p)
				return;
			tl_putc(l, *p);
			break;
		}
	}
}

void uio_tl_printf(struct uio_trace_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tl_vprintf(l, fmt, ap);
	va_end(ap);
}

const char *uio_trace_errno_name(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	const char *s = strerrorname_np(e);

	return s ? s : "E?";
#else
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [EBADF] = "EBADF",
		[ENOMEM] = "ENOMEM", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST", [EINVAL] = "EINVAL", [ENOSPC] = "ENOSPC",
		[ENOTTY] = "ENOTTY", [E2BIG] = "E2BIG", [EOVERFLOW] = "EOVERFLOW",
		[EOPNOTSUPP] = "EOPNOTSUPP", [EMSGSIZE] = "EMSGSIZE",
		[EADDRINUSE] = "EADDRINUSE", [ENODEV] = "ENODEV", [EIO] = "EIO",
		[ESPIPE] = "ESPIPE", [EAGAIN] = "EAGAIN", [EPROTO] = "EPROTO",
	};

	return e > 0 && e < (int)(sizeof(names) / sizeof(names[0])) && names[e] ?
		       names[e] : "E?";
#endif
}

const char *uio_trace_errno_desc(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	/* Untranslated, whatever the program's locale, as strace shows it. */
	const char *s = strerrordesc_np(e);

	return s ? s : "Unknown error";
#else
	return strerror(e);
#endif
}

void uio_tl_result(struct uio_trace_line *l, long rc)
{
	if (rc < 0 && rc > -4096)
		uio_tl_printf(l, " = -1 %s (%s)", uio_trace_errno_name((int)-rc),
			      uio_trace_errno_desc((int)-rc));
	else
		uio_tl_printf(l, " = %ld", rc);
}

void uio_tl_result_addr(struct uio_trace_line *l, long rc)
{
	if (rc < 0 && rc > -4096)
		uio_tl_result(l, rc);
	else
		uio_tl_printf(l, " = %#lx", (unsigned long)rc);
}

void uio_tl_ioc(struct uio_trace_line *l, unsigned long cmd)
{
	static const char *const dirs[] = { "_IOC_NONE", "_IOC_WRITE", "_IOC_READ",
					    "_IOC_READ|_IOC_WRITE" };

	uio_tl_printf(l, "_IOC(%s, %#lx, %#lx, %#lx)", dirs[(cmd >> 30) & 3],
		      (cmd >> 8) & 0xff, cmd & 0xff, (cmd >> 16) & 0x3fff);
}

void uio_tl_bytes(struct uio_trace_line *l, const void *p, size_t n, size_t max)
{
	const unsigned char *s = p;

	tl_putc(l, '"');
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			tl_putn(l, "\\\"", 2);
			break;
		case '\\':
			tl_putn(l, "\\\\", 2);
			break;
		case '\n':
			tl_putn(l, "\\n", 2);
			break;
		case '\t':
			tl_putn(l, "\\t", 2);
			break;
		case '\r':
			tl_putn(l, "\\r", 2);
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				tl_putc(l, (char)c);
			else
				uio_tl_printf(l, "\\x%02x", c);
		}
	}
	tl_putc(l, '"');
	if (n > max)
		tl_putn(l, "...", 3);
}

void uio_tl_ptr(struct uio_trace_line *l, const void *p)
{
	if (p)
		uio_tl_printf(l, "%#lx", (unsigned long)(uintptr_t)p);
	else
		uio_tl_puts(l, "NULL");
}

int uio_trace_peek(void *dst, const void *uptr, size_t n)
{
	return uio_copy_from_user_nofail(dst, uptr, n);
}

/* As much of [uptr, uptr + n) as can be read, page by page: the count. */
static size_t uio_trace_peek_upto(void *dst, const void *uptr, size_t n)
{
	uintptr_t a = (uintptr_t)uptr;
	size_t done = 0;

	while (done < n) {
		size_t chunk = 4096 - ((a + done) & 4095);

		if (chunk > n - done)
			chunk = n - done;
		if (uio_copy_from_user_nofail((char *)dst + done, (void *)(a + done), chunk))
			break;
		done += chunk;
	}
	return done;
}

const char *uio_trace_xlat_find(const struct uio_trace_xlat *x, uint64_t v)
{
	for (; x && x->name; x++)
		if (x->val == v)
			return x->name;
	return NULL;
}

void uio_tl_flags(struct uio_trace_line *l, uint64_t v,
		  const struct uio_trace_xlat *x)
{
	bool any = false;

	for (; x && x->name; x++) {
		if (!x->val || (v & x->val) != x->val)
			continue;
		uio_tl_printf(l, "%s%s", any ? "|" : "", x->name);
		v &= ~x->val;
		any = true;
	}
	if (v)
		uio_tl_printf(l, "%s%#llx", any ? "|" : "", (unsigned long long)v);
	else if (!any)
		tl_putc(l, '0');
}

void uio_tl_enum(struct uio_trace_line *l, uint64_t v,
		 const struct uio_trace_xlat *x)
{
	const char *name = uio_trace_xlat_find(x, v);

	if (name)
		uio_tl_puts(l, name);
	else
		uio_tl_printf(l, "%llu", (unsigned long long)v);
}

/* ------------------------------------------------------------------ */
/* field tables */

uint64_t uio_trace_field_get(const void *s, const struct uio_trace_field *f)
{
	uint64_t v = 0;

	memcpy(&v, (const char *)s + f->off, f->size); /* little endian */
	if (f->fmt == UIO_TF_SDEC && f->size < 8 && (v >> (f->size * 8 - 1)) & 1)
		v |= ~0ull << (f->size * 8);
	return v;
}

static void uio_tl_value(struct uio_trace_line *l, const struct uio_trace_field *f,
			 uint64_t v)
{
	switch (f->fmt) {
	case UIO_TF_SDEC:
		uio_tl_printf(l, "%lld", (long long)v);
		break;
	case UIO_TF_HEX:
		uio_tl_printf(l, "0x%llx", (unsigned long long)v);
		break;
	case UIO_TF_FLAGS:
		uio_tl_flags(l, v, f->x);
		break;
	case UIO_TF_ENUM:
		uio_tl_enum(l, v, f->x);
		break;
	default:
		uio_tl_printf(l, "%llu", (unsigned long long)v);
		break;
	}
}

void uio_tl_fields(struct uio_trace_line *l, const void *s, size_t n,
		   const struct uio_trace_field *f, unsigned int dir, bool *first)
{
	for (; f && f->name; f++) {
		if (!(f->dir & dir) || (size_t)f->off + f->size > n)
			continue;
		uio_tl_printf(l, "%s%s=", *first ? "" : ", ", f->name);
		uio_tl_value(l, f, uio_trace_field_get(s, f));
		*first = false;
	}
}

/* ------------------------------------------------------------------ */
/* command tables */

static const struct uio_trace_cmd *uio_trace_cmd_find(const struct uio_trace_cmd *cmds,
						      unsigned long nr)
{
	for (; cmds && cmds->name; cmds++)
		if (cmds->nr == nr)
			return cmds;
	return NULL;
}

/* A string argument: up to the NUL or the snapshot's end. */
static void uio_trace_snap_string(struct uio_trace_call *c)
{
	size_t n = uio_trace_peek_upto(c->snap, c->arg, sizeof(c->snap));

	c->nsnap = (uint32_t)n;
}

bool uio_trace_cmds_before(struct uio_trace_call *c,
			   const struct uio_trace_cmd *cmds)
{
	const struct uio_trace_cmd *d = uio_trace_cmd_find(cmds, c->cmd);
	uint32_t size;

	if (!d)
		return false;
	c->nsnap = 0;
	switch (d->arg) {
	case UIO_TA_INT:
		if (!uio_trace_peek(c->snap, c->arg, sizeof(int)))
			c->nsnap = sizeof(int);
		break;
	case UIO_TA_STRING:
		uio_trace_snap_string(c);
		break;
	case UIO_TA_SIZED:
		if (uio_trace_peek(&size, c->arg, sizeof(size)))
			break;
		if (size > sizeof(c->snap))
			size = sizeof(c->snap);
		if (size < sizeof(size))
			size = sizeof(size);
		c->nsnap = (uint32_t)uio_trace_peek_upto(c->snap, c->arg, size);
		break;
	default:
		break;
	}
	return true;
}

bool uio_trace_cmds_decode(struct uio_trace_line *l,
			   const struct uio_trace_call *c,
			   const struct uio_trace_cmd *cmds)
{
	const struct uio_trace_cmd *d = uio_trace_cmd_find(cmds, c->cmd);
	uint8_t after[UIO_TRACE_SNAP];
	bool first = true;
	size_t mark, n;
	uint32_t size;

	if (!d)
		return false;
	uio_tl_printf(l, "%s(%d", d->name, c->fd);
	switch (d->arg) {
	case UIO_TA_NONE:
		break;
	case UIO_TA_VALUE: {
		const char *name = uio_trace_xlat_find(d->values, (uintptr_t)c->arg);

		if (name)
			uio_tl_printf(l, ", %s", name);
		else
			uio_tl_printf(l, ", %lu", (unsigned long)(uintptr_t)c->arg);
		break;
	}
	case UIO_TA_INT: {
		int v;

		if (c->nsnap < sizeof(v)) {
			uio_tl_puts(l, ", ");
			uio_tl_ptr(l, c->arg);
			break;
		}
		memcpy(&v, c->snap, sizeof(v));
		uio_tl_printf(l, ", [%d]", v);
		break;
	}
	case UIO_TA_STRING: {
		size_t len = strnlen((const char *)c->snap, c->nsnap);

		uio_tl_puts(l, ", ");
		if (!c->nsnap)
			uio_tl_ptr(l, c->arg);
		else
			uio_tl_bytes(l, c->snap, len, len < c->nsnap ? len : len - 1);
		break;
	}
	case UIO_TA_SIZED:
		uio_tl_puts(l, ", ");
		if (c->nsnap < sizeof(uint32_t)) {
			uio_tl_ptr(l, c->arg);
			break;
		}
		tl_putc(l, '{');
		uio_tl_fields(l, c->snap, c->nsnap, d->fields, UIO_TF_IN, &first);
		if (d->in)
			d->in(l, c);
		tl_putc(l, '}');
		break;
	}
	tl_putc(l, ')');
	uio_tl_result(l, c->rc);
	if (d->arg != UIO_TA_SIZED || c->rc < 0 || c->nsnap < sizeof(size))
		return true;
	/* What came back, read as long as the struct the program passed. */
	memcpy(&size, c->snap, sizeof(size));
	if (size > sizeof(after))
		size = sizeof(after);
	n = uio_trace_peek_upto(after, c->arg, size);
	mark = l->n;
	uio_tl_puts(l, " => {");
	first = true;
	uio_tl_fields(l, after, n, d->fields, UIO_TF_OUT, &first);
	if (d->out)
		d->out(l, c, after, n, &first);
	if (first)
		l->n = mark; /* nothing came back */
	else
		tl_putc(l, '}');
	return true;
}

/* ------------------------------------------------------------------ */
/* calls on files of ours */

static const struct uio_trace_xlat uio_trace_prot[] = {
	UIO_XLAT(PROT_READ, "PROT_READ"), UIO_XLAT(PROT_WRITE, "PROT_WRITE"),
	UIO_XLAT(PROT_EXEC, "PROT_EXEC"), UIO_XLAT_END,
};

static const struct uio_trace_xlat uio_trace_map_flags[] = {
	UIO_XLAT(MAP_FIXED, "MAP_FIXED"), UIO_XLAT(MAP_ANONYMOUS, "MAP_ANONYMOUS"),
	UIO_XLAT(MAP_NORESERVE, "MAP_NORESERVE"), UIO_XLAT(MAP_POPULATE, "MAP_POPULATE"),
	UIO_XLAT(MAP_LOCKED, "MAP_LOCKED"), UIO_XLAT(MAP_HUGETLB, "MAP_HUGETLB"),
	UIO_XLAT(MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"), UIO_XLAT_END,
};

void uio_tl_mmap_head(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	static const char *const types[] = { "0", "MAP_SHARED", "MAP_PRIVATE",
					     "MAP_SHARED_VALIDATE" };

	uio_tl_puts(l, "mmap(");
	uio_tl_ptr(l, c->arg);
	uio_tl_printf(l, ", %zu, ", c->len);
	if (c->prot)
		uio_tl_flags(l, (unsigned int)c->prot, uio_trace_prot);
	else
		uio_tl_puts(l, "PROT_NONE");
	uio_tl_printf(l, ", %s", types[c->flags & 3]);
	if (c->flags & ~3) {
		tl_putc(l, '|');
		uio_tl_flags(l, (unsigned int)c->flags & ~3u, uio_trace_map_flags);
	}
	uio_tl_printf(l, ", %d, ", c->fd);
}

/* The bytes of a read's buffer (after the call) or a write's (before). */
static void uio_tl_rw_buf(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	bool write = c->op == UIO_TRACE_WRITE || c->op == UIO_TRACE_PWRITE;
	uint8_t buf[32];
	size_t n;

	if (write) {
		uio_tl_bytes(l, c->snap, c->nsnap < c->len ? c->nsnap : c->len, 32);
		if (c->nsnap < c->len && c->nsnap <= 32)
			uio_tl_puts(l, "...");
		return;
	}
	if (c->rc <= 0) {
		uio_tl_ptr(l, c->arg);
		return;
	}
	n = uio_trace_peek_upto(buf, c->arg, (size_t)c->rc < sizeof(buf) ?
				(size_t)c->rc : sizeof(buf));
	uio_tl_bytes(l, buf, n, sizeof(buf));
	if (n < (size_t)c->rc && n < sizeof(buf))
		uio_tl_puts(l, "...");
}

static void uio_trace_generic(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	static const char *const names[] = {
		[UIO_TRACE_READ] = "read", [UIO_TRACE_WRITE] = "write",
		[UIO_TRACE_PREAD] = "pread64", [UIO_TRACE_PWRITE] = "pwrite64",
	};

	switch (c->op) {
	case UIO_TRACE_IOCTL:
		uio_tl_printf(l, "ioctl(%d, ", c->fd);
		uio_tl_ioc(l, c->cmd);
		uio_tl_puts(l, ", ");
		uio_tl_ptr(l, c->arg);
		tl_putc(l, ')');
		uio_tl_result(l, c->rc);
		break;
	case UIO_TRACE_MMAP:
		uio_tl_mmap_head(l, c);
		uio_tl_printf(l, "%#llx)", (unsigned long long)c->off);
		uio_tl_result_addr(l, c->rc);
		break;
	default:
		uio_tl_printf(l, "%s(%d, ", names[c->op], c->fd);
		uio_tl_rw_buf(l, c);
		uio_tl_printf(l, ", %zu", c->len);
		if (c->op == UIO_TRACE_PREAD || c->op == UIO_TRACE_PWRITE)
			uio_tl_printf(l, ", %llu", (unsigned long long)c->off);
		tl_putc(l, ')');
		uio_tl_result(l, c->rc);
		break;
	}
}

void uio_trace_before(const struct uio_trace_ops *t, struct uio_trace_call *c)
{
	unsigned int need = t && t->need[c->op] ? t->need[c->op] : UIO_TRACE_CALLS;

	c->on = (uio_trace_flags() & need) == need;
	if (!c->on)
		return;
	/* User copies need the fault handler (the preload's, or ours). */
	uio_uaccess_ensure();
	c->nsnap = 0;
	if (c->op == UIO_TRACE_WRITE || c->op == UIO_TRACE_PWRITE)
		c->nsnap = (uint32_t)uio_trace_peek_upto(c->snap, c->arg,
							 c->len < sizeof(c->snap) ?
							 c->len : sizeof(c->snap));
	if (t && t->before)
		t->before(c);
}

void uio_trace_after(const struct uio_trace_ops *t, struct uio_trace_call *c,
		     long rc)
{
	char buf[UIO_TRACE_LINE];
	struct uio_trace_line l;
	int e = errno;

	if (!c->on)
		return;
	c->rc = rc;
	uio_tl_begin(&l, buf, sizeof(buf));
	if (!t || !t->decode || !t->decode(&l, c))
		uio_trace_generic(&l, c);
	uio_tl_emit(&l);
	errno = e;
}
