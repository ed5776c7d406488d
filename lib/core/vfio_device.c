// SPDX-License-Identifier: MIT
/*
 * vfio_device: emulated PCI devices behind VFIO, so that type1 and cdev
 * clients (DPDK's and QEMU's VFIO code) find and drive them.
 *
 * Concepts
 * --------
 * registry  The devices of one launch (uiommufd-run --vfio-device), in a
 *           shared memfd created by the first process and inherited (fd
 *           number in UIOMMUFD_VFIO_REGISTRY_FD), so forked and exec'd
 *           children see the same devices, with a robust process-shared
 *           lock. Each device has a BDF, an IOMMU group number (/dev/vfio/N)
 *           and a cdev index (/dev/vfio/devices/vfioX).
 * group fd  open("/dev/vfio/N"): GET_STATUS, SET_CONTAINER (an iommufd or
 *           /dev/vfio/vfio fd; makes the compat IOAS as the kernel does),
 *           UNSET_CONTAINER, GET_DEVICE_FD (binds the device in the
 *           container's context and attaches it to the compat IOAS).
 * cdev fd   open("/dev/vfio/devices/vfioX"): BIND_IOMMUFD, ATTACH/DETACH
 *           _IOMMUFD_PT; unbound, the other ioctls answer EINVAL.
 * regions   Config space (256 bytes) and BAR0 (4 KiB): pread/pwrite at the
 *           region offset (index << 40) of a device fd. Every BAR access,
 *           whatever its origin, goes through uio_vdev_bar_access().
 * DMA       BAR0 is a small DMA engine: SRC_IOVA, DST_IOVA and LEN
 *           registers; a write to DOORBELL copies LEN bytes from SRC to DST
 *           through the device's IO page table (device.c), and STATUS
 *           tells how it went (1 done, else 2 | errno << 8).
 *
 * File descriptors of groups and devices are memfds known to this process
 * (a process-local table), which the preload layer asks about on ioctl,
 * pread, pwrite, fstat and close.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "fdtable.h"
#include "sys.h"
#include "uaccess.h"

#define UIO_VDEV_MAX 16
#define UIO_VDEV_MAGIC 0x7665646f69756ull /* "uioidev" */
#define UIO_VDEV_REGION_SHIFT 40
#define UIO_VDEV_BAR_SIZE 4096u
#define UIO_VDEV_CFG_SIZE 256u

/* The DMA engine's registers in BAR0 (64-bit, little endian). */
enum {
	UIO_DMA_SRC = 0x00,
	UIO_DMA_DST = 0x08,
	UIO_DMA_LEN = 0x10,
	UIO_DMA_DOORBELL = 0x18,
	UIO_DMA_STATUS = 0x20,
	UIO_DMA_ID = 0x28,
};
#define UIO_DMA_ID_VALUE 0x756d6d6f69756675ull /* "ufuiommu" */
#define UIO_DMA_MAX_LEN (1u << 20)

struct uio_vdev {
	char bdf[16];
	uint32_t group;
	uint32_t index;
	uint8_t config[UIO_VDEV_CFG_SIZE];
	uint64_t regs[UIO_VDEV_BAR_SIZE / 8];
	struct uio_ctx *group_ctx; /* the container its group is set to */
	struct uio_ctx *ctx;       /* bound in this context, or NULL */
	uint32_t idev_id;
	uint32_t opens;            /* open device fds */
	bool cdev;                 /* opened through its cdev */
};

struct uio_vdev_registry {
	uint64_t magic;
	pthread_mutex_t lock;
	uint32_t ndev;
	struct uio_vdev dev[UIO_VDEV_MAX];
};

static struct uio_vdev_registry *uio_vreg;
static pthread_once_t uio_vreg_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ */
/* registry */

static void uio_vdev_config_init(struct uio_vdev *d)
{
	uint8_t *c = d->config;

	memset(c, 0, sizeof(d->config));
	c[0x00] = 0x36; c[0x01] = 0x1b;      /* vendor 0x1b36 */
	c[0x02] = 0xf0; c[0x03] = 0x10;      /* device 0x10f0 */
	c[0x08] = 0x01;                      /* revision */
	c[0x0b] = 0xff;                      /* class: unassigned */
	c[0x0e] = 0x00;                      /* header type 0 */
	c[0x10] = 0x00; c[0x11] = 0x00; c[0x12] = 0x00; c[0x13] = 0xfe; /* BAR0 */
}

