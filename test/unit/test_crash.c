// SPDX-License-Identifier: MIT
/*
 * The kill sweep, in the spirit of the fail_nth sweep: a process killed at
 * any point inside a command must leave the context as it was before the
 * command or as it is after it, and every other process must go on.
 *
 * For each scenario (a setup, then one command under test), and for every
 * N from 1 to the number of kill points the command passes (journal.h: one
 * per journal save, more between the stores of the allocator and of tree
 * rotations, and around the commit):
 *   - a fresh context gets the scenario's setup in this process;
 *   - a forked child arms uiommufd_kill_nth(N) and runs the command, which
 *     SIGKILLs it at its Nth point;
 *   - this process, the survivor, takes the lock (recovery runs there):
 *     the invariant checker passes, and the state equals the one before
 *     the command or the one after it, compared as the context's JSON dump
 *     (pids and context addresses made relative) plus the allocator's and
 *     the object table's own fields (free lists by offset, the id heap);
 *   - each held fault queue's FIFO holds one byte exactly while groups wait
 *     for read() (the recovery resyncs what the dead command did to it),
 *     and after the file sweeps (files no one holds released) every file
 *     left held is open somewhere;
 *   - the survivor's next 100 commands (maps and unmaps through a domain)
 *     succeed, and the checker passes again.
 * The reference states come from the same setup with the command run to
 * completion in a child (the command's own process matters: a map creates
 * the source process's record).
 *
 * `test_crash --long` (scripts/crash-sweep.sh) also kills the next locker
 * at each point of its undo, for every other N, until one recovers, and
 * sweeps each command run twice in a row (a kill then leaves the state
 * after 0, 1 or 2 of them; a repeat may fail, EEXIST for a fixed map).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"

#define PAGE 4096ul
#define BUF_PAGES 256

static bool long_mode;
/*
 * Every kill point, except under the sanitizers, where every other one
 * keeps the suite within its minute (the plain builds cover them all).
 * UIOMMUFD_CRASH_STRIDE overrides.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWEEP_STRIDE 2
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SWEEP_STRIDE 2
#endif
#endif
#ifndef SWEEP_STRIDE
#define SWEEP_STRIDE 1
#endif
static unsigned long long sweep_stride = SWEEP_STRIDE;
static char *buf;

/* Ids made by the setup (the same in every fresh context). */
struct ids {
	uint32_t ioas1, ioas2, ioas3, ioas4, ioas5;
	uint32_t stdev1, hwpt1, idev1;
	uint32_t stdev2, hwpt2, idev2;
	uint32_t stdev3, hwpt3;
	uint32_t hwpt_paging;   /* on ioas1, for idev1 */
	uint64_t iova_a, iova_b, iova_c; /* areas of ioas1 */
	int afd;                /* access on ioas1 */
	/* Fault queues (FIFO files, anon_inode.c) and IO page faults */
	uint32_t ioas6, stdev4, idev4, stdev5, idev5, nest_parent;
	uint32_t iopf_hwpt1, iopf_hwpt2;
	uint32_t fault1;        /* on iopf_hwpt1 (stdev4): 1 pending, 2 read */
	int ffd1;
	uint32_t fault5;        /* on iopf_hwpt2 (stdev5): empty */
	int ffd5;
	uint32_t fault2;        /* its file closed: only the id holds it */
	uint32_t fault3;        /* made by a process that exited: no holder */
	uint32_t fault4;        /* closed by the parent at the fork */
	int ffd4;
	int afd2;               /* a second access on ioas1, ditto */
	/* the kAPI (VFIO): a VT-d device bound, one bound and attached */
	uint32_t ioas7, kdev1, kdev2;
};

/* Files the parent closed at the fork (the child's close is the last). */
static bool parent_closed_ffd4, parent_closed_afd2;

static int cx(int fd, unsigned long req, void *arg)
{
	return uiommufd_ioctl(fd, req, arg) < 0 ? errno : 0;
}

static long vx(int fd, unsigned long req, void *arg)
{
	long rc = uiommufd_ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };

	assert_int_equal(cx(fd, IOMMU_IOAS_ALLOC, &c), 0);
	return c.out_ioas_id;
}

static int map(int fd, uint32_t ioas, size_t off, uint64_t len,
	       uint64_t *iova, bool fixed)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas,
		.user_va = (uintptr_t)buf + off, .length = len,
		.iova = fixed ? *iova : 0,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
	};
	int rc = cx(fd, IOMMU_IOAS_MAP, &m);

	if (!rc && iova)
		*iova = m.iova;
	return rc;
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = len };

	return cx(fd, IOMMU_IOAS_UNMAP, &u);
}

static int copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t len)
{
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .dst_ioas_id = dst, .src_ioas_id = src,
		.src_iova = src_iova, .length = len,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
	};

	return cx(fd, IOMMU_IOAS_COPY, &c);
}

static int mock_domain(int fd, uint32_t ioas, uint32_t *stdev,
		       uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd c = { .size = sizeof(c),
				    .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				    .id = ioas };
	int rc = cx(fd, IOMMU_TEST_CMD, &c);

	if (!rc) {
		if (stdev)
			*stdev = c.mock_domain.out_stdev_id;
		if (hwpt)
			*hwpt = c.mock_domain.out_hwpt_id;
		if (idev)
			*idev = c.mock_domain.out_idev_id;
	}
	return rc;
}

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd c = { .size = sizeof(c),
				    .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				    .id = stdev,
				    .mock_domain_replace.pt_id = pt };

	return cx(fd, IOMMU_TEST_CMD, &c);
}

