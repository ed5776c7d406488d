// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: sequences of iommufd commands on one fresh context.
 *
 * An input is a small bytecode: an opcode byte, then the parameter bytes
 * that opcode reads (a read past the end gives 0, so every input decodes).
 * Each opcode builds a real uAPI struct and issues it through the C API:
 * every command of the dispatcher table, every IOMMU_TEST_CMD op, the VFIO
 * type1 ioctls on the iommufd fd, the emulator C API (mock devices, DMA,
 * accesses), fault-queue file reads and writes, the memory reports the
 * preload layer would make (munmap, MAP_FIXED, mremap), fault injection and
 * capability changes.
 *
 *   ids       drawn from tables of ids earlier commands returned, or bogus;
 *   pointers  into a block of pages set up once: read-write pages, a
 *             read-only page, a PROT_NONE page, unmapped holes, a buffer
 *             that ends where its mapping ends; or NULL, kernel-like,
 *             anything;
 *   structs   staged in the block with a fuzzed size word (short, exact,
 *             longer with a zero or a non-zero tail), or placed across the
 *             end of a mapping, on the read-only page, or nowhere.
 *
 * After every call the invariant checker runs (abort on failure). At the
 * end of an input every file is closed and every object destroyed, and the
 * counters must show nothing left: no pins once no domain or access is
 * left, then no object, area, pages or arena byte beyond a fresh context's.
 * No fd may be left open (checked by number), no heap leaked (LSan).
 *
 * The files the library hands out (access fds, fault queue fds) are closed
 * with uiommufd_close(), as the preload layer's close() does.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096ul
#define MAX_OPS 256
#define TBL 16

/* ------------------------------------------------------------------ */
/* the block of user memory */

enum {
	P_ARG = 0,     /* 2 pages RW: staged command structs */
	P_RW = 2,      /* 16 pages RW: buffers to map, data arrays */
	N_RW = 16,
	P_RO = 18,     /* read-only, filled with a pattern */
	P_NONE = 19,   /* PROT_NONE */
	P_HOLE = 20,   /* unmapped */
	P_TAIL = 21,   /* 2 pages RW ending at the mapping's end */
	P_HOLE2 = 23,  /* unmapped */
	P_GUARD = 24,  /* PROT_NONE: keeps HOLE2 a hole of one page */
	P_SPARE = 25,  /* 4 pages PROT_NONE: where mremap hops land */
	N_SPARE = 4,
	N_BLOCK = 29,
};

/*
 * The block is the start of a PROT_NONE reservation of VOID bytes. An area
 * made of user memory from the block may run on into it, and is clamped to
 * end there (area_len()): every address the library can reach through an
 * area, at any offset, must be the harness's, never the fuzzer's heap,
 * stack or libraries.
 */
#define VOID (4ull << 30)
/* Garbage pointers this low are below mmap_min_addr: never mapped. */
#define LOW_LIMIT 4096ull
/* Above this, the kernel half: never mapped either. */
#define USER_TOP (1ull << 47)

static char *blk;
static int devnull = -1;
static int initialized;
static int verbose; /* FUZZ_VERBOSE=1: one line per call */
static struct __user_cap_data_struct caps0[2];

#define PAGE(i) (blk + (size_t)(i) * PG)

static int hole_is_unmapped(int page)
{
	unsigned char v;

	return mincore(PAGE(page), PG, &v) && errno == ENOMEM;
}

static void block_setup(void)
{
	void *base = mmap(NULL, N_BLOCK * PG + VOID, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (base == MAP_FAILED)
		abort();
	blk = mmap(base, N_BLOCK * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (blk != base)
		abort();
	memset(PAGE(P_RO), 0xa5, PG);
	if (mprotect(PAGE(P_RO), PG, PROT_READ) ||
	    mprotect(PAGE(P_NONE), PG, PROT_NONE) ||
	    munmap(PAGE(P_HOLE), PG) || munmap(PAGE(P_HOLE2), PG) ||
	    mprotect(PAGE(P_GUARD), (1 + N_SPARE) * PG, PROT_NONE))
		abort();
}

/* The holes must stay holes: another mapping there would get our writes. */
static void block_ensure(void)
{
	if (hole_is_unmapped(P_HOLE) && hole_is_unmapped(P_HOLE2))
		return;
	/* Somebody took a hole: leave the old block (never ours to unmap
	 * whole now) and make a new one. */
	block_setup();
}

static void init_once(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };

	if (initialized)
		return;
	initialized = 1;
	verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	block_setup();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (syscall(SYS_capget, &hdr, caps0))
		memset(caps0, 0, sizeof(caps0));
}

/* ------------------------------------------------------------------ */
/* input decoding */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/*
 * Multi-byte values are little endian. Every read is its own statement:
 * the order of evaluation inside an initializer list or an argument list
 * is unspecified, and the same input must decode alike with every compiler.
 */
static uint16_t u16(struct in *in)
{
	uint16_t lo = u8(in);

	return (uint16_t)(lo | u8(in) << 8);
}

static uint32_t u32(struct in *in)
{
	uint32_t lo = u16(in);

	return lo | (uint32_t)u16(in) << 16;
}

static uint64_t u64(struct in *in)
{
	uint64_t lo = u32(in);

	return lo | (uint64_t)u32(in) << 32;
}

/* Mostly 0; now and then something else (reserved fields, stray flags). */
static uint32_t rsv(struct in *in)
{
	uint8_t b = u8(in);

	if (b < 0xf8)
		return 0;
	return b == 0xff ? u32(in) : 1u << (b & 7);
}

/* ------------------------------------------------------------------ */
/* what earlier commands returned */

enum kind {
	K_IOAS,
	K_HWPT,    /* paging hwpts, auto or allocated */
	K_NESTED,
	K_STDEV,
	K_IDEV,
	K_FAULT,
	K_ACCESS,  /* C API access ids */
	K_ITEM,    /* ACCESS_PAGES ids */
	K_PIN,     /* C API pin ids */
	K_ANY,
	K_NR,
};

struct state {
	int fd;                 /* the context */
	int dup_fd;             /* a dup of it, or -1 */
	uint32_t ids[K_NR][TBL];
	unsigned int nids[K_NR];
	uint64_t iovas[TBL];
	unsigned int niovas;
	int fault_fds[TBL];
	unsigned int nfault_fds;
	int access_fds[TBL];
	unsigned int naccess_fds;
	int max_fd;
	bool caps_changed;
	bool moved;             /* a range of RW pages sits at P_SPARE */
	unsigned int moved_page, moved_n;
};

static void note_fd(struct state *s, int fd)
{
	if (fd > s->max_fd)
		s->max_fd = fd;
}

static void add_id(struct state *s, enum kind k, uint32_t id)
{
	s->ids[k][s->nids[k]++ % TBL] = id;
	if (k != K_ITEM && k != K_PIN)
		s->ids[K_ANY][s->nids[K_ANY]++ % TBL] = id;
}

static void add_iova(struct state *s, uint64_t iova)
{
	s->iovas[s->niovas++ % TBL] = iova;
}

static unsigned int cnt(unsigned int n)
{
	return n < TBL ? n : TBL;
}

static uint32_t pick_id(struct in *in, struct state *s, enum kind k)
{
	static const uint32_t bogus[] = { 0, 1, 2, 3, 0xffffffffu, 0x7fffffffu,
					  0x80000000u, 100 };
	uint8_t b = u8(in);

	if (b < 0xe0 && s->nids[k])
		return s->ids[k][b % cnt(s->nids[k])];
	if (b < 0xf0 && s->nids[K_ANY])
		return s->ids[K_ANY][b % cnt(s->nids[K_ANY])];
	return bogus[b & 7];
}

/* An IOAS or a hwpt (paging or nested), for pt_id fields. */
static uint32_t pick_pt(struct in *in, struct state *s)
{
	uint8_t b = u8(in);

	switch (b % 4) {
	case 0:
	case 1:
		return pick_id(in, s, K_IOAS);
	case 2:
		return pick_id(in, s, K_HWPT);
	default:
		return pick_id(in, s, (b & 4) ? K_NESTED : K_ANY);
	}
}

static int pick_fd_of(struct in *in, const int *fds, unsigned int n,
		      const struct state *s)
{
	uint8_t b = u8(in);

	if (b < 0xe0 && n)
		return fds[b % n];
	switch (b & 7) {
	case 0:
		return -1;
	case 1:
		return s->fd;
	case 2:
		return devnull;
	case 3:
		return 1023; /* not open */
	case 4:
		return s->nfault_fds ? s->fault_fds[0] : 0;
	case 5:
		return s->naccess_fds ? s->access_fds[0] : 0;
	default:
		return n ? fds[0] : -1;
	}
}

static int pick_access_fd(struct in *in, struct state *s)
{
	return pick_fd_of(in, s->access_fds, s->naccess_fds, s);
}

static int pick_fault_fd(struct in *in, struct state *s)
{
	return pick_fd_of(in, s->fault_fds, s->nfault_fds, s);
}

/* The fd an ioctl goes to: almost always the context. */
static int pick_ctx_fd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);

	if (b < 0xf0)
		return s->fd;
	switch (b & 7) {
	case 0:
	case 1:
		return s->dup_fd >= 0 ? s->dup_fd : s->fd;
	case 2:
		return -1;
	case 3:
		return devnull;
	case 4:
		return 1023;
	case 5:
		return s->nfault_fds ? s->fault_fds[0] : s->fd;
	case 6:
		return s->naccess_fds ? s->access_fds[0] : s->fd;
	default:
		return s->fd;
	}
}

