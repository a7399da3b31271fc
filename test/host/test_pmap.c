/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_pmap: the kernel pmap over the host twin's simulated RAM and
 * software Sv39/Sv48 MMU.
 *
 *  - boot: satp mode, the DMAP (leaf sizes, permissions, no-map holes),
 *    the image's section permissions, Sv48 and the WARL fallback to Sv39;
 *  - superpages: kenter/enter with 2 MiB leaves, demotion on partial
 *    remove/protect, a superpage over small mappings;
 *  - TLB: local flushes and shootdowns are issued, and a second hart never
 *    sees a stale translation (random sequences check both harts);
 *  - a model-based random test of enter/remove/protect/kenter/qenter;
 *  - page-table page shortage (NOSLEEP) and every bad-input answer;
 *  - device mappings, memory attributes (Svpbmt) and fault reports.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>
#include <kmem/vm_phys.h>

#include "host.h"
#include "pmap_model.h"
#include "pmap_private.h"
#include "tap.h"

#define MIB	(1UL << 20)
#define GIB	(1UL << 30)
#define KVA	VM_MIN_KERNEL_ADDRESS

static struct fdt_machine M;

/* Bring a fresh machine up to paging on.  Returns pmap_bootstrap's value. */
static int
boot(int ndom, uint64_t mem, uint32_t isa, int mmu, bool sv48,
    struct kmem_boot_info *bi_in)
{
	struct host_machine_cfg cfg;
	struct kmem_boot_info bi;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ndomains = ndom;
	cfg.mem_per_domain = mem;
	cfg.ncpus = 2;
	cfg.isa = isa;
	cfg.mmu = mmu;
	pmap_reset_for_test();
	vm_phys_reset_for_test();
	host_machine_init(&cfg, &M);
	if (bi_in != NULL)
		bi = *bi_in;
	else
		memset(&bi, 0, sizeof(bi));
	bi.machine = &M;
	rc = physmem_init(&M, 0, 0, bi.text_start, bi.data_end, 0, 0);
	if (rc != 0)
		return (-rc);
	pmap_want_sv48 = sv48;
	return (pmap_bootstrap(&bi));
}

static bool
can(vm_offset_t va, int acc, vm_paddr_t *pa)
{
	const char *why;
	vm_paddr_t p;

	if (host_mmu_translate(va, acc, &p, &why) != 0)
		return (false);
	if (pa != NULL)
		*pa = p;
	return (true);
}

static vm_size_t
leaf_size(vm_offset_t va)
{
	vm_size_t s;

	(void)pmap_leaf_for_test(va, &s);
	return (s);
}

/* --------------------------------------------------------------- boot */

static void
test_boot_dmap(void)
{
	vm_paddr_t pa;
	vm_offset_t va;
	int rc;

	rc = boot(2, 64 * MIB, FDT_ISA_SVPBMT, FDT_MMU_SV39, false, NULL);
	ok(rc == 0, "boot: pmap_bootstrap succeeds (%d)", rc);
	ok(host_satp() >> 60 == 8 && host_satp() == pmap_kernel_satp(),
	    "boot: Sv39 installed (satp 0x%lx)", (u_long)host_satp());
	ok(kernel_pmap->pm_levels == 3, "boot: three levels");
	ok(dmap_va_base == (vm_offset_t)host_phys_ptr(HOST_RAM_BASE, 1),
	    "boot: dmap_va_base is the host RAM buffer");
	va = DMAP_MIN_ADDRESS + 64 * MIB + 12345;
	ok(can(va, KMEM_ACC_READ, &pa) && pa == HOST_RAM_BASE + 64 * MIB +
	    12345, "dmap: read translates to its PA (0x%lx)", (u_long)pa);
	ok(can(va, KMEM_ACC_WRITE, NULL), "dmap: writable");
	ok(!can(va, KMEM_ACC_EXEC, NULL), "dmap: never executable");
	ok(leaf_size(DMAP_MIN_ADDRESS) == L2_SIZE &&
	    leaf_size(DMAP_MIN_ADDRESS + 127 * MIB) == L2_SIZE,
	    "dmap: 64 MiB domains use 2 MiB leaves");
	ok(!can(DMAP_MIN_ADDRESS + 128 * MIB, KMEM_ACC_READ, NULL),
	    "dmap: nothing past the end of RAM");
	ok(pmap_kextract(DMAP_MIN_ADDRESS + 5 * PAGE_SIZE + 7) ==
	    HOST_RAM_BASE + 5 * PAGE_SIZE + 7,
	    "kextract: DMAP answered arithmetically");
	ok(pmap_kextract(PHYS_TO_DMAP(HOST_RAM_BASE + 3 * PAGE_SIZE)) ==
	    HOST_RAM_BASE + 3 * PAGE_SIZE,
	    "kextract: the host's DMAP pointers too");
	ok(pmap_kextract(KVA) == 0 && pmap_kextract(0x1000) == 0,
	    "kextract: 0 for unmapped KVA and lower half");
	ok(kmem_fault_region == pmap_fault_region,
	    "boot: kmem_fault_region hook installed");
	ok(pmap_has_svpbmt(), "boot: Svpbmt taken from the FDT");
	ok(physmem.nearly > 0 && strcmp(physmem.early[0].what,
	    "page tables") == 0, "boot: page tables from the early allocator");
}

