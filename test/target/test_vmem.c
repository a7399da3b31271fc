/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmem.c (target): vmem on riscv64 in QEMU.
 *
 * Runs the host test's reference model (test/host/test_vmem.c) on the
 * hart: random sequences of alloc, constrained xalloc, frees, vmem_add and
 * drains over two static arenas, an id arena and an import chain three
 * deep, quantum caches on, checked against the model after every step;
 * then checks that the quantum-cache common path takes no lock, and that an
 * M_WAITOK allocation that can never succeed on a single hart panics.  The
 * backend is a bump allocator over a static buffer.
 */
#define VMEM_MODEL_ONLY 1
#define VMEM_MODEL_TAP 1
#include "../host/test_vmem.c"

#define TGT_POOL	(8UL << 20)
static char tgt_pool[TGT_POOL] __attribute__((aligned(4096)));
static size_t tgt_used;

static void *
tgt_alloc(vmem_size_t size, int flags)
{
	void *p;

	(void)flags;
	if (size % PAGE_SIZE != 0 || size > TGT_POOL - tgt_used)
		return (NULL);
	p = tgt_pool + tgt_used;
	tgt_used += size;
	return (p);
}

static void
tgt_free(void *p, vmem_size_t size)
{

	(void)p;
	(void)size;
}

static uint64_t tgt_xs;

static uint64_t
tgt_rand(void)
{

	tgt_xs ^= tgt_xs << 13;
	tgt_xs ^= tgt_xs >> 7;
	tgt_xs ^= tgt_xs << 17;
	return (tgt_xs);
}

static void
run_model(uint64_t seed, unsigned long steps, bool create)
{
	unsigned long i, imports = 0, releases = 0;
	bool good = true;
	int j;

	tgt_xs = seed;
	m_rand = tgt_rand;
	m_steps = 0;
	m_enomem_checked = 0;
	m_setup(create);
	for (i = 0; i < steps && good; i++)
		good = m_step();
	for (j = 0; j < nma; j++) {
		imports += ma[j].imports;
		releases += ma[j].releases;
	}
	ok(good, "seed %#lx: %lu random steps agree with the model (%lu "
	    "ENOMEMs verified)", (u_long)seed, m_steps, m_enomem_checked);
	ok(imports > 0 && releases > 0, "seed %#lx: the child arenas "
	    "imported %lu spans and released %lu", (u_long)seed, imports,
	    releases);
	ok(m_teardown(), "seed %#lx: every arena is back to its start and "
	    "imported spans went back", (u_long)seed);
}

int
main(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a;
	unsigned long before;
	int i;
	bool good, caught;

	vmem_set_backend(tgt_alloc, tgt_free);
	run_model(0x5eed1, 4000, true);
	run_model(0x5eed2, 4000, false);

	vm = vmem_create("tq", 0x10000, 0x10000, 16, 16 * 16, M_WAITOK);
	vmem_alloc(vm, 64, M_WAITOK, &a);
	vmem_free(vm, a, 64);
	before = kmem_spin_count();
	good = true;
	for (i = 0; i < 1000; i++) {
		good &= vmem_alloc(vm, 64, M_WAITOK, &a) == 0;
		vmem_free(vm, a, 64);
	}
	ok(good && kmem_spin_count() == before, "warm quantum-cache "
	    "alloc+free took no lock (%lu)", kmem_spin_count() - before);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "drain returns every round");
	vmem_alloc(vm, 0x10000, M_NOWAIT, &a);
	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		(void)vmem_alloc(vm, 16, M_WAITOK, &a);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "deadlock") != NULL, "on one hart an "
	    "M_WAITOK allocation that can never succeed panics: %s",
	    pc.kp_msg);
	diag("backend pages used: %lu", (u_long)(tgt_used / PAGE_SIZE));
	return (tap_done());
}