/* A user pointer. */
static uint64_t pick_ptr(struct in *in)
{
	uint8_t b = u8(in);

	switch (b & 15) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return (uintptr_t)PAGE(P_RW + u8(in) % N_RW);
	case 6:
		return (uintptr_t)PAGE(P_RW) + u16(in) % (N_RW * PG);
	case 7:
		return (uintptr_t)PAGE(P_RO) + (b >> 4) * 256;
	case 8:
		return (uintptr_t)PAGE(P_NONE);
	case 9:
		return (uintptr_t)PAGE(P_HOLE);
	case 10:
		/* near the end of a mapping */
		return (uintptr_t)PAGE(P_HOLE2) - 8 * (1 + (b >> 4));
	case 11:
		return (uintptr_t)PAGE(P_TAIL);
	case 12:
		return 0;
	case 13:
		return 0xffff888000000000ull;
	case 14:
		/* garbage that no mapping can be under: below mmap_min_addr or
		 * in the kernel half */
		return b & 0x10 ? u16(in) % LOW_LIMIT :
				  u64(in) | 0xffff800000000000ull;
	default:
		return (uintptr_t)PAGE(P_RW + N_RW - 1); /* runs into RO */
	}
}

/* A length. */
static uint64_t pick_len(struct in *in)
{
	uint8_t b = u8(in);

	switch (b & 7) {
	case 0: case 1: case 2:
		return (1 + u8(in) % 20) * PG;
	case 3:
		return 2048ul * (u8(in) % 40);
	case 4:
		return u8(in);
	case 5:
		return 0;
	case 6: {
		static const uint64_t big[] = { UINT64_MAX, UINT64_MAX - PG + 1,
						1ull << 40, 1ull << 31,
						16ul << 20, (16ul << 20) + 1,
						2ul << 20, 1ull << 63 };

		return big[(b >> 3) & 7];
	}
	default:
		return u64(in);
	}
}

/* An IOVA. */
static uint64_t pick_iova(struct in *in, struct state *s)
{
	uint8_t b = u8(in), k;
	unsigned int n = cnt(s->niovas);

	switch (b & 7) {
	case 0: case 1: case 2:
		k = u8(in);
		return n ? s->iovas[k % n] : 0;
	case 3:
		k = u8(in);
		return (n ? s->iovas[k % n] : 0) + 2048ul * (u8(in) % 16);
	case 4:
		return MOCK_APERTURE_START + (uint64_t)u8(in) * PG;
	case 5:
		return 0;
	case 6:
		return (uint64_t)u16(in) * PG;
	default:
		return u64(in);
	}
}

/*
 * The length to map at va: what the input asks for, clamped so that the
 * area stays in memory of the harness (see VOID). A range whose end wraps
 * is left alone, for the library to refuse.
 */
static uint64_t area_len(uint64_t va, uint64_t len)
{
	uint64_t end, region_end = (uintptr_t)blk + N_BLOCK * PG + VOID;

	if (__builtin_add_overflow(va, len, &end) || va >= USER_TOP)
		return len;
	if (va >= (uintptr_t)blk && va < region_end)
		return end > region_end ? region_end - va : len;
	if (va < LOW_LIMIT)
		return end > LOW_LIMIT ? LOW_LIMIT - va : len;
	abort(); /* pick_ptr gives no other user address */
}

/* ------------------------------------------------------------------ */
/* issuing commands */

