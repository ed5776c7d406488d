// SPDX-License-Identifier: MIT
/*
 * Pins and their accounting. In 6.12 pages are pinned only for a consumer:
 * a domain (here the selftest mock domain) or an access. These tests check,
 * against the reference kernel:
 *   - what pinning refuses (EFAULT for unmapped, PROT_NONE, or read-only
 *     memory mapped writeable), at map time and at domain attach time;
 *   - RLIMIT_MEMLOCK accounting per user (/dev/iommu) and per process
 *     (/dev/vfio/vfio), without CAP_IPC_LOCK, ENOMEM past the limit, pins
 *     shared by IOAS_COPY charged once, and the budget coming back;
 *   - that a pin outlives the memory it came from (munmap, MAP_FIXED over
 *     it, MADV_DONTNEED, exit) and follows it across mremap, as seen
 *     through an access (IOMMU_TEST_OP_ACCESS_RW) and MD_CHECK_MAP/REFS;
 *   - pins of another process's memory, while it lives and after it exits.
 */
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "conf.h"

#define NPAGES 16

static uint32_t ioas;

/* A mock domain on ioas_id: errno; the device's stdev id in *stdev. */
static int mock_domain(int f, uint32_t ioas_id, uint32_t *stdev)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN,
				    .id = ioas_id };
	int rc = test_cmd(f, &c);

	if (!rc && stdev)
		*stdev = c.mock_domain.out_stdev_id;
	return rc;
}

/* An access on ioas_id, which must be made: its fd. */
static int new_access(uint32_t ioas_id)
{
	int afd = -1;

	assert_int_equal(create_access(fd, ioas_id, 0, &afd), 0);
	return afd;
}

static char *anon(size_t len, int prot, int fill)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	if (prot & PROT_WRITE)
		memset(p, fill, len);
	return p;
}

static uint64_t unmap_all(int f, uint32_t id)
{
	uint64_t n = 0;

	assert_int_equal(unmap(f, id, 0, UINT64_MAX, &n), 0);
	return n;
}

static int setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* what pinning refuses */

static void test_map_checks_memory(void **state)
{
	char *rw = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 1);
	char *none = anon(NPAGES * PAGE, PROT_NONE, 0);
	char *ro = anon(NPAGES * PAGE, PROT_READ, 0);
	char *gone = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 0);
	uint64_t iova = MOCK_APERTURE_START;

	(void)state;
	assert_int_equal(munmap(gone, NPAGES * PAGE), 0);
	/* Without a domain nothing is pinned: all of these map. */
	assert_int_equal(map(fd, ioas, gone, PAGE, &iova, FIXED | RW), 0);
	assert_int_equal(unmap_all(fd, ioas), PAGE);

	assert_int_equal(mock_domain(fd, ioas, NULL), 0);
	assert_int_equal(map(fd, ioas, gone, PAGE, &iova, FIXED | RW), EFAULT);
	assert_int_equal(map(fd, ioas, none, PAGE, &iova, FIXED | RW), EFAULT);
	assert_int_equal(map(fd, ioas, none, PAGE, &iova, FIXED | IOMMU_IOAS_MAP_READABLE), EFAULT);
	assert_int_equal(map(fd, ioas, ro, PAGE, &iova, FIXED | RW), EFAULT);
	/* A large range goes by the same rules. */
	{
		size_t big = 8ul << 20;
		char *b = anon(big, PROT_READ, 0);

		assert_int_equal(map(fd, ioas, b, big, &iova, FIXED | RW), EFAULT);
		assert_int_equal(mprotect(b + big / 2, PAGE, PROT_NONE), 0);
		assert_int_equal(map(fd, ioas, b, big, &iova, FIXED |
				     IOMMU_IOAS_MAP_READABLE), EFAULT);
		assert_int_equal(map(fd, ioas, b, big / 2, &iova, FIXED |
				     IOMMU_IOAS_MAP_READABLE), 0);
		assert_int_equal(unmap_all(fd, ioas), big / 2);
		munmap(b, big);
	}
	/* Nothing of the failures stayed. */
	assert_int_equal(unmap_all(fd, ioas), 0);
	assert_int_equal(map(fd, ioas, ro, PAGE, &iova, FIXED | IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(map(fd, ioas, rw, NPAGES * PAGE, NULL, RW), 0);
	assert_int_equal(unmap_all(fd, ioas), PAGE + NPAGES * PAGE);
}

static void test_attach_pins_existing_areas(void **state)
{
	char *rw = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 1);
	char *gone = anon(PAGE, PROT_READ | PROT_WRITE, 0);
	uint64_t iova = MOCK_APERTURE_START, iova2 = MOCK_APERTURE_START + 0x100000;
	uint32_t stdev;

	(void)state;
	assert_int_equal(munmap(gone, PAGE), 0);
	assert_int_equal(map(fd, ioas, rw, NPAGES * PAGE, &iova, FIXED | RW), 0);
	assert_int_equal(map(fd, ioas, gone, PAGE, &iova2, FIXED | RW), 0);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 0), 0);
	/* The domain would need the missing page: refused, nothing pinned. */
	assert_int_equal(mock_domain(fd, ioas, NULL), EFAULT);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 0), 0);
	assert_int_equal(unmap(fd, ioas, iova2, PAGE, NULL), 0);
	assert_int_equal(mock_domain(fd, ioas, &stdev), 0);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 1), 0);
	/* Two maps of the same memory pin each page twice. */
	assert_int_equal(map(fd, ioas, rw, NPAGES * PAGE, &iova2, FIXED | RW), 0);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 2), 0);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 1), EIO);
	assert_int_equal(unmap(fd, ioas, iova2, NPAGES * PAGE, NULL), 0);
	/* Detaching the last domain unpins. */
	assert_int_equal(destroy(fd, stdev), 0);
	assert_int_equal(check_refs(fd, rw, NPAGES * PAGE, 0), 0);
}