static void
test_boot_big_and_holes(void)
{
	struct fdt_rsv *r;
	struct host_machine_cfg cfg;
	struct kmem_boot_info bi;
	int rc;

	/* One 2 GiB node; a no-map firmware range at its start. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.ndomains = 1;
	cfg.mem_per_domain = 2 * GIB;
	cfg.ncpus = 1;
	cfg.mmu = FDT_MMU_SV39;
	pmap_reset_for_test();
	vm_phys_reset_for_test();
	host_machine_init(&cfg, &M);
	r = &M.rsv[M.nrsv++];
	r->base = HOST_RAM_BASE;
	r->size = 0x80000;
	r->nomap = true;
	snprintf(r->name, sizeof(r->name), "mmode_resv0");
	memset(&bi, 0, sizeof(bi));
	bi.machine = &M;
	rc = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	rc = rc == 0 ? pmap_bootstrap(&bi) : rc;
	ok(rc == 0, "holes: boot with a no-map range (%d)", rc);
	ok(!can(DMAP_MIN_ADDRESS, KMEM_ACC_READ, NULL) &&
	    !can(DMAP_MIN_ADDRESS + 0x7f000, KMEM_ACC_READ, NULL),
	    "holes: the no-map range is not in the DMAP");
	ok(can(DMAP_MIN_ADDRESS + 0x80000, KMEM_ACC_WRITE, NULL),
	    "holes: the page after it is");
	ok(leaf_size(DMAP_MIN_ADDRESS + 0x80000) == PAGE_SIZE &&
	    leaf_size(DMAP_MIN_ADDRESS + L2_SIZE) == L2_SIZE &&
	    leaf_size(DMAP_MIN_ADDRESS + GIB) == L1_SIZE,
	    "holes: 4 KiB next to the hole, then 2 MiB, then 1 GiB leaves");
	ok(strstr(pmap_fault_region(DMAP_MIN_ADDRESS), "hole") != NULL,
	    "holes: the region names the hole (%s)",
	    pmap_fault_region(DMAP_MIN_ADDRESS));
}

static void
test_boot_image(void)
{
	struct kmem_boot_info bi;
	vm_offset_t t, ro, d;
	int rc;

	memset(&bi, 0, sizeof(bi));
	t = HOST_RAM_BASE + 2 * MIB;
	ro = t + 64 * 1024;
	d = ro + 16 * 1024;
	bi.text_start = t;
	bi.text_end = ro;
	bi.rodata_start = ro;
	bi.rodata_end = d;
	bi.data_start = d;
	bi.data_end = d + 32 * 1024;
	rc = boot(1, 64 * MIB, 0, FDT_MMU_SV39, false, &bi);
	ok(rc == 0, "image: boot with an image (%d)", rc);
	ok(can(t, KMEM_ACC_EXEC, NULL) && can(t, KMEM_ACC_READ, NULL) &&
	    !can(t, KMEM_ACC_WRITE, NULL), "image: text is R+X, not W");
	ok(can(ro, KMEM_ACC_READ, NULL) && !can(ro, KMEM_ACC_WRITE, NULL) &&
	    !can(ro, KMEM_ACC_EXEC, NULL), "image: rodata is R only");
	ok(can(d + 8192, KMEM_ACC_WRITE, NULL) &&
	    !can(d, KMEM_ACC_EXEC, NULL), "image: data is R+W, not X");
	ok(!can(d + 32 * 1024, KMEM_ACC_READ, NULL) &&
	    !can(t - PAGE_SIZE, KMEM_ACC_READ, NULL),
	    "image: nothing around it");
	ok(pmap_kextract(ro + 5) == ro + 5, "image: kextract walks it");
	ok(strstr(pmap_fault_region(t), "text") != NULL &&
	    strstr(pmap_fault_region(ro), "rodata") != NULL &&
	    strstr(pmap_fault_region(d), "data") != NULL,
	    "image: regions named");
	bi.text_end = ro + 1;
	rc = boot(1, 64 * MIB, 0, FDT_MMU_SV39, false, &bi);
	ok(rc == EINVAL, "image: unaligned section refused (%d)", rc);
	bi.text_end = ro + PAGE_SIZE;
	rc = boot(1, 64 * MIB, 0, FDT_MMU_SV39, false, &bi);
	ok(rc == EINVAL, "image: overlapping sections refused (%d)", rc);
}

static void
test_boot_sv48(void)
{
	vm_paddr_t pa;
	int rc;

	rc = boot(1, 64 * MIB, 0, FDT_MMU_SV48, true, NULL);
	ok(rc == 0 && host_satp() >> 60 == 9 && kernel_pmap->pm_levels == 4,
	    "sv48: asked for and accepted (satp 0x%lx)", (u_long)host_satp());
	ok(can(DMAP_MIN_ADDRESS + 4 * MIB, KMEM_ACC_WRITE, &pa) &&
	    pa == HOST_RAM_BASE + 4 * MIB, "sv48: DMAP works");
	pmap_kenter(KVA + L2_SIZE, PAGE_SIZE, HOST_RAM_BASE, 0);
	ok(can(KVA + L2_SIZE, KMEM_ACC_WRITE, &pa) && pa == HOST_RAM_BASE,
	    "sv48: kenter works");
	ok(!can(0x4000000000UL + DMAP_MIN_ADDRESS - 0xffffffc000000000UL,
	    KMEM_ACC_READ, NULL), "sv48: the lower half does not alias KVA");

	/* The FDT does not say; satp refuses mode 9: fall back to Sv39. */
	rc = boot(1, 64 * MIB, 0, FDT_MMU_SV39, true, NULL);
	ok(rc == 0 && host_satp() >> 60 == 8, "sv48: FDT says sv39: Sv39");
	pmap_reset_for_test();
	vm_phys_reset_for_test();
	{
		struct host_machine_cfg cfg = { 1, 64 * MIB, 1, 0,
		    FDT_MMU_SV39, 0 };
		struct kmem_boot_info bi;

		host_machine_init(&cfg, &M);
		M.mmu = FDT_MMU_NONE;
		memset(&bi, 0, sizeof(bi));
		bi.machine = &M;
		rc = physmem_init(&M, 0, 0, 0, 0, 0, 0);
		pmap_want_sv48 = true;
		rc = rc == 0 ? pmap_bootstrap(&bi) : rc;
	}
	ok(rc == 0 && host_satp() >> 60 == 8 && kernel_pmap->pm_levels == 3,
	    "sv48: satp (WARL) refuses mode 9: Sv39 after all");
	pmap_kenter(KVA, PAGE_SIZE, HOST_RAM_BASE, 0);
	ok(can(KVA, KMEM_ACC_READ, &pa) && pa == HOST_RAM_BASE &&
	    can(DMAP_MIN_ADDRESS, KMEM_ACC_READ, NULL),
	    "sv48: the fallback tables work");
	pmap_want_sv48 = false;
}

