/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_monitor.c: a line-oriented shell on the console (kmem/report.h).
 *
 * For a board with nothing but a serial line: a payload calls
 * kmem_monitor() when it wants, and a person types commands that show
 * where memory went and try allocations.  Input comes from
 * md_console_read() a byte at a time and is echoed (a serial console in
 * raw mode does not echo).  Every answer is one or more lines; every
 * mistake is one line that starts "error: " and changes nothing.  Only
 * ranges this monitor allocated can be freed, so no typing can reach
 * kmem_free's panics.
 */
#include <stdio.h>
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/lowmem.h>
#include <kmem/machine.h>
#include <kmem/pmap.h>
#include <kmem/report.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_map.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>
#include <kmem/vmem.h>

#include "kmem_private.h"
#include "vmem_private.h"

#define MON_LINE_MAX	128
#define MON_ALLOCS	64	/* live allocations the monitor remembers */
#define MON_PROMPT	"kmem> "

struct mon_alloc {
	vm_offset_t	va;
	vm_size_t	size;	/* as typed: what kmem_free is given */
};

static struct mon_alloc mon_allocs[MON_ALLOCS];

/* ------------------------------------------------------------- input */

/*
 * Read a line into buf (without its end), echoing.  CR, LF or CR LF end
 * a line (a CR ends the line at once, so only a line's first byte can be
 * the LF of a CR LF); backspace and DEL erase; a tab is a blank.  Returns
 * false at the end of input.
 */
static bool
mon_getline(char *buf, size_t size, bool *after_cr)
{
	size_t n;
	int c;

	n = 0;
	for (;;) {
		c = md_console_read();
		if (c == MD_CONSOLE_EOF)
			return (false);
		if (c < 0) {
			md_cpu_relax();
			continue;
		}
		if (c == '\n' && *after_cr) {
			*after_cr = false;	/* the LF of a CR LF */
			continue;
		}
		*after_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			md_console_write("\n", 1);
			buf[n] = '\0';
			return (true);
		}
		if (c == '\b' || c == 0x7f) {
			if (n > 0) {
				n--;
				md_console_write("\b \b", 3);
			}
			continue;
		}
		if (c == '\t')
			c = ' ';	/* a blank, as mon_word reads it */
		if (c < ' ' || n + 1 >= size)
			continue;	/* control bytes and overlong lines */
		buf[n++] = (char)c;
		md_console_write(&buf[n - 1], 1);
	}
}

/* The next blank-separated word of *p (NUL-terminated in place), or NULL. */
static char *
mon_word(char **p)
{
	char *w;

	while (**p == ' ')
		(*p)++;
	if (**p == '\0')
		return (NULL);
	w = *p;
	while (**p != '\0' && **p != ' ')
		(*p)++;
	if (**p != '\0')
		*(*p)++ = '\0';
	return (w);
}

/*
 * A number: decimal or 0x hex, with a K, M or G suffix when @p sizes.
 * False for anything else, or one that does not fit in 64 bits.
 */
static bool
mon_number(const char *s, bool sizes, uint64_t *vp)
{
	uint64_t v, base, d, mul;

	if (s == NULL)		/* mon_word's words are never empty */
		return (false);
	base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (*s == '\0')
			return (false);
	}
	for (v = 0; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return (false);
		v = v * base + d;
	}
	mul = 1;
	if (sizes && *s != '\0' && s[1] == '\0') {
		switch (*s) {
		case 'k': case 'K': mul = 1UL << 10; s++; break;
		case 'm': case 'M': mul = 1UL << 20; s++; break;
		case 'g': case 'G': mul = 1UL << 30; s++; break;
		}
	}
	if (*s != '\0' || (mul > 1 && v > UINT64_MAX / mul))
		return (false);
	*vp = v * mul;
	return (true);
}

/* ---------------------------------------------------------- commands */

/* One line "error: ..." (fmt has at most one %s, for arg). */
static int __kmem_printflike(1, 0)
mon_error(const char *fmt, const char *arg)
{

	kmem_printf("error: ");
	kmem_printf(fmt, arg != NULL ? arg : "");
	kmem_printf("\n");
	return (1);
}

