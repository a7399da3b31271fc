/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vm_phys_check: the page allocator's consistency check and its
 * corrupt-list panics catch each kind of damage, and vm_phys_init answers
 * every bad physmem map as documented.
 *
 * The machine is the model's small one-domain shape (16 MiB, 4096 pages).
 * After boot its free lists are known (the test checks that first):
 *   order 0: 4092 4081   order 1: 4082   order 2: 4088 4084   order 3: 4064
 *   orders 5..11: 4032 3968 3840 3584 3072 2048 0 (0: a whole free chunk)
 *   allocated (early): 4072..4080 and 4093..4095
 * Each case damages one or two words, expects vm_phys_check() to fail
 * with the line that names the damage (or the allocator to panic saying
 * "corrupt lists"), puts the words back and expects the check to pass.
 * The domain-set iterators are checked on this one-domain machine and
 * before any domain exists.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/vm_phys.h>

#include "capture.h"
#include "expect_panic.h"
#include "tap.h"
#include "vm_phys_model.h"
#include "vm_phys_private.h"

static struct vmm V;
static char out[4096];
static struct vm_domain *vmd;
static struct vm_page *pg;

/* vm_phys_check() fails and prints want; then, repaired, it passes. */
static void
expect_check(const char *want, const char *what)
{
	bool caught;
	int error;

	capture_begin();
	error = vm_phys_check();
	capture_end(out, sizeof(out));
	caught = error == -1 && strstr(out, want) != NULL;
	ok(caught, "%s: caught (%s)", what, strtok(out, "\n") != NULL ? out :
	    "nothing printed");
}

static void
expect_clean(const char *what)
{

	ok(vm_phys_check() == 0, "%s: repaired, the check passes", what);
}

/* A free head's words: state (order + 1) and prev, a list link and flags. */
static void
set_head(u_long idx, int order, uint32_t prev, uint32_t next, uint32_t flags)
{

	pg[idx].vp_info = (prev << VPI_PREV_SHIFT) | (uint32_t)(order + 1);
	pg[idx].vp_next = next | flags;
}

static bool
layout_is_known(void)
{
	static const uint32_t heads[VM_NFREEORDER] = { 4092, 4082, 4088, 4064,
	    VM_PIDX_NONE, 4032, 3968, 3840, 3584, 3072, 2048, 0 };
	int o;

	if (vm_ndomains != 1 || vmd->vmd_npages != 4096)
		return (false);
	for (o = 0; o < VM_NFREEORDER; o++)
		if (vmd->vmd_freeq[o] != heads[o])
			return (false);
	return ((pg[4092].vp_next & VPN_LINK) == 4081 &&
	    (pg[4088].vp_next & VPN_LINK) == 4084 &&
	    (pg[4080].vp_next & (VPN_FREE | VPN_INNER)) == 0 &&
	    (pg[4093].vp_next & (VPN_FREE | VPN_INNER)) == 0 &&
	    (pg[4094].vp_next & (VPN_FREE | VPN_INNER)) == 0);
}

/* Save and restore the words of a few page structs and the counters. */
struct saved {
	struct vm_domain	dom;
	struct vm_page		p[6];
	u_long			idx[6];
	int			n;
};

static void
save(struct saved *s, int n, const u_long *idx)
{
	int i;

	s->dom = *vmd;
	s->n = n;
	for (i = 0; i < n; i++) {
		s->idx[i] = idx[i];
		s->p[i] = pg[idx[i]];
	}
}

static void
restore(const struct saved *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		pg[s->idx[i]] = s->p[i];
	memcpy(vmd->vmd_freeq, s->dom.vmd_freeq, sizeof(vmd->vmd_freeq));
	memcpy(vmd->vmd_nblocks, s->dom.vmd_nblocks,
	    sizeof(vmd->vmd_nblocks));
	vmd->vmd_nonempty = s->dom.vmd_nonempty;
	vmd->vmd_free = s->dom.vmd_free;
}

#define SAVE(s, ...) do {						\
	static const u_long ix_[] = { __VA_ARGS__ };			\
	save(s, (int)(sizeof(ix_) / sizeof(ix_[0])), ix_);		\
} while (0)