/* "BDF:GROUP,BDF:GROUP" from UIOMMUFD_VFIO_DEVICES. */
static void uio_vdev_parse(struct uio_vdev_registry *r, const char *spec)
{
	const char *p = spec;

	while (*p && r->ndev < UIO_VDEV_MAX) {
		struct uio_vdev *d = &r->dev[r->ndev];
		const char *colon = NULL, *end = strchr(p, ',');
		size_t len;

		if (!end)
			end = p + strlen(p);
		/* The group follows the last ':' (a BDF has two). */
		for (const char *q = p; q < end; q++)
			if (*q == '@')
				colon = q;
		len = (size_t)((colon ? colon : end) - p);
		if (len && len < sizeof(d->bdf)) {
			memcpy(d->bdf, p, len);
			d->bdf[len] = 0;
			d->group = colon ? (uint32_t)strtoul(colon + 1, NULL, 10) :
					   100 + r->ndev;
			d->index = r->ndev;
			uio_vdev_config_init(d);
			d->regs[UIO_DMA_ID / 8] = UIO_DMA_ID_VALUE;
			r->ndev++;
		}
		p = *end ? end + 1 : end;
	}
}

static void uio_vreg_setup(void)
{
	const char *fd_env = getenv("UIOMMUFD_VFIO_REGISTRY_FD");
	const char *spec = getenv("UIOMMUFD_VFIO_DEVICES");
	struct uio_vdev_registry *r;
	pthread_mutexattr_t ma;
	char num[16];
	long p;
	int fd;

	if (fd_env && *fd_env) {
		fd = atoi(fd_env);
		p = uio_sys_mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
		if (p < 0 && p > -4096)
			return;
		r = (struct uio_vdev_registry *)p;
		if (r->magic == UIO_VDEV_MAGIC)
			uio_vreg = r;
		return;
	}
	if (!spec || !*spec)
		return;
	/* Not close-on-exec: exec'd children inherit the devices. */
	fd = uio_sys_memfd_create("uiommufd-vfio-devices", 0);
	if (fd < 0 || uio_sys_ftruncate(fd, sizeof(*r)))
		return;
	p = uio_sys_mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
	if (p < 0 && p > -4096)
		return;
	r = (struct uio_vdev_registry *)p;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&r->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	uio_vdev_parse(r, spec);
	r->magic = UIO_VDEV_MAGIC;
	snprintf(num, sizeof(num), "%d", fd);
	setenv("UIOMMUFD_VFIO_REGISTRY_FD", num, 1);
	uio_vreg = r;
}

static struct uio_vdev_registry *uio_vreg_get(void)
{
	pthread_once(&uio_vreg_once, uio_vreg_setup);
	return uio_vreg;
}

