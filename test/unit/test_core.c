// SPDX-License-Identifier: MIT
/*
 * Unit tests of the core through the public C API, in process (no preload):
 * object ids, the arena's accounting, invariants after many maps, EFAULT for
 * bad command pointers, release on the last close, and a context's mapping
 * growing with its arena in every process that uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "arena.h"
#include "core.h"
#include "fdtable.h"

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };

	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &c), 0);
	return c.out_ioas_id;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return uiommufd_ioctl(fd, IOMMU_DESTROY, &d);
}

static void test_ids_lowest_free(void **state)
{
	int fd = uiommufd_open(O_RDWR);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ioas_alloc(fd), 1);
	assert_int_equal(ioas_alloc(fd), 2);
	assert_int_equal(ioas_alloc(fd), 3);
	assert_int_equal(ioas_alloc(fd), 4);
	assert_int_equal(destroy(fd, 3), 0);
	assert_int_equal(destroy(fd, 2), 0);
	assert_int_equal(destroy(fd, 2), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ioas_alloc(fd), 2);
	assert_int_equal(ioas_alloc(fd), 3);
	assert_int_equal(ioas_alloc(fd), 5);
	assert_int_equal(destroy(fd, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(uiommufd_close(fd), 0);
}

static void test_arena_returns_to_baseline(void **state)
{
	int fd = uiommufd_open(O_RDWR);
	struct uiommufd_stats st0, st;
	char *buf = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_int_equal(uiommufd_stats(fd, &st0), 0);
	uint32_t ioas = ioas_alloc(fd);
	for (int i = 0; i < 1000; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = IOMMU_IOAS_MAP_READABLE,
			.user_va = (uintptr_t)buf + (i % 256) * 4096,
			.length = 4096,
		};
		assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0);
	}
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.areas, 1000);
	assert_int_equal(st.pages_objs, 1000);
	assert_int_equal(uiommufd_check(fd), 0);

	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .length = UINT64_MAX };
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), 0);
	assert_int_equal(u.length, 1000 * 4096);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.pages_objs, 0);
	assert_int_equal(st.objects, 0);
	/* The id table keeps its slot array; everything else is returned. */
	assert_true(st.arena_bytes <= st0.arena_bytes + 4096);
	assert_int_equal(uiommufd_close(fd), 0);
	munmap(buf, 1 << 20);
}

static void test_bad_pointers_efault(void **state)
{
	int fd = uiommufd_open(O_RDWR);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	(void)state;
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, NULL), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, none), -1);
	assert_int_equal(errno, EFAULT);
	/* A readable struct in read-only memory: the answer cannot be written. */
	*(volatile char *)ro;
	mprotect(ro, 4096, PROT_READ | PROT_WRITE);
	((struct iommu_ioas_alloc *)ro)->size = sizeof(struct iommu_ioas_alloc);
	mprotect(ro, 4096, PROT_READ);
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, ro), -1);
	assert_int_equal(errno, EFAULT);
	/* ... and the aborted object is gone: the next id is still 1. */
	assert_int_equal(ioas_alloc(fd), 1);
	assert_int_equal(uiommufd_close(fd), 0);
	munmap(none, 4096);
	munmap(ro, 4096);
}

static void test_release_on_last_close(void **state)
{
	int fd = uiommufd_open(O_RDWR);
	char path[64];
	struct uio_ctx hdr;
	int fd2, probe;

	(void)state;
	ioas_alloc(fd);
	ioas_alloc(fd);
	fd2 = dup(fd);
	assert_true(fd2 >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	probe = open(path, O_RDONLY);
	assert_true(probe >= 0);

	/* Not the last reference: the objects stay. */
	assert_int_equal(uiommufd_close(fd), 0);
	struct uiommufd_stats st;
	assert_int_equal(uiommufd_stats(fd2, &st), 0);
	assert_int_equal(st.objects, 2);

	/* The last one: released, every arena byte returned. */
	assert_int_equal(uiommufd_close(fd2), 0);
	assert_int_equal(pread(probe, &hdr, sizeof(hdr), 0), (ssize_t)sizeof(hdr));
	assert_true(hdr.released);
	assert_int_equal(hdr.objs.count, 0);
	assert_int_equal(hdr.arena.bytes_in_use, 0);
	assert_int_equal(hdr.arena.allocs_in_use, 0);
	close(probe);
}

static void test_arena_classes(void **state)
{
	static char region[1 << 20] __attribute__((aligned(4096)));
	struct uio_arena a;
	void *p[64];

	(void)state;
	uio_arena_init(&a, region, region + sizeof(region));
	for (int i = 0; i < 64; i++) {
		p[i] = uio_arena_zalloc(&a, (size_t)(i * 97 + 1));
		assert_non_null(p[i]);
	}
	void *big = uio_arena_zalloc(&a, 10000);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % 4096, 0);
	for (int i = 0; i < 64; i++)
		uio_arena_free(&a, p[i], (size_t)(i * 97 + 1));
	uio_arena_free(&a, big, 10000);
	assert_int_equal(a.bytes_in_use, 0);
	assert_int_equal(a.allocs_in_use, 0);
	/* Freed blocks are reused, not carved again. */
	uintptr_t brk = a.brk;
	void *q = uio_arena_zalloc(&a, 97 * 5 + 1);
	assert_true(a.brk == brk);
	uio_arena_free(&a, q, 97 * 5 + 1);
	/* Exhaustion is NULL, not a crash. */
	assert_null(uio_arena_zalloc(&a, 2u << 20));
}

