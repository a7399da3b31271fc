/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vm_map: libFuzzer drives a kernel submap against a page-by-page
 * model of its entries.
 *
 * The host twin boots once and carves a 4 MiB submap (2 MiB aligned).
 * Each input, two bytes per choice (a generator seeded by the input goes
 * on when they run out: FZ_MIN_STEPS operations more than the input
 * holds, at most FZ_MAX_STEPS), inserts exact ranges
 * (vm_map_insert, also unaligned, empty, outside the map or overlapping),
 * finds space (vm_map_find with VMFS_NO_SPACE / ANY / SUPER and a limit,
 * vm_map_findspace), deletes ranges that split, cover or miss entries, and
 * asks vm_map_range_is_entry.  Each answer is compared with the model's,
 * and after every operation the map's entry count and size must be the
 * model's (kept up to date from the pages that changed) and every model
 * entry that touches a changed page must be exactly one map entry; at the
 * end of each input every model entry is checked, then the map is
 * emptied.  Any disagreement aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "fuzz_input.h"

#define FZ_MIN_STEPS	64
#define FZ_MAX_STEPS	400
#define FZ_PAGES	1024		/* 4 MiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fdt_machine M;
static struct vm_map map;
static vm_offset_t lo;
static uint16_t own[FZ_PAGES];		/* entry id per page, 0: free */
static uint16_t nid;
static long m_nent, m_pages;		/* the model's entries and pages */
static long chg_s, chg_e;		/* pages this step changed */

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_vm_map: " __VA_ARGS__);			\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

static struct fz_input F;

static u_long
r16(void)
{

	return ((u_long)fz_next(&F, 2) & 0xffff);
}

/* The model's lowest free run of n pages at or after page p, aligned. */
static long
m_find(long p, long n, long align)
{
	long s, i;

	if (p < 0)
		p = 0;
	for (s = (p + align - 1) / align * align; s + n <= FZ_PAGES;) {
		for (i = 0; i < n && own[s + i] == 0; i++)
			;
		if (i == n)
			return (s);
		/* Page s + i is taken: the next candidate starts after it. */
		s = (s + i + align) / align * align;
	}
	return (-1);
}

static bool
m_free(long s, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (own[s + i] != 0)
			return (false);
	return (true);
}

/* Model entries: maximal runs of one id.  Is [p, e) one map entry? */
static void
check_entry(long p, long e)
{

	vm_map_lock(&map);
	if (!vm_map_range_is_entry(&map, lo + ptoa(p), lo + ptoa(e)))
		FAIL("model entry [%ld, %ld) is not one map entry", p, e);
	vm_map_unlock(&map);
}

static void
check_counts(void)
{

	if (map.nentries != m_nent || map.size != (vm_size_t)ptoa(m_pages))
		FAIL("map has %d entries / %lu bytes, model %ld / %lu",
		    map.nentries, (u_long)map.size, m_nent,
		    (u_long)ptoa(m_pages));
}

/* Every model entry is one map entry, and the counts agree (O(pages)). */
static void
check(void)
{
	long p, s, nent, pages;

	nent = pages = 0;
	for (p = 0; p < FZ_PAGES; p = s) {
		for (s = p + 1; s < FZ_PAGES && own[s] == own[p]; s++)
			;
		if (own[p] == 0)
			continue;
		nent++;
		pages += s - p;
		check_entry(p, s);
	}
	if (nent != m_nent || pages != m_pages)
		FAIL("model counts %ld entries / %ld pages, pages say %ld / %ld",
		    m_nent, m_pages, nent, pages);
	check_counts();
}

/* Entries starting in [p, e) and pages taken there: sign -1 before a
   change of [p, e), +1 after, so that m_nent and m_pages follow it. */
static void
m_count(long p, long e, long sign)
{

	for (; p < e; p++) {
		if (own[p] == 0)
			continue;
		m_pages += sign;
		if (p == 0 || own[p - 1] != own[p])
			m_nent += sign;
	}
}

static void
m_take(long s, long n)
{
	long i, e;

	e = s + n < FZ_PAGES ? s + n + 1 : FZ_PAGES;
	m_count(s, e, -1);
	nid++;			/* fresh: at most FZ_MAX_STEPS per input */
	for (i = 0; i < n; i++)
		own[s + i] = nid;
	m_count(s, e, 1);
	chg_s = s;
	chg_e = s + n;
}

/* Pages [s, e) changed: counts and the entries touching them. */
static void
check_changed(long s, long e)
{
	long p, q;

	check_counts();
	p = s > 0 ? s - 1 : 0;
	e = e < FZ_PAGES ? e + 1 : FZ_PAGES;
	while (p < e) {
		if (own[p] == 0) {
			p++;
			continue;
		}
		for (q = p; q > 0 && own[q - 1] == own[p]; q--)
			;
		for (p++; p < FZ_PAGES && own[p] == own[q]; p++)
			;
		check_entry(q, p);
	}
}

/* An address around the map: mostly inside, sometimes out or unaligned. */
static vm_offset_t
addr(u_long w)
{
	vm_offset_t a;

	a = lo + ptoa((long)(w % (FZ_PAGES + 64)) - 32);
	if (w >> 14 == 3)
		a += 8;			/* unaligned */
	return (a);
}

