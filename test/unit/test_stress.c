// SPDX-License-Identifier: MIT
/*
 * Threads against one context through the C API (built with TSan in the
 * test script).
 *
 * test_threads: each thread maps, copies and unmaps with automatic IOVAs in
 * a shared IOAS and a private one, allocates and destroys IOASes, and runs
 * the invariant checker, for a bounded number of rounds.
 *
 * test_objects: each thread also keeps a mock device (made through the C
 * API or IOMMU_TEST_CMD) attached to the shared IOAS, to its private IOAS
 * or to a paging hwpt it allocated, and moves it between them with
 * MOCK_DOMAIN_REPLACE, so domains are filled and emptied while the other
 * threads map into the same IOAS; it does DMA through the device and reads,
 * writes and pins through an access on the shared IOAS, at its own IOVAs
 * (the data must be exact) and at IOVAs other threads are mapping and
 * unmapping (EFAULT / ENOENT allowed, but data read must be the pattern);
 * it destroys objects other threads are using (EBUSY) and ids they just
 * freed (ENOENT). Bounded by rounds and by wall time.
 *
 * Every call's result is checked against the errnos that are right for the
 * race it is in. Afterwards the invariants hold and every counter is back
 * to its baseline.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "xorshift.h"

#define NTHREADS 4
#define ROUNDS 2000

static int fd;
static uint32_t shared_ioas;
static char page[8 * 4096] __attribute__((aligned(4096)));
static _Atomic int failures;

#define CHECK(e) do { if (!(e)) failures++; } while (0)

static uint32_t alloc_ioas(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static void *worker(void *arg)
{
	uint32_t mine = alloc_ioas();

	for (int r = 0; r < ROUNDS; r++) {
		uint32_t ioas = ((uintptr_t)arg + r) & 1 ? mine : shared_ioas;
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)page + 4096 * (r % 8),
			.length = 4096 * (1 + r % 3),
		};
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = IOMMU_IOAS_MAP_READABLE,
			.dst_ioas_id = mine, .src_ioas_id = ioas,
			.length = 4096, .src_iova = m.iova,
		};
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_COPY, &c) == 0);
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
					      .iova = m.iova, .length = m.length };
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
		CHECK(u.length == m.length);
		u = (struct iommu_ioas_unmap){ .size = sizeof(u), .ioas_id = mine,
					       .iova = c.dst_iova, .length = 4096 };
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
		if (r % 64 == 0) {
			struct iommu_destroy d = { .size = sizeof(d), .id = alloc_ioas() };

			CHECK(uiommufd_ioctl(fd, IOMMU_DESTROY, &d) == 0);
			CHECK(uiommufd_check(fd) == 0);
		}
	}
	struct iommu_destroy d = { .size = sizeof(d), .id = mine };
	CHECK(uiommufd_ioctl(fd, IOMMU_DESTROY, &d) == 0);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[NTHREADS];
	struct uiommufd_stats st;

	(void)state;
	fd = uiommufd_open(O_RDWR);
	assert_true(fd >= 0);
	shared_ioas = alloc_ioas();
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(failures, 0);
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.objects, 1);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.pages_objs, 0);
	assert_int_equal(st.pinned_pages, 0);
	assert_int_equal(uiommufd_close(fd), 0);
}

/* ------------------------------------------------------------------ */
/* test_objects                                                        */
/* ------------------------------------------------------------------ */

#define OBJ_ROUNDS 20000
/* Wall-time bound; UIOMMUFD_STRESS_MS overrides it. */
#if defined(__SANITIZE_THREAD__)
#define OBJ_MS 5000
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OBJ_MS 5000
#endif
#endif
#ifndef OBJ_MS
#define OBJ_MS 2000
#endif

/*
 * Read-only pattern behind every mapping of the shared IOAS: each word
 * holds its own address XOR a key, so a read at any IOVA can be checked
 * without knowing which mapping it hit.
 */
#define PAT_PAGES 16
#define PAT_KEY 0x5aa5c33c96696996ull
static uint64_t pat[PAT_PAGES * 512] __attribute__((aligned(4096)));
/* Per-thread memory the thread's device writes (mapped in its own IOAS). */
static unsigned char wbuf[NTHREADS][2 * 4096] __attribute__((aligned(4096)));

/* Mapping the mock IOMMU can translate: inside its aperture. */
static const struct iommu_iova_range aperture = {
	MOCK_APERTURE_START, MOCK_APERTURE_LAST };

/* Outcomes: an errno is a bit; bit 0 is success. */
#define OK (1ull << 0)
#define E(x) (1ull << (x))

