/* SPDX-License-Identifier: MIT */
/*
 * The core's private declarations: context, object table, IOAS, io page
 * table, pages. The kernel's drivers/iommu/iommufd/ is the model: one file
 * per concept, and the same names with a uio_ prefix.
 *
 * Concepts
 * --------
 * ctx       One open of /dev/iommu. Lives at the start of a memfd that every
 *           process using it maps at the same address (ctx.c), so all state
 *           is plain structs and pointers carved from the ctx's arena.
 * object    Table entry with an id and two refcounts (object.c): `users`
 *           counts long-term holders (1 is the table itself; DESTROY needs
 *           it to be exactly 1, else EBUSY); `shortterm` counts ioctls using
 *           the object right now.
 * ioas      An IO address space object holding an io_pagetable.
 * iopt      io_pagetable: IOVA -> pages. Areas and reserved ranges share the
 *           `used` interval tree so first-fit IOVA allocation is one O(log n)
 *           hole search; reserved ranges also sit alone in `reserved`, and
 *           the user's allowed ranges in `allowed`.
 * area      A mapped IOVA range referring to a byte range of one pages.
 * pages     A run of user memory (source process, uptr, npages); shared by
 *           every area that maps it (IOAS_COPY). Pinning and accounting are
 *           done here, when a consumer needs the pages.
 *
 * Locking
 * -------
 * One robust, process-shared mutex per context (ctx->lock) serialises every
 * ioctl on it, from any thread of any process; every dispatcher entry takes
 * it and holds it to the end of the command. Taking it first extends this
 * process's mapping to what the arena uses (it grows in chunks, possibly in
 * another process: ctx.c), so shared state past the header is read only
 * under it. A process that dies holding it
 * leaves EOWNERDEAD, which the next locker repairs (ctx.c). The other locks
 * are process-local, and are taken in this order only:
 *
 *   the VFIO registry's lock (lib/vfio/registry.c)
 *   -> a PCI device's lock (lib/hw/pci/pci.c)
 *   -> uio_registry_lock (fdtable.c: contexts mapped here)
 *   -> ctx->lock
 *   -> a filecache table's lock (filecache.h: this process's access and
 *      fault files; a leaf)
 *
 * So a file table's lock is never held while the registry is asked to hold
 * a context (uio_registry_has); the context a call reached stays mapped
 * until the call leaves the core (fdtable.h).
 */
#ifndef UIO_CORE_H
#define UIO_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uiommufd/uapi.h>

#include "anon_inode.h"
#include "arena.h"
#include "iommufd.h"
#include "kernel.h"
#include "itree.h"
#include "journal.h"
#include "pgtable.h"

#define UIO_PAGE_SIZE 4096ul
#define UIO_PAGE_SHIFT 12
/* The largest automatic-IOVA alignment: HPAGE_SIZE on x86_64 kernels with THP. */
#define UIO_MAX_IOVA_ALIGNMENT (2ul << 20)


/* ------------------------------------------------------------------ */
/* objects */

enum uio_obj_type {
	UIO_OBJ_NONE,
	UIO_OBJ_ANY = UIO_OBJ_NONE,
	UIO_OBJ_IOAS,
	UIO_OBJ_HWPT_PAGING,
	UIO_OBJ_HWPT_NESTED,
	UIO_OBJ_DEVICE,
	UIO_OBJ_SELFTEST,
	UIO_OBJ_ACCESS,
	UIO_OBJ_FAULT,
	UIO_OBJ_NR,
};

struct uio_obj {
	uint32_t id;
	uint32_t type;
	/* false between reservation and finalize: invisible to lookups */
	bool live;
	atomic_int users;
	atomic_int shortterm;
};

/*
 * Id table: slots[id] for lookup, and a binary min-heap of freed ids below
 * next_id, so "lowest free id from 1" costs O(log n).
 */
struct uio_objtable {
	struct uio_obj **slots;
	uint32_t nslots;
	uint32_t next_id;  /* lowest id never handed out */
	uint32_t *free_heap;
	uint32_t free_cap;
	uint32_t nfree;
	uint32_t count;    /* ids in use (reserved or live) */
};

struct uio_ctx;
struct uio_ucmd;

/* ------------------------------------------------------------------ */
/* pages */

enum uio_account_mode {
	UIO_ACCOUNT_NONE,
	UIO_ACCOUNT_USER,
	UIO_ACCOUNT_MM,
	/* not pinned yet: decided at the first pin (pages.c) */
	UIO_ACCOUNT_UNDECIDED,
	UIO_ACCOUNT_MM_UNDECIDED,
};


/*
 * A source process: whose memory a pages object refers to (mm.c). Shared by
 * every pages object the process created in this context.
 */
