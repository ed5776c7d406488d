// SPDX-License-Identifier: MIT
/*
 * itree unit tests: hand-made edge cases, a randomized differential test
 * against a brute-force model (sorted arrays, merged coverage runs), and a
 * million-node scale test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itree.h"
#include "xorshift.h"

#define MAXU UINT64_MAX

static void set(struct uio_itree_node *n, uint64_t start, uint64_t last,
		uint32_t kind)
{
	memset(n, 0, sizeof(*n));
	n->start = start;
	n->last = last;
	n->kind = kind;
}

static void hole_is(const struct uio_itree *t, uint64_t lo, uint64_t hi,
		    uint64_t min, uint64_t es, uint64_t el)
{
	uint64_t hs = 1, hl = 0;

	assert_true(uio_itree_find_hole(t, lo, hi, min, &hs, &hl));
	assert_int_equal(hs, es);
	assert_int_equal(hl, el);
}

static void no_hole(const struct uio_itree *t, uint64_t lo, uint64_t hi,
		    uint64_t min)
{
	uint64_t hs, hl;

	assert_false(uio_itree_find_hole(t, lo, hi, min, &hs, &hl));
}

/* Expected spans as triples {start, last, is_hole}. */
static void spans_are(const struct uio_itree *t, uint64_t lo, uint64_t hi,
		      const uint64_t (*exp)[3], size_t n)
{
	struct uio_itree_span sp;
	size_t i = 0;

	for (uio_itree_span_first(&sp, t, lo, hi); !uio_itree_span_done(&sp);
	     uio_itree_span_next(&sp), i++) {
		assert_true(i < n);
		assert_int_equal(sp.start, exp[i][0]);
		assert_int_equal(sp.last, exp[i][1]);
		assert_int_equal(sp.is_hole, exp[i][2]);
	}
	assert_int_equal(i, n);
}

/* ------------------------------------------------------------------ */
/* edge cases */

static void test_empty(void **state)
{
	struct uio_itree t;
	struct uio_itree_span sp;

	(void)state;
	uio_itree_init(&t);
	assert_true(uio_itree_empty(&t));
	assert_int_equal(uio_itree_check(&t), 0);
	assert_null(uio_itree_first(&t));
	assert_null(uio_itree_iter_first(&t, 0, MAXU, UIO_ITREE_ALL_KINDS));
	hole_is(&t, 0, MAXU, MAXU, 0, MAXU);
	hole_is(&t, 0, MAXU, 0, 0, MAXU);  /* min_size 0 counts as 1 */
	hole_is(&t, 5, 5, 1, 5, 5);
	hole_is(&t, MAXU, MAXU, 1, MAXU, MAXU);
	no_hole(&t, 5, 4, 1);
	no_hole(&t, 5, 5, 2);
	hole_is(&t, 1, MAXU, MAXU, 1, MAXU);
	no_hole(&t, 2, MAXU, MAXU);
	spans_are(&t, 0, MAXU, (const uint64_t[][3]){ { 0, MAXU, 1 } }, 1);
	spans_are(&t, 7, 7, (const uint64_t[][3]){ { 7, 7, 1 } }, 1);
	uio_itree_span_first(&sp, &t, 8, 7);
	assert_true(uio_itree_span_done(&sp));
}