/* ------------------------------------------------------------------ */
/* accounting */

/* Drop CAP_IPC_LOCK from the effective set (pins are then charged). */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	assert_int_equal(syscall(SYS_capget, &hdr, data), 0);
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	assert_int_equal(syscall(SYS_capset, &hdr, data), 0);
}

static void set_memlock(size_t bytes)
{
	struct rlimit r = { bytes, bytes };

	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &r), 0);
}

/* Run fn in a child (its capability and rlimit changes stay there). */
static void in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* cmocka's asserts longjmp to the test, which a child must not reach. */
#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                         \
		}                                                         \
	} while (0)

static int cmap(int f, uint32_t id, const void *va, size_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = FIXED | RW, .ioas_id = id,
		.user_va = (uintptr_t)va, .length = len, .iova = iova };

	return ioctl(f, IOMMU_IOAS_MAP, &m) ? errno : 0;
}

static int cunmap(int f, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = id,
				      .iova = iova, .length = len };

	return ioctl(f, IOMMU_IOAS_UNMAP, &u) ? errno : 0;
}

static uint32_t cioas(int f)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(!ioctl(f, IOMMU_IOAS_ALLOC, &a));
	return a.out_ioas_id;
}

static int cdomain(int f, uint32_t id)
{
	struct iommu_test_cmd c = { .size = sizeof(c),
				    .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = id };

	return ioctl(f, IOMMU_TEST_CMD, &c) ? errno : 0;
}

static void limits_child(void)
{
	const uint64_t base = MOCK_APERTURE_START;
	char *b = mmap(NULL, 4 * NPAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int f = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	uint32_t a, a2;
	struct iommu_ioas_copy cp = { .size = sizeof(cp), .flags = FIXED | RW,
				      .length = NPAGES * PAGE,
				      .dst_iova = MOCK_APERTURE_START,
				      .src_iova = MOCK_APERTURE_START };

	CHECK(b != MAP_FAILED && f >= 0);
	drop_ipc_lock();
	set_memlock(NPAGES * PAGE);
	a = cioas(f);
	a2 = cioas(f);
	CHECK(!cdomain(f, a));
	CHECK(!cdomain(f, a2));
	/* Exactly the limit fits; one page more does not. */
	CHECK(cmap(f, a, b, NPAGES * PAGE, base) == 0);
	CHECK(cmap(f, a, b + NPAGES * PAGE, PAGE, base + 0x100000) == ENOMEM);
	/* The same pages again are charged again (another pages object). */
	CHECK(cmap(f, a, b, PAGE, base + 0x200000) == ENOMEM);
	/* IOAS_COPY shares the pinned pages: no new charge. */
	cp.dst_ioas_id = a2;
	cp.src_ioas_id = a;
	CHECK(!ioctl(f, IOMMU_IOAS_COPY, &cp));
	CHECK(cmap(f, a2, b + NPAGES * PAGE, PAGE, base + 0x100000) == ENOMEM);
	/* Unpinned only when no domain needs them any more. */
	CHECK(cunmap(f, a, base, NPAGES * PAGE) == 0);
	CHECK(cmap(f, a, b + NPAGES * PAGE, PAGE, base + 0x100000) == ENOMEM);
	CHECK(cunmap(f, a2, base, NPAGES * PAGE) == 0);
	CHECK(cmap(f, a, b + NPAGES * PAGE, NPAGES * PAGE, base + 0x100000) == 0);
	/* Closing the file gives the budget back. */
	close(f);
	f = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(f >= 0);
	a = cioas(f);
	CHECK(!cdomain(f, a));
	CHECK(cmap(f, a, b, NPAGES * PAGE, base) == 0);
	close(f);
}

static void test_rlimit_memlock(void **state)
{
	(void)state;
	in_child(limits_child);
}

/* With CAP_IPC_LOCK nothing is charged. */
static void unlimited_child(void)
{
	char *b = mmap(NULL, 4 * NPAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int f = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	uint32_t a;

	CHECK(b != MAP_FAILED && f >= 0);
	set_memlock(PAGE);
	a = cioas(f);
	CHECK(!cdomain(f, a));
	CHECK(cmap(f, a, b, 4 * NPAGES * PAGE, MOCK_APERTURE_START) == 0);
	close(f);
}

static void test_cap_ipc_lock_exempt(void **state)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	(void)state;
	assert_int_equal(syscall(SYS_capget, &hdr, data), 0);
	if (!(data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32))))
		skip();
	in_child(unlimited_child);
}

