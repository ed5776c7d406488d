// SPDX-License-Identifier: MIT
/*
 * A VFIO cdev client bound to iommufd, set up the way QEMU's iommufd
 * backend does it: find the device's vfio-dev node in sysfs and check it
 * against /dev/vfio/devices/vfioX, bind the cdev to an iommufd, allocate
 * an IOAS, attach the device to it, map memory with IOMMU_IOAS_MAP, let
 * the device DMA, then detach.
 *
 * The device is uiommufd's emulated DMA engine (see type1_client.c). Run
 *
 *   uiommufd-run --vfio-device 0000:00:04.0 -- cdev_client [0000:00:04.0]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define LEN (32 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "cdev_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* What to run when the device or its cdev is not there. */
static void __attribute__((noreturn)) missing(const char *bdf, const char *what)
{
	fprintf(stderr, "cdev_client: no VFIO device at %s (%s: %s): run it under "
		"uiommufd-run --vfio-device %s -- cdev_client %s\n",
		bdf, what, strerror(errno), bdf, bdf);
	exit(1);
}

static void reg_write(int dev, uint64_t off, uint64_t v)
{
	if (pwrite(dev, &v, sizeof(v), (off_t)off) != sizeof(v))
		die("BAR0 write");
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:04.0";
	char path[1024], name[256] = "", devt[32];
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0),
					 .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct iommu_hw_info hw = { .size = sizeof(hw) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	unsigned int maj, min;
	struct dirent *de;
	struct stat st;
	uint64_t status, iova;
	uint16_t cmd = 0x6;
	int dev, iommufd, fd;
	DIR *dir;
	char *src, *dst;

	/* 1. The cdev's name and number, from sysfs; the node must match. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		missing(bdf, path);
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(name, sizeof(name), "%s", de->d_name);
	closedir(dir);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev/%s/dev",
		 bdf, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		missing(bdf, path);
	if (read(fd, devt, sizeof(devt) - 1) <= 0)
		die(path);
	close(fd);
	devt[sizeof(devt) - 1] = 0;
	if (sscanf(devt, "%u:%u", &maj, &min) != 2)
		die("dev file");
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	if (stat(path, &st) || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) != maj || minor(st.st_rdev) != min)
		die("cdev node does not match sysfs");
	printf("%s is %s (%u:%u)\n", bdf, path, maj, min);

	/* 2. Bind the cdev to an iommufd and attach it to a new IOAS. */
	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		missing(bdf, path);
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		die("/dev/iommu");
	/* Unbound, the device answers nothing but binding. */
	if (!ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0) || errno != EINVAL)
		die("unbound device answered");
	bind.iommufd = iommufd;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD");
	hw.dev_id = bind.out_devid;
	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &hw))
		die("IOMMU_GET_HW_INFO");
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	printf("bound as device %u (hw info type %#x); attached to IOAS %u "
	       "through hwpt %u\n", bind.out_devid, hw.out_data_type,
	       alloc.out_ioas_id, attach.pt_id);
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0))
		die("VFIO_DEVICE_GET_REGION_INFO");
	if (pwrite(dev, &cmd, 2, (off_t)(((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + 4)) != 2)
		die("config write");

	/* 3. Memory mapped with automatic IOVAs, then the device copies. */
	src = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap");
	snprintf(src, LEN, "bytes moved by %s through IOAS %u", bdf, alloc.out_ioas_id);
	map.ioas_id = alloc.out_ioas_id;
	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.user_va = (uintptr_t)src;
	map.length = LEN;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP src");
	iova = map.iova;
	map.user_va = (uintptr_t)dst;
	map.iova = 0;
	if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		die("IOMMU_IOAS_MAP dst");
	printf("mapped at IOVA %#llx and %#llx\n", (unsigned long long)iova,
	       (unsigned long long)map.iova);
	reg_write(dev, bar0.offset + 0x00, iova);
	reg_write(dev, bar0.offset + 0x08, map.iova);
	reg_write(dev, bar0.offset + 0x10, LEN);
	reg_write(dev, bar0.offset + 0x18, 1);
	if (pread(dev, &status, sizeof(status), (off_t)(bar0.offset + 0x20)) != sizeof(status))
		die("status");
	printf("DMA status %llu; destination holds \"%s\"\n",
	       (unsigned long long)status, dst);
	if (status != 1 || memcmp(src, dst, LEN))
		return 1;

	/* 4. Detached, the device can reach nothing. */
	if (ioctl(dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach))
		die("VFIO_DEVICE_DETACH_IOMMUFD_PT");
	reg_write(dev, bar0.offset + 0x18, 1);
	if (pread(dev, &status, sizeof(status), (off_t)(bar0.offset + 0x20)) != sizeof(status))
		die("status");
	printf("after detach, DMA status %#llx (errno %llu)\n",
	       (unsigned long long)status, (unsigned long long)(status >> 8));
	close(dev);
	close(iommufd);
	printf("cdev_client: done\n");
	return (status & 0xff) == 2 ? 0 : 1;
}
