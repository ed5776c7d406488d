// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the VFIO side: emulated vfio-pci devices driven
 * through the system calls a program makes, under uiommufd-run.
 *
 *   uiommufd-run --check --vfio-device ... -- fuzz_vfio [libFuzzer args]
 *   uiommufd-run --check --vfio-device ... -- fuzz_vfio_replay CORPUS...
 *
 * Nothing here calls the library: every call is the libc function a VMM
 * or a userspace driver calls (open, ioctl, pread, pwrite, read, write,
 * lseek, mmap, munmap, dup, close, fork, plain loads and stores to a
 * mapped BAR), and the preload library the launcher put in LD_PRELOAD
 * serves it. The devices are the launch's (--vfio-device): the harness
 * reads which from the registry the launcher made (UIOMMUFD_RUNDIR) and
 * asks each for its regions and interrupts once, at start.
 *
 * Where the coverage comes from. The code under test is the preload
 * library: lib/preload, lib/vfio, lib/vfio/pci, lib/hw, lib/core below
 * them. In the fuzz build (-Dfuzz=true, clang, ASan+UBSan) meson builds a
 * second preload library, libuiommufd-preload-fuzz.so, from the same
 * sources with -fsanitize=fuzzer-no-link: its modules register their
 * 8-bit counters and comparison hooks with the libFuzzer runtime linked
 * into this binary when the dynamic loader runs their constructors
 * (before main), exactly as an instrumented shared library linked to a
 * fuzz target does, so libFuzzer's feedback is the device side's
 * coverage. scripts/fuzz.sh runs this binary under
 * uiommufd-run --preload libuiommufd-preload-fuzz.so. The library runs in
 * this process, so ASan, UBSan and LeakSanitizer see it too. (The other
 * way, linking the library statically and building the registry here as
 * the launcher does, would reach the same code but not through the
 * preload's wrappers, its fd table and its path redirection, which are
 * part of what a program meets.)
 *
 * An input is a small bytecode, as fuzz_ioctl.c's: an opcode byte, then
 * the bytes that opcode reads (past the end every read gives 0). The
 * opcodes open /dev/vfio/vfio, /dev/iommu, the groups (/dev/vfio/N) and
 * the cdevs (/dev/vfio/devices/vfioX), close and dup what was opened,
 * issue the container, group, cdev and iommufd ioctls that connect a
 * device, every device ioctl (GET_INFO, GET_REGION_INFO and its
 * capability chain, GET_IRQ_INFO, SET_IRQS with each action and data type
 * and fuzzed index, start, count, argsz and eventfds, RESET, the hot reset
 * pair with group fd arrays, IOEVENTFD, DEVICE_FEATURE, unknown numbers),
 * read and write every region at fuzzed offsets and sizes (pread/pwrite,
 * and read/write at the file position), map BARs at fuzzed offsets,
 * lengths, protections and flags, load and store 1, 2, 4 and 8 bytes
 * through the mappings, arm fault injection, and fork children that run
 * a piece of the input on the inherited fds and mappings. Arguments are
 * hostile as often as not: structs with short, exact and long argsz, at
 * NULL, on a read-only page, on a PROT_NONE page, unmapped, running off
 * the end of a mapping; fds closed, of another kind, or not ours.
 *
 * Checks. The launcher's --check runs the core's invariant checker after
 * every call (abort on a broken invariant). Each failing call must fail
 * with an errno the kernel can return for that call (a list per call,
 * checked against 6.12's code paths; never -1 with errno 0), and a few
 * calls have an exact answer checked (a zero-length read is 0, lseek is
 * ESPIPE, a hot reset of a device on a root bus ENODEV, ...). At the end
 * of an input every mapping is unmapped and every fd closed; then the
 * registry must show every device closed, unbound and with nothing set
 * (no open file, no interrupt type, no trigger, no low power), every
 * group released, no fd this input opened may still be open, children
 * must have exited 0, and (fuzz build) LeakSanitizer finds no leak.
 *
 * FUZZ_VERBOSE=1 prints each call and its result.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/pci_regs.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#include "vfio.h"
#include "vfio_pci_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PG 4096ul
#define MAX_OPS 192
#define MAX_FDS 24
#define MAX_MAPS 8
#define MAX_IDS 8
#define MAX_DEVS 8
#define NREG 9           /* VFIO_PCI_NUM_REGIONS */
#define NIRQ 5           /* VFIO_PCI_NUM_IRQS */
#define REGION(i) ((uint64_t)(i) << 40)
#define NOT_OPEN_FD 1000 /* never open in the harness */

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

/* Little endian; each read its own statement (see fuzz_ioctl.c). */
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

/* Mostly 0; now and then a stray bit or a word (reserved fields). */
static uint32_t rsv(struct in *in)
{
	uint8_t b = u8(in);

	if (b < 0xf8)
		return 0;
	return b == 0xff ? u32(in) : 1u << (b & 7);
}

/* ------------------------------------------------------------------ */
/* the block of user memory */

enum {
	P_ARG = 0,     /* 2 pages RW: staged ioctl arguments */
	P_RW = 2,      /* 16 pages RW: data buffers, DMA memory */
	N_RW = 16,
	P_RO = 18,     /* read-only, a pattern */
	P_NONE = 19,   /* PROT_NONE */
	P_HOLE = 20,   /* unmapped */
	P_TAIL = 21,   /* 2 pages RW ending where the mapping ends */
	P_HOLE2 = 23,  /* unmapped */
	P_GUARD = 24,  /* PROT_NONE */
	N_BLOCK = 25,
};

static char *blk;
#define PAGE(i) (blk + (size_t)(i) * PG)

static void block_setup(void)
{
	void *p = mmap(NULL, N_BLOCK * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	blk = p;
	memset(PAGE(P_RO), 0xa5, PG);
	if (mprotect(PAGE(P_RO), PG, PROT_READ) ||
	    mprotect(PAGE(P_NONE), PG, PROT_NONE) ||
	    munmap(PAGE(P_HOLE), PG) || munmap(PAGE(P_HOLE2), PG) ||
	    mprotect(PAGE(P_GUARD), PG, PROT_NONE))
		abort();
}

static bool hole_is_unmapped(int page)
{
	unsigned char v;

	return mincore(PAGE(page), PG, &v) && errno == ENOMEM;
}

/* Another mapping in a hole would take our writes: start a new block. */
static void block_ensure(void)
{
	if (!hole_is_unmapped(P_HOLE) || !hole_is_unmapped(P_HOLE2))
		block_setup();
}

/* A user pointer: good memory mostly, bad as often as it takes. */
static char *pick_ptr(struct in *in)
{
	uint8_t b = u8(in);

	switch (b & 15) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6:
		return PAGE(P_RW + (b >> 4));
	case 7:
		return PAGE(P_RW) + u16(in) % (N_RW * PG);
	case 8:
		return PAGE(P_RO) + (b >> 4) * 16;
	case 9:
		return PAGE(P_NONE);
	case 10:
		return PAGE(P_HOLE);
	case 11:
		/* a few bytes before the end of a mapping */
		return PAGE(P_HOLE2) - 1 - (b >> 4);
	case 12:
		return NULL;
	case 13:
		return (char *)0xffff888000000000ull;
	case 14:
		return (char *)(uintptr_t)(u16(in) % 4096); /* below mmap_min_addr */
	default:
		return PAGE(P_RW + N_RW - 1) + PG - 8 * (1 + (b >> 4) % 4); /* into RO */
	}
}

/* Whether the byte at p can be read (the block's layout). */
static bool readable(const char *p)
{
	return (p >= PAGE(P_ARG) && p < PAGE(P_NONE)) ||
	       (p >= PAGE(P_TAIL) && p < PAGE(P_HOLE2));
}

/* ------------------------------------------------------------------ */
/* the devices of the launch */

struct region {
	uint64_t size;
	uint32_t flags;
};

struct dev {
	char bdf[16];
	uint32_t group;          /* its number, /dev/vfio/N */
	uint32_t cdev;           /* /dev/vfio/devices/vfioX */
	struct region reg[NREG];
	uint32_t irqs[NIRQ];
	bool reset_works;
	bool root_bus;
};

static struct dev devs[MAX_DEVS];
static unsigned int ndevs;
static uint32_t groups[MAX_DEVS];
static unsigned int ngroups;
static const struct uio_vfio_registry *reg; /* read-only view */
static size_t reg_size;
static int verbose;
static int devnull = -1, rootdir = -1;  /* files that are not ours */
static void (*fail_nth)(unsigned int);
static int (*fail_pending)(void);

/*
 * Fault injection (op_fail_nth) makes the Nth failure point fail, with
 * ENOMEM or EFAULT: a call during which it fired answers only for that.
 */
static bool armed_at_call;

static void call_begin(void)
{
	armed_at_call = fail_pending && fail_pending();
}

static bool injected(void)
{
	return armed_at_call && !fail_pending();
}

/* ------------------------------------------------------------------ */
/* reporting */

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_vfio: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void trace(const char *what, long rc, int err)
{
	if (verbose)
		fprintf(stderr, "[%d]  %-34s = %ld%s%s\n", getpid(), what, rc,
			rc < 0 ? " " : "", rc < 0 ? strerror(err) : "");
}

/* Lists of errnos, 0-terminated (static: they outlive any call). */
#define E(...) ({ static const int e_[] = { __VA_ARGS__, 0 }; e_; })

/* What any ioctl can meet on a file that is not the one it is for. */
#define E_FOREIGN E(EBADF, ENOTTY, EINVAL, EFAULT, ENOMEM, ENODEV, EBUSY, \
		    EPERM, ENOENT, EEXIST, EOPNOTSUPP, ENOSPC, EOVERFLOW,  \
		    EBADFD, ERANGE, EIO, ENXIO, EACCES, E2BIG)

/*
 * A call failed (rc -1) or not; if it did, errno must be one of ok.
 * Returns rc.
 */
static long check_rc(const char *what, long rc, int err, const int *ok)
{
	trace(what, rc, err);
	if (rc != -1)
		return rc;
	if (!err)
		die("%s: -1 with errno 0", what);
	if (injected() && (err == ENOMEM || err == EFAULT))
		return rc;
	for (; *ok; ok++)
		if (*ok == err)
			return rc;
	die("%s: errno %d (%s), which the kernel does not return here", what,
	    err, strerror(err));
}

static void expect_eq(const char *what, long rc, int err, long want, int want_err)
{
	if (injected())
		return;
	if (rc != want || (want == -1 && err != want_err))
		die("%s: %ld (%s), the kernel gives %ld (%s)", what, rc,
		    rc == -1 ? strerror(err) : "-", want,
		    want == -1 ? strerror(want_err) : "-");
}

/* ------------------------------------------------------------------ */
/* fds and mappings of one input */