static _Atomic int obj_failures;
/* What happened, to show each race was run. */
enum {
	C_DEV_SHARED, C_DEV_MINE, C_REPLACE, C_UHWPT, C_ACCESS, C_DMA_OTHER_OK,
	C_DMA_OTHER_FAULT, C_RW_OTHER_OK, C_RW_OTHER_NOENT, C_PIN_OTHER_OK,
	C_PIN_OTHER_NOENT, C_COPY_OTHER_OK, C_COPY_OTHER_NOENT, C_EVENTS,
	C_DUP, C_CTX, C_NR
};
static const char *const cname[C_NR] = {
	"device on shared", "device on own", "replace", "hwpt alloc",
	"access", "DMA at others' IOVA ok", "EFAULT", "access_rw there ok",
	"ENOENT", "pin there ok", "ENOENT", "copy from there ok", "ENOENT",
	"unmap events", "dup'd fd calls", "private contexts",
};
static _Atomic uint64_t counts[C_NR];
static int devnull;
#define COUNT(c) atomic_fetch_add(&counts[c], 1)
static _Atomic uint64_t outcomes[64];
static _Atomic uint64_t nops;

static void fail_at(int line, const char *what, int e)
{
	if (atomic_fetch_add(&obj_failures, 1) < 20)
		fprintf(stderr, "test_stress:%d: %s: %s (%d)\n", line, what,
			e ? strerror(e) : "success", e);
}

/* The errno of a call returning 0 or -1; a failure unless in allowed. */
static int expect_rc(int rc, uint64_t allowed, const char *what, int line)
{
	int e = rc == 0 ? 0 : rc == -1 ? errno : 63;

	atomic_fetch_add(&nops, 1);
	if (e < 0 || e >= 63 || !(allowed & (1ull << e))) {
		fail_at(line, what, e);
		return e < 0 || e >= 63 ? 63 : e;
	}
	atomic_fetch_add(&outcomes[e], 1);
	return e;
}
#define EXPECT(call, allowed) expect_rc((call), (allowed), #call, __LINE__)
#define FAIL_IF(cond) do { if (cond) fail_at(__LINE__, #cond, 0); } while (0)

static int ioctl_(unsigned long req, void *arg)
{
	return uiommufd_ioctl(fd, req, arg);
}

static int destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return uiommufd_ioctl(fd, IOMMU_DESTROY, &d);
}

/*
 * Which ids hold what, for the threads that destroy other threads' ids.
 * A DESTROY that succeeded on another thread's object would pull it out
 * from under its owner, and ids are reused lowest first; so every object
 * is made under create_lock held shared and entered here before the lock
 * is dropped, and a DESTROY of a foreign id is done under create_lock held
 * exclusive, after looking the id up: a free id must be ENOENT, an object
 * that is always in use (a bound device, an access, an automatic domain, a
 * held IOAS) EBUSY or ENOENT (its owner destroyed it and has not yet
 * cleared the entry), a bait IOAS (nobody's) must go. The owners' own
 * destroys take no lock; an entry is cleared only if it is still theirs.
 */
enum kind {
	K_FREE, K_BUSY_IOAS, K_IDEV, K_ACCESS, K_AUTO_HWPT,
	K_STDEV, K_USER_HWPT, K_TEMP, K_BAIT, K_NR
};
#define MAX_IDS 4096
static _Atomic uint64_t reg[MAX_IDS];
static _Atomic uint64_t reg_token;
static _Atomic uint32_t reg_high;
static pthread_rwlock_t create_lock;
#define FREED_RING 64
static _Atomic uint32_t freed[FREED_RING];
static _Atomic uint32_t freed_pos;
static _Atomic int nbaits;
static _Atomic uint64_t foreign[K_NR][3]; /* by kind: 0, EBUSY, ENOENT */

static uint64_t reg_set(uint32_t id, enum kind k)
{
	uint64_t v = (atomic_fetch_add(&reg_token, 1) + 1) << 8 | k;
	uint32_t high = atomic_load(&reg_high);

	if (!id || id >= MAX_IDS) {
		fail_at(__LINE__, "id out of the test's range", 0);
		return 0;
	}
	while (id > high && !atomic_compare_exchange_weak(&reg_high, &high, id))
		;
	atomic_store(&reg[id], v);
	return v;
}

/* After the owner destroyed id: clear the entry if it is still ours. */
static void reg_clear(uint32_t id, uint64_t v)
{
	if (!id || id >= MAX_IDS)
		return;
	atomic_compare_exchange_strong(&reg[id], &v, 0);
	atomic_store(&freed[atomic_fetch_add(&freed_pos, 1) % FREED_RING], id);
}

static void create_begin(void)
{
	pthread_rwlock_rdlock(&create_lock);
}

static void create_end(void)
{
	pthread_rwlock_unlock(&create_lock);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* n words read at an IOVA of one of our own mappings of user address ua. */
static void check_exact(const uint64_t *w, size_t n, uintptr_t ua, int line)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] != ((ua + 8 * i) ^ PAT_KEY)) {
			fail_at(line, "data read is not the mapped memory", 0);
			return;
		}
}

