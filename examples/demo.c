// SPDX-License-Identifier: MIT
/*
 * demo: an ordinary iommufd program. It knows nothing of uiommufd: run it
 * under `uiommufd-run -- demo` (or on a kernel with CONFIG_IOMMUFD).
 *
 * It allocates two IO address spaces, maps buffers into the first, copies a
 * mapping into the second, lists the usable IOVA ranges, restricts the
 * allowed ranges, and unmaps everything, printing each step.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

static int iommufd;

static void die(const char *what)
{
	fprintf(stderr, "demo: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd))
		die("IOMMU_IOAS_ALLOC");
	printf("IOAS_ALLOC                -> ioas %u\n", cmd.out_ioas_id);
	return cmd.out_ioas_id;
}

static uint64_t map(uint32_t ioas, void *buf, size_t len, uint64_t iova,
		    uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &cmd))
		die("IOMMU_IOAS_MAP");
	printf("IOAS_MAP    ioas %u  %7zu bytes at va %p %s -> iova 0x%" PRIx64 "\n",
	       ioas, len, buf,
	       (flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? "(fixed)" : "(auto) ",
	       (uint64_t)cmd.iova);
	return cmd.iova;
}

static void ranges(uint32_t ioas)
{
	struct iommu_iova_range r[8];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)r,
	};

	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		die("IOMMU_IOAS_IOVA_RANGES");
	printf("IOVA_RANGES ioas %u: %u range(s), alignment %" PRIu64 "\n", ioas,
	       cmd.num_iovas, (uint64_t)cmd.out_iova_alignment);
	for (uint32_t i = 0; i < cmd.num_iovas && i < 8; i++)
		printf("    [0x%016" PRIx64 " .. 0x%016" PRIx64 "]\n",
		       (uint64_t)r[i].start, (uint64_t)r[i].last);
}

static uint64_t unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .iova = iova, .length = len };

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd))
		die("IOMMU_IOAS_UNMAP");
	return cmd.length;
}

int main(void)
{
	size_t sz = 64 * 1024, huge = 2 << 20;
	/*
	 * Automatic IOVAs keep the buffer's alignment (up to the huge page
	 * size), so start the buffers on a 2 MiB boundary: the IOVAs chosen
	 * are then the same on every run.
	 */
	char *mem = mmap(NULL, 4 * sz + huge, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf;
	uint64_t a, b, c, n;

	if (mem == MAP_FAILED)
		die("mmap");
	buf = (char *)(((uintptr_t)mem + huge - 1) & ~(uintptr_t)(huge - 1));
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0) {
		fprintf(stderr, "demo: open /dev/iommu: %s: run it under uiommufd-run "
			"-- demo (or on a kernel with CONFIG_IOMMUFD)\n", strerror(errno));
		return 1;
	}
	printf("opened /dev/iommu as fd %d\n\n", iommufd);

	uint32_t ioas1 = ioas_alloc();
	uint32_t ioas2 = ioas_alloc();
	ranges(ioas1);

	printf("\n-- map three buffers into ioas %u --\n", ioas1);
	a = map(ioas1, buf, sz, 0, 0);
	b = map(ioas1, buf + sz, 2 * sz, 0, IOMMU_IOAS_MAP_WRITEABLE);
	c = map(ioas1, buf + 3 * sz, sz, 0x10000000,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE);

	printf("\n-- copy iova 0x%" PRIx64 " of ioas %u into ioas %u --\n", b,
	       ioas1, ioas2);
	struct iommu_ioas_copy cp = {
		.size = sizeof(cp),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = ioas2,
		.src_ioas_id = ioas1,
		.length = 2 * sz,
		.src_iova = b,
	};
	if (ioctl(iommufd, IOMMU_IOAS_COPY, &cp))
		die("IOMMU_IOAS_COPY");
	printf("IOAS_COPY   %" PRIu64 " bytes -> ioas %u iova 0x%" PRIx64
	       " (same pages, no second pin)\n",
	       (uint64_t)cp.length, ioas2, (uint64_t)cp.dst_iova);

	printf("\n-- a range that cuts an area is refused --\n");
	struct iommu_ioas_unmap um = { .size = sizeof(um), .ioas_id = ioas1,
				       .iova = b, .length = sz };
	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &um) == 0 || errno != ENOENT)
		die("partial unmap was not refused");
	printf("IOAS_UNMAP  ioas %u iova 0x%" PRIx64 " len %zu -> %s\n", ioas1, b,
	       sz, strerror(errno));

	printf("\n-- restrict ioas %u to [0x100000, 0x1fffff] --\n", ioas2);
	struct iommu_iova_range allow = { .start = 0x100000, .last = 0x1fffff };
	struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .ioas_id = ioas2,
					     .num_iovas = 1,
					     .allowed_iovas = (uintptr_t)&allow };
	if (ioctl(iommufd, IOMMU_IOAS_ALLOW_IOVAS, &al))
		die("IOMMU_IOAS_ALLOW_IOVAS");
	map(ioas2, buf, sz, 0, 0);

	printf("\n-- unmap --\n");
	n = unmap(ioas1, a, sz);
	printf("IOAS_UNMAP  ioas %u iova 0x%" PRIx64 " -> %" PRIu64 " bytes\n",
	       ioas1, a, n);
	n = unmap(ioas1, 0, UINT64_MAX);
	printf("IOAS_UNMAP  ioas %u all               -> %" PRIu64 " bytes\n",
	       ioas1, n);
	n = unmap(ioas2, 0, UINT64_MAX);
	printf("IOAS_UNMAP  ioas %u all               -> %" PRIu64 " bytes\n",
	       ioas2, n);
	(void)c;

	struct iommu_destroy d = { .size = sizeof(d), .id = ioas1 };
	if (ioctl(iommufd, IOMMU_DESTROY, &d))
		die("IOMMU_DESTROY");
	d.id = ioas2;
	if (ioctl(iommufd, IOMMU_DESTROY, &d))
		die("IOMMU_DESTROY");
	printf("\nDESTROY     ioas %u and %u\n", ioas1, ioas2);
	close(iommufd);
	munmap(mem, 4 * sz + huge);
	printf("done\n");
	return 0;
}
