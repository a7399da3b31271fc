/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem_check.c: looking at arenas without changing them: the consistency
 * checker tests run after every step, the segment walk, the console
 * dumps and the statistics.  Every function takes the arena lock.
 */
#include <stdio.h>
#include <string.h>

#include "kmem_private.h"
#include "vmem_private.h"

/* ------------------------------------------------------------ dumps */

static const char *
bt_type_name(int type)
{

	switch (type) {
	case BT_TYPE_SPAN:
		return ("span (imported)");
	case BT_TYPE_SPAN_STATIC:
		return ("span (static)");
	case BT_TYPE_FREE:
		return ("free");
	case BT_TYPE_BUSY:
		return ("busy");
	default:
		return ("BOGUS");
	}
}

void
vmem_print(vmem_t *vm)
{
	struct vmem_btag *bt;

	kmem_spin_lock(&vm->vm_lock);
	kmem_printf("vmem %p \"%s\": quantum 0x%lx, size 0x%lx, in use 0x%lx, "
	    "free 0x%lx\n", (void *)vm, vm->vm_name,
	    (u_long)vm->vm_quantum_mask + 1, (u_long)vm->vm_size,
	    (u_long)vm->vm_inuse, (u_long)(vm->vm_size - vm->vm_inuse));
	kmem_printf("  busy segments %lu, hash buckets %lu, cached tags %u, "
	    "qcache_max 0x%lx, import %s, limit 0x%lx, waiters %u\n",
	    (u_long)vm->vm_nbusytag, (u_long)vm->vm_hashsize,
	    vm->vm_nfreetags, (u_long)vm->vm_qcache_max,
	    vm->vm_importfn != NULL ? "yes" : "no", (u_long)vm->vm_limit,
	    vm->vm_nwaiters);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		kmem_printf("  %s0x%016lx-0x%016lx (0x%lx) %s\n",
		    bt->bt_type <= BT_TYPE_SPAN_STATIC ? "" : "  ",
		    (u_long)bt->bt_start, (u_long)BT_END(bt),
		    (u_long)bt->bt_size, bt_type_name(bt->bt_type));
	kmem_spin_unlock(&vm->vm_lock);
}

void
vmem_printall(void)
{
	vmem_t *vm;

	kmem_spin_lock(&vmem_list_lock);
	for (vm = vmem_list; vm != NULL; vm = vm->vm_next)
		vmem_print(vm);
	kmem_spin_unlock(&vmem_list_lock);
}

void
vmem_foreach(void (*fn)(vmem_t *, void *), void *arg)
{
	vmem_t *vm;

	kmem_spin_lock(&vmem_list_lock);
	for (vm = vmem_list; vm != NULL; vm = vm->vm_next)
		fn(vm, arg);
	kmem_spin_unlock(&vmem_list_lock);
}

/* ------------------------------------------------------------ checks */

void
vmem_walk(vmem_t *vm, void (*fn)(void *, int, vmem_addr_t, vmem_size_t),
    void *arg)
{
	struct vmem_btag *bt;

	kmem_spin_lock(&vm->vm_lock);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		fn(arg, bt->bt_type, bt->bt_start, bt->bt_size);
	kmem_spin_unlock(&vm->vm_lock);
}

#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		snprintf(why, whylen, __VA_ARGS__);			\
		goto bad;						\
	}								\
} while (0)