static void trace_rc(const char *what, int rc)
{
	if (verbose)
		fprintf(stderr, "  %-28s = %d%s%s\n", what, rc,
			rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
}

/* For the calls that return -errno instead of setting errno. */
static void trace_neg(const char *what, long rc)
{
	if (rc < 0)
		errno = (int)-rc;
	trace_rc(what, rc < 0 ? -1 : (int)rc);
}

static void check(struct state *s, const char *what)
{
	if (uiommufd_check(s->fd)) {
		fprintf(stderr, "fuzz: invariant broken after %s\n", what);
		abort();
	}
}

/*
 * Issue request with the struct s0 (ksize bytes, the first word its size)
 * at a fuzzed place with a fuzzed size word; copy what the call wrote back
 * into s0. Returns the call's result, errno preserved in *err.
 */
static int do_ioctl(struct in *in, struct state *s, unsigned long request,
		    void *s0, size_t ksize, size_t minsz, const char *what,
		    int *err)
{
	uint8_t m, p;
	uint32_t size = (uint32_t)ksize;
	size_t span;
	char *loc;
	int fd, rc, readable = 1, ro = 0;

	m = u8(in);
	p = u8(in);
	fd = pick_ctx_fd(in, s);

	if (m >= 0xe0) {
		switch (m & 15) {
		case 0: case 1:
			size = minsz ? (uint32_t)minsz - 1 : 0;
			break;
		case 2: case 3:
			size = (uint32_t)minsz;
			break;
		case 4: case 5:
			size = (uint32_t)ksize + 8;
			break;
		case 6: case 7:
			size = (uint32_t)ksize + 8; /* with a non-zero tail */
			break;
		case 8:
			size = 0;
			break;
		case 9:
			size = 0xffffffffu;
			break;
		case 10:
			size = 2 * PG;
			break;
		case 11:
			size = (uint32_t)ksize - 4;
			break;
		default:
			size = u32(in);
			break;
		}
	}
	memcpy(s0, &size, sizeof(size));
	span = ksize + 16;
	loc = PAGE(P_ARG);
	if (p >= 0xf0) {
		switch (p & 7) {
		case 0: case 1:
			/* across the end of the mapping: the size word readable */
			loc = PAGE(P_HOLE2) - 4 - 4 * (p & 1) -
			      (ksize > 8 ? 8 * (u8(in) % ((ksize - 4) / 8)) : 0);
			span = (size_t)(PAGE(P_HOLE2) - loc);
			break;
		case 2:
			loc = NULL;
			break;
		case 3:
			loc = PAGE(P_HOLE);
			break;
		case 4:
			loc = PAGE(P_NONE);
			break;
		case 5:
			loc = PAGE(P_RO);
			ro = 1;
			break;
		default:
			break;
		}
	}
	if (loc == NULL || loc == PAGE(P_HOLE) || loc == PAGE(P_NONE)) {
		readable = 0;
	} else {
		if (ro && mprotect(loc, PG, PROT_READ | PROT_WRITE))
			abort();
		memset(loc, 0, span < 2 * PG ? span : 2 * PG);
		memcpy(loc, s0, ksize < span ? ksize : span);
		if ((m >= 0xe0 && (m & 15) >= 6 && (m & 15) <= 7) &&
		    span > ksize + 4)
			loc[ksize + 3] = 1;
		if (ro) {
			memcpy(loc, &size, sizeof(size));
			if (mprotect(loc, PG, PROT_READ))
				abort();
		}
	}
	rc = uiommufd_ioctl(fd, request, loc);
	*err = errno;
	trace_rc(what, rc);
	check(s, what);
	if (readable)
		memcpy(s0, loc, ksize < span ? ksize : span);
	if (ro) {
		/* Put the read-only page's pattern back. */
		if (mprotect(loc, PG, PROT_READ | PROT_WRITE))
			abort();
		memset(loc, 0xa5, PG);
		if (mprotect(loc, PG, PROT_READ))
			abort();
	}
	return rc;
}

#define IOCTL(in, s, req, st, last, err)                                       \
	do_ioctl(in, s, req, &(st), sizeof(st),                                \
		 offsetof(__typeof__(st), last) + sizeof((st).last), #req, err)

/*
 * Close a file the library handed out (a fault queue or access fd): through
 * uiommufd_close(), so that the library sees it go, as the preload layer's
 * close() does.
 */
static void close_file(int fd)
{
	if (uiommufd_close(fd))
		abort();
}

static void drop_fd(int *fds, unsigned int *n, unsigned int i)
{
	fds[i] = fds[--*n];
}

/* ------------------------------------------------------------------ */
/* opcodes */

static void op_ioas_alloc(struct in *in, struct state *s)
{
	struct iommu_ioas_alloc c = { 0 };
	int err;

	c.flags = rsv(in);
	if (!IOCTL(in, s, IOMMU_IOAS_ALLOC, c, out_ioas_id, &err))
		add_id(s, K_IOAS, c.out_ioas_id);
}

static void op_ioas_map(struct in *in, struct state *s)
{
	struct iommu_ioas_map c = { 0 };
	int err;

	c.flags = u8(in) & 0xf;
	c.ioas_id = pick_id(in, s, K_IOAS);
	c.__reserved = rsv(in);
	c.user_va = pick_ptr(in);
	c.length = area_len(c.user_va, pick_len(in));
	c.iova = pick_iova(in, s);
	if (!IOCTL(in, s, IOMMU_IOAS_MAP, c, iova, &err))
		add_iova(s, c.iova);
}

static void op_ioas_unmap(struct in *in, struct state *s)
{
	struct iommu_ioas_unmap c = { 0 };
	int err;

	c.ioas_id = pick_id(in, s, K_IOAS);
	if (u8(in) < 0x20) {
		c.iova = 0;
		c.length = UINT64_MAX;
	} else {
		c.iova = pick_iova(in, s);
		c.length = pick_len(in);
	}
	IOCTL(in, s, IOMMU_IOAS_UNMAP, c, length, &err);
}

static void op_ioas_copy(struct in *in, struct state *s)
{
	struct iommu_ioas_copy c = { 0 };
	int err;

	c.flags = u8(in) & 0xf;
	c.dst_ioas_id = pick_id(in, s, K_IOAS);
	c.src_ioas_id = pick_id(in, s, K_IOAS);
	c.length = pick_len(in);
	c.dst_iova = pick_iova(in, s);
	c.src_iova = pick_iova(in, s);
	if (!IOCTL(in, s, IOMMU_IOAS_COPY, c, src_iova, &err))
		add_iova(s, c.dst_iova);
}

static void op_ioas_iova_ranges(struct in *in, struct state *s)
{
	struct iommu_ioas_iova_ranges c = { 0 };
	uint8_t b;
	int err;

	c.ioas_id = pick_id(in, s, K_IOAS);
	b = u8(in);
	c.num_iovas = b < 0xf0 ? b % 8 : u32(in);
	c.__reserved = rsv(in);
	c.allowed_iovas = pick_ptr(in);
	if (!IOCTL(in, s, IOMMU_IOAS_IOVA_RANGES, c, out_iova_alignment, &err) &&
	    c.num_iovas && c.allowed_iovas == (uintptr_t)PAGE(P_RW)) {
		struct iommu_iova_range r;

		memcpy(&r, PAGE(P_RW), sizeof(r));
		add_iova(s, r.start);
	}
}

/* An array of iova ranges built in the RW pages, or any pointer. */
static uint64_t build_ranges(struct in *in, struct state *s, uint32_t *num)
{
	uint8_t b = u8(in);
	struct iommu_iova_range r;
	char *at;

	if (b >= 0xf0) {
		*num = b & 1 ? u32(in) : u8(in);
		return pick_ptr(in);
	}
	*num = b % 6;
	at = PAGE(P_RW + N_RW - 2) + (b & 0x80 ? PG - sizeof(r) : 0);
	for (uint32_t i = 0; i < *num; i++) {
		uint8_t k = u8(in);

		r.start = pick_iova(in, s);
		if (k & 1)
			r.start &= ~(PG - 1);
		if (k & 2)
			r.last = r.start + pick_len(in) - 1;
		else
			r.last = u64(in);
		memcpy(at + i * sizeof(r), &r, sizeof(r));
	}
	return (uintptr_t)at;
}

static void op_ioas_allow_iovas(struct in *in, struct state *s)
{
	struct iommu_ioas_allow_iovas c = { 0 };
	int err;

	c.ioas_id = pick_id(in, s, K_IOAS);
	c.__reserved = rsv(in);
	c.allowed_iovas = build_ranges(in, s, &c.num_iovas);
	IOCTL(in, s, IOMMU_IOAS_ALLOW_IOVAS, c, allowed_iovas, &err);
}

static void op_option(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_option c = { .option_id = b & 3, .op = (b >> 2) & 3 };
	int err;

	c.__reserved = (uint16_t)rsv(in);
	c.object_id = (b & 0x20) ? 0 : pick_id(in, s, K_IOAS);
	c.val64 = (b & 0x40) ? u64(in) : (b >> 7);
	IOCTL(in, s, IOMMU_OPTION, c, val64, &err);
}

static void op_destroy(struct in *in, struct state *s)
{
	struct iommu_destroy c = { 0 };
	int err;

	c.id = pick_id(in, s, K_ANY);
	IOCTL(in, s, IOMMU_DESTROY, c, id, &err);
}

static void op_hwpt_alloc(struct in *in, struct state *s)
{
	static const uint32_t lens[] = { 4, 4, 4, 0, 3, 8, 24, 4096 };
	uint8_t b = u8(in), t = u8(in);
	struct iommu_hwpt_alloc c = { .flags = b & 0xf };
	int err;

	c.dev_id = pick_id(in, s, K_IDEV);
	c.pt_id = pick_pt(in, s);
	c.__reserved = rsv(in);
	c.__reserved2 = rsv(in);
	switch (t & 3) {
	case 0:
		c.data_type = IOMMU_HWPT_DATA_NONE;
		break;
	case 1:
	case 2:
		c.data_type = IOMMU_HWPT_DATA_SELFTEST;
		break;
	default:
		c.data_type = (t & 4) ? IOMMU_HWPT_DATA_VTD_S1 : u32(in);
		break;
	}
	if (c.data_type != IOMMU_HWPT_DATA_NONE || (t & 8)) {
		c.data_len = lens[(t >> 4) & 7];
		if (t & 0x80) {
			c.data_uptr = pick_ptr(in);
		} else {
			struct iommu_hwpt_selftest d;
			char *at = PAGE(P_RW + N_RW - 3);

			d.iotlb = u8(in) & 1 ? IOMMU_TEST_IOTLB_DEFAULT : u32(in);
			memset(at, 0, 32);
			memcpy(at, &d, sizeof(d));
			if (b & 0x80)
				at[4] = 1; /* longer than known, non-zero */
			c.data_uptr = (uintptr_t)at;
		}
	}
	if (b & 0x40)
		c.flags |= IOMMU_HWPT_FAULT_ID_VALID;
	c.fault_id = pick_id(in, s, K_FAULT);
	if (!IOCTL(in, s, IOMMU_HWPT_ALLOC, c, __reserved2, &err))
		add_id(s, c.data_type == IOMMU_HWPT_DATA_NONE ? K_HWPT : K_NESTED,
		       c.out_hwpt_id);
}

static void op_hwpt_invalidate(struct in *in, struct state *s)
{
	static const uint32_t lens[] = { 8, 8, 8, 4, 12, 0, 4097, 16 };
	uint8_t b = u8(in);
	struct iommu_hwpt_invalidate c = { 0 };
	int err;

	c.hwpt_id = pick_id(in, s, b & 1 ? K_HWPT : K_NESTED);
	c.__reserved = rsv(in);
	switch ((b >> 1) & 3) {
	case 0:
	case 1:
		c.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
		break;
	case 2:
		c.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
		break;
	default:
		c.data_type = u8(in) & 1 ? IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 :
					   u32(in);
		break;
	}
	c.entry_len = lens[(b >> 3) & 7];
	if (b & 0x40) {
		uint8_t k = u8(in);

		c.entry_num = k < 0xf0 ? k : u32(in);
		c.data_uptr = pick_ptr(in);
	} else {
		char *at = PAGE(P_RW + N_RW - 4);

		c.entry_num = u8(in) % 6;
		memset(at, 0, 128);
		for (uint32_t i = 0; i < c.entry_num && i * c.entry_len < 100; i++) {
			uint8_t e = u8(in);
			struct iommu_hwpt_invalidate_selftest inv;

			inv.flags = e & 0x80 ? u32(in) : e & 1;
			inv.iotlb_id = (e >> 1) % 5;
			memcpy(at + i * c.entry_len, &inv,
			       c.entry_len < sizeof(inv) ? c.entry_len : sizeof(inv));
			if (c.entry_len > sizeof(inv) && (e & 0x40))
				at[i * c.entry_len + sizeof(inv)] = 1;
		}
		c.data_uptr = (b & 0x80) ? 0 : (uintptr_t)at;
	}
	IOCTL(in, s, IOMMU_HWPT_INVALIDATE, c, __reserved, &err);
}

static void op_set_dirty(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_hwpt_set_dirty_tracking c = {
		.flags = b % 3 == 2 ? 1u << (b >> 3) : b % 3 == 1 };
	int err;

	c.hwpt_id = pick_id(in, s, K_HWPT);
	c.__reserved = rsv(in);
	IOCTL(in, s, IOMMU_HWPT_SET_DIRTY_TRACKING, c, __reserved, &err);
}

static uint64_t pick_page_size(struct in *in)
{
	static const uint64_t ps[] = { PG, PG, 2048, 1ul << 21, 0, 3, 1ul << 20,
				       0 };
	uint8_t b = u8(in);

	return (b & 7) == 7 ? u64(in) : ps[b & 7];
}

static void op_get_dirty(struct in *in, struct state *s)
{
	struct iommu_hwpt_get_dirty_bitmap c = { 0 };
	uint8_t b;
	int err;

	c.hwpt_id = pick_id(in, s, K_HWPT);
	b = u8(in);
	c.flags = b % 3 == 2 ? rsv(in) | 1 : b & 1;
	c.__reserved = rsv(in);
	c.iova = pick_iova(in, s);
	c.length = pick_len(in);
	c.page_size = pick_page_size(in);
	c.data = pick_ptr(in);
	IOCTL(in, s, IOMMU_HWPT_GET_DIRTY_BITMAP, c, data, &err);
}

static void op_get_hw_info(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_hw_info c = { 0 };
	int err;

	c.flags = rsv(in);
	c.dev_id = pick_id(in, s, K_IDEV);
	c.data_len = b & 0x80 ? u32(in) : b & 0x3f;
	c.data_uptr = pick_ptr(in);
	if (b & 0x40)
		c.__reserved[b & 3 ? (b & 3) - 1 : 0] = 1;
	IOCTL(in, s, IOMMU_GET_HW_INFO, c, __reserved, &err);
}

static void op_fault_alloc(struct in *in, struct state *s)
{
	struct iommu_fault_alloc c = { 0 };
	int err;

	c.flags = rsv(in);
	if (IOCTL(in, s, IOMMU_FAULT_QUEUE_ALLOC, c, out_fault_fd, &err))
		return;
	note_fd(s, (int)c.out_fault_fd);
	if (s->nfault_fds == TBL) {
		close_file((int)c.out_fault_fd);
		return;
	}
	s->fault_fds[s->nfault_fds++] = (int)c.out_fault_fd;
	add_id(s, K_FAULT, c.out_fault_id);
}

static void op_vfio_ioas(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_vfio_ioas c = { .op = b % 4 };
	int err;

	c.ioas_id = pick_id(in, s, K_IOAS);
	c.__reserved = (uint16_t)rsv(in);
	IOCTL(in, s, IOMMU_VFIO_IOAS, c, __reserved, &err);
}

/* --- IOMMU_TEST_CMD --- */

static int test_cmd(struct in *in, struct state *s, struct iommu_test_cmd *c)
{
	static const char *const names[] = {
		"TEST_OP_0", "ADD_RESERVED", "MOCK_DOMAIN", "MD_CHECK_MAP",
		"MD_CHECK_REFS", "CREATE_ACCESS", "DESTROY_ACCESS_PAGES",
		"ACCESS_PAGES", "ACCESS_RW", "SET_TEMP_MEMORY_LIMIT",
		"MOCK_DOMAIN_REPLACE", "ACCESS_REPLACE_IOAS",
		"MOCK_DOMAIN_FLAGS", "DIRTY", "MD_CHECK_IOTLB", "TRIGGER_IOPF",
	};
	const char *name = c->op < sizeof(names) / sizeof(names[0]) ?
				   names[c->op] : "TEST_OP_unknown";
	int err;

	c->__reserved = rsv(in);
	return do_ioctl(in, s, IOMMU_TEST_CMD, c, sizeof(*c),
			offsetof(struct iommu_test_cmd, last) + sizeof(c->last),
			name, &err);
}

static void keep_access_fd(struct state *s, int fd)
{
	note_fd(s, fd);
	if (s->naccess_fds == TBL)
		close_file(fd);
	else
		s->access_fds[s->naccess_fds++] = fd;
}

static void op_mock_domain(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = {
		.op = b & 1 ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
			      IOMMU_TEST_OP_MOCK_DOMAIN,
	};

	c.id = pick_pt(in, s);
	if (b & 1)
		c.mock_domain_flags.dev_flags = b & 0x80 ? u32(in) : (b >> 1) & 3;
	if (test_cmd(in, s, &c))
		return;
	add_id(s, K_STDEV, c.mock_domain.out_stdev_id);
	add_id(s, K_HWPT, c.mock_domain.out_hwpt_id);
	add_id(s, K_IDEV, c.mock_domain.out_idev_id);
}

static void op_mock_replace(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };

	c.id = pick_id(in, s, K_STDEV);
	c.mock_domain_replace.pt_id = pick_pt(in, s);
	if (!test_cmd(in, s, &c))
		add_id(s, K_HWPT, c.mock_domain_replace.pt_id);
}

static void op_create_access(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS };

	c.id = pick_id(in, s, K_IOAS);
	c.create_access.flags = b & 0x80 ? u32(in) : b & 1;
	if (!test_cmd(in, s, &c))
		keep_access_fd(s, (int)c.create_access.out_access_fd);
}

