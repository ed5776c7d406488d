// SPDX-License-Identifier: MIT
/*
 * The cdev path (drivers/vfio/device_cdev.c and vfio_main.c of 6.12):
 * opens of /dev/vfio/devices/vfioX, the unbound file (everything but
 * BIND_IOMMUFD is EINVAL), BIND_IOMMUFD in the kernel's check order, one
 * bound file per device, ATTACH/DETACH_IOMMUFD_PT, and the exclusion of
 * the group and cdev paths.
 *
 *     test_vfio_cdev BDF[@GROUP] [BDF2[@GROUP2]]
 */
#include <linux/pci_regs.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "vfio_test.h"

static int open_cdev(const struct vt_dev *d)
{
	return open(d->cdev_path, O_RDWR | O_CLOEXEC);
}

static long bind(int d, int iommufd)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };

	return vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b);
}

static int closed_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void test_cdev_node(void **state)
{
	struct stat st;
	int d[3];

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_int_equal(stat(vt_dev()->cdev_path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	/* Any number of opens: a file is made, the device is untouched. */
	for (int i = 0; i < 3; i++) {
		d[i] = open_cdev(vt_dev());
		assert_true(d[i] >= 0);
	}
	assert_int_equal(fstat(d[0], &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	for (int i = 0; i < 3; i++)
		close(d[i]);
}

static void test_cdev_unbound(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_feature f = { .argsz = sizeof(f),
					 .flags = VFIO_DEVICE_FEATURE_PROBE };
	uint8_t buf[8];
	void *p;
	int d;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d = open_cdev(vt_dev());
	assert_true(d >= 0);
	/* access_granted comes before everything, ENOTTY included. */
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, NULL), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_RESET, NULL), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &f), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a), -EINVAL);
	assert_int_equal(vt_ioctl(d, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL), -EINVAL);
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG), -EINVAL);
	assert_int_equal(vt_pwrite(d, buf, 4, VT_CFG), -EINVAL);
	/* Before the zero-length shortcut too. */
	assert_int_equal(vt_pread(d, buf, 0, VT_CFG), -EINVAL);
	assert_int_equal(read(d, buf, 4), -1);
	assert_int_equal(errno, EINVAL);
	p = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	assert_true(p == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	close(d);
}

static void test_bind_order(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	int d, fd, null, efd, bad;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d = open_cdev(vt_dev());
	fd = vt_iommufd_open();
	null = open("/dev/null", O_RDWR);
	efd = vt_eventfd();
	bad = closed_fd();
	assert_true(d >= 0 && fd >= 0 && null >= 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, NULL), -EFAULT);
	b.iommufd = fd;
	b.argsz = offsetof(struct vfio_device_bind_iommufd, out_devid) + 3;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.argsz = sizeof(b);
	b.flags = 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0x80000000u;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0;
	assert_int_equal(bind(d, -1), -EINVAL);
	assert_int_equal(bind(d, -1000), -EINVAL);
	assert_int_equal(bind(d, bad), -EBADF);
	assert_int_equal(bind(d, null), -EBADFD);
	assert_int_equal(bind(d, efd), -EBADFD);
	assert_int_equal(bind(d, d), -EBADFD);
	/* The failures left it unbound. */
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &b), -EINVAL);
	b.iommufd = fd;
	b.out_devid = 0;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_true(b.out_devid != 0);
	/* One bind per file, whatever the arguments after the first checks. */
	assert_int_equal(bind(d, fd), -EINVAL);
	assert_int_equal(bind(d, bad), -EINVAL);
	assert_int_equal(bind(d, -1), -EINVAL);
	close(d);
	close(fd);
	close(null);
	close(efd);
}

/*
 * A file given as the iommufd that is not one, but another device file
 * never used before (a fresh dup): EBADFD, and it stays the device file
 * it is, usable as one (fuzz_vfio found it taken for no file of VFIO's
 * once BIND had looked at it).
 */
