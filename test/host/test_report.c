/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_report_json on the host twin: every line is one valid JSON object,
 * the kinds come in the documented order, and the figures are the ones
 * the layers' own statistics calls give (vm_phys_stats, kmem_stats,
 * vmem_size, pmap_get_counts, vm_lowmem_count, swap_reserved).  A short
 * buffer gets whole lines only; the console form prints the same report.
 * usage: host_report [ndomains]
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"

static struct fdt_machine M;
MALLOC_DEFINE(M_REPORT, "report", "host/report's own allocations");
static char rep[256 * 1024];

/* ------------------------------------------- a small JSON validator */

static const char *json_value(const char *p);

static const char *
json_ws(const char *p)
{

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return (p);
}

static const char *
json_string(const char *p)
{

	if (*p++ != '"')
		return (NULL);
	while (*p != '"') {
		if (*p == '\0' || *p == '\n' || (unsigned char)*p < 0x20)
			return (NULL);
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return (NULL);
				p += 4;
			} else if (strchr("\"\\/bfnrt", *p) == NULL)
				return (NULL);
		}
		p++;
	}
	return (p + 1);
}

static const char *
json_number(const char *p)
{
	const char *s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return (NULL);
	if (*p == '.') {
		s = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == s)
			return (NULL);
	}
	return (p);
}

static const char *
json_list(const char *p, char close, bool object)
{

	p = json_ws(p + 1);
	if (*p == close)
		return (p + 1);
	for (;;) {
		if (object) {
			if ((p = json_string(json_ws(p))) == NULL)
				return (NULL);
			p = json_ws(p);
			if (*p++ != ':')
				return (NULL);
		}
		if ((p = json_value(p)) == NULL)
			return (NULL);
		p = json_ws(p);
		if (*p == close)
			return (p + 1);
		if (*p++ != ',')
			return (NULL);
	}
}

static const char *
json_value(const char *p)
{

	p = json_ws(p);
	switch (*p) {
	case '{':
		return (json_list(p, '}', true));
	case '[':
		return (json_list(p, ']', false));
	case '"':
		return (json_string(p));
	case 't':
		return (strncmp(p, "true", 4) == 0 ? p + 4 : NULL);
	case 'f':
		return (strncmp(p, "false", 5) == 0 ? p + 5 : NULL);
	case 'n':
		return (strncmp(p, "null", 4) == 0 ? p + 4 : NULL);
	default:
		return (json_number(p));
	}
}

/* True when [p, end) is exactly one JSON object. */
static bool
json_object_line(const char *p, const char *end)
{
	const char *q;

	if (*p != '{')
		return (false);
	q = json_value(p);
	return (q != NULL && json_ws(q) == end);
}

/* ------------------------------------------------ reading the lines */

#define MAXLINES 256
static const char *lines[MAXLINES];
static int nlines;

/* Split rep into lines (in place); false if a line is not one object. */
static bool
split_lines(char *text)
{
	char *p, *nl;
	bool good;

	nlines = 0;
	good = true;
	for (p = text; *p != '\0' && nlines < MAXLINES; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return (false);
		if (!json_object_line(p, nl)) {
			diag("bad line: %.*s", (int)(nl - p), p);
			good = false;
		}
		*nl = '\0';
		lines[nlines++] = p;
	}
	return (good);
}

/* The kind of a line ("kmem":"..."), compared with k. */
static bool
kind_is(const char *l, const char *k)
{
	char want[64];

	snprintf(want, sizeof(want), "{\"kmem\":\"%s\",", k);
	return (strncmp(l, want, strlen(want)) == 0);
}

/* The numeric field key of line l (or ~0 when absent). */
static u_long
field(const char *l, const char *key)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\"%s\":", key);
	p = strstr(l, want);
	if (p == NULL)
		return (~0UL);
	p += strlen(want);
	if (*p == '"')
		return (strtoul(p + 1, NULL, 16));
	return (strtoul(p, NULL, 10));
}

/* Element i of the numeric array field key of line l. */
static u_long
field_at(const char *l, const char *key, int i)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "\"%s\":[", key);
	p = strstr(l, want);
	if (p == NULL)
		return (~0UL);
	p += strlen(want);
	while (i-- > 0) {
		p = strchr(p, ',');
		if (p == NULL)
			return (~0UL);
		p++;
	}
	return (strtoul(p, NULL, 10));
}

static int
count_kind(const char *k)
{
	int i, n;

	for (i = n = 0; i < nlines; i++)
		n += kind_is(lines[i], k);
	return (n);
}

