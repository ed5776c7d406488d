// SPDX-License-Identifier: MIT
/*
 * The fail_nth sweep: run each sequence of commands (fail_nth_seqs.c) with
 * the Nth failure point failing, for N = 1, 2, ... until the sequence
 * completes without reaching N. A reference run without injection records
 * the state after every step. At every N:
 *   - the failing command reports the kernel's errno: ENOMEM (allocation,
 *     pinning, page-table growth) or EFAULT (a user copy);
 *   - the state is the one before that command (objects, areas, pages
 *     objects, pinned pages, the sequence's extra state such as what the
 *     domains map, and the invariant checker), except where the kernel
 *     itself keeps the effect (the step's FN_* flags, see fail_nth.h);
 *   - a failure point whose failure the command absorbs (it still returns
 *     0) must not change where the sequence ends up;
 *   - after teardown nothing is left: objects, areas, pages objects,
 *     pinned pages and every locked-memory counter are 0.
 * The suite also runs under ASan/LSan, which catches what leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"
#include "fail_nth.h"

int fn_fd = -1;
struct fn_run R;

int fn_ioctl(unsigned long req, void *arg)
{
	return uiommufd_ioctl(fn_fd, req, arg) < 0 ? errno : 0;
}

struct fn_state {
	uint64_t objects, areas, pages_objs, pinned_pages, extra;
};

#define FN_MAX_STEPS 32

static void fn_snapshot(const struct fn_seq *seq, struct fn_state *st)
{
	struct uiommufd_stats s;

	assert_int_equal(uiommufd_stats(fn_fd, &s), 0);
	st->objects = s.objects;
	st->areas = s.areas;
	st->pages_objs = s.pages_objs;
	st->pinned_pages = s.pinned_pages;
	st->extra = seq->extra ? seq->extra() : 0;
}

static bool fn_same(const struct fn_state *a, const struct fn_state *b)
{
	return a->objects == b->objects && a->areas == b->areas &&
	       a->pages_objs == b->pages_objs &&
	       a->pinned_pages == b->pinned_pages && a->extra == b->extra;
}

static void fn_print(const char *what, const struct fn_state *st)
{
	fprintf(stderr, "  %s: objects %llu areas %llu pages %llu pinned %llu extra 0x%llx\n",
		what, (unsigned long long)st->objects,
		(unsigned long long)st->areas,
		(unsigned long long)st->pages_objs,
		(unsigned long long)st->pinned_pages,
		(unsigned long long)st->extra);
}

/* Every locked-memory counter of the context is back to 0. */
static void fn_check_accounting(void)
{
	struct uio_ctx *ctx;
	bool ok = true;

	uio_core_enter(); /* hold the context while reading it */
	ctx = uio_fd_lookup(fn_fd);
	assert_non_null(ctx);
	assert_int_equal(uio_ctx_lock(ctx), 0);
	for (struct uio_mm *mm = ctx->mms; mm; mm = mm->next)
		ok &= mm->locked_vm == 0 && mm->pinned_vm == 0 &&
		      mm->live.count == 0;
	for (struct uio_user *u = ctx->users; u; u = u->next)
		ok &= u->locked_vm == 0;
	ok &= ctx->npinned == 0 && ctx->phys.count == 0;
	uio_ctx_unlock(ctx);
	uio_core_leave();
	assert_true(ok);
}

/* With injection off: close the fds, destroy every object, check zeros. */
static void fn_teardown(void)
{
	struct uiommufd_stats st;
	bool progress = true;

	for (int i = 0; i < FN_MAX_FDS; i++) {
		if (R.access_fd[i] >= 0)
			assert_int_equal(uiommufd_close(R.access_fd[i]), 0);
		if (R.fault_fd[i] >= 0)
			assert_int_equal(uiommufd_close(R.fault_fd[i]), 0);
	}
	while (progress) {
		progress = false;
		for (uint32_t id = 1; id < 64; id++) {
			struct iommu_destroy d = { .size = sizeof(d), .id = id };

			if (!fn_ioctl(IOMMU_DESTROY, &d))
				progress = true;
		}
	}
	assert_int_equal(uiommufd_stats(fn_fd, &st), 0);
	assert_int_equal(st.objects, 0);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.pages_objs, 0);
	assert_int_equal(st.pinned_pages, 0);
	fn_check_accounting();
	assert_int_equal(uiommufd_check(fn_fd), 0);
	assert_int_equal(uiommufd_close(fn_fd), 0);
	fn_fd = -1;
}

static void fn_open(void)
{
	memset(&R, 0, sizeof(R));
	for (int i = 0; i < FN_MAX_FDS; i++)
		R.access_fd[i] = R.fault_fd[i] = -1;
	fn_fd = uiommufd_open(O_RDWR);
	assert_true(fn_fd >= 0);
}

/* ref[s + 1]: the state after step s of the uninjected run; ref[0] before. */
static struct fn_state ref[FN_MAX_STEPS + 1];

