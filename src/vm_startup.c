/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_startup.c: the order in which the layers come up at boot.
 */
#include <kmem/domainset.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_phys.h>

#include "kmem_private.h"

u_int kmem_up;
static bool kmem_started;

/*
 * What kmem_startup() refuses before it changes anything: a second call,
 * no FDT facts or no memory in them, an image part that is not page
 * aligned, and paging already on.  Prints why; returns an errno value.
 */
static int
kmem_startup_check(const struct kmem_boot_info *bi)
{

	if (kmem_started) {
		kmem_printf("kmem_startup: called a second time: kmem is "
		    "already up (or a first call failed half way)\n");
		return (EBUSY);
	}
	if (bi == NULL || bi->machine == NULL || bi->machine->nmem == 0) {
		kmem_printf("kmem_startup: no usable FDT: %s\n", bi == NULL ?
		    "no boot info" : bi->machine == NULL ? "no parsed machine "
		    "(fdt_parse)" : "it lists no memory");
		return (EINVAL);
	}
	if (((bi->text_start | bi->text_end | bi->rodata_start |
	    bi->rodata_end | bi->data_start | bi->data_end) & PAGE_MASK) != 0) {
		kmem_printf("kmem_startup: image layout not page aligned: text "
		    "0x%lx-0x%lx rodata 0x%lx-0x%lx data 0x%lx-0x%lx\n",
		    bi->text_start, bi->text_end, bi->rodata_start,
		    bi->rodata_end, bi->data_start, bi->data_end);
		return (EINVAL);
	}
	if ((md_satp_read() >> 60) != 0) {
		kmem_printf("kmem_startup: paging is already on (satp 0x%lx): "
		    "call it with paging off and the image identity mapped\n",
		    (unsigned long)md_satp_read());
		return (EBUSY);
	}
	return (0);
}

void
kmem_not_started(const char *call)
{

	panic("%s: called before kmem_startup() brought kmem up", call);
}

int
kmem_startup(const struct kmem_boot_info *bi)
{
	vm_paddr_t img_start, img_end;
	int error;

	if ((error = kmem_startup_check(bi)) != 0)
		return (error);
	kmem_started = true;
	img_start = bi->text_start;
	img_end = bi->data_end;
	error = physmem_init(bi->machine, bi->fw_start, bi->fw_end,
	    img_start, img_end, bi->fdt_pa, bi->fdt_size);
	if (error != 0) {
		kmem_printf("kmem_startup: no usable memory in the FDT\n");
		return (error);
	}
	kmem_up |= KMEM_UP_PHYSMEM;
	/* The FDT blob is boot-only: kmem_bootstrap_free() may return it. */
	if (bi->fdt_size != 0)
		(void)physmem_adopt(bi->fdt_pa, bi->fdt_size, "FDT blob");
	if (!bi->quiet) {
		fdt_machine_print(bi->machine);
		physmem_print();
	}
	/* Page tables, then paging on: RAM only through the DMAP from here. */
	error = pmap_bootstrap(bi);
	if (error != 0) {
		kmem_printf("kmem_startup: no kernel page tables (%d)\n", error);
		return (error);
	}
	kmem_up |= KMEM_UP_PMAP;
	error = vm_phys_init();
	if (error != 0) {
		kmem_printf("kmem_startup: page allocator failed (%d)\n", error);
		return (error);
	}
	kmem_up |= KMEM_UP_PAGES;
	domainset_init();
	pmap_init();
	/* Arenas, the kernel map and its submaps, the zero region. */
	kmem_init(VM_MIN_KERNEL_ADDRESS, VM_MAX_KERNEL_ADDRESS);
	kmem_up |= KMEM_UP_VMEM | KMEM_UP_KMEM;
	return (0);
}
