/* SPDX-License-Identifier: MIT */
/*
 * Marsaglia's xorshift64 (shifts 13, 7, 17): the unit tests' repeatable
 * pseudo-random sequence. Each test keeps its own state and seed.
 */
#ifndef XORSHIFT_H
#define XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif
