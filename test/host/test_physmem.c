/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_physmem: the boot physical memory map and the early allocator.
 *
 * Hand-made cases check the carving rules one at a time (OpenSBI reserved
 * by the FDT or only passed as fw_start/fw_end, image next to firmware,
 * reserved ranges overlapping, adjacent and spanning two domains, domain
 * renumbering, table overflow).  A random test then builds many machines
 * and checks physmem against a page-by-page model after physmem_init and
 * after every early allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/vm_param.h>

#include "tap.h"

#define MIB		(1UL << 20)
#define RAM0		0x80000000UL

static struct fdt_machine M;

static void
m_reset(void)
{
	int i, j;

	memset(&M, 0, sizeof(M));
	for (i = 0; i < MAXMEMDOM; i++)
		for (j = 0; j < MAXMEMDOM; j++)
			M.distance[i][j] = i == j ? 10 : 20;
	M.ndomains = 1;
}

static void
m_mem(uint64_t base, uint64_t size, int dom)
{

	M.mem[M.nmem].base = base;
	M.mem[M.nmem].size = size;
	M.mem[M.nmem].domain = dom;
	M.nmem++;
	if (dom + 1 > M.ndomains)
		M.ndomains = dom + 1;
}

static void
m_rsv(uint64_t base, uint64_t size, const char *name, bool nomap,
    bool reusable, bool memreserve)
{
	struct fdt_rsv *r = &M.rsv[M.nrsv++];

	r->base = base;
	r->size = size;
	r->nomap = nomap;
	r->reusable = reusable;
	r->memreserve = memreserve;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

/* Is pa managed, and in which domain (dense)?  -1 when not. */
static int
managed_domain(vm_paddr_t pa)
{
	int i;

	for (i = 0; i < physmem.nmanaged; i++)
		if (pa >= physmem.managed[i].start &&
		    pa < physmem.managed[i].end)
			return (physmem.managed[i].domain);
	return (-1);
}

static int
count_carves(vm_paddr_t s, vm_paddr_t e, const char *why)
{
	int i, n = 0;

	for (i = 0; i < physmem.ncarves; i++)
		if (physmem.carves[i].start == s && physmem.carves[i].end == e &&
		    (why == NULL || strcmp(physmem.carves[i].why, why) == 0))
			n++;
	return (n);
}

static void
test_opensbi(void)
{
	int err;

	/* The FDT reserves OpenSBI (as OpenSBI's fw_dynamic does). */
	m_reset();
	m_mem(RAM0, 128 * MIB, 0);
	m_rsv(RAM0, 2 * MIB, "mmode_resv@80000000", true, false, false);
	err = physmem_init(&M, RAM0, RAM0 + 2 * MIB, RAM0 + 2 * MIB,
	    RAM0 + 2 * MIB + 0x1234, RAM0 + 100 * MIB + 0x10, 0x2000);
	ok(err == 0, "opensbi_reserved_by_fdt: init succeeds");
	ok(count_carves(RAM0, RAM0 + 2 * MIB, NULL) == 1 &&
	    count_carves(RAM0, RAM0 + 2 * MIB, "reserved-memory, no-map") == 1,
	    "opensbi_reserved_by_fdt: one carve for OpenSBI, from the FDT");
	ok(count_carves(RAM0 + 2 * MIB, RAM0 + 2 * MIB + 2 * PAGE_SIZE,
	    "payload image") == 1,
	    "image_next_to_firmware: image carve widened to whole pages");
	ok(count_carves(RAM0 + 100 * MIB, RAM0 + 100 * MIB + 3 * PAGE_SIZE,
	    "FDT blob") == 1, "fdt_blob: carve widened outward (3 pages)");
	ok(physmem.nmanaged == 2 &&
	    physmem.managed[0].start == RAM0 + 2 * MIB + 2 * PAGE_SIZE &&
	    physmem.managed[0].end == RAM0 + 100 * MIB &&
	    physmem.managed[1].start == RAM0 + 100 * MIB + 3 * PAGE_SIZE &&
	    physmem.managed[1].end == RAM0 + 128 * MIB,
	    "opensbi_reserved_by_fdt: managed RAM is what is left");

	/* Only the argument says where OpenSBI is. */
	m_reset();
	m_mem(RAM0, 128 * MIB, 0);
	err = physmem_init(&M, RAM0, RAM0 + 2 * MIB, 0, 0, 0, 0);
	ok(err == 0 && count_carves(RAM0, RAM0 + 2 * MIB,
	    "firmware (OpenSBI)") == 1 && physmem.ncarves == 1 &&
	    managed_domain(RAM0 + 2 * MIB - 1) < 0 &&
	    managed_domain(RAM0 + 2 * MIB) == 0,
	    "opensbi_from_argument: carved as firmware");
	ok(dmap_phys_base == RAM0 && dmap_phys_max == RAM0 + 128 * MIB,
	    "dmap bounds are the RAM extent");
}

static void
test_domains(void)
{
	int err;

	/* A reserved range spanning the boundary of two domains. */
	m_reset();
	m_mem(RAM0, 64 * MIB, 0);
	m_mem(RAM0 + 64 * MIB, 64 * MIB, 1);
	m_rsv(RAM0 + 63 * MIB, 2 * MIB, "span", false, false, false);
	m_rsv(RAM0 + 10 * MIB, MIB, "a", false, false, true);
	m_rsv(RAM0 + 11 * MIB, MIB, "b", false, true, false);	/* adjacent */
	m_rsv(RAM0 + 10 * MIB + 4096, 4096, "c", true, false, false);
	err = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(err == 0 && physmem.ndomains == 2 && !physmem.renumbered,
	    "two_domains: init, 2 domains, ids kept");
	ok(count_carves(RAM0 + 63 * MIB, RAM0 + 64 * MIB, NULL) == 1 &&
	    count_carves(RAM0 + 64 * MIB, RAM0 + 65 * MIB, NULL) == 1,
	    "carve_spanning_domains: split at the boundary");
	ok(managed_domain(RAM0 + 63 * MIB - 1) == 0 &&
	    managed_domain(RAM0 + 63 * MIB) < 0 &&
	    managed_domain(RAM0 + 65 * MIB - 1) < 0 &&
	    managed_domain(RAM0 + 65 * MIB) == 1,
	    "carve_spanning_domains: both sides carved");
	ok(managed_domain(RAM0 + 10 * MIB - 1) == 0 &&
	    managed_domain(RAM0 + 10 * MIB) < 0 &&
	    managed_domain(RAM0 + 12 * MIB - 1) < 0 &&
	    managed_domain(RAM0 + 12 * MIB) == 0,
	    "carves_adjacent_and_overlapping: one hole 10..12 MiB, "
	    "reusable excluded too");
	ok(physmem.nmanaged == 3, "two_domains: 3 managed ranges (%d)",
	    physmem.nmanaged);

	/* Only FDT ids 0 and 2 have memory; id 1 has only harts. */
	m_reset();
	m_mem(RAM0 + 64 * MIB, 64 * MIB, 2);
	m_mem(RAM0, 64 * MIB, 0);
	M.distance[1][0] = M.distance[0][1] = 30;
	M.distance[1][2] = M.distance[2][1] = 15;
	M.distance[3][0] = M.distance[3][2] = 40;
	err = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(err == 0 && physmem.ndomains == 2 && physmem.renumbered &&
	    physmem.fdt_domain[0] == 0 && physmem.fdt_domain[1] == 2,
	    "sparse_ids: renumbered densely, FDT ids recorded");
	ok(managed_domain(RAM0 + 64 * MIB) == 1 &&
	    physmem_domain_of_fdt(2) == 1 && physmem_domain_of_fdt(0) == 0,
	    "sparse_ids: FDT id 2 is domain 1");
	ok(physmem_domain_of_fdt(1) == 1 && physmem_domain_of_fdt(3) == 0 &&
	    physmem_domain_of_fdt(-1) == 0,
	    "memoryless_id: nearest domain by distance (ties: lowest)");

	/* A domain whose RAM is all carved out has no managed RAM. */
	m_reset();
	m_mem(RAM0, 64 * MIB, 0);
	m_mem(RAM0 + 64 * MIB, 64 * MIB, 1);
	m_rsv(RAM0 + 64 * MIB, 64 * MIB, "all", true, false, false);
	err = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(err == 0 && physmem.ndomains == 1 && physmem_domain_of_fdt(1) == 0,
	    "fully_carved_domain: not counted, its id maps to domain 0");

	/* No memory at all, or all of it carved. */
	m_reset();
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == EINVAL &&
	    physmem.ndomains == 0, "no_memory: EINVAL");
	m_mem(RAM0, 2 * MIB, 0);
	ok(physmem_init(&M, RAM0, RAM0 + 2 * MIB, 0, 0, 0, 0) == EINVAL,
	    "all_carved: EINVAL");
	ok(physmem_early_alloc(-1, PAGE_SIZE, PAGE_SIZE, "x") == 0,
	    "early_alloc after a failed init: 0");
	m_reset();
	m_mem(RAM0 + 0x800, 0xff0, 0);		/* less than a page inside */
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == EINVAL,
	    "ram_shrunk_to_pages: a sub-page range is dropped");
}