static void test_bind_to_fresh_device_fd(void **state)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int d, d2, fd;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d = open_cdev(vt_dev());
	fd = vt_iommufd_open();
	assert_true(d >= 0 && fd >= 0);
	d2 = dup(d);
	assert_true(d2 >= 0);
	assert_int_equal(bind(d, d2), -EBADFD);
	/* Unbound: EINVAL (a file that is no device's would be ENOTTY). */
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	assert_int_equal(bind(d2, fd), 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &info), 0);
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_GET_INFO, &info), 0);
	close(d2);
	close(d);
	close(fd);
}

static void test_bind_second_file(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int d1, d2, fd, fd2, efd, bad;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d1 = open_cdev(vt_dev());
	d2 = open_cdev(vt_dev());
	fd = vt_iommufd_open();
	fd2 = vt_iommufd_open();
	efd = vt_eventfd();
	bad = closed_fd();
	assert_true(d1 >= 0 && d2 >= 0 && fd >= 0 && fd2 >= 0);
	assert_int_equal(bind(d1, fd), 0);
	/* The second file: the iommufd is looked up before the device is
	 * found open (vfio_df_open: one opener on the cdev path). */
	assert_int_equal(bind(d2, bad), -EBADF);
	assert_int_equal(bind(d2, efd), -EBADFD);
	assert_int_equal(bind(d2, fd), -EINVAL);
	assert_int_equal(bind(d2, fd2), -EINVAL);
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	assert_int_equal(vt_ioctl(d1, VFIO_DEVICE_GET_INFO, &di), 0);
	/* Closing the bound file unbinds: the other one may bind now. */
	close(d1);
	assert_int_equal(bind(d2, fd2), 0);
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_GET_INFO, &di), 0);
	close(d2);
	close(fd);
	close(fd2);
	close(efd);
}

/* out_devid cannot be written: EFAULT, and the device is closed again. */
static void test_bind_out_devid_fault(void **state)
{
	struct vfio_device_bind_iommufd *b;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int d, fd;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d = open_cdev(vt_dev());
	fd = vt_iommufd_open();
	b = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(d >= 0 && fd >= 0 && b != MAP_FAILED);
	b->argsz = sizeof(*b);
	b->iommufd = fd;
	assert_int_equal(mprotect(b, VT_PAGE, PROT_READ), 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, b), -EFAULT);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	/* Nothing stayed behind: the group opens, and a bind works. */
	{
		int g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);

		assert_true(g >= 0);
		close(g);
	}
	assert_int_equal(mprotect(b, VT_PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, b), 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	close(d);
	close(fd);
	munmap(b, VT_PAGE);
}

/* A bound cdev blocks its group; an open group blocks binding. */
static void test_group_cdev_exclusion(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = 4 };
	int d, d2, fd, g, bad;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	d = open_cdev(vt_dev());
	fd = vt_iommufd_open();
	bad = closed_fd();
	assert_true(d >= 0 && fd >= 0);
	/* An unbound cdev file does not block the group. */
	g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_true(g >= 0);
	/* The group open: binding is EBUSY, after the argument checks and
	 * before the iommufd is looked at. */
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	assert_int_equal(bind(d, -1), -EINVAL);
	assert_int_equal(bind(d, bad), -EBUSY);
	assert_int_equal(bind(d, fd), -EBUSY);
	close(g);
	assert_int_equal(bind(d, fd), 0);
	/* Bound: the group does not open, and a second cdev file opens but
	 * does not bind. */
	g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_int_equal(g, -1);
	assert_int_equal(errno, EBUSY);
	d2 = open_cdev(vt_dev());
	assert_true(d2 >= 0);
	assert_int_equal(bind(d2, fd), -EINVAL);
	close(d2);
	close(d);
	g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_true(g >= 0);
	close(g);
	close(fd);
}

/* Another device of the same group bound on its cdev blocks the group too. */
static void test_group_blocked_by_sibling(void **state)
{
	const struct vt_dev *sib = NULL;
	struct vt_cdev c;
	int g;

	(void)state;
	for (int i = 1; i < vt_ndevs; i++)
		if (vt_devs[i].group == vt_dev()->group)
			sib = &vt_devs[i];
	if (!sib || !vt_cdev_open(sib, &c, false))
		skip();
	g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_int_equal(g, -1);
	assert_int_equal(errno, EBUSY);
	vt_cdev_close(&c);
}