/* ---------------------------------------- a booted machine for the rest */

static vm_paddr_t pool;

static void
boot_full(uint32_t isa)
{
	int rc;

	rc = boot(2, 64 * MIB, isa, FDT_MMU_SV39, false, NULL);
	pool = physmem_early_alloc(0, PM_POOL, L2_SIZE, "test pool");
	rc = rc == 0 ? vm_phys_init() : rc;
	if (rc == 0) {
		domainset_init();
		pmap_init();
	}
	if (rc != 0 || pool == 0) {
		printf("Bail out! boot_full: %d\n", rc);
		exit(1);
	}
}

static void
test_superpages(void)
{
	struct host_tlb_stats t0, t1;
	vm_offset_t va;
	vm_paddr_t pa;
	u_long dem;
	int i, rv;

	va = KVA + 16 * L2_SIZE;
	pmap_kenter(va, 2 * L2_SIZE, pool, VM_MEMATTR_DEFAULT);
	ok(leaf_size(va) == L2_SIZE && leaf_size(va + L2_SIZE) == L2_SIZE,
	    "super: kenter of 4 MiB aligned makes two 2 MiB leaves");
	ok(kernel_pmap->pm_superpages == 2 && kernel_pmap->pm_spare >= 2,
	    "super: counted, with a spare page each");
	ok(can(va + 3 * MIB + 5, KMEM_ACC_WRITE, &pa) &&
	    pa == pool + 3 * MIB + 5, "super: translates");
	dem = kernel_pmap->pm_demotions;
	host_tlb_stats(&t0);
	pmap_kremove(va + 7 * PAGE_SIZE);
	host_tlb_stats(&t1);
	ok(kernel_pmap->pm_demotions == dem + 1 &&
	    leaf_size(va + 8 * PAGE_SIZE) == PAGE_SIZE,
	    "super: kremove of one page demotes");
	ok(!can(va + 7 * PAGE_SIZE, KMEM_ACC_READ, NULL) &&
	    can(va + 6 * PAGE_SIZE, KMEM_ACC_WRITE, &pa) &&
	    pa == pool + 6 * PAGE_SIZE && can(va + L2_SIZE - PAGE_SIZE,
	    KMEM_ACC_READ, &pa) && pa == pool + L2_SIZE - PAGE_SIZE,
	    "super: the rest of the superpage stays mapped");
	ok(t1.shootdown > t0.shootdown && t1.flush_page > t0.flush_page,
	    "super: the unmap was flushed and shot down");
	pmap_protect(kernel_pmap, va + L2_SIZE + PAGE_SIZE, va + L2_SIZE +
	    2 * PAGE_SIZE, VM_PROT_READ);
	ok(!can(va + L2_SIZE + PAGE_SIZE, KMEM_ACC_WRITE, NULL) &&
	    can(va + L2_SIZE, KMEM_ACC_WRITE, NULL) &&
	    can(va + L2_SIZE + 2 * PAGE_SIZE, KMEM_ACC_WRITE, NULL) &&
	    kernel_pmap->pm_demotions == dem + 2,
	    "super: partial protect demotes, only that page loses W");
	/* A superpage over small mappings replaces them. */
	pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool + 4 * MIB),
	    VM_PROT_READ, VM_PROT_READ | PMAP_ENTER_WIRED, 1);
	ok(leaf_size(va) == L2_SIZE && can(va + 7 * PAGE_SIZE,
	    KMEM_ACC_READ, &pa) && pa == pool + 4 * MIB + 7 * PAGE_SIZE &&
	    !can(va, KMEM_ACC_WRITE, NULL),
	    "super: enter psind 1 over 4 KiB pages replaces them");
	pmap_remove(kernel_pmap, va, va + 2 * L2_SIZE);
	ok(!can(va, KMEM_ACC_READ, NULL) && pmap_kextract(va + L2_SIZE) == 0 &&
	    kernel_pmap->pm_superpages == 0, "super: removed");
	/* kenter of a large range not 2 MiB congruent: small pages. */
	pmap_kenter(va, L2_SIZE, pool + PAGE_SIZE, VM_MEMATTR_DEFAULT);
	ok(leaf_size(va) == PAGE_SIZE && pmap_kextract(va + L2_SIZE -
	    PAGE_SIZE) == pool + L2_SIZE, "super: none when PA is not "
	    "congruent");
	host_tlb_stats(&t0);
	pmap_remove(kernel_pmap, va, va + L2_SIZE);
	host_tlb_stats(&t1);
	ok(t1.flush_all == t0.flush_all + 1 &&
	    t1.flush_page - t0.flush_page == PMAP_TLB_FLUSH_THRESHOLD &&
	    t1.shootdown == t0.shootdown + 1,
	    "tlb: removing 512 pages: %d page flushes, one full flush, one "
	    "shootdown", PMAP_TLB_FLUSH_THRESHOLD);
	host_tlb_stats(&t0);
	pmap_kenter(va, PAGE_SIZE, pool, VM_MEMATTR_DEFAULT);
	host_tlb_stats(&t1);
	ok(t1.flush_page == t0.flush_page + 1 && t1.shootdown == t0.shootdown,
	    "tlb: kenter into an empty slot flushes locally, no shootdown");
	host_tlb_stats(&t0);
	pmap_kenter(va, PAGE_SIZE, pool + PAGE_SIZE, VM_MEMATTR_DEFAULT);
	host_tlb_stats(&t1);
	ok(t1.shootdown == t0.shootdown + 1,
	    "tlb: kenter over a mapping shoots the old one down");
	pmap_kremove(va);
	for (i = 0; i < 4; i++)
		pmap_kremove(va + ptoa(i));	/* no-op when unmapped */
	ok(pmap_kextract(va) == 0, "kremove: idempotent");

	/* kmem's path: pmap_enter / pmap_remove of one page (fast paths). */
	host_tlb_stats(&t0);
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
	    VM_PROT_RW | PMAP_ENTER_WIRED, 0);
	host_tlb_stats(&t1);
	ok(rv == KERN_SUCCESS && pmap_kextract(va) == pool &&
	    can(va, KMEM_ACC_WRITE, NULL) && !can(va, KMEM_ACC_EXEC, NULL) &&
	    t1.flush_page == t0.flush_page + 1 && t1.shootdown == t0.shootdown,
	    "enter1: one page into an empty slot: mapped RW, local flush only");
	host_tlb_stats(&t0);
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
	    VM_PROT_RW | PMAP_ENTER_WIRED, 0);
	host_tlb_stats(&t1);
	ok(rv == KERN_SUCCESS && t1.flush_page == t0.flush_page &&
	    t1.shootdown == t0.shootdown,
	    "enter1: the same mapping again: no flush, no shootdown");
	host_tlb_stats(&t0);
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool + PAGE_SIZE),
	    VM_PROT_READ | VM_PROT_EXECUTE, VM_PROT_READ, 0);
	host_tlb_stats(&t1);
	ok(rv == KERN_SUCCESS && pmap_kextract(va) == pool + PAGE_SIZE &&
	    !can(va, KMEM_ACC_WRITE, NULL) && can(va, KMEM_ACC_EXEC, NULL) &&
	    t1.shootdown == t0.shootdown + 1,
	    "enter1: over another mapping: R+X, the old one shot down");
	host_tlb_stats(&t0);
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
	host_tlb_stats(&t1);
	ok(pmap_kextract(va) == 0 && !can(va, KMEM_ACC_READ, NULL) &&
	    t1.flush_page == t0.flush_page + 1 &&
	    t1.shootdown == t0.shootdown + 1,
	    "remove1: one page: unmapped, one flush, one shootdown");
	host_tlb_stats(&t0);
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
	host_tlb_stats(&t1);
	ok(t1.flush_page == t0.flush_page && t1.shootdown == t0.shootdown,
	    "remove1: an unmapped page: nothing to flush");
	/* One page inside a superpage: demoted, not cleared in a stale L3. */
	dem = kernel_pmap->pm_demotions;
	rv = pmap_enter(kernel_pmap, va + L2_SIZE, PHYS_TO_VM_PAGE(pool),
	    VM_PROT_RW, VM_PROT_RW | PMAP_ENTER_WIRED, 1);
	pmap_remove(kernel_pmap, va + L2_SIZE + 5 * PAGE_SIZE, va + L2_SIZE +
	    6 * PAGE_SIZE);
	ok(rv == KERN_SUCCESS && kernel_pmap->pm_demotions == dem + 1 &&
	    pmap_kextract(va + L2_SIZE + 5 * PAGE_SIZE) == 0 &&
	    pmap_kextract(va + L2_SIZE + 4 * PAGE_SIZE) == pool +
	    4 * PAGE_SIZE && pmap_kextract(va + L2_SIZE + 6 * PAGE_SIZE) ==
	    pool + 6 * PAGE_SIZE && pmap_check_shadow_for_test(va, va +
	    2 * L2_SIZE) == 0,
	    "remove1: one page of a superpage demotes it, neighbours stay");
	rv = pmap_enter(kernel_pmap, va + L2_SIZE + 5 * PAGE_SIZE,
	    PHYS_TO_VM_PAGE(pool + 5 * PAGE_SIZE), VM_PROT_RW, VM_PROT_RW, 0);
	ok(rv == KERN_SUCCESS && pmap_kextract(va + L2_SIZE + 5 * PAGE_SIZE) ==
	    pool + 5 * PAGE_SIZE, "enter1: into the demoted table");
	pmap_remove(kernel_pmap, va + L2_SIZE, va + 2 * L2_SIZE);
	ok(pmap_kextract(va + L2_SIZE + 4 * PAGE_SIZE) == 0,
	    "remove1: cleaned up");
}