/* n words read at iova (inside one page) of whatever mapping is there. */
static void check_pattern(const uint64_t *w, size_t n, uint64_t iova, int line)
{
	uintptr_t a0 = (uintptr_t)(w[0] ^ PAT_KEY);

	if (a0 < (uintptr_t)pat || a0 >= (uintptr_t)(pat + PAT_PAGES * 512) ||
	    a0 % 8 || (a0 & 4095) != (iova & 4095)) {
		fail_at(line, "data read is not the pattern", 0);
		return;
	}
	check_exact(w, n, a0, line);
}

enum where { W_SHARED, W_MINE, W_UHWPT };

struct pin {
	bool live, own;
	uint32_t id;
	uint64_t iova;
};

#define NPINS 8
#define NSMAP 2

struct smap {
	uint64_t iova, len;
	uintptr_t ua;
};

struct tstate {
	int t;
	uint64_t rnd;
	uint64_t rounds;
	uint32_t mine, mine_acc;
	uint64_t mine_v, mine_acc_v;
	struct smap smap[NSMAP]; /* our mappings in the shared IOAS */
	int nsmap;
	struct {
		bool live;
		uint32_t stdev, idev, hwpt;
		uint64_t stdev_v, idev_v;
		enum where where;
	} dev;
	struct {
		bool live, on_shared;
		uint32_t id;
		uint64_t v;
	} uh;
	struct {
		bool live;
		uint32_t id;
		uint64_t v;
		struct pin pins[NPINS];
		uint64_t expected_events, events;
	} acc;
	/* this round's mappings in the private IOAS */
	uint64_t copy_iova, copy_ua, wb_iova;
};

/* What others may read and destroy: [0] mine, [1] idev, [2] access, [3] hwpt. */
static _Atomic uint32_t pub_ids[NTHREADS][4];
/* The IOVAs of the last few mappings each thread made in the shared IOAS. */
#define NPUB 4
static _Atomic uint64_t pub_iova[NTHREADS][NPUB];
static _Atomic uint64_t obj_rounds;

static uint32_t obj_alloc_ioas(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	EXPECT(ioctl_(IOMMU_IOAS_ALLOC, &a), OK);
	return a.out_ioas_id;
}

static void allow_aperture(uint32_t ioas)
{
	struct iommu_ioas_allow_iovas al = {
		.size = sizeof(al), .ioas_id = ioas, .num_iovas = 1,
		.allowed_iovas = (uintptr_t)&aperture,
	};

	EXPECT(ioctl_(IOMMU_IOAS_ALLOW_IOVAS, &al), OK);
}

static uint64_t map(uint32_t ioas, void *ua, uint64_t len, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .flags = flags,
		.user_va = (uintptr_t)ua, .length = len,
	};

	EXPECT(ioctl_(IOMMU_IOAS_MAP, &m), OK);
	return m.iova;
}

static void unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = len };

	if (!EXPECT(ioctl_(IOMMU_IOAS_UNMAP, &u), OK))
		FAIL_IF(u.length != len);
}

static uint32_t dev_ioas(struct tstate *s)
{
	if (s->dev.where == W_SHARED ||
	    (s->dev.where == W_UHWPT && s->uh.on_shared))
		return shared_ioas;
	return s->mine;
}

/* An IOVA another thread mapped in the shared IOAS lately, or 0. */
static uint64_t foreign_iova(struct tstate *s)
{
	int o = (int)((s->t + 1 + xorshift64(&s->rnd) % (NTHREADS - 1)) % NTHREADS);

	return atomic_load(&pub_iova[o][xorshift64(&s->rnd) % NPUB]);
}

/* A random 8-aligned span of at most 64 words inside one page. */
static void span(struct tstate *s, uint64_t *off, size_t *n)
{
	*off = 8 * (xorshift64(&s->rnd) % 448);
	*n = 1 + xorshift64(&s->rnd) % 64;
	if (*off + 8 * *n > 4096)
		*n = (4096 - *off) / 8;
}

static void drain_events(struct tstate *s)
{
	uint64_t iova, len;

	while (!EXPECT(uiommufd_access_next_unmap(fd, s->acc.id, &iova, &len),
		       OK | E(EAGAIN))) {
		s->acc.events++;
		COUNT(C_EVENTS);
		FAIL_IF(len != 4096);
	}
}

static void unpin(struct tstate *s, struct pin *p)
{
	int e = EXPECT(uiommufd_access_unpin(fd, s->acc.id, p->id),
		       p->own ? OK : OK | E(ENOENT));

	/* A foreign pin already gone was taken back by an unmap. */
	if (e == ENOENT)
		s->acc.expected_events++;
	p->live = false;
}

/* ---- the round's steps ---- */