int
vmem_check(vmem_t *vm, char *why, size_t whylen)
{
	struct vmem_btag *bt, *sp, *t, **spp;
	struct vmem_qleaf *l;
	vmem_size_t nbusy, inuse, size, nfree, nhash, nround, i;
	vmem_round_t *e;
	vmem_addr_t next;
	u_int fl;
	bool in_span, stale_seen;

	kmem_spin_lock(&vm->vm_lock);
	stale_seen = false;
	nbusy = inuse = size = nfree = nround = 0;
	sp = NULL;
	spp = &vm->vm_spans;
	next = 0;
	in_span = false;
	CHECK(vm->vm_seghead == NULL || vm->vm_seghead->bt_sprev == NULL,
	    "head has a prev");
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext) {
		CHECK(bt->bt_snext == NULL || bt->bt_snext->bt_sprev == bt,
		    "broken seg links at 0x%lx", (u_long)bt->bt_start);
		CHECK(bt->bt_snext != NULL || vm->vm_segtail == bt,
		    "tail mismatch");
		CHECK(bt->bt_size != 0 && (bt->bt_size & vm->vm_quantum_mask)
		    == 0 && (bt->bt_start & vm->vm_quantum_mask) == 0,
		    "bad segment 0x%lx+0x%lx", (u_long)bt->bt_start,
		    (u_long)bt->bt_size);
		if (bt->bt_type == BT_TYPE_SPAN ||
		    bt->bt_type == BT_TYPE_SPAN_STATIC) {
			CHECK(!in_span || next == sp->bt_start + sp->bt_size,
			    "span 0x%lx not tiled", (u_long)sp->bt_start);
			CHECK(sp == NULL || bt->bt_start > BT_END(sp),
			    "spans out of order at 0x%lx",
			    (u_long)bt->bt_start);
			CHECK(*spp == bt && bt->bt_lpprev == spp,
			    "span list mismatch at 0x%lx",
			    (u_long)bt->bt_start);
			spp = &bt->bt_lnext;
			sp = bt;
			size += bt->bt_size;
			next = bt->bt_start;
			in_span = true;
			continue;
		}
		CHECK(sp != NULL, "segment before any span");
		CHECK(bt->bt_start == next, "gap or overlap at 0x%lx "
		    "(expected 0x%lx)", (u_long)bt->bt_start, (u_long)next);
		CHECK(BT_END(bt) <= BT_END(sp), "segment 0x%lx past its span",
		    (u_long)bt->bt_start);
		next = bt->bt_start + bt->bt_size;
		if (bt->bt_type == BT_TYPE_FREE) {
			nfree++;
			t = bt->bt_snext;
			CHECK(t == NULL || t->bt_type != BT_TYPE_FREE,
			    "adjacent free segments at 0x%lx",
			    (u_long)bt->bt_start);
			fl = vmem_flclass(vm, bt->bt_size);
			/* vm_stale may sit on a list for a bigger size. */
			if (bt == vm->vm_stale) {
				stale_seen = true;
				CHECK(bt->bt_fl >= fl, "stale free 0x%lx on "
				    "list %u, below its class %u",
				    (u_long)bt->bt_start, bt->bt_fl, fl);
			} else
				CHECK(bt->bt_fl == fl, "free 0x%lx on list %u, "
				    "wants %u", (u_long)bt->bt_start, bt->bt_fl,
				    fl);
			for (t = vm->vm_freelist[bt->bt_fl]; t != NULL &&
			    t != bt; t = t->bt_lnext)
				;
			CHECK(t == bt, "free 0x%lx missing from its list",
			    (u_long)bt->bt_start);
		} else {
			CHECK(bt->bt_type == BT_TYPE_BUSY, "bad type %d",
			    bt->bt_type);
			nbusy++;
			inuse += bt->bt_size;
			for (t = *bt_hashhead(vm, bt->bt_start);
			    t != NULL && t != bt; t = t->bt_lnext)
				;
			CHECK(t == bt, "busy 0x%lx missing from hash",
			    (u_long)bt->bt_start);
			if (!bt->bt_round)
				continue;
			/* A round's entry: its size, whoever holds it. */
			nround++;
			e = vmem_round_entry(vm, bt->bt_start);
			CHECK(e != NULL && atomic_load_explicit(e,
			    memory_order_relaxed) >> 1 == bt->bt_size >>
			    vm->vm_quantum_shift, "round 0x%lx+0x%lx has round "
			    "entry 0x%x", (u_long)bt->bt_start,
			    (u_long)bt->bt_size, e == NULL ? 0 :
			    atomic_load_explicit(e, memory_order_relaxed));
		}
	}
	CHECK(!in_span || next == sp->bt_start + sp->bt_size,
	    "last span not tiled");
	CHECK(vm->vm_stale == NULL || stale_seen,
	    "vm_stale is not a free segment of the arena");
	CHECK(*spp == NULL, "span list longer than segment list");
	CHECK(nbusy == vm->vm_nbusytag, "nbusy %lu != %lu", (u_long)nbusy,
	    (u_long)vm->vm_nbusytag);
	CHECK(inuse == vm->vm_inuse, "inuse 0x%lx != 0x%lx", (u_long)inuse,
	    (u_long)vm->vm_inuse);
	CHECK(size == vm->vm_size, "size 0x%lx != 0x%lx", (u_long)size,
	    (u_long)vm->vm_size);
	nhash = 0;
	for (i = 0; i < vm->vm_hashsize; i++)
		for (t = vm->vm_hashlist[i]; t != NULL; t = t->bt_lnext) {
			CHECK(t->bt_type == BT_TYPE_BUSY, "non-busy in hash");
			nhash++;
		}
	CHECK(nhash == nbusy, "hash holds %lu, busy %lu", (u_long)nhash,
	    (u_long)nbusy);
	for (i = 0; i < VMEM_NFREELIST; i++) {
		CHECK((vm->vm_freelist[i] != NULL) ==
		    ((vm->vm_flbits[i >> 6] >> (i & 63)) & 1),
		    "bitmap wrong for list %lu", (u_long)i);
		for (t = vm->vm_freelist[i]; t != NULL; t = t->bt_lnext) {
			CHECK(t->bt_type == BT_TYPE_FREE && t->bt_fl == i,
			    "list %lu holds a wrong tag", (u_long)i);
			nfree--;
		}
	}
	CHECK(nfree == 0, "free lists and segment list disagree");
	/* No entry outlives its round (zero or not is set under the lock). */
	for (i = 0; i < VMEM_QLEAF_BUCKETS; i++)
		for (l = atomic_load_explicit(&vm->vm_qleaf[i],
		    memory_order_acquire); l != NULL; l = l->ql_next) {
			CHECK(QLEAF_BUCKET(l->ql_key) == i, "leaf 0x%lx on "
			    "list %lu", (u_long)l->ql_base, (u_long)i);
			for (fl = 0; fl < QLEAF_N; fl++)
				if (atomic_load_explicit(&l->ql_e[fl],
				    memory_order_relaxed) != 0)
					nround--;
		}
	CHECK(nround == 0, "round table and round tags disagree");
	for (i = 0, t = vm->vm_freetags; t != NULL; t = t->bt_lnext)
		i++;
	CHECK(i == vm->vm_nfreetags, "tag cache holds %lu, count %u",
	    (u_long)i, vm->vm_nfreetags);
	kmem_spin_unlock(&vm->vm_lock);
	return (0);
