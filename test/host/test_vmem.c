/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmem.c: vmem arenas against a reference model.
 *
 * The model keeps, per arena, the spans it should hold (static spans it was
 * given, spans it imported) and the ranges handed out.  After every step of
 * long random sequences (vmem_alloc, vmem_xalloc with random constraints,
 * frees in random order, vmem_add, drains, import chains three deep) it
 * checks the arena against the model: internal invariants (vmem_check),
 * every model range is a busy segment of exactly that size, any other busy
 * segment is a quantum-cached round, spans and sizes agree, and an ENOMEM
 * from an arena that cannot import really had no room.  Every range
 * returned honours its constraints and overlaps nothing.
 *
 * The same model drives the fuzzer (test/fuzz/fuzz_vmem.c includes this
 * file with VMEM_MODEL_ONLY defined) and the riscv64 payload
 * (test/target/test_vmem.c, with VMEM_MODEL_TAP as well).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/vmem.h>

#include "../../src/vmem_private.h"

#if !defined(VMEM_MODEL_ONLY)
#include <pthread.h>
#include <sched.h>

#include "host.h"
#include "tap.h"
#elif defined(VMEM_MODEL_TAP)
#include "tap.h"
#define model_failed tap_failed
#else
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
#endif

/* ------------------------------------------------------------ backend */

static atomic_long be_live;

/* (Unused by the target payload, which includes this file.) */
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

#ifndef VMEM_MODEL_ONLY

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

static void
test_model_random(uint64_t seed, unsigned long steps, bool create)
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

/* ------------------------------------------------------------ named tests */

static struct vmem named_storage;

