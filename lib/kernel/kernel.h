/* SPDX-License-Identifier: MIT */
/*
 * lib/kernel: what Linux gives its drivers, for every layer of uiommufd:
 * the shared-memory arena (arena.h), the interval tree (itree.h), user
 * copies that turn bad pointers into EFAULT (uaccess.h), raw system calls
 * (sys.h), fault injection (fail.h) and the caller's credentials (here).
 * Nothing in lib/kernel calls up into the layers above it.
 */
#ifndef UIO_KERNEL_H
#define UIO_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fail.h"

/* Public C API symbols (the library is built -fvisibility=hidden). */
#define UIO_EXPORT __attribute__((visibility("default")))

#define uio_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Which program image of a process (creds.c). */
struct uio_exec_id {
	uintptr_t addr;
	uint8_t bytes[16];
};

/* creds.c: the calling process, cached */
bool uio_capable(int cap);
int32_t uio_current_pid(void);
uint32_t uio_current_uid(void);
uint64_t uio_current_start_time(void);
const struct uio_exec_id *uio_current_exec_id(void);
/* Whether the calling process is this one (pid, start time, image). */
bool uio_current_is(int32_t pid, uint64_t start_time,
		    const struct uio_exec_id *id);
/* Whether process pid still runs the image id names (its AT_RANDOM bytes
 * are still where they were): an exec or exit, seen or not, fails this. */
bool uio_exec_id_alive(int32_t pid, const struct uio_exec_id *id);
bool uio_capable_now(int cap);
void uio_creds_invalidate(void);

#endif
