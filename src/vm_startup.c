/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_startup.c: the order in which the layers come up at boot.
 */
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/startup.h>

#include "kmem_private.h"

u_int kmem_up;

int
kmem_startup(const struct kmem_boot_info *bi)
{
	vm_paddr_t img_start, img_end;
	int error;

	img_start = bi->text_start;
	img_end = bi->data_end;
	error = physmem_init(bi->machine, bi->fw_start, bi->fw_end,
	    img_start, img_end, bi->fdt_pa, bi->fdt_size);
	if (error != 0) {
		kmem_printf("kmem_startup: no usable memory in the FDT\n");
		return (error);
	}
	kmem_up |= KMEM_UP_PHYSMEM;
	if (!bi->quiet) {
		fdt_machine_print(bi->machine);
		physmem_print();
	}
	return (0);
}
