// SPDX-License-Identifier: MIT
/*
 * Hostile input at the edge of the uAPI.
 *   - Every user pointer, the ioctl argument itself and each pointer field,
 *     aimed at unmapped memory, PROT_NONE memory, read-only memory (where
 *     the kernel writes) and a buffer running into a guard page: EFAULT,
 *     never a signal (a SIGSEGV/SIGBUS handler fails the test).
 *   - Huge counts and lengths: the kernel's errno, without a huge
 *     allocation (under `ulimit -v` this binary needs no more address
 *     space than conf_fds does).
 *   - A program that unmaps or moves part of its pinned memory, closes a
 *     dup while a thread works, lets the last holder of an access or of
 *     the context exit, or execs while its memory is pinned, leaves a
 *     consistent context behind, and the pages stay the kernel's.
 * Every expectation is the reference kernel's answer, quirks included:
 * GET_DIRTY_BITMAP reports no bad bitmap, allowed IOVA ranges steer only
 * automatic IOVAs, a failed IOAS_UNMAP keeps what it unmapped before.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "conf.h"

static char *self;
static int failures;

/* Compare an errno, count a mismatch and carry on: one run shows them all. */
#define EXPECT(expr, want)                                                    \
	do {                                                                  \
		long got_ = (long)(expr), want_ = (long)(want);               \
		if (got_ != want_) {                                          \
			fprintf(stderr, "%s:%d: %s = %ld (%s), want %ld (%s)\n", \
				__FILE__, __LINE__, #expr, got_,              \
				strerror((int)(got_ < 0 ? -got_ : got_)),     \
				want_,                                        \
				strerror((int)(want_ < 0 ? -want_ : want_))); \
			failures++;                                           \
		}                                                             \
	} while (0)

static void done(void)
{
	int f = failures;

	failures = 0;
	assert_int_equal(f, 0);
}

/* ------------------------------------------------------------------ */
/* memory fixtures */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "conf_hostile: signal delivered to the program\n";

	(void)si;
	(void)uc;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(96 + sig);
	_exit(96 + (sig == SIGBUS));
}

static void install_fault_handlers(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
	assert_int_equal(sigaction(SIGBUS, &sa, NULL), 0);
}

/* cmocka puts its own handlers in place around each test: ours go after. */
static void begin(void **state)
{
	(void)state;
	install_fault_handlers();
}

static char *anon(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/*
 * An address with nothing mapped at it, checked at each use (mincore()
 * fails with ENOMEM on unmapped memory): a later mmap may take the page.
 */
static char *gone_page;

static char *hole(void)
{
	unsigned char vec;

	if (gone_page && mincore(gone_page, PAGE, &vec) && errno == ENOMEM)
		return gone_page;
	gone_page = anon(PAGE, PROT_READ | PROT_WRITE);
	assert_int_equal(munmap(gone_page, PAGE), 0);
	return gone_page;
}
#define gone (hole())

/* `len` bytes (zeroed, or a copy of src) on a page made read-only. */
static char *ro_copy(const void *src, size_t len)
{
	char *p = anon(PAGE, PROT_READ | PROT_WRITE);

	if (src)
		memcpy(p, src, len);
	assert_int_equal(mprotect(p, PAGE, PROT_READ), 0);
	return p;
}

/*
 * The last `room` bytes of `pages` mapped pages (a copy of src, or zero),
 * followed by a PROT_NONE guard page: a buffer that runs past the end of
 * its mapping. (A guard that stays reserved: an unmapped page could be
 * taken by the next mmap.)
 */
static char *edge(size_t pages, const void *src, size_t room)
{
	char *p = anon((pages + 1) * PAGE, PROT_READ | PROT_WRITE);
	char *q = p + pages * PAGE - room;

	assert_int_equal(mprotect(p + pages * PAGE, PAGE, PROT_NONE), 0);
	if (src)
		memcpy(q, src, room);
	return q;
}

static char *none, *ro;

/* ------------------------------------------------------------------ */
/* helpers of this file alone (the shared ones are in conf.h) */

struct mock { uint32_t stdev, hwpt, idev; };

static int mock_domain(uint32_t ioas_id, uint32_t dev_flags, struct mock *m)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				    .id = ioas_id,
				    .mock_domain_flags.dev_flags = dev_flags };
	int rc = test_cmd(fd, &c);

	if (!rc && m) {
		m->stdev = c.mock_domain.out_stdev_id;
		m->hwpt = c.mock_domain.out_hwpt_id;
		m->idev = c.mock_domain.out_idev_id;
	}
	return rc;
}

static uint64_t unmap_all(uint32_t id)
{
	uint64_t n = 0;

	EXPECT(unmap(fd, id, 0, UINT64_MAX, &n), 0);
	return n;
}

static int iova_ranges(uint32_t id, void *ranges, uint32_t *n)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = id,
					    .num_iovas = *n,
					    .allowed_iovas = (uintptr_t)ranges };
	int rc = xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);

	*n = q.num_iovas;
	return rc;
}

