/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/exit.c: ending a run with a status, on every board.
 *
 * Three ways out, tried in this order by md_exit(code):
 *
 *  1. Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit and the code,
 *     only when /chosen/bootargs holds the word "kmem.semihosting"
 *     (kmem-qemu-run passes it with -append when it starts QEMU with
 *     -semihosting-config).  The flag is read from the raw FDT before
 *     anything else at boot, so even a panic inside fdt_parse() exits with
 *     its code.  Without the flag the ebreak is never executed: on a board
 *     with no debugger attached it would trap into the payload.
 *  2. QEMU virt's test finisher ("sifive,test0/1"), once fdt_parse() has
 *     found it: 0x5555 for 0, 0x3333 | code << 16 otherwise.
 *  3. SBI SRST shutdown (reason "system failure" for a non-zero code), the
 *     answer on a real board.  QEMU sifive_u has no shutdown device: SRST
 *     returns and the hart halts.
 *
 * Before the FDT has been parsed and without the semihosting flag, a
 * non-zero code does not call SRST: on QEMU virt SRST shutdown always
 * ends QEMU with status 0, and a failed run must never look like a pass.
 * The hart prints why and halts instead; under kmem-qemu-run that is a
 * timeout (exit 124), on a board the report stays on the console.  This
 * happens only when the loader passed no usable FDT at all (kmem-qemu-run
 * always sets the flag).
 */
#include <stdio.h>

#include <kmem/fdt.h>
#include <kmem/machine.h>

#include "riscv.h"

#define SEMIHOST_SYS_EXIT		0x18
#define ADP_STOPPED_APPLICATIONEXIT	0x20026

volatile uint32_t *riscv_exit_reg;
vm_paddr_t riscv_exit_pa;
static bool exit_semihosting;
static bool exit_fdt_known;	/* fdt_parse() succeeded: SRST is the answer */

void
riscv_exit_init(const void *fdt, uint32_t size)
{
	char args[256];

	if (fdt_chosen_bootargs(fdt, size, args, sizeof(args)))
		exit_semihosting = fdt_compat_has(args, "kmem.semihosting");
}

void
riscv_exit_find_device(const struct fdt_machine *m)
{
	const struct fdt_dev *d;

	exit_fdt_known = true;
	d = fdt_find_dev(m, "sifive,test1");
	if (d == NULL)
		d = fdt_find_dev(m, "sifive,test0");
	if (d != NULL) {
		riscv_exit_pa = d->base;
		riscv_exit_reg = (volatile uint32_t *)(uintptr_t)d->base;
	}
}

/*
 * The semihosting call: the three-instruction sequence the RISC-V
 * semihosting spec fixes (uncompressed, in one aligned block), with
 * a0 = operation, a1 = parameter block.
 */
static void
semihosting_exit(int code)
{
	uint64_t block[2] = { ADP_STOPPED_APPLICATIONEXIT, (uint64_t)code };
	register long a0 __asm__("a0") = SEMIHOST_SYS_EXIT;
	register long a1 __asm__("a1") = (long)(uintptr_t)block;

	__asm__ volatile(
	    ".option push\n"
	    /* Align with compressed nops allowed: the linker may need 14
	     * bytes of padding in a function's own (2-aligned) section. */
	    ".balign 16\n"
	    ".option norvc\n"
	    "slli zero, zero, 0x1f\n"
	    "ebreak\n"
	    "srai zero, zero, 0x7\n"
	    ".option pop\n"
	    : "+r"(a0) : "r"(a1) : "memory");
}

/* End the run with code (see the top of this file). */
void
md_exit(int code)
{

	fflush(stdout);
	/*
	 * Once only: if no semihosting host answers (the flag was given on a
	 * board), the ebreak traps, the trap report calls md_exit again, and
	 * that call takes the next way out instead of trapping forever.
	 */
	if (exit_semihosting) {
		exit_semihosting = false;
		semihosting_exit(code);
	}
	if (riscv_exit_reg != NULL)
		*riscv_exit_reg = code == 0 ? 0x5555 :
		    (0x3333 | ((uint32_t)code & 0xffff) << 16);
	if (code == 0 || exit_fdt_known)
		sbi_shutdown(code != 0);
	else
		printf("kmem: exit %d before the FDT was read: no exit device "
		    "known; hart %u halts\n", code, md_hartid());
	for (;;)
		__asm__ volatile("wfi");
}
