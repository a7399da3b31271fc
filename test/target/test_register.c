/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_smp_register_hart() answers as kmem/smp.h says: a registered hart
 * gets its own index back, again on a second call; a hart whose id kmem
 * does not know (kmem_smp_set_hartid() never called, or an id no hart
 * has) gets -EINVAL and changes nothing.
 */
#include <kmem.h>
#include "tap.h"

const bool kmem_boot_quiet = true;

static int got[MAXCPU];

static void
register_self(void *arg)
{

	(void)arg;
	got[md_cpuid()] = kmem_smp_register_hart() + 1;
}

int
main(void)
{
	u_int self = md_hartid(), n = kmem_smp_ncpus(), i;
	bool all = true;

	ok(kmem_smp_register_hart() == 0 && kmem_smp_register_hart() == 0,
	    "the boot hart registers as cpu 0, twice");
	ok(kmem_smp_run_all(register_self, NULL) == 0, "every hart registers");
	for (i = 0; i < n; i++)
		if (got[i] != (int)i + 1)
			all = false;
	ok(all, "each of %u harts gets its own index back", n);
	kmem_smp_set_hartid(1000003);
	ok(kmem_smp_register_hart() == -EINVAL, "an id no hart has: -EINVAL");
	kmem_smp_set_hartid(self);
	ok(md_hartid() == self && md_cpuid() == 0 && kmem_smp_ncpus() == n,
	    "nothing changed: hart %u is cpu 0 of %u", self, n);
	ok(kmem_smp_register_hart() == 0, "and registers as cpu 0 again");
	return (tap_done());
}
