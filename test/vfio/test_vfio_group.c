// SPDX-License-Identifier: MIT
/*
 * The group path (drivers/vfio/group.c of 6.12): the node's one open file,
 * GET_STATUS, SET_CONTAINER and UNSET_CONTAINER in the kernel's check
 * order, GET_DEVICE_FD (names as vfio_pci_core_match reads them,
 * strndup_user's limits), several device fds, their close-on-exec flag,
 * the group's release while device fds live on (iommufd containers: the
 * device does not hold the group file).
 *
 *     test_vfio_group BDF[@GROUP] [BDF2[@GROUP2]]
 */
#include <linux/pci_regs.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vfio_test.h"

static int open_group(void)
{
	return open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
}

static uint32_t status_flags(int g)
{
	struct vfio_group_status s = { .argsz = sizeof(s), .flags = 0xdead };

	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, &s), 0);
	return s.flags;
}

/* A closed fd number. */
static int closed_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok;
}

/* What sysfs shows of a device bound to vfio-pci, against config space. */
static void test_sysfs(void **state)
{
	const struct vt_dev *dev = vt_dev();
	char path[256], buf[256], want[64];
	struct vt_gdev gd;
	struct stat st;
	unsigned int maj, min;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev->bdf);
	n = readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	snprintf(want, sizeof(want), "/%d", dev->group);
	assert_string_equal(strrchr(buf, '/'), want);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev->bdf);
	n = readlink(path, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(strrchr(buf, '/'), "/vfio-pci");
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s", dev->group,
		 dev->bdf);
	assert_int_equal(access(path, F_OK), 0);
	/* A device nobody has is nowhere. */
	assert_int_equal(access("/sys/bus/pci/devices/ffff:ff:1f.7/iommu_group", F_OK), -1);
	assert_int_equal(errno, ENOENT);
	vt_gdev_open(dev, &gd);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", dev->bdf);
	assert_true(read_line(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0x%04x\n", vt_cfg_read(gd.device, PCI_VENDOR_ID, 2));
	assert_string_equal(buf, want);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", dev->bdf);
	assert_true(read_line(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0x%04x\n", vt_cfg_read(gd.device, PCI_DEVICE_ID, 2));
	assert_string_equal(buf, want);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class", dev->bdf);
	assert_true(read_line(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0x%06x\n", vt_cfg_read(gd.device, PCI_CLASS_REVISION, 4) >> 8);
	assert_string_equal(buf, want);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/subsystem_vendor", dev->bdf);
	assert_true(read_line(path, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "0x%04x\n",
		 vt_cfg_read(gd.device, PCI_SUBSYSTEM_VENDOR_ID, 2));
	assert_string_equal(buf, want);
	vt_gdev_close(&gd);
	/* The cdev's number, as its sysfs entry says. */
	if (!dev->cdev_path[0])
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/%s/dev", dev->bdf,
		 strrchr(dev->cdev_path, '/') + 1);
	assert_true(read_line(path, buf, sizeof(buf)));
	assert_int_equal(sscanf(buf, "%u:%u", &maj, &min), 2);
	assert_int_equal(stat(dev->cdev_path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), maj);
	assert_int_equal(minor(st.st_rdev), min);
}

static void test_group_node_exclusive(void **state)
{
	struct stat st;
	int g, g2;

	(void)state;
	assert_int_equal(stat(vt_dev()->group_path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	g = open_group();
	assert_true(g >= 0);
	/* One open file of the group at a time. */
	g2 = open_group();
	assert_int_equal(g2, -1);
	assert_int_equal(errno, EBUSY);
	/* A dup or a fork share the one open file. */
	g2 = dup(g);
	assert_true(g2 >= 0);
	assert_int_equal(status_flags(g2) & VFIO_GROUP_FLAGS_VIABLE,
			 VFIO_GROUP_FLAGS_VIABLE);
	close(g2);
	assert_int_equal(open_group(), -1);
	assert_int_equal(errno, EBUSY);
	close(g);
	g = open_group();
	assert_true(g >= 0);
	close(g);
}

static void test_group_status(void **state)
{
	struct {
		struct vfio_group_status s;
		uint32_t tail;
	} big = { .s.argsz = sizeof(big), .tail = 0x5a5a5a5a };
	struct vfio_group_status s = { .argsz = sizeof(s) };
	int g = open_group(), c = vt_container_open();

	(void)state;
	assert_true(g >= 0);
	assert_int_equal(status_flags(g), VFIO_GROUP_FLAGS_VIABLE);
	s.argsz = 7;
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, &s), -EINVAL);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, NULL), -EFAULT);
	/* A larger argsz is fine; only argsz and flags are written. */
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, &big), 0);
	assert_int_equal(big.s.argsz, sizeof(big));
	assert_int_equal(big.s.flags, VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(big.tail, 0x5a5a5a5a);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(status_flags(g),
			 VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	close(g);
	close(c);
}

static void test_set_container_order(void **state)
{
	int g = open_group(), c = vt_container_open(), null = open("/dev/null", O_RDWR);
	int efd = vt_eventfd(), bad;

	bad = closed_fd();
	(void)state;
	assert_true(g >= 0 && null >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), -EFAULT);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), -EBADF);
	bad = -1;
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), -EBADF);
	/* Neither a container nor an iommufd. */
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &null), -EBADFD);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &efd), -EBADFD);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &g), -EBADFD);
	assert_int_equal(status_flags(g), VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	/* Set: EINVAL, but a bad fd is found bad first (fdget comes first). */
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), -EINVAL);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &null), -EINVAL);
	bad = closed_fd();
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), -EBADF);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, NULL), -EFAULT);
	close(g);
	close(c);
	close(null);
	close(efd);
}