/*
 * Devices of one group are owned by one iommufd: binding a sibling in
 * another one fails (iommu_device_claim_dma_owner: EPERM).
 */
static void test_group_one_owner(void **state)
{
	const struct vt_dev *sib = NULL;
	struct vt_cdev c;
	int d, fd2;

	(void)state;
	for (int i = 1; i < vt_ndevs; i++)
		if (vt_devs[i].group == vt_dev()->group && vt_devs[i].cdev_path[0])
			sib = &vt_devs[i];
	if (!sib || !vt_cdev_open(vt_dev(), &c, false))
		skip();
	d = open_cdev(sib);
	fd2 = vt_iommufd_open();
	assert_true(d >= 0 && fd2 >= 0);
	assert_int_equal(bind(d, fd2), -EPERM);
	/* The same iommufd may own both. */
	assert_int_equal(bind(d, c.iommufd), 0);
	close(d);
	close(fd2);
	vt_cdev_close(&c);
}

static void test_attach_detach(void **state)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
	struct iommu_destroy de = { .size = sizeof(de) };
	struct vt_cdev c;
	uint32_t hwpt1, ioas2;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, false));
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), -EFAULT);
	a.pt_id = 9999;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOENT);
	a.pt_id = c.ioas;
	a.flags = 1;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	a.flags = 0;
	a.argsz = sizeof(a) - 1;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	a.argsz = sizeof(a);
	/* Its own device object is not a page table. */
	a.pt_id = c.devid;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	/* An IOAS: the automatic domain's id comes back. */
	a.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	hwpt1 = a.pt_id;
	assert_true(hwpt1 != c.ioas && hwpt1 != c.devid);
	de.id = hwpt1;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_DESTROY, &de), -EBUSY);
	de.id = c.devid;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_DESTROY, &de), -EBUSY);
	/* Attaching again replaces: the same IOAS keeps its domain. */
	a.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_int_equal(a.pt_id, hwpt1);
	/* Another IOAS. */
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_ALLOC, &ia), 0);
	ioas2 = ia.out_ioas_id;
	a.pt_id = ioas2;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_true(a.pt_id != hwpt1 && a.pt_id != ioas2);
	/* An explicit paging hwpt. */
	ha.dev_id = c.devid;
	ha.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_HWPT_ALLOC, &ha), 0);
	a.pt_id = ha.out_hwpt_id;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_int_equal(a.pt_id, ha.out_hwpt_id);
	/* Detach: argsz and flags are checked, twice is fine. */
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, NULL), -EFAULT);
	dt.argsz = 7;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.argsz = sizeof(dt);
	dt.flags = 2;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.flags = 0;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	/* Detached, the hwpt is free to go. */
	de.id = ha.out_hwpt_id;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_DESTROY, &de), 0);
	vt_cdev_close(&c);
}

/*
 * The IOMMU's reserved regions (on x86 the interrupt window 0xfee00000-
 * 0xfeefffff) may not be mapped in an IOAS a device attaches to (EADDRINUSE,
 * iopt_table_enforce_dev_resv_regions), and are reserved in it while one is
 * attached.
 */
static void test_attach_reserved_region(void **state)
{
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
					       IOMMU_IOAS_MAP_READABLE |
					       IOMMU_IOAS_MAP_WRITEABLE };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vt_cdev c;
	void *buf;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, false));
	buf = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	map.ioas_id = c.ioas;
	map.user_va = (uintptr_t)buf;
	map.length = VT_PAGE;
	map.iova = 0xfee00000;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_MAP, &map), 0);
	a.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EADDRINUSE);
	um.ioas_id = c.ioas;
	um.iova = 0xfee00000;
	um.length = VT_PAGE;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_UNMAP, &um), 0);
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	/* A fixed IOVA in a reserved range: iopt_check_iova's EINVAL. */
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_MAP, &map), -EINVAL);
	vt_cdev_close(&c);
	munmap(buf, VT_PAGE);
}

