// SPDX-License-Identifier: MIT
/*
 * mmap of BARs (vfio_pci_core_mmap() and the mmap system call's own
 * checks, 6.12): MAP_SHARED only, page-aligned offsets, the BAR's end,
 * PROT_EXEC on a noexec file, the file mode, regions without the MMAP
 * flag; loads and stores through a mapping reach the registers pread and
 * pwrite see (model-specific), from several threads and from a forked
 * child; memory decoding off, D3hot and low power fault (SIGBUS, to the
 * program's handler or killing it); munmap; a mapping keeps the device
 * file open.
 *
 *     test_vfio_mmap BDF[@GROUP]
 */
#include <linux/pci_regs.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "vfio_test.h"

static struct vt_gdev gd;

static int open_dev(void **state)
{
	vt_test_setup(state);
	vt_gdev_open(vt_dev(), &gd);
	return 0;
}

static int close_dev(void **state)
{
	vt_gdev_close(&gd);
	return vt_test_teardown(state);
}

#define DEV_TEST(f) cmocka_unit_test_setup_teardown(f, open_dev, close_dev)

/* mmap returning the address or -errno. */
static long vmap(void **p, size_t len, int prot, int flags, int fd, off_t off)
{
	*p = mmap(NULL, len, prot, flags, fd, off);
	return *p == MAP_FAILED ? -errno : 0;
}

/* A mappable memory BAR, or -1. */
static int mappable_bar(int d, struct vfio_region_info *ri)
{
	for (unsigned int i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
		if (!vt_region_info(d, i, ri) && (ri->flags & VFIO_REGION_INFO_FLAG_MMAP))
			return (int)i;
	return -1;
}

/* Map BAR bar; skips the test while uiommufd cannot trap a mapping. */
static void *map_bar(int d, int bar, size_t len)
{
	void *p;
	long rc = vmap(&p, len, PROT_READ | PROT_WRITE, MAP_SHARED, d, VT_REGION(bar));

	if (rc == -ENOSYS && vt_uiommufd()) {
		fprintf(stderr, "# mmap of a BAR is ENOSYS: the trap module is not in\n");
		skip();
	}
	assert_int_equal(rc, 0);
	return p;
}

static void test_mmap_checks(void **state)
{
	struct vfio_region_info ri;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int d = gd.device, bar = mappable_bar(d, &ri);
	size_t len;
	void *p;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	/* Regions that are never mappable. */
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d, VT_CFG), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d,
			      VT_REGION(VFIO_PCI_ROM_REGION_INDEX)), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d,
			      VT_REGION(VFIO_PCI_VGA_REGION_INDEX)), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d,
			      VT_REGION(di.num_regions)), -EINVAL);
	for (unsigned int i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		struct vfio_region_info r;

		assert_int_equal(vt_region_info(d, i, &r), 0);
		if (!(r.flags & VFIO_REGION_INFO_FLAG_MMAP))
			assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d,
					      VT_REGION(i)), -EINVAL);
	}
	if (bar < 0)
		return;
	len = (ri.size + VT_PAGE - 1) & ~(size_t)(VT_PAGE - 1);
	/* The system call's own checks. */
	assert_int_equal(vmap(&p, 0, PROT_READ, MAP_SHARED, d, VT_REGION(bar)), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d, VT_REGION(bar) + 8),
			 -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, 0, d, VT_REGION(bar)), -EINVAL);
	/* MAP_SHARED_VALIDATE: flags this file does not know are refused. */
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, d,
			      VT_REGION(bar)), -EOPNOTSUPP);
	/* vfio-pci's: shared only, inside the BAR (rounded up to pages). */
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_PRIVATE, d, VT_REGION(bar)), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, d,
			      VT_REGION(bar)), -EINVAL);
	assert_int_equal(vmap(&p, len + VT_PAGE, PROT_READ, MAP_SHARED, d, VT_REGION(bar)),
			 -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, d,
			      VT_REGION(bar) + (off_t)len), -EINVAL);
	if (len > VT_PAGE)
		assert_int_equal(vmap(&p, 2 * VT_PAGE, PROT_READ, MAP_SHARED, d,
				      VT_REGION(bar) + (off_t)len - VT_PAGE), -EINVAL);
	/* A length that is not a whole page is rounded up. */
	if (!vmap(&p, 1, PROT_READ, MAP_SHARED, d, VT_REGION(bar)))
		munmap(p, 1);
	else if (!vt_uiommufd())
		fail_msg("a 1-byte mapping failed");
}

