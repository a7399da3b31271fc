/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem.h: the umbrella header.  Everything public in kmem: FreeBSD's kernel
 * memory API (vm_kern), vmem(9), the page allocator and domain sets, the
 * pmap, lowmem handlers, statistics, and the machine hooks.
 */
#ifndef KMEM_H
#define KMEM_H

#include <kmem/types.h>
#include <kmem/vm_param.h>
#include <kmem/machine.h>
#include <kmem/spin.h>
#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/startup.h>
#include <kmem/vmem.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>
#include <kmem/domainset.h>
#include <kmem/lowmem.h>
#include <kmem/pmap.h>
#include <kmem/vm_map.h>
#include <kmem/vm_kern.h>
#include <kmem/smp.h>
#include <kmem/report.h>
#include <kmem/uma.h>
#include <kmem/malloc.h>

#endif /* KMEM_H */
