// SPDX-License-Identifier: MIT
/*
 * A process that exits with much of its memory pinned (a VM's RAM): the
 * pinned pages outlive it exactly when another process can still reach
 * the context (here: one it sent the fd to, one that inherited it), and
 * read back as they were. uiommufd skips keeping them only when no other
 * process can reach the context, so these must read the same in the
 * kernel and under uiommufd.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include "conf.h"

/* Past uiommufd's threshold for looking for other users at exit. */
#define BIG (8192 * PAGE)

/* In a child: pin BIG bytes of a pattern at IOVA iova of ioas; 0 or errno. */
static int pin_pattern(int f, uint32_t ioas, uint64_t iova, int fill)
{
	char *b = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = FIXED | RW, .ioas_id = ioas,
		.user_va = (uintptr_t)b, .length = BIG, .iova = iova };

	if (b == MAP_FAILED)
		return ENOMEM;
	for (size_t i = 0; i < BIG; i += PAGE)
		memset(b + i, fill + (int)(i / PAGE % 7), PAGE);
	return ioctl(f, IOMMU_IOAS_MAP, &m) ? errno : 0;
}

static void check_pattern(int f, uint32_t ioas, uint64_t iova, int fill)
{
	static char out[BIG];
	int afd = -1;

	assert_int_equal(create_access(f, ioas, 0, &afd), 0);
	/* ACCESS_RW moves at most 16 MiB a call. */
	for (size_t i = 0; i < BIG; i += 1 << 20)
		assert_int_equal(access_rw(f, afd, iova + i, out + i, 1 << 20, 0), 0);
	for (size_t i = 0; i < BIG; i += PAGE) {
		assert_int_equal((unsigned char)out[i], fill + (int)(i / PAGE % 7));
		assert_int_equal((unsigned char)out[i + PAGE - 1],
				 fill + (int)(i / PAGE % 7));
	}
	close(afd);
}

/*
 * The context is made in a child, which pins its memory, sends the fd to
 * the parent (which has never used it) and exits. The parent then reads
 * the pinned pages as they were.
 */
static void test_sent_fd_keeps_pins(void **state)
{
	int sv[2], f, status;
	uint32_t ioas;
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
		int cf = iommufd_open();
		uint32_t id = ioas_alloc(cf);

		md.id = id;
		if (test_cmd(cf, &md) || pin_pattern(cf, id, MOCK_APERTURE_START, 0x21))
			_exit(1);
		if (send_fd(sv[1], cf) || write(sv[1], &id, sizeof(id)) != sizeof(id) ||
		    read(sv[1], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	f = recv_fd(sv[0]);
	assert_true(f >= 0);
	assert_int_equal(read(sv[0], &ioas, sizeof(ioas)), sizeof(ioas));
	assert_int_equal(write(sv[0], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_pattern(f, ioas, MOCK_APERTURE_START, 0x21);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(close(f), 0);
}

/* A forked child pins and exits; the parent, which holds the fd, reads. */
static void test_child_exit_keeps_pins(void **state)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint32_t ioas;
	int status;
	pid_t pid;

	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	md.id = ioas;
	assert_int_equal(test_cmd(fd, &md), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(pin_pattern(fd, ioas, MOCK_APERTURE_START, 0x31) ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_pattern(fd, ioas, MOCK_APERTURE_START, 0x31);
	assert_int_equal(close(fd), 0);
	fd = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_fd_keeps_pins),
		cmocka_unit_test(test_child_exit_keeps_pins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
