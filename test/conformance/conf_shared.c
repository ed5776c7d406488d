// SPDX-License-Identifier: MIT
/*
 * Pins of shared memory. A pinned page of a MAP_SHARED mapping (shared
 * anonymous memory, a memfd) is the page every process mapping the object
 * sees: when the process that pinned it exits or unmaps it, the IOAS keeps
 * that very page, so the other mappers and the device still share it. The
 * upstream selftest fork_gone does this with a shared buffer; here both
 * directions (a child pins and exits, the parent checks; the parent pins
 * and unmaps, a child checks), a memfd mapped again, and the pin counts the
 * kernel reports for such pages. Every expectation was checked in the
 * reference kernel.
 */
#include <sys/wait.h>

#include "conf.h"

#define NPAGES 8
#define LEN (NPAGES * PAGE)
#define IOVA ((uint64_t)MOCK_APERTURE_START)

static int mock_domain(int f, uint32_t pt, uint32_t *hwpt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = pt };
	int rc = test_cmd(f, &c);

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

static void fill(char *p, size_t len, char seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)(seed + i * 7 + i / PAGE);
}

enum { SHM, MEMFD };

static int memfd = -1;

/* NPAGES of shared memory at a 2 MiB + 4 KiB aligned address. */
static char *shared_buffer(int kind)
{
	char *want = aligned_buffer(LEN, PAGE), *p;

	if (kind == SHM) {
		p = mmap(want, LEN, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	} else {
		memfd = memfd_create("conf_shared", MFD_CLOEXEC);
		assert_true(memfd >= 0);
		assert_int_equal(ftruncate(memfd, LEN), 0);
		p = mmap(want, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 memfd, 0);
	}
	assert_ptr_equal(p, want);
	return p;
}

/*
 * A forked child maps the shared buffer into an IOAS that has a domain (so
 * the child pins it) and exits. The domain and an access then reach the
 * parent's own pages: its writes show through the IOAS, the device's
 * writes show in its buffer, and the pages are the same (MD_CHECK_MAP, one
 * pin each in MD_CHECK_REFS).
 */
static void child_maps_and_exits(int kind)
{
	char *buf = shared_buffer(kind), out[LEN], data[LEN];
	uint32_t ioas = ioas_alloc(fd), hwpt;
	int afd = -1;
	pid_t pid;

	fill(buf, LEN, 1);
	assert_int_equal(mock_domain(fd, ioas, &hwpt), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	pid = fork();
	if (pid == 0) {
		uint64_t iova = IOVA;

		_exit(map(fd, ioas, buf, LEN, &iova, RW | FIXED));
	}
	assert_int_equal(child_status(pid), 0);
	assert_int_equal(access_rw(fd, afd, IOVA, out, LEN, 0), 0);
	assert_memory_equal(out, buf, LEN);
	fill(buf, LEN, 2);
	assert_int_equal(access_rw(fd, afd, IOVA, out, LEN, 0), 0);
	assert_memory_equal(out, buf, LEN);
	fill(data, LEN, 3);
	assert_int_equal(access_rw(fd, afd, IOVA + 100, data, LEN - 200,
				   MOCK_ACCESS_RW_WRITE), 0);
	assert_memory_equal(buf + 100, data, LEN - 200);
	assert_int_equal(check_map(fd, hwpt, IOVA, buf, LEN), 0);
	assert_int_equal(check_refs(fd, buf, LEN, 1), 0);
	/* A second domain gets the same pages. */
	assert_int_equal(mock_domain(fd, ioas, &hwpt), 0);
	assert_int_equal(check_map(fd, hwpt, IOVA, buf, LEN), 0);
	assert_int_equal(check_refs(fd, buf, LEN, 1), 0);
	close(afd);
	assert_int_equal(unmap(fd, ioas, IOVA, LEN, NULL), 0);
	assert_int_equal(check_refs(fd, buf, LEN, 0), 0);
	munmap(buf, LEN);
	if (memfd >= 0)
		close(memfd);
	memfd = -1;
}

static void test_child_maps_shm_and_exits(void **state)
{
	(void)state;
	child_maps_and_exits(SHM);
}

static void test_child_maps_memfd_and_exits(void **state)
{
	(void)state;
	child_maps_and_exits(MEMFD);
}

/*
 * The parent pins its shared buffer and unmaps it; a child forked before
 * still maps the pages: the device's writes reach the child's buffer, and
 * in the child the IOAS maps its pages, pinned once.
 */
static void parent_unmaps_child_checks(int kind)
{
	char *buf = shared_buffer(kind), data[LEN];
	uint32_t ioas = ioas_alloc(fd), hwpt;
	uint64_t iova = IOVA;
	int afd = -1, p[2];
	pid_t pid;
	char c;

	fill(buf, LEN, 4);
	assert_int_equal(mock_domain(fd, ioas, &hwpt), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(map(fd, ioas, buf, LEN, &iova, RW | FIXED), 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(10);
		fill(data, LEN, 5);
		if (memcmp(buf, data, LEN))
			_exit(11);
		if (check_map(fd, hwpt, IOVA, buf, LEN))
			_exit(12);
		if (check_refs(fd, buf, LEN, 1))
			_exit(13);
		/* The child's writes reach the device. */
		fill(buf, LEN, 6);
		_exit(0);
	}
	close(p[0]);
	assert_int_equal(munmap(buf, LEN), 0);
	fill(data, LEN, 5);
	/* (Without the slow path it would copy to the unmapped address.) */
	assert_int_equal(access_rw(fd, afd, IOVA, data, LEN,
				   MOCK_ACCESS_RW_WRITE |
				   MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(child_status(pid), 0);
	close(p[1]);
	fill(data, LEN, 6);
	{
		char out[LEN];

		assert_int_equal(access_rw(fd, afd, IOVA, out, LEN,
					   MOCK_ACCESS_RW_SLOW_PATH), 0);
		assert_memory_equal(out, data, LEN);
		assert_int_equal(access_rw(fd, afd, IOVA, out, LEN, 0), EFAULT);
	}
	close(afd);
	assert_int_equal(destroy(fd, ioas), EBUSY);
	if (memfd >= 0)
		close(memfd);
	memfd = -1;
}

static void test_parent_unmaps_shm_child_checks(void **state)
{
	(void)state;
	parent_unmaps_child_checks(SHM);
}

static void test_parent_unmaps_memfd_child_checks(void **state)
{
	(void)state;
	parent_unmaps_child_checks(MEMFD);
}

/*
 * A pinned memfd buffer is unmapped and the memfd mapped again: the new
 * mapping has the pinned pages, so both see each other's writes.
 */
static void test_memfd_mapped_again(void **state)
{
	char *buf = shared_buffer(MEMFD), *again, out[LEN], data[LEN];
	uint32_t ioas = ioas_alloc(fd), hwpt;
	uint64_t iova = IOVA;
	int afd = -1;

	(void)state;
	fill(buf, LEN, 7);
	assert_int_equal(mock_domain(fd, ioas, &hwpt), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(map(fd, ioas, buf, LEN, &iova, RW | FIXED), 0);
	assert_int_equal(munmap(buf, LEN), 0);
	again = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	assert_true(again != MAP_FAILED);
	fill(data, LEN, 7);
	assert_memory_equal(again, data, LEN);
	fill(again, LEN, 8);
	assert_int_equal(access_rw(fd, afd, IOVA, out, LEN,
				   MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_memory_equal(out, again, LEN);
	fill(data, LEN, 9);
	assert_int_equal(access_rw(fd, afd, IOVA, data, LEN,
				   MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_memory_equal(again, data, LEN);
	assert_int_equal(check_map(fd, hwpt, IOVA, again, LEN), 0);
	assert_int_equal(check_refs(fd, again, LEN, 1), 0);
	/* The same file mapped over the old address: the same pages too. */
	buf = mmap(buf, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   memfd, 0);
	assert_true(buf != MAP_FAILED);
	assert_int_equal(check_map(fd, hwpt, IOVA, buf, LEN), 0);
	close(afd);
	assert_int_equal(unmap(fd, ioas, IOVA, LEN, NULL), 0);
	assert_int_equal(check_refs(fd, again, LEN, 0), 0);
	munmap(again, LEN);
	munmap(buf, LEN);
	close(memfd);
	memfd = -1;
}

/* Private memory is not shared: the child's pinned pages are its own. */
static void test_private_not_shared(void **state)
{
	char *buf = aligned_buffer(LEN, PAGE), out[LEN], data[LEN];
	uint32_t ioas = ioas_alloc(fd), hwpt;
	int afd = -1;
	pid_t pid;

	(void)state;
	fill(buf, LEN, 10);
	assert_int_equal(mock_domain(fd, ioas, &hwpt), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	pid = fork();
	if (pid == 0) {
		uint64_t iova = IOVA;

		fill(buf, LEN, 11);
		_exit(map(fd, ioas, buf, LEN, &iova, RW | FIXED));
	}
	assert_int_equal(child_status(pid), 0);
	fill(data, LEN, 11);
	assert_int_equal(access_rw(fd, afd, IOVA, out, LEN, 0), 0);
	assert_memory_equal(out, data, LEN);
	assert_int_equal(check_map(fd, hwpt, IOVA, buf, LEN), EINVAL);
	assert_int_equal(check_refs(fd, buf, LEN, 0), 0);
	close(afd);
}

/*
 * A page's pins are the page's, whichever file made them: a context whose
 * /dev/iommu fd is closed but that an access still holds keeps its pins,
 * and another context sees them counted.
 */
static void test_refs_of_another_context(void **state)
{
	char *buf = aligned_buffer(LEN, PAGE);
	int f1 = iommufd_open(), f2, afd = -1;
	uint32_t ioas = ioas_alloc(f1);
	uint64_t iova = IOVA;

	(void)state;
	fill(buf, LEN, 12);
	assert_int_equal(mock_domain(f1, ioas, NULL), 0);
	assert_int_equal(map(f1, ioas, buf, LEN, &iova, RW | FIXED), 0);
	assert_int_equal(create_access(f1, ioas, 0, &afd), 0);
	f2 = iommufd_open();
	assert_int_equal(check_refs(f2, buf, LEN, 1), 0);
	close(f1);
	assert_int_equal(check_refs(f2, buf, LEN, 1), 0);
	close(afd);
	assert_int_equal(check_refs(f2, buf, LEN, 0), 0);
	close(f2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_child_maps_shm_and_exits,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_child_maps_memfd_and_exits,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_parent_unmaps_shm_child_checks,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_parent_unmaps_memfd_child_checks,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_memfd_mapped_again,
						ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_private_not_shared,
						ctx_setup, ctx_teardown),
		cmocka_unit_test(test_refs_of_another_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
