// SPDX-License-Identifier: MIT
/*
 * Augmented AVL interval tree; see itree.h.
 *
 * Order is (start, node address). Each node carries, for its subtree:
 * sub_start (min start, the leftmost node's), sub_last (max last), sub_kinds
 * (OR of kinds) and sub_gap (the largest hole between consecutive nodes of
 * the subtree in order, where a hole before node m runs from one past the
 * largest `last` seen so far to m->start - 1). When nodes overlap across
 * subtrees, sub_gap can only overstate the real hole, never understate it,
 * so it is safe for pruning; searches re-check every candidate.
 */
#include "itree.h"

#define UIO_MAX(a, b) ((a) > (b) ? (a) : (b))

static int32_t h(const struct uio_itree_node *n)
{
	return n ? n->height : 0;
}

/* Size of the hole between a node ending at `last` and one starting at `start`. */
static uint64_t gap_between(uint64_t last, uint64_t start)
{
	if (last == UINT64_MAX || start <= last + 1)
		return 0;
	return start - last - 1;
}

static void update(struct uio_itree_node *n)
{
	const struct uio_itree_node *l = n->left, *r = n->right;
	uint64_t gap = 0, maxlast = n->last;

	n->height = 1 + UIO_MAX(h(l), h(r));
	n->sub_start = l ? l->sub_start : n->start;
	n->sub_kinds = n->kind;
	if (l) {
		gap = UIO_MAX(l->sub_gap, gap_between(l->sub_last, n->start));
		maxlast = UIO_MAX(maxlast, l->sub_last);
		n->sub_kinds |= l->sub_kinds;
	}
	if (r) {
		gap = UIO_MAX(gap, r->sub_gap);
		gap = UIO_MAX(gap, gap_between(maxlast, r->sub_start));
		maxlast = UIO_MAX(maxlast, r->sub_last);
		n->sub_kinds |= r->sub_kinds;
	}
	n->sub_last = maxlast;
	n->sub_gap = gap;
}

