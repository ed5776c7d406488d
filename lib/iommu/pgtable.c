// SPDX-License-Identifier: MIT
/* Software IO page tables; see pgtable.h for the format. */
#include "pgtable.h"

#include <errno.h>
#include <string.h>

#include "fail.h"
#include "journal.h"

/*
 * Crash safety (journal.h): every entry of an existing table is journaled
 * before it changes, a level's run of entries at once; the table struct
 * once per command. Tables allocated in the command need nothing.
 */
static void save_run(uint64_t *t, uint64_t iova, uint64_t len,
		     unsigned int shift)
{
	uint64_t first = (iova >> shift) & (UIO_PGT_ENTRIES - 1);
	uint64_t n = ((iova + len - 1) >> shift) - (iova >> shift) + 1;

	if (first + n > UIO_PGT_ENTRIES)
		n = UIO_PGT_ENTRIES - first;
	uio_j_save(&t[first], n * sizeof(*t));
}

#define UIO_TABLE_BYTES (UIO_PGT_ENTRIES * sizeof(uint64_t))
#define UIO_TABLE_MASK (~(uint64_t)(UIO_ARENA_PAGE - 1))

static unsigned int level_shift(const struct uio_pgt *pgt, unsigned int l)
{
	return pgt->granule_shift + UIO_PGT_LEVEL_BITS * l;
}

static uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & UIO_TABLE_MASK);
}

static bool is_leaf(uint64_t e, unsigned int l)
{
	return l == 0 || (e & UIO_PTE_LEAF);
}

static uint64_t leaf_addr(const struct uio_pgt *pgt, uint64_t e)
{
	return e & ~((1ull << pgt->granule_shift) - 1);
}

/*
 * A new table. Growth (a map, a new root) is a failure point (fail.c):
 * ENOMEM, which uio_pgt_map() rolls back. Splitting a large leaf on unmap
 * is not: the domain's unmap cannot fail, in the kernel as here.
 */
static uint64_t *table_alloc_nofail(struct uio_pgt *pgt)
{
	uint64_t *t = uio_arena_zalloc(pgt->arena, UIO_TABLE_BYTES);

	if (t) {
		UIO_J(pgt);
		pgt->ntables++;
	}
	return t;
}

static uint64_t *table_alloc(struct uio_pgt *pgt)
{
	if (uio_should_fail())
		return NULL;
	return table_alloc_nofail(pgt);
}

static void table_free(struct uio_pgt *pgt, uint64_t *t)
{
	uio_arena_free(pgt->arena, t, UIO_TABLE_BYTES);
	UIO_J(pgt);
	pgt->ntables--;
}