/*
 * An IOAS without a domain takes a mapping at any byte offset; a domain
 * for the device (HWPT_ALLOC on it) needs page-aligned IOVAs and is
 * refused while such a mapping is there (iopt_table_add_domain's
 * alignment check: EADDRINUSE), taken once it is gone.
 */
static void test_hwpt_alloc_unaligned_mapping(void **state)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
					       IOMMU_IOAS_MAP_READABLE |
					       IOMMU_IOAS_MAP_WRITEABLE };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
				       .data_type = IOMMU_HWPT_DATA_NONE };
	struct iommu_destroy de = { .size = sizeof(de) };
	struct vt_cdev c;
	char *buf;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, false));
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_ALLOC, &ia), 0);
	buf = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	assert_true(buf != MAP_FAILED);
	map.ioas_id = ia.out_ioas_id;
	map.user_va = (uintptr_t)buf + 1;
	map.length = VT_PAGE;
	map.iova = (1ull << 24) + 1;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_MAP, &map), 0);
	ha.dev_id = c.devid;
	ha.pt_id = ia.out_ioas_id;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_HWPT_ALLOC, &ha), -EADDRINUSE);
	um.ioas_id = ia.out_ioas_id;
	um.iova = map.iova;
	um.length = VT_PAGE;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_UNMAP, &um), 0);
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_HWPT_ALLOC, &ha), 0);
	de.id = ha.out_hwpt_id;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_DESTROY, &de), 0);
	vt_cdev_close(&c);
	munmap(buf, 2 * VT_PAGE);
}

/* Closing the bound file unbinds: the device object is gone. */
static void test_close_unbinds(void **state)
{
	struct iommu_destroy de = { .size = sizeof(de) };
	struct vt_cdev c;
	int fd;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	fd = dup(c.iommufd);
	vt_cdev_close(&c);
	de.id = c.devid;
	assert_int_equal(vt_ioctl(fd, IOMMU_DESTROY, &de), -ENOENT);
	de.id = c.ioas;
	assert_int_equal(vt_ioctl(fd, IOMMU_DESTROY, &de), 0);
	close(fd);
}

/* A bound file serves a forked child as it serves the parent. */
static void test_bound_file_in_child(void **state)
{
	struct vt_cdev c;
	uint32_t id;
	pid_t pid;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	id = vt_fd_id(c.device);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct vfio_device_info di = { .argsz = sizeof(di) };

		_exit(ioctl(c.device, VFIO_DEVICE_GET_INFO, &di) == 0 &&
		      vt_fd_id(c.device) == id ? 0 : 1);
	}
	assert_int_equal(vt_wait(pid), 0);
	assert_int_equal(vt_fd_id(c.device), id);
	vt_cdev_close(&c);
}

/*
 * The device holds its iommufd: closing the program's iommufd fd leaves
 * the binding, the IOAS and the attachment in place.
 */
static void test_iommufd_closed_while_bound(void **state)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vt_cdev c;

	(void)state;
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	close(c.iommufd);
	c.iommufd = -1;
	assert_true(vt_fd_id(c.device) != 0);
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	a.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_int_equal(a.pt_id, c.hwpt);
	vt_cdev_close(&c);
}

static const struct CMUnitTest tests[] = {
	VT_TEST(test_cdev_node),
	VT_TEST(test_cdev_unbound),
	VT_TEST(test_bind_order),
	VT_TEST(test_bind_to_fresh_device_fd),
	VT_TEST(test_bind_second_file),
	VT_TEST(test_bind_out_devid_fault),
	VT_TEST(test_group_cdev_exclusion),
	VT_TEST(test_group_blocked_by_sibling),
	VT_TEST(test_group_one_owner),
	VT_TEST(test_attach_detach),
	VT_TEST(test_attach_reserved_region),
	VT_TEST(test_hwpt_alloc_unaligned_mapping),
	VT_TEST(test_close_unbinds),
	VT_TEST(test_bound_file_in_child),
	VT_TEST(test_iommufd_closed_while_bound),
};

VT_MAIN(tests)