static void
test_attributes(void)
{
	vm_offset_t va;
	vm_size_t s;
	vm_page_t m;

	va = KVA + 40 * L2_SIZE;
	pmap_kenter(va, PAGE_SIZE, pool, VM_MEMATTR_UNCACHEABLE);
	pmap_kenter(va + PAGE_SIZE, PAGE_SIZE, pool, VM_MEMATTR_DEVICE);
	ok((pmap_leaf_for_test(va, &s) >> 61) == 1 &&
	    (pmap_leaf_for_test(va + PAGE_SIZE, &s) >> 61) == 2 &&
	    can(va, KMEM_ACC_READ, NULL), "attr: Svpbmt NC and IO bits");
	m = PHYS_TO_VM_PAGE(pool + 9 * PAGE_SIZE);
	pmap_page_set_memattr(m, VM_MEMATTR_UNCACHEABLE);
	ok(pmap_page_get_memattr(m) == VM_MEMATTR_UNCACHEABLE &&
	    pmap_page_get_memattr(PHYS_TO_VM_PAGE(pool + 10 * PAGE_SIZE)) ==
	    VM_MEMATTR_DEFAULT, "attr: a page's attribute is kept");
	ok(pmap_enter(kernel_pmap, va + 2 * PAGE_SIZE, m, VM_PROT_RW,
	    VM_PROT_RW, 0) == KERN_SUCCESS &&
	    (pmap_leaf_for_test(va + 2 * PAGE_SIZE, &s) >> 61) == 1,
	    "attr: pmap_enter maps with the page's attribute");
	pmap_page_set_memattr(m, VM_MEMATTR_DEFAULT);
	ok(pmap_page_get_memattr(m) == VM_MEMATTR_DEFAULT,
	    "attr: set back to default");
	pmap_remove(kernel_pmap, va, va + 3 * PAGE_SIZE);
}

