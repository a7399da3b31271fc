/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_fault.c: kernel page-fault dispatch and the expect-a-fault and
 * expect-a-panic catchers (one of each per hart).
 */
#include <string.h>

#include <kmem/fault.h>
#include <kmem/vm_param.h>

#include "kmem_private.h"

bool (*kmem_fault_resolver)(vm_offset_t va, int access);
const char *(*kmem_fault_region)(vm_offset_t va);

static struct kmem_fault_catch *fault_catch[MAXCPU];
static struct kmem_panic_catch *panic_catch[MAXCPU];
/* Interrupt handlers each hart is in (kmem_intr_enter); own hart only. */
u_int kmem_intr_depth[MAXCPU];

void
kmem_intr_enter(void)
{

	kmem_intr_depth[kmem_cpuid()]++;
}

void
kmem_intr_exit(void)
{
	u_int cpu;

	cpu = kmem_cpuid();
	KMEM_CHECK(kmem_intr_depth[cpu] > 0, ("kmem_intr_exit: cpu %u is not "
	    "in an interrupt handler", cpu));
	kmem_intr_depth[cpu]--;
}

bool
kmem_in_intr(void)
{

	return (kmem_intr_depth[kmem_cpuid()] != 0);
}

void
kmem_sleep_in_intr(const char *call)
{

	panic("%s: may sleep, but was called from an interrupt handler on "
	    "cpu %u (use M_NOWAIT there)", call, kmem_cpuid());
}

void
kmem_fault_arm(struct kmem_fault_catch *fc)
{

	fc->kf_va = 0;
	fc->kf_access = 0;
	fc->kf_pc = 0;
	fc->kf_hit = 0;
	fault_catch[kmem_cpuid()] = fc;
}

void
kmem_fault_disarm(void)
{

	fault_catch[kmem_cpuid()] = NULL;
}

void
kmem_panic_arm(struct kmem_panic_catch *pc)
{

	pc->kp_msg[0] = '\0';
	panic_catch[kmem_cpuid()] = pc;
}

void
kmem_panic_disarm(void)
{

	panic_catch[kmem_cpuid()] = NULL;
}

void
kmem_panic_catch_hook(const char *msg)
{
	struct kmem_panic_catch *pc;
	u_int cpu;

	cpu = kmem_cpuid();
	pc = panic_catch[cpu];
	if (pc == NULL)
		return;
	panic_catch[cpu] = NULL;
	strncpy(pc->kp_msg, msg, sizeof(pc->kp_msg) - 1);
	pc->kp_msg[sizeof(pc->kp_msg) - 1] = '\0';
	longjmp(pc->kp_jb, 1);
}

bool
kmem_fault_handle(vm_offset_t va, int access, uint64_t pc)
{

	(void)pc;
	if (kmem_fault_resolver == NULL)
		return (false);
	return (kmem_fault_resolver(va, access));
}

static const char *
access_name(int access)
{

	switch (access) {
	case KMEM_ACC_READ:
		return ("read");
	case KMEM_ACC_WRITE:
		return ("write");
	case KMEM_ACC_EXEC:
		return ("instruction fetch");
	default:
		return ("access");
	}
}

void
kmem_fault_fatal(vm_offset_t va, int access, uint64_t pc, const char *cause)
{
	struct kmem_fault_catch *fc;
	const char *region;
	u_int cpu;

	cpu = kmem_cpuid();
	fc = fault_catch[cpu];
	if (fc != NULL) {
		fault_catch[cpu] = NULL;
		fc->kf_va = va;
		fc->kf_access = access;
		fc->kf_pc = pc;
		fc->kf_hit++;
		longjmp(fc->kf_jb, 1);
	}
	region = kmem_fault_region != NULL ? kmem_fault_region(va) :
	    "unknown (pmap not up)";
	kmem_printf("\n*** kmem: fatal kernel page fault ***\n"
	    "  cause:  %s\n  access: %s\n  va:     0x%016lx\n"
	    "  pc:     0x%016lx\n  hart:   %u (cpu %u)\n  region: %s\n",
	    cause, access_name(access), (unsigned long)va, (unsigned long)pc,
	    md_hartid(), cpu, region);
	md_exit(KMEM_EXIT_FAULT);
}