static void
check_finds_list_damage(void)
{
	struct saved s;

	SAVE(&s, 4064);
	vmd->vmd_freeq[3] = 5000;
	expect_check("order 3: index 5000 out of range", "a list head beyond "
	    "the domain");
	restore(&s);
	expect_clean("list head");

	pg[4064].vp_info = (pg[4064].vp_info & ~VPI_STATE) | 5;
	expect_check("order 3: block 0x", "a head whose state says another "
	    "order");
	restore(&s);

	SAVE(&s, 4084);
	pg[4084].vp_info = (pg[4084].vp_info & ((1U << VPI_PREV_SHIFT) - 1)) |
	    (4092U << VPI_PREV_SHIFT);
	expect_check("(prev expected 4088)", "a back link to the wrong block");
	restore(&s);

	SAVE(&s, 4064, 0);
	pg[4064].vp_next |= VPN_INNER;
	expect_check("order 3 has link flags", "a head also marked inner");
	restore(&s);
	pg[0].vp_next &= ~VPN_FREEMAX;
	expect_check("order 11 has link flags", "a free chunk without "
	    "VPN_FREEMAX");
	restore(&s);
	pg[0].vp_next |= VPN_INNER;
	expect_check("order 11 has link flags", "a free chunk also marked "
	    "inner");
	restore(&s);
	expect_clean("link flags");

	/* An odd page listed as an order-1 block (its buddy 4092 is free). */
	SAVE(&s, 4093, 4082);
	vmd->vmd_freeq[1] = 4093;
	set_head(4093, 1, VM_PIDX_NONE, VM_PIDX_NONE, VPN_FREE);
	expect_check("order 1 misaligned or outside its segment", "a "
	    "misaligned block");
	restore(&s);
	expect_clean("misaligned block");
}

static void
check_finds_block_damage(void)
{
	struct saved s;

	SAVE(&s, 4083, 0, 1);
	pg[4083].vp_info = 0;
	expect_check("inside free block 0x", "an inner page whose state says "
	    "allocated");
	restore(&s);
	pg[4083].vp_next = 0;
	expect_check("order 1 is not marked inner", "an inner page whose link "
	    "says allocated");
	restore(&s);
	/* The boot chunk's inner structs hold junk: they may not claim OK. */
	pg[1].vp_info = 0;
	pg[0].vp_next |= VPN_INNER_OK;
	expect_check("order 11 is not marked inner", "a free chunk that "
	    "claims written inner structs it does not have");
	restore(&s);
	expect_clean("inner pages");

	SAVE(&s, 4080);
	set_head(4080, 0, VM_PIDX_NONE, VM_PIDX_NONE, VPN_FREE);
	expect_check("of order 0 not merged", "two free buddies not merged");
	restore(&s);

	SAVE(&s, 4064);
	vmd->vmd_nblocks[2]++;
	expect_check("order 2: 2 blocks listed, counter says 3", "a block "
	    "counter off by one");
	restore(&s);
	vmd->vmd_nonempty |= 1U << 4;
	expect_check("order 4: non-empty bit wrong", "a non-empty bit for an "
	    "empty list");
	restore(&s);
	vmd->vmd_free++;
	expect_check("pages listed, counter says", "a free counter off by one");
	restore(&s);
	expect_clean("counters");
}

/* Pass 2: pages that look free but are on no list. */
static void
check_finds_stray_pages(void)
{
	struct saved s;

	SAVE(&s, 4093, 4094);
	pg[4093].vp_next = VPN_INNER;
	expect_check("has state 15 where a free block", "an allocated page "
	    "marked inner");
	restore(&s);
	set_head(4093, 1, VM_PIDX_NONE, VM_PIDX_NONE, VPN_FREE);
	expect_check("has state 2 where a free block", "an unlisted head at "
	    "an odd page");
	restore(&s);
	set_head(4093, 11, VM_PIDX_NONE, VM_PIDX_NONE, VPN_FREE);
	expect_check("has state 12 where a free block", "an unlisted head of "
	    "the largest order outside a free chunk");
	restore(&s);
	set_head(4094, 0, VM_PIDX_NONE, VM_PIDX_NONE, VPN_FREE);
	expect_check("order 0: 3 free blocks in memory order, 2 listed",
	    "an unlisted free page");
	restore(&s);
	expect_clean("stray pages");

	vm_pcpu[1].pc_dom[0].pc_count = 1;
	vm_pcpu[1].pc_dom[0].pc_head = 4092;
	expect_check("cpu 1 cache entry 0 (index 4092) is not a cached page",
	    "a free page in a hart's cache");
	vm_pcpu[1].pc_dom[0].pc_head = 5000;
	expect_check("(index 5000) is not a cached page", "a cache entry "
	    "beyond the domain");
	vm_pcpu[1].pc_dom[0].pc_count = 0;
	expect_clean("caches");
}