static void do_maps(struct tstate *s)
{
	struct smap *sm;
	uint64_t r = xorshift64(&s->rnd);

	if (s->nsmap == NSMAP) {
		int k = (int)(r % NSMAP);

		unmap(shared_ioas, s->smap[k].iova, s->smap[k].len);
		/* Our pins on it went with it, with an unmap event each. */
		for (int i = 0; i < NPINS; i++) {
			struct pin *p = &s->acc.pins[i];

			if (s->acc.live && p->live && p->own &&
			    p->iova >= s->smap[k].iova &&
			    p->iova < s->smap[k].iova + s->smap[k].len) {
				p->live = false;
				s->acc.expected_events++;
			}
		}
		s->smap[k] = s->smap[--s->nsmap];
	}
	sm = &s->smap[s->nsmap];
	sm->len = 4096 * (1 + (r >> 8) % 3);
	sm->ua = (uintptr_t)pat + 4096 * ((r >> 16) % (PAT_PAGES - 2));
	sm->iova = map(shared_ioas, (void *)sm->ua, sm->len,
		       IOMMU_IOAS_MAP_READABLE);
	atomic_store(&pub_iova[s->t][s->rounds % NPUB], sm->iova);
	s->nsmap++;

	/* Copy our new mapping's first page into our IOAS. */
	struct iommu_ioas_copy c = {
		.size = sizeof(c), .flags = IOMMU_IOAS_MAP_READABLE,
		.dst_ioas_id = s->mine, .src_ioas_id = shared_ioas,
		.length = 4096, .src_iova = sm->iova,
	};
	EXPECT(ioctl_(IOMMU_IOAS_COPY, &c), OK);
	s->copy_iova = c.dst_iova;
	s->copy_ua = sm->ua;

	/* And a page of someone else's, which may be going away. */
	c.src_iova = foreign_iova(s);
	if (c.src_iova) {
		if (!EXPECT(ioctl_(IOMMU_IOAS_COPY, &c), OK | E(ENOENT))) {
			COUNT(C_COPY_OTHER_OK);
			unmap(s->mine, c.dst_iova, 4096);
		} else {
			COUNT(C_COPY_OTHER_NOENT);
		}
	}

	s->wb_iova = map(s->mine, wbuf[s->t], sizeof(wbuf[s->t]),
			 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE);
}

static void do_unmaps(struct tstate *s)
{
	unmap(s->mine, s->copy_iova, 4096);
	unmap(s->mine, s->wb_iova, sizeof(wbuf[s->t]));
}

static void do_dma(struct tstate *s)
{
	uint64_t w[64], back[64], off, iova;
	size_t n;

	if (!s->dev.live)
		return;
	span(s, &off, &n);
	if (dev_ioas(s) == shared_ioas) {
		struct smap *sm = &s->smap[xorshift64(&s->rnd) % s->nsmap];
		uint64_t pg = 4096 * (xorshift64(&s->rnd) % (sm->len / 4096));

		if (!EXPECT(uiommufd_dma(fd, s->dev.idev, sm->iova + pg + off, w,
					 8 * n, 0), OK))
			check_exact(w, n, sm->ua + pg + off, __LINE__);
		/* The mapping is read-only. */
		EXPECT(uiommufd_dma(fd, s->dev.idev, sm->iova + pg + off, w,
				    8 * n, UIOMMUFD_DMA_WRITE), E(EPERM));
		iova = foreign_iova(s);
		if (!iova) {
		} else if (!EXPECT(uiommufd_dma(fd, s->dev.idev, iova + off, w,
						8 * n, 0), OK | E(EFAULT))) {
			COUNT(C_DMA_OTHER_OK);
			check_pattern(w, n, iova + off, __LINE__);
		} else {
			COUNT(C_DMA_OTHER_FAULT);
		}
	} else {
		unsigned char *mem = wbuf[s->t] + 4096 * (xorshift64(&s->rnd) % 2);
		uint64_t at = s->wb_iova + (uint64_t)(mem - wbuf[s->t]) + off;

		for (size_t i = 0; i < n; i++)
			w[i] = xorshift64(&s->rnd);
		if (!EXPECT(uiommufd_dma(fd, s->dev.idev, at, w, 8 * n,
					 UIOMMUFD_DMA_WRITE), OK))
			FAIL_IF(memcmp(mem + off, w, 8 * n));
		if (!EXPECT(uiommufd_dma(fd, s->dev.idev, at, back, 8 * n, 0), OK))
			FAIL_IF(memcmp(back, w, 8 * n));
		if (!EXPECT(uiommufd_dma(fd, s->dev.idev, s->copy_iova + off, w,
					 8 * n, 0), OK))
			check_exact(w, n, s->copy_ua + off, __LINE__);
	}
	/* Nothing is ever mapped below the aperture. */
	EXPECT(uiommufd_dma(fd, s->dev.idev, 0x1000, w, 8, 0), E(EFAULT));
}

static struct pin *free_pin(struct tstate *s)
{
	for (int i = 0; i < NPINS; i++)
		if (!s->acc.pins[i].live)
			return &s->acc.pins[i];
	return NULL;
}