struct uio_mm {
	struct uio_mm *next;      /* ctx->mms */
	int32_t pid;
	uint32_t refs;            /* pages objects */
	uint64_t start_time;      /* guards against pid reuse */
	struct uio_exec_id exec_id; /* and against exec */
	bool gone;                /* exited or exec'd: its memory is unreachable */
	uint64_t locked_vm;       /* pages charged in MM mode */
	uint64_t pinned_vm;       /* pages pinned, any mode (VmPin) */
	struct uio_itree live;    /* LIVE pin segments, by user address */
};

/* Pin counters of one user in this context (USER accounting mode). */
struct uio_user {
	struct uio_user *next;    /* ctx->users */
	uint32_t uid;
	uint64_t locked_vm;
};

struct uio_pages {
	uint32_t refs;
	bool writable;
	uint8_t account_mode;
	uint8_t backing;          /* 0 unknown, 1 small pages, 2 huge pages */
	struct uio_mm *mm;
	uint32_t source_uid;
	uint64_t rlimit_memlock;  /* source's RLIMIT_MEMLOCK at creation, bytes */
	uintptr_t uptr;     /* page aligned */
	uint64_t npages;
	uint64_t npinned;   /* distinct page indexes pinned */
	/* emulated physical address of page 0; in ctx->phys while pinned */
	struct uio_itree_node phys_node;
	/* what pins pages: area domain fills and access pins, by page index */
	struct uio_itree pin_users;
	/* where pinned pages are (struct uio_pseg), by page index */
	struct uio_itree segs;
};

/*
 * A pinned run of a pages object. LIVE: in the source process at va
 * (tracked by va_node in mm->live, so munmap/mremap can find it). SAVED:
 * the process let go of the memory (munmap, MAP_FIXED over it, exit), and
 * the data was copied to `saved` in the arena, as the kernel's page
 * reference would keep the page.
 */
struct uio_pseg {
	struct uio_itree_node node;    /* in pages->segs: page indexes */
	struct uio_itree_node va_node; /* in mm->live while LIVE: bytes */
	struct uio_pages *pages;
	/*
	 * LIVE: the process whose memory holds the pages, referenced (NULL
	 * once SAVED). The source process at first; shared pages move to
	 * another process that maps them when it lets go (mm.c).
	 */
	struct uio_mm *mm;
	uintptr_t va;                  /* LIVE: address of page node.start */
	/* SAVED: a copy of pages [saved_first, saved_first + saved_npages) */
	char *saved;
	uint64_t saved_first;
	uint64_t saved_npages;
};

/*
 * A mapping uiommufd made in a process (mm) to keep pinned pages of a
 * shared mapping the process unmapped (mm.c): the same pages, at va.
 */
struct uio_keeper {
	struct uio_keeper *next;       /* ctx->keepers */
	struct uio_mm *mm;             /* referenced */
	uintptr_t va;
	uint64_t len;
};

/* One pin user of a pages object: a range of page indexes. */
struct uio_pin {
	struct uio_itree_node node;    /* in pages->pin_users */
};

/* ------------------------------------------------------------------ */
/* io page table */

enum uio_itree_kind {
	UIO_KIND_AREA = 1u << 0,
	UIO_KIND_RESERVED = 1u << 1,
};

struct uio_area {
	struct uio_itree_node node;    /* in iopt->used, kind AREA */
	struct uio_pin pin;            /* pages pinned for the domains */
	bool pinned;
	uint32_t num_accesses;         /* access pins on this area */
	struct uio_pages *pages;
	uint64_t start_byte;           /* offset of the first byte in pages */
	int prot;
};

struct uio_reserved {
	struct uio_itree_node used_node; /* in iopt->used, kind RESERVED */
	struct uio_itree_node node;      /* in iopt->reserved */
	const void *owner;
};

struct uio_allowed {
	struct uio_itree_node node;
};

struct uio_hwpt;

struct uio_iopt {
	struct uio_hwpt *domains;      /* paging hwpts attached, hwpt->iopt_next */
	uint32_t ndomains;
	struct uio_itree used;
	struct uio_itree_hc used_hc;   /* used's hole cache (first fit) */
	struct uio_area *last_area;    /* the area inserted last, or NULL */
	struct uio_itree reserved;
	struct uio_itree allowed;
	uint64_t iova_alignment;
	bool disable_large_pages;
	uint32_t npin_accesses;        /* attached accesses that pin pages */
};

#define UIO_PROT_READ 1
#define UIO_PROT_WRITE 2

/* ------------------------------------------------------------------ */
/* ioas */

struct uio_ioas {
	struct uio_obj obj;
	struct uio_iopt iopt;
	struct uio_hwpt *hwpts;        /* paging hwpts on this IOAS */
	struct uio_access *accesses;   /* attached accesses */
};

