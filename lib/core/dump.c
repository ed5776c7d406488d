// SPDX-License-Identifier: MIT
/*
 * dump: a JSON picture of a context, for people (uiommufd_dump(),
 * UIOMMUFD_DUMP / uiommufd-run --dump).
 *
 * One JSON object: the counters and accounting mode; every object of the
 * table by id (IOAS with its areas, reserved and allowed ranges; paging
 * hwpts with the IOVA extents their page tables really map, read from the
 * tables; nested hwpts; devices; accesses with their pins; fault queues);
 * every pages object with its pins and where the pinned pages are; the
 * source processes and users with their locked and pinned counts.
 * Numbers that are addresses are hex strings. Runs under ctx->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "sys.h"

struct uio_out {
	int fd;
	char buf[8192];
	size_t n;
	int err;
};

static void uio_flush(struct uio_out *o)
{
	size_t off = 0;

	while (off < o->n && !o->err) {
		long w = UIO_SYS(SYS_write, o->fd, o->buf + off, o->n - off);

		if (w < 0)
			o->err = (int)w;
		else
			off += (size_t)w;
	}
	o->n = 0;
}

static __attribute__((format(printf, 2, 3))) void
uio_put(struct uio_out *o, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(o->buf + o->n, sizeof(o->buf) - o->n, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(o->buf) - o->n) {
		uio_flush(o);
		va_start(ap, fmt);
		len = vsnprintf(o->buf, sizeof(o->buf), fmt, ap);
		va_end(ap);
		o->n = (size_t)len < sizeof(o->buf) ? (size_t)len : sizeof(o->buf) - 1;
		return;
	}
	o->n += (size_t)len;
}

static const char *uio_type_name(uint32_t type)
{
	switch (type) {
	case UIO_OBJ_IOAS: return "ioas";
	case UIO_OBJ_HWPT_PAGING: return "hwpt_paging";
	case UIO_OBJ_HWPT_NESTED: return "hwpt_nested";
	case UIO_OBJ_DEVICE: return "device";
	case UIO_OBJ_SELFTEST: return "selftest_device";
	case UIO_OBJ_ACCESS: return "access";
	case UIO_OBJ_FAULT: return "fault_queue";
	default: return "unknown";
	}
}

static const char *uio_account_name(uint8_t mode)
{
	switch (mode) {
	case UIO_ACCOUNT_NONE: return "none";
	case UIO_ACCOUNT_USER: return "user";
	case UIO_ACCOUNT_MM: return "mm";
	default: return "undecided";
	}
}

static void uio_dump_ranges(struct uio_out *o, const char *name,
			    const struct uio_itree *t)
{
	const struct uio_itree_node *n;
	bool first = true;

	uio_put(o, ", \"%s\": [", name);
	for (n = uio_itree_first(t); n; n = uio_itree_next(n)) {
		uio_put(o, "%s{\"start\": \"0x%" PRIx64 "\", \"last\": \"0x%" PRIx64 "\"}",
			first ? "" : ", ", n->start, n->last);
		first = false;
	}
	uio_put(o, "]");
}

static void uio_dump_ioas(struct uio_out *o, struct uio_ioas *ioas)
{
	const struct uio_itree_node *n;
	struct uio_hwpt *h;
	struct uio_access *a;
	bool first = true;

	uio_put(o, ", \"iova_alignment\": %" PRIu64 ", \"large_pages\": %s",
		ioas->iopt.iova_alignment,
		ioas->iopt.disable_large_pages ? "false" : "true");
	uio_put(o, ", \"areas\": [");
	for (n = uio_itree_first(&ioas->iopt.used); n; n = uio_itree_next(n)) {
		const struct uio_area *area;

		if (n->kind != UIO_KIND_AREA)
			continue;
		area = uio_container_of(n, struct uio_area, node);
		uio_put(o, "%s{\"iova\": \"0x%" PRIx64 "\", \"length\": %" PRIu64
			   ", \"prot\": \"%s%s\", \"pages\": \"%p\", \"start_byte\": %" PRIu64
			   ", \"pinned_by_domains\": %s, \"access_pins\": %u}",
			first ? "" : ", ", n->start, n->last - n->start + 1,
			area->prot & UIO_PROT_READ ? "r" : "",
			area->prot & UIO_PROT_WRITE ? "w" : "", (void *)area->pages,
			area->start_byte, area->pinned ? "true" : "false",
			area->num_accesses);
		first = false;
	}
	uio_put(o, "]");
	uio_dump_ranges(o, "reserved", &ioas->iopt.reserved);
	uio_dump_ranges(o, "allowed", &ioas->iopt.allowed);
	uio_put(o, ", \"domains\": [");
	for (h = ioas->iopt.domains, first = true; h; h = h->iopt_next, first = false)
		uio_put(o, "%s%u", first ? "" : ", ", h->obj.id);
	uio_put(o, "], \"accesses\": [");
	for (a = ioas->accesses, first = true; a; a = a->ioas_next, first = false)
		uio_put(o, "%s%u", first ? "" : ", ", a->obj.id);
	uio_put(o, "]");
}

/* Leaves merged into maximal runs of contiguous IOVA with the same permission. */
struct uio_extents {
	struct uio_out *o;
	bool open, first;
	uint64_t start, end, flags;
	uint64_t dirty;
};

