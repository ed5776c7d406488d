/* SPDX-License-Identifier: MIT */
/*
 * Copying to and from "user" memory: pointers a program handed to an ioctl.
 *
 * A bad pointer must give EFAULT, as in the kernel, and never a signal. The
 * copies run under a thread-local recovery point: a SIGSEGV or SIGBUS raised
 * inside one jumps back and the copy returns -EFAULT. Faults outside a copy
 * are passed to whatever handler the program (or a sanitizer) had installed.
 * A syscall-based probe (process_vm_readv) would cost ~600 ns per copy here,
 * more than a whole map/unmap cycle is allowed to.
 */
#ifndef UIO_UACCESS_H
#define UIO_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A user pointer plus an offset, computed as an integer: the program's
 * pointer may be NULL or wild, and pointer arithmetic on it is undefined.
 */
#define UIO_UPTR(p, off) ((__typeof__(p))(void *)((uintptr_t)(p) + (off)))

/* Install the fault handler once per process. Returns 0 or -errno. */
int uio_uaccess_init(void);
/* The preload layer routes every sigaction(): skip the per-call check. */
void uio_uaccess_guarded_by_preload(void);
/* Reinstall the handler if the program replaced it. 0 or -errno. */
int uio_uaccess_ensure(void);
struct sigaction;
/* The preload layer's sigaction() for SIGSEGV/SIGBUS; see uaccess.c. */
int uio_uaccess_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *old);

/*
 * 0 or -EFAULT. On -EFAULT, dst may be partly written. Each is a failure
 * point of fault injection (fail.c): the copy_from_user()/copy_to_user() of
 * an ioctl's arguments and answers.
 */
int uio_copy_from_user(void *dst, const void *usrc, size_t n);
int uio_copy_to_user(void *udst, const void *src, size_t n);
/*
 * The same without a failure point, for what the kernel does not do with a
 * user copy: reaching memory behind a pin (kmap), get_user_pages() probes,
 * and the diagnostics (trace) that must not change what fails.
 */
int uio_copy_from_user_nofail(void *dst, const void *usrc, size_t n);
int uio_copy_to_user_nofail(void *udst, const void *src, size_t n);
/*
 * Touch one byte every `step` bytes of [uptr, uptr + n), reading, or
 * writing it unchanged (a locked add of 0) if write: faults in the pages
 * as get_user_pages would. 0 or -EFAULT.
 */
int uio_user_probe(const void *uptr, size_t n, size_t step, bool write);
/*
 * Copy n bytes between two places of the process's memory, both the
 * program's: every page of the source is read first, so a source that
 * faults leaves udst as it was. No failure point. 0 or -EFAULT.
 */
int uio_copy_user_checked(void *udst, const void *usrc, size_t n);
/* Zero n bytes at udst. 0 or -EFAULT; a failure point, as the copies. */
int uio_clear_user(void *udst, size_t n);
/* Whether [uptr, uptr + n) is all zero bytes: 1, 0, or -EFAULT (also a
 * failure point). */
int uio_user_is_zero(const void *uptr, size_t n);

#endif
