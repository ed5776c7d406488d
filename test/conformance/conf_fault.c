// SPDX-License-Identifier: MIT
/*
 * IO page fault queues: IOMMU_FAULT_QUEUE_ALLOC, the fault fd's read, write
 * and poll, hwpts with FAULT_ID_VALID, IOMMU_TEST_OP_TRIGGER_IOPF and the
 * lifetimes around them.
 *
 * The reference kernel (User-Mode Linux) is built without CONFIG_IOMMU_IOPF:
 * a device cannot attach to a fault-capable hwpt there (ENODEV), so faults
 * are never delivered. The parts that need delivery skip in that case; they
 * follow drivers/iommu/iommufd/fault.c of 6.12 as written.
 */
#include <poll.h>
#include <sys/epoll.h>

#include "conf.h"

static int ffd;
static uint32_t ioas, idev, stdev, fault_id, parent, iopf_hwpt;

static int trigger(uint32_t dev, uint32_t pasid, uint32_t grpid, uint64_t addr)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev, .pasid = pasid, .grpid = grpid,
				  .perm = IOMMU_PGFAULT_PERM_READ |
					  IOMMU_PGFAULT_PERM_WRITE,
				  .addr = addr } };

	return test_cmd(fd, &c);
}

static short revents(int f)
{
	struct pollfd p = { .fd = f, .events = POLLIN | POLLOUT };

	assert_true(poll(&p, 1, 0) >= 0);
	return p.revents;
}

static int replace(uint32_t pt)
{
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				     .id = stdev,
				     .mock_domain_replace.pt_id = pt };

	return test_cmd(fd, &rp);
}

static int setup(void **state)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc np = { .size = sizeof(np),
				       .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	static const struct iommu_hwpt_selftest cfg = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc ha = {
		.size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(cfg),
		.data_uptr = (uintptr_t)&cfg };

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
	/* The fault fd is close-on-exec, as the kernel's. */
	assert_int_equal(fcntl(ffd, F_GETFD), FD_CLOEXEC);
	np.dev_id = idev;
	np.pt_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &np), 0);
	parent = np.out_hwpt_id;
	ha.dev_id = idev;
	ha.pt_id = parent;
	/* An id that is no fault queue. */
	ha.fault_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), ENOENT);
	ha.fault_id = fault_id;
	assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	iopf_hwpt = ha.out_hwpt_id;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (ffd >= 0)
		close(ffd);
	if (fd >= 0)
		close(fd);
	return 0;
}

static void test_alloc_and_idle_file(void **state)
{
	struct iommu_fault_alloc fa = { .size = sizeof(fa), .flags = 1 };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 1 };

	(void)state;
	assert_int_equal(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), EOPNOTSUPP);
	/* Nothing queued: writable only; reads return 0 bytes. */
	assert_int_equal(revents(ffd), POLLOUT);
	assert_int_equal(xread(ffd, rec, sizeof(rec)), 0);
	assert_int_equal(xread(ffd, rec, 0), 0);
	/* Not whole records, or at an offset: ESPIPE. */
	assert_int_equal(xread(ffd, rec, 10), -ESPIPE);
	assert_int_equal(pread(ffd, rec, sizeof(rec[0]), 0) < 0 ? errno : 0, ESPIPE);
	assert_int_equal(xwrite(ffd, &resp, 4), -ESPIPE);
	/* A response to nothing. */
	assert_int_equal(xwrite(ffd, &resp, sizeof(resp)), -EINVAL);
	/* Paging hwpts cannot take a fault queue (6.12). */
	{
		struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
					       .flags = IOMMU_HWPT_FAULT_ID_VALID,
					       .dev_id = idev, .pt_id = ioas,
					       .fault_id = fault_id };

		assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), EOPNOTSUPP);
	}
	/* Triggering on something that is no device. */
	assert_int_equal(trigger(ioas, 0, 1, 0), ENOENT);
	assert_int_equal(trigger(99, 0, 1, 0), ENOENT);
	/* A device not on a fault hwpt: the request goes nowhere. */
	assert_int_equal(trigger(idev, 0, 1, 0x1000), 0);
	assert_int_equal(revents(ffd), POLLOUT);
}

static void test_lifetimes(void **state)
{
	(void)state;
	/* The file and the hwpt each hold the queue. */
	assert_int_equal(destroy(fd, fault_id), EBUSY);
	assert_int_equal(destroy(fd, iopf_hwpt), 0);
	assert_int_equal(destroy(fd, fault_id), EBUSY);
	assert_int_equal(close(ffd), 0);
	assert_int_equal(destroy(fd, fault_id), 0);
	ffd = -1;
}

