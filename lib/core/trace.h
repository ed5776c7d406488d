/* SPDX-License-Identifier: MIT */
/* UIOMMUFD_TRACE: one decoded line per call; see trace.c. */
#ifndef UIO_TRACE_H
#define UIO_TRACE_H

#include <stdbool.h>
#include <stddef.h>

bool uio_trace_enabled(void);
void uio_trace_call(int fd, unsigned long request, const void *before,
		    size_t nbefore, void *arg, int rc);

#endif
