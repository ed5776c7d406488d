// SPDX-License-Identifier: MIT
/*
 * Augmented AVL interval tree; see itree.h.
 *
 * Order is (start, node address). Every node describes its subtree with
 *
 *   sub_start  the smallest start (the leftmost node's),
 *   sub_last   the largest last,
 *   lreach     the largest last of the node and its left subtree (what
 *              the walk back up after a change reads, without the left
 *              child's cache line),
 *   sub_kinds  the OR of the kinds,
 *   sub_gap    the largest hole between the subtree's own nodes: walking
 *              them in order, the hole before node m is the run from one
 *              past the largest `last` of the nodes before m (in the
 *              subtree) to m->start - 1, when that run is non-empty,
 *   sub_rgap   the largest such hole that falls before a node of the right
 *              subtree, i.e. the right subtree's holes when it is preceded
 *              by the left subtree and the node itself.
 *
 * Why sub_rgap: with overlapping nodes, a hole of the right subtree on its
 * own may be covered by a long node further left, so the right child's
 * sub_gap alone would overstate the parent's. Let p be the largest last in
 * front of a subtree S. Every node of S starting at or before p sees no hole;
 * the first node starting after p sees a hole measured from p (or from the
 * nodes of S before it, if they reach further); every later node sees exactly
 * its hole within S, since something in S in front of it already reaches
 * past p. So "the holes of S behind p" only depend on where p cuts S, and
 * gap_after() finds that cut along one root-to-leaf path, reading sub_rgap
 * for every right subtree hanging off the path on the far side of the cut.
 * This makes sub_gap exact; an update costs O(height) when the node's own
 * prefix cuts into its right subtree, O(1) otherwise.
 */
#include "itree.h"

#include "journal.h"

#define UIO_MAX(a, b) ((a) > (b) ? (a) : (b))

typedef struct uio_itree_node node_t;

static void hc_insert(struct uio_itree_hc *hc, node_t *n);
static void hc_remove(struct uio_itree_hc *hc, const node_t *n);

static int16_t h(const node_t *n)
{
	return n ? n->height : 0;
}

/* Size of the hole between something ending at `last` and a node at `start`. */
static uint64_t gap_between(uint64_t last, uint64_t start)
{
	if (last == UINT64_MAX || start <= last + 1)
		return 0;
	return start - last - 1;
}

/*
 * Largest hole in the sequence "something ending at p, then the nodes of x's
 * subtree in order" (the hole between p and the subtree's first node counts).
 * Reads only x's subtree, which must be up to date. One path, O(height).
 */
static uint64_t gap_after(const node_t *x, uint64_t p)
{
	uint64_t best = 0;

	while (x) {
		const node_t *l = x->left;

		if (p >= x->sub_last)
			break;  /* p covers everything in here */
		if (p < x->sub_start) {
			/* p is in front of the whole subtree: only the first hole changes. */
			best = UIO_MAX(best, gap_between(p, x->sub_start));
			best = UIO_MAX(best, x->sub_gap);
			break;
		}
		if (l && p < l->sub_last) {
			/*
			 * The cut lies inside the left subtree, so x and the right
			 * subtree are preceded by the whole left subtree, which
			 * reaches further than p: their holes are the stored ones.
			 */
			best = UIO_MAX(best, gap_between(l->sub_last, x->start));
			best = UIO_MAX(best, x->sub_rgap);
			x = l;
		} else {
			/* The left subtree (if any) is covered by p. */
			best = UIO_MAX(best, gap_between(p, x->start));
			p = UIO_MAX(p, x->last);
			x = x->right;
		}
	}
	return best;
}

/*
 * Every node and tree is journaled (journal.h) before its first store in a
 * command, whole: a node is 88 bytes and a command usually stores several
 * of its fields. Kill points between the stores of a rotation or an unlink
 * let the crash sweep stop a command with the tree half changed.
 */
static void touch(const node_t *n)
{
	uio_j_save(n, sizeof(*n));
}

static void touch_tree(const struct uio_itree *t)
{
	uio_j_save(t, sizeof(*t));
}

/* The hole cache too: an undo restores it with the nodes it names. */
static void touch_hc(const struct uio_itree_hc *hc)
{
	uio_j_save(hc, sizeof(*hc));
}

