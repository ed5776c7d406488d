/* SPDX-License-Identifier: MIT */
#ifndef UAPI_FACTS_H
#define UAPI_FACTS_H
struct uapi_fact {
	const char *name;
	unsigned long long value;
};
extern const struct uapi_fact sys_vfio_facts[];
extern const struct uapi_fact our_vfio_facts[];
#endif
