// SPDX-License-Identifier: MIT
/*
 * Fault injection in the manner of the kernel's fail_nth: every point that
 * can fail calls uio_should_fail(); when armed with N, the Nth such call in
 * this process fails, once. The caller reports what the kernel would for
 * that kind of failure:
 *   - allocations (uio_zalloc, and the private buffers of commands that
 *     the kernel allocates with kmalloc/kvzalloc, like the dirty bitmap's
 *     iterator): ENOMEM;
 *   - pinning (pages.c, before the pages are taken, and before they are
 *     charged): ENOMEM;
 *   - page-table growth (pgtable.c, each table a map or a new domain
 *     allocates): ENOMEM, after the table's rollback of that call;
 *   - copies of ioctl arguments and answers from and to the caller
 *     (uio_copy_from_user, uio_copy_to_user, uio_clear_user and the
 *     zero-tail check of uio_copy_struct_from_user): EFAULT.
 * Accesses to memory the kernel would reach through a pin (pinned pages,
 * the dirty bitmap) and get_user_pages()-style probes are no failure points.
 *
 * Disarmed, a failure point costs one relaxed atomic load. Control:
 * uiommufd_fail_nth() from the C API, or UIOMMUFD_FAIL_NTH=N in the
 * environment, read once when the library is loaded.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <uiommufd/uiommufd.h>

#include "kernel.h"
#include "fail.h"

static atomic_ullong uio_fail_target;  /* 0: disarmed */
static atomic_ullong uio_fail_count;   /* points passed since arming */

__attribute__((constructor)) static void uio_fail_env(void)
{
	const char *v = getenv("UIOMMUFD_FAIL_NTH");

	if (v && *v)
		atomic_store(&uio_fail_target, strtoull(v, NULL, 0));
}

static __attribute__((noinline)) bool uio_should_fail_armed(void)
{
	unsigned long long target = atomic_load(&uio_fail_target);

	if (!target || atomic_fetch_add(&uio_fail_count, 1) + 1 != target)
		return false;
	/* Once: only the thread that reached N disarms. */
	return atomic_compare_exchange_strong(&uio_fail_target, &target, 0);
}

bool uio_should_fail(void)
{
	if (__builtin_expect(!atomic_load_explicit(&uio_fail_target,
						   memory_order_relaxed), 1))
		return false;
	return uio_should_fail_armed();
}

UIO_EXPORT void uiommufd_fail_nth(unsigned long long n)
{
	atomic_store(&uio_fail_target, 0);
	atomic_store(&uio_fail_count, 0);
	atomic_store(&uio_fail_target, n);
}

UIO_EXPORT int uiommufd_fail_pending(void)
{
	return atomic_load(&uio_fail_target) != 0;
}