static void do_access(struct tstate *s)
{
	struct smap *sm = &s->smap[xorshift64(&s->rnd) % s->nsmap];
	uint64_t pg = 4096 * (xorshift64(&s->rnd) % (sm->len / 4096));
	uint64_t w[64], off, iova;
	struct pin *p;
	size_t n;

	if (!s->acc.live)
		return;
	span(s, &off, &n);
	if (!EXPECT(uiommufd_access_rw(fd, s->acc.id, sm->iova + pg + off, w,
				       8 * n, 0), OK))
		check_exact(w, n, sm->ua + pg + off, __LINE__);
	EXPECT(uiommufd_access_rw(fd, s->acc.id, sm->iova + pg + off, w, 8 * n,
				  UIOMMUFD_DMA_WRITE), E(EPERM));
	iova = foreign_iova(s);
	if (!iova) {
	} else if (!EXPECT(uiommufd_access_rw(fd, s->acc.id, iova + off, w,
					      8 * n, 0), OK | E(ENOENT))) {
		COUNT(C_RW_OTHER_OK);
		check_pattern(w, n, iova + off, __LINE__);
	} else {
		COUNT(C_RW_OTHER_NOENT);
	}

	if ((p = free_pin(s)) &&
	    !EXPECT(uiommufd_access_pin(fd, s->acc.id, sm->iova + pg, 4096, 0,
					&p->id), OK)) {
		p->live = p->own = true;
		p->iova = sm->iova + pg;
	}
	iova = foreign_iova(s);
	if (!iova || !(p = free_pin(s))) {
	} else if (!EXPECT(uiommufd_access_pin(fd, s->acc.id, iova, 4096, 0,
					       &p->id), OK | E(ENOENT))) {
		COUNT(C_PIN_OTHER_OK);
		p->live = true;
		p->own = false;
		p->iova = iova;
	} else {
		COUNT(C_PIN_OTHER_NOENT);
	}
	drain_events(s);
	p = &s->acc.pins[xorshift64(&s->rnd) % NPINS];
	if (p->live)
		unpin(s, p);
}

static void access_create(struct tstate *s)
{
	create_begin();
	if (!EXPECT(uiommufd_access_create(fd, shared_ioas, &s->acc.id), OK)) {
		s->acc.live = true;
		COUNT(C_ACCESS);
		s->acc.v = reg_set(s->acc.id, K_ACCESS);
		atomic_store(&pub_ids[s->t][2], s->acc.id);
	}
	create_end();
}

static void access_destroy(struct tstate *s)
{
	for (int i = 0; i < NPINS; i++)
		if (s->acc.pins[i].live)
			unpin(s, &s->acc.pins[i]);
	drain_events(s);
	/* One event per pin an unmap took back, no more, no less. */
	if (s->acc.events != s->acc.expected_events) {
		fprintf(stderr, "events %llu, expected %llu\n",
			(unsigned long long)s->acc.events,
			(unsigned long long)s->acc.expected_events);
		fail_at(__LINE__, "unmap events", 0);
	}
	atomic_store(&pub_ids[s->t][2], 0);
	EXPECT(uiommufd_access_destroy(fd, s->acc.id), OK);
	reg_clear(s->acc.id, s->acc.v);
	memset(&s->acc, 0, sizeof(s->acc));
}

static void dev_create(struct tstate *s)
{
	uint64_t r = xorshift64(&s->rnd);
	uint32_t pt = r & 1 ? shared_ioas : s->mine;
	uint32_t flags = (r >> 1) % 4 == 0 ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0;
	int e;

	create_begin();
	if ((r >> 3) & 1) {
		struct uiommufd_mock_device d;

		e = EXPECT(uiommufd_mock_device_create(fd, pt, flags, &d), OK);
		s->dev.stdev = d.stdev_id;
		s->dev.idev = d.idev_id;
		s->dev.hwpt = d.hwpt_id;
	} else {
		struct iommu_test_cmd c = {
			.size = sizeof(c), .id = pt,
			.op = flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				      IOMMU_TEST_OP_MOCK_DOMAIN,
			.mock_domain_flags.dev_flags = flags,
		};

		e = EXPECT(ioctl_(IOMMU_TEST_CMD, &c), OK);
		s->dev.stdev = c.mock_domain.out_stdev_id;
		s->dev.idev = c.mock_domain.out_idev_id;
		s->dev.hwpt = c.mock_domain.out_hwpt_id;
	}
	if (!e) {
		s->dev.live = true;
		s->dev.where = pt == shared_ioas ? W_SHARED : W_MINE;
		COUNT(pt == shared_ioas ? C_DEV_SHARED : C_DEV_MINE);
		s->dev.stdev_v = reg_set(s->dev.stdev, K_STDEV);
		s->dev.idev_v = reg_set(s->dev.idev, K_IDEV);
		reg_set(s->dev.hwpt, K_AUTO_HWPT);
		atomic_store(&pub_ids[s->t][1], s->dev.idev);
		atomic_store(&pub_ids[s->t][3], s->dev.hwpt);
	}
	create_end();
}

