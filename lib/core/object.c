// SPDX-License-Identifier: MIT
/*
 * The object table: ids, lookup and the two refcounts.
 *
 * Creation follows the kernel's three steps: uio_obj_alloc() reserves an id
 * (invisible to lookups), the command does its fallible work, then
 * uio_obj_finalize() publishes the object or uio_obj_abort*() gives the id
 * back. Every function here runs under ctx->lock.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

/* Ids are positive 31-bit numbers, as the kernel's xa_limit_31b. */
#define UIO_OBJ_ID_MAX 0x7fffffffu

struct uio_obj_ops {
	size_t size;
	void (*destroy)(struct uio_ctx *ctx, struct uio_obj *obj);
};

static const struct uio_obj_ops uio_obj_ops[UIO_OBJ_NR] = {
	[UIO_OBJ_IOAS] = { sizeof(struct uio_ioas), uio_ioas_destroy },
	[UIO_OBJ_HWPT_PAGING] = { sizeof(struct uio_hwpt), uio_hwpt_destroy },
	[UIO_OBJ_HWPT_NESTED] = { sizeof(struct uio_hwpt), uio_hwpt_destroy },
	[UIO_OBJ_DEVICE] = { sizeof(struct uio_idev), uio_device_destroy },
	[UIO_OBJ_SELFTEST] = { sizeof(struct uio_stdev), uio_selftest_destroy },
	[UIO_OBJ_ACCESS] = { sizeof(struct uio_access), uio_access_obj_destroy },
	[UIO_OBJ_FAULT] = { sizeof(struct uio_fault), uio_fault_destroy },
};

void uio_objtable_init(struct uio_objtable *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
}

void uio_objtable_destroy(struct uio_ctx *ctx)
{
	struct uio_objtable *t = &ctx->objs;

	UIO_J(t);
	uio_free(ctx, t->slots, (size_t)t->nslots * sizeof(*t->slots));
	uio_free(ctx, t->free_heap, (size_t)t->free_cap * sizeof(*t->free_heap));
	uio_objtable_init(t);
}

static void uio_heap_swap(uint32_t *h, uint32_t a, uint32_t b)
{
	uint32_t t = h[a];

	UIO_J(&h[a]);
	UIO_J(&h[b]);
	h[a] = h[b];
	h[b] = t;
}

static uint32_t uio_heap_pop(struct uio_objtable *t)
{
	uint32_t *h = t->free_heap, top = h[0], i = 0;

	UIO_J(t);
	UIO_J(&h[0]);
	h[0] = h[--t->nfree];
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->nfree && h[l] < h[m])
			m = l;
		if (r < t->nfree && h[r] < h[m])
			m = r;
		if (m == i)
			break;
		uio_heap_swap(h, i, m);
		i = m;
	}
	return top;
}

