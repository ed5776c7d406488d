// SPDX-License-Identifier: MIT
/*
 * Differences the differential tester (test/diff) found between uiommufd
 * and the reference kernel, each pinned down by the smallest sequence that
 * shows it. Every expectation was checked in the reference kernel.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "conf.h"

static int mock_domain(int f, uint32_t pt, uint32_t *stdev, uint32_t *hwpt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };
	int rc = test_cmd(f, &c);

	if (!rc && stdev)
		*stdev = c.mock_domain.out_stdev_id;
	if (!rc && hwpt)
		*hwpt = c.mock_domain.out_hwpt_id;
	return rc;
}

static int child_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read-only memory: filled, then PROT_READ. */
static char *ro_buffer(size_t len)
{
	char *b = aligned_buffer(len, PAGE);

	memset(b, 0x5a, len);
	assert_int_equal(mprotect(b, len, PROT_READ), 0);
	return b;
}

/*
 * An automatic IOVA for a user address with a page offset: the kernel
 * aligns the start of the allowed range and ORs the page offset into it
 * before it looks for a hole, so a hole that begins below that point is
 * used from it on. Here the first hole begins at 0x1301 (an area holds
 * [0x1000, 0x1300]); the search starts at 0x1000 | 0xe48 = 0x1e48, which
 * is free, where aligning the hole's own start would give 0x1f48.
 */
static void test_auto_iova_page_offset(void **state)
{
	char *b = aligned_buffer(16 * PAGE, 0);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	(void)state;
	assert_int_equal(map(fd, ioas, b, 0x301, &iova, RW | FIXED), 0);
	iova = 0;
	assert_int_equal(map(fd, ioas, b + 0x4e48, 0x8000, &iova, RW), 0);
	assert_int_equal(iova, 0x1e48);
	/* With an allowed range, from its start the same way. */
	uint32_t ioas2 = ioas_alloc(fd);
	struct iommu_iova_range r = { 0x100000, 0x1fffff };

	assert_int_equal(allow(fd, ioas2, &r, 1), 0);
	iova = 0x100000;
	assert_int_equal(map(fd, ioas2, b, 0x301, &iova, RW | FIXED), 0);
	iova = 0;
	assert_int_equal(map(fd, ioas2, b + 0x4e48, 0x4000, &iova, RW), 0);
	assert_int_equal(iova, 0x100e48);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(destroy(fd, ioas2), 0);
}

/*
 * A writable map of read-only memory succeeds (nothing is pinned); pinning
 * it for a domain fails with EFAULT, FOLL_WRITE refusing the mapping, and
 * so it does when a forked child makes the domain: the child pins the
 * parent's pages, the mapping is still the parent's.
 */
static void test_fork_pin_readonly(void **state)
{
	char *b = ro_buffer(4 * PAGE);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = MOCK_APERTURE_START;
	pid_t pid;

	(void)state;
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova, RW | FIXED), 0);
	pid = fork();
	if (pid == 0)
		_exit(mock_domain(fd, ioas, NULL, NULL));
	assert_int_equal(child_status(pid), EFAULT);
	assert_int_equal(mock_domain(fd, ioas, NULL, NULL), EFAULT);
	/* Read-only map of the same memory: the child pins it. */
	assert_int_equal(unmap(fd, ioas, iova, 4 * PAGE, NULL), 0);
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova,
			     IOMMU_IOAS_MAP_READABLE | FIXED), 0);
	pid = fork();
	if (pid == 0)
		_exit(mock_domain(fd, ioas, NULL, NULL));
	assert_int_equal(child_status(pid), 0);
	assert_int_equal(destroy(fd, ioas), EBUSY);
}

/*
 * ACCESS_RW through the slow path (more than one page) on pages no domain
 * pins: the kernel pins them for the copy, with FOLL_WRITE when the map is
 * writable, even to read them: EFAULT on read-only memory. One page goes
 * through a single-page pin that asks for write only to write.
 */