static void uio_vreg_lock(struct uio_vdev_registry *r)
{
	if (pthread_mutex_lock(&r->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&r->lock);
}

static void uio_vreg_unlock(struct uio_vdev_registry *r)
{
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ */
/* process-local fd table */

enum uio_vfd_kind { UIO_VFD_NONE, UIO_VFD_GROUP, UIO_VFD_DEVICE };

struct uio_vfd {
	int fd;
	uint8_t kind;
	uint32_t dev;      /* device index; for a group, its first device */
	uint32_t group;
	struct uio_ctx *container; /* group fds: the container set */
};

#define UIO_VFD_MAX 64
static struct uio_vfd uio_vfds[UIO_VFD_MAX];
static unsigned int uio_nvfds;
static pthread_mutex_t uio_vfds_lock = PTHREAD_MUTEX_INITIALIZER;

static struct uio_vfd *uio_vfd_find(int fd)
{
	for (unsigned int i = 0; i < uio_nvfds; i++)
		if (uio_vfds[i].fd == fd)
			return &uio_vfds[i];
	return NULL;
}

int uio_vfio_fd_kind(int fd)
{
	struct uio_vfd *f;
	int kind = 0;

	if (!__atomic_load_n(&uio_nvfds, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&uio_vfds_lock);
	f = uio_vfd_find(fd);
	if (f)
		kind = f->kind;
	pthread_mutex_unlock(&uio_vfds_lock);
	return kind;
}

static int uio_vfd_add(int fd, uint8_t kind, uint32_t dev, uint32_t group)
{
	int rc = 0;

	pthread_mutex_lock(&uio_vfds_lock);
	if (uio_nvfds == UIO_VFD_MAX)
		rc = -EMFILE;
	else
		uio_vfds[uio_nvfds++] = (struct uio_vfd){ fd, kind, dev, group, NULL };
	pthread_mutex_unlock(&uio_vfds_lock);
	return rc;
}

static bool uio_vfd_get(int fd, struct uio_vfd *out)
{
	struct uio_vfd *f;

	pthread_mutex_lock(&uio_vfds_lock);
	f = uio_vfd_find(fd);
	if (f)
		*out = *f;
	pthread_mutex_unlock(&uio_vfds_lock);
	return f != NULL;
}

/* ------------------------------------------------------------------ */
/* paths */

/* The device a path names: a group node (kind GROUP) or a cdev (DEVICE). */
int uio_vfio_path(const char *path, uint32_t *index)
{
	struct uio_vdev_registry *r;
	unsigned long n;
	char *end;

	if (strncmp(path, "/dev/vfio/", 10) || !(r = uio_vreg_get()))
		return 0;
	path += 10;
	if (!strncmp(path, "devices/vfio", 12)) {
		n = strtoul(path + 12, &end, 10);
		if (end == path + 12 || *end || n >= r->ndev)
			return 0;
		*index = (uint32_t)n;
		return UIO_VFD_DEVICE;
	}
	n = strtoul(path, &end, 10);
	if (end == path || *end)
		return 0;
	for (uint32_t i = 0; i < r->ndev; i++) {
		if (r->dev[i].group == n) {
			*index = i;
			return UIO_VFD_GROUP;
		}
	}
	return 0;
}

/* Major of the emulated cdevs and groups (dynamic in the kernel). */
#define UIO_VFIO_GROUP_MAJOR 243
#define UIO_VFIO_CDEV_MAJOR 238

void uio_vfio_rdev(int kind, uint32_t index, unsigned int *major,
		   unsigned int *minor)
{
	struct uio_vdev_registry *r = uio_vreg_get();

	if (kind == UIO_VFD_GROUP) {
		*major = UIO_VFIO_GROUP_MAJOR;
		*minor = r ? r->dev[index].group : 0;
	} else {
		*major = UIO_VFIO_CDEV_MAJOR;
		*minor = index;
	}
}

int uio_vfio_fd_rdev(int fd, unsigned int *major, unsigned int *minor)
{
	struct uio_vfd f;

	if (!uio_vfio_fd_kind(fd) || !uio_vfd_get(fd, &f))
		return -1;
	uio_vfio_rdev(f.kind, f.dev, major, minor);
	return 0;
}

/* open() of a group node or cdev: a new fd, or -errno. */
int uio_vfio_open(int kind, uint32_t index, int flags)
{
	struct uio_vdev_registry *r = uio_vreg_get();
	struct uio_vdev *d;
	int fd, rc = 0;
	char name[32];

	if (!r || index >= r->ndev)
		return -ENODEV;
	d = &r->dev[index];
	if (kind == UIO_VFD_DEVICE) {
		uio_vreg_lock(r);
		/* A cdev opener excludes the group's (and other cdev) users. */
		if (d->opens)
			rc = -EBUSY;
		else {
			d->opens = 1;
			d->cdev = true;
		}
		uio_vreg_unlock(r);
		if (rc)
			return rc;
	}
	snprintf(name, sizeof(name), kind == UIO_VFD_GROUP ? "vfio-group-%u" : "vfio%u",
		 kind == UIO_VFD_GROUP ? d->group : index);
	fd = uio_sys_memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd >= 0 && (rc = uio_vfd_add(fd, (uint8_t)kind, index, d->group))) {
		uio_sys_close(fd);
		fd = rc;
	}
	if (fd < 0 && kind == UIO_VFD_DEVICE) {
		uio_vreg_lock(r);
		d->opens = 0;
		uio_vreg_unlock(r);
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* binding a device in a context */

/* The context ctx, if this process has it mapped. */
static bool uio_ctx_here(struct uio_ctx *ctx)
{
	return ctx && uio_registry_has(ctx);
}

static int uio_vdev_bind(struct uio_vdev *d, struct uio_ctx *ctx)
{
	struct uio_idev *idev;
	int rc;

	uio_ctx_lock(ctx);
	idev = uio_device_bind(ctx, UIO_IOMMU_INTEL_VTD, 0, &rc);
	uio_ctx_unlock(ctx);
	if (!idev)
		return rc;
	d->ctx = ctx;
	d->idev_id = idev->obj.id;
	return 0;
}

static struct uio_idev *uio_vdev_idev(struct uio_vdev *d)
{
	struct uio_obj *obj = uio_obj_get(d->ctx, d->idev_id, UIO_OBJ_DEVICE);

	if (!obj)
		return NULL;
	uio_obj_put(d->ctx, obj);
	return uio_container_of(obj, struct uio_idev, obj);
}

static void uio_vdev_unbind(struct uio_vdev *d)
{
	struct uio_idev *idev;

	if (!d->ctx)
		return;
	if (uio_ctx_here(d->ctx)) {
		uio_ctx_lock(d->ctx);
		idev = uio_vdev_idev(d);
		if (idev) {
			uio_device_detach(d->ctx, idev);
			uio_device_unbind(d->ctx, idev);
		}
		uio_ctx_unlock(d->ctx);
	}
	d->ctx = NULL;
	d->idev_id = 0;
}

/* ------------------------------------------------------------------ */
/* BAR0: the DMA engine */

static void uio_vdev_doorbell(struct uio_vdev *d)
{
	uint64_t src = d->regs[UIO_DMA_SRC / 8], dst = d->regs[UIO_DMA_DST / 8];
	uint64_t len = d->regs[UIO_DMA_LEN / 8];
	struct uio_idev *idev;
	void *tmp = NULL;
	int rc;

	/* Bus mastering must be on (command register bit 2). */
	if (!(d->config[0x04] & 0x04))
		rc = -EPERM;
	else if (!len || len > UIO_DMA_MAX_LEN)
		rc = -EINVAL;
	else if (!uio_ctx_here(d->ctx))
		rc = -ENODEV;
	else if (!(tmp = malloc(len)))
		rc = -ENOMEM;
	else {
		uio_ctx_lock(d->ctx);
		idev = uio_vdev_idev(d);
		rc = idev ? uio_device_dma(d->ctx, idev, src, tmp, len, false) : -ENODEV;
		if (!rc)
			rc = uio_device_dma(d->ctx, idev, dst, tmp, len, true);
		uio_ctx_unlock(d->ctx);
	}
	free(tmp);
	d->regs[UIO_DMA_STATUS / 8] = rc ? 2 | ((uint64_t)-rc << 8) : 1;
}

/*
 * The one entry for BAR accesses of a device: offset and length inside
 * BAR bar. Only BAR0 exists. Called with the registry locked.
 */
static int uio_vdev_bar_access(struct uio_vdev *d, unsigned int bar,
			       uint64_t off, void *buf, size_t len, bool write)
{
	uint8_t *regs = (uint8_t *)d->regs;

	if (bar != 0 || off >= UIO_VDEV_BAR_SIZE || len > UIO_VDEV_BAR_SIZE - off)
		return -EINVAL;
	if (!write) {
		memcpy(buf, regs + off, len);
		return 0;
	}
	/* Read-only registers keep their value. */
	for (size_t i = 0; i < len; i++) {
		uint64_t reg = (off + i) & ~7ull;

		if (reg == UIO_DMA_ID || reg == UIO_DMA_STATUS)
			continue;
		regs[off + i] = ((const uint8_t *)buf)[i];
	}
	/* A store reaching the doorbell starts a transfer. */
	if (off <= UIO_DMA_DOORBELL && off + len > UIO_DMA_DOORBELL) {
		d->regs[UIO_DMA_DOORBELL / 8] = 0;
		uio_vdev_doorbell(d);
	}
	return 0;
}

static int uio_vdev_config_access(struct uio_vdev *d, uint64_t off, void *buf,
				  size_t len, bool write)
{
	if (off >= UIO_VDEV_CFG_SIZE || len > UIO_VDEV_CFG_SIZE - off)
		return -EINVAL;
	if (!write) {
		memcpy(buf, d->config + off, len);
		return 0;
	}
	/* Only the command register (0x04..0x05) is writable. */
	for (size_t i = 0; i < len; i++)
		if (off + i == 0x04 || off + i == 0x05)
			d->config[off + i] = ((const uint8_t *)buf)[i];
	return 0;
}

static void uio_vdev_reset(struct uio_vdev *d)
{
	memset(d->regs, 0, sizeof(d->regs));
	d->regs[UIO_DMA_ID / 8] = UIO_DMA_ID_VALUE;
	d->config[0x04] = d->config[0x05] = 0;
}

/* pread/pwrite of a device fd: bytes, or -errno. */
static long uio_vfio_fd_rw_inside(int fd, void *ubuf, size_t count,
				  uint64_t pos, bool write)
{
	struct uio_vdev_registry *r = uio_vreg_get();
	unsigned int index = (unsigned int)(pos >> UIO_VDEV_REGION_SHIFT);
	uint64_t off = pos & ((1ull << UIO_VDEV_REGION_SHIFT) - 1);
	struct uio_vdev *d;
	struct uio_vfd f;
	uint8_t tmp[UIO_VDEV_BAR_SIZE];
	int rc;

	if (!r || !uio_vfd_get(fd, &f) || f.kind != UIO_VFD_DEVICE)
		return -EBADF;
	d = &r->dev[f.dev];
	if (count > sizeof(tmp))
		count = sizeof(tmp);
	if (write && uio_copy_from_user(tmp, ubuf, count))
		return -EFAULT;
	uio_vreg_lock(r);
	if (d->cdev && !d->ctx)
		rc = -EINVAL; /* a cdev must be bound first */
	else if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		rc = uio_vdev_config_access(d, off, tmp, count, write);
	else if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		rc = uio_vdev_bar_access(d, index, off, tmp, count, write);
	else
		rc = -EINVAL;
	uio_vreg_unlock(r);
	if (rc)
		return rc;
	if (!write && uio_copy_to_user(ubuf, tmp, count))
		return -EFAULT;
	return (long)count;
}

/* ------------------------------------------------------------------ */
/* ioctls */

static long uio_vdev_get_info(void *arg)
{
	struct vfio_device_info info;
	const uint32_t minsz = offsetof(struct vfio_device_info, num_irqs) +
			       sizeof(info.num_irqs);

	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = 5; /* INTx, MSI, MSI-X, ERR, REQ */
	return uio_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long uio_vdev_region_info(void *arg)
{
	struct vfio_region_info info;
	const uint32_t minsz = offsetof(struct vfio_region_info, offset) +
			       sizeof(info.offset);

	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	info.offset = (uint64_t)info.index << UIO_VDEV_REGION_SHIFT;
	info.cap_offset = 0;
	info.flags = 0;
	info.size = 0;
	if (info.index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info.size = UIO_VDEV_CFG_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	} else if (info.index == VFIO_PCI_BAR0_REGION_INDEX) {
		info.size = UIO_VDEV_BAR_SIZE;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	}
	return uio_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

/* VFIO_DEVICE_BIND_IOMMUFD: the cdev joins the iommufd of arg->iommufd. */
static long uio_vdev_bind_iommufd(struct uio_vdev *d, void *arg)
{
	struct vfio_device_bind_iommufd b;
	const uint32_t minsz = offsetof(struct vfio_device_bind_iommufd, out_devid) +
			       sizeof(b.out_devid);
	struct uio_ctx *ctx;
	long rc;

	if (uio_copy_from_user(&b, arg, minsz))
		return -EFAULT;
	if (b.argsz < minsz || b.flags || b.iommufd < 0)
		return -EINVAL;
	/* Only a cdev binds, and only once. */
	if (!d->cdev || d->ctx)
		return -EINVAL;
	ctx = uio_fd_lookup(b.iommufd);
	if (!ctx)
		return !uio_sys_fd_valid(b.iommufd) ? -EBADF : -EBADFD;
	rc = uio_vdev_bind(d, ctx);
	if (rc)
		return rc;
	b.out_devid = d->idev_id;
	if (uio_copy_to_user(arg, &b, minsz)) {
		uio_vdev_unbind(d);
		return -EFAULT;
	}
	return 0;
}

static long uio_vdev_attach_pt(struct uio_vdev *d, void *arg, bool attach)
{
	struct vfio_device_attach_iommufd_pt a;
	const uint32_t minsz = attach ? sizeof(a) :
					sizeof(struct vfio_device_detach_iommufd_pt);
	struct uio_idev *idev;
	long rc;

	if (uio_copy_from_user(&a, arg, minsz))
		return -EFAULT;
	if (a.argsz < minsz || a.flags)
		return -EINVAL;
	if (!d->ctx || !uio_ctx_here(d->ctx))
		return -EINVAL;
	uio_ctx_lock(d->ctx);
	idev = uio_vdev_idev(d);
	if (!idev)
		rc = -ENODEV;
	else if (!attach) {
		uio_device_detach(d->ctx, idev);
		rc = 0;
	} else if (idev->hwpt)
		rc = uio_device_replace(d->ctx, idev, &a.pt_id);
	else
		rc = uio_device_attach(d->ctx, idev, &a.pt_id);
	uio_ctx_unlock(d->ctx);
	if (!rc && attach && uio_copy_to_user(arg, &a, minsz))
		rc = -EFAULT;
	return rc;
}

static long uio_vdev_device_ioctl(struct uio_vdev_registry *r, struct uio_vfd *f,
				  unsigned long cmd, void *arg)
{
	struct uio_vdev *d = &r->dev[f->dev];

	switch (cmd) {
	case VFIO_DEVICE_BIND_IOMMUFD:
		return uio_vdev_bind_iommufd(d, arg);
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		if (!d->cdev)
			return -ENOTTY;
		return uio_vdev_attach_pt(d, arg, cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT);
	default:
		break;
	}
	/* A cdev answers nothing else until bound. */
	if (d->cdev && !d->ctx)
		return -EINVAL;
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return uio_vdev_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return uio_vdev_region_info(arg);
	case VFIO_DEVICE_RESET:
		uio_vdev_reset(d);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* VFIO_GROUP_SET_CONTAINER: the container's context gets a compat IOAS. */
static long uio_group_set_container(struct uio_vfd *f, void *arg)
{
	struct uio_ctx *ctx;
	struct uio_ioas *ioas;
	int cfd, rc = 0;

	if (uio_copy_from_user(&cfd, arg, sizeof(cfd)))
		return -EFAULT;
	if (!uio_sys_fd_valid(cfd))
		return -EBADF;
	if (f->container)
		return -EINVAL;
	ctx = uio_fd_lookup(cfd);
	if (!ctx) /* not an iommufd: "not recognized" */
		return !uio_sys_fd_valid(cfd) ? -EBADF : -EBADFD;
	uio_ctx_lock(ctx);
	if (!ctx->vfio_ioas) {
		ioas = uio_ioas_alloc(ctx, &rc);
		if (ioas) {
			uio_obj_finalize(ctx, &ioas->obj);
			ctx->vfio_ioas = ioas;
		}
	}
	uio_ctx_unlock(ctx);
	if (rc)
		return rc;
	pthread_mutex_lock(&uio_vfds_lock);
	for (unsigned int i = 0; i < uio_nvfds; i++)
		if (uio_vfds[i].fd == f->fd)
			uio_vfds[i].container = ctx;
	pthread_mutex_unlock(&uio_vfds_lock);
	return 0;
}

/* VFIO_GROUP_GET_DEVICE_FD: bind in the container, attach to its IOAS. */
static long uio_group_get_device_fd(struct uio_vdev_registry *r,
				    struct uio_vfd *f, void *arg)
{
	char name[64];
	struct uio_vdev *d = NULL;
	struct uio_idev *idev;
	uint32_t pt_id, i;
	int fd, rc;

	memset(name, 0, sizeof(name));
	for (i = 0; i < sizeof(name) - 1; i++) {
		/* An integer address: the user's pointer may be NULL. */
		if (uio_copy_from_user(&name[i], (void *)((uintptr_t)arg + i), 1))
			return -EFAULT;
		if (!name[i])
			break;
	}
	for (i = 0; i < r->ndev; i++)
		if (r->dev[i].group == f->group && !strcmp(r->dev[i].bdf, name))
			d = &r->dev[i];
	if (!d)
		return -ENODEV;
	if (!f->container)
		return -EINVAL;
	uio_vreg_lock(r);
	/* Opened through its cdev: the group cannot have it too. */
	if (d->opens && d->cdev) {
		uio_vreg_unlock(r);
		return -EBUSY;
	}
	/* The first opener binds and attaches; later ones share that. */
	if (!d->opens) {
		d->cdev = false;
		rc = uio_vdev_bind(d, f->container);
		if (!rc) {
			uio_ctx_lock(d->ctx);
			idev = uio_vdev_idev(d);
			rc = -ENODEV;
			if (idev && d->ctx->vfio_ioas) {
				pt_id = d->ctx->vfio_ioas->obj.id;
				rc = uio_device_attach(d->ctx, idev, &pt_id);
			}
			uio_ctx_unlock(d->ctx);
			if (rc)
				uio_vdev_unbind(d);
		}
		if (rc) {
			uio_vreg_unlock(r);
			return rc;
		}
	}
	d->opens++;
	uio_vreg_unlock(r);
	fd = uio_sys_memfd_create(name, MFD_CLOEXEC);
	if (fd >= 0 && (rc = uio_vfd_add(fd, UIO_VFD_DEVICE, (uint32_t)(d - r->dev),
					 d->group))) {
		uio_sys_close(fd);
		fd = rc;
	}
	if (fd < 0) {
		uio_vreg_lock(r);
		if (!--d->opens)
			uio_vdev_unbind(d);
		uio_vreg_unlock(r);
	}
	return fd;
}

static long uio_vdev_group_ioctl(struct uio_vdev_registry *r, struct uio_vfd *f,
				 unsigned long cmd, void *arg)
{
	struct vfio_group_status st;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		if (uio_copy_from_user(&st, arg, sizeof(st)))
			return -EFAULT;
		if (st.argsz < sizeof(st))
			return -EINVAL;
		st.flags = VFIO_GROUP_FLAGS_VIABLE |
			   (f->container ? VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
		return uio_copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
	case VFIO_GROUP_SET_CONTAINER:
		return uio_group_set_container(f, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!f->container)
			return -EINVAL;
		for (uint32_t i = 0; i < r->ndev; i++)
			if (r->dev[i].group == f->group && r->dev[i].opens &&
			    !r->dev[i].cdev)
				return -EBUSY;
		pthread_mutex_lock(&uio_vfds_lock);
		for (unsigned int i = 0; i < uio_nvfds; i++)
			if (uio_vfds[i].fd == f->fd)
				uio_vfds[i].container = NULL;
		pthread_mutex_unlock(&uio_vfds_lock);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD:
		return uio_group_get_device_fd(r, f, arg);
	default:
		return -ENOTTY;
	}
}

static long uio_vfio_fd_ioctl_inside(int fd, unsigned long cmd, void *arg)
{
	struct uio_vdev_registry *r = uio_vreg_get();
	struct uio_vfd f;
	long rc;

	if (!r || !uio_vfd_get(fd, &f))
		return -EBADF;
	if (cmd == VFIO_GET_API_VERSION)
		return -ENOTTY;
	if (f.kind == UIO_VFD_GROUP)
		return uio_vdev_group_ioctl(r, &f, cmd, arg);
	uio_vreg_lock(r);
	rc = uio_vdev_device_ioctl(r, &f, cmd, arg);
	uio_vreg_unlock(r);
	return rc;
}

/* close() of a group or device fd (already closed): let go of it. */
static void uio_vfio_fd_closed_inside(int fd)
{
	struct uio_vdev_registry *r = uio_vreg_get();
	struct uio_vfd f;
	bool found;

	pthread_mutex_lock(&uio_vfds_lock);
	{
		struct uio_vfd *p = uio_vfd_find(fd);

		found = p != NULL;
		if (p) {
			f = *p;
			*p = uio_vfds[--uio_nvfds];
		}
	}
	pthread_mutex_unlock(&uio_vfds_lock);
	if (!found || !r || f.kind != UIO_VFD_DEVICE)
		return;
	uio_vreg_lock(r);
	if (r->dev[f.dev].opens && !--r->dev[f.dev].opens)
		uio_vdev_unbind(&r->dev[f.dev]);
	uio_vreg_unlock(r);
}

/*
 * The entry points from the preload layer: inside the core, so that a
 * context they reach stays mapped until they are done (fdtable.h).
 */
long uio_vfio_fd_rw(int fd, void *ubuf, size_t count, uint64_t pos, bool write)
{
	long rc;

	uio_core_enter();
	rc = uio_vfio_fd_rw_inside(fd, ubuf, count, pos, write);
	uio_core_leave();
	return rc;
}

long uio_vfio_fd_ioctl(int fd, unsigned long cmd, void *arg)
{
	long rc;

	uio_core_enter();
	rc = uio_vfio_fd_ioctl_inside(fd, cmd, arg);
	uio_core_leave();
	return rc;
}

void uio_vfio_fd_closed(int fd)
{
	uio_core_enter();
	uio_vfio_fd_closed_inside(fd);
	uio_core_leave();
}