static int hw_info(uint32_t dev, void *data, uint32_t len, uint32_t *out_len)
{
	struct iommu_hw_info h = { .size = sizeof(h), .dev_id = dev,
				   .data_len = len, .data_uptr = (uintptr_t)data };
	int rc = xioctl(fd, IOMMU_GET_HW_INFO, &h);

	if (out_len)
		*out_len = h.data_len;
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	none = anon(PAGE, PROT_NONE);
	ro = ro_copy(NULL, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* bad pointers */

struct cmd_desc {
	const char *name;
	unsigned long nr;
	uint32_t size;
};

static const struct cmd_desc cmds[] = {
	{ "DESTROY", IOMMU_DESTROY, sizeof(struct iommu_destroy) },
	{ "IOAS_ALLOC", IOMMU_IOAS_ALLOC, sizeof(struct iommu_ioas_alloc) },
	{ "IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, sizeof(struct iommu_ioas_allow_iovas) },
	{ "IOAS_COPY", IOMMU_IOAS_COPY, sizeof(struct iommu_ioas_copy) },
	{ "IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, sizeof(struct iommu_ioas_iova_ranges) },
	{ "IOAS_MAP", IOMMU_IOAS_MAP, sizeof(struct iommu_ioas_map) },
	{ "IOAS_UNMAP", IOMMU_IOAS_UNMAP, sizeof(struct iommu_ioas_unmap) },
	{ "OPTION", IOMMU_OPTION, sizeof(struct iommu_option) },
	{ "VFIO_IOAS", IOMMU_VFIO_IOAS, sizeof(struct iommu_vfio_ioas) },
	{ "HWPT_ALLOC", IOMMU_HWPT_ALLOC, sizeof(struct iommu_hwpt_alloc) },
	{ "GET_HW_INFO", IOMMU_GET_HW_INFO, sizeof(struct iommu_hw_info) },
	{ "HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING,
	  sizeof(struct iommu_hwpt_set_dirty_tracking) },
	{ "HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP,
	  sizeof(struct iommu_hwpt_get_dirty_bitmap) },
	{ "HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE, sizeof(struct iommu_hwpt_invalidate) },
	{ "FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC, sizeof(struct iommu_fault_alloc) },
	{ "TEST_CMD", IOMMU_TEST_CMD, sizeof(struct iommu_test_cmd) },
	{ "VFIO_IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, sizeof(struct vfio_iommu_type1_info) },
	{ "VFIO_IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, sizeof(struct vfio_iommu_type1_dma_map) },
	{ "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, sizeof(struct vfio_iommu_type1_dma_unmap) },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* The argument itself: NULL, unmapped, PROT_NONE, or only its size word. */
static void test_arg_pointer(void **state)
{
	uint32_t ioas = ioas_alloc(fd);

	begin(state);
	EXPECT(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	EXPECT(vioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	for (size_t i = 0; i < NCMDS; i++) {
		char *e = edge(1, &cmds[i].size, sizeof(uint32_t));
		char *e8 = edge(1, NULL, 8);

		memcpy(e8, &cmds[i].size, 4);
		fprintf(stderr, "# %s\n", cmds[i].name);
		EXPECT(xioctl(fd, cmds[i].nr, NULL), EFAULT);
		EXPECT(xioctl(fd, cmds[i].nr, gone), EFAULT);
		EXPECT(xioctl(fd, cmds[i].nr, none), EFAULT);
		EXPECT(xioctl(fd, cmds[i].nr, gone + PAGE - 2), EFAULT);
		EXPECT(xioctl(fd, cmds[i].nr, e), EFAULT);
		if (cmds[i].size > 8)
			EXPECT(xioctl(fd, cmds[i].nr, e8), EFAULT);
		munmap(e8 + 8 - PAGE, 2 * PAGE);
		munmap(e + 4 - PAGE, 2 * PAGE);
	}
	/* Nothing was created by any of them. */
	EXPECT(ioas_alloc(fd), ioas + 1);
	done();
}

/* The answer written back into read-only memory. */
static void test_arg_read_only(void **state)
{
	char *buf = aligned_buffer(4 * PAGE, 0);
	uint32_t ioas = ioas_alloc(fd), ioas2 = ioas_alloc(fd), next;
	uint64_t n;
	int probe;

	begin(state);
	memset(buf, 0x11, 4 * PAGE);
	/* IOAS_ALLOC: the object is not kept, its id is given again. */
	next = ioas_alloc(fd);
	EXPECT(destroy(fd, next), 0);
	{
		struct iommu_ioas_alloc a = { .size = sizeof(a) };
		char *p = ro_copy(&a, sizeof(a));

		EXPECT(xioctl(fd, IOMMU_IOAS_ALLOC, p), EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(ioas_alloc(fd), next);
	EXPECT(destroy(fd, next), 0);
	EXPECT(destroy(fd, next + 1), ENOENT);

	/* IOAS_MAP: the area is mapped, only the answer is lost. */
	{
		struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW | FIXED,
					    .ioas_id = ioas, .user_va = (uintptr_t)buf,
					    .length = PAGE, .iova = 0x100000 };
		char *p = ro_copy(&m, sizeof(m));

		EXPECT(xioctl(fd, IOMMU_IOAS_MAP, p), EFAULT);
		m.flags = RW;
		munmap(p, PAGE);
		p = ro_copy(&m, sizeof(m));
		EXPECT(xioctl(fd, IOMMU_IOAS_MAP, p), EFAULT);
		munmap(p, PAGE);
	}
	n = 0x100000;
	EXPECT(map(fd, ioas, buf, PAGE, &n, RW | FIXED), EEXIST);

	/* IOAS_COPY: copied, answer lost. */
	{
		struct iommu_ioas_copy c = { .size = sizeof(c), .flags = RW | FIXED,
					     .dst_ioas_id = ioas2, .src_ioas_id = ioas,
					     .length = PAGE, .dst_iova = 0x200000,
					     .src_iova = 0x100000 };
		char *p = ro_copy(&c, sizeof(c));

		EXPECT(xioctl(fd, IOMMU_IOAS_COPY, p), EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(unmap_all(ioas2), PAGE);

	/* IOAS_UNMAP: unmapped, answer lost. */
	{
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
					      .iova = 0x100000, .length = PAGE };
		char *p = ro_copy(&u, sizeof(u));

		EXPECT(xioctl(fd, IOMMU_IOAS_UNMAP, p), EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(unmap_all(ioas), PAGE);

	/* IOVA_RANGES and OPTION (GET and SET) */
	{
		struct iommu_iova_range r[2];
		struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
						    .num_iovas = 2,
						    .allowed_iovas = (uintptr_t)r };
		struct iommu_option o = { .size = sizeof(o),
					  .option_id = IOMMU_OPTION_RLIMIT_MODE,
					  .op = IOMMU_OPTION_OP_GET };
		char *p = ro_copy(&q, sizeof(q));

		EXPECT(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, p), EFAULT);
		munmap(p, PAGE);
		p = ro_copy(&o, sizeof(o));
		EXPECT(xioctl(fd, IOMMU_OPTION, p), EFAULT);
		munmap(p, PAGE);
		o.option_id = IOMMU_OPTION_HUGE_PAGES;
		o.object_id = ioas;
		o.op = IOMMU_OPTION_OP_SET;
		o.val64 = 1;
		p = ro_copy(&o, sizeof(o));
		EXPECT(xioctl(fd, IOMMU_OPTION, p), EFAULT);
		munmap(p, PAGE);
	}

	/* MOCK_DOMAIN: undone, the same ids come again. */
	{
		struct mock m1, m2;
		struct iommu_test_cmd c = { .size = sizeof(c),
					    .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };
		char *p;

		EXPECT(mock_domain(ioas, 0, &m1), 0);
		EXPECT(destroy(fd, m1.stdev), 0);
		p = ro_copy(&c, sizeof(c));
		EXPECT(xioctl(fd, IOMMU_TEST_CMD, p), EFAULT);
		munmap(p, PAGE);
		EXPECT(mock_domain(ioas, 0, &m2), 0);
		EXPECT(m2.stdev, m1.stdev);
		EXPECT(m2.hwpt, m1.hwpt);
		EXPECT(m2.idev, m1.idev);

		/* HWPT_ALLOC and GET_HW_INFO */
		struct iommu_hwpt_alloc ha = { .size = sizeof(ha), .dev_id = m2.idev,
					       .pt_id = ioas };
		struct iommu_test_hw_info info;
		struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = m2.idev,
					    .data_len = sizeof(info),
					    .data_uptr = (uintptr_t)&info };
		uint32_t h;

		EXPECT(hwpt_alloc(fd, m2.idev, ioas, 0, 0, NULL, 0, &h), 0);
		EXPECT(destroy(fd, h), 0);
		p = ro_copy(&ha, sizeof(ha));
		EXPECT(xioctl(fd, IOMMU_HWPT_ALLOC, p), EFAULT);
		munmap(p, PAGE);
		EXPECT(hwpt_alloc(fd, m2.idev, ioas, 0, 0, NULL, 0, &next), 0);
		EXPECT(next, h);
		EXPECT(destroy(fd, next), 0);
		p = ro_copy(&hi, sizeof(hi));
		EXPECT(xioctl(fd, IOMMU_GET_HW_INFO, p), EFAULT);
		munmap(p, PAGE);
		EXPECT(destroy(fd, m2.stdev), 0);
	}

	/* CREATE_ACCESS and FAULT_QUEUE_ALLOC: no fd is left behind. */
	probe = dup(0);
	close(probe);
	{
		struct iommu_test_cmd c = { .size = sizeof(c),
					    .op = IOMMU_TEST_OP_CREATE_ACCESS,
					    .id = ioas };
		struct iommu_fault_alloc fa = { .size = sizeof(fa) };
		char *p = ro_copy(&c, sizeof(c));

		EXPECT(xioctl(fd, IOMMU_TEST_CMD, p), EFAULT);
		munmap(p, PAGE);
		p = ro_copy(&fa, sizeof(fa));
		EXPECT(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, p), EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(dup(0), probe);
	close(probe);
	EXPECT(ioas_alloc(fd), ioas2 + 1);

	/* The VFIO container's answers. */
	EXPECT(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	EXPECT(vioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	{
		struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m), .flags = 3, .vaddr = (uintptr_t)buf,
			.iova = 0x300000, .size = PAGE };
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = 0x300000, .size = PAGE };
		char *p = ro_copy(&info, sizeof(info));

		EXPECT(vioctl(fd, VFIO_IOMMU_GET_INFO, p), -EFAULT);
		munmap(p, PAGE);
		p = ro_copy(&m, sizeof(m));
		EXPECT(vioctl(fd, VFIO_IOMMU_MAP_DMA, p), 0);
		munmap(p, PAGE);
		p = ro_copy(&u, sizeof(u));
		EXPECT(vioctl(fd, VFIO_IOMMU_UNMAP_DMA, p), -EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(unmap_all(ioas), 0);
	done();
}

/* IOVA_RANGES writes the ranges, ALLOW_IOVAS reads them. */
static void test_iova_range_pointers(void **state)
{
	uint32_t ioas = ioas_alloc(fd), n;
	struct iommu_test_cmd res = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas,
				      .add_reserved = { .start = 0x100000,
							.length = 0x100000 } };
	struct iommu_iova_range two[2] = { { 0x1000, 0x1fff }, { 0x10000, 0x1ffff } };
	struct iommu_iova_range r[4];
	char *e16 = edge(1, NULL, 16), *e24 = edge(1, NULL, 24);
	char *rr = ro_copy(two, sizeof(two));
	char *valid = edge(1, NULL, PAGE);
	uint64_t iova;

	begin(state);
	/* A fresh IOAS has one range: a huge count with room for one is fine. */
	n = UINT32_MAX;
	EXPECT(iova_ranges(ioas, e16, &n), 0);
	EXPECT(n, 1);
	n = 0;
	EXPECT(iova_ranges(ioas, gone, &n), EMSGSIZE);
	EXPECT(n, 1);
	/* Two ranges from here on. */
	EXPECT(test_cmd(fd, &res), 0);
	n = 4;
	EXPECT(iova_ranges(ioas, r, &n), 0);
	EXPECT(n, 2);
	n = 2;
	EXPECT(iova_ranges(ioas, NULL, &n), EFAULT);
	EXPECT(n, 2);
	n = 2;
	EXPECT(iova_ranges(ioas, gone, &n), EFAULT);
	n = 2;
	EXPECT(iova_ranges(ioas, none, &n), EFAULT);
	n = 2;
	EXPECT(iova_ranges(ioas, ro, &n), EFAULT);
	n = 2;
	EXPECT(iova_ranges(ioas, e16, &n), EFAULT);
	n = UINT32_MAX;
	EXPECT(iova_ranges(ioas, e24, &n), EFAULT);
	n = 1;
	EXPECT(iova_ranges(ioas, e16, &n), EMSGSIZE);
	EXPECT(n, 2);

	/* ALLOW_IOVAS reads each range: a fault anywhere changes nothing. */
	EXPECT(allow(fd, ioas, NULL, 1), EFAULT);
	EXPECT(allow(fd, ioas, gone, 1), EFAULT);
	EXPECT(allow(fd, ioas, none, 1), EFAULT);
	memcpy(e24, two, 16);
	EXPECT(allow(fd, ioas, e24, 2), EFAULT);
	EXPECT(allow(fd, ioas, e24 + 16, 1), EFAULT);
	EXPECT(allow(fd, ioas, NULL, 0), 0);
	iova = 0x400000;
	EXPECT(map(fd, ioas, rr, PAGE, &iova, IOMMU_IOAS_MAP_READABLE | FIXED), 0);
	/*
	 * Read-only memory is fine to read. An area outside the allowed
	 * ranges stays: they only steer automatic IOVAs.
	 */
	EXPECT(allow(fd, ioas, rr, 2), 0);
	EXPECT(unmap_all(ioas), PAGE);
	/* A huge count over distinct valid ranges that end in a guard page. */
	for (size_t i = 0; i < PAGE / 16; i++) {
		struct iommu_iova_range one = { 0x10000 * (i + 1), 0x10000 * (i + 1) + 0xfff };

		memcpy(valid + i * 16, &one, 16);
	}
	EXPECT(allow(fd, ioas, valid, UINT32_MAX), EFAULT);
	memset(valid, 0, PAGE);
	EXPECT(allow(fd, ioas, valid, UINT32_MAX), EINVAL);
	/* The last good set still holds: automatic IOVAs come from it. */
	iova = 0;
	EXPECT(map(fd, ioas, rr, PAGE, &iova, IOMMU_IOAS_MAP_READABLE), 0);
	EXPECT(iova, 0x1000);
	EXPECT(map(fd, ioas, rr, PAGE, &iova, IOMMU_IOAS_MAP_READABLE), 0);
	EXPECT(iova, 0x10000);
	EXPECT(unmap_all(ioas), 2 * PAGE);
	munmap(rr, PAGE);
	done();
}

/* IOAS_MAP's user_va, read when a domain pins it. */
static void test_map_user_va(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	const size_t big = 64 * PAGE;
	char *two = edge(2, NULL, 2 * PAGE);       /* a third page missing */
	char *mid = anon(big, PROT_READ | PROT_WRITE);
	char *half = anon(2 * PAGE, PROT_READ | PROT_WRITE);
	char *bigro = anon(big, PROT_READ | PROT_WRITE);
	uint64_t iova;
	struct mock m;

	begin(state);
	memset(mid, 1, big);
	memset(half, 1, 2 * PAGE);
	memset(bigro, 1, big);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	iova = MOCK_APERTURE_START;
	EXPECT(map(fd, ioas, two, 3 * PAGE, &iova, RW | FIXED), EFAULT);
	EXPECT(map(fd, ioas, two + PAGE, 2 * PAGE, &iova, IOMMU_IOAS_MAP_READABLE | FIXED),
	       EFAULT);
	/* A hole in the middle of a range checked as a whole. */
	EXPECT(munmap(mid + big / 2, PAGE), 0);
	EXPECT(map(fd, ioas, mid, big, &iova, RW | FIXED), EFAULT);
	EXPECT(map(fd, ioas, mid, big, &iova, IOMMU_IOAS_MAP_READABLE | FIXED), EFAULT);
	/* Writable then PROT_NONE, and writable then read-only. */
	EXPECT(mprotect(half + PAGE, PAGE, PROT_NONE), 0);
	EXPECT(map(fd, ioas, half, 2 * PAGE, &iova, IOMMU_IOAS_MAP_READABLE | FIXED), EFAULT);
	EXPECT(mprotect(half + PAGE, PAGE, PROT_READ), 0);
	EXPECT(map(fd, ioas, half, 2 * PAGE, &iova, RW | FIXED), EFAULT);
	EXPECT(mprotect(bigro + big - PAGE, PAGE, PROT_READ), 0);
	EXPECT(map(fd, ioas, bigro, big, &iova, RW | FIXED), EFAULT);
	/* Automatic IOVAs: a failed map leaves no hole taken. */
	iova = 0;
	EXPECT(map(fd, ioas, gone, PAGE, &iova, RW), EFAULT);
	EXPECT(map(fd, ioas, none, PAGE, &iova, IOMMU_IOAS_MAP_READABLE), EFAULT);
	EXPECT(unmap_all(ioas), 0);
	/* What can be read is mapped read-only. */
	iova = MOCK_APERTURE_START;
	EXPECT(map(fd, ioas, half, 2 * PAGE, &iova, IOMMU_IOAS_MAP_READABLE | FIXED), 0);
	EXPECT(map(fd, ioas, two, 2 * PAGE, &iova, RW), 0);
	EXPECT(check_map(fd, m.hwpt, iova, two, 2 * PAGE), 0);
	EXPECT(unmap_all(ioas), 4 * PAGE);
	EXPECT(destroy(fd, m.stdev), 0);
	munmap(two, 2 * PAGE);
	munmap(mid, big);
	munmap(half, 2 * PAGE);
	munmap(bigro, big);
	done();
}

/* GET_HW_INFO's data, MD_CHECK_MAP's and MD_CHECK_REFS's uptr. */
static void test_device_pointers(void **state)
{
	uint32_t ioas = ioas_alloc(fd), len;
	struct iommu_test_hw_info info;
	const uint32_t isz = sizeof(info);
	char *e4 = edge(1, NULL, 4), *e8 = edge(1, NULL, 8);
	char *buf = aligned_buffer(2 * PAGE, 0);
	uint64_t iova = MOCK_APERTURE_START;
	struct mock m;

	begin(state);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	EXPECT(hw_info(m.idev, NULL, isz, NULL), EFAULT);
	EXPECT(hw_info(m.idev, gone, isz, NULL), EFAULT);
	EXPECT(hw_info(m.idev, none, isz, NULL), EFAULT);
	EXPECT(hw_info(m.idev, ro, isz, NULL), EFAULT);
	EXPECT(hw_info(m.idev, e4, isz, NULL), EFAULT);
	/* The zeroed tail of a longer buffer runs into the guard page. */
	EXPECT(hw_info(m.idev, e8, 64, NULL), EFAULT);
	EXPECT(hw_info(m.idev, e8, UINT32_MAX, NULL), EFAULT);
	EXPECT(hw_info(m.idev, gone, 0, &len), 0);
	EXPECT(len, isz);
	EXPECT(hw_info(m.idev, e8, isz, &len), 0);
	EXPECT(memcmp(e8 + 4, &(uint32_t){ IOMMU_HW_INFO_SELFTEST_REGVAL }, 4), 0);

	memset(buf, 3, 2 * PAGE);
	EXPECT(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED), 0);
	EXPECT(check_map(fd, m.hwpt, iova, NULL, PAGE), EFAULT);
	EXPECT(check_map(fd, m.hwpt, iova, gone, PAGE), EFAULT);
	EXPECT(check_map(fd, m.hwpt, iova, none, PAGE), EFAULT);
	{
		/* The second page of the area unmapped since (still pinned). */
		char *pb = aligned_buffer(2 * PAGE, 0);
		uint64_t at = iova + 2 * PAGE;

		EXPECT(map(fd, ioas, pb, 2 * PAGE, &at, RW | FIXED), 0);
		EXPECT(check_map(fd, m.hwpt, at, pb, 2 * PAGE), 0);
		EXPECT(munmap(pb + PAGE, PAGE), 0);
		EXPECT(check_map(fd, m.hwpt, at, pb, 2 * PAGE), EFAULT);
	}
	EXPECT(check_refs(fd, gone, PAGE, 0), EFAULT);
	EXPECT(check_refs(fd, none, PAGE, 0), EFAULT);
	EXPECT(check_refs(fd, e8 + 8 - PAGE, 2 * PAGE, 0), EFAULT);
	EXPECT(check_refs(fd, buf, 2 * PAGE, 1), 0);
	EXPECT(unmap_all(ioas), 4 * PAGE);
	EXPECT(destroy(fd, m.stdev), 0);
	done();
}

static const struct iommu_hwpt_selftest nest_cfg = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

/* A nested hwpt: device m, NEST_PARENT parent and the nested one. */
static void nested_setup(uint32_t ioas, struct mock *m, uint32_t *parent,
			 uint32_t *nested)
{
	EXPECT(mock_domain(ioas, 0, m), 0);
	EXPECT(hwpt_alloc(fd, m->idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
			  parent), 0);
	EXPECT(hwpt_alloc(fd, m->idev, *parent, 0, IOMMU_HWPT_DATA_SELFTEST, &nest_cfg,
			  sizeof(nest_cfg), nested), 0);
}

/* HWPT_ALLOC's driver data and HWPT_INVALIDATE's entries. */
static void test_nested_pointers(void **state)
{
	uint32_t ioas = ioas_alloc(fd), parent, nested, id, num;
	const uint32_t csz = sizeof(nest_cfg);
	char *e2 = edge(1, &nest_cfg, 2);
	char *rcfg = ro_copy(&nest_cfg, csz);
	struct iommu_hwpt_invalidate_selftest inv = { .iotlb_id = 1 };
	char *e12 = edge(1, NULL, 12);
	char *rinv = ro_copy(&inv, sizeof(inv));
	struct mock m;

	begin(state);
	nested_setup(ioas, &m, &parent, &nested);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, NULL, csz, &id),
	       EFAULT);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, gone, csz, &id),
	       EFAULT);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, none, csz, &id),
	       EFAULT);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, e2, csz, &id),
	       EFAULT);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, rcfg, csz, &id),
	       0);
	EXPECT(id, nested + 1);
	EXPECT(destroy(fd, id), 0);

	/* Entries: what was done before the fault is reported. */
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, NULL,
			  sizeof(inv), &num), EINVAL);
	EXPECT(num, 0);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, gone,
			  sizeof(inv), &num), EFAULT);
	EXPECT(num, 0);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, none,
			  sizeof(inv), &num), EFAULT);
	EXPECT(num, 0);
	memcpy(e12, &inv, sizeof(inv));
	num = 2;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, e12,
			  sizeof(inv), &num), EFAULT);
	EXPECT(num, 1);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			  e12 + 8, sizeof(inv), &num), EFAULT);
	EXPECT(num, 0);
	/* An entry longer than the driver's struct is refused before a read. */
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, e12, 16, &num), EINVAL);
	EXPECT(num, 0);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, rinv,
			  sizeof(inv), &num), 0);
	EXPECT(num, 1);
	/* The read-only answer. */
	{
		struct iommu_hwpt_invalidate iv = {
			.size = sizeof(iv), .hwpt_id = nested, .data_uptr = (uintptr_t)rinv,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = sizeof(inv), .entry_num = 1 };
		char *p = ro_copy(&iv, sizeof(iv));

		EXPECT(xioctl(fd, IOMMU_HWPT_INVALIDATE, p), EFAULT);
		munmap(p, PAGE);
	}
	EXPECT(destroy(fd, nested), 0);
	EXPECT(destroy(fd, parent), 0);
	EXPECT(destroy(fd, m.stdev), 0);
	munmap(rcfg, PAGE);
	munmap(rinv, PAGE);
	done();
}