/* ------------------------------------------------------------------ */
/* fault: IO page fault queues (fault.c) */

struct uio_fault_group {
	struct uio_fault_group *next;
	struct uio_idev *idev;
	uint32_t cookie;               /* once read */
	struct iommu_hwpt_pgfault rec;
};

/*
 * Which cookies are free (fault.c): the kernel's response xarray, allocating
 * from 1 with index 0 reserved, as far as it decides cookies: its root
 * (head) and one leaf of 64 slots. Cookies past 63 are the lowest free.
 */
struct uio_cookies {
	bool node;                     /* the leaf exists */
	bool head_free;                /* the head's free mark */
	bool head_group;               /* no leaf: a group at 0, in the head */
	bool slot0_group;              /* leaf slot 0 holds a group (not the
					* reserved entry) */
	uint64_t used;                 /* leaf slots holding an entry */
	uint64_t free;                 /* leaf slots marked free */
};

struct uio_fault {
	struct uio_obj obj;
	struct uio_fault *next;        /* ctx->faults */
	struct uio_fault_group *deliver, *deliver_tail; /* not yet read */
	struct uio_fault_group *responses;              /* read, unanswered */
	bool signalled;                /* the file polls readable */
	bool file_held;                /* the file's reference on obj.users */
	struct uio_anon_file file;     /* the queue's file (anon_inode.h) */
	struct uio_cookies cookies;
};

/* ------------------------------------------------------------------ */
/* access: an emulated device's view of an IOAS (access.c) */

struct uio_access {
	struct uio_obj obj;
	struct uio_access *next;       /* ctx->accesses */
	struct uio_ioas *ioas;
	struct uio_access *ioas_next;  /* ioas->accesses */
	bool needs_pin;
	bool has_file;                 /* a selftest access: its fd's file */
	struct uio_anon_file file;     /* (anon_inode.h) */
	struct uio_access_item *items; /* ACCESS_PAGES pins */
	uint32_t next_item_id;
	bool record_unmaps;            /* C API: queue unmap events */
	struct uio_unmap_event *events, *events_tail;
};

struct uio_unmap_event {
	struct uio_unmap_event *next;
	uint64_t iova, length;
};

/* One area's part of an access pin. */
struct uio_access_pin {
	struct uio_pin pin;
	struct uio_area *area;
	struct uio_access_pin *next;
};

/* A range an access pinned (the selftest driver's ACCESS_PAGES item). */
struct uio_access_item {
	struct uio_access_item *next;
	uint32_t id;
	uint64_t iova, length;
	struct uio_access_pin *pins;
};

/* ------------------------------------------------------------------ */
/*
 * hw_pagetable (hw_pagetable.c): a paging domain on an IOAS (HWPT_PAGING),
 * or a mock nested domain on a paging parent (HWPT_NESTED: parent and
 * iotlb; translation is the parent's).
 */
#define UIO_MOCK_IOTLB_NUM 4

struct uio_fault;

struct uio_hwpt {
	struct uio_obj obj;
	struct uio_hwpt *parent;       /* HWPT_NESTED */
	uint32_t iotlb[UIO_MOCK_IOTLB_NUM];
	struct uio_ioas *ioas;
	struct uio_hwpt *ioas_next;    /* ioas->hwpts */
	struct uio_hwpt *iopt_next;    /* iopt->domains */
	bool auto_domain;
	bool huge;                     /* MOCK_HUGE_PAGE_SIZE allowed */
	bool dirty_ops;                /* allocated with DIRTY_TRACKING */
	bool dirty_tracking;           /* SET_DIRTY_TRACKING enabled it */
	bool nest_parent;
	uint8_t driver;                /* enum uio_iommu_driver */
	uint32_t ndevices;
	uint64_t pgsize_bitmap;        /* IO page sizes of the domain */
	uint64_t aperture_start;
	uint64_t aperture_last;
	struct uio_fault *fault;       /* IOPF queue, or NULL */
	struct uio_pgt pgt;
};

/* ------------------------------------------------------------------ */
/* device: a bound device (device.c); the mock driver's (selftest.c) */

struct uio_idev {
	struct uio_obj obj;
	struct uio_hwpt *hwpt;         /* attached, or NULL */
	uint8_t driver;                /* enum uio_iommu_driver */
	uint32_t mock_flags;           /* MOCK_FLAGS_DEVICE_* */
	uint32_t next_grpid;           /* page request groups of its DMA */
};

struct uio_stdev {
	struct uio_obj obj;
	struct uio_idev *idev;
};

/* ------------------------------------------------------------------ */
/* context */

