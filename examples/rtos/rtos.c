/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rtos.c: the example RTOS.  Boot, harts, traps, the scheduler.
 *
 * Boot (boot hart): parse the FDT, number the harts, kmem_startup(), then
 * start the other harts with SBI HSM; each one turns paging on with the
 * kernel's root table, registers with kmem and enters the scheduler.
 *
 * Scheduling: each hart runs its own tasks round robin.  The SBI timer
 * interrupts every RTOS_TICK_US; a task gives the hart up by raising a
 * software interrupt on itself (rtos_yield).  Either way the trap vector
 * saved the task's registers on its stack, and rtos_trap() returns the
 * frame of the task to run next.  Task 0 of each hart is its idle task
 * (the hart's boot flow, in wfi).  Interrupts are on in tasks and off in
 * rtos_trap() (the hart clears sstatus.SIE on a trap; sret restores it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rtos.h"

#define csr_read(csr) ({ unsigned long __v;				\
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" :: "r"(v) : "memory")
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" :: "r"(v) : "memory")
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" :: "r"(v) : "memory")

#define SSTATUS_SIE	0x2UL
#define SSTATUS_SPIE	0x20UL
#define SSTATUS_SPP	0x100UL
#define SSTATUS_FS_INIT	0x2000UL
#define SIP_SSIP	0x2UL
#define SIE_SSIE	0x2UL
#define SIE_STIE	0x20UL
#define STACK_CANARY	0x5441534b53544b21UL

struct rtos_hart rtos_harts[MAXCPU];
u_int rtos_nharts;
struct fdt_machine rtos_machine;
/* By hart id, read by entry.S: a started hart finds its struct here. */
struct rtos_hart *rtos_hart_of[MAXCPU];
char rtos_boot_stacks[MAXCPU][RTOS_BOOT_STACK] __attribute__((aligned(16)));
static char tls_blocks[MAXCPU][RTOS_TLS_SIZE] __attribute__((aligned(64)));
static struct rtos_lock sched_lock = { ATOMIC_FLAG_INIT, 0 };
static volatile uint32_t *exit_reg;
atomic_ulong rtos_nblocks, rtos_nfaults;

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __tdata_start[], __tdata_end[], __tbss_start[], __tbss_end[];
extern char _start[], rtos_trap_vector[];
void rtos_boot_main(unsigned long hartid, unsigned long fdt_pa);
void rtos_hart_main(unsigned long hartid, struct rtos_hart *h);
struct rtos_frame *rtos_trap(struct rtos_frame *f);

/* ------------------------------------------------------------ SBI */

long
rtos_sbi(long ext, long fid, long a0, long a1, long a2, long a3)
{
	register long r0 __asm__("a0") = a0, r1 __asm__("a1") = a1;
	register long r2 __asm__("a2") = a2, r3 __asm__("a3") = a3;
	register long r6 __asm__("a6") = fid, r7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3),
	    "r"(r6), "r"(r7) : "memory");
	return (r0);
}

static void
set_timer(uint64_t when)
{

	(void)rtos_sbi(0x54494D45, 0, (long)when, 0, 0, 0);	/* TIME */
}

void
rtos_ipi(u_int cpu)
{

	(void)rtos_sbi(0x735049, 0, 1, (long)rtos_harts[cpu].hartid, 0, 0);
}

/* One writer at a time, a character at a time (SBI legacy putchar). */
void
rtos_console_write(const char *buf, size_t len)
{
	static struct rtos_lock cons = { ATOMIC_FLAG_INIT, 0 };
	size_t i;

	rtos_lock(&cons);
	for (i = 0; i < len; i++)
		(void)rtos_sbi(0x01, 0, (unsigned char)buf[i], 0, 0, 0);
	rtos_unlock(&cons);
}

int
rtos_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		rtos_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
	return (n);
}

/* QEMU's test finisher (from the FDT): 0x5555 passes, code << 16 | 0x3333 fails. */
void
rtos_exit(int code)
{

	if (exit_reg != NULL)
		*exit_reg = code == 0 ? 0x5555 :
		    (0x3333 | ((uint32_t)code & 0xffff) << 16);
	(void)rtos_sbi(0x53525354, 0, 0, code != 0, 0, 0);	/* SRST */
	for (;;)
		__asm__ volatile("wfi");
}

/* ---------------------------------------------------------- locks */

