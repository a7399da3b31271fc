/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * host_boot.h: the host tests' standard machine, brought up in one call.
 *
 * ndomains NUMA domains of 64 MiB each with a 2 MiB hole between them,
 * two harts per domain, Svpbmt; *m receives the machine as fdt_parse()
 * would describe it, the calling thread is registered as a hart and
 * kmem_startup() runs quietly.  Returns kmem_startup()'s answer.  Tests
 * with a machine of their own call host_machine_init() themselves.
 */
#ifndef KMEM_TEST_HOST_BOOT_H
#define KMEM_TEST_HOST_BOOT_H

#include <kmem.h>
#include "host.h"

static inline int
host_boot(struct fdt_machine *m, int ndomains)
{
	struct host_machine_cfg cfg = {
		.ndomains = ndomains,
		.mem_per_domain = 64UL << 20,
		.ncpus = 2 * ndomains,
		.isa = FDT_ISA_SVPBMT,
		.hole = ndomains > 1 ? 2UL << 20 : 0,
	};
	struct kmem_boot_info bi = { .machine = m, .quiet = true };

	host_machine_init(&cfg, m);
	host_thread_register();
	return (kmem_startup(&bi));
}

#endif