static const char *
nth_kind(const char *k, int nth)
{
	int i;

	for (i = 0; i < nlines; i++)
		if (kind_is(lines[i], k) && nth-- == 0)
			return (lines[i]);
	return ("");
}

static void
count_arena(vmem_t *vm, void *arg)
{

	(*(int *)arg)++;
}

/* ----------------------------------------------------------- tests */

static void
boot(int ndomains)
{

	ok(host_boot(&M, ndomains) == 0, "kmem_startup on %d domain(s)",
	    ndomains);
}

static void
test_figures(int nd)
{
	struct vm_phys_stats ps;
	struct kmem_stats ks;
	struct pmap_counts pc;
	const char *l;
	u_long sum, segfree;
	size_t n;
	int d, i, narenas, order;
	bool good;

	n = kmem_report_json_buf(rep, sizeof(rep));
	ok(n > 0 && n < sizeof(rep) && strlen(rep) == n, "the whole report "
	    "fits and its length is the answer (%zu bytes)", n);
	ok(split_lines(rep), "every one of the %d lines is one JSON object",
	    nlines);
	ok(kind_is(lines[0], "machine") && kind_is(lines[nlines - 1], "end") &&
	    field(lines[nlines - 1], "lines") == (u_long)nlines,
	    "machine first, end last, end counts the lines");
	ok(field(lines[0], "snap") == field(lines[nlines - 1], "snap"),
	    "every line carries the snapshot number");

	vm_phys_stats(&ps);
	kmem_stats(&ks);
	pmap_get_counts(kernel_pmap, &pc);
	l = lines[0];
	ok(field(l, "domains") == (u_long)vm_ndomains &&
	    field(l, "harts") == md_ncpus() &&
	    field(l, "free_pages") == ks.free_pages &&
	    field(l, "free_pages") == vm_free_count(),
	    "machine: domains %lu, harts %lu, free pages %lu as the C calls",
	    field(l, "domains"), field(l, "harts"), field(l, "free_pages"));
	ok(field_at(l, "hart_domain", 2 * nd - 1) == (u_long)md_cpu_domain(
	    2 * nd - 1) && (nd == 1 || field_at(l, "distance", 1) == 20),
	    "machine: hart domains and distances");

	ok(count_kind("domain") == nd && count_kind("segment") == ps.nsegs &&
	    count_kind("hart") == (int)md_ncpus(),
	    "one line per domain, per segment and per hart");
	good = true;
	for (d = 0; d < nd; d++) {
		l = nth_kind("domain", d);
		sum = 0;
		for (order = 0; order < VM_NFREEORDER; order++) {
			if (field_at(l, "free_blocks", order) !=
			    ps.dom[d].blocks[order])
				good = false;
			sum += field_at(l, "free_blocks", order) << order;
		}
		segfree = 0;
		for (i = 0; i < ps.nsegs; i++)
			if (field(nth_kind("segment", i), "domain") ==
			    (u_long)d)
				segfree += field(nth_kind("segment", i),
				    "free");
		if (field(l, "free") != vm_domain_free_count(d) ||
		    field(l, "pages") != ps.dom[d].npages ||
		    sum + field(l, "cached") != field(l, "free") ||
		    segfree != sum)
			good = false;
	}
	ok(good, "domains: free pages, blocks per order and the segments' "
	    "free pages agree with vm_phys_stats and vm_domain_free_count");

	narenas = 0;
	vmem_foreach(count_arena, &narenas);
	ok(count_kind("arena") == narenas && narenas >= 1 + 2 * nd,
	    "one line per arena (%d)", narenas);
	good = false;
	for (i = 0; i < count_kind("arena"); i++) {
		l = nth_kind("arena", i);
		if (strstr(l, "\"kind\":\"kernel\"") != NULL)
			good = field(l, "inuse") == vmem_size(kernel_arena,
			    VMEM_ALLOC) && field(l, "size") == vmem_size(
			    kernel_arena, VMEM_ALLOC | VMEM_FREE);
	}
	ok(good, "the kernel arena's size and use are vmem_size's");
	good = true;
	for (d = 0; d < nd; d++) {
		char want[64];

		snprintf(want, sizeof(want), "\"kind\":\"domain\","
		    "\"domain\":%d,", d);
		for (i = 0; i < count_kind("arena"); i++) {
			l = nth_kind("arena", i);
			if (strstr(l, want) != NULL &&
			    field(l, "inuse") != ks.domain_arena_alloc[d])
				good = false;
		}
	}
	ok(good, "per-domain arenas: in use as kmem_stats says");

	ok(count_kind("map") == 3 && field(nth_kind("map", 0), "used") ==
	    ks.kernel_map_size, "maps: kernel_map, exec_map, pipe_map");
	l = nth_kind("kmem", 0);
	ok(field(l, "pt_pages") == pc.ptpages && field(l, "superpages") ==
	    pc.superpages && field(l, "commit_used") == swap_reserved() &&
	    field(l, "commit_limit") == swap_limit() &&
	    field(l, "lowmem_events") == vm_lowmem_count() &&
	    field(l, "free_batches") == ks.free_batches &&
	    field(l, "shootdowns") == kmem_report_shootdowns(),
	    "kmem: page tables, commit, lowmem, batches and shootdowns as "
	    "the C calls (pt %lu, superpages %lu)", pc.ptpages,
	    pc.superpages);
}