void
rtos_lock(struct rtos_lock *l)
{
	unsigned long s;

	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s) :: "memory");
	while (atomic_flag_test_and_set_explicit(&l->flag,
	    memory_order_acquire))
		continue;
	l->saved = s & SSTATUS_SIE;
}

void
rtos_unlock(struct rtos_lock *l)
{
	unsigned long s = l->saved;

	atomic_flag_clear_explicit(&l->flag, memory_order_release);
	if (s)
		csr_set(sstatus, SSTATUS_SIE);
}

/* ---------------------------------------------------------- tasks */

struct rtos_hart *
rtos_self(void)
{

	return ((struct rtos_hart *)csr_read(sscratch));
}

struct rtos_task *
rtos_current(void)
{
	struct rtos_hart *h = rtos_self();

	return (&h->task[h->cur]);
}

uint64_t
rtos_ticks(void)
{

	return (atomic_load(&rtos_self()->ticks));
}

static void
task_trampoline(struct rtos_task *t)
{

	t->fn(t->arg);
	atomic_store(&t->state, TASK_DONE);
	for (;;)
		rtos_yield();
}

/*
 * A task on hart cpu: its stack comes from kmem, in the hart's own NUMA
 * domain; its first frame makes rtos_trap() "return" into
 * task_trampoline(t) in S-mode with interrupts on.
 */
struct rtos_task *
rtos_task_create(u_int cpu, const char *name, void (*fn)(void *), void *arg)
{
	struct rtos_hart *h = &rtos_harts[cpu];
	struct rtos_frame *f;
	struct rtos_task *t;
	vm_offset_t stack;
	unsigned long gp;
	int i;

	for (i = 1; i < RTOS_NTASK; i++)
		if (atomic_load(&h->task[i].state) == TASK_FREE)
			break;
	if (i == RTOS_NTASK)
		return (NULL);
	stack = kmem_malloc_domainset(DOMAINSET_PREF(md_cpu_domain(cpu)),
	    RTOS_STACK, M_WAITOK);
	if (stack == 0)
		return (NULL);
	t = &h->task[i];
	t->stack = (uint64_t *)stack;
	t->stack[0] = STACK_CANARY;
	t->fn = fn;
	t->arg = arg;
	t->cpu = cpu;
	t->index = i;
	snprintf(t->name, sizeof(t->name), "%s/%u", name, cpu);
	f = (struct rtos_frame *)(stack + RTOS_STACK) - 1;
	memset(f, 0, sizeof(*f));
	__asm__("mv %0, gp" : "=r"(gp));
	f->x[2] = gp;					/* x3 */
	f->x[3] = (unsigned long)tls_blocks[cpu];	/* x4: tp */
	f->x[9] = (unsigned long)t;			/* x10: a0 */
	f->sepc = (unsigned long)task_trampoline;
	f->sstatus = SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_FS_INIT;
	t->frame = f;
	atomic_store(&t->state, TASK_READY);
	return (t);
}

/* Give the hart to its next ready task: a software interrupt to self. */
void
rtos_yield(void)
{
	unsigned long s;

	s = csr_read(sstatus) & SSTATUS_SIE;
	csr_set(sip, SIP_SSIP);
	csr_set(sstatus, SSTATUS_SIE);	/* the trap is taken here */
	if (!s)
		csr_clear(sstatus, SSTATUS_SIE);
}

void
rtos_block(const void *chan)
{
	struct rtos_task *t = rtos_current();

	rtos_lock(&sched_lock);
	t->chan = chan;
	t->blocked_at = md_time();
	atomic_store(&t->state, TASK_BLOCKED);
	rtos_unlock(&sched_lock);
	atomic_fetch_add(&rtos_nblocks, 1);
}

int
rtos_wake(const void *chan)
{
	bool kick[MAXCPU] = { false };
	struct rtos_task *t;
	u_int c, self;
	int i, n;

	n = 0;
	self = rtos_self()->cpu;
	rtos_lock(&sched_lock);
	for (c = 0; c < rtos_nharts; c++)
		for (i = 1; i < RTOS_NTASK; i++) {
			t = &rtos_harts[c].task[i];
			if (atomic_load(&t->state) == TASK_BLOCKED &&
			    t->chan == chan) {
				atomic_store(&t->state, TASK_READY);
				kick[c] = true;
				n++;
			}
		}
	rtos_unlock(&sched_lock);
	for (c = 0; c < rtos_nharts; c++)
		if (kick[c] && c != self)
			rtos_ipi(c);
	return (n);
}