static void test_rw_slow_unpinned_readonly(void **state)
{
	char *b = ro_buffer(4 * PAGE), out[2 * PAGE];
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = MOCK_APERTURE_START;
	int afd = -1;

	(void)state;
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, 2 * PAGE,
				   MOCK_ACCESS_RW_SLOW_PATH), EFAULT);
	assert_int_equal(access_rw(fd, afd, iova + 0x100, out, 0x100,
				   MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_int_equal(out[0], 0x5a);
	/* The fast path copies from the caller's memory: it can read. */
	assert_int_equal(access_rw(fd, afd, iova, out, 2 * PAGE, 0), 0);
	/* A read-only map pins without FOLL_WRITE: the slow path reads. */
	assert_int_equal(unmap(fd, ioas, iova, 4 * PAGE, NULL), 0);
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova,
			     IOMMU_IOAS_MAP_READABLE | FIXED), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, 2 * PAGE,
				   MOCK_ACCESS_RW_SLOW_PATH), 0);
	close(afd);
	assert_int_equal(destroy(fd, ioas), 0);
}

/*
 * An access file keeps its context after the last close of /dev/iommu,
 * and the selftest takes the access from its file whatever iommufd the
 * command comes through: through another context the access works on its
 * own context's IOAS and ids.
 */
static void test_access_of_another_context(void **state)
{
	char *b = aligned_buffer(4 * PAGE, PAGE), out[2 * PAGE];
	int f1 = iommufd_open(), f2, afd = -1;
	uint32_t ioas = ioas_alloc(f1), ioas2 = ioas_alloc(f1), item = 0;
	uint64_t iova = MOCK_APERTURE_START;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS };

	(void)state;
	memset(b, 0x3c, 4 * PAGE);
	assert_int_equal(map(f1, ioas, b, 4 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(create_access(f1, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &afd), 0);
	close(f1);
	f2 = iommufd_open();
	assert_int_equal(access_rw(f2, afd, iova, out, 2 * PAGE, 0), 0);
	assert_memory_equal(out, b, 2 * PAGE);
	assert_int_equal(access_pages(f2, afd, iova, PAGE, b, 0, &item), 0);
	assert_int_equal(unpin(f2, afd, item), 0);
	assert_int_equal(unpin(f2, afd, item), ENOENT);
	/* ioas2 is an id of the access's context, not of f2's (empty). */
	c.id = (uint32_t)afd;
	c.access_replace_ioas.ioas_id = ioas2;
	assert_int_equal(test_cmd(f2, &c), 0);
	assert_int_equal(access_rw(f2, afd, iova, out, PAGE, 0), ENOENT);
	close(afd);
	assert_int_equal(access_rw(f2, afd, iova, out, PAGE, 0), EBADFD);
	close(f2);
}

/*
 * ACCESS_PAGES compares the pinned pages with the caller's pages at uptr
 * as get_user_pages_fast() finds them: from uptr aligned down.
 */
static void test_access_pages_unaligned_uptr(void **state)
{
	char *b = aligned_buffer(4 * PAGE, PAGE);
	uint32_t ioas = ioas_alloc(fd), item = 0;
	uint64_t iova = MOCK_APERTURE_START;
	int afd = -1;

	(void)state;
	memset(b, 1, 4 * PAGE);
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(create_access(fd, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &afd), 0);
	assert_int_equal(access_pages(fd, afd, iova + PAGE, 2 * PAGE,
				      b + PAGE + 0x123, 0, &item), 0);
	assert_int_equal(access_pages(fd, afd, iova + PAGE, 2 * PAGE,
				      b + 0xfff, 0, &item), EBADE);
	close(afd);
	assert_int_equal(destroy(fd, ioas), 0);
}

/*
 * The slow path gathers every page before it copies: when a page in the
 * middle cannot be pinned (read-only memory under a writable map), the
 * write fails and the pages before it are left alone.
 */
static void test_rw_slow_all_or_nothing(void **state)
{
	char *b = aligned_buffer(4 * PAGE, PAGE), data[3 * PAGE];
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = MOCK_APERTURE_START;
	int afd = -1;

	(void)state;
	memset(b, 0x11, 4 * PAGE);
	assert_int_equal(map(fd, ioas, b, 4 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(mprotect(b + PAGE, PAGE, PROT_READ), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	memset(data, 0x22, sizeof(data));
	assert_int_equal(access_rw(fd, afd, iova, data, 3 * PAGE,
				   MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH),
			 EFAULT);
	assert_int_equal(b[0], 0x11);
	assert_int_equal(b[PAGE - 1], 0x11);
	close(afd);
	assert_int_equal(destroy(fd, ioas), 0);
}

/*
 * A device on a nested hwpt reporting to a new fault queue (its fd; a
 * paging hwpt takes no fault queue in 6.12: EOPNOTSUPP).
 */
static int iopf_setup(uint32_t *idev)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint32_t ioas = ioas_alloc(fd), hwpt = 0;

	md.id = ioas;
	assert_int_equal(test_cmd(fd, &md), 0);
	assert_int_equal(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	{
		struct iommu_hwpt_selftest data = { IOMMU_TEST_IOTLB_DEFAULT };
		struct iommu_hwpt_alloc a = {
			.size = sizeof(a), .flags = IOMMU_HWPT_FAULT_ID_VALID,
			.dev_id = md.mock_domain.out_idev_id, .pt_id = ioas,
			.fault_id = fa.out_fault_id };

		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &a), EOPNOTSUPP);
		a.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &a), 0);
		a.pt_id = a.out_hwpt_id;
		a.flags = IOMMU_HWPT_FAULT_ID_VALID;
		a.data_type = IOMMU_HWPT_DATA_SELFTEST;
		a.data_len = sizeof(data);
		a.data_uptr = (uintptr_t)&data;
		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &a), 0);
		hwpt = a.out_hwpt_id;
	}
	rp.id = md.mock_domain.out_stdev_id;
	rp.mock_domain_replace.pt_id = hwpt;
	assert_int_equal(test_cmd(fd, &rp), 0);
	*idev = md.mock_domain.out_idev_id;
	return (int)fa.out_fault_fd;
}

