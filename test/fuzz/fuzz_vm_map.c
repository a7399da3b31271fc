/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vm_map: libFuzzer drives a kernel submap against a page-by-page
 * model of its entries.
 *
 * The host twin boots once and carves a 4 MiB submap (2 MiB aligned).
 * Each input, two bytes per choice (a generator seeded by the input goes
 * on when they run out, up to FZ_STEPS operations), inserts exact ranges
 * (vm_map_insert, also unaligned, empty, outside the map or overlapping),
 * finds space (vm_map_find with VMFS_NO_SPACE / ANY / SUPER and a limit,
 * vm_map_findspace), deletes ranges that split, cover or miss entries, and
 * asks vm_map_range_is_entry.  Each answer is compared with the model's,
 * and after every operation the map's entry count and size must be the
 * model's and every model entry must be exactly one map entry.  The map
 * is emptied at the end of each input.  Any disagreement aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "fuzz_input.h"

#define FZ_STEPS	400
#define FZ_PAGES	1024		/* 4 MiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fdt_machine M;
static struct vm_map map;
static vm_offset_t lo;
static uint16_t own[FZ_PAGES];		/* entry id per page, 0: free */
static uint16_t nid;

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
	for (s = (p + align - 1) / align * align; s + n <= FZ_PAGES;
	    s += align) {
		for (i = 0; i < n && own[s + i] == 0; i++)
			;
		if (i == n)
			return (s);
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

static void
m_take(long s, long n)
{
	long i;

	nid = nid == 0xffff ? 1 : nid + 1;
	for (i = 0; i < n; i++)
		own[s + i] = nid;
}

/* Model entries: maximal runs of one id. */
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
		vm_map_lock(&map);
		if (!vm_map_range_is_entry(&map, lo + ptoa(p), lo + ptoa(s)))
			FAIL("model entry [%ld, %ld) is not one map entry", p,
			    s);
		vm_map_unlock(&map);
	}
	if (map.nentries != nent || map.size != (vm_size_t)ptoa(pages))
		FAIL("map has %d entries / %lu bytes, model %ld / %lu",
		    map.nentries, (u_long)map.size, nent,
		    (u_long)ptoa(pages));
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
	long s, n, ms, mn;
	int rv, want, fs;

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
			/* Split pieces keep distinct ids: renumber both ends. */
			for (s = ms; s < ms + n; s++)
				own[s] = 0;
			if (ms > 0 && own[ms - 1] != 0) {
				uint16_t old = own[ms - 1];
				nid = nid == 0xffff ? 1 : nid + 1;
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
	check();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32UL << 20, .ncpus = 1,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t min, max;
	int s;

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
	for (s = 0; s < FZ_STEPS; s++)
		step();
	vm_map_lock(&map);
	if (vm_map_delete(&map, lo, lo + ptoa(FZ_PAGES)) != KERN_SUCCESS)
		FAIL("emptying the map failed");
	vm_map_unlock(&map);
	memset(own, 0, sizeof(own));
	check();
	return (0);
}
