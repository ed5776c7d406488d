// SPDX-License-Identifier: MIT
/*
 * pgtable against a per-granule model: random maps (some large-leaf
 * aligned) and unmaps (some cutting large leaves), then every granule's
 * translation, the mapped byte count, dirty reporting, and that every table
 * is freed once nothing is mapped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgtable.h"
#include "xorshift.h"

#define GSHIFT 11                 /* the mock driver's 2 KiB IO page */
#define G (1ull << GSHIFT)
#define NGRAN 4096                /* model 8 MiB of IOVA */
#define NONE UINT64_MAX

static char region[64 << 20] __attribute__((aligned(4096)));
static uint64_t model[NGRAN];
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng);
}

static void check_all(struct uio_pgt *p)
{
	uint64_t bytes = 0;

	for (uint64_t g = 0; g < NGRAN; g++) {
		uint64_t oa, flags;
		bool m = uio_pgt_lookup(p, g * G + 5, &oa, &flags);

		assert_int_equal(m, model[g] != NONE);
		if (m) {
			assert_int_equal(oa, model[g] + 5);
			assert_true(flags & UIO_PTE_READ);
			bytes += G;
		}
	}
	assert_int_equal(p->mapped_bytes, bytes);
}

static void test_random_against_model(void **state)
{
	struct uio_arena a;
	struct uio_pgt p;

	(void)state;
	uio_arena_init(&a, region, region + sizeof(region));
	assert_int_equal(uio_pgt_init(&p, &a, GSHIFT, 3, 1), 0);
	for (int g = 0; g < NGRAN; g++)
		model[g] = NONE;
	for (int step = 0; step < 3000; step++) {
		uint64_t g = rnd() % NGRAN, n = 1 + rnd() % 64;

		if (rnd() % 4 == 0) {
			/* A large-leaf candidate: 1 MiB aligned, 1 MiB long. */
			g &= ~511ull;
			n = 512;
		}
		if (g + n > NGRAN)
			n = NGRAN - g;
		if (rnd() % 2) {
			uint64_t oa = (rnd() % 1024) << 20 | (g * G & ((1 << 20) - 1));
			bool busy = false;

			for (uint64_t i = g; i < g + n; i++)
				busy |= model[i] != NONE;
			int rc = uio_pgt_map(&p, g * G, oa, n * G, UIO_PTE_READ);
			assert_int_equal(rc, busy ? -EEXIST : 0);
			if (!busy)
				for (uint64_t i = 0; i < n; i++)
					model[g + i] = oa + i * G;
		} else {
			uint64_t expect = 0, got;

			for (uint64_t i = g; i < g + n; i++) {
				expect += model[i] != NONE ? G : 0;
				model[i] = NONE;
			}
			assert_int_equal(uio_pgt_unmap(&p, g * G, n * G, &got), 0);
			assert_int_equal(got, expect);
		}
		if (step % 100 == 0)
			check_all(&p);
	}
	check_all(&p);
	uint64_t got;
	assert_int_equal(uio_pgt_unmap(&p, 0, NGRAN * G, &got), 0);
	assert_int_equal(p.mapped_bytes, 0);
	assert_int_equal(p.ntables, 1); /* only the root is left */
	uio_pgt_destroy(&p);
	assert_int_equal(a.bytes_in_use, 0);
}

static void collect(void *arg, uint64_t iova, uint64_t len)
{
	uint64_t *acc = arg;

	acc[0]++;
	acc[1] += len;
	(void)iova;
}

static void test_large_leaf_split_and_dirty(void **state)
{
	struct uio_arena a;
	struct uio_pgt p;
	uint64_t oa, flags, got, acc[2] = { 0, 0 };

	(void)state;
	uio_arena_init(&a, region, region + sizeof(region));
	assert_int_equal(uio_pgt_init(&p, &a, GSHIFT, 3, 1), 0);
	/* 2 MiB at a 1 MiB boundary: two large leaves, no level-0 table. */
	assert_int_equal(uio_pgt_map(&p, 1 << 20, 64 << 20, 2 << 20,
				     UIO_PTE_READ | UIO_PTE_WRITE), 0);
	assert_int_equal(p.ntables, 2);
	assert_true(uio_pgt_touch(&p, (1 << 20) + 3 * G, true));
	uio_pgt_read_dirty(&p, 0, 4 << 20, true, collect, acc);
	assert_int_equal(acc[0], 1);
	assert_int_equal(acc[1], 1 << 20);  /* the whole large leaf */
	/* Cut a granule out of the first leaf: it splits, keeping DIRTY. */
	assert_int_equal(uio_pgt_unmap(&p, (1 << 20) + 7 * G, G, &got), 0);
	assert_int_equal(got, G);
	assert_false(uio_pgt_lookup(&p, (1 << 20) + 7 * G, &oa, &flags));
	assert_true(uio_pgt_lookup(&p, (1 << 20) + 8 * G, &oa, &flags));
	assert_int_equal(oa, (64 << 20) + 8 * G);
	assert_true(flags & UIO_PTE_DIRTY);
	acc[0] = acc[1] = 0;
	uio_pgt_read_dirty(&p, 0, 4 << 20, false, collect, acc);
	assert_int_equal(acc[1], (1 << 20) - G);  /* all but the hole */
	acc[0] = acc[1] = 0;
	uio_pgt_read_dirty(&p, 0, 4 << 20, false, collect, acc);
	assert_int_equal(acc[0], 0);              /* cleared */
	/* Errors. */
	assert_int_equal(uio_pgt_map(&p, 1 << 20, 0, G, UIO_PTE_READ), -EEXIST);
	assert_int_equal(uio_pgt_map(&p, 100, 0, G, UIO_PTE_READ), -EINVAL);
	assert_int_equal(uio_pgt_map(&p, 1ull << 40, 0, G, UIO_PTE_READ), -EINVAL);
	assert_int_equal(uio_pgt_unmap(&p, 0, 1ull << 38, &got), 0);
	assert_int_equal(got, (2 << 20) - G);
	assert_int_equal(p.ntables, 1);
	uio_pgt_destroy(&p);
	assert_int_equal(a.bytes_in_use, 0);
}

/* A map that runs out of memory midway leaves nothing behind. */
static void test_enomem_rolls_back(void **state)
{
	static char small[5 * 4096] __attribute__((aligned(4096)));
	struct uio_arena a;
	struct uio_pgt p;
	uint64_t oa, flags;

	(void)state;
	uio_arena_init(&a, small, small + sizeof(small));
	assert_int_equal(uio_pgt_init(&p, &a, GSHIFT, 3, 0), 0);
	/* Needs a level-1 table and two level-0 tables: only three fit. */
	assert_int_equal(uio_pgt_map(&p, 0, 0, 8 << 20, UIO_PTE_READ), -ENOMEM);
	assert_false(uio_pgt_lookup(&p, 0, &oa, &flags));
	assert_int_equal(p.mapped_bytes, 0);
	assert_int_equal(p.ntables, 1);
	assert_int_equal(uio_pgt_map(&p, 0, 0, 1 << 20, UIO_PTE_READ), 0);
	uio_pgt_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_large_leaf_split_and_dirty),
		cmocka_unit_test(test_enomem_rolls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
