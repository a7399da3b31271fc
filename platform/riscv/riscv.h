/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/riscv.h: CSR access and the SBI client (bare-metal only).
 */
#ifndef KMEM_PLATFORM_RISCV_H
#define KMEM_PLATFORM_RISCV_H

#include <kmem/types.h>
#include <kmem/fdt.h>

#define csr_read(csr) ({						\
	unsigned long __v;						\
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory");	\
	__v;								\
})
#define csr_write(csr, v)						\
	__asm__ volatile("csrw " #csr ", %0" :: "rK"(v) : "memory")
#define csr_set(csr, v)							\
	__asm__ volatile("csrs " #csr ", %0" :: "rK"(v) : "memory")
#define csr_clear(csr, v)						\
	__asm__ volatile("csrc " #csr ", %0" :: "rK"(v) : "memory")

#define SSTATUS_SIE	0x2UL
#define SIE_SSIE	0x2UL
#define SIE_STIE	0x20UL
#define SIP_SSIP	0x2UL

/* SBI (RISC-V Supervisor Binary Interface v2.0). */
struct sbiret {
	long	error;
	long	value;
};

#define SBI_EXT_BASE	0x10
#define SBI_EXT_TIME	0x54494D45
#define SBI_EXT_IPI	0x735049
#define SBI_EXT_RFENCE	0x52464E43
#define SBI_EXT_HSM	0x48534D
#define SBI_EXT_SRST	0x53525354
#define SBI_EXT_DBCN	0x4442434E
#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_LEGACY_GETCHAR 0x02

#define SBI_HSM_STARTED		0
#define SBI_HSM_STOPPED		1

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2,
    long a3, long a4, long a5);
bool sbi_probe(long ext);
void sbi_console_write(const char *buf, size_t len);
int sbi_console_read(void);
long sbi_hart_start(unsigned long hartid, unsigned long start,
    unsigned long opaque);
long sbi_hart_status(unsigned long hartid);
long sbi_remote_sfence_vma(unsigned long mask, unsigned long base,
    unsigned long start, unsigned long size);
long sbi_send_ipi(unsigned long mask, unsigned long base);
void sbi_shutdown(int failure);

/* Platform state shared by the riscv files. */
extern struct fdt_machine riscv_machine;
extern vm_paddr_t riscv_exit_pa;	/* test finisher, 0 if none */
extern volatile uint32_t *riscv_exit_reg;	/* where md_exit writes */
extern u_int riscv_ncpus;
extern uint32_t riscv_cpu_hartid[];
extern int riscv_cpu_domain[];

/* exit.c: how md_exit ends the run (semihosting, test finisher, SRST). */
void riscv_exit_init(const void *fdt, uint32_t size);	/* raw FDT, first */
void riscv_exit_find_device(const struct fdt_machine *m);	/* parsed */

/* errata.c: SiFive errata from the FDT's compatible strings. */
void riscv_errata_init(const struct fdt_machine *m, bool quiet);
unsigned long riscv_errata_fault_va(unsigned long code, unsigned long stval);

void riscv_console_init(void);
/* The SBI console for any hart: one writer at a time, lines kept whole. */
void riscv_console_write(const char *buf, size_t len);

/* smp.c */
u_int riscv_ncpus_running(void);
void riscv_ipi_cpus(unsigned long cpus);	/* mask of cpu indices */
void riscv_ipi_others(void);
void riscv_shootdown(vm_offset_t sva, vm_offset_t eva);
void riscv_smp_start(void);		/* after kmem_startup() */

#endif /* KMEM_PLATFORM_RISCV_H */