/*
 * Recompute n's augmented fields from its children, which must be current.
 * Unchanged fields are not stored (nor journaled): the walk to the root
 * after an insert mostly finds nothing to change.
 */
static void update(node_t *n)
{
	const node_t *l = n->left, *r = n->right;
	uint64_t gap = 0, reach = n->last, rgap, sub_start, lreach;
	uint16_t kinds = n->kind;
	int16_t height = (int16_t)(1 + UIO_MAX(h(l), h(r)));

	sub_start = l ? l->sub_start : n->start;
	if (l) {
		gap = UIO_MAX(l->sub_gap, gap_between(l->sub_last, n->start));
		reach = UIO_MAX(reach, l->sub_last);
		kinds |= l->sub_kinds;
	}
	lreach = reach;
	rgap = gap_after(r, reach);
	if (r) {
		reach = UIO_MAX(reach, r->sub_last);
		kinds |= r->sub_kinds;
	}
	gap = UIO_MAX(gap, rgap);
	if (n->height == height && n->sub_start == sub_start &&
	    n->sub_kinds == kinds && n->sub_rgap == rgap &&
	    n->sub_last == reach && n->sub_gap == gap && n->lreach == lreach)
		return;
	touch(n);
	n->height = height;
	n->sub_start = sub_start;
	n->sub_kinds = kinds;
	n->lreach = lreach;
	n->sub_rgap = rgap;
	n->sub_last = reach;
	n->sub_gap = gap;
}

/* ------------------------------------------------------------------ */
/* structure */

static void replace_child(struct uio_itree *t, node_t *parent, node_t *old,
			  node_t *new)
{
	if (!parent) {
		touch_tree(t);
		t->root = new;
	} else {
		touch(parent);
		if (parent->left == old)
			parent->left = new;
		else
			parent->right = new;
	}
	uio_kill_point();
	if (new) {
		touch(new);
		new->parent = parent;
	}
}

static node_t *rotate_left(struct uio_itree *t, node_t *x)
{
	node_t *y = x->right;

	touch(x);
	touch(y);
	x->right = y->left;
	uio_kill_point();
	if (y->left) {
		touch(y->left);
		y->left->parent = x;
	}
	replace_child(t, x->parent, x, y);
	y->left = x;
	uio_kill_point();
	x->parent = y;
	update(x);
	update(y);
	return y;
}

static node_t *rotate_right(struct uio_itree *t, node_t *x)
{
	node_t *y = x->left;

	touch(x);
	touch(y);
	x->left = y->right;
	uio_kill_point();
	if (y->right) {
		touch(y->right);
		y->right->parent = x;
	}
	replace_child(t, x->parent, x, y);
	y->right = x;
	uio_kill_point();
	x->parent = y;
	update(x);
	update(y);
	return y;
}

#define FAST_MAX 64

/*
 * fixup()'s cheap levels, from n up while they last (at most FAST_MAX).
 * While sub_kinds may still change (rarely past the first level), a level
 * at a time, the node journaled whole; then only sub_last changes: the new
 * values are worked out up the path from the child's new one first, the
 * old ones journaled as one record, then stored. Returns the node the walk
 * goes on from; *c and *kinds as fixup() keeps them.
 */
static node_t *fixup_fast(node_t *n, const node_t **c, bool *kinds)
{
	void *words[FAST_MAX];
	uint64_t lasts[FAST_MAX];
	const node_t *child = *c;
	uint64_t clast;
	size_t m = 0;

	while (*kinds && n && child == n->right &&
	       n->lreach < child->sub_start) {
		const node_t *l = n->left;
		uint64_t last = UIO_MAX(n->lreach, child->sub_last);
		uint16_t sk = n->kind | child->sub_kinds |
			      (l ? l->sub_kinds : 0);

		*kinds = sk != n->sub_kinds;
		if (n->sub_last != last || n->sub_kinds != sk) {
			touch(n);
			n->sub_last = last;
			n->sub_kinds = sk;
		}
		child = n;
		n = n->parent;
	}
	clast = child->sub_last;
	for (size_t levels = 0; n && levels < FAST_MAX && child == n->right &&
				n->lreach < child->sub_start; levels++) {
		uint64_t last = UIO_MAX(n->lreach, clast);

		/* Unchanged fields are not stored (nor journaled). */
		if (last != n->sub_last) {
			words[m] = &n->sub_last;
			lasts[m++] = last;
		}
		child = n;
		clast = last;
		n = n->parent;
	}
	if (m) {
		uio_j_save_words(words, m);
		for (size_t i = 0; i < m; i++)
			*(uint64_t *)words[i] = lasts[i];
		uio_kill_point();
	}
	*c = child;
	return n;
}

