// SPDX-License-Identifier: MIT
/*
 * A VMM's iommufd backend on emulated vfio-pci devices behind the emulated
 * Intel VT-d IOMMU, call by call as QEMU 10's `-object iommufd` with
 * `-device vfio-pci,host=BDF,iommufd=ID` makes them (docs/real-clients.md):
 * the cdev found through sysfs, BIND, GET_HW_INFO, IOAS_ALLOC, HWPT_ALLOC
 * (dirty tracking asked only when the IOMMU reports it), ATTACH to the
 * hwpt, IOVA_RANGES, guest RAM mapped at IOVA 0, a second device reusing
 * the hwpt, a BAR mapping refused, unmapping in halves, and the teardown.
 * The expected values are Linux 6.12's: drivers/vfio/device_cdev.c,
 * drivers/iommu/iommufd/{device,hw_pagetable,io_pagetable,ioas}.c and the
 * Intel driver's domain geometry and reserved regions. Run by meson with
 * 0000:06:00.0 in group 60 and 0000:07:00.0 in group 61.
 */
#include <dirent.h>
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

#define BDF0 "0000:06:00.0"
#define BDF1 "0000:07:00.0"
#define RAM_SIZE (16ull << 20)
#define BIOS_IOVA 0xfffc0000ull
#define BIOS_SIZE 0x40000ull

static long xioctl(int fd, unsigned long req, void *arg)
{
	long rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

/*
 * The cdev of a device as QEMU finds it: the one vfioX entry of
 * BDF/vfio-dev, its dev file's major:minor, and /dev/vfio/devices/vfioX
 * opened and checked to be that character device.
 */
static int open_cdev(const char *bdf)
{
	char path[128], name[64], devfile[200], buf[32];
	unsigned int maj, min;
	struct dirent *de;
	struct stat st;
	int fd = -1;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			break;
	assert_non_null(de);
	snprintf(name, sizeof(name), "%.63s", de->d_name);
	closedir(d);
	snprintf(devfile, sizeof(devfile), "%s/%s/dev", path, name);
	f = fopen(devfile, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(sscanf(buf, "%u:%u", &maj, &min), 2);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_true(st.st_rdev == makedev(maj, min));
	return fd;
}

static uint32_t bind(int dev, int iommufd)
{
	struct vfio_device_bind_iommufd b = {
		.argsz = sizeof(b), .iommufd = iommufd };

	assert_int_equal(xioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	return b.out_devid;
}

static long attach(int dev, uint32_t *pt_id)
{
	struct vfio_device_attach_iommufd_pt a = {
		.argsz = sizeof(a), .pt_id = *pt_id };
	long rc = xioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

	*pt_id = a.pt_id;
	return rc;
}

static long hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id,
		       uint32_t flags, uint32_t *out)
{
	struct iommu_hwpt_alloc h = {
		.size = sizeof(h), .flags = flags, .dev_id = dev_id,
		.pt_id = pt_id, .data_type = IOMMU_HWPT_DATA_NONE };
	long rc = xioctl(fd, IOMMU_HWPT_ALLOC, &h);

	*out = h.out_hwpt_id;
	return rc;
}

static long ioas_map(int fd, uint32_t ioas, void *va, uint64_t len,
		     uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .user_va = (uintptr_t)va, .length = len,
		.iova = iova };

	return xioctl(fd, IOMMU_IOAS_MAP, &m);
}

static long ioas_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len,
		       uint64_t *unmapped)
{
	struct iommu_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova, .length = len };
	long rc = xioctl(fd, IOMMU_IOAS_UNMAP, &u);

	*unmapped = u.length;
	return rc;
}

static long destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &d);
}

/*
 * The allowed IOVA ranges, asked the way QEMU asks: first with no room
 * (EMSGSIZE and the count), then with room for them.
 */
static uint32_t iova_ranges(int fd, uint32_t ioas,
			    struct iommu_iova_range *r, uint32_t max,
			    uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas };

	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), -EMSGSIZE);
	assert_true(q.num_iovas <= max);
	q.allowed_iovas = (uintptr_t)r;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	*alignment = q.out_iova_alignment;
	return q.num_iovas;
}

