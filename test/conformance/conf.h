/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the conformance tests. These binaries know nothing of
 * uiommufd: they open /dev/iommu and issue ioctls, so the same binary runs
 * in the reference kernel (test/oracle/run-conformance.sh) and under
 * uiommufd-run. Every expectation was checked in the reference kernel.
 */
#ifndef CONF_H
#define CONF_H

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
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#define PAGE 4096ul

static inline int iommufd_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "open /dev/iommu: %s\n", strerror(errno));
		abort();
	}
	return fd;
}

/* ioctl returning 0 or the errno, so assertions read as the kernel's. */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

static inline uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };

	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, &c), 0);
	return c.out_ioas_id;
}

static inline int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &d);
}

static inline int map(int fd, uint32_t ioas, const void *va, uint64_t len,
		      uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)va, .length = len, .iova = iova ? *iova : 0,
	};
	int rc = xioctl(fd, IOMMU_IOAS_MAP, &m);

	if (!rc && iova)
		*iova = m.iova;
	return rc;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define FIXED (IOMMU_IOAS_MAP_FIXED_IOVA)

static inline int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len,
			uint64_t *unmapped)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = len };
	int rc = xioctl(fd, IOMMU_IOAS_UNMAP, &u);

	if (unmapped)
		*unmapped = u.length;
	return rc;
}

/* A buffer whose address is 2 MiB aligned plus `offset`. */
static inline char *aligned_buffer(size_t len, size_t offset)
{
	size_t total = len + offset + (4ul << 20);
	char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	p = (char *)(((uintptr_t)p + (2ul << 20) - 1) & ~((2ul << 20) - 1));
	return p + offset;
}

#endif