struct uio_ctx {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint64_t map_size;
	uintptr_t base;
	uint64_t id;                   /* random, names the context (iommufd.h) */
	pthread_mutex_t lock;
	bool released;
	bool recover_pending;          /* a dead owner's repair is still owed */
	bool held_by_files;            /* only files and kAPI holds hold it */
	uint8_t account_mode;
	struct uio_arena arena;
	struct uio_objtable objs;
	uint64_t nareas;
	uint64_t npages_objs;
	uint64_t npinned;
	struct uio_mm *mms;
	struct uio_user *users;
	struct uio_access *accesses;
	struct uio_fault *faults;      /* every fault queue (fault.c) */
	struct uio_ioas *vfio_ioas;    /* the VFIO compat's IOAS, or NULL */
	bool vfio_container;           /* opened as /dev/vfio/vfio */
	struct uio_itree phys;         /* pinned pages objects by phys range */
	uint64_t next_phys;
	uint64_t temp_memory_limit;    /* IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT */
	/* kAPI references (iommufd_ctx_get): VFIO's bound devices and the
	 * groups set to it hold it, as the kernel's hold the file */
	uint32_t kholds;
	struct uio_keeper *keepers;    /* mappings that keep shared pins */
	/*
	 * The undo journal of the command under way (journal.h; DESIGN.md,
	 * "Crash safety"); its records sit at the end of the mapping. Never
	 * journaled itself. uio_ctx_j() saves the fields above it, from
	 * nareas, as one block.
	 */
	struct uio_journal journal;
	/*
	 * After the journal, out of uio_ctx_j()'s block: never journaled,
	 * never restored by an undo. Set once at creation: */
	uint64_t file_dev, file_ino;   /* the context's memfd */
	/* Processes that have it mapped (atomic, changed outside the lock, so
	 * an undo must not bring an old count back; a killed one stays counted,
	 * which only costs the exit shortcut, hooks.c) */
	uint32_t nmappers;
};

/*
 * The context's fields that commands change (counters, lists, the compat
 * IOAS, the next physical address, kAPI holds), journaled as one block:
 * one record per command whichever of them it changes. It ends at the
 * journal's header, so file_dev, file_ino and nmappers (after it) are
 * never saved nor restored.
 */
static inline void uio_ctx_j(struct uio_ctx *ctx)
{
	uio_j_save(&ctx->nareas, offsetof(struct uio_ctx, journal) -
				 offsetof(struct uio_ctx, nareas));
}

#define UIO_CTX_MAGIC 0x646675656d6d6f69ull /* "iommuefd" */
#define UIO_CTX_VERSION 4u

/* ctx.c */
struct uio_ctx *uio_ctx_create(int flags, int *fd_out, int *err);
struct uio_ctx *uio_ctx_map_fd(int fd, int *err);
/*
 * Lock ctx, after mapping here what its arena uses (another process may
 * have grown it). 0, or -ENOMEM without the lock if this process cannot
 * map it.
 */
int uio_ctx_lock(struct uio_ctx *ctx) __attribute__((warn_unused_result));
void uio_ctx_unlock(struct uio_ctx *ctx);
void uio_ctx_release(struct uio_ctx *ctx);
void uio_ctx_unmap(struct uio_ctx *ctx);
/* Only the munmap of uio_ctx_unmap, which takes no lock (after fork). */
void uio_ctx_munmap(struct uio_ctx *ctx);
/* jverify.c: UIOMMUFD_JOURNAL_VERIFY=1 checks each command's journal. */
void uio_jverify_begin(struct uio_ctx *ctx);
void uio_jverify_end(struct uio_ctx *ctx);
/* What the command under way is, for the verifier's report. */
void uio_jverify_note(unsigned long cmd);
void *uio_zalloc(struct uio_ctx *ctx, size_t n);
void uio_free(struct uio_ctx *ctx, void *p, size_t n);
#define uio_new(ctx, type) ((type *)uio_zalloc(ctx, sizeof(type)))
#define uio_delete(ctx, p) uio_free(ctx, p, sizeof(*(p)))

/* object.c */
void uio_objtable_init(struct uio_objtable *t);
void uio_objtable_destroy(struct uio_ctx *ctx);
struct uio_obj *uio_obj_alloc(struct uio_ctx *ctx, size_t size,
			      enum uio_obj_type type, int *err);
void uio_obj_finalize(struct uio_ctx *ctx, struct uio_obj *obj);
void uio_obj_abort(struct uio_ctx *ctx, struct uio_obj *obj, size_t size);
void uio_obj_abort_and_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
struct uio_obj *uio_obj_get(struct uio_ctx *ctx, uint32_t id,
			    enum uio_obj_type type);
void uio_obj_put(struct uio_ctx *ctx, struct uio_obj *obj);
int uio_obj_remove(struct uio_ctx *ctx, uint32_t id);
bool uio_objtable_empty(const struct uio_ctx *ctx);
void uio_objtable_drop_shortterm(struct uio_ctx *ctx);
void uio_objtable_release_all(struct uio_ctx *ctx);

