// SPDX-License-Identifier: MIT
/*
 * The invariant checker: everything a context's state must satisfy between
 * two commands. Used by uiommufd_check() and, with UIOMMUFD_CHECK=1 (or
 * uiommufd-run --check), after every command. Runs under ctx->lock.
 *
 * - the object table: each slot's object carries its own id, the count of
 *   occupied slots is objs.count, no short-term reference is left over;
 * - each IOAS: its trees are consistent (itree's own check), areas do not
 *   overlap each other or a reserved range, each lies inside its pages;
 * - pages: every reference is held by an area (no command is in flight),
 *   and ctx->nareas / ctx->npages_objs count what is really there;
 * - pins: npinned is the size of the union of the pin users; every pinned
 *   page has exactly one segment and no segment lies outside the pinned
 *   set; LIVE segments are indexed by their process; the per-user,
 *   per-process and context counters are the sums they summarise; an area
 *   is pinned exactly when its IOAS has a domain, and each domain maps
 *   exactly the bytes of the IOAS's areas.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

struct pages_ref {
	const struct uio_pages *pages;
	uint32_t seen;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct pages_ref *x = a, *y = b;

	return x->pages < y->pages ? -1 : x->pages > y->pages;
}

#define BAD(...)                                                    \
	do {                                                        \
		fprintf(stderr, "uiommufd check: " __VA_ARGS__);    \
		fputc('\n', stderr);                                \
		bad = 1;                                            \
	} while (0)

/*
 * Walk every IOAS's areas: collect the pages each refers to (sorted, in
 * *refs_out) and count areas. NULL refs_out: count only. -1 on ENOMEM.
 */
static int uio_collect(struct uio_ctx *ctx, struct pages_ref **refs_out,
		       size_t *nrefs_out, uint64_t *nareas_out)
{
	struct uio_objtable *t = &ctx->objs;
	struct pages_ref *refs = NULL;
	size_t nrefs = 0, cap = 0;

	for (uint32_t id = 1; id < t->next_id && id < t->nslots; id++) {
		struct uio_obj *obj = t->slots[id];
		struct uio_itree_node *n;

		if (!obj || obj->type != UIO_OBJ_IOAS)
			continue;
		n = uio_itree_first(&uio_container_of(obj, struct uio_ioas, obj)->iopt.used);
		for (; n; n = uio_itree_next(n)) {
			if (n->kind != UIO_KIND_AREA)
				continue;
			if (nrefs == cap) {
				size_t ncap = cap ? 2 * cap : 256;
				struct pages_ref *r = realloc(refs, ncap * sizeof(*r));

				if (!r) {
					free(refs);
					return -1;
				}
				refs = r;
				cap = ncap;
			}
			refs[nrefs++] = (struct pages_ref){
				uio_container_of(n, struct uio_area, node)->pages, 1 };
		}
	}
	if (nrefs)
		qsort(refs, nrefs, sizeof(*refs), cmp_ref);
	*refs_out = refs;
	*nrefs_out = nrefs;
	*nareas_out = nrefs;
	return 0;
}

static size_t uio_count_distinct(const struct pages_ref *refs, size_t nrefs)
{
	size_t distinct = 0;

	for (size_t i = 0; i < nrefs; i++)
		if (!i || refs[i].pages != refs[i - 1].pages)
			distinct++;
	return distinct;
}

/*
 * After a process died inside a command: recount what the counters summarise,
 * so that a half-built object the dead command never published does not
 * count, and drop the IOAS lookup caches. Its arena memory stays lost (at
 * most one command's worth).
 */
void uio_ctx_recount(struct uio_ctx *ctx)
{
	struct uio_objtable *t = &ctx->objs;
	struct pages_ref *refs;
	size_t nrefs;
	uint64_t nareas;

	/* Caches the dead command may have left behind its tree change. */
	for (uint32_t id = 1; id < t->next_id && id < t->nslots; id++) {
		struct uio_obj *obj = t->slots[id];
		struct uio_iopt *iopt;

		if (!obj || obj->type != UIO_OBJ_IOAS)
			continue;
		iopt = &uio_container_of(obj, struct uio_ioas, obj)->iopt;
		iopt->used_hc.valid = false;
		iopt->last_area = NULL;
	}
	if (uio_collect(ctx, &refs, &nrefs, &nareas))
		return;
	ctx->nareas = nareas;
	ctx->npages_objs = uio_count_distinct(refs, nrefs);
	free(refs);
}

