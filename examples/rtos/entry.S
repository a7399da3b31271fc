/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The RTOS example's entry and trap vector.
 *
 * Every hart enters at _start with a0 = hart id, a1 = FDT (the boot hart,
 * from OpenSBI) or a1 = its struct hart (the others, from SBI HSM
 * hart_start).  The first hart to swap rtos_booted becomes the boot hart;
 * any other waits until the boot hart has published its struct hart in
 * rtos_hart_of[] (OpenSBI 1.1 can send a started hart to the payload's
 * first entry instead of the address given to hart_start).
 *
 * The trap vector saves the interrupted context as a struct rtos_frame on
 * the current stack and calls rtos_trap(frame), which returns the frame
 * to resume: the same one, or another task's (a context switch).
 */
#define FRAME	(34 * 8)		/* struct rtos_frame, 16-byte aligned */

	.section .text.entry, "ax", @progbits
	.globl	_start
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	csrw	sie, zero
	la	t0, rtos_booted
	li	t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez	t1, secondary
	la	sp, rtos_boot_stacks	/* cpu 0's: RTOS_BOOT_STACK bytes */
	li	t0, 16384
	add	sp, sp, t0
	la	t0, __bss_start		/* clear .bss (rtos_booted is in .data) */
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	call	rtos_boot_main		/* (hart id, FDT) */
3:	wfi
	j	3b

/* a0 = hart id.  Wait for our struct hart, then paging on, then C. */
secondary:
	slli	t0, a0, 3
	la	t1, rtos_hart_of
	add	t1, t1, t0
4:	ld	a1, 0(t1)
	beqz	a1, 4b
	fence	r, rw
	ld	sp, 0(a1)		/* struct hart: sp, satp first */
	ld	t0, 8(a1)
	sfence.vma
	csrw	satp, t0
	sfence.vma
	call	rtos_hart_main		/* (hart id, struct hart *) */
5:	wfi
	j	5b

	.text
	.align	4
	.globl	rtos_trap_vector
rtos_trap_vector:
	addi	sp, sp, -FRAME
	sd	x1, 0*8(sp)
	sd	x3, 2*8(sp)
	sd	x4, 3*8(sp)
	sd	x5, 4*8(sp)
	sd	x6, 5*8(sp)
	sd	x7, 6*8(sp)
	sd	x8, 7*8(sp)
	sd	x9, 8*8(sp)
	sd	x10, 9*8(sp)
	sd	x11, 10*8(sp)
	sd	x12, 11*8(sp)
	sd	x13, 12*8(sp)
	sd	x14, 13*8(sp)
	sd	x15, 14*8(sp)
	sd	x16, 15*8(sp)
	sd	x17, 16*8(sp)
	sd	x18, 17*8(sp)
	sd	x19, 18*8(sp)
	sd	x20, 19*8(sp)
	sd	x21, 20*8(sp)
	sd	x22, 21*8(sp)
	sd	x23, 22*8(sp)
	sd	x24, 23*8(sp)
	sd	x25, 24*8(sp)
	sd	x26, 25*8(sp)
	sd	x27, 26*8(sp)
	sd	x28, 27*8(sp)
	sd	x29, 28*8(sp)
	sd	x30, 29*8(sp)
	sd	x31, 30*8(sp)
	csrr	t0, sepc
	sd	t0, 31*8(sp)
	csrr	t0, sstatus
	sd	t0, 32*8(sp)
	mv	a0, sp
	call	rtos_trap
	mv	sp, a0			/* the frame to resume */
	ld	t0, 31*8(sp)
	csrw	sepc, t0
	ld	t0, 32*8(sp)
	csrw	sstatus, t0
	ld	x1, 0*8(sp)
	ld	x3, 2*8(sp)
	ld	x4, 3*8(sp)
	ld	x5, 4*8(sp)
	ld	x6, 5*8(sp)
	ld	x7, 6*8(sp)
	ld	x8, 7*8(sp)
	ld	x9, 8*8(sp)
	ld	x10, 9*8(sp)
	ld	x11, 10*8(sp)
	ld	x12, 11*8(sp)
	ld	x13, 12*8(sp)
	ld	x14, 13*8(sp)
	ld	x15, 14*8(sp)
	ld	x16, 15*8(sp)
	ld	x17, 16*8(sp)
	ld	x18, 17*8(sp)
	ld	x19, 18*8(sp)
	ld	x20, 19*8(sp)
	ld	x21, 20*8(sp)
	ld	x22, 21*8(sp)
	ld	x23, 22*8(sp)
	ld	x24, 23*8(sp)
	ld	x25, 24*8(sp)
	ld	x26, 25*8(sp)
	ld	x27, 26*8(sp)
	ld	x28, 27*8(sp)
	ld	x29, 28*8(sp)
	ld	x30, 29*8(sp)
	ld	x31, 30*8(sp)
	addi	sp, sp, FRAME
	sret

	.data
	.balign	4
rtos_booted:
	.word	0
