/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vm_param.h: the kernel address-space layout (Sv39).
 *
 *   0x0000000000000000 .. 0x0000003fffffffff  lower half: the payload image,
 *                                             identity mapped (VA == PA) with
 *                                             its sections' permissions
 *   0xffffffc000000000 .. 0xffffffcfffffffff  KVA: kernel_map (64 GiB)
 *   0xffffffd000000000 .. 0xffffffefffffffff  DMAP of all RAM (128 GiB)
 *   0xfffffff000000000 .. 0xffffffffffffffff  device mappings (pmap_mapdev)
 *
 * PHYS_TO_DMAP()/DMAP_TO_PHYS() are how C code reaches physical memory.
 * Before paging is on they are the identity; once pmap_bootstrap() has
 * turned paging on they use DMAP_MIN_ADDRESS.  On the host twin they point
 * into the buffer that simulates RAM, while the simulated page tables still
 * map DMAP_MIN_ADDRESS, so a software walk of a DMAP VA agrees with them.
 */
#ifndef KMEM_VM_PARAM_H
#define KMEM_VM_PARAM_H

#include <kmem/types.h>

#define VM_MIN_KERNEL_ADDRESS	0xffffffc000000000UL
#define VM_MAX_KERNEL_ADDRESS	0xffffffd000000000UL
#define DMAP_MIN_ADDRESS	0xffffffd000000000UL
#define DMAP_MAX_ADDRESS	0xfffffff000000000UL
#define DEVMAP_MIN_ADDRESS	0xfffffff000000000UL
#define DEVMAP_MAX_ADDRESS	0xfffffffffffff000UL	/* last page kept unmapped */
#define VM_MAXUSER_ADDRESS	0x0000004000000000UL	/* end of the lower half */

/* Reaching physical memory from C (see above). */
extern vm_offset_t dmap_va_base;	/* VA that dmap_phys_base maps to */
extern vm_paddr_t dmap_phys_base;	/* lowest RAM address */
extern vm_paddr_t dmap_phys_max;	/* end of the highest RAM range */

#define PHYS_TO_DMAP(pa)	((vm_offset_t)((vm_paddr_t)(pa) - \
				    dmap_phys_base) + dmap_va_base)
#define DMAP_TO_PHYS(va)	((vm_paddr_t)((vm_offset_t)(va) - \
				    dmap_va_base) + dmap_phys_base)
#define PHYS_IN_DMAP(pa)	((vm_paddr_t)(pa) >= dmap_phys_base && \
				    (vm_paddr_t)(pa) < dmap_phys_max)
#define VIRT_IN_DMAP(va)	((vm_offset_t)(va) >= dmap_va_base && \
				    (vm_offset_t)(va) < dmap_va_base + \
				    (dmap_phys_max - dmap_phys_base))

/* Most NUMA domains kmem handles. */
#define MAXMEMDOM	8
/* Most harts kmem handles: MAXCPU, a build option, in kmem/config.h. */
#include <kmem/config.h>

#endif /* KMEM_VM_PARAM_H */