static void
test_mapdev(void)
{
	struct kmem_panic_catch pc;
	volatile uint8_t *u;
	void *p, *q;

	p = pmap_mapdev(HOST_UART_BASE, 8);
	ok(p != NULL && (vm_offset_t)p >= DEVMAP_MIN_ADDRESS,
	    "mapdev: UART mapped at %p", p);
	if (p != NULL) {
		host_store8((vm_offset_t)p + 3, 0x5a);
		u = host_phys_ptr(HOST_UART_BASE, 8);
		ok(u[3] == 0x5a && host_load8((vm_offset_t)p + 3) == 0x5a,
		    "mapdev: writes reach the device registers");
		ok(!can((vm_offset_t)p, KMEM_ACC_EXEC, NULL),
		    "mapdev: never executable");
		ok((pmap_leaf_for_test((vm_offset_t)p, &(vm_size_t){0}) >>
		    61) == 2, "mapdev: PBMT IO with Svpbmt");
		ok(strstr(pmap_fault_region((vm_offset_t)p), "device") != NULL,
		    "mapdev: region named");
	}
	ok(pmap_mapdev(HOST_UART_BASE + 4, 4) == NULL,
	    "mapdev: an overlapping device range: NULL");
	ok(pmap_mapdev(HOST_RAM_BASE + MIB, PAGE_SIZE) == NULL,
	    "mapdev: RAM: NULL");
	ok(pmap_mapdev(HOST_TEST_BASE, 0) == NULL, "mapdev: size 0: NULL");
	ok(pmap_mapdev(~0UL - 10, 100) == NULL, "mapdev: wraps: NULL");
	ok(pmap_mapdev_attr(HOST_TEST_BASE, 4, 7) == NULL,
	    "mapdev: unknown attribute: NULL");
	q = pmap_mapdev(HOST_TEST_BASE + 0x10, 4);
	ok(q != NULL && ((vm_offset_t)q & PAGE_MASK) == 0x10 &&
	    pmap_kextract((vm_offset_t)q) == HOST_TEST_BASE + 0x10,
	    "mapdev: an unaligned PA keeps its offset");
	if (KMEM_PANIC_TRY(&pc)) {
		pmap_unmapdev(p, 4096 * 2);
		kmem_panic_disarm();
		ok(0, "unmapdev: wrong size panics");
	} else
		ok(strstr(pc.kp_msg, "pmap_unmapdev") != NULL,
		    "unmapdev: wrong size panics (%s)", pc.kp_msg);
	pmap_unmapdev(p, 8);
	ok(pmap_kextract((vm_offset_t)p) == 0, "unmapdev: unmapped");
	p = pmap_mapdev(HOST_UART_BASE, 8);
	ok(p != NULL, "mapdev: mapping it again works");
	pmap_unmapdev(p, 8);
	pmap_unmapdev(q, 4);
}

