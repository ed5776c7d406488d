/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (fail.c), for the files that do not include core.h
 * (pgtable.c, uaccess.c); kernel.h includes it.
 */
#ifndef UIO_FAIL_H
#define UIO_FAIL_H

#include <stdbool.h>

#include <stdint.h>

/* true when this failure point must fail; disarmed: one relaxed load */
bool uio_should_fail(void);

/* The kernel's /proc/.../fail-nth files (fail.c): for the preload layer. */
bool uio_failnth_path(const char *path, int32_t *tid);
int uio_failnth_open(int32_t tid, int flags);   /* fd, or -errno */
struct uio_file_ops;
extern const struct uio_file_ops uio_failnth_fops;

#endif
