// SPDX-License-Identifier: MIT
/*
 * difftest: a seeded random sequence of /dev/iommu, IOMMU_TEST_CMD, fault
 * queue, access and VFIO type1 calls, logged one line per call with only
 * the facts both worlds must agree on. test/diff/run-diff.sh runs the same
 * seed in the reference kernel and under uiommufd-run and compares the logs.
 *
 *   difftest SEED NCMDS [LOGFILE]
 *
 * The program knows nothing of uiommufd. Its arguments are drawn to reach
 * both success and every refusal path: ids live, destroyed and made up;
 * addresses misaligned, overlapping, reserved, outside the aperture, huge;
 * pointers NULL, PROT_NONE, read-only and unmapped; memory from private
 * anonymous, shared anonymous and memfd buffers. Forks run commands in a
 * child on the inherited fds while the parent waits, or in the parent while
 * a child waits to check.
 *
 * A line holds the command number, the command with its arguments in
 * symbolic form (buffer names and offsets, never addresses), the return
 * value and errno name, and the outputs that do not depend on where things
 * are: ids, IOVAs, lengths, counts, bitmaps, fault records and checksums of
 * data read. fd numbers are never printed: an fd is named by what it is.
 *
 * Two rules keep the worlds comparable where they legitimately differ:
 * - automatic IOVAs are only asked for where the alignment the kernel
 *   derives from the user address is at most 4 KiB (x86_64 kernels with THP
 *   allow up to 2 MiB, the User-Mode Linux reference 4 KiB): the buffers
 *   start at an odd 4 KiB page and automatic maps use even page offsets;
 * - commands on fault queue and access files inherited from the parent are
 *   marked "inh"; with DIFFTEST_SKIP_INHERITED_FILES=1 they (and closes and
 *   reopens whose last close would be a child's exit) are drawn (the
 *   sequence stays the same) but not issued. Both worlds agree without it
 *   (the default); it tells such a divergence from others.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define PAGE 4096ull
#define NBUF_MEM 4        /* buffers with memory: anon, shared, memfd, ro */
#define BUF_SIZE (256ull << 10)
#define BUF_STRIDE (1ull << 20)
/*
 * The buffers sit at the start of a 32 MiB PROT_NONE reservation: areas
 * longer than their buffer reach only PROT_NONE memory where commands look
 * (pick_range stays within 8 MiB of an area's start), never memory whose
 * place differs from run to run.
 */
#define REGION_SIZE (32ull << 20)
#define DEEPEST (8ull << 20)
#define GAP_ADDR 0x10000000ull  /* never mapped */

/* ------------------------------------------------------------------ */
/* random numbers */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* ------------------------------------------------------------------ */
/* the model: what the program knows of the context, shared with children */

#define MAX_IOAS 16
#define MAX_AREAS 24
#define MAX_HWPT 24
#define MAX_DEV 12
#define MAX_FAULT 8
#define MAX_ACCESS 8
#define MAX_ITEMS 8
#define MAX_DEAD 32
#define MAX_COOKIES 16
#define MAX_VMAPS 16

enum { B_ANON, B_SHARED, B_MEMFD, B_RO, B_NONE, B_NULL, B_GAP, B_NR };
static const char *const buf_name[B_NR] = {
	"anon", "shared", "memfd", "ro", "none", "null", "gap"
};

struct area_m {
	uint64_t iova, len;
	int buf;          /* -1: unknown memory */
	uint64_t off;
};

struct ioas_m {
	uint32_t id;
	int nareas;
	struct area_m areas[MAX_AREAS];
};

enum { H_PAGING, H_NESTED };

struct hwpt_m {
	uint32_t id;
	int kind;
	uint32_t flags;   /* IOMMU_HWPT_ALLOC_* it was made with */
	uint32_t iotlb;   /* nested: the value it was created with */
	bool autod;       /* made by MOCK_DOMAIN for an IOAS */
	uint32_t ioas;    /* the IOAS it maps (a nested one: its parent's) */
	uint32_t fault;   /* the fault queue it reports to, or 0 */
};

struct dev_m {
	uint32_t stdev, idev, hwpt;
	uint32_t flags;   /* MOCK_FLAGS_DEVICE_* */
};

struct fault_m {
	uint32_t id;
	bool live;
};

struct access_m {
	uint32_t ioas;
	bool pin;
	bool live;
	int holders;      /* processes with the file open */
	int nitems;
	uint32_t items[MAX_ITEMS];
};

struct vmap_m {
	uint64_t iova, len;
};

struct model {
	struct rng rng;
	unsigned int cmdno;
	int nioas;
	struct ioas_m ioas[MAX_IOAS];
	int nhwpt;
	struct hwpt_m hwpt[MAX_HWPT];
	int ndev;
	struct dev_m dev[MAX_DEV];
	int nfault;
	struct fault_m fault[MAX_FAULT];
	int naccess;
	struct access_m access[MAX_ACCESS];
	int ndead;
	uint32_t dead[MAX_DEAD];
	int ncookies;
	uint32_t cookies[MAX_COOKIES];
	int nvmaps[2];    /* per VFIO fd: the container, /dev/iommu */
	struct vmap_m vmaps[2][MAX_VMAPS];
	uint32_t max_id;  /* the largest id seen */
	uint32_t ctx_gen; /* bumped by REOPEN */
};

static struct model *M;

/* ------------------------------------------------------------------ */
/* this process: its fds (private memory, so a child inherits a copy) */

enum { F_FAULT, F_ACCESS };

struct fdent {
	int fd;
	int kind;
	int index;        /* into M->fault or M->access */
	uint32_t ctx_gen;
	bool inherited;
	bool child_holds;  /* a waiting child has a copy */
};

#define MAX_FDS 16
static struct fdent fds[MAX_FDS];
static int nfds;
static int iommufd = -1, vfiofd = -1, memfd_fd = -1;
static bool in_child;
static bool skip_inherited;
static bool pin_wanted;
static bool sum_every;  /* DIFFTEST_SUM_EVERY=1: buffer sums after each */
static int logfd = 1;
static char *region, *bufs[B_NR];
static uint64_t buf_len[B_NR];
/* Scratch memory for outputs and inputs: private, read-write. */
static unsigned char *scratch;
#define SCRATCH_SIZE (4ull << 20) /* followed by a PROT_NONE guard */

/* ------------------------------------------------------------------ */
/* log */

static char line[4096];
static size_t linelen;

static void lp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void lp(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line + linelen, sizeof(line) - linelen, fmt, ap);
	va_end(ap);
	if (n > 0)
		linelen += (size_t)n < sizeof(line) - linelen ?
				   (size_t)n : sizeof(line) - linelen - 1;
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(logfd, p, n);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			_exit(99);
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * A command's line is written in two parts: the command before it is
 * issued (so a hang shows which), the result after.
 */
static void lflush(void)
{
	write_all(line, linelen);
	linelen = 0;
}

static void lstart(const char *name)
{
	linelen = 0;
	lp("%s%u %s", in_child ? "c" : "", M->cmdno, name);
}

static void lend(void)
{
	lp("\n");
	lflush();
}

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Result of an ioctl that returns 0 or -1/errno. */
static void lres(long rc, int e)
{
	if (rc < 0)
		lp(" = -1 %s", ename(e));
	else
		lp(" = %ld", rc);
}

static uint32_t fnv(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *c++) * 16777619u;
	return h;
}

/* ------------------------------------------------------------------ */
/* drawing */

static uint64_t rnd(uint64_t n)
{
	return n ? rng_next(&M->rng) % n : 0;
}

static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static void fill_random(void *p, size_t n)
{
	unsigned char *c = p;

	while (n) {
		uint64_t v = rng_next(&M->rng);
		size_t k = n < 8 ? n : 8;

		memcpy(c, &v, k);
		c += k;
		n -= k;
	}
}

static void note_id(uint32_t id)
{
	if (id > M->max_id && id < 100000)
		M->max_id = id;
}

static void note_dead(uint32_t id)
{
	int i;

	for (i = 0; i < M->ndead; i++)
		if (M->dead[i] == id)
			return;
	if (M->ndead == MAX_DEAD) {
		memmove(M->dead, M->dead + 1, sizeof(M->dead[0]) * (MAX_DEAD - 1));
		M->ndead--;
	}
	M->dead[M->ndead++] = id;
}

static void undead(uint32_t id)
{
	int i;

	for (i = 0; i < M->ndead; i++)
		if (M->dead[i] == id) {
			M->dead[i] = M->dead[--M->ndead];
			return;
		}
}

/* Any id: live objects, destroyed ones, made-up ones. */
static uint32_t any_id(void)
{
	switch (rnd(10)) {
	case 0:
		return 0;
	case 1:
	case 2:
		if (M->ndead)
			return M->dead[rnd(M->ndead)];
		/* fall through */
	case 3:
		return (uint32_t)rnd(M->max_id + 3) + 1;
	case 4:
		return chance(50) ? 0xffffffffu : 1000 + (uint32_t)rnd(10);
	default:
		switch (rnd(4)) {
		case 0:
			if (M->nioas)
				return M->ioas[rnd(M->nioas)].id;
			break;
		case 1:
			if (M->nhwpt)
				return M->hwpt[rnd(M->nhwpt)].id;
			break;
		case 2:
			if (M->ndev) {
				struct dev_m *d = &M->dev[rnd(M->ndev)];

				return chance(50) ? d->stdev : d->idev;
			}
			break;
		default:
			if (M->nfault)
				return M->fault[rnd(M->nfault)].id;
			break;
		}
		return (uint32_t)rnd(M->max_id + 1) + 1;
	}
}

static struct ioas_m *pick_ioas(void)
{
	return M->nioas ? &M->ioas[rnd(M->nioas)] : NULL;
}

static uint32_t ioas_id(int good_pct)
{
	struct ioas_m *io = pick_ioas();

	if (io && chance(good_pct))
		return io->id;
	return any_id();
}

static struct ioas_m *find_ioas(uint32_t id)
{
	int i;

	for (i = 0; i < M->nioas; i++)
		if (M->ioas[i].id == id)
			return &M->ioas[i];
	return NULL;
}

static struct hwpt_m *pick_hwpt(int kind)
{
	int idx[MAX_HWPT], n = 0, i;

	for (i = 0; i < M->nhwpt; i++)
		if (kind < 0 || M->hwpt[i].kind == kind)
			idx[n++] = i;
	return n ? &M->hwpt[idx[rnd(n)]] : NULL;
}

static uint32_t hwpt_id(int kind, int good_pct)
{
	struct hwpt_m *h = pick_hwpt(kind);

	if (h && chance(good_pct))
		return h->id;
	return any_id();
}

static struct dev_m *pick_dev(void)
{
	return M->ndev ? &M->dev[rnd(M->ndev)] : NULL;
}

static uint32_t idev_id(int good_pct)
{
	struct dev_m *d = pick_dev();

	if (d && chance(good_pct))
		return d->idev;
	return any_id();
}

/* A buffer and an offset in it, printed as "buf+0xoff". */
struct mem {
	int buf;
	uint64_t off;
};

static uint64_t mem_addr(struct mem m)
{
	if (m.buf == B_NULL)
		return m.off;
	if (m.buf == B_GAP)
		return GAP_ADDR + m.off;
	return (uint64_t)(uintptr_t)bufs[m.buf] + m.off;
}

static void lmem(const char *name, struct mem m)
{
	lp(" %s=%s+%#llx", name, buf_name[m.buf], (unsigned long long)m.off);
}

/*
 * Memory to map or pin. `even` keeps page-aligned offsets an even number of
 * pages from the buffer's start (the buffer starts at an odd page), so the
 * address is aligned to exactly 4 KiB.
 */
