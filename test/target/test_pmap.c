/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_pmap (target): the kernel page tables on a real (QEMU) hart.
 *
 * main() runs with paging on: satp holds the kernel root, SUM is off.
 * New mappings are read and written; a write to a read-only mapping, a
 * write to the image's text and rodata, and instruction fetches from a
 * non-executable page and from the DMAP fault as expected; a page mapped
 * VM_PROT_ALL runs code; a 2 MiB superpage works and keeps its other pages
 * when one is removed; the UART is reached through pmap_mapdev (and the
 * test finisher, which ends this run, through the mapping boot.c made).
 */
#include <string.h>

#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>

#include "tap.h"

/* kmem may not be linked in or up yet: then a fixed KVA range is used. */
#pragma weak kva_alloc

extern struct fdt_machine riscv_machine;

static const char rodata_word[16] = "read only";

static unsigned long
read_satp(void)
{
	unsigned long v;

	__asm__ volatile("csrr %0, satp" : "=r"(v));
	return (v);
}

static unsigned long
read_sstatus(void)
{
	unsigned long v;

	__asm__ volatile("csrr %0, sstatus" : "=r"(v));
	return (v);
}

/* A KVA range nobody else uses: from the kernel map if kmem is up. */
static vm_offset_t
test_kva(vm_size_t size)
{
	vm_offset_t va;

	if ((kmem_up & KMEM_UP_KMEM) != 0 && kva_alloc != NULL) {
		va = kva_alloc(size + L2_SIZE);
		return (va == 0 ? 0 : roundup2(va, L2_SIZE));
	}
	return (VM_MIN_KERNEL_ADDRESS + 48 * L1_SIZE);
}

typedef int (*fn_t)(void);

static void
test_basics(void)
{
	ok(read_satp() >> 60 == 8 || read_satp() >> 60 == 9,
	    "paging is on in main (satp 0x%lx)", read_satp());
	ok(read_satp() == pmap_kernel_satp(), "satp is the kernel root");
	ok((read_sstatus() & (1UL << 18)) == 0, "sstatus.SUM is off");
	ok(dmap_va_base == DMAP_MIN_ADDRESS, "C code reaches RAM through the "
	    "DMAP (0x%lx)", (u_long)dmap_va_base);
	ok(pmap_kextract((vm_offset_t)rodata_word) ==
	    (vm_paddr_t)(uintptr_t)rodata_word, "the image is identity mapped");
}

static void
test_mappings(vm_offset_t va)
{
	struct kmem_fault_catch fc;
	volatile uint64_t *p;
	uint32_t *code;
	vm_page_t m;
	vm_paddr_t pa;
	int rv;

	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT | VM_ALLOC_ZERO);
	if (!ok(m != NULL, "a page to map"))
		return;
	pa = VM_PAGE_TO_PHYS(m);
	pmap_kenter(va, PAGE_SIZE, pa, VM_MEMATTR_DEFAULT);
	p = (volatile uint64_t *)va;
	p[3] = 0x1122334455667788ULL;
	ok(((volatile uint64_t *)PHYS_TO_DMAP(pa))[3] == 0x1122334455667788ULL,
	    "a write through a new mapping reaches the page");
	ok(pmap_kextract(va + 24) == pa + 24, "kextract of the new mapping");

	pmap_protect(kernel_pmap, va, va + PAGE_SIZE, VM_PROT_READ);
	if (KMEM_FAULT_TRY(&fc)) {
		p[3] = 1;
		kmem_fault_disarm();
		ok(0, "a write to a read-only mapping faults");
	} else
		ok(fc.kf_va == va + 24 && fc.kf_access == KMEM_ACC_WRITE,
		    "a write to a read-only mapping faults (va 0x%lx)",
		    (u_long)fc.kf_va);
	ok(p[3] == 0x1122334455667788ULL, "and it is still readable");

	/* Code in a page: not executable unless mapped VM_PROT_ALL. */
	code = (uint32_t *)PHYS_TO_DMAP(pa);
	code[0] = 0x02a00513;	/* li a0, 42 */
	code[1] = 0x00008067;	/* ret */
	__asm__ volatile("fence.i" ::: "memory");
	if (KMEM_FAULT_TRY(&fc)) {
		(void)((fn_t)(uintptr_t)code)();
		kmem_fault_disarm();
		ok(0, "a fetch from the DMAP faults");
	} else
		ok(fc.kf_access == KMEM_ACC_EXEC && fc.kf_va ==
		    (vm_offset_t)code, "a fetch from the DMAP faults");
	if (KMEM_FAULT_TRY(&fc)) {
		(void)((fn_t)va)();
		kmem_fault_disarm();
		ok(0, "a fetch from a read-only data page faults");
	} else
		ok(fc.kf_access == KMEM_ACC_EXEC && fc.kf_va == va,
		    "a fetch from a read-only data page faults");
	rv = pmap_enter(kernel_pmap, va + PAGE_SIZE, m, VM_PROT_ALL,
	    VM_PROT_ALL | PMAP_ENTER_WIRED, 0);
	__asm__ volatile("fence.i" ::: "memory");
	ok(rv == KERN_SUCCESS && ((fn_t)(va + PAGE_SIZE))() == 42,
	    "a page entered VM_PROT_ALL runs code");
	pmap_remove(kernel_pmap, va, va + 2 * PAGE_SIZE);
	if (KMEM_FAULT_TRY(&fc)) {
		(void)p[0];
		kmem_fault_disarm();
		ok(0, "a removed mapping faults");
	} else
		ok(fc.kf_va == va && fc.kf_access == KMEM_ACC_READ,
		    "a removed mapping faults");
	ok(pmap_kextract(va) == 0, "kextract says so");
	vm_page_free(m);
}

