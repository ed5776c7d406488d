// SPDX-License-Identifier: MIT
/*
 * The files a context hands out, across processes: a fault queue's fd and
 * a selftest access's fd are the kernel's files wherever they are. A
 * forked child, an exec'd image and a process that holds only such a file
 * are served as the creator is; poll wakes in one process for a fault
 * raised in another; the last close anywhere (close, exit, SIGKILL) lets
 * go of the queue or destroys the access, and a file holds its context
 * after every /dev/iommu fd is gone.
 *
 * Children report failures by exit status (the source line); the parent
 * asserts 0.
 */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "conf.h"

static int ffd = -1;
static uint32_t ioas, idev, stdev, fault_id, parent, iopf_hwpt;
static bool iopf; /* faults are delivered (CONFIG_IOMMU_IOPF) */

/* In a child: exit with the line number when cond is false. */
#define CHILD_CHECK(cond)                                        \
	do {                                                     \
		if (!(cond)) {                                   \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                \
			_exit(__LINE__ & 0xff ? __LINE__ & 0xff : 1); \
		}                                                \
	} while (0)

static int trigger(int f, uint32_t grpid, uint64_t addr)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = idev, .grpid = grpid,
				  .perm = IOMMU_PGFAULT_PERM_READ,
				  .addr = addr } };

	return test_cmd(f, &c);
}

static short revents(int f, int timeout_ms)
{
	struct pollfd p = { .fd = f, .events = POLLIN | POLLOUT };

	if (timeout_ms)
		p.events = POLLIN;
	return poll(&p, 1, timeout_ms) < 0 ? -1 : p.revents;
}

static int wait_child(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int setup(void **state)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	static const struct iommu_hwpt_selftest cfg = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	int rc;

	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	md.id = ioas;
	assert_int_equal(test_cmd(fd, &md), 0);
	stdev = md.mock_domain.out_stdev_id;
	idev = md.mock_domain.out_idev_id;
	assert_int_equal(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	fault_id = fa.out_fault_id;
	ffd = (int)fa.out_fault_fd;
	assert_int_equal(hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_NONE, NULL, 0, &parent), 0);
	{
		struct iommu_hwpt_alloc ha = {
			.size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID,
			.dev_id = idev, .pt_id = parent, .fault_id = fault_id,
			.data_type = IOMMU_HWPT_DATA_SELFTEST,
			.data_len = sizeof(cfg), .data_uptr = (uintptr_t)&cfg };

		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
		iopf_hwpt = ha.out_hwpt_id;
	}
	rp.id = stdev;
	rp.mock_domain_replace.pt_id = iopf_hwpt;
	rc = test_cmd(fd, &rp);
	assert_true(rc == 0 || rc == ENODEV);
	iopf = rc == 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (ffd >= 0)
		close(ffd);
	ffd = -1;
	if (fd >= 0)
		close(fd);
	fd = -1;
	return 0;
}

/* A forked child reads and answers the parent's faults on its copy. */
static void test_fork_child_serves(void **state)
{
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 7 };
	pid_t pid;

	(void)state;
	if (!iopf)
		skip();
	assert_int_equal(trigger(fd, 3, 0x3000), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CHILD_CHECK(revents(ffd, 0) == (POLLIN | POLLOUT));
		/* A response to a cookie nothing holds: EINVAL. */
		CHILD_CHECK(xwrite(ffd, &resp, sizeof(resp)) == -EINVAL);
		CHILD_CHECK(xread(ffd, rec, 10) == -ESPIPE);
		memset(rec, 0, sizeof(rec));
		CHILD_CHECK(xread(ffd, rec, sizeof(rec)) == sizeof(rec[0]));
		CHILD_CHECK(rec[0].grpid == 3 && rec[0].addr == 0x3000 &&
			    rec[0].dev_id == idev && rec[0].cookie == 1);
		/* Empty: 0 at once, never blocking. */
		CHILD_CHECK(xread(ffd, rec, sizeof(rec)) == 0);
		CHILD_CHECK(revents(ffd, 0) == POLLOUT);
		resp.cookie = 1;
		resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
		CHILD_CHECK(xwrite(ffd, &resp, sizeof(resp)) == sizeof(resp));
		_exit(0);
	}
	assert_int_equal(wait_child(pid), 0);
	/* The child's read and answer are the parent's too. */
	assert_int_equal(revents(ffd, 0), POLLOUT);
	assert_int_equal(xread(ffd, rec, sizeof(rec)), 0);
	resp.cookie = 1;
	assert_int_equal(xwrite(ffd, &resp, sizeof(resp)), -EINVAL);
}

/* A fault raised in a child wakes the parent's poll. */
static void test_poll_wakes_across_processes(void **state)
{
	struct iommu_hwpt_pgfault rec;
	pid_t pid;

	(void)state;
	if (!iopf)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		CHILD_CHECK(trigger(fd, 4, 0x4000) == 0);
		_exit(0);
	}
	assert_int_equal(revents(ffd, 10000), POLLIN);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(xread(ffd, &rec, sizeof(rec)), sizeof(rec));
	assert_int_equal(rec.grpid, 4);
}

