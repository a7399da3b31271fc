/* SPDX-License-Identifier: BSD-2-Clause */
/* Never returns: qemu-run --timeout must kill it and exit 124. */
#include <kmem.h>

int
main(void)
{

	for (;;)
		__asm__ volatile("wfi");
}