static void
test_faults(void)
{
	struct kmem_fault_catch fc;
	vm_offset_t va;

	va = KVA + 50 * L2_SIZE;
	pmap_kenter(va, PAGE_SIZE, pool, VM_MEMATTR_DEFAULT);
	pmap_protect(kernel_pmap, va, va + PAGE_SIZE, VM_PROT_READ);
	if (KMEM_FAULT_TRY(&fc)) {
		host_store8(va, 1);
		kmem_fault_disarm();
		ok(0, "fault: write to a read-only mapping faults");
	} else
		ok(fc.kf_va == va && fc.kf_access == KMEM_ACC_WRITE,
		    "fault: write to a read-only mapping faults");
	if (KMEM_FAULT_TRY(&fc)) {
		host_fetch(DMAP_MIN_ADDRESS + PAGE_SIZE);
		kmem_fault_disarm();
		ok(0, "fault: fetch from the DMAP faults");
	} else
		ok(fc.kf_access == KMEM_ACC_EXEC,
		    "fault: fetch from the DMAP faults");
	if (KMEM_FAULT_TRY(&fc)) {
		(void)host_load8(va + PAGE_SIZE);
		kmem_fault_disarm();
		ok(0, "fault: read of unbacked KVA faults");
	} else
		ok(fc.kf_va == va + PAGE_SIZE, "fault: read of unbacked KVA "
		    "faults");
	ok(strstr(pmap_fault_region(va + PAGE_SIZE), "KVA not backed") != NULL,
	    "region: KVA not backed");
	ok(strstr(pmap_fault_region(va), "KVA") != NULL &&
	    strstr(pmap_fault_region(DMAP_MIN_ADDRESS), "DMAP") != NULL &&
	    strstr(pmap_fault_region(0x1000), "lower half") != NULL &&
	    strstr(pmap_fault_region(0x8000000000000000UL), "outside") !=
	    NULL && strstr(pmap_fault_region(DEVMAP_MIN_ADDRESS + 0x5000),
	    "DEVMAP") != NULL, "region: DMAP, lower half, outside, DEVMAP");
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
}

/* ------------------------------------------------------------ bad input */

#define EXPECT_PANIC(call, name) do {					\
	struct kmem_panic_catch pc_;					\
	if (KMEM_PANIC_TRY(&pc_)) {					\
		call;							\
		kmem_panic_disarm();					\
		ok(0, "bad: %s panics", name);				\
	} else								\
		ok(strstr(pc_.kp_msg, name) != NULL,			\
		    "bad: %s panics: %s", name, pc_.kp_msg);		\
} while (0)