/*
 * A container fd that is another group file never used before (a fresh
 * dup of the group's own): EBADFD, and the dup stays the group file
 * (fuzz_vfio found it taken for no file of VFIO's once SET_CONTAINER had
 * looked at it).
 */
static void test_set_container_fresh_group_fd(void **state)
{
	int g = open_group(), g2, c = vt_container_open();

	(void)state;
	assert_true(g >= 0);
	g2 = dup(g);
	assert_true(g2 >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &g2), -EBADFD);
	assert_int_equal(status_flags(g2), VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(vt_ioctl(g2, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(status_flags(g), VFIO_GROUP_FLAGS_VIABLE |
					  VFIO_GROUP_FLAGS_CONTAINER_SET);
	close(g2);
	close(g);
	close(c);
}

static void test_set_container_iommufd(void **state)
{
	int g, fd = vt_iommufd_open(), d;

	(void)state;
	if (fd < 0)
		skip();
	g = open_group();
	assert_true(g >= 0);
	/* An iommufd gets its compat IOAS: the device opens at once. */
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &fd), 0);
	assert_int_equal(status_flags(g),
			 VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	d = (int)vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d >= 0);
	{
		struct iommu_vfio_ioas io = { .size = sizeof(io),
					      .op = IOMMU_VFIO_IOAS_GET };

		assert_int_equal(vt_ioctl(fd, IOMMU_VFIO_IOAS, &io), 0);
		assert_true(io.ioas_id > 0);
	}
	close(d);
	close(g);
	close(fd);
}

/*
 * The group path's open of a device in an iommufd container attaches it
 * to the compat IOAS (vfio_iommufd_compat_attach_ioas): a mapping over
 * the IOMMU's reserved region (on x86 the interrupt window 0xfee00000)
 * makes GET_DEVICE_FD fail with the attach's EADDRINUSE, and the device
 * opens once it is gone.
 */
static void test_get_device_fd_reserved_region(void **state)
{
	struct iommu_vfio_ioas io = { .size = sizeof(io), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
					       IOMMU_IOAS_MAP_READABLE |
					       IOMMU_IOAS_MAP_WRITEABLE };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	int g, fd = vt_iommufd_open(), d;
	void *buf;

	(void)state;
	if (fd < 0)
		skip();
	g = open_group();
	assert_true(g >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &fd), 0);
	assert_int_equal(vt_ioctl(fd, IOMMU_VFIO_IOAS, &io), 0);
	buf = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	map.ioas_id = io.ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = VT_PAGE;
	map.iova = 0xfee00000;
	assert_int_equal(vt_ioctl(fd, IOMMU_IOAS_MAP, &map), 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf),
			 -EADDRINUSE);
	um.ioas_id = io.ioas_id;
	um.iova = 0xfee00000;
	um.length = VT_PAGE;
	assert_int_equal(vt_ioctl(fd, IOMMU_IOAS_UNMAP, &um), 0);
	d = (int)vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d >= 0);
	close(d);
	close(g);
	close(fd);
	munmap(buf, VT_PAGE);
}

