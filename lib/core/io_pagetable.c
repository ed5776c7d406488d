// SPDX-License-Identifier: MIT
/*
 * io_pagetable: the IOVA space of an IOAS.
 *
 * `used` holds areas and reserved ranges together; it answers "which area
 * covers this IOVA" and "where is the first free hole that fits" in
 * O(log n). `reserved` holds the reserved ranges alone (IOVA_RANGES reports
 * its holes) and `allowed` the user's allowed ranges.
 *
 * Errors follow the kernel's checks and their order exactly; the order is
 * visible to programs when several checks fail at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define UIO_ULONG_MAX UINT64_MAX

static inline uint64_t uio_area_iova(const struct uio_area *a)
{
	return a->node.start;
}

static inline uint64_t uio_area_last(const struct uio_area *a)
{
	return a->node.last;
}

static struct uio_area *uio_area_first(struct uio_iopt *iopt, uint64_t start,
				       uint64_t last)
{
	struct uio_area *hint = iopt->last_area;
	struct uio_itree_node *n;

	/*
	 * Areas overlap nothing, so one holding start is the first to meet
	 * [start, last]. The area mapped last is often the one unmapped next.
	 */
	if (hint && uio_area_iova(hint) <= start &&
	    start <= uio_area_last(hint) && start <= last)
		return hint;
	n = uio_itree_iter_first(&iopt->used, start, last, UIO_KIND_AREA);
	return n ? uio_container_of(n, struct uio_area, node) : NULL;
}

/* Take area out of the tree (and out of the lookup hint). */
static void uio_area_unlink(struct uio_iopt *iopt, struct uio_area *area)
{
	if (iopt->last_area == area) {
		UIO_J(&iopt->last_area);
		iopt->last_area = NULL;
	}
	uio_itree_remove(&iopt->used, &area->node);
}

static struct uio_area *uio_area_next(struct uio_area *a, uint64_t start,
				      uint64_t last)
{
	struct uio_itree_node *n =
		uio_itree_iter_next(&a->node, start, last, UIO_KIND_AREA);

	return n ? uio_container_of(n, struct uio_area, node) : NULL;
}

void uio_iopt_init(struct uio_iopt *iopt)
{
	/* Automatic IOVAs are searched from UIO_PAGE_SIZE up. */
	uio_itree_init_hc(&iopt->used, &iopt->used_hc, UIO_PAGE_SIZE);
	iopt->last_area = NULL;
	uio_itree_init(&iopt->reserved);
	uio_itree_init(&iopt->allowed);
	/* No domain or access constrains it yet: byte granular, as the kernel. */
	iopt->iova_alignment = 1;
}

void uio_allowed_tree_free(struct uio_ctx *ctx, struct uio_itree *t)
{
	struct uio_itree_node *n;

	while ((n = uio_itree_first(t))) {
		uio_itree_remove(t, n);
		uio_delete(ctx, uio_container_of(n, struct uio_allowed, node));
	}
}

void uio_iopt_destroy(struct uio_ctx *ctx, struct uio_iopt *iopt)
{
	uio_iopt_remove_reserved_iova(ctx, iopt, NULL);
	uio_allowed_tree_free(ctx, &iopt->allowed);
}

/* ------------------------------------------------------------------ */
/* automatic IOVA */

static uint64_t uio_roundup_pow2(uint64_t v)
{
	return v <= 1 ? 1 : 1ull << (64 - __builtin_clzll(v - 1));
}

/*
 * Whether [start, last] holds length bytes at an address aligned to
 * `alignment` with the low bits of page_offset; *start becomes that address.
 * This is the kernel's test, including its refusal when the aligned start
 * is the very last byte.
 */
