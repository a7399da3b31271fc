/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/boot.c: from _start to main().  Console, the FDT, the
 * physical memory map and the memory manager come up here; then the
 * payload's main() runs and its return value ends the run.
 */
#include <stdio.h>

#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>

#include "riscv.h"

extern char __image_start[], __image_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern __thread u_int riscv_tls_cpuid;
extern __thread u_int riscv_tls_hartid;

struct fdt_machine riscv_machine;

int main(void);

/*
 * A payload that defines kmem_boot_quiet = true (a strong symbol) boots
 * without printing the machine and the memory map.
 */
__attribute__((weak)) const bool kmem_boot_quiet = false;
void kmem_riscv_boot(unsigned long hartid, unsigned long fdt_pa,
    uint64_t instret0);

/*
 * instret at the payload's first instruction: what the firmware (OpenSBI,
 * U-Boot) executed before it.  Exact under QEMU -icount (scripts/bench-boot).
 */
uint64_t riscv_boot_instret;

/* picolibc stdio on the SBI console, a line buffer per hart. */
static char linebuf[MAXCPU][128];
static u_char linelen[MAXCPU];

static int
console_putc(char c, FILE *f)
{
	u_int cpu;

	(void)f;
	cpu = md_cpuid();
	linebuf[cpu][linelen[cpu]++] = c;
	if (c == '\n' || linelen[cpu] == sizeof(linebuf[0])) {
		riscv_console_write(linebuf[cpu], linelen[cpu]);
		linelen[cpu] = 0;
	}
	return ((unsigned char)c);
}

static int
console_flush(FILE *f)
{
	u_int cpu;

	(void)f;
	cpu = md_cpuid();
	if (linelen[cpu] != 0) {
		riscv_console_write(linebuf[cpu], linelen[cpu]);
		linelen[cpu] = 0;
	}
	return (0);
}

static FILE console_file = FDEV_SETUP_STREAM(console_putc, NULL,
    console_flush, _FDEV_SETUP_WRITE);
FILE *const stdin = &console_file;
FILE *const stdout = &console_file;
FILE *const stderr = &console_file;

void _exit(int code);

void
_exit(int code)
{

	md_exit(code);
}

/* Dense cpu indices: the boot hart is cpu 0 whatever its hart id. */
static void
number_cpus(const struct fdt_machine *m, unsigned long boot_hartid)
{
	int i;

	riscv_ncpus = 1;
	riscv_cpu_hartid[0] = (uint32_t)boot_hartid;
	riscv_cpu_domain[0] = 0;
	for (i = 0; i < m->ncpus; i++) {
		if (m->cpus[i].hartid == boot_hartid) {
			riscv_cpu_domain[0] = m->cpus[i].domain;
			continue;
		}
		if (!m->cpus[i].enabled || riscv_ncpus >= MAXCPU)
			continue;
		riscv_cpu_hartid[riscv_ncpus] = m->cpus[i].hartid;
		riscv_cpu_domain[riscv_ncpus] = m->cpus[i].domain;
		riscv_ncpus++;
	}
}

void
kmem_riscv_boot(unsigned long hartid, unsigned long fdt_pa, uint64_t instret0)
{
	const void *fdt = (const void *)(uintptr_t)fdt_pa;
	struct kmem_boot_info bi = { 0 };
	const char *err;
	uint32_t size;
	int i, rc;

	riscv_boot_instret = instret0;
	riscv_tls_cpuid = 0;
	riscv_tls_hartid = (u_int)hartid;
	riscv_console_init();

	size = fdt_blob_size(fdt, 64);
	if (size != 0 && size <= (16U << 20))
		riscv_exit_init(fdt, size);
	if (size == 0 || size > (16U << 20)) {
		printf("kmem: boot hart %lu: no valid FDT at 0x%lx\n", hartid,
		    fdt_pa);
		md_exit(KMEM_EXIT_PANIC);
	}
	rc = fdt_parse(fdt, size, &riscv_machine, &err);
	if (rc != 0) {
		printf("kmem: FDT at 0x%lx rejected: %s (%d)\n", fdt_pa, err,
		    rc);
		md_exit(KMEM_EXIT_PANIC);
	}
	riscv_exit_find_device(&riscv_machine);
	number_cpus(&riscv_machine, hartid);

	bi.machine = &riscv_machine;
	bi.fdt_pa = fdt_pa;
	bi.fdt_size = size;
	/* OpenSBI sits below the image; the FDT may or may not reserve it. */
	bi.fw_start = riscv_machine.nmem > 0 ? riscv_machine.mem[0].base : 0;
	bi.fw_end = (vm_paddr_t)(uintptr_t)__image_start;
	for (i = 0; i < riscv_machine.nmem; i++)
		if (riscv_machine.mem[i].base < bi.fw_start)
			bi.fw_start = riscv_machine.mem[i].base;
	if (bi.fw_start >= bi.fw_end)
		bi.fw_start = bi.fw_end = 0;
	bi.text_start = (vm_offset_t)__text_start;
	bi.text_end = (vm_offset_t)__text_end;
	bi.rodata_start = (vm_offset_t)__rodata_start;
	bi.rodata_end = (vm_offset_t)__rodata_end;
	bi.data_start = (vm_offset_t)__data_start;
	bi.data_end = (vm_offset_t)__data_end;
	/* Read through volatile: GCC folds a weak const's own initializer. */
	bi.quiet = *(const volatile bool *)&kmem_boot_quiet;
	riscv_errata_init(&riscv_machine, bi.quiet);
	rc = kmem_startup(&bi);
	/* Paging is on: the exit device is reached through a device mapping. */
	if ((kmem_up & KMEM_UP_PMAP) != 0 && riscv_exit_pa != 0)
		riscv_exit_reg = (volatile uint32_t *)pmap_mapdev(riscv_exit_pa,
		    PAGE_SIZE);
	if (rc != 0) {
		printf("kmem: start-up failed (%d)\n", rc);
		md_exit(KMEM_EXIT_PANIC);
	}
	riscv_smp_start();
	rc = main();
	md_exit(rc);
}
