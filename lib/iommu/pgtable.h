/* SPDX-License-Identifier: MIT */
/*
 * pgtable: the software IO page tables that back emulated IOMMU domains.
 *
 * Concepts
 * --------
 * format    A radix tree of 512-entry tables of 64-bit entries, like x86 and
 *           ARM page tables, so that one walk answers a lookup, ranges are
 *           mapped and unmapped a table at a time, and large aligned ranges
 *           take one "large leaf" entry at a higher level instead of 512.
 *           With the mock driver's 2 KiB granule, a level-1 leaf maps 1 MiB
 *           (MOCK_HUGE_PAGE_SIZE) and a level-2 leaf 512 MiB.
 * entry     bit 0 PRESENT, 1 READ, 2 WRITE, 3 LEAF (a mapping at level > 0),
 *           5 ACCESSED, 6 DIRTY (set by emulated DMA, as hardware A/D bits);
 *           the bits from the granule shift up are the output address (for
 *           uiommufd, an offset in the context's page store) or, for a
 *           non-leaf entry, the next table.
 * why       A radix format makes the cost of a walk independent of how much
 *           is mapped, keeps A/D tracking per entry, and mirrors what the
 *           real hardware formats do, so batching and large pages behave
 *           as a driver expects.
 *
 * Not thread-safe: the owning context's lock protects it.
 */
#ifndef UIO_PGTABLE_H
#define UIO_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

#define UIO_PTE_PRESENT (1ull << 0)
#define UIO_PTE_READ (1ull << 1)
#define UIO_PTE_WRITE (1ull << 2)
#define UIO_PTE_LEAF (1ull << 3)
#define UIO_PTE_ACCESSED (1ull << 5)
#define UIO_PTE_DIRTY (1ull << 6)

/* uio_pgt_map() prot flag, not stored: smallest pages only. */
#define UIO_PGT_MAP_SMALL (1ull << 62)

#define UIO_PGT_ENTRIES 512
#define UIO_PGT_LEVEL_BITS 9

struct uio_pgt {
	uint64_t *root;
	struct uio_arena *arena;
	unsigned int granule_shift; /* log2 of the smallest page */
	unsigned int levels;        /* table levels below and including root */
	unsigned int max_leaf_level; /* highest level that may hold a leaf */
	uint64_t ntables;
	uint64_t mapped_bytes;
};

/*
 * Set up an empty table covering [0, 2^(granule_shift + 9 * levels)).
 * max_leaf_level 0 forbids large leaves. 0 or -ENOMEM.
 */
int uio_pgt_init(struct uio_pgt *pgt, struct uio_arena *arena,
		 unsigned int granule_shift, unsigned int levels,
		 unsigned int max_leaf_level);
void uio_pgt_destroy(struct uio_pgt *pgt);

/*
 * Map [iova, iova + len) to [oa, oa + len) with prot (READ|WRITE bits).
 * All three granule aligned, len > 0. Nothing may be mapped there already
 * (-EEXIST). -ENOMEM, -EINVAL (unaligned, out of range). On error nothing
 * of this call stays mapped.
 */
int uio_pgt_map(struct uio_pgt *pgt, uint64_t iova, uint64_t oa, uint64_t len,
		uint64_t prot);

/*
 * Unmap whatever is mapped in [iova, iova + len), splitting large leaves
 * that are only partly covered. Stores the bytes that were mapped. 0 or
 * -ENOMEM (a split failed; what was unmapped before stays unmapped).
 */
int uio_pgt_unmap(struct uio_pgt *pgt, uint64_t iova, uint64_t len,
		  uint64_t *unmapped);

/* The entry flags and output address for iova; false if not mapped. */
bool uio_pgt_lookup(const struct uio_pgt *pgt, uint64_t iova, uint64_t *oa,
		    uint64_t *flags);

/* Mark the leaf behind iova accessed, and dirty if write. false if none. */
bool uio_pgt_touch(struct uio_pgt *pgt, uint64_t iova, bool write);

/*
 * Whether the leaf behind iova is dirty, clearing it if clear; false if
 * nothing is mapped. *leaf_size (if not NULL) gets the leaf's size.
 */
bool uio_pgt_test_and_clear_dirty(struct uio_pgt *pgt, uint64_t iova,
				  bool clear, uint64_t *leaf_size);

/*
 * Report each dirty leaf intersecting [iova, iova + len) to fn as the range
 * it maps (clipped), clearing DIRTY unless no_clear.
 */
void uio_pgt_read_dirty(struct uio_pgt *pgt, uint64_t iova, uint64_t len,
			bool no_clear,
			void (*fn)(void *arg, uint64_t iova, uint64_t len),
			void *arg);

/* Every leaf in IOVA order: fn(arg, iova, size, entry flag bits). */
void uio_pgt_for_each_leaf(const struct uio_pgt *pgt,
			   void (*fn)(void *arg, uint64_t iova, uint64_t size,
				      uint64_t flags),
			   void *arg);

#endif
