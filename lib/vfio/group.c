// SPDX-License-Identifier: MIT
/*
 * VFIO groups, as drivers/vfio/group.c with the iommufd compat: the group
 * node's one open file at a time, VFIO_GROUP_GET_STATUS, SET_CONTAINER
 * (an iommufd or /dev/vfio/vfio, which gets its compat IOAS), UNSET_
 * CONTAINER, GET_DEVICE_FD, and the group's release when its open file
 * and every device file opened through it are gone.
 *
 * A group fd is an open file of the group's node file holding the lock of
 * slot 0 (vfio.h); its fd -> file table index is the group's index and
 * the generation of the open.
 */
#include <errno.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "file.h"
#include "iommufd.h"
#include "sys.h"
#include "uaccess.h"
#include "vfio.h"
#include "vfio_pci_priv.h"

#define UIO_GRP_IDX(g, gen) ((uint32_t)(g) | ((uint32_t)(gen) & 0xffff) << 8)
#define UIO_GRP_IDX_G(i) ((i) & 0xff)
#define UIO_GRP_IDX_GEN(i) (((i) >> 8) & 0xffff)

static uint32_t uio_group_index(struct uio_vfio_registry *r,
				struct uio_vfio_group *g)
{
	return (uint32_t)(g - r->groups);
}

/* vfio_group_fops_release(): the container goes, the node is free. */
static void uio_group_release(struct uio_vfio_group *g)
{
	if (g->iommufd)
		uio_vfio_iommufd_container_put(g->iommufd);
	g->iommufd = 0;
	g->opened = false;
	g->opened_gen++;
}

/*
 * The group's open file is gone if nobody holds its lock any more. Its
 * device files do not hold it: with an iommufd for container, the kernel
 * releases the group at the last close of its file even while devices
 * opened through it stay open (only the legacy container makes device
 * files hold the group file, and there is none here).
 */
void uio_vfio_sweep_group(struct uio_vfio_registry *r,
			  struct uio_vfio_group *g)
{
	if (!g->opened)
		return;
	if (uio_vfio_slot_alive(r, UIO_VFIO_NODE_GROUP, uio_group_index(r, g), 0))
		return;
	uio_group_release(g);
}

/* open("/dev/vfio/N"): vfio_group_fops_open(). */
int uio_vfio_group_adopt(struct uio_vfio_registry *r, int fd, uint32_t index)
{
	struct uio_vfio_group *g = &r->groups[index];
	int rc = 0;

	uio_vfio_lock(r);
	uio_vfio_sweep_group(r, g);
	for (uint32_t i = 0; i < r->ndevices; i++)
		if (r->devices[i].group == index)
			uio_vfio_sweep_device(r, &r->devices[i]);
	if (g->cdev_device_open_cnt || g->opened)
		rc = -EBUSY;
	else
		rc = uio_vfio_lock_slot(fd, 0);
	if (!rc) {
		g->opened = true;
		g->opened_gen++;
		uio_file_set(fd, UIO_FILE_VAL(UIO_FILE_VFIO_GROUP,
					      UIO_GRP_IDX(index, g->opened_gen)));
	}
	uio_vfio_unlock(r);
	return rc;
}

/* The group behind a cached index, if it is still that open. */
static struct uio_vfio_group *uio_group_of(uint32_t idx,
					   struct uio_vfio_registry **rp)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_group *g;

	if (!r || UIO_GRP_IDX_G(idx) >= r->ngroups)
		return NULL;
	g = &r->groups[UIO_GRP_IDX_G(idx)];
	if (!g->opened || (g->opened_gen & 0xffff) != UIO_GRP_IDX_GEN(idx))
		return NULL;
	*rp = r;
	return g;
}

int uio_vfio_group_of_fd(int fd)
{
	struct uio_vfio_registry *r;
	uint32_t idx;

	if (!uio_sys_fd_valid(fd))
		return -EBADF;
	if (!uio_file_is(fd, UIO_FILE_VFIO_GROUP, &idx) || !uio_group_of(idx, &r))
		return -EINVAL;
	return (int)UIO_GRP_IDX_G(idx);
}

static int uio_vfio_group_probe(int fd, const struct stat *st, uint32_t *idx)
{
	struct uio_vfio_registry *r = uio_vfio_registry();

	(void)fd;
	if (!r || !S_ISREG(st->st_mode))
		return 0;
	for (uint32_t i = 0; i < r->ngroups; i++) {
		struct uio_vfio_group *g = &r->groups[i];

		if (g->node_ino != st->st_ino || g->node_dev != st->st_dev)
			continue;
		/* Only the open file holding the lock is the group's. */
		if (!g->opened || uio_vfio_slot_of_fd(r, fd, UIO_VFIO_NODE_GROUP, i))
			return 0;
		*idx = UIO_GRP_IDX(i, g->opened_gen);
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* ioctls */

/*
 * iommu_group_dma_owner_claimed(): a device of the group is bound to an
 * iommufd (iommufd_device_bind claims DMA ownership), here through a
 * device file opened through the group before its release.
 */
static bool uio_group_owner_claimed(struct uio_vfio_registry *r,
				    struct uio_vfio_group *g)
{
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *d = &r->devices[i];

		if (d->group != uio_group_index(r, g))
			continue;
		uio_vfio_sweep_device(r, d);
		if (d->iommufd)
			return true;
	}
	return false;
}

static long uio_group_get_status(struct uio_vfio_registry *r,
				 struct uio_vfio_group *g, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_group_status, flags) +
			       sizeof(uint32_t);
	struct vfio_group_status st;

	if (uio_copy_from_user(&st, arg, minsz))
		return -EFAULT;
	if (st.argsz < minsz)
		return -EINVAL;
	/* vfio_group_ioctl_get_status(): with a container, viable; without
	 * one, viable unless a device of the group owns its DMA. */
	st.flags = 0;
	if (g->iommufd)
		st.flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else if (!uio_group_owner_claimed(r, g))
		st.flags = VFIO_GROUP_FLAGS_VIABLE;
	return uio_copy_to_user(arg, &st, minsz) ? -EFAULT : 0;
}

