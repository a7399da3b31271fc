/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Must fail: kva_free twice of a one-page range.  The second free panics
 * at the call, naming vmem_free and the address (exit 98), instead of
 * letting two later kva_alloc calls return the same address.
 */
#include <kmem.h>
#include "tap.h"

const bool kmem_boot_quiet = true;

int
main(void)
{
	vm_offset_t va;

	va = kva_alloc(PAGE_SIZE);
	ok(va != 0, "kva_alloc of one page at 0x%lx", (u_long)va);
	kva_free(va, PAGE_SIZE);
	kva_free(va, PAGE_SIZE);
	ok(0, "the second kva_free of 0x%lx returned", (u_long)va);
	return (tap_done());
}