static void dev_replace(struct tstate *s)
{
	uint64_t r = xorshift64(&s->rnd) % 3;
	enum where to = r == 2 && !s->uh.live ? W_SHARED : (enum where)r;
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = s->dev.stdev,
		.mock_domain_replace.pt_id = to == W_SHARED ? shared_ioas :
					     to == W_MINE ? s->mine : s->uh.id,
	};

	/* Replacing onto an IOAS may make its automatic domain. */
	create_begin();
	if (!EXPECT(ioctl_(IOMMU_TEST_CMD, &c), OK)) {
		s->dev.where = to;
		COUNT(C_REPLACE);
		s->dev.hwpt = c.mock_domain_replace.pt_id;
		if (to == W_UHWPT)
			FAIL_IF(s->dev.hwpt != s->uh.id);
		else
			reg_set(s->dev.hwpt, K_AUTO_HWPT);
		atomic_store(&pub_ids[s->t][3], s->dev.hwpt);
	}
	create_end();
}

static void dev_destroy(struct tstate *s)
{
	atomic_store(&pub_ids[s->t][1], 0);
	atomic_store(&pub_ids[s->t][3], 0);
	EXPECT(destroy(s->dev.stdev), OK);
	reg_clear(s->dev.stdev, s->dev.stdev_v);
	reg_clear(s->dev.idev, s->dev.idev_v);
	memset(&s->dev, 0, sizeof(s->dev));
}

static void uhwpt_alloc(struct tstate *s)
{
	bool on_shared = xorshift64(&s->rnd) & 1;
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = s->dev.idev,
		.pt_id = on_shared ? shared_ioas : s->mine,
	};

	create_begin();
	if (!EXPECT(ioctl_(IOMMU_HWPT_ALLOC, &a), OK)) {
		s->uh.live = true;
		COUNT(C_UHWPT);
		s->uh.on_shared = on_shared;
		s->uh.id = a.out_hwpt_id;
		s->uh.v = reg_set(a.out_hwpt_id, K_USER_HWPT);
	}
	create_end();
}

static void uhwpt_destroy(struct tstate *s)
{
	bool busy = s->dev.live && s->dev.where == W_UHWPT;

	if (!EXPECT(destroy(s->uh.id), busy ? E(EBUSY) : OK)) {
		reg_clear(s->uh.id, s->uh.v);
		memset(&s->uh, 0, sizeof(s->uh));
	}
}

/* Our own objects that are in use: DESTROY must say so. */
static void destroy_own_busy(struct tstate *s)
{
	EXPECT(destroy(s->mine), E(EBUSY));
	EXPECT(destroy(shared_ioas), E(EBUSY));
	if (s->dev.live) {
		EXPECT(destroy(s->dev.idev), E(EBUSY));
		EXPECT(destroy(s->dev.hwpt), E(EBUSY));
	}
	if (s->acc.live)
		EXPECT(destroy(s->acc.id), E(EBUSY));
}

/* DESTROY of another thread's id, in use or just freed. */
static void destroy_foreign(struct tstate *s)
{
	uint64_t r = xorshift64(&s->rnd);
	uint32_t id;
	enum kind k;
	int e;

	switch (r % 3) {
	case 0:
		id = atomic_load(&freed[(r >> 8) % FREED_RING]);
		break;
	case 1:
		id = atomic_load(&pub_ids[(r >> 8) % NTHREADS][(r >> 16) % 4]);
		break;
	default:
		id = 1 + (uint32_t)((r >> 8) % (atomic_load(&reg_high) + 2));
		break;
	}
	if (!id || id >= MAX_IDS)
		return;
	pthread_rwlock_wrlock(&create_lock);
	k = (enum kind)(atomic_load(&reg[id]) & 0xff);
	switch (k) {
	case K_FREE:
		e = EXPECT(destroy(id), E(ENOENT));
		break;
	case K_BUSY_IOAS:
	case K_IDEV:
	case K_ACCESS:
	case K_AUTO_HWPT:
		e = EXPECT(destroy(id), E(EBUSY) | E(ENOENT));
		break;
	case K_BAIT:
		e = EXPECT(destroy(id), OK);
		if (!e) {
			atomic_store(&reg[id], 0);
			atomic_fetch_sub(&nbaits, 1);
		}
		break;
	default:
		/* A destroy could succeed: its owner's to do. */
		e = -1;
		break;
	}
	pthread_rwlock_unlock(&create_lock);
	if (e == 0 || e == EBUSY || e == ENOENT)
		atomic_fetch_add(&foreign[k][e == 0 ? 0 : e == EBUSY ? 1 : 2], 1);
}

static void bait_create(void)
{
	if (atomic_fetch_add(&nbaits, 1) >= 8) {
		atomic_fetch_sub(&nbaits, 1);
		return;
	}
	create_begin();
	reg_set(obj_alloc_ioas(), K_BAIT);
	create_end();
}

static void temp_ioas(void)
{
	uint32_t id;
	uint64_t v;

	create_begin();
	id = obj_alloc_ioas();
	v = reg_set(id, K_TEMP);
	create_end();
	EXPECT(destroy(id), OK);
	reg_clear(id, v);
}

