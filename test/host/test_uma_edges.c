/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UMA at its edges, on the host twin (host/uma covers the common paths):
 * init and fini hooks (an init that fails gives the item back), limits
 * (a zone at its limit answers NULL with M_NOWAIT and panics naming the
 * zone when M_WAITOK could never be met), reclaim requests (trim, drain,
 * a bad one panics), per-domain allocation, and the zone printer.
 */
#include <string.h>

#include <kmem.h>
#include <kmem/uma.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "tap.h"
#include "expect_panic.h"

static char out[8192];
static int inits, finis;
static bool init_fails;

static int
zinit(void *mem, int size, int flags)
{

	(void)mem;
	(void)size;
	(void)flags;
	inits++;
	return (init_fails ? 12 : 0);
}

static void
zfini(void *mem, int size)
{

	(void)mem;
	(void)size;
	finis++;
}

static void
alloc_waitok(void *arg)
{

	(void)uma_zalloc(arg, M_WAITOK);
}

static void
hooks_and_limits(void)
{
	uma_zone_t z;
	void *a[8];
	int i;

	z = uma_zcreate("edge-hooks", 48, NULL, NULL, zinit, zfini, 0,
	    UMA_ZONE_NOBUCKET);
	a[0] = uma_zalloc(z, M_WAITOK);
	ok(a[0] != NULL && inits >= 1, "an item, its init ran (%d)", inits);
	init_fails = true;
	ok(uma_zalloc(z, M_NOWAIT) == NULL, "an init that fails: NULL");
	init_fails = false;
	uma_zfree(z, a[0]);
	ok(finis == 1, "freeing the item (no per-hart buckets) runs its fini");
	uma_zfree(z, NULL);
	ok(finis == 1 && uma_zone_get_cur(z) == 0, "uma_zfree(NULL) does "
	    "nothing");

	ok(uma_zone_set_max(z, -5) == 0 && uma_zone_get_max(z) == 0,
	    "a negative limit is no limit");
	i = uma_zone_set_max(z, 4);
	ok(i >= 4 && uma_zone_get_max(z) == i, "a limit of 4 (%d)", i);
	for (i = 0; i < uma_zone_get_max(z) && i < 8; i++)
		a[i] = uma_zalloc(z, M_NOWAIT);
	ok(i == uma_zone_get_max(z) && uma_zalloc(z, M_NOWAIT) == NULL,
	    "at the limit M_NOWAIT answers NULL");
	ok(panics(alloc_waitok, z, "uma_zalloc_arg", "edge-hooks", NULL),
	    "M_WAITOK at the limit with no other hart panics: %s", panic_msg);
	while (i > 0)
		uma_zfree(z, a[--i]);
	uma_zdestroy(z);
}

static void
reclaim_and_domains(void)
{
	uma_zone_t z;
	void *a[200];
	int i, d, n;

	z = uma_zcreate("edge-reclaim", 64, NULL, NULL, NULL, NULL, 0, 0);
	for (i = 0; i < 200; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < 200; i++)
		uma_zfree(z, a[i]);
	uma_zone_reclaim(z, UMA_RECLAIM_TRIM);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	ok(uma_zone_get_cur(z) == 0, "trim and drain with nothing "
	    "allocated");
	EXPECT_PANIC(uma_zone_reclaim(z, 99), "uma_zone_reclaim",
	    "edge-reclaim", "a reclaim request that does not exist");
	for (d = n = 0; d < vm_ndomains; d++) {
		a[d] = uma_zalloc_domain(z, NULL, d, M_NOWAIT);
		n += a[d] != NULL && vm_phys_domain(DMAP_TO_PHYS((vm_offset_t)
		    a[d])) == d;
	}
	ok(n == vm_ndomains, "uma_zalloc_domain: an item of each domain");
	for (d = 0; d < vm_ndomains; d++)
		uma_zfree(z, a[d]);
	a[0] = uma_zalloc_domain(z, NULL, UMA_ANYDOMAIN, M_NOWAIT);
	ok(a[0] != NULL && uma_zalloc_domain(z, NULL, vm_ndomains, M_NOWAIT) ==
	    NULL, "UMA_ANYDOMAIN allocates; a domain that does not exist: "
	    "NULL");
	uma_zfree(z, a[0]);
	capture_begin();
	uma_print_stats();
	capture_end(out, sizeof(out));
	ok(strstr(out, "zone               size    items    slabs    pages") !=
	    NULL && strstr(out, "edge-reclaim         64        0") != NULL,
	    "uma_print_stats: a header and a line per zone");
	uma_zdestroy(z);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	hooks_and_limits();
	reclaim_and_domains();
	return (tap_done());
}
