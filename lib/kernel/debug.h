/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: UIOMMUFD_DEBUG=path,fd,vfio,mmio,irq (or all) prints, on
 * standard error, one line per event of the categories asked for, as
 * umockdev's UMOCKDEV_DEBUG does:
 *
 *   path  which path an open, stat or readlink of the program went to
 *         (a /dev/vfio node in the run directory, the emulated sysfs)
 *   fd    what each fd number seen for the first time turned out to be
 *   vfio  why a VFIO device or node was not served (no run directory,
 *         no registry, no such node)
 *   mmio  trapped BAR ranges added and removed
 *   irq   interrupts raised by a device, and the eventfds signalled
 *
 * Off, a call costs one load and test of a cached mask. The line is
 * formatted here (%d %i %u %x %p %s %c with #, 0, width, h/l/ll/z) and
 * written with one raw write(2): no stdio, no malloc, no locks, so it may
 * be called from the SIGSEGV handler that serves trapped MMIO.
 */
#ifndef UIO_DEBUG_H
#define UIO_DEBUG_H

enum {
	UIO_DEBUG_PATH = 1u << 0,
	UIO_DEBUG_FD = 1u << 1,
	UIO_DEBUG_VFIO = 1u << 2,
	UIO_DEBUG_MMIO = 1u << 3,
	UIO_DEBUG_IRQ = 1u << 4,
	UIO_DEBUG_ALL = (1u << 5) - 1,
	/* The environment is not read yet: every call goes to uio_debug_print. */
	UIO_DEBUG_UNREAD = 1u << 31,
};

extern unsigned int uio_debug_mask;

#define uio_debug(cat, ...)                                                     \
	do {                                                                    \
		if (__builtin_expect(__atomic_load_n(&uio_debug_mask,           \
						     __ATOMIC_RELAXED) & (cat), 0)) \
			uio_debug_print((cat), __VA_ARGS__);                    \
	} while (0)

/* Print one line of category cat, if UIOMMUFD_DEBUG asks for it. */
void uio_debug_print(unsigned int cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The mask of a UIOMMUFD_DEBUG value (NULL: 0). An unknown name is copied
 * to bad (up to len bytes) and skipped; returns the mask of the rest.
 */
unsigned int uio_debug_parse(const char *s, char *bad, unsigned long len);

/* Say on standard error if UIOMMUFD_DEBUG names an unknown category. */
void uio_debug_check_env(void);

#endif