static uint64_t uio_covered(const struct uio_itree *t, uint64_t lo,
			    uint64_t hi)
{
	struct uio_itree_span sp;
	uint64_t n = 0;

	for (uio_itree_span_first(&sp, t, lo, hi); !uio_itree_span_done(&sp);
	     uio_itree_span_next(&sp))
		if (!sp.is_hole)
			n += sp.last - sp.start + 1;
	return n;
}

/* One pages object's pins; adds its charge to the mode sums. */
static int uio_check_pages_pins(const struct uio_pages *pages)
{
	const struct uio_itree_node *n;
	uint64_t segs = 0;
	int bad = 0;

	if (uio_covered(&pages->pin_users, 0, pages->npages - 1) != pages->npinned)
		BAD("pages %p: npinned %llu, pin users cover %llu", (void *)pages,
		    (unsigned long long)pages->npinned,
		    (unsigned long long)uio_covered(&pages->pin_users, 0,
						    pages->npages - 1));
	for (n = uio_itree_first(&pages->segs); n; n = uio_itree_next(n)) {
		const struct uio_pseg *seg =
			uio_container_of(n, struct uio_pseg, node);
		bool live = !seg->saved && !seg->mm->gone;

		segs += n->last - n->start + 1;
		if (uio_covered(&pages->pin_users, n->start, n->last) !=
		    n->last - n->start + 1)
			BAD("pages %p: segment [%llu, %llu] not all pinned",
			    (void *)pages, (unsigned long long)n->start,
			    (unsigned long long)n->last);
		if (live && !uio_itree_iter_first(&seg->mm->live,
						  seg->va_node.start,
						  seg->va_node.start,
						  UIO_ITREE_ALL_KINDS))
			BAD("pages %p: LIVE segment missing from its process",
			    (void *)pages);
	}
	if (segs != pages->npinned)
		BAD("pages %p: %llu pinned pages, %llu in segments", (void *)pages,
		    (unsigned long long)pages->npinned, (unsigned long long)segs);
	return bad;
}

/* Pins of every distinct pages object, and the counters over them. */
static int uio_check_pins(struct uio_ctx *ctx, const struct pages_ref *refs,
			  size_t nrefs)
{
	uint64_t total = 0;
	struct uio_user *u;
	struct uio_mm *mm;
	int bad = 0;

	for (size_t i = 0; i < nrefs; i++) {
		if (i && refs[i].pages == refs[i - 1].pages)
			continue;
		bad |= uio_check_pages_pins(refs[i].pages);
		total += refs[i].pages->npinned;
	}
	if (total != ctx->npinned)
		BAD("%llu pages pinned, counted %llu", (unsigned long long)total,
		    (unsigned long long)ctx->npinned);
	for (u = ctx->users; u; u = u->next) {
		uint64_t sum = 0;

		for (size_t i = 0; i < nrefs; i++)
			if ((!i || refs[i].pages != refs[i - 1].pages) &&
			    refs[i].pages->account_mode == UIO_ACCOUNT_USER &&
			    refs[i].pages->source_uid == u->uid)
				sum += refs[i].pages->npinned;
		if (sum != u->locked_vm)
			BAD("user %u: locked_vm %llu, pinned %llu", u->uid,
			    (unsigned long long)u->locked_vm,
			    (unsigned long long)sum);
	}
	for (mm = ctx->mms; mm; mm = mm->next) {
		uint64_t locked = 0, pinned = 0;

		for (size_t i = 0; i < nrefs; i++) {
			if ((i && refs[i].pages == refs[i - 1].pages) ||
			    refs[i].pages->mm != mm)
				continue;
			pinned += refs[i].pages->npinned;
			if (refs[i].pages->account_mode == UIO_ACCOUNT_MM)
				locked += refs[i].pages->npinned;
		}
		if (locked != mm->locked_vm || pinned != mm->pinned_vm)
			BAD("process %d: locked_vm %llu pinned_vm %llu, found %llu %llu",
			    mm->pid, (unsigned long long)mm->locked_vm,
			    (unsigned long long)mm->pinned_vm,
			    (unsigned long long)locked, (unsigned long long)pinned);
	}
	return bad;
}

