// SPDX-License-Identifier: MIT
/*
 * VFIO device files, as drivers/vfio/vfio_main.c and device_cdev.c: the
 * open of a device (the first binds it in its iommufd and opens vfio-pci,
 * the last closes and unbinds), the device fd's file operations, and the
 * cdev path (BIND_IOMMUFD, ATTACH/DETACH_IOMMUFD_PT).
 *
 * A device fd is an open file of the device's node file (vfio.h): from
 * open("/dev/vfio/devices/vfioX") (a cdev file, useless until bound) or
 * from VFIO_GROUP_GET_DEVICE_FD (a group file, opened in the group's
 * container). Its slot among the device's open files is cached in the fd
 * -> file table as the index: slot | generation << 8.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommufd/uapi.h>

#include "file.h"
#include "iommufd.h"
#include "kernel.h"
#include "sys.h"
#include "uaccess.h"
#include "vfio.h"
#include "vfio_pci_priv.h"
#include "vfs.h"

#define UIO_DEV_IDX(dev, slot, gen) \
	((uint32_t)(dev) | (uint32_t)(slot) << 5 | ((uint32_t)(gen) & 0xff) << 11)
#define UIO_DEV_IDX_DEV(i) ((i) & 0x1f)
#define UIO_DEV_IDX_SLOT(i) (((i) >> 5) & 0x3f)
#define UIO_DEV_IDX_GEN(i) (((i) >> 11) & 0xff)

/* ------------------------------------------------------------------ */
/* open and close of the device (vfio_df_open, vfio_df_close) */

/* First open: bind in ctx (if any) and open vfio-pci. Registry locked. */
static int uio_vfio_df_open(struct uio_vfio_registry *r,
			    struct uio_vfio_device *d, struct uio_ctx *ctx,
			    bool group)
{
	int rc;

	if (d->open_count && !group)
		return -EINVAL;
	if (d->open_count++)
		return 0;
	rc = ctx ? uio_vfio_iommufd_bind(r, d, ctx) : 0;
	if (!rc) {
		rc = uio_vpci_open_device(r, d);
		if (rc)
			uio_vfio_iommufd_unbind(d);
	}
	if (rc)
		d->open_count--;
	return rc;
}

static void uio_vfio_df_close(struct uio_vfio_registry *r,
			      struct uio_vfio_device *d)
{
	if (!d->open_count)
		return;
	if (d->open_count == 1) {
		uio_vpci_close_device(r, d);
		uio_vfio_iommufd_unbind(d);
	}
	d->open_count--;
}

static int uio_vfio_slot_alloc(struct uio_vfio_device *d)
{
	for (unsigned int s = 0; s < UIO_VFIO_MAX_FILES; s++)
		if (d->files[s].state == UIO_VFIO_FILE_FREE)
			return (int)s;
	return -ENFILE;
}

/* The last reference to an open file of d went (registry locked). */
void uio_vfio_file_release(struct uio_vfio_registry *r,
			   struct uio_vfio_device *d, unsigned int slot)
{
	struct uio_vfio_file *f = &d->files[slot];
	struct uio_vfio_group *g = &r->groups[d->group];

	if (f->state == UIO_VFIO_FILE_CDEV) {
		/* vfio_df_unbind_iommufd(), vfio_device_unblock_group() */
		if (f->access_granted) {
			uio_vfio_df_close(r, d);
			d->cdev_opened = false;
			g->cdev_device_open_cnt--;
		}
	} else if (f->state == UIO_VFIO_FILE_GROUP) {
		if (f->access_granted)
			uio_vfio_df_close(r, d);
	}
	f->state = UIO_VFIO_FILE_FREE;
	f->access_granted = false;
	f->iommufd = 0;
	f->gen++;
}

void uio_vfio_sweep_device(struct uio_vfio_registry *r,
			   struct uio_vfio_device *d)
{
	for (unsigned int s = 0; s < UIO_VFIO_MAX_FILES; s++) {
		if (d->files[s].state == UIO_VFIO_FILE_FREE)
			continue;
		if (uio_vfio_slot_alive(r, UIO_VFIO_NODE_DEVICE,
					(uint32_t)(d - r->devices), s) == 0)
			uio_vfio_file_release(r, d, s);
	}
}

/* ------------------------------------------------------------------ */
/* adopting a new open file */