static void
test_overflow(void)
{
	int i;

	/* 32 RAM ranges, each with a hole: 64 managed ranges fit... */
	m_reset();
	for (i = 0; i < FDT_MAX_MEM; i++) {
		m_mem(RAM0 + (uint64_t)i * 4 * MIB, 2 * MIB, 0);
		m_rsv(RAM0 + (uint64_t)i * 4 * MIB + MIB, PAGE_SIZE, "h", false,
		    false, false);
	}
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == 0 &&
	    physmem.nmanaged == PHYSMEM_MAX_RANGES,
	    "tables_full: %d managed ranges fit", PHYSMEM_MAX_RANGES);
	/* ... one more hole does not. */
	ok(physmem_init(&M, RAM0 + 0x10000, RAM0 + 0x11000, 0, 0, 0, 0) ==
	    E2BIG && physmem.nmanaged == 0 && physmem.ndomains == 0,
	    "tables_overflow: E2BIG, map left empty");
}

/* ---- Early allocator ---- */

static void
test_early(void)
{
	struct kmem_panic_catch pc;
	vm_paddr_t a, b, c;
	int i, n;

	m_reset();
	m_mem(RAM0, 16 * MIB, 0);
	m_mem(RAM0 + 16 * MIB, 16 * MIB, 1);
	m_rsv(RAM0 + 30 * MIB, 2 * MIB, "top", true, false, false);
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == 0, "early: init");
	a = physmem_early_alloc(1, 100, 0, "pt");
	ok(a == RAM0 + 30 * MIB - PAGE_SIZE,
	    "early_top_down: first page below the top of domain 1 (0x%lx)",
	    (u_long)a);
	b = physmem_early_alloc(1, PAGE_SIZE, PAGE_SIZE, "pt");
	ok(b == a - PAGE_SIZE && physmem.nearly == 1 &&
	    physmem.early[0].start == b && physmem.early[0].end ==
	    a + PAGE_SIZE, "early_records_merge: adjacent same label merged");
	c = physmem_early_alloc(1, 3 * PAGE_SIZE, 2 * MIB, "big");
	ok(c == RAM0 + 28 * MIB && (c & (2 * MIB - 1)) == 0 &&
	    physmem.nearly == 2, "early_alignment: 2 MiB aligned below (0x%lx)",
	    (u_long)c);
	a = physmem_early_alloc(0, PAGE_SIZE, PAGE_SIZE, "d0");
	ok(a == RAM0 + 16 * MIB - PAGE_SIZE, "early_per_domain: domain 0 top");
	ok(physmem_early_alloc(0, 0, PAGE_SIZE, "z") == 0 &&
	    physmem_early_alloc(0, PAGE_SIZE, 3 * PAGE_SIZE, "z") == 0 &&
	    physmem_early_alloc(2, PAGE_SIZE, PAGE_SIZE, "z") == 0 &&
	    physmem_early_alloc(0, 64 * MIB, PAGE_SIZE, "z") == 0 &&
	    physmem_early_alloc(0, ~0UL, PAGE_SIZE, "z") == 0,
	    "early_bad_input: size 0, align 3 pages, no such domain, too big: 0");
	a = physmem_early_alloc(-1, 15 * MIB, PAGE_SIZE, "any");
	b = physmem_early_alloc(-1, 15 * MIB, PAGE_SIZE, "any");
	c = physmem_early_alloc(-1, 8 * MIB, PAGE_SIZE, "any");
	ok(a >= RAM0 && a < RAM0 + 16 * MIB && b == 0 &&
	    c >= RAM0 + 16 * MIB && c < RAM0 + 32 * MIB,
	    "early_any_domain: first domain with room, 0 when none has");

	/* Records table: non-mergeable allocations until it is full. */
	m_reset();
	m_mem(RAM0, 64 * MIB, 0);
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == 0, "early: re-init");
	for (i = 0, n = 0; i < PHYSMEM_MAX_EARLY; i++)
		n += physmem_early_alloc(0, PAGE_SIZE, PAGE_SIZE,
		    i % 2 ? "odd" : "even") != 0;
	ok(n == PHYSMEM_MAX_EARLY && physmem.nearly == PHYSMEM_MAX_EARLY,
	    "early_records: %d records", physmem.nearly);
	a = physmem.early_top[0];
	if (KMEM_PANIC_TRY(&pc)) {
		physmem_early_alloc(0, PAGE_SIZE, PAGE_SIZE, "even");
		kmem_panic_disarm();
		ok(0, "early_records_full: panics");
	} else {
		ok(strstr(pc.kp_msg, "physmem_early_alloc") != NULL &&
		    strstr(pc.kp_msg, "full") != NULL &&
		    physmem.early_top[0] == a,
		    "early_records_full: panics (\"%s\"), nothing taken",
		    pc.kp_msg);
	}
	physmem.early_closed = true;
	if (KMEM_PANIC_TRY(&pc)) {
		physmem_early_alloc(0, PAGE_SIZE, PAGE_SIZE, "late");
		kmem_panic_disarm();
		ok(0, "early_closed: panics");
	} else {
		ok(strstr(pc.kp_msg, "after vm_phys") != NULL,
		    "early_closed: panics (\"%s\")", pc.kp_msg);
	}
}

