/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem_private.h: vmem internals that tests and benchmarks may look at.
 * Nothing here is API; src/vmem.c is the only writer.
 */
#ifndef KMEM_VMEM_PRIVATE_H
#define KMEM_VMEM_PRIVATE_H

#include <kmem/vmem.h>

/* Segment types reported by vmem_walk(). */
#define VMEM_SEG_SPAN		1	/* imported span */
#define VMEM_SEG_SPAN_STATIC	2	/* span added by vmem_add/vmem_init */
#define VMEM_SEG_FREE		3
#define VMEM_SEG_BUSY		4

/*
 * Check every internal invariant of vm (segment list order and tiling of
 * spans, coalescing, free lists and their bitmap, the busy hash, the
 * counters, the tag cache; vm_stale, the one segment allowed on a list
 * above its class, must be a free segment of vm).  Returns 0, or -1 with
 * a description in why.  Takes the arena lock; changes nothing.
 */
int vmem_check(vmem_t *vm, char *why, size_t whylen);

/* Call fn for every segment and span tag in address order (lock held). */
void vmem_walk(vmem_t *vm, void (*fn)(void *arg, int type, vmem_addr_t start,
    vmem_size_t size), void *arg);

struct vmem_stats {
	vmem_size_t	vs_nbusy;	/* busy segments */
	vmem_size_t	vs_nfree;	/* free segments */
	vmem_size_t	vs_nspans;	/* span tags */
	vmem_size_t	vs_hashsize;	/* buckets */
	vmem_size_t	vs_tagsize;	/* bytes per boundary tag */
	vmem_size_t	vs_cachedtags;	/* tags in the arena's own cache */
	char		vs_name[VMEM_NAME_MAX + 1];
	vmem_size_t	vs_quantum;
	vmem_size_t	vs_size;	/* bytes in spans */
	vmem_size_t	vs_inuse;	/* bytes allocated (qcache rounds too) */
	vmem_size_t	vs_limit;	/* import limit (0: none) */
	bool		vs_import;	/* has an import function */
	vmem_size_t	vs_import_quantum;
	vmem_size_t	vs_nimported;	/* imported span tags now */
	vmem_size_t	vs_imported;	/* bytes in imported spans */
	vmem_size_t	vs_qcache_max;	/* largest quantum-cached size */
	vmem_size_t	vs_qcache_rounds; /* cached rounds: harts + depots */
	vmem_size_t	vs_qcache_bytes;  /* their bytes */
	u_int		vs_nwaiters;
};
void vmem_get_stats(vmem_t *vm, struct vmem_stats *vs);

/* Tags in the global pool (free, ready for any arena). */
unsigned long vmem_bt_pool_count(void);

#endif /* KMEM_VMEM_PRIVATE_H */