/* A new open file of d's node: slot it and lock its byte. */
static int uio_vfio_file_new(struct uio_vfio_registry *r,
			     struct uio_vfio_device *d, int fd,
			     enum uio_vfio_file_state state, uint64_t iommufd,
			     bool granted)
{
	int s = uio_vfio_slot_alloc(d), rc;
	struct uio_vfio_file *f;

	if (s < 0)
		return s;
	rc = uio_vfio_lock_slot(fd, (unsigned int)s);
	if (rc)
		return rc;
	f = &d->files[s];
	f->state = (uint8_t)state;
	f->access_granted = granted;
	f->iommufd = iommufd;
	uio_file_set(fd, UIO_FILE_VAL(UIO_FILE_VFIO_DEVICE,
				      UIO_DEV_IDX(d - r->devices, s, f->gen)));
	return 0;
}

/* open("/dev/vfio/devices/vfioX"): vfio_device_fops_cdev_open(). */
static int uio_vfio_cdev_adopt(struct uio_vfio_registry *r, int fd,
			       uint32_t index)
{
	struct uio_vfio_device *d = &r->devices[index];
	int rc;

	uio_vfio_lock(r);
	uio_vfio_sweep_device(r, d);
	rc = uio_vfio_file_new(r, d, fd, UIO_VFIO_FILE_CDEV, 0, false);
	uio_vfio_unlock(r);
	return rc;
}

/*
 * VFIO_GROUP_GET_DEVICE_FD's device file, opened in the group's context
 * (vfio_df_group_open): registry locked. The new fd, or -errno.
 */
int uio_vfio_device_group_open(struct uio_vfio_registry *r,
			       struct uio_vfio_device *d, unsigned int flags)
{
	struct uio_vfio_group *g = &r->groups[d->group];
	char path[512];
	struct uio_ctx *ctx;
	int fd, rc;

	(void)flags;
	if (!g->iommufd)
		return -EINVAL;
	uio_core_enter();
	ctx = uio_iommufd_ctx_find(g->iommufd);
	if (!ctx) {
		/* The container's context is gone: no IOMMU for the group. */
		uio_core_leave();
		return -EINVAL;
	}
	uio_vfio_sweep_device(r, d);
	rc = uio_vfio_df_open(r, d, ctx, true);
	uio_core_leave();
	if (rc)
		return rc;
	if (d->open_count == 1) {
		rc = uio_vfio_iommufd_compat_attach(d);
		if (rc)
			goto err_close;
	}
	uio_vfio_node_file(r, UIO_VFIO_NODE_DEVICE, (uint32_t)(d - r->devices),
			   path, sizeof(path));
	fd = uio_sys_openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_close;
	}
	rc = uio_vfio_file_new(r, d, fd, UIO_VFIO_FILE_GROUP, g->iommufd, true);
	if (rc) {
		uio_sys_close(fd);
		goto err_close;
	}
	return fd;

err_close:
	uio_vfio_df_close(r, d);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the device fd's file operations */

/* The registry, device and slot behind fd's cached index, if current. */
static struct uio_vfio_device *uio_vfio_dev_of(uint32_t idx,
					       struct uio_vfio_registry **rp,
					       struct uio_vfio_file **fp)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;

	if (!r || UIO_DEV_IDX_DEV(idx) >= r->ndevices)
		return NULL;
	d = &r->devices[UIO_DEV_IDX_DEV(idx)];
	f = &d->files[UIO_DEV_IDX_SLOT(idx)];
	if (f->state == UIO_VFIO_FILE_FREE ||
	    (f->gen & 0xff) != UIO_DEV_IDX_GEN(idx))
		return NULL;
	*rp = r;
	*fp = f;
	return d;
}

static int uio_vfio_device_probe(int fd, const struct stat *st, uint32_t *idx)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	int slot;

	if (!r || !S_ISREG(st->st_mode))
		return 0;
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *d = &r->devices[i];

		if (d->node_ino != st->st_ino || d->node_dev != st->st_dev)
			continue;
		/* An fd this process never saw open (after exec): its slot
		 * is the lock it holds. */
		slot = uio_vfio_slot_of_fd(r, fd, UIO_VFIO_NODE_DEVICE, i);
		if (slot < 0 || d->files[slot].state == UIO_VFIO_FILE_FREE)
			return 0;
		*idx = UIO_DEV_IDX(i, slot, d->files[slot].gen);
		return 1;
	}
	return 0;
}