/*
 * SET_IOMMU once a device is open and mapped: an iommufd container turns
 * TYPE1 into disabling large pages, refused while a domain already has
 * mappings (iopt_disable_large_pages), and a legacy container has its
 * IOMMU already: EINVAL both. With the mapping gone an iommufd container
 * takes it.
 */
static void test_set_iommu_type1_mapped(void **state)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 1ull << 24, .size = VT_PAGE };
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um),
		.iova = 1ull << 24, .size = VT_PAGE };
	struct vt_gdev gd;
	bool iommufd;
	void *buf;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	iommufd = vt_is_iommufd(gd.container);
	buf = mmap(NULL, VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	map.vaddr = (uintptr_t)buf;
	assert_int_equal(vt_ioctl(gd.container, VFIO_IOMMU_MAP_DMA, &map), 0);
	assert_int_equal(vt_ioctl(gd.container, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU),
			 -EINVAL);
	assert_int_equal(vt_ioctl(gd.container, VFIO_IOMMU_UNMAP_DMA, &um), 0);
	if (iommufd)
		assert_int_equal(vt_ioctl(gd.container, VFIO_SET_IOMMU,
					  (void *)VFIO_TYPE1_IOMMU), 0);
	vt_gdev_close(&gd);
	munmap(buf, VT_PAGE);
}

/*
 * An iommufd container with no device open has no domain, so IOVAs need
 * no alignment: a MAP_DMA off a page boundary is taken, and TYPE1 (large
 * pages off, IOVAs page aligned) is then refused with EADDRINUSE
 * (iopt_check_iova_alignment) until it is unmapped.
 */
static void test_set_iommu_type1_unaligned(void **state)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = (1ull << 24) + 8, .size = VT_PAGE };
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um),
		.iova = (1ull << 24) + 8, .size = VT_PAGE };
	int g, fd = vt_iommufd_open();
	char *buf;

	(void)state;
	if (fd < 0)
		skip();
	g = open_group();
	assert_true(g >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &fd), 0);
	buf = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	assert_true(buf != MAP_FAILED);
	map.vaddr = (uintptr_t)buf + 8;
	assert_int_equal(vt_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), 0);
	assert_int_equal(vt_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), -EADDRINUSE);
	assert_int_equal(vt_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), 0);
	assert_int_equal(vt_ioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1_IOMMU), 0);
	close(g);
	close(fd);
	munmap(buf, 2 * VT_PAGE);
}

static void test_unset_container(void **state)
{
	int g = open_group(), c = vt_container_open();

	(void)state;
	assert_true(g >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(status_flags(g), VFIO_GROUP_FLAGS_VIABLE);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	/* And set again. */
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	close(g);
	close(c);
}

/* GET_DEVICE_FD of name: the fd (closed here) or -errno. */
static long get_device(int g, const char *name)
{
	long d = vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)name);

	if (d >= 0)
		close((int)d);
	return d >= 0 ? 0 : d;
}

static bool has_sriov(void)
{
	struct vt_gdev gd;
	bool r;

	vt_gdev_open(vt_dev(), &gd);
	r = vt_find_ecap(gd.device, PCI_EXT_CAP_ID_SRIOV) != 0;
	vt_gdev_close(&gd);
	return r;
}

