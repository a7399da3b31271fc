/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The shared core on the host twin: spinlocks count and exclude, panics and
 * faults reach armed catchers, sleep/wakeup wakes a sleeper, the bit scans
 * agree with a naive scan.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "kmem_private.h"
#include "tap.h"

static struct kmem_spin lock = KMEM_SPIN_INITIALIZER("test lock");
static unsigned long counter;
static int wake_flag;

static void *
adder(void *arg)
{
	int i;

	(void)arg;
	host_thread_register();
	for (i = 0; i < 20000; i++) {
		kmem_spin_lock(&lock);
		counter++;
		kmem_spin_unlock(&lock);
	}
	host_thread_unregister();
	return (NULL);
}

static void *
waker(void *arg)
{

	(void)arg;
	host_thread_register();
	kmem_spin_lock(&lock);
	wake_flag = 1;
	kmem_spin_unlock(&lock);
	md_wakeup(&wake_flag);
	host_thread_unregister();
	return (NULL);
}

static int
naive_ffs(unsigned long x)
{
	int i;

	for (i = 0; i < 64; i++)
		if (x & (1UL << i))
			return (i + 1);
	return (0);
}

static int
naive_fls(unsigned long x)
{
	int i;

	for (i = 63; i >= 0; i--)
		if (x & (1UL << i))
			return (i + 1);
	return (0);
}

int
main(void)
{
	struct kmem_panic_catch pc;
	struct kmem_fault_catch fc;
	struct fdt_machine m;
	struct host_machine_cfg cfg = { .ndomains = 2,
	    .mem_per_domain = 64UL << 20, .ncpus = 2 };
	pthread_t t[4];
	unsigned long before, x;
	bool bits_ok;
	int i;

	host_machine_init(&cfg, &m);
	host_thread_register();

	/* Locks exclude and are counted. */
	before = kmem_spin_count();
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ok(counter == 80000, "4 threads x 20000 locked increments = %lu",
	    counter);
	ok(kmem_spin_count() - before == 80000,
	    "every acquisition counted (%lu)", kmem_spin_count() - before);

	/* A self-deadlock is a panic that names the lock. */
	kmem_spin_lock(&lock);
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_spin_lock(&lock);
		kmem_panic_disarm();
		ok(0, "recursive lock did not panic");
	} else {
		ok(strstr(pc.kp_msg, "kmem_spin_lock") != NULL &&
		    strstr(pc.kp_msg, "test lock") != NULL,
		    "recursive lock panics: %s", pc.kp_msg);
	}
	kmem_spin_unlock(&lock);
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_spin_unlock(&lock);
		kmem_panic_disarm();
		ok(0, "unlock of a free lock did not panic");
	} else {
		ok(strstr(pc.kp_msg, "kmem_spin_unlock") != NULL,
		    "unlock of a lock not held panics: %s", pc.kp_msg);
	}

	/* panic() formats and reaches the catcher. */
	if (KMEM_PANIC_TRY(&pc)) {
		panic("f: page 0x%lx is %s", 0x80001000UL, "bad");
	} else {
		ok(strcmp(pc.kp_msg, "f: page 0x80001000 is bad") == 0,
		    "panic message reaches the catcher: %s", pc.kp_msg);
	}

	/* With paging off, any VA access faults and reaches the catcher. */
	if (KMEM_FAULT_TRY(&fc)) {
		(void)host_load64(VM_MIN_KERNEL_ADDRESS);
		kmem_fault_disarm();
		ok(0, "load with paging off did not fault");
	} else {
		ok(fc.kf_va == VM_MIN_KERNEL_ADDRESS &&
		    fc.kf_access == KMEM_ACC_READ,
		    "fault catcher gets va 0x%lx access %d", fc.kf_va,
		    fc.kf_access);
	}

	/* Sleep until another thread wakes us. */
	kmem_spin_lock(&lock);
	pthread_create(&t[0], NULL, waker, NULL);
	while (!wake_flag)
		md_sleep(&wake_flag, &lock);
	kmem_spin_unlock(&lock);
	pthread_join(t[0], NULL);
	ok(wake_flag == 1, "md_sleep returns after md_wakeup from a thread");

	/* Bit scans agree with a naive scan. */
	bits_ok = kmem_ffsl(0) == 0 && kmem_flsl(0) == 0;
	srand(1);
	for (i = 0; i < 100000 && bits_ok; i++) {
		x = ((unsigned long)rand() << 33) ^ ((unsigned long)rand() <<
		    11) ^ (unsigned long)rand();
		x >>= rand() % 64;
		if (kmem_ffsl(x) != naive_ffs(x) || kmem_flsl(x) != naive_fls(x))
			bits_ok = false;
	}
	for (i = 0; i < 64 && bits_ok; i++)
		if (kmem_ffsl(1UL << i) != i + 1 || kmem_flsl(1UL << i) != i + 1)
			bits_ok = false;
	ok(bits_ok, "kmem_ffsl/kmem_flsl (src/bitscan.h) agree with a naive scan");

	/* PHYS_TO_DMAP reaches the simulated RAM. */
	*(volatile uint64_t *)PHYS_TO_DMAP(HOST_RAM_BASE + 8) = 42;
	ok(*(uint64_t *)host_phys_ptr(HOST_RAM_BASE + 8, 8) == 42 &&
	    DMAP_TO_PHYS(PHYS_TO_DMAP(HOST_RAM_BASE + 8)) ==
	    HOST_RAM_BASE + 8, "PHYS_TO_DMAP/DMAP_TO_PHYS reach simulated RAM");
	return (tap_done());
}