/* Areas pinned exactly when there is a domain; domains map all areas. */
static int uio_check_domains(struct uio_ioas *ioas)
{
	struct uio_iopt *iopt = &ioas->iopt;
	const struct uio_itree_node *n;
	uint64_t bytes = 0;
	struct uio_hwpt *h;
	int bad = 0;

	for (n = uio_itree_first(&iopt->used); n; n = uio_itree_next(n)) {
		const struct uio_area *area;

		if (n->kind != UIO_KIND_AREA)
			continue;
		area = uio_container_of(n, struct uio_area, node);
		bytes += n->last - n->start + 1;
		if (area->pinned != (iopt->ndomains > 0))
			BAD("IOAS %u: area at %#llx pinned %d with %u domains",
			    ioas->obj.id, (unsigned long long)n->start,
			    area->pinned, iopt->ndomains);
	}
	for (h = iopt->domains; h; h = h->iopt_next)
		if (h->pgt.mapped_bytes != bytes)
			BAD("hwpt %u maps %llu bytes, IOAS %u has %llu", h->obj.id,
			    (unsigned long long)h->pgt.mapped_bytes, ioas->obj.id,
			    (unsigned long long)bytes);
	return bad;
}

int uio_ctx_check(struct uio_ctx *ctx)
{
	struct uio_objtable *t = &ctx->objs;
	struct pages_ref *refs = NULL;
	size_t nrefs = 0;
	uint64_t nareas = 0;
	uint32_t count = 0;
	int bad = 0;

	for (uint32_t id = 1; id < t->next_id && id < t->nslots; id++) {
		struct uio_obj *obj = t->slots[id];

		if (!obj)
			continue;
		count++;
		if (obj->id != id)
			BAD("slot %u holds object %u", id, obj->id);
		if (atomic_load(&obj->users) < 1)
			BAD("object %u has %d users", id, atomic_load(&obj->users));
		if (atomic_load(&obj->shortterm))
			BAD("object %u has a short-term reference between commands", id);
		if (obj->type == UIO_OBJ_IOAS &&
		    uio_iopt_check(&uio_container_of(obj, struct uio_ioas, obj)->iopt))
			BAD("IOAS %u: io page table invariants broken", id);
		if (obj->type == UIO_OBJ_IOAS &&
		    uio_check_domains(uio_container_of(obj, struct uio_ioas, obj)))
			bad = 1;
	}
	if (count != t->count)
		BAD("object table counts %u, holds %u", t->count, count);
	if (uio_collect(ctx, &refs, &nrefs, &nareas)) {
		BAD("out of memory while checking");
		return -1;
	}
	if (nareas != ctx->nareas)
		BAD("%llu areas counted, %llu found",
		    (unsigned long long)ctx->nareas, (unsigned long long)nareas);
	/* Every pages reference belongs to an area. */
	for (size_t i = 0; i < nrefs;) {
		size_t j = i;

		while (j < nrefs && refs[j].pages == refs[i].pages)
			j++;
		if (refs[i].pages->refs != j - i)
			BAD("pages %p: %u references, %zu areas", (void *)refs[i].pages,
			    refs[i].pages->refs, j - i);
		i = j;
	}
	if (uio_check_pins(ctx, refs, nrefs))
		bad = 1;
	if (uio_count_distinct(refs, nrefs) != ctx->npages_objs)
		BAD("%llu pages objects counted, %zu referenced",
		    (unsigned long long)ctx->npages_objs,
		    uio_count_distinct(refs, nrefs));
	free(refs);
	return bad ? -1 : 0;
}
