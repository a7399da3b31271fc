/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem_model.h: a reference model of vmem arenas, shared by the host test
 * (test/host/test_vmem.c), the riscv64 payload (test/target/test_vmem.c)
 * and the fuzzer (test/fuzz/fuzz_vmem.c).
 *
 * The model keeps, per arena, the spans it should hold (static spans it was
 * given, spans it imported) and the ranges handed out.  After every step of
 * a random sequence (vmem_alloc, vmem_xalloc with random constraints, frees
 * in random order, vmem_add, drains, import chains three deep) it checks
 * the arena against the model: internal invariants (vmem_check), every
 * model range is a busy segment of exactly that size, any other busy
 * segment is a quantum-cached round, spans and sizes agree, and an ENOMEM
 * from an arena that cannot import really had no room.  Every range
 * returned honours its constraints and overlaps nothing.
 *
 * The random stream is m_rand: vmem_model_run() feeds it a xorshift
 * generator, the fuzzer its input.  A disagreement is reported with
 * ok(0, ...) and counted in model_failed: TAP lines (tap.h) by default; a
 * file that defines VMEM_MODEL_QUIET first gets a silent ok() that prints
 * the failure on stderr.
 *
 * The backend (be_alloc / be_free, for vmem_set_backend) is the
 * per-platform part: aligned_alloc on the host (be_live counts the bytes
 * out), a bump allocator over a static buffer on the target (be_used
 * counts the bytes handed out; nothing is reused).
 */
#ifndef KMEM_TEST_VMEM_MODEL_H
#define KMEM_TEST_VMEM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/vmem.h>

#include "../../src/vmem_private.h"

#ifdef VMEM_MODEL_QUIET
#include <stdarg.h>

static int model_failed;

static int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	if (!cond) {
		model_failed++;
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return (cond);
}
#else
#include "tap.h"
#define model_failed tap_failed
#endif

/* ------------------------------------------------------------ backend */

#ifdef KMEM_HOST
#include <stdatomic.h>

static atomic_long be_live;

static __attribute__((__unused__)) void *
be_alloc(vmem_size_t size, int flags)
{
	void *p;

	(void)flags;
	if (size == 0 || size % PAGE_SIZE != 0)
		__builtin_trap();
	p = aligned_alloc(PAGE_SIZE, size);
	if (p != NULL)
		atomic_fetch_add(&be_live, (long)size);
	return (p);
}

static __attribute__((__unused__)) void
be_free(void *p, vmem_size_t size)
{

	atomic_fetch_sub(&be_live, (long)size);
	free(p);
}
#else
#define BE_POOL		(8UL << 20)
static char be_pool[BE_POOL] __attribute__((aligned(4096)));
static size_t be_used;

static void *
be_alloc(vmem_size_t size, int flags)
{
	void *p;

	(void)flags;
	if (size % PAGE_SIZE != 0 || size > BE_POOL - be_used)
		return (NULL);
	p = be_pool + be_used;
	be_used += size;
	return (p);
}

static void
be_free(void *p, vmem_size_t size)
{

	(void)p;
	(void)size;
}
#endif

/* ------------------------------------------------------------ the model */
/* ------------------------------------------------------------ the model */

#define M_ARENAS	6
#define M_MAXLIVE	2048
#define M_MAXSPANS	256

struct m_range {
	vmem_addr_t	a;
	vmem_size_t	s;
};

struct m_arena {
	vmem_t		*vm;
	const char	*name;
	vmem_size_t	quantum;
	vmem_size_t	qcache_max;
	int		parent;		/* -1: none */
	vmem_addr_t	base, limit;	/* where static spans are put */
	vmem_addr_t	next_add;	/* next vmem_add address */
	struct m_range	spans[M_MAXSPANS];	/* static (merged by cover) */
	int		nspans;
	struct m_range	imp[M_MAXSPANS];	/* imported spans */
	int		nimp;
	vmem_size_t	start_total;
	unsigned long	imports, releases;
};