static void op_access_rw(struct in *in, struct state *s)
{
	static const uint32_t fl[] = { 0, MOCK_ACCESS_RW_WRITE,
				       MOCK_ACCESS_RW_SLOW_PATH,
				       MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH,
				       MOCK_FLAGS_ACCESS_SYZ, 2, 0, 1 };
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW };

	c.id = (uint32_t)pick_access_fd(in, s);
	c.access_rw.iova = pick_iova(in, s);
	c.access_rw.length = pick_len(in);
	c.access_rw.uptr = pick_ptr(in);
	c.access_rw.flags = b == 0xff ? u32(in) : fl[b & 7];
	test_cmd(in, s, &c);
}

static void op_access_pages(struct in *in, struct state *s)
{
	static const uint32_t fl[] = { 0, MOCK_FLAGS_ACCESS_WRITE,
				       MOCK_FLAGS_ACCESS_SYZ,
				       MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ,
				       2, 0, 1, 1 };
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES };

	c.id = (uint32_t)pick_access_fd(in, s);
	c.access_pages.flags = b == 0xff ? u32(in) : fl[b & 7];
	c.access_pages.iova = pick_iova(in, s);
	c.access_pages.length = pick_len(in);
	c.access_pages.uptr = pick_ptr(in);
	if (!test_cmd(in, s, &c))
		add_id(s, K_ITEM, c.access_pages.out_access_pages_id);
}