/* ---- Random machines against a page model ---- */

#define NPG	2048			/* model window: 8 MiB of pages */
#define WIN	0x80000000UL

static uint64_t rs = 88172645463325252ULL;

static uint64_t
rnd(uint64_t n)
{

	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (n == 0 ? 0 : rs % n);
}

struct model {
	int		ram[NPG];	/* FDT id, -1 not RAM */
	bool		carved[NPG];
	const char	*label[NPG];	/* early allocation, or NULL */
	vm_paddr_t	top[PHYSMEM_MAX_RANGES];
};
static struct model mo;

static void
model_mark(uint64_t base, uint64_t size, bool outward, int dom)
{
	uint64_t s, e, p;

	if (size == 0)
		return;
	if (outward) {
		s = base & ~PAGE_MASK;
		e = (base + size + PAGE_MASK) & ~PAGE_MASK;
	} else {
		s = (base + PAGE_MASK) & ~PAGE_MASK;
		e = (base + size) & ~PAGE_MASK;
	}
	for (p = s; p < e; p += PAGE_SIZE) {
		if (p < WIN || p >= WIN + NPG * PAGE_SIZE)
			continue;
		if (dom >= 0) {
			if (mo.ram[(p - WIN) >> PAGE_SHIFT] < 0)
				mo.ram[(p - WIN) >> PAGE_SHIFT] = dom;
		} else
			mo.carved[(p - WIN) >> PAGE_SHIFT] = true;
	}
}