/* A DIRTY_TRACKING hwpt with the device on it and 64 pages mapped. */
static uint32_t dirty_setup(uint32_t ioas, struct mock *m, char **buf)
{
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint64_t iova = MOCK_APERTURE_START;
	uint32_t hwpt;

	EXPECT(mock_domain(ioas, 0, m), 0);
	EXPECT(hwpt_alloc(fd, m->idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
			  &hwpt), 0);
	rp.id = m->stdev;
	rp.mock_domain_replace.pt_id = hwpt;
	EXPECT(test_cmd(fd, &rp), 0);
	*buf = aligned_buffer(64 * PAGE, 0);
	memset(*buf, 1, 64 * PAGE);
	EXPECT(map(fd, ioas, *buf, 64 * PAGE, &iova, RW | FIXED), 0);
	EXPECT(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	return hwpt;
}

/* GET_DIRTY_BITMAP's bitmap and IOMMU_TEST_OP_DIRTY's bits. */
static void test_dirty_pointers(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START, len = 64 * PAGE;
	uint32_t ioas = ioas_alloc(fd), hwpt;
	static const unsigned char all[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					       0xff, 0xff, 0xff, 0xff };
	char *e4 = edge(1, all, 4), *e1 = edge(1, NULL, 1);
	uint64_t bits[2] = { 0 };
	struct mock m;
	char *buf;

	begin(state);
	hwpt = dirty_setup(ioas, &m, &buf);
	/* 128 mock pages: 16 bytes of bits, 4 readable before the guard. */
	EXPECT(mark_dirty(fd, hwpt, iova, len, PAGE / 2, NULL, NULL), EINVAL);
	EXPECT(mark_dirty(fd, hwpt, iova, len, PAGE / 2, gone, NULL), EFAULT);
	EXPECT(mark_dirty(fd, hwpt, iova, len, PAGE / 2, none, NULL), EFAULT);
	EXPECT(mark_dirty(fd, hwpt, iova, len, PAGE / 2, e4, NULL), EFAULT);
	EXPECT(mark_dirty(fd, hwpt, iova, len, PAGE / 2, all, NULL), 0);
	/*
	 * The bitmap: 64 pages of 4 KiB, 8 bytes, 1 writable before the
	 * guard. A bitmap that cannot be written ends the walk: 0.
	 */
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, NULL, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, gone, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, none, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, ro, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, e1, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE, bits, 0), 0);
	EXPECT(unmap_all(ioas), len);
	EXPECT(destroy(fd, m.stdev), 0);
	EXPECT(destroy(fd, hwpt), 0);
	done();
}

