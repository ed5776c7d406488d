// SPDX-License-Identifier: MIT
/*
 * The lifetime of groups and device files across processes, as open
 * files in the kernel live: a child holding a bound cdev or a group's
 * device killed with SIGKILL (its files are released, the parent opens
 * and binds after), a parent and a forked child both closing an inherited
 * file (one release, at the last close), a device fd passed with
 * SCM_RIGHTS and closed by its sender, exec with and without
 * close-on-exec, interrupt eventfds set by a child that exited.
 *
 *     test_vfio_lifetime BDF[@GROUP]
 */
#include <linux/pci_regs.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "vfio_test.h"

/* A one-byte message through a pipe (0 on success). */
static int say(int fd, char c)
{
	return write(fd, &c, 1) == 1 ? 0 : -1;
}

static char hear(int fd)
{
	char c = 0;

	if (read(fd, &c, 1) != 1)
		return 0;
	return c;
}

static bool group_opens(void)
{
	int g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);

	if (g < 0)
		return false;
	close(g);
	return true;
}

/* A child that opens the device (cdev bound, or through the group), says
 * 'r' and waits to be killed. */
static pid_t child_holding(bool cdev, int *rd)
{
	int up[2];
	pid_t pid;

	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
		int d, fd, g, c;

		close(up[0]);
		if (cdev) {
			fd = open("/dev/iommu", O_RDWR);
			d = open(vt_dev()->cdev_path, O_RDWR);
			b.iommufd = fd;
			if (fd < 0 || d < 0 || ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b))
				_exit(1);
		} else {
			g = open(vt_dev()->group_path, O_RDWR);
			c = open("/dev/vfio/vfio", O_RDWR);
			if (g < 0 || c < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
			    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
				_exit(1);
			d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, vt_dev()->bdf);
			if (d < 0)
				_exit(1);
		}
		say(up[1], 'r');
		for (;;)
			pause();
	}
	close(up[1]);
	*rd = up[0];
	return pid;
}

static void test_killed_child_cdev(void **state)
{
	struct vt_cdev c;
	int rd;
	pid_t pid;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	pid = child_holding(true, &rd);
	assert_int_equal(hear(rd), 'r');
	/* The child's bound file blocks the group and other binds. */
	assert_false(group_opens());
	kill(pid, SIGKILL);
	assert_int_equal(vt_wait(pid), 128 + SIGKILL);
	close(rd);
	/* Its files went with it. */
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	assert_true(vt_fd_id(c.device) != 0);
	vt_cdev_close(&c);
	assert_true(group_opens());
}

static void test_killed_child_group(void **state)
{
	struct vt_gdev gd;
	int rd;
	pid_t pid;

	(void)state;
	pid = child_holding(false, &rd);
	assert_int_equal(hear(rd), 'r');
	assert_false(group_opens());
	kill(pid, SIGKILL);
	assert_int_equal(vt_wait(pid), 128 + SIGKILL);
	close(rd);
	vt_gdev_open(vt_dev(), &gd);
	assert_true(vt_fd_id(gd.device) != 0);
	vt_gdev_close(&gd);
	/* And the cdev path is free too. */
	if (vt_dev()->cdev_path[0] && !access("/dev/iommu", F_OK)) {
		struct vt_cdev c;

		assert_true(vt_cdev_open(vt_dev(), &c, false));
		vt_cdev_close(&c);
	}
}

/* Killed while the group is open but no device: the group is free again. */
static void test_killed_child_group_only(void **state)
{
	int up[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (open(vt_dev()->group_path, O_RDWR) < 0)
			_exit(1);
		say(up[1], 'r');
		for (;;)
			pause();
	}
	assert_int_equal(hear(up[0]), 'r');
	assert_false(group_opens());
	kill(pid, SIGKILL);
	assert_int_equal(vt_wait(pid), 128 + SIGKILL);
	assert_true(group_opens());
	close(up[0]);
	close(up[1]);
}

