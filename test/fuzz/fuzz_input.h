/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_input.h: a fuzz input as a stream of words.  Words come from the
 * input's bytes (nbytes little-endian bytes each) and, once those run
 * out, from a splitmix64 generator seeded by the whole input, so every
 * input runs a fixed number of operations and the same input always runs
 * the same ones.
 */
#ifndef KMEM_FUZZ_INPUT_H
#define KMEM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct fz_input {
	const uint8_t	*p;
	size_t		left;
	uint64_t	x;
};

static inline void
fz_init(struct fz_input *f, const uint8_t *data, size_t size)
{
	size_t i;

	f->p = data;
	f->left = size;
	f->x = size;
	for (i = 0; i < size; i++)
		f->x = f->x * 0x100000001b3ULL ^ data[i];
}

static inline uint64_t
fz_next(struct fz_input *f, int nbytes)
{
	uint64_t w = 0, z;
	int i;

	if (f->left == 0) {
		z = (f->x += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return (z ^ (z >> 31));
	}
	for (i = 0; i < nbytes && f->left > 0; i++, f->left--)
		w |= (uint64_t)*f->p++ << (8 * i);
	return (w);
}

#endif /* KMEM_FUZZ_INPUT_H */
