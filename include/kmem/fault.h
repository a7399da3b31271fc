/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/fault.h: kernel page faults and the expect-a-fault hook.
 *
 * A page fault on a kernel address first goes to kmem_fault_handle(), which
 * resolves demand-zero faults in pageable submaps.  A fault nothing explains
 * goes to kmem_fault_fatal(): if this hart armed a catcher, the catcher gets
 * the fault and control comes back from setjmp with a non-zero value;
 * otherwise the run ends with a report (access, VA, pc, hart, and the region
 * the VA lies in) and a non-zero exit code.
 *
 *	struct kmem_fault_catch fc;
 *	if (KMEM_FAULT_TRY(&fc)) {
 *		*(volatile char *)va = 1;	// expected to fault
 *		kmem_fault_disarm();
 *	} else {
 *		// fc.kf_va == va, fc.kf_access == KMEM_ACC_WRITE
 *	}
 */
#ifndef KMEM_FAULT_H
#define KMEM_FAULT_H

#include <setjmp.h>
#include <kmem/types.h>

#define KMEM_ACC_READ	0x1
#define KMEM_ACC_WRITE	0x2
#define KMEM_ACC_EXEC	0x4

/* Exit code of a run ended by an unexpected fault or trap. */
#define KMEM_EXIT_FAULT	97
/* Exit code of a run ended by panic(). */
#define KMEM_EXIT_PANIC	98

struct kmem_fault_catch {
	jmp_buf			kf_jb;
	volatile vm_offset_t	kf_va;		/* faulting address */
	volatile int		kf_access;	/* KMEM_ACC_* */
	volatile uint64_t	kf_pc;		/* pc of the access */
	volatile int		kf_hit;		/* faults caught */
};

/* Arm a catcher for this hart; a fault then returns to setjmp(fc->kf_jb). */
void kmem_fault_arm(struct kmem_fault_catch *fc);
/* Disarm this hart's catcher (no fault came). */
void kmem_fault_disarm(void);
#define KMEM_FAULT_TRY(fc)	(kmem_fault_arm(fc), setjmp((fc)->kf_jb) == 0)

/* The same for panics: a panic then returns to setjmp with its message. */
struct kmem_panic_catch {
	jmp_buf			kp_jb;
	char			kp_msg[256];
};
void kmem_panic_arm(struct kmem_panic_catch *pc);
void kmem_panic_disarm(void);
#define KMEM_PANIC_TRY(pc)	(kmem_panic_arm(pc), setjmp((pc)->kp_jb) == 0)

/* --- For platform code --- */

/* Try to resolve a kernel fault (demand-zero submaps).  True if resolved. */
bool kmem_fault_handle(vm_offset_t va, int access, uint64_t pc);
/*
 * An unresolved fault: hand it to this hart's catcher (does not return),
 * or print the report and end the run with KMEM_EXIT_FAULT.
 */
__kmem_noreturn void kmem_fault_fatal(vm_offset_t va, int access, uint64_t pc,
    const char *cause);
/* If this hart armed a panic catcher, hand it msg (does not return). */
void kmem_panic_catch_hook(const char *msg);

/*
 * Interrupt context.  The platform's trap handler brackets the handling
 * of an interrupt with kmem_intr_enter() and kmem_intr_exit() (they nest;
 * both on the interrupted hart, interrupts off).  In between, a call that
 * may sleep (an M_WAITOK allocation, kmap_alloc_wait, waiting for pages
 * or arena space) panics with a message that names the call, instead of
 * deadlocking the hart.  M_NOWAIT allocations, frees and lookups are fine
 * there (doc/porting.md has the table).  kmem_in_intr() tells whether
 * this hart is between the two.
 */
void kmem_intr_enter(void);
void kmem_intr_exit(void);
bool kmem_in_intr(void);

/* Hook that resolves demand-zero faults (set by vm_map). */
extern bool (*kmem_fault_resolver)(vm_offset_t va, int access);
/* Names the region va lies in (set by pmap), for reports. */
extern const char *(*kmem_fault_region)(vm_offset_t va);

#endif /* KMEM_FAULT_H */