bad:
	kmem_spin_unlock(&vm->vm_lock);
	return (-1);
}

void
vmem_get_stats(vmem_t *vm, struct vmem_stats *vs)
{
	struct vmem_btag *bt;

	memset(vs, 0, sizeof(*vs));
	kmem_spin_lock(&vm->vm_lock);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext) {
		if (bt->bt_type == BT_TYPE_BUSY) {
			vs->vs_nbusy++;
			/* A round the cache holds: entry QE_CACHED. */
			if (bt->bt_round && (atomic_load_explicit(
			    vmem_round_entry(vm, bt->bt_start),
			    memory_order_relaxed) & 1) != 0) {
				vs->vs_qcache_rounds++;
				vs->vs_qcache_bytes += bt->bt_size;
			}
		} else if (bt->bt_type == BT_TYPE_FREE)
			vs->vs_nfree++;
		else
			vs->vs_nspans++;
		if (bt->bt_type == BT_TYPE_SPAN) {
			vs->vs_nimported++;
			vs->vs_imported += bt->bt_size;
		}
	}
	vs->vs_hashsize = vm->vm_hashsize;
	vs->vs_tagsize = sizeof(struct vmem_btag);
	vs->vs_cachedtags = vm->vm_nfreetags;
	memcpy(vs->vs_name, vm->vm_name, sizeof(vs->vs_name));
	vs->vs_quantum = vm->vm_quantum_mask + 1;
	vs->vs_size = vm->vm_size;
	vs->vs_inuse = vm->vm_inuse;
	vs->vs_limit = vm->vm_limit;
	vs->vs_import = vm->vm_importfn != NULL;
	vs->vs_import_quantum = vm->vm_import_quantum;
	vs->vs_qcache_max = vm->vm_qcache_max;
	vs->vs_nwaiters = vm->vm_nwaiters;
	kmem_spin_unlock(&vm->vm_lock);
}

unsigned long
vmem_bt_pool_count(void)
{

	return (atomic_load_explicit(&vmem_bt_npool, memory_order_relaxed));
}

unsigned long
vmem_bt_total(void)
{

	return (atomic_load_explicit(&vmem_bt_ntotal, memory_order_relaxed));
}