/* pages.c */
struct uio_pages *uio_pages_alloc(struct uio_ctx *ctx, uintptr_t uptr,
				  uint64_t length, bool writable, int *err);
void uio_pages_get(struct uio_pages *pages);
void uio_pages_put(struct uio_ctx *ctx, struct uio_pages *pages);
/*
 * Pin page indexes [first, last] for a new pin user (its node is set and
 * inserted here). Pages not yet pinned are checked in the source process
 * (EFAULT) and charged (ENOMEM); on error nothing changed.
 */
int uio_pages_pin(struct uio_ctx *ctx, struct uio_pages *pages,
		  struct uio_pin *pin, uint64_t first, uint64_t last);
void uio_pages_unpin(struct uio_ctx *ctx, struct uio_pages *pages,
		     struct uio_pin *pin);
/* Read or write bytes at offset of pages. 0 or -EFAULT. */
int uio_pages_rw(struct uio_ctx *ctx, struct uio_pages *pages,
		 uint64_t offset, void *buf, size_t len, bool write);
/* A pointer to bytes of pages usable here, *len cut to fit; or NULL. */
void *uio_pages_direct(struct uio_pages *pages, uint64_t offset, size_t *len);
/* The pages object owning emulated physical address pa, and pa's offset. */
struct uio_pages *uio_phys_to_pages(struct uio_ctx *ctx, uint64_t pa,
				    uint64_t *offset);
/* Whether the source memory is on huge pages (physically contiguous). */
bool uio_pages_huge_backed(struct uio_pages *pages);
/* Where pinned page idx of pages is now: the seg, or NULL if not pinned. */
struct uio_pseg *uio_pages_seg(struct uio_pages *pages, uint64_t idx);
/* Split LIVE seg so that its user bytes [va, last_va] are one segment. */
struct uio_pseg *uio_pseg_isolate(struct uio_ctx *ctx, struct uio_pseg *seg,
				  uintptr_t va, uintptr_t last_va);

/* vma.c: the shared mappings of a process (/proc/PID/maps) */
struct uio_vma {
	uintptr_t start, end;
	uint64_t pgoff;                /* bytes into the object */
	uint64_t dev, ino;             /* the object: major << 32 | minor */
	uint8_t prot;                  /* UIO_PROT_* */
};

struct uio_vmas {
	int pid;                       /* 0: this process */
	unsigned int n, cap;
	struct uio_vma *v;
};

/* A page of a shared object, as every process mapping it sees it. */
struct uio_shared_page {
	uint64_t dev, ino, off;
};

/* pid 0: the caller. 0 or -errno (nothing to free then). */
int uio_vmas_read(int pid, struct uio_vmas *v);
void uio_vmas_free(struct uio_vmas *v);
const struct uio_vma *uio_vma_at(const struct uio_vmas *v, uintptr_t va);
/* The shared page at va, if va is in a shared mapping. */
bool uio_vma_page(const struct uio_vmas *v, uintptr_t va,
		  struct uio_shared_page *sp);
/* A mapping holding len bytes of the object from sp (a writable one if
 * any), and the address of sp in it. */
const struct uio_vma *uio_vma_of_page(const struct uio_vmas *v,
				      const struct uio_shared_page *sp,
				      uint64_t len, uintptr_t *va);
/* fn(pid) for each process but the caller, until it returns true. */
void uio_for_each_pid(bool (*fn)(int pid, void *arg), void *arg);

/* mm.c */
struct uio_mm *uio_mm_current(struct uio_ctx *ctx, int *err);
void uio_mm_get(struct uio_mm *mm);
void uio_mm_put(struct uio_ctx *ctx, struct uio_mm *mm);
bool uio_mm_is_current(const struct uio_mm *mm);
/* Pins of mm in pinned pages covering user byte address va. */
uint64_t uio_mm_pin_count(struct uio_mm *mm, uintptr_t va);
/* The calling process lets go of [va, va + len): save pins there. */
void uio_mm_release_range(struct uio_ctx *ctx, uintptr_t va, size_t len);
/* The calling process moved [old, old + len) to new. */
void uio_mm_move_range(struct uio_ctx *ctx, uintptr_t old, size_t len,
		       uintptr_t new_va);
/* Save every LIVE pin of mm (it exits or execs) and mark it gone. */
void uio_mm_release_all(struct uio_ctx *ctx, struct uio_mm *mm);
int uio_mm_access(struct uio_mm *mm, uintptr_t va, void *buf, size_t len,
		  bool write);
/* The shared mappings of processes, read once per command. */
struct uio_vma_cache {
	unsigned int n;
	struct uio_vmas v[4];
};
void uio_vma_cache_free(struct uio_vma_cache *c);
/* Whether LIVE seg's page idx is the page the caller has at uptr. */
bool uio_pseg_page_is(struct uio_pseg *seg, uint64_t idx, uintptr_t uptr,
		      struct uio_vma_cache *c);
