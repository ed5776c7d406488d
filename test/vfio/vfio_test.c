// SPDX-License-Identifier: MIT
/*
 * The VFIO conformance suite's shared helpers; see vfio_test.h.
 */
#include <dirent.h>
#include <linux/pci_regs.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "vfio_test.h"

struct vt_dev vt_devs[VT_MAX_DEVS];
int vt_ndevs;
static char vt_self_path[4096];

long vt_ioctl(int fd, unsigned long req, void *arg)
{
	long rc = ioctl(fd, req, arg);

	return rc < 0 ? -errno : rc;
}

long vt_pread(int fd, void *buf, size_t n, off_t off)
{
	long rc = pread(fd, buf, n, off);

	return rc < 0 ? -errno : rc;
}

long vt_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	long rc = pwrite(fd, buf, n, off);

	return rc < 0 ? -errno : rc;
}

bool vt_uiommufd(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "uiommufd");
}

bool vt_known_diff(const char *what, const char *file, int line)
{
	/* VFIO_TEST_STRICT=1 checks them anyway (to see if they still are). */
	if (!vt_uiommufd() || getenv("VFIO_TEST_STRICT"))
		return false;
	fprintf(stderr, "# %s:%d: known difference of uiommufd, not checked: %s\n",
		file, line, what);
	return true;
}

/* ------------------------------------------------------------------ */
/* finding the devices */

static int vt_read_hex_file(const char *path, unsigned long *v)
{
	char buf[64];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	*v = strtoul(buf, NULL, 16);
	return 0;
}

static int vt_fill(struct vt_dev *d, const char *spec)
{
	char path[256], link[256];
	const char *at = strchr(spec, '@');
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	unsigned long ven, dev;
	ssize_t len;
	DIR *dir;
	struct dirent *e;

	if (n == 0 || n >= sizeof(d->bdf))
		return -1;
	memcpy(d->bdf, spec, n);
	d->bdf[n] = 0;
	if (at) {
		d->group = atoi(at + 1);
	} else {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			 d->bdf);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			return -1;
		link[len] = 0;
		d->group = atoi(strrchr(link, '/') + 1);
	}
	snprintf(d->group_path, sizeof(d->group_path), "/dev/vfio/%d", d->group);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", d->bdf);
	dir = opendir(path);
	if (dir) {
		while ((e = readdir(dir))) {
			if (!strncmp(e->d_name, "vfio", 4) && e->d_name[4] >= '0' &&
			    e->d_name[4] <= '9') {
				snprintf(d->cdev_path, sizeof(d->cdev_path),
					 "/dev/vfio/devices/%.40s", e->d_name);
				break;
			}
		}
		closedir(dir);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d->bdf);
	if (!vt_read_hex_file(path, &ven)) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", d->bdf);
		if (!vt_read_hex_file(path, &dev))
			d->id = (uint32_t)(ven << 16 | dev);
	}
	return 0;
}

static int vt_exec_helper(int argc, char **argv);

int vt_setup(int argc, char **argv)
{
	char buf[1024], *tok, *save;
	const char *env;
	ssize_t n;

	n = readlink("/proc/self/exe", vt_self_path, sizeof(vt_self_path) - 1);
	if (n > 0)
		vt_self_path[n] = 0;
	if (argc > 1 && !strcmp(argv[1], "--exec-helper"))
		exit(vt_exec_helper(argc - 2, argv + 2));
	for (int i = 1; i < argc && vt_ndevs < VT_MAX_DEVS; i++) {
		if (vt_fill(&vt_devs[vt_ndevs], argv[i])) {
			fprintf(stderr, "%s: cannot find device %s\n", argv[0], argv[i]);
			return 1;
		}
		vt_ndevs++;
	}
	env = getenv("VFIO_TEST_DEVICES");
	if (!vt_ndevs && env) {
		snprintf(buf, sizeof(buf), "%s", env);
		for (tok = strtok_r(buf, " ,", &save); tok && vt_ndevs < VT_MAX_DEVS;
		     tok = strtok_r(NULL, " ,", &save)) {
			if (vt_fill(&vt_devs[vt_ndevs], tok)) {
				fprintf(stderr, "%s: cannot find device %s\n", argv[0], tok);
				return 1;
			}
			vt_ndevs++;
		}
	}
	if (!vt_ndevs) {
		fprintf(stderr,
			"usage: %s BDF[@GROUP] [BDF2[@GROUP2]]\n"
			"   or: VFIO_TEST_DEVICES=\"BDF[@GROUP] ...\" %s\n"
			"no device given: skipping\n", argv[0], argv[0]);
		return 77;
	}
	/* A test that fails mid-way may leave a child; never let a broken
	 * pipe or a child's death kill the run. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int vt_fd_base;

int vt_test_setup(void **state)
{
	int fd = dup(0);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	vt_fd_base = fd;
	return 0;
}

int vt_test_teardown(void **state)
{
	(void)state;
	/* Far below where uiommufd keeps its private eventfd duplicates. */
	for (int fd = vt_fd_base; fd < vt_fd_base + 200; fd++)
		close(fd);
	return 0;
}