static void fn_reference(const struct fn_seq *seq)
{
	fn_open();
	fn_snapshot(seq, &ref[0]);
	for (int s = 0; s < seq->nsteps; s++) {
		int rc = seq->step(s);

		if (rc)
			fail_msg("%s: uninjected step %d: errno %d", seq->name, s, rc);
		assert_int_equal(uiommufd_check(fn_fd), 0);
		fn_snapshot(seq, &ref[s + 1]);
	}
	fn_teardown();
}

/* How the failures of one sweep ended. */
struct fn_counts {
	unsigned long long enomem, efault, kept, cut, absorbed;
};

/* The state after a failure of step s with errno rc is one the kernel leaves. */
static bool fn_allowed(const struct fn_seq *seq, int s, int rc,
		       const struct fn_state *st, struct fn_counts *c)
{
	unsigned int flags = seq->flags[s];
	struct fn_state cut = ref[s];

	if (fn_same(st, &ref[s]))
		return true;
	if (rc == EFAULT && (flags & FN_KEEP_EFAULT) && fn_same(st, &ref[s + 1])) {
		c->kept++;
		return true;
	}
	/* One cut done, the rest refused: one more area, the same mappings. */
	cut.areas++;
	if (rc == ENOMEM && (flags & FN_CUT_MAY_STAY) && fn_same(st, &cut)) {
		c->cut++;
		return true;
	}
	return false;
}

/* One run with the nth point failing. Returns whether every step ran. */
static bool fn_run_nth(const struct fn_seq *seq, unsigned long long n,
		       bool *reached, struct fn_counts *c)
{
	struct fn_state st;
	bool completed = true;

	fn_open();
	uiommufd_fail_nth(n);
	for (int s = 0; s < seq->nsteps; s++) {
		int rc = seq->step(s);

		if (!rc) {
			assert_int_equal(uiommufd_check(fn_fd), 0);
			continue;
		}
		/* Injection fires once: from here on it is off. */
		assert_false(uiommufd_fail_pending());
		if (rc != ENOMEM && rc != EFAULT)
			fail_msg("%s N=%llu step %d: errno %d, not ENOMEM or EFAULT",
				 seq->name, n, s, rc);
		if (rc == ENOMEM)
			c->enomem++;
		else
			c->efault++;
		assert_int_equal(uiommufd_check(fn_fd), 0);
		fn_snapshot(seq, &st);
		if (!fn_allowed(seq, s, rc, &st, c)) {
			fprintf(stderr, "%s N=%llu step %d errno %d\n", seq->name,
				n, s, rc);
			fn_print("now", &st);
			fn_print("before", &ref[s]);
			fn_print("after", &ref[s + 1]);
			fail_msg("%s N=%llu step %d: state not restored", seq->name,
				 n, s);
		}
		completed = false;
		break;
	}
	*reached = !uiommufd_fail_pending();
	uiommufd_fail_nth(0);
	if (completed && *reached) {
		/* Absorbed: the run must still end where the reference did. */
		fn_snapshot(seq, &st);
		if (!fn_same(&st, &ref[seq->nsteps])) {
			fn_print("now", &st);
			fn_print("reference", &ref[seq->nsteps]);
			fail_msg("%s N=%llu: an absorbed failure changed the end state",
				 seq->name, n);
		}
	}
	fn_teardown();
	return completed;
}

static void fn_sweep(const struct fn_seq *seq)
{
	struct fn_counts c = { 0 };
	unsigned long long n;
	bool reached;

	assert_true(seq->nsteps <= FN_MAX_STEPS);
	fn_reference(seq);
	for (n = 1; n < 100000; n++) {
		bool done = fn_run_nth(seq, n, &reached, &c);

		if (done && !reached)
			break;
		assert_true(reached);
		c.absorbed += done;
	}
	/* Some failure points were swept. */
	assert_true(n > (unsigned long long)seq->nsteps);
	printf("fail_nth %s: %llu failure points over %d steps: %llu ENOMEM, "
	       "%llu EFAULT (%llu kept their effect, as the kernel), %llu kept a "
	       "cut, %llu absorbed\n",
	       seq->name, n - 1, seq->nsteps, c.enomem, c.efault, c.kept, c.cut,
	       c.absorbed);
}

static void test_ioas(void **state) { (void)state; fn_sweep(&fn_seq_ioas); }
static void test_domain(void **state) { (void)state; fn_sweep(&fn_seq_domain); }
static void test_hwpt(void **state) { (void)state; fn_sweep(&fn_seq_hwpt); }
static void test_dirty(void **state) { (void)state; fn_sweep(&fn_seq_dirty); }
static void test_access(void **state) { (void)state; fn_sweep(&fn_seq_access); }
static void test_vfio(void **state) { (void)state; fn_sweep(&fn_seq_vfio); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioas),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_hwpt),
		cmocka_unit_test(test_dirty),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_vfio),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