static int
cmd_help(char *args)
{
	static const char *const lines[] = {
		"help                 this list",
		"mem                  free pages, commit, page tables",
		"domains              free pages per domain and buddy order",
		"arenas               every vmem arena",
		"vmem NAME            the arenas called NAME, with segments",
		"pt VA                the page-table entries that map VA",
		"page PA              the page at physical address PA",
		"alloc SIZE [DOMAIN]  kmem_malloc(SIZE, M_NOWAIT) [in DOMAIN]",
		"free VA SIZE         free what alloc returned",
		"lowmem               run the lowmem handlers",
		"json                 the report as JSON lines",
		"quit                 leave the monitor",
		"Numbers: decimal or 0x hex; sizes may end in K, M or G.",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		kmem_printf("%s\n", lines[i]);
	return (0);
}

static int
cmd_mem(char *args)
{
	struct pmap_counts pc;
	struct kmem_stats ks;
	struct vm_phys_stats ps;
	u_long pages;
	int d;

	kmem_stats(&ks);
	vm_phys_stats(&ps);
	pmap_get_counts(kernel_pmap, &pc);
	for (pages = 0, d = 0; d < ps.ndomains; d++)
		pages += ps.dom[d].npages;
	kmem_printf("free %u of %lu pages (%lu of %lu MiB), %d domain(s)\n",
	    ks.free_pages, pages, (u_long)ks.free_pages >> 8, pages >> 8,
	    ps.ndomains);
	kmem_printf("kernel arena %lu KiB in use, %lu KiB free; commit "
	    "%lu/%lu KiB\n", (u_long)ks.kernel_arena_alloc >> 10,
	    (u_long)ks.kernel_arena_free >> 10, (u_long)ks.commit_used >> 10,
	    (u_long)ks.commit_limit >> 10);
	kmem_printf("page-table pages %lu, superpages %lu, lowmem events "
	    "%lu, free batches %lu, shootdowns %lu\n", pc.ptpages,
	    pc.superpages, vm_lowmem_count(), ks.free_batches,
	    kmem_report_shootdowns());
	return (0);
}

static int
cmd_domains(char *args)
{
	struct vm_phys_stats ps;
	int d, i;

	vm_phys_stats(&ps);
	for (d = 0; d < ps.ndomains; d++) {
		kmem_printf("domain %d: %lu pages, %lu free, %lu cached; "
		    "blocks by order:", d, ps.dom[d].npages, ps.dom[d].free,
		    ps.dom[d].cached);
		for (i = 0; i < VM_NFREEORDER; i++)
			kmem_printf(" %lu", ps.dom[d].blocks[i]);
		kmem_printf("\n");
	}
	return (0);
}

static void
mon_arena_line(vmem_t *vm, void *arg)
{
	struct vmem_stats vs;
	const char *kind;
	char dom[16];
	int d;

	vmem_get_stats(vm, &vs);
	kind = kmem_report_arena_kind(vm, &d);
	snprintf(dom, sizeof(dom), d >= 0 ? "%d" : "-", d);
	kmem_printf("%-16s %-11s domain %s  size %10lu  in use %10lu  spans "
	    "%lu (%lu imported)  busy %lu  qcache %lu rounds\n", vs.vs_name,
	    kind, dom, (u_long)vs.vs_size, (u_long)vs.vs_inuse,
	    (u_long)vs.vs_nspans, (u_long)vs.vs_nimported,
	    (u_long)vs.vs_nbusy, (u_long)vs.vs_qcache_rounds);
}

static int
cmd_arenas(char *args)
{

	vmem_foreach(mon_arena_line, NULL);
	return (0);
}

struct mon_find {
	const char	*name;
	int		found;
};

static void
mon_vmem_match(vmem_t *vm, void *arg)
{
	struct mon_find *f = arg;
	struct vmem_stats vs;

	/* Names are kept to VMEM_NAME_MAX bytes: a longer NAME matches them. */
	vmem_get_stats(vm, &vs);
	if (strcmp(vs.vs_name, f->name) == 0 || (strlen(vs.vs_name) ==
	    VMEM_NAME_MAX && strncmp(vs.vs_name, f->name, VMEM_NAME_MAX) ==
	    0)) {
		f->found++;
		vmem_print(vm);
	}
}

static int
cmd_vmem(char *args)
{
	struct mon_find f;

	while (*args == ' ')
		args++;
	if (*args == '\0')
		return (mon_error("vmem needs an arena name (see arenas)",
		    NULL));
	f.name = args;
	f.found = 0;
	vmem_foreach(mon_vmem_match, &f);
	if (f.found == 0)
		return (mon_error("no arena called \"%s\"", args));
	return (0);
}

static int
cmd_pt(char *args)
{
	static const char *const names[] = { "L0", "L1", "L2", "L3" };
	struct pmap_counts pc;
	pt_entry_t ptes[4];
	uint64_t va;
	int i, n, top;

	if (!mon_number(mon_word(&args), false, &va))
		return (mon_error("pt needs a virtual address", NULL));
	n = pmap_kwalk(va, ptes, 4);
	if (n == 0)
		return (mon_error("not a canonical address for this paging "
		    "mode", NULL));
	/* FreeBSD's names: the leaf level is L3, Sv39's root L1. */
	pmap_get_counts(kernel_pmap, &pc);
	top = 4 - pc.levels;
	for (i = 0; i < n; i++)
		kmem_printf("%s 0x%016lx%s%s%s%s%s%s%s%s pa 0x%lx\n",
		    names[top + i], (u_long)ptes[i],
		    (ptes[i] & 0x01) != 0 ? " V" : " (invalid)",
		    (ptes[i] & 0x02) != 0 ? " R" : "",
		    (ptes[i] & 0x04) != 0 ? " W" : "",
		    (ptes[i] & 0x08) != 0 ? " X" : "",
		    (ptes[i] & 0x10) != 0 ? " U" : "",
		    (ptes[i] & 0x20) != 0 ? " G" : "",
		    (ptes[i] & 0x40) != 0 ? " A" : "",
		    (ptes[i] & 0x80) != 0 ? " D" : "",
		    (u_long)((ptes[i] >> 10) & ((1UL << 44) - 1)) << 12);
	kmem_printf("va 0x%lx -> pa 0x%lx\n", (u_long)va,
	    (u_long)pmap_kextract(va));
	return (0);
}

static int
cmd_page(char *args)
{
	struct vm_phys_stats ps;
	uint64_t pa;
	vm_page_t m;
	u_int marks;
	int i, state;

	if (!mon_number(mon_word(&args), false, &pa))
		return (mon_error("page needs a physical address", NULL));
	m = vm_page_from_phys(pa);
	if (m == NULL)
		return (mon_error("not managed RAM (see domains)", NULL));
	vm_phys_stats(&ps);
	kmem_printf("pa 0x%lx: page struct %p, domain %d", (u_long)pa,
	    (void *)m, vm_page_domain(m));
	for (i = 0; i < ps.nsegs; i++)
		if (pa >= ps.segs[i].start && pa < ps.segs[i].end)
			kmem_printf(", segment %d [0x%lx, 0x%lx)", i,
			    (u_long)ps.segs[i].start, (u_long)ps.segs[i].end);
	/*
	 * A free page's struct holds list links where an allocated one has
	 * its marks, and inside a free block no "known zero" bit: none.
	 */
	state = vm_phys_pa_state(pa);
	marks = state == VM_PHYS_PAGE_FREE ? 0 : vm_page_kmem_get(m);
	kmem_printf("\n  %s; kmem marks:%s%s%s%s; known zero: %s; dmap va "
	    "0x%lx\n", state == VM_PHYS_PAGE_FREE ? "free" :
	    state == VM_PHYS_PAGE_CACHED ? "free, in a hart's cache" :
	    "allocated", marks == 0 ? " none" : "",
	    (marks & VM_PAGE_KMEM_HEAD) != 0 ? " head" : "",
	    (marks & VM_PAGE_KMEM_TAIL) != 0 ? " tail" : "",
	    (marks & VM_PAGE_KMEM_EXEC) != 0 ? " exec" : "",
	    state != VM_PHYS_PAGE_FREE && vm_page_is_zero(m) ? "yes" : "no",
	    (u_long)PHYS_TO_DMAP(trunc_page(pa)));
	return (0);
}

static int
cmd_alloc(char *args)
{
	uint64_t size, domain;
	vm_offset_t va;
	char *w;
	int i;

	if (!mon_number(mon_word(&args), true, &size) || size == 0)
		return (mon_error("alloc needs a size above 0", NULL));
	w = mon_word(&args);
	if (w != NULL && (!mon_number(w, false, &domain) ||
	    domain >= (uint64_t)vm_ndomains))
		return (mon_error("no domain %s", w));
	if (mon_word(&args) != NULL)
		return (mon_error("alloc takes SIZE [DOMAIN]", NULL));
	for (i = 0; i < MON_ALLOCS && mon_allocs[i].va != 0; i++)
		;
	if (i == MON_ALLOCS)
		return (mon_error("the monitor holds 64 allocations already: "
		    "free one", NULL));
	va = w == NULL ? kmem_malloc(size, M_NOWAIT) :
	    kmem_malloc_domainset(DOMAINSET_FIXED(domain), size, M_NOWAIT);
	if (va == 0)
		return (mon_error("kmem_malloc: no memory for that size", NULL));
	mon_allocs[i].va = va;
	mon_allocs[i].size = size;
	kmem_printf("0x%lx %lu bytes, pa 0x%lx domain %d\n", (u_long)va,
	    (u_long)size, (u_long)pmap_kextract(va),
	    vm_phys_domain(pmap_kextract(va)));
	return (0);
}

static int
cmd_free(char *args)
{
	uint64_t va, size;
	int i;

	if (!mon_number(mon_word(&args), false, &va) ||
	    !mon_number(mon_word(&args), true, &size))
		return (mon_error("free needs VA SIZE", NULL));
	for (i = 0; i < MON_ALLOCS; i++)
		if (mon_allocs[i].va == va && va != 0)
			break;
	if (i == MON_ALLOCS)
		return (mon_error("not an address alloc returned (or freed "
		    "already)", NULL));
	if (round_page(mon_allocs[i].size) != round_page(size))
		return (mon_error("that allocation has another size", NULL));
	kmem_free(va, mon_allocs[i].size);
	mon_allocs[i].va = 0;
	kmem_printf("freed 0x%lx\n", (u_long)va);
	return (0);
}

static int
cmd_lowmem(char *args)
{
	u_int before;

	before = vm_free_count();
	(void)vm_lowmem_trigger(VM_LOW_KMEM | VM_LOW_PAGES);
	kmem_printf("lowmem handlers run (event %lu): free pages %u -> %u\n",
	    vm_lowmem_count(), before, vm_free_count());
	return (0);
}

static int
cmd_json(char *args)
{

	kmem_report_json();
	return (0);
}

static const struct {
	const char	*name;
	int		(*fn)(char *args);
} mon_cmds[] = {
	{ "help", cmd_help }, { "mem", cmd_mem }, { "domains", cmd_domains },
	{ "arenas", cmd_arenas }, { "vmem", cmd_vmem }, { "pt", cmd_pt },
	{ "page", cmd_page }, { "alloc", cmd_alloc }, { "free", cmd_free },
	{ "lowmem", cmd_lowmem }, { "json", cmd_json },
};

int
kmem_monitor(void)
{
	char line[MON_LINE_MAX], *p, *cmd;
	bool after_cr;
	size_t i;
	int failed;

	failed = 0;
	after_cr = false;
	kmem_printf("kmem monitor: type help\n");
	for (;;) {
		md_console_write(MON_PROMPT, sizeof(MON_PROMPT) - 1);
		if (!mon_getline(line, sizeof(line), &after_cr))
			break;
		p = line;
		cmd = mon_word(&p);
		if (cmd == NULL)
			continue;
		if (strcmp(cmd, "quit") == 0)
			break;
		for (i = 0; i < sizeof(mon_cmds) / sizeof(mon_cmds[0]); i++)
			if (strcmp(cmd, mon_cmds[i].name) == 0)
				break;
		if (i == sizeof(mon_cmds) / sizeof(mon_cmds[0]))
			failed += mon_error("unknown command \"%s\" (try help)",
			    cmd);
		else
			failed += mon_cmds[i].fn(p);
	}
	kmem_printf("kmem monitor: bye\n");
	return (failed);
}
