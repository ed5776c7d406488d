// SPDX-License-Identifier: MIT
/*
 * For test/tools/debug.sh: a VFIO type1 client that gives the events each
 * UIOMMUFD_DEBUG category reports: it opens an emulated device's group
 * (path, fd, vfio), asks for a node that does not exist (vfio), maps BAR0
 * (mmio), and has the DMA engine raise INTx into an eventfd (irq).
 *
 *   uiommufd-run --vfio-device BDF@GROUP -- debug_client GROUP BDF
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define LEN 4096

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static void reg(int dev, uint64_t off, uint64_t v)
{
	if (pwrite(dev, &v, sizeof(v), (off_t)off) != sizeof(v))
		fail("BAR0 write");
}

int main(int argc, char **argv)
{
	char path[64], irq_buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *irq = (void *)irq_buf;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	uint16_t cmd = 0x6;
	uint64_t n = 0;
	int container, group, dev, efd;
	char *buf;
	void *bar;

	if (argc != 3) {
		fprintf(stderr, "usage: debug_client GROUP BDF\n");
		return 2;
	}
	if (open("/dev/vfio/99999", O_RDWR) >= 0)
		fail("a group that does not exist opened");
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[1]);
	container = open("/dev/vfio/vfio", O_RDWR);
	group = open(path, O_RDWR);
	if (container < 0 || group < 0)
		fail(path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("container");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[2]);
	if (dev < 0)
		fail("VFIO_GROUP_GET_DEVICE_FD");
	/* BAR0 is region 0 at offset 0; config space is region 7. */
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	if (bar != MAP_FAILED)
		munmap(bar, 4096);
	if (pwrite(dev, &cmd, 2, (off_t)((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + 4) != 2)
		fail("config write");

	efd = eventfd(0, EFD_CLOEXEC);
	irq->argsz = sizeof(irq_buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_INTX_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(efd));
	if (efd < 0 || ioctl(dev, VFIO_DEVICE_SET_IRQS, irq))
		fail("VFIO_DEVICE_SET_IRQS");

	buf = mmap(NULL, 2 * LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)buf;
	map.size = 2 * LEN;
	if (buf == MAP_FAILED || ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		fail("VFIO_IOMMU_MAP_DMA");
	reg(dev, 0x00, 0);
	reg(dev, 0x08, LEN);
	reg(dev, 0x10, LEN);
	reg(dev, 0x18, 1);
	if (read(efd, &n, sizeof(n)) != sizeof(n) || n != 1)
		fail("interrupt");
	printf("debug_client: interrupt received\n");
	return 0;
}
