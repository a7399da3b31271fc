/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An illegal instruction: the trap handler reports it by name with sepc,
 * stval and the hart, and the run exits non-zero (meson should_fail; the
 * qemu-run test script also checks the report text).
 */
#include <kmem.h>
#include <stdio.h>

int
main(void)
{

	printf("executing an illegal instruction\n");
	__asm__ volatile(".word 0x00000000");
	printf("not reached\n");
	return (0);
}