static struct mem pick_mem(bool even)
{
	static const int w[B_NR] = { 30, 22, 22, 10, 6, 5, 5 };
	struct mem m;
	int r = (int)rnd(100), b;

	for (b = 0; b < B_NR - 1 && r >= w[b]; b++)
		r -= w[b];
	m.buf = b;
	switch (rnd(10)) {
	case 0:
	case 1:
		m.off = rnd(BUF_SIZE / PAGE) * PAGE + 1 + rnd(PAGE - 1);
		break;
	case 2:
		m.off = BUF_SIZE - PAGE * (1 + rnd(2));
		break;
	default:
		m.off = rnd(BUF_SIZE / PAGE) * PAGE;
		break;
	}
	if (even && m.off % PAGE == 0)
		m.off &= ~(2 * PAGE - 1);
	return m;
}

static uint64_t pick_len(void)
{
	switch (rnd(20)) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd(PAGE - 1);
	case 2:
		return BUF_SIZE + PAGE;
	case 3:
		switch (rnd(4)) {
		case 0:
			return 1ull << 30;
		case 1:
			return 1ull << 40;
		case 2:
			return ~0ull;
		default:
			return ~0ull - PAGE + 1;
		}
	case 4:
	case 5:
		return PAGE * (1 + rnd(BUF_SIZE / PAGE));
	default:
		return PAGE * (1 + rnd(8));
	}
}

/* An IOVA: in the mock aperture mostly, and every kind of wrong. */
static uint64_t pick_iova(void)
{
	uint64_t base = MOCK_APERTURE_START;

	switch (rnd(20)) {
	case 0:
		return 0;
	case 1:
		return base + rnd(32) * 0x10000 + 0x800;
	case 2:
		return base + rnd(32) * 0x10000 + 1 + rnd(0x7ff);
	case 3:
		return (1ull << 31) + rnd(4) * 0x10000;
	case 4:
		return 1ull << 40;
	case 5:
		return ~0ull - PAGE + 1;
	case 6:
		return rnd(256) * PAGE;
	case 7:
		return base - PAGE * (1 + rnd(4));
	default:
		return base + rnd(32) * 0x10000;
	}
}

static struct area_m *pick_area(struct ioas_m *io)
{
	return io && io->nareas ? &io->areas[rnd(io->nareas)] : NULL;
}

/* An IOVA range: most often inside a mapped area. */
static void pick_range(uint32_t ioas, __u64 *iova, __u64 *len)
{
	struct area_m *a = pick_area(find_ioas(ioas));

	if (!a && M->nioas)
		a = pick_area(pick_ioas());
	if (a && chance(80)) {
		uint64_t pages = (a->len + PAGE - 1) / PAGE, first;

		if (pages > DEEPEST / PAGE)
			pages = DEEPEST / PAGE;
		first = rnd(pages);
		*iova = a->iova + first * PAGE;
		*len = PAGE * (1 + rnd(pages - first));
		if (*len > a->len - first * PAGE && chance(70))
			*len = a->len - first * PAGE;
		if (chance(10))
			*iova += 1 + rnd(PAGE - 1);
		if (!*len)
			*len = 1;
		return;
	}
	*iova = pick_iova();
	*len = pick_len();
}

/* ------------------------------------------------------------------ */
/* model updates */

static void model_add_area(uint32_t ioas, uint64_t iova, uint64_t len, int buf,
			   uint64_t off)
{
	struct ioas_m *io = find_ioas(ioas);

	if (!io || io->nareas == MAX_AREAS)
		return;
	io->areas[io->nareas++] = (struct area_m){ iova, len, buf, off };
}

/* IOAS_UNMAP succeeded on [iova, iova + len): the areas inside are gone. */
static void model_unmap(uint32_t ioas, uint64_t iova, uint64_t len, bool all)
{
	struct ioas_m *io = find_ioas(ioas);
	uint64_t last = iova + len - 1;
	int i;

	if (!io)
		return;
	if (last < iova)
		last = ~0ull;
	for (i = 0; i < io->nareas;) {
		struct area_m *a = &io->areas[i];

		if (all || (a->iova >= iova && a->iova + a->len - 1 <= last))
			*a = io->areas[--io->nareas];
		else
			i++;
	}
}

/*
 * The user address behind [iova, iova + len) of ioas if one area holds it
 * all: the address an automatic IOAS_COPY derives its alignment from.
 */
static bool model_addr(uint32_t ioas, uint64_t iova, uint64_t len,
		       struct mem *m)
{
	struct ioas_m *io = find_ioas(ioas);
	int i;

	if (!io)
		return false;
	for (i = 0; i < io->nareas; i++) {
		struct area_m *a = &io->areas[i];

		if (a->buf >= 0 && iova >= a->iova && len &&
		    iova - a->iova + len <= a->len) {
			m->buf = a->buf;
			m->off = a->off + (iova - a->iova);
			return true;
		}
	}
	return false;
}

static void model_drop_ioas(uint32_t id)
{
	int i;

	for (i = 0; i < M->nioas; i++)
		if (M->ioas[i].id == id) {
			M->ioas[i] = M->ioas[--M->nioas];
			return;
		}
}

static void model_drop_id(uint32_t id)
{
	int i;

	model_drop_ioas(id);
	for (i = 0; i < M->nhwpt; i++)
		if (M->hwpt[i].id == id) {
			M->hwpt[i] = M->hwpt[--M->nhwpt];
			break;
		}
	for (i = 0; i < M->ndev; i++)
		if (M->dev[i].stdev == id) {
			uint32_t h = M->dev[i].hwpt;
			int j;

			/* A domain made for the device goes with it, maybe. */
			for (j = 0; j < M->nhwpt; j++)
				if (M->hwpt[j].id == h && M->hwpt[j].autod)
					M->hwpt[j] = M->hwpt[--M->nhwpt];
			M->dev[i] = M->dev[--M->ndev];
			break;
		}
	for (i = 0; i < M->nfault; i++)
		if (M->fault[i].id == id)
			M->fault[i].live = false;
	note_dead(id);
}

static void model_reset(void)
{
	struct rng r = M->rng;
	unsigned int cmdno = M->cmdno, gen = M->ctx_gen;

	memset(M, 0, sizeof(*M));
	M->rng = r;
	M->cmdno = cmdno;
	M->ctx_gen = gen + 1;
}

/* ------------------------------------------------------------------ */
/* ioctl plumbing */

static int issue(int fd, unsigned long req, void *arg, long *rc)
{
	long r = ioctl(fd, req, arg);

	*rc = r;
	return r < 0 ? errno : 0;
}

/*
 * A struct command with a size variant: mostly its own size, sometimes too
 * small, or larger with a zero or non-zero tail. The struct is copied to
 * the front of a larger buffer, issued, and copied back.
 */
static int sized_ioctl(int fd, unsigned long req, void *s, size_t len,
		       long *rc)
{
	static unsigned char big[256] __attribute__((aligned(8)));
	uint32_t size = (uint32_t)len;
	int e, v = (int)rnd(40);

	memset(big, 0, sizeof(big));
	/*
	 * Too small: a multiple of 8, so no pointer field is cut in half (the
	 * half left would be an address that differs between the worlds).
	 */
	if (v == 0)
		size = 8 * (uint32_t)rnd(len / 8);
	else if (v == 1)
		size = (uint32_t)len + 8;
	else if (v == 2) {
		size = (uint32_t)len + 8;
		big[len + 4] = 1;
	}
	memcpy(big, s, len);
	memcpy(big, &size, 4);
	if (size != len)
		lp(" size=%u%s", size, v == 2 ? "!" : "");
	e = issue(fd, req, big, rc);
	memcpy(s, big, len);
	return e;
}

/* IOMMU_TEST_CMD */
static int test_cmd(struct iommu_test_cmd *c, long *rc)
{
	c->size = sizeof(*c);
	return issue(iommufd, IOMMU_TEST_CMD, c, rc);
}

/* A pointer for the kernel to read: scratch, NULL, PROT_NONE or unmapped. */
static void *in_ptr(int good_pct, const char **name)
{
	if (chance(good_pct)) {
		*name = "scratch";
		return scratch;
	}
	switch (rnd(3)) {
	case 0:
		*name = "null";
		return NULL;
	case 1:
		*name = "none";
		return bufs[B_NONE];
	default:
		*name = "gap";
		return (void *)(uintptr_t)GAP_ADDR;
	}
}

/* A pointer for the kernel to write: scratch, or NULL/PROT_NONE/read-only. */
static void *out_ptr(int good_pct, const char **name)
{
	if (chance(good_pct)) {
		*name = "scratch";
		return scratch;
	}
	switch (rnd(3)) {
	case 0:
		*name = "null";
		return NULL;
	case 1:
		*name = "none";
		return bufs[B_NONE];
	default:
		*name = "ro";
		return bufs[B_RO];
	}
}

/* ------------------------------------------------------------------ */
/* fds of this process */

static struct fdent *pick_fd(int kind)
{
	int idx[MAX_FDS], n = 0, i;

	for (i = 0; i < nfds; i++)
		if (fds[i].kind == kind)
			idx[n++] = i;
	return n ? &fds[idx[rnd(n)]] : NULL;
}

static void add_fd(int fd, int kind, int index)
{
	if (nfds == MAX_FDS) {
		close(fd);
		if (kind == F_ACCESS)
			M->access[index].holders--;
		return;
	}
	fds[nfds++] = (struct fdent){ fd, kind, index, M->ctx_gen, false, false };
}

static void drop_fd(struct fdent *f)
{
	*f = fds[--nfds];
}

