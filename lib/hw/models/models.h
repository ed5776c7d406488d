/* SPDX-License-Identifier: MIT */
/*
 * The built-in device models (include/uiommufd/model.h), one descriptor
 * each, picked by uiommufd-run --vfio-device BDF,model=NAME.
 */
#ifndef UIO_HW_MODELS_H
#define UIO_HW_MODELS_H

struct uiommufd_model;

/* Intel I/OAT DMA engine 3.3, one channel, as Skylake-SP CBDMA (ioat.c). */
extern const struct uiommufd_model uio_model_ioat;

#endif
