// SPDX-License-Identifier: MIT
/* Fault-safe user copies; see uaccess.h. */
#include "uaccess.h"

#include "fail.h"
#include "sys.h"
#include "trap.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

/*
 * volatile: the stores must happen even though no callee appears to read it.
 * Initial-exec: every user copy reads and writes it, and the library is
 * loaded at start-up (preloaded or linked), never dlopen'ed late.
 */
static __thread sigjmp_buf *volatile uio_recover
	__attribute__((tls_model("initial-exec")));
static struct sigaction uio_old_segv, uio_old_bus;
static pthread_once_t uio_uaccess_once = PTHREAD_ONCE_INIT;
static int uio_uaccess_err;
static pthread_mutex_t uio_chain_lock = PTHREAD_MUTEX_INITIALIZER;

static void uio_chain(int sig, siginfo_t *info, void *uctx)
{
	const struct sigaction *old = sig == SIGBUS ? &uio_old_bus : &uio_old_segv;

	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, info, uctx);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* Let the faulting instruction fault again, fatally. */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		uio_sys_sigaction(sig, &dfl, NULL);
		return;
	}
	old->sa_handler(sig);
}

/*
 * The faulting instruction raises bus->si_signo (SIGBUS) as the kernel's
 * force_sig_fault() does: delivered to the program's handler, or, when it
 * has none, ignores it or has it blocked, the default action (the
 * disposition reset, the signal unblocked). The signal is queued to this
 * thread and kept blocked until this handler returns, so it arrives with
 * the registers of the faulting instruction: through our handler (which
 * chains it to the program's) or, by default, killing the process with
 * them (a core dump shows the instruction). A handler that returns makes
 * the instruction run again, and fault again, as in the kernel.
 */
static void uio_raise_fault(siginfo_t *bus, void *uctx)
{
	ucontext_t *uc = uctx;
	int sig = bus->si_signo;
	struct sigaction *chain = sig == SIGBUS ? &uio_old_bus : &uio_old_segv;
	bool handled = (chain->sa_flags & SA_SIGINFO) ||
		       (chain->sa_handler != SIG_DFL && chain->sa_handler != SIG_IGN);
	sigset_t one;

	if (!handled || sigismember(&uc->uc_sigmask, sig)) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		uio_sys_sigaction(sig, &dfl, NULL);
		*chain = dfl;
		sigdelset(&uc->uc_sigmask, sig);
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	uio_sys_sigprocmask(SIG_BLOCK, &one, NULL);
	/* To this thread, with the kernel's si_code: allowed for oneself. */
	UIO_SYS(SYS_rt_tgsigqueueinfo, uio_sys_getpid(), UIO_SYS(SYS_gettid),
		sig, bus);
}

static void uio_fault_handler(int sig, siginfo_t *info, void *uctx)
{
	sigjmp_buf *jb = uio_recover;
	siginfo_t bus;

	if (jb) {
		uio_recover = NULL;
		siglongjmp(*jb, 1);
	}
	/* A load or store to a trapped MMIO range (trap.h). */
	switch (uio_trap_fault(sig, info, uctx, &bus)) {
	case UIO_TRAP_SERVED:
		return;
	case UIO_TRAP_BUS_ERROR:
		uio_raise_fault(&bus, uctx);
		return;
	case UIO_TRAP_PASS:
		break;
	}
	uio_chain(sig, info, uctx);
}

/* Install sa for sig, remembering the previous handler unless it was ours. */
static int uio_install(int sig, const struct sigaction *sa,
		       struct sigaction *chain)
{
	struct sigaction prev;

	if (uio_sys_sigaction(sig, sa, &prev))
		return -1;
	if (!((prev.sa_flags & SA_SIGINFO) &&
	      prev.sa_sigaction == uio_fault_handler))
		*chain = prev;
	return 0;
}