static void
test_bad_input(void)
{
	vmem_t *vm;
	vmem_addr_t a;

	vm = vmem_create("bad", 0x1000, 0x10000, 16, 64, M_WAITOK);
	ok(vm != NULL, "create an arena for bad-input tests");
	ok(vmem_alloc(vm, 0, M_NOWAIT, &a) == EINVAL, "zero size: EINVAL");
	ok(vmem_xalloc(vm, 0, 0, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "xalloc zero size: EINVAL");
	ok(vmem_alloc(vm, VMEM_ADDR_MAX - 3, M_NOWAIT, &a) == ENOMEM,
	    "size that overflows when rounded: ENOMEM");
	ok(vmem_alloc(vm, VMEM_ADDR_MAX - 3, M_WAITOK, &a) == ENOMEM,
	    "overflowing size with M_WAITOK: ENOMEM, no sleep");
	ok(vmem_alloc(vm, 16, M_NOWAIT | M_WAITOK, &a) == EINVAL,
	    "M_NOWAIT|M_WAITOK: EINVAL");
	ok(vmem_alloc(vm, 16, M_NOWAIT | M_BESTFIT | M_FIRSTFIT, &a) ==
	    EINVAL, "two fit strategies: EINVAL");
	ok(vmem_alloc(vm, 16, M_NOWAIT, NULL) == EINVAL, "NULL addrp: EINVAL");
	ok(vmem_xalloc(vm, 16, 24, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "align not a power of two: EINVAL");
	ok(vmem_xalloc(vm, 16, 8, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "align below the quantum: EINVAL");
	ok(vmem_xalloc(vm, 16, 64, 64, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase == align: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 16, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase with align 0: EINVAL");
	ok(vmem_xalloc(vm, 16, 64, 8, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase not a multiple of the quantum: EINVAL");
	ok(vmem_xalloc(vm, 64, 0, 0, 32, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "nocross below size: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 48, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "nocross not a power of two: EINVAL");
	ok(vmem_xalloc(vm, 64, 128, 96, 64, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase..phase+size crossing nocross: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 0, 0x5000, 0x4000, M_NOWAIT, &a) ==
	    EINVAL, "minaddr > maxaddr: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 0, 0x2000, VMEM_ADDR_MAX,
	    M_NOWAIT | M_NEXTFIT, &a) == EINVAL,
	    "M_NEXTFIT with a window: EINVAL");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, 0x2000, 0x207f, M_NOWAIT, &a) ==
	    ENOMEM, "window smaller than the size: ENOMEM");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, 0x2000, 0x207f, M_WAITOK, &a) ==
	    ENOMEM, "window with no room, M_WAITOK: ENOMEM at once");
	ok(vmem_xalloc(vm, 0x10, 0x1000, 0, 0, 0x2010, 0x2fff, M_NOWAIT, &a) ==
	    ENOMEM, "window with no aligned room: ENOMEM");
	ok(vmem_add(vm, 0x2000, 0x1000, M_NOWAIT) == EINVAL,
	    "vmem_add inside a span: EINVAL");
	ok(vmem_add(vm, 0x800, 0x1000, M_NOWAIT) == EINVAL,
	    "vmem_add overlapping a span's start: EINVAL");
	ok(vmem_add(vm, 0x20000, 0, M_NOWAIT) == EINVAL,
	    "vmem_add of size 0: EINVAL");
	ok(vmem_add(vm, 0x20008, 0x100, M_NOWAIT) == EINVAL,
	    "vmem_add misaligned: EINVAL");
	ok(vmem_add(vm, VMEM_ADDR_MAX - 0xff, 0x200, M_NOWAIT) == EINVAL,
	    "vmem_add wrapping: EINVAL");
	ok(vmem_add(vm, VMEM_ADDR_MAX - 0xff, 0x100, M_NOWAIT) == 0,
	    "vmem_add ending at VMEM_ADDR_MAX works");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, VMEM_ADDR_MAX - 0xff,
	    VMEM_ADDR_MAX, M_NOWAIT, &a) == 0 && a == VMEM_ADDR_MAX - 0xff,
	    "the top of the address space can be allocated");
	vmem_xfree(vm, a, 0x100);
	ok(vmem_size(vm, 0x4) == 0, "vmem_size with an unknown mask: 0");
	ok(vmem_size(vm, VMEM_ALLOC | VMEM_FREE) == 0x10100 &&
	    vmem_size(vm, VMEM_ALLOC) == 0, "bad input changed nothing");
	ok(vmem_init(&named_storage, "q0", 0, 0, 0, 0, M_NOWAIT) == NULL,
	    "vmem_init with quantum 0: NULL");
	ok(vmem_init(&named_storage, "q3", 0, 0, 3, 0, M_NOWAIT) == NULL,
	    "vmem_init with quantum 3: NULL");
	ok(vmem_init(&named_storage, "qc", 0, 0, 16, 40, M_NOWAIT) == NULL,
	    "vmem_init with qcache_max not a multiple: NULL");
	ok(vmem_create("badspan", 0x1001, 0x1000, 16, 0, M_NOWAIT) == NULL,
	    "vmem_create with a misaligned span: NULL");
	vmem_destroy(vm);
}

static void
test_invalid_free(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a, b;
	char why[128];
	bool caught;

	vm = vmem_create("victim", 0x40000, 0x10000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 64, M_NOWAIT, &a);
	vmem_alloc(vm, 32, M_NOWAIT, &b);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_xfree(vm, a + 16, 48);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "victim") && strstr(pc.kp_msg,
	    "0x40010") && strstr(pc.kp_msg, "0x30"),
	    "free of an address not allocated panics naming arena, address "
	    "and size: %s", pc.kp_msg);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, a, 32);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "victim") && strstr(pc.kp_msg,
	    "0x40000") && strstr(pc.kp_msg, "0x20") && strstr(pc.kp_msg,
	    "0x40"), "free with the wrong size panics: %s", pc.kp_msg);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, 0x90000, 16);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "0x90000"),
	    "free of an address outside the arena panics: %s", pc.kp_msg);

	vmem_free(vm, b, 32);
	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, b, 32);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "not allocated"),
	    "double free panics: %s", pc.kp_msg);

	ok(vmem_check(vm, why, sizeof(why)) == 0 &&
	    vmem_size(vm, VMEM_ALLOC) == 64,
	    "the arena is intact and unlocked after the panics");
	vmem_free(vm, a, 64);
	vmem_destroy(vm);

	/* A bad free of a cached size is caught when it reaches the arena. */
	vm = vmem_create("cached", 0x40000, 0x10000, 16, 64, M_WAITOK);
	vmem_alloc(vm, 32, M_NOWAIT, &a);
	vmem_free(vm, a, 16);		/* wrong size, goes into a magazine */
	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_drain(vm);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "cached"),
	    "a wrong-size free of a cached size panics at drain: %s",
	    pc.kp_msg);
	/* The arena is left with that segment busy; do not destroy it. */
}

static unsigned long reclaim_calls;

static void
count_reclaim(vmem_t *vm, int flags)
{

	(void)vm;
	(void)flags;
	reclaim_calls++;
}

static int
deny_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	(void)arg; (void)size; (void)flags; (void)addrp;
	return (ENOMEM);
}