/*
 * Recompute and rebalance from n up to the root. `fresh` is a node whose
 * parent has not seen it where it is now (a new leaf; a successor moved
 * into a removed node's place): its update is never skipped below.
 *
 * Every level is visited, but most cheaply: when the child c we came up
 * from changed in sub_last or sub_kinds only (its height, sub_start,
 * sub_gap and sub_rgap are as its parent last saw them), c is the right
 * child, and the parent's reach (itself and its left subtree) ends before
 * c's subtree starts, then the parent's height, sub_start and gaps are as
 * they were (gap_after() stops at c, reading sub_start and sub_gap only),
 * and only its sub_last and sub_kinds are recomputed; it then changed in
 * those only too. Appending past the last node, or removing the last,
 * changes sub_last all the way up the right spine: this keeps that walk
 * to a few loads per level.
 */
static void fixup(struct uio_itree *t, node_t *n, const node_t *fresh)
{
	const node_t *c = NULL; /* changed in sub_last, sub_kinds only */
	bool kinds = true;      /* ... and sub_kinds may have changed */

	while (n) {
		const node_t *r = n->right;
		uint64_t sub_start, gap, rgap;
		uint16_t sub_kinds;
		int16_t height;
		int bal;

		if (c && c == r && n->lreach < r->sub_start) {
			n = fixup_fast(n, &c, &kinds);
			continue;
		}
		height = n->height;
		sub_start = n->sub_start;
		sub_kinds = n->sub_kinds;
		gap = n->sub_gap;
		rgap = n->sub_rgap;
		update(n);
		kinds = n->sub_kinds != sub_kinds;
		c = n != fresh && n->height == height &&
		    n->sub_start == sub_start && n->sub_gap == gap &&
		    n->sub_rgap == rgap ? n : NULL;
		bal = h(n->left) - h(n->right);
		if (bal > 1) {
			if (h(n->left->left) < h(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
			c = NULL;
		} else if (bal < -1) {
			if (h(n->right->right) < h(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
			c = NULL;
		}
		n = n->parent;
	}
}

static bool before(const node_t *a, const node_t *b)
{
	if (a->start != b->start)
		return a->start < b->start;
	return (uintptr_t)a < (uintptr_t)b;
}

/*
 * Where n goes when it starts in the cached hole: right of the node before
 * the hole, or else left of the node after it (one of them has that link
 * free: they are neighbours in order). NULL if unknown.
 */
static node_t **hc_link(struct uio_itree *t, const node_t *n, node_t **parent)
{
	struct uio_itree_hc *hc = t->hc;

	if (!hc || !hc->valid || !hc->links || n->start < hc->start ||
	    n->start > hc->last)
		return NULL;
	if (!hc->prev && !hc->next)
		return t->root ? NULL : &t->root;
	if (hc->prev && !hc->prev->right) {
		*parent = hc->prev;
		return &hc->prev->right;
	}
	if (hc->next && !hc->next->left) {
		*parent = hc->next;
		return &hc->next->left;
	}
	return NULL;
}

void uio_itree_insert(struct uio_itree *t, struct uio_itree_node *n)
{
	node_t *parent = NULL, **link = hc_link(t, n, &parent);

	if (!link) {
		for (link = &t->root; *link;) {
			parent = *link;
			link = before(n, parent) ? &parent->left :
						   &parent->right;
		}
	}
	touch(n);
	touch_tree(t);
	if (parent)
		touch(parent);
	n->left = n->right = NULL;
	n->parent = parent;
	*link = n;
	uio_kill_point();
	t->count++;
	fixup(t, n, n);
	hc_insert(t->hc, n);
}

void uio_itree_remove(struct uio_itree *t, struct uio_itree_node *n)
{
	node_t *from, *fresh = NULL;

	hc_remove(t->hc, n);

	touch(n);
	touch_tree(t);
	if (n->left && n->right) {
		/* Move the in-order successor s into n's place. */
		node_t *s = n->right;

		while (s->left)
			s = s->left;
		touch(s);
		if (s->parent != n) {
			from = s->parent;
			replace_child(t, s->parent, s, s->right);
			s->right = n->right;
			touch(s->right);
			s->right->parent = s;
			uio_kill_point();
		} else {
			from = s;
		}
		s->left = n->left;
		touch(s->left);
		s->left->parent = s;
		uio_kill_point();
		replace_child(t, n->parent, n, s);
		fresh = s;
	} else {
		from = n->parent;
		replace_child(t, n->parent, n, n->left ? n->left : n->right);
	}
	n->left = n->right = n->parent = NULL;
	t->count--;
	uio_kill_point();
	fixup(t, from, fresh);
}

struct uio_itree_node *uio_itree_first(const struct uio_itree *t)
{
	node_t *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

static node_t *prev_node(const node_t *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (node_t *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

struct uio_itree_node *uio_itree_next(const struct uio_itree_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (node_t *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

/* ------------------------------------------------------------------ */
/* overlap queries */

/* Whether the subtree may hold a node of `kinds` intersecting [start, last]. */
static bool may_hit(const node_t *n, uint64_t start, uint64_t last,
		    uint32_t kinds)
{
	return n && n->sub_last >= start && n->sub_start <= last &&
	       (n->sub_kinds & kinds);
}

static bool hits(const node_t *n, uint64_t start, uint64_t last, uint32_t kinds)
{
	return n->start <= last && n->last >= start && (n->kind & kinds);
}

/*
 * If a subtree S holds only kinds in the mask and some node y of S reaches
 * `start` (S's sub_last >= start), then any matching node h ordered after y
 * has y->start <= h->start <= last, so y matches too. Hence when a search of
 * S finds nothing, no node after S matches either.
 */
static bool only_kinds(const node_t *n, uint32_t kinds)
{
	return (n->sub_kinds & ~kinds) == 0;
}

/* Lowest-ordered matching node in the subtree of n, or NULL. */
static node_t *subtree_first(node_t *n, uint64_t start, uint64_t last,
			     uint32_t kinds)
{
	while (may_hit(n, start, last, kinds)) {
		if (may_hit(n->left, start, last, kinds)) {
			node_t *f = subtree_first(n->left, start, last, kinds);

			if (f)
				return f;
			if (only_kinds(n->left, kinds))
				return NULL;
		}
		if (n->start > last)
			return NULL;
		if (hits(n, start, last, kinds))
			return n;
		n = n->right;
	}
	return NULL;
}

struct uio_itree_node *uio_itree_iter_first(const struct uio_itree *t,
					    uint64_t start, uint64_t last,
					    uint32_t kinds)
{
	if (start > last)
		return NULL;
	return subtree_first(t->root, start, last, kinds);
}

struct uio_itree_node *uio_itree_iter_next(const struct uio_itree_node *n,
					   uint64_t start, uint64_t last,
					   uint32_t kinds)
{
	node_t *f;

	if (start > last)
		return NULL;
	/* n's right subtree, then every ancestor we leave from its left side. */
	for (;;) {
		node_t *r = n->right;

		if (may_hit(r, start, last, kinds)) {
			f = subtree_first(r, start, last, kinds);
			if (f || only_kinds(r, kinds))
				return f;
		}
		for (;;) {
			const node_t *child = n;

			n = n->parent;
			if (!n)
				return NULL;
			if (n->left == child)
				break;
		}
		if (n->start > last)
			return NULL;
		if (hits(n, start, last, kinds))
			return (node_t *)n;
	}
}

/* ------------------------------------------------------------------ */
/* hole search */

/*
 * First-fit hole search.
 *
 * Write a hole as [a, b], its clipped form as [max(a, lo), min(b, hi)], and
 * let need = lo + min_size - 1 and amax = hi - min_size + 1 (both within
 * [lo, hi] once we know hi - lo + 1 >= min_size). Holes are disjoint and
 * ordered, so:
 *
 *  - a hole with a <= lo fits iff b >= need. Only the hole containing lo (if
 *    lo is uncovered) can be such a hole and reach lo;
 *  - a hole with a > lo fits iff its size is >= min_size and a <= amax; and
 *    since later holes start later, once the first hole after lo of size
 *    >= min_size starts beyond amax, nothing fits.
 *
 * Step 1 walks one path to find the largest last among nodes starting at or
 * before lo (Q) and the smallest start after lo (N). lo is uncovered iff no
 * node starts at or before lo or Q < lo; its hole is then [Q + 1 or 0,
 * N - 1 or UINT64_MAX], and we return it clipped if b >= need.
 *
 * Step 2 looks for the first node m, among the nodes starting after T (T = lo
 * if lo is covered, T = N otherwise: the hole before the node at N is the
 * one step 1 already judged), whose hole (measured from the largest last of
 * ALL nodes before it, its "prefix") is >= min_size. Every such hole starts
 * after lo. first_gap_after() walks the path towards T; the nodes where it
 * turns left (start > T) are the candidates, each followed by its right
 * subtree, deepest first. For a candidate x with prefix M (largest last
 * before x's subtree), x's own hole is measured from max(M, left's sub_last)
 * and its right subtree's best hole is exactly sub_rgap when M does not
 * reach past both left's sub_last and x->last; otherwise M covers x and its
 * whole left side, which can happen for only one candidate with a non-empty
 * right side (all deeper ones are then covered entirely), and first_gap()
 * settles that one by a search.
 *
 * first_gap(x, M) finds the first node of x's subtree whose hole is
 * >= min_size given prefix M. If M < x->sub_start, the subtree's best hole is
 * known exactly (the hole from M to sub_start, or sub_gap); if M >=
 * x->sub_last it has none; otherwise sub_gap is an upper bound and the search
 * follows the path where M cuts the subtree: at a node starting at or before
 * M, the node and its left subtree are covered and only the right subtree is
 * left; at a node starting after M, the left subtree may still be cut by M,
 * the node's hole is exact and the right subtree's best is exactly sub_rgap.
 * So a search that fails walks one path, and one known to succeed walks one
 * path plus failed searches of left subtrees that M cuts. That is O(log n)
 * unless nodes overlap so much that M cuts many of them (O(log^2 n) worst).
 *
 * Finally, if step 2 finds nothing, the hole after the largest last of the
 * tree, [sub_last + 1, UINT64_MAX], is the last candidate (it starts after lo
 * whenever we get here).
 */
struct hole_query {
	uint64_t min_size;
	uint64_t amax;
	uint64_t prefix;  /* out: the prefix of the node found */
};

static const node_t *first_gap(const node_t *x, uint64_t m,
			       struct hole_query *q)
{
	while (x) {
		const node_t *l = x->left;
		uint64_t pm, lreach = l ? l->sub_last : 0;

		/* Every hole in here starts after m, and after sub_last none. */
		if (m >= q->amax || m >= x->sub_last)
			return NULL;
		if (m < x->sub_start) {
			if (gap_between(m, x->sub_start) < q->min_size &&
			    x->sub_gap < q->min_size)
				return NULL;
		} else if (x->sub_gap < q->min_size) {
			return NULL;
		}
		if (x->start <= m) {
			/* x and its left subtree are covered. */
			bool exact = m <= UIO_MAX(lreach, x->last);

			if (exact && x->sub_rgap < q->min_size)
				return NULL;
			m = UIO_MAX(m, UIO_MAX(lreach, x->last));
			x = x->right;
			continue;
		}
		if (l) {
			const node_t *f = first_gap(l, m, q);

			if (f)
				return f;
		}
		pm = UIO_MAX(m, lreach);
		if (gap_between(pm, x->start) >= q->min_size) {
			q->prefix = pm;
			return x;
		}
		/* m < x->start <= x->last, so sub_rgap is exact here. */
		if (x->sub_rgap < q->min_size)
			return NULL;
		m = UIO_MAX(pm, x->last);
		x = x->right;
	}
	return NULL;
}

static const node_t *first_gap_after(const node_t *x, uint64_t t, bool has_m,
				     uint64_t m, struct hole_query *q)
{
	while (x) {
		const node_t *l = x->left;
		uint64_t lreach = l ? l->sub_last : 0, own;
		bool has_pm = has_m || l;
		uint64_t pm = has_m ? UIO_MAX(m, lreach) : lreach;

		/*
		 * No hole in here can fit: sub_gap bounds the holes between the
		 * subtree's nodes (a prefix cutting into it only shrinks them),
		 * and the hole in front of it counts only after a prefix.
		 */
		if (x->sub_gap < q->min_size &&
		    !(has_m && m < x->sub_start &&
		      gap_between(m, x->sub_start) >= q->min_size))
			return NULL;
		if (x->start <= t) {
			own = UIO_MAX(pm, x->last);
			m = has_pm ? own : x->last;
			has_m = true;
			x = x->right;
			continue;
		}
		if (l) {
			const node_t *f = first_gap_after(l, t, has_m, m, q);

			if (f)
				return f;
		}
		/* Without a prefix x is the first node: its hole is step 1's. */
		if (has_pm) {
			if (pm >= q->amax)
				return NULL;
			if (gap_between(pm, x->start) >= q->min_size) {
				q->prefix = pm;
				return x;
			}
		}
		own = has_pm ? UIO_MAX(pm, x->last) : x->last;
		if (!has_m || m <= UIO_MAX(lreach, x->last)) {
			/* The right subtree's prefix is x's own: exact. */
			if (x->sub_rgap < q->min_size)
				return NULL;
		}
		return first_gap(x->right, own, q);
	}
	return NULL;
}

/* What a search learnt of the first hole at or after its lo, any size. */
struct hole_fill {
	bool ok, links;
	uint64_t start, last;
	node_t *prev, *next;
};

static bool find_hole(const struct uio_itree *t, uint64_t lo, uint64_t hi,
		      uint64_t min_size, uint64_t *hole_start,
		      uint64_t *hole_last, struct hole_fill *fill)
{
	struct hole_query q;
	const node_t *x, *found, *before_lo = NULL, *after_lo = NULL;
	uint64_t need, amax, reach = 0, next = 0, thr, a;
	bool has_reach = false, has_next = false;

	if (lo > hi || hi - lo < min_size - 1)
		return false;
	need = lo + (min_size - 1);
	amax = hi - (min_size - 1);

	/* Step 1: the hole containing lo, if lo is uncovered. */
	for (x = t->root; x;) {
		if (x->start <= lo) {
			reach = has_reach ? UIO_MAX(reach, x->lreach) : x->lreach;
			has_reach = true;
			before_lo = x;
			x = x->right;
		} else {
			next = x->start;
			has_next = true;
			after_lo = x;
			x = x->left;
		}
	}
	if (!has_reach || reach < lo) {
		uint64_t b = has_next ? next - 1 : UINT64_MAX;

		/* The neighbours in order of lo are those of its hole. */
		*fill = (struct hole_fill){ true, true, lo, b,
					    (node_t *)before_lo,
					    (node_t *)after_lo };
		if (b >= need) {
			*hole_start = lo;
			*hole_last = b < hi ? b : hi;
			return true;
		}
		if (!has_next)
			return false;
		thr = next;
	} else {
		thr = lo;
	}

	/* Step 2: the first hole after lo that is big enough. */
	q.min_size = min_size;
	q.amax = amax;
	q.prefix = 0;
	found = first_gap_after(t->root, thr, false, 0, &q);
	if (found) {
		a = q.prefix + 1;
		if (min_size == 1 && !fill->ok)
			*fill = (struct hole_fill){ true, true, a,
						    found->start - 1,
						    prev_node(found),
						    (node_t *)found };
		if (a > amax)
			return false;
		*hole_start = a;
		*hole_last = found->start - 1 < hi ? found->start - 1 : hi;
		return true;
	}

	/* The hole after everything (the first one if none fits before). */
	if (t->root->sub_last == UINT64_MAX)
		return false;
	if (min_size == 1 && hi == UINT64_MAX && !fill->ok) {
		for (x = t->root; x->right;)
			x = x->right;
		*fill = (struct hole_fill){ true, true, t->root->sub_last + 1,
					    UINT64_MAX, (node_t *)x, NULL };
	}
	if (t->root->sub_last >= amax)
		return false;
	*hole_start = t->root->sub_last + 1;
	*hole_last = hi;
	return true;
}

/*
 * The hole cache (itree.h) holds the first hole at or after its lo. A
 * search from lo in [hc->lo, hc->last] starts at the cached hole: if it
 * fits, it is the answer; if it starts past hi, there is none; else the
 * search runs. A search from at or after hc->lo that finds the cache
 * empty first fills it, with one search from hc->lo.
 */
bool uio_itree_find_hole(const struct uio_itree *t, uint64_t lo, uint64_t hi,
			 uint64_t min_size, uint64_t *hole_start,
			 uint64_t *hole_last)
{
	struct uio_itree_hc *hc = t->hc;
	struct hole_fill fill = { 0 };
	uint64_t s, l;

	if (!min_size)
		min_size = 1;
	if (hc && !hc->valid && lo >= hc->lo &&
	    find_hole(t, hc->lo, UINT64_MAX, 1, &s, &l, &fill) && fill.ok) {
		touch_hc(hc);
		hc->valid = true;
		hc->start = fill.start;
		hc->last = fill.last;
		hc->node = NULL;
		hc->links = fill.links;
		hc->prev = fill.prev;
		hc->next = fill.next;
	}
	if (hc && hc->valid && hc->lo <= lo && lo <= hc->last && lo <= hi) {
		s = UIO_MAX(lo, hc->start);
		l = hc->last < hi ? hc->last : hi;
		if (s > hi)
			return false;
		if (l - s >= min_size - 1) {
			*hole_start = s;
			*hole_last = l;
			return true;
		}
	}
	return find_hole(t, lo, hi, min_size, hole_start, hole_last, &fill);
}

/* n was just linked in: keep the cached hole, or forget it. */
static void hc_insert(struct uio_itree_hc *hc, node_t *n)
{
	if (!hc || !hc->valid)
		return;
	touch_hc(hc);
	if (n->last < hc->start || n->start > hc->last) {
		/* The hole is untouched; n may overlap hc->node now. */
		if (hc->node && n->start <= hc->node->last &&
		    n->last >= hc->node->start)
			hc->node = NULL;
		/* A new neighbour of the hole? */
		if (!hc->links) {
		} else if (n->start < hc->start) {
			if (!hc->prev || before(hc->prev, n))
				hc->prev = n;
		} else if (!hc->next || before(n, hc->next)) {
			hc->next = n;
		}
	} else if (n->start > hc->start) {
		hc->last = n->start - 1;
		hc->next = n;
	} else if (n->last < hc->last) {
		/*
		 * The hole's bottom is covered up to n->last now; no node
		 * starts in between, so n or the old prev is the last before.
		 */
		hc->node = n->start == hc->start ? n : NULL;
		hc->start = n->last + 1;
		if (hc->links && (!hc->prev || before(hc->prev, n)))
			hc->prev = n;
	} else {
		hc->valid = false;
	}
}

/* n is about to be unlinked: keep the cached hole, or forget it. */
static void hc_remove(struct uio_itree_hc *hc, const node_t *n)
{
	if (!hc || !hc->valid)
		return;
	touch_hc(hc);
	if (n == hc->node) {
		/*
		 * n overlaps nothing and ends right below the hole, and
		 * [lo, start) is covered: the hole grows down over n.
		 */
		hc->start = UIO_MAX(n->start, hc->lo);
		hc->node = NULL;
	} else if (n->last >= hc->lo &&
		   (hc->last == UINT64_MAX || n->start <= hc->last + 1)) {
		hc->valid = false;
		return;
	}
	/*
	 * The last node before the hole (n == node is that one). The first
	 * after it starts at last + 1: taking it out forgot the hole above.
	 */
	if (hc->links && n == hc->prev)
		hc->prev = prev_node(n);
}

/* ------------------------------------------------------------------ */
/* spans */

/*
 * The span starting at `at`: if the first hole at or after `at` (clipped to
 * hi) starts at `at`, that hole; otherwise the used run up to it (or to hi).
 * Holes are maximal uncovered runs, so the used run before one is a maximal
 * covered run, with overlapping and touching nodes merged.
 */
static void span_at(struct uio_itree_span *s, uint64_t at)
{
	uint64_t hs, hl;

	s->start = at;
	if (!uio_itree_find_hole(s->t_, at, s->hi_, 1, &hs, &hl)) {
		s->is_hole = false;
		s->last = s->hi_;
	} else if (hs == at) {
		s->is_hole = true;
		s->last = hl;
	} else {
		s->is_hole = false;
		s->last = hs - 1;
	}
}

void uio_itree_span_first(struct uio_itree_span *s, const struct uio_itree *t,
			  uint64_t lo, uint64_t hi)
{
	s->t_ = t;
	s->lo_ = lo;
	s->hi_ = hi;
	s->done_ = lo > hi;
	if (!s->done_) {
		span_at(s, lo);
	} else {
		s->start = lo;
		s->last = hi;
		s->is_hole = false;
	}
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
/* checking: everything recomputed from the nodes, not from update() */

/* Largest hole among the `n` nodes from `first` on in order, after `p`. */
static uint64_t walk_gap(const node_t *first, uint64_t n, bool has_p,
			 uint64_t p)
{
	uint64_t best = 0;

	for (const node_t *x = first; n; n--, x = uio_itree_next(x)) {
		if (has_p)
			best = UIO_MAX(best, gap_between(p, x->start));
		p = has_p ? UIO_MAX(p, x->last) : x->last;
		has_p = true;
	}
	return best;
}

static const node_t *leftmost(const node_t *x)
{
	while (x && x->left)
		x = x->left;
	return x;
}

struct check_out {
	uint64_t count;
	int32_t height;
	uint64_t sub_last;
	uint32_t kinds;
};

static int check_node(const node_t *n, const node_t *parent,
		      struct check_out *o)
{
	struct check_out l = { 0 }, r = { 0 };
	uint64_t reach;

	if (!n)
		return 0;
	if (n->parent != parent || n->start > n->last)
		return -1;
	if (check_node(n->left, n, &l) || check_node(n->right, n, &r))
		return -1;
	if (l.height - r.height > 1 || r.height - l.height > 1)
		return -1;
	o->count = l.count + r.count + 1;
	o->height = 1 + UIO_MAX(l.height, r.height);
	o->kinds = n->kind | l.kinds | r.kinds;
	reach = n->last;
	if (n->left)
		reach = UIO_MAX(reach, l.sub_last);
	o->sub_last = n->right ? UIO_MAX(reach, r.sub_last) : reach;
	if (n->height != o->height || n->sub_last != o->sub_last ||
	    n->lreach != reach ||
	    n->sub_kinds != o->kinds ||
	    n->sub_start != leftmost(n)->start)
		return -1;
	if (n->sub_gap != walk_gap(leftmost(n), o->count, false, 0))
		return -1;
	if (n->sub_rgap != walk_gap(leftmost(n->right), r.count, true, reach))
		return -1;
	return 0;
}

/* The hole cache says what a full search from its lo finds. */
static int check_hc(const struct uio_itree *t)
{
	const struct uio_itree_hc *hc = t->hc;
	struct hole_fill fill = { 0 };
	const node_t *x;
	uint64_t s, l;

	if (!hc || !hc->valid)
		return 0;
	if (!find_hole(t, hc->lo, UINT64_MAX, 1, &s, &l, &fill) ||
	    !fill.ok || fill.start != hc->start || fill.last != hc->last ||
	    hc->start < hc->lo)
		return -1;
	/* prev and next: neighbours in order, before and after the hole. */
	if (hc->links) {
		x = hc->prev ? uio_itree_next(hc->prev) : uio_itree_first(t);
		if (x != hc->next || (hc->prev && hc->prev->start >= hc->start) ||
		    (hc->next && hc->next->start <= hc->last))
			return -1;
	}
	if (!hc->node)
		return 0;
	/* In the tree, right below the hole, overlapping nothing. */
	if (hc->node->last == UINT64_MAX || hc->node->last + 1 != hc->start)
		return -1;
	x = uio_itree_iter_first(t, hc->node->start, hc->node->last,
				 UIO_ITREE_ALL_KINDS);
	if (x != hc->node ||
	    uio_itree_iter_next(x, hc->node->start, hc->node->last,
				UIO_ITREE_ALL_KINDS))
		return -1;
	return 0;
}

int uio_itree_check(const struct uio_itree *t)
{
	struct check_out o = { 0 };
	const node_t *prev = NULL;
	uint64_t seen = 0;

	if (check_node(t->root, NULL, &o) || o.count != t->count)
		return -1;
	/* Strict order over the whole in-order walk. */
	for (const node_t *x = uio_itree_first(t); x; x = uio_itree_next(x)) {
		if (prev && !before(prev, x))
			return -1;
		prev = x;
		if (++seen > t->count)
			return -1;
	}
	if (seen != t->count)
		return -1;
	return check_hc(t);
}