/* The allocator's own checks: a panic naming the damage, nothing changed. */
static void
alloc_order0(void *arg)
{
	bool zero;

	(void)arg;
	(void)vm_phys_alloc_block(vmd, 0, &zero);
}

/* A run the single-block search cannot place: the stretch scan runs. */
struct run_args {
	u_long	n, lo, hi;
};

static void
alloc_run(void *arg)
{
	struct run_args *a = arg;
	u_long spfn = vm_phys_segs[0].spfn;

	(void)vm_phys_alloc_run(vmd, a->n, spfn + a->lo, spfn + a->hi, 1, 0);
}

/* Damage to the stretch scan: page idx marked inner (state 0) or state. */
static const struct stretch_case {
	u_long		idx;
	uint32_t	state;
	struct run_args	run;
	const char	*fn, *want, *what;
} stretch[] = {
	{ 4084, 0, { 12, 4081, 4093 }, "vm_phys_head_at", "after a free block "
	    "is inside another one", "a run over [4081, 4093) that meets a "
	    "page marked inner where a block must start" },
	{ 4088, 2, { 12, 4081, 4093 }, "vm_phys_block_of", "0x80ffb000 is "
	    "inside a free block but no free block holds it", "inner page "
	    "4091 whose head 4088 says order 1" },
	{ 2048, 0, { 2, 3071, 3073 }, "vm_phys_block_of", "0x80bff000 is "
	    "inside a free block", "inner page 3071 whose head 2048 is marked "
	    "inner too (no head below its chunk)" },
};

static void
free_idx(void *arg)
{

	vm_phys_free_page(vmd, *(u_long *)arg, false);
}

static bool
panics_locked(void (*fn)(void *), void *arg, const char *w1, const char *w2,
    const char *w3)
{
	bool p;

	kmem_spin_lock(&vmd->vmd_lock);
	p = panics(fn, arg, w1, w2, w3);
	/* The panic left the domain lock held. */
	if (kmem_spin_owned(&vmd->vmd_lock))
		kmem_spin_unlock(&vmd->vmd_lock);
	return (p);
}

static void
allocator_panics_on_damage(void)
{
	struct saved s;
	u_long idx;
	size_t i;

	SAVE(&s, 4092, 4094);
	pg[4092].vp_info = (pg[4092].vp_info & ~VPI_STATE) | 3;
	ok(panics_locked(alloc_order0, NULL, "vm_phys_take_block",
	    "order-0 list has state 3", "corrupt lists"), "taking a listed block whose state "
	    "says another order panics: %s", panic_msg);
	restore(&s);
	pg[4092].vp_next &= ~VPN_FREE;
	ok(panics_locked(alloc_order0, NULL, "vm_phys_take_block",
	    "order-0 list has state 1", "corrupt lists"), "taking a listed "
	    "block not marked free panics: %s", panic_msg);
	restore(&s);
	pg[4092].vp_info = (pg[4092].vp_info & ~VPI_STATE) | 3;
	idx = 4093;
	ok(panics_locked(free_idx, &idx, "vm_phys_free_block",
	    "of a freed order-0 block has link flags 0x8000000, state 3",
	    "corrupt lists"),
	    "freeing a page whose free buddy claims a larger order panics: %s",
	    panic_msg);
	restore(&s);
	pg[4094].vp_next = VPN_INNER;
	idx = 4095;
	ok(panics_locked(free_idx, &idx, "vm_phys_free_block",
	    "has link flags 0x10000000", "corrupt lists"), "freeing a page whose buddy is "
	    "marked inner (no free block holds it) panics: %s", panic_msg);
	restore(&s);
	idx = 5000;
	ok(panics_locked(free_idx, &idx, "vm_phys_free_page", "index 5000 "
	    "outside the domain's segments", NULL), "freeing an index beyond the domain panics: %s", panic_msg);

	for (i = 0; i < sizeof(stretch) / sizeof(stretch[0]); i++) {
		const struct stretch_case *c = &stretch[i];

		SAVE(&s, 4084, 4088, 2048);
		if (c->state == 0)
			pg[c->idx].vp_next = VPN_INNER;
		else
			pg[c->idx].vp_info = (pg[c->idx].vp_info & ~VPI_STATE) |
			    c->state;
		ok(panics_locked(alloc_run, (void *)&c->run, c->fn, c->want,
		    "corrupt lists"), "%s panics: %s", c->what, panic_msg);
		restore(&s);
	}
	ok(vm_phys_check() == 0 && vm_domain_free_count(0) == V.nfree[0],
	    "the panics changed nothing (%u free)", vm_domain_free_count(0));
}

