// SPDX-License-Identifier: MIT
/*
 * The fd -> file table; see file.h.
 *
 * One atomic 32-bit slot per fd number below UIO_FILE_SLOTS: unknown, not
 * ours, or a kind and the index that kind cached. The fast path of every
 * wrapper is one load. A miss probes: one fstat, then each kind in turn.
 * Negative answers are cached only where the preload layer sees every
 * close; every forget bumps a generation, so a probe that raced a forget
 * never caches a stale answer.
 */
#include <stdatomic.h>

#include "debug.h"
#include "file.h"
#include "sys.h"

static _Atomic uint32_t uio_files[UIO_FILE_SLOTS];
static _Atomic unsigned long uio_forget_generation;
static atomic_bool uio_closes_seen;
static _Atomic int uio_probes;

static const struct uio_file_ops *const *uio_kinds;
static unsigned int uio_nkinds;

void uio_file_set_kinds(const struct uio_file_ops *const *kinds,
			unsigned int n)
{
	uio_kinds = kinds;
	__atomic_store_n(&uio_nkinds, n, __ATOMIC_RELEASE);
}

static const struct uio_file_ops *uio_kind_ops(uint32_t kind)
{
	unsigned int n = __atomic_load_n(&uio_nkinds, __ATOMIC_ACQUIRE);

	return kind >= 1 && kind <= n ? uio_kinds[kind - 1] : NULL;
}

/* For diagnostics: the kind of a cached value. */
static const char *uio_file_kind_name(uint32_t v)
{
	const struct uio_file_ops *ops = uio_kind_ops(UIO_FILE_KIND(v));

	return v == UIO_FILE_NOT_OURS ? "not uiommufd's" : ops && ops->name ? ops->name : "?";
}

uint32_t uio_file_peek(int fd)
{
	if (fd < 0 || fd >= UIO_FILE_SLOTS)
		return UIO_FILE_UNKNOWN;
	return atomic_load_explicit(&uio_files[fd], memory_order_acquire);
}

void uio_file_set(int fd, uint32_t v)
{
	if (fd >= 0 && fd < UIO_FILE_SLOTS)
		atomic_store_explicit(&uio_files[fd], v, memory_order_release);
	if (v != UIO_FILE_UNKNOWN)
		uio_debug(UIO_DEBUG_FD, "fd %d is %s (index %u)", fd, uio_file_kind_name(v), UIO_FILE_IDX(v));
}

unsigned long uio_file_forget_gen(void)
{
	return atomic_load(&uio_forget_generation);
}

/*
 * A forget bumps the generation before it clears its slot, so one that
 * comes between the store and the check is seen, and the store undone.
 */
void uio_file_set_unless_forgotten(int fd, uint32_t v, unsigned long gen)
{
	uint32_t unknown = UIO_FILE_UNKNOWN;

	if (fd < 0 || fd >= UIO_FILE_SLOTS ||
	    !atomic_compare_exchange_strong(&uio_files[fd], &unknown, v))
		return;
	if (atomic_load(&uio_forget_generation) != gen)
		atomic_compare_exchange_strong(&uio_files[fd], &v,
					       UIO_FILE_UNKNOWN);
}

void uio_file_forget(int fd)
{
	atomic_fetch_add(&uio_forget_generation, 1);
	uio_file_set(fd, UIO_FILE_UNKNOWN);
}

void uio_file_forget_range(unsigned int lo, unsigned int hi)
{
	if (hi >= UIO_FILE_SLOTS)
		hi = UIO_FILE_SLOTS - 1;
	for (unsigned int fd = lo; fd <= hi && lo <= hi; fd++)
		uio_file_forget((int)fd);
}

void uio_file_closes_seen(void)
{
	atomic_store(&uio_closes_seen, true);
}

bool uio_file_closes_are_seen(void)
{
	return atomic_load_explicit(&uio_closes_seen, memory_order_relaxed);
}

void uio_file_probe_begin(void)
{
	atomic_fetch_add(&uio_probes, 1);
}

void uio_file_probe_end(void)
{
	atomic_fetch_sub(&uio_probes, 1);
}

bool uio_file_probes_settle(void)
{
	if (!atomic_load(&uio_probes))
		return false;
	while (atomic_load(&uio_probes))
		uio_sys_sched_yield();
	return true;
}

/* Probe fd against every kind; cache and return the value found. */
static uint32_t uio_file_probe(int fd)
{
	unsigned int n = __atomic_load_n(&uio_nkinds, __ATOMIC_ACQUIRE);
	unsigned long gen = uio_file_forget_gen();
	uint32_t v = UIO_FILE_NOT_OURS, idx;
	struct stat st;

	uio_file_probe_begin();
	if (!uio_sys_fstat(fd, &st)) {
		for (unsigned int k = 1; k <= n; k++) {
			const struct uio_file_ops *ops = uio_kinds[k - 1];

			if (ops && ops->probe && ops->probe(fd, &st, &idx) > 0) {
				v = UIO_FILE_VAL(k, idx);
				break;
			}
		}
		/* Not ours: remembered only about fds that exist, and only
		 * where every close is seen. */
		if (v != UIO_FILE_NOT_OURS || uio_file_closes_are_seen())
			uio_file_set_unless_forgotten(fd, v, gen);
		uio_debug(UIO_DEBUG_FD, "fd %d is %s (probed)", fd, uio_file_kind_name(v));
	}
	uio_file_probe_end();
	return v;
}

const struct uio_file_ops *uio_file_get(int fd, uint32_t *idx)
{
	uint32_t v;

	if (fd < 0)
		return NULL;
	v = uio_file_peek(fd);
	if (v == UIO_FILE_NOT_OURS)
		return NULL;
	if (v == UIO_FILE_UNKNOWN)
		v = uio_file_probe(fd);
	if (v == UIO_FILE_NOT_OURS)
		return NULL;
	*idx = UIO_FILE_IDX(v);
	return uio_kind_ops(UIO_FILE_KIND(v));
}

bool uio_file_is(int fd, unsigned int kind, uint32_t *idx)
{
	const struct uio_file_ops *ops = uio_file_get(fd, idx);

	return ops && ops == uio_kind_ops(kind);
}