static int hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t *out)
{
	struct iommu_hwpt_alloc c = { .size = sizeof(c), .dev_id = dev,
				      .pt_id = pt };
	int rc = cx(fd, IOMMU_HWPT_ALLOC, &c);

	if (!rc)
		*out = c.out_hwpt_id;
	return rc;
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return cx(fd, IOMMU_DESTROY, &d);
}

static int create_access(int fd, uint32_t ioas, int *afd)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES };
	int rc = cx(fd, IOMMU_TEST_CMD, &c);

	if (!rc)
		*afd = (int)c.create_access.out_access_fd;
	return rc;
}

static int access_pages(int fd, int afd, uint64_t iova, uint64_t len)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = (uint32_t)afd,
		.access_pages = { .iova = iova, .length = len } };

	return cx(fd, IOMMU_TEST_CMD, &c);
}

static int fault_alloc(int fd, uint32_t *id, int *ffd)
{
	struct iommu_fault_alloc c = { .size = sizeof(c) };
	int rc = cx(fd, IOMMU_FAULT_QUEUE_ALLOC, &c);

	if (!rc) {
		if (id)
			*id = c.out_fault_id;
		if (ffd)
			*ffd = (int)c.out_fault_fd;
	}
	return rc;
}

static int nested_alloc(int fd, uint32_t dev, uint32_t parent,
			uint32_t fault, uint32_t *out)
{
	static const struct iommu_hwpt_selftest cfg = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc c = {
		.size = sizeof(c), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.dev_id = dev, .pt_id = parent, .fault_id = fault,
		.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(cfg),
		.data_uptr = (uintptr_t)&cfg };
	int rc = cx(fd, IOMMU_HWPT_ALLOC, &c);

	if (!rc)
		*out = c.out_hwpt_id;
	return rc;
}

static int trigger_iopf(int fd, uint32_t dev, uint32_t grpid)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev, .grpid = grpid,
				  .perm = IOMMU_PGFAULT_PERM_READ,
				  .addr = 0x1000ull * grpid } };

	return cx(fd, IOMMU_TEST_CMD, &c);
}

/* A fault queue file's read or write, as the preload routes it. */
static long fault_rw(int ffd, void *b, size_t n, bool write)
{
	long rc;

	uio_core_enter();
	rc = uio_fault_fd_rw(ffd, b, n, write);
	uio_core_leave();
	return rc;
}

/* The kAPI VFIO's cdev calls: BIND_IOMMUFD, ATTACH_IOMMUFD_PT, unbind. */
static int kapi_bind(int fd, uint32_t *dev)
{
	int rc;

	uio_core_enter();
	rc = uio_iommufd_device_bind(uio_fd_lookup(fd), UIO_IOMMU_INTEL_VTD, dev);
	uio_core_leave();
	return rc;
}

static int kapi_attach(int fd, uint32_t dev, uint32_t pt)
{
	int rc;

	uio_core_enter();
	rc = uio_iommufd_device_attach(uio_fd_lookup(fd), dev, &pt, false);
	uio_core_leave();
	return rc;
}

static void kapi_unbind(int fd, uint32_t dev)
{
	uio_core_enter();
	uio_iommufd_device_unbind(uio_fd_lookup(fd), dev);
	uio_core_leave();
}

static long vfio_set_ioas(int fd, uint32_t ioas)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .ioas_id = ioas,
				     .op = IOMMU_VFIO_IOAS_SET };

	return vx(fd, IOMMU_VFIO_IOAS, &v);
}

static long vmap(int fd, size_t off, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf + off, .iova = iova, .size = size };

	return vx(fd, VFIO_IOMMU_MAP_DMA, &m);
}

static long vunmap(int fd, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u),
						.iova = iova, .size = size };

	return vx(fd, VFIO_IOMMU_UNMAP_DMA, &u);
}

/* ------------------------------------------------------------------ */
/* the setup every scenario starts from */