/* The checker sees a broken counter and a dangling short-term reference. */
static void test_checker_detects_corruption(void **state)
{
	int fd = uiommufd_open(O_RDWR);
	struct uio_ctx *ctx;
	uint32_t ioas = ioas_alloc(fd);
	static char page[4096] __attribute__((aligned(4096)));
	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas,
				    .flags = IOMMU_IOAS_MAP_READABLE,
				    .user_va = (uintptr_t)page, .length = 4096 };

	(void)state;
	uio_core_enter(); /* hold the context until it is closed */
	ctx = uio_fd_lookup(fd);
	assert_non_null(ctx);
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0);
	assert_int_equal(uiommufd_check(fd), 0);
	ctx->nareas++;
	assert_int_equal(uiommufd_check(fd), -1);
	assert_int_equal(errno, EUCLEAN);
	ctx->nareas--;
	atomic_fetch_add(&ctx->objs.slots[ioas]->shortterm, 1);
	assert_int_equal(uiommufd_check(fd), -1);
	atomic_fetch_sub(&ctx->objs.slots[ioas]->shortterm, 1);
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_close(fd), 0);
	uio_core_leave();
}

/*
 * Bytes mapped from addr on without a gap (/proc/self/maps; one mapping,
 * or several where the growth could not extend it in place: valgrind).
 */
static uint64_t mapped_at(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, end = (uintptr_t)addr;
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo == end)
			end = hi;
	fclose(f);
	return end - (uintptr_t)addr;
}

static int map_pages(int fd, uint32_t ioas, void *page, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = IOMMU_IOAS_MAP_READABLE,
			.user_va = (uintptr_t)page, .length = 4096 };

		if (uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m))
			return -1;
	}
	return 0;
}

/*
 * Only what the arena uses is mapped, in chunks; a process follows growth
 * made by another one at its next command.
 */
static void test_ctx_mapping_grows(void **state)
{
	static char page[4096] __attribute__((aligned(4096)));
	const uint32_t n = 30000;
	int fd = uiommufd_open(O_RDWR), st;
	struct iommu_ioas_unmap u = { .size = sizeof(u), .length = UINT64_MAX };
	struct uio_ctx *ctx;
	uint32_t ioas, ioas2;
	uint64_t first;
	pid_t pid;

	(void)state;
	uio_core_enter(); /* hold the context until it is closed */
	ctx = uio_fd_lookup(fd);
	assert_non_null(ctx);
	first = mapped_at(ctx);
	assert_true(first > 0 && first <= (2u << 20));
	assert_int_equal(first, ctx->arena.limit - (uintptr_t)ctx);
	/* The journal's records: the last eighth of the slot, mapped apart. */
	assert_true(ctx->arena.end - (uintptr_t)ctx == ctx->map_size / 8 * 7);
	assert_int_equal(mapped_at((char *)ctx + ctx->map_size / 8 * 7),
			 256u << 10);

	/* Growth in this process. */
	ioas = ioas_alloc(fd);
	assert_int_equal(map_pages(fd, ioas, page, n), 0);
	assert_true(mapped_at(ctx) > first);
	assert_int_equal(mapped_at(ctx), ctx->arena.limit - (uintptr_t)ctx);
	first = mapped_at(ctx);

	/* Growth in another: followed at the next command here. */
	ioas2 = ioas_alloc(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(map_pages(fd, ioas2, page, n) ? 1 : 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(mapped_at(ctx), first);
	assert_true(ctx->arena.limit - (uintptr_t)ctx > first);
	u.ioas_id = ioas2;
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), 0);
	assert_int_equal(u.length, (uint64_t)n * 4096);
	assert_int_equal(mapped_at(ctx), ctx->arena.limit - (uintptr_t)ctx);
	assert_int_equal(uiommufd_check(fd), 0);
	/* That unmap's records outgrew the journal's first chunk; given
	 * back after it. */
	assert_true(ctx->journal.high <= (256u << 10));
	assert_int_equal(mapped_at((char *)ctx + ctx->map_size / 8 * 7),
			 256u << 10);

	/* Never shrinks: what was freed is reused. */
	first = mapped_at(ctx);
	u.ioas_id = ioas;
	assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), 0);
	assert_int_equal(map_pages(fd, ioas, page, n), 0);
	assert_int_equal(mapped_at(ctx), first);
	assert_int_equal(uiommufd_close(fd), 0);
	uio_core_leave();
}