/*
 * The fault file holds the context, as the kernel's holds its ictx: after
 * the last close of /dev/iommu the queue is still there behind it, idle.
 */
static void test_file_outlives_context_fd(void **state)
{
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp = { .cookie = 1 };

	(void)state;
	assert_int_equal(close(fd), 0);
	fd = -1;
	assert_int_equal(revents(ffd), POLLOUT);
	assert_int_equal(xread(ffd, &rec, sizeof(rec)), 0);
	assert_int_equal(xread(ffd, &rec, 10), -ESPIPE);
	assert_int_equal(xwrite(ffd, &resp, sizeof(resp)), -EINVAL);
	assert_int_equal(close(ffd), 0);
	ffd = -1;
}

static void test_delivery(void **state)
{
	struct iommu_hwpt_pgfault rec[4];
	struct iommu_hwpt_page_response resp[2];
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep, rc;

	(void)state;
	rc = replace(iopf_hwpt);
	if (rc == ENODEV)
		skip(); /* a kernel without CONFIG_IOMMU_IOPF */
	assert_int_equal(rc, 0);
	assert_int_equal(destroy(fd, iopf_hwpt), EBUSY);
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, ffd, &ev), 0);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 0);

	assert_int_equal(trigger(idev, 0, 7, 0x2000), 0);
	/*
	 * A PASID the mock device never attached: the mock driver keeps a
	 * user PASID table, so it goes to the nested hwpt on the device.
	 */
	assert_int_equal(trigger(idev, 5, 8, 0x3000), 0);
	assert_int_equal(trigger(idev, 0, 9, 0x4000), 0);
	assert_int_equal(revents(ffd), POLLIN | POLLOUT);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 1);

	/* A buffer smaller than the first group. */
	assert_int_equal(xread(ffd, rec, 0), -EINVAL);
	memset(rec, 0, sizeof(rec));
	assert_int_equal(xread(ffd, rec, sizeof(rec[0])), sizeof(rec[0]));
	assert_int_equal(rec[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec[0].dev_id, idev);
	assert_int_equal(rec[0].pasid, 0);
	assert_int_equal(rec[0].grpid, 7);
	assert_int_equal(rec[0].perm, IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
	assert_int_equal(rec[0].addr, 0x2000);
	assert_int_equal(rec[0].length, 0);
	assert_int_equal(rec[0].cookie, 1);
	/* One read takes every group that fits. */
	assert_int_equal(xread(ffd, rec, sizeof(rec)), 2 * sizeof(rec[0]));
	assert_int_equal(rec[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE |
				       IOMMU_PGFAULT_FLAGS_PASID_VALID);
	assert_int_equal(rec[0].pasid, 5);
	assert_int_equal(rec[0].grpid, 8);
	assert_int_equal(rec[0].addr, 0x3000);
	assert_int_equal(rec[0].cookie, 2);
	assert_int_equal(rec[1].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	assert_int_equal(rec[1].grpid, 9);
	assert_int_equal(rec[1].cookie, 3);
	assert_int_equal(revents(ffd), POLLOUT);
	assert_int_equal(epoll_wait(ep, &out, 1, 0), 0);

	/* Responses: a good one, then an unknown cookie stops the batch. */
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 1, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	resp[1] = (struct iommu_hwpt_page_response){ .cookie = 9, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(xwrite(ffd, resp, sizeof(resp)), sizeof(resp[0]));
	assert_int_equal(xwrite(ffd, resp, sizeof(resp[0])), -EINVAL);
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 2, .code = 5 };
	assert_int_equal(xwrite(ffd, resp, sizeof(resp[0])), -EINVAL);
	/* Cookie 1 is free again: the next group gets it. */
	assert_int_equal(trigger(idev, 0, 10, 0x5000), 0);
	assert_int_equal(xread(ffd, rec, sizeof(rec)), sizeof(rec[0]));
	assert_int_equal(rec[0].cookie, 1);
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 2, .code = IOMMUFD_PAGE_RESP_INVALID };
	assert_int_equal(xwrite(ffd, resp, sizeof(resp[0])), sizeof(resp[0]));

	/* Leaving the hwpt completes the device's pending groups. */
	assert_int_equal(trigger(idev, 0, 11, 0x6000), 0);
	assert_int_equal(replace(ioas), 0);
	assert_int_equal(revents(ffd), POLLOUT);
	assert_int_equal(xread(ffd, rec, sizeof(rec)), 0);
	resp[0] = (struct iommu_hwpt_page_response){ .cookie = 1, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	assert_int_equal(xwrite(ffd, resp, sizeof(resp[0])), -EINVAL);
	close(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_and_idle_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_outlives_context_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