static void op_destroy_access_pages(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };

	c.id = (uint32_t)pick_access_fd(in, s);
	c.destroy_access_pages.access_pages_id = pick_id(in, s, K_ITEM);
	test_cmd(in, s, &c);
}

static void op_access_replace_ioas(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };

	c.id = (uint32_t)pick_access_fd(in, s);
	c.access_replace_ioas.ioas_id = pick_id(in, s, K_IOAS);
	test_cmd(in, s, &c);
}

static void op_md_check_map(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP };

	c.id = pick_id(in, s, K_HWPT);
	c.check_map.iova = pick_iova(in, s);
	c.check_map.length = pick_len(in);
	c.check_map.uptr = pick_ptr(in);
	test_cmd(in, s, &c);
}

static void op_md_check_refs(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };

	c.check_refs.length = pick_len(in);
	c.check_refs.uptr = pick_ptr(in);
	c.check_refs.refs = u8(in) % 4;
	test_cmd(in, s, &c);
}

static void op_md_check_iotlb(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB };

	c.id = pick_id(in, s, K_NESTED);
	c.check_iotlb.id = b & 0x80 ? u32(in) : b % 5;
	c.check_iotlb.iotlb = b & 0x40 ? u32(in) :
			      b & 0x20 ? 0 : IOMMU_TEST_IOTLB_DEFAULT;
	test_cmd(in, s, &c);
}

static void op_test_dirty(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };

	c.id = pick_id(in, s, K_HWPT);
	c.dirty.flags = b & 0x80 ? u32(in) : 0;
	c.dirty.iova = pick_iova(in, s);
	c.dirty.length = pick_len(in);
	c.dirty.page_size = pick_page_size(in);
	c.dirty.uptr = pick_ptr(in);
	if (b & 1) {
		/* a bitmap of fuzzed bits at the start of the RW pages */
		for (int i = 0; i < 8; i++)
			PAGE(P_RW)[i] = (char)u8(in);
		c.dirty.uptr = (uintptr_t)PAGE(P_RW);
	}
	test_cmd(in, s, &c);
}

static void op_trigger_iopf(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };

	c.trigger_iopf.dev_id = pick_id(in, s, K_IDEV);
	c.trigger_iopf.pasid = b & 0x80 ? u32(in) : 0;
	c.trigger_iopf.grpid = u8(in);
	c.trigger_iopf.perm = b & 0xf;
	c.trigger_iopf.addr = pick_iova(in, s);
	test_cmd(in, s, &c);
}

static void op_add_reserved(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED };

	c.id = pick_id(in, s, K_IOAS);
	c.add_reserved.start = pick_iova(in, s);
	c.add_reserved.length = pick_len(in);
	test_cmd(in, s, &c);
}

static void op_temp_memory_limit(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT };

	c.memory_limit.limit = b & 0x80 ? u32(in) : b;
	test_cmd(in, s, &c);
}

/* Any op number, any union contents: unknown ops and mismatched unions. */
static void op_test_raw(struct in *in, struct state *s)
{
	struct iommu_test_cmd c = { .op = u8(in) % 20 };
	uint64_t w[6];

	c.id = pick_id(in, s, K_ANY);
	for (int i = 0; i < 6; i++)
		w[i] = u8(in) & 1 ? pick_iova(in, s) : pick_ptr(in);
	memcpy(&c.add_reserved, w, sizeof(w));
	if (test_cmd(in, s, &c))
		return;
	/* What the op made: its file must be closed at the end. */
	if (c.op == IOMMU_TEST_OP_CREATE_ACCESS)
		keep_access_fd(s, (int)c.create_access.out_access_fd);
	if (c.op == IOMMU_TEST_OP_MOCK_DOMAIN ||
	    c.op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS) {
		add_id(s, K_STDEV, c.mock_domain.out_stdev_id);
		add_id(s, K_HWPT, c.mock_domain.out_hwpt_id);
		add_id(s, K_IDEV, c.mock_domain.out_idev_id);
	}
}

/* --- ioctl numbers that are not in the table --- */

static void op_raw_ioctl(struct in *in, struct state *s)
{
	uint8_t b = u8(in), t;
	unsigned long req;
	struct iommu_destroy c = { 0 };
	int err;

	c.id = pick_id(in, s, K_ANY);
	switch (b & 3) {
	case 0:
		req = _IO(IOMMUFD_TYPE, 0x80 + u8(in) % 0x30);
		break;
	case 1:
		/* the right number with direction and size bits */
		req = _IOWR(IOMMUFD_TYPE, 0x80 + u8(in) % 0x10, struct iommu_destroy);
		break;
	case 2:
		t = u8(in);
		req = _IO(t, 0x80 + u8(in) % 0x10);
		break;
	default:
		req = _IO(VFIO_TYPE, VFIO_BASE + u8(in) % 40);
		break;
	}
	do_ioctl(in, s, req, &c, sizeof(c), 8, "raw ioctl", &err);
}

/* --- the VFIO type1 container on the iommufd fd --- */

static void op_vfio_value(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	unsigned long req = b & 1 ? VFIO_SET_IOMMU :
			    b & 2 ? VFIO_CHECK_EXTENSION : VFIO_GET_API_VERSION;
	unsigned long arg = b & 0x80 ? u64(in) : (b >> 2) % 12u;
	int fd = pick_ctx_fd(in, s);

	trace_rc("vfio value ioctl", uiommufd_ioctl(fd, req, (void *)arg));
	check(s, "vfio value ioctl");
}

static void op_vfio_get_info(struct in *in, struct state *s)
{
	struct vfio_iommu_type1_info c = { 0 };
	int err;

	c.flags = rsv(in);
	IOCTL(in, s, VFIO_IOMMU_GET_INFO, c, iova_pgsizes, &err);
}