static void uio_extent_close(struct uio_extents *x)
{
	if (!x->open)
		return;
	uio_put(x->o, "%s{\"iova\": \"0x%" PRIx64 "\", \"length\": %" PRIu64
		   ", \"prot\": \"%s%s\"}",
		x->first ? "" : ", ", x->start, x->end - x->start,
		x->flags & UIO_PTE_READ ? "r" : "", x->flags & UIO_PTE_WRITE ? "w" : "");
	x->first = false;
	x->open = false;
}

static void uio_extent_leaf(void *arg, uint64_t iova, uint64_t size,
			    uint64_t flags)
{
	struct uio_extents *x = arg;
	uint64_t perm = flags & (UIO_PTE_READ | UIO_PTE_WRITE);

	if (flags & UIO_PTE_DIRTY)
		x->dirty += size;
	if (x->open && iova == x->end && perm == x->flags) {
		x->end += size;
		return;
	}
	uio_extent_close(x);
	x->open = true;
	x->start = iova;
	x->end = iova + size;
	x->flags = perm;
}

static void uio_dump_hwpt(struct uio_out *o, struct uio_hwpt *h)
{
	struct uio_extents x = { .o = o, .first = true };

	if (h->parent) {
		uio_put(o, ", \"parent\": %u, \"iotlb\": [%u, %u, %u, %u]",
			h->parent->obj.id, h->iotlb[0], h->iotlb[1], h->iotlb[2],
			h->iotlb[3]);
	} else {
		uio_put(o, ", \"ioas\": %u, \"auto_domain\": %s, \"nest_parent\": %s"
			   ", \"huge_iova\": %s, \"dirty_tracking\": %s",
			h->ioas ? h->ioas->obj.id : 0, h->auto_domain ? "true" : "false",
			h->nest_parent ? "true" : "false", h->huge ? "true" : "false",
			!h->dirty_ops ? "null" : h->dirty_tracking ? "true" : "false");
		uio_put(o, ", \"mapped_bytes\": %" PRIu64 ", \"tables\": %" PRIu64
			   ", \"extents\": [",
			h->pgt.mapped_bytes, h->pgt.ntables);
		uio_pgt_for_each_leaf(&h->pgt, uio_extent_leaf, &x);
		uio_extent_close(&x);
		uio_put(o, "], \"dirty_bytes\": %" PRIu64, x.dirty);
	}
	uio_put(o, ", \"devices\": %u, \"fault_queue\": %u", h->ndevices,
		h->fault ? h->fault->obj.id : 0);
}