/*
 * MAP_FIXED over a BAR mapping that the mmap system call refuses before
 * the file's mmap (an unaligned offset, a zero length, a flag MAP_SHARED_
 * VALIDATE does not know, MAP_FIXED_NOREPLACE, the file's mode) leaves the
 * mapping as it was; one that vfio-pci refuses (past the BAR) leaves a
 * hole where it was (6.12's mmap_region). fuzz_vfio found the first kind
 * taking the mapping's trap with it: the next access was a SIGSEGV.
 */
static void test_mmap_fixed_refused(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device, bar = mappable_bar(d, &ri), ro;
	volatile uint8_t *p;
	unsigned char vec;
	size_t len;

	(void)state;
	if (bar < 0)
		skip();
	len = (ri.size + VT_PAGE - 1) & ~(size_t)(VT_PAGE - 1);
	p = map_bar(d, bar, VT_PAGE);
	(void)p[0];
	errno = 0;
	assert_true(mmap((void *)p, VT_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, d,
			 VT_REGION(bar) + 8) == MAP_FAILED && errno == EINVAL);
	assert_true(mmap((void *)p, 0, PROT_READ, MAP_SHARED | MAP_FIXED, d,
			 VT_REGION(bar)) == MAP_FAILED && errno == EINVAL);
	assert_true(mmap((void *)p, VT_PAGE, PROT_READ,
			 MAP_SHARED_VALIDATE | MAP_FIXED | MAP_SYNC, d,
			 VT_REGION(bar)) == MAP_FAILED && errno == EOPNOTSUPP);
	assert_true(mmap((void *)p, VT_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
			 d, VT_REGION(bar)) == MAP_FAILED && errno == EEXIST);
	assert_true(mmap((void *)p, VT_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_HUGETLB,
			 d, VT_REGION(bar)) == MAP_FAILED && errno == EINVAL);
	ro = open(vt_dev()->cdev_path[0] ? vt_dev()->cdev_path : "/dev/null",
		  O_RDONLY | O_CLOEXEC);
	if (ro >= 0) {
		assert_true(mmap((void *)p, VT_PAGE, PROT_WRITE, MAP_SHARED | MAP_FIXED, ro,
				 VT_REGION(bar)) == MAP_FAILED && errno == EACCES);
		close(ro);
	}
	/* Still mapped, still the BAR. */
	assert_int_equal(mincore((void *)p, VT_PAGE, &vec), 0);
	(void)p[0];
	/* Past the BAR: vfio-pci refuses it, the old mapping is gone. */
	assert_true(mmap((void *)p, VT_PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, d,
			 VT_REGION(bar) + (off_t)len) == MAP_FAILED && errno == EINVAL);
	assert_int_equal(mincore((void *)p, VT_PAGE, &vec), -1);
	assert_int_equal(errno, ENOMEM);
}

/*
 * mmap of a VFIO file without mmap (a group, the container): the system
 * call's checks come before ENODEV.
 */
static void test_mmap_no_mmap(void **state)
{
	int c = vt_container_open();
	void *p;

	(void)state;
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, gd.group, 0), -ENODEV);
	assert_int_equal(vmap(&p, 0, PROT_READ, MAP_SHARED, gd.group, 0), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, gd.group, 1), -EINVAL);
	assert_int_equal(vmap(&p, SIZE_MAX, PROT_READ, MAP_SHARED, gd.group, 0), -ENOMEM);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, 0, gd.group, 0), -EINVAL);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC,
			      gd.group, 0), -EOPNOTSUPP);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, c, 0), -ENODEV);
	assert_int_equal(vmap(&p, (size_t)1 << 62, PROT_READ, MAP_SHARED, c, 0), -ENOMEM);
	close(c);
}