/*
 * Per-process charging, as /dev/vfio/vfio's context uses: a forked child
 * has a budget of its own. Per-user charging (/dev/iommu) shares one.
 */
static void mode_child(void)
{
	const uint64_t base = MOCK_APERTURE_START;
	char *b = mmap(NULL, 2 * NPAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *paths[2] = { "/dev/vfio/vfio", "/dev/iommu" };

	CHECK(b != MAP_FAILED);
	drop_ipc_lock();
	set_memlock(NPAGES * PAGE);
	for (int i = 0; i < 2; i++) {
		int f = open(paths[i], O_RDWR | O_CLOEXEC), status;
		uint32_t a;
		pid_t pid;

		CHECK(f >= 0);
		a = cioas(f);
		CHECK(!cdomain(f, a));
		CHECK(cmap(f, a, b, NPAGES * PAGE, base) == 0);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			int rc = cmap(f, a, b + NPAGES * PAGE, PAGE, base + 0x100000);

			/* vfio: the child's own budget; iommu: the user's, spent. */
			_exit(rc == (i == 0 ? 0 : ENOMEM) ? 0 : 1);
		}
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		close(f);
	}
}

static void test_rlimit_modes(void **state)
{
	(void)state;
	in_child(mode_child);
}

/* ------------------------------------------------------------------ */
/* pins outlive the memory they came from */

/* A buffer of `pat` mapped with a domain at iova, and an access. */
static char *pinned_buffer(size_t len, int pat, uint64_t iova, int *afd,
			   uint32_t *hwpt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };
	char *b = anon(len, PROT_READ | PROT_WRITE, pat);

	assert_int_equal(test_cmd(fd, &c), 0);
	if (hwpt)
		*hwpt = c.mock_domain.out_hwpt_id;
	assert_int_equal(map(fd, ioas, b, len, &iova, FIXED | RW), 0);
	*afd = new_access(ioas);
	return b;
}

static void assert_all(const char *p, size_t len, int v)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal((unsigned char)p[i], v);
}

static void test_pin_outlives_munmap(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	static char out[NPAGES * PAGE];
	int afd;
	char *b = pinned_buffer(NPAGES * PAGE, 0x5a, iova, &afd, NULL);

	(void)state;
	assert_int_equal(munmap(b, NPAGES * PAGE), 0);
	/*
	 * The same process reads through its own address (EFAULT now), one
	 * page is pinned afresh from the address (EFAULT); several pages go
	 * through the pins: the data is still there.
	 */
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), 0), EFAULT);
	assert_int_equal(access_rw(fd, afd, iova, out, 100, MOCK_ACCESS_RW_SLOW_PATH), EFAULT);
	memset(out, 0, sizeof(out));
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_all(out, sizeof(out), 0x5a);
	/* And can be written there. */
	memset(out, 0x77, sizeof(out));
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out),
				   MOCK_ACCESS_RW_SLOW_PATH | MOCK_ACCESS_RW_WRITE), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_all(out, sizeof(out), 0x77);
	close(afd);
}