int
rtos_tasks_alive(void)
{
	u_int c;
	int i, n;

	n = 0;
	for (c = 0; c < rtos_nharts; c++)
		for (i = 1; i < RTOS_NTASK; i++)
			if (atomic_load(&rtos_harts[c].task[i].state) ==
			    TASK_READY || atomic_load(&rtos_harts[c].task[i].state) ==
			    TASK_BLOCKED)
				n++;
	return (n);
}

/* Round robin over the hart's ready tasks; the idle task when none is. */
static struct rtos_frame *
schedule(struct rtos_hart *h)
{
	struct rtos_task *t = &h->task[h->cur];
	int k, i;

	if (h->cur != 0 && t->stack[0] != STACK_CANARY) {
		rtos_printf("*** task %s overran its %d-byte stack\n", t->name,
		    RTOS_STACK);
		rtos_exit(KMEM_EXIT_PANIC);
	}
	rtos_lock(&sched_lock);
	for (k = 1; k <= RTOS_NTASK; k++) {
		i = (h->cur + k) % RTOS_NTASK;
		if (i != 0 && atomic_load(&h->task[i].state) == TASK_READY)
			break;
	}
	h->cur = k <= RTOS_NTASK ? i : 0;
	rtos_unlock(&sched_lock);
	return (h->task[h->cur].frame);
}

/* ---------------------------------------------------------- traps */

static int
fault_access(unsigned long code)
{

	return (code == 12 ? KMEM_ACC_EXEC : code == 13 ? KMEM_ACC_READ :
	    KMEM_ACC_WRITE);
}

/*
 * Every trap: interrupts (timer, software) end in the scheduler; page
 * faults go to kmem_fault_handle() (demand-zero pages of pageable
 * submaps), and what it cannot resolve to kmem_fault_fatal().
 */
struct rtos_frame *
rtos_trap(struct rtos_frame *f)
{
	struct rtos_hart *h = rtos_self();
	unsigned long cause = csr_read(scause), stval = csr_read(stval);
	unsigned long code = cause & ~(1UL << 63);

	h->task[h->cur].frame = f;
	if ((long)cause < 0) {
		h->intr_depth++;
		kmem_intr_enter();
		if (code == 5) {
			atomic_fetch_add(&h->ticks, 1);
			set_timer(md_time() + md_time_freq() * RTOS_TICK_US /
			    1000000);
			if (h->tick_fn != NULL)
				h->tick_fn(h);
		} else if (code == 1) {
			csr_clear(sip, SIP_SSIP);
		}
		kmem_intr_exit();
		h->intr_depth--;
		return (schedule(h));
	}
	if (code == 12 || code == 13 || code == 15) {
		if (kmem_fault_handle(stval, fault_access(code), f->sepc)) {
			atomic_fetch_add(&rtos_nfaults, 1);
			return (f);
		}
		kmem_fault_fatal(stval, fault_access(code), f->sepc,
		    "page fault");
	}
	rtos_printf("*** trap %lu at sepc 0x%lx stval 0x%lx on hart %u\n",
	    code, f->sepc, stval, h->hartid);
	rtos_exit(KMEM_EXIT_FAULT);
}

/* ----------------------------------------------------------- harts */

/* This hart's identity (sscratch), TLS block (tp), FPU and trap vector. */
static void
hart_setup(struct rtos_hart *h)
{
	char *tls = tls_blocks[h->cpu];

	memcpy(tls, __tdata_start, (size_t)(__tdata_end - __tdata_start));
	memset(tls + (__tdata_end - __tdata_start), 0,
	    (size_t)(__tbss_end - __tbss_start));
	__asm__ volatile("mv tp, %0" :: "r"(tls));
	csr_write(sscratch, h);
	csr_set(sstatus, SSTATUS_FS_INIT);
	csr_write(stvec, rtos_trap_vector);
}

/*
 * The scheduler on this hart, from its boot flow, which becomes the idle
 * task: timer on, interrupts on, wfi forever.
 */
void
rtos_run(void)
{
	struct rtos_hart *h = rtos_self();

	h->cur = 0;
	atomic_store(&h->task[0].state, TASK_READY);
	csr_set(sie, SIE_SSIE | SIE_STIE);
	set_timer(md_time() + md_time_freq() * RTOS_TICK_US / 1000000);
	csr_set(sstatus, SSTATUS_SIE);
	for (;;)
		__asm__ volatile("wfi");
}