static long uio_group_set_container(struct uio_vfio_group *g, void *arg)
{
	uint64_t id;
	int cfd, rc;

	if (uio_copy_from_user(&cfd, arg, sizeof(cfd)))
		return -EFAULT;
	if (!uio_sys_fd_valid(cfd))
		return -EBADF;
	if (g->iommufd)
		return -EINVAL;
	/* An iommufd (or /dev/vfio/vfio, which is one here), else EBADFD. */
	rc = uio_vfio_iommufd_container(cfd, &id);
	if (rc)
		return rc;
	g->iommufd = id;
	return 0;
}

static long uio_group_unset_container(struct uio_vfio_registry *r,
				      struct uio_vfio_group *g)
{
	(void)r;
	if (!g->iommufd)
		return -EINVAL;
	/*
	 * With an iommufd, UNSET_CONTAINER only drops the reference: the
	 * kernel refuses it (EBUSY) only for a legacy container still used.
	 */
	uio_vfio_iommufd_container_put(g->iommufd);
	g->iommufd = 0;
	return 0;
}

static long uio_group_get_device_fd(struct uio_vfio_registry *r,
				    struct uio_vfio_group *g, void *arg)
{
	char name[4096];
	uint32_t i;

	/* strndup_user(arg, PAGE_SIZE) */
	for (i = 0; i < sizeof(name); i++) {
		/* An integer address: the user's pointer may be NULL. */
		if (uio_copy_from_user(&name[i], (void *)((uintptr_t)arg + i), 1))
			return -EFAULT;
		if (!name[i])
			break;
	}
	if (i == sizeof(name))
		return -EINVAL;
	/* vfio_device_get_from_name(): the driver's match, whose error ends
	 * the search. */
	for (i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *d = &r->devices[i];
		int m;

		if (d->group != uio_group_index(r, g))
			continue;
		m = uio_vpci_match(d, name);
		if (m < 0)
			return m;
		if (m)
			return uio_vfio_device_group_open(r, d, 0);
	}
	return -ENODEV;
}

static long uio_vfio_group_ioctl(int fd, uint32_t idx, unsigned long cmd,
				 void *arg)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_group *g;
	long rc;

	(void)fd;
	uio_core_enter();
	g = uio_group_of(idx, &r);
	if (!g) {
		uio_core_leave();
		return -EBADF;
	}
	uio_vfio_lock(r);
	switch (cmd) {
	case VFIO_GROUP_GET_DEVICE_FD:
		rc = uio_group_get_device_fd(r, g, arg);
		break;
	case VFIO_GROUP_GET_STATUS:
		rc = uio_group_get_status(r, g, arg);
		break;
	case VFIO_GROUP_SET_CONTAINER:
		rc = uio_group_set_container(g, arg);
		break;
	case VFIO_GROUP_UNSET_CONTAINER:
		rc = uio_group_unset_container(r, g);
		break;
	default:
		rc = -ENOTTY;
		break;
	}
	uio_vfio_unlock(r);
	uio_core_leave();
	return rc;
}

static void uio_vfio_group_rdev(int fd, uint32_t idx, unsigned int *major,
				unsigned int *minor)
{
	struct uio_vfio_registry *r = uio_vfio_registry();

	(void)fd;
	*major = UIO_VFIO_GROUP_MAJOR;
	*minor = r && UIO_GRP_IDX_G(idx) < r->ngroups ?
			 r->groups[UIO_GRP_IDX_G(idx)].number : 0;
}

static int uio_vfio_group_close(int fd, uint32_t idx)
{
	struct uio_vfio_registry *r;
	struct uio_vfio_group *g;
	int rc = uio_sys_close(fd);

	if (rc)
		return rc;
	uio_core_enter();
	g = uio_group_of(idx, &r);
	if (g) {
		uio_vfio_lock(r);
		if (g->opened && (g->opened_gen & 0xffff) == UIO_GRP_IDX_GEN(idx))
			uio_vfio_sweep_group(r, g);
		uio_vfio_unlock(r);
	}
	uio_core_leave();
	return 0;
}

const struct uio_file_ops uio_vfio_group_fops = {
	.name = "vfio-group",
	.probe = uio_vfio_group_probe,
	.ioctl = uio_vfio_group_ioctl,
	.rdev = uio_vfio_group_rdev,
	.close = uio_vfio_group_close,
	.trace = &uio_vfio_group_trace,
};
