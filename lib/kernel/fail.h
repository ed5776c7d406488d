/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (fail.c), for the files that do not include core.h
 * (pgtable.c, uaccess.c); kernel.h includes it.
 */
#ifndef UIO_FAIL_H
#define UIO_FAIL_H

#include <stdbool.h>

/* true when this failure point must fail; disarmed: one relaxed load */
bool uio_should_fail(void);

#endif