struct m_alloc {
	int		arena;
	vmem_addr_t	a;
	vmem_size_t	s;		/* rounded size */
	vmem_size_t	req;		/* size asked for */
	bool		x;		/* vmem_xalloc'd */
};

static struct m_arena ma[M_ARENAS];
static int nma;
static struct m_alloc live[M_MAXLIVE];
static int nlive;
static uint64_t (*m_rand)(void);
static unsigned long m_steps, m_enomem_checked;

static uint64_t
rnd(uint64_t n)
{

	return (n == 0 ? 0 : m_rand() % n);
}

static int
m_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	struct m_arena *c = arg;
	struct m_arena *p = &ma[c->parent];
	int error;

	error = vmem_xalloc(p->vm, size, 0, 0, 0, VMEM_ADDR_MIN,
	    VMEM_ADDR_MAX, (flags & (M_NOWAIT | M_WAITOK)) | M_BESTFIT, addrp);
	if (error == 0) {
		if (c->nimp == M_MAXSPANS)
			__builtin_trap();
		c->imp[c->nimp].a = *addrp;
		c->imp[c->nimp].s = size;
		c->nimp++;
		c->imports++;
	}
	return (error);
}

static void
m_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{
	struct m_arena *c = arg;
	int i;

	for (i = 0; i < c->nimp; i++)
		if (c->imp[i].a == addr && c->imp[i].s == size)
			break;
	if (i == c->nimp)
		ok(0, "%s releases 0x%lx+0x%lx it imported", c->name,
		    (u_long)addr, (u_long)size);
	if (i < c->nimp)
		c->imp[i] = c->imp[--c->nimp];
	c->releases++;
	vmem_xfree(ma[c->parent].vm, addr, size);
}

static int
m_add_arena(const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int parent,
    vmem_size_t import_quantum, bool create)
{
	struct m_arena *m = &ma[nma];

	memset(m, 0, sizeof(*m));
	m->name = name;
	m->quantum = quantum;
	m->qcache_max = qcache_max;
	m->parent = parent;
	m->base = base;
	m->limit = base + 64 * size;
	if (create) {
		m->vm = vmem_create(name, parent < 0 ? base : 0,
		    parent < 0 ? size : 0, quantum, qcache_max, M_WAITOK);
	} else {
		static struct vmem storage[M_ARENAS];

		m->vm = vmem_init(&storage[nma], name, parent < 0 ? base : 0,
		    parent < 0 ? size : 0, quantum, qcache_max, M_WAITOK);
	}
	if (m->vm == NULL)
		return (-1);
	if (parent >= 0) {
		vmem_set_import(m->vm, m_import, m_release, m,
		    import_quantum);
	} else {
		m->spans[0].a = base;
		m->spans[0].s = size;
		m->nspans = 1;
		m->next_add = base + size;
		m->start_total = size;
	}
	return (nma++);
}

/* ------------------------------------------------------------ checking */

#define W_MAX	(M_MAXLIVE * 4)
struct walk {
	struct m_range	busy[W_MAX];
	int		nbusy;
	struct m_range	freeseg[W_MAX];
	int		nfree;
	struct m_range	stat[M_MAXSPANS];
	int		nstat;
	struct m_range	imp[M_MAXSPANS];
	int		nimp;
	bool		overflow;
};
static struct walk W;

static void
walk_cb(void *arg, int type, vmem_addr_t start, vmem_size_t size)
{
	struct walk *w = arg;
	struct m_range r = { start, size };

	switch (type) {
	case VMEM_SEG_BUSY:
		if (w->nbusy < W_MAX)
			w->busy[w->nbusy++] = r;
		else
			w->overflow = true;
		break;
	case VMEM_SEG_FREE:
		if (w->nfree < W_MAX)
			w->freeseg[w->nfree++] = r;
		else
			w->overflow = true;
		break;
	case VMEM_SEG_SPAN_STATIC:
		if (w->nstat < M_MAXSPANS)
			w->stat[w->nstat++] = r;
		else
			w->overflow = true;
		break;
	case VMEM_SEG_SPAN:
		if (w->nimp < M_MAXSPANS)
			w->imp[w->nimp++] = r;
		else
			w->overflow = true;
		break;
	}
}