static void replace_child(struct uio_itree *t, struct uio_itree_node *parent,
			  struct uio_itree_node *old, struct uio_itree_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct uio_itree_node *rotate_left(struct uio_itree *t,
					  struct uio_itree_node *x)
{
	struct uio_itree_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

static struct uio_itree_node *rotate_right(struct uio_itree *t,
					   struct uio_itree_node *x)
{
	struct uio_itree_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	update(x);
	update(y);
	return y;
}

/* Recompute and rebalance from n up to the root. */
static void fixup(struct uio_itree *t, struct uio_itree_node *n)
{
	while (n) {
		int32_t bal;

		update(n);
		bal = h(n->left) - h(n->right);
		if (bal > 1) {
			if (h(n->left->left) < h(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (bal < -1) {
			if (h(n->right->right) < h(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		}
		n = n->parent;
	}
}

static bool before(const struct uio_itree_node *a, const struct uio_itree_node *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	return (uintptr_t)a < (uintptr_t)b;
}

void uio_itree_insert(struct uio_itree *t, struct uio_itree_node *n)
{
	struct uio_itree_node *parent = NULL, **link = &t->root;

	while (*link) {
		parent = *link;
		link = before(n, parent) ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	*link = n;
	t->count++;
	fixup(t, n);
}

void uio_itree_remove(struct uio_itree *t, struct uio_itree_node *n)
{
	struct uio_itree_node *start;

	if (n->left && n->right) {
		/* Put the in-order successor s in n's place. */
		struct uio_itree_node *s = n->right;

		while (s->left)
			s = s->left;
		if (s->parent != n) {
			start = s->parent;
			replace_child(t, s->parent, s, s->right);
			s->right = n->right;
			s->right->parent = s;
		} else {
			start = s;
		}
		s->left = n->left;
		s->left->parent = s;
		replace_child(t, n->parent, n, s);
	} else {
		struct uio_itree_node *child = n->left ? n->left : n->right;

		start = n->parent;
		replace_child(t, n->parent, n, child);
	}
	n->left = n->right = n->parent = NULL;
	t->count--;
	fixup(t, start);
}

struct uio_itree_node *uio_itree_first(const struct uio_itree *t)
{
	struct uio_itree_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct uio_itree_node *uio_itree_next(const struct uio_itree_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct uio_itree_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

/* Whether any node of the subtree can intersect [start, last] with kinds. */
static bool subtree_may_hit(const struct uio_itree_node *n, uint64_t start,
			    uint64_t last, uint32_t kinds)
{
	return n && n->sub_last >= start && n->sub_start <= last &&
	       (n->sub_kinds & kinds);
}

/* Lowest-ordered matching node in the subtree of n, or NULL. */
static struct uio_itree_node *subtree_first(struct uio_itree_node *n,
					    uint64_t start, uint64_t last,
					    uint32_t kinds)
{
	while (subtree_may_hit(n, start, last, kinds)) {
		if (subtree_may_hit(n->left, start, last, kinds)) {
			struct uio_itree_node *f =
				subtree_first(n->left, start, last, kinds);

			if (f)
				return f;
		}
		if (n->start > last)
			return NULL;
		if (n->last >= start && (n->kind & kinds))
			return n;
		n = n->right;
	}
	return NULL;
}

struct uio_itree_node *uio_itree_iter_first(const struct uio_itree *t,
					    uint64_t start, uint64_t last,
					    uint32_t kinds)
{
	return subtree_first(t->root, start, last, kinds);
}

struct uio_itree_node *uio_itree_iter_next(const struct uio_itree_node *n,
					   uint64_t start, uint64_t last,
					   uint32_t kinds)
{
	struct uio_itree_node *f;

	/* The rest of n's right subtree, then each ancestor we leave from the left. */
	f = subtree_first(n->right, start, last, kinds);
	if (f)
		return f;
	for (;;) {
		const struct uio_itree_node *child = n;

		n = n->parent;
		if (!n)
			return NULL;
		if (n->left != child)
			continue;
		if (n->start > last)
			return NULL;
		if (n->last >= start && (n->kind & kinds))
			return (struct uio_itree_node *)n;
		f = subtree_first(n->right, start, last, kinds);
		if (f)
			return f;
	}
}

/* ------------------------------------------------------------------ */
/* hole search */

struct hole_search {
	uint64_t lo, hi, min_size;
	uint64_t nf;  /* lowest address not covered by the nodes seen so far */
	bool full;    /* the nodes seen so far cover up to UINT64_MAX */
	bool found;
	uint64_t hs, hl;
};

static void seen(struct hole_search *s, uint64_t last)
{
	if (last == UINT64_MAX)
		s->full = true;
	else if (last + 1 > s->nf)
		s->nf = last + 1;
}

/* No hole can start at or before hi any more. */
static bool exhausted(const struct hole_search *s)
{
	return s->full || s->nf > s->hi;
}

/* Test the hole that ends just before address `end_excl`. */
static void try_hole(struct hole_search *s, uint64_t end_excl)
{
	uint64_t hs = s->nf > s->lo ? s->nf : s->lo, hl;

	if (s->full || end_excl == 0 || end_excl - 1 < hs)
		return;
	hl = end_excl - 1 < s->hi ? end_excl - 1 : s->hi;
	if (hl < hs || hl - hs + 1 < s->min_size)
		return;
	s->found = true;
	s->hs = hs;
	s->hl = hl;
}

static void search(struct hole_search *s, const struct uio_itree_node *n)
{
	uint64_t bound;

	if (!n || s->found || exhausted(s))
		return;
	/* An upper bound on any hole this subtree can produce. */
	bound = n->sub_gap;
	if (!s->full && n->sub_start > s->nf && n->sub_start - s->nf > bound)
		bound = n->sub_start - s->nf;
	if (bound < s->min_size || n->sub_last < s->lo) {
		seen(s, n->sub_last);
		return;
	}
	if (n->start <= s->lo && n->left) {
		/* Every hole of the left subtree ends before n->start <= lo. */
		seen(s, n->left->sub_last);
	} else {
		search(s, n->left);
		if (s->found || exhausted(s))
			return;
	}
	try_hole(s, n->start);
	if (s->found)
		return;
	seen(s, n->last);
	search(s, n->right);
}

bool uio_itree_find_hole(const struct uio_itree *t, uint64_t lo, uint64_t hi,
			 uint64_t min_size, uint64_t *hole_start,
			 uint64_t *hole_last)
{
	struct hole_search s = { .lo = lo, .hi = hi,
				 .min_size = min_size ? min_size : 1 };

	if (lo > hi)
		return false;
	search(&s, t->root);
	if (!s.found && !exhausted(&s)) {
		/* The tail after every node. */
		uint64_t hs = s.nf > lo ? s.nf : lo;

		if (hi - hs + 1 >= s.min_size || (hs == 0 && hi == UINT64_MAX)) {
			s.found = true;
			s.hs = hs;
			s.hl = hi;
		}
	}
	if (!s.found)
		return false;
	*hole_start = s.hs;
	*hole_last = s.hl;
	return true;
}

/* ------------------------------------------------------------------ */
/* spans */

/*
 * Fill s with the span that starts at `at`: a used span (nodes that overlap
 * or touch merged into one) or a hole up to the next node.
 */
static void span_at(struct uio_itree_span *s, uint64_t at)
{
	struct uio_itree_node *n =
		uio_itree_iter_first(s->t_, at, s->hi_, UIO_ITREE_ALL_KINDS);

	s->start = at;
	if (!n) {
		s->is_hole = true;
		s->last = s->hi_;
		return;
	}
	if (n->start > at) {
		s->is_hole = true;
		s->last = n->start - 1;
		return;
	}
	/* Used: extend while the next intersecting node overlaps or touches. */
	uint64_t end = n->last;

	for (;;) {
		struct uio_itree_node *m;

		if (end >= s->hi_)
			break;
		m = uio_itree_iter_first(s->t_, end + 1, end + 1, UIO_ITREE_ALL_KINDS);
		if (!m)
			break;
		end = m->last;
	}
	s->is_hole = false;
	s->last = end < s->hi_ ? end : s->hi_;
}

void uio_itree_span_first(struct uio_itree_span *s, const struct uio_itree *t,
			  uint64_t lo, uint64_t hi)
{
	s->t_ = t;
	s->lo_ = lo;
	s->hi_ = hi;
	s->done_ = lo > hi;
	if (!s->done_)
		span_at(s, lo);
}

void uio_itree_span_next(struct uio_itree_span *s)
{
	if (s->done_ || s->last >= s->hi_) {
		s->done_ = true;
		return;
	}
	span_at(s, s->last + 1);
}

/* ------------------------------------------------------------------ */
/* checking */

static int check_node(const struct uio_itree_node *n,
		      const struct uio_itree_node *parent, uint64_t *count)
{
	struct uio_itree_node copy;

	if (!n)
		return 0;
	if (n->parent != parent || n->start > n->last)
		return -1;
	if (n->left && !before(n->left, n))
		return -1;
	if (n->right && !before(n, n->right))
		return -1;
	if (check_node(n->left, n, count) || check_node(n->right, n, count))
		return -1;
	copy = *n;
	update(&copy);
	if (copy.height != n->height || copy.sub_start != n->sub_start ||
	    copy.sub_last != n->sub_last || copy.sub_gap != n->sub_gap ||
	    copy.sub_kinds != n->sub_kinds)
		return -1;
	if (h(n->left) - h(n->right) > 1 || h(n->right) - h(n->left) > 1)
		return -1;
	(*count)++;
	return 0;
}

int uio_itree_check(const struct uio_itree *t)
{
	uint64_t count = 0;

	if (check_node(t->root, NULL, &count) || count != t->count)
		return -1;
	return 0;
}
