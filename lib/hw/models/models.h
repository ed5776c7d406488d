/* SPDX-License-Identifier: MIT */
/*
 * lib/hw/models: the device models uiommufd knows, built in or loaded
 * from a shared object, found by the name or path a launch gave
 * (--vfio-device BDF,model=REF). Built-in models are compiled against
 * include/uiommufd/model.h only, as out-of-tree ones are.
 *
 * Prefix: uio_model_.
 */
#ifndef UIO_HW_MODELS_H
#define UIO_HW_MODELS_H

#include <stddef.h>

#include <uiommufd/model.h>

/* The default model of --vfio-device. */
#define UIO_MODEL_DEFAULT "copy-engine"

/* The built-in models. */
extern const struct uiommufd_model uio_model_copy_engine;
extern const struct uiommufd_model uio_model_ioat;

/*
 * The model ref names: a built-in name, or a path (containing a '/')
 * to a shared object exporting uiommufd_model_v1(), loaded once per
 * process. NULL if there is none; then, if err is given, why (one line).
 * Thread-safe; the answer stays valid for the life of the process.
 */
const struct uiommufd_model *uio_model_find(const char *ref, char *err,
					    size_t errlen);

/* The built-in models' names, NULL-terminated, for messages and --list. */
extern const char *const uio_model_builtin_names[];

#endif
