/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A very small RTOS, just enough to host kmem in library mode: harts
 * started with SBI HSM, a preemptive round-robin scheduler per hart driven
 * by the SBI timer, tasks that block on a channel, and the machine hooks
 * kmem needs (port.c).  Tasks stay on the hart they were created on.
 */
#ifndef RTOS_H
#define RTOS_H

#include <stdatomic.h>
#include <kmem.h>

#define RTOS_NTASK	6		/* per hart: idle, 4 workers, checker on 0 */
#define RTOS_STACK	(16 * 1024)	/* per task */
#define RTOS_BOOT_STACK	(16 * 1024)	/* per hart: boot, then idle task */
#define RTOS_TLS_SIZE	512		/* per hart (checked in rtos.ld) */
#define RTOS_TICK_US	2000		/* timer interrupt period */

/* The context entry.S saves: x1, x3..x31, sepc, sstatus (x2 is implied). */
struct rtos_frame {
	unsigned long	x[31];		/* x1 at [0], x3 at [2] ... x31 at [30] */
	unsigned long	sepc;
	unsigned long	sstatus;
	unsigned long	pad;
};
_Static_assert(sizeof(struct rtos_frame) == 34 * 8, "entry.S: FRAME");

enum { TASK_FREE, TASK_READY, TASK_BLOCKED, TASK_DONE };

struct rtos_task {
	struct rtos_frame *frame;	/* saved context while not running */
	_Atomic int	state;		/* TASK_* */
	const void	*chan;		/* what a blocked task waits for */
	uint64_t	blocked_at;	/* md_time() when it blocked */
	void		(*fn)(void *);
	void		*arg;
	char		name[16];
	uint64_t	*stack;		/* lowest word: a canary */
	u_int		cpu;
	int		index;		/* in its hart's task table */
};

struct rtos_hart {
	uint64_t	boot_sp;	/* entry.S reads these two first */
	uint64_t	satp;
	u_int		cpu;		/* dense index, 0 = boot hart */
	u_int		hartid;
	int		fdt_domain;	/* numa-node-id of the hart */
	_Atomic bool	up;
	int		cur;		/* running task (0 = idle) */
	struct rtos_task task[RTOS_NTASK];
	_Atomic uint64_t ticks;
	int		intr_depth;	/* > 0 in a trap handler */
	void		(*tick_fn)(struct rtos_hart *);	/* in the timer interrupt */
	void		*tick_arg;
};

extern struct rtos_hart rtos_harts[MAXCPU];
extern u_int rtos_nharts;
extern struct fdt_machine rtos_machine;

/* A spinlock for the RTOS itself: interrupts off while held. */
struct rtos_lock {
	atomic_flag	flag;
	unsigned long	saved;
};
void rtos_lock(struct rtos_lock *l);
void rtos_unlock(struct rtos_lock *l);

struct rtos_hart *rtos_self(void);
struct rtos_task *rtos_current(void);
/* A task on hart cpu; it starts at the next tick.  NULL when full. */
struct rtos_task *rtos_task_create(u_int cpu, const char *name,
    void (*fn)(void *), void *arg);
void rtos_yield(void);
/* Block the calling task until rtos_wake(chan); see md_sleep (port.c). */
void rtos_block(const void *chan);
int rtos_wake(const void *chan);	/* returns the tasks made ready */
/* Tasks that are blocked right now (for md_sleep_would_deadlock). */
int rtos_tasks_alive(void);
uint64_t rtos_ticks(void);
/* Since boot: tasks blocked (md_sleep), page faults kmem resolved. */
extern atomic_ulong rtos_nblocks, rtos_nfaults;

/* SBI calls the example makes. */
long rtos_sbi(long ext, long fid, long a0, long a1, long a2, long a3);
void rtos_ipi(u_int cpu);
void rtos_console_write(const char *buf, size_t len);
int rtos_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__kmem_noreturn void rtos_exit(int code);

/* rtos.c: bring the RTOS and kmem up, start the harts, run the scheduler. */
void rtos_start_harts(void);
__kmem_noreturn void rtos_run(void);

/* app.c */
void app_start(void);

#endif /* RTOS_H */
