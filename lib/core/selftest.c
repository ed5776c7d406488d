// SPDX-License-Identifier: MIT
/*
 * The selftest mock driver's command, IOMMU_TEST_CMD, as 6.12 serves it
 * with CONFIG_IOMMUFD_TEST.
 *
 * Served so far: IOMMU_TEST_OP_ADD_RESERVED (a reserved IOVA range in an
 * IOAS, as a device's reserved regions would add). The other ops need mock
 * devices, domains and accesses and answer EOPNOTSUPP until they exist, the
 * kernel's answer for an op it does not know.
 */
#include <errno.h>

#include <uiommufd/uapi.h>

#include "core.h"

static int uio_test_add_reserved(struct uio_ucmd *ucmd, uint32_t ioas_id,
				 uint64_t start, uint64_t length)
{
	struct uio_ioas *ioas;
	uint64_t last;
	int rc;

	if (!length)
		return -EINVAL;
	if (__builtin_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	ioas = uio_ioas_get(ucmd->ctx, ioas_id);
	if (!ioas)
		return -ENOENT;
	/* Owner NULL: removed with the IOAS, as the kernel's test ranges are. */
	rc = uio_iopt_reserve_iova(ucmd->ctx, &ioas->iopt, start, last, NULL);
	uio_obj_put(ucmd->ctx, &ioas->obj);
	return rc;
}

int uio_test_cmd(struct uio_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return uio_test_add_reserved(ucmd, cmd->id, cmd->add_reserved.start,
					     cmd->add_reserved.length);
	default:
		return -EOPNOTSUPP;
	}
}