static bool path_noexec(const char *path)
{
	struct statvfs s;

	return !statvfs(path, &s) && (s.f_flag & ST_NOEXEC);
}

static void test_mmap_exec_and_mode(void **state)
{
	struct vfio_region_info ri;
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	int d = gd.device, bar = mappable_bar(d, &ri), c, fd;
	void *p;
	long rc;

	(void)state;
	if (bar < 0)
		skip();
	/* A group's device file is an anonymous inode, noexec in 6.12.y
	 * (anon_inode: raise SB_I_NODEV and SB_I_NOEXEC, for all LTS). */
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, d, VT_REGION(bar)),
			 -EPERM);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, d, VT_REGION(bar)),
			 -EPERM);
	vt_gdev_close(&gd);
	if (!vt_dev()->cdev_path[0] || (fd = vt_iommufd_open()) < 0)
		return;
	/* A cdev: as its file system is mounted. */
	c = open(vt_dev()->cdev_path, O_RDWR | O_CLOEXEC);
	assert_true(c >= 0);
	b.iommufd = fd;
	assert_int_equal(vt_ioctl(c, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	rc = vmap(&p, VT_PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, c, VT_REGION(bar));
	if (path_noexec("/dev")) {
		assert_int_equal(rc, -EPERM);
	} else {
		assert_int_equal(rc, 0);
		munmap(p, VT_PAGE);
	}
	close(c);
	/* Opened read-only: no writable shared mapping, and a read-only
	 * shared one is not shared to vfio (VM_SHARED is dropped). */
	c = open(vt_dev()->cdev_path, O_RDONLY | O_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(vt_ioctl(c, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c, VT_REGION(bar)),
			 -EACCES);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_READ, MAP_SHARED, c, VT_REGION(bar)), -EINVAL);
	close(c);
	/* Write-only: no mapping at all. */
	c = open(vt_dev()->cdev_path, O_WRONLY | O_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(vt_ioctl(c, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(vmap(&p, VT_PAGE, PROT_WRITE, MAP_SHARED, c, VT_REGION(bar)), -EACCES);
	close(c);
	close(fd);
}

static volatile uint64_t *scratch_at(void *p, const struct vt_model *m)
{
	return (volatile uint64_t *)((char *)p + m->scratch);
}

static void test_mmap_access(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	volatile uint64_t *r;
	uint64_t v;
	void *p;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	p = map_bar(gd.device, (int)m->bar, ri.size);
	r = scratch_at(p, m);
	/* A store is seen by pread, a pwrite by a load. */
	*r = 0x1122334455667740ull;
	assert_int_equal(vt_pread(gd.device, &v, 8, VT_REGION(m->bar) + (off_t)m->scratch), 8);
	assert_int_equal(v, 0x1122334455667740ull);
	v = 0x8040;
	assert_int_equal(vt_pwrite(gd.device, &v, 8, VT_REGION(m->bar) + (off_t)m->scratch), 8);
	assert_int_equal(*r, 0x8040);
	/* Narrower loads and stores. */
	assert_int_equal(((volatile uint32_t *)r)[0], 0x8040);
	((volatile uint16_t *)r)[1] = 0xabcd;
	assert_int_equal(*r, 0xabcd8040ull);
	((volatile uint8_t *)r)[7] = 0x12;
	assert_int_equal(*r, 0x12000000abcd8040ull);
	*r = 0;
	assert_int_equal(munmap(p, ri.size), 0);
}

/* A second mapping of the same BAR, at an offset: the same registers. */
/*
 * x86 has no write-only pages: a BAR mapped PROT_WRITE alone reads too
 * (protection_map gives PAGE_SHARED). fuzz_vfio found a load through
 * such a mapping refused (SIGSEGV) under uiommufd.
 */
static void test_mmap_write_only_reads(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	volatile uint64_t *r;
	void *p;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	assert_int_equal(vmap(&p, ri.size, PROT_WRITE, MAP_SHARED, gd.device,
			      VT_REGION(m->bar)), 0);
	r = scratch_at(p, m);
	*r = 0x5a5a0000a5a5ull;
	assert_int_equal(*r, 0x5a5a0000a5a5ull);
	assert_int_equal(((volatile uint16_t *)r)[1], 0);
	*r = 0;
	assert_int_equal(munmap(p, ri.size), 0);
}

static void test_mmap_two_mappings(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	void *p, *q;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	p = map_bar(gd.device, (int)m->bar, ri.size);
	q = map_bar(gd.device, (int)m->bar, VT_PAGE);
	*scratch_at(p, m) = 0x4c0;
	assert_int_equal(*scratch_at(q, m), 0x4c0);
	*scratch_at(q, m) = 0;
	munmap(p, ri.size);
	/* The other mapping lives on. */
	assert_int_equal(*scratch_at(q, m), 0);
	munmap(q, VT_PAGE);
}

struct thr {
	volatile uint64_t *r;
	int fd;
	off_t off;
	int bad;
};

static void *thr_main(void *a)
{
	struct thr *t = a;

	for (int i = 0; i < 2000; i++) {
		uint64_t v = *t->r, w = 0;

		if (v != 0x5c0)
			t->bad++;
		if (pread(t->fd, &w, 8, t->off) != 8 || w != 0x5c0)
			t->bad++;
	}
	return NULL;
}

static void test_mmap_threads(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	pthread_t th[4];
	struct thr t[4];
	void *p;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	p = map_bar(gd.device, (int)m->bar, ri.size);
	*scratch_at(p, m) = 0x5c0;
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ scratch_at(p, m), gd.device,
				     VT_REGION(m->bar) + (off_t)m->scratch, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	*scratch_at(p, m) = 0;
	munmap(p, ri.size);
}

static void test_mmap_fork(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	volatile uint64_t *r;
	void *p;
	pid_t pid;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	p = map_bar(gd.device, (int)m->bar, ri.size);
	r = scratch_at(p, m);
	*r = 0x6c0;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* The child's inherited mapping reaches the same device. */
		if (*r != 0x6c0)
			_exit(1);
		*r = 0x7c0;
		_exit(0);
	}
	assert_int_equal(vt_wait(pid), 0);
	assert_int_equal(*r, 0x7c0);
	*r = 0;
	munmap(p, ri.size);
}

static sigjmp_buf fault_env;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = info->si_code;
	fault_addr = info->si_addr;
	siglongjmp(fault_env, 1);
}

/* Touch addr (a load, or a store of 0x40); the signal it raised, or 0
 * (fault_code and fault_addr tell the rest). */
static int touch(volatile uint64_t *addr, bool write)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO },
			 obus, osegv;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	fault_sig = 0;
	fault_code = 0;
	fault_addr = NULL;
	if (!sigsetjmp(fault_env, 1)) {
		if (write)
			*addr = 0x40;
		else
			(void)*addr;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return fault_sig;
}