static void uio_heap_push(struct uio_objtable *t, uint32_t id)
{
	uint32_t *h = t->free_heap, i = t->nfree;

	UIO_J(t);
	UIO_J(&h[i]);
	t->nfree++;
	h[i] = id;
	while (i && h[(i - 1) / 2] > h[i]) {
		uio_heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Grow an arena array of elem-sized entries to at least want entries. */
static int uio_grow(struct uio_ctx *ctx, void **arr, uint32_t *cap,
		    uint32_t want, size_t elem)
{
	uint32_t ncap = *cap ? *cap : 16;
	void *n;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	n = uio_zalloc(ctx, (size_t)ncap * elem);
	if (!n)
		return -ENOMEM;
	if (*arr)
		memcpy(n, *arr, (size_t)*cap * elem);
	uio_free(ctx, *arr, (size_t)*cap * elem);
	UIO_J(arr);
	UIO_J(cap);
	*arr = n;
	*cap = ncap;
	return 0;
}

/*
 * Reserve the lowest free id. Space for the id's return to the free heap is
 * made here too, so that giving an id back can never fail.
 */
static int uio_id_alloc(struct uio_ctx *ctx, struct uio_obj *obj)
{
	struct uio_objtable *t = &ctx->objs;
	uint32_t id;
	int rc;

	if (t->nfree) {
		id = t->free_heap[0];
	} else {
		if (t->next_id > UIO_OBJ_ID_MAX)
			return -EBUSY; /* the kernel's xa_alloc when the range is full */
		id = t->next_id;
	}
	rc = uio_grow(ctx, (void **)&t->slots, &t->nslots, id + 1,
		      sizeof(*t->slots));
	if (rc)
		return rc;
	rc = uio_grow(ctx, (void **)&t->free_heap, &t->free_cap, t->count + 1,
		      sizeof(*t->free_heap));
	if (rc)
		return rc;
	UIO_J(t);
	if (t->nfree)
		uio_heap_pop(t);
	else
		t->next_id++;
	UIO_J(&t->slots[id]);
	t->slots[id] = obj;
	t->count++;
	UIO_J(obj);
	obj->id = id;
	return 0;
}

static void uio_id_free(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_objtable *t = &ctx->objs;

	UIO_J(t);
	UIO_J(&t->slots[id]);
	t->slots[id] = NULL;
	t->count--;
	/* free_cap >= the most ids ever in use >= nfree + 1: cannot fail */
	uio_heap_push(t, id);
}

struct uio_obj *uio_obj_alloc(struct uio_ctx *ctx, size_t size,
			      enum uio_obj_type type, int *err)
{
	struct uio_obj *obj = uio_zalloc(ctx, size);
	int rc;

	if (!obj) {
		*err = -ENOMEM;
		return NULL;
	}
	obj->type = type;
	atomic_init(&obj->users, 1);
	atomic_init(&obj->shortterm, 0);
	rc = uio_id_alloc(ctx, obj);
	if (rc) {
		uio_free(ctx, obj, size);
		*err = rc;
		return NULL;
	}
	return obj;
}

void uio_obj_finalize(struct uio_ctx *ctx, struct uio_obj *obj)
{
	(void)ctx;
	UIO_J(obj);
	obj->live = true;
}

void uio_obj_abort(struct uio_ctx *ctx, struct uio_obj *obj, size_t size)
{
	uio_id_free(ctx, obj->id);
	uio_free(ctx, obj, size);
}

void uio_obj_abort_and_destroy(struct uio_ctx *ctx, struct uio_obj *obj)
{
	const struct uio_obj_ops *ops = &uio_obj_ops[obj->type];

	ops->destroy(ctx, obj);
	uio_obj_abort(ctx, obj, ops->size);
}

struct uio_obj *uio_obj_get(struct uio_ctx *ctx, uint32_t id,
			    enum uio_obj_type type)
{
	struct uio_objtable *t = &ctx->objs;
	struct uio_obj *obj;

	if (id >= t->nslots)
		return NULL;
	obj = t->slots[id];
	if (!obj || !obj->live || (type != UIO_OBJ_ANY && obj->type != type))
		return NULL;
	/*
	 * Not journaled: short-term references are 0 between commands (the
	 * checker says so), and the recovery zeroes them after an undo.
	 */
	atomic_fetch_add(&obj->shortterm, 1);
	/* A command killed here has stored nothing else (the crash sweep). */
	uio_kill_point();
	return obj;
}

void uio_obj_put(struct uio_ctx *ctx, struct uio_obj *obj)
{
	(void)ctx;
	atomic_fetch_sub(&obj->shortterm, 1);
}

/* IOMMU_DESTROY: ENOENT for no such object, EBUSY while it has users. */
int uio_obj_remove(struct uio_ctx *ctx, uint32_t id)
{
	struct uio_objtable *t = &ctx->objs;
	struct uio_obj *obj;

	if (id >= t->nslots || !(obj = t->slots[id]) || !obj->live)
		return -ENOENT;
	/*
	 * Files whose holders all died were released at those exits in the
	 * kernel: let them go before answering EBUSY (a fault queue's file
	 * holds the queue, a selftest access its IOAS).
	 */
	if (atomic_load(&obj->users) != 1) {
		if (obj->type == UIO_OBJ_FAULT)
			uio_fault_sweep(ctx, uio_container_of(obj, struct uio_fault, obj));
		else if (obj->type == UIO_OBJ_IOAS)
			uio_access_files_alive(ctx);
	}
	/* Every command holds ctx->lock, so no other ioctl is using it now. */
	if (atomic_load(&obj->users) != 1 || atomic_load(&obj->shortterm))
		return -EBUSY;
	UIO_J(obj);
	obj->live = false;
	uio_obj_abort_and_destroy(ctx, obj);
	return 0;
}

/* After a command died holding ctx->lock: no ioctl is using any object. */
void uio_objtable_drop_shortterm(struct uio_ctx *ctx)
{
	for (uint32_t id = 1; id < ctx->objs.next_id; id++)
		if (ctx->objs.slots[id])
			atomic_store(&ctx->objs.slots[id]->shortterm, 0);
}

bool uio_objtable_empty(const struct uio_ctx *ctx)
{
	return ctx->objs.count == 0;
}

/*
 * The last close: destroy whatever nobody else holds, repeatedly, until the
 * table is empty, as the kernel's release does.
 */
void uio_objtable_release_all(struct uio_ctx *ctx)
{
	struct uio_objtable *t = &ctx->objs;

	while (t->count) {
		uint32_t destroyed = 0;

		for (uint32_t id = 1; id < t->next_id; id++) {
			struct uio_obj *obj = t->slots[id];

			if (!obj || atomic_load(&obj->users) != 1)
				continue;
			UIO_J(obj);
			obj->live = false;
			uio_obj_abort_and_destroy(ctx, obj);
			destroyed++;
		}
		if (!destroyed)
			break; /* a refcount bug: leave the rest rather than spin */
	}
}