/* Print an fd by what it is; true if the command must be skipped. */
static bool lfd(const char *name, struct fdent *f)
{
	lp(" %s=%s%d", name, f->kind == F_FAULT ? "fault" : "access", f->index);
	if (f->ctx_gen != M->ctx_gen)
		lp("(old%u)", f->ctx_gen);
	if (f->inherited)
		lp("(inh)");
	if (f->inherited && skip_inherited) {
		lp(" skipped\n");
		lflush();
		return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* IOAS commands */

static void cmd_ioas_alloc(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	long rc;
	int e;

	lstart("IOAS_ALLOC");
	if (chance(3)) {
		a.flags = 1;
		lp(" flags=1");
	}
	e = sized_ioctl(iommufd, IOMMU_IOAS_ALLOC, &a, sizeof(a), &rc);
	lres(rc, e);
	if (!e) {
		lp(" id=%u", a.out_ioas_id);
		note_id(a.out_ioas_id);
		undead(a.out_ioas_id);
		if (M->nioas < MAX_IOAS) {
			memset(&M->ioas[M->nioas], 0, sizeof(M->ioas[0]));
			M->ioas[M->nioas++].id = a.out_ioas_id;
		}
	}
	lend();
}

/* An automatic IOVA for addr/len: same in both worlds? (see the top) */
static bool auto_ok(uint64_t addr, uint64_t len)
{
	return len <= PAGE || (addr && (addr & -addr) <= PAGE);
}

static void cmd_ioas_map(void)
{
	struct iommu_ioas_map m = { .size = sizeof(m) };
	bool fixed = chance(50);
	struct mem mem = pick_mem(!fixed);
	long rc;
	int e;

	m.ioas_id = ioas_id(90);
	m.length = chance(60) ? PAGE * (1 + rnd(16)) : pick_len();
	switch (rnd(8)) {
	case 0:
		m.flags = IOMMU_IOAS_MAP_READABLE;
		break;
	case 1:
		m.flags = IOMMU_IOAS_MAP_WRITEABLE;
		break;
	case 2:
		m.flags = chance(20) ? 1u << (3 + rnd(3)) : 0;
		break;
	default:
		m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		break;
	}
	m.user_va = mem_addr(mem);
	if (!fixed && !auto_ok(m.user_va, m.length))
		fixed = true;
	if (fixed) {
		m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		m.iova = pick_iova();
		if (chance(20)) {
			struct area_m *a = pick_area(find_ioas(m.ioas_id));

			if (a)
				m.iova = a->iova + (chance(50) ? 0 : PAGE);
		}
	} else if (chance(5)) {
		m.iova = pick_iova(); /* ignored without FIXED_IOVA */
	}
	lstart("IOAS_MAP");
	lp(" ioas=%u flags=%#x", m.ioas_id, m.flags);
	lmem("va", mem);
	lp(" len=%#llx iova=%#llx", (unsigned long long)m.length,
	   (unsigned long long)m.iova);
	lflush();
	e = sized_ioctl(iommufd, IOMMU_IOAS_MAP, &m, sizeof(m), &rc);
	lres(rc, e);
	if (!e) {
		lp(" iova=%#llx", (unsigned long long)m.iova);
		model_add_area(m.ioas_id, m.iova, m.length, mem.buf, mem.off);
	}
	lend();
}

static void cmd_ioas_unmap(void)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	struct ioas_m *io = pick_ioas();
	struct area_m *a = pick_area(io), *b = pick_area(io);
	bool all = false;
	long rc;
	int e;

	u.ioas_id = io && chance(90) ? io->id : any_id();
	switch (rnd(10)) {
	case 0:
	case 1:
		u.iova = 0;
		u.length = ~0ull;
		all = true;
		break;
	case 2:
		if (a && b) {
			uint64_t lo = a->iova < b->iova ? a->iova : b->iova;
			uint64_t hi = a->iova + a->len > b->iova + b->len ?
					      a->iova + a->len : b->iova + b->len;

			u.iova = lo;
			u.length = hi - lo;
			break;
		}
		/* fall through */
	case 3:
		if (a) {
			u.iova = a->iova + PAGE * rnd(2);
			u.length = a->len > PAGE ? a->len - PAGE : a->len;
			break;
		}
		/* fall through */
	case 4:
		pick_range(u.ioas_id, &u.iova, &u.length);
		break;
	case 5:
		u.iova = pick_iova();
		u.length = pick_len();
		break;
	default:
		if (a) {
			u.iova = a->iova;
			u.length = a->len;
		} else {
			u.iova = pick_iova();
			u.length = PAGE;
		}
		break;
	}
	lstart("IOAS_UNMAP");
	lp(" ioas=%u iova=%#llx len=%#llx", u.ioas_id,
	   (unsigned long long)u.iova, (unsigned long long)u.length);
	lflush();
	e = sized_ioctl(iommufd, IOMMU_IOAS_UNMAP, &u, sizeof(u), &rc);
	lres(rc, e);
	if (!e) {
		lp(" unmapped=%#llx", (unsigned long long)u.length);
		model_unmap(u.ioas_id, u.iova, u.length, all && !u.iova);
	}
	lend();
}

static void cmd_ioas_copy(void)
{
	struct iommu_ioas_copy c = { .size = sizeof(c) };
	struct ioas_m *src = pick_ioas(), *dst = pick_ioas();
	struct mem mem = { -1, 0 };
	bool known;
	long rc;
	int e;

	c.src_ioas_id = src && chance(90) ? src->id : any_id();
	c.dst_ioas_id = dst && chance(90) ? dst->id : any_id();
	pick_range(c.src_ioas_id, &c.src_iova, &c.length);
	c.flags = chance(80) ? IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE :
			       (uint32_t)rnd(16);
	known = model_addr(c.src_ioas_id, c.src_iova, c.length, &mem);
	if (chance(50) || !known || !auto_ok(mem_addr(mem), c.length)) {
		c.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
		c.dst_iova = pick_iova();
	}
	lstart("IOAS_COPY");
	lp(" dst=%u src=%u flags=%#x len=%#llx src_iova=%#llx dst_iova=%#llx",
	   c.dst_ioas_id, c.src_ioas_id, c.flags, (unsigned long long)c.length,
	   (unsigned long long)c.src_iova, (unsigned long long)c.dst_iova);
	lflush();
	e = sized_ioctl(iommufd, IOMMU_IOAS_COPY, &c, sizeof(c), &rc);
	lres(rc, e);
	if (!e) {
		lp(" dst_iova=%#llx", (unsigned long long)c.dst_iova);
		model_add_area(c.dst_ioas_id, c.dst_iova, c.length,
			       known ? mem.buf : -1, known ? mem.off : 0);
	}
	lend();
}

static void cmd_allow_iovas(void)
{
	struct iommu_ioas_allow_iovas a = { .size = sizeof(a) };
	struct iommu_iova_range *r = (void *)scratch;
	const char *pname = "scratch";
	long rc;
	int e;
	uint32_t i;

	a.ioas_id = ioas_id(90);
	a.num_iovas = chance(20) ? 0 : (uint32_t)rnd(4);
	for (i = 0; i < a.num_iovas; i++) {
		switch (rnd(6)) {
		case 0:
			r[i].start = 0;
			r[i].last = ~0ull;
			break;
		case 1:
			r[i].start = pick_iova();
			r[i].last = r[i].start - 1;
			break;
		case 2:
			r[i].start = pick_iova();
			r[i].last = r[i].start + rnd(4) * PAGE + 0x7ff;
			break;
		default:
			r[i].start = MOCK_APERTURE_START + rnd(16) * 0x10000;
			r[i].last = r[i].start + (1 + rnd(64)) * 0x10000 - 1;
			break;
		}
	}
	if (a.num_iovas && chance(8))
		a.allowed_iovas = (uintptr_t)in_ptr(0, &pname);
	else
		a.allowed_iovas = (uintptr_t)r;
	lstart("ALLOW_IOVAS");
	lp(" ioas=%u n=%u ptr=%s", a.ioas_id, a.num_iovas, pname);
	for (i = 0; i < a.num_iovas && a.allowed_iovas == (uintptr_t)r; i++)
		lp(" [%#llx,%#llx]", (unsigned long long)r[i].start,
		   (unsigned long long)r[i].last);
	e = sized_ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a), &rc);
	lres(rc, e);
	lend();
}

static void cmd_iova_ranges(void)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q) };
	struct iommu_iova_range *r = (void *)scratch;
	const char *pname = "scratch";
	long rc;
	int e;
	uint32_t i;

	q.ioas_id = ioas_id(90);
	q.num_iovas = (uint32_t)rnd(5);
	q.allowed_iovas = (uintptr_t)(q.num_iovas ? out_ptr(90, &pname) : r);
	memset(scratch, 0, 256);
	lstart("IOVA_RANGES");
	lp(" ioas=%u n=%u ptr=%s", q.ioas_id, q.num_iovas, pname);
	e = sized_ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &q, sizeof(q), &rc);
	lres(rc, e);
	if (!e || e == EMSGSIZE)
		lp(" n=%u", q.num_iovas);
	if (!e) {
		lp(" align=%#llx", (unsigned long long)q.out_iova_alignment);
		for (i = 0; i < q.num_iovas && q.allowed_iovas == (uintptr_t)r; i++)
			lp(" [%#llx,%#llx]", (unsigned long long)r[i].start,
			   (unsigned long long)r[i].last);
	}
	lend();
}

static void cmd_option(void)
{
	struct iommu_option o = { .size = sizeof(o) };
	long rc;
	int e;

	o.option_id = chance(90) ? (uint32_t)rnd(2) : 2 + (uint32_t)rnd(3);
	o.op = chance(95) ? (uint16_t)rnd(2) : 2;
	if (o.option_id == IOMMU_OPTION_HUGE_PAGES)
		o.object_id = ioas_id(85);
	else if (chance(10))
		o.object_id = any_id();
	o.val64 = chance(90) ? rnd(2) : rnd(4);
	if (chance(3))
		o.__reserved = 1;
	lstart("OPTION");
	lp(" opt=%u op=%u obj=%u val=%llu%s", o.option_id, o.op, o.object_id,
	   (unsigned long long)o.val64, o.__reserved ? " rsv" : "");
	e = sized_ioctl(iommufd, IOMMU_OPTION, &o, sizeof(o), &rc);
	lres(rc, e);
	if (!e && o.op == IOMMU_OPTION_OP_GET)
		lp(" val=%llu", (unsigned long long)o.val64);
	lend();
}

static void cmd_destroy(void)
{
	struct iommu_destroy d = { .size = sizeof(d) };
	long rc;
	int e;

	d.id = any_id();
	lstart("DESTROY");
	lp(" id=%u", d.id);
	lflush();
	e = sized_ioctl(iommufd, IOMMU_DESTROY, &d, sizeof(d), &rc);
	lres(rc, e);
	if (!e)
		model_drop_id(d.id);
	lend();
}

static void cmd_add_reserved(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ADD_RESERVED };
	long rc;
	int e;

	c.id = ioas_id(90);
	c.add_reserved.start = pick_iova();
	c.add_reserved.length = chance(70) ? PAGE * (1 + rnd(16)) : pick_len();
	lstart("ADD_RESERVED");
	lp(" ioas=%u start=%#llx len=%#llx", c.id,
	   (unsigned long long)c.add_reserved.start,
	   (unsigned long long)c.add_reserved.length);
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

/* ------------------------------------------------------------------ */
/* mock devices and hwpts */

static struct hwpt_m *find_hwpt(uint32_t id)
{
	int i;

	for (i = 0; i < M->nhwpt; i++)
		if (M->hwpt[i].id == id)
			return &M->hwpt[i];
	return NULL;
}

/* The IOAS behind a page table id: an IOAS itself, or a hwpt's. */
static uint32_t ioas_of(uint32_t pt)
{
	struct hwpt_m *h = find_hwpt(pt);

	if (find_ioas(pt))
		return pt;
	return h ? h->ioas : 0;
}

static void add_hwpt(uint32_t id, int kind, uint32_t flags, uint32_t iotlb,
		     bool autod, uint32_t pt, uint32_t fault)
{
	note_id(id);
	undead(id);
	if (find_hwpt(id) || M->nhwpt == MAX_HWPT)
		return;
	M->hwpt[M->nhwpt++] = (struct hwpt_m){ id, kind, flags, iotlb, autod,
					       ioas_of(pt), fault };
}

/* MOCK_DOMAIN(_FLAGS) on pt: the new device in the model, or NULL. */
static struct dev_m *issue_mock_domain(uint32_t pt, bool with_flags,
				       uint32_t dev_flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };
	struct dev_m *d = NULL;
	long rc;
	int e;

	lstart(with_flags ? "MOCK_DOMAIN_FLAGS" : "MOCK_DOMAIN");
	if (with_flags) {
		c.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
		c.mock_domain_flags.dev_flags = dev_flags;
		lp(" dev_flags=%#x", c.mock_domain_flags.dev_flags);
	}
	lp(" pt=%u", c.id);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e) {
		bool made = find_ioas(c.id) != NULL;

		lp(" stdev=%u hwpt=%u idev=%u", c.mock_domain.out_stdev_id,
		   c.mock_domain.out_hwpt_id, c.mock_domain.out_idev_id);
		note_id(c.mock_domain.out_stdev_id);
		note_id(c.mock_domain.out_idev_id);
		undead(c.mock_domain.out_stdev_id);
		undead(c.mock_domain.out_idev_id);
		add_hwpt(c.mock_domain.out_hwpt_id, H_PAGING, 0, 0, made, pt, 0);
		if (M->ndev < MAX_DEV) {
			d = &M->dev[M->ndev++];
			*d = (struct dev_m){ c.mock_domain.out_stdev_id,
					     c.mock_domain.out_idev_id,
					     c.mock_domain.out_hwpt_id,
					     with_flags ? dev_flags : 0 };
		}
	}
	lend();
	return d;
}