static void setup(int fd, struct ids *id)
{
	uint64_t iova;

	memset(id, 0, sizeof(*id));
	id->ioas1 = ioas_alloc(fd);
	id->ioas2 = ioas_alloc(fd);
	id->ioas3 = ioas_alloc(fd);
	id->ioas4 = ioas_alloc(fd);
	id->ioas5 = ioas_alloc(fd);
	assert_int_equal(mock_domain(fd, id->ioas1, &id->stdev1, &id->hwpt1,
				     &id->idev1), 0);
	assert_int_equal(mock_domain(fd, id->ioas2, &id->stdev2, &id->hwpt2,
				     &id->idev2), 0);
	assert_int_equal(mock_domain(fd, id->ioas3, &id->stdev3, &id->hwpt3,
				     NULL), 0);
	assert_int_equal(map(fd, id->ioas1, 0, 16 * PAGE, &id->iova_a, false), 0);
	assert_int_equal(map(fd, id->ioas1, 16 * PAGE, 64 * PAGE, &id->iova_b,
			     false), 0);
	assert_int_equal(map(fd, id->ioas1, 80 * PAGE, 4 * PAGE, &id->iova_c,
			     false), 0);
	assert_int_equal(copy(fd, id->ioas2, id->ioas1, id->iova_b, 64 * PAGE), 0);
	assert_int_equal(map(fd, id->ioas2, 100 * PAGE, 8 * PAGE, NULL, false), 0);
	/* ioas4: areas inside the mock aperture, no domain yet */
	iova = MOCK_APERTURE_START;
	assert_int_equal(map(fd, id->ioas4, 0, 32 * PAGE, &iova, true), 0);
	iova = MOCK_APERTURE_START + 64 * PAGE;
	assert_int_equal(map(fd, id->ioas4, 40 * PAGE, 8 * PAGE, &iova, true), 0);
	assert_int_equal(hwpt_alloc(fd, id->idev1, id->ioas1, &id->hwpt_paging), 0);
	assert_int_equal(create_access(fd, id->ioas1, &id->afd), 0);
	assert_int_equal(access_pages(fd, id->afd, id->iova_c, 2 * PAGE), 0);
	/* ioas5: the VFIO type1 container's, large pages off, one mapping */
	assert_int_equal(vfio_set_ioas(fd, id->ioas5), 0);
	assert_int_equal(vx(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), 0);
	assert_int_equal(mock_domain(fd, id->ioas5, NULL, NULL, NULL), 0);
	assert_int_equal(vmap(fd, 120 * PAGE, MOCK_APERTURE_START, 16 * PAGE), 0);
	/*
	 * Fault queues: fault1 on a nested hwpt of stdev4 with three page
	 * requests, two of them read (awaiting responses, cookies 1 and 2)
	 * and one pending (its FIFO holds the byte); fault5 on stdev5's,
	 * empty.
	 */
	id->ioas6 = ioas_alloc(fd);
	assert_int_equal(mock_domain(fd, id->ioas6, &id->stdev4, NULL,
				     &id->idev4), 0);
	assert_int_equal(mock_domain(fd, id->ioas6, &id->stdev5, NULL,
				     &id->idev5), 0);
	{
		struct iommu_hwpt_alloc np = {
			.size = sizeof(np), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
			.dev_id = id->idev4, .pt_id = id->ioas6 };
		struct iommu_hwpt_pgfault rec[2];

		assert_int_equal(cx(fd, IOMMU_HWPT_ALLOC, &np), 0);
		id->nest_parent = np.out_hwpt_id;
		assert_int_equal(fault_alloc(fd, &id->fault1, &id->ffd1), 0);
		assert_int_equal(fault_alloc(fd, &id->fault5, &id->ffd5), 0);
		assert_int_equal(nested_alloc(fd, id->idev4, id->nest_parent,
					      id->fault1, &id->iopf_hwpt1), 0);
		assert_int_equal(nested_alloc(fd, id->idev5, id->nest_parent,
					      id->fault5, &id->iopf_hwpt2), 0);
		assert_int_equal(replace(fd, id->stdev4, id->iopf_hwpt1), 0);
		assert_int_equal(replace(fd, id->stdev5, id->iopf_hwpt2), 0);
		for (uint32_t g = 1; g <= 3; g++)
			assert_int_equal(trigger_iopf(fd, id->idev4, g), 0);
		assert_int_equal(fault_rw(id->ffd1, rec, sizeof(rec), false),
				 sizeof(rec));
	}
	/* fault2: its file's last close already happened */
	assert_int_equal(fault_alloc(fd, &id->fault2, &id->ffd4), 0);
	assert_int_equal(uiommufd_close(id->ffd4), 0);
	/* fault3: made by a process that exited holding its only fd */
	{
		int pfd[2], status;
		pid_t pid;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			uint32_t f = 0;

			fault_alloc(fd, &f, NULL);
			_exit(write(pfd[1], &f, sizeof(f)) == sizeof(f) && f ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
		assert_int_equal(read(pfd[0], &id->fault3, sizeof(id->fault3)),
				 sizeof(id->fault3));
		close(pfd[0]);
		close(pfd[1]);
	}
	assert_int_equal(fault_alloc(fd, &id->fault4, &id->ffd4), 0);
	assert_int_equal(create_access(fd, id->ioas1, &id->afd2), 0);
	/* the kAPI: kdev1 bound, kdev2 bound and attached to ioas7 */
	id->ioas7 = ioas_alloc(fd);
	assert_int_equal(map(fd, id->ioas7, 160 * PAGE, 8 * PAGE, NULL, false), 0);
	assert_int_equal(kapi_bind(fd, &id->kdev1), 0);
	assert_int_equal(kapi_bind(fd, &id->kdev2), 0);
	assert_int_equal(kapi_attach(fd, id->kdev2, id->ioas7), 0);
	/* Churn, so the arena has free blocks the command may reuse. */
	for (int i = 0; i < 4; i++) {
		uint64_t iova = 0;

		assert_int_equal(map(fd, id->ioas3, (size_t)i * PAGE, PAGE, &iova,
				     false), 0);
		if (i % 2 == 0)
			assert_int_equal(unmap(fd, id->ioas3, iova, PAGE), 0);
	}
}

/* ------------------------------------------------------------------ */
/* scenarios: the command under test; 0 when it did what it should */

struct scenario {
	const char *name;
	int (*cmd)(int fd, const struct ids *id);
	/* In the parent, at the fork, before the child runs cmd. */
	void (*at_fork)(int fd, const struct ids *id);
	/* In the survivor, after the state was found to be after k commands. */
	void (*post)(int fd, const struct ids *id, int k);
	/* After the setup, in every fresh context of the scenario. */
	void (*prep)(int fd, struct ids *id);
	/* Kill at every stride-th point only (the sweep's stride times this). */
	unsigned int stride;
};

static int sc_map(int fd, const struct ids *id)
{
	return map(fd, id->ioas1, 128 * PAGE, 16 * PAGE, NULL, false);
}

static int sc_map_fixed(int fd, const struct ids *id)
{
	uint64_t iova = MOCK_APERTURE_START + (1ull << 24);

	return map(fd, id->ioas2, 144 * PAGE, 64 * PAGE, &iova, true);
}

static int sc_unmap(int fd, const struct ids *id)
{
	return unmap(fd, id->ioas1, id->iova_b, 64 * PAGE);
}

static int sc_unmap_all(int fd, const struct ids *id)
{
	return unmap(fd, id->ioas2, 0, UINT64_MAX);
}

static int sc_copy(int fd, const struct ids *id)
{
	return copy(fd, id->ioas2, id->ioas1, id->iova_a, 16 * PAGE);
}

static int sc_hwpt_alloc(int fd, const struct ids *id)
{
	uint32_t out;

	return hwpt_alloc(fd, id->idev2, id->ioas2, &out);
}

static int sc_mock_domain(int fd, const struct ids *id)
{
	return mock_domain(fd, id->ioas4, NULL, NULL, NULL);
}

static int sc_replace(int fd, const struct ids *id)
{
	/* The old auto domain loses its last device and goes. */
	return replace(fd, id->stdev1, id->hwpt_paging);
}

static int sc_replace_ioas(int fd, const struct ids *id)
{
	/* To another IOAS's new auto domain: made, filled, old one freed. */
	return replace(fd, id->stdev2, id->ioas4);
}

static int sc_access_pages(int fd, const struct ids *id)
{
	return access_pages(fd, id->afd, id->iova_b + PAGE, 8 * PAGE);
}

static int sc_destroy(int fd, const struct ids *id)
{
	/* Detach, unbind, and the auto domain with its mappings. */
	return destroy(fd, id->stdev2);
}

static int sc_vfio_map(int fd, const struct ids *id)
{
	(void)id;
	return (int)vmap(fd, 136 * PAGE, MOCK_APERTURE_START + 64 * PAGE,
			 8 * PAGE);
}

static int sc_vfio_unmap(int fd, const struct ids *id)
{
	(void)id;
	/* TYPE1 cuts the mapping at both ends first. */
	return vunmap(fd, MOCK_APERTURE_START + 4 * PAGE, 4 * PAGE) == 0 ? 0 : -1;
}

static int sc_fault_alloc(int fd, const struct ids *id)
{
	(void)id;
	return fault_alloc(fd, NULL, NULL);
}

static int sc_fault_read(int fd, const struct ids *id)
{
	struct iommu_hwpt_pgfault rec[2];

	(void)fd;
	/* The pending one: the queue empties, its FIFO's byte goes. */
	return fault_rw(id->ffd1, rec, sizeof(rec), false) ==
	       (long)sizeof(rec[0]) ? 0 : -1;
}

static int sc_fault_write(int fd, const struct ids *id)
{
	struct iommu_hwpt_page_response r[2] = {
		{ .cookie = 2, .code = IOMMUFD_PAGE_RESP_SUCCESS },
		{ .cookie = 1, .code = IOMMUFD_PAGE_RESP_INVALID } };

	(void)fd;
	return fault_rw(id->ffd1, r, sizeof(r), true) == (long)sizeof(r) ? 0 : -1;
}

static int sc_trigger_iopf(int fd, const struct ids *id)
{
	/* An empty queue gets a group: its FIFO gets the byte. */
	return trigger_iopf(fd, id->idev5, 9);
}

static int sc_destroy_iopf_dev(int fd, const struct ids *id)
{
	/* Its groups (pending and read) are completed and freed. */
	return destroy(fd, id->stdev4);
}

static int sc_fault_last_close(int fd, const struct ids *id)
{
	(void)fd;
	/* The parent closed its copy at the fork: the file's release. */
	return uiommufd_close(id->ffd4) ? errno : 0;
}

static void close_ffd4(int fd, const struct ids *id)
{
	(void)fd;
	assert_int_equal(uiommufd_close(id->ffd4), 0);
	parent_closed_ffd4 = true;
}

static int sc_destroy_fault(int fd, const struct ids *id)
{
	return destroy(fd, id->fault2);
}

static int sc_destroy_fault_dead(int fd, const struct ids *id)
{
	/* EBUSY first: the file's holders died; it is released, then gone. */
	return destroy(fd, id->fault3);
}

/*
 * After a kill that left the state before the command, the queue is
 * still held by a file no one holds (maybe with its name unlinked by the
 * dead command): the survivor's DESTROY must release it and succeed.
 */
static void post_destroy_fault_dead(int fd, const struct ids *id, int k)
{
	assert_int_equal(destroy(fd, id->fault3), k ? ENOENT : 0);
}

static int sc_create_access(int fd, const struct ids *id)
{
	int afd;

	return create_access(fd, id->ioas2, &afd);
}

static int sc_access_last_close(int fd, const struct ids *id)
{
	(void)fd;
	return uiommufd_close(id->afd2) ? errno : 0;
}

static void close_afd2(int fd, const struct ids *id)
{
	(void)fd;
	assert_int_equal(uiommufd_close(id->afd2), 0);
	parent_closed_afd2 = true;
}

static int sc_kapi_bind(int fd, const struct ids *id)
{
	uint32_t dev;

	(void)id;
	return kapi_bind(fd, &dev);
}

static int sc_kapi_attach(int fd, const struct ids *id)
{
	/* A VT-d domain made for ioas7 and its area mapped and pinned. */
	return kapi_attach(fd, id->kdev1, id->ioas7);
}

static int sc_kapi_unbind(int fd, const struct ids *id)
{
	/* Detached (its domain goes), unbound, the context's hold put. */
	kapi_unbind(fd, id->kdev2);
	return 0;
}

static struct uio_ctx *ctx_of(int fd);

/*
 * The arena's growth inside a command (its limit journaled, the chunk
 * mapped past it staying mapped): blocks nothing uses take the arena's
 * mapped chunks up to the last few bytes, so that the command's first
 * allocation carves past the limit.
 */
static void prep_arena_full(int fd, struct ids *id)
{
	struct uio_ctx *ctx;
	uintptr_t limit;

	(void)id;
	uio_core_enter();
	ctx = uio_fd_ctx_lock(fd);
	assert_non_null(ctx);
	limit = ctx->arena.limit;
	while (ctx->arena.limit - ctx->arena.brk >= 2048 + 64)
		assert_non_null(uio_zalloc(ctx, 2048));
	while (ctx->arena.limit - ctx->arena.brk >= 64 + 16)
		assert_non_null(uio_zalloc(ctx, 16));
	assert_true(ctx->arena.limit == limit);
	uio_fd_ctx_unlock(ctx);
	uio_core_leave();
}

/*
 * The journal's records outgrowing their first chunk (ctx.c), then read
 * back by a survivor that maps them: 200 areas unmapped in one command.
 */
static void prep_many_areas(int fd, struct ids *id)
{
	for (int i = 0; i < 200; i++) {
		uint64_t iova = 0;

		assert_int_equal(map(fd, id->ioas3, (size_t)(i % 32) * PAGE, PAGE,
				     &iova, false), 0);
	}
}

static int sc_unmap_ioas3(int fd, const struct ids *id)
{
	return unmap(fd, id->ioas3, 0, UINT64_MAX);
}

static const struct scenario scenarios[] = {
	{ "IOAS_MAP growing the arena", sc_map, NULL, NULL, prep_arena_full, 1 },
	{ "IOAS_UNMAP, journal grown", sc_unmap_ioas3, NULL, NULL,
	  prep_many_areas, 211 },
	{ "IOAS_MAP", sc_map, NULL, NULL, NULL, 0 },
	{ "IOAS_MAP fixed", sc_map_fixed, NULL, NULL, NULL, 0 },
	{ "IOAS_UNMAP", sc_unmap, NULL, NULL, NULL, 0 },
	{ "IOAS_UNMAP all", sc_unmap_all, NULL, NULL, NULL, 0 },
	{ "IOAS_COPY", sc_copy, NULL, NULL, NULL, 0 },
	{ "HWPT_ALLOC", sc_hwpt_alloc, NULL, NULL, NULL, 0 },
	{ "MOCK_DOMAIN", sc_mock_domain, NULL, NULL, NULL, 0 },
	{ "MOCK_DOMAIN_REPLACE hwpt", sc_replace, NULL, NULL, NULL, 0 },
	{ "MOCK_DOMAIN_REPLACE ioas", sc_replace_ioas, NULL, NULL, NULL, 0 },
	{ "ACCESS_PAGES", sc_access_pages, NULL, NULL, NULL, 0 },
	{ "DESTROY mock device", sc_destroy, NULL, NULL, NULL, 0 },
	{ "VFIO MAP_DMA", sc_vfio_map, NULL, NULL, NULL, 0 },
	{ "VFIO UNMAP_DMA", sc_vfio_unmap, NULL, NULL, NULL, 0 },
	{ "FAULT_QUEUE_ALLOC", sc_fault_alloc, NULL, NULL, NULL, 0 },
	{ "fault read", sc_fault_read, NULL, NULL, NULL, 0 },
	{ "fault write (responses)", sc_fault_write, NULL, NULL, NULL, 0 },
	{ "TRIGGER_IOPF", sc_trigger_iopf, NULL, NULL, NULL, 0 },
	{ "DESTROY iopf device", sc_destroy_iopf_dev, NULL, NULL, NULL, 0 },
	{ "fault file last close", sc_fault_last_close, close_ffd4, NULL, NULL, 0 },
	{ "DESTROY fault queue", sc_destroy_fault, NULL, NULL, NULL, 0 },
	{ "DESTROY fault, holder died", sc_destroy_fault_dead, NULL,
	  post_destroy_fault_dead, NULL, 0 },
	{ "CREATE_ACCESS", sc_create_access, NULL, NULL, NULL, 0 },
	{ "access file last close", sc_access_last_close, close_afd2, NULL, NULL, 0 },
	{ "kAPI bind", sc_kapi_bind, NULL, NULL, NULL, 0 },
	{ "kAPI attach", sc_kapi_attach, NULL, NULL, NULL, 0 },
	{ "kAPI unbind", sc_kapi_unbind, NULL, NULL, NULL, 0 },
};

/* ------------------------------------------------------------------ */
/* the state, as a string */

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)len + 1 > b->cap) {
		b->cap = (b->n + (size_t)len + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)len;
}

