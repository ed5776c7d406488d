// SPDX-License-Identifier: MIT
/*
 * The model registry: the built-in table, and shared objects loaded by
 * path with dlopen, each once per process. See models.h.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "models.h"

static const struct uiommufd_model *const uio_builtin[] = {
	&uio_model_copy_engine,
	&uio_model_ioat,
};

const char *const uio_model_builtin_names[] = {
	"copy-engine",
	"ioat",
	NULL,
};

/* Models loaded from shared objects in this process. */
#define UIO_MODEL_LOADED_MAX 16

static struct {
	char path[256];
	const struct uiommufd_model *model;
} uio_loaded[UIO_MODEL_LOADED_MAX];
static unsigned int uio_nloaded;
static pthread_mutex_t uio_loaded_lock = PTHREAD_MUTEX_INITIALIZER;

static void uio_model_err(char *err, size_t errlen, const char *fmt,
			  const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
}

static const struct uiommufd_model *uio_model_load(const char *path, char *err,
						   size_t errlen)
{
	const struct uiommufd_model *m = NULL;
	uiommufd_model_entry_fn entry;
	void *h;

	pthread_mutex_lock(&uio_loaded_lock);
	for (unsigned int i = 0; i < uio_nloaded; i++) {
		if (!strcmp(uio_loaded[i].path, path)) {
			m = uio_loaded[i].model;
			goto out;
		}
	}
	if (uio_nloaded == UIO_MODEL_LOADED_MAX ||
	    strlen(path) >= sizeof(uio_loaded[0].path)) {
		uio_model_err(err, errlen, "%s: too many models or too long a path%s",
			      path, "");
		goto out;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		uio_model_err(err, errlen, "%s%s", dlerror(), "");
		goto out;
	}
	*(void **)&entry = dlsym(h, UIOMMUFD_MODEL_ENTRY);
	if (!entry) {
		uio_model_err(err, errlen, "%s: exports no %s()", path,
			      UIOMMUFD_MODEL_ENTRY);
		dlclose(h);
		goto out;
	}
	m = entry();
	if (!m || m->abi_version != UIOMMUFD_MODEL_ABI_VERSION) {
		uio_model_err(err, errlen, "%s: %s", path,
			      m ? "model ABI version mismatch" : "no model");
		m = NULL;
		dlclose(h);
		goto out;
	}
	/* Kept loaded for the life of the process. */
	strcpy(uio_loaded[uio_nloaded].path, path);
	uio_loaded[uio_nloaded].model = m;
	uio_nloaded++;
out:
	pthread_mutex_unlock(&uio_loaded_lock);
	return m;
}

const struct uiommufd_model *uio_model_find(const char *ref, char *err,
					    size_t errlen)
{
	if (!ref || !*ref)
		ref = UIO_MODEL_DEFAULT;
	if (strchr(ref, '/'))
		return uio_model_load(ref, err, errlen);
	for (size_t i = 0; i < sizeof(uio_builtin) / sizeof(uio_builtin[0]); i++)
		if (!strcmp(uio_builtin[i]->name, ref))
			return uio_builtin[i];
	uio_model_err(err, errlen, "no built-in model \"%s\"%s", ref, "");
	return NULL;
}