static void
test_running_out(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a, b;
	bool caught;

	vm = vmem_create("small", 0x1000, 0x100, 16, 32, M_WAITOK);
	vmem_set_reclaim(vm, count_reclaim);
	ok(vmem_alloc(vm, 0x100, M_NOWAIT, &a) == 0, "fill the arena");
	ok(vmem_alloc(vm, 16, M_NOWAIT, &b) == ENOMEM && reclaim_calls == 1,
	    "M_NOWAIT on a full arena: ENOMEM after one reclaim call");
	vmem_free(vm, a, 0x100);

	/* Rounds held in the quantum cache are drained before failing. */
	ok(vmem_alloc(vm, 16, M_NOWAIT, &a) == 0, "a cached round");
	vmem_free(vm, a, 16);
	ok(vmem_size(vm, VMEM_ALLOC) > 0, "rounds sit in the cache");
	ok(vmem_alloc(vm, 0x100, M_NOWAIT, &a) == 0,
	    "a whole-arena allocation drains the cache and succeeds");

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		(void)vmem_alloc(vm, 0x10, M_WAITOK, &b);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "small") && strstr(pc.kp_msg,
	    "deadlock"), "M_WAITOK that can never succeed panics and says "
	    "so: %s", pc.kp_msg);
	vmem_free(vm, a, 0x100);
	vmem_destroy(vm);

	/* Imports stop at the limit; failed imports leave nothing behind. */
	{
		vmem_t *p, *c;
		vmem_addr_t a1 = 0, b1 = 0;

		p = vmem_create("lp", 0x100000, 0x100000, 4096, 0, M_WAITOK);
		c = vmem_create("lc", 0, 0, 4096, 0, M_WAITOK);
		nma = 0;
		ma[0].vm = p;
		ma[0].name = "lp";
		ma[1].vm = c;
		ma[1].name = "lc";
		ma[1].parent = 0;
		ma[1].nimp = 0;
		vmem_set_import(c, m_import, m_release, &ma[1], 0x4000);
		vmem_set_limit(c, 0x8000);
		ok(vmem_alloc(c, 0x4000, M_NOWAIT, &a1) == 0 &&
		    vmem_alloc(c, 0x4000, M_NOWAIT, &b1) == 0,
		    "imports up to the limit");
		ok(vmem_alloc(c, 0x1000, M_NOWAIT, &a) == ENOMEM || (vmem_free(
		    c, a, 0x1000), 0), "an import past the limit: ENOMEM");
		ok(vmem_xalloc(c, 0x1000, 0, 0, 0, 0x100000, 0x100fff,
		    M_NOWAIT, &a) == ENOMEM && vmem_size(c, VMEM_ALLOC |
		    VMEM_FREE) == 0x8000, "a failed constrained allocation "
		    "keeps no extra imported span");
		vmem_free(c, a1, 0x4000);
		vmem_free(c, b1, 0x4000);
		ok(vmem_size(c, VMEM_ALLOC | VMEM_FREE) == 0,
		    "freeing gives the imported spans back at once");
		vmem_alloc(c, 0x1000, M_NOWAIT, &a1);
		vmem_free(c, a1, 0x1000);
		vmem_destroy(c);
		ok(vmem_size(p, VMEM_ALLOC) == 0,
		    "destroying the child gave its spans back");
		vmem_destroy(p);
	}
	vm = vmem_create("noimp", 0, 0, 16, 0, M_WAITOK);
	vmem_set_import(vm, deny_import, NULL, NULL, 0);
	ok(vmem_alloc(vm, 16, M_NOWAIT, &a) == ENOMEM,
	    "an import that fails gives ENOMEM");
	vmem_destroy(vm);
}

/* M_WAITOK sleeps until a free wakes it. */
static vmem_t *sleep_vm;
static atomic_int sleeper_state;

static void *
sleeper(void *arg)
{
	vmem_addr_t a;
	int error;

	(void)arg;
	host_thread_register();
	atomic_store(&sleeper_state, 1);
	error = vmem_alloc(sleep_vm, 0x80, M_WAITOK, &a);
	atomic_store(&sleeper_state, error == 0 ? 2 : 3);
	if (error == 0)
		vmem_free(sleep_vm, a, 0x80);
	host_thread_unregister();
	return (NULL);
}

