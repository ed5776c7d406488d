// SPDX-License-Identifier: MIT
/*
 * One context, many processes: the state behind an open /dev/iommu belongs
 * to the open file. A forked child, a process that received the fd over a
 * UNIX socket and an exec'd image all operate on the same objects; O_CLOEXEC
 * is honoured across exec; a process killed in the middle of a stream of
 * ioctls does not wedge the others.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conf.h"

static char *self;

static int child_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Child side of the exec test: map into the IOAS named on the command line. */
static int exec_child(int fd, uint32_t ioas)
{
	static char page[4096] __attribute__((aligned(4096)));
	uint64_t iova = 0x700000;

	if (map(fd, ioas, page, PAGE, &iova, RW | FIXED))
		return 3;
	return 0;
}

static void test_fork_shares_objects(void **state)
{
	int fd = iommufd_open();
	uint32_t ioas = ioas_alloc(fd);
	char *buf = aligned_buffer(4 * PAGE, 0);
	uint64_t n;
	pid_t pid;

	(void)state;
	pid = fork();
	if (pid == 0) {
		uint64_t iova = 0x100000;

		/* The child maps its own memory into the parent's IOAS... */
		if (map(fd, ioas, buf, 4 * PAGE, &iova, RW | FIXED))
			_exit(1);
		/* ...and creates an object the parent will destroy. */
		if (ioas_alloc(fd) != ioas + 1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(child_status(pid), 0);
	/* The area outlives the child, and is the child's. */
	assert_int_equal(unmap(fd, ioas, 0x100000, 4 * PAGE, &n), 0);
	assert_int_equal(n, 4 * PAGE);
	assert_int_equal(destroy(fd, ioas + 1), 0);
	assert_int_equal(destroy(fd, ioas), 0);
	close(fd);
}

static void test_scm_rights(void **state)
{
	int fd = iommufd_open(), sv[2];
	uint32_t ioas = ioas_alloc(fd);
	pid_t pid;
	uint64_t n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		char c, cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec io = { &c, 1 };
		struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		char *buf = aligned_buffer(PAGE, 0);
		uint64_t iova = 0x200000;
		int rfd;

		close(fd); /* only the passed fd from here on */
		if (recvmsg(sv[1], &mh, 0) != 1)
			_exit(1);
		memcpy(&rfd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
		if (map(rfd, ioas, buf, PAGE, &iova, RW | FIXED))
			_exit(2);
		_exit(0);
	}
	{
		char c = 'x', cbuf[CMSG_SPACE(sizeof(int))];
		struct iovec io = { &c, 1 };
		struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		assert_int_equal(sendmsg(sv[0], &mh, 0), 1);
	}
	assert_int_equal(child_status(pid), 0);
	assert_int_equal(unmap(fd, ioas, 0x200000, PAGE, &n), 0);
	assert_int_equal(n, PAGE);
	assert_int_equal(destroy(fd, ioas), 0);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

static void run_exec(int fd, uint32_t ioas, int expect_status)
{
	char fds[16], ids[16];
	pid_t pid = fork();

	if (pid == 0) {
		snprintf(fds, sizeof(fds), "%d", fd);
		snprintf(ids, sizeof(ids), "%u", ioas);
		execl(self, self, "--exec-child", fds, ids, (char *)NULL);
		_exit(99);
	}
	assert_int_equal(child_status(pid), expect_status);
}

static void test_exec(void **state)
{
	int fd = open("/dev/iommu", O_RDWR); /* no O_CLOEXEC */
	uint32_t ioas;
	uint64_t n;

	(void)state;
	assert_true(fd >= 0);
	ioas = ioas_alloc(fd);
	run_exec(fd, ioas, 0);
	assert_int_equal(unmap(fd, ioas, 0x700000, PAGE, &n), 0);
	assert_int_equal(n, PAGE);
	assert_int_equal(destroy(fd, ioas), 0);
	close(fd);

	/* With O_CLOEXEC the exec'd image has no such fd: EBADF, status 4. */
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	run_exec(fd, ioas, 4);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 0);
	close(fd);
}

static void test_killed_child_does_not_wedge(void **state)
{
	int fd = iommufd_open();
	uint32_t ioas = ioas_alloc(fd);
	char *buf = aligned_buffer(PAGE, 0);
	pid_t pid;

	(void)state;
	pid = fork();
	if (pid == 0) {
		for (;;) {
			uint64_t iova = 0;

			if (map(fd, ioas, buf, PAGE, &iova, RW))
				_exit(1);
			unmap(fd, ioas, iova, PAGE, NULL);
		}
	}
	usleep(20000);
	kill(pid, SIGKILL);
	assert_int_equal(child_status(pid), 128 + SIGKILL);
	/* The parent carries on; the child's last area may or may not remain. */
	for (int i = 0; i < 100; i++) {
		uint64_t iova = 0;

		assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
		assert_int_equal(unmap(fd, ioas, iova, PAGE, NULL), 0);
	}
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(destroy(fd, ioas), 0);
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_shares_objects),
		cmocka_unit_test(test_scm_rights),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_killed_child_does_not_wedge),
	};

	if (argc == 4 && !strcmp(argv[1], "--exec-child")) {
		int fd = atoi(argv[2]);

		if (fcntl(fd, F_GETFD) < 0)
			return errno == EBADF ? 4 : 5;
		return exec_child(fd, (uint32_t)strtoul(argv[3], NULL, 0));
	}
	self = argv[0];
	/* scripts/repeat.sh runs one test many times: CONF_FILTER=name. */
	if (getenv("CONF_FILTER"))
		cmocka_set_test_filter(getenv("CONF_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
