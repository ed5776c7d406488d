// SPDX-License-Identifier: MIT
/*
 * mlockall() with a context open, as dpdk-testpmd does by default: it
 * returns at once, locks little (VmLck stays small), and the context keeps
 * working afterwards: more maps, a mock domain pinning pages, and a forked
 * child whose maps grow the context's state past what this process had
 * seen, which this process then unmaps.
 *
 * Skipped under AddressSanitizer (mlockall would fault in its shadow) and
 * where mlockall is refused (unprivileged, small RLIMIT_MEMLOCK).
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "conf.h"

#if defined(__SANITIZE_ADDRESS__)
#define CONF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CONF_ASAN 1
#endif
#endif

/* Locked memory of this process, from /proc/self/status, in KiB. */
static long vmlck_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mock_domain(int f, uint32_t ioas_id, uint32_t *stdev,
		       uint32_t *hwpt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				    .id = ioas_id };
	int rc = test_cmd(f, &c);

	if (!rc) {
		*stdev = c.mock_domain.out_stdev_id;
		*hwpt = c.mock_domain.out_hwpt_id;
	}
	return rc;
}

#define CHILD_AREAS 200u
#define CHILD_IOVA 0x20000000ul
#define CHILD_LEN (4ul << 20)

/*
 * The child: areas of its own in ioas2, and CHILD_LEN bytes of its memory
 * at CHILD_IOVA in ioas, pinned by the domain; it lets go of that memory
 * and exits, so the pinned pages outlive it (uiommufd keeps them in the
 * context's shared state, which grows past what the parent has seen).
 */
static int child(int f, uint32_t ioas, uint32_t ioas2, const char *page)
{
	uint64_t iova = CHILD_IOVA;
	char *b = mmap(NULL, CHILD_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (uint32_t i = 0; i < CHILD_AREAS; i++) {
		uint64_t a = 0;

		if (map(f, ioas2, page, PAGE, &a, RW))
			return 1;
	}
	if (b == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < CHILD_LEN; i++)
		b[i] = (char)(i % 251);
	if (map(f, ioas, b, CHILD_LEN, &iova, RW | FIXED))
		return 3;
	munmap(b, CHILD_LEN);
	return 0;
}

static void test_mlockall(void **state)
{
	const long limit_kib = 256 << 10;
	struct rlimit rl;
	uint32_t ioas, ioas2, stdev = 0, hwpt = 0;
	uint64_t iova, n;
	char *buf = aligned_buffer(64 * PAGE, 0);
	static char chunk[64 << 10];
	int afd = -1;
	double t;
	long lck;
	pid_t pid;
	int st;

	(void)state;
#ifdef CONF_ASAN
	skip();
#endif
	memset(buf, 0x5a, 64 * PAGE);
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	for (int i = 0; i < 8; i++) {
		iova = 0;
		assert_int_equal(map(fd, ioas, buf + i * PAGE, PAGE, &iova, RW), 0);
		assert_int_equal(unmap(fd, ioas, iova, PAGE, &n), 0);
		assert_int_equal(n, PAGE);
	}

	if (!getrlimit(RLIMIT_MEMLOCK, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	t = now_s();
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "mlockall: %s: skipped\n", strerror(errno));
		close(fd);
		skip();
	}
	t = now_s() - t;
	lck = vmlck_kib();
	fprintf(stderr, "mlockall took %.3f s, VmLck %ld kB\n", t, lck);
	assert_true(t < 0.5);
	assert_in_range(lck, 0, limit_kib);

	/* A mock domain, and maps after the lock that it pins. */
	assert_int_equal(mock_domain(fd, ioas, &stdev, &hwpt), 0);
	for (int i = 0; i < 32; i++) {
		iova = 0;
		assert_int_equal(map(fd, ioas, buf + i * PAGE, PAGE, &iova, RW), 0);
	}
	iova = 0x40000000;
	assert_int_equal(map(fd, ioas, buf, 64 * PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(check_map(fd, hwpt, iova, buf, 64 * PAGE), 0);

	/* A child using the same context: its state is ours to use. */
	ioas2 = ioas_alloc(fd);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child(fd, ioas, ioas2, buf));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(unmap(fd, ioas2, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, CHILD_AREAS * PAGE);
	assert_int_equal(destroy(fd, ioas2), 0);
	/* The child's pages, read through an access. */
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	for (size_t off = 0; off < CHILD_LEN; off += sizeof(chunk)) {
		assert_int_equal(access_rw(fd, afd, CHILD_IOVA + off, chunk,
					   sizeof(chunk), 0), 0);
		for (size_t i = 0; i < sizeof(chunk); i++)
			if (chunk[i] != (char)((off + i) % 251))
				fail_msg("byte %zu of the child's pages", off + i);
	}
	close(afd);

	/* And on, after following the child. */
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, (32 + 64 + 1) * PAGE + CHILD_LEN);
	assert_int_equal(destroy(fd, stdev), 0);
	assert_int_equal(destroy(fd, ioas), 0);
	lck = vmlck_kib();
	fprintf(stderr, "at the end: VmLck %ld kB\n", lck);
	assert_in_range(lck, 0, limit_kib);
	close(fd);
	munlockall();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mlockall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
