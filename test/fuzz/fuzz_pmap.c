/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_pmap.c: libFuzzer drives the pmap reference model of
 * test/lib/pmap_model.h over the host twin's software MMU.
 *
 * One simulated machine (two 64 MiB domains, Svpbmt) is brought up once:
 * page tables, page allocator, pmap_init.  Each input starts from an empty
 * window of 8 MiB of KVA; its bytes, four at a time, are the model's
 * random numbers (operation, addresses, sizes, protections, memory
 * attributes), so inputs choose sequences of enter (4 KiB / 2 MiB), kenter,
 * qenter, remove, protect, kremove and qremove, with demotions and
 * superpages over small mappings.  After every step the pages it touched
 * and changed are compared with the model (translations with the TLB,
 * kextract, leaf bits, the KVA shadow); after the input every page of each
 * 2 MiB slot it changed and the superpage counts are, and after the window
 * is cleared, those slots again (so each input starts from a window known
 * to be empty).  Any disagreement aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_phys.h>

#include "pmap_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_src {
	const uint8_t	*p;
	size_t		len, pos;
};

static uint32_t
fz_rand(void *arg)
{
	struct fz_src *z = arg;
	uint32_t v;

	if (z->pos + 4 > z->len) {
		z->pos = z->len;
		return (0);
	}
	memcpy(&v, z->p + z->pos, 4);
	z->pos += 4;
	return (v);
}

static struct pm_model fz_model;

static void
fz_boot(void)
{
	static struct fdt_machine m;
	struct host_machine_cfg cfg = { 2, 64UL << 20, 1, FDT_ISA_SVPBMT,
	    FDT_MMU_SV39, 0 };
	struct kmem_boot_info bi;

	host_machine_init(&cfg, &m);
	memset(&bi, 0, sizeof(bi));
	bi.machine = &m;
	if (physmem_init(&m, 0, 0, 0, 0, 0, 0) != 0 ||
	    pmap_bootstrap(&bi) != 0)
		abort();
	fz_model.pool = physmem_early_alloc(0, PM_POOL, L2_SIZE, "fuzz pool");
	if (fz_model.pool == 0 || vm_phys_init() != 0)
		abort();
	domainset_init();
	pmap_init();
	fz_model.base = VM_MIN_KERNEL_ADDRESS + 5 * L1_SIZE - 2 * L2_SIZE;
	fz_model.svpbmt = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	struct fz_src z = { data, size, 0 };
	u_int dirty;
	int steps;

	if (!booted) {
		fz_boot();
		booted = true;
		pm_clear(&fz_model);
		fz_model.dirty = (1U << PM_SLOTS) - 1;
		if (!pm_check_dirty(&fz_model))
			abort();
	}
	for (steps = 0; z.pos < z.len && steps < 200; steps++) {
		pm_step(&fz_model, fz_rand, &z);
		if (!pm_check_changed(&fz_model)) {
			fprintf(stderr, "fuzz_pmap: step %d: %s\n", steps,
			    fz_model.why);
			abort();
		}
	}
	dirty = fz_model.dirty;
	if (!pm_check_dirty(&fz_model)) {
		fprintf(stderr, "fuzz_pmap: after %d steps: %s\n", steps,
		    fz_model.why);
		abort();
	}
	pm_clear(&fz_model);
	fz_model.dirty = dirty;
	if (!pm_check_dirty(&fz_model)) {
		fprintf(stderr, "fuzz_pmap: after clearing: %s\n",
		    fz_model.why);
		abort();
	}
	return (0);
}
