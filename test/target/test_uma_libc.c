/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libc's malloc family is ours: this payload reaches malloc only through
 * strdup and asprintf (and frees with free), on every hart, and M_LIBC's
 * statistics must move.  It also uses a UMA zone and malloc(9) from every
 * hart, so that the SDK test shows all three layers from outside the tree.
 */
#define _GNU_SOURCE	/* strdup, asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "tap.h"

const bool kmem_boot_quiet = true;

static uma_zone_t zone;
static _Atomic int errors;

static void
work(void *arg)
{
	char *s, *t;
	void *it, *m;
	int i;

	(void)arg;
	for (i = 0; i < 200; i++) {
		s = strdup("a name of some length");
		t = NULL;
		if (s == NULL || asprintf(&t, "%s %d on hart %u", s, i,
		    md_cpuid()) < 0 || t == NULL || strncmp(t, s, 21) != 0)
			atomic_fetch_add(&errors, 1);
		it = uma_zalloc(zone, M_WAITOK);
		m = kern_malloc(100 + i, M_DEVBUF, M_WAITOK);
		memset(it, 1, 72);
		memset(m, 2, 100 + i);
		kern_free(m, M_DEVBUF);
		uma_zfree(zone, it);
		free(t);
		free(s);
	}
}

int
main(void)
{
	struct malloc_type_stats st;
	u_int n;

	n = kmem_smp_ncpus();
	zone = uma_zcreate("sdk", 72, NULL, NULL, NULL, NULL, 0, 0);
	ok(kmem_smp_run_all(work, NULL) == 0 && atomic_load(&errors) == 0,
	    "strdup and asprintf work on all %u harts", n);
	malloc_type_stats(M_LIBC, &st);
	ok(st.mts_numallocs >= 400 * n && st.mts_numfrees == st.mts_numallocs,
	    "M_LIBC counted them: %llu allocations, %llu frees",
	    (unsigned long long)st.mts_numallocs,
	    (unsigned long long)st.mts_numfrees);
	errno = 0;
	ok(malloc(~(size_t)0 >> 2) == NULL && errno == ENOMEM,
	    "malloc failure: NULL, errno ENOMEM");
	ok(uma_zone_get_cur(zone) == 0, "the zone's items all came back");
	uma_zdestroy(zone);
	return (tap_done());
}