enum kind {
	K_CONT,          /* /dev/vfio/vfio */
	K_IOMMU,         /* /dev/iommu */
	K_GROUP,         /* /dev/vfio/N */
	K_GDEV,          /* a device fd from GET_DEVICE_FD */
	K_CDEV,          /* /dev/vfio/devices/vfioX */
	K_EVENT,         /* an eventfd */
	K_NR,
};

struct fdent {
	int fd;
	uint8_t kind;
	uint8_t dev;     /* the device (K_GDEV, K_CDEV), the group's index (K_GROUP) */
	uint8_t acc;     /* O_ACCMODE of the open */
	uint8_t ofd;     /* which open file (dup and dup2 share it) */
};

/* What is known of an open file of a device: access granted or not. */
enum { G_NO, G_YES, G_UNKNOWN };

struct map {
	char *addr;
	size_t len;
	int prot;
	uint8_t dev, bar;
	uint64_t boff;   /* the BAR offset at addr */
};

struct state {
	struct fdent fds[MAX_FDS];
	unsigned int nfds;
	struct map maps[MAX_MAPS];
	unsigned int nmaps;
	uint32_t ioas[MAX_IDS], hwpt[MAX_IDS], devid[MAX_IDS];
	unsigned int nioas, nhwpt, ndevid;
	uint8_t granted[256]; /* by ofd */
	uint8_t next_ofd;
	bool child;      /* in a forked child */
	bool forked;     /* this input forked its child */
	int depth;       /* op_fork's ops run here, nested */
};

/* A new fd: of a new open file (ofd < 0) or of the open file ofd. */
static void add_fd(struct state *s, int fd, enum kind k, unsigned int dev, int acc,
		   int ofd)
{
	if (fd < 0)
		return;
	if (ofd < 0) {
		ofd = s->next_ofd++;
		s->granted[ofd] = k == K_GDEV ? G_YES : G_NO;
	}
	if (s->nfds == MAX_FDS) {
		/* Full: the oldest goes. */
		close(s->fds[0].fd);
		memmove(&s->fds[0], &s->fds[1], sizeof(s->fds[0]) * (MAX_FDS - 1));
		s->nfds--;
	}
	s->fds[s->nfds++] = (struct fdent){ .fd = fd, .kind = (uint8_t)k,
					    .dev = (uint8_t)dev, .acc = (uint8_t)acc,
					    .ofd = (uint8_t)ofd };
}

static void drop_fd(struct state *s, int fd)
{
	for (unsigned int i = 0; i < s->nfds; i++) {
		if (s->fds[i].fd == fd) {
			s->fds[i] = s->fds[--s->nfds];
			return;
		}
	}
}

static void add_id(uint32_t *t, unsigned int *n, uint32_t id)
{
	t[*n % MAX_IDS] = id;
	++*n;
}

static uint32_t pick_id(struct in *in, const uint32_t *t, unsigned int n)
{
	static const uint32_t bogus[] = { 0, 1, 2, 3, 0xffffffffu, 0x7fffffffu, 100, 7 };
	uint8_t b = u8(in);

	if (b < 0xe0 && n)
		return t[b % (n < MAX_IDS ? n : MAX_IDS)];
	return bogus[b & 7];
}

/*
 * An fd, mostly one of kind k (the b-th of them), else another of ours,
 * or one that is not: -1, never opened, /dev/null, a directory.
 */
static struct fdent pick_fd(struct in *in, struct state *s, int k)
{
	static const struct fdent none = { .fd = -1, .kind = K_NR };
	uint8_t b = u8(in);
	unsigned int n = 0, m;

	for (unsigned int i = 0; i < s->nfds; i++)
		n += s->fds[i].kind == k || (k == K_GDEV && s->fds[i].kind == K_CDEV);
	if (b < 0xd0 && n) {
		m = b % n;
		for (unsigned int i = 0; i < s->nfds; i++)
			if ((s->fds[i].kind == k ||
			     (k == K_GDEV && s->fds[i].kind == K_CDEV)) && !m--)
				return s->fds[i];
	}
	if (b < 0xf0 && s->nfds)
		return s->fds[b % s->nfds];
	switch (b & 3) {
	case 0:
		return none;
	case 1:
		return (struct fdent){ .fd = NOT_OPEN_FD, .kind = K_NR };
	case 2:
		return (struct fdent){ .fd = devnull, .kind = K_NR, .acc = O_RDWR };
	default:
		return (struct fdent){ .fd = rootdir, .kind = K_NR, .acc = O_RDONLY };
	}
}

static bool is_dev(const struct fdent *f)
{
	return f->kind == K_GDEV || f->kind == K_CDEV;
}

/* ------------------------------------------------------------------ */
/* ioctl arguments */

/*
 * Stage len bytes of s0 (argsz first) for an ioctl: in the argument page,
 * with argsz as given or fuzzed (short, minimal, longer with a zero or a
 * non-zero tail, 0, huge), or at a bad place (NULL, unmapped, PROT_NONE,
 * read-only, across the end of a mapping).
 */
struct staged {
	char *at;        /* the pointer to pass */
	size_t span;     /* bytes readable from at */
	uint32_t argsz;
	bool ro;         /* on the read-only page (restored by unstage) */
};

static struct staged stage(struct in *in, void *s0, size_t len, size_t minsz)
{
	uint8_t m = u8(in), p = u8(in);
	struct staged st = { .at = PAGE(P_ARG), .span = 2 * PG,
			     .argsz = (uint32_t)len };

	if (m >= 0xe0) {
		switch (m & 15) {
		case 0: case 1:
			st.argsz = minsz ? (uint32_t)minsz - 1 : 0;
			break;
		case 2: case 3:
			st.argsz = (uint32_t)minsz;
			break;
		case 4: case 5: case 6: case 7:
			st.argsz = (uint32_t)len + 8;
			break;
		case 8:
			st.argsz = 0;
			break;
		case 9:
			st.argsz = 0xffffffffu;
			break;
		case 10:
			st.argsz = 2 * PG;
			break;
		case 11:
			st.argsz = len >= 4 ? (uint32_t)len - 4 : 0;
			break;
		default:
			st.argsz = u32(in);
			break;
		}
	}
	if (len >= 4)
		memcpy(s0, &st.argsz, 4);
	if (p >= 0xf0) {
		switch (p & 7) {
		case 0: case 1:
			/* across the end of a mapping, argsz readable */
			st.at = PAGE(P_HOLE2) - 4 * (1 + (p & 1)) - 4 * (u8(in) % 8);
			st.span = (size_t)(PAGE(P_HOLE2) - st.at);
			break;
		case 2:
			st.at = NULL;
			st.span = 0;
			break;
		case 3:
			st.at = PAGE(P_HOLE);
			st.span = 0;
			break;
		case 4:
			st.at = PAGE(P_NONE);
			st.span = 0;
			break;
		case 5:
			st.at = PAGE(P_RO);
			st.span = PG;
			st.ro = true;
			break;
		default:
			break;
		}
	}
	if (st.span) {
		if (st.ro && mprotect(st.at, PG, PROT_READ | PROT_WRITE))
			abort();
		memset(st.at, 0, st.span);
		memcpy(st.at, s0, len < st.span ? len : st.span);
		if (m >= 0xe0 && (m & 15) >= 6 && (m & 15) <= 7 && st.span > len)
			st.at[len] = 1;   /* a non-zero tail */
		if (st.ro && mprotect(st.at, PG, PROT_READ))
			abort();
	}
	return st;
}

/* After the call: what it wrote back into s0, the read-only page put back. */
static void unstage(struct staged *st, void *s0, size_t len)
{
	if (st->span && !st->ro)
		memcpy(s0, st->at, len < st->span ? len : st->span);
	if (st->ro) {
		if (mprotect(st->at, PG, PROT_READ | PROT_WRITE))
			abort();
		memset(st->at, 0xa5, PG);
		if (mprotect(st->at, PG, PROT_READ))
			abort();
	}
}

static long do_ioctl(int fd, unsigned long req, void *arg, int *err)
{
	long rc;

	call_begin();
	errno = 0;
	rc = ioctl(fd, req, arg);
	*err = errno;
	return rc;
}

/*
 * What is known of the answer before the call looks at anything else:
 * PRE_HDR, an ioctl that copies minsz bytes in, then refuses an argsz
 * below minsz (EFAULT, then EINVAL); PRE_EINVAL, a device file without
 * access (an unbound cdev) refusing every ioctl but BIND.
 */
enum pre { PRE_NONE, PRE_HDR, PRE_EINVAL };

/* ioctl with s0 staged; ok: the errnos allowed. */
static long sioctl(struct in *in, const struct fdent *f, unsigned long req,
		   void *s0, size_t len, size_t minsz, const char *what,
		   const int *ok, enum pre pre)
{
	struct staged st = stage(in, s0, len, minsz);
	long rc;
	int err;

	if (verbose)
		fprintf(stderr, "[%d]  %s(fd %d kind %u dev %u ofd %u, %p, argsz %u)\n",
			getpid(), what, f->fd, f->kind, f->dev, f->ofd, (void *)st.at,
			st.argsz);
	rc = do_ioctl(f->fd, req, st.at, &err);
	unstage(&st, s0, len);
	check_rc(what, rc, err, ok);
	if (pre == PRE_EINVAL)
		expect_eq(what, rc, err, -1, EINVAL);
	else if (pre == PRE_HDR && st.span < minsz)
		expect_eq(what, rc, err, -1, EFAULT);
	else if (pre == PRE_HDR && st.argsz < minsz)
		expect_eq(what, rc, err, -1, EINVAL);
	return rc;
}

/* Whether an fd's open file is a device with access (bound, or a group's). */
static int granted(const struct state *s, const struct fdent *f)
{
	if (f->kind == K_GDEV)
		return G_YES;
	if (f->kind == K_CDEV)
		return s->granted[f->ofd];
	return G_UNKNOWN;
}

/* The oracle of a device ioctl (not BIND) on f. */
static enum pre dev_pre(const struct state *s, const struct fdent *f)
{
	switch (granted(s, f)) {
	case G_NO:
		return PRE_EINVAL;
	case G_YES:
		return PRE_HDR;
	default:
		return PRE_NONE;
	}
}

/* ------------------------------------------------------------------ */
/* opens */

static int pick_flags(struct in *in, int *acc)
{
	uint8_t b = u8(in);
	static const int accs[] = { O_RDWR, O_RDWR, O_RDONLY, O_WRONLY };
	int fl = accs[b & 3];

	*acc = fl;
	if (b & 4)
		fl |= O_NONBLOCK;
	if (!(b & 8))
		fl |= O_CLOEXEC;
	return fl;
}

static void op_open_container(struct in *in, struct state *s)
{
	int acc, fl = pick_flags(in, &acc), fd;

	call_begin();
	errno = 0;
	fd = open("/dev/vfio/vfio", fl);
	check_rc("open /dev/vfio/vfio", fd, errno, E(EMFILE, ENFILE, ENOMEM));
	add_fd(s, fd, K_CONT, 0, acc, -1);
}

