/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_uma.c: libFuzzer drives the model of test/host/uma_model.h: every
 * 4 bytes allocate or free (or resize) a zone item, a malloc(9) block or a
 * libc block in one of 256 slots, each checked aligned, big enough,
 * disjoint from the live ones and with its stamp intact; at the end
 * everything is freed and every zone's count must be 0.  Any disagreement
 * aborts.  Memory: a host twin of 2 domains booted once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "host.h"
#include "../host/uma_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fdt_machine m;
	static bool inited;
	int i;

	if (!inited) {
		struct host_machine_cfg cfg = {
			.ndomains = 2,
			.mem_per_domain = 64UL << 20,
			.ncpus = 4,
		};
		struct kmem_boot_info bi = { .machine = &m, .quiet = true };

		host_machine_init(&cfg, &m);
		host_thread_register();
		if (kmem_startup(&bi) != 0)
			abort();
		um_setup();
		inited = true;
	}
	if (!um_run(data, size)) {
		fprintf(stderr, "fuzz_uma: %s\n", um_err);
		abort();
	}
	for (i = 0; i < UM_NZONES; i++)
		if (uma_zone_get_cur(um_zones[i]) != 0) {
			fprintf(stderr, "fuzz_uma: zone %d count %d after "
			    "freeing everything\n", i,
			    uma_zone_get_cur(um_zones[i]));
			abort();
		}
	return (0);
}