/* A load or store at addr raises SIGBUS, BUS_ADRERR at addr. */
static void assert_sigbus(volatile uint64_t *addr, bool write)
{
	assert_int_equal(touch(addr, write), SIGBUS);
	assert_int_equal(fault_code, BUS_ADRERR);
	assert_ptr_equal(fault_addr, (void *)addr);
}

/* In a forked child without a SIGBUS handler, a load at addr kills it
 * with SIGBUS. */
static void assert_child_dies_of_sigbus(volatile uint64_t *addr)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		/* The default action (a sanitizer may have its own). */
		signal(SIGBUS, SIG_DFL);
		(void)*addr;
		_exit(0);
	}
	assert_int_equal(vt_wait(pid), 128 + SIGBUS);
}

/*
 * A mapped access the kernel's fault handler refuses (vfio_pci_mmap_huge_
 * fault: memory decoding off in the virtual command register, the device
 * in D3hot, or low power engaged) raises SIGBUS at the address: to the
 * program's handler (which leaves it by siglongjmp), or killing a process
 * without one. A refused store does not reach the device.
 */
static void test_mmap_memory_disabled(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	int d = gd.device;
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	unsigned int pm = vt_find_cap(d, PCI_CAP_ID_PM);
	struct vfio_device_feature f = { .argsz = sizeof(f) };
	off_t reg;
	uint64_t v;
	void *p;

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_region_info(d, m->bar, &ri), 0);
	reg = VT_REGION(m->bar) + (off_t)m->scratch;
	p = map_bar(d, (int)m->bar, ri.size);
	assert_int_equal(touch(scratch_at(p, m), false), 0);
	*scratch_at(p, m) = 0x1c0;
	/* Decoding off: the mapping faults with SIGBUS. */
	vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	assert_sigbus(scratch_at(p, m), false);
	assert_sigbus(scratch_at(p, m), true);
	assert_child_dies_of_sigbus(scratch_at(p, m));
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(touch(scratch_at(p, m), false), 0);
	/* The store that faulted never reached the device. */
	assert_int_equal(vt_pread(d, &v, 8, reg), 8);
	assert_int_equal(v, 0x1c0);
	/* Low power engaged: SIGBUS until it is left. */
	f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &f), 0);
	assert_sigbus(scratch_at(p, m), false);
	assert_sigbus(scratch_at(p, m), true);
	f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &f), 0);
	assert_int_equal(touch(scratch_at(p, m), false), 0);
	/* D3hot (through the PM capability): SIGBUS; D0 again: served. */
	if (pm) {
		uint16_t ctrl = (uint16_t)vt_cfg_read(d, pm + PCI_PM_CTRL, 2);

		vt_cfg_write(d, pm + PCI_PM_CTRL, 2, (ctrl & ~PCI_PM_CTRL_STATE_MASK) | 3);
		if ((vt_cfg_read(d, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK) == 3) {
			assert_sigbus(scratch_at(p, m), false);
			assert_child_dies_of_sigbus(scratch_at(p, m));
		}
		vt_cfg_write(d, pm + PCI_PM_CTRL, 2, ctrl & ~PCI_PM_CTRL_STATE_MASK);
		/* Memory decoding may need restoring after a D3hot reset. */
		vt_cfg_write(d, PCI_COMMAND, 2, cmd);
		assert_int_equal(touch(scratch_at(p, m), false), 0);
	}
	*scratch_at(p, m) = 0;
	munmap(p, ri.size);
}