static void cmd_mock_domain(void)
{
	bool with_flags = chance(40);

	issue_mock_domain(chance(75) ? ioas_id(95) : hwpt_id(H_PAGING, 80),
			  with_flags,
			  chance(95) ? (uint32_t)rnd(4) : 1u << (2 + rnd(4)));
}

/* MOCK_DOMAIN_REPLACE of stdev to pt (d: stdev's device in the model). */
static bool issue_mock_replace(struct dev_m *d, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				    .id = stdev };
	long rc;
	int e;

	c.mock_domain_replace.pt_id = pt;
	lstart("MOCK_REPLACE");
	lp(" stdev=%u pt=%u", c.id, c.mock_domain_replace.pt_id);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e) {
		uint32_t out = c.mock_domain_replace.pt_id;

		lp(" pt=%u", out);
		if (d && d->stdev == stdev) {
			/* An IOAS answers with the domain chosen or made for it. */
			d->hwpt = out;
			add_hwpt(out, H_PAGING, 0, 0, find_ioas(pt) != NULL, pt, 0);
		}
	}
	lend();
	return !e;
}

static void cmd_mock_replace(void)
{
	struct dev_m *d = pick_dev();

	issue_mock_replace(d, d && chance(90) ? d->stdev : any_id(),
			   chance(33) ? ioas_id(90) : hwpt_id(-1, 90));
}

static void cmd_fault_alloc(void);
static void cmd_trigger_iopf(void);
static void cmd_set_dirty_on(uint32_t hwpt, uint32_t flags);

static struct fault_m *pick_fault(void)
{
	return M->nfault ? &M->fault[rnd(M->nfault)] : NULL;
}

/*
 * HWPT_ALLOC of a as built; the selftest data (iotlb) is at scratch,
 * pname names data_uptr. The new id or 0.
 */
static uint32_t issue_hwpt_alloc(struct iommu_hwpt_alloc *a, const char *pname)
{
	struct iommu_hwpt_selftest *data = (void *)scratch;
	uint32_t iotlb = data->iotlb;
	long rc;
	int e;

	lstart("HWPT_ALLOC");
	lp(" dev=%u pt=%u flags=%#x type=%#x len=%u ptr=%s iotlb=%#x fault=%u%s",
	   a->dev_id, a->pt_id, a->flags, a->data_type, a->data_len,
	   a->data_uptr ? pname : "null", iotlb, a->fault_id,
	   a->__reserved ? " rsv" : "");
	lflush();
	e = sized_ioctl(iommufd, IOMMU_HWPT_ALLOC, a, sizeof(*a), &rc);
	lres(rc, e);
	if (!e) {
		lp(" id=%u", a->out_hwpt_id);
		add_hwpt(a->out_hwpt_id,
			 a->data_type == IOMMU_HWPT_DATA_SELFTEST ? H_NESTED : H_PAGING,
			 a->flags, iotlb, false, a->pt_id,
			 a->flags & IOMMU_HWPT_FAULT_ID_VALID ? a->fault_id : 0);
	}
	lend();
	return e ? 0 : a->out_hwpt_id;
}

/* A well-formed HWPT_ALLOC: paging on an IOAS, or nested on a parent. */
static uint32_t hwpt_alloc_good(uint32_t dev, uint32_t pt, uint32_t flags,
				uint32_t fault, bool nested)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = dev,
				      .pt_id = pt, .flags = flags };
	struct iommu_hwpt_selftest *data = (void *)scratch;

	memset(scratch, 0, 16);
	if (fault) {
		a.flags |= IOMMU_HWPT_FAULT_ID_VALID;
		a.fault_id = fault;
	}
	if (nested) {
		a.data_type = IOMMU_HWPT_DATA_SELFTEST;
		a.data_len = sizeof(*data);
		a.data_uptr = (uintptr_t)scratch;
		data->iotlb = chance(50) ? IOMMU_TEST_IOTLB_DEFAULT :
					   (uint32_t)rnd(0x10000);
	}
	return issue_hwpt_alloc(&a, "scratch");
}

static void cmd_hwpt_alloc(void)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a) };
	struct iommu_hwpt_selftest *data = (void *)scratch;
	const char *pname = "scratch";
	struct hwpt_m *parent = NULL;
	bool nested = chance(40);

	memset(scratch, 0, 16);
	a.dev_id = idev_id(90);
	if (nested) {
		parent = pick_hwpt(H_PAGING);
		a.pt_id = parent && chance(90) ? parent->id : any_id();
	} else {
		a.pt_id = chance(85) ? ioas_id(95) : hwpt_id(-1, 80);
	}
	if (chance(50))
		a.flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	if (chance(40))
		a.flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	if (chance(25)) {
		struct fault_m *f = pick_fault();

		a.flags |= IOMMU_HWPT_FAULT_ID_VALID;
		a.fault_id = f && chance(85) ? f->id : any_id();
	}
	if (chance(3))
		a.flags |= 1u << (3 + rnd(3));
	if (nested) {
		a.data_type = chance(90) ? IOMMU_HWPT_DATA_SELFTEST :
					   (uint32_t)rnd(3);
		a.data_len = chance(90) ? sizeof(*data) : (uint32_t)rnd(12);
		data->iotlb = chance(70) ? IOMMU_TEST_IOTLB_DEFAULT :
					   (uint32_t)rnd(0x10000);
		if (chance(5))
			scratch[4] = 1;
		a.data_uptr = (uintptr_t)in_ptr(90, &pname);
	} else if (chance(5)) {
		a.data_type = (uint32_t)rnd(3);
		a.data_len = (uint32_t)rnd(8);
		a.data_uptr = (uintptr_t)in_ptr(50, &pname);
	}
	if (chance(2))
		a.__reserved = 1;
	issue_hwpt_alloc(&a, pname);
}

/* ------------------------------------------------------------------ */
/*
 * Scenarios: short chains of well-formed commands that reach states a
 * random draw rarely does (a device on a fault-reporting or a nested or a
 * dirty-tracking hwpt, a VFIO container with an IOAS, an access that
 * pins). Each command is logged as itself.
 */

/* A device to work with: one of the model's, or a new one on an IOAS. */
static struct dev_m *some_dev(bool dirty_capable)
{
	int idx[MAX_DEV], n = 0, i;

	for (i = 0; i < M->ndev; i++)
		if (!dirty_capable || !(M->dev[i].flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
			idx[n++] = i;
	if (n && chance(80))
		return &M->dev[idx[rnd(n)]];
	if (!M->nioas)
		return NULL;
	return issue_mock_domain(M->ioas[rnd(M->nioas)].id, chance(50),
				 dirty_capable ? (uint32_t)rnd(2) * 2 : (uint32_t)rnd(4));
}

/* The IOAS a device's page table maps, or another one. */
static uint32_t dev_ioas(struct dev_m *d)
{
	uint32_t io = ioas_of(d->hwpt);

	return io && chance(80) ? io : ioas_id(100);
}

static void cmd_scn_iopf(void)
{
	struct dev_m *d = some_dev(false);
	struct fault_m *f = NULL;
	uint32_t h, fid;
	int i;

	if (!d)
		return;
	for (i = 0; i < M->nfault; i++)
		if (M->fault[i].live && chance(70))
			f = &M->fault[i];
	if (!f) {
		cmd_fault_alloc();
		if (!M->nfault || !M->fault[M->nfault - 1].live)
			return;
		f = &M->fault[M->nfault - 1];
	}
	fid = f->id;
	/* (6.12 takes a fault queue on nested hwpts only: EOPNOTSUPP else.) */
	if (chance(90)) {
		/* A nested hwpt with the fault queue, on a nest parent. */
		uint32_t parent = hwpt_alloc_good(d->idev, dev_ioas(d),
						  IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
						  false);

		if (!parent)
			return;
		h = hwpt_alloc_good(d->idev, parent, 0, fid, true);
	} else {
		h = hwpt_alloc_good(d->idev, dev_ioas(d), 0, fid, false);
	}
	if (h && issue_mock_replace(d, d->stdev, h))
		for (i = (int)rnd(3); i >= 0; i--)
			cmd_trigger_iopf();
}

static void cmd_scn_nested(void)
{
	struct dev_m *d = some_dev(false);
	uint32_t parent, h;

	if (!d)
		return;
	parent = hwpt_alloc_good(d->idev, dev_ioas(d),
				 IOMMU_HWPT_ALLOC_NEST_PARENT |
				 (chance(30) ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0),
				 0, false);
	if (!parent)
		return;
	h = hwpt_alloc_good(d->idev, parent, 0, 0, true);
	if (h && chance(60))
		issue_mock_replace(d, d->stdev, h);
}

static void cmd_scn_dirty(void)
{
	struct dev_m *d = some_dev(true);
	uint32_t h;

	if (!d)
		return;
	h = hwpt_alloc_good(d->idev, dev_ioas(d), IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			    0, false);
	if (h && issue_mock_replace(d, d->stdev, h))
		cmd_set_dirty_on(h, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
}

static void cmd_hw_info(void)
{
	struct iommu_hw_info h = { .size = sizeof(h) };
	const char *pname = "scratch";
	struct dev_m *d = pick_dev();
	long rc;
	int e;

	h.dev_id = d && chance(80) ? (chance(85) ? d->idev : d->stdev) : any_id();
	h.data_len = (uint32_t)(rnd(4) * 4);
	if (chance(10))
		h.data_len = 64;
	h.data_uptr = (uintptr_t)out_ptr(90, &pname);
	memset(scratch, 0xa5, 64);
	if (chance(3))
		h.flags = 1;
	lstart("GET_HW_INFO");
	lp(" dev=%u len=%u ptr=%s flags=%u", h.dev_id, h.data_len, pname, h.flags);
	e = sized_ioctl(iommufd, IOMMU_GET_HW_INFO, &h, sizeof(h), &rc);
	lres(rc, e);
	if (!e) {
		lp(" type=%#x len=%u caps=%#llx pasid=%u", h.out_data_type,
		   h.data_len, (unsigned long long)h.out_capabilities,
		   h.out_max_pasid_log2);
		if (h.data_uptr == (uintptr_t)scratch)
			lp(" data=%08x", fnv(scratch, 64));
	}
	lend();
}

static void cmd_invalidate(void)
{
	struct iommu_hwpt_invalidate iv = { .size = sizeof(iv) };
	struct iommu_hwpt_invalidate_selftest *ent = (void *)scratch;
	const char *pname = "scratch";
	long rc;
	int e;
	uint32_t i;

	iv.hwpt_id = chance(85) ? hwpt_id(H_NESTED, 90) : hwpt_id(-1, 90);
	iv.data_type = chance(85) ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST :
		       chance(50) ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID :
				    (uint32_t)rnd(2);
	iv.entry_len = chance(85) ? sizeof(*ent) : (uint32_t)(rnd(5) * 4);
	iv.entry_num = (uint32_t)rnd(4);
	memset(scratch, 0, 256);
	for (i = 0; i < iv.entry_num; i++) {
		struct iommu_hwpt_invalidate_selftest *en =
			(void *)(scratch + i * (iv.entry_len ? iv.entry_len : 8));

		en->flags = chance(80) ? (chance(30) ? IOMMU_TEST_INVALIDATE_FLAG_ALL : 0) :
					 (uint32_t)rnd(4);
		en->iotlb_id = chance(90) ? (uint32_t)rnd(4) : 4 + (uint32_t)rnd(3);
	}
	iv.data_uptr = (uintptr_t)(iv.entry_num ? in_ptr(92, &pname) : scratch);
	lstart("HWPT_INVALIDATE");
	lp(" hwpt=%u type=%#x entry_len=%u num=%u ptr=%s", iv.hwpt_id,
	   iv.data_type, iv.entry_len, iv.entry_num, pname);
	for (i = 0; i < iv.entry_num && iv.data_uptr == (uintptr_t)scratch; i++) {
		struct iommu_hwpt_invalidate_selftest *en =
			(void *)(scratch + i * (iv.entry_len ? iv.entry_len : 8));

		lp(" {%#x,%u}", en->flags, en->iotlb_id);
	}
	e = sized_ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &iv, sizeof(iv), &rc);
	lres(rc, e);
	lp(" num=%u", iv.entry_num);
	lend();
}

static void cmd_check_iotlb(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB };
	struct hwpt_m *h = pick_hwpt(H_NESTED);
	long rc;
	int e;

	c.id = h && chance(90) ? h->id : any_id();
	c.check_iotlb.id = chance(90) ? (uint32_t)rnd(4) : 4;
	c.check_iotlb.iotlb = chance(50) && h ? h->iotlb : chance(50) ? 0 :
						   IOMMU_TEST_IOTLB_DEFAULT;
	lstart("CHECK_IOTLB");
	lp(" hwpt=%u idx=%u val=%#x", c.id, c.check_iotlb.id, c.check_iotlb.iotlb);
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

/* ------------------------------------------------------------------ */
/* dirty tracking */

/* A paging hwpt, most often one made with DIRTY_TRACKING. */
static uint32_t dirty_hwpt(void)
{
	int idx[MAX_HWPT], n = 0, i;

	for (i = 0; i < M->nhwpt; i++)
		if (M->hwpt[i].flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
			idx[n++] = i;
	if (n && chance(70))
		return M->hwpt[idx[rnd(n)]].id;
	return hwpt_id(H_PAGING, 90);
}

static void cmd_set_dirty_on(uint32_t hwpt, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s),
						   .flags = flags,
						   .hwpt_id = hwpt };
	long rc;
	int e;

	lstart("SET_DIRTY");
	lp(" hwpt=%u flags=%#x", s.hwpt_id, s.flags);
	e = sized_ioctl(iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s, sizeof(s), &rc);
	lres(rc, e);
	lend();
}

static void cmd_set_dirty(void)
{
	uint32_t h = chance(85) ? dirty_hwpt() : hwpt_id(-1, 85);

	cmd_set_dirty_on(h, chance(90) ? (uint32_t)rnd(2) : 2);
}

static uint64_t pick_page_size(void)
{
	static const uint64_t ps[] = { 4096, 4096, 4096, 2048, 8192, 0, 3, 1 << 20 };

	return ps[rnd(sizeof(ps) / sizeof(ps[0]))];
}

static uint32_t hwpt_ioas_guess(uint32_t hwpt)
{
	uint32_t io = ioas_of(hwpt);

	if (io && chance(85))
		return io;
	return M->nioas ? M->ioas[rnd(M->nioas)].id : 0;
}

static void cmd_get_dirty(void)
{
	struct iommu_hwpt_get_dirty_bitmap g = { .size = sizeof(g) };
	const char *pname = "scratch";
	long rc;
	int e;

	g.hwpt_id = dirty_hwpt();
	pick_range(hwpt_ioas_guess(g.hwpt_id), &g.iova, &g.length);
	if (chance(70)) {
		g.iova &= ~(PAGE - 1);
		g.length = (g.length + PAGE - 1) & ~(PAGE - 1);
	}
	g.page_size = pick_page_size();
	g.flags = chance(90) ? (uint32_t)rnd(2) : 2;
	g.data = (uintptr_t)out_ptr(90, &pname);
	memset(scratch, 0, 512);
	lstart("GET_DIRTY");
	lp(" hwpt=%u iova=%#llx len=%#llx ps=%#llx flags=%#x ptr=%s", g.hwpt_id,
	   (unsigned long long)g.iova, (unsigned long long)g.length,
	   (unsigned long long)g.page_size, g.flags, pname);
	lflush();
	e = sized_ioctl(iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g, sizeof(g), &rc);
	lres(rc, e);
	if (!e && g.data == (uintptr_t)scratch) {
		int i, last = -1;

		for (i = 0; i < 512; i++)
			if (scratch[i])
				last = i;
		lp(" bits=");
		for (i = 0; i <= last && i < 64; i++)
			lp("%02x", scratch[i]);
		if (last >= 64)
			lp("...%08x", fnv(scratch, 512));
	}
	lend();
}

static void cmd_test_dirty(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DIRTY };
	const char *pname = "scratch";
	long rc;
	int e;