/* The context through another fd of it, which is then closed. */
static void dup_fd(void)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = {
		.size = sizeof(q), .ioas_id = shared_ioas, .num_iovas = 4,
		.allowed_iovas = (uintptr_t)r,
	};
	/*
	 * uiommufd_close() closes with the raw syscall (the core never calls
	 * what the preload interposes), so TSan never sees that close. Were
	 * the dup a libc call, TSan would see fd numbers reused by two
	 * threads with no close between them and report a race on the fd.
	 * Make the dup invisible to it as well.
	 */
	int d = (int)syscall(SYS_dup, fd);

	if (d < 0) {
		fail_at(__LINE__, "dup", errno);
		return;
	}
	FAIL_IF(uiommufd_is_context_fd(d) != 1);
	EXPECT(uiommufd_ioctl(d, IOMMU_IOAS_IOVA_RANGES, &q), OK);
	EXPECT(uiommufd_check(d), OK);
	EXPECT(uiommufd_dump(d, devnull), OK);
	/* Not the last reference: the context stays. */
	EXPECT(uiommufd_close(d), OK);
	EXPECT(uiommufd_check(fd), OK);
	COUNT(C_DUP);
}

/* A context of our own, released by its last close with objects in it. */
static void private_ctx(struct tstate *s)
{
	int pfd = uiommufd_open(O_RDWR);
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct uiommufd_mock_device d;
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = IOMMU_IOAS_MAP_READABLE,
		.user_va = (uintptr_t)pat, .length = 4096,
	};
	uint64_t w[8];
	int afd = -1;

	if (pfd < 0) {
		fail_at(__LINE__, "uiommufd_open", errno);
		return;
	}
	if (!EXPECT(uiommufd_ioctl(pfd, IOMMU_IOAS_ALLOC, &a), OK) &&
	    !EXPECT(uiommufd_mock_device_create(pfd, a.out_ioas_id, 0, &d), OK)) {
		m.ioas_id = a.out_ioas_id;
		if (!EXPECT(uiommufd_ioctl(pfd, IOMMU_IOAS_MAP, &m), OK) &&
		    !EXPECT(uiommufd_dma(pfd, d.idev_id, m.iova, w, sizeof(w), 0),
			    OK))
			check_exact(w, 8, (uintptr_t)pat, __LINE__);
	}
	/* A selftest access, named by an fd. */
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = a.out_ioas_id,
	};
	if (!EXPECT(uiommufd_ioctl(pfd, IOMMU_TEST_CMD, &c), OK)) {
		afd = (int)c.create_access.out_access_fd;
		c = (struct iommu_test_cmd){
			.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_RW,
			.id = (uint32_t)afd,
			.access_rw = { .iova = m.iova, .length = sizeof(w),
				       .uptr = (uintptr_t)w },
		};
		if (!EXPECT(uiommufd_ioctl(pfd, IOMMU_TEST_CMD, &c), OK))
			check_exact(w, 8, (uintptr_t)pat, __LINE__);
	}
	/* The last close takes the access with it; then its file can go. */
	EXPECT(uiommufd_close(pfd), OK);
	if (afd >= 0)
		uiommufd_close(afd);
	(void)s;
	COUNT(C_CTX);
}

static void lifecycle(struct tstate *s)
{
	struct uiommufd_stats st;
	uint64_t r = xorshift64(&s->rnd);

	if (r % 256 == 0)
		private_ctx(s);
	switch (r % 13) {
	case 0:
	case 1:
		if (!s->dev.live)
			dev_create(s);
		else
			dev_replace(s);
		break;
	case 2:
		if (s->dev.live)
			dev_replace(s);
		break;
	case 3:
		if (s->dev.live)
			dev_destroy(s);
		break;
	case 4:
		if (!s->uh.live && s->dev.live)
			uhwpt_alloc(s);
		else if (s->uh.live)
			uhwpt_destroy(s);
		break;
	case 5:
		if (!s->acc.live)
			access_create(s);
		else
			access_destroy(s);
		break;
	case 6:
		destroy_own_busy(s);
		break;
	case 7:
	case 8:
		destroy_foreign(s);
		break;
	case 9:
		bait_create();
		break;
	case 10:
		temp_ioas();
		break;
	case 11:
		dup_fd();
		break;
	default:
		EXPECT(uiommufd_check(fd), OK);
		EXPECT(uiommufd_stats(fd, &st), OK);
		break;
	}
}