static void test_pin_outlives_map_fixed_and_dontneed(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	static char out[NPAGES * PAGE];
	int afd;
	char *b = pinned_buffer(NPAGES * PAGE, 0x11, iova, &afd, NULL);
	char *again;

	(void)state;
	/* Fresh memory over the first half, discarded pages in the second. */
	again = mmap(b, NPAGES * PAGE / 2, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_true(again == b);
	memset(b, 0x22, NPAGES * PAGE / 2);
	assert_int_equal(madvise(b + NPAGES * PAGE / 2, NPAGES * PAGE / 2,
				 MADV_DONTNEED), 0);
	assert_all(b + NPAGES * PAGE / 2, NPAGES * PAGE / 2, 0);
	/* The pins still hold the old data... */
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_all(out, sizeof(out), 0x11);
	/* ...while the process's own address shows the new memory. */
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), 0), 0);
	assert_all(out, NPAGES * PAGE / 2, 0x22);
	assert_all(out + NPAGES * PAGE / 2, NPAGES * PAGE / 2, 0);
	assert_int_equal(check_refs(fd, b, NPAGES * PAGE, 0), 0);
	close(afd);
}

static void test_pin_follows_mremap(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	static char out[NPAGES * PAGE];
	uint32_t hwpt;
	int afd;
	char *b = pinned_buffer(NPAGES * PAGE, 0x33, iova, &afd, &hwpt);
	char *dst = anon(NPAGES * PAGE, PROT_NONE, 0), *moved;

	(void)state;
	assert_int_equal(check_map(fd, hwpt, iova, b, NPAGES * PAGE), 0);
	moved = mremap(b, NPAGES * PAGE, NPAGES * PAGE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	assert_true(moved == dst);
	memset(moved, 0x44, NPAGES * PAGE);
	/* The same pages, now at the new address. */
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_all(out, sizeof(out), 0x44);
	assert_int_equal(check_map(fd, hwpt, iova, moved, NPAGES * PAGE), 0);
	assert_int_equal(check_refs(fd, moved, NPAGES * PAGE, 1), 0);
	assert_int_equal(check_map(fd, hwpt, iova, b, NPAGES * PAGE), EFAULT);
	close(afd);
}

/* ------------------------------------------------------------------ */
/* another process's memory */

static void test_child_pins_outlive_it(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	static char out[NPAGES * PAGE];
	char *b = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 0x10);
	int afd, status;
	pid_t pid;

	(void)state;
	assert_int_equal(mock_domain(fd, ioas, NULL), 0);
	afd = new_access(ioas);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		memset(b, 0x66, NPAGES * PAGE);
		_exit(cmap(fd, ioas, b, NPAGES * PAGE, iova) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The child is gone; its pinned pages are what the IOAS reads. */
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), 0), 0);
	assert_all(out, sizeof(out), 0x66);
	assert_int_equal(access_rw(fd, afd, iova, out, 100, 0), 0);
	assert_all(out, 100, 0x66);
	/* Our own copy of the buffer is another page. */
	assert_all(b, NPAGES * PAGE, 0x10);
	close(afd);
}

static void test_child_alive(void **state)
{
	const uint64_t iova = MOCK_APERTURE_START;
	static char out[NPAGES * PAGE];
	char *b = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 0x10);
	int go[2], done[2], afd, status;
	pid_t pid;
	char c;

	(void)state;
	afd = new_access(ioas);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(done, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		memset(b, 0x67, NPAGES * PAGE);
		c = (char)cmap(fd, ioas, b, NPAGES * PAGE, iova);
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(c, 0);
	/* No domain yet: the parent's domain pins the child's live pages. */
	assert_int_equal(mock_domain(fd, ioas, NULL), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), 0), 0);
	assert_all(out, sizeof(out), 0x67);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, sizeof(out), 0), 0);
	assert_all(out, sizeof(out), 0x67);
	close(afd);
}

/* Memory of a process that is gone cannot be pinned any more. */
static void test_child_gone_unpinned(void **state)
{
	char *b = anon(NPAGES * PAGE, PROT_READ | PROT_WRITE, 0x10);
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(cmap(fd, ioas, b, NPAGES * PAGE, MOCK_APERTURE_START) ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(mock_domain(fd, ioas, NULL), EFAULT);
	assert_int_equal(unmap_all(fd, ioas), NPAGES * PAGE);
	assert_int_equal(mock_domain(fd, ioas, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_checks_memory, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_attach_pins_existing_areas, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rlimit_memlock, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_cap_ipc_lock_exempt, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rlimit_modes, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_outlives_munmap, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_outlives_map_fixed_and_dontneed, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_pin_follows_mremap, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_child_pins_outlive_it, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_child_alive, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_child_gone_unpinned, setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
