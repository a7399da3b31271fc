/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/startup.h: bringing the memory manager up.
 *
 * Payload mode: platform/riscv calls kmem_startup() before main().
 * Library mode: an RTOS that owns boot parses its FDT with fdt_parse(),
 * implements kmem/machine.h, and calls kmem_startup() once on its boot
 * hart with paging off and the image identity mapped (VA == PA).
 */
#ifndef KMEM_STARTUP_H
#define KMEM_STARTUP_H

#include <kmem/types.h>
#include <kmem/fdt.h>

struct kmem_boot_info {
	const struct fdt_machine *machine;	/* from fdt_parse() */
	vm_paddr_t	fdt_pa;			/* the blob, kept until freed */
	vm_size_t	fdt_size;
	vm_paddr_t	fw_start;		/* firmware below the image, */
	vm_paddr_t	fw_end;			/* if the FDT does not reserve it */
	/* The image, identity mapped; each part page aligned. */
	vm_offset_t	text_start, text_end;		/* R+X */
	vm_offset_t	rodata_start, rodata_end;	/* R */
	vm_offset_t	data_start, data_end;		/* R+W (data, bss, stack) */
	bool		quiet;			/* do not print the memory map */
};

/*
 * Bring up FDT facts -> physical memory map -> page tables (paging on) ->
 * page allocator -> vmem -> kernel map and kmem.  Returns 0, or an errno
 * value after printing what failed.
 */
int kmem_startup(const struct kmem_boot_info *bi);

/* How far start-up got (for tests and the demo). */
#define KMEM_UP_PHYSMEM	0x01
#define KMEM_UP_PMAP	0x02
#define KMEM_UP_PAGES	0x04
#define KMEM_UP_VMEM	0x08
#define KMEM_UP_KMEM	0x10
extern u_int kmem_up;

#endif /* KMEM_STARTUP_H */