static void
test_changes(void)
{
	vm_offset_t va, kv;
	u_long pt0, low0, sp0, commit0;
	const char *l;

	kmem_report_json_buf(rep, sizeof(rep));
	split_lines(rep);
	l = nth_kind("kmem", 0);
	low0 = field(l, "lowmem_events");
	sp0 = field(l, "superpages");
	commit0 = field(l, "commit_used");
	pt0 = field(lines[0], "free_pages");

	va = kmem_malloc(2UL << 20, M_WAITOK);
	kv = kmap_alloc_wait(exec_map, 64 * 1024);
	vm_lowmem_trigger(VM_LOW_KMEM);
	kmem_report_json_buf(rep, sizeof(rep));
	split_lines(rep);
	l = nth_kind("kmem", 0);
	ok(field(l, "lowmem_events") == low0 + 1, "a lowmem trigger is "
	    "counted");
	ok(field(l, "superpages") >= sp0 && field(l, "commit_used") ==
	    commit0 + 64 * 1024 && field(lines[0], "free_pages") + 512 <= pt0,
	    "a 2 MiB kmem_malloc and a 64 KiB kmap_alloc_wait show in free "
	    "pages and commit");
	ok(field(nth_kind("map", 1), "entries") >= 1, "exec_map shows its "
	    "entry");
	kmap_free_wakeup(exec_map, kv, 64 * 1024);
	kmem_free(va, 2UL << 20);
}

static void
test_zones(void)
{
	struct malloc_type_stats st;
	uma_zone_t z;
	void *items[40], *blocks[5];
	const char *l;
	int i, nz, found;
	bool good;

	z = uma_zcreate("report test", 200, NULL, NULL, NULL, NULL, 0, 0);
	for (i = 0; i < 40; i++)
		items[i] = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < 5; i++)
		blocks[i] = kern_malloc(1000 * (i + 1), M_REPORT, M_WAITOK);
	kmem_report_json_buf(rep, sizeof(rep));
	ok(split_lines(rep), "with zones and malloc types: %d lines, all "
	    "valid", nlines);
	nz = count_kind("zone");
	found = 0;
	for (i = 0; i < nz; i++) {
		l = nth_kind("zone", i);
		if (strstr(l, "\"name\":\"report test\"") == NULL)
			continue;
		found++;
		good = field(l, "size") == uma_zone_get_size(z) &&
		    field(l, "items") == (u_long)uma_zone_get_cur(z) &&
		    field(l, "items") == 40 &&
		    field(l, "pages") == uma_zone_pages(z) &&
		    field(l, "pages") > 0;
	}
	ok(nz >= 2 && found == 1 && good, "zones: %d lines; the test zone's "
	    "size, 40 items and pages as uma_zone_* say", nz);
	malloc_type_stats(M_REPORT, &st);
	found = 0;
	for (i = 0; i < count_kind("malloc_type"); i++) {
		l = nth_kind("malloc_type", i);
		if (strstr(l, "\"name\":\"report\"") == NULL)
			continue;
		found++;
		good = field(l, "inuse") == st.mts_memalloced -
		    st.mts_memfreed && field(l, "allocs") == st.mts_numallocs &&
		    field(l, "frees") == st.mts_numfrees &&
		    field(l, "inuse") >= 15000;
	}
	ok(found == 1 && good, "malloc types: the test type's bytes in use "
	    "and allocations as malloc_type_stats says");
	for (i = 0; i < 5; i++)
		kern_free(blocks[i], M_REPORT);
	for (i = 0; i < 40; i++)
		uma_zfree(z, items[i]);
	uma_zdestroy(z);
	ok(kind_is(nth_kind("zone", 0), "zone") &&
	    nth_kind("arena", count_kind("arena") - 1) < nth_kind("zone", 0) &&
	    nth_kind("malloc_type", 0) < nth_kind("map", 0),
	    "zones and malloc types come between the arenas and the maps");
}