static struct uio_ctx *ctx_of(int fd)
{
	struct uio_ctx *ctx;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	uio_core_leave();
	assert_non_null(ctx);
	return ctx;
}

/*
 * The dump, with pids made "P" and every number naming a context address
 * made an offset; then the allocator's and the object table's fields.
 */
static char *digest(int fd)
{
	struct uio_ctx *ctx = ctx_of(fd);
	uintptr_t base = (uintptr_t)ctx, end = base + ctx->map_size;
	struct sbuf b = { 0 };
	int mfd = memfd_create("dump", 0);
	char *raw, *p;
	off_t len;

	assert_true(mfd >= 0);
	assert_int_equal(uiommufd_dump(fd, mfd), 0);
	len = lseek(mfd, 0, SEEK_END);
	raw = calloc(1, (size_t)len + 1);
	assert_int_equal(pread(mfd, raw, (size_t)len, 0), len);
	close(mfd);
	for (p = raw; *p;) {
		if (!strncmp(p, "\"pid\": ", 7)) {
			sb_put(&b, "\"pid\": P");
			p += 7;
			while (*p >= '0' && *p <= '9')
				p++;
		} else if (p[0] == '0' && p[1] == 'x') {
			char *e;
			unsigned long long v = strtoull(p, &e, 16);

			if (v >= base && v < end)
				sb_put(&b, "ctx+0x%llx", v - base);
			else
				sb_put(&b, "%.*s", (int)(e - p), p);
			p = e;
		} else {
			sb_put(&b, "%c", *p++);
		}
	}
	free(raw);

	/* Read without the lock: no other process runs now. */
	sb_put(&b, "\narena brk +0x%lx limit +0x%lx bytes %llu allocs %llu\n",
	       (unsigned long)(ctx->arena.brk - base),
	       (unsigned long)(ctx->arena.limit - base),
	       (unsigned long long)ctx->arena.bytes_in_use,
	       (unsigned long long)ctx->arena.allocs_in_use);
	for (int c = 0; c < UIO_ARENA_NCLASSES; c++) {
		sb_put(&b, "small %d:", c);
		for (void **s = ctx->arena.free_small[c]; s; s = *s)
			sb_put(&b, " +0x%lx", (unsigned long)((uintptr_t)s - base));
		sb_put(&b, "\n");
	}
	sb_put(&b, "large:");
	for (uint64_t *l = (uint64_t *)ctx->arena.free_large; l;
	     l = (uint64_t *)l[0])
		sb_put(&b, " +0x%lx/%llu", (unsigned long)((uintptr_t)l - base),
		       (unsigned long long)l[1]);
	sb_put(&b, "\nobjs slots +0x%lx n %u next %u count %u free",
	       (unsigned long)((uintptr_t)ctx->objs.slots - base),
	       ctx->objs.nslots, ctx->objs.next_id, ctx->objs.count);
	for (uint32_t i = 0; i < ctx->objs.nfree; i++)
		sb_put(&b, " %u", ctx->objs.free_heap[i]);
	for (uint32_t i = 1; i < ctx->objs.next_id; i++)
		sb_put(&b, " %u:%s", i,
		       ctx->objs.slots[i] ? (ctx->objs.slots[i]->live ? "L" : "R") :
					    "-");
	sb_put(&b, "\nnareas %llu npages %llu npinned %llu phys %llu used %llu\n",
	       (unsigned long long)ctx->nareas,
	       (unsigned long long)ctx->npages_objs,
	       (unsigned long long)ctx->npinned,
	       (unsigned long long)ctx->next_phys,
	       (unsigned long long)ctx->journal.used);
	sb_put(&b, "released %d held_by_files %d kholds %u\nfaults:",
	       ctx->released, ctx->held_by_files, ctx->kholds);
	/* The queues' own fields, in list order (not the FIFOs' names). */
	for (struct uio_fault *f = ctx->faults; f; f = f->next) {
		sb_put(&b, " %u{users %u held %d sig %d deliver", f->obj.id,
		       (unsigned int)atomic_load(&f->obj.users), f->file_held,
		       f->signalled);
		for (struct uio_fault_group *g = f->deliver; g; g = g->next)
			sb_put(&b, " %u", g->rec.grpid);
		sb_put(&b, " tail %u responses",
		       f->deliver_tail ? f->deliver_tail->rec.grpid : 0);
		for (struct uio_fault_group *g = f->responses; g; g = g->next)
			sb_put(&b, " %u/%u", g->rec.grpid, g->cookie);
		sb_put(&b, "}");
	}
	sb_put(&b, "\naccesses:");
	for (struct uio_access *a = ctx->accesses; a; a = a->next)
		sb_put(&b, " %u{file %d users %u}", a->obj.id, a->has_file,
		       (unsigned int)atomic_load(&a->obj.users));
	sb_put(&b, "\n");
	return b.s;
}

