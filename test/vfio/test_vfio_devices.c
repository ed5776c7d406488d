// SPDX-License-Identifier: MIT
/*
 * Emulated VFIO devices under uiommufd-run --vfio-device: what a program
 * finds in sysfs and /dev/vfio, the group and cdev ioctls with the errnos
 * of 6.12's drivers/vfio (group.c, device_cdev.c, vfio_main.c, vfio-pci),
 * region accesses, and the DMA engine. Run by meson with two devices:
 * 0000:00:04.0 in group 7 and 0000:00:05.0 in group 8.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#define BDF0 "0000:00:04.0"
#define BDF1 "0000:00:05.0"
#define CFG_OFF ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static long xioctl(int fd, unsigned long req, void *arg)
{
	long rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

static void test_sysfs_and_nodes(void **state)
{
	char buf[128];
	struct stat st;
	ssize_t n;
	FILE *f;

	(void)state;
	n = readlink("/sys/bus/pci/devices/" BDF0 "/iommu_group", buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "../../../kernel/iommu_groups/7");
	n = readlink("/sys/bus/pci/devices/" BDF1 "/driver", buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(strrchr(buf, '/') + 1, "vfio-pci");
	f = fopen("/sys/bus/pci/devices/" BDF0 "/vendor", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "0x1b36\n");
	assert_int_equal(access("/sys/kernel/iommu_groups/8/devices/" BDF1, F_OK), 0);
	/* Devices that do not exist stay the real sysfs's business. */
	assert_int_equal(access("/sys/bus/pci/devices/0000:7f:1f.7/iommu_group", F_OK), -1);
	assert_int_equal(stat("/dev/vfio/7", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(stat("/dev/vfio/devices/vfio1", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(minor(st.st_rdev), 1);
	assert_int_equal(open("/dev/vfio/9", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_group(void **state)
{
	struct vfio_group_status s = { .argsz = sizeof(s) };
	int g = open("/dev/vfio/7", O_RDWR | O_CLOEXEC);
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	int other = open("/dev/null", O_RDWR), bad = 999, d, d2;

	(void)state;
	assert_true(g >= 0 && c >= 0 && other >= 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &s), 0);
	assert_int_equal(s.flags, VFIO_GROUP_FLAGS_VIABLE);
	s.argsz = 4;
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &s), -EINVAL);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, NULL), -EFAULT);
	/* No container yet: the device cannot be opened. */
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF0), -EINVAL);
	assert_int_equal(xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), -EINVAL);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &bad), -EBADF);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &other), -EBADFD);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	assert_int_equal(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), -EINVAL);
	s.argsz = sizeof(s);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_STATUS, &s), 0);
	assert_int_equal(s.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* The compat IOAS exists now: the container's type1 ioctls work. */
	assert_int_equal(xioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	/* Names: another group's device, nonsense. */
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF1), -ENODEV);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, "nonsense"), -ENODEV);
	assert_int_equal(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, NULL), -EFAULT);
	d = (int)xioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF0);
	assert_true(d >= 0);
	assert_int_equal(fcntl(d, F_GETFD), FD_CLOEXEC);
	/*
	 * A second open shares the device. The cdev opens (its open only
	 * makes a file), but binding it is refused while the group is open.
	 */
	d2 = (int)xioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF0);
	assert_true(d2 >= 0);
	{
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = c };
		int cd = open("/dev/vfio/devices/vfio0", O_RDWR);

		assert_true(cd >= 0);
		assert_int_equal(xioctl(cd, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBUSY);
		close(cd);
	}
	close(d);
	close(d2);
	/* With an iommufd, UNSET_CONTAINER only lets go of it (6.12). */
	assert_int_equal(xioctl(g, VFIO_GROUP_UNSET_CONTAINER, NULL), 0);
	assert_int_equal(xioctl(g, 0x3b00, NULL), -ENOTTY);
	close(other);
	close(g);
	close(c);
}