void
rtos_hart_main(unsigned long hartid, struct rtos_hart *h)
{

	(void)hartid;
	hart_setup(h);
	atomic_store(&h->up, true);
	rtos_run();
}

void
rtos_start_harts(void)
{
	struct rtos_hart *h;
	uint64_t deadline;
	u_int i;
	long err;

	for (i = 1; i < rtos_nharts; i++) {
		h = &rtos_harts[i];
		h->boot_sp = (uint64_t)(uintptr_t)&rtos_boot_stacks[i + 1][0];
		h->satp = pmap_kernel_satp();
		/* entry.S reads these with paging off: the image is VA == PA. */
		atomic_thread_fence(memory_order_seq_cst);
		rtos_hart_of[h->hartid] = h;
		err = rtos_sbi(0x48534D, 0, h->hartid, (long)_start,
		    (long)h, 0);			/* HSM hart_start */
		if (err != 0) {
			rtos_printf("*** hart %u: SBI hart_start failed (%ld)\n",
			    h->hartid, err);
			rtos_exit(KMEM_EXIT_PANIC);
		}
	}
	deadline = md_time() + md_time_freq() * 2;
	for (i = 1; i < rtos_nharts; i++)
		while (!atomic_load(&rtos_harts[i].up))
			if (md_time() > deadline) {
				rtos_printf("*** hart %u did not come up\n",
				    rtos_harts[i].hartid);
				rtos_exit(KMEM_EXIT_PANIC);
			}
}

/* Number the harts: the boot hart is cpu 0; the FDT's others follow. */
static int
number_harts(unsigned long boot_hartid)
{
	const struct fdt_cpu *c;
	int i;

	rtos_nharts = 1;
	rtos_harts[0].hartid = (u_int)boot_hartid;
	for (i = 0; i < rtos_machine.ncpus; i++) {
		c = &rtos_machine.cpus[i];
		if (c->hartid >= MAXCPU)
			return (-1);
		if (c->hartid == boot_hartid) {
			rtos_harts[0].fdt_domain = c->domain;
			continue;
		}
		if (!c->enabled)
			continue;
		rtos_harts[rtos_nharts].cpu = rtos_nharts;
		rtos_harts[rtos_nharts].hartid = c->hartid;
		rtos_harts[rtos_nharts].fdt_domain = c->domain;
		rtos_nharts++;
	}
	return (0);
}

void
rtos_boot_main(unsigned long hartid, unsigned long fdt_pa)
{
	const void *fdt = (const void *)fdt_pa;
	struct kmem_boot_info bi = { 0 };
	const char *err;
	int i, rc;

	hart_setup(&rtos_harts[0]);
	bi.fdt_size = fdt_blob_size(fdt, 64);
	rc = fdt_parse(fdt, bi.fdt_size, &rtos_machine, &err);
	if (bi.fdt_size == 0 || rc != 0 || number_harts(hartid) != 0) {
		rtos_printf("*** FDT at 0x%lx unusable: %s\n", fdt_pa,
		    rc != 0 ? err : "hart ids above MAXCPU");
		rtos_exit(KMEM_EXIT_PANIC);
	}
	for (i = 0; i < rtos_machine.ndevs; i++)
		if (strncmp(rtos_machine.devs[i].compatible, "sifive,test", 11) == 0)
			exit_reg = (volatile uint32_t *)rtos_machine.devs[i].base;
	bi.machine = &rtos_machine;
	bi.fdt_pa = fdt_pa;
	bi.fw_start = 0x80000000;	/* OpenSBI, below the image */
	bi.fw_end = (vm_paddr_t)(uintptr_t)__text_start;
	bi.text_start = (vm_offset_t)__text_start;
	bi.text_end = (vm_offset_t)__text_end;
	bi.rodata_start = (vm_offset_t)__rodata_start;
	bi.rodata_end = (vm_offset_t)__rodata_end;
	bi.data_start = (vm_offset_t)__data_start;
	bi.data_end = (vm_offset_t)__data_end;
	bi.quiet = true;
	rc = kmem_startup(&bi);
	if (rc != 0) {
		rtos_printf("*** kmem_startup failed (%d)\n", rc);
		rtos_exit(KMEM_EXIT_PANIC);
	}
	/* Paging is on: the exit device through a device mapping. */
	if (exit_reg != NULL)
		exit_reg = pmap_mapdev((vm_paddr_t)(uintptr_t)exit_reg,
		    PAGE_SIZE);
	rtos_start_harts();
	app_start();
	rtos_run();
}