/* The whole map against the model; returns false at the first mismatch. */
static bool
check_map(char *why, size_t whysz)
{
	bool present[MAXMEMDOM] = { false };
	int i, pg, d, n, want;
	vm_paddr_t pa;

	for (i = 0; i < physmem.nmanaged; i++) {
		const struct physmem_range *r = &physmem.managed[i];

		if ((r->start & PAGE_MASK) || (r->end & PAGE_MASK) ||
		    r->end <= r->start || (i > 0 && r->start <
		    physmem.managed[i - 1].end) || (i > 0 && r->start ==
		    physmem.managed[i - 1].end && r->domain ==
		    physmem.managed[i - 1].domain)) {
			snprintf(why, whysz, "managed[%d] misshapen", i);
			return (false);
		}
	}
	for (pg = 0; pg < NPG; pg++) {
		pa = WIN + (vm_paddr_t)pg * PAGE_SIZE;
		want = mo.ram[pg] >= 0 && !mo.carved[pg] ? mo.ram[pg] : -1;
		d = managed_domain(pa);
		if (d >= 0)
			d = physmem.fdt_domain[d];
		if (d != want) {
			snprintf(why, whysz, "page 0x%lx: domain %d, model %d",
			    (u_long)pa, d, want);
			return (false);
		}
		if (want >= 0)
			present[want] = true;
	}
	n = 0;
	for (i = 0; i < MAXMEMDOM; i++)
		if (present[i]) {
			if (physmem.fdt_domain[n] != i ||
			    physmem.domain_of_fdt[i] != n) {
				snprintf(why, whysz, "FDT id %d numbered wrong",
				    i);
				return (false);
			}
			n++;
		}
	if (n != physmem.ndomains) {
		snprintf(why, whysz, "ndomains %d, model %d", physmem.ndomains,
		    n);
		return (false);
	}
	for (i = 0; i < physmem.ncarves; i++) {
		const struct physmem_carve *c = &physmem.carves[i];

		for (pa = c->start; pa < c->end; pa += PAGE_SIZE) {
			pg = (int)((pa - WIN) >> PAGE_SHIFT);
			if (!mo.carved[pg] || mo.ram[pg] < 0 ||
			    physmem.domain_of_fdt[mo.ram[pg]] != c->domain) {
				snprintf(why, whysz, "carve %d at 0x%lx wrong",
				    i, (u_long)pa);
				return (false);
			}
		}
	}
	return (true);
}

