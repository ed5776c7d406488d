// SPDX-License-Identifier: MIT
/*
 * An emulated device doing DMA through an IOMMU, served by uiommufd.
 *
 * The program plays both sides: the driver, which maps its buffers into an
 * IO address space through the ordinary /dev/iommu uAPI, and the device,
 * whose DMA it issues through uiommufd's C API (uiommufd_dma()). It shows
 *   1. a DMA write landing in a mapped buffer,
 *   2. a DMA write refused by a read-only mapping,
 *   3. a DMA to an IOVA nothing is mapped at raising an IO page fault,
 *      which the driver reads from its fault queue, serves by mapping a
 *      page there, and answers; the device's retry then succeeds.
 *
 * Run it under uiommufd-run, which serves /dev/iommu and the fault fd's
 * read and write; it needs no privileges and no IOMMU.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#define PAGE 4096ul

static int fd;

static void die(const char *what)
{
	fprintf(stderr, "dma_device: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void map_fixed(uint32_t ioas, void *va, size_t len, uint64_t iova,
		      uint32_t prot)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | prot,
		.user_va = (uintptr_t)va, .length = len, .iova = iova };

	if (ioctl(fd, IOMMU_IOAS_MAP, &m))
		die("IOMMU_IOAS_MAP");
}

static char *page_buffer(const char *text)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	snprintf(p, PAGE, "%s", text);
	return p;
}

int main(void)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_alloc parent = { .size = sizeof(parent),
					   .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
	struct iommu_hwpt_selftest cfg = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_alloc iopf = {
		.size = sizeof(iopf), .flags = IOMMU_HWPT_FAULT_ID_VALID,
		.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(cfg),
		.data_uptr = (uintptr_t)&cfg };
	const uint64_t rw_iova = MOCK_APERTURE_START;
	const uint64_t ro_iova = MOCK_APERTURE_START + 0x100000;
	const uint64_t hole_iova = MOCK_APERTURE_START + 0x200000;
	struct uiommufd_mock_device dev, dev2;
	struct iommu_hwpt_pgfault rec;
	struct iommu_hwpt_page_response resp;
	struct pollfd pfd;
	char msg[64], got[64];
	char *rw_buf, *ro_buf, *served;
	int rc;

	/* The device side is uiommufd's: /dev/iommu must be served by it. */
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0 || !uiommufd_is_context_fd(fd)) {
		fprintf(stderr, "dma_device: /dev/iommu: %s: the device side is "
			"uiommufd's; run it under uiommufd-run -- dma_device\n",
			fd < 0 ? strerror(errno) : "the kernel's, not uiommufd's");
		return 2;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");

	rw_buf = page_buffer("(empty)");
	ro_buf = page_buffer("firmware table, read-only to the device");
	map_fixed(alloc.out_ioas_id, rw_buf, PAGE, rw_iova,
		  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
	map_fixed(alloc.out_ioas_id, ro_buf, PAGE, ro_iova,
		  IOMMU_IOAS_MAP_READABLE);
	printf("driver: IOAS %u: buffer at IOVA %#llx (read-write), "
	       "table at IOVA %#llx (read-only)\n", alloc.out_ioas_id,
	       (unsigned long long)rw_iova, (unsigned long long)ro_iova);

	if (uiommufd_mock_device_create(fd, alloc.out_ioas_id, 0, &dev))
		die("uiommufd_mock_device_create");
	printf("device %u attached to IO page table (hwpt) %u\n", dev.idev_id,
	       dev.hwpt_id);

	/* 1. DMA into the read-write buffer. */
	snprintf(msg, sizeof(msg), "hello from device %u", dev.idev_id);
	if (uiommufd_dma(fd, dev.idev_id, rw_iova, msg, strlen(msg) + 1,
			 UIOMMUFD_DMA_WRITE))
		die("DMA write");
	printf("device: wrote \"%s\" at IOVA %#llx\n", msg,
	       (unsigned long long)rw_iova);
	printf("driver: buffer now holds \"%s\"\n", rw_buf);
	if (strcmp(rw_buf, msg))
		return 1;

	/* 2. The read-only mapping: reads work, writes are refused. */
	if (uiommufd_dma(fd, dev.idev_id, ro_iova, got, sizeof(got), 0))
		die("DMA read");
	got[sizeof(got) - 1] = 0;
	printf("device: read \"%s\" at IOVA %#llx\n", got,
	       (unsigned long long)ro_iova);
	rc = uiommufd_dma(fd, dev.idev_id, ro_iova, msg, 8, UIOMMUFD_DMA_WRITE);
	printf("device: write at IOVA %#llx refused: %s\n",
	       (unsigned long long)ro_iova, rc ? strerror(errno) : "NOT REFUSED");
	if (!rc || errno != EPERM || strcmp(ro_buf, got))
		return 1;

	/* 3. IO page faults: a second device behind an IOPF-capable hwpt. */
	if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa))
		die("IOMMU_FAULT_QUEUE_ALLOC");
	parent.dev_id = dev.idev_id;
	parent.pt_id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &parent))
		die("IOMMU_HWPT_ALLOC (parent)");
	iopf.dev_id = dev.idev_id;
	iopf.pt_id = parent.out_hwpt_id;
	iopf.fault_id = fa.out_fault_id;
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &iopf))
		die("IOMMU_HWPT_ALLOC (iopf)");
	if (uiommufd_mock_device_create(fd, iopf.out_hwpt_id, 0, &dev2))
		die("uiommufd_mock_device_create");
	printf("device %u attached to hwpt %u, whose faults go to queue %u\n",
	       dev2.idev_id, iopf.out_hwpt_id, fa.out_fault_id);

	snprintf(msg, sizeof(msg), "late data from device %u", dev2.idev_id);
	rc = uiommufd_dma(fd, dev2.idev_id, hole_iova + 0x10, msg,
			  strlen(msg) + 1, UIOMMUFD_DMA_WRITE);
	printf("device: write at IOVA %#llx: %s\n",
	       (unsigned long long)hole_iova + 0x10,
	       rc ? strerror(errno) : "done");
	if (!rc || errno != EAGAIN)
		return 1;

	pfd = (struct pollfd){ .fd = (int)fa.out_fault_fd, .events = POLLIN };
	if (poll(&pfd, 1, 1000) != 1)
		die("poll fault fd");
	if (read(pfd.fd, &rec, sizeof(rec)) != sizeof(rec))
		die("read fault fd");
	printf("driver: page fault from device %u at IOVA %#llx (%s), cookie %u\n",
	       rec.dev_id, (unsigned long long)rec.addr,
	       rec.perm & IOMMU_PGFAULT_PERM_WRITE ? "write" : "read",
	       rec.cookie);
	served = page_buffer("");
	map_fixed(alloc.out_ioas_id, served, PAGE, rec.addr & ~(PAGE - 1),
		  IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
	resp = (struct iommu_hwpt_page_response){
		.cookie = rec.cookie, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	if (write(pfd.fd, &resp, sizeof(resp)) != sizeof(resp))
		die("write fault fd");
	printf("driver: mapped a page at IOVA %#llx and answered the fault\n",
	       (unsigned long long)rec.addr & ~(PAGE - 1));

	if (uiommufd_dma(fd, dev2.idev_id, hole_iova + 0x10, msg,
			 strlen(msg) + 1, UIOMMUFD_DMA_WRITE))
		die("DMA retry");
	printf("device: retried; the new page holds \"%s\"\n", served + 0x10);
	if (strcmp(served + 0x10, msg))
		return 1;
	close(pfd.fd);
	close(fd);
	printf("dma_device: all three cases behaved\n");
	return 0;
}