static bool table_empty(const uint64_t *t)
{
	for (int i = 0; i < UIO_PGT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* The part of [iova, iova + len) inside the entry that iova falls in. */
static uint64_t chunk_of(uint64_t iova, uint64_t len, unsigned int shift)
{
	uint64_t room = (1ull << shift) - (iova & ((1ull << shift) - 1));

	return len < room ? len : room;
}

int uio_pgt_init(struct uio_pgt *pgt, struct uio_arena *arena,
		 unsigned int granule_shift, unsigned int levels,
		 unsigned int max_leaf_level)
{
	if (granule_shift < 7 || !levels ||
	    granule_shift + UIO_PGT_LEVEL_BITS * levels > 64 ||
	    max_leaf_level >= levels)
		return -EINVAL;
	memset(pgt, 0, sizeof(*pgt));
	pgt->arena = arena;
	pgt->granule_shift = granule_shift;
	pgt->levels = levels;
	pgt->max_leaf_level = max_leaf_level;
	pgt->root = table_alloc(pgt);
	return pgt->root ? 0 : -ENOMEM;
}

static void destroy_level(struct uio_pgt *pgt, uint64_t *t, unsigned int l)
{
	for (int i = 0; l && i < UIO_PGT_ENTRIES; i++)
		if ((t[i] & UIO_PTE_PRESENT) && !is_leaf(t[i], l))
			destroy_level(pgt, table_of(t[i]), l - 1);
	table_free(pgt, t);
}

void uio_pgt_destroy(struct uio_pgt *pgt)
{
	UIO_J(pgt);
	if (pgt->root)
		destroy_level(pgt, pgt->root, pgt->levels - 1);
	pgt->root = NULL;
}

static bool in_range(const struct uio_pgt *pgt, uint64_t iova, uint64_t len)
{
	unsigned int bits = level_shift(pgt, pgt->levels);
	uint64_t last;

	if (!len || __builtin_add_overflow(iova, len - 1, &last))
		return false;
	return bits >= 64 || last >> bits == 0;
}

/* Whether anything is mapped in [iova, iova + len). */
static bool any_mapped(const struct uio_pgt *pgt, const uint64_t *t,
		       unsigned int l, uint64_t iova, uint64_t len)
{
	unsigned int shift = level_shift(pgt, l);

	while (len) {
		uint64_t e = t[(iova >> shift) & (UIO_PGT_ENTRIES - 1)];
		uint64_t chunk = chunk_of(iova, len, shift);

		if (e & UIO_PTE_PRESENT) {
			if (is_leaf(e, l))
				return true;
			if (any_mapped(pgt, table_of(e), l - 1, iova, chunk))
				return true;
		}
		iova += chunk;
		len -= chunk;
	}
	return false;
}

static int map_level(struct uio_pgt *pgt, uint64_t *t, unsigned int l,
		     uint64_t iova, uint64_t oa, uint64_t len, uint64_t prot,
		     unsigned int max_leaf)
{
	unsigned int shift = level_shift(pgt, l);
	uint64_t size = 1ull << shift;

	save_run(t, iova, len, shift);
	if (l == 0) {
		/* The leaf level: one tight loop over the run of entries. */
		uint64_t i = (iova >> shift) & (UIO_PGT_ENTRIES - 1);
		uint64_t n = len >> shift, bits = prot | UIO_PTE_PRESENT;

		for (uint64_t k = 0; k < n; k++)
			t[i + k] = (oa + (k << shift)) | bits;
		return 0;
	}
	while (len) {
		uint64_t *e = &t[(iova >> shift) & (UIO_PGT_ENTRIES - 1)];
		uint64_t chunk = chunk_of(iova, len, shift);

		if ((l <= max_leaf && chunk == size &&
			       !(oa & (size - 1)))) {
			*e = oa | prot | UIO_PTE_PRESENT | (l ? UIO_PTE_LEAF : 0);
		} else {
			int rc;

			if (!(*e & UIO_PTE_PRESENT)) {
				uint64_t *next = table_alloc(pgt);

				if (!next)
					return -ENOMEM;
				*e = (uint64_t)(uintptr_t)next | UIO_PTE_PRESENT;
			}
			rc = map_level(pgt, table_of(*e), l - 1, iova, oa, chunk,
				       prot, max_leaf);
			if (rc)
				return rc;
		}
		iova += chunk;
		oa += chunk;
		len -= chunk;
	}
	return 0;
}

int uio_pgt_map(struct uio_pgt *pgt, uint64_t iova, uint64_t oa, uint64_t len,
		uint64_t prot)
{
	uint64_t gmask = (1ull << pgt->granule_shift) - 1;
	unsigned int max_leaf = (prot & UIO_PGT_MAP_SMALL) ? 0 : pgt->max_leaf_level;
	int rc;

	if ((iova | oa | len) & gmask || !in_range(pgt, iova, len))
		return -EINVAL;
	if (any_mapped(pgt, pgt->root, pgt->levels - 1, iova, len))
		return -EEXIST;
	prot &= UIO_PTE_READ | UIO_PTE_WRITE;
	UIO_J(pgt);
	rc = map_level(pgt, pgt->root, pgt->levels - 1, iova, oa, len, prot,
		       max_leaf);
	if (rc) {
		/* Nothing was mapped here before: undo all of it, tables too. */
		uint64_t undone;

		uio_pgt_unmap(pgt, iova, len, &undone);
		pgt->mapped_bytes += undone; /* never counted as mapped */
		return rc;
	}
	pgt->mapped_bytes += len;
	return 0;
}

/* Replace the large leaf *e at level l by a table of 512 smaller leaves. */
static int split_leaf(struct uio_pgt *pgt, uint64_t *e, unsigned int l)
{
	uint64_t *next = table_alloc_nofail(pgt);
	uint64_t sub = 1ull << level_shift(pgt, l - 1);
	uint64_t flags = *e & (UIO_PTE_READ | UIO_PTE_WRITE | UIO_PTE_ACCESSED |
			       UIO_PTE_DIRTY);
	uint64_t base = leaf_addr(pgt, *e) & ~((1ull << level_shift(pgt, l)) - 1);

	if (!next)
		return -ENOMEM;
	for (int i = 0; i < UIO_PGT_ENTRIES; i++)
		next[i] = (base + i * sub) | flags | UIO_PTE_PRESENT |
			  (l - 1 ? UIO_PTE_LEAF : 0);
	*e = (uint64_t)(uintptr_t)next | UIO_PTE_PRESENT;
	return 0;
}

static int unmap_level(struct uio_pgt *pgt, uint64_t *t, unsigned int l,
		       uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	unsigned int shift = level_shift(pgt, l);
	uint64_t size = 1ull << shift;
	int rc = 0;

	save_run(t, iova, len, shift);
	while (len && !rc) {
		uint64_t *e = &t[(iova >> shift) & (UIO_PGT_ENTRIES - 1)];
		uint64_t chunk = chunk_of(iova, len, shift);

		if (*e & UIO_PTE_PRESENT) {
			if (is_leaf(*e, l) && chunk == size) {
				*e = 0;
				*unmapped += size;
			} else if (l == 1 && chunk == size) {
				/* A whole leaf table goes: count, free, no stores. */
				uint64_t *next = table_of(*e), cnt = 0;

				for (int i = 0; i < UIO_PGT_ENTRIES; i++)
					cnt += next[i] & UIO_PTE_PRESENT;
				*unmapped += cnt << level_shift(pgt, 0);
				table_free(pgt, next);
				*e = 0;
			} else {
				if (is_leaf(*e, l))
					rc = split_leaf(pgt, e, l);
				if (!rc) {
					uint64_t *next = table_of(*e);

					rc = unmap_level(pgt, next, l - 1, iova, chunk,
							 unmapped);
					if (table_empty(next)) {
						table_free(pgt, next);
						*e = 0;
					}
				}
			}
		}
		iova += chunk;
		len -= chunk;
	}
	return rc;
}

int uio_pgt_unmap(struct uio_pgt *pgt, uint64_t iova, uint64_t len,
		  uint64_t *unmapped)
{
	int rc;

	*unmapped = 0;
	if (((iova | len) & ((1ull << pgt->granule_shift) - 1)) ||
	    !in_range(pgt, iova, len))
		return -EINVAL;
	UIO_J(pgt);
	rc = unmap_level(pgt, pgt->root, pgt->levels - 1, iova, len, unmapped);
	pgt->mapped_bytes -= *unmapped;
	return rc;
}

/* The leaf entry for iova and its level, or NULL. */
static uint64_t *walk(const struct uio_pgt *pgt, uint64_t iova,
		      unsigned int *level)
{
	uint64_t *t = pgt->root;

	if (!in_range(pgt, iova, 1))
		return NULL;
	for (unsigned int l = pgt->levels - 1;; l--) {
		uint64_t *e = &t[(iova >> level_shift(pgt, l)) & (UIO_PGT_ENTRIES - 1)];

		if (!(*e & UIO_PTE_PRESENT))
			return NULL;
		if (is_leaf(*e, l)) {
			*level = l;
			return e;
		}
		t = table_of(*e);
	}
}

bool uio_pgt_lookup(const struct uio_pgt *pgt, uint64_t iova, uint64_t *oa,
		    uint64_t *flags)
{
	unsigned int l;
	uint64_t *e = walk(pgt, iova, &l);

	if (!e)
		return false;
	*oa = leaf_addr(pgt, *e) + (iova & ((1ull << level_shift(pgt, l)) - 1));
	*flags = *e & ((1ull << pgt->granule_shift) - 1);
	return true;
}

bool uio_pgt_touch(struct uio_pgt *pgt, uint64_t iova, bool write)
{
	unsigned int l;
	uint64_t *e = walk(pgt, iova, &l);

	if (!e)
		return false;
	UIO_J(e);
	*e |= UIO_PTE_ACCESSED | (write ? UIO_PTE_DIRTY : 0);
	return true;
}

bool uio_pgt_test_and_clear_dirty(struct uio_pgt *pgt, uint64_t iova,
				  bool clear, uint64_t *leaf_size)
{
	unsigned int l;
	uint64_t *e = walk(pgt, iova, &l);
	bool dirty;

	if (!e)
		return false;
	if (leaf_size)
		*leaf_size = 1ull << level_shift(pgt, l);
	dirty = *e & UIO_PTE_DIRTY;
	if (dirty && clear) {
		UIO_J(e);
		*e &= ~UIO_PTE_DIRTY;
	}
	return dirty;
}

static void dirty_level(struct uio_pgt *pgt, uint64_t *t, unsigned int l,
			uint64_t iova, uint64_t len, bool no_clear,
			void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	unsigned int shift = level_shift(pgt, l);

	while (len) {
		uint64_t *e = &t[(iova >> shift) & (UIO_PGT_ENTRIES - 1)];
		uint64_t chunk = chunk_of(iova, len, shift);

		if (*e & UIO_PTE_PRESENT) {
			if (!is_leaf(*e, l)) {
				dirty_level(pgt, table_of(*e), l - 1, iova, chunk,
					    no_clear, fn, arg);
			} else if (*e & UIO_PTE_DIRTY) {
				fn(arg, iova, chunk);
				if (!no_clear) {
					UIO_J(e);
					*e &= ~UIO_PTE_DIRTY;
				}
			}
		}
		iova += chunk;
		len -= chunk;
	}
}

void uio_pgt_read_dirty(struct uio_pgt *pgt, uint64_t iova, uint64_t len,
			bool no_clear,
			void (*fn)(void *arg, uint64_t iova, uint64_t len),
			void *arg)
{
	if (in_range(pgt, iova, len))
		dirty_level(pgt, pgt->root, pgt->levels - 1, iova, len, no_clear,
			    fn, arg);
}

static void extents_level(const struct uio_pgt *pgt, const uint64_t *t,
			  unsigned int l, uint64_t base,
			  void (*fn)(void *, uint64_t, uint64_t, uint64_t),
			  void *arg)
{
	unsigned int shift = level_shift(pgt, l);

	for (uint64_t i = 0; i < UIO_PGT_ENTRIES; i++) {
		uint64_t e = t[i], iova = base + (i << shift);

		if (!(e & UIO_PTE_PRESENT))
			continue;
		if (is_leaf(e, l))
			fn(arg, iova, 1ull << shift, e & ((1ull << pgt->granule_shift) - 1));
		else
			extents_level(pgt, table_of(e), l - 1, iova, fn, arg);
	}
}

/* Report every leaf, in IOVA order: fn(arg, iova, size, entry flags). */
void uio_pgt_for_each_leaf(const struct uio_pgt *pgt,
			   void (*fn)(void *arg, uint64_t iova, uint64_t size,
				      uint64_t flags),
			   void *arg)
{
	if (pgt->root)
		extents_level(pgt, pgt->root, pgt->levels - 1, 0, fn, arg);
}