static void test_extremes(void **state)
{
	struct uio_itree t;
	struct uio_itree_node a, b;

	(void)state;
	uio_itree_init(&t);
	set(&a, 0, 0, 1);
	set(&b, MAXU, MAXU, 2);
	uio_itree_insert(&t, &a);
	uio_itree_insert(&t, &b);
	assert_int_equal(uio_itree_check(&t), 0);
	hole_is(&t, 0, MAXU, 1, 1, MAXU - 1);
	hole_is(&t, 0, MAXU, MAXU - 1, 1, MAXU - 1);
	no_hole(&t, 0, MAXU, MAXU);
	no_hole(&t, 0, 0, 1);
	no_hole(&t, MAXU, MAXU, 1);
	hole_is(&t, MAXU - 1, MAXU, 1, MAXU - 1, MAXU - 1);
	hole_is(&t, 0, 1, 1, 1, 1);
	assert_ptr_equal(uio_itree_iter_first(&t, MAXU, MAXU, 2), &b);
	assert_null(uio_itree_iter_first(&t, MAXU, MAXU, 1));
	assert_ptr_equal(uio_itree_iter_first(&t, 0, MAXU, 3), &a);
	assert_ptr_equal(uio_itree_iter_next(&a, 0, MAXU, 3), &b);
	assert_null(uio_itree_iter_next(&b, 0, MAXU, 3));
	assert_ptr_equal(uio_itree_iter_first(&t, 0, MAXU, 2), &b);
	assert_null(uio_itree_iter_first(&t, 1, MAXU - 1, 3));
	spans_are(&t, 0, MAXU,
		  (const uint64_t[][3]){ { 0, 0, 0 },
					 { 1, MAXU - 1, 1 },
					 { MAXU, MAXU, 0 } },
		  3);

	/* One node covering everything. */
	uio_itree_remove(&t, &a);
	uio_itree_remove(&t, &b);
	assert_true(uio_itree_empty(&t));
	set(&a, 0, MAXU, 1);
	uio_itree_insert(&t, &a);
	assert_int_equal(uio_itree_check(&t), 0);
	no_hole(&t, 0, MAXU, 1);
	no_hole(&t, 12345, 12345, 1);
	assert_ptr_equal(uio_itree_iter_first(&t, 77, 77, 1), &a);
	spans_are(&t, 3, 9, (const uint64_t[][3]){ { 3, 9, 0 } }, 1);
	spans_are(&t, 0, MAXU, (const uint64_t[][3]){ { 0, MAXU, 0 } }, 1);

	/* [1, MAXU]: only address 0 is free. */
	uio_itree_remove(&t, &a);
	set(&a, 1, MAXU, 1);
	uio_itree_insert(&t, &a);
	hole_is(&t, 0, MAXU, 1, 0, 0);
	no_hole(&t, 0, MAXU, 2);
	no_hole(&t, 1, MAXU, 1);
	uio_itree_remove(&t, &a);
	assert_true(uio_itree_empty(&t));
	assert_int_equal(uio_itree_check(&t), 0);
}

static void test_single_and_touching(void **state)
{
	struct uio_itree t;
	struct uio_itree_node n[4];

	(void)state;
	uio_itree_init(&t);
	set(&n[0], 5, 5, 1);
	set(&n[1], 6, 6, 1);   /* touches n[0] */
	set(&n[2], 8, 8, 2);   /* one free address (7) before it */
	set(&n[3], 9, 12, 1);  /* touches n[2] */
	for (int i = 0; i < 4; i++)
		uio_itree_insert(&t, &n[i]);
	assert_int_equal(uio_itree_check(&t), 0);

	/* Touching nodes leave no hole and merge into one used span. */
	spans_are(&t, 0, 20,
		  (const uint64_t[][3]){ { 0, 4, 1 },
					 { 5, 6, 0 },
					 { 7, 7, 1 },
					 { 8, 12, 0 },
					 { 13, 20, 1 } },
		  5);
	spans_are(&t, 6, 8,
		  (const uint64_t[][3]){ { 6, 6, 0 }, { 7, 7, 1 }, { 8, 8, 0 } },
		  3);
	spans_are(&t, 7, 7, (const uint64_t[][3]){ { 7, 7, 1 } }, 1);
	hole_is(&t, 0, 20, 1, 0, 4);
	hole_is(&t, 5, 20, 1, 7, 7);
	hole_is(&t, 8, 20, 1, 13, 20);
	hole_is(&t, 5, 20, 2, 13, 20);
	hole_is(&t, 3, 20, 2, 3, 4);
	no_hole(&t, 3, 20, 9);
	hole_is(&t, 3, MAXU, 9, 13, MAXU);
	no_hole(&t, 5, 6, 1);

	/* Single-address queries and kinds. */
	assert_ptr_equal(uio_itree_iter_first(&t, 6, 6, 1), &n[1]);
	assert_null(uio_itree_iter_first(&t, 7, 7, UIO_ITREE_ALL_KINDS));
	assert_null(uio_itree_iter_first(&t, 8, 8, 1));
	assert_ptr_equal(uio_itree_iter_first(&t, 8, 8, 2), &n[2]);
	assert_ptr_equal(uio_itree_iter_first(&t, 6, 9, 1), &n[1]);
	assert_ptr_equal(uio_itree_iter_next(&n[1], 6, 9, 1), &n[3]);
	assert_null(uio_itree_iter_next(&n[3], 6, 9, 1));
	assert_ptr_equal(uio_itree_iter_first(&t, 0, 100, 2), &n[2]);
	assert_null(uio_itree_iter_next(&n[2], 0, 100, 2));

	/* Removing the middle of a touching pair opens a hole. */
	uio_itree_remove(&t, &n[1]);
	assert_int_equal(uio_itree_check(&t), 0);
	hole_is(&t, 5, 20, 2, 6, 7);
	uio_itree_remove(&t, &n[2]);
	hole_is(&t, 5, 20, 3, 6, 8);
	uio_itree_remove(&t, &n[0]);
	uio_itree_remove(&t, &n[3]);
	assert_true(uio_itree_empty(&t));
}