/* VFIO_DEVICE_BIND_IOMMUFD (vfio_df_ioctl_bind_iommufd). */
static long uio_vfio_bind_iommufd(struct uio_vfio_registry *r,
				  struct uio_vfio_device *d,
				  struct uio_vfio_file *f, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_device_bind_iommufd, out_devid) +
			       sizeof(uint32_t);
	struct vfio_device_bind_iommufd b;
	struct uio_vfio_group *g = &r->groups[d->group];
	struct uio_ctx *ctx;
	long rc;
	int err;

	if (uio_copy_from_user(&b, arg, minsz))
		return -EFAULT;
	if (b.argsz < minsz || b.flags || b.iommufd < 0)
		return -EINVAL;
	if (f->state != UIO_VFIO_FILE_CDEV)
		return -EINVAL;
	/* vfio_device_block_group() */
	uio_vfio_sweep_group(r, g);
	if (g->opened)
		return -EBUSY;
	g->cdev_device_open_cnt++;
	if (f->access_granted) {
		rc = -EINVAL;
		goto out_unblock;
	}
	uio_core_enter();
	ctx = uio_vfio_iommufd_ctx_from_fd(b.iommufd, &err);
	if (!ctx) {
		uio_core_leave();
		rc = err;
		goto out_unblock;
	}
	uio_vfio_sweep_device(r, d);
	rc = uio_vfio_df_open(r, d, ctx, false);
	uio_core_leave();
	if (rc)
		goto out_unblock;
	b.out_devid = d->devid;
	if (uio_copy_to_user(UIO_UPTR(arg, offsetof(struct vfio_device_bind_iommufd,
							 out_devid)),
			     &b.out_devid, sizeof(b.out_devid))) {
		uio_vfio_df_close(r, d);
		rc = -EFAULT;
		goto out_unblock;
	}
	d->cdev_opened = true;
	f->iommufd = d->iommufd;
	f->access_granted = true;
	return 0;

out_unblock:
	g->cdev_device_open_cnt--;
	return rc;
}

static long uio_vfio_attach_pt(struct uio_vfio_device *d, void *arg,
			       bool attach)
{
	struct vfio_device_attach_iommufd_pt a;
	const uint32_t minsz = attach ? sizeof(a) :
			       sizeof(struct vfio_device_detach_iommufd_pt);
	long rc;

	if (uio_copy_from_user(&a, arg, minsz))
		return -EFAULT;
	if (a.argsz < minsz || a.flags)
		return -EINVAL;
	if (!attach) {
		uio_vfio_iommufd_detach(d);
		return 0;
	}
	rc = uio_vfio_iommufd_attach(d, &a.pt_id);
	if (rc)
		return rc;
	if (uio_copy_to_user(UIO_UPTR(arg, offsetof(struct vfio_device_attach_iommufd_pt,
							 pt_id)),
			     &a.pt_id, sizeof(a.pt_id))) {
		uio_vfio_iommufd_detach(d);
		return -EFAULT;
	}
	return 0;
}