/* Parent and child both close an inherited file: one release, at the end. */
static void test_inherited_group_device(void **state)
{
	struct vt_gdev gd;
	uint32_t id;
	int efd = vt_eventfd();
	pid_t pid;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	/* Some state of the open device: a REQ eventfd. */
	assert_int_equal(vt_set_irqs(gd.device, VFIO_IRQ_SET_DATA_EVENTFD |
				     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX,
				     0, 1, &efd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* The child uses them, then closes everything. */
		if (vt_fd_id(gd.device) != id)
			_exit(1);
		close(gd.device);
		close(gd.group);
		close(gd.container);
		_exit(0);
	}
	assert_int_equal(vt_wait(pid), 0);
	/* The parent's files are untouched: the device is still open. */
	assert_int_equal(vt_fd_id(gd.device), id);
	assert_int_equal(vt_set_irqs(gd.device, VFIO_IRQ_SET_DATA_NONE |
				     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX,
				     0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 1);
	assert_false(group_opens());
	{
		int d2 = (int)vt_ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);

		assert_true(d2 >= 0);
		close(d2);
	}
	vt_gdev_close(&gd);
	/* Now it is closed: the REQ eventfd is gone with it. */
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(vt_set_irqs(gd.device, VFIO_IRQ_SET_DATA_NONE |
				     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX,
				     0, 1, NULL), -EINVAL);
	vt_gdev_close(&gd);
	close(efd);
}

static void test_inherited_cdev(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vt_cdev c;
	pid_t pid;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct vfio_device_info cdi = { .argsz = sizeof(cdi) };

		if (ioctl(c.device, VFIO_DEVICE_GET_INFO, &cdi))
			_exit(1);
		close(c.device);
		close(c.iommufd);
		_exit(0);
	}
	assert_int_equal(vt_wait(pid), 0);
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_GET_INFO, &di), 0);
	assert_false(group_opens());
	vt_cdev_close(&c);
	assert_true(group_opens());
}

/* The child closes its copy first, or the parent does: same outcome. */
static void test_inherited_parent_closes_first(void **state)
{
	struct vt_gdev gd;
	uint32_t id;
	int up[2], down[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (hear(down[0]) != 'g')
			_exit(1);
		/* The parent closed all of its copies: ours still work. */
		if (vt_fd_id(gd.device) != id)
			_exit(2);
		say(up[1], 'u');
		if (hear(down[0]) != 'c')
			_exit(3);
		close(gd.device);
		close(gd.group);
		close(gd.container);
		say(up[1], 'd');
		_exit(0);
	}
	vt_gdev_close(&gd);
	/* The child holds the group. */
	assert_false(group_opens());
	say(down[1], 'g');
	assert_int_equal(hear(up[0]), 'u');
	say(down[1], 'c');
	assert_int_equal(hear(up[0]), 'd');
	assert_int_equal(vt_wait(pid), 0);
	assert_true(group_opens());
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
}

/* SCM_RIGHTS: the receiver keeps the file the sender closed. */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void scm_rights(bool cdev)
{
	struct vt_gdev gd = { -1, -1, -1 };
	struct vt_cdev c = { .iommufd = -1, .device = -1 };
	uint32_t id;
	int sv[2], d;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* The receiver exists before the device is opened: nothing inherited. */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct vfio_device_info di = { .argsz = sizeof(di) };
		int fd;

		close(sv[0]);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(1);
		if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di) || !vt_fd_id(fd))
			_exit(2);
		say(sv[1], 'u');
		if (hear(sv[1]) != 'c')
			_exit(3);
		/* Still the same device after the sender's close. */
		if (ioctl(fd, VFIO_DEVICE_GET_INFO, &di))
			_exit(4);
		close(fd);
		say(sv[1], 'd');
		_exit(0);
	}
	close(sv[1]);
	if (cdev) {
		assert_true(vt_cdev_open(vt_dev(), &c, true));
		d = c.device;
	} else {
		vt_gdev_open(vt_dev(), &gd);
		d = gd.device;
	}
	id = vt_fd_id(d);
	assert_true(id != 0);
	assert_int_equal(send_fd(sv[0], d), 0);
	assert_int_equal(hear(sv[0]), 'u');
	/* The sender lets go of everything. */
	if (cdev) {
		vt_cdev_close(&c);
	} else {
		vt_gdev_close(&gd);
		/* The group file went; the device file lives in the child. */
	}
	say(sv[0], 'c');
	assert_int_equal(hear(sv[0]), 'd');
	assert_int_equal(vt_wait(pid), 0);
	close(sv[0]);
	/* All gone now. */
	assert_true(group_opens());
	if (cdev) {
		assert_true(vt_cdev_open(vt_dev(), &c, false));
		vt_cdev_close(&c);
	}
}

