/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * port.c: the machine hooks kmem needs (kmem/machine.h), on top of the
 * example RTOS.  doc/porting.md states each hook's contract; this file is
 * one way to meet them.  The interesting ones are md_sleep/md_wakeup:
 * a kmem call that waits (M_WAITOK, kmap_alloc_wait) blocks the calling
 * TASK, and the hart runs its other tasks meanwhile.
 */
#include <string.h>

#include "rtos.h"

#define SHOOTDOWN_PAGES	32	/* above this, flush everything */

/* Identity: sscratch points at the hart's struct (rtos.c). */
u_int
md_hartid(void)
{

	return (rtos_self()->hartid);
}

u_int
md_cpuid(void)
{

	return (rtos_self()->cpu);
}

u_int
md_ncpus(void)
{

	return (rtos_nharts);
}

/* Every started hart may hold translations: all of them run kmem code. */
u_int
md_ncpus_running(void)
{
	u_int c, n;

	for (c = 1, n = 1; c < rtos_nharts; c++)
		n += atomic_load(&rtos_harts[c].up);
	return (n);
}

int
md_cpu_domain(u_int cpuid)
{

	return (cpuid < rtos_nharts ?
	    physmem_domain_of_fdt(rtos_harts[cpuid].fdt_domain) : 0);
}

unsigned long
md_intr_disable(void)
{
	unsigned long s;

	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s) :: "memory");
	return (s & 2);
}

void
md_intr_restore(unsigned long saved)
{

	if (saved)
		__asm__ volatile("csrs sstatus, 2" ::: "memory");
}

void
md_cpu_relax(void)
{

	__asm__ volatile("nop");
}

/*
 * Called by a task with *lock held (and so interrupts off).  The task is
 * marked blocked on chan BEFORE the lock is dropped: a waker changes the
 * condition under the lock and then calls md_wakeup(chan), which finds
 * the task blocked and makes it ready.  No wakeup can fall in between.
 * Until then the hart runs its other tasks.
 */
void
md_sleep(const void *chan, struct kmem_spin *lock)
{
	struct rtos_task *t = rtos_current();

	if (t->index == 0) {
		rtos_printf("*** md_sleep: the idle task or boot code may "
		    "not wait (chan %p)\n", chan);
		rtos_exit(KMEM_EXIT_PANIC);
	}
	rtos_block(chan);
	kmem_spin_unlock(lock);
	while (atomic_load(&t->state) == TASK_BLOCKED)
		rtos_yield();
	kmem_spin_lock(lock);
}

void
md_wakeup(const void *chan)
{

#ifdef RTOS_BREAK_WAKEUP
	/* Must-fail build: wakeups are lost; the watchdog has to notice. */
	(void)chan;
	return;
#endif
	(void)rtos_wake(chan);
}

/* Other tasks can free what the caller waits for: only none is a deadlock. */
bool
md_sleep_would_deadlock(void)
{

	return (rtos_tasks_alive() <= 1);
}

/*
 * The hart API of kmem/smp.h (kmem_smp_run, barriers) over the RTOS: the
 * md_smp_* hooks of kmem/machine.h that src/kmem_smp.c calls.  A task
 * waits for a word to change blocked on the word's waiters mask as its channel, and md_smp_notify()
 * wakes every task blocked on it.  The waiter blocks first and re-checks
 * after, so a change made in between is seen.  The idle task and boot
 * code cannot block: they spin.
 */
void
md_smp_wait(atomic_uint *p, u_int v, atomic_ulong *waiters)
{
	struct rtos_task *t = rtos_current();

	while (atomic_load(p) == v) {
		if (t->index == 0) {
			md_cpu_relax();
			continue;
		}
		rtos_block(waiters);
		if (atomic_load(p) != v) {
			(void)rtos_wake(waiters);
			break;
		}
		while (atomic_load(&t->state) == TASK_BLOCKED)
			rtos_yield();
	}
}

void
md_smp_notify(atomic_ulong *waiters)
{

	(void)rtos_wake(waiters);
}

bool
md_smp_running(u_int cpuid)
{

	return (cpuid < rtos_nharts && atomic_load(&rtos_harts[cpuid].up));
}

/* RTOS harts never hand themselves to kmem_smp_idle(): nothing to track. */
void
md_smp_idle(u_int cpuid, bool idle)
{

	(void)cpuid;
	(void)idle;
}

void
md_tlb_flush_page(vm_offset_t va)
{

	__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

void
md_tlb_flush_all(void)
{

	__asm__ volatile("sfence.vma" ::: "memory");
}

/*
 * SBI RFENCE to every other started hart; one sender at a time (OpenSBI
 * can livelock when every hart sends at once).  Returns once the targets
 * have fenced.  May be called from an interrupt handler.
 */
void
md_tlb_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	static struct rtos_lock lock = { ATOMIC_FLAG_INIT, 0 };
	unsigned long mask, start, size;
	u_int c, self;

	self = md_cpuid();
	mask = 0;
	for (c = 0; c < rtos_nharts; c++)
		if (c != self && atomic_load(&rtos_harts[c].up))
			mask |= 1UL << rtos_harts[c].hartid;
	if (mask == 0)
		return;
	if (eva <= sva || eva - sva > SHOOTDOWN_PAGES * PAGE_SIZE) {
		start = 0;
		size = ~0UL;
	} else {
		start = trunc_page(sva);
		size = round_page(eva) - start;
	}
	rtos_lock(&lock);
	(void)rtos_sbi(0x52464E43, 1, (long)mask, 0, (long)start, (long)size);
	rtos_unlock(&lock);
}

void
md_pt_barrier(void)
{

	__asm__ volatile("fence rw, rw" ::: "memory");
}

bool
md_satp_write(uint64_t satp)
{
	uint64_t got;

	__asm__ volatile("sfence.vma\n\tcsrw satp, %1\n\tcsrr %0, satp\n\t"
	    "sfence.vma" : "=r"(got) : "r"(satp) : "memory");
	return (got == satp);
}

uint64_t
md_satp_read(void)
{
	uint64_t satp;

	__asm__ volatile("csrr %0, satp" : "=r"(satp));
	return (satp);
}

vm_offset_t
md_dmap_va(vm_offset_t dmap_min)
{

	return (dmap_min);
}

void
md_console_write(const char *buf, size_t len)
{

	rtos_console_write(buf, len);
}

/* SBI legacy getchar: -1 when nothing is waiting. */
int
md_console_read(void)
{
	long c;

	c = rtos_sbi(0x02, 0, 0, 0, 0, 0);
	return (c >= 0 && c <= 255 ? (int)c : -1);
}

void
md_panic(const char *msg)
{

	kmem_panic_catch_hook(msg);
	rtos_printf("\n*** kmem panic (hart %u): %s\n", md_hartid(), msg);
	rtos_exit(KMEM_EXIT_PANIC);
}

void
md_exit(int code)
{

	rtos_exit(code);
}

uint64_t
md_time(void)
{
	uint64_t t;

	__asm__ volatile("csrr %0, time" : "=r"(t));
	return (t);
}

uint64_t
md_time_freq(void)
{

	return (rtos_machine.timebase_frequency != 0 ?
	    rtos_machine.timebase_frequency : 10000000);
}

uint64_t
md_instret(void)
{
	uint64_t n;

	__asm__ volatile("csrr %0, instret" : "=r"(n));
	return (n);
}