static void
test_image(void)
{
	struct kmem_fault_catch fc;

	if (KMEM_FAULT_TRY(&fc)) {
		*(volatile uint32_t *)(uintptr_t)test_basics = 0;
		kmem_fault_disarm();
		ok(0, "text is not writable");
	} else
		ok(fc.kf_access == KMEM_ACC_WRITE && fc.kf_va ==
		    (vm_offset_t)test_basics, "text is not writable");
	if (KMEM_FAULT_TRY(&fc)) {
		*(volatile char *)(uintptr_t)rodata_word = 'R';
		kmem_fault_disarm();
		ok(0, "rodata is not writable");
	} else
		ok(fc.kf_access == KMEM_ACC_WRITE, "rodata is not writable");
	ok(strcmp(rodata_word, "read only") == 0, "rodata unchanged");
}

static void
test_superpage(vm_offset_t va)
{
	struct kmem_fault_catch fc;
	volatile uint64_t *p;
	vm_paddr_t pa;
	vm_page_t m;
	int rv, bad, i;

	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 512, 0,
	    ~(vm_paddr_t)0, L2_SIZE, 0, VM_MEMATTR_DEFAULT);
	if (!ok(m != NULL, "a 2 MiB run to map"))
		return;
	pa = VM_PAGE_TO_PHYS(m);
	rv = pmap_enter(kernel_pmap, va, m, VM_PROT_RW, VM_PROT_RW |
	    PMAP_ENTER_WIRED, 1);
	ok(rv == KERN_SUCCESS, "pmap_enter psind 1");
	for (i = 0; i < 512; i++)
		*(volatile uint64_t *)(va + ptoa(i)) = (uint64_t)i * 7;
	for (i = bad = 0; i < 512; i++)
		bad += ((volatile uint64_t *)PHYS_TO_DMAP(pa + ptoa(i)))[0] !=
		    (uint64_t)i * 7;
	ok(bad == 0, "every page of the superpage reaches its frame");
	pmap_kremove(va + ptoa(100));
	p = (volatile uint64_t *)(va + ptoa(100));
	if (KMEM_FAULT_TRY(&fc)) {
		(void)*p;
		kmem_fault_disarm();
		ok(0, "the removed page faults");
	} else
		ok(fc.kf_va == (vm_offset_t)p, "the removed page faults");
	for (i = bad = 0; i < 512; i++)
		if (i != 100)
			bad += *(volatile uint64_t *)(va + ptoa(i)) !=
			    (uint64_t)i * 7;
	ok(bad == 0, "the other 511 pages stay mapped after the demotion");
	pmap_remove(kernel_pmap, va, va + L2_SIZE);
	vm_page_free_contig(m, 512);
}

/*
 * A UART mapped with pmap_mapdev answers through the mapping: QEMU virt's
 * ns16550a (line status: transmitter empty after reset, bits 5 and 6) or
 * the SiFive UART of sifive_u and the HiFive boards (txctrl.txen, set by
 * OpenSBI for its console).
 */
static void
test_devices(void)
{
	volatile uint8_t *uart;
	bool sifive;
	uint32_t v;
	int i;

	sifive = false;
	for (i = 0; i < riscv_machine.ndevs; i++) {
		if (strcmp(riscv_machine.devs[i].compatible, "ns16550a") == 0)
			break;
		sifive = strcmp(riscv_machine.devs[i].compatible,
		    "sifive,uart0") == 0;
		if (sifive)
			break;
	}
	if (!ok(i < riscv_machine.ndevs,
	    "the FDT lists an ns16550a or a sifive,uart0"))
		return;
	uart = pmap_mapdev(riscv_machine.devs[i].base, PAGE_SIZE);
	ok(uart != NULL && (vm_offset_t)uart >= DEVMAP_MIN_ADDRESS,
	    "pmap_mapdev of the UART (%p)", (void *)uart);
	v = 0;
	if (uart != NULL)
		v = sifive ? *(volatile uint32_t *)(uart + 8) & 1 :
		    uart[5] & 0x60;
	ok(v != 0, "UART %s reads through the mapping (0x%x)",
	    sifive ? "txctrl" : "line status", v);
	ok(pmap_mapdev(riscv_machine.devs[i].base, 8) == NULL,
	    "the same registers again: NULL");
	ok(pmap_mapdev(0x80000000UL, PAGE_SIZE) == NULL, "RAM: NULL");
	if (uart != NULL)
		pmap_unmapdev((void *)uart, PAGE_SIZE);
	ok(pmap_kextract((vm_offset_t)uart) == 0, "unmapped again");
}

int
main(void)
{
	vm_offset_t va;

	test_basics();
	test_image();
	va = test_kva(4 * L2_SIZE);
	if (ok(va != 0, "KVA for the tests at 0x%lx", (u_long)va)) {
		test_mappings(va);
		test_superpage(va + L2_SIZE);
	}
	test_devices();
	return (tap_done());	/* through the finisher mapped by boot.c */
}