const struct vt_dev *vt_dev(void)
{
	return &vt_devs[0];
}

const struct vt_dev *vt_dev2(void)
{
	return vt_ndevs > 1 ? &vt_devs[1] : NULL;
}

const struct vt_dev *vt_dev_other_group(void)
{
	for (int i = 1; i < vt_ndevs; i++)
		if (vt_devs[i].group != vt_devs[0].group)
			return &vt_devs[i];
	return NULL;
}

bool vt_same_bus(const struct vt_dev *a, const struct vt_dev *b)
{
	return !strncmp(a->bdf, b->bdf, 7);
}

const char *vt_self(void)
{
	return vt_self_path;
}

/* ------------------------------------------------------------------ */
/* opening */

int vt_iommufd_open(void)
{
	return open("/dev/iommu", O_RDWR | O_CLOEXEC);
}

int vt_container_open(void)
{
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	assert_true(c >= 0);
	return c;
}

bool vt_is_iommufd(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_destroy d = { .size = sizeof(d) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		return false;
	d.id = a.out_ioas_id;
	ioctl(fd, IOMMU_DESTROY, &d);
	return true;
}

void vt_gdev_open(const struct vt_dev *dev, struct vt_gdev *g)
{
	g->group = open(dev->group_path, O_RDWR | O_CLOEXEC);
	assert_true(g->group >= 0);
	g->container = vt_container_open();
	assert_int_equal(vt_ioctl(g->group, VFIO_GROUP_SET_CONTAINER, &g->container), 0);
	assert_int_equal(vt_ioctl(g->container, VFIO_SET_IOMMU,
				  (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU), 0);
	g->device = (int)vt_ioctl(g->group, VFIO_GROUP_GET_DEVICE_FD,
				  (void *)dev->bdf);
	assert_true(g->device >= 0);
}

void vt_gdev_close(struct vt_gdev *g)
{
	if (g->device >= 0)
		close(g->device);
	if (g->group >= 0)
		close(g->group);
	if (g->container >= 0)
		close(g->container);
	g->device = g->group = g->container = -1;
}

bool vt_cdev_open(const struct vt_dev *dev, struct vt_cdev *c, bool attach)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a) };
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };

	memset(c, 0, sizeof(*c));
	c->iommufd = c->device = -1;
	if (!dev->cdev_path[0])
		return false;
	c->iommufd = vt_iommufd_open();
	if (c->iommufd < 0)
		return false;
	c->device = open(dev->cdev_path, O_RDWR | O_CLOEXEC);
	assert_true(c->device >= 0);
	b.iommufd = c->iommufd;
	assert_int_equal(vt_ioctl(c->device, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	c->devid = b.out_devid;
	assert_int_equal(vt_ioctl(c->iommufd, IOMMU_IOAS_ALLOC, &ia), 0);
	c->ioas = ia.out_ioas_id;
	if (attach) {
		a.pt_id = c->ioas;
		assert_int_equal(vt_ioctl(c->device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a), 0);
		c->hwpt = a.pt_id;
	}
	return true;
}

void vt_cdev_close(struct vt_cdev *c)
{
	if (c->device >= 0)
		close(c->device);
	if (c->iommufd >= 0)
		close(c->iommufd);
	c->device = c->iommufd = -1;
}

/* ------------------------------------------------------------------ */
/* config space */

uint32_t vt_cfg_read(int fd, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	assert_int_equal(vt_pread(fd, &v, len, VT_CFG + off), (long)len);
	return v;
}

void vt_cfg_write(int fd, unsigned int off, unsigned int len, uint32_t val)
{
	assert_int_equal(vt_pwrite(fd, &val, len, VT_CFG + off), (long)len);
}

unsigned int vt_find_cap(int fd, uint8_t id)
{
	unsigned int pos, loops = 48;

	if (!(vt_cfg_read(fd, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = vt_cfg_read(fd, PCI_CAPABILITY_LIST, 1);
	while (pos >= PCI_STD_HEADER_SIZEOF && loops--) {
		if (vt_cfg_read(fd, pos, 1) == id)
			return pos;
		pos = vt_cfg_read(fd, pos + 1, 1);
	}
	return 0;
}

unsigned int vt_find_ecap(int fd, uint16_t id)
{
	struct vfio_region_info ri;
	unsigned int pos = 0x100, loops = (4096 - 256) / 8;

	if (vt_region_info(fd, VFIO_PCI_CONFIG_REGION_INDEX, &ri) || ri.size <= 256)
		return 0;
	while (pos >= 0x100 && loops--) {
		uint32_t h = vt_cfg_read(fd, pos, 4);

		if (!h)
			return 0;
		if ((h & 0xffff) == id)
			return pos;
		pos = h >> 20;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* info */

int vt_region_info(int fd, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return (int)vt_ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ri);
}

int vt_irq_info(int fd, uint32_t index, struct vfio_irq_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	ii->argsz = sizeof(*ii);
	ii->index = index;
	return (int)vt_ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, ii);
}

int vt_first_mem_bar(int fd, struct vfio_region_info *ri)
{
	for (int i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		uint32_t bar;

		if (vt_region_info(fd, (uint32_t)i, ri) || !ri->size)
			continue;
		bar = vt_cfg_read(fd, PCI_BASE_ADDRESS_0 + 4 * (unsigned int)i, 4);
		if (!(bar & PCI_BASE_ADDRESS_SPACE_IO))
			return i;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* interrupts */

long vt_set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start,
		 uint32_t count, const void *data)
{
	size_t each = (flags & VFIO_IRQ_SET_DATA_EVENTFD) ? 4 :
		      (flags & VFIO_IRQ_SET_DATA_BOOL) ? 1 : 0;
	size_t len = sizeof(struct vfio_irq_set) + each * count;
	struct vfio_irq_set *s = calloc(1, len + 8);
	long rc;

	assert_non_null(s);
	s->argsz = (uint32_t)len;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (each && data)
		memcpy(s->data, data, each * count);
	rc = vt_ioctl(fd, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return rc;
}

int vt_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

uint64_t vt_efd_read(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* ------------------------------------------------------------------ */
/* processes */

int vt_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

uint32_t vt_fd_id(int devfd)
{
	uint32_t id = 0;

	if (pread(devfd, &id, 4, VT_CFG) != 4)
		return 0;
	return (id & 0xffff) << 16 | id >> 16;
}

/*
 * The exec helper: this binary run again (exec from a test) to look at
 * the fds it inherited. Modes:
 *   closed FD           exit 0 if FD is not open
 *   config FD ID        exit 0 if FD is a VFIO device whose config space
 *                       reads vendor << 16 | device == ID (hex)
 *   group FD            exit 0 if FD is a group fd that answers GET_STATUS
 */
static int vt_exec_helper(int argc, char **argv)
{
	int fd;

	if (argc < 2)
		return 2;
	fd = atoi(argv[1]);
	if (!strcmp(argv[0], "closed"))
		return fcntl(fd, F_GETFD) < 0 && errno == EBADF ? 0 : 1;
	if (!strcmp(argv[0], "config") && argc >= 3)
		return vt_fd_id(fd) == (uint32_t)strtoul(argv[2], NULL, 16) ? 0 : 1;
	if (!strcmp(argv[0], "group")) {
		struct vfio_group_status st = { .argsz = sizeof(st) };

		return ioctl(fd, VFIO_GROUP_GET_STATUS, &st) ? 1 : 0;
	}
	return 2;
}

static const struct vt_model vt_models[] = {
	/* copy-engine: SRC_IOVA */
	{ VT_ID_COPY_ENGINE, "copy-engine", 0, 0x00 },
	/* ioat: CHANCMP */
	{ VT_ID_IOAT, "ioat", 0, 0x98 },
	/* the suite's model_wide.c: its first scratch register */
	{ VT_ID_WIDE, "wide", 0, 0x00 },
};

const struct vt_model *vt_model(int devfd)
{
	uint32_t id = vt_fd_id(devfd);

	for (size_t i = 0; i < sizeof(vt_models) / sizeof(vt_models[0]); i++)
		if (vt_models[i].id == id)
			return &vt_models[i];
	return NULL;
}