static void test_qemu_iommufd_backend(void **state)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info hi = { .size = sizeof(hi) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
	struct iommu_iova_range r[4];
	uint64_t align, unmapped;
	uint32_t devid0, devid1, ioas, hwpt, pt, other;
	unsigned char big[sizeof(vtd) + 8];
	void *ram, *bios, *bar;
	int fd, d0, d1;

	(void)state;
	d0 = open_cdev(BDF0);
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	devid0 = bind(d0, fd);
	assert_int_equal(devid0, 1);

	/* GET_HW_INFO with no buffer: the type, the data's size, no caps. */
	hi.dev_id = devid0;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.out_data_type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	assert_int_equal(hi.data_len, sizeof(vtd));
	assert_true(!(hi.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING));
	/* With the VT-d struct: a 48-bit MGAW (QEMU's aw_bits); a larger
	 * buffer's tail is cleared and data_len says what was there. */
	memset(big, 0xa5, sizeof(big));
	hi.data_uptr = (uintptr_t)big;
	hi.data_len = sizeof(big);
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.data_len, sizeof(vtd));
	memcpy(&vtd, big, sizeof(vtd));
	assert_int_equal(((vtd.cap_reg >> 16) & 0x3f) + 1, 48);
	for (size_t i = sizeof(vtd); i < sizeof(big); i++)
		assert_int_equal(big[i], 0);

	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, &ia), 0);
	ioas = ia.out_ioas_id;
	assert_int_equal(ioas, 2);

	/* No dirty tracking and no nesting on this IOMMU: both refused. */
	assert_int_equal(hwpt_alloc(fd, devid0, ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, devid0, ioas,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt),
			 -EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, devid0, ioas, 0, &hwpt), 0);
	assert_int_equal(hwpt, 3);
	/* A nested hwpt needs driver data. */
	assert_int_equal(hwpt_alloc(fd, devid0, hwpt, 0, &other), -EOPNOTSUPP);
	pt = hwpt;
	assert_int_equal(attach(d0, &pt), 0);
	assert_int_equal(pt, hwpt);

	/* The domain's 48-bit aperture less the interrupt window. */
	assert_int_equal(iova_ranges(fd, ioas, r, 4, &align), 2);
	assert_int_equal(align, 4096);
	assert_true(r[0].start == 0 && r[0].last == 0xfedfffffull);
	assert_true(r[1].start == 0xfef00000ull &&
		    r[1].last == (1ull << 48) - 1);

	/* Guest RAM at IOVA 0, the BIOS read-only below 4 GiB. */
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bios = mmap(NULL, BIOS_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED && bios != MAP_FAILED);
	assert_int_equal(ioas_map(fd, ioas, ram, RAM_SIZE, 0,
				  IOMMU_IOAS_MAP_READABLE |
				  IOMMU_IOAS_MAP_WRITEABLE), 0);
	assert_int_equal(ioas_map(fd, ioas, bios, BIOS_SIZE, BIOS_IOVA,
				  IOMMU_IOAS_MAP_READABLE), 0);
	/* The interrupt window and what lies past the aperture are reserved:
	 * a fixed IOVA there is EINVAL (iopt_check_iova). */
	assert_int_equal(ioas_map(fd, ioas, bios, 0x1000, 0xfee00000ull,
				  IOMMU_IOAS_MAP_READABLE), -EINVAL);
	assert_int_equal(ioas_map(fd, ioas, bios, 0x1000, 1ull << 48,
				  IOMMU_IOAS_MAP_READABLE), -EINVAL);

	/* A second device: QEMU tries the hwpt it already has first. */
	d1 = open_cdev(BDF1);
	devid1 = bind(d1, fd);
	assert_int_equal(devid1, 4);
	pt = hwpt;
	assert_int_equal(attach(d1, &pt), 0);
	assert_int_equal(pt, hwpt);
	/* An attached hwpt cannot go. */
	assert_int_equal(destroy(fd, hwpt), -EBUSY);

	/*
	 * A BAR's mmap is device memory: pinning it fails (the kernel's
	 * pin_user_pages on a VM_PFNMAP vma), so its IOAS_MAP is EFAULT with
	 * a domain attached, and nothing is left at that IOVA.
	 */
	assert_int_equal(xioctl(d0, VFIO_DEVICE_GET_REGION_INFO, &ri), 0);
	assert_true(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, d0,
		   (off_t)ri.offset);
	assert_true(bar != MAP_FAILED);
	assert_int_equal(ioas_map(fd, ioas, bar, 0x1000, 0xfebfe000ull,
				  IOMMU_IOAS_MAP_READABLE |
				  IOMMU_IOAS_MAP_WRITEABLE), -EFAULT);
	assert_int_equal(ioas_unmap(fd, ioas, 0xfebfe000ull, 0x1000, &unmapped),
			 -ENOENT);
	munmap(bar, ri.size);

	/* QEMU's unmap-all: two halves of the 64-bit space. */
	assert_int_equal(ioas_unmap(fd, ioas, 0, 1ull << 63, &unmapped), 0);
	assert_true(unmapped == RAM_SIZE + BIOS_SIZE);
	assert_int_equal(ioas_unmap(fd, ioas, 1ull << 63, 1ull << 63,
				    &unmapped), -ENOENT);
	/* The whole space at once succeeds even when empty. */
	assert_int_equal(ioas_unmap(fd, ioas, 0, UINT64_MAX, &unmapped), 0);
	assert_true(unmapped == 0);

	/* Teardown: detach each device, then the hwpt and the IOAS go. */
	assert_int_equal(xioctl(d1, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(destroy(fd, hwpt), -EBUSY);
	assert_int_equal(xioctl(d0, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(xioctl(d0, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(destroy(fd, hwpt), 0);
	/* No domain, no reserved window: the whole space again. */
	assert_int_equal(iova_ranges(fd, ioas, r, 4, &align), 1);
	assert_true(r[0].start == 0 && r[0].last == UINT64_MAX);
	assert_int_equal(align, 1);
	assert_int_equal(destroy(fd, ioas), 0);
	close(d1);
	close(d0);
	/* Closing the cdevs unbound the devices. */
	assert_int_equal(destroy(fd, devid0), -ENOENT);
	assert_int_equal(destroy(fd, devid1), -ENOENT);
	close(fd);
	munmap(ram, RAM_SIZE);
	munmap(bios, BIOS_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_iommufd_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
