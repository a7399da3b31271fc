/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vmem.c: libFuzzer drives the vmem reference model.
 *
 * The input is the random stream of test/lib/vmem_model.h's model: every
 * choice (arena, operation, size, alignment, phase, nocross, window, fit
 * strategy, which range to free, where to vmem_add) takes two bytes.  Each
 * input builds the standard arenas (two static, an id arena, an import
 * chain three deep, quantum caches on), runs steps until the input is used
 * up with the full model check after each, then frees everything and checks
 * that every arena is back to its start and every imported span went back.
 * Any disagreement aborts.
 */
#define VMEM_MODEL_QUIET 1
#include "vmem_model.h"

static const uint8_t *fz_data;
static size_t fz_len, fz_pos;

static uint64_t
fz_rand(void)
{
	uint64_t v;

	if (fz_pos + 2 > fz_len) {
		fz_pos = fz_len;
		return (0);
	}
	v = (uint64_t)fz_data[fz_pos] | (uint64_t)fz_data[fz_pos + 1] << 8;
	fz_pos += 2;
	return (v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	unsigned long steps;

	if (!inited) {
		vmem_set_backend(be_alloc, be_free);
		inited = true;
	}
	if (size < 1)
		return (0);
	fz_data = data + 1;
	fz_len = size - 1;
	fz_pos = 0;
	m_rand = fz_rand;
	m_steps = 0;
	model_failed = 0;
	m_setup((data[0] & 1) != 0);
	for (steps = 0; fz_pos < fz_len && steps < 4000 && model_failed == 0;
	    steps++)
		(void)m_step();
	if (model_failed == 0)
		(void)m_teardown();
	if (model_failed != 0) {
		fprintf(stderr, "fuzz_vmem: the arenas disagree with the model "
		    "(%d failures, step %lu)\n", model_failed, m_steps);
		abort();
	}
	return (0);
}
