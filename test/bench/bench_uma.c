/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small objects: instructions per alloc+free pair for libc malloc(64),
 * kern_malloc(64, M_TEMP, M_NOWAIT) and uma_zalloc/uma_zfree (median,
 * 99.9th percentile and maximum over 100,000 pairs; also calloc(1, 64),
 * which takes malloc(9)'s slow function for M_ZERO), the same on every
 * hart at once with the shared-lock acquisitions per pair, the bytes of
 * overhead per live 64-byte object with 100,000 live, peak pages against
 * peak bytes held in a random workload, and a network-stack-like trace.
 * Run by scripts/bench on --numa 2 --smp 4 (QEMU -icount shift=0); the
 * zone and type tables at the end go to the console, not to the figures.
 */
#define _GNU_SOURCE	/* strdup */
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "bench.h"
#include "uma_settle.h"

const bool kmem_boot_quiet = true;

#define N	100000
#define NMULTI	20000
static uint64_t s1[N];
static uint64_t sm[MAXCPU][NMULTI];
static uint64_t all[MAXCPU * NMULTI];
static void *live[N];
static uma_zone_t z64;
static struct kmem_barrier bar;
static unsigned long locks0, locks1;
static int which, npairs;

#define KEEP(p)	__asm__ volatile("" : : "r"(p) : "memory")

/* One pair of kind which (0 libc, 1 malloc(9), 2 UMA) into out. */
static inline void
pair(uint64_t *out)
{
	void *p;

	switch (which) {
	case 0:
		BENCH_SAMPLE(*out, { p = malloc(64); KEEP(p); free(p); });
		break;
	case 1:
		BENCH_SAMPLE(*out, {
			p = kern_malloc(64, M_TEMP, M_NOWAIT);
			KEEP(p);
			kern_free(p, M_TEMP);
		});
		break;
	default:
		BENCH_SAMPLE(*out, {
			p = uma_zalloc(z64, M_NOWAIT);
			KEEP(p);
			uma_zfree(z64, p);
		});
		break;
	}
}

static void
pairs_on_hart(void *arg)
{
	uint64_t *s = sm[md_cpuid()];
	int i;

	(void)arg;
	for (i = 0; i < 64; i++)
		pair(&s[0]);
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0)
		locks0 = kmem_spin_count();
	kmem_smp_barrier(&bar);
	for (i = 0; i < npairs; i++)
		pair(&s[i]);
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0)
		locks1 = kmem_spin_count();
}

static uint64_t
rnd(void)
{
	static uint64_t x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (x);
}

static void
memory_figures(void)
{
	char fig[128];
	u_int f0, f1;
	size_t bytes, peak_bytes;
	long pages, peak_pages;
	int i, k;

	/* 100,000 live 64-byte objects. */
	f0 = settled_free();
	for (i = 0; i < N; i++)
		live[i] = kern_malloc(64, M_TEMP, M_NOWAIT);
	f1 = settled_free();
	snprintf(fig, sizeof(fig), "%.2f bytes of overhead per live object "
	    "(%u pages for %d x 64 bytes)",
	    ((double)(f0 - f1) * PAGE_SIZE - 64.0 * N) / N, f0 - f1, N);
	bench_figure("uma", "overhead, 100000 live kern_malloc(64)", fig);
	for (i = 0; i < N; i++)
		kern_free(live[i], M_TEMP);

	/* Random sizes and lifetimes: peak pages against peak bytes held. */
	f0 = settled_free();
	memset(live, 0, sizeof(live));
	bytes = peak_bytes = 0;
	peak_pages = 0;
	for (i = 0; i < 200000; i++) {
		k = (int)(rnd() % 20000);
		if (live[k] != NULL) {
			bytes -= kern_malloc_usable_size(live[k]);
			kern_free(live[k], M_TEMP);
			live[k] = NULL;
		} else {
			live[k] = kern_malloc(16 + rnd() % 2000, M_TEMP,
			    M_NOWAIT);
			bytes += kern_malloc_usable_size(live[k]);
		}
		if (bytes > peak_bytes)
			peak_bytes = bytes;
		if ((i & 1023) == 0) {
			pages = (long)f0 - (long)vm_free_count();
			if (pages > peak_pages)
				peak_pages = pages;
		}
	}
	snprintf(fig, sizeof(fig), "peak %ld pages (%ld KiB) for a peak of "
	    "%zu KiB held: ratio %.2f", peak_pages, peak_pages * 4,
	    peak_bytes >> 10, (double)peak_pages * PAGE_SIZE /
	    (double)peak_bytes);
	bench_figure("uma", "random sizes 16..2K, 20000 slots", fig);
	for (k = 0; k < 20000; k++)
		kern_free(live[k], M_TEMP);
}

