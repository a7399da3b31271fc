/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Documented misuse of the public API gets its defined answer on the host
 * twin: a panic that names the function and the address, with nothing
 * handed to two owners afterwards.  One case per run, so each is a test
 * of its own:
 *   host_misuse kva_double_free | vmem_free_foreign |
 *               page_free_mapped | back_backed | kmap_free_bad |
 *               vmem_destroy_twice | waitok_empty_domain |
 *               waitok_never_fits
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "expect_panic.h"

static struct fdt_machine M;

static void
boot(int ndomains, uint64_t mem1)
{
	struct host_machine_cfg cfg = {
		.ndomains = ndomains,
		.mem_per_domain = 32UL << 20,
		.ncpus = 4,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	int i, n;

	host_machine_init(&cfg, &M);
	if (ndomains > 1 && mem1 == 0) {
		/* Domain 1 keeps its cpus but loses its memory. */
		for (i = n = 0; i < M.nmem; i++)
			if (M.mem[i].domain != 1)
				M.mem[n++] = M.mem[i];
		M.nmem = n;
	}
	host_thread_register();
	ok(kmem_startup(&bi) == 0, "kmem_startup on %d domain(s)", ndomains);
}

/* (3) vm_page_free of a page kmem_malloc still maps. */
static void
page_free_mapped(void)
{
	vm_offset_t va, vb;
	vm_paddr_t pa;
	vm_page_t m;
	char a[32];

	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	pa = pmap_kextract(va);
	m = PHYS_TO_VM_PAGE(pa);
	EXPECT_PANIC(vm_page_free(m), "vm_page_free", expect_hex(a, sizeof(a), pa),
	    "vm_page_free of a page kmem_malloc maps");
	EXPECT_PANIC(vm_page_free_contig(m, 1), "vm_page_free_contig",
	    expect_hex(a, sizeof(a), pa), "vm_page_free_contig of it");
	vb = kmem_malloc(4 * PAGE_SIZE, M_WAITOK);
	pa = pmap_kextract(vb + 2 * PAGE_SIZE);
	EXPECT_PANIC(vm_page_free(PHYS_TO_VM_PAGE(pa)), "still mapped by kmem",
	    expect_hex(a, sizeof(a), pa), "vm_page_free of an inner page of a "
	    "4-page kmem_malloc");
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	ok(m != NULL && VM_PAGE_TO_PHYS(m) != pmap_kextract(va) &&
	    VM_PAGE_TO_PHYS(m) != pa, "the mapped pages stay with kmem");
	vm_page_free(m);
	kmem_free(va, PAGE_SIZE);
	kmem_free(vb, 4 * PAGE_SIZE);
	ok(vm_phys_check() == 0, "then kmem_free frees them: allocator "
	    "consistent");
}

/* (4) kmem_back_domain over a page that is already backed. */
static void
back_backed(void)
{
	vm_offset_t va;
	vm_paddr_t pa;
	u_int before;
	char a[32];

	va = kva_alloc(4 * PAGE_SIZE);
	ok(kmem_back_domain(0, kernel_object, va + PAGE_SIZE, PAGE_SIZE,
	    M_WAITOK) == KERN_SUCCESS, "kmem_back_domain backs one page");
	pa = pmap_kextract(va + PAGE_SIZE);
	before = vm_free_count();
	EXPECT_PANIC((void)kmem_back_domain(0, kernel_object, va,
	    4 * PAGE_SIZE, M_WAITOK), "kmem_back_domain",
	    expect_hex(a, sizeof(a), va + PAGE_SIZE), "kmem_back_domain over a "
	    "backed page");
	EXPECT_PANIC((void)kmem_back(kernel_object, va, 2 * PAGE_SIZE,
	    M_NOWAIT), "kmem_back", expect_hex(a, sizeof(a), va + PAGE_SIZE),
	    "kmem_back over a backed page");
	ok(pmap_kextract(va + PAGE_SIZE) == pa && pmap_kextract(va) == 0 &&
	    vm_free_count() == before, "nothing was remapped or taken");
	kmem_unback(kernel_object, va + PAGE_SIZE, PAGE_SIZE);
	kva_free(va, 4 * PAGE_SIZE);
	ok(vm_phys_check() == 0, "allocator consistent");
}

/* (5) kmap_free_wakeup of a range never allocated, or of an inner page. */
static void
kmap_free_bad(void)
{
	vm_offset_t va;
	vm_size_t used;
	char a[32];

	va = kmap_alloc_wait(exec_map, 4 * PAGE_SIZE);
	host_store64(va + PAGE_SIZE, 42);
	used = swap_reserved();
	EXPECT_PANIC(kmap_free_wakeup(exec_map, va + PAGE_SIZE, PAGE_SIZE),
	    "kmap_free_wakeup", expect_hex(a, sizeof(a), va + PAGE_SIZE),
	    "kmap_free_wakeup of an inner page");
	EXPECT_PANIC(kmap_free_wakeup(exec_map, va, 2 * PAGE_SIZE),
	    "kmap_free_wakeup", expect_hex(a, sizeof(a), va), "kmap_free_wakeup of "
	    "a part");
	EXPECT_PANIC(kmap_free_wakeup(exec_map, va + 8 * PAGE_SIZE,
	    PAGE_SIZE), "kmap_free_wakeup", expect_hex(a, sizeof(a), va +
	    8 * PAGE_SIZE), "kmap_free_wakeup of a range never allocated");
	ok(swap_reserved() == used && host_load64(va + PAGE_SIZE) == 42,
	    "the allocation is intact: page still mapped, charge kept");
	kmap_free_wakeup(exec_map, va, 4 * PAGE_SIZE);
	ok(swap_reserved() == used - 4 * PAGE_SIZE, "the exact free returns "
	    "the charge");
	EXPECT_PANIC(kmap_free_wakeup(exec_map, va, 4 * PAGE_SIZE),
	    "kmap_free_wakeup", expect_hex(a, sizeof(a), va),
	    "kmap_free_wakeup twice");
}

/*
 * (1) kva_free twice of a one-page range: the second free panics (the
 * kernel arena's quantum cache checks every free), so two later
 * kva_alloc calls cannot return the same address.
 */
static void
kva_double_free(void)
{
	vm_offset_t va, a, b;
	char buf[32];

	va = kva_alloc(PAGE_SIZE);
	ok(va != 0, "kva_alloc of one page");
	kva_free(va, PAGE_SIZE);
	EXPECT_PANIC(kva_free(va, PAGE_SIZE), "vmem_free",
	    expect_hex(buf, sizeof(buf), va), "a second kva_free of the page");
	a = kva_alloc(PAGE_SIZE);
	b = kva_alloc(PAGE_SIZE);
	ok(a != 0 && b != 0 && a != b, "two later kva_alloc calls return "
	    "different addresses (0x%lx, 0x%lx)", (u_long)a, (u_long)b);
}

/*
 * (2) vmem_free of a quantum-cached size with an address the arena never
 * gave out: panics at the call; the arena never hands that address out.
 */
static void
vmem_free_foreign(void)
{
	vmem_t *vm;
	vmem_addr_t a = 0, bogus;
	char buf[32];
	int i, good;

	vm = vmem_create("foreign", 0x100000, 0x10000, 16, 16 * 16,
	    M_WAITOK);
	ok(vm != NULL && vmem_alloc(vm, 64, M_WAITOK, &a) == 0,
	    "a quantum-cached arena hands out 64 bytes");
	bogus = a + 0x8000;
	EXPECT_PANIC(vmem_free(vm, bogus, 64), "vmem_free",
	    expect_hex(buf, sizeof(buf), bogus), "vmem_free of a cached size never "
	    "allocated");
	good = 1;
	for (i = 0; i < 64; i++)
		if (vmem_alloc(vm, 64, M_WAITOK, &a) != 0 || a == bogus)
			good = 0;
	ok(good, "the foreign address is never handed out afterwards");
}

/*
 * vmem_destroy of an arena destroyed already (its storage back with the
 * backend, or the caller's), or of a pointer that never was an arena:
 * panics naming vmem_destroy and the pointer, reading nothing of it;
 * vmem_init over a live arena panics before it changes the arena.  The
 * live arenas are unharmed.
 */
static void
vmem_destroy_twice(void)
{
	static struct vmem store, never;
	vmem_t *vm, *other;
	vmem_addr_t a = 0;
	char buf[32];

	other = vmem_create("other", 0x200000, 0x10000, 16, 0, M_WAITOK);
	vm = vmem_create("twice", 0x100000, 0x10000, 16, 16 * 16, M_WAITOK);
	ok(vm != NULL && other != NULL && vmem_alloc(vm, 64, M_WAITOK, &a) ==
	    0, "two arenas made");
	vmem_free(vm, a, 64);
	vmem_destroy(vm);
	EXPECT_PANIC(vmem_destroy(vm), "vmem_destroy",
	    expect_hex(buf, sizeof(buf), (u_long)vm),
	    "vmem_destroy of a vmem_create arena destroyed already");
	ok(vmem_init(&store, "store", 0x300000, 0x10000, 16, 0, M_WAITOK) ==
	    &store, "vmem_init of an arena in the caller's storage");
	vmem_destroy(&store);
	EXPECT_PANIC(vmem_destroy(&store), "vmem_destroy",
	    expect_hex(buf, sizeof(buf), (u_long)&store),
	    "vmem_destroy of a vmem_init arena destroyed already");
	EXPECT_PANIC(vmem_destroy(&never), "vmem_destroy", "not a live arena",
	    "vmem_destroy of storage that never was an arena");
	EXPECT_PANIC((void)vmem_init(other, "again", 0x400000, 0x10000, 16, 0,
	    M_WAITOK), "vmem_init", expect_hex(buf, sizeof(buf), (u_long)other),
	    "vmem_init over a live arena");
	ok(vmem_alloc(other, 64, M_WAITOK, &a) == 0 && a >= 0x200000 &&
	    a < 0x210000, "the other arena still allocates");
	vmem_free(other, a, 64);
	vmem_destroy(other);
	ok(vmem_init(&store, "store", 0x300000, 0x10000, 16, 0, M_WAITOK) ==
	    &store, "the storage makes an arena again");
	vmem_destroy(&store);
}

/* (6a) M_WAITOK for a fixed domain without memory. */
static void
waitok_empty_domain(void)
{

	ok(vm_domain_page_count(1) == 0 && vm_domain_page_count(0) > 0,
	    "domain 1 has no memory");
	EXPECT_PANIC((void)kmem_malloc_domainset(DOMAINSET_FIXED(1),
	    PAGE_SIZE, M_WAITOK), "kmem_malloc", "can never succeed",
	    "kmem_malloc_domainset(FIXED(empty), M_WAITOK)");
	EXPECT_PANIC((void)kmem_alloc_contig_domainset(DOMAINSET_FIXED(1),
	    PAGE_SIZE, M_WAITOK, 0, ~0UL, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT),
	    "kmem_alloc_contig", "can never succeed",
	    "kmem_alloc_contig_domainset(FIXED(empty), M_WAITOK)");
	ok(kmem_malloc_domainset(DOMAINSET_FIXED(1), PAGE_SIZE, M_NOWAIT) ==
	    0, "M_NOWAIT for it returns 0");
}

/* (6b) kmem_malloc(1 TiB, M_WAITOK) while other harts run. */
static void
waitok_never_fits(void)
{

	ok(host_smp_start(4) == 4, "4 harts run");
	EXPECT_PANIC((void)kmem_malloc(1UL << 40, M_WAITOK), "kmem_malloc",
	    "can never succeed", "kmem_malloc(1 TiB, M_WAITOK) on 4 harts");
	EXPECT_PANIC((void)kmem_alloc_attr(1UL << 40, M_WAITOK, 0, ~0UL,
	    VM_MEMATTR_DEFAULT), "kmem_alloc_attr", "can never succeed",
	    "kmem_alloc_attr(1 TiB, M_WAITOK) on 4 harts");
	ok(kmem_malloc(1UL << 40, M_NOWAIT) == 0, "M_NOWAIT returns 0");
	host_smp_stop();
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
		int		ndomains;
	} cases[] = {
		{ "kva_double_free", kva_double_free, 1 },
		{ "vmem_free_foreign", vmem_free_foreign, 1 },
		{ "page_free_mapped", page_free_mapped, 1 },
		{ "back_backed", back_backed, 1 },
		{ "kmap_free_bad", kmap_free_bad, 1 },
		{ "vmem_destroy_twice", vmem_destroy_twice, 1 },
		{ "waitok_empty_domain", waitok_empty_domain, 2 },
		{ "waitok_never_fits", waitok_never_fits, 2 },
	};
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		boot(cases[i].ndomains, cases[i].fn == waitok_empty_domain ?
		    0 : 1);
		cases[i].fn();
		break;
	}
	ok(i < nitems(cases), "case %s exists", argc > 1 ? argv[1] : "");
	return (tap_done());
}