static void test_get_device_fd_names(void **state)
{
	const char *bdf = vt_dev()->bdf;
	bool pf = has_sriov();
	char name[128];
	int g = open_group(), c = vt_container_open();

	(void)state;
	assert_true(g >= 0);
	/* The name is looked up before the container is: unknown names are
	 * ENODEV, the device EINVAL (no IOMMU yet), NULL EFAULT. */
	assert_int_equal(get_device(g, "nonsense"), -ENODEV);
	assert_int_equal(get_device(g, NULL), -EFAULT);
	assert_int_equal(get_device(g, bdf), -EINVAL);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(vt_ioctl(c, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(get_device(g, bdf), 0);
	/* vfio_pci_core_match: the name, then options after spaces. */
	snprintf(name, sizeof(name), "%s ", bdf);
	assert_int_equal(get_device(g, name), 0);
	snprintf(name, sizeof(name), "%s   ", bdf);
	assert_int_equal(get_device(g, name), 0);
	snprintf(name, sizeof(name), "%s x", bdf);
	assert_int_equal(get_device(g, name), -EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=", bdf);
	assert_int_equal(get_device(g, name), -EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", bdf);
	assert_int_equal(get_device(g, name), -EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=01234567-89ab-cdef-0123-456789abcdef x", bdf);
	assert_int_equal(get_device(g, name), -EINVAL);
	snprintf(name, sizeof(name), "%s vf_token=01234567-89ab-cdef-0123-456789abcdef", bdf);
	/* A token on a device that is neither a PF nor a VF: EINVAL. */
	if (!pf)
		assert_int_equal(get_device(g, name), -EINVAL);
	/* Not the name: no match. */
	snprintf(name, sizeof(name), "%sx", bdf);
	assert_int_equal(get_device(g, name), -ENODEV);
	snprintf(name, sizeof(name), "%.*s", (int)strlen(bdf) - 1, bdf);
	assert_int_equal(get_device(g, name), -ENODEV);
	snprintf(name, sizeof(name), " %s", bdf);
	assert_int_equal(get_device(g, name), -ENODEV);
	assert_int_equal(get_device(g, ""), -ENODEV);
	if (vt_dev_other_group())
		assert_int_equal(get_device(g, vt_dev_other_group()->bdf), -ENODEV);
	close(g);
	close(c);
}

static void test_get_device_fd_strndup(void **state)
{
	char *page = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = malloc(2 * VT_PAGE);
	struct vt_gdev gd;

	(void)state;
	assert_true(page != MAP_FAILED && big);
	vt_gdev_open(vt_dev(), &gd);
	/* strndup_user(arg, PAGE_SIZE): a page of text without its end is
	 * EINVAL; 4095 bytes and the NUL fit. */
	memset(big, 'a', 2 * VT_PAGE);
	assert_int_equal(get_device(gd.group, big), -EINVAL);
	big[VT_PAGE] = 0;
	assert_int_equal(get_device(gd.group, big), -EINVAL);
	big[VT_PAGE - 1] = 0;
	assert_int_equal(get_device(gd.group, big), -ENODEV);
	/* Text running into an unmapped page before its end: EFAULT. */
	assert_int_equal(munmap(page + VT_PAGE, VT_PAGE), 0);
	memcpy(page + VT_PAGE - 8, "00000000", 8);
	assert_int_equal(get_device(gd.group, page + VT_PAGE - 8), -EFAULT);
	/* The name ending right at the end of the page is fine. */
	page[VT_PAGE - 1] = 0;
	assert_int_equal(get_device(gd.group, page + VT_PAGE - 8), -ENODEV);
	vt_gdev_close(&gd);
	munmap(page, VT_PAGE);
	free(big);
}

static void test_device_fds(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vt_gdev gd;
	uint32_t id;
	int d2, d3;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	assert_true(id != 0 && id != 0xffffffffu);
	/* GET_DEVICE_FD's fds are O_CLOEXEC, and as many as asked. */
	assert_int_equal(fcntl(gd.device, F_GETFD), FD_CLOEXEC);
	d2 = (int)vt_ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	d3 = (int)vt_ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d2 >= 0 && d3 >= 0 && d2 != gd.device && d3 != d2);
	assert_int_equal(fcntl(d2, F_GETFD), FD_CLOEXEC);
	assert_int_equal(vt_fd_id(d2), id);
	assert_int_equal(vt_fd_id(d3), id);
	/* The files share the device: a register written through one is
	 * read through another. */
	vt_cfg_write(gd.device, PCI_INTERRUPT_LINE, 1, 0x5b);
	assert_int_equal(vt_cfg_read(d2, PCI_INTERRUPT_LINE, 1), 0x5b);
	close(gd.device);
	assert_int_equal(vt_fd_id(d3), id);
	/* BIND_IOMMUFD is for cdev files; ATTACH/DETACH are not there. */
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, NULL), -EFAULT);
	b.iommufd = gd.container;
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.argsz = 4;
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOTTY);
	assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a), -ENOTTY);
	assert_int_equal(vt_ioctl(d2, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL), -ENOTTY);
	/* Group ioctls are not device ioctls and vice versa. */
	assert_int_equal(vt_ioctl(d2, VFIO_GROUP_GET_STATUS, &b), -ENOTTY);
	assert_int_equal(vt_ioctl(gd.group, VFIO_DEVICE_GET_INFO, &b), -ENOTTY);
	assert_int_equal(vt_ioctl(gd.group, VFIO_GET_API_VERSION, NULL), -ENOTTY);
	close(d2);
	close(d3);
	gd.device = -1;
	vt_gdev_close(&gd);
}