/* Pins of ctx in the page the caller has at uptr, whoever pinned it. */
uint64_t uio_mm_pins_at(struct uio_ctx *ctx, uintptr_t uptr,
			struct uio_vma_cache *c);
/* Unmap the caller's keepers that no LIVE pin needs any more. */
void uio_keepers_gc(struct uio_ctx *ctx);

/* io_pagetable.c */
#define UIO_IOPT_ALLOC_IOVA 1u

struct uio_pages_elm {
	struct uio_pages *pages;
	struct uio_area *area;
	uint64_t start_byte;
	uint64_t length;
};

struct uio_pages_list {
	struct uio_pages_elm *elm;
	size_t n, cap;
};

void uio_iopt_init(struct uio_iopt *iopt);
void uio_iopt_destroy(struct uio_ctx *ctx, struct uio_iopt *iopt);
int uio_iopt_map_user_pages(struct uio_ctx *ctx, struct uio_iopt *iopt,
			    uint64_t *iova, uintptr_t uptr, uint64_t length,
			    int prot, unsigned int flags);
int uio_iopt_map_pages(struct uio_ctx *ctx, struct uio_iopt *iopt,
		       struct uio_pages_list *list, uint64_t length,
		       uint64_t *iova, int prot, unsigned int flags);
int uio_iopt_get_pages(struct uio_iopt *iopt, uint64_t iova, uint64_t length,
		       struct uio_pages_list *list);
void uio_pages_list_free(struct uio_ctx *ctx, struct uio_pages_list *list);
int uio_iopt_unmap_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
			uint64_t iova, uint64_t length, uint64_t *unmapped);
int uio_iopt_unmap_all(struct uio_ctx *ctx, struct uio_iopt *iopt,
		       uint64_t *unmapped);
int uio_iopt_set_allow_iova(struct uio_iopt *iopt, struct uio_itree *allowed);
int uio_iopt_reserve_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
			  uint64_t start, uint64_t last, const void *owner);
void uio_iopt_remove_reserved_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
				   const void *owner);
int uio_iopt_disable_large_pages(struct uio_iopt *iopt);
void uio_iopt_enable_large_pages(struct uio_iopt *iopt);
void uio_allowed_tree_free(struct uio_ctx *ctx, struct uio_itree *t);
int uio_iopt_check(struct uio_iopt *iopt);
int uio_iopt_add_pin_access(struct uio_iopt *iopt);
/* Split the areas holding each iova so that it ends one (type1 unmaps). */
int uio_iopt_cut_iova(struct uio_ctx *ctx, struct uio_iopt *iopt,
		      const uint64_t *iovas, size_t n);
void uio_iopt_remove_pin_access(struct uio_iopt *iopt);

/* dump.c: JSON of the context to out_fd (under ctx->lock). 0 or -errno. */
int uio_dump_locked(struct uio_ctx *ctx, int out_fd, const char *when);
/* UIOMMUFD_DUMP: append a dump if it is set (under ctx->lock). */
void uio_dump_event(struct uio_ctx *ctx, const char *when);
/* UIOMMUFD_DUMP_AFTER=N: dump after the Nth command (under ctx->lock). */
void uio_dump_after_call(struct uio_ctx *ctx);

/* check.c: 0, or -1 with the broken invariants on stderr */
int uio_ctx_check(struct uio_ctx *ctx);
/* Recompute the summary counters from the structures (lock recovery). */
void uio_ctx_recount(struct uio_ctx *ctx);

/* domains of an io_pagetable (io_pagetable.c) */
int uio_iopt_table_add_domain(struct uio_ctx *ctx, struct uio_iopt *iopt,
			      struct uio_hwpt *hwpt);
void uio_iopt_table_remove_domain(struct uio_ctx *ctx, struct uio_iopt *iopt,
				  struct uio_hwpt *hwpt);

/* device.c: DMA by a device through its IO page table */
int uio_device_dma(struct uio_ctx *ctx, struct uio_idev *idev, uint64_t iova,
		   void *buf, size_t len, bool write);
/* A device's copy from src to dst IOVA; *bad: the IOVA that failed. */
int uio_device_dma_copy(struct uio_ctx *ctx, struct uio_idev *idev,
			uint64_t dst, uint64_t src, size_t len, uint64_t *bad);

/* hooks.c: the program image ends (exit, or exec when exec) */
void uio_image_ending(bool exec);

/* fault.c */
int uio_fault_alloc_ioctl(struct uio_ucmd *ucmd);
void uio_fault_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
/* After a crash was undone: readiness from the queue, not the cache. */
void uio_fault_resync(struct uio_ctx *ctx, struct uio_fault *fault);
int uio_hwpt_set_fault(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
		       uint32_t fault_id);