/*
 * A queue made after the fork, sent to the child with SCM_RIGHTS, and
 * read there through a dup of what arrived; the child's answer is seen
 * by the parent's fd.
 */
static void test_sent_and_dup(void **state)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 1 };
	uint32_t hwpt2;
	int sv[2], qfd;
	pid_t pid;

	(void)state;
	if (!iopf)
		skip();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int got, d;

		close(sv[0]);
		got = recv_fd(sv[1]);
		CHILD_CHECK(got >= 0);
		d = dup(got);
		CHILD_CHECK(d >= 0 && close(got) == 0);
		CHILD_CHECK(revents(d, 0) == (POLLIN | POLLOUT));
		CHILD_CHECK(xread(d, rec, sizeof(rec)) == sizeof(rec[0]));
		CHILD_CHECK(rec[0].grpid == 8 && rec[0].cookie == 1);
		CHILD_CHECK(xwrite(d, &resp, sizeof(resp)) == sizeof(resp));
		CHILD_CHECK(close(d) == 0);
		CHILD_CHECK(write(sv[1], "d", 1) == 1);
		_exit(0);
	}
	close(sv[1]);
	/* A second queue, on a hwpt of its own, the device moved onto it. */
	assert_int_equal(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	qfd = (int)fa.out_fault_fd;
	{
		static const struct iommu_hwpt_selftest cfg = {
			.iotlb = IOMMU_TEST_IOTLB_DEFAULT };
		struct iommu_hwpt_alloc ha = {
			.size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID,
			.dev_id = idev, .pt_id = parent,
			.fault_id = fa.out_fault_id,
			.data_type = IOMMU_HWPT_DATA_SELFTEST,
			.data_len = sizeof(cfg), .data_uptr = (uintptr_t)&cfg };
		struct iommu_test_cmd rp = {
			.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev };

		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
		hwpt2 = ha.out_hwpt_id;
		rp.mock_domain_replace.pt_id = hwpt2;
		assert_int_equal(test_cmd(fd, &rp), 0);
	}
	assert_int_equal(trigger(fd, 8, 0x8000), 0);
	assert_int_equal(send_fd(sv[0], qfd), 0);
	{
		char c;

		assert_int_equal(read(sv[0], &c, 1), 1);
	}
	assert_int_equal(wait_child(pid), 0);
	/* Read and answered in the child: nothing left here. */
	assert_int_equal(revents(qfd, 0), POLLOUT);
	assert_int_equal(xread(qfd, rec, sizeof(rec)), 0);
	assert_int_equal(xwrite(qfd, &resp, sizeof(resp)), -EINVAL);
	close(sv[0]);
	assert_int_equal(close(qfd), 0);
}

/* An image exec'd with the fds (no close-on-exec) is served. */
static void test_exec_inherits(void **state)
{
	char a1[16], a2[16], a3[16];
	pid_t pid;

	(void)state;
	if (!iopf)
		skip();
	assert_int_equal(trigger(fd, 5, 0x5000), 0);
	assert_int_equal(fcntl(ffd, F_SETFD, 0), 0);
	assert_int_equal(fcntl(fd, F_SETFD, 0), 0);
	snprintf(a1, sizeof(a1), "%d", fd);
	snprintf(a2, sizeof(a2), "%d", ffd);
	snprintf(a3, sizeof(a3), "%u", idev);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "conf_files", "--exec-child", a1, a2, a3,
		      (char *)NULL);
		_exit(99);
	}
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(revents(ffd, 0), POLLOUT);
	assert_int_equal(fcntl(ffd, F_SETFD, FD_CLOEXEC), 0);
}

static int exec_child(int cfd, int qfd, uint32_t dev)
{
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = {
		.code = IOMMUFD_PAGE_RESP_SUCCESS };

	idev = dev;
	CHILD_CHECK(revents(qfd, 0) == (POLLIN | POLLOUT));
	CHILD_CHECK(xread(qfd, rec, sizeof(rec)) == sizeof(rec[0]));
	CHILD_CHECK(rec[0].grpid == 5 && rec[0].dev_id == dev);
	resp.cookie = rec[0].cookie;
	CHILD_CHECK(xwrite(qfd, &resp, sizeof(resp)) == sizeof(resp));
	/* A fault raised here reaches the queue, and this read. */
	CHILD_CHECK(trigger(cfd, 6, 0x6000) == 0);
	CHILD_CHECK(xread(qfd, rec, sizeof(rec)) == sizeof(rec[0]));
	CHILD_CHECK(rec[0].grpid == 6);
	resp.cookie = rec[0].cookie;
	CHILD_CHECK(xwrite(qfd, &resp, sizeof(resp)) == sizeof(resp));
	return 0;
}

