/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/types.h: the basic types, constants and flags of the kmem API.
 *
 * Names and values follow FreeBSD's sys/types.h, vm/vm.h, sys/malloc.h
 * and vm/vm_param.h so that code written against FreeBSD's kernel memory
 * API compiles unchanged.  Everything here is LP64 (riscv64 lp64d, or a
 * 64-bit host for the host twin).
 */
#ifndef KMEM_TYPES_H
#define KMEM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

typedef unsigned char u_char;
typedef unsigned short u_short;
typedef unsigned int u_int;
typedef unsigned long u_long;

typedef unsigned long vm_offset_t;	/* kernel virtual address */
typedef unsigned long vm_size_t;	/* size of a VA or PA range */
typedef uint64_t vm_paddr_t;		/* physical address */
typedef unsigned long vm_pindex_t;	/* page index */
typedef uint8_t vm_prot_t;		/* VM_PROT_* */
typedef int vm_memattr_t;		/* VM_MEMATTR_* */

typedef uintptr_t vmem_addr_t;
typedef size_t vmem_size_t;

_Static_assert(sizeof(vm_offset_t) == 8, "kmem needs an LP64 target");
_Static_assert(sizeof(void *) == 8, "kmem needs an LP64 target");

/* Pages. */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(PAGE_SIZE - 1)
#define L2_SHIFT	21			/* 2 MiB superpage */
#define L2_SIZE		(1UL << L2_SHIFT)
#define L2_OFFSET	(L2_SIZE - 1)
#define L1_SHIFT	30			/* 1 GiB gigapage */
#define L1_SIZE		(1UL << L1_SHIFT)
#define L1_OFFSET	(L1_SIZE - 1)

#define round_page(x)	(((unsigned long)(x) + PAGE_MASK) & ~PAGE_MASK)
#define trunc_page(x)	((unsigned long)(x) & ~PAGE_MASK)
#define atop(x)		((unsigned long)(x) >> PAGE_SHIFT)
#define ptoa(x)		((unsigned long)(x) << PAGE_SHIFT)

#define roundup2(x, y)	(((x) + ((y) - 1)) & ~((__typeof__(x))(y) - 1))
#define rounddown2(x, y) ((x) & ~((__typeof__(x))(y) - 1))
#define howmany(x, y)	(((x) + ((y) - 1)) / (y))
#define powerof2(x)	((((x) - 1) & (x)) == 0)
#ifndef nitems
#define nitems(x)	(sizeof((x)) / sizeof((x)[0]))
#endif

/* Protection (vm/vm.h). */
#define VM_PROT_NONE	((vm_prot_t)0x00)
#define VM_PROT_READ	((vm_prot_t)0x01)
#define VM_PROT_WRITE	((vm_prot_t)0x02)
#define VM_PROT_EXECUTE	((vm_prot_t)0x04)
#define VM_PROT_RW	(VM_PROT_READ | VM_PROT_WRITE)
#define VM_PROT_ALL	(VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE)

/*
 * Memory attributes.  Through Svpbmt when the hart has it (see pmap.h);
 * without Svpbmt every mapping is write-back and devices rely on the
 * platform's PMAs.
 */
#define VM_MEMATTR_WRITE_BACK	0
#define VM_MEMATTR_UNCACHEABLE	1	/* Svpbmt NC */
#define VM_MEMATTR_DEVICE	2	/* Svpbmt IO */
#define VM_MEMATTR_DEFAULT	VM_MEMATTR_WRITE_BACK

/* Mach-style status codes returned by kmem_back() and the map. */
#define KERN_SUCCESS		0
#define KERN_INVALID_ADDRESS	1
#define KERN_PROTECTION_FAILURE	2
#define KERN_NO_SPACE		3
#define KERN_INVALID_ARGUMENT	4
#define KERN_FAILURE		5
#define KERN_RESOURCE_SHORTAGE	6

/* malloc(9) flags, FreeBSD's values. */
#define M_NOWAIT	0x0001	/* do not block */
#define M_WAITOK	0x0002	/* ok to block */
#define M_NORECLAIM	0x0080	/* do not run lowmem handlers */
#define M_ZERO		0x0100	/* zero the allocation */
#define M_NOVM		0x0200	/* do not ask the VM for pages */
#define M_USE_RESERVE	0x0400	/* may dip into reserves */
#define M_NODUMP	0x0800	/* (accepted, no effect) */
#define M_FIRSTFIT	0x1000	/* vmem: instant fit */
#define M_BESTFIT	0x2000	/* vmem: best fit */
#define M_EXEC		0x4000	/* executable mapping wanted */
#define M_NEXTFIT	0x8000	/* vmem: next fit */

/* Lowmem event flags (sys/eventhandler.h). */
#define VM_LOW_KMEM	0x01
#define VM_LOW_PAGES	0x02

#if defined(__GNUC__)
#ifndef __predict_true
#define __predict_true(x)	__builtin_expect(!!(x), 1)
#define __predict_false(x)	__builtin_expect(!!(x), 0)
#endif
#define __kmem_noreturn		__attribute__((__noreturn__))
#define __kmem_printflike(f, a)	__attribute__((__format__(__printf__, f, a)))
#else
#define __predict_true(x)	(x)
#define __predict_false(x)	(x)
#define __kmem_noreturn
#define __kmem_printflike(f, a)
#endif

#endif /* KMEM_TYPES_H */