void uio_fault_device_leaves(struct uio_ctx *ctx, struct uio_hwpt *hwpt,
			     struct uio_idev *idev);
int uio_fault_report(struct uio_ctx *ctx, struct uio_idev *idev,
		     uint32_t pasid, uint32_t grpid, uint32_t perm,
		     uint64_t addr);
/* process-local, for the preload layer */
bool uio_fault_fd_is(int fd);
long uio_fault_fd_rw(int fd, void *buf, size_t count, bool write);
/* close(fd) if a fault queue file: 1 with *rc close's result, else 0 */
int uio_fault_fd_close(int fd, int *rc);
void uio_fault_fds_forget_ctx(struct uio_ctx *ctx);
void uio_fault_fds_image_ending(bool cloexec_only);
/* Under ctx->lock: a queue file of ctx is open anywhere (dead ones go). */
bool uio_fault_files_alive(struct uio_ctx *ctx);
/* Under ctx->lock: fault's file goes if no one holds it. */
void uio_fault_sweep(struct uio_ctx *ctx, struct uio_fault *fault);

/* hw_pagetable.c */
struct uio_hwpt *uio_hwpt_paging_alloc(struct uio_ctx *ctx,
				       struct uio_ioas *ioas,
				       struct uio_idev *idev, uint32_t flags,
				       bool immediate_attach, bool user_data,
				       int *err);
void uio_hwpt_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
int uio_hwpt_alloc_ioctl(struct uio_ucmd *ucmd);
int uio_hwpt_invalidate(struct uio_ucmd *ucmd);

/* dirty.c */
int uio_hwpt_set_dirty_tracking(struct uio_ucmd *ucmd);
int uio_hwpt_get_dirty_bitmap(struct uio_ucmd *ucmd);
int uio_test_dirty(struct uio_ucmd *ucmd, uint32_t id, uint64_t iova,
		   uint64_t length, uint64_t page_size, uint64_t uptr,
		   uint32_t flags);
/* A HWPT_PAGING or HWPT_NESTED by id, with a short-term reference. */
struct uio_hwpt *uio_hwpt_get(struct uio_ctx *ctx, uint32_t id,
			      enum uio_obj_type type);
int uio_hwpt_map_area(struct uio_hwpt *hwpt, struct uio_area *area,
		      struct uio_pages *pages);
void uio_hwpt_unmap_area(struct uio_hwpt *hwpt, struct uio_area *area);

/* device.c */
struct uio_idev *uio_device_bind(struct uio_ctx *ctx,
				 enum uio_iommu_driver driver,
				 uint32_t mock_flags, int *err);
void uio_device_unbind(struct uio_ctx *ctx, struct uio_idev *idev);
int uio_device_change_pt(struct uio_ctx *ctx, struct uio_idev *idev,
			 uint32_t *pt_id, bool replace);
int uio_device_attach(struct uio_ctx *ctx, struct uio_idev *idev,
		      uint32_t *pt_id);
int uio_device_replace(struct uio_ctx *ctx, struct uio_idev *idev,
		       uint32_t *pt_id);
void uio_device_detach(struct uio_ctx *ctx, struct uio_idev *idev);
int uio_device_attach_hwpt(struct uio_ctx *ctx, struct uio_idev *idev,
			   struct uio_hwpt *hwpt);
void uio_device_detach_hwpt(struct uio_ctx *ctx, struct uio_idev *idev);
void uio_device_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
void uio_selftest_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
struct uio_stdev *uio_mock_device_create(struct uio_ctx *ctx, uint32_t pt_id,
					 uint32_t dev_flags, uint32_t *hwpt_id,
					 int *err);
void uio_mock_device_abort(struct uio_ctx *ctx, struct uio_stdev *sobj);
int uio_get_hw_info(struct uio_ucmd *ucmd);

/* access.c */
struct uio_access *uio_access_create(struct uio_ctx *ctx, bool needs_pin,
				     int *err);
int uio_access_attach(struct uio_ctx *ctx, struct uio_access *access,
		      uint32_t ioas_id);
void uio_access_destroy(struct uio_ctx *ctx, struct uio_access *access);
void uio_access_obj_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
void uio_access_notify_unmap(struct uio_ctx *ctx, struct uio_access *access,
			     uint64_t iova, uint64_t last);
/* ACCESS_RW straight between uptr and the IOAS; 1 if it cannot be. */
int uio_access_rw_user(struct uio_ctx *ctx, struct uio_access *access,
		       uint64_t iova, uintptr_t uptr, size_t len,
		       unsigned int flags);