/* Early records against the model's labels. */
static bool
check_early(char *why, size_t whysz)
{
	int i, pg, owners;
	vm_paddr_t pa;

	for (pg = 0; pg < NPG; pg++) {
		pa = WIN + (vm_paddr_t)pg * PAGE_SIZE;
		owners = 0;
		for (i = 0; i < physmem.nearly; i++) {
			const struct physmem_early *e = &physmem.early[i];

			if (pa < e->start || pa >= e->end)
				continue;
			owners++;
			if (mo.label[pg] == NULL ||
			    strcmp(mo.label[pg], e->what) != 0 ||
			    managed_domain(pa) != e->domain) {
				snprintf(why, whysz, "page 0x%lx: record %d "
				    "\"%s\" wrong", (u_long)pa, i, e->what);
				return (false);
			}
		}
		if (owners != (mo.label[pg] != NULL)) {
			snprintf(why, whysz, "page 0x%lx: %d records, model %s",
			    (u_long)pa, owners, mo.label[pg] ? "allocated" :
			    "free");
			return (false);
		}
	}
	return (true);
}

/* The model's early allocation: top-down bump per managed range. */
static vm_paddr_t
model_alloc(int domain, vm_size_t size, vm_size_t align)
{
	vm_paddr_t a;
	int d, i, lo, hi;

	if (size == 0 || (align & (align - 1)) != 0 ||
	    domain >= physmem.ndomains)
		return (0);
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	size = (size + PAGE_MASK) & ~PAGE_MASK;
	lo = domain < 0 ? 0 : domain;
	hi = domain < 0 ? physmem.ndomains - 1 : domain;
	for (d = lo; d <= hi; d++)
		for (i = physmem.nmanaged - 1; i >= 0; i--) {
			if (physmem.managed[i].domain != d ||
			    mo.top[i] - physmem.managed[i].start < size)
				continue;
			a = (mo.top[i] - size) & ~(align - 1);
			if (a < physmem.managed[i].start)
				continue;
			mo.top[i] = a;
			return (a);
		}
	return (0);
}