static void test_scm_rights_cdev(void **state)
{
	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	scm_rights(true);
}

static void test_scm_rights_group_device(void **state)
{
	(void)state;
	scm_rights(false);
}

/* exec: close-on-exec files go at the exec; others live on in the image. */
static int run_helper(const char *mode, int fd, const char *extra, bool keep_cloexec)
{
	char fdbuf[16];
	pid_t pid;

	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (!keep_cloexec)
			fcntl(fd, F_SETFD, 0);
		execl(vt_self(), vt_self(), "--exec-helper", mode, fdbuf, extra, (char *)NULL);
		_exit(127);
	}
	return vt_wait(pid);
}

static void test_exec(void **state)
{
	struct vt_gdev gd;
	char idbuf[16];
	uint32_t id;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	snprintf(idbuf, sizeof(idbuf), "%x", id);
	/* GET_DEVICE_FD's fd is close-on-exec. */
	assert_int_equal(run_helper("closed", gd.device, NULL, true), 0);
	/* Without the flag, the new image has the device. */
	assert_int_equal(run_helper("config", gd.device, idbuf, false), 0);
	assert_int_equal(run_helper("group", gd.group, NULL, false), 0);
	/* Both children are gone: the parent's files are all there is. */
	assert_int_equal(vt_fd_id(gd.device), id);
	vt_gdev_close(&gd);
	assert_true(group_opens());
}

/* A child that execs while holding the only files: released at exec. */
static void test_exec_releases(void **state)
{
	int up[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(up), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);

		if (g < 0)
			_exit(1);
		/* The new image waits for the parent to look (reads stdin). */
		dup2(up[0], 0);
		close(up[1]);
		execl("/bin/sh", "sh", "-c", "read x", (char *)NULL);
		_exit(127);
	}
	close(up[0]);
	/* The group was open until the exec closed it. */
	for (int i = 0; i < 500 && !group_opens(); i++)
		usleep(10 * 1000);
	assert_true(group_opens());
	say(up[1], '\n');
	close(up[1]);
	assert_int_equal(vt_wait(pid), 0);
}

/* An eventfd set by a child that exited stays set: the device holds it. */
static void test_trigger_set_by_exited_child(void **state)
{
	struct vt_gdev gd;
	int efd = vt_eventfd();
	pid_t pid;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(vt_set_irqs(gd.device, VFIO_IRQ_SET_DATA_EVENTFD |
				  VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX,
				  0, 1, &efd) ? 1 : 0);
	assert_int_equal(vt_wait(pid), 0);
	assert_int_equal(vt_set_irqs(gd.device, VFIO_IRQ_SET_DATA_NONE |
				     VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX,
				     0, 1, NULL), 0);
	if (!VT_KNOWN_DIFF("an eventfd set by a process that exited is not signalled"))
		assert_int_equal(vt_efd_read(efd), 1);
	vt_gdev_close(&gd);
	close(efd);
}

/* Many children each open the device through the inherited group. */
static void test_many_children(void **state)
{
	struct vt_gdev gd;
	pid_t pids[8];

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i]) {
			int d = ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD, vt_dev()->bdf);

			if (d < 0 || !vt_fd_id(d))
				_exit(1);
			if (i & 1)
				close(d);
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++)
		assert_int_equal(vt_wait(pids[i]), 0);
	assert_true(vt_fd_id(gd.device) != 0);
	vt_gdev_close(&gd);
	assert_true(group_opens());
	if (vt_dev()->cdev_path[0] && !access("/dev/iommu", F_OK)) {
		struct vt_cdev c;

		assert_true(vt_cdev_open(vt_dev(), &c, false));
		vt_cdev_close(&c);
	}
}

static const struct CMUnitTest tests[] = {
	VT_TEST(test_killed_child_cdev),
	VT_TEST(test_killed_child_group),
	VT_TEST(test_killed_child_group_only),
	VT_TEST(test_inherited_group_device),
	VT_TEST(test_inherited_cdev),
	VT_TEST(test_inherited_parent_closes_first),
	VT_TEST(test_scm_rights_cdev),
	VT_TEST(test_scm_rights_group_device),
	VT_TEST(test_exec),
	VT_TEST(test_exec_releases),
	VT_TEST(test_trigger_set_by_exited_child),
	VT_TEST(test_many_children),
};

VT_MAIN(tests)