int uio_access_rw(struct uio_ctx *ctx, struct uio_access *access,
		  uint64_t iova, void *data, size_t len, unsigned int flags);
struct uio_access *uio_access_from_fd(struct uio_ctx *ctx, int fd);
/* The context of a selftest access file this process knows (not held). */
struct uio_ctx *uio_access_fd_ctx(int fd);
struct uio_access *uio_access_from_ino(struct uio_ctx *ctx, uint64_t dev,
				       uint64_t ino);
int uio_access_file_create(struct uio_ctx *ctx, struct uio_access *access);
/* ACCESS_PAGES: pin [iova, iova + length); the new item's id in *id. */
int uio_access_pin_item(struct uio_ctx *ctx, struct uio_access *access,
			uint64_t iova, uint64_t length, bool write,
			uintptr_t uptr, uint32_t *id);
int uio_access_unpin_item(struct uio_ctx *ctx, struct uio_access *access,
			  uint32_t id);
/* IOAS_UNMAP is about to remove [iova, last]: accesses give up pins there. */
void uio_iopt_notify_unmap(struct uio_ctx *ctx, struct uio_iopt *iopt,
			   uint64_t iova, uint64_t last);
/* process-local: fd is a selftest access file of ctx */
void uio_access_fd_note(int fd, struct uio_ctx *ctx);
/* close(fd) if an access file: 1 with *rc close's result, else 0. The
 * access is destroyed at its file's last close anywhere. */
int uio_access_fd_close(int fd, int *rc);
void uio_access_fds_forget_ctx(struct uio_ctx *ctx);
/* Under ctx->lock: an access file of ctx is open anywhere (dead ones go). */
bool uio_access_files_alive(struct uio_ctx *ctx);
/*
 * main.c: a fault queue or access file of ctx (held, fdtable.h) was
 * closed; if it was the last file, in any process, holding a context
 * whose own files are all closed, the context is released now.
 */
void uio_ctx_file_closed(struct uio_ctx *ctx);
void uio_access_fds_image_ending(bool cloexec_only);

/* ioas.c */
struct uio_ioas *uio_ioas_alloc(struct uio_ctx *ctx, int *err);
void uio_ioas_destroy(struct uio_ctx *ctx, struct uio_obj *obj);
struct uio_ioas *uio_ioas_get(struct uio_ctx *ctx, uint32_t id);





/* main.c: one ioctl in flight */
struct uio_ucmd {
	struct uio_ctx *ctx;
	void *ubuffer;
	uint32_t user_size;
	void *cmd;
	/* A command that let go of ctx's lock could not take it again
	 * (uio_ctx_lock's -ENOMEM): the dispatcher must not unlock it. */
	bool unlocked;
};

int uio_ucmd_respond(struct uio_ucmd *ucmd, size_t cmd_len);
/* copy_struct_from_user: zero-extend, or E2BIG for a non-zero tail. */
int uio_copy_struct_from_user(void *dst, size_t ksize, const void *usrc,
			      size_t usize);

/* ioas.c command handlers */
int uio_ioas_alloc_ioctl(struct uio_ucmd *ucmd);
int uio_ioas_iova_ranges(struct uio_ucmd *ucmd);
int uio_ioas_allow_iovas(struct uio_ucmd *ucmd);
int uio_ioas_map(struct uio_ucmd *ucmd);
int uio_ioas_copy(struct uio_ucmd *ucmd);
int uio_ioas_unmap(struct uio_ucmd *ucmd);
int uio_ioas_option(struct uio_ucmd *ucmd);
int uio_option_rlimit_mode(struct uio_ucmd *ucmd);

/* vfio_compat.c: the type1 container ioctls; value >= 0 or -errno */
long uio_vfio_ioctl(struct uio_ctx *ctx, unsigned long cmd, void *arg);
/* main.c: for the preload layer */
int uio_open_vfio_container(int flags);
int uio_fd_is_vfio_container(int fd);
int uio_vfio_ioas(struct uio_ucmd *ucmd);

/* The file kinds of the core (file.h), for the preload's table. */
struct uio_file_ops;
extern const struct uio_file_ops uio_iommufd_fops;
extern const struct uio_file_ops uio_fault_fops;
extern const struct uio_file_ops uio_access_fops;
/* Their decoders for the trace (trace.c). */
struct uio_trace_ops;
extern const struct uio_trace_ops uio_iommufd_trace;
extern const struct uio_trace_ops uio_fault_trace;
/* What stat shows for /dev/iommu and /dev/vfio/vfio (misc devices). */
#define UIO_IOMMU_MISC_MAJOR 10
#define UIO_IOMMU_MISC_MINOR 123
#define UIO_VFIO_MISC_MINOR 196

/* selftest.c: IOMMU_TEST_CMD */
int uio_test_cmd(struct uio_ucmd *ucmd);
#endif