/* n page requests, then read them: their cookies in order. */
static void faults_read(int ffd, uint32_t idev, int n, uint32_t *cookies)
{
	struct iommu_hwpt_pgfault rec[8];

	for (int i = 0; i < n; i++) {
		struct iommu_test_cmd c = {
			.op = IOMMU_TEST_OP_TRIGGER_IOPF,
			.trigger_iopf = { .dev_id = idev, .grpid = (uint32_t)i,
					  .perm = IOMMU_PGFAULT_PERM_READ,
					  .addr = MOCK_APERTURE_START } };

		assert_int_equal(test_cmd(fd, &c), 0);
	}
	assert_int_equal(read(ffd, rec, sizeof(rec)), n * (long)sizeof(rec[0]));
	for (int i = 0; i < n; i++)
		cookies[i] = rec[i].cookie;
}

static long respond(int ffd, uint32_t cookie)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie };

	return write(ffd, &r, sizeof(r)) < 0 ? -errno : 0;
}

/*
 * Fault cookies are the kernel's xarray indexes: allocated from 1, with
 * index 0 reserved, until a response names cookie 0 (EINVAL, but the
 * reserved entry is erased: the next group gets 0), or the array empties
 * (0 stays free), or shrinks back to the group at 0 alone.
 */
static void test_fault_cookies(void **state)
{
	uint32_t idev = 0, c[8];
	int ffd = iopf_setup(&idev);

	(void)state;
	faults_read(ffd, idev, 1, c);
	assert_int_equal(c[0], 1);
	assert_int_equal(respond(ffd, 0), -EINVAL);
	faults_read(ffd, idev, 2, c);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 2);
	assert_int_equal(respond(ffd, 1), 0);
	assert_int_equal(respond(ffd, 0), 0);
	assert_int_equal(respond(ffd, 2), 0);
	/* Emptied: 0 is free. */
	faults_read(ffd, idev, 2, c);
	assert_int_equal(c[0], 0);
	assert_int_equal(c[1], 1);
	/* Back to the group at 0 alone: 0 is taken, the next is 1. */
	assert_int_equal(respond(ffd, 1), 0);
	faults_read(ffd, idev, 1, c);
	assert_int_equal(c[0], 1);
	assert_int_equal(respond(ffd, 0), 0);
	assert_int_equal(respond(ffd, 1), 0);
	faults_read(ffd, idev, 1, c);
	assert_int_equal(c[0], 0);
	close(ffd);
}