static int
range_cmp(const void *x, const void *y)
{
	const struct m_range *a = x, *b = y;

	return (a->a < b->a ? -1 : a->a > b->a);
}

/* Sort and merge adjacent ranges; returns the new count. */
static int
cover(struct m_range *r, int n)
{
	int i, k;

	qsort(r, (size_t)n, sizeof(*r), range_cmp);
	for (i = 1, k = 0; i < n; i++) {
		if (r[k].a + r[k].s == r[i].a)
			r[k].s += r[i].s;
		else
			r[++k] = r[i];
	}
	return (n == 0 ? 0 : k + 1);
}

static bool
busy_has(const struct walk *w, vmem_addr_t a, vmem_size_t s)
{
	int lo = 0, hi = w->nbusy - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (w->busy[mid].a == a)
			return (w->busy[mid].s == s);
		if (w->busy[mid].a < a)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return (false);
}

/* Compare arena i with the model.  Returns true when all agree. */
static bool
m_check_arena(int i)
{
	struct m_arena *m = &ma[i];
	struct m_range ms[M_MAXSPANS], mi[M_MAXSPANS];
	vmem_size_t total, inuse, extra_bytes;
	char why[160];
	int k, j, nms, nextra;
	bool good = true;

	if (vmem_check(m->vm, why, sizeof(why)) != 0) {
		ok(0, "step %lu: %s is consistent: %s", m_steps, m->name, why);
		return (false);
	}
	memset(&W, 0, sizeof(W.nbusy) * 0);
	W.nbusy = W.nfree = W.nstat = W.nimp = 0;
	W.overflow = false;
	vmem_walk(m->vm, walk_cb, &W);
	if (W.overflow)
		return (ok(0, "walk buffer overflow"));
	qsort(W.busy, (size_t)W.nbusy, sizeof(W.busy[0]), range_cmp);

	/* Spans. */
	memcpy(ms, m->spans, sizeof(ms[0]) * (size_t)m->nspans);
	nms = cover(ms, m->nspans);
	W.nstat = cover(W.stat, W.nstat);
	if (nms != W.nstat || memcmp(ms, W.stat, sizeof(ms[0]) *
	    (size_t)nms) != 0)
		good = ok(0, "step %lu: %s static spans match the model",
		    m_steps, m->name);
	memcpy(mi, m->imp, sizeof(mi[0]) * (size_t)m->nimp);
	qsort(mi, (size_t)m->nimp, sizeof(mi[0]), range_cmp);
	qsort(W.imp, (size_t)W.nimp, sizeof(W.imp[0]), range_cmp);
	if (m->nimp != W.nimp || memcmp(mi, W.imp, sizeof(mi[0]) *
	    (size_t)m->nimp) != 0)
		good = ok(0, "step %lu: %s imported spans match the model "
		    "(%d vs %d)", m_steps, m->name, m->nimp, W.nimp);

	/* An imported span never stays wholly free: it would go back. */
	for (k = 0, j = 0; k < m->nimp; k++) {
		while (j < W.nbusy && W.busy[j].a < mi[k].a)
			j++;
		if (j == W.nbusy || W.busy[j].a > mi[k].a + mi[k].s - 1)
			good = ok(0, "step %lu: %s: imported span 0x%lx+0x%lx "
			    "is wholly free yet kept", m_steps, m->name,
			    (u_long)mi[k].a, (u_long)mi[k].s);
	}

	/* Every model range (and child import) is a busy segment. */
	total = 0;
	for (k = 0; k < nms; k++)
		total += ms[k].s;
	for (k = 0; k < m->nimp; k++)
		total += mi[k].s;
	inuse = 0;
	nextra = W.nbusy;
	for (k = 0; k < nlive; k++) {
		if (live[k].arena != i)
			continue;
		if (!busy_has(&W, live[k].a, live[k].s)) {
			good = ok(0, "step %lu: %s: live 0x%lx+0x%lx is a busy "
			    "segment", m_steps, m->name, (u_long)live[k].a,
			    (u_long)live[k].s);
		}
		inuse += live[k].s;
		nextra--;
	}
	for (j = 0; j < nma; j++) {
		if (ma[j].parent != i)
			continue;
		for (k = 0; k < ma[j].nimp; k++) {
			if (!busy_has(&W, ma[j].imp[k].a, ma[j].imp[k].s))
				good = ok(0, "step %lu: %s: span 0x%lx given to "
				    "%s is busy", m_steps, m->name,
				    (u_long)ma[j].imp[k].a, ma[j].name);
			inuse += ma[j].imp[k].s;
			nextra--;
		}
	}
	/* What is left must be quantum-cached rounds. */
	extra_bytes = 0;
	for (k = 0; k < W.nbusy; k++)
		extra_bytes += W.busy[k].s;
	extra_bytes -= inuse;
	if (nextra < 0 || (nextra > 0 && m->qcache_max == 0) ||
	    extra_bytes > (vmem_size_t)nextra * m->qcache_max)
		good = ok(0, "step %lu: %s: %d busy segments (0x%lx bytes) "
		    "beyond the model are quantum-cache rounds", m_steps,
		    m->name, nextra, (u_long)extra_bytes);
	if (vmem_size(m->vm, VMEM_ALLOC | VMEM_FREE) != total)
		good = ok(0, "step %lu: %s total 0x%lx, model 0x%lx", m_steps,
		    m->name, (u_long)vmem_size(m->vm, VMEM_ALLOC | VMEM_FREE),
		    (u_long)total);
	if (vmem_size(m->vm, VMEM_ALLOC) != inuse + extra_bytes)
		good = ok(0, "step %lu: %s VMEM_ALLOC", m_steps, m->name);
	return (good);
}