	c.id = dirty_hwpt();
	pick_range(hwpt_ioas_guess(c.id), &c.dirty.iova, &c.dirty.length);
	c.dirty.page_size = pick_page_size();
	if (chance(80) && c.dirty.page_size > 3) {
		c.dirty.iova -= c.dirty.iova % c.dirty.page_size;
		c.dirty.length = (c.dirty.length + c.dirty.page_size - 1) /
				 c.dirty.page_size * c.dirty.page_size;
		if (c.dirty.length > 0x100000 * 8)
			c.dirty.length = 0x100000;
	}
	fill_random(scratch, 64);
	memset(scratch + 64, 0, 448);
	c.dirty.uptr = (uintptr_t)in_ptr(92, &pname);
	lstart("TEST_DIRTY");
	lp(" hwpt=%u iova=%#llx len=%#llx ps=%#llx ptr=%s bits=%08x", c.id,
	   (unsigned long long)c.dirty.iova, (unsigned long long)c.dirty.length,
	   (unsigned long long)c.dirty.page_size, pname, fnv(scratch, 64));
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e)
		lp(" n=%llu", (unsigned long long)c.dirty.out_nr_dirty);
	lend();
}

/* ------------------------------------------------------------------ */
/* mock driver checks */

static void cmd_check_map(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	struct area_m *a;
	struct mem mem;
	long rc;
	int e;

	c.id = hwpt_id(H_PAGING, 90);
	a = pick_area(find_ioas(hwpt_ioas_guess(c.id)));
	if (a && a->buf >= 0 && chance(80)) {
		uint64_t pages = (a->len + PAGE - 1) / PAGE, first;

		if (pages > DEEPEST / PAGE)
			pages = DEEPEST / PAGE;
		first = rnd(pages);

		c.check_map.iova = a->iova + first * PAGE;
		c.check_map.length = PAGE * (1 + rnd(pages - first));
		if (c.check_map.length > a->len - first * PAGE)
			c.check_map.length = (a->len - first * PAGE) & ~0x7ffull;
		mem.buf = a->buf;
		mem.off = a->off + first * PAGE;
		if (chance(10))
			mem.off += PAGE;
	} else {
		mem = pick_mem(false);
		c.check_map.iova = pick_iova();
		c.check_map.length = PAGE * rnd(3);
	}
	c.check_map.uptr = mem_addr(mem);
	lstart("CHECK_MAP");
	lp(" hwpt=%u iova=%#llx len=%#llx", c.id,
	   (unsigned long long)c.check_map.iova,
	   (unsigned long long)c.check_map.length);
	lmem("va", mem);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

static void cmd_check_refs(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };
	struct mem mem = pick_mem(false);
	long rc;
	int e;

	if (chance(80))
		mem.off &= ~(PAGE - 1);
	c.check_refs.uptr = mem_addr(mem);
	c.check_refs.length = PAGE * (chance(90) ? 1 + rnd(4) : rnd(2));
	if (chance(5))
		c.check_refs.length += 1;
	c.check_refs.refs = (uint32_t)rnd(3);
	lstart("CHECK_REFS");
	lmem("va", mem);
	lp(" len=%#llx refs=%u", (unsigned long long)c.check_refs.length,
	   c.check_refs.refs);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

static void cmd_bad_test_op(void)
{
	struct iommu_test_cmd c = { .op = chance(50) ? 0 : 16 + (uint32_t)rnd(8) };
	long rc;
	int e;

	lstart("TEST_OP");
	lp(" op=%u", c.op);
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

static void cmd_bad_ioctl(void)
{
	static const unsigned long reqs[] = {
		_IO(IOMMUFD_TYPE, 0x7f), _IO(IOMMUFD_TYPE, 0x8f),
		_IO(IOMMUFD_TYPE, 0x9f), _IO('x', 0x80),
		_IOWR(IOMMUFD_TYPE, 0x80, struct iommu_destroy),
	};
	unsigned int i = (unsigned int)rnd(5);
	long rc;
	int e;

	memset(scratch, 0, 64);
	*(uint32_t *)scratch = 8;
	lstart("BAD_IOCTL");
	lp(" req=%u", i);
	e = issue(iommufd, reqs[i], scratch, &rc);
	lres(rc, e);
	lend();
}

/* ------------------------------------------------------------------ */
/* IO page faults */

static void cmd_fault_alloc(void)
{
	struct iommu_fault_alloc f = { .size = sizeof(f) };
	long rc;
	int e;

	if (chance(3))
		f.flags = 1;
	lstart("FAULT_ALLOC");
	lp(" flags=%u", f.flags);
	if (in_child && skip_inherited) {
		/* Its file closes at the child's exit, unseen by uiommufd yet. */
		lp(" (child) skipped\n");
		lflush();
		return;
	}
	e = sized_ioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, &f, sizeof(f), &rc);
	lres(rc, e);
	if (!e) {
		lp(" id=%u", f.out_fault_id);
		note_id(f.out_fault_id);
		undead(f.out_fault_id);
		if (M->nfault < MAX_FAULT) {
			M->fault[M->nfault] = (struct fault_m){ f.out_fault_id, true };
			add_fd((int)f.out_fault_fd, F_FAULT, M->nfault);
			M->nfault++;
		} else {
			close((int)f.out_fault_fd);
		}
	}
	lend();
}

static void cmd_trigger_iopf(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
	long rc;
	int e;

	c.trigger_iopf.dev_id = idev_id(90);
	for (int i = 0; i < M->ndev; i++) {
		struct hwpt_m *h = find_hwpt(M->dev[i].hwpt);

		if (h && h->fault && chance(50)) {
			c.trigger_iopf.dev_id = M->dev[i].idev;
			break;
		}
	}
	c.trigger_iopf.pasid = chance(60) ? 0 : (uint32_t)rnd(4);
	c.trigger_iopf.grpid = (uint32_t)rnd(8);
	c.trigger_iopf.perm = (uint32_t)rnd(16);
	c.trigger_iopf.addr = chance(80) ? MOCK_APERTURE_START + rnd(64) * PAGE :
					   pick_iova();
	lstart("TRIGGER_IOPF");
	lp(" dev=%u pasid=%u grp=%u perm=%#x addr=%#llx", c.trigger_iopf.dev_id,
	   c.trigger_iopf.pasid, c.trigger_iopf.grpid, c.trigger_iopf.perm,
	   (unsigned long long)c.trigger_iopf.addr);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	lend();
}

static void cmd_fault_read(void)
{
	struct fdent *f = pick_fd(F_FAULT);
	struct iommu_hwpt_pgfault *rec = (void *)scratch;
	const char *pname = "scratch";
	size_t count, rs = sizeof(*rec);
	void *p;
	ssize_t n;
	int e;

	if (!f)
		return;
	switch (rnd(8)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = 8 + rnd(4) * 16;
		break;
	case 2:
		count = rs * 4;
		break;
	case 3:
		count = rs * 2;
		break;
	default:
		count = rs * (1 + rnd(8));
		break;
	}
	p = out_ptr(90, &pname);
	memset(scratch, 0, rs * 8);
	lstart("FAULT_READ");
	if (lfd("fd", f))
		return;
	lp(" count=%zu ptr=%s", count, pname);
	lflush();
	n = read(f->fd, p, count);
	e = errno;
	lres(n, e);
	if (n > 0 && p == scratch) {
		ssize_t i;

		for (i = 0; i < n / (ssize_t)rs; i++) {
			lp(" {fl=%#x dev=%u pasid=%u grp=%u perm=%#x addr=%#llx len=%u cookie=%u}",
			   rec[i].flags, rec[i].dev_id, rec[i].pasid, rec[i].grpid,
			   rec[i].perm, (unsigned long long)rec[i].addr,
			   rec[i].length, rec[i].cookie);
			if (M->ncookies < MAX_COOKIES)
				M->cookies[M->ncookies++] = rec[i].cookie;
		}
	}
	lend();
}

static void cmd_fault_write(void)
{
	struct fdent *f = pick_fd(F_FAULT);
	struct iommu_hwpt_page_response *r = (void *)scratch;
	const char *pname = "scratch";
	size_t count, n = 1 + rnd(3), i;
	void *p;
	ssize_t w;
	int e;

	if (!f)
		return;
	for (i = 0; i < n; i++) {
		if (M->ncookies && chance(75)) {
			size_t k = rnd(M->ncookies);

			r[i].cookie = M->cookies[k];
			if (chance(80))
				M->cookies[k] = M->cookies[--M->ncookies];
		} else {
			r[i].cookie = (uint32_t)rnd(8);
		}
		r[i].code = chance(90) ? (uint32_t)rnd(2) : 2;
	}
	count = n * sizeof(*r);
	if (chance(8))
		count = chance(50) ? 0 : 4;
	p = chance(92) ? (void *)r : in_ptr(0, &pname);
	lstart("FAULT_WRITE");
	if (lfd("fd", f))
		return;
	lp(" count=%zu ptr=%s", count, pname);
	for (i = 0; i < n; i++)
		lp(" {%u,%u}", r[i].cookie, r[i].code);
	lflush();
	w = write(f->fd, p, count);
	e = errno;
	lres(w, e);
	lend();
}

static void cmd_fd_close(int kind)
{
	struct fdent *f = pick_fd(kind);
	int rc, e;

	if (!f)
		return;
	lstart(kind == F_FAULT ? "FAULT_CLOSE" : "ACCESS_CLOSE");
	if (lfd("fd", f))
		return;
	if (kind == F_FAULT && f->child_holds && skip_inherited) {
		/* Not the last close: uiommufd does not know that yet. */
		lp(" (child holds it) skipped\n");
		lflush();
		return;
	}
	lflush();
	rc = close(f->fd);
	e = errno;
	lres(rc, e);
	lend();
	if (kind == F_ACCESS && f->ctx_gen == M->ctx_gen &&
	    --M->access[f->index].holders <= 0)
		M->access[f->index].live = false;
	drop_fd(f);
}

/* ------------------------------------------------------------------ */
/* accesses */

/* CREATE_ACCESS on ioas: the new file, or NULL. */
static struct fdent *issue_create_access(uint32_t ioas, uint32_t flags)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct fdent *f = NULL;
	long rc;
	int e, i;

	c.id = ioas;
	c.create_access.flags = flags;
	lstart("CREATE_ACCESS");
	lp(" ioas=%u flags=%#x", c.id, c.create_access.flags);
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e) {
		for (i = 0; i < MAX_ACCESS; i++)
			if (!M->access[i].live && !M->access[i].holders)
				break;
		if (i == MAX_ACCESS) {
			close((int)c.create_access.out_access_fd);
			lp(" (closed)");
		} else {
			lp(" access%d", i);
			M->access[i] = (struct access_m){
				c.id, c.create_access.flags & 1, true, 1, 0, { 0 } };
			if (i >= M->naccess)
				M->naccess = i + 1;
			add_fd((int)c.create_access.out_access_fd, F_ACCESS, i);
			if (fds[nfds - 1].fd == (int)c.create_access.out_access_fd)
				f = &fds[nfds - 1];
		}
	}
	lend();
	return f;
}

