// SPDX-License-Identifier: MIT
/* UIOMMUFD_DEBUG; see debug.h. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "sys.h"

unsigned int uio_debug_mask = UIO_DEBUG_ALL | UIO_DEBUG_UNREAD;

static const char *const uio_debug_names[] = { "path", "fd", "vfio", "mmio", "irq" };

unsigned int uio_debug_parse(const char *s, char *bad, unsigned long len)
{
	unsigned int mask = 0;

	if (bad && len)
		*bad = 0;
	while (s && *s) {
		size_t n = strcspn(s, ", ");
		bool known = false;

		if ((n == 3 && !strncmp(s, "all", 3)) || (n == 1 && *s == '1')) {
			mask |= UIO_DEBUG_ALL;
			known = true;
		}
		for (unsigned int i = 0; i < sizeof(uio_debug_names) / sizeof(uio_debug_names[0]); i++) {
			if (strlen(uio_debug_names[i]) == n && !strncmp(s, uio_debug_names[i], n)) {
				mask |= 1u << i;
				known = true;
			}
		}
		if (!known && n && bad && len && !*bad) {
			size_t c = n < len - 1 ? n : len - 1;

			memcpy(bad, s, c);
			bad[c] = 0;
		}
		s += n;
		s += strspn(s, ", ");
	}
	return mask;
}

/* A bounded buffer being filled. */
struct uio_dbuf {
	char *p, *end;
};

static void uio_dput(struct uio_dbuf *b, char c)
{
	if (b->p < b->end)
		*b->p++ = c;
}

static void uio_dputs(struct uio_dbuf *b, const char *s, int width)
{
	int n = (int)strlen(s);

	for (; width > n; width--)
		uio_dput(b, ' ');
	while (*s)
		uio_dput(b, *s++);
}

static void uio_dnum(struct uio_dbuf *b, unsigned long long v, bool neg,
		     unsigned int base, bool alt, bool zero, int width)
{
	char digits[24];
	int n = 0, len;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	len = n + neg + (alt ? 2 : 0);
	if (!zero)
		for (; width > len; width--)
			uio_dput(b, ' ');
	if (neg)
		uio_dput(b, '-');
	if (alt) {
		uio_dput(b, '0');
		uio_dput(b, 'x');
	}
	if (zero)
		for (; width > len; width--)
			uio_dput(b, '0');
	while (n)
		uio_dput(b, digits[--n]);
}

/* The subset of printf the calls use, into b. */
static void uio_dformat(struct uio_dbuf *b, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		bool alt = false, zero = false;
		int width = 0, lng = 0;
		unsigned long long u;
		long long d;

		if (*fmt != '%') {
			uio_dput(b, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '#')
				alt = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 1;
			else if (*fmt != 'h')
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			d = lng > 1 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int);
			uio_dnum(b, d < 0 ? 0ull - (unsigned long long)d : (unsigned long long)d,
				 d < 0, 10, false, zero, width);
			break;
		case 'u':
		case 'x':
			u = lng > 1 ? va_arg(ap, unsigned long long) :
			    lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			uio_dnum(b, u, false, *fmt == 'u' ? 10 : 16, alt && u, zero, width);
			break;
		case 'p':
			uio_dnum(b, (uintptr_t)va_arg(ap, void *), false, 16, true, zero, width);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			uio_dputs(b, s ? s : "(null)", width);
			break;
		}
		case 'c':
			uio_dput(b, (char)va_arg(ap, int));
			break;
		case '%':
			uio_dput(b, '%');
			break;
		default:
			return;
		}
	}
}

static void uio_dprintf(struct uio_dbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	uio_dformat(b, fmt, ap);
	va_end(ap);
}

static void uio_debug_write(const char *buf, size_t n)
{
	while (n) {
		long w = UIO_SYS(SYS_write, 2, buf, n);

		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

/*
 * Read UIOMMUFD_DEBUG once. getenv takes no lock and allocates nothing;
 * the constructor does it before any handler can run, so the lazy path is
 * only for calls made before constructors (another library's).
 */
static void uio_debug_read_env(void)
{
	unsigned int mask = uio_debug_parse(getenv("UIOMMUFD_DEBUG"), NULL, 0);

	__atomic_store_n(&uio_debug_mask, mask, __ATOMIC_RELAXED);
}

void uio_debug_check_env(void)
{
	char bad[32], line[160];
	struct uio_dbuf b = { line, line + sizeof(line) - 1 };

	uio_debug_parse(getenv("UIOMMUFD_DEBUG"), bad, sizeof(bad));
	if (!*bad)
		return;
	uio_dprintf(&b, "uiommufd: UIOMMUFD_DEBUG: unknown category '%s' "
		    "(path, fd, vfio, mmio, irq or all)\n", bad);
	uio_debug_write(line, (size_t)(b.p - line));
}

__attribute__((constructor)) static void uio_debug_init(void)
{
	if (__atomic_load_n(&uio_debug_mask, __ATOMIC_RELAXED) & UIO_DEBUG_UNREAD)
		uio_debug_read_env();
}

void uio_debug_print(unsigned int cat, const char *fmt, ...)
{
	char line[768];
	struct uio_dbuf b = { line, line + sizeof(line) - 1 };
	unsigned int i = 0;
	va_list ap;
	int e = errno;

	if (__atomic_load_n(&uio_debug_mask, __ATOMIC_RELAXED) & UIO_DEBUG_UNREAD)
		uio_debug_read_env();
	if (!(__atomic_load_n(&uio_debug_mask, __ATOMIC_RELAXED) & cat)) {
		errno = e;
		return;
	}
	while (i < 4 && !(cat & (1u << i)))
		i++;
	uio_dprintf(&b, "uiommufd[%ld] %s: ", UIO_SYS(SYS_getpid), uio_debug_names[i]);
	va_start(ap, fmt);
	uio_dformat(&b, fmt, ap);
	va_end(ap);
	*b.p++ = '\n';
	uio_debug_write(line, (size_t)(b.p - line));
	errno = e;
}