static void test_mmap_munmap(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	char *p;

	(void)state;
	if (!m || m->scratch >= VT_PAGE)
		skip();
	assert_int_equal(vt_region_info(gd.device, m->bar, &ri), 0);
	if (ri.size < 2 * VT_PAGE)
		skip();
	p = map_bar(gd.device, (int)m->bar, ri.size);
	/* The second page goes; the first stays. */
	assert_int_equal(munmap(p + VT_PAGE, VT_PAGE), 0);
	assert_int_equal(touch(scratch_at(p, m), false), 0);
	assert_int_equal(touch((volatile uint64_t *)(p + VT_PAGE), false), SIGSEGV);
	assert_int_equal(munmap(p, VT_PAGE), 0);
	assert_int_equal(touch(scratch_at(p, m), false), SIGSEGV);
	if (ri.size > 2 * VT_PAGE)
		munmap(p + 2 * VT_PAGE, ri.size - 2 * VT_PAGE);
}

/* Whether the cdev opens and binds now: the cdev path opens a device
 * only if it is not open at all (vfio_df_open: EINVAL otherwise). */
static bool cdev_binds(int iommufd)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	int c = open(vt_dev()->cdev_path, O_RDWR | O_CLOEXEC);
	long rc;

	assert_true(c >= 0);
	rc = vt_ioctl(c, VFIO_DEVICE_BIND_IOMMUFD, &b);
	close(c);
	if (rc)
		assert_int_equal(rc, -EINVAL);
	return !rc;
}

