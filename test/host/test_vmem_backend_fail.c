/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection inside vmem: its own memory (boundary-tag pages, arena
 * structures, grown hash tables) comes from a backend, and child arenas
 * import spans from a parent.  A scenario (an arena, a child importing
 * from it, 1 500 segments so the hash table grows and shrinks and the
 * tag pool refills, a constrained allocation, everything freed, both
 * destroyed) runs once for every N with the N-th backend allocation or
 * span import
 * refused, until a run has fewer than N.  Each run must end without a
 * crash, with every allocation that succeeded distinct and freed, the
 * arenas empty when destroyed (vmem_destroy panics otherwise) and no
 * backend page lost: what the backend still has out after a run (the tag
 * pool keeps its pages) never grows beyond what the run without a refusal
 * left.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"

/* kmem's backend as vm_kern.c installed it (src/vmem.c's globals). */
extern vmem_backend_alloc_t *vmem_backend_alloc;
extern vmem_backend_free_t *vmem_backend_free;

#define NSEG	1500

static vmem_backend_alloc_t *real_alloc;
static vmem_backend_free_t *real_free;
static long calls, fail_at, refused;
static long out_bytes;			/* backend bytes not given back */

static bool
refuse_now(void)
{

	if (++calls != fail_at)
		return (false);
	refused++;
	return (true);
}

static void *
fi_alloc(vmem_size_t size, int flags)
{
	void *p;

	if (refuse_now())
		return (NULL);
	p = real_alloc(size, flags);
	if (p != NULL)
		out_bytes += (long)size;
	return (p);
}

static void
fi_free(void *p, vmem_size_t size)
{

	out_bytes -= (long)size;
	real_free(p, size);
}

static int
fi_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	if (refuse_now())
		return (ENOMEM);
	return (vmem_xalloc(arg, size, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    (flags & (M_NOWAIT | M_WAITOK)) | M_BESTFIT, addrp));
}

static void
fi_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	vmem_xfree(arg, addr, size);
}

static struct {
	vmem_t		*vm;
	vmem_addr_t	a;
	vmem_size_t	size;
} seg[NSEG];

static int
seg_cmp(const void *x, const void *y)
{
	const vmem_addr_t a = *(const vmem_addr_t *)x,
	    b = *(const vmem_addr_t *)y;

	return (a < b ? -1 : a > b);
}

/*
 * One run.  Returns false, with *why set, if an allocation that succeeded
 * broke its constraints or overlapped another.
 */
static bool
scenario(const char **why)
{
	static vmem_addr_t sorted[NSEG][2];
	vmem_t *parent, *child;
	vmem_addr_t a, lo, hi;
	int i, n;
	bool good;

	good = true;
	parent = vmem_create("fi-parent", 0x100000000UL, 256UL << 20,
	    PAGE_SIZE, 4 * PAGE_SIZE, M_NOWAIT);
	if (parent == NULL)
		return (true);		/* refused: nothing to undo */
	child = vmem_create("fi-child", 0, 0, PAGE_SIZE, 0, M_NOWAIT);
	if (child == NULL) {
		vmem_destroy(parent);
		return (true);
	}
	vmem_set_import(child, fi_import, fi_release, parent, 16 * PAGE_SIZE);
	n = 0;
	for (i = 0; i < NSEG; i++) {
		seg[n].vm = i % 3 == 0 ? child : parent;
		seg[n].size = PAGE_SIZE * (vmem_size_t)(1 + i % 7);
		if (vmem_alloc(seg[n].vm, seg[n].size, M_NOWAIT |
		    (i % 2 ? M_BESTFIT : M_FIRSTFIT), &seg[n].a) == 0)
			n++;
	}
	/* Constrained: aligned with a phase, not crossing, in a window. */
	lo = 0x100000000UL + (64UL << 20);
	hi = lo + (64UL << 20);
	if (vmem_xalloc(parent, 3 * PAGE_SIZE, 16 * PAGE_SIZE, PAGE_SIZE,
	    32 * PAGE_SIZE, lo, hi, M_NOWAIT | M_BESTFIT, &a) == 0) {
		if (a < lo || a + 3 * PAGE_SIZE > hi ||
		    ((a - PAGE_SIZE) & (16 * PAGE_SIZE - 1)) != 0 ||
		    (a / (32 * PAGE_SIZE)) != ((a + 3 * PAGE_SIZE - 1) /
		    (32 * PAGE_SIZE))) {
			*why = "vmem_xalloc broke its constraints";
			good = false;
		}
		vmem_xfree(parent, a, 3 * PAGE_SIZE);
	}
	/* A child's segments lie in spans it imported from the parent, so
	   sort all of them and look at neighbours (only the parent's own
	   segments and the child's may not overlap each other). */
	for (i = 0; i < n; i++) {
		sorted[i][0] = seg[i].a;
		sorted[i][1] = seg[i].a + seg[i].size;
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), seg_cmp);
	for (i = 1; i < n; i++)
		if (sorted[i][0] < sorted[i - 1][1]) {
			*why = "two live segments overlap";
			good = false;
		}
	for (i = n - 1; i >= 0; i--)
		vmem_free(seg[i].vm, seg[i].a, seg[i].size);
	vmem_drain(parent);		/* quantum-cached segments back */
	if (vmem_size(child, VMEM_ALLOC) != 0 ||
	    vmem_size(parent, VMEM_ALLOC) != vmem_size(child, VMEM_FREE |
	    VMEM_ALLOC)) {
		*why = "an arena is not empty after every free";
		good = false;
	}
	vmem_destroy(child);		/* its spans go back to the parent */
	vmem_drain(parent);
	if (vmem_size(parent, VMEM_ALLOC) != 0) {
		*why = "the child's spans did not go back";
		good = false;
	}
	vmem_destroy(parent);
	return (good);
}

int
main(void)
{
	struct fdt_machine m;
	const char *why;
	long base, limit, ncalls, bad, grew, runs;

	ok(host_boot(&m, 1) == 0, "kmem boots");
	real_alloc = vmem_backend_alloc;
	real_free = vmem_backend_free;
	vmem_set_backend(fi_alloc, fi_free);

	why = "";
	fail_at = 0;
	calls = 0;
	base = out_bytes;
	ok(scenario(&why), "the scenario without a refusal: %s", why);
	ncalls = calls;
	limit = out_bytes;
	ok(ncalls > 10, "it makes %ld backend calls and span imports, keeps "
	    "%ld KiB (tag pages)", ncalls, (limit - base) >> 10);
	bad = grew = runs = 0;
	for (fail_at = 1;; fail_at++) {
		calls = refused = 0;
		why = "";
		if (!scenario(&why)) {
			if (bad++ == 0)
				diag("refusing call %ld: %s", fail_at, why);
		}
		if (out_bytes > limit) {
			if (grew++ == 0)
				diag("refusing call %ld: the backend has %ld "
				    "bytes out, more than %ld", fail_at,
				    out_bytes, limit);
		}
		if (refused == 0)
			break;
		runs++;
	}
	ok(runs >= 10, "%ld runs, each with one backend allocation or span "
	    "import refused", runs);
	ok(bad == 0, "every run's allocations kept their constraints, were "
	    "distinct and freed, and both arenas were empty (%ld bad)", bad);
	ok(grew == 0, "no run left more backend memory out than the run "
	    "without a refusal (%ld did)", grew);
	vmem_set_backend(real_alloc, real_free);
	return (tap_done());
}