static bool
m_check_all(void)
{
	bool good = true;
	int i;

	for (i = 0; i < nma; i++)
		good &= m_check_arena(i);
	return (good);
}

/* An independent fit test (128-bit arithmetic, no shortcuts). */
static bool
ref_fits(vmem_addr_t s0, vmem_addr_t e0, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr)
{
	unsigned __int128 s, e, a, b;

	s = s0 > minaddr ? s0 : minaddr;
	e = e0 < maxaddr ? e0 : maxaddr;
	if (s > e)
		return (false);
	a = s + ((phase + align - (s % align)) % align);
	if (nocross != 0 && a / nocross != (a + size - 1) / nocross) {
		b = (a / nocross + 1) * nocross;
		a = b + phase;
	}
	return (a + size - 1 <= e);
}

static bool
overlaps_live(int arena, vmem_addr_t a, vmem_size_t s, int skip)
{
	int k;

	for (k = 0; k < nlive; k++) {
		if (k == skip || live[k].arena != arena)
			continue;
		if (live[k].a <= a + s - 1 && a <= live[k].a + live[k].s - 1)
			return (true);
	}
	return (false);
}

static bool
inside_span(int arena, vmem_addr_t a, vmem_size_t s)
{
	struct m_arena *m = &ma[arena];
	int k;

	for (k = 0; k < m->nspans; k++)
		if (a >= m->spans[k].a && a + s - 1 <= m->spans[k].a +
		    m->spans[k].s - 1)
			return (true);
	for (k = 0; k < m->nimp; k++)
		if (a >= m->imp[k].a && a + s - 1 <= m->imp[k].a +
		    m->imp[k].s - 1)
			return (true);
	/* Static spans may have merged: check the cover. */
	{
		struct m_range ms[M_MAXSPANS];
		int n;

		memcpy(ms, m->spans, sizeof(ms[0]) * (size_t)m->nspans);
		n = cover(ms, m->nspans);
		for (k = 0; k < n; k++)
			if (a >= ms[k].a && a + s - 1 <= ms[k].a + ms[k].s - 1)
				return (true);
	}
	return (false);
}

/* ------------------------------------------------------------ steps */

static const int strategies[3] = { M_BESTFIT, M_FIRSTFIT, M_NEXTFIT };

