/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem at its edges, on the host twin (host/vmem covers the common
 * paths): misuse that panics naming the call and the arena (destroying
 * an arena with segments, an import function on an arena that has spans,
 * a source that hands out a misaligned or overlapping span), spans that
 * overlap, import limits and failing imports, names that are too long or
 * missing, and the reclaim callback.
 */
#include <errno.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"

#define Q	PAGE_SIZE

static vmem_addr_t next_span;
static int imports, reclaims;
static bool import_fails;

static int
import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	(void)arg;
	(void)flags;
	imports++;
	if (import_fails)
		return (ENOMEM);
	*addrp = next_span;
	next_span += size;
	return (0);
}

static void
release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	(void)arg;
	(void)addr;
	(void)size;
}

static void
reclaim(vmem_t *vm, int flags)
{

	(void)vm;
	(void)flags;
	reclaims++;
}

static void
destroy(void *arg)
{

	vmem_destroy(arg);
}

static void
misuse(void)
{
	vmem_t *vm;
	vmem_addr_t a;

	vm = vmem_create("edge-busy", 0x10000000, 64 * Q, Q, 0, M_WAITOK);
	ok(vm != NULL && vmem_alloc(vm, Q, M_NOWAIT | M_BESTFIT, &a) == 0,
	    "an arena with one segment");
	ok(panics(destroy, vm, "vmem_destroy", "edge-busy", "still has"),
	    "vmem_destroy of it panics: %s", panic_msg);
	EXPECT_PANIC(vmem_set_import(vm, import, release, NULL, Q),
	    "vmem_set_import", "not empty", "vmem_set_import on an arena "
	    "with a span");
	vmem_free(vm, a, Q);
	vmem_destroy(vm);

	vm = vmem_create("edge-import", 0, 0, Q, 0, M_WAITOK);
	vmem_set_import(vm, import, release, NULL, 4 * Q);
	next_span = 0x20000000 + 1;		/* misaligned */
	EXPECT_PANIC((void)vmem_alloc(vm, Q, M_NOWAIT | M_BESTFIT, &a),
	    "vmem_import", "misaligned or overlapping", "a source handing "
	    "out a misaligned span");
	next_span = 0x20000000;
	ok(vmem_alloc(vm, 4 * Q, M_NOWAIT | M_BESTFIT, &a) == 0,
	    "a good import");
	next_span = 0x20000000;			/* the same span again */
	EXPECT_PANIC((void)vmem_alloc(vm, 4 * Q, M_NOWAIT | M_BESTFIT, &a),
	    "vmem_import", "edge-import", "a source handing out a span the "
	    "arena has");
	vmem_free(vm, 0x20000000, 4 * Q);
	vmem_destroy(vm);
}

static void
spans_and_limits(void)
{
	vmem_t *vm;
	vmem_addr_t a;
	int n, rv;

	vm = vmem_create("a-name-longer-than-fifteen", 0x30000000, 16 * Q, Q, 0,
	    M_WAITOK);
	ok(vm != NULL && vmem_add(vm, 0x30000000 + 8 * Q, 16 * Q, M_NOWAIT) ==
	    EINVAL && vmem_add(vm, 0x30000000 + 16 * Q, 16 * Q, M_NOWAIT) == 0,
	    "vmem_add of an overlapping span: EINVAL; of the next one: 0");
	ok(vmem_size(vm, VMEM_ALLOC | VMEM_FREE) == 32 * Q,
	    "the arena is 32 quanta");
	vmem_destroy(vm);
	vm = vmem_create(NULL, 0, 0, Q, 0, M_WAITOK);
	ok(vm != NULL, "an arena without a name");
	vmem_set_import(vm, import, release, NULL, 4 * Q);
	vmem_set_limit(vm, 8 * Q);
	vmem_set_reclaim(vm, reclaim);
	next_span = 0x40000000;
	imports = reclaims = 0;
	ok(vmem_alloc(vm, 3 * Q, M_NOWAIT | M_BESTFIT, &a) == 0 &&
	    vmem_alloc(vm, 3 * Q, M_NOWAIT | M_BESTFIT, &a) == 0 && imports ==
	    2, "two imports of 4 quanta fill the limit of 8");
	n = imports;
	rv = vmem_alloc(vm, 3 * Q, M_NOWAIT | M_BESTFIT, &a);
	ok(rv == ENOMEM && imports == n && reclaims > 0, "a third would "
	    "pass the limit: ENOMEM without importing, after the reclaim "
	    "callback ran %d times", reclaims);
	ok(vmem_alloc(vm, 16 * Q, M_NOWAIT | M_BESTFIT, &a) == ENOMEM,
	    "more than the limit at once: ENOMEM");
	vmem_set_limit(vm, 0);
	import_fails = true;
	ok(vmem_alloc(vm, 3 * Q, M_NOWAIT | M_BESTFIT, &a) == ENOMEM &&
	    imports == n + 1, "a source that fails: ENOMEM");
	import_fails = false;
	ok(vmem_xalloc(vm, Q, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT | M_BESTFIT, &a) == 0, "what is left is still usable");
	vmem_xfree(vm, a, Q);
	vmem_free(vm, 0x40000000, 3 * Q);
	vmem_free(vm, 0x40000000 + 4 * Q, 3 * Q);
	vmem_destroy(vm);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 1) == 0, "kmem boots");
	misuse();
	spans_and_limits();
	return (tap_done());
}