static void op_vfio_map(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct vfio_iommu_type1_dma_map c = { 0 };
	int err;

	c.flags = b & 0x80 ? u32(in) : b & 3;
	c.vaddr = pick_ptr(in);
	c.iova = pick_iova(in, s);
	c.size = area_len(c.vaddr, pick_len(in));
	if (!IOCTL(in, s, VFIO_IOMMU_MAP_DMA, c, size, &err))
		add_iova(s, c.iova);
}

static void op_vfio_unmap(struct in *in, struct state *s)
{
	static const uint32_t fl[] = { 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				       VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				       VFIO_DMA_UNMAP_FLAG_VADDR, 0, 0, 0 };
	uint8_t b = u8(in);
	struct vfio_iommu_type1_dma_unmap c = { 0 };
	int err;

	c.flags = b & 0x80 ? u32(in) : fl[b & 7];
	if (!(b & 0x40)) {
		c.iova = pick_iova(in, s);
		c.size = pick_len(in);
	}
	IOCTL(in, s, VFIO_IOMMU_UNMAP_DMA, c, size, &err);
}

/* --- the emulator C API --- */

/* Where a call writes its results: the ARG page (read back), or anywhere. */
static void *pick_out(struct in *in, void **readback)
{
	uint8_t b = u8(in);
	void *p = PAGE(P_ARG) + (b & 0x38);

	*readback = p;
	if (b < 0xf0)
		return p;
	*readback = NULL;
	return (void *)(uintptr_t)pick_ptr(in);
}

static void op_api_mock_device(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	uint32_t pt, flags;
	struct uiommufd_mock_device d;
	void *rb, *out;
	int fd, rc;

	pt = pick_pt(in, s);
	out = pick_out(in, &rb);
	flags = b & 0x80 ? u32(in) : b & 3;
	fd = pick_ctx_fd(in, s);
	rc = uiommufd_mock_device_create(fd, pt, flags, out);
	trace_rc("uiommufd_mock_device_create", rc);
	if (!rc && rb) {
		memcpy(&d, rb, sizeof(d));
		add_id(s, K_STDEV, d.stdev_id);
		add_id(s, K_HWPT, d.hwpt_id);
		add_id(s, K_IDEV, d.idev_id);
	}
	check(s, "uiommufd_mock_device_create");
}

/*
 * A length for calls that bounce through a heap buffer of that size: more
 * than the block's RW pages faults all the same, so no larger than 128 KiB
 * (a larger heap buffer costs the sanitizers much and tests nothing new).
 */
static size_t pick_api_len(struct in *in)
{
	uint64_t len = pick_len(in);

	return len > (128ul << 10) ? len % (128ul << 10) : len;
}

static void op_api_dma(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	uint32_t dev, flags;
	uint64_t iova;
	void *buf;
	size_t len;
	int fd;

	dev = pick_id(in, s, K_IDEV);
	iova = pick_iova(in, s);
	buf = (void *)(uintptr_t)pick_ptr(in);
	len = pick_api_len(in);
	flags = b & 0x80 ? u32(in) : b & 1;
	fd = pick_ctx_fd(in, s);
	trace_rc("uiommufd_dma", uiommufd_dma(fd, dev, iova, buf, len, flags));
	check(s, "uiommufd_dma");
}

static void op_api_access_create(struct in *in, struct state *s)
{
	uint32_t ioas, id;
	void *rb, *out;
	int fd, rc;

	ioas = pick_id(in, s, K_IOAS);
	out = pick_out(in, &rb);
	fd = pick_ctx_fd(in, s);
	rc = uiommufd_access_create(fd, ioas, out);
	trace_rc("uiommufd_access_create", rc);
	if (!rc && rb) {
		memcpy(&id, rb, sizeof(id));
		add_id(s, K_ACCESS, id);
	}
	check(s, "uiommufd_access_create");
}

static void op_api_access_destroy(struct in *in, struct state *s)
{
	uint32_t id = pick_id(in, s, K_ACCESS);
	int fd = pick_ctx_fd(in, s);

	trace_rc("uiommufd_access_destroy", uiommufd_access_destroy(fd, id));
	check(s, "uiommufd_access_destroy");
}

static void op_api_access_rw(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	uint32_t id, flags;
	uint64_t iova;
	void *buf;
	size_t len;
	int fd;

	id = pick_id(in, s, K_ACCESS);
	iova = pick_iova(in, s);
	buf = (void *)(uintptr_t)pick_ptr(in);
	len = pick_api_len(in);
	flags = b & 0x80 ? u32(in) : b & 1;
	fd = pick_ctx_fd(in, s);
	trace_rc("uiommufd_access_rw",
		 uiommufd_access_rw(fd, id, iova, buf, len, flags));
	check(s, "uiommufd_access_rw");
}

static void op_api_access_pin(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	uint32_t id, pin, flags;
	uint64_t iova, len;
	void *rb, *out;
	int fd, rc;

	id = pick_id(in, s, K_ACCESS);
	iova = pick_iova(in, s);
	len = pick_len(in);
	out = pick_out(in, &rb);
	flags = b & 0x80 ? u32(in) : b & 1;
	fd = pick_ctx_fd(in, s);
	rc = uiommufd_access_pin(fd, id, iova, len, flags, out);
	trace_rc("uiommufd_access_pin", rc);
	if (!rc && rb) {
		memcpy(&pin, rb, sizeof(pin));
		add_id(s, K_PIN, pin);
	}
	check(s, "uiommufd_access_pin");
}

static void op_api_access_unpin(struct in *in, struct state *s)
{
	uint32_t id, pin;
	int fd;

	id = pick_id(in, s, K_ACCESS);
	pin = pick_id(in, s, K_PIN);
	fd = pick_ctx_fd(in, s);
	trace_rc("uiommufd_access_unpin", uiommufd_access_unpin(fd, id, pin));
	check(s, "uiommufd_access_unpin");
}

static void op_api_next_unmap(struct in *in, struct state *s)
{
	uint32_t id;
	void *rb1, *rb2, *iova, *len;
	int fd;

	id = pick_id(in, s, K_ACCESS);
	iova = pick_out(in, &rb1);
	len = pick_out(in, &rb2);
	if (len == iova && len)
		len = (char *)len + 8;
	fd = pick_ctx_fd(in, s);
	trace_rc("uiommufd_access_next_unmap",
		 uiommufd_access_next_unmap(fd, id, iova, len));
	check(s, "uiommufd_access_next_unmap");
}

/* --- fault queue files --- */

static void op_fault_read(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int fd;
	uint64_t buf;
	size_t count;

	fd = pick_fault_fd(in, s);
	buf = pick_ptr(in);
	count = b & 0x80 ? u16(in) : sizeof(struct iommu_hwpt_pgfault) * (b & 7);
	trace_neg("fault read",
		  uio_fault_fd_rw(fd, (void *)(uintptr_t)buf, count, false));
	check(s, "fault read");
	/* Answer the first group read, if any, with its cookie. */
	if ((b & 0x40) && buf == (uintptr_t)PAGE(P_RW)) {
		struct iommu_hwpt_pgfault rec;
		struct iommu_hwpt_page_response r;

		memcpy(&rec, PAGE(P_RW), sizeof(rec));
		r.cookie = rec.cookie;
		r.code = (b >> 4) & 1;
		memcpy(PAGE(P_RW + 1), &r, sizeof(r));
		trace_neg("fault write",
			  uio_fault_fd_rw(fd, PAGE(P_RW + 1), sizeof(r), true));
		check(s, "fault write");
	}
}