static void test_overlapping(void **state)
{
	struct uio_itree t;
	struct uio_itree_node big, in1, in2, tail, dup1, dup2;
	struct uio_itree_node *a, *b;

	(void)state;
	uio_itree_init(&t);
	set(&big, 100, 1000, 1);
	set(&in1, 200, 200, 2);    /* inside big, with local holes around it */
	set(&in2, 400, 500, 2);
	set(&tail, 990, 1100, 2);  /* overlaps big's end */
	uio_itree_insert(&t, &in1);
	uio_itree_insert(&t, &in2);
	uio_itree_insert(&t, &tail);
	assert_int_equal(uio_itree_check(&t), 0);
	hole_is(&t, 0, MAXU, 150, 0, 199);
	hole_is(&t, 100, MAXU, 150, 201, 399);
	uio_itree_insert(&t, &big);
	assert_int_equal(uio_itree_check(&t), 0);
	/* big hides the holes between in1, in2 and tail. */
	hole_is(&t, 0, MAXU, 1, 0, 99);
	hole_is(&t, 100, MAXU, 1, 1101, MAXU);
	no_hole(&t, 100, 1100, 1);
	hole_is(&t, 50, 2000, 50, 50, 99);
	hole_is(&t, 50, 2000, 51, 1101, 2000);
	spans_are(&t, 0, 2000,
		  (const uint64_t[][3]){ { 0, 99, 1 },
					 { 100, 1100, 0 },
					 { 1101, 2000, 1 } },
		  3);
	/* Kind filters see through big. */
	assert_ptr_equal(uio_itree_iter_first(&t, 300, 450, 2), &in2);
	assert_ptr_equal(uio_itree_iter_first(&t, 300, 450, 1), &big);
	assert_ptr_equal(uio_itree_iter_first(&t, 0, MAXU, 2), &in1);
	assert_ptr_equal(uio_itree_iter_next(&in1, 0, MAXU, 2), &in2);
	assert_ptr_equal(uio_itree_iter_next(&in2, 0, MAXU, 2), &tail);
	assert_null(uio_itree_iter_next(&tail, 0, MAXU, 2));
	assert_ptr_equal(uio_itree_iter_first(&t, 1000, 1000, 3), &big);
	assert_ptr_equal(uio_itree_iter_next(&big, 1000, 1000, 3), &tail);
	assert_null(uio_itree_iter_first(&t, 1101, MAXU, 3));

	/* Equal starts: ordered by address, all found. */
	set(&dup1, 400, 450, 1);
	set(&dup2, 400, 450, 1);
	uio_itree_insert(&t, &dup1);
	uio_itree_insert(&t, &dup2);
	assert_int_equal(uio_itree_check(&t), 0);
	a = (uintptr_t)&dup1 < (uintptr_t)&dup2 ? &dup1 : &dup2;
	b = a == &dup1 ? &dup2 : &dup1;
	assert_ptr_equal(uio_itree_iter_first(&t, 420, 420, 1), &big);
	assert_ptr_equal(uio_itree_iter_next(&big, 420, 420, 1), a);
	assert_ptr_equal(uio_itree_iter_next(a, 420, 420, 1), b);
	assert_null(uio_itree_iter_next(b, 420, 420, 1));

	/* Removing big brings the holes back. */
	uio_itree_remove(&t, &big);
	assert_int_equal(uio_itree_check(&t), 0);
	hole_is(&t, 100, MAXU, 1, 100, 199);
	hole_is(&t, 200, MAXU, 150, 201, 399);
	hole_is(&t, 200, MAXU, 300, 501, 989);
	hole_is(&t, 450, 700, 150, 501, 700);
	no_hole(&t, 450, 700, 201);
	uio_itree_remove(&t, &in1);
	uio_itree_remove(&t, &in2);
	uio_itree_remove(&t, &tail);
	uio_itree_remove(&t, &dup1);
	uio_itree_remove(&t, &dup2);
	assert_true(uio_itree_empty(&t));
	assert_int_equal(uio_itree_check(&t), 0);
}