/* The group node opens (EBUSY while a cdev is bound). */
static bool group_opens(void)
{
	int g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);

	if (g < 0) {
		assert_int_equal(errno, EBUSY);
		return false;
	}
	close(g);
	return true;
}

/* The BAR to map for the file tests: the model's, or the first mappable
 * one; its length rounded up to pages. -1 if none. */
static int holds_bar(int d, const struct vt_model *m, size_t *len)
{
	struct vfio_region_info ri;
	int bar = m ? (int)m->bar : mappable_bar(d, &ri);

	if (bar < 0 || vt_region_info(d, (uint32_t)bar, &ri) ||
	    !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return -1;
	*len = (ri.size + VT_PAGE - 1) & ~(size_t)(VT_PAGE - 1);
	return bar;
}

/*
 * A mapping holds its file (the VMA's reference): after close() the
 * device stays open (bound: the group stays shut, the cdev cannot be
 * bound again), is not reset, and the mapping reaches it; a partial
 * munmap keeps it; the last munmap releases it.
 */
static void test_mmap_holds_file(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vt_cdev c;
	size_t len;
	char *p;
	int bar;

	(void)state;
	vt_gdev_close(&gd);
	if (!vt_cdev_open(vt_dev(), &c, true))
		skip();
	bar = holds_bar(c.device, m, &len);
	if (bar < 0)
		skip();
	p = map_bar(c.device, bar, len);
	if (m)
		*scratch_at(p, m) = 0x2c0;
	close(c.device);
	c.device = -1;
	assert_false(group_opens());
	assert_false(cdev_binds(c.iommufd));
	if (m)
		assert_int_equal(*scratch_at(p, m), 0x2c0);
	if (len >= 2 * VT_PAGE) {
		assert_int_equal(munmap(p + VT_PAGE, len - VT_PAGE), 0);
		assert_false(cdev_binds(c.iommufd));
		len = VT_PAGE;
	}
	if (m)
		*scratch_at(p, m) = 0;
	assert_int_equal(munmap(p, len), 0);
	/* The last mapping gone: released, unbound. */
	assert_true(group_opens());
	assert_true(cdev_binds(c.iommufd));
	vt_cdev_close(&c);
}

/*
 * MAP_FIXED over the first page of a BAR mapping, with a file whose mmap
 * then fails (an unbound cdev: EINVAL): that page is a hole, the pages
 * after it stay mapped and keep holding the device file, and their
 * munmap releases it.
 */
static void test_mmap_holds_file_fixed_refused(void **state)
{
	struct vt_cdev c;
	unsigned char vec;
	size_t len;
	char *p;
	int bar, u;

	(void)state;
	vt_gdev_close(&gd);
	if (!vt_cdev_open(vt_dev(), &c, true))
		skip();
	bar = holds_bar(c.device, NULL, &len);
	if (bar < 0 || len < 2 * VT_PAGE) {
		vt_cdev_close(&c);
		skip();
	}
	p = map_bar(c.device, bar, len);
	close(c.device);
	c.device = -1;
	u = open(vt_dev()->cdev_path, O_RDWR | O_CLOEXEC);
	assert_true(u >= 0);
	errno = 0;
	assert_true(mmap(p, VT_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, u,
			 VT_REGION(bar)) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	close(u);
	assert_int_equal(mincore(p, VT_PAGE, &vec), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(mincore(p + VT_PAGE, VT_PAGE, &vec), 0);
	assert_false(cdev_binds(c.iommufd));
	assert_int_equal(munmap(p + VT_PAGE, len - VT_PAGE), 0);
	assert_true(cdev_binds(c.iommufd));
	vt_cdev_close(&c);
}

/*
 * The same through the group: the device fd and the group fd closed,
 * the group opens again but is not viable (the open device owns its DMA)
 * until the mapping goes; a legacy container keeps the group file too.
 */
static void test_mmap_holds_group_file(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	size_t len;
	bool iommufd = vt_is_iommufd(gd.container);
	int bar = holds_bar(gd.device, m, &len), g;
	char *p;

	(void)state;
	if (bar < 0)
		skip();
	p = map_bar(gd.device, bar, len);
	if (m)
		*scratch_at(p, m) = 0x2c0;
	close(gd.device);
	close(gd.group);
	gd.device = gd.group = -1;
	g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	if (iommufd) {
		struct vfio_group_status st = { .argsz = sizeof(st) };

		assert_true(g >= 0);
		assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
		assert_int_equal(st.flags, 0);
		close(g);
	} else {
		assert_int_equal(g, -1);
		assert_int_equal(errno, EBUSY);
	}
	if (m) {
		assert_int_equal(*scratch_at(p, m), 0x2c0);
		*scratch_at(p, m) = 0;
	}
	assert_int_equal(munmap(p, len), 0);
	gd.group = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_true(gd.group >= 0);
	{
		struct vfio_group_status st = { .argsz = sizeof(st) };

		assert_int_equal(vt_ioctl(gd.group, VFIO_GROUP_GET_STATUS, &st), 0);
		assert_int_equal(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	}
}

/* A child's byte through a pipe, or -1. */
static int pipe_get(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? c : -1;
}

static void pipe_put(int fd, char c)
{
	assert_int_equal(write(fd, &c, 1), 1);
}

/*
 * Across fork the child's copy of the mapping holds the file too: the
 * parent's close and munmap leave the device open until the child
 * unmaps, or exits.
 */
static void test_mmap_holds_file_fork(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vt_cdev c;
	size_t len;
	int bar;

	(void)state;
	vt_gdev_close(&gd);
	if (!vt_cdev_open(vt_dev(), &c, true))
		skip();
	bar = holds_bar(c.device, m, &len);
	if (bar < 0)
		skip();
	for (int how = 0; how < 2; how++) {
		int to_child[2], to_parent[2];
		char *p = map_bar(c.device, bar, len);
		pid_t pid;

		if (m)
			*scratch_at(p, m) = 0x4c0;
		assert_int_equal(pipe(to_child), 0);
		assert_int_equal(pipe(to_parent), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			close(c.device);
			if (pipe_get(to_child[0]) != 'a')
				_exit(2);
			if (m && *scratch_at(p, m) != 0x4c0)
				_exit(3);
			/* how 0: unmap, then wait; how 1: exit with it. */
			if (how == 0) {
				munmap(p, len);
				pipe_put(to_parent[1], 'u');
				pipe_get(to_child[0]);
			}
			_exit(0);
		}
		close(c.device);
		c.device = -1;
		assert_int_equal(munmap(p, len), 0);
		/* The child's mapping holds the device open. */
		assert_false(cdev_binds(c.iommufd));
		assert_false(group_opens());
		pipe_put(to_child[1], 'a');
		if (how == 0)
			assert_int_equal(pipe_get(to_parent[0]), 'u');
		else
			assert_int_equal(vt_wait(pid), 0);
		/* Released by the child's munmap, or with its exit. */
		assert_true(cdev_binds(c.iommufd));
		if (how == 0) {
			pipe_put(to_child[1], 'x');
			assert_int_equal(vt_wait(pid), 0);
		}
		close(to_child[0]);
		close(to_child[1]);
		close(to_parent[0]);
		close(to_parent[1]);
		if (how == 0) {
			struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
							      .iommufd = c.iommufd };

			c.device = open(vt_dev()->cdev_path, O_RDWR | O_CLOEXEC);
			assert_true(c.device >= 0);
			assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
		}
	}
	vt_cdev_close(&c);
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/*
 * mremap of a BAR mapping (VM_PFNMAP | VM_DONTEXPAND): no growth (EFAULT),
 * no MREMAP_DONTUNMAP (EINVAL); a move serves the same registers at the
 * new place (and still holds the file); a shrink unmaps the tail.
 */
static void test_mmap_mremap(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	size_t len;
	int bar = holds_bar(gd.device, m, &len), g;
	char *p, *q, *r;
	uint64_t v;

	(void)state;
	if (bar < 0 || !m)
		skip();
	p = map_bar(gd.device, bar, len);
	errno = 0;
	assert_true(mremap(p, len, len + VT_PAGE, MREMAP_MAYMOVE) == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	assert_true(mremap(p, len, len + VT_PAGE, 0) == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	assert_true(mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(mremap(p, len, len, 0) == p);
	/* A move, to a place reserved for it. */
	q = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(q != MAP_FAILED);
	r = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	assert_true(r == q);
	*scratch_at(q, m) = 0x3c0;
	assert_int_equal(vt_pread(gd.device, &v, 8, VT_REGION(bar) + (off_t)m->scratch), 8);
	assert_int_equal(v, 0x3c0);
	assert_int_equal(touch(scratch_at(p, m), false), SIGSEGV);
	/* The moved mapping holds the file. */
	close(gd.device);
	close(gd.group);
	gd.device = gd.group = -1;
	assert_int_equal(*scratch_at(q, m), 0x3c0);
	if (vt_is_iommufd(gd.container)) {
		struct vfio_group_status st = { .argsz = sizeof(st) };

		g = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
		assert_true(g >= 0);
		assert_int_equal(vt_ioctl(g, VFIO_GROUP_GET_STATUS, &st), 0);
		assert_int_equal(st.flags, 0);
		close(g);
	}
	/* A shrink: the tail goes, the head stays. */
	if (len >= 2 * VT_PAGE && m->scratch < VT_PAGE) {
		assert_true(mremap(q, len, VT_PAGE, 0) == q);
		assert_int_equal(touch((volatile uint64_t *)(q + VT_PAGE), false), SIGSEGV);
		len = VT_PAGE;
	}
	*scratch_at(q, m) = 0;
	assert_int_equal(munmap(q, len), 0);
	gd.group = open(vt_dev()->group_path, O_RDWR | O_CLOEXEC);
	assert_true(gd.group >= 0);
}

/*
 * A mappable BAR of less than a page (its start page aligned): a page is
 * mapped (PAGE_ALIGN of its size); the BAR reads through it; past its end,
 * the rest of the page answers as nothing there (all ones, model-specific).
 */
static void test_mmap_subpage(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device, bar = -1;
	void *p;

	(void)state;
	for (unsigned int i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		if (!vt_region_info(d, i, &ri) && ri.size && ri.size < VT_PAGE &&
		    (ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
			bar = (int)i;
			break;
		}
	}
	if (bar < 0)
		skip();
	assert_int_equal(vmap(&p, 2 * VT_PAGE, PROT_READ, MAP_SHARED, d, VT_REGION(bar)),
			 -EINVAL);
	p = map_bar(d, bar, VT_PAGE);
	if (vt_fd_id(d) == VT_ID_WIDE) {
		volatile uint32_t *r = p;
		uint32_t w = 0;

		r[1] = 0xa5a55a5a;
		assert_int_equal(vt_pread(d, &w, 4, VT_REGION(bar) + 4), 4);
		assert_int_equal(w, 0xa5a55a5a);
		assert_int_equal(r[ri.size / 4], 0xffffffffu);
		r[1] = 0;
	}
	munmap(p, VT_PAGE);
}

static const struct CMUnitTest tests[] = {
	DEV_TEST(test_mmap_checks),
	DEV_TEST(test_mmap_fixed_refused),
	DEV_TEST(test_mmap_no_mmap),
	DEV_TEST(test_mmap_exec_and_mode),
	DEV_TEST(test_mmap_access),
	DEV_TEST(test_mmap_write_only_reads),
	DEV_TEST(test_mmap_two_mappings),
	DEV_TEST(test_mmap_threads),
	DEV_TEST(test_mmap_fork),
	DEV_TEST(test_mmap_memory_disabled),
	DEV_TEST(test_mmap_munmap),
	DEV_TEST(test_mmap_holds_file),
	DEV_TEST(test_mmap_holds_file_fixed_refused),
	DEV_TEST(test_mmap_holds_group_file),
	DEV_TEST(test_mmap_holds_file_fork),
	DEV_TEST(test_mmap_mremap),
	DEV_TEST(test_mmap_subpage),
};

VT_MAIN(tests)