static void cmd_create_access(void)
{
	issue_create_access(ioas_id(90), chance(95) ? (uint32_t)rnd(2) : 2);
}

/* An access to use: one of our files, or an fd that is not one. */
static int pick_access_fd(struct fdent **fe, bool *skip)
{
	struct fdent *f = pick_fd(F_ACCESS);

	/* For ACCESS_PAGES, most often one that may pin. */
	if (pin_wanted && f && chance(70)) {
		for (int i = 0; i < nfds; i++)
			if (fds[i].kind == F_ACCESS && fds[i].ctx_gen == M->ctx_gen &&
			    M->access[fds[i].index].pin && chance(60))
				f = &fds[i];
	}

	*fe = NULL;
	*skip = false;
	if (f && chance(92)) {
		*fe = f;
		*skip = lfd("access", f);
		return f->fd;
	}
	switch (rnd(4)) {
	case 0:
		lp(" access=iommufd");
		return iommufd;
	case 1:
		lp(" access=-1");
		return -1;
	case 2:
		lp(" access=memfd");
		return memfd_fd;
	default:
		lp(" access=999");
		return 999;
	}
}

static struct access_m *fd_access(struct fdent *f)
{
	return f && f->ctx_gen == M->ctx_gen ? &M->access[f->index] : NULL;
}

static void cmd_access_rw(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_RW };
	const char *pname = "scratch";
	struct access_m *am;
	struct fdent *f;
	bool skip;
	long rc;
	int e;

	lstart("ACCESS_RW");
	c.id = (uint32_t)pick_access_fd(&f, &skip);
	if (skip)
		return;
	am = fd_access(f);
	pick_range(am ? am->ioas : 0, &c.access_rw.iova, &c.access_rw.length);
	if (c.access_rw.length > 4 * PAGE && chance(90))
		c.access_rw.length = 1 + rnd(4 * PAGE);
	if (chance(3))
		c.access_rw.length = (16ull << 20) + 1;
	c.access_rw.flags = chance(95) ? (uint32_t)rnd(2) | (chance(30) ?
					  MOCK_ACCESS_RW_SLOW_PATH : 0) :
					 1u << (1 + rnd(4));
	if (c.access_rw.length > (1ull << 20) && c.access_rw.length < (16ull << 20) &&
	    chance(70))
		c.access_rw.length &= (1ull << 20) - 1;
	if (c.access_rw.flags & MOCK_ACCESS_RW_WRITE) {
		fill_random(scratch, c.access_rw.length < SCRATCH_SIZE ?
					    c.access_rw.length : SCRATCH_SIZE);
		c.access_rw.uptr = (uintptr_t)in_ptr(92, &pname);
	} else {
		memset(scratch, 0, c.access_rw.length < SCRATCH_SIZE ?
					   c.access_rw.length : SCRATCH_SIZE);
		c.access_rw.uptr = (uintptr_t)out_ptr(92, &pname);
	}
	lp(" iova=%#llx len=%#llx flags=%#x ptr=%s",
	   (unsigned long long)c.access_rw.iova,
	   (unsigned long long)c.access_rw.length, c.access_rw.flags, pname);
	if ((c.access_rw.flags & MOCK_ACCESS_RW_WRITE) &&
	    c.access_rw.uptr == (uintptr_t)scratch && c.access_rw.length <= SCRATCH_SIZE)
		lp(" data=%08x", fnv(scratch, c.access_rw.length));
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e && !(c.access_rw.flags & MOCK_ACCESS_RW_WRITE) &&
	    c.access_rw.uptr == (uintptr_t)scratch && c.access_rw.length <= SCRATCH_SIZE)
		lp(" data=%08x", fnv(scratch, c.access_rw.length));
	lend();
}

static void access_pages_on(int fd, struct fdent *f)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct access_m *am;
	struct mem mem = { B_NULL, 0 };
	long rc;
	int e;

	c.id = (uint32_t)fd;
	am = fd_access(f);
	pick_range(am ? am->ioas : 0, &c.access_pages.iova,
		   &c.access_pages.length);
	if (chance(3))
		c.access_pages.length = (16ull << 20) + PAGE;
	c.access_pages.flags = chance(95) ? (uint32_t)rnd(2) : 1u << (1 + rnd(3));
	switch (rnd(4)) {
	case 0:
		break; /* NULL: no check of the pages */
	case 1:
		mem = pick_mem(false);
		break;
	default:
		/* The user address behind the IOVA, for the page check. */
		if (!model_addr(am ? am->ioas : 0, c.access_pages.iova,
				c.access_pages.length, &mem))
			mem = pick_mem(false);
		break;
	}
	c.access_pages.uptr = mem_addr(mem);
	lp(" iova=%#llx len=%#llx flags=%#x",
	   (unsigned long long)c.access_pages.iova,
	   (unsigned long long)c.access_pages.length, c.access_pages.flags);
	lmem("va", mem);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (!e) {
		lp(" item=%u", c.access_pages.out_access_pages_id);
		if (am && am->nitems < MAX_ITEMS)
			am->items[am->nitems++] = c.access_pages.out_access_pages_id;
	}
	lend();
}

static void cmd_access_pages(void)
{
	struct fdent *f;
	bool skip;
	int fd;

	lstart("ACCESS_PAGES");
	pin_wanted = true;
	fd = pick_access_fd(&f, &skip);
	pin_wanted = false;
	if (!skip)
		access_pages_on(fd, f);
}

/* An access that may pin, on an IOAS with areas, pins some of them. */
static void cmd_scn_access_pin(void)
{
	struct ioas_m *io = NULL;
	struct fdent *f;
	int i, n;

	for (i = 0; i < M->nioas; i++)
		if (M->ioas[i].nareas && (!io || chance(50)))
			io = &M->ioas[i];
	if (!io)
		return;
	f = issue_create_access(io->id, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
	if (!f)
		return;
	for (n = 1 + (int)rnd(3); n; n--) {
		lstart("ACCESS_PAGES");
		if (lfd("access", f))
			return;
		access_pages_on(f->fd, f);
	}
}

static void cmd_access_unpin(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES };
	struct access_m *am;
	struct fdent *f;
	int k = -1, e;
	bool skip;
	long rc;

	lstart("ACCESS_UNPIN");
	c.id = (uint32_t)pick_access_fd(&f, &skip);
	if (skip)
		return;
	am = fd_access(f);
	if (am && am->nitems && chance(85)) {
		k = (int)rnd(am->nitems);
		c.destroy_access_pages.access_pages_id = am->items[k];
	} else {
		c.destroy_access_pages.access_pages_id = (uint32_t)rnd(8);
	}
	lp(" item=%u", c.destroy_access_pages.access_pages_id);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	if (k >= 0 && (!e || e == ENOENT))
		am->items[k] = am->items[--am->nitems];
	lend();
}

static void cmd_access_replace(void)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };
	struct access_m *am;
	struct fdent *f;
	bool skip;
	long rc;
	int e;

	lstart("ACCESS_REPLACE");
	c.id = (uint32_t)pick_access_fd(&f, &skip);
	if (skip)
		return;
	c.access_replace_ioas.ioas_id = chance(85) ? ioas_id(95) : any_id();
	lp(" ioas=%u", c.access_replace_ioas.ioas_id);
	lflush();
	e = test_cmd(&c, &rc);
	lres(rc, e);
	am = fd_access(f);
	if (!e && am)
		am->ioas = c.access_replace_ioas.ioas_id;
	lend();
}

/* ------------------------------------------------------------------ */
/* VFIO type1 */

static int open_vfio(void)
{
	if (vfiofd < 0)
		vfiofd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	return vfiofd;
}

/* The fd a VFIO command goes to: the container or /dev/iommu. */
static int vfio_target(int *which)
{
	*which = chance(60) ? 0 : 1;
	if (*which == 0 && open_vfio() >= 0) {
		lp(" fd=container");
		return vfiofd;
	}
	*which = 1;
	lp(" fd=iommufd");
	return iommufd;
}