static void op_fault_write(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int fd;
	unsigned int n = b % 5;
	char *at = PAGE(P_RW + 2);
	size_t count = n * sizeof(struct iommu_hwpt_page_response);
	void *buf = at;

	fd = pick_fault_fd(in, s);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t e = u8(in);
		struct iommu_hwpt_page_response r;

		r.cookie = e & 0x80 ? u32(in) : e & 7;
		r.code = (e >> 3) % 3;
		memcpy(at + i * sizeof(r), &r, sizeof(r));
	}
	if (b & 0x80)
		count += 3;
	if (b & 0x40)
		buf = (void *)(uintptr_t)pick_ptr(in);
	trace_neg("fault write", uio_fault_fd_rw(fd, buf, count, true));
	check(s, "fault write");
}

static void op_close_fault_fd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	unsigned int i;

	if (!s->nfault_fds)
		return;
	i = b % s->nfault_fds;
	close_file(s->fault_fds[i]);
	drop_fd(s->fault_fds, &s->nfault_fds, i);
	check(s, "close fault fd");
}

static void op_close_access_fd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	unsigned int i;

	if (!s->naccess_fds)
		return;
	i = b % s->naccess_fds;
	close_file(s->access_fds[i]);
	drop_fd(s->access_fds, &s->naccess_fds, i);
	check(s, "close access fd");
}

/* --- the context fd itself --- */

static void op_dup(struct in *in, struct state *s)
{
	(void)in;
	if (s->dup_fd >= 0) {
		/* Not the last reference: nothing may be released. */
		if (uiommufd_close(s->dup_fd))
			abort();
		s->dup_fd = -1;
	} else {
		s->dup_fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
		note_fd(s, s->dup_fd);
	}
	check(s, "dup/close");
}

/* One in eight: a dump costs as much as a few dozen commands. */
static void op_dump(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int fd = pick_ctx_fd(in, s);

	if (b & 7)
		return;
	trace_rc("uiommufd_dump", uiommufd_dump(fd, devnull));
	check(s, "uiommufd_dump");
}

/* --- the process around the context --- */

static void set_caps(const struct __user_cap_data_struct *d)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	memcpy(c, d, sizeof(c));
	syscall(SYS_capset, &hdr, c);
	/* What the preload layer does when the program changes them. */
	uio_creds_invalidate();
}