/* A corrupted tree is reported. */
static void test_check_detects(void **state)
{
	struct uio_itree t;
	struct uio_itree_node n[3];

	(void)state;
	uio_itree_init(&t);
	set(&n[0], 10, 20, 1);
	set(&n[1], 30, 40, 1);
	set(&n[2], 50, 60, 1);
	for (int i = 0; i < 3; i++)
		uio_itree_insert(&t, &n[i]);
	assert_int_equal(uio_itree_check(&t), 0);
	n[1].sub_gap++;
	assert_int_equal(uio_itree_check(&t), -1);
	n[1].sub_gap--;
	n[0].last = 25;  /* changed behind the tree's back */
	assert_int_equal(uio_itree_check(&t), -1);
	n[0].last = 20;
	t.count++;
	assert_int_equal(uio_itree_check(&t), -1);
	t.count--;
	assert_int_equal(uio_itree_check(&t), 0);
}

/* ------------------------------------------------------------------ */
/* randomized differential test */

#define NMAX 200

static struct uio_itree_node nodes[NMAX];
static bool in_tree[NMAX];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	return xorshift64(&rng);
}

/* Mostly a small space (dense overlaps), now and then extremes and huge values. */
static uint64_t raddr(void)
{
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return MAXU;
	case 2:
		return MAXU - rnd() % 4096;
	case 3:
		return rnd();
	case 4:
		return (uint64_t)1 << (rnd() % 64);
	default:
		return rnd() % 4096;
	}
}

static uint64_t rlen(void)
{
	switch (rnd() % 32) {
	case 0:
		return MAXU;
	case 1:
	case 2:
		return rnd() >> (rnd() % 64);
	case 3:
	case 4:
	case 5:
		return rnd() % 2048;
	case 6:
		return 0;
	default:
		return rnd() % 48;
	}
}

static uint64_t rsize(void)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return MAXU - rnd() % 3;
	case 2:
		return rnd() >> (rnd() % 64);
	case 3:
		return 1;
	default:
		return rnd() % 64 + 1;
	}
}

static void rrange(uint64_t *lo, uint64_t *hi)
{
	uint64_t a = raddr(), b;

	switch (rnd() % 4) {
	case 0:
		b = raddr();
		break;
	case 1:
		b = a + rnd() % 512;
		if (b < a)
			b = MAXU;
		break;
	default:
		b = rnd() % 4096;
		break;
	}
	if (a > b) {
		uint64_t x = a;

		a = b;
		b = x;
	}
	*lo = a;
	*hi = b;
}

/* The model: nodes in tree order, and coverage merged into runs. */
static const struct uio_itree_node *sorted[NMAX];
static uint64_t run_s[NMAX], run_l[NMAX];
static int nsorted, nruns;