/* calloc(1, 64) + free: M_ZERO leaves the fast path, but takes no lock. */
static void
calloc_pairs(void)
{
	char fig[64];
	void *p;
	int i;

	locks0 = kmem_spin_count();
	for (i = 0; i < N; i++)
		BENCH_SAMPLE(s1[i], { p = calloc(1, 64); KEEP(p); free(p); });
	locks1 = kmem_spin_count();
	bench_report("uma", "calloc(1, 64) + free", s1, N);
	snprintf(fig, sizeof(fig), "%.4f shared-lock acquisitions per pair",
	    (double)(locks1 - locks0) / N);
	bench_figure("uma", "calloc(1, 64) + free: locks", fig);
}

/*
 * A network stack's shape: per packet a 256-byte header (an mbuf zone)
 * and, for one packet in three, a 2 KiB cluster, queued for 64 packets
 * and then freed in order; names strdup'd into a cache that keeps 512.
 */
static void
trace(void)
{
	static void *q[64][2];
	static char *names[512];
	uma_zone_t mbuf;
	uint64_t *s = s1;
	int i, k;

	mbuf = uma_zcreate("mbuf", 256, NULL, NULL, NULL, NULL,
	    UMA_ALIGN_CACHE, 0);
	memset(q, 0, sizeof(q));
	memset(names, 0, sizeof(names));
	for (i = 0; i < N; i++) {
		k = i & 63;
		BENCH_SAMPLE(s[i], {
			uma_zfree(mbuf, q[k][0]);
			kern_free(q[k][1], M_DEVBUF);
			q[k][0] = uma_zalloc(mbuf, M_NOWAIT);
			q[k][1] = i % 3 == 0 ?
			    kern_malloc(2048, M_DEVBUF, M_NOWAIT) : NULL;
			if ((i & 7) == 0) {
				free(names[(i >> 3) & 511]);
				names[(i >> 3) & 511] = strdup(
				    "interface-name-0123456789" + (i & 15));
			}
		});
	}
	bench_report("uma", "trace: packet (mbuf zone + 2K cluster 1 in 3 + "
	    "strdup 1 in 8)", s, N);
	for (k = 0; k < 64; k++) {
		uma_zfree(mbuf, q[k][0]);
		kern_free(q[k][1], M_DEVBUF);
	}
	for (k = 0; k < 512; k++)
		free(names[k]);
	uma_zdestroy(mbuf);
}

int
main(void)
{
	static const char *const names[3] = {
		"malloc(64) + free", "kern_malloc(64, M_TEMP, M_NOWAIT) + "
		"kern_free", "uma_zalloc + uma_zfree (64 bytes)",
	};
	uint64_t med1[3];
	char fig[160], name[160];
	u_int ncpu, c;
	int i;

	ncpu = kmem_smp_ncpus();
	z64 = uma_zcreate("bench64", 64, NULL, NULL, NULL, NULL, 0, 0);
	for (which = 0; which < 3; which++) {
		for (i = 0; i < 64; i++)
			pair(&s1[0]);
		locks0 = kmem_spin_count();
		for (i = 0; i < N; i++)
			pair(&s1[i]);
		locks1 = kmem_spin_count();
		med1[which] = bench_report("uma", names[which], s1, N);
	}
	npairs = NMULTI;
	kmem_barrier_init(&bar, ncpu);
	for (which = 0; which < 3 && ncpu > 1; which++) {
		kmem_smp_run_all(pairs_on_hart, NULL);
		for (c = 0; c < ncpu; c++)
			memcpy(&all[c * NMULTI], sm[c], sizeof(sm[c]));
		snprintf(fig, sizeof(fig), "%s, %u harts at once", names[which],
		    ncpu);
		bench_report("uma", fig, all, (size_t)ncpu * NMULTI);
		snprintf(fig, sizeof(fig), "%.2fx the one-hart median; %.4f "
		    "shared-lock acquisitions per pair", (double)all[ncpu *
		    NMULTI / 2] / (double)med1[which], (double)(locks1 -
		    locks0) / ((double)NMULTI * ncpu));
		snprintf(name, sizeof(name), "%s: %u harts vs 1", names[which],
		    ncpu);
		bench_figure("uma", name, fig);
	}
	calloc_pairs();
	memory_figures();
	trace();
	uma_print_stats();
	malloc_type_print_all();
	return (0);
}