static void
test_page_state(void)
{
	vm_page_t m;
	vm_paddr_t pa;
	int after;

	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 0;
	ok(m != NULL && vm_phys_pa_state(pa + 123) == VM_PHYS_PAGE_ALLOC,
	    "vm_phys_pa_state: an allocated page says so");
	vm_page_free(m);
	after = vm_phys_pa_state(pa);
	vm_page_cache_drain();
	ok((after == VM_PHYS_PAGE_CACHED || after == VM_PHYS_PAGE_FREE) &&
	    vm_phys_pa_state(pa) == VM_PHYS_PAGE_FREE, "vm_phys_pa_state: "
	    "freed, then on the buddy lists after a drain (%d)", after);
	ok(vm_phys_pa_state(0x1000) == -1 && vm_phys_pa_state(~0UL) == -1,
	    "vm_phys_pa_state: -1 outside managed RAM");
}

static void
test_short_buffer(void)
{
	static char small[700];
	size_t full, n;
	char *nl;

	full = kmem_report_json_buf(NULL, 0);
	n = kmem_report_json_buf(small, sizeof(small));
	nl = strrchr(small, '\n');
	ok(n == full && n >= sizeof(small) && strlen(small) < sizeof(small) &&
	    nl != NULL && nl[1] == '\0', "a short buffer gets whole lines "
	    "only and the answer is the full length (%zu)", n);
	ok(kmem_report_json_buf(small, 1) == full && small[0] == '\0',
	    "a one-byte buffer gets the empty string");
}

static void
test_console(void)
{
	FILE *f;
	int saved;
	size_t n;

	/* The host twin's console is stderr (stdout carries the TAP). */
	fflush(stderr);
	f = tmpfile();
	saved = dup(2);
	dup2(fileno(f), 2);
	kmem_report_json();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(rep, 1, sizeof(rep) - 1, f);
	fclose(f);
	rep[n] = '\0';
	ok(n > 0 && split_lines(rep) && kind_is(lines[0], "machine") &&
	    kind_is(lines[nlines - 1], "end") && field(lines[nlines - 1],
	    "lines") == (u_long)nlines, "kmem_report_json prints the same "
	    "report on the console (%d lines)", nlines);
}

/*
 * Reports taken while the other harts allocate and free: each must still
 * be whole and valid (each layer's figures are taken under its own lock).
 */
static atomic_bool conc_stop;
static atomic_int conc_bad, conc_reports;
static char conc_buf[256 * 1024];

static void
conc_worker(void *arg)
{
	vm_offset_t va[16];
	void *obj[16];
	u_long i;
	int k;

	(void)arg;
	if (md_cpuid() == 0) {
		for (k = 0; k < 100; k++) {
			if (kmem_report_json_buf(conc_buf, sizeof(conc_buf)) >=
			    sizeof(conc_buf) || !split_lines(conc_buf) ||
			    !kind_is(lines[nlines - 1], "end") ||
			    field(lines[nlines - 1], "lines") !=
			    (u_long)nlines)
				atomic_fetch_add(&conc_bad, 1);
			atomic_fetch_add(&conc_reports, 1);
		}
		atomic_store(&conc_stop, true);
		return;
	}
	for (i = 0; !atomic_load(&conc_stop); i++) {
		for (k = 0; k < 16; k++)
			va[k] = kmem_malloc(PAGE_SIZE << (k % 5), M_WAITOK);
		for (k = 0; k < 16; k++)
			kmem_free(va[k], PAGE_SIZE << (k % 5));
		for (k = 0; k < 16; k++)
			obj[k] = kern_malloc(48 << (k % 6), M_REPORT, M_WAITOK);
		for (k = 0; k < 16; k++)
			kern_free(obj[k], M_REPORT);
	}
}

static void
test_concurrent(void)
{
	u_int n;

	n = host_smp_start(md_ncpus());
	ok(n >= 2 && kmem_smp_run_all(conc_worker, NULL) == 0,
	    "%u harts: one takes reports while the others allocate", n);
	ok(atomic_load(&conc_reports) == 100 && atomic_load(&conc_bad) == 0,
	    "100 reports under load, every one whole and valid");
	host_smp_stop();
}

int
main(int argc, char **argv)
{
	int nd = argc > 1 ? atoi(argv[1]) : 2;

	boot(nd);
	if (argc > 2 && strcmp(argv[2], "threads") == 0) {
		/* The ThreadSanitizer tree runs only the concurrent part. */
		test_concurrent();
		return (tap_done());
	}
	test_figures(nd);
	test_changes();
	test_zones();
	test_page_state();
	test_short_buffer();
	test_console();
	test_concurrent();
	return (tap_done());
}
