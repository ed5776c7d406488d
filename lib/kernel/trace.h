/* SPDX-License-Identifier: MIT */
/*
 * The trace (UIOMMUFD_TRACE): one line per call on a file of ours, decoded
 * as strace(1) decodes system calls, e.g.
 *
 *   [1234] IOMMU_IOAS_MAP(3, {size=40, flags=READABLE, ...}) = 0 => {iova=0x10000}
 *   [1234] VFIO_GROUP_GET_DEVICE_FD(4, "0000:00:04.0") = 5
 *   [1234] ioctl(5, _IOC(_IOC_NONE, 0x3b, 0x99, 0), 0x7ffd2c1e0a40) = -1 ENOTTY (Inappropriate ioctl for device)
 *
 * This is the mechanism, the same for every layer: what is traced (the
 * environment), the output file (opened at the first line, O_APPEND, one
 * write(2) per line so lines of many processes and threads interleave
 * whole), the "[pid] " prefix, the snapshot of an argument before the
 * call, the result with its errno name, and the printing helpers the
 * decoders use (numbers, flags and enum names, field tables, strings,
 * _IOC(...)). The decoders are each layer's own: a file kind's
 * uio_file_ops (file.h) carries its struct uio_trace_ops, and the preload's
 * dispatch brackets every file operation with uio_trace_before/after.
 *
 * Everything here that writes a line is async-signal-safe (raw system
 * calls, no locks, no malloc, a formatter of its own), so trapped MMIO can
 * be traced from its SIGSEGV handler.
 *
 * The untraced path costs one predictable branch: uio_trace_maybe().
 */
#ifndef UIO_TRACE_H
#define UIO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What is traced: bits of uio_trace_flags(). */
#define UIO_TRACE_CALLS 1u  /* UIOMMUFD_TRACE=FILE: every call on a file of ours */
#define UIO_TRACE_MMIO 2u   /* UIOMMUFD_TRACE_MMIO=1 too: region reads and
			     * writes, trapped loads and stores */

/* Nonzero while tracing may be on (or the environment is not read yet). */
extern unsigned int uio_trace_mask;
#define uio_trace_maybe() \
	__builtin_expect(__atomic_load_n(&uio_trace_mask, __ATOMIC_RELAXED) != 0, 0)
/* The UIO_TRACE_* bits; reads the environment the first time. */
unsigned int uio_trace_flags(void);

/* ------------------------------------------------------------------ */
/* a call on a file of ours */

enum uio_trace_op {
	UIO_TRACE_IOCTL,
	UIO_TRACE_READ,
	UIO_TRACE_WRITE,
	UIO_TRACE_PREAD,
	UIO_TRACE_PWRITE,
	UIO_TRACE_MMAP,
	UIO_TRACE_NOPS,
};

#define UIO_TRACE_SNAP 256

struct uio_trace_call {
	uint8_t op;              /* enum uio_trace_op */
	bool on;                 /* traced: set by uio_trace_before() */
	int fd;
	uint32_t idx;            /* the fd's index in its kind (file.h) */
	unsigned long cmd;       /* ioctl: the request */
	void *arg;               /* ioctl: the argument; read/write: the buffer;
				  * mmap: the address asked for */
	size_t len;              /* read/write: the count; mmap: the length */
	uint64_t off;            /* pread/pwrite/mmap: the offset; read/write:
				  * the file position, if before() read it */
	int prot, flags;         /* mmap */
	long rc;                 /* the result: >= 0 (mmap: the address), or -errno */
	uint32_t nsnap;          /* valid bytes of snap */
	uint8_t snap[UIO_TRACE_SNAP]; /* the argument as it was before the call */
};

#define UIO_TRACE_IOCTL_CALL(fd_, idx_, cmd_, arg_)                        \
	((struct uio_trace_call){ .op = UIO_TRACE_IOCTL, .fd = (fd_),       \
				  .idx = (idx_), .cmd = (cmd_), .arg = (arg_) })
#define UIO_TRACE_RW_CALL(op_, fd_, idx_, buf_, len_, off_)                 \
	((struct uio_trace_call){ .op = (op_), .fd = (fd_), .idx = (idx_),  \
				  .arg = (void *)(buf_), .len = (len_),     \
				  .off = (off_) })