static void
test_bad_input(void)
{
	vm_page_t m, m2, ma[2];
	int rv;

	m = PHYS_TO_VM_PAGE(pool);
	m2 = PHYS_TO_VM_PAGE(pool + PAGE_SIZE);
	ma[0] = m;
	ma[1] = NULL;
	ok(pmap_enter(kernel_pmap, KVA + 1, m, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ADDRESS, "enter: unaligned va");
	ok(pmap_enter(kernel_pmap, DMAP_MIN_ADDRESS, m, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ADDRESS, "enter: DMAP va");
	ok(pmap_enter(kernel_pmap, 0x80000000UL, m, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ADDRESS, "enter: lower-half va");
	ok(pmap_enter(kernel_pmap, VM_MAX_KERNEL_ADDRESS, m, VM_PROT_RW, 0,
	    0) == KERN_INVALID_ADDRESS, "enter: va at the KVA's end");
	ok(pmap_enter(kernel_pmap, KVA + PAGE_SIZE, m, VM_PROT_RW, 0, 1) ==
	    KERN_INVALID_ADDRESS, "enter: psind 1 with a misaligned va");
	ok(pmap_enter(kernel_pmap, KVA, m2, VM_PROT_RW, 0, 1) ==
	    KERN_INVALID_ARGUMENT, "enter: psind 1 with a misaligned page");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW, 0, 2) ==
	    KERN_INVALID_ARGUMENT, "enter: psind 2");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_NONE, 0, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: VM_PROT_NONE");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW, 0x10000, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: unknown flags");
	ok(pmap_enter(kernel_pmap, KVA, NULL, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: NULL page");
	ok(pmap_enter((pmap_t)&M, KVA, m, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: not kernel_pmap");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW | 0x8, 0, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: prot with an unknown bit");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW, 0x80000000U, 0) ==
	    KERN_INVALID_ARGUMENT, "enter: flag bit 31");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW, PMAP_ENTER_LARGEPAGE,
	    0) == KERN_INVALID_ARGUMENT, "enter: PMAP_ENTER_LARGEPAGE");
	ok(pmap_enter(kernel_pmap, KVA, m, VM_PROT_RW, 0, -1) ==
	    KERN_INVALID_ARGUMENT, "enter: psind -1");
	ok(pmap_enter(kernel_pmap, KVA - PAGE_SIZE, m, VM_PROT_RW, 0, 0) ==
	    KERN_INVALID_ADDRESS, "enter: the page below the KVA");
	ok(pmap_kextract(KVA) == 0, "enter: none of those mapped anything");

	EXPECT_PANIC(pmap_kenter(KVA + 8, PAGE_SIZE, pool, 0), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, PAGE_SIZE + 1, pool, 0), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, PAGE_SIZE, pool + 1, 0), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(DMAP_MIN_ADDRESS, PAGE_SIZE, pool, 0),
	    "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(VM_MAX_KERNEL_ADDRESS - PAGE_SIZE,
	    2 * PAGE_SIZE, pool, 0), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, (vm_size_t)0 - PAGE_SIZE, pool, 0),
	    "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, PAGE_SIZE, pool, 3), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, PAGE_SIZE, 1UL << 56, 0),
	    "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA, PAGE_SIZE, pool, -1), "pmap_kenter");
	EXPECT_PANIC(pmap_kenter(KVA - PAGE_SIZE, PAGE_SIZE, pool, 0),
	    "pmap_kenter");
	EXPECT_PANIC(pmap_kremove(KVA + 4), "pmap_kremove");
	EXPECT_PANIC(pmap_kremove(KVA - PAGE_SIZE), "pmap_kremove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, KVA + 4, KVA + 4 + PAGE_SIZE),
	    "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, KVA - PAGE_SIZE, KVA),
	    "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, VM_MAX_KERNEL_ADDRESS,
	    VM_MAX_KERNEL_ADDRESS + PAGE_SIZE), "pmap_remove");
	EXPECT_PANIC(pmap_kremove(DMAP_MIN_ADDRESS), "pmap_kremove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, KVA + 4, KVA + PAGE_SIZE),
	    "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, KVA + PAGE_SIZE, KVA),
	    "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, DMAP_MIN_ADDRESS,
	    DMAP_MIN_ADDRESS + PAGE_SIZE), "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, VM_MAX_KERNEL_ADDRESS -
	    PAGE_SIZE, VM_MAX_KERNEL_ADDRESS + PAGE_SIZE), "pmap_remove");
	EXPECT_PANIC(pmap_remove(kernel_pmap, 0x80000000UL, 0x80001000UL),
	    "pmap_remove");
	EXPECT_PANIC(pmap_remove((pmap_t)&M, KVA, KVA + PAGE_SIZE),
	    "pmap_remove");
	EXPECT_PANIC(pmap_protect(kernel_pmap, KVA, KVA + 12, VM_PROT_READ),
	    "pmap_protect");
	EXPECT_PANIC(pmap_protect(kernel_pmap, KVA, KVA + PAGE_SIZE, 0x10),
	    "pmap_protect");
	EXPECT_PANIC(pmap_protect(kernel_pmap, DEVMAP_MIN_ADDRESS,
	    DEVMAP_MIN_ADDRESS + PAGE_SIZE, VM_PROT_READ), "pmap_protect");
	EXPECT_PANIC(pmap_qenter(KVA + 1, ma, 1), "pmap_qenter");
	EXPECT_PANIC(pmap_qenter(KVA, ma, 2), "pmap_qenter");
	EXPECT_PANIC(pmap_qenter(VM_MAX_KERNEL_ADDRESS - PAGE_SIZE, ma, 2),
	    "pmap_qenter");
	EXPECT_PANIC(pmap_qremove(KVA + 1, 1), "pmap_qremove");
	EXPECT_PANIC(pmap_qremove(VM_MAX_KERNEL_ADDRESS, 1), "pmap_qremove");
	EXPECT_PANIC(pmap_zero_page(NULL), "pmap_zero_page");
	EXPECT_PANIC(pmap_page_set_memattr(m, 9), "pmap_page_set_memattr");
	pmap_remove(kernel_pmap, KVA, KVA);	/* empty: fine */
	pmap_qenter(KVA, ma, 0);
	ok(pmap_kextract(KVA) == 0 && pmap_kextract(KVA + PAGE_SIZE) == 0,
	    "bad: nothing got mapped by the refused calls");
	rv = pmap_enter(kernel_pmap, VM_MAX_KERNEL_ADDRESS - L2_SIZE,
	    m, VM_PROT_READ, 0, 1);
	ok(rv == KERN_SUCCESS && pmap_kextract(VM_MAX_KERNEL_ADDRESS - 1) ==
	    pool + L2_SIZE - 1, "enter: the last 2 MiB of the KVA works");
	pmap_remove(kernel_pmap, VM_MAX_KERNEL_ADDRESS - L2_SIZE,
	    VM_MAX_KERNEL_ADDRESS);
}

static void
test_zero_page(void)
{
	uint8_t *p;
	vm_page_t m;
	int i, nz;

	m = PHYS_TO_VM_PAGE(pool + 20 * PAGE_SIZE);
	p = (uint8_t *)PHYS_TO_DMAP(pool + 20 * PAGE_SIZE);
	memset(p, 0xa5, 2 * PAGE_SIZE);
	pmap_zero_page(m);
	for (i = nz = 0; i < (int)PAGE_SIZE; i++)
		nz += p[i] != 0;
	ok(nz == 0 && p[PAGE_SIZE] == 0xa5 && 1,
	    "zero_page: zeroes the page and nothing after it");
}

