/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vm_phys: libFuzzer drives the page allocator's reference model
 * (test/lib/vm_phys_model.h).  The first input byte picks the machine
 * shape (one of the small ones: 16 MiB laid out as 1 to 4 domains); the
 * rest, 8 bytes per word, are the random words of the steps, and once they
 * run out a generator seeded by the whole input goes on: every input runs
 * VMM_FUZZ_MIN_STEPS operations more than it has words, at most
 * VMM_FUZZ_MAX_STEPS (short inputs are quick; long ones run thousands).  vm_phys is booted again only when the
 * shape changes or a run failed: after a run everything is freed and the
 * free lists must equal boot's (vmm_free_all), which is the state the next
 * input starts from.  After every step the free counts are checked against
 * the model (and every page handed out or refused); vm_phys_check() walks
 * everything once per input, at the end.  Any disagreement aborts.
 */
#define _GNU_SOURCE		/* usleep, for the model's vmm_free_later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_phys_model.h"
#include "fuzz_input.h"

static struct vmm V;

#define VMM_FUZZ_MIN_STEPS	256
#define VMM_FUZZ_MAX_STEPS	4096

static uint64_t
fz_word(void *arg)
{

	return (fz_next(arg, 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int booted = -1;
	struct fz_input f;
	size_t n, steps;
	int shape;

	if (size < 1)
		return (0);
	shape = data[0] % VMM_NSMALL;
	if (shape != booted) {
		if (!vmm_boot_small(&V, shape, data[0])) {
			fprintf(stderr, "fuzz_vm_phys: boot: %s\n", V.err);
			abort();
		}
		booted = shape;
		V.full_every = ~0UL;		/* vmm_free_all checks */
	}
	fz_init(&f, data + 1, size - 1);
	n = VMM_FUZZ_MIN_STEPS + (size - 1) / 8;
	for (steps = 0; steps < n && steps < VMM_FUZZ_MAX_STEPS; steps++)
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
