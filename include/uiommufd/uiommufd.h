/* SPDX-License-Identifier: MIT */
/*
 * uiommufd public C API.
 *
 * Concepts
 * --------
 * context   What the kernel calls an iommufd_ctx: the state behind one open
 *           of /dev/iommu. Here it lives in a shared-memory file (a memfd)
 *           and the handle a program holds is a real kernel fd on that
 *           file. dup(), fork(), exec() without O_CLOEXEC and SCM_RIGHTS
 *           therefore share one context, exactly as they share one open
 *           file in the kernel.
 * object    An id in the context's object table (IOAS, and later HWPT,
 *           device, access, fault). Ids are the kernel's: lowest free from 1.
 * ioctl     Every uAPI command of <linux/iommufd.h> (see uiommufd/uapi.h) is
 *           served by uiommufd_ioctl() with the kernel's struct layouts and
 *           errno values.
 *
 * Threads: every call may be made from any thread at any time.
 * Signals: these calls are not async-signal-safe; the preload layer blocks
 * signals around them on behalf of unmodified programs.
 */
#ifndef UIOMMUFD_UIOMMUFD_H
#define UIOMMUFD_UIOMMUFD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Open a new context, as open("/dev/iommu", flags) would.
 * flags: O_RDWR etc. are accepted and ignored; O_CLOEXEC is honoured.
 * Returns a file descriptor, or -1 with errno set: EMFILE/ENFILE (no fd),
 * ENOMEM (no memory for the shared state or its address range).
 */
int uiommufd_open(int flags);

/*
 * Issue an iommufd ioctl on a context fd, exactly as ioctl(2) would.
 * Returns 0 or -1 with errno set to the kernel's errno for the command:
 * EBADF (fd not open), ENOTTY (fd is not a uiommufd context, or unknown
 * command), and each command's documented errors (EINVAL, E2BIG, EFAULT,
 * ENOENT, EBUSY, EEXIST, ENOSPC, EOVERFLOW, EOPNOTSUPP, EMSGSIZE, ENOMEM,
 * EPERM, EADDRINUSE).
 */
int uiommufd_ioctl(int fd, unsigned long request, void *arg);

/*
 * Whether fd refers to a uiommufd context. Returns 1 or 0; never sets errno.
 */
int uiommufd_is_context_fd(int fd);

/*
 * Close any fd, as close(2) would; programs that link the library close
 * with this the fds it hands out (contexts, and the fault queue and access
 * fds of IOMMU_FAULT_QUEUE_ALLOC and IOMMU_TEST_OP_CREATE_ACCESS), so that
 * it sees them go. When the last reference to a context's open file is
 * gone anywhere (every process, every dup), the context is released as the
 * kernel's release() would: every object is destroyed and pins dropped.
 * As in the kernel, this process's open fault queue and access fds hold
 * their context: it is released when the last of them is closed.
 * Returns 0, or -1 with errno (EBADF, or close's error).
 */
int uiommufd_close(int fd);

/*
 * Run the internal invariant checker over a context. Returns 0 when all
 * invariants hold, -1 with errno EUCLEAN otherwise (details on stderr),
 * ENOTTY when fd is not a context.
 */
int uiommufd_check(int fd);

/*
 * Write a JSON description of the context to out_fd: every object, IOAS
 * area, allowed and reserved range, the IOVA extents each domain's page
 * table maps, pins and where the pinned pages are, and the accounting
 * counters. UIOMMUFD_DUMP=FILE (uiommufd-run --dump FILE) appends one such
 * line per context at its last close and at exit. Returns 0, or -1 with
 * errno ENOTTY (not a context) or the write's error.
 */
int uiommufd_dump(int fd, int out_fd);

/* Counters of a context, for tests and diagnostics. */
struct uiommufd_stats {
	uint64_t objects;       /* live objects in the table */
	uint64_t areas;         /* areas over all IOASes */
	uint64_t pages_objs;    /* live pages objects */
	uint64_t pinned_pages;  /* pages pinned over all pages objects */
	uint64_t arena_bytes;   /* bytes allocated in the shared arena */
};

/* Fill *st. Returns 0 or -1 with errno ENOTTY (not a context). */
int uiommufd_stats(int fd, struct uiommufd_stats *st);

/*
 * Fault injection, as the kernel's fail_nth: after uiommufd_fail_nth(n),
 * the nth failure point reached in this process fails, once; n = 0
 * disarms. The failure points and what the failing call reports:
 *   - allocations of the shared state and of a command's buffers: ENOMEM;
 *   - pinning pages for a domain or an access (taking them, charging
 *     them): ENOMEM;
 *   - growing a domain's IO page table (a map, a new domain): ENOMEM;
 *   - copying an ioctl's arguments from the caller or its answer back:
 *     EFAULT.
 * The failing call undoes its work, except where the kernel keeps it: an
 * answer that cannot be copied back after IOAS_MAP, IOAS_COPY, IOAS_UNMAP,
 * IOMMU_OPTION (set), HWPT_INVALIDATE, VFIO_IOMMU_UNMAP_DMA,
 * MOCK_DOMAIN_REPLACE or IOMMU_TEST_OP_DIRTY leaves their effect (EFAULT),
 * and a type1 partial unmap keeps the area cuts it made before failing.
 * UIOMMUFD_FAIL_NTH=n in the environment arms it when the library loads.
 * Disarmed, a failure point costs one relaxed atomic load. Sets no errno.
 */
void uiommufd_fail_nth(unsigned long long n);
/* 1 while armed and not yet triggered, else 0. */
int uiommufd_fail_pending(void);