static bool uio_alloc_check_range(uint64_t *start, uint64_t last,
				  uint64_t length, uint64_t alignment,
				  uint64_t page_offset)
{
	uint64_t aligned;

	if (__builtin_add_overflow(*start, alignment - 1, &aligned))
		return false;
	aligned &= ~(alignment - 1);
	aligned |= page_offset;
	if (aligned >= last || last - aligned < length - 1)
		return false;
	*start = aligned;
	return true;
}

/* First fit of the free holes of `used` within [lo, hi]. */
static bool uio_alloc_in_span(struct uio_iopt *iopt, uint64_t lo, uint64_t hi,
			      uint64_t length, uint64_t alignment,
			      uint64_t page_offset, uint64_t *iova)
{
	uint64_t hs, hl;

	while (lo <= hi &&
	       uio_itree_find_hole(&iopt->used, lo, hi, length, &hs, &hl)) {
		uint64_t s = hs;

		if (uio_alloc_check_range(&s, hl, length, alignment, page_offset)) {
			*iova = s;
			return true;
		}
		if (hl >= hi)
			break;
		lo = hl + 1;
	}
	return false;
}

static int uio_iopt_alloc_iova(struct uio_iopt *iopt, uint64_t *iova,
			       uint64_t uptr, uint64_t length)
{
	const uint64_t lo = UIO_PAGE_SIZE, hi = UIO_ULONG_MAX - UIO_PAGE_SIZE;
	uint64_t page_offset = uptr % UIO_PAGE_SIZE;
	uint64_t alignment;
	struct uio_itree_span span;

	if (length == 0 || length >= UIO_ULONG_MAX / 2)
		return -EOVERFLOW;

	alignment = uio_roundup_pow2(length);
	if (uptr && (1ull << __builtin_ctzll(uptr)) < alignment)
		alignment = 1ull << __builtin_ctzll(uptr);
	if (alignment >= UIO_MAX_IOVA_ALIGNMENT)
		alignment = UIO_MAX_IOVA_ALIGNMENT;
	if (alignment < iopt->iova_alignment)
		return -EINVAL;

	/*
	 * As the kernel does, the allowed range's start is first aligned and
	 * given the page offset, and the holes are searched from there: a
	 * hole that begins below it is used from it on, so the answer keeps
	 * the page offset's bits even where the hole's own aligned start
	 * would have more.
	 */
	if (uio_itree_empty(&iopt->allowed)) {
		uint64_t s = lo;

		if (uio_alloc_check_range(&s, hi, length, alignment, page_offset) &&
		    uio_alloc_in_span(iopt, s, hi, length, alignment,
				      page_offset, iova))
			return 0;
		return -ENOSPC;
	}
	for (uio_itree_span_first(&span, &iopt->allowed, lo, hi);
	     !uio_itree_span_done(&span); uio_itree_span_next(&span)) {
		uint64_t s = span.start;

		if (span.is_hole ||
		    !uio_alloc_check_range(&s, span.last, length, alignment,
					   page_offset))
			continue;
		if (uio_alloc_in_span(iopt, s, span.last, length,
				      alignment, page_offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int uio_iopt_check_iova(struct uio_iopt *iopt, uint64_t iova,
			       uint64_t length)
{
	uint64_t last;

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (uio_itree_iter_first(&iopt->reserved, iova, last,
				 UIO_ITREE_ALL_KINDS))
		return -EINVAL;
	if (uio_area_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* ------------------------------------------------------------------ */
/* mapping */

static int uio_iopt_insert_area(struct uio_iopt *iopt, struct uio_area *area,
				struct uio_pages *pages, uint64_t iova,
				uint64_t start_byte, uint64_t length, int prot)
{
	uint64_t last_byte;

	if ((prot & UIO_PROT_WRITE) && !pages->writable)
		return -EPERM;
	area->prot = prot;
	if ((start_byte % UIO_PAGE_SIZE) & (iopt->iova_alignment - 1))
		return -EINVAL;
	area->node.start = iova;
	if (__builtin_add_overflow(iova, length - 1, &area->node.last))
		return -EOVERFLOW;
	if (__builtin_add_overflow(start_byte, length - 1, &last_byte) ||
	    last_byte / UIO_PAGE_SIZE >= pages->npages)
		return -EOVERFLOW;
	area->start_byte = start_byte;
	area->node.kind = UIO_KIND_AREA;
	uio_itree_insert(&iopt->used, &area->node);
	UIO_J(&iopt->last_area);
	iopt->last_area = area;
	return 0;
}

/* ------------------------------------------------------------------ */
/* areas in domains */

/* Pin the area's pages for the domains. */
static int uio_area_pin(struct uio_ctx *ctx, struct uio_area *area,
			struct uio_pages *pages)
{
	uint64_t len = uio_area_last(area) - uio_area_iova(area) + 1;
	int rc;

	rc = uio_pages_pin(ctx, pages, &area->pin,
			   area->start_byte / UIO_PAGE_SIZE,
			   (area->start_byte + len - 1) / UIO_PAGE_SIZE);
	if (!rc) {
		UIO_J(&area->pinned);
		area->pinned = true;
	}
	return rc;
}

static void uio_area_unpin(struct uio_ctx *ctx, struct uio_area *area,
			   struct uio_pages *pages)
{
	if (!area->pinned)
		return;
	uio_pages_unpin(ctx, pages, &area->pin);
	UIO_J(&area->pinned);
	area->pinned = false;
}

/* Put a new area into every domain of iopt: pin, then map each. */
static int uio_area_fill_domains(struct uio_ctx *ctx, struct uio_iopt *iopt,
				 struct uio_area *area,
				 struct uio_pages *pages)
{
	struct uio_hwpt *h, *undo;
	int rc;

	if (!iopt->ndomains)
		return 0;
	rc = uio_area_pin(ctx, area, pages);
	if (rc)
		return rc;
	for (h = iopt->domains; h; h = h->iopt_next) {
		rc = uio_hwpt_map_area(h, area, pages);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	for (undo = iopt->domains; undo != h; undo = undo->iopt_next)
		uio_hwpt_unmap_area(undo, area);
	uio_area_unpin(ctx, area, pages);
	return rc;
}

static void uio_area_unfill_domains(struct uio_ctx *ctx,
				    struct uio_iopt *iopt,
				    struct uio_area *area,
				    struct uio_pages *pages)
{
	struct uio_hwpt *h;

	for (h = iopt->domains; h; h = h->iopt_next)
		uio_hwpt_unmap_area(h, area);
	uio_area_unpin(ctx, area, pages);
}

static void uio_area_free(struct uio_ctx *ctx, struct uio_iopt *iopt,
			  struct uio_area *area, bool inserted)
{
	if (inserted) {
		uio_area_unlink(iopt, area);
		uio_ctx_j(ctx);
		ctx->nareas--;
	}
	uio_delete(ctx, area);
}

void uio_pages_list_free(struct uio_ctx *ctx, struct uio_pages_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->elm[i].pages)
			uio_pages_put(ctx, list->elm[i].pages);
	free(list->elm);
	memset(list, 0, sizeof(*list));
}

static int uio_pages_list_add(struct uio_pages_list *list,
			      struct uio_pages *pages, uint64_t start_byte,
			      uint64_t length)
{
	if (list->n == list->cap) {
		size_t ncap = list->cap ? list->cap * 2 : 4;
		struct uio_pages_elm *n =
			uio_should_fail() ? NULL : realloc(list->elm, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		list->elm = n;
		list->cap = ncap;
	}
	list->elm[list->n++] = (struct uio_pages_elm){
		.pages = pages, .start_byte = start_byte, .length = length };
	return 0;
}

/*
 * Insert one area per element of list, back to back from *iova (chosen here
 * when flags has UIO_IOPT_ALLOC_IOVA). On success the areas own the list's
 * pages references; on failure nothing changed and the list still owns them.
 */
int uio_iopt_map_pages(struct uio_ctx *ctx, struct uio_iopt *iopt,
		       struct uio_pages_list *list, uint64_t length,
		       uint64_t *iova, int prot, unsigned int flags)
{
	size_t i, inserted = 0;
	uint64_t cur;
	int rc = 0;

	for (i = 0; i < list->n; i++) {
		list->elm[i].area = uio_new(ctx, struct uio_area);
		if (!list->elm[i].area) {
			rc = -ENOMEM;
			goto out_free_areas;
		}
	}

	if ((length & (iopt->iova_alignment - 1)) || !length) {
		rc = -EINVAL;
		goto out_free_areas;
	}
	if (flags & UIO_IOPT_ALLOC_IOVA) {
		rc = uio_iopt_alloc_iova(iopt, iova,
					 list->elm[0].pages->uptr +
						 list->elm[0].start_byte,
					 length);
		if (rc)
			goto out_free_areas;
	} else {
		rc = uio_iopt_check_iova(iopt, *iova, length);
		if (rc)
			goto out_free_areas;
	}

	cur = *iova;
	for (i = 0; i < list->n; i++) {
		struct uio_pages_elm *e = &list->elm[i];

		rc = uio_iopt_insert_area(iopt, e->area, e->pages, cur,
					  e->start_byte, e->length, prot);
		if (rc)
			goto out_free_areas;
		uio_ctx_j(ctx);
		ctx->nareas++;
		inserted++;
		cur += e->length;
	}

	for (i = 0; i < list->n; i++) {
		rc = uio_area_fill_domains(ctx, iopt, list->elm[i].area,
					   list->elm[i].pages);
		if (rc)
			goto out_unfill;
	}

	/* Finalize: the areas take over the pages references. */
	for (i = 0; i < list->n; i++) {
		list->elm[i].area->pages = list->elm[i].pages;
		list->elm[i].pages = NULL;
		list->elm[i].area = NULL;
	}
	return 0;

out_unfill:
	while (i--)
		uio_area_unfill_domains(ctx, iopt, list->elm[i].area,
					list->elm[i].pages);
out_free_areas:
	for (i = 0; i < list->n; i++) {
		if (list->elm[i].area)
			uio_area_free(ctx, iopt, list->elm[i].area, i < inserted);
		list->elm[i].area = NULL;
	}
	return rc;
}

int uio_iopt_map_user_pages(struct uio_ctx *ctx, struct uio_iopt *iopt,
			    uint64_t *iova, uintptr_t uptr, uint64_t length,
			    int prot, unsigned int flags)
{
	struct uio_pages_elm elm = { 0 };
	struct uio_pages_list list = { .elm = &elm, .n = 1, .cap = 1 };
	int rc;

	elm.pages = uio_pages_alloc(ctx, uptr, length, prot & UIO_PROT_WRITE, &rc);
	if (!elm.pages)
		return rc;
	elm.start_byte = uptr - elm.pages->uptr;
	elm.length = length;

	rc = uio_iopt_map_pages(ctx, iopt, &list, length, iova, prot, flags);
	if (rc)
		uio_pages_put(ctx, elm.pages);
	return rc;
}

/*
 * Collect the pages behind [iova, iova + length), which must be covered by
 * areas with no gap between them (ENOENT otherwise).
 */
int uio_iopt_get_pages(struct uio_iopt *iopt, uint64_t iova, uint64_t length,
		       struct uio_pages_list *list)
{
	struct uio_area *area;
	uint64_t last, cur = iova;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	for (area = uio_area_first(iopt, iova, iova); area;
	     area = uio_area_next(area, cur, last)) {
		uint64_t end = uio_area_last(area) < last ? uio_area_last(area) : last;

		if (uio_area_iova(area) > cur)
			break;
		rc = uio_pages_list_add(list, area->pages,
					area->start_byte + (cur - uio_area_iova(area)),
					end - cur + 1);
		if (rc)
			goto err_free;
		uio_pages_get(area->pages);
		if (end == last)
			return 0;
		cur = end + 1;
	}
	rc = -ENOENT;
err_free:
	while (list->n) {
		struct uio_pages_elm *e = &list->elm[--list->n];

		UIO_J(&e->pages->refs);
		e->pages->refs--; /* still referenced by its area */
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* unmapping */

static int uio_iopt_unmap_range(struct uio_ctx *ctx, struct uio_iopt *iopt,
				uint64_t start, uint64_t last,
				uint64_t *unmapped)
{
	uint64_t unmapped_bytes = 0;
	struct uio_area *area;
	int rc = 0;

	/*
	 * Whole areas only. A range that cuts an area stops the walk with
	 * ENOENT; areas already removed stay removed, as in the kernel.
	 */
	while ((area = uio_area_first(iopt, start, last))) {
		uint64_t area_first = uio_area_iova(area);
		uint64_t area_last = uio_area_last(area);
		struct uio_pages *pages = area->pages;

		if (area_first < start || area_last > last) {
			rc = -ENOENT;
			break;
		}
		if (area->num_accesses) {
			/* Accesses must give up their pins on it first. */
			uio_iopt_notify_unmap(ctx, iopt, area_first, area_last);
			if (area->num_accesses) {
				rc = -EBUSY;
				break;
			}
		}
		uio_area_unfill_domains(ctx, iopt, area, pages);
		uio_area_free(ctx, iopt, area, true);
		uio_pages_put(ctx, pages);
		unmapped_bytes += area_last - area_first + 1;
		if (area_last >= last)
			break;
		start = area_last + 1;
	}
	if (unmapped)
		*unmapped = unmapped_bytes;
	return rc;
}

int uio_iopt_unmap_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
			uint64_t iova, uint64_t length, uint64_t *unmapped)
{
	uint64_t last;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return uio_iopt_unmap_range(ctx, iopt, iova, last, unmapped);
}

int uio_iopt_unmap_all(struct uio_ctx *ctx, struct uio_iopt *iopt,
		       uint64_t *unmapped)
{
	return uio_iopt_unmap_range(ctx, iopt, 0, UIO_ULONG_MAX, unmapped);
}

/* ------------------------------------------------------------------ */
/* allowed and reserved ranges */

/*
 * Swap in a new allowed set; refused with EADDRINUSE if any allowed range
 * would cover a reserved one. On success *allowed holds the old set.
 */
int uio_iopt_set_allow_iova(struct uio_iopt *iopt, struct uio_itree *allowed)
{
	struct uio_itree_node *n;

	for (n = uio_itree_first(allowed); n; n = uio_itree_next(n))
		if (uio_itree_iter_first(&iopt->reserved, n->start, n->last,
					 UIO_ITREE_ALL_KINDS))
			return -EADDRINUSE;
	struct uio_itree old = iopt->allowed;
	UIO_J(&iopt->allowed);
	iopt->allowed = *allowed;
	*allowed = old;
	return 0;
}

int uio_iopt_reserve_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
			  uint64_t start, uint64_t last, const void *owner)
{
	struct uio_reserved *r;

	if (uio_area_first(iopt, start, last) ||
	    uio_itree_iter_first(&iopt->allowed, start, last,
				 UIO_ITREE_ALL_KINDS))
		return -EADDRINUSE;
	r = uio_new(ctx, struct uio_reserved);
	if (!r)
		return -ENOMEM;
	r->owner = owner;
	r->node.start = r->used_node.start = start;
	r->node.last = r->used_node.last = last;
	r->node.kind = UIO_KIND_RESERVED;
	r->used_node.kind = UIO_KIND_RESERVED;
	uio_itree_insert(&iopt->reserved, &r->node);
	uio_itree_insert(&iopt->used, &r->used_node);
	return 0;
}

void uio_iopt_remove_reserved_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
				   const void *owner)
{
	struct uio_itree_node *n, *next;

	for (n = uio_itree_first(&iopt->reserved); n; n = next) {
		struct uio_reserved *r = uio_container_of(n, struct uio_reserved, node);

		next = uio_itree_next(n);
		if (owner && r->owner != owner)
			continue;
		uio_itree_remove(&iopt->reserved, &r->node);
		uio_itree_remove(&iopt->used, &r->used_node);
		uio_delete(ctx, r);
	}
}

/* ------------------------------------------------------------------ */
/* alignment */

static int uio_iopt_check_iova_alignment(struct uio_iopt *iopt,
					 uint64_t new_alignment)
{
	uint64_t mask = new_alignment - 1;
	struct uio_area *area;

	for (area = uio_area_first(iopt, 0, UIO_ULONG_MAX); area;
	     area = uio_area_next(area, 0, UIO_ULONG_MAX))
		if ((uio_area_iova(area) & mask) ||
		    ((uio_area_last(area) - uio_area_iova(area) + 1) & mask) ||
		    ((area->start_byte % UIO_PAGE_SIZE) & mask))
			return -EADDRINUSE;
	return 0;
}

static uint64_t uio_hwpt_min_pgsize(const struct uio_hwpt *h)
{
	return 1ull << h->pgt.granule_shift;
}

/* The largest of what the domains and the large-pages switch need. */
static int uio_iopt_calculate_iova_alignment(struct uio_iopt *iopt)
{
	uint64_t align = iopt->disable_large_pages ? UIO_PAGE_SIZE : 1;
	struct uio_hwpt *h;
	int rc;

	for (h = iopt->domains; h; h = h->iopt_next)
		if (uio_hwpt_min_pgsize(h) > align)
			align = uio_hwpt_min_pgsize(h);
	if (iopt->npin_accesses && UIO_PAGE_SIZE > align)
		align = UIO_PAGE_SIZE;
	if (align > iopt->iova_alignment) {
		rc = uio_iopt_check_iova_alignment(iopt, align);
		if (rc)
			return rc;
	}
	UIO_J(&iopt->iova_alignment);
	iopt->iova_alignment = align;
	return 0;
}

int uio_iopt_disable_large_pages(struct uio_iopt *iopt)
{
	int rc;

	if (iopt->disable_large_pages)
		return 0;
	/* Not once domains hold mappings. */
	if (iopt->ndomains && uio_area_first(iopt, 0, UIO_ULONG_MAX))
		return -EINVAL;
	UIO_J(&iopt->disable_large_pages);
	iopt->disable_large_pages = true;
	rc = uio_iopt_calculate_iova_alignment(iopt);
	if (rc)
		iopt->disable_large_pages = false;
	return rc;
}

void uio_iopt_enable_large_pages(struct uio_iopt *iopt)
{
	UIO_J(&iopt->disable_large_pages);
	iopt->disable_large_pages = false;
	uio_iopt_calculate_iova_alignment(iopt);
}

/* ------------------------------------------------------------------ */
/* cutting areas (the VFIO type1 compat's partial unmaps) */

/*
 * Split the area holding iova so that iova ends one part. Both parts keep
 * the pages, their pins and their domain entries (nothing is remapped).
 */
static int uio_area_split(struct uio_ctx *ctx, struct uio_iopt *iopt,
			  struct uio_area *area, uint64_t iova)
{
	uint64_t start = uio_area_iova(area), last = uio_area_last(area);
	uint64_t new_start = iova + 1, align = iopt->iova_alignment;
	struct uio_pages *pages = area->pages;
	struct uio_area *lhs, *rhs;
	int rc;

	if (iova == start || iova == last)
		return 0;
	if (!pages)
		return -EBUSY;
	if ((new_start & (align - 1)) ||
	    ((area->start_byte + (new_start - start)) & (align - 1)))
		return -EINVAL;
	lhs = uio_new(ctx, struct uio_area);
	rhs = uio_new(ctx, struct uio_area);
	if (!lhs || !rhs) {
		rc = -ENOMEM;
		goto err_free;
	}
	/* Accesses' pins cannot be split; nor can possibly huge entries. */
	if (area->num_accesses ||
	    (area->pinned && !iopt->disable_large_pages)) {
		rc = -EINVAL;
		goto err_free;
	}
	uio_area_unlink(iopt, area);
	rc = uio_iopt_insert_area(iopt, lhs, pages, start, area->start_byte,
				  new_start - start, area->prot);
	if (rc)
		goto err_reinsert;
	rc = uio_iopt_insert_area(iopt, rhs, pages, new_start,
				  area->start_byte + (new_start - start),
				  last - new_start + 1, area->prot);
	if (rc)
		goto err_remove_lhs;
	if (area->pinned) {
		/* Already pinned pages: these pins take nothing new, cannot fail. */
		uio_area_pin(ctx, lhs, pages);
		uio_area_pin(ctx, rhs, pages);
		uio_area_unpin(ctx, area, pages);
	}
	lhs->pages = pages;
	rhs->pages = pages;
	uio_pages_get(pages);
	uio_ctx_j(ctx);
	ctx->nareas++;
	uio_delete(ctx, area);
	return 0;

err_remove_lhs:
	uio_area_unlink(iopt, lhs);
err_reinsert:
	uio_itree_insert(&iopt->used, &area->node);
err_free:
	if (lhs)
		uio_delete(ctx, lhs);
	if (rhs)
		uio_delete(ctx, rhs);
	return rc;
}

int uio_iopt_cut_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
		      const uint64_t *iovas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct uio_area *area = uio_area_first(iopt, iovas[i], iovas[i]);
		int rc;

		if (!area)
			continue;
		rc = uio_area_split(ctx, iopt, area, iovas[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* domains */

int uio_iopt_table_add_domain(struct uio_ctx *ctx, struct uio_iopt *iopt,
			      struct uio_hwpt *hwpt)
{
	uint64_t align = iopt->iova_alignment;
	struct uio_area *area, *undo;
	int rc;

	if (uio_hwpt_min_pgsize(hwpt) > align)
		align = uio_hwpt_min_pgsize(hwpt);
	/* Pages are PAGE_SIZE units: a domain must take PAGE_SIZE pages. */
	if (align > UIO_PAGE_SIZE)
		return -EINVAL;
	if (align != iopt->iova_alignment) {
		rc = uio_iopt_check_iova_alignment(iopt, align);
		if (rc)
			return rc;
	}
	/* Nothing may be mapped outside the aperture. */
	if (hwpt->aperture_start) {
		rc = uio_iopt_reserve_iova(ctx, iopt, 0, hwpt->aperture_start - 1,
					   hwpt);
		if (rc)
			goto err_reserved;
	}
	if (hwpt->aperture_last != UIO_ULONG_MAX) {
		rc = uio_iopt_reserve_iova(ctx, iopt, hwpt->aperture_last + 1,
					   UIO_ULONG_MAX, hwpt);
		if (rc)
			goto err_reserved;
	}

	/* Fill: the first domain pins, later ones share those pins. */
	for (area = uio_area_first(iopt, 0, UIO_ULONG_MAX); area;
	     area = uio_area_next(area, 0, UIO_ULONG_MAX)) {
		if (!iopt->ndomains) {
			rc = uio_area_pin(ctx, area, area->pages);
			if (rc)
				goto err_unfill;
		}
		rc = uio_hwpt_map_area(hwpt, area, area->pages);
		if (rc) {
			if (!iopt->ndomains)
				uio_area_unpin(ctx, area, area->pages);
			goto err_unfill;
		}
	}

	UIO_J(iopt);
	UIO_J(&hwpt->iopt_next);
	iopt->iova_alignment = align;
	hwpt->iopt_next = iopt->domains;
	iopt->domains = hwpt;
	iopt->ndomains++;
	return 0;

err_unfill:
	for (undo = uio_area_first(iopt, 0, UIO_ULONG_MAX); undo != area;
	     undo = uio_area_next(undo, 0, UIO_ULONG_MAX)) {
		uio_hwpt_unmap_area(hwpt, undo);
		if (!iopt->ndomains)
			uio_area_unpin(ctx, undo, undo->pages);
	}
err_reserved:
	uio_iopt_remove_reserved_iova(ctx, iopt, hwpt);
	return rc;
}

void uio_iopt_table_remove_domain(struct uio_ctx *ctx, struct uio_iopt *iopt,
				  struct uio_hwpt *hwpt)
{
	struct uio_hwpt **pp;
	struct uio_area *area;

	for (pp = &iopt->domains; *pp && *pp != hwpt; pp = &(*pp)->iopt_next)
		;
	if (!*pp)
		return;
	UIO_J(pp);
	UIO_J(&hwpt->iopt_next);
	UIO_J(iopt);
	*pp = hwpt->iopt_next;
	hwpt->iopt_next = NULL;
	iopt->ndomains--;
	for (area = uio_area_first(iopt, 0, UIO_ULONG_MAX); area;
	     area = uio_area_next(area, 0, UIO_ULONG_MAX)) {
		uio_hwpt_unmap_area(hwpt, area);
		if (!iopt->ndomains)
			uio_area_unpin(ctx, area, area->pages);
	}
	uio_iopt_remove_reserved_iova(ctx, iopt, hwpt);
	uio_iopt_calculate_iova_alignment(iopt);
}

/* An access that pins pages needs PAGE_SIZE alignment of every area. */
int uio_iopt_add_pin_access(struct uio_iopt *iopt)
{
	int rc;

	if (iopt->iova_alignment < UIO_PAGE_SIZE) {
		rc = uio_iopt_check_iova_alignment(iopt, UIO_PAGE_SIZE);
		if (rc)
			return rc;
	}
	UIO_J(iopt);
	if (iopt->iova_alignment < UIO_PAGE_SIZE)
		iopt->iova_alignment = UIO_PAGE_SIZE;
	iopt->npin_accesses++;
	return 0;
}

void uio_iopt_remove_pin_access(struct uio_iopt *iopt)
{
	UIO_J(&iopt->npin_accesses);
	iopt->npin_accesses--;
	uio_iopt_calculate_iova_alignment(iopt);
}

/* Invariants of one io page table; 0 or -1. */
int uio_iopt_check(struct uio_iopt *iopt)
{
	struct uio_area *area, *prev = NULL;

	if (uio_itree_check(&iopt->used) || uio_itree_check(&iopt->reserved) ||
	    uio_itree_check(&iopt->allowed))
		return -1;
	/* The lookup hint is an area of this table. */
	if (iopt->last_area &&
	    uio_itree_iter_first(&iopt->used, uio_area_iova(iopt->last_area),
				 uio_area_iova(iopt->last_area),
				 UIO_KIND_AREA) != &iopt->last_area->node)
		return -1;
	for (area = uio_area_first(iopt, 0, UIO_ULONG_MAX); area;
	     area = uio_area_next(area, 0, UIO_ULONG_MAX)) {
		uint64_t len = uio_area_last(area) - uio_area_iova(area) + 1;

		if (!area->pages || area->pages->refs == 0)
			return -1;
		if ((area->start_byte + len - 1) / UIO_PAGE_SIZE >=
		    area->pages->npages)
			return -1;
		if (prev && uio_area_last(prev) >= uio_area_iova(area))
			return -1;
		if (uio_itree_iter_first(&iopt->reserved, uio_area_iova(area),
					 uio_area_last(area), UIO_ITREE_ALL_KINDS))
			return -1;
		prev = area;
	}
	return 0;
}