/* ------------------------------------------------------------------ */
/* automatic IOVA against a first-fit model */

#define FF_MAX 256

static struct { uint64_t iova, len; } ff_areas[FF_MAX];
static int ff_n;

/* The kernel's choice: the lowest hole in [4096, ~0 - 4096] that fits. */
static uint64_t ff_model(uint64_t len, uint64_t uptr)
{
	const uint64_t lo = 4096, hi = UINT64_MAX - 4096;
	uint64_t align = 1, start = lo;

	while (align < len)
		align <<= 1;
	if (uptr && (uptr & -uptr) < align)
		align = uptr & -uptr;
	if (align > (2u << 20))
		align = 2u << 20;
	/* ff_areas is sorted by iova; a hole ends before each area. */
	for (int i = 0; i <= ff_n; i++) {
		uint64_t last = i < ff_n ? ff_areas[i].iova - 1 : hi;
		uint64_t a = (start + align - 1) & ~(align - 1);

		if (i < ff_n && ff_areas[i].iova <= start) {
			start = ff_areas[i].iova + ff_areas[i].len;
			continue;
		}
		if (a < last && last - a >= len - 1)
			return a;
		if (i < ff_n)
			start = ff_areas[i].iova + ff_areas[i].len;
	}
	return 0;
}

static void ff_add(uint64_t iova, uint64_t len)
{
	int i = ff_n++;

	while (i && ff_areas[i - 1].iova > iova) {
		ff_areas[i] = ff_areas[i - 1];
		i--;
	}
	ff_areas[i].iova = iova;
	ff_areas[i].len = len;
}

/*
 * Random automatic maps (sizes and source alignments that change the
 * IOVA alignment) and unmaps (mostly of the last map, as the hole cache
 * likes, else anywhere): each IOVA is the model's first fit.
 */
static void test_auto_iova_first_fit(void **state)
{
	uint64_t rng = 0x2545f4914f6cdd1dull, last = 0;
	int fd = uiommufd_open(O_RDWR);
	uint32_t ioas = ioas_alloc(fd);
	char *buf = mmap(NULL, 8u << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t base = ((uintptr_t)buf + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);

	(void)state;
	ff_n = 0;
	for (int step = 0; step < 4000; step++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (ff_n < FF_MAX && (ff_n < 8 || rng % 3)) {
			uint64_t len = 4096 * (1 + (rng >> 8) % 40);
			uint64_t uptr = base + 4096 * ((rng >> 16) % 64);
			struct iommu_ioas_map m = {
				.size = sizeof(m), .ioas_id = ioas,
				.flags = IOMMU_IOAS_MAP_READABLE,
				.user_va = uptr, .length = len };
			uint64_t want = ff_model(len, uptr);

			assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m), 0);
			assert_int_equal(m.iova, want);
			ff_add(m.iova, len);
			last = m.iova;
		} else {
			int i = (int)((rng >> 20) % ff_n);
			struct iommu_ioas_unmap u = {
				.size = sizeof(u), .ioas_id = ioas };

			/* Mostly what was mapped last. */
			for (int k = 0; k < ff_n && rng % 4; k++)
				if (ff_areas[k].iova == last)
					i = k;
			u.iova = ff_areas[i].iova;
			u.length = ff_areas[i].len;
			assert_int_equal(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), 0);
			memmove(&ff_areas[i], &ff_areas[i + 1],
				(size_t)(ff_n - i - 1) * sizeof(ff_areas[0]));
			ff_n--;
		}
		if (step % 64 == 0)
			assert_int_equal(uiommufd_check(fd), 0);
	}
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_close(fd), 0);
	munmap(buf, 8u << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_lowest_free),
		cmocka_unit_test(test_arena_returns_to_baseline),
		cmocka_unit_test(test_bad_pointers_efault),
		cmocka_unit_test(test_release_on_last_close),
		cmocka_unit_test(test_arena_classes),
		cmocka_unit_test(test_checker_detects_corruption),
		cmocka_unit_test(test_ctx_mapping_grows),
		cmocka_unit_test(test_auto_iova_first_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
