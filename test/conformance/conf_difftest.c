// SPDX-License-Identifier: MIT
/*
 * Differences the differential tester (test/diff) found between uiommufd
 * and the reference kernel, each pinned down by the smallest sequence that
 * shows it. Every expectation was checked in the reference kernel.
 */
#include "conf.h"

/*
 * An automatic IOVA for a user address with a page offset: the kernel
 * aligns the start of the allowed range and ORs the page offset into it
 * before it looks for a hole, so a hole that begins below that point is
 * used from it on. Here the first hole begins at 0x1301 (an area holds
 * [0x1000, 0x1300]); the search starts at 0x1000 | 0xe48 = 0x1e48, which
 * is free, where aligning the hole's own start would give 0x1f48.
 */
static void test_auto_iova_page_offset(void **state)
{
	char *b = aligned_buffer(16 * PAGE, 0);
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova = 0x1000;

	(void)state;
	assert_int_equal(map(fd, ioas, b, 0x301, &iova, RW | FIXED), 0);
	iova = 0;
	assert_int_equal(map(fd, ioas, b + 0x4e48, 0x8000, &iova, RW), 0);
	assert_int_equal(iova, 0x1e48);
	/* With an allowed range, from its start the same way. */
	uint32_t ioas2 = ioas_alloc(fd);
	struct iommu_iova_range r = { 0x100000, 0x1fffff };

	assert_int_equal(allow(fd, ioas2, &r, 1), 0);
	iova = 0x100000;
	assert_int_equal(map(fd, ioas2, b, 0x301, &iova, RW | FIXED), 0);
	iova = 0;
	assert_int_equal(map(fd, ioas2, b + 0x4e48, 0x4000, &iova, RW), 0);
	assert_int_equal(iova, 0x100e48);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(destroy(fd, ioas2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_iova_page_offset,
						ctx_setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
