/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_report.c: kmem's state as JSON lines (kmem/report.h).
 *
 * Every figure comes from a layer's own statistics call (vm_phys_stats,
 * vm_page_cache_count, vmem_get_stats, uma_zone_*, malloc_type_stats,
 * kmem_stats, pmap_get_counts, vm_lowmem_count, the maps' accessors);
 * this file only formats them.  A
 * line is built in a small buffer and then handed to the sink: the console
 * or the caller's buffer.  No allocation, so a report works when memory
 * is short, which is when it is wanted.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <kmem/lowmem.h>
#include <kmem/machine.h>
#include <kmem/malloc.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/report.h>
#include <kmem/uma.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_map.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>
#include <kmem/vmem.h>

#include "kmem_private.h"
#include "vmem_private.h"

#define REP_LINE_MAX	512	/* the longest line is a hart's or an arena's */

struct rep {
	char	line[REP_LINE_MAX + 2];	/* + the closing brace and newline */
	size_t	ll;		/* bytes in line */
	bool	over;		/* the line did not fit: replaced by an error */
	bool	console;	/* lines go to the console, not to buf */
	char	*buf;
	size_t	len;
	size_t	total;		/* bytes the whole report needs */
	bool	full;		/* a line did not fit in buf: stop copying */
	u_long	snap;
	u_long	nlines;
};

static atomic_ulong rep_snaps;
static atomic_ulong rep_shootdowns;

void
kmem_report_note_shootdown(void)
{

	atomic_fetch_add_explicit(&rep_shootdowns, 1, memory_order_relaxed);
}

u_long
kmem_report_shootdowns(void)
{

	return (atomic_load_explicit(&rep_shootdowns, memory_order_relaxed));
}

static void __kmem_printflike(2, 3)
rep_add(struct rep *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->line + r->ll, REP_LINE_MAX - r->ll, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= REP_LINE_MAX - r->ll) {
		r->over = true;
		r->ll = REP_LINE_MAX - 1;
	} else
		r->ll += (size_t)n;
}