/*
 * With an iommufd as the container, a device fd does not hold the group's
 * file: the group is released at its close, can be opened again while
 * the device is open (the group is then not viable: the device claims
 * DMA ownership), and hands out more device fds once a container is set.
 * The legacy container keeps the group file until its devices close.
 */
static void test_group_close_with_device_open(void **state)
{
	struct vt_gdev gd;
	uint32_t id;
	int g, d2;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	close(gd.group);
	gd.group = -1;
	/* The device goes on working. */
	assert_int_equal(vt_fd_id(gd.device), id);
	g = open_group();
	if (!vt_is_iommufd(gd.container)) {
		assert_int_equal(g, -1);
		assert_int_equal(errno, EBUSY);
		vt_gdev_close(&gd);
		return;
	}
	assert_true(g >= 0);
	assert_int_equal(status_flags(g), 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf),
			 -EINVAL);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &gd.container), 0);
	assert_int_equal(status_flags(g),
			 VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	d2 = (int)vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d2 >= 0);
	assert_int_equal(vt_fd_id(d2), id);
	close(gd.device);
	gd.device = -1;
	assert_int_equal(vt_fd_id(d2), id);
	close(d2);
	close(g);
	/* Everything closed: viable again. */
	g = open_group();
	assert_true(g >= 0);
	assert_int_equal(status_flags(g), VFIO_GROUP_FLAGS_VIABLE);
	close(g);
	vt_gdev_close(&gd);
}

/*
 * UNSET_CONTAINER with a device open: an iommufd is only let go of (the
 * device keeps its binding); a legacy container in use is EBUSY.
 */
static void test_unset_container_with_device(void **state)
{
	struct vt_gdev gd;
	uint32_t id;
	int d2;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	id = vt_fd_id(gd.device);
	if (!vt_is_iommufd(gd.container)) {
		assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_UNSET_CONTAINER, NULL),
				 -EBUSY);
		vt_gdev_close(&gd);
		return;
	}
	assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(status_flags(gd.group), 0);
	assert_int_equal(vt_fd_id(gd.device), id);
	assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD,
				  (void *)vt_dev()->bdf), -EINVAL);
	assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_SET_CONTAINER, &gd.container), 0);
	d2 = (int)vt_ioctl(gd.group, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d2 >= 0);
	close(d2);
	vt_gdev_close(&gd);
}