/* ------------------------------------------------------------------ */
/* the sweep */

/*
 * The files and the kAPI's devices go, then the context: it is released
 * (no hold is left: every VT-d device, however many a scenario bound, is
 * unbound first).
 */
static void done(int fd, const struct ids *id)
{
	struct uio_ctx *ctx = ctx_of(fd);

	assert_int_equal(uiommufd_close(id->afd), 0);
	assert_int_equal(uiommufd_close(id->ffd1), 0);
	assert_int_equal(uiommufd_close(id->ffd5), 0);
	if (!parent_closed_ffd4)
		assert_int_equal(uiommufd_close(id->ffd4), 0);
	if (!parent_closed_afd2)
		assert_int_equal(uiommufd_close(id->afd2), 0);
	for (uint32_t i = 1; i < ctx->objs.next_id; i++) {
		struct uio_obj *obj = ctx->objs.slots[i];

		if (obj && obj->live && obj->type == UIO_OBJ_DEVICE &&
		    uio_container_of(obj, struct uio_idev, obj)->driver ==
			    UIO_IOMMU_INTEL_VTD)
			kapi_unbind(fd, i);
	}
	assert_int_equal(ctx->kholds, 0);
	assert_int_equal(uiommufd_close(fd), 0);
}

/*
 * Each held fault queue's FIFO polls readable exactly while groups wait
 * for read(), and `signalled` says so: the recovery resynced what the dead
 * command did to the FIFO (outside shared memory). A name unlinked by the
 * dead command (its file released, then the release undone) is skipped:
 * no one holds that file, and the next sweep releases it again.
 */