static void op_open_iommufd(struct in *in, struct state *s)
{
	int acc, fl = pick_flags(in, &acc), fd;

	call_begin();
	errno = 0;
	fd = open("/dev/iommu", fl);
	check_rc("open /dev/iommu", fd, errno, E(EMFILE, ENFILE, ENOMEM));
	add_fd(s, fd, K_IOMMU, 0, acc, -1);
}

/* A group: one of the launch's, or a number with no node. */
static void op_open_group(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int acc, fl = pick_flags(in, &acc), fd;
	unsigned int g = b % (ngroups + 1);
	char path[64];

	if (g == ngroups)
		snprintf(path, sizeof(path), "/dev/vfio/%u", 990 + (b >> 4));
	else
		snprintf(path, sizeof(path), "/dev/vfio/%u", groups[g]);
	call_begin();
	errno = 0;
	fd = open(path, fl);
	check_rc("open group", fd, errno, E(EBUSY, ENOENT, ENODEV, EMFILE));
	if (fd >= 0 && g == ngroups)
		die("open %s: a group that does not exist opened", path);
	add_fd(s, fd, K_GROUP, g, acc, -1);
}

static void op_open_cdev(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int acc, fl = pick_flags(in, &acc), fd;
	unsigned int d = b % (ndevs + 1);
	char path[64];

	if (d == ndevs)
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", 90 + (b >> 4));
	else
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", devs[d].cdev);
	call_begin();
	errno = 0;
	fd = open(path, fl);
	check_rc("open cdev", fd, errno, E(ENOENT, ENOMEM, EMFILE, ENFILE));
	if (fd >= 0 && d == ndevs)
		die("open %s: a cdev that does not exist opened", path);
	add_fd(s, fd, K_CDEV, d, acc, -1);
}

static void op_eventfd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	int fd = eventfd(b & 1, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		abort();
	add_fd(s, fd, K_EVENT, 0, O_RDWR, -1);
}

static void op_close(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, (int)(u8(in) % K_NR));
	int rc;

	if (f.kind == K_NR)
		return; /* only the harness's own */
	call_begin();
	errno = 0;
	rc = close(f.fd);
	check_rc("close", rc, errno, E(EBADF));
	if (rc)
		die("close of an open fd failed");
	drop_fd(s, f.fd);
}

/* dup, dup2 over another fd of ours, fcntl F_DUPFD_CLOEXEC. */
static void op_dup(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, (int)(b % K_NR));
	struct fdent t = pick_fd(in, s, (int)((b >> 3) % K_NR));
	int fd;

	if (f.kind == K_NR)
		return;
	call_begin();
	errno = 0;
	if ((b & 0xc0) == 0x40 && t.kind != K_NR) {
		fd = dup2(f.fd, t.fd);
		check_rc("dup2", fd, errno, E(EMFILE, EBUSY));
		if (fd >= 0 && t.fd != f.fd) {
			drop_fd(s, t.fd);
			add_fd(s, fd, (enum kind)f.kind, f.dev, f.acc, f.ofd);
		}
		return;
	}
	fd = (b & 0x80) ? fcntl(f.fd, F_DUPFD_CLOEXEC, 0) : dup(f.fd);
	check_rc("dup", fd, errno, E(EMFILE));
	add_fd(s, fd, (enum kind)f.kind, f.dev, f.acc, f.ofd);
}

/* ------------------------------------------------------------------ */
/* the container (/dev/vfio/vfio) and iommufd */

/* EADDRINUSE: a domain or reserved range meeting the IOAS's mappings
 * (HWPT_ALLOC, ALLOW_IOVAS, TYPE1's large pages off). */
#define E_CORE E(EINVAL, EFAULT, ENOENT, EBUSY, ENOMEM, EOPNOTSUPP, ENOTTY, E2BIG, \
		 EOVERFLOW, ENOSPC, EEXIST, EPERM, ENODEV, EBADF, ERANGE,    \
		 EIO, ENXIO, EADDRINUSE)

static uint64_t pick_iova(struct in *in)
{
	uint8_t b = u8(in);

	switch (b & 7) {
	case 0: case 1: case 2:
		return (uint64_t)(b >> 3) << 20;    /* 0, 1 MiB, ... 31 MiB */
	case 3:
		return 0xfee00000ull;              /* the interrupt window */
	case 4:
		return (uint64_t)u16(in) * PG;
	case 5:
		return 1ull << 48;                 /* beyond the aperture */
	default:
		return u64(in);
	}
}

static uint64_t pick_len(struct in *in)
{
	uint8_t b = u8(in);

	switch (b & 7) {
	case 0: case 1: case 2:
		return (1 + (b >> 3) % N_RW) * PG;
	case 3:
		return u8(in);
	case 4:
		return 0;
	case 5:
		return UINT64_MAX;
	default:
		return u64(in);
	}
}

static void op_container(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, K_CONT);
	const int *ok = f.kind == K_CONT || f.kind == K_IOMMU ? E_CORE : E_FOREIGN;
	long rc;
	int err;

	switch (b % 8) {
	case 0: {
		static const unsigned long ext[] = { VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU,
			VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, VFIO_NOIOMMU_IOMMU,
			VFIO_SPAPR_TCE_IOMMU, 0, 1000 };
		rc = do_ioctl(f.fd, VFIO_CHECK_EXTENSION, (void *)ext[(b >> 3) & 7], &err);
		check_rc("VFIO_CHECK_EXTENSION", rc, err, ok);
		break;
	}
	case 1: {
		static const unsigned long type[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1v2_IOMMU,
			VFIO_TYPE1_IOMMU, VFIO_NOIOMMU_IOMMU, VFIO_SPAPR_TCE_IOMMU, 0, 99,
			VFIO_TYPE1_NESTING_IOMMU };
		rc = do_ioctl(f.fd, VFIO_SET_IOMMU, (void *)type[(b >> 3) & 7], &err);
		/*
		 * TYPE1 on an iommufd: large pages off, EADDRINUSE while a
		 * mapping is not page aligned (iopt_check_iova_alignment).
		 */
		check_rc("VFIO_SET_IOMMU", rc, err,
			 f.kind == K_CONT || f.kind == K_IOMMU ?
			 E(EINVAL, EFAULT, ENOENT, EBUSY, ENOMEM, EOPNOTSUPP, ENOTTY,
			   EPERM, ENODEV, EBADF, EADDRINUSE) : E_FOREIGN);
		break;
	}
	case 2:
		rc = do_ioctl(f.fd, VFIO_GET_API_VERSION, NULL, &err);
		check_rc("VFIO_GET_API_VERSION", rc, err, ok);
		break;
	case 3: {
		struct { struct vfio_iommu_type1_info i; char caps[256]; } c = { 0 };

		sioctl(in, &f, VFIO_IOMMU_GET_INFO, &c, sizeof(c.i) + (b & 0x80 ? 256 : 0),
		       offsetof(struct vfio_iommu_type1_info, iova_pgsizes) + 8,
		       "VFIO_IOMMU_GET_INFO", ok,
		       PRE_NONE);
		break;
	}
	case 4: case 5: {
		struct vfio_iommu_type1_dma_map c = { 0 };

		c.flags = b & 0x80 ? u32(in) : (VFIO_DMA_MAP_FLAG_READ |
						 ((b >> 3) & 1 ? VFIO_DMA_MAP_FLAG_WRITE : 0));
		c.vaddr = (uintptr_t)pick_ptr(in);
		c.iova = pick_iova(in);
		c.size = pick_len(in);
		/* Nothing beyond the block: the device must not reach other memory. */
		if (c.vaddr >= (uintptr_t)blk && c.vaddr < (uintptr_t)PAGE(N_BLOCK) &&
		    c.size > (uintptr_t)PAGE(N_BLOCK) - c.vaddr && c.size < (1ull << 40))
			c.size = (uintptr_t)PAGE(N_BLOCK) - c.vaddr;
		sioctl(in, &f, VFIO_IOMMU_MAP_DMA, &c, sizeof(c), sizeof(c),
		       "VFIO_IOMMU_MAP_DMA", ok,
		       PRE_NONE);
		break;
	}
	case 6: {
		struct vfio_iommu_type1_dma_unmap c = { 0 };

		c.flags = b & 0x80 ? VFIO_DMA_UNMAP_FLAG_ALL : rsv(in);
		c.iova = (b & 0x80) ? 0 : pick_iova(in);
		c.size = (b & 0x80) ? 0 : pick_len(in);
		sioctl(in, &f, VFIO_IOMMU_UNMAP_DMA, &c, sizeof(c),
		       offsetof(struct vfio_iommu_type1_dma_unmap, size) + 8,
		       "VFIO_IOMMU_UNMAP_DMA", ok,
		       PRE_NONE);
		break;
	}
	default: {
		/* IOMMU_VFIO_IOAS: the compat IOAS of an iommufd (group path). */
		struct iommu_vfio_ioas c = { 0 };

		c.ioas_id = (b & 0x80) ? pick_id(in, s->ioas, s->nioas) : 0;
		c.op = u8(in) % 4;
		sioctl(in, &f, IOMMU_VFIO_IOAS, &c, sizeof(c), sizeof(c),
		       "IOMMU_VFIO_IOAS", ok,
		       PRE_NONE);
		if (c.op == IOMMU_VFIO_IOAS_GET && c.ioas_id)
			add_id(s->ioas, &s->nioas, c.ioas_id);
		break;
	}
	}
}