static int open_group_device(int *g, int *c)
{
	*g = open("/dev/vfio/7", O_RDWR | O_CLOEXEC);
	*c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_int_equal(xioctl(*g, VFIO_GROUP_SET_CONTAINER, c), 0);
	assert_int_equal(xioctl(*c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	return (int)xioctl(*g, VFIO_GROUP_GET_DEVICE_FD, BDF0);
}

static void test_device_info_and_regions(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	uint8_t cfg[256], big[8192];
	int g, c, d = open_group_device(&g, &c);

	(void)state;
	assert_true(d >= 0);
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(di.num_regions, VFIO_PCI_NUM_REGIONS);
	assert_int_equal(di.num_irqs, 5);
	di.argsz = 8;
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	for (uint32_t i = 0; i < VFIO_PCI_VGA_REGION_INDEX; i++) {
		ri.index = i;
		assert_int_equal(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
		assert_int_equal(ri.offset, (uint64_t)i << 40);
		/* A PCI Express device: 4 KiB of config space. */
		assert_int_equal(ri.size, i == VFIO_PCI_BAR0_REGION_INDEX ? 4096 :
					  i == VFIO_PCI_CONFIG_REGION_INDEX ? 4096 : 0);
	}
	/* No VGA region on this device, nothing past the fixed ones. */
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	ri.index = VFIO_PCI_NUM_REGIONS;
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	ri.index = 0;
	ri.argsz = 16;
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	/* Binding is for cdevs only. */
	b.iommufd = c;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	assert_int_equal(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &b), -ENOTTY);
	/* Config space: the ids, a writable command register, fixed rest. */
	assert_int_equal(pread(d, cfg, sizeof(cfg), (off_t)CFG_OFF), 256);
	assert_int_equal(cfg[0] | cfg[1] << 8, 0x1b36);
	cfg[0] = 0;
	cfg[4] = 0x6;
	assert_int_equal(pwrite(d, cfg, 8, (off_t)CFG_OFF), 8);
	assert_int_equal(pread(d, cfg, 8, (off_t)CFG_OFF), 8);
	assert_int_equal(cfg[0], 0x36);
	assert_int_equal(cfg[4], 0x6);
	/* Past config space's end (EFAULT, as vfio_config_do_rw), or a
	 * region without size. */
	assert_int_equal(pread(d, big, 8, (off_t)(CFG_OFF + 4096)), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(pread(d, big, 8, (off_t)(2ull << 40)), -1);
	assert_int_equal(errno, EINVAL);
	{
		/* A bad buffer (hidden from the compiler's nonnull check). */
		void *volatile bad = NULL;

		assert_int_equal(pread(d, bad, 8, 0), -1);
		assert_int_equal(errno, EFAULT);
	}
	/* Reset (an FLR, config saved and restored around it) keeps it. */
	assert_int_equal(xioctl(d, VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(pread(d, cfg, 8, (off_t)CFG_OFF), 8);
	assert_int_equal(cfg[4], 0x6);
	close(d);
	close(g);
	close(c);
}

static uint64_t doorbell(int d, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t regs[4] = { src, dst, len, 1 }, st;

	assert_int_equal(pwrite(d, regs, sizeof(regs), 0), sizeof(regs));
	assert_int_equal(pread(d, &st, 8, 0x20), 8);
	return st;
}

static void test_dma_engine(void **state)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE };
	char *buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int g, c, d = open_group_device(&g, &c);
	uint16_t cmd = 0x6;
	uint64_t id;

	(void)state;
	assert_int_equal(pread(d, &id, 8, 0x28), 8);
	assert_int_equal(id, 0x756d6d6f69756675ull);
	strcpy(buf, "engine");
	m.vaddr = (uintptr_t)buf;
	m.iova = MOCK_APERTURE_START;
	m.size = 8192;
	assert_int_equal(xioctl(c, VFIO_IOMMU_MAP_DMA, &m), 0);
	/* Bus mastering off: the device may not DMA. */
	assert_int_equal(doorbell(d, MOCK_APERTURE_START, MOCK_APERTURE_START + 4096, 7),
			 2 | (EPERM << 8));
	assert_int_equal(pwrite(d, &cmd, 2, (off_t)(CFG_OFF + 4)), 2);
	assert_int_equal(doorbell(d, MOCK_APERTURE_START, MOCK_APERTURE_START + 4096, 7), 1);
	assert_string_equal(buf + 4096, "engine");
	assert_int_equal(doorbell(d, MOCK_APERTURE_START, MOCK_APERTURE_START + 4096, 0),
			 2 | (EINVAL << 8));
	assert_int_equal(doorbell(d, MOCK_APERTURE_START, 0x1000, 7), 2 | (EFAULT << 8));
	/* A read-only mapping refuses the device's writes. */
	m.flags = VFIO_DMA_MAP_FLAG_READ;
	m.iova = MOCK_APERTURE_START + 0x100000;
	assert_int_equal(xioctl(c, VFIO_IOMMU_MAP_DMA, &m), 0);
	assert_int_equal(doorbell(d, MOCK_APERTURE_START, MOCK_APERTURE_START + 0x100000, 7),
			 2 | (EPERM << 8));
	close(d);
	close(g);
	close(c);
}

static void test_cdev(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	int d = open("/dev/vfio/devices/vfio1", O_RDWR | O_CLOEXEC);
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	int other = open("/dev/null", O_RDWR), g;
	uint8_t b8[8];

	(void)state;
	assert_true(d >= 0 && fd >= 0);
	/* A cdev opens any number of times; only one file binds. */
	{
		int d2 = open("/dev/vfio/devices/vfio1", O_RDWR | O_CLOEXEC);

		assert_true(d2 >= 0);
		close(d2);
	}
	/* Unbound: everything but binding is EINVAL. */
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	assert_int_equal(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	assert_int_equal(pread(d, b8, 8, 0), -1);
	assert_int_equal(errno, EINVAL);
	b.iommufd = -1;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.iommufd = 999;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBADF);
	b.iommufd = other;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EBADFD);
	b.iommufd = fd;
	b.flags = 1;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0;
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(b.out_devid, 1);
	assert_int_equal(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	assert_int_equal(xioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	/* Attach to an IOAS: its automatic domain comes back. */
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, &alloc), 0);
	a.pt_id = 99;
	assert_int_equal(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -ENOENT);
	a.pt_id = alloc.out_ioas_id;
	a.flags = 1;
	assert_int_equal(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), -EINVAL);
	a.flags = 0;
	assert_int_equal(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
	assert_int_equal(a.pt_id, alloc.out_ioas_id + 1);
	assert_int_equal(xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	/* A second cdev file cannot bind a bound device. */
	{
		int d2 = open("/dev/vfio/devices/vfio1", O_RDWR | O_CLOEXEC);

		assert_true(d2 >= 0);
		assert_int_equal(xioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
		close(d2);
	}
	/* The group stays shut while the cdev is bound. */
	g = open("/dev/vfio/8", O_RDWR | O_CLOEXEC);
	assert_int_equal(g, -1);
	assert_int_equal(errno, EBUSY);
	/* Closing the cdev unbinds: the device id is gone. */
	close(d);
	{
		struct iommu_destroy de = { .size = sizeof(de), .id = 1 };

		assert_int_equal(xioctl(fd, IOMMU_DESTROY, &de), -ENOENT);
	}
	close(fd);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysfs_and_nodes),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_device_info_and_regions),
		cmocka_unit_test(test_dma_engine),
		cmocka_unit_test(test_cdev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