static void uio_dump_object(struct uio_out *o, struct uio_obj *obj)
{
	uio_put(o, "{\"id\": %u, \"type\": \"%s\", \"users\": %d, \"shortterm\": %d",
		obj->id, uio_type_name(obj->type), atomic_load(&obj->users),
		atomic_load(&obj->shortterm));
	switch (obj->type) {
	case UIO_OBJ_IOAS:
		uio_dump_ioas(o, uio_container_of(obj, struct uio_ioas, obj));
		break;
	case UIO_OBJ_HWPT_PAGING:
	case UIO_OBJ_HWPT_NESTED:
		uio_dump_hwpt(o, uio_container_of(obj, struct uio_hwpt, obj));
		break;
	case UIO_OBJ_DEVICE: {
		struct uio_idev *d = uio_container_of(obj, struct uio_idev, obj);

		uio_put(o, ", \"hwpt\": %u, \"mock_flags\": %u",
			d->hwpt ? d->hwpt->obj.id : 0, d->mock_flags);
		break;
	}
	case UIO_OBJ_SELFTEST: {
		struct uio_stdev *s = uio_container_of(obj, struct uio_stdev, obj);

		uio_put(o, ", \"device\": %u", s->idev ? s->idev->obj.id : 0);
		break;
	}
	case UIO_OBJ_ACCESS: {
		struct uio_access *a = uio_container_of(obj, struct uio_access, obj);
		struct uio_access_item *it;
		bool first = true;

		uio_put(o, ", \"ioas\": %u, \"needs_pin\": %s, \"pins\": [",
			a->ioas ? a->ioas->obj.id : 0, a->needs_pin ? "true" : "false");
		for (it = a->items; it; it = it->next, first = false)
			uio_put(o, "%s{\"id\": %u, \"iova\": \"0x%" PRIx64
				   "\", \"length\": %" PRIu64 "}",
				first ? "" : ", ", it->id, it->iova, it->length);
		uio_put(o, "]");
		break;
	}
	case UIO_OBJ_FAULT: {
		struct uio_fault *f = uio_container_of(obj, struct uio_fault, obj);
		unsigned int pending = 0, waiting = 0;
		struct uio_fault_group *g;

		for (g = f->deliver; g; g = g->next)
			pending++;
		for (g = f->responses; g; g = g->next)
			waiting++;
		uio_put(o, ", \"pending\": %u, \"awaiting_response\": %u", pending,
			waiting);
		break;
	}
	default:
		break;
	}
	uio_put(o, "}");
}

static int uio_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* Every distinct pages object the areas refer to. */
static void uio_dump_pages(struct uio_out *o, struct uio_ctx *ctx)
{
	uintptr_t *v = NULL;
	size_t n = 0, cap = 0;
	bool first = true;

	for (uint32_t id = 1; id < ctx->objs.next_id && id < ctx->objs.nslots; id++) {
		struct uio_obj *obj = ctx->objs.slots[id];
		const struct uio_itree_node *node;

		if (!obj || obj->type != UIO_OBJ_IOAS)
			continue;
		node = uio_itree_first(&uio_container_of(obj, struct uio_ioas, obj)->iopt.used);
		for (; node; node = uio_itree_next(node)) {
			const struct uio_area *area;

			if (node->kind != UIO_KIND_AREA)
				continue;
			area = uio_container_of(node, struct uio_area, node);
			if (!area->pages)
				continue;
			if (n == cap) {
				uintptr_t *nv = realloc(v, (cap ? 2 * cap : 64) * sizeof(*v));

				if (!nv)
					goto out;
				v = nv;
				cap = cap ? 2 * cap : 64;
			}
			v[n++] = (uintptr_t)area->pages;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), uio_cmp_ptr);
out:
	uio_put(o, ", \"pages\": [");
	for (size_t i = 0; i < n; i++) {
		struct uio_pages *p = (struct uio_pages *)v[i];
		const struct uio_itree_node *s;
		bool sfirst = true;

		if (i && v[i] == v[i - 1])
			continue;
		uio_put(o, "%s{\"pages\": \"%p\", \"pid\": %d, \"uptr\": \"0x%" PRIxPTR
			   "\", \"npages\": %" PRIu64 ", \"npinned\": %" PRIu64
			   ", \"refs\": %u, \"writable\": %s, \"account\": \"%s\", \"segments\": [",
			first ? "" : ", ", (void *)p, p->mm->pid, p->uptr, p->npages,
			p->npinned, p->refs, p->writable ? "true" : "false",
			uio_account_name(p->account_mode));
		first = false;
		for (s = uio_itree_first(&p->segs); s; s = uio_itree_next(s), sfirst = false) {
			const struct uio_pseg *seg = uio_container_of(s, struct uio_pseg, node);

			uio_put(o, "%s{\"first\": %" PRIu64 ", \"last\": %" PRIu64
				   ", \"state\": \"%s\", \"va\": \"0x%" PRIxPTR "\"}",
				sfirst ? "" : ", ", s->start, s->last,
				seg->saved ? "saved" : seg->mm->gone ? "lost" : "live",
				seg->va);
		}
		uio_put(o, "]}");
	}
	uio_put(o, "]");
	free(v);
}