/* VFIO_DEVICE_FEATURE (vfio_ioctl_device_feature). */
static long uio_vfio_feature(struct uio_vfio_registry *r,
			     struct uio_vfio_device *d, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_device_feature, flags) +
			       sizeof(uint32_t);
	struct vfio_device_feature ft;

	if (uio_copy_from_user(&ft, arg, minsz))
		return -EFAULT;
	if (ft.argsz < minsz)
		return -EINVAL;
	if (ft.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if (!(ft.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (ft.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (ft.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	switch (ft.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		/* vfio-pci without a variant driver: neither. */
		return -ENOTTY;
	default:
		return uio_vpci_feature(r, d, ft.flags, UIO_UPTR(arg, minsz),
					ft.argsz - minsz);
	}
}

static long uio_vfio_device_ioctl(int fd, uint32_t idx, unsigned long cmd,
				  void *arg)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;
	long rc;

	(void)fd;
	uio_core_enter();
	d = uio_vfio_dev_of(idx, &r, &f);
	if (!d) {
		uio_core_leave();
		return -EBADF;
	}
	uio_vfio_lock(r);
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD) {
		rc = uio_vfio_bind_iommufd(r, d, f, arg);
	} else if (!f->access_granted) {
		rc = -EINVAL;
	} else {
		/* vfio_device_pm_runtime_get() */
		uio_vpci_runtime_resume(r, d);
		if (f->state == UIO_VFIO_FILE_CDEV &&
		    (cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT ||
		     cmd == VFIO_DEVICE_DETACH_IOMMUFD_PT))
			rc = uio_vfio_attach_pt(d, arg,
						cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT);
		else if (cmd == VFIO_DEVICE_FEATURE)
			rc = uio_vfio_feature(r, d, arg);
		else
			rc = uio_vpci_ioctl(r, d, cmd, arg);
	}
	uio_vfio_unlock(r);
	uio_core_leave();
	return rc;
}

/*
 * A read or a write of a region: the VFS's checks first (lib/kernel/vfs.h:
 * the offset, the open file's mode, the buffer, the count; a cdev may be
 * opened read-only or write-only, group files are read-write), then
 * vfio_device_fops_read/write's access check, then vfio-pci's.
 */
static long uio_vfio_device_prw(int fd, uint32_t idx, void *buf, size_t n,
				int64_t off, bool positional, bool write)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;
	long rc = uio_vfs_rw_check(fd, buf, &n, off, positional, write);

	if (rc)
		return rc;
	uio_core_enter();
	d = uio_vfio_dev_of(idx, &r, &f);
	if (!d)
		rc = -EBADF;
	else if (!f->access_granted)
		rc = -EINVAL;
	else
		rc = uio_vpci_rw(r, d, buf, n, (uint64_t)off, write);
	uio_core_leave();
	return rc;
}

static long uio_vfio_device_pread(int fd, uint32_t idx, void *buf, size_t n,
				  uint64_t off)
{
	return uio_vfio_device_prw(fd, idx, buf, n, (int64_t)off, true, false);
}

static long uio_vfio_device_pwrite(int fd, uint32_t idx, const void *buf,
				   size_t n, uint64_t off)
{
	return uio_vfio_device_prw(fd, idx, (void *)buf, n, (int64_t)off, true, true);
}

/* read() and write() at the file position, which the node file keeps. */
static long uio_vfio_device_rw_pos(int fd, uint32_t idx, void *buf, size_t n,
				   bool write)
{
	long pos = UIO_SYS(SYS_lseek, fd, 0, SEEK_CUR), rc;

	if (pos < 0)
		return pos;
	rc = uio_vfio_device_prw(fd, idx, buf, n, pos, false, write);
	if (rc > 0)
		UIO_SYS(SYS_lseek, fd, pos + rc, SEEK_SET);
	return rc;
}

static long uio_vfio_device_read(int fd, uint32_t idx, void *buf, size_t n)
{
	return uio_vfio_device_rw_pos(fd, idx, buf, n, false);
}

static long uio_vfio_device_write(int fd, uint32_t idx, const void *buf,
				  size_t n)
{
	return uio_vfio_device_rw_pos(fd, idx, (void *)buf, n, true);
}

bool uio_vfio_device_noexec(uint32_t idx)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_file *f;
	bool noexec = false;

	/*
	 * A group's device file is an anonymous inode, whose superblock is
	 * SB_I_NOEXEC (6.12.y); a cdev lives in the host's /dev.
	 */
	uio_core_enter();
	if (uio_vfio_dev_of(idx, &r, &f))
		noexec = f->state == UIO_VFIO_FILE_GROUP;
	uio_core_leave();
	return noexec || uio_vfs_dev_noexec();
}

static long uio_vfio_device_mmap(int fd, uint32_t idx, void *addr, size_t len,
				 int prot, int flags, uint64_t off)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;
	long rc;

	/* vfio_device_fops_mmap; the VFS's checks were made (vfs.h) */
	uio_core_enter();
	d = uio_vfio_dev_of(idx, &r, &f);
	if (!d)
		rc = -EBADF;
	else if (!f->access_granted)
		rc = -EINVAL;
	else
		rc = uio_vpci_mmap(r, d, fd, idx, addr, len, prot, flags, off);
	uio_core_leave();
	return rc;
}

static void uio_vfio_device_rdev(int fd, uint32_t idx, unsigned int *major,
				 unsigned int *minor)
{
	struct uio_vfio_registry *r = uio_vfio_registry();

	(void)fd;
	*major = UIO_VFIO_CDEV_MAJOR;
	*minor = r && UIO_DEV_IDX_DEV(idx) < r->ndevices ?
			 r->devices[UIO_DEV_IDX_DEV(idx)].index : 0;
}