static void
m_record(int arena, vmem_addr_t a, vmem_size_t rs, vmem_size_t req, bool x)
{

	if (nlive == M_MAXLIVE)
		__builtin_trap();
	live[nlive].arena = arena;
	live[nlive].a = a;
	live[nlive].s = rs;
	live[nlive].req = req;
	live[nlive].x = x;
	nlive++;
}

/* After ENOMEM from an arena that cannot import: no free segment fits. */
static void
m_check_enomem(int arena, vmem_size_t rs, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr)
{
	struct m_arena *m = &ma[arena];
	int k;

	if (m->parent >= 0)
		return;
	W.nbusy = W.nfree = W.nstat = W.nimp = 0;
	W.overflow = false;
	vmem_walk(m->vm, walk_cb, &W);
	for (k = 0; k < W.nfree; k++) {
		if (ref_fits(W.freeseg[k].a, W.freeseg[k].a + W.freeseg[k].s -
		    1, rs, align == 0 ? m->quantum : align, phase, nocross,
		    minaddr, maxaddr)) {
			ok(0, "step %lu: %s said ENOMEM for 0x%lx (align 0x%lx "
			    "phase 0x%lx nocross 0x%lx [0x%lx, 0x%lx]) but "
			    "0x%lx+0x%lx is free", m_steps, m->name, (u_long)rs,
			    (u_long)align, (u_long)phase, (u_long)nocross,
			    (u_long)minaddr, (u_long)maxaddr,
			    (u_long)W.freeseg[k].a, (u_long)W.freeseg[k].s);
			return;
		}
	}
	m_enomem_checked++;
}

static vmem_size_t
m_span_hint(int arena)
{
	struct m_arena *m = &ma[arena];

	return (m->parent >= 0 ? ma[m->parent].start_total / 4 :
	    m->start_total);
}

static void
m_step_alloc(int arena)
{
	struct m_arena *m = &ma[arena];
	vmem_size_t maxq, size, rs;
	vmem_addr_t a;
	int strat, error;

	maxq = rnd(4) == 0 ? 64 : (m->qcache_max / m->quantum) + 2;
	size = m->quantum * (1 + rnd(maxq));
	if (m->quantum > 1 && rnd(2))
		size -= rnd(m->quantum);
	strat = strategies[rnd(3)];
	error = vmem_alloc(m->vm, size, strat | M_NOWAIT, &a);
	rs = vmem_roundup_size(m->vm, size);
	if (error == 0) {
		if (a % m->quantum != 0)
			ok(0, "step %lu: %s alloc 0x%lx aligned", m_steps,
			    m->name, (u_long)a);
		if (overlaps_live(arena, a, rs, -1) || !inside_span(arena, a,
		    rs))
			ok(0, "step %lu: %s alloc 0x%lx+0x%lx overlaps nothing "
			    "and is inside a span", m_steps, m->name,
			    (u_long)a, (u_long)rs);
		m_record(arena, a, rs, size, false);
	} else {
		if (error != ENOMEM)
			ok(0, "step %lu: %s alloc error %d", m_steps, m->name,
			    error);
		m_check_enomem(arena, rs, 0, 0, 0, VMEM_ADDR_MIN,
		    VMEM_ADDR_MAX);
	}
}

