// SPDX-License-Identifier: MIT
/*
 * A VFIO type1 client, set up the way DPDK's VFIO code does it: find the
 * device's IOMMU group in sysfs, open the group and the container, join
 * them, choose TYPE1v2, read the IOMMU info, get the device fd, map its
 * memory with VFIO_IOMMU_MAP_DMA, drive the device, unmap.
 *
 * The device is uiommufd's emulated DMA engine: BAR0 holds SRC_IOVA (0x00),
 * DST_IOVA (0x08) and LEN (0x10); a write to DOORBELL (0x18) copies LEN
 * bytes and STATUS (0x20) reads 1 when done. Run it with
 *
 *   uiommufd-run --vfio-device 0000:00:04.0@7 -- type1_client [0000:00:04.0]
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define LEN (64 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "type1_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* What to run when the device or VFIO itself is not there. */
static void __attribute__((noreturn)) missing(const char *bdf, const char *what)
{
	fprintf(stderr, "type1_client: no VFIO device at %s (%s: %s): run it under "
		"uiommufd-run --vfio-device %s -- type1_client %s\n",
		bdf, what, strerror(errno), bdf, bdf);
	exit(1);
}

static void reg_write(int dev, uint64_t bar_off, uint64_t reg, uint64_t v)
{
	if (pwrite(dev, &v, sizeof(v), (off_t)(bar_off + reg)) != sizeof(v))
		die("BAR0 write");
}

static uint64_t reg_read(int dev, uint64_t bar_off, uint64_t reg)
{
	uint64_t v;

	if (pread(dev, &v, sizeof(v), (off_t)(bar_off + reg)) != sizeof(v))
		die("BAR0 read");
	return v;
}

/* Copy len bytes from src to dst IOVA with the device's DMA engine. */
static uint64_t dma_copy(int dev, uint64_t bar, uint64_t src, uint64_t dst,
			 uint64_t len)
{
	reg_write(dev, bar, 0x00, src);
	reg_write(dev, bar, 0x08, dst);
	reg_write(dev, bar, 0x10, len);
	reg_write(dev, bar, 0x18, 1);
	return reg_read(dev, bar, 0x20);
}

int main(int argc, char **argv)
{
	const char *bdf = argc > 1 ? argv[1] : "0000:00:04.0";
	char path[256], link[256], info_buf[256];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_info *info = (void *)info_buf;
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	struct vfio_region_info bar0 = { .argsz = sizeof(bar0),
					 .index = VFIO_PCI_BAR0_REGION_INDEX };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	uint64_t iova_base = 0, st;
	int container, group, dev;
	uint16_t cmd;
	ssize_t n;
	char *src, *dst;

	/* 1. The IOMMU group, from the iommu_group link in sysfs. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		missing(bdf, path);
	link[n] = 0;
	printf("%s is in IOMMU group %s\n", bdf, basename(link));

	/* 2. Container and group. */
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		missing(bdf, "/dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("container API or TYPE1v2");
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	group = open(path, O_RDWR);
	if (group < 0)
		missing(bdf, path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");

	/* 3. The device; its domain now limits the usable IOVAs. */
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	memset(info_buf, 0, sizeof(info_buf));
	info->argsz = sizeof(info_buf);
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
		die("VFIO_IOMMU_GET_INFO");
	for (uint32_t off = info->cap_offset; off;) {
		struct vfio_info_cap_header *h = (void *)(info_buf + off);

		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;

			printf("IOMMU: page sizes %#llx, IOVA range [%#llx, %#llx]\n",
			       (unsigned long long)info->iova_pgsizes,
			       (unsigned long long)r->iova_ranges[0].start,
			       (unsigned long long)r->iova_ranges[0].end);
			iova_base = r->iova_ranges[0].start;
		}
		off = h->next;
	}
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, &dinfo) ||
	    ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar0) ||
	    ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &cfg))
		die("device info");
	printf("device: %u regions, %u irqs, BAR0 %llu bytes at offset %#llx\n",
	       dinfo.num_regions, dinfo.num_irqs, (unsigned long long)bar0.size,
	       (unsigned long long)bar0.offset);
	/* Bus mastering on, as a driver does before DMA. */
	if (pread(dev, &cmd, 2, (off_t)(cfg.offset + 4)) != 2)
		die("config read");
	cmd |= 0x6;
	if (pwrite(dev, &cmd, 2, (off_t)(cfg.offset + 4)) != 2)
		die("config write");

	/* 4. Memory for the device, mapped the type1 way. */
	src = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap");
	for (size_t i = 0; i < LEN; i++)
		src[i] = (char)(i * 7 + 3);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)src;
	map.iova = iova_base;
	map.size = LEN;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA src");
	map.vaddr = (uintptr_t)dst;
	map.iova = iova_base + LEN;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA dst");
	printf("mapped %d KiB at IOVA %#llx and %#llx\n", LEN / 1024,
	       (unsigned long long)iova_base, (unsigned long long)iova_base + LEN);

	/* 5. The device copies; the bytes arrive. */
	st = dma_copy(dev, bar0.offset, iova_base, iova_base + LEN, LEN);
	printf("DMA %#llx -> %#llx, %d bytes: status %llu\n",
	       (unsigned long long)iova_base, (unsigned long long)iova_base + LEN,
	       LEN, (unsigned long long)st);
	if (st != 1 || memcmp(src, dst, LEN))
		die("copied bytes differ");
	printf("destination buffer matches the source\n");
	/* Outside the mappings the device faults. */
	st = dma_copy(dev, bar0.offset, iova_base, iova_base + 4 * LEN, 64);
	printf("DMA to an unmapped IOVA: status %#llx (errno %llu, %s)\n",
	       (unsigned long long)st, (unsigned long long)(st >> 8),
	       strerror((int)(st >> 8)));
	if ((st & 0xff) != 2 || (st >> 8) != EFAULT)
		return 1;

	/* 6. Unmap, as DPDK does on teardown. */
	unmap.iova = iova_base;
	unmap.size = 2 * LEN;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		die("VFIO_IOMMU_UNMAP_DMA");
	printf("unmapped %llu bytes\n", (unsigned long long)unmap.size);
	close(dev);
	close(group);
	close(container);
	printf("type1_client: done\n");
	return unmap.size == 2 * LEN ? 0 : 1;
}