/* ACCESS_RW's and ACCESS_PAGES's uptr. */
static void test_access_pointers(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas = ioas_alloc(fd), item;
	char *buf = aligned_buffer(4 * PAGE, 0);
	char *e100 = edge(1, NULL, 100);
	/* Two read-only pages of zeros: the write below reads both. */
	char *rbuf = anon(2 * PAGE, PROT_READ);
	uint64_t at = iova;
	int afd, pfd;

	begin(state);
	memset(buf, 0x42, 4 * PAGE);
	EXPECT(map(fd, ioas, buf, 4 * PAGE, &at, RW | FIXED), 0);
	EXPECT(create_access(fd, ioas, 0, &afd), 0);
	for (int slow = 0; slow < 2; slow++) {
		uint32_t f = slow ? MOCK_ACCESS_RW_SLOW_PATH : 0;
		uint32_t w = f | MOCK_ACCESS_RW_WRITE;

		/* Reads write the user buffer. */
		EXPECT(access_rw(fd, afd, iova, NULL, 200, f), EFAULT);
		EXPECT(access_rw(fd, afd, iova, gone, 200, f), EFAULT);
		EXPECT(access_rw(fd, afd, iova, none, 200, f), EFAULT);
		EXPECT(access_rw(fd, afd, iova, rbuf, 200, f), EFAULT);
		EXPECT(access_rw(fd, afd, iova, e100, 200, f), EFAULT);
		EXPECT(access_rw(fd, afd, iova, e100, 100, f), 0);
		EXPECT((unsigned char)e100[99], 0x42);
		/* Writes read it. */
		EXPECT(access_rw(fd, afd, iova, gone, 200, w), EFAULT);
		EXPECT(access_rw(fd, afd, iova, none, 200, w), EFAULT);
		EXPECT(access_rw(fd, afd, iova, e100, 200, w), EFAULT);
		EXPECT(access_rw(fd, afd, iova + PAGE, rbuf, 2 * PAGE, w), 0);
		EXPECT(buf[PAGE], 0);
		EXPECT(buf[3 * PAGE - 1], 0);
		EXPECT((unsigned char)buf[3 * PAGE], 0x42);
		memset(buf, 0x42, 4 * PAGE);
	}
	close(afd);

	EXPECT(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &pfd), 0);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, gone, 0, &item), EFAULT);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, none, 0, &item), EFAULT);
	/* A uptr that is not the memory behind the IOVA. */
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, e100 + 100 - PAGE, 0, &item), EBADE);
	/* Nothing stays pinned after the failures. */
	EXPECT(check_refs(fd, buf, 4 * PAGE, 0), 0);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, buf, 0, &item), 0);
	EXPECT(check_refs(fd, buf, 2 * PAGE, 1), 0);
	EXPECT(unpin(fd, pfd, item), 0);
	EXPECT(check_refs(fd, buf, 4 * PAGE, 0), 0);
	close(pfd);
	EXPECT(unmap_all(ioas), 4 * PAGE);
	munmap(rbuf, 2 * PAGE);
	done();
}