/*
 * Crash testing, in the manner of fail_nth: after uiommufd_kill_nth(n),
 * the nth kill point this process passes inside a command SIGKILLs it.
 * Kill points sit at every undo-journal save (before the store it
 * protects), in the allocator and tree rotations between stores, and
 * around the commit. n = 0 disarms; uiommufd_kill_points() counts the
 * points passed since the last uiommufd_kill_nth() (arm with ULLONG_MAX to
 * count a command's points). UIOMMUFD_KILL_NTH=n arms it at load.
 */
void uiommufd_kill_nth(unsigned long long n);
unsigned long long uiommufd_kill_points(void);

/* ------------------------------------------------------------------ */
/* Emulated devices, for programs that link the library                */
/* ------------------------------------------------------------------ */

/*
 * A mock device, as IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS creates one: bound to
 * the context and attached to pt_id (an IOAS, whose automatic domain is
 * found or made, or a HWPT id). dev_flags: MOCK_FLAGS_DEVICE_* of
 * uiommufd/uapi.h. The device goes when stdev_id is destroyed
 * (IOMMU_DESTROY) or the context is released.
 * Returns 0, or -1 with errno: ENOTTY (fd is no context), ENOENT (pt_id),
 * EINVAL (dev_flags, or pt_id is neither IOAS nor HWPT), EFAULT or ENOMEM
 * (pinning the IOAS's memory for a new domain failed).
 */
struct uiommufd_mock_device {
	uint32_t stdev_id;   /* destroy this to remove the device */
	uint32_t hwpt_id;    /* the hwpt it is attached to */
	uint32_t idev_id;    /* the bound device, for dev_id fields */
};
int uiommufd_mock_device_create(int fd, uint32_t pt_id, uint32_t dev_flags,
				struct uiommufd_mock_device *out);

/* uiommufd_dma() flags */
#define UIOMMUFD_DMA_WRITE 1u  /* device writes memory (else reads) */

/*
 * DMA by device dev_id (an idev id) through the IO page table it is
 * attached to (a nested hwpt translates through its parent): len bytes
 * between buf and IOVA iova. Writes set the dirty bits of the entries
 * while dirty tracking is on. Not atomic: on error, a prefix may be done.
 * Returns 0, or -1 with errno: ENOTTY (fd), ENOENT (no such device),
 * ENODEV (device not attached), EFAULT (an IOVA is not mapped, or buf is
 * bad), EPERM (the mapping lacks read or write permission), EAGAIN (the
 * translation failed and the hwpt has a fault queue: a page request was
 * queued on it; serve it, then retry).
 */
int uiommufd_dma(int fd, uint32_t dev_id, uint64_t iova, void *buf,
		 size_t len, unsigned int flags);

/*
 * Accesses: an emulated device's view of an IOAS without a domain (the
 * kernel's iommufd_access kAPI). The access takes an object id.
 * create: 0 or -1 with errno ENOTTY, ENOENT (ioas_id).
 * destroy: its pins are dropped. 0 or -1 with ENOTTY, ENOENT.
 */
int uiommufd_access_create(int fd, uint32_t ioas_id, uint32_t *access_id);
int uiommufd_access_destroy(int fd, uint32_t access_id);

/*
 * Read or write (UIOMMUFD_DMA_WRITE) len bytes at iova through the IOAS's
 * areas, as iommufd_access_rw(). 0 or -1 with errno: ENOTTY, ENOENT (no
 * access, or a hole in the range), EINVAL (len 0), EOVERFLOW, EPERM
 * (mapping or memory not writable/readable), EFAULT.
 */
int uiommufd_access_rw(int fd, uint32_t access_id, uint64_t iova, void *buf,
		       size_t len, unsigned int flags);

/*
 * Pin [iova, iova + len) for the access, as iommufd_access_pin_pages():
 * the pages stay put until unpinned. *pin_id names the pin. 0 or -1 with
 * errno: ENOTTY, ENOENT, EINVAL (not page aligned inside), EPERM, EFAULT,
 * ENOMEM (over RLIMIT_MEMLOCK).
 */
int uiommufd_access_pin(int fd, uint32_t access_id, uint64_t iova,
			uint64_t len, unsigned int flags, uint32_t *pin_id);
int uiommufd_access_unpin(int fd, uint32_t access_id, uint32_t pin_id);

/*
 * Being told of unmaps. An IOAS_UNMAP over pinned pages takes the pins
 * back (the driver's unmap callback in the kernel) and leaves an event;
 * this returns the oldest: 0 with *iova and *len, or -1 with errno EAGAIN
 * (none), ENOTTY, ENOENT.
 */
int uiommufd_access_next_unmap(int fd, uint32_t access_id, uint64_t *iova,
			       uint64_t *len);

/*
 * Pins outlive the memory they came from. The kernel holds pinned pages by
 * reference; uiommufd keeps them in the process until the process lets go
 * of them, and must be told just before it does. The preload layer calls
 * these for munmap, MAP_FIXED mmap, mremap, discarding madvise, exec and
 * exit; a program that links the library and does such things to pinned
 * memory calls them itself. They set no errno and cannot fail.
 */
/* [addr, addr + len) is about to be unmapped, replaced or discarded. */
void uiommufd_memory_released(void *addr, size_t len);
/* [old_addr, old_addr + len) now lives at new_addr (after mremap). */
void uiommufd_memory_moved(void *old_addr, size_t len, void *new_addr);
/* This program image is about to end (exit or exec). */
void uiommufd_image_ending(void);

#ifdef __cplusplus
}
#endif
#endif