/*
 * The queue's file is released at its last close anywhere: a child that
 * holds the last copy keeps it (EBUSY), and its exit, or its SIGKILL,
 * lets go.
 */
static void test_last_holder_child(void **state)
{
	int pipefd[2];
	char c;

	(void)state;
	assert_int_equal(destroy(fd, iopf_hwpt), iopf ? EBUSY : 0);
	if (iopf) {
		struct iommu_test_cmd rp = {
			.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
			.mock_domain_replace.pt_id = ioas };

		assert_int_equal(test_cmd(fd, &rp), 0);
		assert_int_equal(destroy(fd, iopf_hwpt), 0);
	}
	for (int kill_it = 0; kill_it < 2; kill_it++) {
		struct iommu_fault_alloc fa = { .size = sizeof(fa) };
		pid_t pid;

		if (kill_it) {
			assert_int_equal(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
			fault_id = fa.out_fault_id;
			ffd = (int)fa.out_fault_fd;
		}
		assert_int_equal(pipe(pipefd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(pipefd[0]);
			close(fd);
			CHILD_CHECK(write(pipefd[1], "x", 1) == 1);
			if (kill_it)
				pause();
			/* Holds it a moment, then exits without close(). */
			usleep(200 * 1000);
			CHILD_CHECK(revents(ffd, 0) == POLLOUT);
			_exit(0);
		}
		close(pipefd[1]);
		assert_int_equal(read(pipefd[0], &c, 1), 1);
		close(pipefd[0]);
		assert_int_equal(close(ffd), 0);
		ffd = -1;
		/* The child's copy holds the queue. */
		assert_int_equal(destroy(fd, fault_id), EBUSY);
		if (kill_it) {
			kill(pid, SIGKILL);
			assert_int_equal(wait_child(pid), 128 + SIGKILL);
		} else {
			assert_int_equal(wait_child(pid), 0);
		}
		assert_int_equal(destroy(fd, fault_id), 0);
	}
}

/*
 * A process that holds only the queue's file keeps the context: after
 * every /dev/iommu fd is closed, in both processes, the child still reads
 * (nothing) and writes (EINVAL) as the kernel's file does.
 */
static void test_file_holds_context_across_processes(void **state)
{
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = { .cookie = 1 };
	int go[2], done[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		CHILD_CHECK(close(fd) == 0);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		/* The parent has closed both of its fds by now. */
		CHILD_CHECK(revents(ffd, 0) == POLLOUT);
		CHILD_CHECK(xread(ffd, &rec, sizeof(rec)) == 0);
		CHILD_CHECK(xwrite(ffd, &resp, sizeof(resp)) == -EINVAL);
		CHILD_CHECK(close(ffd) == 0);
		CHILD_CHECK(write(done[1], "x", 1) == 1);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	assert_int_equal(close(ffd), 0);
	ffd = -1;
	assert_int_equal(close(fd), 0);
	fd = -1;
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(wait_child(pid), 0);
	close(go[1]);
	close(done[0]);
}

/*
 * A selftest access's file, inherited: the parent's close does not
 * destroy the access while the child holds it (it keeps its IOAS busy);
 * the child uses it, and the child's exit destroys it.
 */
static void test_access_file_in_child(void **state)
{
	char *buf = aligned_buffer(PAGE, 0);
	uint32_t ioas2 = ioas_alloc(fd);
	uint64_t iova = 0;
	int afd = -1, go[2];
	pid_t pid;
	char c;

	(void)state;
	memcpy(buf, "parentw", 8);
	assert_int_equal(map(fd, ioas2, buf, PAGE, &iova, RW), 0);
	assert_int_equal(create_access(fd, ioas2, 0, &afd), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char out[8] = { 0 };

		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) == 1);
		/* The area's pages are the parent's (mapped before fork). */
		CHILD_CHECK(access_rw(fd, afd, iova, out, 8, 0) == 0);
		CHILD_CHECK(!memcmp(out, "parentw", 8));
		/* The file has no read (vfs_read: EINVAL). */
		CHILD_CHECK(read(afd, out, 1) < 0 && errno == EINVAL);
		_exit(0);
	}
	close(go[0]);
	assert_int_equal(close(afd), 0);
	/* The child's copy keeps the access, and the access its IOAS. */
	assert_int_equal(destroy(fd, ioas2), EBUSY);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(wait_child(pid), 0);
	close(go[1]);
	/* Gone with the child's exit. */
	assert_int_equal(destroy(fd, ioas2), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fork_child_serves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_wakes_across_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_and_dup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_inherits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_holder_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_holds_context_across_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_file_in_child, setup, teardown),
	};

	if (argc == 5 && !strcmp(argv[1], "--exec-child"))
		return exec_child(atoi(argv[2]), atoi(argv[3]),
				  (uint32_t)strtoul(argv[4], NULL, 10));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