/* MAP_DMA's vaddr with a domain that pins it, GET_INFO's argsz. */
static void test_vfio_pointers(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	char *two = edge(2, NULL, 2 * PAGE);
	char *rbuf = ro_copy(NULL, 0);
	const uint64_t iova = MOCK_APERTURE_START;
	uint64_t n;
	struct mock m;

	begin(state);
	EXPECT(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	EXPECT(vioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	EXPECT(vmap(fd, NULL, iova, PAGE, 3), -EFAULT);
	EXPECT(vmap(fd, gone, iova, PAGE, 3), -EFAULT);
	EXPECT(vmap(fd, none, iova, PAGE, 1), -EFAULT);
	EXPECT(vmap(fd, rbuf, iova, PAGE, 3), -EFAULT);
	EXPECT(vmap(fd, two, iova, 3 * PAGE, 3), -EFAULT);
	EXPECT(vmap(fd, rbuf, iova, PAGE, 1), 0);
	EXPECT(vunmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n), 0);
	EXPECT(n, PAGE);
	/* GET_INFO: the caps are written up to argsz, past the guard here. */
	{
		struct vfio_iommu_type1_info info = { .argsz = 128 };
		char *e = edge(1, &info, sizeof(info));

		EXPECT(vioctl(fd, VFIO_IOMMU_GET_INFO, e), -EFAULT);
	}
	EXPECT(destroy(fd, m.stdev), 0);
	munmap(rbuf, PAGE);
	done();
}
/* ------------------------------------------------------------------ */
/* huge counts and lengths */

static void test_huge_ioas(void **state)
{
	uint32_t ioas = ioas_alloc(fd), ioas2 = ioas_alloc(fd);
	char *buf = aligned_buffer(4 * PAGE, 0);
	const uint64_t top = UINT64_MAX - PAGE + 1;   /* the last page */
	uint64_t iova, n;

	begin(state);
	/* ALLOW_IOVAS and IOVA_RANGES counts are in test_iova_range_pointers. */
	EXPECT(allow(fd, ioas, gone, UINT32_MAX), EFAULT);
	/* IOAS_MAP: lengths and IOVAs at the top of the space. */
	iova = 0;
	EXPECT(map(fd, ioas, buf, UINT64_MAX, &iova, RW), EOVERFLOW);
	EXPECT(map(fd, ioas, buf, top, &iova, RW), EINVAL);
	EXPECT(map(fd, ioas, buf, 1ull << 63, &iova, RW), EOVERFLOW);
	EXPECT(map(fd, ioas, buf, 0, &iova, RW), EINVAL);
	iova = top;
	EXPECT(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED), EOVERFLOW);
	iova = UINT64_MAX;
	EXPECT(map(fd, ioas, buf, PAGE, &iova, RW | FIXED), EOVERFLOW);
	iova = top;
	EXPECT(map(fd, ioas, buf, PAGE, &iova, RW | FIXED), 0);
	/* A user_va whose end wraps. */
	iova = 0;
	EXPECT(map(fd, ioas, (void *)(uintptr_t)top, 2 * PAGE, &iova, RW), EOVERFLOW);
	/*
	 * 64 TiB of address space with no domain: nothing is pinned, so the
	 * area exists whatever is behind it, without memory for its pages.
	 */
	iova = 1ull << 46;
	EXPECT(map(fd, ioas, buf, 1ull << 46, &iova, RW | FIXED), 0);
	iova = 0;
	EXPECT(copy(fd, ioas2, ioas, 1ull << 46, 1ull << 46, &iova, RW), 0);
	EXPECT(copy(fd, ioas2, ioas, 1ull << 46, UINT64_MAX, &iova, RW), EOVERFLOW);
	EXPECT(copy(fd, ioas2, ioas, top, UINT64_MAX, &iova, RW), EOVERFLOW);
	EXPECT(copy(fd, ioas2, ioas, top, 2 * PAGE, &iova, RW), EOVERFLOW);
	EXPECT(copy(fd, ioas2, ioas, 1ull << 46, (1ull << 46) + PAGE, &iova, RW), ENOENT);
	iova = top;
	EXPECT(copy(fd, ioas2, ioas, 1ull << 46, 2 * PAGE, &iova, RW | FIXED), EOVERFLOW);
	/* UNMAP */
	EXPECT(unmap(fd, ioas, top, UINT64_MAX, &n), EOVERFLOW);
	EXPECT(unmap(fd, ioas, PAGE, UINT64_MAX, &n), EOVERFLOW);
	/* Not all: the area at the top is cut, those below are gone already. */
	EXPECT(unmap(fd, ioas, 0, UINT64_MAX - 1, &n), ENOENT);
	EXPECT(unmap(fd, ioas, top, 2 * PAGE, &n), EOVERFLOW);
	EXPECT(unmap(fd, ioas, top, PAGE, &n), 0);
	EXPECT(n, PAGE);
	EXPECT(unmap(fd, ioas2, 0, UINT64_MAX, &n), 0);
	EXPECT(n, 1ull << 46);
	EXPECT(unmap(fd, ioas, 1ull << 46, 1ull << 46, &n), ENOENT);
	/* With a domain a huge map must pin, and stops at the first hole. */
	{
		struct mock m;

		EXPECT(mock_domain(ioas, 0, &m), 0);
		iova = MOCK_APERTURE_START;
		EXPECT(map(fd, ioas, buf, 1ull << 30, &iova, RW | FIXED), EFAULT);
		EXPECT(map(fd, ioas, buf, 1ull << 40, &iova, RW | FIXED), EINVAL);
		EXPECT(unmap_all(ioas), 0);
		EXPECT(destroy(fd, m.stdev), 0);
	}
	done();
}

