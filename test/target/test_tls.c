/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Each hart's TLS block is sized from the payload's own .tdata/.tbss: a
 * payload with several KiB of TLS (far above the old fixed 256 bytes)
 * still gets every hart, and each hart starts from the initial .tdata
 * values with a zeroed .tbss, in a block no other hart shares.
 */
#include <kmem.h>
#include "tap.h"

#define BIG	4096

const bool kmem_boot_quiet = true;

static __thread uint64_t tls_init[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
static __thread unsigned char tls_big[BIG];

struct seen {
	bool		ran;
	bool		init_ok;	/* .tdata values as linked */
	bool		zero_ok;	/* .tbss zero */
	uintptr_t	addr;		/* &tls_big on that hart */
};
static struct seen seen[MAXCPU];

static void
probe(void *arg)
{
	struct seen *s = &seen[md_cpuid()];
	int i;

	(void)arg;
	s->init_ok = tls_init[0] == 0x1111 && tls_init[3] == 0x4444;
	s->zero_ok = true;
	for (i = 0; i < BIG; i++)
		if (tls_big[i] != 0)
			s->zero_ok = false;
	/* Dirty this hart's block: no other hart may see it. */
	for (i = 0; i < BIG; i++)
		tls_big[i] = (unsigned char)(md_cpuid() + 1);
	tls_init[0] = md_cpuid();
	s->addr = (uintptr_t)tls_big;
	s->ran = true;
}

int
main(void)
{
	u_int i, j, n, want;
	bool distinct = true;
	struct seen boot;

	/* The boot hart's block first: it too starts as linked. */
	probe(NULL);
	boot = seen[0];
	want = md_ncpus();
	n = kmem_smp_ncpus();
	ok(n == want, "all %u harts run with %zu bytes of TLS (running: %u)",
	    want, sizeof(tls_big) + sizeof(tls_init), n);
	ok(boot.init_ok && boot.zero_ok, "boot hart: .tdata as linked, "
	    ".tbss zero");
	ok(kmem_smp_run_all(probe, NULL) == 0, "probe ran on every hart");
	for (i = 1; i < n; i++) {
		ok(seen[i].ran && seen[i].init_ok && seen[i].zero_ok,
		    "cpu %u: .tdata as linked, .tbss zero", i);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (seen[i].addr == seen[j].addr)
				distinct = false;
	ok(distinct, "every hart has its own TLS block");
	return (tap_done());
}