static void op_caps(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct __user_cap_data_struct c[2];

	memcpy(c, caps0, sizeof(c));
	if (b & 1)
		c[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (b & 2)
		c[0].effective &= ~(1u << CAP_SYS_RESOURCE);
	set_caps(c);
	s->caps_changed = true;
	check(s, "capset");
}

static void op_fail_nth(struct in *in, struct state *s)
{
	uiommufd_fail_nth(1 + u8(in) % 24);
	check(s, "fail_nth");
}

/*
 * Pages the harness writes itself (P_RW + 0..2 and 12..15) never move:
 * while moved, the pages' addresses are a hole.
 */
#define MOVE_FIRST 3
#define MOVE_LAST 11

static bool is_moved(const struct state *s, unsigned int page)
{
	return s->moved && page >= s->moved_page &&
	       page < s->moved_page + s->moved_n;
}

/* munmap or MAP_FIXED over RW pages, reported first as the preload does. */
static void op_release(struct in *in, struct state *s)
{
	unsigned int i = u8(in) % N_RW, n = 1 + u8(in) % 4;
	char *at;

	if (i + n > N_RW)
		n = N_RW - i;
	for (unsigned int k = i; k < i + n; k++)
		if (is_moved(s, k))
			return;
	at = PAGE(P_RW + i);
	uiommufd_memory_released(at, n * PG);
	if (mmap(at, n * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != at)
		abort();
	check(s, "memory released");
}

static void move_back(struct state *s)
{
	char *at = PAGE(P_RW + s->moved_page), *spare = PAGE(P_SPARE);
	size_t len = s->moved_n * PG;

	if (mremap(spare, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at) != at)
		abort();
	uiommufd_memory_moved(spare, len, at);
	/* The spare pages go back to being a PROT_NONE placeholder. */
	if (mmap(spare, N_SPARE * PG, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != spare)
		abort();
	s->moved = false;
	check(s, "memory moved back");
}

/* mremap RW pages to the spare pages (the next one moves them back). */
static void op_move(struct in *in, struct state *s)
{
	unsigned int i = MOVE_FIRST + u8(in) % (MOVE_LAST + 1 - MOVE_FIRST);
	unsigned int n = 1 + u8(in) % N_SPARE;
	char *at, *spare = PAGE(P_SPARE);

	if (s->moved) {
		move_back(s);
		return;
	}
	if (i + n > MOVE_LAST + 1)
		n = MOVE_LAST + 1 - i;
	at = PAGE(P_RW + i);
	if (mremap(at, n * PG, n * PG, MREMAP_MAYMOVE | MREMAP_FIXED, spare) !=
	    spare)
		abort();
	uiommufd_memory_moved(at, n * PG, spare);
	s->moved = true;
	s->moved_page = i;
	s->moved_n = n;
	check(s, "memory moved");
}

/* Write input bytes into the RW pages (data the commands will read). */
static void op_poke(struct in *in, struct state *s)
{
	unsigned int off = u16(in) % (N_RW * PG), n = u8(in) % 32;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t v = u8(in);

		if (off + i >= N_RW * PG || is_moved(s, (off + i) / PG))
			break;
		PAGE(P_RW)[off + i] = (char)v;
	}
}

typedef void (*op_fn)(struct in *, struct state *);

static const op_fn ops[] = {
	op_ioas_alloc,          /* 0 */
	op_ioas_map,
	op_ioas_unmap,
	op_ioas_copy,
	op_ioas_iova_ranges,
	op_ioas_allow_iovas,    /* 5 */
	op_option,
	op_destroy,
	op_hwpt_alloc,
	op_hwpt_invalidate,
	op_set_dirty,           /* 10 */
	op_get_dirty,
	op_get_hw_info,
	op_fault_alloc,
	op_vfio_ioas,
	op_mock_domain,         /* 15 */
	op_mock_replace,
	op_create_access,
	op_access_rw,
	op_access_pages,
	op_destroy_access_pages, /* 20 */
	op_access_replace_ioas,
	op_md_check_map,
	op_md_check_refs,
	op_md_check_iotlb,
	op_test_dirty,          /* 25 */
	op_trigger_iopf,
	op_add_reserved,
	op_temp_memory_limit,
	op_test_raw,
	op_raw_ioctl,           /* 30 */
	op_vfio_value,
	op_vfio_get_info,
	op_vfio_map,
	op_vfio_unmap,
	op_api_mock_device,     /* 35 */
	op_api_dma,
	op_api_access_create,
	op_api_access_destroy,
	op_api_access_rw,
	op_api_access_pin,      /* 40 */
	op_api_access_unpin,
	op_api_next_unmap,
	op_fault_read,
	op_fault_write,
	op_close_fault_fd,      /* 45 */
	op_close_access_fd,
	op_dup,
	op_dump,
	op_caps,
	op_fail_nth,            /* 50 */
	op_release,
	op_move,
	op_poke,
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

/* ------------------------------------------------------------------ */
/* the end of an input */

static void stats(struct state *s, struct uiommufd_stats *st)
{
	if (uiommufd_stats(s->fd, st))
		abort();
}

/*
 * What the object table holds, read under the context's lock. The
 * context is reached through the registry of contexts mapped in this
 * process (the only one is this input's), so the harness never follows
 * an fd to it outside a call of the API.
 */
#define MAX_IDS 4096

struct snap {
	unsigned int calls;
	uint32_t next_id;
	uint8_t type[MAX_IDS];
	/* what an empty context keeps once it has been used: the table's
	 * arrays and the per-user pin counters */
	uint64_t table_bytes;
	uint32_t access;         /* an access of ctx->accesses, or 0 */
	bool access_has_file;    /* made by the selftest driver */
};

/* What an arena block of n bytes counts in bytes_in_use (0 for none). */
static uint64_t arena_size_of(size_t n)
{
	static char region[1 << 20] __attribute__((aligned(4096)));
	struct uio_arena a;

	if (!n)
		return 0;
	uio_arena_init(&a, region, region + sizeof(region));
	if (!uio_arena_zalloc(&a, n))
		abort();
	return a.bytes_in_use;
}

static void snap_one(struct uio_ctx *ctx, void *arg)
{
	struct snap *sn = arg;
	const struct uio_objtable *t = &ctx->objs;

	sn->calls++;
	sn->next_id = t->next_id;
	if (sn->next_id > MAX_IDS)
		return;
	for (uint32_t id = 1; id < t->next_id && id < t->nslots; id++)
		sn->type[id] = t->slots[id] ? (uint8_t)t->slots[id]->type :
					      UIO_OBJ_NONE;
	sn->table_bytes = arena_size_of((size_t)t->nslots * sizeof(*t->slots)) +
			  arena_size_of((size_t)t->free_cap * sizeof(*t->free_heap));
	for (const struct uio_user *u = ctx->users; u; u = u->next)
		sn->table_bytes += arena_size_of(sizeof(*u));
	sn->access = ctx->accesses ? ctx->accesses->obj.id : 0;
	sn->access_has_file = ctx->accesses && !ctx->accesses->record_unmaps;
}

static void take_snap(struct snap *sn)
{
	memset(sn, 0, sizeof(*sn));
	uio_registry_for_each(snap_one, sn);
	if (sn->calls != 1 || sn->next_id > MAX_IDS) {
		fprintf(stderr, "fuzz: %u contexts, next id %u\n", sn->calls,
			sn->next_id);
		abort();
	}
}

/*
 * IOMMU_DESTROY every object not of type keep (UIO_OBJ_NONE: keep none),
 * pass after pass while one succeeds. The destroys go through the
 * dispatcher.
 */
static void destroy_all(struct state *s, enum uio_obj_type keep)
{
	static struct snap sn;
	bool progress = true;

	while (progress) {
		progress = false;
		take_snap(&sn);
		for (uint32_t id = 1; id < sn.next_id; id++) {
			struct iommu_destroy d = { .size = sizeof(d), .id = id };

			if (sn.type[id] == UIO_OBJ_NONE ||
			    (keep != UIO_OBJ_NONE && sn.type[id] == keep))
				continue;
			memcpy(PAGE(P_ARG), &d, sizeof(d));
			if (!uiommufd_ioctl(s->fd, IOMMU_DESTROY, PAGE(P_ARG)))
				progress = true;
			check(s, "teardown destroy");
		}
	}
}

static void fail(struct state *s, const char *what,
		 const struct uiommufd_stats *st)
{
	uiommufd_dump(s->fd, 2);
	fprintf(stderr,
		"fuzz: %s: objects %llu areas %llu pages %llu pinned %llu arena %llu\n",
		what, (unsigned long long)st->objects,
		(unsigned long long)st->areas,
		(unsigned long long)st->pages_objs,
		(unsigned long long)st->pinned_pages,
		(unsigned long long)st->arena_bytes);
	abort();
}

/*
 * The accesses of the C API have no file: destroy them all. Those of the
 * selftest driver went with their files.
 */
static void destroy_api_accesses(struct state *s)
{
	static struct snap sn;

	for (;;) {
		take_snap(&sn);
		if (!sn.access)
			return;
		if (sn.access_has_file) {
			fprintf(stderr, "fuzz: access %u outlived its file\n",
				sn.access);
			abort();
		}
		if (uiommufd_access_destroy(s->fd, sn.access))
			abort();
		check(s, "teardown access destroy");
	}
}

static void teardown(struct state *s, uint64_t arena0)
{
	static struct snap sn;
	struct uiommufd_stats st;
	uint64_t nioas = 0;

	uiommufd_fail_nth(0);
	if (s->moved)
		move_back(s);
	if (s->caps_changed)
		set_caps(caps0);
	for (unsigned int i = 0; i < s->nfault_fds; i++)
		close_file(s->fault_fds[i]);
	for (unsigned int i = 0; i < s->naccess_fds; i++)
		close_file(s->access_fds[i]);
	check(s, "closing files");
	destroy_api_accesses(s);

	/* Every domain and access gone: nothing may stay pinned. */
	destroy_all(s, UIO_OBJ_IOAS);
	stats(s, &st);
	take_snap(&sn);
	for (uint32_t id = 1; id < sn.next_id; id++)
		nioas += sn.type[id] == UIO_OBJ_IOAS;
	if (st.objects != nioas)
		fail(s, "objects other than IOASes cannot be destroyed", &st);
	if (st.pinned_pages)
		fail(s, "pages pinned without a domain or an access", &st);

	destroy_all(s, UIO_OBJ_NONE);
	stats(s, &st);
	if (st.objects || st.areas || st.pages_objs || st.pinned_pages)
		fail(s, "state left after destroying every object", &st);
	take_snap(&sn);
	if (st.arena_bytes != arena0 + sn.table_bytes)
		fail(s, "arena bytes leaked", &st);

	if (s->dup_fd >= 0 && uiommufd_close(s->dup_fd))
		abort();
	if (uiommufd_close(s->fd))
		abort();
}

/*
 * Which of the fds [lo, lo + FD_WINDOW) are open, in one poll() (a closed
 * fd answers POLLNVAL). Something besides the input may open fds between
 * inputs (libFuzzer, LSan), so each input compares against its own start.
 */
#define FD_WINDOW 64

static uint64_t fds_open(int lo)
{
	struct pollfd p[FD_WINDOW];
	uint64_t open = 0;

	for (int i = 0; i < FD_WINDOW; i++)
		p[i] = (struct pollfd){ .fd = lo + i };
	if (poll(p, FD_WINDOW, 0) < 0)
		abort();
	for (int i = 0; i < FD_WINDOW; i++)
		if (!(p[i].revents & POLLNVAL))
			open |= 1ull << i;
	return open;
}

/* The lowest free fd now, or abort. */
static int lowest_free_fd(void)
{
	int fd = fcntl(devnull, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct state s;
	struct uiommufd_stats st;
	int fd_lo, nops = 0;
	uint64_t open0, leaked;

	init_once();
	block_ensure();
	memset(PAGE(P_ARG), 0, (P_RO - P_ARG) * PG);
	memset(PAGE(P_TAIL), 0, 2 * PG);

	fd_lo = lowest_free_fd();
	open0 = fds_open(fd_lo);
	memset(&s, 0, sizeof(s));
	s.dup_fd = -1;
	s.fd = uiommufd_open(O_RDWR | O_CLOEXEC);
	if (s.fd < 0) {
		perror("fuzz: uiommufd_open");
		abort();
	}
	note_fd(&s, s.fd);
	stats(&s, &st);

	while (in.n && nops++ < MAX_OPS)
		ops[u8(&in) % NOPS](&in, &s);

	teardown(&s, st.arena_bytes);

	/* Nothing this input opened may still be open. */
	if (s.max_fd >= fd_lo + FD_WINDOW) {
		fprintf(stderr, "fuzz: fd %d beyond the checked window\n", s.max_fd);
		abort();
	}
	leaked = fds_open(fd_lo) & ~open0;
	if (leaked) {
		int fd = fd_lo + __builtin_ctzll(leaked);
		char path[64], link[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		fprintf(stderr, "fuzz: fd %d left open (%s)\n", fd, link);
		abort();
	}
	return 0;
}