static void test_huge_device(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START, len = 64 * PAGE;
	uint32_t ioas = ioas_alloc(fd), ioas2 = ioas_alloc(fd);
	uint32_t parent, nested, id, num, hwpt;
	char *page = edge(1, NULL, PAGE);
	uint64_t bits[2];
	struct mock m, d;
	char *buf;

	begin(state);
	nested_setup(ioas, &m, &parent, &nested);
	/* HWPT_ALLOC: driver data longer than the driver's struct. */
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, page,
			  UINT32_MAX, &id), EINVAL);
	EXPECT(hwpt_alloc(fd, m.idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, page,
			  PAGE, &id), EINVAL);
	/* HWPT_INVALIDATE: bounded counts and entry sizes. */
	num = UINT32_MAX;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page, 8, &num), EINVAL);
	EXPECT(num, 0);
	num = (1u << 19) + 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page, 8, &num), EINVAL);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page,
			  UINT32_MAX, &num), EINVAL);
	num = 1;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page,
			  PAGE + 1, &num), EINVAL);
	num = 0;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, NULL,
			  UINT32_MAX, &num), 0);
	/* The largest count over one page of zeroed entries: a fault at 512. */
	num = 1u << 19;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page, 8, &num), EFAULT);
	EXPECT(num, PAGE / 8);
	num = 2;
	EXPECT(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, page,
			  PAGE, &num), EINVAL);
	EXPECT(num, 0);
	EXPECT(destroy(fd, nested), 0);
	EXPECT(destroy(fd, parent), 0);
	EXPECT(destroy(fd, m.stdev), 0);

	/* Dirty tracking: huge lengths and odd page sizes. */
	hwpt = dirty_setup(ioas2, &d, &buf);
	EXPECT(get_bitmap(fd, hwpt, iova, UINT64_MAX, PAGE, bits, 0), EOVERFLOW);
	/* Up to the top of the space: past the areas (6.12.118). */
	EXPECT(get_bitmap(fd, hwpt, iova, UINT64_MAX - iova + 1, PAGE, bits, 0), EINVAL);
	EXPECT(get_bitmap(fd, hwpt, iova, 1ull << 40, PAGE, bits, 0), EINVAL);
	/* Odd page sizes are walked. */
	EXPECT(get_bitmap(fd, hwpt, iova, len, 3, bits, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, PAGE + 1, bits, 0), 0);
	EXPECT(get_bitmap(fd, hwpt, iova, len, 1ull << 63, bits, 0), EINVAL);
	EXPECT(get_bitmap(fd, hwpt, iova, len, UINT64_MAX, bits, 0), EINVAL);
	EXPECT(get_bitmap(fd, hwpt, UINT64_MAX - PAGE + 1, PAGE, PAGE, bits, 0), EINVAL);
	EXPECT(mark_dirty(fd, hwpt, iova, UINT64_MAX - PAGE + 1, PAGE, bits, NULL), EOVERFLOW);
	EXPECT(mark_dirty(fd, hwpt, iova, 1ull << 40, PAGE / 2, bits, NULL), EOVERFLOW);
	EXPECT(mark_dirty(fd, hwpt, iova, len, 3, bits, NULL), EINVAL);
	EXPECT(mark_dirty(fd, hwpt, iova, len, 0, bits, NULL), EINVAL);
	/* MD_CHECK_MAP and MD_CHECK_REFS lengths that wrap. */
	EXPECT(check_map(fd, d.hwpt, iova, buf, UINT64_MAX - PAGE / 2 + 1), EINVAL);
	EXPECT(check_map(fd, hwpt, iova, buf, (1ull << 40)), EINVAL);
	EXPECT(check_refs(fd, buf, UINT64_MAX - PAGE + 1, 0), EINVAL);
	EXPECT(check_refs(fd, buf, 1ull << 40, 1), EIO);
	EXPECT(unmap_all(ioas2), len);
	EXPECT(destroy(fd, d.stdev), 0);
	EXPECT(destroy(fd, hwpt), 0);
	done();
}

static void test_huge_access(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas = ioas_alloc(fd), item;
	char *buf = aligned_buffer(4 * PAGE, 0);
	uint64_t at = iova;
	int afd, pfd;

	begin(state);
	EXPECT(map(fd, ioas, buf, 4 * PAGE, &at, RW | FIXED), 0);
	EXPECT(create_access(fd, ioas, 0, &afd), 0);
	EXPECT(access_rw(fd, afd, iova, buf, UINT64_MAX, 0), ENOMEM);
	EXPECT(access_rw(fd, afd, iova, buf, (16ull << 20) + 1, 0), ENOMEM);
	EXPECT(access_rw(fd, afd, iova, buf, (16ull << 20) + 1, MOCK_ACCESS_RW_WRITE), ENOMEM);
	EXPECT(access_rw(fd, afd, iova, buf, 16ull << 20, 0), ENOENT);
	EXPECT(access_rw(fd, afd, iova, buf, 0, 0), EINVAL);
	EXPECT(access_rw(fd, afd, UINT64_MAX - 7, buf, 16, 0), EOVERFLOW);
	EXPECT(access_rw(fd, afd, iova + 4 * PAGE - 8, buf, 16, 0), ENOENT);
	close(afd);
	EXPECT(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &pfd), 0);
	EXPECT(access_pages(fd, pfd, iova, UINT64_MAX, buf, 0, &item), ENOMEM);
	EXPECT(access_pages(fd, pfd, iova, (16ull << 20) + 1, buf, 0, &item), ENOMEM);
	EXPECT(access_pages(fd, pfd, iova, 16ull << 20, buf, 0, &item), ENOENT);
	EXPECT(access_pages(fd, pfd, UINT64_MAX - PAGE + 1, 2 * PAGE, buf, 0, &item), EOVERFLOW);
	EXPECT(access_pages(fd, pfd, iova, 0, buf, 0, &item), EINVAL);
	EXPECT(check_refs(fd, buf, 4 * PAGE, 0), 0);
	close(pfd);
	EXPECT(unmap_all(ioas), 4 * PAGE);
	done();
}