/* Open a line of kind @p kind. */
static void
rep_begin(struct rep *r, const char *kind)
{

	r->ll = 0;
	r->over = false;
	rep_add(r, "{\"kmem\":\"%s\",\"snap\":%lu", kind, r->snap);
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
rep_str(struct rep *r, const char *key, const char *s)
{

	rep_add(r, ",\"%s\":\"", key);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			rep_add(r, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			rep_add(r, "\\u%04x", (unsigned char)*s);
		else
			rep_add(r, "%c", *s);
	}
	rep_add(r, "\"");
}

static void
rep_num(struct rep *r, const char *key, u_long v)
{

	rep_add(r, ",\"%s\":%lu", key, v);
}

/* Addresses as hex strings: kernel VAs are beyond a double's 2^53. */
static void
rep_addr(struct rep *r, const char *key, u_long v)
{

	rep_add(r, ",\"%s\":\"0x%lx\"", key, v);
}

/* Close the line and hand it to the sink. */
static void
rep_end(struct rep *r)
{

	if (r->over)	/* never with today's lines; keep the JSON valid */
		r->ll = (size_t)snprintf(r->line, sizeof(r->line),
		    "{\"kmem\":\"error\",\"snap\":%lu,\"what\":\"line too long\"",
		    r->snap);
	r->line[r->ll++] = '}';
	r->line[r->ll++] = '\n';
	r->nlines++;
	r->total += r->ll;
	if (r->console) {
		md_console_write(r->line, r->ll);
		return;
	}
	if (r->full || r->total >= r->len) {
		r->full = true;
		return;
	}
	memcpy(r->buf + r->total - r->ll, r->line, r->ll);
	r->buf[r->total] = '\0';
}

static void
rep_machine(struct rep *r, const struct kmem_stats *ks,
    const struct vm_phys_stats *ps)
{
	u_long pages;
	u_int c;
	int d, e;

	pages = 0;
	for (d = 0; d < ps->ndomains; d++)
		pages += ps->dom[d].npages;
	rep_begin(r, "machine");
	rep_num(r, "time_ms", (u_long)(md_time() * 1000 /
	    (md_time_freq() != 0 ? md_time_freq() : 1)));
	rep_num(r, "harts", md_ncpus());
	rep_num(r, "harts_running", md_ncpus_running());
	rep_num(r, "domains", (u_long)ps->ndomains);
	rep_add(r, ",\"hart_domain\":[");
	for (c = 0; c < md_ncpus(); c++)
		rep_add(r, "%s%d", c == 0 ? "" : ",", md_cpu_domain(c));
	rep_add(r, "],\"distance\":[");
	for (d = 0; d < ps->ndomains; d++) {
		rep_add(r, "%s[", d == 0 ? "" : ",");
		for (e = 0; e < ps->ndomains; e++)
			rep_add(r, "%s%u", e == 0 ? "" : ",",
			    physmem.distance[d][e]);
		rep_add(r, "]");
	}
	rep_add(r, "]");
	rep_num(r, "page_size", PAGE_SIZE);
	rep_num(r, "pages", pages);
	rep_num(r, "free_pages", ks->free_pages);
	rep_num(r, "meta_bytes", ps->meta_bytes);
	rep_end(r);
}

static void
rep_domains(struct rep *r, const struct vm_phys_stats *ps)
{
	int d, i;

	for (d = 0; d < ps->ndomains; d++) {
		rep_begin(r, "domain");
		rep_num(r, "domain", (u_long)d);
		rep_num(r, "pages", ps->dom[d].npages);
		rep_num(r, "free", ps->dom[d].free);
		rep_num(r, "cached", ps->dom[d].cached);
		rep_num(r, "free_min", ps->dom[d].free_min);
		rep_add(r, ",\"free_blocks\":[");
		for (i = 0; i < VM_NFREEORDER; i++)
			rep_add(r, "%s%lu", i == 0 ? "" : ",",
			    ps->dom[d].blocks[i]);
		rep_add(r, "]");
		rep_end(r);
	}
	for (i = 0; i < ps->nsegs; i++) {
		rep_begin(r, "segment");
		rep_num(r, "segment", (u_long)i);
		rep_num(r, "domain", (u_long)ps->segs[i].domain);
		rep_addr(r, "start", ps->segs[i].start);
		rep_addr(r, "end", ps->segs[i].end);
		rep_num(r, "pages", atop(ps->segs[i].end - ps->segs[i].start));
		rep_num(r, "free", ps->segs[i].free);
		rep_end(r);
	}
}

static void
rep_harts(struct rep *r, int ndomains)
{
	u_int c;
	int d;

	for (c = 0; c < md_ncpus(); c++) {
		rep_begin(r, "hart");
		rep_num(r, "cpu", c);
		rep_add(r, ",\"domain\":%d,\"cached\":[", md_cpu_domain(c));
		for (d = 0; d < ndomains; d++)
			rep_add(r, "%s%lu", d == 0 ? "" : ",",
			    vm_page_cache_count(c, d));
		rep_add(r, "]");
		rep_end(r);
	}
}

const char *
kmem_report_arena_kind(vmem_t *vm, int *domain)
{
	int d;

	*domain = -1;
	if (vm == kernel_arena)
		return ("kernel");
	for (d = 0; d < vm_ndomains; d++) {
		*domain = d;
		if (vm == kmem_domain_arena(d, false))
			return ("domain");
		if (vm == kmem_domain_arena(d, true))
			return ("domain_exec");
	}
	*domain = -1;
	return ("user");
}

static void
rep_arena(vmem_t *vm, void *arg)
{
	struct rep *r = arg;
	struct vmem_stats vs;
	const char *kind;
	int domain;

	vmem_get_stats(vm, &vs);
	kind = kmem_report_arena_kind(vm, &domain);
	rep_begin(r, "arena");
	rep_str(r, "name", vs.vs_name);
	rep_str(r, "kind", kind);
	rep_add(r, ",\"domain\":%d", domain);
	rep_add(r, ",\"quantum\":%lu,\"size\":%lu,\"inuse\":%lu,\"free\":%lu"
	    ",\"limit\":%lu", (u_long)vs.vs_quantum, (u_long)vs.vs_size,
	    (u_long)vs.vs_inuse, (u_long)(vs.vs_size - vs.vs_inuse),
	    (u_long)vs.vs_limit);
	rep_add(r, ",\"import\":%s,\"import_quantum\":%lu"
	    ",\"imported_spans\":%lu,\"imported_bytes\":%lu",
	    vs.vs_import ? "true" : "false", (u_long)vs.vs_import_quantum,
	    (u_long)vs.vs_nimported, (u_long)vs.vs_imported);
	rep_add(r, ",\"spans\":%lu,\"busy_segs\":%lu,\"free_segs\":%lu"
	    ",\"hash_buckets\":%lu,\"cached_tags\":%lu",
	    (u_long)vs.vs_nspans, (u_long)vs.vs_nbusy, (u_long)vs.vs_nfree,
	    (u_long)vs.vs_hashsize, (u_long)vs.vs_cachedtags);
	rep_add(r, ",\"qcache_max\":%lu,\"qcache_rounds\":%lu"
	    ",\"qcache_bytes\":%lu,\"waiters\":%lu",
	    (u_long)vs.vs_qcache_max, (u_long)vs.vs_qcache_rounds,
	    (u_long)vs.vs_qcache_bytes, (u_long)vs.vs_nwaiters);
	rep_end(r);
}

static void
rep_zone(uma_zone_t zone, void *arg)
{
	struct rep *r = arg;
	u_long slabs, free;

	uma_zone_slabs(zone, &slabs, &free);
	rep_begin(r, "zone");
	rep_str(r, "name", uma_zone_name(zone));
	rep_num(r, "size", uma_zone_get_size(zone));
	rep_add(r, ",\"items\":%d,\"limit\":%d", uma_zone_get_cur(zone),
	    uma_zone_get_max(zone));
	rep_num(r, "slabs", slabs);
	rep_num(r, "free_slabs", free);
	rep_num(r, "pages", uma_zone_pages(zone));
	rep_end(r);
}

static void
rep_malloc_type(struct malloc_type *type, void *arg)
{
	struct rep *r = arg;
	struct malloc_type_stats st;

	malloc_type_stats(type, &st);
	rep_begin(r, "malloc_type");
	rep_str(r, "name", type->ks_shortdesc != NULL ? type->ks_shortdesc :
	    "?");
	rep_num(r, "inuse", (u_long)(st.mts_memalloced - st.mts_memfreed));
	rep_num(r, "allocs", (u_long)st.mts_numallocs);
	rep_num(r, "frees", (u_long)st.mts_numfrees);
	rep_num(r, "failures", (u_long)st.mts_failures);
	rep_end(r);
}

static void
rep_map(struct rep *r, const char *name, vm_map_t map)
{

	rep_begin(r, "map");
	rep_str(r, "name", name);
	rep_addr(r, "min", vm_map_min(map));
	rep_addr(r, "max", vm_map_max(map));
	rep_num(r, "size", vm_map_max(map) - vm_map_min(map));
	rep_num(r, "used", vm_map_size(map));
	rep_num(r, "entries", (u_long)vm_map_nentries(map));
	rep_end(r);
}

static void
rep_kmem(struct rep *r, const struct kmem_stats *ks)
{
	struct pmap_counts pc;

	pmap_get_counts(kernel_pmap, &pc);
	rep_begin(r, "kmem");
	rep_addr(r, "min_kernel_address", ks->min_kernel_address);
	rep_addr(r, "max_kernel_address", ks->max_kernel_address);
	rep_num(r, "kernel_arena_alloc", ks->kernel_arena_alloc);
	rep_num(r, "kernel_arena_free", ks->kernel_arena_free);
	rep_num(r, "commit_used", ks->commit_used);
	rep_num(r, "commit_limit", ks->commit_limit);
	rep_num(r, "pt_pages", pc.ptpages);
	rep_num(r, "pt_spare", pc.spare);
	rep_num(r, "superpages", pc.superpages);
	rep_num(r, "demotions", pc.demotions);
	rep_num(r, "pt_alloc_fail", pc.ptalloc_fail);
	rep_num(r, "lowmem_events", vm_lowmem_count());
	rep_num(r, "free_batches", ks->free_batches);
	rep_num(r, "shootdowns", kmem_report_shootdowns());
	rep_num(r, "meta_pages", ks->meta_pages);
	rep_end(r);
}

static void
rep_all(struct rep *r)
{
	struct vm_phys_stats ps;
	struct kmem_stats ks;

	r->snap = atomic_fetch_add_explicit(&rep_snaps, 1,
	    memory_order_relaxed) + 1;
	vm_phys_stats(&ps);
	kmem_stats(&ks);
	rep_machine(r, &ks, &ps);
	rep_domains(r, &ps);
	rep_harts(r, ps.ndomains);
	vmem_foreach(rep_arena, r);
	uma_zone_foreach(rep_zone, r);
	malloc_type_foreach(rep_malloc_type, r);
	rep_map(r, "kernel_map", kernel_map);
	rep_map(r, "exec_map", exec_map);
	rep_map(r, "pipe_map", pipe_map);
	rep_kmem(r, &ks);
	rep_begin(r, "end");
	rep_num(r, "lines", r->nlines + 1);
	rep_end(r);
}

void
kmem_report_json(void)
{
	struct rep r;

	memset(&r, 0, sizeof(r));
	r.console = true;
	rep_all(&r);
}

size_t
kmem_report_json_buf(char *buf, size_t len)
{
	struct rep r;

	memset(&r, 0, sizeof(r));
	r.buf = buf;
	r.len = len;
	if (buf != NULL && len > 0)
		buf[0] = '\0';
	else
		r.full = true;
	rep_all(&r);
	return (r.total);
}
