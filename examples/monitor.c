/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The console monitor as a payload: boot, then hand the console to
 * kmem_monitor() until "quit".  Run it with
 *	scripts/qemu-run build/rv/examples/monitor.elf --interactive --numa 2 --smp 2
 * main's return value is the number of commands that failed.
 */
#include <kmem.h>

const bool kmem_boot_quiet = true;

int
main(void)
{

	return (kmem_monitor());
}