static void
test_waitok_sleeps(void)
{
	pthread_t t;
	vmem_addr_t a;
	int i;

	sleep_vm = vmem_create("sleepy", 0x1000, 0x100, 16, 0, M_WAITOK);
	vmem_alloc(sleep_vm, 0x100, M_NOWAIT, &a);
	pthread_create(&t, NULL, sleeper, NULL);
	while (atomic_load(&sleeper_state) == 0)
		sched_yield();
	for (i = 0; i < 200; i++)
		sched_yield();
	ok(atomic_load(&sleeper_state) == 1, "M_WAITOK on a full arena sleeps");
	vmem_free(sleep_vm, a, 0x100);
	pthread_join(t, NULL);
	ok(atomic_load(&sleeper_state) == 2, "a free wakes it and it succeeds");
	vmem_destroy(sleep_vm);
}

/* The quantum-cache common path takes no lock. */
static void
test_qcache_lockless(void)
{
	vmem_t *vm;
	vmem_addr_t a[8];
	unsigned long before;
	int i, j;
	bool good = true;

	vm = vmem_create("lockless", 0x100000, 0x100000, 16, 16 * 16,
	    M_WAITOK);
	for (j = 0; j < 8; j++)
		vmem_alloc(vm, 48, M_NOWAIT, &a[j]);
	for (j = 0; j < 8; j++)
		vmem_free(vm, a[j], 48);
	before = kmem_spin_count();
	for (i = 0; i < 1000; i++) {
		good &= vmem_alloc(vm, 48, M_WAITOK, &a[0]) == 0;
		vmem_free(vm, a[0], 48);
	}
	ok(good && kmem_spin_count() == before,
	    "1000 warm alloc+free pairs of a cached size took no lock "
	    "(%lu acquisitions)", kmem_spin_count() - before);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "drain returns every round");
	vmem_destroy(vm);
}

/* Several harts hammer the quantum caches while one drains. */
#define QT_THREADS	4
#define QT_BASE		0x1000000UL
#define QT_SIZE		0x40000UL
static vmem_t *qt_vm;
static atomic_uchar qt_owner[QT_SIZE / 16];
static atomic_int qt_bad;

static void *
qt_worker(void *arg)
{
	vmem_addr_t mine[64], a;
	vmem_size_t sizes[64], s;
	uint64_t r = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	unsigned long i, k, n = 0;

	host_thread_register();
	for (i = 0; i < 20000; i++) {
		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		if (n < 64 && (n == 0 || r % 3 != 0)) {
			s = 16 * (1 + (r >> 8) % 8);
			if (vmem_alloc(qt_vm, s, M_NOWAIT, &a) != 0)
				continue;
			for (k = 0; k < s / 16; k++)
				if (atomic_exchange(&qt_owner[(a - QT_BASE) /
				    16 + k], 1) != 0)
					atomic_fetch_add(&qt_bad, 1);
			mine[n] = a;
			sizes[n++] = s;
		} else {
			k = (r >> 16) % n;
			a = mine[k];
			s = sizes[k];
			mine[k] = mine[--n];
			sizes[k] = sizes[n];
			for (k = 0; k < s / 16; k++)
				atomic_store(&qt_owner[(a - QT_BASE) / 16 + k],
				    0);
			vmem_free(qt_vm, a, s);
		}
		if ((uintptr_t)arg == 0 && i % 500 == 0)
			vmem_drain(qt_vm);
	}
	while (n > 0) {
		n--;
		for (k = 0; k < sizes[n] / 16; k++)
			atomic_store(&qt_owner[(mine[n] - QT_BASE) / 16 + k], 0);
		vmem_free(qt_vm, mine[n], sizes[n]);
	}
	host_thread_unregister();
	return (NULL);
}

static void
test_qcache_threads(void)
{
	pthread_t t[QT_THREADS];
	char why[128];
	uintptr_t i;

	qt_vm = vmem_create("qthreads", QT_BASE, QT_SIZE, 16, 8 * 16,
	    M_WAITOK);
	for (i = 0; i < QT_THREADS; i++)
		pthread_create(&t[i], NULL, qt_worker, (void *)i);
	for (i = 0; i < QT_THREADS; i++)
		pthread_join(t[i], NULL);
	ok(atomic_load(&qt_bad) == 0, "%d harts never got the same quantum "
	    "twice", QT_THREADS);
	ok(vmem_size(qt_vm, VMEM_ALLOC) > 0,
	    "rounds are held in the harts' magazines before the drain");
	vmem_drain(qt_vm);
	ok(vmem_size(qt_vm, VMEM_ALLOC) == 0 &&
	    vmem_check(qt_vm, why, sizeof(why)) == 0,
	    "a drain from another hart empties every hart's magazines");
	vmem_destroy(qt_vm);
}