static void uio_uaccess_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uio_fault_handler;
	/* NODEFER: we leave the handler by longjmp, keep the mask untouched. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	uio_uaccess_err = 0;
	if (uio_install(SIGSEGV, &sa, &uio_old_segv) ||
	    uio_install(SIGBUS, &sa, &uio_old_bus))
		uio_uaccess_err = -errno;
}

int uio_uaccess_init(void)
{
	pthread_once(&uio_uaccess_once, uio_uaccess_setup);
	return uio_uaccess_err;
}

/*
 * Put the handler back in front if the program replaced it (the C API has
 * no way to see sigaction() calls). One rt_sigaction query.
 */
/*
 * Set by the preload layer: every sigaction() of the program goes through
 * uio_uaccess_sigaction(), so the handler cannot be replaced behind our
 * back and need not be re-read on each call (one system call saved).
 */
static atomic_bool uio_handler_guarded;

void uio_uaccess_guarded_by_preload(void)
{
	atomic_store(&uio_handler_guarded, true);
}

int uio_uaccess_ensure(void)
{
	struct sigaction cur;
	int rc = uio_uaccess_init();

	if (rc)
		return rc;
	if (atomic_load_explicit(&uio_handler_guarded, memory_order_relaxed))
		return 0;
	rc = uio_sys_sigaction(SIGSEGV, NULL, &cur);
	if (rc)
		return rc;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == uio_fault_handler)
		return 0;
	pthread_mutex_lock(&uio_chain_lock);
	uio_uaccess_setup();
	pthread_mutex_unlock(&uio_chain_lock);
	return uio_uaccess_err;
}

/*
 * sigaction() on behalf of the program, for the preload layer: for SIGSEGV
 * and SIGBUS the program's handler becomes the one faults outside user
 * copies are passed to, and the program sees its own handler as installed.
 */
int uio_uaccess_sigaction(int sig, const struct sigaction *act,
			  struct sigaction *old)
{
	struct sigaction *chain;
	int rc = uio_uaccess_init();

	if (rc)
		return rc;
	chain = sig == SIGSEGV ? &uio_old_segv : &uio_old_bus;
	pthread_mutex_lock(&uio_chain_lock);
	if (old)
		*old = *chain;
	if (act)
		*chain = *act;
	pthread_mutex_unlock(&uio_chain_lock);
	return 0;
}

/*
 * Byte loops instead of memcpy: the sanitizers must not inspect user memory
 * (it may be PROT_NONE or unmapped, which is exactly the case being tested),
 * and the compiler must not turn them back into a libc call.
 */
__attribute__((no_sanitize("address"), no_sanitize("undefined"), noinline)) static void
uio_raw_copy(volatile unsigned char *dst, const volatile unsigned char *src,
	     size_t n)
{
#if defined(__x86_64__)
	/* Large copies: rep movsb runs at memcpy speed (ERMS) and, being one
	 * instruction, faults just as precisely as the loop. */
	if (n >= 256) {
		__asm__ volatile("rep movsb"
				 : "+D"(dst), "+S"(src), "+c"(n)
				 :
				 : "memory");
		return;
	}
#endif
	/* Aligned alike: words, then the tail (both stay aligned). */
	if (!(((uintptr_t)dst | (uintptr_t)src) & 7)) {
		for (; n >= 8; n -= 8, dst += 8, src += 8)
			*(volatile uint64_t *)dst = *(const volatile uint64_t *)src;
	}
	while (n--)
		*dst++ = *src++;
}