/* ------------------------------------------------------- vm_phys_init */

/* physmem as physmem_init makes it for the machine, vm_phys forgotten. */
static void
fresh_map(void)
{

	vm_phys_reset_for_test();
	(void)physmem_init(&V.fm, 0, 0, 0, 0, 0, 0);
}

static int
init_quiet(void)
{
	int error;

	capture_begin();
	error = vm_phys_init();
	capture_end(out, sizeof(out));
	return (error);
}

static void
init_answers_bad_maps(void)
{
	struct vm_phys_stats st;
	struct physmem_range r0;
	struct vm_domainset_iter di;
	vm_paddr_t base;
	u_long total;
	int i, domain, flags;

	ok(vm_phys_init() == EBUSY, "vm_phys_init twice: EBUSY");
	flags = M_NOWAIT;

	fresh_map();
	domainset_init();
	vm_domainset_iter_policy_init(&di, DOMAINSET_RR(), &domain, &flags);
	ok(vm_domainset_first(DOMAINSET_RR()) == -1 && domain == -1 &&
	    vm_domainset_iter_policy(&di, &domain) == ENOMEM, "no domain yet: "
	    "round-robin has no first domain and iterates to ENOMEM");
	vm_phys_stats(&st);
	ok(st.ndomains == 0 && st.nsegs == 0 && st.meta_bytes == 0 &&
	    st.meta_milli_per_page == 0, "stats before vm_phys_init: empty");
	ok(vm_phys_free_blocks(0, 0, NULL, 0) == 0, "no free blocks before "
	    "vm_phys_init");
	physmem.nmanaged = 0;
	ok(init_quiet() == EINVAL, "no managed range: EINVAL");
	fresh_map();
	physmem.ndomains = 0;
	ok(init_quiet() == EINVAL, "no domain: EINVAL");
	fresh_map();
	physmem.ndomains = MAXMEMDOM + 1;
	ok(init_quiet() == E2BIG, "more domains than MAXMEMDOM: E2BIG");
	fresh_map();
	physmem.nmanaged = VM_PHYS_MAX_SEGS + 1;
	ok(init_quiet() == E2BIG, "more ranges than segments: E2BIG");

	/* Ranges that are empty or name no domain are no segments. */
	fresh_map();
	r0 = physmem.managed[0];
	physmem.managed[0].end = physmem.managed[0].start;
	ok(init_quiet() == EINVAL && vm_ndomains == 0, "only an empty range: "
	    "EINVAL, nothing set up");
	fresh_map();
	physmem.managed[0].domain = -1;
	ok(init_quiet() == EINVAL, "only a range of domain -1: EINVAL");
	fresh_map();
	physmem.managed[0].domain = 1;
	ok(init_quiet() == EINVAL, "only a range of a domain that does not "
	    "exist: EINVAL");

	/* 2^27 pages in one domain do not fit a 27-bit index. */
	fresh_map();
	physmem.managed[0].end = physmem.managed[0].start +
	    ptoa((vm_paddr_t)VM_PIDX_NONE);
	ok(init_quiet() == E2BIG && vm_phys_nsegs == 0, "2^27 - 1 pages in a "
	    "domain: E2BIG");

	/* No room left for the page structs. */
	fresh_map();
	(void)physmem_early_alloc(0, r0.end - r0.start - PAGE_SIZE, PAGE_SIZE,
	    "test: all but a page");
	ok(init_quiet() == ENOMEM && strstr(out, "domain 0 cannot hold its "
	    "page metadata (32768 bytes)") != NULL && vm_phys_nsegs == 0,
	    "no room for the metadata: ENOMEM, and a line that says so");

	/*
	 * Domains out of address order, two adjacent ranges of one domain
	 * (one lookup entry), and a second domain with no range at all.
	 */
	fresh_map();
	base = r0.start;
	physmem.nmanaged = 4;
	physmem.managed[0] = (struct physmem_range){ base, base + 4 * VM_MIB,
	    1 };
	physmem.managed[1] = (struct physmem_range){ base + 4 * VM_MIB,
	    base + 6 * VM_MIB, 0 };
	physmem.managed[2] = (struct physmem_range){ base + 6 * VM_MIB,
	    base + 8 * VM_MIB, 0 };
	physmem.managed[3] = (struct physmem_range){ base + 8 * VM_MIB,
	    base + 16 * VM_MIB, 1 };
	physmem.ndomains = 3;
	for (i = 0; i < 4; i++)
		physmem.early_top[i] = physmem.managed[i].end;
	ok(init_quiet() == 0 && vm_ndomains == 3 && vm_phys_nsegs == 4,
	    "ranges of domains 1, 0, 0, 1 and an empty domain 2: ready");
	ok(vm_phys_segs[0].domain == 0 && vm_phys_segs[1].domain == 0 &&
	    vm_phys_segs[0].start == base + 4 * VM_MIB &&
	    vm_phys_segs[2].start == base && vm_phys_segs[3].domain == 1,
	    "segments sorted by domain, then address");
	ok(vm_page_segtab[0].ps_size == 4 * VM_MIB &&
	    vm_page_segtab[0].ps_domain == 0 && vm_page_segtab[3].ps_size == 0,
	    "the two adjacent ranges of domain 0 make one lookup entry");
	ok(vm_phys_domain(base) == 1 && vm_phys_domain(base + 5 * VM_MIB) ==
	    0 && vm_phys_domain(base + 7 * VM_MIB) == 0 &&
	    vm_phys_domain(base + 9 * VM_MIB) == 1, "each address in its "
	    "domain");
	total = vm_domain_free_count(0) + vm_domain_free_count(1);
	ok(vm_domain_free_count(2) == 0 && vm_dom[2].vmd_pages == NULL &&
	    total > 4000 && total < 4096 && vm_phys_check() == 0, "domain 2 "
	    "has no pages and no metadata; the others hold the memory (%lu "
	    "free) and check clean", total);
	vm_phys_stats(&st);
	ok(st.segs[0].free + st.segs[1].free + st.segs[2].free +
	    st.segs[3].free == total, "stats: the segments' free pages add up "
	    "to the free count");
}