static void
step(void)
{
	u_long op, w1, w2;
	vm_offset_t a, b, got;
	long s, e, n, ms, mn;
	int rv, want, fs;

	chg_s = -1;
	op = r16();
	w1 = r16();
	w2 = r16();
	a = addr(w1);
	n = 1 + (long)(w2 % ((op >> 8) % 4 == 0 ? 700 : 24));
	b = a + ptoa(n);
	ms = ((long)a - (long)lo) >> PAGE_SHIFT;
	switch (op % 6) {
	case 0:			/* exact insert */
		if ((op >> 4) % 16 == 0)
			b = a;	/* empty */
		want = (a & PAGE_MASK) == 0 && a < b && a >= lo &&
		    b <= lo + ptoa(FZ_PAGES) && m_free(ms, n) ? KERN_SUCCESS :
		    KERN_NO_SPACE;
		vm_map_lock(&map);
		rv = vm_map_insert(&map, NULL, 0, a, b, VM_PROT_RW, VM_PROT_RW,
		    MAP_NOFAULT);
		vm_map_unlock(&map);
		if (rv != want)
			FAIL("insert [0x%lx, 0x%lx): %d, model %d", a, b, rv,
			    want);
		if (rv == KERN_SUCCESS)
			m_take(ms, n);
		break;
	case 1: case 2:		/* find space */
		fs = (int)((op >> 4) % 3);
		if (fs == VMFS_NO_SPACE) {
			got = a;
			want = (a & PAGE_MASK) == 0 && a >= lo &&
			    b <= lo + ptoa(FZ_PAGES) && m_free(ms, n) ?
			    KERN_SUCCESS : KERN_NO_SPACE;
			mn = ms;
		} else {
			got = a < lo ? lo : a;
			mn = m_find(((long)got - (long)lo + PAGE_SIZE - 1) >>
			    PAGE_SHIFT, n, fs == VMFS_SUPER_SPACE ?
			    (long)atop(L2_SIZE) : 1);
			want = mn >= 0 ? KERN_SUCCESS : KERN_NO_SPACE;
			if (a > lo + ptoa(FZ_PAGES))
				want = KERN_NO_SPACE, mn = -1;
		}
		rv = vm_map_find(&map, NULL, 0, &got, ptoa(n), 0, fs,
		    VM_PROT_RW, VM_PROT_RW, MAP_NOFAULT);
		if (rv != want || (rv == KERN_SUCCESS && got != lo + ptoa(mn)))
			FAIL("find(%d) from 0x%lx n %ld: %d at 0x%lx, model %d "
			    "at page %ld", fs, a, n, rv, got, want, mn);
		if (rv == KERN_SUCCESS)
			m_take(mn, n);
		break;
	case 3:			/* findspace */
		if (a < lo || (a & PAGE_MASK) != 0)
			break;
		vm_map_lock(&map);
		got = vm_map_findspace(&map, a, ptoa(n));
		vm_map_unlock(&map);
		mn = a >= lo + ptoa(FZ_PAGES) ? -1 : m_find(ms, n, 1);
		if ((mn < 0) != (got + ptoa(n) > lo + ptoa(FZ_PAGES)) ||
		    (mn >= 0 && got != lo + ptoa(mn)))
			FAIL("findspace 0x%lx n %ld: 0x%lx, model page %ld", a,
			    n, got, mn);
		break;
	case 4:			/* delete */
		if ((a & PAGE_MASK) != 0)
			break;
		vm_map_lock(&map);
		rv = vm_map_delete(&map, a, b);
		vm_map_unlock(&map);
		want = a >= lo && b <= lo + ptoa(FZ_PAGES) ? KERN_SUCCESS :
		    KERN_INVALID_ADDRESS;
		if (rv != want)
			FAIL("delete [0x%lx, 0x%lx): %d, model %d", a, b, rv,
			    want);
		if (rv == KERN_SUCCESS) {
			e = ms + n < FZ_PAGES ? ms + n + 1 : FZ_PAGES;
			m_count(ms, e, -1);
			/* Split pieces keep distinct ids: renumber both ends. */
			for (s = ms; s < ms + n; s++)
				own[s] = 0;
			m_count(ms, e, 1);
			chg_s = ms;
			chg_e = ms + n;
			if (ms > 0 && own[ms - 1] != 0) {
				uint16_t old = own[ms - 1];
				nid++;
				for (s = ms - 1; s >= 0 && own[s] == old; s--)
					own[s] = nid;
			}
		}
		break;
	default:		/* is [a, b) one entry? */
		if (a < lo || b > lo + ptoa(FZ_PAGES) || (a & PAGE_MASK) != 0)
			break;
		vm_map_lock(&map);
		rv = vm_map_range_is_entry(&map, a, b);
		vm_map_unlock(&map);
		want = own[ms] != 0 && (ms == 0 || own[ms - 1] != own[ms]) &&
		    own[ms + n - 1] == own[ms] && (ms + n == FZ_PAGES ||
		    own[ms + n] != own[ms]);
		for (s = ms; want && s < ms + n; s++)
			want = own[s] == own[ms];
		if (rv != want)
			FAIL("range_is_entry [0x%lx, 0x%lx): %d, model %d", a,
			    b, rv, want);
		break;
	}
	if (chg_s >= 0)
		check_changed(chg_s, chg_e);
	else
		check_counts();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32UL << 20, .ncpus = 1,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t min, max;
	size_t s, steps;

	if (lo == 0) {
		host_machine_init(&cfg, &M);
		host_thread_register();
		if (kmem_startup(&bi) != 0)
			FAIL("kmem_startup failed");
		kmem_subinit(&map, kernel_map, &min, &max, ptoa(FZ_PAGES),
		    true);
		lo = min;
	}
	fz_init(&F, data, size);
	nid = 0;
	steps = FZ_MIN_STEPS + size / 6;
	for (s = 0; s < steps && s < FZ_MAX_STEPS; s++)
		step();
	check();
	vm_map_lock(&map);
	if (vm_map_delete(&map, lo, lo + ptoa(FZ_PAGES)) != KERN_SUCCESS)
		FAIL("emptying the map failed");
	vm_map_unlock(&map);
	memset(own, 0, sizeof(own));
	m_nent = m_pages = 0;
	check();
	return (0);
}