static void
m_step_xalloc(int arena)
{
	struct m_arena *m = &ma[arena];
	vmem_size_t size, rs, align, phase, nocross, q, span;
	vmem_addr_t a, minaddr, maxaddr;
	int strat, error;

	q = m->quantum;
	size = q * (1 + rnd(rnd(3) == 0 ? 256 : 16));
	if (q > 1 && rnd(2))
		size -= rnd(q);
	rs = (size + q - 1) / q * q;
	align = rnd(2) ? 0 : q << rnd(8);
	phase = align != 0 ? q * rnd(align / q) : 0;
	nocross = 0;
	if (rnd(3) == 0) {
		nocross = q;
		while (nocross < rs || nocross <= align)
			nocross <<= 1;
		nocross <<= rnd(3);
		if ((phase ^ (phase + rs - 1)) & -nocross)
			nocross = 0;
	}
	strat = strategies[rnd(3)];
	minaddr = VMEM_ADDR_MIN;
	maxaddr = VMEM_ADDR_MAX;
	if (strat != M_NEXTFIT && rnd(3) == 0) {
		span = m_span_hint(arena);
		minaddr = (m->parent >= 0 ? ma[m->parent].base : m->base) +
		    rnd(span);
		maxaddr = minaddr + rnd(span);
	}
	error = vmem_xalloc(m->vm, size, align, phase, nocross, minaddr,
	    maxaddr, strat | M_NOWAIT, &a);
	if (error == 0) {
		vmem_size_t al = align == 0 ? q : align;

		if (a % al != phase || a < minaddr || a + rs - 1 > maxaddr ||
		    (nocross != 0 && a / nocross != (a + rs - 1) / nocross))
			ok(0, "step %lu: %s xalloc 0x%lx+0x%lx honours align "
			    "0x%lx phase 0x%lx nocross 0x%lx [0x%lx, 0x%lx]",
			    m_steps, m->name, (u_long)a, (u_long)rs,
			    (u_long)align, (u_long)phase, (u_long)nocross,
			    (u_long)minaddr, (u_long)maxaddr);
		if (overlaps_live(arena, a, rs, -1) || !inside_span(arena, a,
		    rs))
			ok(0, "step %lu: %s xalloc 0x%lx+0x%lx overlaps nothing "
			    "and is inside a span", m_steps, m->name,
			    (u_long)a, (u_long)rs);
		m_record(arena, a, rs, size, true);
	} else if (error == ENOMEM) {
		m_check_enomem(arena, rs, align, phase, nocross, minaddr,
		    maxaddr);
	} else {
		ok(0, "step %lu: %s xalloc error %d for valid constraints "
		    "(size 0x%lx align 0x%lx phase 0x%lx nocross 0x%lx)",
		    m_steps, m->name, error, (u_long)size, (u_long)align,
		    (u_long)phase, (u_long)nocross);
	}
}

static void
m_free_at(int k)
{
	struct m_alloc al = live[k];
	struct m_arena *m = &ma[al.arena];

	live[k] = live[--nlive];
	if (al.x || rnd(4) == 0)
		vmem_xfree(m->vm, al.a, al.req);
	else
		vmem_free(m->vm, al.a, al.req);
}

static void
m_step_add(int arena)
{
	struct m_arena *m = &ma[arena];
	vmem_addr_t a;
	vmem_size_t s;
	int error, k;

	if (m->parent >= 0 || m->nspans == M_MAXSPANS)
		return;
	s = m->quantum * (1 + rnd(64));
	if (rnd(4) == 0 && m->nspans > 0) {
		/* Overlap an existing span: EINVAL, nothing changes. */
		k = (int)rnd((uint64_t)m->nspans);
		a = m->spans[k].a + m->quantum * rnd(m->spans[k].s /
		    m->quantum);
		error = vmem_add(m->vm, a, s, M_NOWAIT);
		if (error != EINVAL)
			ok(0, "step %lu: %s overlapping vmem_add 0x%lx+0x%lx "
			    "gives EINVAL (got %d)", m_steps, m->name,
			    (u_long)a, (u_long)s, error);
		return;
	}
	a = m->next_add;
	if (rnd(2))
		a += m->quantum * (1 + rnd(16));	/* else adjacent */
	if (a + s > m->limit)
		return;
	error = vmem_add(m->vm, a, s, M_NOWAIT);
	if (error != 0) {
		ok(0, "step %lu: %s vmem_add 0x%lx+0x%lx: %d", m_steps,
		    m->name, (u_long)a, (u_long)s, error);
		return;
	}
	m->spans[m->nspans].a = a;
	m->spans[m->nspans].s = s;
	m->nspans++;
	m->next_add = a + s;
	m->start_total += s;
}