static void
interleave_one_domain(void)
{
	struct vm_domainset_iter di;
	int d0, d1, req;

	req = VM_ALLOC_WAITOK;
	vm_domainset_iter_page_init(&di, DOMAINSET_IL(), 0, &d0, &req);
	vm_domainset_iter_page_init(&di, DOMAINSET_IL(), 12345 << 9, &d1,
	    &req);
	ok(d0 == 0 && d1 == 0 && (req & VM_ALLOC_NOWAIT) != 0, "interleave "
	    "over one domain: every stripe in domain 0, each try NOWAIT");
}

static void
free_blocks_bad_args(void)
{
	vm_paddr_t pa[4];

	ok(vm_phys_free_blocks(-1, 0, pa, 4) == 0 &&
	    vm_phys_free_blocks(vm_ndomains, 0, pa, 4) == 0 &&
	    vm_phys_free_blocks(0, -1, pa, 4) == 0 &&
	    vm_phys_free_blocks(0, VM_NFREEORDER, pa, 4) == 0,
	    "vm_phys_free_blocks of a domain or order that does not exist: 0");
	ok(vm_phys_free_blocks(0, 2, pa, 1) == 2 && pa[0] ==
	    ptoa(vm_phys_segs[0].spfn + 4088), "order 2: two blocks, the "
	    "first one given (max 1)");
}

int
main(void)
{

	host_thread_register();
	ok(vmm_boot_small(&V, 0, 1), "boot the small machine: %s", V.err);
	vmd = &vm_dom[0];
	pg = vmd->vmd_pages;
	if (!ok(layout_is_known(), "the free lists after boot are as this "
	    "test expects"))
		return (tap_done());
	ok(vm_phys_check() == 0, "a fresh boot checks clean");
	free_blocks_bad_args();
	interleave_one_domain();
	check_finds_list_damage();
	check_finds_block_damage();
	check_finds_stray_pages();
	allocator_panics_on_damage();
	init_answers_bad_maps();
	return (tap_done());
}