static void
test_random(int rounds)
{
	static const char *labels[] = { "pt", "vm_page", "tags", "boot" };
	char why[160];
	int r, i, k, nd, ids[4], err, steps, fails;
	vm_paddr_t got, want, fw0, fw1, im0, im1, fd0;
	vm_size_t fdsz, size, align;
	vm_offset_t probe;

	fails = 0;
	steps = 0;
	for (r = 0; r < rounds && fails == 0; r++) {
		m_reset();
		memset(&mo, 0, sizeof(mo));
		for (i = 0; i < NPG; i++)
			mo.ram[i] = -1;
		nd = 1 + (int)rnd(4);
		for (i = 0; i < nd; i++)
			ids[i] = (int)rnd(MAXMEMDOM);
		for (i = 0; i < MAXMEMDOM; i++)
			for (k = 0; k < MAXMEMDOM; k++)
				if (i != k)
					M.distance[i][k] = 12 + (uint32_t)rnd(30);
		/* RAM: 1..8 ranges, unaligned, sometimes overlapping. */
		k = 1 + (int)rnd(8);
		for (i = 0; i < k; i++) {
			uint64_t b = WIN + rnd(NPG * PAGE_SIZE);
			uint64_t s = rnd(NPG * PAGE_SIZE / 3) + 1;

			if (b + s > WIN + NPG * PAGE_SIZE)
				s = WIN + NPG * PAGE_SIZE - b;
			if (rnd(2))
				b &= ~PAGE_MASK;
			m_mem(b, s, ids[rnd((uint64_t)nd)]);
		}
		/* The model's RAM: ranges in sorted order, first wins. */
		{
			int order[FDT_MAX_MEM], j, t;

			for (i = 0; i < M.nmem; i++)
				order[i] = i;
			/* By page-rounded start; ties keep FDT order. */
			for (i = 1; i < M.nmem; i++)
				for (j = i; j > 0 &&
				    round_page(M.mem[order[j - 1]].base) >
				    round_page(M.mem[order[j]].base); j--) {
					t = order[j];
					order[j] = order[j - 1];
					order[j - 1] = t;
				}
			for (i = 0; i < M.nmem; i++)
				model_mark(M.mem[order[i]].base,
				    M.mem[order[i]].size, false,
				    M.mem[order[i]].domain);
		}
		k = (int)rnd(7);
		for (i = 0; i < k; i++) {
			uint64_t b = WIN - 4 * PAGE_SIZE +
			    rnd(NPG * PAGE_SIZE + 8 * PAGE_SIZE);
			uint64_t s = rnd(rnd(2) ? 5 * PAGE_SIZE :
			    NPG * PAGE_SIZE / 4);

			m_rsv(b, s, "r", rnd(2), rnd(2), rnd(3) == 0);
			model_mark(b, s, true, -1);
		}
		fw0 = fw1 = im0 = im1 = fd0 = 0;
		fdsz = 0;
		if (rnd(2)) {
			fw0 = WIN + rnd(NPG) * PAGE_SIZE;
			fw1 = fw0 + rnd(64 * PAGE_SIZE);
			model_mark(fw0, fw1 - fw0, true, -1);
		}
		if (rnd(2)) {
			im0 = WIN + rnd(NPG * PAGE_SIZE);
			im1 = im0 + rnd(100000);
			model_mark(im0, im1 - im0, true, -1);
		}
		if (rnd(2)) {
			fd0 = WIN + rnd(NPG * PAGE_SIZE);
			fdsz = rnd(20000);
			model_mark(fd0, fdsz, true, -1);
		}
		/* PHYS_TO_DMAP must mean the same before and after. */
		dmap_phys_base = WIN + rnd(16) * PAGE_SIZE;
		dmap_va_base = 0x100000000000UL + rnd(16) * PAGE_SIZE;
		probe = PHYS_TO_DMAP(WIN + 5 * PAGE_SIZE);
		err = physmem_init(&M, fw0, fw1, im0, im1, fd0, fdsz);
		{
			bool any = false;

			for (i = 0; i < NPG; i++)
				any |= mo.ram[i] >= 0 && !mo.carved[i];
			if (err != (any ? 0 : EINVAL)) {
				diag("round %d: physmem_init %d, model %s", r,
				    err, any ? "has RAM" : "has none");
				fails++;
				break;
			}
			if (!any)
				continue;
		}
		if (!check_map(why, sizeof(why)) ||
		    PHYS_TO_DMAP(WIN + 5 * PAGE_SIZE) != probe) {
			diag("round %d: after init: %s", r, why);
			fails++;
			break;
		}
		for (i = 0; i < physmem.nmanaged; i++)
			mo.top[i] = physmem.managed[i].end;
		/* Early allocations until the domains run dry. */
		for (k = 0; k < 200; k++) {
			int dom = (int)rnd((uint64_t)physmem.ndomains + 2) - 1;
			const char *lab = labels[rnd(4)];

			size = rnd(4) == 0 ? rnd(3 * PAGE_SIZE) :
			    (rnd(6) + 1) * PAGE_SIZE;
			align = rnd(5) == 0 ? rnd(3 * PAGE_SIZE) :
			    PAGE_SIZE << rnd(5);
			if (physmem.nearly >= PHYSMEM_MAX_EARLY - 1)
				break;
			want = model_alloc(dom, size, align);
			got = physmem_early_alloc(dom, size, align, lab);
			steps++;
			if (got != want) {
				diag("round %d step %d: alloc(%d, 0x%lx, 0x%lx) "
				    "= 0x%lx, model 0x%lx", r, k, dom,
				    (u_long)size, (u_long)align, (u_long)got,
				    (u_long)want);
				fails++;
				break;
			}
			if (got != 0) {
				vm_paddr_t pa;

				for (pa = got; pa < got + ((size + PAGE_MASK) &
				    ~PAGE_MASK); pa += PAGE_SIZE)
					mo.label[(pa - WIN) >> PAGE_SHIFT] = lab;
			}
			if (!check_early(why, sizeof(why))) {
				diag("round %d step %d: %s", r, k, why);
				fails++;
				break;
			}
		}
	}
	ok(fails == 0, "random_machines: %d machines, %d early allocations "
	    "match the page model", r, steps);
}