static void
test_hash_resizes(void)
{
	static vmem_addr_t a[6000];
	struct vmem_stats vs;
	vmem_t *vm;
	char why[128];
	int i;
	bool good = true;

	vm = vmem_create("hashy", 0x1000000, 0x1000000, 16, 0, M_WAITOK);
	for (i = 0; i < 6000; i++)
		good &= vmem_alloc(vm, 16 * (1 + i % 5), M_NOWAIT, &a[i]) == 0;
	vmem_get_stats(vm, &vs);
	ok(good && vs.vs_hashsize >= 2048 && vmem_check(vm, why,
	    sizeof(why)) == 0, "the busy hash grew with the load (%lu "
	    "buckets for %lu busy)", (u_long)vs.vs_hashsize,
	    (u_long)vs.vs_nbusy);
	for (i = 0; i < 6000; i++)
		vmem_free(vm, a[i], 16 * (1 + i % 5));
	vmem_get_stats(vm, &vs);
	ok(vs.vs_hashsize == VMEM_HASH0_SIZE && vs.vs_nfree == 1,
	    "and shrank back to the embedded table once empty (%lu)",
	    (u_long)vs.vs_hashsize);
	vmem_destroy(vm);
}

static void
test_nextfit_and_instant(void)
{
	vmem_t *vm;
	vmem_addr_t a, b, c;

	vm = vmem_create("nf", 1, 100, 1, 0, M_WAITOK);
	vmem_alloc(vm, 1, M_NOWAIT | M_NEXTFIT, &a);
	vmem_free(vm, a, 1);
	vmem_alloc(vm, 1, M_NOWAIT | M_NEXTFIT, &b);
	ok(a == 1 && b == 2, "M_NEXTFIT does not reuse a just-freed id "
	    "(%lu then %lu)", (u_long)a, (u_long)b);
	vmem_free(vm, b, 1);
	vmem_destroy(vm);

	vm = vmem_create("fit", 0x1000, 0x1000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 0x30, M_NOWAIT, &a);	/* 0x1000 */
	vmem_alloc(vm, 0x10, M_NOWAIT, &b);	/* 0x1030 separator */
	vmem_alloc(vm, 0x20, M_NOWAIT, &c);	/* 0x1040 */
	vmem_alloc(vm, 0x10, M_NOWAIT, &b);	/* 0x1060 separator */
	vmem_free(vm, a, 0x30);
	vmem_free(vm, c, 0x20);
	ok(vmem_alloc(vm, 0x20, M_NOWAIT | M_BESTFIT, &a) == 0 && a == 0x1040,
	    "best fit takes the exact hole (0x%lx)", (u_long)a);
	vmem_free(vm, a, 0x20);
	ok(vmem_alloc(vm, 0x18, M_NOWAIT | M_FIRSTFIT, &a) == 0 && a == 0x1040,
	    "instant fit of 0x18 takes a 0x20 hole (0x%lx)", (u_long)a);
	vmem_free(vm, a, 0x18);
	ok(vmem_size(vm, VMEM_MAXFREE) == 0x1000 - 0x70,
	    "VMEM_MAXFREE is the largest free segment (0x%lx)",
	    (u_long)vmem_size(vm, VMEM_MAXFREE));
	vmem_free(vm, 0x1030, 0x10);
	vmem_free(vm, b, 0x10);
	vmem_destroy(vm);
}

/*
 * The hot allocation path leaves the rest of the segment it carved on its
 * old list (vm_stale) until something searches.  Every search must see it
 * at its real size: an instant fit of the old size must not get it back,
 * a window that holds only it must find it, VMEM_MAXFREE must not count
 * the carved part, and a free next to it must coalesce it.
 */