static void op_iommufd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, K_IOMMU);
	const int *ok = f.kind == K_CONT || f.kind == K_IOMMU ? E_CORE : E_FOREIGN;

	switch (b % 6) {
	case 0: {
		struct iommu_ioas_alloc c = { 0 };

		c.flags = rsv(in);
		if (sioctl(in, &f, IOMMU_IOAS_ALLOC, &c, sizeof(c), sizeof(c),
			   "IOMMU_IOAS_ALLOC", ok,
		       PRE_NONE) == 0)
			add_id(s->ioas, &s->nioas, c.out_ioas_id);
		break;
	}
	case 1: {
		struct iommu_ioas_map c = { 0 };

		c.flags = (b & 0x80) ? u32(in) : IOMMU_IOAS_MAP_READABLE |
			  IOMMU_IOAS_MAP_WRITEABLE | ((b & 8) ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
		c.ioas_id = pick_id(in, s->ioas, s->nioas);
		c.user_va = (uintptr_t)pick_ptr(in);
		c.length = pick_len(in);
		if (c.user_va >= (uintptr_t)blk && c.user_va < (uintptr_t)PAGE(N_BLOCK) &&
		    c.length > (uintptr_t)PAGE(N_BLOCK) - c.user_va && c.length < (1ull << 40))
			c.length = (uintptr_t)PAGE(N_BLOCK) - c.user_va;
		c.iova = pick_iova(in);
		sioctl(in, &f, IOMMU_IOAS_MAP, &c, sizeof(c), sizeof(c),
		       "IOMMU_IOAS_MAP", ok,
		       PRE_NONE);
		break;
	}
	case 2: {
		struct iommu_ioas_unmap c = { 0 };

		c.ioas_id = pick_id(in, s->ioas, s->nioas);
		c.iova = (b & 8) ? pick_iova(in) : 0;
		c.length = (b & 8) ? pick_len(in) : UINT64_MAX;
		sioctl(in, &f, IOMMU_IOAS_UNMAP, &c, sizeof(c), sizeof(c),
		       "IOMMU_IOAS_UNMAP", ok,
		       PRE_NONE);
		break;
	}
	case 3: {
		struct iommu_hwpt_alloc c = { 0 };

		c.flags = (b & 0x80) ? u32(in) : 0;
		c.dev_id = pick_id(in, s->devid, s->ndevid);
		c.pt_id = (b & 8) ? pick_id(in, s->hwpt, s->nhwpt) :
				    pick_id(in, s->ioas, s->nioas);
		c.data_type = (b & 0x40) ? IOMMU_HWPT_DATA_VTD_S1 : IOMMU_HWPT_DATA_NONE;
		if (sioctl(in, &f, IOMMU_HWPT_ALLOC, &c, sizeof(c), sizeof(c),
			   "IOMMU_HWPT_ALLOC", ok,
		       PRE_NONE) == 0)
			add_id(s->hwpt, &s->nhwpt, c.out_hwpt_id);
		break;
	}
	case 4: {
		struct iommu_destroy c = { 0 };

		c.id = (b & 8) ? pick_id(in, s->hwpt, s->nhwpt) :
				 pick_id(in, s->ioas, s->nioas);
		sioctl(in, &f, IOMMU_DESTROY, &c, sizeof(c), sizeof(c),
		       "IOMMU_DESTROY", ok,
		       PRE_NONE);
		break;
	}
	default: {
		struct iommu_hw_info c = { 0 };

		c.dev_id = pick_id(in, s->devid, s->ndevid);
		c.data_len = (b & 8) ? u8(in) : sizeof(struct iommu_hw_info_vtd);
		c.data_uptr = (uintptr_t)pick_ptr(in);
		sioctl(in, &f, IOMMU_GET_HW_INFO, &c, sizeof(c), sizeof(c),
		       "IOMMU_GET_HW_INFO", ok,
		       PRE_NONE);
		break;
	}
	}
}

/* ------------------------------------------------------------------ */
/* groups */

static void op_group(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, K_GROUP);
	bool mine = f.kind == K_GROUP;
	long rc;
	int err;

	switch (b % 5) {
	case 0: {
		struct vfio_group_status c = { 0 };

		sioctl(in, &f, VFIO_GROUP_GET_STATUS, &c, sizeof(c), sizeof(c),
		       "VFIO_GROUP_GET_STATUS", mine ? E(EFAULT, EINVAL) : E_FOREIGN,
		       mine ? PRE_HDR : PRE_NONE);
		break;
	}
	case 1: {
		/* arg: a pointer to the container fd */
		struct fdent c = pick_fd(in, s, (b & 8) ? K_IOMMU : K_CONT);
		int32_t *p = (int32_t *)(void *)PAGE(P_ARG);
		char *at = (char *)p;

		*p = c.fd;
		if (b & 0x80)
			at = pick_ptr(in);
		rc = do_ioctl(f.fd, VFIO_GROUP_SET_CONTAINER, at, &err);
		check_rc("VFIO_GROUP_SET_CONTAINER", rc, err,
			 mine ? E(EFAULT, EBADF, EINVAL, EBADFD, ENOMEM, ENODEV) : E_FOREIGN);
		break;
	}
	case 2:
		rc = do_ioctl(f.fd, VFIO_GROUP_UNSET_CONTAINER, NULL, &err);
		check_rc("VFIO_GROUP_UNSET_CONTAINER", rc, err,
			 mine ? E(EINVAL, EBUSY) : E_FOREIGN);
		break;
	case 3: {
		/* A name: a device of the launch, with options or not, or not. */
		uint8_t k = u8(in);
		unsigned int d = k % ndevs;
		char *name = PAGE(P_ARG);
		int fd;

		switch ((k >> 4) % 8) {
		case 0: case 1: case 2:
			strcpy(name, devs[d].bdf);
			break;
		case 3:
			snprintf(name, PG, "%s vf_token=%s", devs[d].bdf,
				 (k & 8) ? "01234567-89ab-cdef-0123-456789abcdef" : "nope");
			break;
		case 4:
			snprintf(name, PG, "%s%s", devs[d].bdf, (k & 8) ? "  " : "x");
			break;
		case 5:
			/* no NUL in the first page */
			memset(name, 'a', PG);
			name[PG] = 0;
			break;
		case 6:
			name = pick_ptr(in);
			break;
		default:
			strcpy(name, "0000:ff:1f.7");
			break;
		}
		call_begin();
	errno = 0;
		fd = ioctl(f.fd, VFIO_GROUP_GET_DEVICE_FD, name);
		err = errno;
		check_rc("VFIO_GROUP_GET_DEVICE_FD", fd, err,
			 mine ? E(EFAULT, EINVAL, ENODEV, ENOMEM, EMFILE, EBUSY, EPERM,
				  EADDRINUSE) :
				E_FOREIGN);
		if (mine && !readable(name))
			expect_eq("VFIO_GROUP_GET_DEVICE_FD of an unreadable name", fd, err,
				  -1, EFAULT);
		if (mine && ((k >> 4) % 8) == 5)
			expect_eq("VFIO_GROUP_GET_DEVICE_FD of a name too long", fd, err,
				  -1, EINVAL);
		if (fd >= 0 && !mine && f.kind != K_NR)
			die("GET_DEVICE_FD on an fd that is no group gave an fd");
		/* The fd is a device of the group: which one, by its name. */
		if (fd >= 0) {
			unsigned int which = ndevs;

			for (unsigned int i = 0; i < ndevs; i++) {
				size_t n = strlen(devs[i].bdf);

				if (devs[i].group == groups[f.dev] &&
				    !strncmp(name, devs[i].bdf, n) &&
				    (name[n] == 0 || name[n] == ' '))
					which = i;
			}
			if (which == ndevs)
				die("GET_DEVICE_FD gave a device fd for a name of no device");
			add_fd(s, fd, K_GDEV, which, O_RDWR, -1);
		}
		memset(PAGE(P_ARG), 0, 2 * PG);
		break;
	}
	default: {
		uint32_t nr = u8(in);

		rc = do_ioctl(f.fd, _IO(VFIO_TYPE, nr), PAGE(P_ARG), &err);
		check_rc("group ioctl (any)", rc, err, E_FOREIGN);
		break;
	}
	}
}

/* ------------------------------------------------------------------ */
/* the cdev path */

#define E_DEV_WRONG E(EINVAL, EBADF, ENOTTY, EFAULT)

static void op_bind(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, K_CDEV);
	struct fdent i = pick_fd(in, s, (b & 8) ? K_CONT : K_IOMMU);
	struct vfio_device_bind_iommufd c = { 0 };

	c.flags = rsv(in);
	c.iommufd = i.fd;
	if (sioctl(in, &f, VFIO_DEVICE_BIND_IOMMUFD, &c, sizeof(c), sizeof(c),
		   "VFIO_DEVICE_BIND_IOMMUFD",
		   is_dev(&f) ? E(EFAULT, EINVAL, EBUSY, EBADF, EPERM, ENODEV, ENOMEM,
				  EBADFD, ENOENT) : E_FOREIGN,
		       is_dev(&f) ? PRE_HDR : PRE_NONE) == 0) {
		if (f.kind != K_CDEV)
			die("BIND_IOMMUFD of a file that is no cdev succeeded");
		if (s->granted[f.ofd] == G_YES)
			die("BIND_IOMMUFD of a bound cdev file succeeded");
		s->granted[f.ofd] = G_YES;
		add_id(s->devid, &s->ndevid, c.out_devid);
	}
}

/*
 * ATTACH and DETACH are cdev-only: on a group's device file they reach
 * vfio-pci's ioctl, which knows neither (ENOTTY, nothing copied).
 */
static void op_attach(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct fdent f = pick_fd(in, s, K_CDEV);
	const char *what;
	long rc;

	if (b & 1) {
		struct vfio_device_detach_iommufd_pt c = { 0 };

		c.flags = rsv(in);
		what = "VFIO_DEVICE_DETACH_IOMMUFD_PT";
		rc = sioctl(in, &f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &c, sizeof(c),
			    sizeof(c), what,
			    f.kind == K_CDEV ? E(EFAULT, EINVAL) :
			    f.kind == K_GDEV ? E(ENOTTY) : E_FOREIGN,
			    f.kind == K_CDEV ? dev_pre(s, &f) : PRE_NONE);
	} else {
		struct vfio_device_attach_iommufd_pt c = { 0 };

		c.flags = rsv(in);
		c.pt_id = (b & 2) ? pick_id(in, s->hwpt, s->nhwpt) :
				    pick_id(in, s->ioas, s->nioas);
		what = "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
		rc = sioctl(in, &f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &c, sizeof(c),
			    sizeof(c), what,
			    f.kind == K_CDEV ? E(EFAULT, EINVAL, ENOENT, EBUSY, ENODEV,
						 ENOMEM, EOPNOTSUPP, EPERM, ENOSPC,
						 EADDRINUSE) :
			    f.kind == K_GDEV ? E(ENOTTY) : E_FOREIGN,
			    f.kind == K_CDEV ? dev_pre(s, &f) : PRE_NONE);
	}
	if (f.kind == K_GDEV && rc != -1)
		die("%s succeeded on a group's device file", what);
}

/* ------------------------------------------------------------------ */
/* device ioctls */

/*
 * The fixed heads of the structs that end in a flexible array (so that
 * the data can follow in one struct without a GNU extension).
 */
struct irq_set_head {
	uint32_t argsz, flags, index, start, count;
};
struct hot_reset_head {
	uint32_t argsz, flags, count;
};
struct feature_head {
	uint32_t argsz, flags;
};
_Static_assert(sizeof(struct irq_set_head) == sizeof(struct vfio_irq_set), "irq_set");
_Static_assert(sizeof(struct hot_reset_head) == sizeof(struct vfio_pci_hot_reset),
	       "hot_reset");
_Static_assert(sizeof(struct hot_reset_head) == sizeof(struct vfio_pci_hot_reset_info),
	       "hot_reset_info");
_Static_assert(sizeof(struct feature_head) == sizeof(struct vfio_device_feature),
	       "feature");

static const int *dev_ok(const struct fdent *f, const int *ok)
{
	return is_dev(f) ? ok : E_FOREIGN;
}

static void op_get_info(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct { struct vfio_device_info i; char caps[64]; } c = { 0 };
	uint8_t b = u8(in);

	sioctl(in, &f, VFIO_DEVICE_GET_INFO, &c, sizeof(c.i) + (b & 1 ? 64 : 0),
	       offsetof(struct vfio_device_info, num_irqs) + 4,
	       "VFIO_DEVICE_GET_INFO", dev_ok(&f, E(EFAULT, EINVAL)),
		       dev_pre(s, &f));
}