static void uio_dump_ctx(struct uio_out *o, struct uio_ctx *ctx,
			 const char *when)
{
	struct uio_mm *mm;
	struct uio_user *u;
	bool first = true;

	uio_put(o, "{\"pid\": %d, \"when\": \"%s\", \"account_mode\": \"%s\""
		   ", \"vfio_container\": %s, \"vfio_ioas\": %u",
		uio_current_pid(), when,
		ctx->account_mode == UIO_ACCOUNT_MM ? "mm" : "user",
		ctx->vfio_container ? "true" : "false",
		ctx->vfio_ioas ? ctx->vfio_ioas->obj.id : 0);
	uio_put(o, ", \"counters\": {\"objects\": %u, \"areas\": %" PRIu64
		   ", \"pages_objs\": %" PRIu64 ", \"pinned_pages\": %" PRIu64
		   ", \"arena_bytes\": %" PRIu64 "}",
		ctx->objs.count, ctx->nareas, ctx->npages_objs, ctx->npinned,
		ctx->arena.bytes_in_use);
	uio_put(o, ", \"objects\": [");
	for (uint32_t id = 1; id < ctx->objs.next_id && id < ctx->objs.nslots; id++) {
		struct uio_obj *obj = ctx->objs.slots[id];

		if (!obj || !obj->live)
			continue;
		if (!first)
			uio_put(o, ", ");
		uio_dump_object(o, obj);
		first = false;
	}
	uio_put(o, "]");
	uio_dump_pages(o, ctx);
	uio_put(o, ", \"processes\": [");
	for (mm = ctx->mms, first = true; mm; mm = mm->next, first = false)
		uio_put(o, "%s{\"pid\": %d, \"gone\": %s, \"locked_vm\": %" PRIu64
			   ", \"pinned_vm\": %" PRIu64 ", \"live_segments\": %" PRIu64 "}",
			first ? "" : ", ", mm->pid, mm->gone ? "true" : "false",
			mm->locked_vm, mm->pinned_vm, mm->live.count);
	uio_put(o, "], \"users\": [");
	for (u = ctx->users, first = true; u; u = u->next, first = false)
		uio_put(o, "%s{\"uid\": %u, \"locked_vm\": %" PRIu64 "}",
			first ? "" : ", ", u->uid, u->locked_vm);
	uio_put(o, "]}\n");
}

int uio_dump_locked(struct uio_ctx *ctx, int out_fd, const char *when)
{
	struct uio_out *o = malloc(sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	o->fd = out_fd;
	o->n = 0;
	o->err = 0;
	uio_dump_ctx(o, ctx, when);
	uio_flush(o);
	rc = o->err;
	free(o);
	return rc;
}

UIO_EXPORT int uiommufd_dump(int fd, int out_fd)
{
	struct uio_ctx *ctx = uio_fd_ctx_lock(fd);
	int rc;

	if (!ctx)
		return -1;
	rc = uio_dump_locked(ctx, out_fd, "api");
	uio_fd_ctx_unlock(ctx);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/*
 * UIOMMUFD_DUMP=FILE: a dump is appended to FILE (one JSON object per
 * line) when a context's last fd closes and, for contexts still open,
 * when the program image ends (exit, exec).
 */
static pthread_once_t uio_dump_once = PTHREAD_ONCE_INIT;
static int uio_dump_fd = -1;

static void uio_dump_open(void)
{
	const char *path = getenv("UIOMMUFD_DUMP");

	if (!path || !*path)
		return;
	if (!strcmp(path, "-"))
		uio_dump_fd = 2;
	else
		uio_dump_fd = (int)UIO_SYS(SYS_openat, AT_FDCWD, path,
					   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
					   0644);
}

void uio_dump_event(struct uio_ctx *ctx, const char *when)
{
	pthread_once(&uio_dump_once, uio_dump_open);
	if (uio_dump_fd < 0)
		return;
	uio_dump_locked(ctx, uio_dump_fd, when);
}

/*
 * UIOMMUFD_DUMP_AFTER=N: also dump after the Nth iommufd ioctl this
 * process issues (on any context), to see the state mid-run.
 */
static pthread_once_t uio_dump_after_once = PTHREAD_ONCE_INIT;
static unsigned long uio_dump_after_n;
static _Atomic unsigned long uio_dump_calls;

static void uio_dump_after_init(void)
{
	const char *v = getenv("UIOMMUFD_DUMP_AFTER");

	uio_dump_after_n = v ? strtoul(v, NULL, 10) : 0;
}

void uio_dump_after_call(struct uio_ctx *ctx)
{
	char when[32];

	pthread_once(&uio_dump_after_once, uio_dump_after_init);
	if (!uio_dump_after_n || ++uio_dump_calls != uio_dump_after_n)
		return;
	snprintf(when, sizeof(when), "after-call-%lu", uio_dump_after_n);
	uio_dump_event(ctx, when);
}
