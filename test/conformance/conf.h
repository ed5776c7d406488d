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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#define PAGE 4096ul

/*
 * The helpers below that only some files call are static and not inline,
 * as they were while each file had its own copy: inlined into every test,
 * gcc flags the out-parameters a test reads after a failed non-fatal check
 * (conf_hostile's EXPECT) as maybe uninitialized.
 */
#define HELPER static __attribute__((unused))

/* ioctl returning 0 or the errno, so assertions read as the kernel's. */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

/* ioctl returning its value, or -errno (the VFIO ioctls return values). */
static inline long vioctl(int fd, unsigned long req, void *arg)
{
	long rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

static inline int iommufd_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "open /dev/iommu: %s\n", strerror(errno));
		abort();
	}
	return fd;
}

/*
 * The context the fixtures give each test: ctx_setup opens it, ctx_teardown
 * closes it. A file with more to set up opens it in its own setup.
 */
static int fd;

static inline int ctx_setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	return 0;
}

static inline int ctx_teardown(void **state)
{
	(void)state;
	close(fd);
	return 0;
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

HELPER int allow(int fd, uint32_t ioas, const void *ranges, uint32_t n)
{
	struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = ioas,
					    .num_iovas = n,
					    .allowed_iovas = (uintptr_t)ranges };

	return xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
}

HELPER int copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t len, uint64_t *dst_iova, uint32_t flags)
{
	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = flags,
				     .dst_ioas_id = dst, .src_ioas_id = src,
				     .length = len, .src_iova = src_iova,
				     .dst_iova = dst_iova ? *dst_iova : 0 };
	int rc = xioctl(fd, IOMMU_IOAS_COPY, &c);

	if (!rc && dst_iova)
		*dst_iova = c.dst_iova;
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

/* ------------------------------------------------------------------ */
/* hwpts and dirty tracking */

HELPER int hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags,
		      uint32_t type, const void *data, uint32_t len,
		      uint32_t *out)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = flags, .dev_id = dev, .pt_id = pt,
		.data_type = type, .data_len = len, .data_uptr = (uintptr_t)data };
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &a);

	if (!rc && out)
		*out = a.out_hwpt_id;
	return rc;
}

/* IOMMU_HWPT_INVALIDATE: errno; *entry_num, the entries handled. */
HELPER int invalidate(int fd, uint32_t id, uint32_t type,
		      const void *data, uint32_t entry_len,
		      uint32_t *entry_num)
{
	struct iommu_hwpt_invalidate iv = {
		.size = sizeof(iv), .hwpt_id = id, .data_uptr = (uintptr_t)data,
		.data_type = type, .entry_len = entry_len,
		.entry_num = *entry_num };
	int rc = xioctl(fd, IOMMU_HWPT_INVALIDATE, &iv);

	*entry_num = iv.entry_num;
	return rc;
}

HELPER int set_tracking(int fd, uint32_t id, uint32_t flags)
{
	struct iommu_hwpt_set_dirty_tracking s = {
		.size = sizeof(s), .flags = flags, .hwpt_id = id };

	return xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
}

HELPER int get_bitmap(int fd, uint32_t id, uint64_t iova, uint64_t len,
		      uint64_t ps, void *data, uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = id, .flags = flags, .iova = iova,
		.length = len, .page_size = ps, .data = (uintptr_t)data };

	return xioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

/* ------------------------------------------------------------------ */
/* the selftest driver's IOMMU_TEST_CMD */

HELPER int test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return xioctl(fd, IOMMU_TEST_CMD, c);
}

/* IOMMU_TEST_OP_DIRTY: mark what bits names; returns errno, *n marked. */
HELPER int mark_dirty(int fd, uint32_t id, uint64_t iova, uint64_t len,
		      uint64_t ps, const void *bits, uint64_t *n)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_DIRTY, .id = id,
		.dirty = { .iova = iova, .length = len, .page_size = ps,
			   .uptr = (uintptr_t)bits } };
	int rc = test_cmd(fd, &c);

	if (n)
		*n = c.dirty.out_nr_dirty;
	return rc;
}

HELPER int check_map(int fd, uint32_t hwpt, uint64_t iova, const void *p,
		     uint64_t len)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)p } };

	return test_cmd(fd, &c);
}

HELPER int check_refs(int fd, const void *p, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len, .uptr = (uintptr_t)p, .refs = refs } };

	return test_cmd(fd, &c);
}

/* An access on ioas_id: errno; its fd in *afd. */
HELPER int create_access(int fd, uint32_t ioas_id, uint32_t flags,
			 int *afd)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_CREATE_ACCESS,
				    .id = ioas_id, .create_access.flags = flags };
	int rc = test_cmd(fd, &c);

	if (!rc)
		*afd = (int)c.create_access.out_access_fd;
	return rc;
}

/* ACCESS_RW: with MOCK_ACCESS_RW_WRITE b goes to the IOVA, without, into b. */
HELPER int access_rw(int fd, int afd, uint64_t iova, const void *b,
		     uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)afd,
		.access_rw = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)b, .flags = flags } };

	return test_cmd(fd, &c);
}

/* ACCESS_PAGES: errno; the pin's id in *item. */
HELPER int access_pages(int fd, int afd, uint64_t iova, uint64_t len,
			const void *uptr, uint32_t flags, uint32_t *item)
{
	struct iommu_test_cmd c = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)afd,
		.access_pages = { .flags = flags, .iova = iova, .length = len,
				  .uptr = (uintptr_t)uptr } };
	int rc = test_cmd(fd, &c);

	if (!rc && item)
		*item = c.access_pages.out_access_pages_id;
	return rc;
}

HELPER int unpin(int fd, int afd, uint32_t item)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
				    .id = (uint32_t)afd,
				    .destroy_access_pages.access_pages_id = item };

	return test_cmd(fd, &c);
}

/* ------------------------------------------------------------------ */
/* the VFIO type1 container (answers as vioctl's: a value or -errno) */

HELPER long vmap(int fd, const void *va, uint64_t iova, uint64_t size,
		 uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = flags, .vaddr = (uintptr_t)va,
		.iova = iova, .size = size };

	return vioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
}

/* UNMAP_DMA: *out (if given), the size the kernel answers. */
HELPER long vunmap(int fd, uint64_t iova, uint64_t size, uint32_t flags,
		   uint64_t *out)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = size };
	long rc = vioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);

	if (out)
		*out = u.size;
	return rc;
}

/* IOMMU_VFIO_IOAS: op on the container's IOAS, in and out through *id. */
HELPER long vfio_ioas(int fd, uint16_t op, uint32_t *id)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = op,
				     .ioas_id = id ? *id : 0 };
	long rc = vioctl(fd, IOMMU_VFIO_IOAS, &v);

	if (!rc && id)
		*id = v.ioas_id;
	return rc;
}

/* ------------------------------------------------------------------ */
/* files: read/write as -errno, passing fds */

/* read() and write(): the byte count, or -errno. */
HELPER long xread(int f, void *buf, size_t n)
{
	ssize_t r = read(f, buf, n);

	return r < 0 ? -errno : r;
}

HELPER long xwrite(int f, const void *buf, size_t n)
{
	ssize_t r = write(f, buf, n);

	return r < 0 ? -errno : r;
}

/* Send fd over a unix socket with one byte (SCM_RIGHTS): 0 or -1. */
HELPER int send_fd(int sock, int f)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &f, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

/* The fd send_fd() sent, or -1. */
HELPER int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int f = -1;

	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&f, CMSG_DATA(cm), sizeof(int));
	return f;
}

#endif
