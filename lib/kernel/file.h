/* SPDX-License-Identifier: MIT */
/*
 * The one fd -> file table of a process: what each fd number the program
 * holds is, as far as uiommufd is concerned, and the file operations that
 * serve it, as the kernel's struct file carries its f_op.
 *
 * Every handle uiommufd gives a program is a real kernel fd (a memfd, a
 * pipe, a file of the launch's run directory), so dup, fork, exec and
 * SCM_RIGHTS work natively. What this table adds is the answer to "is
 * this fd ours, and which of our files is it?" in one atomic load: the
 * slot of an fd number holds its kind and a small index the kind chose
 * (a context's registry slot, a VFIO open-file slot...). An fd number
 * seen for the first time is asked of each kind's probe() in turn; the
 * answer is cached until the preload layer reports that the number stopped
 * meaning what it meant (close, dup2/dup3 over it, close_range).
 *
 * The kinds and their operations are the top layer's business: the
 * preload layer hands its table to uio_file_set_kinds() at start-up, so
 * this file, at the bottom of the house, calls nothing above it.
 */
#ifndef UIO_FILE_H
#define UIO_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct uio_trace_ops;

/* Cached values: 0 unknown, UIO_FILE_NOT_OURS, or UIO_FILE_VAL(kind, idx). */
#define UIO_FILE_UNKNOWN 0u
#define UIO_FILE_NOT_OURS 0xffffffffu
#define UIO_FILE_VAL(kind, idx) (((uint32_t)(kind) << 24) | ((idx) & 0xffffffu))
#define UIO_FILE_KIND(v) ((v) >> 24)
#define UIO_FILE_IDX(v) ((v) & 0xffffffu)

/* The kinds of file, each served by one layer (file ops set by the top). */
enum uio_file_kind {
	UIO_FILE_IOMMUFD = 1,     /* a context: /dev/iommu, /dev/vfio/vfio */
	UIO_FILE_FAULT,           /* an IO page fault queue */
	UIO_FILE_ACCESS,          /* a selftest access */
	UIO_FILE_VFIO_GROUP,      /* /dev/vfio/N */
	UIO_FILE_VFIO_DEVICE,     /* a VFIO device: group-opened or cdev */
	UIO_FILE_FAILNTH,         /* /proc/<pid>/task/<tid>/fail-nth */
	UIO_FILE_NKINDS,
};

/* fd numbers at or above this are never cached (always probed). */
#define UIO_FILE_SLOTS 65536

struct uio_file_ops {
	const char *name;
	/*
	 * Whether fd, whose fstat is *st, is a file of this kind; if so, the
	 * index to cache in *idx. 1 yes, 0 no. Raw system calls only.
	 */
	int (*probe)(int fd, const struct stat *st, uint32_t *idx);
	/* Each returns a value >= 0 or -errno. NULL: the kernel's default. */
	long (*ioctl)(int fd, uint32_t idx, unsigned long cmd, void *arg);
	long (*read)(int fd, uint32_t idx, void *buf, size_t n);
	long (*write)(int fd, uint32_t idx, const void *buf, size_t n);
	long (*pread)(int fd, uint32_t idx, void *buf, size_t n, uint64_t off);
	long (*pwrite)(int fd, uint32_t idx, const void *buf, size_t n,
		       uint64_t off);
	/* The address mapped (as a long), or -errno. */
	long (*mmap)(int fd, uint32_t idx, void *addr, size_t len, int prot,
		     int flags, uint64_t off);
	/* What fstat shows: a character device with this number. */
	void (*rdev)(int fd, uint32_t idx, unsigned int *major,
		     unsigned int *minor);
	/* Close fd (the real close happens here) and let go: close's rc. */
	int (*close)(int fd, uint32_t idx);
	/* The decoders of its calls for the trace (trace.h); NULL: generic. */
	const struct uio_trace_ops *trace;
};

/*
 * The kinds, kind k being kinds[k - 1] (k from 1). Called once, before
 * any lookup, by the layer that knows every kind (the preload).
 */
void uio_file_set_kinds(const struct uio_file_ops *const *kinds,
			unsigned int n);

/*
 * The file operations of fd and its cached index, or NULL if fd is none
 * of ours. An fd seen for the first time is probed (one fstat, then each
 * kind's probe); errno is left alone.
 */
const struct uio_file_ops *uio_file_get(int fd, uint32_t *idx);
/* The same for a kind the caller already knows fd to be: true if it is. */
bool uio_file_is(int fd, unsigned int kind, uint32_t *idx);

/* The raw cached value of fd (UIO_FILE_UNKNOWN if none or out of range). */
uint32_t uio_file_peek(int fd);
/* Record what fd is (a layer just made it). */
void uio_file_set(int fd, uint32_t v);
/*
 * Record v for fd unless fd was forgotten since gen was read (the answer
 * may be about a file the number no longer names).
 */
void uio_file_set_unless_forgotten(int fd, uint32_t v, unsigned long gen);
unsigned long uio_file_forget_gen(void);

/* fd's number no longer refers to what it did. */
void uio_file_forget(int fd);
void uio_file_forget_range(unsigned int lo, unsigned int hi);

/*
 * Set by the preload layer, which reports every close, dup2, dup3 and
 * close_range: only then may "fd is not ours" be remembered, since a
 * program that links the library may reuse the number behind our back.
 */
void uio_file_closes_seen(void);
bool uio_file_closes_are_seen(void);

/*
 * A system call on an fd holds its open file until it returns: lookups
 * in flight (fstat, pread, reopen) may keep a closed file alive for a
 * moment. uio_file_probe_begin/end bracket them; settle waits for those
 * in flight and says whether there were any.
 */
void uio_file_probe_begin(void);
void uio_file_probe_end(void);
bool uio_file_probes_settle(void);

#endif
