// SPDX-License-Identifier: MIT
/* The system's <linux/vfio.h> facts, for test_uapi_layout.c to compare. */
#include <stddef.h>
#include <linux/vfio.h>

#include "uapi_facts.h"

#define FACT(x) { #x, (unsigned long long)(x) },
const struct uapi_fact sys_vfio_facts[] = {
#include "vfio_facts.inc"
	{ NULL, 0 },
};