/*
 * Forks a child that closes the fds in close_fds (-1 ends), says so, waits
 * for a byte, then exits with _exit() (or exit() when use_exit), closing
 * the rest of what it inherited. Returns its pid; *go is the pipe to send
 * the byte to.
 */
static pid_t waiting_child(const int *close_fds, bool use_exit, int *go)
{
	int ready[2], wait_go[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(wait_go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; close_fds[i] >= 0; i++)
			close(close_fds[i]);
		if (write(ready[1], "r", 1) != 1 || read(wait_go[0], &c, 1) != 1)
			_exit(90);
		if (use_exit)
			exit(0);
		_exit(0);
	}
	close(ready[1]);
	close(wait_go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*go = wait_go[1];
	return pid;
}

static void release_child(pid_t pid, int go)
{
	assert_int_equal(write(go, "g", 1), 1);
	close(go);
	assert_int_equal(child_status(pid), 0);
}

/*
 * The last close of /dev/iommu may be a child's exit: the parent closes
 * its fd while a forked child holds a copy; the context (and the pins of
 * its domain, seen on shared memory) lives until the child exits, exit()
 * or _exit(), then goes.
 */
static void test_ctx_last_close_at_child_exit(void **state)
{
	char *b = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(b != MAP_FAILED);
	memset(b, 7, 2 * PAGE);
	for (int how = 0; how < 2; how++) {
		int f1 = iommufd_open(), f2, go, none[] = { -1 };
		uint32_t ioas = ioas_alloc(f1);
		uint64_t iova = MOCK_APERTURE_START;
		pid_t pid;

		assert_int_equal(mock_domain(f1, ioas, NULL, NULL), 0);
		assert_int_equal(map(f1, ioas, b, 2 * PAGE, &iova, RW | FIXED), 0);
		assert_int_equal(check_refs(f1, b, 2 * PAGE, 1), 0);
		pid = waiting_child(none, how, &go);
		close(f1);
		f2 = iommufd_open();
		assert_int_equal(check_refs(f2, b, 2 * PAGE, 1), 0);
		release_child(pid, go);
		assert_int_equal(check_refs(f2, b, 2 * PAGE, 0), 0);
		close(f2);
	}
	munmap(b, 2 * PAGE);
}

/*
 * A fault queue's file holds its context. The child closes its copy of
 * /dev/iommu and keeps the fault fd it never used; the parent closes both:
 * the child's exit is the last close of the fault file and so of the
 * context, whose pins go with it.
 */
static void test_fault_file_last_close_at_child_exit(void **state)
{
	char *b = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	int f1 = iommufd_open(), f2, ffd, go, mine[2];
	uint32_t ioas = ioas_alloc(f1);
	uint64_t iova = MOCK_APERTURE_START;
	pid_t pid;

	(void)state;
	assert_true(b != MAP_FAILED);
	memset(b, 7, 2 * PAGE);
	assert_int_equal(mock_domain(f1, ioas, NULL, NULL), 0);
	assert_int_equal(map(f1, ioas, b, 2 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(xioctl(f1, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	ffd = (int)fa.out_fault_fd;
	mine[0] = f1;
	mine[1] = -1;
	pid = waiting_child(mine, false, &go);
	close(ffd);
	close(f1);
	f2 = iommufd_open();
	assert_int_equal(check_refs(f2, b, 2 * PAGE, 1), 0);
	release_child(pid, go);
	assert_int_equal(check_refs(f2, b, 2 * PAGE, 0), 0);
	close(f2);
	munmap(b, 2 * PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_last_close_at_child_exit),
		cmocka_unit_test(test_fault_file_last_close_at_child_exit),
		cmocka_unit_test_setup_teardown(test_fault_cookies,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_slow_all_or_nothing,
						ctx_setup, ctx_teardown),
		cmocka_unit_test(test_access_of_another_context),
		cmocka_unit_test_setup_teardown(test_access_pages_unaligned_uptr,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fork_pin_readonly,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_slow_unpinned_readonly,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_auto_iova_page_offset,
						ctx_setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