static void op_region_info(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct { struct vfio_region_info i; char caps[64]; } c = { 0 };
	uint8_t b = u8(in);
	long rc;

	c.i.index = (b & 0x80) ? u32(in) : (b & 15);
	rc = sioctl(in, &f, VFIO_DEVICE_GET_REGION_INFO, &c,
		    sizeof(c.i) + ((b & 0x40) ? 64 : 0),
		    offsetof(struct vfio_region_info, offset) + 8,
		    "VFIO_DEVICE_GET_REGION_INFO", dev_ok(&f, E(EFAULT, EINVAL)),
		       dev_pre(s, &f));
	if (rc == 0 && is_dev(&f) && c.i.index < NREG &&
	    c.i.size != devs[f.dev].reg[c.i.index].size)
		die("GET_REGION_INFO %u: size %llu, was %llu", c.i.index,
		    (unsigned long long)c.i.size,
		    (unsigned long long)devs[f.dev].reg[c.i.index].size);
}

static void op_irq_info(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct vfio_irq_info c = { 0 };
	uint8_t b = u8(in);

	c.index = (b & 0x80) ? u32(in) : (b & 7);
	sioctl(in, &f, VFIO_DEVICE_GET_IRQ_INFO, &c, sizeof(c), sizeof(c),
	       "VFIO_DEVICE_GET_IRQ_INFO", dev_ok(&f, E(EFAULT, EINVAL)),
		       dev_pre(s, &f));
}

/* An fd for an eventfd slot: mostly an eventfd of ours. */
static int32_t pick_efd(struct in *in, struct state *s)
{
	uint8_t b = u8(in);

	if (b < 0xc0) {
		struct in sub = { &b, 1 };

		return pick_fd(&sub, s, K_EVENT).fd;
	}
	switch (b & 3) {
	case 0:
		return -1;
	case 1:
		return -2 - (b >> 2);
	case 2:
		return NOT_OPEN_FD;
	default:
		return pick_fd(in, s, (int)(u8(in) % K_NR)).fd;
	}
}

static void op_set_irqs(struct in *in, struct state *s)
{
	static const uint32_t actions[] = { VFIO_IRQ_SET_ACTION_TRIGGER,
		VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_MASK,
		VFIO_IRQ_SET_ACTION_UNMASK };
	static const uint32_t types[] = { VFIO_IRQ_SET_DATA_EVENTFD,
		VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
		VFIO_IRQ_SET_DATA_EVENTFD };
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in), k = u8(in);
	struct { struct irq_set_head h; uint8_t data[128]; } c;
	unsigned int n;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.h.flags = actions[b & 3] | types[(b >> 2) & 3];
	if (b & 0x80)
		c.h.flags = (k & 0x80) ? u32(in) : (c.h.flags | (1u << (k & 31)));
	c.h.index = (b & 0x40) ? u8(in) : (b >> 4) % 4 + ((k & 0x40) ? 1 : 0);
	switch (k & 7) {
	case 0: case 1: case 2:
		c.h.start = 0;
		c.h.count = 1 + (k >> 3) % 4;
		break;
	case 3:
		c.h.start = 0;
		c.h.count = 0;
		break;
	case 4:
		c.h.start = u8(in) % 12;
		c.h.count = u8(in) % 12;
		break;
	case 5:
		c.h.start = u32(in);
		c.h.count = u32(in);
		break;
	default:
		c.h.start = (k >> 3) % 8;
		c.h.count = 1;
		break;
	}
	/* The data: as many entries as count says, up to 32, of the type. */
	n = c.h.count < 32 ? c.h.count : 32;
	if (c.h.flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		for (unsigned int i = 0; i < n; i++) {
			int32_t fd = pick_efd(in, s);

			memcpy(c.data + 4 * i, &fd, 4);
		}
		len = sizeof(c.h) + 4 * n;
	} else if (c.h.flags & VFIO_IRQ_SET_DATA_BOOL) {
		for (unsigned int i = 0; i < n; i++)
			c.data[i] = u8(in) & 1 ? 1 : (i & 1);
		len = sizeof(c.h) + n;
	} else {
		len = sizeof(c.h);
	}
	sioctl(in, &f, VFIO_DEVICE_SET_IRQS, &c, len, sizeof(c.h),
	       "VFIO_DEVICE_SET_IRQS",
	       dev_ok(&f, E(EFAULT, EINVAL, ENOMEM, EBADF, ENOTTY, EBUSY, ENODEV)),
		       dev_pre(s, &f));
}

static void op_reset(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	long rc;
	int err;

	rc = do_ioctl(f.fd, VFIO_DEVICE_RESET, NULL, &err);
	check_rc("VFIO_DEVICE_RESET", rc, err, dev_ok(&f, E(EINVAL, EAGAIN, ENOTTY)));
	if (dev_pre(s, &f) == PRE_EINVAL)
		expect_eq("VFIO_DEVICE_RESET without access", rc, err, -1, EINVAL);
	else if (granted(s, &f) == G_YES && f.dev < ndevs)
		expect_eq("VFIO_DEVICE_RESET", rc, err, devs[f.dev].reset_works ? 0 : -1,
			  EINVAL);
}

static void op_hot_reset_info(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct { struct hot_reset_head h;
		 struct vfio_pci_dependent_device d[MAX_DEVS]; } c = { 0 };
	uint8_t b = u8(in);
	long rc;

	rc = sioctl(in, &f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &c,
		    sizeof(c.h) + (b % (MAX_DEVS + 1)) * sizeof(c.d[0]), sizeof(c.h),
		    "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
		    dev_ok(&f, E(EFAULT, EINVAL, ENODEV, ENOSPC, ENOMEM)),
		       dev_pre(s, &f));
	if (is_dev(&f) && devs[f.dev].root_bus && rc == 0)
		die("GET_PCI_HOT_RESET_INFO of a device on a root bus succeeded");
}

static void op_hot_reset(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct { struct hot_reset_head h; int32_t fds[16]; } c = { 0 };
	uint8_t b = u8(in);
	unsigned int n = b % 5;
	long rc;

	c.h.flags = rsv(in);
	c.h.count = (b & 0x80) ? u32(in) : n;
	for (unsigned int i = 0; i < n; i++) {
		struct fdent g = pick_fd(in, s, K_GROUP);

		c.fds[i] = g.fd;
	}
	rc = sioctl(in, &f, VFIO_DEVICE_PCI_HOT_RESET, &c, sizeof(c.h) + 4 * n,
		    sizeof(c.h), "VFIO_DEVICE_PCI_HOT_RESET",
		    dev_ok(&f, E(EFAULT, EINVAL, ENODEV, EBADF, ENOMEM, EBUSY, EAGAIN)),
		       dev_pre(s, &f));
	if (is_dev(&f) && devs[f.dev].root_bus && rc == 0)
		die("PCI_HOT_RESET of a device on a root bus succeeded");
}

/* A region offset: a region index, then where in it. */
static uint64_t pick_region_off(struct in *in, unsigned int dev, unsigned int *index)
{
	uint8_t b = u8(in), o = u8(in);
	unsigned int i = b % 11;
	uint64_t size, off;

	if (i >= NREG)
		i = (b & 0x80) ? 0xffffff : NREG + (b >> 4);
	*index = i;
	size = i < NREG && dev < ndevs ? devs[dev].reg[i].size : 0;
	switch (o & 7) {
	case 0: case 1:
		off = (uint64_t)(o >> 3) * 8;          /* the first registers */
		break;
	case 2:
		off = size ? u16(in) % size : u16(in);
		break;
	case 3:
		off = size - 1 - (o >> 3);             /* the last bytes */
		break;
	case 4:
		off = size + (o >> 3);                 /* past the end */
		break;
	case 5:
		off = (size / 2) + ((o >> 3) & ~3u);   /* the MSI-X table of some */
		break;
	case 6:
		off = u16(in);
		break;
	default:
		off = u64(in) & ((1ull << 40) - 1);
		break;
	}
	return REGION(i) | (off & ((1ull << 40) - 1));
}

static void op_ioeventfd(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct vfio_device_ioeventfd c = { 0 };
	uint8_t b = u8(in);
	unsigned int index;

	c.flags = (b & 0x80) ? u32(in) : 1u << (b & 3);
	c.offset = pick_region_off(in, f.dev, &index);
	c.data = u64(in);
	c.fd = (b & 0x40) ? -1 : pick_efd(in, s);
	sioctl(in, &f, VFIO_DEVICE_IOEVENTFD, &c, sizeof(c),
	       offsetof(struct vfio_device_ioeventfd, fd) + 4,
	       "VFIO_DEVICE_IOEVENTFD",
	       dev_ok(&f, E(EFAULT, EINVAL, ENODEV, EBADF, ENOTTY, EEXIST, ENOSPC,
			    ENOMEM)),
		       dev_pre(s, &f));
}

static void op_feature(struct in *in, struct state *s)
{
	static const uint32_t dirs[] = { VFIO_DEVICE_FEATURE_SET,
		VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_PROBE |
		VFIO_DEVICE_FEATURE_SET, VFIO_DEVICE_FEATURE_PROBE |
		VFIO_DEVICE_FEATURE_GET, 0, VFIO_DEVICE_FEATURE_PROBE,
		VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 1u << 19 };
	struct fdent f = pick_fd(in, s, K_GDEV);
	struct { struct feature_head h; int32_t fd; uint32_t rsvd;
		 char more[16]; } c = { 0 };
	uint8_t b = u8(in), k = u8(in);
	size_t len;

	c.h.flags = dirs[b & 7] | ((b & 0x80) ? u16(in) : (b >> 3) % 11);
	c.fd = (k & 0x80) ? -1 : pick_efd(in, s);
	c.rsvd = rsv(in);
	len = sizeof(c.h) + (k & 3) * 4 + ((k & 4) ? 12 : 0); /* up to sizeof(c) */
	sioctl(in, &f, VFIO_DEVICE_FEATURE, &c, len, sizeof(c.h),
	       "VFIO_DEVICE_FEATURE",
	       dev_ok(&f, E(EFAULT, EINVAL, ENOTTY, EBADF, EBUSY, ENOMEM)),
		       dev_pre(s, &f));
}