static void test_huge_vfio(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	char *buf = aligned_buffer(4 * PAGE, 0);
	const uint64_t top = UINT64_MAX - PAGE + 1;
	uint64_t n;

	begin(state);
	EXPECT(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas), 0);
	EXPECT(vioctl(fd, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	EXPECT(vmap(fd, buf, 0x100000, UINT64_MAX, 3), -EINVAL);
	EXPECT(vmap(fd, buf, 0x100000, top, 3), -EINVAL);
	EXPECT(vmap(fd, buf, top, 2 * PAGE, 3), -EOVERFLOW);
	EXPECT(vmap(fd, buf, UINT64_MAX, PAGE, 3), -EOVERFLOW);
	EXPECT(vmap(fd, (void *)(uintptr_t)top, 0x100000, 2 * PAGE, 3), -EOVERFLOW);
	EXPECT(vmap(fd, buf, 0x100000, 0, 3), -EINVAL);
	EXPECT(vmap(fd, buf, 1ull << 46, 1ull << 46, 3), 0);
	EXPECT(vunmap(fd, top, UINT64_MAX, 0, &n), -EOVERFLOW);
	EXPECT(vunmap(fd, PAGE, UINT64_MAX, 0, &n), -EOVERFLOW);
	/* The whole space is "all". */
	EXPECT(vunmap(fd, 0, UINT64_MAX, 0, &n), 0);
	EXPECT(n, 1ull << 46);
	EXPECT(vunmap(fd, 1ull << 46, 1ull << 46, 0, &n), 0);
	EXPECT(n, 0);
	EXPECT(unmap_all(ioas), 0);
	done();
}
/* ------------------------------------------------------------------ */
/* memory, fds and processes going away mid-use */

static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int all_bytes(const char *p, size_t len, int v)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] != v)
			return 0;
	return 1;
}

/*
 * Pinned memory unmapped in part, its area copied and then unmapped, the
 * copy read through the pins, and the context closed with the areas still
 * mapped.
 */
static void test_munmap_pinned_then_release(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START, len = 16 * PAGE;
	uint32_t ioas = ioas_alloc(fd), ioas2 = ioas_alloc(fd);
	char *buf = aligned_buffer(len, 0);
	static char out[16 * PAGE];
	uint64_t at = iova, n;
	struct mock m, m2;
	int afd;

	begin(state);
	memset(buf, 0x5a, len);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	EXPECT(mock_domain(ioas2, 0, &m2), 0);
	EXPECT(map(fd, ioas, buf, len, &at, RW | FIXED), 0);
	EXPECT(munmap(buf + 4 * PAGE, 8 * PAGE), 0);
	at = iova + len;
	EXPECT(copy(fd, ioas2, ioas, iova, len, &at, RW | FIXED), 0);
	EXPECT(unmap(fd, ioas, iova, len, &n), 0);
	EXPECT(n, len);
	EXPECT(create_access(fd, ioas2, 0, &afd), 0);
	EXPECT(access_rw(fd, afd, iova + len, out, len, MOCK_ACCESS_RW_SLOW_PATH), 0);
	EXPECT(all_bytes(out, len, 0x5a), 1);
	/* Written through the pins, seen where the memory is still mapped. */
	memset(out, 0x6b, len);
	EXPECT(access_rw(fd, afd, iova + len, out, len,
			 MOCK_ACCESS_RW_SLOW_PATH | MOCK_ACCESS_RW_WRITE), 0);
	EXPECT(all_bytes(buf, 4 * PAGE, 0x6b), 1);
	EXPECT(all_bytes(buf + 12 * PAGE, 4 * PAGE, 0x6b), 1);
	/* The rest of the memory goes too; then the fds, areas still mapped. */
	EXPECT(munmap(buf, 4 * PAGE), 0);
	EXPECT(munmap(buf + 12 * PAGE, 4 * PAGE), 0);
	memset(out, 0, len);
	EXPECT(access_rw(fd, afd, iova + len, out, len, MOCK_ACCESS_RW_SLOW_PATH), 0);
	EXPECT(all_bytes(out, len, 0x6b), 1);
	close(afd);
	close(fd);
	/* A new context starts from scratch. */
	fd = iommufd_open();
	EXPECT(ioas_alloc(fd), 1);
	close(fd);
	done();
}

/*
 * Part of a pinned buffer moves (mremap): the pages that move and those
 * that stay are both still the ones the domain maps.
 */
static void test_mremap_part_of_pinned(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START, len = 8 * PAGE;
	uint32_t ioas = ioas_alloc(fd);
	char *buf = aligned_buffer(len, 0);
	char *dst = anon(2 * PAGE, PROT_NONE), *moved;
	static char out[8 * PAGE];
	uint64_t at = iova;
	struct mock m;
	int afd;

	begin(state);
	memset(buf, 0x12, len);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	EXPECT(map(fd, ioas, buf, len, &at, RW | FIXED), 0);
	moved = mremap(buf + 3 * PAGE, 2 * PAGE, 2 * PAGE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	assert_true(moved == dst);
	memset(moved, 0x34, 2 * PAGE);
	memset(buf, 0x56, 3 * PAGE);
	memset(buf + 5 * PAGE, 0x78, 3 * PAGE);
	EXPECT(create_access(fd, ioas, 0, &afd), 0);
	EXPECT(access_rw(fd, afd, iova, out, len, MOCK_ACCESS_RW_SLOW_PATH), 0);
	EXPECT(all_bytes(out, 3 * PAGE, 0x56), 1);
	EXPECT(all_bytes(out + 3 * PAGE, 2 * PAGE, 0x34), 1);
	EXPECT(all_bytes(out + 5 * PAGE, 3 * PAGE, 0x78), 1);
	EXPECT(check_map(fd, m.hwpt, iova, buf, 3 * PAGE), 0);
	EXPECT(check_map(fd, m.hwpt, iova + 3 * PAGE, moved, 2 * PAGE), 0);
	EXPECT(check_map(fd, m.hwpt, iova + 5 * PAGE, buf + 5 * PAGE, 3 * PAGE), 0);
	EXPECT(check_refs(fd, buf, 3 * PAGE, 1), 0);
	EXPECT(check_refs(fd, moved, 2 * PAGE, 1), 0);
	close(afd);
	EXPECT(unmap_all(ioas), len);
	EXPECT(check_refs(fd, moved, 2 * PAGE, 0), 0);
	EXPECT(destroy(fd, m.stdev), 0);
	done();
}

/* An access's pins hold memory the program unmapped, until released. */
static void test_munmap_access_pinned(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas = ioas_alloc(fd), item, item2;
	char *buf = aligned_buffer(4 * PAGE, 0);
	static char out[2 * PAGE];
	uint64_t at = iova, n;
	int pfd;

	begin(state);
	memset(buf, 0x21, 4 * PAGE);
	EXPECT(map(fd, ioas, buf, 4 * PAGE, &at, RW | FIXED), 0);
	EXPECT(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &pfd), 0);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, buf, MOCK_FLAGS_ACCESS_WRITE, &item), 0);
	EXPECT(access_pages(fd, pfd, iova + 2 * PAGE, 2 * PAGE, buf + 2 * PAGE, 0, &item2), 0);
	EXPECT(munmap(buf, 4 * PAGE), 0);
	EXPECT(access_rw(fd, pfd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), 0);
	EXPECT(all_bytes(out, sizeof(out), 0x21), 1);
	EXPECT(unpin(fd, pfd, item), 0);
	/* Unpinned and gone: pinning again from the address fails. */
	EXPECT(access_rw(fd, pfd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), EFAULT);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, NULL, 0, &item), EFAULT);
	/* Unmapping an area an access still pins asks the access to let go. */
	EXPECT(unmap(fd, ioas, 0, UINT64_MAX, &n), 0);
	EXPECT(n, 4 * PAGE);
	EXPECT(unpin(fd, pfd, item2), ENOENT);
	close(pfd);
	done();
}