static void cmd_vfio_simple(void)
{
	static const char *const names[] = { "VFIO_API_VERSION",
					     "VFIO_CHECK_EXT", "VFIO_SET_IOMMU" };
	unsigned int k = (unsigned int)rnd(3);
	unsigned long arg = 0;
	int which, fd;
	long rc;
	int e;

	lstart(names[k]);
	fd = vfio_target(&which);
	if (k == 1)
		arg = rnd(12);
	else if (k == 2)
		arg = chance(80) ? (chance(60) ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU) :
				   rnd(10);
	lp(" arg=%lu", arg);
	lflush();
	e = issue(fd, k == 0 ? VFIO_GET_API_VERSION : k == 1 ? VFIO_CHECK_EXTENSION :
			       VFIO_SET_IOMMU, (void *)arg, &rc);
	lres(rc, e);
	lend();
}

static void cmd_vfio_info(void)
{
	struct vfio_iommu_type1_info *info = (void *)scratch;
	uint32_t argsz;
	int which, fd, e;
	long rc;

	lstart("VFIO_GET_INFO");
	fd = vfio_target(&which);
	switch (rnd(4)) {
	case 0:
		argsz = (uint32_t)rnd(16);
		break;
	case 1:
		argsz = 16; /* without cap_offset */
		break;
	case 2:
		argsz = sizeof(*info);
		break;
	default:
		argsz = 512;
		break;
	}
	memset(scratch, 0, 1024);
	info->argsz = argsz;
	lp(" argsz=%u", argsz);
	lflush();
	e = issue(fd, VFIO_IOMMU_GET_INFO, chance(95) ? (void *)info : NULL, &rc);
	lres(rc, e);
	if (!e) {
		lp(" argsz=%u flags=%#x pgsizes=%#llx", info->argsz, info->flags,
		   (unsigned long long)info->iova_pgsizes);
		if (argsz >= sizeof(*info)) {
			uint32_t off = info->cap_offset;

			lp(" cap_offset=%u", off);
			while (off && off + sizeof(struct vfio_info_cap_header) <= argsz &&
			       off < 1024) {
				struct vfio_info_cap_header *h = (void *)(scratch + off);

				lp(" cap{id=%u v=%u}", h->id, h->version);
				if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
					struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;
					uint32_t i;

					lp(" n=%u", r->nr_iovas);
					for (i = 0; i < r->nr_iovas && i < 8 &&
						    off + sizeof(*r) + (i + 1) * 16 <= argsz; i++)
						lp(" [%#llx,%#llx]",
						   (unsigned long long)r->iova_ranges[i].start,
						   (unsigned long long)r->iova_ranges[i].end);
				} else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
					lp(" avail=%u",
					   ((struct vfio_iommu_type1_info_dma_avail *)h)->avail);
				}
				if (h->next <= off)
					break;
				off = h->next;
			}
		}
	}
	lend();
}

static void cmd_vfio_map(void)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m) };
	struct mem mem = pick_mem(false);
	int which, fd, e;
	long rc;

	lstart("VFIO_MAP_DMA");
	fd = vfio_target(&which);
	m.vaddr = mem_addr(mem);
	m.size = chance(70) ? PAGE * (1 + rnd(16)) : pick_len();
	m.iova = chance(80) ? MOCK_APERTURE_START + rnd(64) * 0x10000 : pick_iova();
	switch (rnd(8)) {
	case 0:
		m.flags = VFIO_DMA_MAP_FLAG_READ;
		break;
	case 1:
		m.flags = chance(50) ? 0 : VFIO_DMA_MAP_FLAG_WRITE;
		break;
	case 2:
		m.flags = chance(50) ? VFIO_DMA_MAP_FLAG_VADDR : 1u << (3 + rnd(3));
		break;
	default:
		m.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
		break;
	}
	if (chance(4))
		m.argsz = (uint32_t)rnd(sizeof(m));
	lp(" argsz=%u flags=%#x", m.argsz, m.flags);
	lmem("va", mem);
	lp(" iova=%#llx size=%#llx", (unsigned long long)m.iova,
	   (unsigned long long)m.size);
	lflush();
	e = issue(fd, VFIO_IOMMU_MAP_DMA, &m, &rc);
	lres(rc, e);
	if (!e && M->nvmaps[which] < MAX_VMAPS)
		M->vmaps[which][M->nvmaps[which]++] = (struct vmap_m){ m.iova, m.size };
	lend();
}

static void cmd_vfio_unmap(void)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u) };
	int which, fd, e;
	long rc;

	lstart("VFIO_UNMAP_DMA");
	fd = vfio_target(&which);
	if (M->nvmaps[which] && chance(70)) {
		struct vmap_m *v = &M->vmaps[which][rnd(M->nvmaps[which])];

		u.iova = v->iova + (chance(20) ? PAGE : 0);
		u.size = chance(80) ? v->len : PAGE;
	} else {
		u.iova = chance(50) ? MOCK_APERTURE_START + rnd(64) * 0x10000 : pick_iova();
		u.size = pick_len();
	}
	switch (rnd(10)) {
	case 0:
		u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
		u.iova = 0;
		u.size = 0;
		break;
	case 1:
		u.flags = VFIO_DMA_UNMAP_FLAG_ALL;
		break;
	case 2:
		u.flags = 1u << rnd(4);
		break;
	default:
		u.flags = 0;
		break;
	}
	if (chance(4))
		u.argsz = (uint32_t)rnd(sizeof(u));
	lp(" argsz=%u flags=%#x iova=%#llx size=%#llx", u.argsz, u.flags,
	   (unsigned long long)u.iova, (unsigned long long)u.size);
	lflush();
	e = issue(fd, VFIO_IOMMU_UNMAP_DMA, &u, &rc);
	lres(rc, e);
	if (!e) {
		int i;

		lp(" size=%#llx", (unsigned long long)u.size);
		for (i = 0; i < M->nvmaps[which];) {
			struct vmap_m *v = &M->vmaps[which][i];

			if ((u.flags & VFIO_DMA_UNMAP_FLAG_ALL) ||
			    (v->iova >= u.iova && v->iova + v->len <= u.iova + u.size))
				*v = M->vmaps[which][--M->nvmaps[which]];
			else
				i++;
		}
	}
	lend();
}

static void cmd_vfio_dirty(void)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d) };
	int which, fd, e;
	long rc;

	lstart("VFIO_DIRTY_PAGES");
	fd = vfio_target(&which);
	d.flags = 1u << rnd(3);
	lp(" flags=%#x", d.flags);
	e = issue(fd, VFIO_IOMMU_DIRTY_PAGES, &d, &rc);
	lres(rc, e);
	lend();
}

static void cmd_vfio_ioas(void)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v) };
	long rc;
	int e;

	v.op = chance(95) ? (uint16_t)rnd(3) : 3;
	if (v.op == IOMMU_VFIO_IOAS_SET)
		v.ioas_id = ioas_id(85);
	lstart("VFIO_IOAS");
	lp(" op=%u id=%u", v.op, v.ioas_id);
	e = sized_ioctl(iommufd, IOMMU_VFIO_IOAS, &v, sizeof(v), &rc);
	lres(rc, e);
	if (!e && v.op == IOMMU_VFIO_IOAS_GET) {
		lp(" id=%u", v.ioas_id);
		note_id(v.ioas_id);
		if (!find_ioas(v.ioas_id) && M->nioas < MAX_IOAS) {
			memset(&M->ioas[M->nioas], 0, sizeof(M->ioas[0]));
			M->ioas[M->nioas++].id = v.ioas_id;
		}
	}
	lend();
}

/* ------------------------------------------------------------------ */
/* the program's own memory */

/* Deterministic content for a (re)made buffer. */
static void fill_buffer(int b)
{
	struct rng r = { 0x9e3779b97f4a7c15ull * (uint64_t)(b + 1) ^ M->cmdno };
	uint64_t i;

	for (i = 0; i < BUF_SIZE; i += 8) {
		uint64_t v = rng_next(&r);

		memcpy(bufs[b] + i, &v, 8);
	}
}

static void cmd_buf_write(void)
{
	int b = (int)rnd(3);
	uint64_t off = rnd(BUF_SIZE / PAGE) * PAGE + rnd(PAGE);
	uint64_t len = 1 + rnd(2 * PAGE);

	if (off + len > BUF_SIZE)
		len = BUF_SIZE - off;
	fill_random(bufs[b] + off, len);
	lstart("BUF_WRITE");
	lp(" %s+%#llx len=%#llx data=%08x\n", buf_name[b], (unsigned long long)off,
	   (unsigned long long)len, fnv(bufs[b] + off, len));
	lflush();
}

static void cmd_buf_sum(void)
{
	int b = (int)rnd(4);
	uint64_t off = rnd(BUF_SIZE / PAGE) * PAGE;
	uint64_t len = PAGE * (1 + rnd(8));

	if (off + len > BUF_SIZE)
		len = BUF_SIZE - off;
	lstart("BUF_SUM");
	lp(" %s+%#llx len=%#llx data=%08x\n", buf_name[b], (unsigned long long)off,
	   (unsigned long long)len, fnv(bufs[b] + off, len));
	lflush();
}

