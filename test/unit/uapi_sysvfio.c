// SPDX-License-Identifier: MIT
/* The system's <linux/vfio.h> facts, for test_uapi_layout.c to compare. */
#include <stddef.h>
#include <linux/vfio.h>

#include "uapi_facts.h"

#define FACT(x) { #x, (unsigned long long)(x) }
const struct uapi_fact sys_vfio_facts[] = {
	FACT(VFIO_GET_API_VERSION), FACT(VFIO_CHECK_EXTENSION),
	FACT(VFIO_SET_IOMMU), FACT(VFIO_GROUP_GET_STATUS),
	FACT(VFIO_GROUP_SET_CONTAINER), FACT(VFIO_GROUP_UNSET_CONTAINER),
	FACT(VFIO_GROUP_GET_DEVICE_FD), FACT(VFIO_DEVICE_GET_INFO),
	FACT(VFIO_DEVICE_GET_REGION_INFO), FACT(VFIO_DEVICE_RESET),
	FACT(VFIO_IOMMU_GET_INFO), FACT(VFIO_IOMMU_MAP_DMA),
	FACT(VFIO_IOMMU_UNMAP_DMA), FACT(VFIO_IOMMU_ENABLE),
	FACT(VFIO_IOMMU_DISABLE), FACT(VFIO_IOMMU_DIRTY_PAGES),
	FACT(VFIO_TYPE1_IOMMU), FACT(VFIO_TYPE1v2_IOMMU), FACT(VFIO_UNMAP_ALL),
	FACT(VFIO_UPDATE_VADDR), FACT(VFIO_NOIOMMU_IOMMU),
	FACT(VFIO_DMA_UNMAP_FLAG_ALL), FACT(VFIO_DMA_UNMAP_FLAG_VADDR),
	FACT(VFIO_DMA_MAP_FLAG_VADDR), FACT(VFIO_IOMMU_INFO_CAPS),
	FACT(VFIO_PCI_CONFIG_REGION_INDEX),
	FACT(sizeof(struct vfio_iommu_type1_info)),
	FACT(sizeof(struct vfio_iommu_type1_dma_map)),
	FACT(sizeof(struct vfio_iommu_type1_dma_unmap)),
	FACT(sizeof(struct vfio_region_info)),
	FACT(sizeof(struct vfio_iommu_type1_info_cap_iova_range)),
	FACT(sizeof(struct vfio_iommu_type1_info_dma_avail)),
	FACT(offsetof(struct vfio_iommu_type1_info, cap_offset)),
	FACT(offsetof(struct vfio_region_info, offset)),
	{ NULL, 0 },
};