/* An ioctl number a device does not have, or one of another type. */
static void op_raw_ioctl(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in), nr = u8(in);
	unsigned long req;
	long rc;
	int err;

	switch (b & 3) {
	case 0:
		req = _IO(VFIO_TYPE, nr);
		break;
	case 1:
		req = _IOC((unsigned int)b >> 6, VFIO_TYPE, nr, u8(in));
		break;
	case 2:
		req = _IO(IOMMUFD_TYPE, nr);
		break;
	default:
		req = u32(in);
		break;
	}
	if (req == FIONBIO || req == FIOASYNC || req == FIOCLEX || req == FIONCLEX ||
	    req == FIOQSIZE || req == FIGETBSZ || (req >> 8 & 0xff) == 'T' ||
	    (req >> 8 & 0xff) == 0x12 || (req >> 8 & 0xff) == 0x94 ||
	    (req >> 8 & 0xff) == 'f' || (req >> 8 & 0xff) == 'X' || f.fd == rootdir)
		return; /* the VFS's and file systems' own: not the device's */
	if (verbose)
		fprintf(stderr, "[%d]  ioctl(%d, %#lx)\n", getpid(), f.fd, req);
	rc = do_ioctl(f.fd, req, pick_ptr(in), &err);
	check_rc("ioctl (any)", rc, err, E_FOREIGN);
}

/* ------------------------------------------------------------------ */
/* regions: pread, pwrite, read, write, lseek */

#define E_RW E(EINVAL, EFAULT, EIO, EBADF)

static size_t pick_count(struct in *in, uint64_t avail)
{
	uint8_t b = u8(in);

	switch (b & 7) {
	case 0: case 1:
		return 1u << ((b >> 3) & 3);        /* 1, 2, 4, 8 */
	case 2:
		return b >> 3;
	case 3:
		return 0;
	case 4:
		return avail < 4 * PG ? (size_t)avail : 4 * PG;
	case 5:
		return (size_t)1 << 31;             /* clamped by the VFS */
	case 6:
		return u16(in) % (4 * PG + 1);
	default:
		return SIZE_MAX - (b >> 3);         /* negative as ssize_t */
	}
}

/* A buffer for n bytes: mostly good, often not. */
static char *pick_buf(struct in *in, size_t n, bool write)
{
	uint8_t b = u8(in);
	char *at;

	if (b < 0xc0) {
		at = PAGE(P_RW + (b % 4) * 4) + ((b >> 2) & 7);
		if (write) {
			uint64_t v = u64(in);

			memcpy(at, &v, 8);
		}
		(void)n;
		return at;
	}
	{
		struct in sub = { &b, 1 };
		uint8_t r = (uint8_t)(b & 15);

		sub.p = &r;
		return pick_ptr(&sub);
	}
}

/*
 * What the VFS decides before a read or write reaches the device file
 * (ksys_pread64, vfs_read, rw_verify_area, and their write twins): the
 * errno, or 0 to go on. positional: pread/pwrite at pos; else the file
 * position, which only ever grows from 0 here.
 */
static int vfs_rw_errno(const struct fdent *f, const char *buf, size_t count,
			int64_t pos, bool positional, bool wr)
{
	uint64_t end;

	if (positional && pos < 0)
		return EINVAL;
	if (wr ? f->acc == O_RDONLY : f->acc == O_WRONLY)
		return EBADF;
	/* access_ok(buf, count): below the user address limit (4- or
	 * 5-level paging: the pointers used are far from either) */
	if (__builtin_add_overflow((uintptr_t)buf, count, &end) || end >= (1ull << 56))
		return EFAULT;
	if ((int64_t)count < 0)
		return EINVAL;
	if (positional && (int64_t)((uint64_t)pos + count) < 0)
		return EINVAL;
	return 0;
}

/* The checks of a read or a write of a device file, once done. */
static void check_dev_rw(const struct state *s, const struct fdent *f,
			 const char *what, long rc, int err, const char *buf,
			 size_t count, int64_t pos, bool positional, bool wr)
{
	int e = vfs_rw_errno(f, buf, count, pos, positional, wr);

	check_rc(what, rc, err, e ? E(EINVAL, EBADF, EFAULT) : E_RW);
	if (e) {
		expect_eq(what, rc, err, -1, e);
		return;
	}
	/* vfio_device_fops_read/write, then vfio-pci's: nothing to do is 0. */
	if (granted(s, f) == G_NO)
		expect_eq(what, rc, err, -1, EINVAL);
	else if (granted(s, f) == G_YES && !count)
		expect_eq(what, rc, err, 0, 0);
	if (rc > 0 && (size_t)rc > count)
		die("%s: %ld bytes of %zu", what, rc, count);
}

static void op_region_rw(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in);
	bool wr = b & 1;
	unsigned int index;
	uint64_t off = pick_region_off(in, f.dev, &index);
	uint64_t size = is_dev(&f) && index < NREG ? devs[f.dev].reg[index].size : 0;
	uint64_t in_reg = off & ((1ull << 40) - 1);
	size_t count = pick_count(in, size > in_reg ? size - in_reg : 0);
	char *buf = pick_buf(in, count, wr);

	/* /dev/null takes any count and reads nothing: ASan's pwrite would
	 * then check the whole buffer. */
	if (f.kind == K_NR && count > PG)
		count = PG;
	int64_t pos = (b & 0x80) ? ((b & 0x40) ? -1 - (int64_t)(b >> 2 & 7) :
					      INT64_MAX - (int64_t)(b >> 2 & 7)) :
				   (int64_t)off;
	ssize_t rc;
	int err;

	if (verbose)
		fprintf(stderr, "[%d]  %s(%d, %p, %#zx, %#llx)\n", getpid(),
			wr ? "pwrite" : "pread", f.fd, (void *)buf, count,
			(unsigned long long)pos);
	call_begin();
	errno = 0;
	rc = wr ? pwrite(f.fd, buf, count, (off_t)pos) :
		     pread(f.fd, buf, count, (off_t)pos);
	err = errno;
	if (is_dev(&f))
		check_dev_rw(s, &f, wr ? "pwrite" : "pread", rc, err, buf, count,
			     pos, true, wr);
	else
		check_rc(wr ? "pwrite (not a device)" : "pread (not a device)", rc,
			 err, E(EBADF, ESPIPE, EINVAL, EFAULT, EISDIR));
}

static void op_file_rw(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in);
	bool wr = b & 1;
	size_t count = pick_count(in, 8);
	char *buf = pick_buf(in, count, wr);

	if (f.kind == K_NR && count > PG)
		count = PG; /* as op_region_rw */
	ssize_t rc;
	off_t pos;
	int err;

	if (b & 2) {
		call_begin();
	errno = 0;
		pos = lseek(f.fd, (off_t)REGION(b >> 4), (b & 4) ? SEEK_CUR : SEEK_SET);
		err = errno;
		check_rc("lseek", pos, err, E(ESPIPE, EINVAL, EBADF));
		if (f.kind != K_EVENT && f.kind != K_NR)
			expect_eq("lseek of a vfio or iommufd file", pos, err, -1, ESPIPE);
		return;
	}
	if (verbose)
		fprintf(stderr, "[%d]  %s(%d, %p, %#zx)\n", getpid(),
			wr ? "write" : "read", f.fd, (void *)buf, count);
	call_begin();
	errno = 0;
	rc = wr ? write(f.fd, buf, count) : read(f.fd, buf, count);
	err = errno;
	if (is_dev(&f))
		check_dev_rw(s, &f, wr ? "write" : "read", rc, err, buf, count, 0,
			     false, wr);
	else
		check_rc(wr ? "write (not a device)" : "read (not a device)", rc,
			 err, E(EBADF, EINVAL, EFAULT, EAGAIN, EISDIR));
}

/* ------------------------------------------------------------------ */
/* mmap of BARs and accesses through the mappings */

static void map_drop(struct state *s, unsigned int i)
{
	s->maps[i] = s->maps[--s->nmaps];
}

/*
 * [addr, addr + len) was unmapped or replaced: the mappings there lose
 * those pages, as the kernel's VMAs do. What is left of one before and
 * after the range stays mapped, and holds the device file as a VMA does,
 * so it stays tracked (unmapped instead when there is no room for it).
 */
static void maps_forget(struct state *s, char *addr, size_t len)
{
	char *end = addr + ((len + PG - 1) & ~(size_t)(PG - 1));

	for (unsigned int i = 0; i < s->nmaps;) {
		struct map *m = &s->maps[i];
		char *mend = m->addr + m->len;

		if (!(m->addr < end && addr < mend)) {
			i++;
			continue;
		}
		if (mend > end) {
			struct map tail = *m;

			tail.boff += (uint64_t)(end - m->addr);
			tail.addr = end;
			tail.len = (size_t)(mend - end);
			if (s->nmaps < MAX_MAPS)
				s->maps[s->nmaps++] = tail;
			else if (munmap(tail.addr, tail.len))
				die("munmap of a BAR mapping's tail failed");
			m = &s->maps[i];
		}
		if (m->addr < addr) {
			m->len = (size_t)(addr - m->addr);
			i++;
		} else {
			map_drop(s, i);
		}
	}
}

/*
 * What the mmap system call decides before the file's mmap runs (the x86
 * entry, ksys_mmap_pgoff, do_mmap), for the cases the harness makes: the
 * errno, or 0. A failure here leaves whatever was mapped at addr alone.
 */
static int mmap_errno(const struct state *s, const struct fdent *f, size_t len,
		      int prot, int flags, uint64_t off, bool over)
{
	int acc = f->acc;

	(void)s;
	if (off & (PG - 1))
		return EINVAL;
	if (f->fd == -1 || f->fd == NOT_OPEN_FD)
		return EBADF;
	/*
	 * /dev/null, a directory: not the harness's business. An iommufd is a
	 * memfd opened read-write whatever the open asked: its mode is not
	 * the program's.
	 */
	if (f->kind == K_NR || f->kind == K_IOMMU || f->kind == K_CONT)
		return -1;
	if (!len)
		return EINVAL;
	if (len > SIZE_MAX - PG + 1)
		return ENOMEM;
	if (((off >> 12) + ((len + PG - 1) >> 12)) < (off >> 12))
		return EOVERFLOW;
	if (len > (1ull << 46))
		return ENOMEM; /* no room (the harness's huge lengths) */
	if ((flags & MAP_FIXED_NOREPLACE) && over)
		return EEXIST;
	if ((flags & MAP_TYPE) != MAP_PRIVATE) {
		/* NOREPLACE is no legacy flag: MAP_SHARED_VALIDATE refuses it */
		if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE &&
		    (flags & MAP_FIXED_NOREPLACE))
			return EOPNOTSUPP;
		if ((prot & PROT_WRITE) && acc == O_RDONLY)
			return EACCES;
	}
	if (acc == O_WRONLY)
		return EACCES;
	if (prot & PROT_EXEC)
		return -1; /* noexec or not: the host's mounts decide */
	if (!is_dev(f))
		return ENODEV;
	return 0;
}