static void check_fifos(int fd, const char *name, unsigned long long n)
{
	struct uio_ctx *ctx = ctx_of(fd);

	for (struct uio_fault *f = ctx->faults; f; f = f->next) {
		int q, bytes = -1;

		if (!f->file_held)
			continue;
		q = open(f->file.path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (q < 0)
			continue;
		assert_int_equal(ioctl(q, FIONREAD, &bytes), 0);
		close(q);
		if (bytes != (f->deliver ? 1 : 0) ||
		    f->signalled != (f->deliver != NULL))
			fail_msg("%s: kill at %llu: fault queue %u's FIFO holds %d "
				 "bytes, signalled %d, %s pending", name, n,
				 f->obj.id, bytes, f->signalled,
				 f->deliver ? "groups" : "nothing");
	}
}

/*
 * The sweeps main runs before EBUSY and at last closes: files no one
 * holds are released; then every file left held is open somewhere.
 */
static void sweep_files(int fd)
{
	struct uio_ctx *ctx = uio_fd_ctx_lock(fd);

	assert_non_null(ctx);
	uio_fault_files_alive(ctx);
	uio_access_files_alive(ctx);
	for (struct uio_fault *f = ctx->faults; f; f = f->next)
		assert_true(!f->file_held || uio_anon_alive(&f->file));
	for (struct uio_access *a = ctx->accesses; a; a = a->next)
		assert_true(!a->has_file || uio_anon_alive(&a->file));
	uio_fd_ctx_unlock(ctx);
	assert_int_equal(uiommufd_check(fd), 0);
}

static int fresh(struct ids *id, const struct scenario *sc)
{
	int fd = uiommufd_open(O_RDWR | O_CLOEXEC);

	parent_closed_ffd4 = parent_closed_afd2 = false;

	if (fd < 0)
		fail_msg("uiommufd_open: %s", strerror(errno));
	setup(fd, id);
	if (sc && sc->prep)
		sc->prep(fd, id);
	return fd;
}

/*
 * Run the command in a child armed with kill_nth; 0 if it completed (with
 * its kill point count in *points), 1 if it died by SIGKILL.
 */
static int run_child(int fd, const struct ids *id, const struct scenario *sc,
		     int reps, unsigned long long kill_nth,
		     unsigned long long *points)
{
	int pfd[2], go[2], status;
	pid_t pid;
	char c = 0;

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned long long n;
		int rc = 0;

		close(pfd[0]);
		close(go[1]);
		/* The parent's part of the scenario first. */
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		uiommufd_kill_nth(kill_nth);
		/* A repeat may fail (the range is mapped): the sweep is of
		 * what it changes, not of whether it succeeds. */
		for (int r = 0; r < reps && !rc; r++)
			rc = sc->cmd(fd, id) && !r;
		n = uiommufd_kill_points();
		uiommufd_kill_nth(0);
		if (rc) {
			fprintf(stderr, "crash sweep: %s failed: %d\n", sc->name, rc);
			_exit(2);
		}
		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	close(go[0]);
	if (sc->at_fork)
		sc->at_fork(fd, id);
	assert_int_equal(write(go[1], &c, 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status)) {
		assert_int_equal(WTERMSIG(status), SIGKILL);
		close(pfd[0]);
		return 1;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (points)
		assert_int_equal(read(pfd[0], points, sizeof(*points)),
				 sizeof(*points));
	close(pfd[0]);
	return 0;
}

/* The survivor goes on: 100 commands through a domain, all succeed. */
static void next_100(int fd, const struct ids *id)
{
	for (int i = 0; i < 50; i++) {
		uint64_t iova = 0;

		assert_int_equal(map(fd, id->ioas3, (size_t)(i % 32) * PAGE,
				     2 * PAGE, &iova, false), 0);
		assert_int_equal(unmap(fd, id->ioas3, iova, 2 * PAGE), 0);
	}
	assert_int_equal(uiommufd_check(fd), 0);
}

struct tally {
	unsigned long long points, before, after, recov_points, recov_runs;
};

#define MAX_REPS 2

/*
 * The states a kill may leave: after 0, 1, ... reps completed commands.
 * ref[k] comes from a child that ran the command k times.
 */
static void sweep(const struct scenario *sc, int reps, struct tally *t)
{
	char *ref[MAX_REPS + 1];
	unsigned long long points = 0;
	unsigned long long stride = sweep_stride * (sc->stride ? sc->stride : 1);
	struct ids id;
	int fd;

	assert_true(reps >= 1 && reps <= MAX_REPS);
	for (int k = 0; k <= reps; k++) {
		unsigned long long p = 0;

		fd = fresh(&id, sc);
		if (k)
			assert_int_equal(run_child(fd, &id, sc, k, ~0ull, &p), 0);
		assert_int_equal(uiommufd_check(fd), 0);
		ref[k] = digest(fd);
		done(fd, &id);
		if (k == reps)
			points = p;
	}
	assert_true(points > 0);
	assert_string_not_equal(ref[0], ref[1]);
	t->points += points;

	for (unsigned long long n = 1; n <= points; n += stride) {
		char *now;
		int killed, k;

		fd = fresh(&id, sc);
		killed = run_child(fd, &id, sc, reps, n, NULL);
		if (!killed)
			fail_msg("%s: kill point %llu of %llu never reached",
				 sc->name, n, points);
		if (long_mode && n % 2 == 1) {
			/*
			 * A second victim: the next locker dies while undoing,
			 * at each of its kill points (every stride-th for a
			 * scenario with a stride), until one recovers.
			 */
			for (unsigned long long m = 1;;
			     m += sc->stride ? sc->stride : 1) {
				pid_t pid = fork();
				int status;

				assert_true(pid >= 0);
				if (pid == 0) {
					uiommufd_kill_nth(m);
					_exit(uiommufd_check(fd) ? 2 : 0);
				}
				assert_int_equal(waitpid(pid, &status, 0), pid);
				t->recov_runs++;
				if (WIFEXITED(status)) {
					assert_int_equal(WEXITSTATUS(status), 0);
					break;
				}
				t->recov_points++;
			}
		}
		if (uiommufd_check(fd))
			fail_msg("%s: checker failed after a kill at %llu of %llu",
				 sc->name, n, points);
		now = digest(fd);
		for (k = 0; k <= reps && strcmp(now, ref[k]); k++)
			;
		if (k > reps) {
			for (k = 0; k <= reps; k++)
				fprintf(stderr, "--- after %d\n%s\n", k, ref[k]);
			fprintf(stderr, "--- now\n%s\n", now);
			fail_msg("%s: kill at %llu of %llu left none of the states",
				 sc->name, n, points);
		}
		if (k == 0)
			t->before++;
		else
			t->after++;
		free(now);
		check_fifos(fd, sc->name, n);
		if (sc->post)
			sc->post(fd, &id, k);
		sweep_files(fd);
		next_100(fd, &id);
		done(fd, &id);
	}
	for (int k = 0; k <= reps; k++)
		free(ref[k]);
}

static void test_sweep(void **state)
{
	const struct scenario *sc = *state;
	struct tally t = { 0 }, t2 = { 0 };

	sweep(sc, 1, &t);
	if (long_mode)
		sweep(sc, 2, &t2);
	printf("crash sweep: %-26s %4llu points, %llu killed: %llu before, "
	       "%llu after", sc->name, t.points, t.before + t.after, t.before,
	       t.after);
	if (long_mode)
		printf("; twice: %llu points; recovery killed %llu times",
		       t2.points, t.recov_points + t2.recov_points);
	printf("\n");
}

/*
 * A memory report made while this thread is inside the core, holding a
 * context's lock (a sanitizer's report munmaps its buffers from inside a
 * command, through the preload's hooks), returns instead of locking the
 * context again: the lock is not recursive, and that hung for good. The
 * pinned pages' report that matters comes again from the real munmap.
 */
static void test_report_inside_core(void **state)
{
	struct ids id;
	struct uio_ctx *ctx;
	int fd;

	(void)state;
	fd = fresh(&id, NULL);
	alarm(20);
	ctx = uio_fd_ctx_lock(fd);
	assert_non_null(ctx);
	uiommufd_memory_released(buf, 4 * PAGE);
	uiommufd_memory_moved(buf, 4 * PAGE, buf + 8 * PAGE);
	uio_fd_ctx_unlock(ctx);
	alarm(0);
	assert_int_equal(uiommufd_check(fd), 0);
	done(fd, &id);
}

int main(int argc, char **argv)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0]) + 1];
	size_t n = sizeof(scenarios) / sizeof(scenarios[0]);

	long_mode = argc > 1 && !strcmp(argv[1], "--long");
	if (getenv("UIOMMUFD_CRASH_STRIDE"))
		sweep_stride = strtoull(getenv("UIOMMUFD_CRASH_STRIDE"), NULL, 0);
	if (!sweep_stride || long_mode)
		sweep_stride = 1;
	buf = mmap(NULL, BUF_PAGES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 0x5a, BUF_PAGES * PAGE);
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = scenarios[i].name, .test_func = test_sweep,
			.initial_state = (void *)&scenarios[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_report_inside_core);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