#define UIO_TRACE_MMAP_CALL(fd_, idx_, addr_, len_, prot_, flags_, off_)    \
	((struct uio_trace_call){ .op = UIO_TRACE_MMAP, .fd = (fd_),        \
				  .idx = (idx_), .arg = (addr_),            \
				  .len = (len_), .prot = (prot_),           \
				  .flags = (flags_), .off = (off_) })

/*
 * A line being built in the caller's buffer: "[pid] " first, the newline
 * added when written. A line that does not fit ends in "...".
 */
#define UIO_TRACE_LINE 4000     /* a call's line (at most PIPE_BUF with "\n") */
struct uio_trace_line {
	char *buf;
	size_t cap, n;
	bool truncated;
};

/* The decoders of a file kind (uio_file_ops.trace). */
struct uio_trace_ops {
	/* The UIO_TRACE_* bit each operation needs; 0: UIO_TRACE_CALLS. */
	uint8_t need[UIO_TRACE_NOPS];
	/*
	 * Before the call: keep in c->snap (and c->off for read/write) what
	 * decode() needs of the argument as passed. The buffer of a write is
	 * already there (up to UIO_TRACE_SNAP bytes). NULL: nothing more.
	 */
	void (*before)(struct uio_trace_call *c);
	/*
	 * After the call: the call as passed, uio_tl_result(), then what came
	 * back. false, with nothing written: a call this decoder does not
	 * know, for the generic line. NULL: always the generic line.
	 */
	bool (*decode)(struct uio_trace_line *l, const struct uio_trace_call *c);
};

/*
 * Around a file operation of ours (the preload's dispatch), called only
 * when uio_trace_maybe(): before() decides whether the call is traced and
 * takes the snapshot; after() writes its line. t NULL: generic lines.
 */
void uio_trace_before(const struct uio_trace_ops *t, struct uio_trace_call *c);
void uio_trace_after(const struct uio_trace_ops *t, struct uio_trace_call *c,
		     long rc);

/* ------------------------------------------------------------------ */
/* printing (async-signal-safe) */

void uio_tl_begin(struct uio_trace_line *l, char *buf, size_t cap);
/* Write the line (and its newline) to the trace in one write(2). */
void uio_tl_emit(struct uio_trace_line *l);

/*
 * printf's %%, %c, %s, %.*s, %d, %i, %u, %x, %p with '#', '0', a width and
 * the h, hh, l, ll, z length modifiers.
 */
