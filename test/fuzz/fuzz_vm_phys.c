/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vm_phys: libFuzzer drives the page allocator's reference model
 * (test/lib/vm_phys_model.h).  The first input byte picks the machine
 * shape; the rest, 8 bytes per word, are the random words of the steps.
 * Any disagreement with the model, any internal inconsistency, or free
 * lists that differ from boot after freeing everything aborts.
 */
#define _GNU_SOURCE		/* usleep, for the model's vmm_free_later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_phys_model.h"

static struct vmm V;

struct fz {
	const uint8_t	*p;
	size_t		left;
};

static uint64_t
fz_word(void *arg)
{
	struct fz *f = arg;
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < 8 && f->left > 0; i++, f->left--)
		w |= (uint64_t)*f->p++ << (8 * i);
	return (w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;
	int steps;

	if (size < 1)
		return (0);
	if (!vmm_boot(&V, data[0] % VMM_NSHAPES, data[0])) {
		fprintf(stderr, "fuzz_vm_phys: boot: %s\n", V.err);
		abort();
	}
	f.p = data + 1;
	f.left = size - 1;
	for (steps = 0; f.left > 0 && steps < 2000; steps++)
		if (!vmm_step(&V, fz_word, &f)) {
			fprintf(stderr, "fuzz_vm_phys: %s\n", V.err);
			abort();
		}
	if (!vmm_free_all(&V)) {
		fprintf(stderr, "fuzz_vm_phys: %s\n", V.err);
		abort();
	}
	return (0);
}