static int make_buffer(int b)
{
	void *want = region + BUF_STRIDE * (uint64_t)b + PAGE, *p;

	switch (b) {
	case B_ANON:
	case B_RO:
		p = mmap(want, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case B_SHARED:
		p = mmap(want, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case B_MEMFD:
		p = mmap(want, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, memfd_fd, 0);
		break;
	default:
		p = want;
		break;
	}
	if (p != want)
		return -1;
	bufs[b] = p;
	buf_len[b] = BUF_SIZE;
	return 0;
}

/*
 * The buffer's memory goes away and new memory takes its place: munmap then
 * mmap, or mmap over it. Pinned pages stay what they were; a memfd buffer
 * maps the same file pages again.
 */
static void cmd_buf_remap(void)
{
	int b = (int)rnd(3);
	bool over = chance(50);
	int rc = 0;

	lstart("BUF_REMAP");
	lp(" %s %s", buf_name[b], over ? "over" : "munmap");
	lflush();
	if (!over)
		rc = munmap(bufs[b], BUF_SIZE);
	if (!rc)
		rc = make_buffer(b);
	if (!rc && b != B_MEMFD)
		fill_buffer(b);
	lp(" = %d data=%08x", rc, fnv(bufs[b], BUF_SIZE));
	lend();
}

/* ------------------------------------------------------------------ */
/* processes */

static void run_commands(unsigned int n);
static bool forking;

/*
 * Whether a fork must be skipped: no fork inside a fork's commands; and
 * while this process holds files of a context whose /dev/iommu fd is
 * closed, a child's exit (which closes its inherited copies) releases that
 * context in uiommufd, until it serves files in other processes.
 */
static bool fork_skipped(void)
{
	int i;

	if (forking) {
		lp(" (nested) skipped\n");
		lflush();
		return true;
	}
	for (i = 0; i < nfds && skip_inherited; i++)
		if (fds[i].ctx_gen != M->ctx_gen) {
			lp(" (old files) skipped\n");
			lflush();
			return true;
		}
	return false;
}

static void child_exit(void)
{
	int i;

	/* The kernel closes the child's files: the model follows. */
	for (i = 0; i < nfds; i++)
		if (fds[i].kind == F_ACCESS && fds[i].ctx_gen == M->ctx_gen &&
		    --M->access[fds[i].index].holders <= 0)
			M->access[fds[i].index].live = false;
	_exit(0);
}

/*
 * The child will hold a copy of each access file: counted by the parent
 * before fork(), not by the child after it, which would race with the
 * parent's next commands (a close the parent makes first would count the
 * file as gone; seen as a different access index in one world).
 */
static void fork_holders(int delta)
{
	for (int i = 0; i < nfds; i++)
		if (fds[i].kind == F_ACCESS && fds[i].ctx_gen == M->ctx_gen)
			M->access[fds[i].index].holders += delta;
}

static void child_start(void)
{
	in_child = true;
	for (int i = 0; i < nfds; i++)
		fds[i].inherited = true;
}

/* The child is gone: say how. */
static void child_done(pid_t pid)
{
	int st = 0, e = 0;
	pid_t w = -1;

	if (pid > 0) {
		while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
			;
		e = errno;
	}
	lstart("FORK_CHILD_DONE");
	if (pid < 0 || w != pid)
		lp(" fork/wait=%s", ename(e));
	else if (WIFEXITED(st))
		lp(" exit=%d", WEXITSTATUS(st));
	else
		lp(" signal=%d", WTERMSIG(st));
	lend();
}

/*
 * Child does, parent checks: the child issues a few commands on the
 * inherited fds and exits; the parent goes on once it is gone.
 */
static void cmd_fork_child_does(void)
{
	unsigned int n = 1 + (unsigned int)rnd(8);
	pid_t pid;

	lstart("FORK_CHILD_DOES");
	lp(" n=%u", n);
	if (fork_skipped())
		return;
	lp("\n");
	lflush();
	fork_holders(1);
	pid = fork();
	if (pid == 0) {
		child_start();
		run_commands(n);
		child_exit();
	}
	if (pid < 0)
		fork_holders(-1);
	child_done(pid);
}

/*
 * Parent does, child checks: the child waits while the parent issues
 * commands, then issues its own and exits.
 */
static void cmd_fork_parent_does(void)
{
	unsigned int n = 1 + (unsigned int)rnd(6), k = 1 + (unsigned int)rnd(6);
	int p[2];
	pid_t pid;
	char c;

	lstart("FORK_PARENT_DOES");
	lp(" n=%u k=%u", n, k);
	if (fork_skipped())
		return;
	lp("\n");
	lflush();
	if (pipe(p))
		_exit(98);
	fork_holders(1);
	pid = fork();
	if (pid < 0)
		fork_holders(-1);
	if (pid == 0) {
		close(p[1]);
		child_start();
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		run_commands(k);
		child_exit();
	}
	close(p[0]);
	forking = true;
	for (int i = 0; i < nfds; i++)
		fds[i].child_holds = true;
	run_commands(n);
	for (int i = 0; i < nfds; i++)
		fds[i].child_holds = false;
	forking = false;
	c = 1;
	if (write(p[1], &c, 1) != 1)
		_exit(98);
	close(p[1]);
	child_done(pid);
}

static void cmd_reopen(void)
{
	int rc, e;

	lstart("REOPEN");
	if (forking && skip_inherited) {
		/*
		 * A waiting child holds a copy: its exit will be the last
		 * close, which uiommufd does not see yet (the context would
		 * outlive the files that hold it).
		 */
		lp(" (child holds it) skipped\n");
		lflush();
		return;
	}
	lflush();
	rc = close(iommufd);
	e = errno;
	lres(rc, e);
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		lp(" open=%s", ename(errno));
	lend();
	model_reset();
}

/*
 * A usable type1 container: an IOAS made on the container or /dev/iommu,
 * set as its VFIO IOAS (as attaching a group would), then SET_IOMMU.
 */
static void cmd_scn_vfio(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_vfio_ioas v = { .size = sizeof(v),
				     .op = IOMMU_VFIO_IOAS_SET };
	unsigned long type = chance(70) ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	const char *name;
	int which, fd, e;
	long rc;

	lstart("IOAS_ALLOC");
	fd = vfio_target(&which);
	name = which ? "iommufd" : "container";
	e = issue(fd, IOMMU_IOAS_ALLOC, &a, &rc);
	lres(rc, e);
	if (!e)
		lp(" id=%u", a.out_ioas_id);
	lend();
	if (e)
		return;
	if (which) {
		note_id(a.out_ioas_id);
		undead(a.out_ioas_id);
		if (M->nioas < MAX_IOAS) {
			memset(&M->ioas[M->nioas], 0, sizeof(M->ioas[0]));
			M->ioas[M->nioas++].id = a.out_ioas_id;
		}
	}
	v.ioas_id = a.out_ioas_id;
	lstart("VFIO_IOAS");
	lp(" fd=%s op=1 id=%u", name, v.ioas_id);
	e = issue(fd, IOMMU_VFIO_IOAS, &v, &rc);
	lres(rc, e);
	lend();
	if (e)
		return;
	lstart("VFIO_SET_IOMMU");
	lp(" fd=%s arg=%lu", name, type);
	e = issue(fd, VFIO_SET_IOMMU, (void *)type, &rc);
	lres(rc, e);
	lend();
}

static void cmd_vfio_reopen(void)
{
	int rc = 0, e = 0;

	if (vfiofd < 0)
		return;
	lstart("VFIO_CLOSE");
	rc = close(vfiofd);
	e = errno;
	vfiofd = -1;
	M->nvmaps[0] = 0;
	lres(rc, e);
	lend();
}

/* ------------------------------------------------------------------ */
/* the command table */

struct cmd {
	void (*fn)(void);
	unsigned int weight;
	bool parent_only;
};

static void cmd_fault_close(void) { cmd_fd_close(F_FAULT); }
static void cmd_access_close(void) { cmd_fd_close(F_ACCESS); }

static const struct cmd cmds[] = {
	{ cmd_ioas_alloc, 4, false },
	{ cmd_ioas_map, 16, false },
	{ cmd_ioas_unmap, 7, false },
	{ cmd_ioas_copy, 5, false },
	{ cmd_allow_iovas, 2, false },
	{ cmd_iova_ranges, 3, false },
	{ cmd_option, 2, false },
	{ cmd_destroy, 5, false },
	{ cmd_add_reserved, 1, false },
	{ cmd_mock_domain, 6, false },
	{ cmd_mock_replace, 3, false },
	{ cmd_hwpt_alloc, 6, false },
	{ cmd_hw_info, 1, false },
	{ cmd_invalidate, 3, false },
	{ cmd_check_iotlb, 2, false },
	{ cmd_set_dirty, 3, false },
	{ cmd_get_dirty, 4, false },
	{ cmd_test_dirty, 4, false },
	{ cmd_check_map, 4, false },
	{ cmd_check_refs, 3, false },
	{ cmd_bad_test_op, 1, false },
	{ cmd_bad_ioctl, 1, false },
	{ cmd_fault_alloc, 2, false },
	{ cmd_trigger_iopf, 4, false },
	{ cmd_fault_read, 4, false },
	{ cmd_fault_write, 3, false },
	{ cmd_fault_close, 1, false },
	{ cmd_create_access, 3, false },
	{ cmd_access_rw, 8, false },
	{ cmd_access_pages, 4, false },
	{ cmd_access_unpin, 3, false },
	{ cmd_access_replace, 1, false },
	{ cmd_access_close, 1, false },
	{ cmd_vfio_simple, 2, false },
	{ cmd_vfio_info, 2, false },
	{ cmd_vfio_map, 4, false },
	{ cmd_vfio_unmap, 3, false },
	{ cmd_vfio_dirty, 1, false },
	{ cmd_vfio_ioas, 1, false },
	{ cmd_vfio_reopen, 1, true },
	{ cmd_buf_write, 3, false },
	{ cmd_buf_sum, 3, false },
	{ cmd_buf_remap, 2, false },
	{ cmd_fork_child_does, 2, true },
	{ cmd_fork_parent_does, 2, true },
	{ cmd_reopen, 1, true },
	{ cmd_scn_iopf, 2, false },
	{ cmd_scn_nested, 2, false },
	{ cmd_scn_dirty, 2, false },
	{ cmd_scn_vfio, 1, false },
	{ cmd_scn_access_pin, 2, false },
};

static void run_commands(unsigned int n)
{
	unsigned int total = 0, i, k;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		total += cmds[i].weight;
	for (k = 0; k < n; k++) {
		unsigned int r = (unsigned int)rnd(total);

		M->cmdno++;
		for (i = 0; r >= cmds[i].weight; i++)
			r -= cmds[i].weight;
		if (cmds[i].parent_only && in_child)
			i = 1; /* a map instead */
		alarm(20);
		cmds[i].fn();
		alarm(0);
		if (sum_every) {
			/* Debugging: where did the memory start to differ? */
			linelen = 0;
			lp("%s  sums", in_child ? "c" : "");
			for (int b = 0; b < B_RO; b++)
				lp(" %s=%08x", buf_name[b], fnv(bufs[b], BUF_SIZE));
			lend();
		}
	}
}

/* ------------------------------------------------------------------ */

/*
 * Both worlds must run with the same capabilities: the reference kernel's
 * root has them all, a container's root may lack some. CAP_SYS_RESOURCE
 * (IOMMU_OPTION_RLIMIT_MODE) is dropped from the effective set.
 */
static void drop_cap(int cap)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];

	if (syscall(SYS_capget, &hdr, data))
		return;
	data[cap / 32].effective &= ~(1u << (cap % 32));
	syscall(SYS_capset, &hdr, data);
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	unsigned long long seed;
	unsigned int ncmds;
	struct sigaction sa = { .sa_handler = on_alarm };
	char *r;
	int b;

	if (argc < 3) {
		fprintf(stderr, "usage: difftest SEED NCMDS [LOGFILE]\n");
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	ncmds = (unsigned int)strtoul(argv[2], NULL, 0);
	if (argc > 3) {
		logfd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
		if (logfd < 0) {
			perror(argv[3]);
			return 2;
		}
	}
	skip_inherited = getenv("DIFFTEST_SKIP_INHERITED_FILES") &&
			 !strcmp(getenv("DIFFTEST_SKIP_INHERITED_FILES"), "1");
	sum_every = getenv("DIFFTEST_SUM_EVERY") != NULL;
	sigaction(SIGALRM, &sa, NULL);
	drop_cap(24 /* CAP_SYS_RESOURCE */);

	M = mmap(NULL, sizeof(*M), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	scratch = mmap(NULL, SCRATCH_SIZE + (1ull << 20), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch != MAP_FAILED)
		mprotect(scratch + SCRATCH_SIZE, 1ull << 20, PROT_NONE);
	/* The buffers: in a PROT_NONE reservation aligned to 2 MiB. */
	r = mmap(NULL, REGION_SIZE + (2ull << 20), PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (M == MAP_FAILED || scratch == MAP_FAILED || r == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	region = (char *)(((uintptr_t)r + (2ull << 20) - 1) & ~((2ull << 20) - 1));
	memset(M, 0, sizeof(*M));
	M->rng.s = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
	if (!M->rng.s)
		M->rng.s = 1;
	memfd_fd = memfd_create("difftest", MFD_CLOEXEC);
	if (memfd_fd < 0 || ftruncate(memfd_fd, (off_t)BUF_SIZE)) {
		perror("memfd");
		return 2;
	}
	for (b = 0; b <= B_NONE; b++) {
		if (make_buffer(b)) {
			perror("buffer");
			return 2;
		}
		if (b < B_NONE)
			fill_buffer(b);
	}
	mprotect(bufs[B_RO], BUF_SIZE, PROT_READ);
	/* The gap must be unmapped. */
	if (mmap((void *)(uintptr_t)GAP_ADDR, BUF_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
	    (void *)(uintptr_t)GAP_ADDR) {
		fprintf(stderr, "the gap address is in use\n");
		return 2;
	}
	munmap((void *)(uintptr_t)GAP_ADDR, BUF_SIZE);

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		perror("/dev/iommu");
		return 2;
	}
	linelen = 0;
	lp("difftest seed=%llu ncmds=%u\n", seed, ncmds);
	lflush();
	run_commands(ncmds);
	lstart("END");
	lend();
	return 0;
}
