// SPDX-License-Identifier: MIT
/*
 * itree against a brute-force model: random inserts and removes of
 * overlapping ranges of two kinds, each step followed by the tree's own
 * invariant check and random queries (intersection iteration, first-fit
 * holes, spans) compared with answers computed from a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itree.h"

#define NMAX 256

static struct uio_itree_node nodes[NMAX];
static bool in_tree[NMAX];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Addresses from a small space, with the extremes now and then. */
static uint64_t raddr(void)
{
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return UINT64_MAX;
	case 2:
		return UINT64_MAX - rnd() % 64;
	default:
		return rnd() % 2048;
	}
}

static bool model_hit(int i, uint64_t s, uint64_t l, uint32_t kinds)
{
	return in_tree[i] && nodes[i].start <= l && nodes[i].last >= s &&
	       (nodes[i].kind & kinds);
}

static bool covered(uint64_t a)
{
	for (int i = 0; i < NMAX; i++)
		if (in_tree[i] && nodes[i].start <= a && nodes[i].last >= a)
			return true;
	return false;
}

static void check_iter(struct uio_itree *t)
{
	uint64_t s = raddr(), l = raddr();
	uint32_t kinds = (uint32_t)(rnd() % 3 + 1);
	int expect = 0, got = 0;
	uint64_t prev_start = 0;

	if (s > l) {
		uint64_t x = s;
		s = l;
		l = x;
	}
	for (int i = 0; i < NMAX; i++)
		expect += model_hit(i, s, l, kinds);
	for (struct uio_itree_node *n = uio_itree_iter_first(t, s, l, kinds); n;
	     n = uio_itree_iter_next(n, s, l, kinds)) {
		int i = (int)(n - nodes);

		assert_true(model_hit(i, s, l, kinds));
		assert_true(n->start >= prev_start);
		prev_start = n->start;
		got++;
	}
	assert_int_equal(got, expect);
}

/* Holes are checked in a window where the model can walk every address. */
static void check_holes(struct uio_itree *t)
{
	uint64_t lo = rnd() % 2100, hi = lo + rnd() % 400;
	uint64_t min = rnd() % 40 + 1;
	uint64_t hs, hl, a = lo;
	bool found = uio_itree_find_hole(t, lo, hi, min, &hs, &hl);

	/* Model: scan for the first run of >= min uncovered addresses. */
	while (a <= hi) {
		uint64_t b;

		if (covered(a)) {
			a++;
			continue;
		}
		b = a;
		while (b + 1 <= hi && !covered(b + 1))
			b++;
		if (b - a + 1 >= min) {
			assert_true(found);
			assert_int_equal(hs, a);
			assert_int_equal(hl, b);
			return;
		}
		a = b + 1;
	}
	assert_false(found);
}

static void check_spans(struct uio_itree *t)
{
	uint64_t lo = rnd() % 2100, hi = lo + rnd() % 300, next = lo;
	struct uio_itree_span sp;

	for (uio_itree_span_first(&sp, t, lo, hi); !uio_itree_span_done(&sp);
	     uio_itree_span_next(&sp)) {
		assert_int_equal(sp.start, next);
		assert_true(sp.last >= sp.start && sp.last <= hi);
		for (uint64_t a = sp.start; a <= sp.last; a++)
			assert_int_equal(covered(a), !sp.is_hole);
		/* Maximal: the next address differs in coverage. */
		if (sp.last < hi)
			assert_int_not_equal(covered(sp.last + 1), !sp.is_hole);
		next = sp.last + 1;
		if (sp.last == hi)
			break;
	}
	assert_int_equal(next, hi + 1);
}

static void test_random_differential(void **state)
{
	struct uio_itree t;

	(void)state;
	uio_itree_init(&t);
	memset(in_tree, 0, sizeof(in_tree));
	for (int step = 0; step < 6000; step++) {
		int i = (int)(rnd() % NMAX);

		if (in_tree[i]) {
			uio_itree_remove(&t, &nodes[i]);
			in_tree[i] = false;
		} else {
			uint64_t s = raddr(), len = rnd() % 8 ? rnd() % 64 : rnd() % 1024;

			if (s > UINT64_MAX - len)
				len = UINT64_MAX - s;
			nodes[i].start = s;
			nodes[i].last = s + len;
			nodes[i].kind = 1u << (rnd() % 2);
			uio_itree_insert(&t, &nodes[i]);
			in_tree[i] = true;
		}
		assert_int_equal(uio_itree_check(&t), 0);
		check_iter(&t);
		if (step % 4 == 0) {
			check_holes(&t);
			check_spans(&t);
		}
	}
}

static void test_edges(void **state)
{
	struct uio_itree t;
	struct uio_itree_node a = { .start = 0, .last = 0, .kind = 1 };
	struct uio_itree_node b = { .start = UINT64_MAX, .last = UINT64_MAX, .kind = 1 };
	uint64_t hs, hl;

	(void)state;
	uio_itree_init(&t);
	assert_true(uio_itree_find_hole(&t, 0, UINT64_MAX, UINT64_MAX, &hs, &hl));
	assert_int_equal(hs, 0);
	assert_int_equal(hl, UINT64_MAX);
	uio_itree_insert(&t, &a);
	uio_itree_insert(&t, &b);
	assert_true(uio_itree_find_hole(&t, 0, UINT64_MAX, 1, &hs, &hl));
	assert_int_equal(hs, 1);
	assert_int_equal(hl, UINT64_MAX - 1);
	assert_false(uio_itree_find_hole(&t, 0, UINT64_MAX, UINT64_MAX, &hs, &hl));
	assert_true(uio_itree_find_hole(&t, 0, UINT64_MAX, UINT64_MAX - 1, &hs, &hl));
	assert_ptr_equal(uio_itree_iter_first(&t, UINT64_MAX, UINT64_MAX, 1), &b);
	assert_null(uio_itree_iter_first(&t, 1, UINT64_MAX - 1, 1));
	uio_itree_remove(&t, &a);
	uio_itree_remove(&t, &b);
	assert_true(uio_itree_empty(&t));
}

/* A million adjacent 4 KiB areas: queries still answer, holes are found. */
static void test_scale(void **state)
{
	const size_t n = 1000000;
	struct uio_itree_node *v = calloc(n, sizeof(*v));
	struct uio_itree t;
	uint64_t hs, hl;

	(void)state;
	assert_non_null(v);
	uio_itree_init(&t);
	for (size_t i = 0; i < n; i++) {
		v[i].start = 4096 * (i + 1);
		v[i].last = v[i].start + 4095;
		v[i].kind = 1;
		uio_itree_insert(&t, &v[i]);
	}
	assert_int_equal(uio_itree_check(&t), 0);
	assert_true(uio_itree_find_hole(&t, 4096, UINT64_MAX, 4096, &hs, &hl));
	assert_int_equal(hs, 4096 * (n + 1));
	uio_itree_remove(&t, &v[n / 2]);
	assert_true(uio_itree_find_hole(&t, 4096, UINT64_MAX, 4096, &hs, &hl));
	assert_int_equal(hs, v[n / 2].start);
	assert_int_equal(hl, v[n / 2].last);
	assert_ptr_equal(uio_itree_iter_first(&t, v[7].start + 5, v[7].start + 5, 1),
			 &v[7]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