static volatile int stop_worker;

static void *worker(void *arg)
{
	char *buf = arg;
	uintptr_t bad = 0;

	for (int i = 0; !stop_worker || i < 50; i++) {
		uint64_t iova = 0, n = 0;

		if (map(fd, 1, buf, PAGE, &iova, RW) ||
		    unmap(fd, 1, iova, PAGE, &n) || n != PAGE)
			bad++;
	}
	return (void *)bad;
}

/* Dups of the fd come and go while a thread keeps issuing commands. */
static void test_close_dup_while_thread_works(void **state)
{
	char *buf = aligned_buffer(PAGE, 0);
	pthread_t t;
	void *bad;

	begin(state);
	EXPECT(ioas_alloc(fd), 1);
	assert_int_equal(pthread_create(&t, NULL, worker, buf), 0);
	for (int i = 0; i < 100; i++) {
		int d = i & 1 ? dup(fd) : fcntl(fd, F_DUPFD_CLOEXEC, 50);
		uint32_t id;

		assert_true(d >= 0);
		id = ioas_alloc(d);
		EXPECT(destroy(d, id), 0);
		EXPECT(close(d), 0);
	}
	stop_worker = 1;
	assert_int_equal(pthread_join(t, &bad), 0);
	EXPECT((uintptr_t)bad, 0);
	EXPECT(unmap_all(1), 0);
	done();
}

/*
 * An access whose fd a child holds: the pins last until its last holder
 * is gone, even when that holder exits without closing anything.
 */
static void test_child_exits_holding_access(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas = ioas_alloc(fd), item;
	char *buf = aligned_buffer(2 * PAGE, 0);
	int go[2], pfd, st;
	uint64_t at = iova, n;
	pid_t pid;
	char c;

	begin(state);
	memset(buf, 0x31, 2 * PAGE);
	EXPECT(map(fd, ioas, buf, 2 * PAGE, &at, RW | FIXED), 0);
	EXPECT(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &pfd), 0);
	EXPECT(access_pages(fd, pfd, iova, 2 * PAGE, buf, 0, &item), 0);
	EXPECT(check_refs(fd, buf, 2 * PAGE, 1), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		uint32_t it2;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		/* Pin more through the inherited access, then just exit. */
		/* No uptr: the child's copy of buf is other memory after fork. */
		if (access_pages(fd, pfd, iova, PAGE, NULL, 0, &it2))
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(pfd);
	/* The child still holds the access: its pins remain. */
	EXPECT(check_refs(fd, buf, 2 * PAGE, 1), 0);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	st = child_status(pid);
	EXPECT(st, 0);
	EXPECT(check_refs(fd, buf, 2 * PAGE, 0), 0);
	EXPECT(unmap(fd, ioas, iova, 2 * PAGE, &n), 0);
	EXPECT(n, 2 * PAGE);
	done();
}

/*
 * The parent's pinned memory, its fd closed: a child holds the last
 * reference, reads and writes the parent's pages through the IOAS, and
 * exits without cleaning up.
 */
static void test_last_close_in_child(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START, len = 4 * PAGE;
	char *buf = aligned_buffer(len, 0);
	int go[2], afd, st;
	uint64_t at = iova;
	uint32_t ioas;
	struct mock m;
	pid_t pid;
	char c;

	begin(state);
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	memset(buf, 0x44, len);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	EXPECT(map(fd, ioas, buf, len, &at, RW | FIXED), 0);
	EXPECT(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		static char out[4 * PAGE];
		int a2;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (create_access(fd, ioas, 0, &a2))
			_exit(2);
		if (access_rw(fd, a2, iova, out, len, 0) || !all_bytes(out, len, 0x44))
			_exit(3);
		memset(out, 0x55, len);
		if (access_rw(fd, a2, iova, out, len, MOCK_ACCESS_RW_WRITE))
			_exit(4);
		_exit(0);
	}
	close(go[0]);
	close(afd);
	close(fd);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	st = child_status(pid);
	EXPECT(st, 0);
	/* The device wrote the parent's pages. */
	EXPECT(all_bytes(buf, len, 0x55), 1);
	fd = iommufd_open();
	EXPECT(ioas_alloc(fd), 1);
	close(fd);
	done();
}

/* The exec'd image: read what the pre-exec image mapped, then write. */
static int exec_reader(int f, uint32_t ioas, uint64_t iova)
{
	static char out[4 * PAGE];
	int afd;

	fd = f;
	if (create_access(fd, ioas, 0, &afd))
		return 2;
	if (access_rw(fd, afd, iova, out, sizeof(out), 0))
		return 3;
	if (!all_bytes(out, sizeof(out), 0x3c))
		return 4;
	memset(out, 0x5d, PAGE);
	if (access_rw(fd, afd, iova, out, PAGE, MOCK_ACCESS_RW_WRITE))
		return 5;
	return 0;
}

/* A process maps its memory (pinned by a domain) and execs. */
static void test_exec_while_pinned(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas = ioas_alloc(fd);
	static char out[4 * PAGE];
	int keep = dup(fd), afd, st;
	struct mock m;
	pid_t pid;

	begin(state);
	assert_true(keep >= 0);
	EXPECT(mock_domain(ioas, 0, &m), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *b = aligned_buffer(4 * PAGE, 0);
		char fds[16], ids[16], iovas[32];
		uint64_t at = iova;

		memset(b, 0x3c, 4 * PAGE);
		if (map(keep, ioas, b, 4 * PAGE, &at, RW | FIXED))
			_exit(10);
		snprintf(fds, sizeof(fds), "%d", keep);
		snprintf(ids, sizeof(ids), "%u", ioas);
		snprintf(iovas, sizeof(iovas), "%llu", (unsigned long long)iova);
		execl(self, self, "--exec-reader", fds, ids, iovas, (char *)NULL);
		_exit(11);
	}
	close(keep);
	st = child_status(pid);
	EXPECT(st, 0);
	EXPECT(create_access(fd, ioas, 0, &afd), 0);
	EXPECT(access_rw(fd, afd, iova, out, sizeof(out), 0), 0);
	EXPECT(all_bytes(out, PAGE, 0x5d), 1);
	EXPECT(all_bytes(out + PAGE, 3 * PAGE, 0x3c), 1);
	close(afd);
	EXPECT(unmap_all(ioas), 4 * PAGE);
	EXPECT(destroy(fd, m.stdev), 0);
	done();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arg_pointer, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_arg_read_only, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_iova_range_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_map_user_va, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_device_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_nested_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_dirty_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_access_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_ioas, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_device, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_access, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_huge_vfio, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_pinned_then_release, ctx_setup, NULL),
		cmocka_unit_test_setup_teardown(test_mremap_part_of_pinned, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_munmap_access_pinned, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_close_dup_while_thread_works, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_child_exits_holding_access, ctx_setup, ctx_teardown),
		cmocka_unit_test(test_last_close_in_child),
		cmocka_unit_test_setup_teardown(test_exec_while_pinned, ctx_setup, ctx_teardown),
	};

	if (argc == 5 && !strcmp(argv[1], "--exec-reader"))
		return exec_reader(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 0),
				   strtoull(argv[4], NULL, 0));
	self = argv[0];
	/* scripts/repeat.sh runs one test many times: CONF_FILTER=name. */
	if (getenv("CONF_FILTER"))
		cmocka_set_test_filter(getenv("CONF_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