static void op_mmap(struct in *in, struct state *s)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_READ, PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC, PROT_EXEC };
	static const int types[] = { MAP_SHARED, MAP_SHARED, MAP_SHARED_VALIDATE,
		MAP_PRIVATE };
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in), k = u8(in);
	unsigned int index = (b & 0x80) ? b % 16 : b % 6;
	uint64_t size = is_dev(&f) && index < NREG ? devs[f.dev].reg[index].size : 0;
	uint64_t boff;
	size_t len;
	int prot = prots[(b >> 3) & 7], flags = types[k & 3], err, e;
	char *addr = NULL, *p;
	struct map *over = NULL;

	switch ((k >> 2) & 7) {
	case 0: case 1: case 2:
		boff = 0;
		break;
	case 3:
		boff = PG * (u8(in) % 8);
		break;
	case 4:
		boff = u16(in);                    /* mostly unaligned */
		break;
	case 5:
		boff = size;
		break;
	default:
		boff = u64(in) & ((1ull << 40) - 1);
		break;
	}
	switch ((k >> 5) & 7) {
	case 0: case 1: case 2:
		len = size > PG ? (size_t)size : PG;
		break;
	case 3:
		len = PG * (1 + u8(in) % 4);
		break;
	case 4:
		len = u16(in);
		break;
	case 5:
		len = 0;
		break;
	case 6:
		len = (size_t)size + PG;
		break;
	default:
		len = (b & 4) ? SIZE_MAX - (b & 3) : (size_t)1 << 44;
		break;
	}
	/* Over a mapping of ours: MAP_FIXED replaces it, NOREPLACE must not. */
	if ((b & 0x40) && s->nmaps) {
		over = &s->maps[u8(in) % s->nmaps];
		addr = over->addr;
		if (len > over->len || !len)
			len = over->len;
		flags |= (b & 4) ? MAP_FIXED_NOREPLACE : MAP_FIXED;
	}
	if ((b & 0x20) && !over)
		flags |= (b & 2) ? MAP_POPULATE : MAP_NORESERVE;
	e = mmap_errno(s, &f, len, prot, flags, REGION(index) | boff, over);
	if (verbose)
		fprintf(stderr, "[%d]  mmap(%p, %#zx, %#x, %#x, %d, %#llx) expect %d\n",
			getpid(), (void *)addr, len, prot, flags, f.fd,
			(unsigned long long)(REGION(index) | boff), e);
	call_begin();
	errno = 0;
	p = mmap(addr, len, prot, flags, f.fd, (off_t)(REGION(index) | boff));
	err = errno;
	if (p == MAP_FAILED) {
		check_rc("mmap", -1, err,
			 E(EINVAL, EACCES, EPERM, ENOMEM, EOPNOTSUPP, EEXIST, EOVERFLOW,
			   EBADF, ENODEV));
		if (e >= 0)
			expect_eq("mmap", -1, err, -1, e ? e : err);
		/*
		 * MAP_FIXED failing in the file's mmap leaves a hole where the
		 * mapping was (6.12's __mmap_region); failing before, the
		 * mapping stays.
		 */
		if (over && !e && (flags & MAP_FIXED)) {
			maps_forget(s, addr, len);
			munmap(addr, len);
		}
		return;
	}
	trace("mmap", 0, 0);
	if (e > 0)
		die("mmap succeeded where the kernel fails with %s", strerror(e));
	if (over)
		maps_forget(s, p, len);
	if (!is_dev(&f)) {
		/* not a device: nothing of the harness's */
		munmap(p, len);
		return;
	}
	if (s->nmaps == MAX_MAPS) {
		munmap(s->maps[0].addr, s->maps[0].len);
		map_drop(s, 0);
	}
	s->maps[s->nmaps++] = (struct map){ .addr = p,
		.len = (len + PG - 1) & ~(PG - 1), .prot = prot,
		.dev = f.dev, .bar = (uint8_t)index, .boff = boff };
}

static void op_munmap(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	struct map *m;
	size_t n;

	if (!s->nmaps)
		return;
	m = &s->maps[b % s->nmaps];
	n = (b & 0x80) ? PG * (1 + (b >> 4) % 4) : m->len;
	if (n >= m->len) {
		if (munmap(m->addr, m->len))
			die("munmap of a BAR mapping failed");
		map_drop(s, b % s->nmaps);
		return;
	}
	/* The front pages go, the rest stays mapped. */
	if (munmap(m->addr, n))
		die("munmap of a BAR mapping's head failed");
	m->addr += n;
	m->len -= n;
	m->boff += n;
}

static sigjmp_buf bus_jb;
static void *volatile bus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_addr = si->si_code == BUS_ADRERR ? si->si_addr : NULL;
	siglongjmp(bus_jb, 1);
}

/*
 * Whether vfio-pci's fault handler refuses an access to dev's mapped BARs
 * (vfio_pci_mmap_huge_fault: SIGBUS): low power engaged, D3hot, or memory
 * decoding off in the virtual command register.
 */
static bool mmio_refused(unsigned int dev)
{
	const struct uio_vfio_device *d = &reg->devices[dev];
	const struct uio_vfio_pci *v = (const void *)((const char *)reg + d->vpci_off);

	return v->pm_engaged || v->power_state >= 3 ||
	       !(v->vconfig[PCI_COMMAND] & PCI_COMMAND_MEMORY);
}

/*
 * One load or store of w bytes at at (*val: the value stored, or loaded).
 * False if it was a SIGBUS (BUS_ADRERR at at, checked), caught here.
 */
static bool mmio_try(char *at, unsigned int w, bool store, uint64_t *val)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO | SA_NODEFER };
	struct sigaction old;
	volatile uint64_t v = *val;

	if (sigaction(SIGBUS, &sa, &old))
		die("sigaction: %s", strerror(errno));
	if (sigsetjmp(bus_jb, 1)) {
		sigaction(SIGBUS, &old, NULL);
		if (bus_addr != at)
			die("mmio: SIGBUS at %p, the access was at %p", bus_addr,
			    (void *)at);
		return false;
	}
	switch (w) {
	case 1:
		if (store)
			*(volatile uint8_t *)at = (uint8_t)v;
		else
			v = *(volatile uint8_t *)at;
		break;
	case 2:
		if (store)
			*(volatile uint16_t *)(void *)at = (uint16_t)v;
		else
			v = *(volatile uint16_t *)(void *)at;
		break;
	case 4:
		if (store)
			*(volatile uint32_t *)(void *)at = (uint32_t)v;
		else
			v = *(volatile uint32_t *)(void *)at;
		break;
	default:
		if (store)
			*(volatile uint64_t *)(void *)at = v;
		else
			v = *(volatile uint64_t *)(void *)at;
		break;
	}
	sigaction(SIGBUS, &old, NULL);
	*val = v;
	return true;
}

/*
 * A load or a store through a mapping: a width, an offset inside it. A
 * mapping that cannot be read (PROT_NONE, PROT_EXEC alone: x86 maps a
 * PROT_WRITE page readable too) is not loaded, one without PROT_WRITE not
 * stored to: the kernel would kill us. An access vfio-pci refuses is a
 * SIGBUS, one it serves is not.
 */
static void op_mmio(struct in *in, struct state *s)
{
	uint8_t b = u8(in);
	unsigned int w = 1u << (b & 3);
	bool store = b & 4, refused, served;
	struct map *m;
	uint64_t off, v;
	char *at;

	if (!s->nmaps)
		return;
	m = &s->maps[u8(in) % s->nmaps];
	switch ((b >> 3) & 3) {
	case 0: case 1:
		off = (uint64_t)u8(in) * 8;
		break;
	case 2:
		off = u16(in);
		break;
	default:
		off = u32(in);
		break;
	}
	if (!(b & 0x20))
		off &= ~(uint64_t)(w - 1);
	if (off + w > m->len)
		off = m->len - w;
	v = u64(in);
	at = m->addr + off;
	if (store ? !(m->prot & PROT_WRITE) : !(m->prot & (PROT_READ | PROT_WRITE)))
		return;
	refused = mmio_refused(m->dev);
	served = mmio_try(at, w, store, &v);
	if (verbose)
		fprintf(stderr, "[%d]  mmio %s BAR%u+%#llx/%u = %s%#llx\n", getpid(),
			store ? "store" : "load", m->bar,
			(unsigned long long)(m->boff + off), w,
			served ? "" : "SIGBUS, ", (unsigned long long)v);
	if (served && refused)
		die("mmio %s BAR%u+%#llx/%u served, where vfio-pci refuses it (SIGBUS)",
		    store ? "store" : "load", m->bar, (unsigned long long)(m->boff + off), w);
	if (!served && !refused)
		die("mmio %s BAR%u+%#llx/%u: SIGBUS, where vfio-pci serves it",
		    store ? "store" : "load", m->bar, (unsigned long long)(m->boff + off), w);
}

/* ------------------------------------------------------------------ */
/* the rest */

/* Config space: a register of the header or a capability, read or written. */
static void op_config(struct in *in, struct state *s)
{
	static const uint16_t regs[] = { 0x04, 0x04, 0x06, 0x10, 0x14, 0x18, 0x1c,
		0x20, 0x24, 0x30, 0x3c, 0x3d, 0x34, 0x0c, 0x0d, 0x0e };
	struct fdent f = pick_fd(in, s, K_GDEV);
	uint8_t b = u8(in);
	unsigned int w = 1u << (b & 3);
	uint32_t off;
	uint64_t v = 0;
	ssize_t rc;
	int err;

	if (w == 8)
		w = 4;
	off = (b & 0x80) ? u16(in) % 0x1008 : (b & 0x40) ? 0x40 + u8(in) :
		regs[(b >> 2) & 15];
	if (b & 4) {
		v = (b & 0x20) ? u32(in) : (b & 0x10 ? 0xffffffffu : 0x0006);
		call_begin();
	errno = 0;
		rc = pwrite(f.fd, &v, w, (off_t)(REGION(VFIO_PCI_CONFIG_REGION_INDEX) | off));
	} else {
		call_begin();
	errno = 0;
		rc = pread(f.fd, &v, w, (off_t)(REGION(VFIO_PCI_CONFIG_REGION_INDEX) | off));
	}
	err = errno;
	check_rc("config access", rc, err, is_dev(&f) ? E_RW : E(EBADF, ESPIPE, EINVAL, EISDIR));
	if (is_dev(&f) && rc >= 0 && f.dev < ndevs &&
	    off + w > devs[f.dev].reg[VFIO_PCI_CONFIG_REGION_INDEX].size)
		die("config access past the end of config space succeeded");
}

static void op_event_read(struct in *in, struct state *s)
{
	struct fdent f = pick_fd(in, s, K_EVENT);
	uint64_t v;

	if (f.kind == K_EVENT && read(f.fd, &v, 8) < 0 && errno != EAGAIN)
		die("read of an eventfd: %s", strerror(errno));
}

/* Bytes into the RW pages: data and DMA buffers, descriptors. */
static void op_poke(struct in *in, struct state *s)
{
	unsigned int off = u16(in) % (N_RW * PG), n = u8(in) % 64;

	(void)s;
	for (unsigned int i = 0; i < n && off + i < N_RW * PG; i++)
		PAGE(P_RW)[off + i] = (char)u8(in);
}