/* One random step; checks every arena afterwards. */
static bool
m_step(void)
{
	int arena, op, k;

	m_steps++;
	arena = (int)rnd((uint64_t)nma);
	op = (int)rnd(100);
	if (op < 30)
		m_step_alloc(arena);
	else if (op < 55)
		m_step_xalloc(arena);
	else if (op < 95) {
		if (nlive > 0) {
			k = (int)rnd((uint64_t)nlive);
			m_free_at(k);
		}
	} else if (op < 98)
		m_step_add(arena);
	else
		vmem_drain(ma[arena].vm);
	if (nlive > M_MAXLIVE - 8)
		while (nlive > M_MAXLIVE / 2)
			m_free_at((int)rnd((uint64_t)nlive));
	return (m_check_all());
}

/* Build the standard set of arenas (create: from vmem_create). */
static void
m_setup(bool create)
{

	nma = 0;
	nlive = 0;
	m_add_arena("flat16", 0x10000, 0x10000, 16, 4 * 16, -1, 0, create);
	m_add_arena("pages", 0x100000000UL, 0x100000, 4096, 0, -1, 0, create);
	m_add_arena("ids", 1, 1000, 1, 0, -1, 0, create);
	m_add_arena("parent", 0x200000000UL, 0x400000, 4096, 8 * 4096, -1, 0,
	    create);
	m_add_arena("child", 0, 0, 4096, 2 * 4096, 3, 0x10000, create);
	m_add_arena("grandchild", 0, 0, 256, 4 * 256, 4, 0x4000, create);
}

/* Free everything, drain, and check each arena is back to its start. */
static bool
m_teardown(void)
{
	bool good = true;
	int i;

	while (nlive > 0)
		m_free_at((int)rnd((uint64_t)nlive));
	for (i = nma - 1; i >= 0; i--)
		vmem_drain(ma[i].vm);
	good &= m_check_all();
	for (i = 0; i < nma; i++) {
		if (vmem_size(ma[i].vm, VMEM_ALLOC) != 0 ||
		    vmem_size(ma[i].vm, VMEM_ALLOC | VMEM_FREE) !=
		    ma[i].start_total || ma[i].nimp != 0)
			good = ok(0, "%s is back to its start (alloc 0x%lx, "
			    "total 0x%lx vs 0x%lx, %d imported spans left)",
			    ma[i].name, (u_long)vmem_size(ma[i].vm,
			    VMEM_ALLOC), (u_long)vmem_size(ma[i].vm,
			    VMEM_ALLOC | VMEM_FREE), (u_long)ma[i].start_total,
			    ma[i].nimp);
	}
	for (i = nma - 1; i >= 0; i--)
		vmem_destroy(ma[i].vm);
	nma = 0;
	return (good);
}

/* ------------------------------------------------------------ random runs */

static uint64_t xs_state;

static uint64_t
xs_next(void)
{
	uint64_t x = xs_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (xs_state = x);
}

/*
 * One random run of the model from seed (TAP): steps steps over the
 * standard arenas (created by vmem_create when create, else vmem_init),
 * then everything is freed and each arena must be back to its start.
 */
static __attribute__((__unused__)) void
vmem_model_run(uint64_t seed, unsigned long steps, bool create)
{
	unsigned long i, imports = 0, releases = 0;
	bool good = true;
	int j;

	xs_state = seed;
	m_rand = xs_next;
	m_steps = 0;
	m_enomem_checked = 0;
	m_setup(create);
	for (i = 0; i < steps && good; i++)
		good = m_step();
	for (j = 0; j < nma; j++) {
		imports += ma[j].imports;
		releases += ma[j].releases;
	}
	ok(good, "seed %#lx: %lu random steps agree with the model "
	    "(%lu ENOMEMs verified, %lu imports, %lu releases)",
	    (u_long)seed, m_steps, m_enomem_checked, imports, releases);
	ok(imports > 0 && releases > 0, "seed %#lx: the import chain was "
	    "exercised", (u_long)seed);
	ok(m_teardown(), "seed %#lx: after freeing everything each arena "
	    "reports its start sizes and imported spans went back",
	    (u_long)seed);
}

#endif /* KMEM_TEST_VMEM_MODEL_H */