static int cmp_node(const void *pa, const void *pb)
{
	const struct uio_itree_node *a = *(const struct uio_itree_node *const *)pa;
	const struct uio_itree_node *b = *(const struct uio_itree_node *const *)pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

static void model_build(void)
{
	nsorted = 0;
	for (int i = 0; i < NMAX; i++)
		if (in_tree[i])
			sorted[nsorted++] = &nodes[i];
	qsort(sorted, (size_t)nsorted, sizeof(sorted[0]), cmp_node);
	nruns = 0;
	for (int i = 0; i < nsorted; i++) {
		const struct uio_itree_node *n = sorted[i];

		if (nruns && (run_l[nruns - 1] == MAXU ||
			      n->start <= run_l[nruns - 1] + 1)) {
			if (n->last > run_l[nruns - 1])
				run_l[nruns - 1] = n->last;
		} else {
			run_s[nruns] = n->start;
			run_l[nruns] = n->last;
			nruns++;
		}
	}
}

/* The k-th hole of the whole space in order; false past the last. */
static bool model_hole(int k, uint64_t *s, uint64_t *l)
{
	int idx = 0;

	if (nruns == 0) {
		*s = 0;
		*l = MAXU;
		return k == 0;
	}
	if (run_s[0] > 0) {
		if (k == idx) {
			*s = 0;
			*l = run_s[0] - 1;
			return true;
		}
		idx++;
	}
	for (int r = 0; r < nruns; r++) {
		if (run_l[r] == MAXU)
			return false;
		if (k == idx) {
			*s = run_l[r] + 1;
			*l = r + 1 < nruns ? run_s[r + 1] - 1 : MAXU;
			return true;
		}
		idx++;
	}
	return false;
}

static bool model_find_hole(uint64_t lo, uint64_t hi, uint64_t min,
			    uint64_t *rs, uint64_t *rl)
{
	uint64_t s, l;

	if (!min)
		min = 1;
	for (int k = 0; model_hole(k, &s, &l); k++) {
		if (s < lo)
			s = lo;
		if (l > hi)
			l = hi;
		if (s > l)
			continue;
		if (l - s >= min - 1) {
			*rs = s;
			*rl = l;
			return true;
		}
	}
	return false;
}

static bool covered(uint64_t a)
{
	for (int r = 0; r < nruns; r++)
		if (run_s[r] <= a && a <= run_l[r])
			return true;
	return false;
}

static void check_iter(const struct uio_itree *t)
{
	uint64_t s, l;
	uint32_t kinds = (uint32_t)(rnd() % 8);
	int i = 0;

	if (kinds == 0 || kinds == 7)
		kinds = UIO_ITREE_ALL_KINDS;
	rrange(&s, &l);
	for (struct uio_itree_node *n = uio_itree_iter_first(t, s, l, kinds); n;
	     n = uio_itree_iter_next(n, s, l, kinds)) {
		while (i < nsorted &&
		       !(sorted[i]->start <= l && sorted[i]->last >= s &&
			 (sorted[i]->kind & kinds)))
			i++;
		assert_true(i < nsorted);
		assert_ptr_equal(n, sorted[i]);
		i++;
	}
	for (; i < nsorted; i++)
		assert_false(sorted[i]->start <= l && sorted[i]->last >= s &&
			     (sorted[i]->kind & kinds));
}

static void check_holes(const struct uio_itree *t)
{
	uint64_t lo, hi, min = rsize(), hs, hl, es, el;
	bool got, exp;
	int rounds = 0;

	rrange(&lo, &hi);
	/* The caller protocol: continue after each hole found. */
	for (;;) {
		got = uio_itree_find_hole(t, lo, hi, min, &hs, &hl);
		exp = model_find_hole(lo, hi, min, &es, &el);
		assert_int_equal(got, exp);
		if (!got)
			break;
		assert_int_equal(hs, es);
		assert_int_equal(hl, el);
		if (hl == hi || hl == MAXU || ++rounds == 8)
			break;
		lo = hl + 1;
	}
}

static void check_spans(const struct uio_itree *t)
{
	uint64_t lo, hi, next;
	struct uio_itree_span sp;
	int n = 0;

	rrange(&lo, &hi);
	next = lo;
	for (uio_itree_span_first(&sp, t, lo, hi); !uio_itree_span_done(&sp);
	     uio_itree_span_next(&sp), n++) {
		assert_int_equal(sp.start, next);
		assert_true(sp.last >= sp.start && sp.last <= hi);
		/* Uniform coverage: the span lies in one run or one hole. */
		assert_int_equal(covered(sp.start), !sp.is_hole);
		for (int r = 0; r < nruns; r++) {
			bool inside = run_s[r] <= sp.start && sp.last <= run_l[r];
			bool meets = run_s[r] <= sp.last && run_l[r] >= sp.start;

			if (sp.is_hole)
				assert_false(meets);
			else if (meets)
				assert_true(inside);
		}
		/* Maximal: the neighbour inside [lo, hi] differs. */
		if (sp.last < hi)
			assert_int_equal(covered(sp.last + 1), sp.is_hole);
		if (n && sp.start > lo)
			assert_int_equal(covered(sp.start - 1), sp.is_hole);
		if (sp.last == hi) {
			uio_itree_span_next(&sp);
			assert_true(uio_itree_span_done(&sp));
			return;
		}
		next = sp.last + 1;
	}
	fail_msg("span iteration stopped before hi");
}

static void test_random_differential(void **state)
{
	struct uio_itree t;

	(void)state;
	uio_itree_init(&t);
	memset(in_tree, 0, sizeof(in_tree));
	for (int step = 0; step < 12000; step++) {
		int i = (int)(rnd() % NMAX);

		/* Phases that grow the tree, then drain it. */
		bool grow = (step / 1500) % 2 == 0;

		if (in_tree[i] && (!grow || rnd() % 4 == 0)) {
			uio_itree_remove(&t, &nodes[i]);
			in_tree[i] = false;
		} else if (!in_tree[i] && (grow || rnd() % 4 == 0)) {
			uint64_t s = raddr(), len = rlen();

			if (s > MAXU - len)
				len = MAXU - s;
			set(&nodes[i], s, s + len, 1u << (rnd() % 3));
			uio_itree_insert(&t, &nodes[i]);
			in_tree[i] = true;
		}
		assert_int_equal(uio_itree_check(&t), 0);
		model_build();
		assert_int_equal(t.count, (uint64_t)nsorted);
		for (int q = 0; q < 3; q++) {
			check_iter(&t);
			check_holes(&t);
		}
		check_spans(&t);
	}
	for (int i = 0; i < NMAX; i++)
		if (in_tree[i])
			uio_itree_remove(&t, &nodes[i]);
	assert_true(uio_itree_empty(&t));
	assert_int_equal(uio_itree_check(&t), 0);
}

/*
 * A tree with a hole cache, driven as the allocator drives it: first-fit
 * searches from one lo, nodes put into the holes found (mostly at their
 * start), the last one taken out again, with random inserts, removes and
 * searches from elsewhere in between. Every answer is the model's, and
 * the check verifies the cache (hole, node, neighbours) after each step.
 */
static void test_hole_cache_differential(void **state)
{
	struct uio_itree t;
	struct uio_itree_hc hc;
	int stack[NMAX], nstack = 0;

	(void)state;
	uio_itree_init_hc(&t, &hc, 0);
	memset(in_tree, 0, sizeof(in_tree));
	for (int step = 0; step < 30000; step++) {
		uint64_t lo = (step / 3000) % 2 ? 16 : 0, hi = MAXU, min, hs, hl;
		uint64_t es, el;
		int op = (int)(rnd() % 18), i = (int)(rnd() % NMAX);
		bool got, exp;

		if (rnd() % 8 == 0)
			hi = 1024 + rnd() % 4096;
		min = rnd() % 4 ? rnd() % 24 + 1 : rsize();
		model_build();
		if (op < 7) {
			/* Allocate: the first hole from lo that fits. */
			got = uio_itree_find_hole(&t, lo, hi, min, &hs, &hl);
			exp = model_find_hole(lo, hi, min, &es, &el);
			assert_int_equal(got, exp);
			if (got) {
				assert_int_equal(hs, es);
				assert_int_equal(hl, el);
			}
			while (got && i < NMAX && in_tree[i])
				i++;
			if (got && i < NMAX) {
				uint64_t len = min ? min - 1 : 0, s = hs;

				if (len > hl - hs)
					len = hl - hs;
				if (rnd() % 4 == 0)
					s += rnd() % (hl - hs - len + 1);
				set(&nodes[i], s, s + len, 1u << (rnd() % 3));
				uio_itree_insert(&t, &nodes[i]);
				in_tree[i] = true;
				stack[nstack++ % NMAX] = i;
			}
		} else if (op < 10) {
			/* Unmap what was mapped last. */
			if (nstack) {
				i = stack[--nstack % NMAX];
				if (in_tree[i]) {
					uio_itree_remove(&t, &nodes[i]);
					in_tree[i] = false;
				}
			}
		} else if (op < 12) {
			if (in_tree[i]) {
				uio_itree_remove(&t, &nodes[i]);
				in_tree[i] = false;
			}
		} else if (op < 13) {
			if (!in_tree[i]) {
				uint64_t a = raddr() % 8192, len = rlen() % 256;

				set(&nodes[i], a, a + len, 1u << (rnd() % 3));
				uio_itree_insert(&t, &nodes[i]);
				in_tree[i] = true;
			}
		} else if (op < 16) {
			/*
			 * Next to the first hole from lo: a node just below it
			 * (over the one ending there), one just above, or the
			 * first node above it taken out.
			 */
			bool put = false;

			if (in_tree[i] || !model_find_hole(lo, MAXU, 1, &es, &el)) {
			} else if (op == 13 && es > lo) {
				set(&nodes[i], es - 1 - rnd() % 2 % es, es - 1,
				    1u << (rnd() % 3));
				put = true;
			} else if (op == 14 && el < MAXU) {
				set(&nodes[i], el + 1, el + 1 + rnd() % 4,
				    1u << (rnd() % 3));
				put = true;
			} else {
				for (int k = 0; k < nsorted; k++) {
					if (sorted[k]->start > el) {
						int j = (int)(sorted[k] - nodes);

						uio_itree_remove(&t, &nodes[j]);
						in_tree[j] = false;
						break;
					}
				}
			}
			if (put) {
				uio_itree_insert(&t, &nodes[i]);
				in_tree[i] = true;
			}
		} else {
			model_build();
			check_holes(&t);
		}
		assert_int_equal(uio_itree_check(&t), 0);
		if (step % 16 == 0) {
			model_build();
			check_iter(&t);
			check_spans(&t);
		}
	}
	for (int i = 0; i < NMAX; i++)
		if (in_tree[i])
			uio_itree_remove(&t, &nodes[i]);
	assert_true(uio_itree_empty(&t));
	assert_int_equal(uio_itree_check(&t), 0);
}

/* ------------------------------------------------------------------ */
/* scale */

/* A million adjacent 4 KiB nodes: queries still answer, holes are found. */
static void test_scale(void **state)
{
	const size_t n = 1000000;
	struct uio_itree_node *v = calloc(n, sizeof(*v));
	struct uio_itree t;
	struct uio_itree_span sp;
	const uint64_t base = 4096, end = base + 4096 * n;  /* one past */

	(void)state;
	assert_non_null(v);
	uio_itree_init(&t);
	for (size_t i = 0; i < n; i++) {
		v[i].start = base + 4096 * i;
		v[i].last = v[i].start + 4095;
		v[i].kind = 1;
		uio_itree_insert(&t, &v[i]);
	}
	assert_int_equal(t.count, n);
	assert_int_equal(uio_itree_check(&t), 0);

	hole_is(&t, 0, MAXU, 1, 0, base - 1);
	hole_is(&t, base, MAXU, 4096, end, MAXU);
	no_hole(&t, base, end - 1, 1);
	assert_ptr_equal(uio_itree_iter_first(&t, v[7].start + 5, v[7].start + 5, 1),
			 &v[7]);
	assert_ptr_equal(uio_itree_iter_first(&t, end - 1, MAXU, 1), &v[n - 1]);
	assert_ptr_equal(uio_itree_iter_next(&v[n / 3], 0, MAXU, 1), &v[n / 3 + 1]);
	/* Touching nodes make one used span. */
	uio_itree_span_first(&sp, &t, 0, MAXU);
	assert_true(sp.is_hole && sp.last == base - 1);
	uio_itree_span_next(&sp);
	assert_true(!sp.is_hole && sp.start == base && sp.last == end - 1);

	uio_itree_remove(&t, &v[n / 2]);
	uio_itree_remove(&t, &v[n - 10]);
	uio_itree_remove(&t, &v[n - 9]);
	hole_is(&t, base, MAXU, 4096, v[n / 2].start, v[n / 2].last);
	hole_is(&t, base, MAXU, 8192, v[n - 10].start, v[n - 9].last);
	hole_is(&t, v[n / 2].last + 1, MAXU, 1, v[n - 10].start, v[n - 9].last);
	assert_null(uio_itree_iter_first(&t, v[n / 2].start + 1, v[n / 2].last, 1));
	assert_ptr_equal(uio_itree_iter_first(&t, v[n / 2].start, v[n / 2].last + 1, 1),
			 &v[n / 2 + 1]);

	/* A long node over the first half hides nothing that is not covered. */
	set(&v[n / 2], base, v[n / 2 + 100].last, 2);
	uio_itree_insert(&t, &v[n / 2]);
	hole_is(&t, base, MAXU, 1, v[n - 10].start, v[n - 9].last);
	assert_ptr_equal(uio_itree_iter_first(&t, v[n / 4].start, v[n / 4].start, 2),
			 &v[n / 2]);
	assert_int_equal(uio_itree_check(&t), 0);

	for (size_t i = 0; i < n; i += 2)
		if (i != n - 10)
			uio_itree_remove(&t, &v[i]);
	assert_int_equal(uio_itree_check(&t), 0);
	hole_is(&t, base, MAXU, 4096, base, base + 4095);
	no_hole(&t, base, v[n - 11].last, 4097);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_single_and_touching),
		cmocka_unit_test(test_overlapping),
		cmocka_unit_test(test_check_detects),
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test(test_hole_cache_differential),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