void uio_tl_printf(struct uio_trace_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void uio_tl_puts(struct uio_trace_line *l, const char *s);
/* " = N", or " = -1 ENAME (description)". */
void uio_tl_result(struct uio_trace_line *l, long rc);
/* The same with an address for N (mmap). */
void uio_tl_result_addr(struct uio_trace_line *l, long rc);
/* An errno's name (ENOTTY) and description. */
const char *uio_trace_errno_name(int e);
const char *uio_trace_errno_desc(int e);
/* _IOC(_IOC_READ|_IOC_WRITE, 0x3b, 0x99, 0x10), as strace shows it. */
void uio_tl_ioc(struct uio_trace_line *l, unsigned long cmd);
/* Bytes as a quoted C string ("ab\x01\n"), at most max of them, then "...". */
void uio_tl_bytes(struct uio_trace_line *l, const void *p, size_t n, size_t max);
/* A pointer: NULL or 0x...; read back from the program, for the line. */
void uio_tl_ptr(struct uio_trace_line *l, const void *p);
/* Up to n bytes of user memory for the trace (no failure point): 0 or -EFAULT. */
int uio_trace_peek(void *dst, const void *uptr, size_t n);

/* Names of values and of flag bits. */
struct uio_trace_xlat {
	uint64_t val;
	const char *name;
};
#define UIO_XLAT(v, name) { (uint64_t)(v), name }
#define UIO_XLAT_END { 0, NULL }
/* "A|B|0x40", "0" when no bit is set. */
void uio_tl_flags(struct uio_trace_line *l, uint64_t v,
		  const struct uio_trace_xlat *x);
/* The name of v, or v in decimal. */
void uio_tl_enum(struct uio_trace_line *l, uint64_t v,
		 const struct uio_trace_xlat *x);
const char *uio_trace_xlat_find(const struct uio_trace_xlat *x, uint64_t v);

/* mmap's arguments but the offset: "mmap(NULL, 4096, PROT_READ, MAP_SHARED, 5, ". */
void uio_tl_mmap_head(struct uio_trace_line *l, const struct uio_trace_call *c);

/* ------------------------------------------------------------------ */
/* structs as field tables, ioctls as command tables */

enum uio_trace_fmt {
	UIO_TF_DEC,     /* unsigned decimal */
	UIO_TF_SDEC,    /* signed decimal (fds) */
	UIO_TF_HEX,     /* 0x... (addresses, lengths, IOVAs) */
	UIO_TF_FLAGS,   /* flag names (xlat) */
	UIO_TF_ENUM,    /* a value's name (xlat) */
};
enum { UIO_TF_IN = 1, UIO_TF_OUT = 2, UIO_TF_INOUT = 3 };

struct uio_trace_field {
	const char *name;
	uint16_t off;
	uint8_t size;
	uint8_t fmt;                     /* enum uio_trace_fmt */
	uint8_t dir;                     /* UIO_TF_IN, _OUT or _INOUT */
	const struct uio_trace_xlat *x;  /* FLAGS, ENUM */
};
#define UIO_TF_AT(name_, off_, size_, fmt_, dir_, x_) \
	{ name_, (uint16_t)(off_), (uint8_t)(size_), fmt_, dir_, x_ }
#define UIO_TF(t, f, fmt, dir, x)                                          \
	UIO_TF_AT(#f, __builtin_offsetof(struct t, f),                     \
		  sizeof(((struct t *)0)->f), fmt, dir, x)
#define UIO_TF_END { NULL, 0, 0, 0, 0, NULL }

/* One field's value from s (little endian). */
uint64_t uio_trace_field_get(const void *s, const struct uio_trace_field *f);
/*
 * ", name=value" for each field of dir present in the first n bytes of s
 * ("name=value" for the first when *first, which is then cleared).
 */
void uio_tl_fields(struct uio_trace_line *l, const void *s, size_t n,
		   const struct uio_trace_field *f, unsigned int dir, bool *first);

/* How an ioctl's argument is passed. */
enum uio_trace_arg {
	UIO_TA_NONE,    /* none: NAME(fd) */
	UIO_TA_VALUE,   /* a number, named by values: NAME(fd, NAME_OF_VALUE) */
	UIO_TA_INT,     /* a pointer to an int: NAME(fd, [3]) */
	UIO_TA_STRING,  /* a string: NAME(fd, "0000:00:04.0") */
	UIO_TA_SIZED,   /* a struct whose first __u32 is its size (size or
			 * argsz): NAME(fd, {in fields}) = 0 => {out fields} */
};

struct uio_trace_cmd {
	unsigned long nr;
	const char *name;
	uint8_t arg;                            /* enum uio_trace_arg */
	const struct uio_trace_field *fields;   /* UIO_TA_SIZED */
	const struct uio_trace_xlat *values;    /* UIO_TA_VALUE */
	/*
	 * UIO_TA_SIZED extras: in() prints more of the argument as passed
	 * (inside the braces, after the fields: ", data=[...]"); out() more
	 * of what came back (inside " => {...}"; *first as for fields), from
	 * the struct read back (n bytes of it in after).
	 */
	void (*in)(struct uio_trace_line *l, const struct uio_trace_call *c);
	void (*out)(struct uio_trace_line *l, const struct uio_trace_call *c,
		    const void *after, size_t n, bool *first);
};
#define UIO_TRACE_CMDS_END { 0, NULL, 0, NULL, NULL, NULL, NULL }

/* The snapshot an ioctl of cmds needs; false if it is none of them. */
bool uio_trace_cmds_before(struct uio_trace_call *c,
			   const struct uio_trace_cmd *cmds);
/* Its line; false if it is none of them. */
bool uio_trace_cmds_decode(struct uio_trace_line *l,
			   const struct uio_trace_call *c,
			   const struct uio_trace_cmd *cmds);

#endif
