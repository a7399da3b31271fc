/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * S-mode entry for kmem payloads.  OpenSBI enters the boot hart (any hart:
 * it picks one at random) in S-mode with a0 = hart id, a1 = FDT physical
 * address, paging off.  Secondary harts enter at kmem_secondary_entry
 * through SBI HSM with a1 = a pointer to their start block.
 */
#include <kmem/config.h>

	.section .text.kmem.start, "ax", @progbits
	.globl	_start
/*
 * The RISC-V Image header (Linux Documentation/riscv/boot-image-header.rst),
 * 64 bytes at the start of the image, so that `objcopy -O binary` output
 * boots with U-Boot's booti and extlinux.  U-Boot checks magic2 and a
 * non-zero image_size, then moves the image to RAM base + text_offset
 * (0x80200000, where the payload is linked).  Entered as an ELF, code0
 * jumps over it.
 */
_start:
	.option push
	.option norvc
	j	kmem_entry		/* code0 */
	.option pop
	.word	0			/* code1 */
	.dword	0x200000		/* text_offset from the RAM base */
	.dword	__kmem_image_size	/* image_size, .bss and boot stack included */
	.dword	0			/* flags: bit 0 = 0, little endian */
	.word	0x2			/* version 0.2 */
	.word	0			/* res1 */
	.dword	0			/* res2 */
	.ascii	"RISCV\0\0\0"		/* magic (deprecated) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0			/* res3 */
kmem_entry:
	csrr	s2, instret		/* firmware's share of the boot (bench) */
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	csrw	sie, zero
	/*
	 * Only the first hart here boots.  OpenSBI 1.1's hart_start marks a
	 * hart START_PENDING before it stores the new start address, so a
	 * stopped hart that wakes in between jumps to the payload's entry
	 * (here) instead of kmem_secondary_entry: seen under load with 4
	 * harts.  Such a hart finds its start block by hart id and enters as
	 * the secondary it was meant to be.  The flag is in .data: the boot
	 * hart's .bss clear must not reset it.
	 */
	la	t0, kmem_boot_claimed
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, racing_hart
	csrw	sip, zero
	la	sp, __boot_stack_top
	mv	s0, a0
	mv	s1, a1

	/* Clear .bss, the boot hart's TLS block (__boot_tls) included. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* The boot hart's TLS block: a copy of .tdata, then zeroes. */
	la	t0, __tls_base
	la	tp, __boot_tls
	lui	t1, %hi(__tdata_size)
	addi	t1, t1, %lo(__tdata_size)
	mv	t2, tp
3:	beqz	t1, 4f
	lb	t3, 0(t0)
	sb	t3, 0(t2)
	addi	t0, t0, 1
	addi	t2, t2, 1
	addi	t1, t1, -1
	j	3b
4:

	/* Enable the FPU (sstatus.FS = Initial) and install the trap vector. */
	li	t0, 0x2000
	csrs	sstatus, t0
	csrw	sscratch, zero
	la	t0, kmem_trap_vector
	csrw	stvec, t0

	mv	a0, s0
	mv	a1, s1
	mv	a2, s2
	call	kmem_riscv_boot
5:	wfi
	j	5b

/* A secondary that arrived at _start: find its block (a0 = hart id). */
racing_hart:
	la	t0, smp_start_block
	li	t1, MAXCPU		/* MAXCPU blocks of 48 bytes */
1:	ld	t2, 32(t0)		/* ss_hartid */
	ld	t3, 0(t0)		/* ss_sp: 0 = not set up */
	bne	t2, a0, 2f
	beqz	t3, 2f
	fence	r, rw
	mv	a1, t0
	j	kmem_secondary_entry
2:	addi	t0, t0, 48
	addi	t1, t1, -1
	bnez	t1, 1b
	j	racing_hart		/* not published yet: look again */

	.section .data
	.balign	4
	.globl	kmem_boot_claimed
kmem_boot_claimed:
	.word	0
	.previous

/*
 * Secondary harts: a1 points at { sp, tp, satp, entry } set up by the boot
 * hart.  Paging is turned on with the kernel's root table before C runs.
 */
	.globl	kmem_secondary_entry
kmem_secondary_entry:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	csrw	sie, zero
	ld	sp, 0(a1)
	ld	tp, 8(a1)
	ld	t0, 16(a1)
	ld	t2, 24(a1)
	li	t1, 0x2000
	csrs	sstatus, t1
	la	t1, kmem_trap_vector
	csrw	stvec, t1
	beqz	t0, 6f
	sfence.vma
	csrw	satp, t0
	sfence.vma
6:	jalr	t2
7:	wfi
	j	7b