/* Arm fault injection: the Nth failure point of this process fails. */
static void op_fail_nth(struct in *in, struct state *s)
{
	uint8_t b = u8(in);

	(void)s;
	if (fail_nth)
		fail_nth(1 + b % 16);
}

static void run_ops(struct in *in, struct state *s, int max);

/*
 * A child: the next n bytes of the input are its own ops on what it
 * inherited (fds, mappings, the device state); it exits 0 and nothing is
 * closed for it but by its exit. A fork costs as much as a hundred calls
 * under ASan (its page tables) and the child's coverage never reaches
 * libFuzzer, so it takes a second byte 'F', and one child an input;
 * otherwise the n bytes run here.
 */
static void op_fork(struct in *in, struct state *s)
{
	uint8_t n = u8(in), magic = u8(in);
	struct in sub = { in->p, n < in->n ? n : in->n };
	pid_t pid;
	int st;

	in->p += sub.n;
	in->n -= sub.n;
	if (magic != 'F' || s->child || s->forked) {
		if (s->depth < 2) {
			s->depth++;
			run_ops(&sub, s, 24);
			s->depth--;
		}
		return;
	}
	s->forked = true;
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		s->child = true;
		run_ops(&sub, s, 24);
		if (fail_nth)
			fail_nth(0);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("a child ended with status %#x", st);
	/* The child may have bound cdev files it shares with us. */
	for (unsigned int i = 0; i < s->nfds; i++)
		if (s->fds[i].kind == K_CDEV && s->granted[s->fds[i].ofd] == G_NO)
			s->granted[s->fds[i].ofd] = G_UNKNOWN;
}

typedef void (*op_fn)(struct in *, struct state *);

static const op_fn ops[] = {
	op_open_container,      /* 0 */
	op_open_iommufd,
	op_open_group,
	op_open_cdev,
	op_eventfd,
	op_close,               /* 5 */
	op_dup,
	op_container,
	op_iommufd,
	op_group,
	op_bind,                /* 10 */
	op_attach,
	op_get_info,
	op_region_info,
	op_irq_info,
	op_set_irqs,            /* 15 */
	op_reset,
	op_hot_reset_info,
	op_hot_reset,
	op_ioeventfd,
	op_feature,             /* 20 */
	op_raw_ioctl,
	op_region_rw,
	op_file_rw,
	op_mmap,
	op_munmap,              /* 25 */
	op_mmio,
	op_config,
	op_event_read,
	op_poke,
	op_fail_nth,            /* 30 */
	op_fork,
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

static void run_ops(struct in *in, struct state *s, int max)
{
	for (int n = 0; in->n && n < max; n++)
		ops[u8(in) % NOPS](in, s);
}

/* ------------------------------------------------------------------ */
/* set-up: the launch's devices */

static void map_registry(void)
{
	const char *rundir = getenv("UIOMMUFD_RUNDIR");
	char path[512];
	struct stat st;
	int fd;

	if (!rundir || !*rundir)
		die("not under uiommufd-run (no UIOMMUFD_RUNDIR); run as\n"
		    "  uiommufd-run --vfio-device BDF[@GROUP][,model=M]... -- %s ...",
		    "fuzz_vfio");
	snprintf(path, sizeof(path), "%s/registry", rundir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s (no --vfio-device given?)", path, strerror(errno));
	reg_size = (size_t)st.st_size;
	reg = mmap(NULL, reg_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (reg == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	if (!reg->ndevices)
		die("the launch has no VFIO device");
}

/* Regions, interrupts and reset of each device, through its cdev. */
static void probe_devices(void)
{
	int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (ifd < 0)
		die("/dev/iommu: %s", strerror(errno));
	for (unsigned int i = 0; i < ndevs; i++) {
		struct dev *d = &devs[i];
		struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind), .iommufd = ifd };
		struct vfio_device_info info = { .argsz = sizeof(info) };
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%u", d->cdev);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
		    ioctl(fd, VFIO_DEVICE_GET_INFO, &info))
			die("%s: %s", path, strerror(errno));
		d->reset_works = info.flags & VFIO_DEVICE_FLAGS_RESET;
		for (unsigned int r = 0; r < NREG; r++) {
			struct vfio_region_info ri = { .argsz = sizeof(ri), .index = r };

			if (!ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, &ri)) {
				d->reg[r].size = ri.size;
				d->reg[r].flags = ri.flags;
			}
		}
		for (unsigned int q = 0; q < NIRQ; q++) {
			struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = q };

			if (!ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii))
				d->irqs[q] = ii.count;
		}
		close(fd);
		if (verbose)
			fprintf(stderr, "fuzz_vfio: %s group %u vfio%u: config %llu, "
				"BAR0 %llu, BAR2 %llu, MSI %u, MSI-X %u%s%s\n",
				d->bdf, d->group, d->cdev,
				(unsigned long long)d->reg[VFIO_PCI_CONFIG_REGION_INDEX].size,
				(unsigned long long)d->reg[0].size,
				(unsigned long long)d->reg[2].size,
				d->irqs[VFIO_PCI_MSI_IRQ_INDEX],
				d->irqs[VFIO_PCI_MSIX_IRQ_INDEX],
				d->reset_works ? ", reset" : "",
				d->root_bus ? ", root bus" : "");
	}
	close(ifd);
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	/* The ioctls' and mmaps' SIGSEGV come back as EFAULT; a broken pipe
	 * would not be ours either. */
	signal(SIGPIPE, SIG_IGN);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	rootdir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devnull < 0 || rootdir < 0)
		die("/dev/null, /: %s", strerror(errno));
	block_setup();
	map_registry();
	ndevs = reg->ndevices < MAX_DEVS ? reg->ndevices : MAX_DEVS;
	for (unsigned int i = 0; i < ndevs; i++) {
		const struct uio_vfio_device *rd = &reg->devices[i];
		unsigned int g;

		memcpy(devs[i].bdf, rd->bdf, sizeof(devs[i].bdf));
		devs[i].group = reg->groups[rd->group].number;
		devs[i].cdev = rd->index;
		devs[i].root_bus = !strncmp(rd->bdf + 5, "00:", 3);
		for (g = 0; g < ngroups && groups[g] != devs[i].group; g++)
			;
		if (g == ngroups)
			groups[ngroups++] = devs[i].group;
	}
	fail_nth = (void (*)(unsigned int))(uintptr_t)dlsym(RTLD_DEFAULT,
							    "uiommufd_fail_nth");
	fail_pending = (int (*)(void))(uintptr_t)dlsym(RTLD_DEFAULT,
							"uiommufd_fail_pending");
	if (!fail_pending)
		fail_nth = NULL;
	probe_devices();
}

/* ------------------------------------------------------------------ */
/* the end of an input */

/* The fds open now, as a bitmap of the first 1024. */
struct fdset {
	uint64_t w[16];
};

static void fds_open(struct fdset *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self;

	memset(set, 0, sizeof(*set));
	if (!d)
		die("/proc/self/fd: %s", strerror(errno));
	self = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == self || fd >= 1024)
			continue;
		set->w[fd / 64] |= 1ull << (fd % 64);
	}
	closedir(d);
}

/* Nothing of the devices may be left once every file of theirs is closed. */
static void check_registry(void)
{
	for (unsigned int i = 0; i < reg->ndevices; i++) {
		const struct uio_vfio_device *d = &reg->devices[i];
		const struct uio_vfio_pci *v = (const void *)((const char *)reg + d->vpci_off);

		for (unsigned int f = 0; f < UIO_VFIO_MAX_FILES; f++)
			if (d->files[f].state != UIO_VFIO_FILE_FREE)
				die("%s: open file %u left (state %u)", d->bdf, f,
				    d->files[f].state);
		if (d->open_count || d->cdev_opened || d->iommufd || d->attached)
			die("%s: left open (%u), cdev-opened %d, bound %llu, attached %d",
			    d->bdf, d->open_count, d->cdev_opened,
			    (unsigned long long)d->iommufd, d->attached);
		if (v->irq_type != UIO_VPCI_IRQ_NONE || v->nvec || v->pm_engaged ||
		    atomic_load(&v->intx_unmask.word))
			die("%s: interrupts left set (type %u, %u vectors), low power %d",
			    d->bdf, v->irq_type, v->nvec, v->pm_engaged);
		if (v->ioeventfds_nr)
			die("%s: %u ioeventfds left", d->bdf, v->ioeventfds_nr);
		if (atomic_load(&v->intx.word) || atomic_load(&v->err.word) ||
		    atomic_load(&v->req.word) || atomic_load(&v->pm_wake.word))
			die("%s: an eventfd left set", d->bdf);
		for (unsigned int k = 0; k < UIO_PCI_MSIX_MAX; k++)
			if (atomic_load(&v->vec[k].word))
				die("%s: vector %u's eventfd left set", d->bdf, k);
	}
	for (unsigned int g = 0; g < reg->ngroups; g++) {
		const struct uio_vfio_group *gr = &reg->groups[g];

		if (gr->opened || gr->iommufd || gr->cdev_device_open_cnt)
			die("group %u: left open %d, container %llu, cdevs %u", gr->number,
			    gr->opened, (unsigned long long)gr->iommufd,
			    gr->cdev_device_open_cnt);
	}
}

static void teardown(struct state *s, const struct fdset *before)
{
	struct fdset after;

	if (fail_nth)
		fail_nth(0);
	for (unsigned int i = 0; i < s->nmaps; i++)
		if (munmap(s->maps[i].addr, s->maps[i].len))
			die("munmap: %s", strerror(errno));
	s->nmaps = 0;
	for (unsigned int i = 0; i < s->nfds; i++)
		if (close(s->fds[i].fd))
			die("close %d: %s", s->fds[i].fd, strerror(errno));
	s->nfds = 0;
	/*
	 * Files whose last holder was a child that exited are released by the
	 * next call that looks (an open of the group sweeps the group and its
	 * devices); the kernel released them at the exit. Once every file is
	 * gone, each group must open.
	 */
	for (unsigned int g = 0; g < ngroups; g++) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/vfio/%u", groups[g]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die("%s: %s, with every file closed", path, strerror(errno));
		close(fd);
	}
	check_registry();
	fds_open(&after);
	for (unsigned int w = 0; w < 16; w++) {
		uint64_t left = after.w[w] & ~before->w[w];

		if (left) {
			int fd = (int)(w * 64 + (unsigned int)__builtin_ctzll(left));
			char path[64], link[256];
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			n = readlink(path, link, sizeof(link) - 1);
			link[n > 0 ? n : 0] = 0;
			die("fd %d left open (%s)", fd, link);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct fdset before;
	static struct state s;

	init_once();
	block_ensure();
	memset(PAGE(P_ARG), 0, (P_RO - P_ARG) * PG);
	memset(PAGE(P_TAIL), 0, 2 * PG);
	memset(&s, 0, sizeof(s));
	fds_open(&before);
	run_ops(&in, &s, MAX_OPS);
	teardown(&s, &before);
	return 0;
}