static void *obj_worker(void *arg)
{
	struct tstate *s = arg;
	double deadline;
	const char *ms = getenv("UIOMMUFD_STRESS_MS");

	deadline = now_ms() + (ms ? atof(ms) : OBJ_MS);
	/* Our IOAS is held by an access for its whole life, so always busy. */
	create_begin();
	s->mine = obj_alloc_ioas();
	allow_aperture(s->mine);
	EXPECT(uiommufd_access_create(fd, s->mine, &s->mine_acc), OK);
	s->mine_acc_v = reg_set(s->mine_acc, K_ACCESS);
	s->mine_v = reg_set(s->mine, K_BUSY_IOAS);
	atomic_store(&pub_ids[s->t][0], s->mine);
	create_end();

	for (s->rounds = 0; s->rounds < OBJ_ROUNDS && now_ms() < deadline;
	     s->rounds++) {
		do_maps(s);
		do_dma(s);
		do_access(s);
		do_unmaps(s);
		lifecycle(s);
		if (atomic_load(&obj_failures) > 20)
			break;
	}

	if (s->acc.live)
		access_destroy(s);
	if (s->dev.live)
		dev_destroy(s);
	if (s->uh.live)
		uhwpt_destroy(s);
	for (int k = 0; k < s->nsmap; k++)
		unmap(shared_ioas, s->smap[k].iova, s->smap[k].len);
	/* Not busy any more: out of the foreign destroyers' way first. */
	atomic_store(&pub_ids[s->t][0], 0);
	create_begin();
	s->mine_v = reg_set(s->mine, K_TEMP);
	create_end();
	EXPECT(uiommufd_access_destroy(fd, s->mine_acc), OK);
	reg_clear(s->mine_acc, s->mine_acc_v);
	EXPECT(destroy(s->mine), OK);
	reg_clear(s->mine, s->mine_v);
	atomic_fetch_add(&obj_rounds, s->rounds);
	return NULL;
}

static void test_objects(void **state)
{
	static struct tstate ts[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_rwlockattr_t attr;
	struct uiommufd_stats base, st;
	struct rlimit rl;
	uint32_t shared_acc;
	double t0, ms;

	(void)state;
	/* Pins are charged to RLIMIT_MEMLOCK: take what the hard limit allows. */
	if (!getrlimit(RLIMIT_MEMLOCK, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	assert_int_equal(pthread_rwlock_init(&create_lock, &attr), 0);
	pthread_rwlockattr_destroy(&attr);
	for (size_t i = 0; i < PAT_PAGES * 512; i++)
		pat[i] = (uintptr_t)&pat[i] ^ PAT_KEY;

	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(devnull >= 0);
	fd = uiommufd_open(O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(uiommufd_stats(fd, &base), 0);
	shared_ioas = obj_alloc_ioas();
	allow_aperture(shared_ioas);
	/* Held for the whole run: the shared IOAS is always busy. */
	assert_int_equal(uiommufd_access_create(fd, shared_ioas, &shared_acc), 0);
	reg_set(shared_acc, K_ACCESS);
	reg_set(shared_ioas, K_BUSY_IOAS);

	t0 = now_ms();
	for (int i = 0; i < NTHREADS; i++) {
		ts[i].t = i;
		ts[i].rnd = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
		assert_int_equal(pthread_create(&th[i], NULL, obj_worker, &ts[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	ms = now_ms() - t0;

	/* Baits nobody destroyed. */
	for (uint32_t id = 1; id < MAX_IDS; id++)
		if ((atomic_load(&reg[id]) & 0xff) == K_BAIT)
			EXPECT(destroy(id), OK);
	fprintf(stderr,
		"test_objects: %d threads, %llu rounds, %llu calls in %.0f ms "
		"(%.0f rounds/s, %.0f calls/s); EBUSY %llu ENOENT %llu "
		"EFAULT %llu EPERM %llu EAGAIN %llu; foreign DESTROY: "
		"free->ENOENT %llu, busy->EBUSY %llu, busy->ENOENT %llu, "
		"bait->0 %llu\n",
		NTHREADS, (unsigned long long)obj_rounds,
		(unsigned long long)nops, ms, obj_rounds * 1e3 / ms,
		nops * 1e3 / ms, (unsigned long long)outcomes[EBUSY],
		(unsigned long long)outcomes[ENOENT],
		(unsigned long long)outcomes[EFAULT],
		(unsigned long long)outcomes[EPERM],
		(unsigned long long)outcomes[EAGAIN],
		(unsigned long long)foreign[K_FREE][2],
		(unsigned long long)(foreign[K_BUSY_IOAS][1] + foreign[K_IDEV][1] +
				     foreign[K_ACCESS][1] + foreign[K_AUTO_HWPT][1]),
		(unsigned long long)(foreign[K_BUSY_IOAS][2] + foreign[K_IDEV][2] +
				     foreign[K_ACCESS][2] + foreign[K_AUTO_HWPT][2]),
		(unsigned long long)foreign[K_BAIT][0]);
	for (int c = 0; c < C_NR; c++)
		fprintf(stderr, "%s%s %llu", c ? ", " : "  ", cname[c],
			(unsigned long long)counts[c]);
	fprintf(stderr, "\n");
	assert_int_equal(obj_failures, 0);
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_access_destroy(fd, shared_acc), 0);
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.objects, base.objects + 1);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.pages_objs, 0);
	assert_int_equal(st.pinned_pages, 0);
	assert_int_equal(destroy(shared_ioas), 0);
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.objects, base.objects);
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_close(fd), 0);
	pthread_rwlock_destroy(&create_lock);
	close(devnull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