/* The group holds its container: the program's fd may go. */
static void test_group_holds_container(void **state)
{
	int g = open_group(), c = vt_container_open(), d;

	(void)state;
	assert_true(g >= 0);
	assert_int_equal(vt_ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(vt_ioctl(c, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	close(c);
	assert_int_equal(status_flags(g),
			 VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	d = (int)vt_ioctl(g, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	assert_true(d >= 0);
	close(d);
	close(g);
}

/* Two groups on one container, each device opened through its group. */
static void test_two_groups_one_container(void **state)
{
	const struct vt_dev *o = vt_dev_other_group();
	int g1, g2, c, d1, d2;

	(void)state;
	if (!o)
		skip();
	g1 = open_group();
	g2 = open(o->group_path, O_RDWR | O_CLOEXEC);
	c = vt_container_open();
	assert_true(g1 >= 0 && g2 >= 0);
	assert_int_equal(vt_ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(vt_ioctl(g2, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(vt_ioctl(c, VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	d1 = (int)vt_ioctl(g1, VFIO_GROUP_GET_DEVICE_FD, (void *)vt_dev()->bdf);
	d2 = (int)vt_ioctl(g2, VFIO_GROUP_GET_DEVICE_FD, (void *)o->bdf);
	assert_true(d1 >= 0 && d2 >= 0);
	/* Each group only names its own devices. */
	assert_int_equal(get_device(g1, o->bdf), -ENODEV);
	assert_int_equal(get_device(g2, vt_dev()->bdf), -ENODEV);
	close(d1);
	close(d2);
	close(g1);
	close(g2);
	close(c);
}

static void test_group_unknown_ioctls(void **state)
{
	int g = open_group();
	char buf[8];

	(void)state;
	assert_true(g >= 0);
	/* A group file has no read, write or mmap. */
	assert_int_equal(read(g, buf, 8), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(write(g, buf, 8), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pread(g, buf, 8, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(mmap(NULL, VT_PAGE, PROT_READ, MAP_SHARED, g, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(vt_ioctl(g, _IO(VFIO_TYPE, VFIO_BASE + 7), NULL), -ENOTTY);
	assert_int_equal(vt_ioctl(g, _IO(VFIO_TYPE, VFIO_BASE + 99), NULL), -ENOTTY);
	assert_int_equal(vt_ioctl(g, 0x5401 /* TCGETS */, NULL), -ENOTTY);
	/* The VFS's own ioctls come first: close-on-exec, nonblocking. */
	assert_int_equal(vt_ioctl(g, FIONCLEX, NULL), 0);
	assert_int_equal(fcntl(g, F_GETFD), 0);
	assert_int_equal(vt_ioctl(g, FIOCLEX, NULL), 0);
	assert_int_equal(fcntl(g, F_GETFD), FD_CLOEXEC);
	{
		int on = 1;

		assert_int_equal(vt_ioctl(g, FIONBIO, &on), 0);
		assert_true(fcntl(g, F_GETFL) & O_NONBLOCK);
		on = 0;
		assert_int_equal(vt_ioctl(g, FIONBIO, &on), 0);
		assert_false(fcntl(g, F_GETFL) & O_NONBLOCK);
		assert_int_equal(vt_ioctl(g, FIONBIO, NULL), -EFAULT);
		/* No fasync: turning it on is ENOTTY, leaving it off is not. */
		assert_int_equal(vt_ioctl(g, FIOASYNC, &on), 0);
		on = 1;
		assert_int_equal(vt_ioctl(g, FIOASYNC, &on), -ENOTTY);
	}
	/* The same on a device fd. */
	{
		struct vt_gdev gd;

		close(g);
		vt_gdev_open(vt_dev(), &gd);
		assert_int_equal(vt_ioctl(gd.device, FIONCLEX, NULL), 0);
		assert_int_equal(fcntl(gd.device, F_GETFD), 0);
		/* Device fds have no file position: lseek is ESPIPE. */
		errno = 0;
		assert_int_equal(lseek(gd.device, 0, SEEK_SET), -1);
		assert_int_equal(errno, ESPIPE);
		assert_int_equal(lseek(gd.group, 0, SEEK_CUR), -1);
		assert_int_equal(errno, ESPIPE);
		vt_gdev_close(&gd);
		return;
	}
	close(g);
}

/*
 * ATTACH_IOMMUFD_PT and DETACH_IOMMUFD_PT are the cdev's: a group's device
 * file passes them to vfio-pci's ioctl, which answers ENOTTY before it
 * reads the argument (NULL included).
 */
static void test_attach_pt_on_group_device(void **state)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vt_gdev gd;

	(void)state;
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOTTY);
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), -ENOTTY);
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -ENOTTY);
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, NULL), -ENOTTY);
	vt_gdev_close(&gd);
}

static const struct CMUnitTest tests[] = {
	VT_TEST(test_sysfs),
	VT_TEST(test_group_node_exclusive),
	VT_TEST(test_group_status),
	VT_TEST(test_set_container_order),
	VT_TEST(test_set_container_fresh_group_fd),
	VT_TEST(test_set_container_iommufd),
	VT_TEST(test_get_device_fd_reserved_region),
	VT_TEST(test_set_iommu_type1_mapped),
	VT_TEST(test_set_iommu_type1_unaligned),
	VT_TEST(test_unset_container),
	VT_TEST(test_get_device_fd_names),
	VT_TEST(test_get_device_fd_strndup),
	VT_TEST(test_device_fds),
	VT_TEST(test_group_close_with_device_open),
	VT_TEST(test_unset_container_with_device),
	VT_TEST(test_group_holds_container),
	VT_TEST(test_two_groups_one_container),
	VT_TEST(test_group_unknown_ioctls),
	VT_TEST(test_attach_pt_on_group_device),
};

VT_MAIN(tests)
