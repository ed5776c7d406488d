/* SPDX-License-Identifier: MIT */
/*
 * itree: an intrusive, augmented balanced interval tree over inclusive
 * 64-bit ranges [start, last].
 *
 * Concepts
 * --------
 * node      Embedded in the caller's struct (container_of). The caller sets
 *           start, last and kind before insert and must not change them while
 *           the node is in a tree. Nodes may overlap each other.
 * kind      One bit of 16 chosen by the caller (e.g. AREA, RESERVED). Queries
 *           take a mask and see only nodes whose kind is in it.
 * hole      A maximal run of addresses covered by no node of the tree (of any
 *           kind). hole search is O(log n) per candidate returned when nodes
 *           do not overlap (O(log^2 n) worst case with heavy overlap).
 * cache     Optional (uio_itree_init_hc): the first hole from a given lo, kept
 *           through inserts and removes where that is O(1), so first-fit
 *           allocation that maps into the lowest hole and unmaps what it
 *           mapped last costs O(1) for the search and the link, plus the
 *           walk back up (a few loads a level where only sub_last changes).
 *
 * Every subtree carries min start, max last, the OR of kinds and the largest
 * hole strictly between its own nodes (plus the part of it its right subtree
 * contributes, which keeps that hole exact under overlap), so overlap queries
 * and first-fit hole search never visit unrelated subtrees.
 *
 * The tree allocates nothing: nodes live wherever the caller put them (in
 * uiommufd, in the shared arena). Not thread-safe; callers lock.
 *
 * Why not a library: the kernel's interval_tree and libbsd's <sys/tree.h>
 * offer one augmented value; first-fit hole search needs several (max last,
 * min start, max hole and its right-hand part) kept exact across rotations,
 * plus a kind mask.
 */
#ifndef UIO_ITREE_H
#define UIO_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uio_itree_node {
	uint64_t start;
	uint64_t last;
	/*
	 * private to itree.c. What descents and the walk back up after a
	 * change read comes first: one cache line when the node is 64-byte
	 * aligned.
	 */
	uint64_t sub_start;
	uint64_t sub_last;
	uint64_t lreach;   /* max last of the node and its left subtree */
	struct uio_itree_node *left, *right, *parent;
	uint16_t kind;     /* the caller's, one bit */
	uint16_t sub_kinds;
	int16_t height;
	uint16_t pad_;
	uint64_t sub_gap;  /* largest hole strictly between nodes of the subtree; 0 if none */
	uint64_t sub_rgap; /* largest hole the right subtree adds after left+self; 0 if none */
};

/*
 * A tree's hole cache (optional, the owner's memory): the first hole at or
 * after lo, clipped below at lo, is [start, last] while valid; node, if
 * set, ends at start - 1 and overlaps no other node; while links, prev and
 * next are the last node before the hole and the first after it in tree
 * order (NULL: none), so a node inserted into the hole is linked between
 * them without a descent. Private to itree.c.
 */
struct uio_itree_hc {
	bool valid, links;
	uint64_t lo, start, last;
	const struct uio_itree_node *node;
	struct uio_itree_node *prev, *next;
};

struct uio_itree {
	struct uio_itree_node *root;
	uint64_t count;
	struct uio_itree_hc *hc;  /* or NULL */
};

static inline void uio_itree_init(struct uio_itree *t)
{
	t->root = NULL;
	t->count = 0;
	t->hc = NULL;
}

/*
 * A tree whose hole searches from lo or above use the cache hc (see
 * uio_itree_find_hole).
 */
static inline void uio_itree_init_hc(struct uio_itree *t,
				     struct uio_itree_hc *hc, uint64_t lo)
{
	uio_itree_init(t);
	hc->valid = false;
	hc->links = false;
	hc->lo = lo;
	hc->node = NULL;
	hc->prev = hc->next = NULL;
	t->hc = hc;
}

static inline bool uio_itree_empty(const struct uio_itree *t)
{
	return t->root == NULL;
}

#define UIO_ITREE_ALL_KINDS 0xffffffffu

/* Insert n (start <= last required). Duplicates and overlaps are allowed. */
void uio_itree_insert(struct uio_itree *t, struct uio_itree_node *n);
/* Remove n, which must be in t. */
void uio_itree_remove(struct uio_itree *t, struct uio_itree_node *n);

/*
 * The node with the lowest start (ties: by node address) that intersects
 * [start, last] and has kind in kinds, or NULL. O(log n) per node returned
 * when kinds covers every kind present in the tree; a narrower mask can also
 * walk subtrees where only other kinds reach [start, last].
 */
struct uio_itree_node *uio_itree_iter_first(const struct uio_itree *t,
					    uint64_t start, uint64_t last,
					    uint32_t kinds);
/* The next node after n in iteration order with the same constraints. */
struct uio_itree_node *uio_itree_iter_next(const struct uio_itree_node *n,
					   uint64_t start, uint64_t last,
					   uint32_t kinds);

/* In-order first / next over all nodes (sorted by start). */
struct uio_itree_node *uio_itree_first(const struct uio_itree *t);
struct uio_itree_node *uio_itree_next(const struct uio_itree_node *n);

/*
 * First-fit hole search. Finds the lowest hole H of the tree (all kinds)
 * such that H' = H clipped to [lo, hi] is non-empty, starts at or after lo
 * and has size (H'.last - H'.start + 1) >= min_size (min_size >= 1).
 * Stores H' in *hole_start / *hole_last and returns true; false if none.
 * Callers iterate by calling again with lo = *hole_last + 1 (stop when
 * *hole_last == hi or == UINT64_MAX). min_size 0 counts as 1. O(log n)
 * per call; O(log^2 n) in the worst case when nodes overlap heavily.
 *
 * A tree with a hole cache (uio_itree_init_hc) remembers the first hole at
 * or after a given lo and keeps it up to date through inserts and removes
 * where that is O(1) (else it is found again by the next search, once):
 * a search from there that it fits is answered in O(1), and a node put
 * into it is linked in without a descent. First-fit allocation that maps
 * into the lowest hole and unmaps what it mapped last keeps hitting it.
 */
bool uio_itree_find_hole(const struct uio_itree *t, uint64_t lo, uint64_t hi,
			 uint64_t min_size, uint64_t *hole_start,
			 uint64_t *hole_last);

/*
 * Span iteration as the kernel's interval_tree_span_iter: walks [lo, hi] as
 * alternating used and hole spans. Used spans merge nodes that overlap or
 * touch (last + 1 == next start), so a used span is a maximal covered run
 * and a hole span a maximal uncovered run, both clipped to [lo, hi]. Nodes of
 * every kind count. One hole search per step. lo > hi gives no spans.
 */
struct uio_itree_span {
	uint64_t start, last;
	bool is_hole;
	/* private */
	uint64_t lo_, hi_;
	bool done_;
	const struct uio_itree *t_;
};
void uio_itree_span_first(struct uio_itree_span *s, const struct uio_itree *t,
			  uint64_t lo, uint64_t hi);
void uio_itree_span_next(struct uio_itree_span *s);
static inline bool uio_itree_span_done(const struct uio_itree_span *s)
{
	return s->done_;
}

/*
 * Debug: recompute every augmented field from the nodes and verify order,
 * parent links, AVL balance and count. Returns 0 or -1. O(n log n).
 */
int uio_itree_check(const struct uio_itree *t);

#endif