__attribute__((no_sanitize("address"), no_sanitize("undefined"), noinline)) static int
uio_raw_is_zero(const volatile unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

#define UIO_GUARDED(expr)                               \
	do {                                            \
		sigjmp_buf jb_;                         \
		if (sigsetjmp(jb_, 0)) {                \
			uio_recover = NULL;             \
			return -EFAULT;                 \
		}                                       \
		uio_recover = &jb_;                     \
		expr;                                   \
		uio_recover = NULL;                     \
	} while (0)

int uio_copy_from_user_nofail(void *dst, const void *usrc, size_t n)
{
	if (!n)
		return 0;
	if ((uintptr_t)usrc + n < (uintptr_t)usrc)
		return -EFAULT;
	UIO_GUARDED(uio_raw_copy(dst, usrc, n));
	return 0;
}

int uio_copy_to_user_nofail(void *udst, const void *src, size_t n)
{
	if (!n)
		return 0;
	if ((uintptr_t)udst + n < (uintptr_t)udst)
		return -EFAULT;
	UIO_GUARDED(uio_raw_copy(udst, src, n));
	return 0;
}

/* The user copies are failure points (fail.c): EFAULT, nothing copied. */
int uio_copy_from_user(void *dst, const void *usrc, size_t n)
{
	if (n && uio_should_fail())
		return -EFAULT;
	return uio_copy_from_user_nofail(dst, usrc, n);
}

int uio_copy_to_user(void *udst, const void *src, size_t n)
{
	if (n && uio_should_fail())
		return -EFAULT;
	return uio_copy_to_user_nofail(udst, src, n);
}

static __attribute__((noinline)) void
uio_raw_clear(volatile unsigned char *p, size_t n)
{
	while (n--)
		*p++ = 0;
}

int uio_clear_user(void *udst, size_t n)
{
	if (!n)
		return 0;
	if (uio_should_fail())
		return -EFAULT;
	if ((uintptr_t)udst + n < (uintptr_t)udst)
		return -EFAULT;
	UIO_GUARDED(uio_raw_clear(udst, n));
	return 0;
}

static __attribute__((noinline)) void
uio_raw_probe(uintptr_t base, size_t n, size_t step, bool write)
{
	for (size_t off = 0; off < n; off += step) {
		/* An integer address: the user's pointer may be NULL. */
		volatile char *p = (volatile char *)(base + off);

		if (write) {
			/*
			 * Writes without changing the byte, even under racing
			 * writers. Not an atomic add of 0: compilers may turn
			 * that idempotent update into a load (clang on x86 does),
			 * which would not fault on read-only memory.
			 */
#if defined(__x86_64__) || defined(__i386__)
			__asm__ volatile("lock addb $0, %0" : "+m"(*p) : : "memory");
#else
			char v = __atomic_load_n(p, __ATOMIC_RELAXED);

			while (!__atomic_compare_exchange_n(p, &v, v, false,
							    __ATOMIC_RELAXED,
							    __ATOMIC_RELAXED))
				;
#endif
		} else {
			(void)*p;
		}
	}
}

int uio_user_probe(const void *uptr, size_t n, size_t step, bool write)
{
	if (!n)
		return 0;
	if ((uintptr_t)uptr + n < (uintptr_t)uptr)
		return -EFAULT;
	UIO_GUARDED(uio_raw_probe((uintptr_t)uptr, n, step, write));
	return 0;
}

/*
 * Read one byte of each page [p, p + n) touches, all inside the range:
 * user memory, which the sanitizers must not inspect.
 */
__attribute__((no_sanitize("address"), no_sanitize("undefined"), noinline)) static void
uio_raw_read_pages(uintptr_t p, size_t n)
{
	uintptr_t end = p + n;

	(void)*(const volatile char *)p;
	for (p = (p | 4095) + 1; p < end; p += 4096)
		(void)*(const volatile char *)p;
}

int uio_copy_user_checked(void *udst, const void *usrc, size_t n)
{
	if (!n)
		return 0;
	if ((uintptr_t)usrc + n < (uintptr_t)usrc ||
	    (uintptr_t)udst + n < (uintptr_t)udst)
		return -EFAULT;
	UIO_GUARDED(uio_raw_read_pages((uintptr_t)usrc, n);
		    uio_raw_copy(udst, usrc, n));
	return 0;
}

int uio_user_is_zero(const void *uptr, size_t n)
{
	int zero = 1;

	if (!n)
		return 1;
	/* A user read too (check_zeroed_user()): a failure point. */
	if (uio_should_fail())
		return -EFAULT;
	if ((uintptr_t)uptr + n < (uintptr_t)uptr)
		return -EFAULT;
	UIO_GUARDED(zero = uio_raw_is_zero(uptr, n));
	return zero;
}