/* The FDT blob's carve becomes managed pages the early allocator owns. */
static void
test_adopt(void)
{
	vm_paddr_t fdt = RAM0 + 100 * MIB + 0x10;
	int err, i, n, found;

	m_reset();
	m_mem(RAM0, 128 * MIB, 0);
	err = physmem_init(&M, RAM0, RAM0 + 2 * MIB, 0, 0, fdt, 0x2000);
	n = physmem.nmanaged;
	ok(err == 0 && physmem_adopt(fdt, 0x2000, "FDT blob") == 0,
	    "adopt_fdt: the FDT carve is adopted");
	found = 0;
	for (i = 0; i < physmem.nmanaged; i++)
		if (physmem.managed[i].start == RAM0 + 100 * MIB &&
		    physmem.managed[i].end == RAM0 + 100 * MIB + 3 * PAGE_SIZE)
			found++;
	ok(found == 1 && physmem.nmanaged == n + 1 &&
	    count_carves(RAM0 + 100 * MIB, RAM0 + 100 * MIB + 3 * PAGE_SIZE,
	    "FDT blob") == 0, "adopt_fdt: its pages are a managed range, no "
	    "longer a carve");
	found = 0;
	for (i = 0; i < physmem.nearly; i++)
		if (physmem.early[i].start == RAM0 + 100 * MIB &&
		    physmem.early[i].end == RAM0 + 100 * MIB + 3 * PAGE_SIZE &&
		    strcmp(physmem.early[i].what, "FDT blob") == 0)
			found++;
	ok(found == 1, "adopt_fdt: recorded as an early allocation");
	ok(physmem_early_alloc(0, 128 * MIB - 2 * MIB - 3 * PAGE_SIZE + 1,
	    PAGE_SIZE, "x") == 0, "adopt_fdt: the early allocator never hands "
	    "the adopted pages out");
	ok(physmem_adopt(fdt, 0x2000, "FDT blob") == EINVAL &&
	    physmem_adopt(RAM0 + 50 * MIB, PAGE_SIZE, "x") == EINVAL,
	    "adopt_not_a_carve: EINVAL");

	/* A blob that shares a page with the image stays carved. */
	m_reset();
	m_mem(RAM0, 128 * MIB, 0);
	err = physmem_init(&M, 0, 0, RAM0 + 10 * MIB, RAM0 + 10 * MIB + 0x800,
	    RAM0 + 10 * MIB + 0x800, 0x1000);
	ok(err == 0 && physmem_adopt(RAM0 + 10 * MIB + 0x800, 0x1000,
	    "FDT blob") != 0, "adopt_shared_page: refused when the blob "
	    "shares a page with the image");
}

int
main(void)
{

	test_opensbi();
	test_adopt();
	test_domains();
	test_overflow();
	test_early();
	test_random(400);
	if (getenv("KMEM_VERBOSE") != NULL) {
		m_reset();
		m_mem(RAM0, 256 * MIB, 0);
		m_mem(RAM0 + 256 * MIB, 256 * MIB, 1);
		m_rsv(RAM0, 2 * MIB, "mmode_resv@80000000", true, false,
		    false);
		physmem_init(&M, RAM0, RAM0 + 2 * MIB, RAM0 + 2 * MIB,
		    RAM0 + 3 * MIB, RAM0 + 510 * MIB, 6000);
		physmem_early_alloc(1, 64 * 1024, PAGE_SIZE, "page tables");
		physmem_early_alloc(0, 2 * MIB, 2 * MIB, "vm_page array");
		physmem_print();
	}
	return (tap_done());
}