/* Exhaust the page allocator, then ask for a new page-table page. */
static void
test_shortage(void)
{
	struct kmem_panic_catch pc;
	vm_paddr_t head, pa;
	vm_page_t m;
	vm_offset_t va;
	u_long n;
	int d, rv;

	head = 0;
	n = 0;
	for (d = 0; d < vm_ndomains; d++)
		while ((m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT)) !=
		    NULL) {
			pa = VM_PAGE_TO_PHYS(m);
			*(vm_paddr_t *)PHYS_TO_DMAP(pa) = head;
			head = pa;
			n++;
		}
	va = KVA + 8 * GIB;	/* a fresh GiB: needs new tables */
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
	    VM_PROT_RW | PMAP_ENTER_NOSLEEP, 0);
	ok(n > 0 && rv == KERN_RESOURCE_SHORTAGE && pmap_kextract(va) == 0,
	    "shortage: NOSLEEP gives KERN_RESOURCE_SHORTAGE, nothing mapped "
	    "(%lu pages taken first)", n);
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
	    VM_PROT_RW | PMAP_ENTER_NOSLEEP, 1);
	ok(rv == KERN_RESOURCE_SHORTAGE && pmap_kextract(va) == 0,
	    "shortage: also for a superpage");
	if (KMEM_PANIC_TRY(&pc)) {
		pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
		    VM_PROT_RW, 0);
		kmem_panic_disarm();
		ok(0, "shortage: without NOSLEEP and nobody to free: panic");
	} else
		ok(strstr(pc.kp_msg, "pmap_enter") != NULL,
		    "shortage: without NOSLEEP and nobody to free: panic (%s)",
		    pc.kp_msg);
	if (KMEM_PANIC_TRY(&pc)) {
		pmap_kenter(va, PAGE_SIZE, pool, 0);
		kmem_panic_disarm();
		ok(0, "shortage: pmap_kenter panics");
	} else
		ok(strstr(pc.kp_msg, "pmap_kenter") != NULL,
		    "shortage: pmap_kenter panics (%s)", pc.kp_msg);
	while (head != 0) {
		pa = head;
		head = *(vm_paddr_t *)PHYS_TO_DMAP(pa);
		vm_page_free(PHYS_TO_VM_PAGE(pa));
	}
	rv = pmap_enter(kernel_pmap, va, PHYS_TO_VM_PAGE(pool), VM_PROT_RW,
	    VM_PROT_RW | PMAP_ENTER_NOSLEEP, 0);
	ok(rv == KERN_SUCCESS && pmap_kextract(va) == pool,
	    "shortage: works again once pages are free");
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
}

/* ------------------------------------------------ the random model test */

struct hart2 {
	pthread_mutex_t	mtx;
	pthread_cond_t	cv;
	int		req, done;	/* generations */
	bool		quit, result, warm;
	struct pm_model	*pm;
};

static void *
hart2_main(void *arg)
{
	struct hart2 *h = arg;
	int gen;

	host_thread_register();
	pthread_mutex_lock(&h->mtx);
	for (;;) {
		while (h->req == h->done && !h->quit)
			pthread_cond_wait(&h->cv, &h->mtx);
		if (h->quit)
			break;
		gen = h->req;
		pthread_mutex_unlock(&h->mtx);
		if (h->warm)
			pm_warm_here(h->pm);
		else
			h->result = pm_check(h->pm, false);
		pthread_mutex_lock(&h->mtx);
		h->done = gen;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mtx);
	host_thread_unregister();
	return (NULL);
}

static bool
hart2_run(struct hart2 *h, bool warm)
{

	pthread_mutex_lock(&h->mtx);
	h->warm = warm;
	h->req++;
	pthread_cond_broadcast(&h->cv);
	while (h->done != h->req)
		pthread_cond_wait(&h->cv, &h->mtx);
	pthread_mutex_unlock(&h->mtx);
	return (h->result);
}

static struct hart2 *the_hart2;

/* Before each step: the touched pages into both harts' TLBs. */
static void
warm_both(struct pm_model *pm)
{

	pm_warm_here(pm);
	(void)hart2_run(the_hart2, true);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rng(void *arg)
{

	(void)arg;
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return ((uint32_t)(rng_state >> 16));
}

static struct pm_model model;

static void
test_random(int steps, bool svpbmt)
{
	struct hart2 h;
	pthread_t t;
	bool good, good2;
	int i;

	memset(&h, 0, sizeof(h));
	pthread_mutex_init(&h.mtx, NULL);
	pthread_cond_init(&h.cv, NULL);
	h.pm = &model;
	the_hart2 = &h;
	memset(&model, 0, sizeof(model));
	model.warm = warm_both;
	model.base = KVA + 3 * GIB - 2 * L2_SIZE;	/* spans two L2 tables */
	model.pool = pool;
	model.svpbmt = svpbmt;
	pthread_create(&t, NULL, hart2_main, &h);
	good = good2 = true;
	for (i = 0; i < steps && good && good2; i++) {
		pm_step(&model, rng, NULL);
		good = pm_check(&model, true);
		if (good)
			good2 = hart2_run(&h, false);
		if (!good || !good2)
			diag("step %d: %s (%s hart)", i, model.why,
			    good ? "second" : "first");
	}
	ok(good && good2, "random: %d steps of enter/remove/protect/kenter/"
	    "qenter agree with the model on both harts (%lu demotions)", i,
	    kernel_pmap->pm_demotions);
	pm_clear(&model);
	ok(pm_check(&model, true), "random: the window is empty after "
	    "removing it (superpages %lu, spare %lu, pt pages %lu)",
	    kernel_pmap->pm_superpages, kernel_pmap->pm_spare,
	    kernel_pmap->pm_ptpages);
	pthread_mutex_lock(&h.mtx);
	h.quit = true;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mtx);
	pthread_join(t, NULL);
}

int
main(int argc, char **argv)
{
	int steps;

	steps = argc > 1 ? atoi(argv[1]) : 3000;
	test_boot_dmap();
	test_boot_big_and_holes();
	test_boot_image();
	test_boot_sv48();

	boot_full(FDT_ISA_SVPBMT);
	test_shortage();
	test_superpages();
	test_attributes();
	test_mapdev();
	test_faults();
	test_bad_input();
	test_zero_page();
	test_random(steps, true);

	boot_full(0);
	test_random(steps / 3, false);
	return (tap_done());
}