static void
test_carved_rest_is_found_at_its_size(void)
{
	vmem_t *vm;
	vmem_addr_t a, b, c, d, e;
	char why[128];

	/* [0x1000, 0x10a0): 0xa0 free hole between separators, then rest. */
	vm = vmem_create("rest", 0x1000, 0x1000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 0x10, M_NOWAIT, &a);	/* 0x1000 separator */
	vmem_alloc(vm, 0xa0, M_NOWAIT, &b);	/* 0x1010 hole */
	vmem_alloc(vm, 0x10, M_NOWAIT, &c);	/* 0x10b0 separator */
	vmem_alloc(vm, 0xf40, M_NOWAIT, &d);	/* 0x10c0 to the end */
	vmem_free(vm, b, 0xa0);
	ok(vmem_alloc(vm, 0x30, M_NOWAIT | M_FIRSTFIT, &b) == 0 &&
	    b == 0x1010, "instant fit of 0x30 carves the 0xa0 hole (0x%lx)",
	    (u_long)b);
	ok(vmem_check(vm, why, sizeof(why)) == 0, "arena consistent with "
	    "the carved rest left on its list (%s)", why);
	ok(vmem_size(vm, VMEM_MAXFREE) == 0x70, "VMEM_MAXFREE sees the rest "
	    "at 0x70 (0x%lx)", (u_long)vmem_size(vm, VMEM_MAXFREE));
	ok(vmem_alloc(vm, 0xa0, M_NOWAIT | M_FIRSTFIT, &e) == ENOMEM,
	    "instant fit of the old size does not get the 0x70 rest");
	ok(vmem_alloc(vm, 0x70, M_NOWAIT | M_FIRSTFIT, &e) == 0 &&
	    e == 0x1040, "instant fit of 0x70 takes the rest (0x%lx)",
	    (u_long)e);
	vmem_free(vm, e, 0x70);
	vmem_free(vm, b, 0x30);
	ok(vmem_alloc(vm, 0x40, M_NOWAIT | M_BESTFIT, &b) == 0 &&
	    b == 0x1010, "best fit of 0x40 carves the whole hole again "
	    "(0x%lx)", (u_long)b);
	ok(vmem_xalloc(vm, 0x60, 0, 0, 0, 0x1050, 0x10af, M_NOWAIT |
	    M_FIRSTFIT, &e) == 0 && e == 0x1050, "a window holding only the "
	    "rest finds it (0x%lx)", (u_long)e);
	vmem_free(vm, b, 0x40);
	vmem_free(vm, e, 0x60);
	ok(vmem_check(vm, why, sizeof(why)) == 0, "frees coalesce the hole "
	    "back (%s)", why);
	ok(vmem_alloc(vm, 0xa0, M_NOWAIT | M_FIRSTFIT, &b) == 0 &&
	    b == 0x1010, "and the whole hole is one segment again (0x%lx)",
	    (u_long)b);
	vmem_free(vm, b, 0xa0);
	vmem_free(vm, a, 0x10);
	vmem_free(vm, c, 0x10);
	vmem_free(vm, d, 0xf40);
	ok(vmem_check(vm, why, sizeof(why)) == 0 &&
	    vmem_size(vm, VMEM_ALLOC) == 0, "all free (%s)", why);
	vmem_destroy(vm);
}

/* Arenas before the backend exists: static storage and the boot pool. */
static struct vmem boot_arena;

static void
test_boot(void)
{
	static vmem_addr_t ba[100], ca[100];
	vmem_t *c;
	int i;
	bool good = true;

	ok(vmem_init(&boot_arena, "boot", 0x80000000UL, 0x100000, 4096, 0,
	    M_NOWAIT) == &boot_arena, "vmem_init on static storage before "
	    "any backend");
	c = vmem_create("bootc", 0x1000, 0x1000, 16, 0, M_NOWAIT);
	ok(c != NULL, "vmem_create before any backend uses the boot pool");
	for (i = 0; i < 100; i++) {
		good &= vmem_alloc(&boot_arena, 4096, M_NOWAIT, &ba[i]) == 0;
		good &= vmem_alloc(c, 16, M_NOWAIT, &ca[i]) == 0;
	}
	ok(good && atomic_load(&be_live) == 0, "boot-time arenas allocate on "
	    "boot tags alone");
	for (i = 0; i < 100; i++) {
		vmem_free(&boot_arena, ba[i], 4096);
		vmem_free(c, ca[i], 16);
	}
	ok(vmem_size(c, VMEM_ALLOC) == 0 && vmem_size(&boot_arena,
	    VMEM_ALLOC) == 0, "and free back");
	vmem_destroy(c);
}

int
main(void)
{
	host_thread_register();
	test_boot();
	vmem_set_backend(be_alloc, be_free);
	test_bad_input();
	test_invalid_free();
	test_running_out();
	test_nextfit_and_instant();
	test_carved_rest_is_found_at_its_size();
	test_hash_resizes();
	test_qcache_lockless();
	test_model_random(0x1234567, 20000, true);
	test_model_random(0xfeedbeef, 20000, false);
	test_model_random(0xabcdef12345ULL, 20000, true);
	test_waitok_sleeps();
	test_qcache_threads();
	return (tap_done());
}

#endif /* !VMEM_MODEL_ONLY */
