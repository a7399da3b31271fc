/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap_private.h: pmap internals that tests look at.
 */
#ifndef KMEM_PMAP_PRIVATE_H
#define KMEM_PMAP_PRIVATE_H

#include <kmem/pmap.h>

/*
 * Forget every page table and device mapping so that a test can bring a
 * new simulated machine up and call pmap_bootstrap() again.  Host only.
 */
void pmap_reset_for_test(void);

/*
 * The leaf PTE that maps va (kernel pmap, walked from the root) and the
 * size of the leaf; 0 when nothing maps va.
 */
pt_entry_t pmap_leaf_for_test(vm_offset_t va, vm_size_t *size);

/*
 * Slots of the KVA's L3 shadow array in [sva, eva) that disagree with the
 * L2 entries (0 when all agree).
 */
int pmap_check_shadow_for_test(vm_offset_t sva, vm_offset_t eva);

#endif /* KMEM_PMAP_PRIVATE_H */