/* close(): after the real close, the last reference anywhere releases. */
static int uio_vfio_device_close(int fd, uint32_t idx)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;
	int rc = uio_sys_close(fd);

	if (rc)
		return rc;
	uio_core_enter();
	d = uio_vfio_dev_of(idx, &r, &f);
	if (d) {
		unsigned int slot = UIO_DEV_IDX_SLOT(idx);

		uio_vfio_lock(r);
		if (f->state != UIO_VFIO_FILE_FREE &&
		    (f->gen & 0xff) == UIO_DEV_IDX_GEN(idx) &&
		    uio_vfio_slot_alive(r, UIO_VFIO_NODE_DEVICE,
					(uint32_t)(d - r->devices), slot) == 0)
			uio_vfio_file_release(r, d, slot);
		uio_vfio_unlock(r);
	}
	uio_core_leave();
	return 0;
}

void uio_vfio_device_file_put(int fd, uint32_t file)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_device *d;
	struct uio_vfio_file *f;
	struct stat st;
	bool ours;

	uio_core_enter();
	d = uio_vfio_dev_of(file, &r, &f);
	ours = d && !uio_sys_fstat(fd, &st) && st.st_ino == d->node_ino &&
	       st.st_dev == d->node_dev &&
	       uio_vfio_fd_holds_slot(r, fd, UIO_VFIO_NODE_DEVICE,
				      (uint32_t)(d - r->devices),
				      UIO_DEV_IDX_SLOT(file));
	uio_core_leave();
	if (ours)
		uio_vfio_device_close(fd, file);
}

const struct uio_file_ops uio_vfio_device_fops = {
	.name = "vfio-device",
	.probe = uio_vfio_device_probe,
	.ioctl = uio_vfio_device_ioctl,
	.read = uio_vfio_device_read,
	.write = uio_vfio_device_write,
	.pread = uio_vfio_device_pread,
	.pwrite = uio_vfio_device_pwrite,
	.mmap = uio_vfio_device_mmap,
	.rdev = uio_vfio_device_rdev,
	.close = uio_vfio_device_close,
	.trace = &uio_vfio_device_trace,
};

/* ------------------------------------------------------------------ */
/* the PCI layer's bus: DMA through the device's IOMMU, interrupts */

static struct uio_vfio_device *uio_vfio_dev_of_pci(struct uio_vfio_registry *r,
						   struct uio_pci_dev *pdev)
{
	for (uint32_t i = 0; i < r->ndevices; i++)
		if (uio_vfio_pci(r, &r->devices[i]) == pdev)
			return &r->devices[i];
	return NULL;
}

static int uio_vfio_bus_dma(struct uio_pci_dev *pdev, uint64_t iova, void *buf,
			    size_t len, bool write)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_device *d = r ? uio_vfio_dev_of_pci(r, pdev) : NULL;

	return d ? uio_vfio_iommufd_dma(d, iova, buf, len, write) : -ENODEV;
}

static int uio_vfio_bus_dma_copy(struct uio_pci_dev *pdev, uint64_t dst,
				 uint64_t src, size_t len, uint64_t *bad)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_device *d = r ? uio_vfio_dev_of_pci(r, pdev) : NULL;

	*bad = src;
	return d ? uio_vfio_iommufd_dma_copy(d, dst, src, len, bad) : -ENODEV;
}

static void uio_vfio_bus_signal(struct uio_pci_dev *pdev, enum uio_pci_irq kind,
				unsigned int vector)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_device *d = r ? uio_vfio_dev_of_pci(r, pdev) : NULL;

	if (d)
		uio_vpci_signal(uio_vfio_vpci(r, d), pdev, kind, vector);
}

static const struct uio_pci_bus_ops uio_vfio_bus = {
	.dma = uio_vfio_bus_dma,
	.dma_copy = uio_vfio_bus_dma_copy,
	.signal = uio_vfio_bus_signal,
};

/* ------------------------------------------------------------------ */
/* what the preload's open found */

void uio_vfio_bus_init(void)
{
	uio_pci_set_bus(&uio_vfio_bus);
}

int uio_vfio_adopt(int fd, int node, uint32_t index)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	int rc;

	if (!r)
		return -ENODEV;
	uio_core_enter();
	if (node == UIO_VFIO_NODE_GROUP)
		rc = uio_vfio_group_adopt(r, fd, index);
	else
		rc = uio_vfio_cdev_adopt(r, fd, index);
	uio_core_leave();
	return rc;
}
