// SPDX-License-Identifier: MIT
/*
 * The generic part of every command: the leading size word, the minimum
 * size, zero-extended short structs, E2BIG for non-zero tails, unknown
 * numbers, reserved fields and flags, and the size of the answer.
 */
#include "conf.h"

struct cmd_desc {
	const char *name;
	unsigned long nr;
	uint32_t size;     /* the kernel's struct size */
	uint32_t min;      /* offset of the end of the last mandatory field */
};

static const struct cmd_desc cmds[] = {
	{ "DESTROY", IOMMU_DESTROY, 8, 8 },
	{ "IOAS_ALLOC", IOMMU_IOAS_ALLOC, 12, 12 },
	{ "IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, 24, 24 },
	{ "IOAS_COPY", IOMMU_IOAS_COPY, 40, 40 },
	{ "IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, 32, 32 },
	{ "IOAS_MAP", IOMMU_IOAS_MAP, 40, 40 },
	{ "IOAS_UNMAP", IOMMU_IOAS_UNMAP, 24, 24 },
	{ "OPTION", IOMMU_OPTION, 24, 24 },
};

static void test_size_below_minimum(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		uint8_t buf[128] = { 0 };

		for (uint32_t sz = 0; sz < cmds[i].min; sz += 4) {
			memcpy(buf, &sz, 4);
			if (xioctl(fd, cmds[i].nr, buf) != EINVAL)
				fail_msg("%s size %u", cmds[i].name, sz);
		}
	}
}

static void test_nonzero_tail_e2big(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		uint8_t buf[256] = { 0 };
		uint32_t sz = cmds[i].size + 64;

		memcpy(buf, &sz, 4);
		buf[cmds[i].size + 7] = 1;
		if (xioctl(fd, cmds[i].nr, buf) != E2BIG)
			fail_msg("%s", cmds[i].name);
	}
}

static void test_bad_pointer_efault(void **state)
{
	char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(xioctl(fd, cmds[i].nr, NULL), EFAULT);
		assert_int_equal(xioctl(fd, cmds[i].nr, none), EFAULT);
	}
	/* A struct that runs past the end of its mapping. */
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + PAGE, PAGE);
	struct iommu_ioas_map *m = (void *)(two + PAGE - 16);
	m->size = sizeof(*m);
	assert_int_equal(xioctl(fd, IOMMU_IOAS_MAP, m), EFAULT);
	/* A declared size whose zero tail runs into an unmapped page. */
	struct iommu_ioas_alloc *a = (void *)(two + PAGE - sizeof(*a));
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a) + 64;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, a), EFAULT);
	/* ... and a huge size over zeroed memory that ends in a hole. */
	a->size = 0xffffffffu;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, a), EFAULT);
	munmap(two, PAGE);
	munmap(none, PAGE);
}

static void test_unknown_numbers_enotty(void **state)
{
	struct iommu_destroy d = { .size = sizeof(d) };

	(void)state;
	/* Past the table, before it, and a valid number with size bits set. */
	assert_int_equal(xioctl(fd, _IO(';', 0x80 + 0x40), &d), ENOTTY);
	assert_int_equal(xioctl(fd, _IO(';', 0x20), &d), ENOTTY);
	assert_int_equal(xioctl(fd, _IOWR(';', 0x80, struct iommu_destroy), &d),
			 ENOTTY);
	assert_int_equal(xioctl(fd, _IO('x', 0x80), &d), ENOTTY);
}

static void test_larger_zero_tail_ok(void **state)
{
	uint8_t buf[64] = { 0 };
	struct iommu_ioas_alloc *a = (void *)buf;
	uint32_t id;

	(void)state;
	a->size = sizeof(buf);
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, a), 0);
	id = a->out_ioas_id;
	assert_true(id > 0);
	/* The answer is the struct's size: the tail stays zero. */
	for (size_t i = sizeof(*a); i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(destroy(fd, id), 0);
}

static void test_reserved_and_flags(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	char *buf = aligned_buffer(PAGE, 0);
	struct iommu_iova_range r[2];

	(void)state;
	struct iommu_ioas_alloc a = { .size = sizeof(a), .flags = 1 };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, &a), EOPNOTSUPP);

	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 2, .__reserved = 1,
					    .allowed_iovas = (uintptr_t)r };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), EOPNOTSUPP);

	struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .ioas_id = ioas,
					     .__reserved = 1 };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &al), EOPNOTSUPP);

	struct iommu_ioas_map m = { .size = sizeof(m), .ioas_id = ioas,
				    .flags = IOMMU_IOAS_MAP_READABLE | (1u << 3),
				    .user_va = (uintptr_t)buf, .length = PAGE };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_MAP, &m), EOPNOTSUPP);
	m.flags = IOMMU_IOAS_MAP_READABLE;
	m.__reserved = 1;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_MAP, &m), EOPNOTSUPP);

	struct iommu_ioas_copy c = { .size = sizeof(c), .flags = 1u << 3,
				     .dst_ioas_id = ioas, .src_ioas_id = ioas,
				     .length = PAGE };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_COPY, &c), EOPNOTSUPP);

	struct iommu_option o = { .size = sizeof(o),
				  .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_GET, .__reserved = 1 };
	assert_int_equal(xioctl(fd, IOMMU_OPTION, &o), EOPNOTSUPP);
	assert_int_equal(destroy(fd, ioas), 0);
}

/* The answer is struct-sized even when the command fails: no byte beyond. */
static void test_answer_stays_in_struct(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	uint8_t qb[48];
	struct iommu_ioas_iova_ranges *q = (void *)qb;

	(void)state;
	memset(qb, 0xaa, sizeof(qb));
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->ioas_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, q), EMSGSIZE);
	assert_int_equal(q->num_iovas, 1);
	for (size_t i = sizeof(*q); i < sizeof(qb); i++)
		assert_int_equal(qb[i], 0xaa);
	assert_int_equal(destroy(fd, ioas), 0);
}

/* IOMMU_TEST_CMD: unknown ops, and SET_TEMP_MEMORY_LIMIT's floor. */
static void test_selftest_ops(void **state)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = 0 };

	(void)state;
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_TRIGGER_IOPF + 1;
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	c.memory_limit.limit = 11;
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), EINVAL);
	c.memory_limit.limit = 12;
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), 0);
	c.memory_limit.limit = 65536;
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_below_minimum),
		cmocka_unit_test(test_nonzero_tail_e2big),
		cmocka_unit_test(test_bad_pointer_efault),
		cmocka_unit_test(test_unknown_numbers_enotty),
		cmocka_unit_test(test_larger_zero_tail_ok),
		cmocka_unit_test(test_reserved_and_flags),
		cmocka_unit_test(test_answer_stays_in_struct),
		cmocka_unit_test(test_selftest_ops),
	};

	return cmocka_run_group_tests(tests, ctx_setup, ctx_teardown);
}
