/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_fdt: the FDT reader against libfdt, on DTBs made by dtc from the
 * sources in test/data and dumped by QEMU's virt machine (paths as arguments),
 * and on malformed blobs made by mutating valid ones or built by hand.
 *
 * The oracle below reads each blob with libfdt (Debian's libfdt-dev, linked
 * only into this test) and fills a struct fdt_machine by the rules written
 * in kmem/fdt.h; the reader must produce the same struct.  QEMU's blobs are
 * also checked against the command line encoded in their file names
 * (qemu-n<nodes>-m<MiB>-c<harts>.dtb).  Set KMEM_VERBOSE=1 to see the
 * machines and their physical memory maps printed.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

/*
 * libfdt and kmem/fdt.h both define FDT_ERR_TRUNCATED, _BADOFFSET and
 * _BADVALUE (with other values): from here on they are kmem's, and the
 * libfdt codes this file needs are kept under other names.
 */
#define LIBFDT_ERR_BADPHANDLE	FDT_ERR_BADPHANDLE
#define LIBFDT_ERR_BADNCELLS	FDT_ERR_BADNCELLS
#undef FDT_ERR_TRUNCATED
#undef FDT_ERR_BADOFFSET
#undef FDT_ERR_BADVALUE

#include <kmem/fdt.h>
#include <kmem/physmem.h>

#include "tap.h"

static bool verbose;

static uint8_t *
load(const char *path, size_t *len)
{
	FILE *f;
	uint8_t *b;
	long n;

	f = fopen(path, "rb");
	if (f == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return (NULL);
	}
	fclose(f);
	*len = (size_t)n;
	return (b);
}

/* ---- The libfdt oracle ---- */

static uint64_t
o_cells(const fdt32_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 32 | fdt32_to_cpu(p[i]);
	return (v);
}

static bool
o_enabled(const void *fdt, int off)
{
	const char *s = fdt_getprop(fdt, off, "status", NULL);

	return (s == NULL || strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0);
}

static int
o_u32(const void *fdt, int off, const char *name, uint32_t dflt)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, off, name, &len);

	return (p != NULL && len == 4 ? (int)fdt32_to_cpu(*p) : (int)dflt);
}

/* Translate addr of a node whose parent is bus up to the root. */
static bool
o_translate(const void *fdt, int bus, uint64_t *addr, uint64_t size)
{
	const fdt32_t *r;
	uint64_t ca, pa, sz;
	int len, up, bac, pac, bsc, ent, i;

	while (bus != 0) {
		up = fdt_parent_offset(fdt, bus);
		r = fdt_getprop(fdt, bus, "ranges", &len);
		if (r == NULL)
			return (false);
		if (len > 0) {
			bac = fdt_address_cells(fdt, bus);
			bsc = fdt_size_cells(fdt, bus);
			pac = fdt_address_cells(fdt, up);
			if (bac > 2 || pac > 2 || bsc > 2)
				return (false);
			ent = bac + pac + bsc;
			if (ent == 0 || len % (4 * ent) != 0)
				return (false);
			for (i = 0; i < len / (4 * ent); i++) {
				ca = o_cells(r + i * ent, bac);
				pa = o_cells(r + i * ent + bac, pac);
				sz = o_cells(r + i * ent + bac + pac, bsc);
				if (*addr >= ca && *addr - ca < sz &&
				    size <= sz - (*addr - ca))
					break;
			}
			if (i == len / (4 * ent))
				return (false);
			*addr = *addr - ca + pa;
		}
		bus = up;
	}
	return (true);
}

/* The ISA bits by searching "_name" followed by '_' or the end. */
static uint32_t
o_isa_string(const char *isa)
{
	static const char *names[] = { "svpbmt", "svnapot", "zicboz", "sstc" };
	char low[512], pat[32];
	uint32_t bits = 0;
	const char *p;
	size_t i;

	for (i = 0; isa[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)isa[i]);
	low[i] = '\0';
	for (i = 0; i < 4; i++) {
		snprintf(pat, sizeof(pat), "_%s", names[i]);
		for (p = strstr(low, pat); p != NULL; p = strstr(p + 1, pat))
			if (p[strlen(pat)] == '_' || p[strlen(pat)] == '\0')
				bits |= 1U << i;
	}
	return (bits);
}

static int
o_mmu(const char *s)
{

	if (s == NULL)
		return (-1);
	if (strcmp(s, "riscv,sv39") == 0)
		return (39);
	if (strcmp(s, "riscv,sv48") == 0)
		return (48);
	if (strcmp(s, "riscv,sv57") == 0)
		return (57);
	return (0);
}

static void
oracle(const void *fdt, struct fdt_machine *o)
{
	static const char *ext[] = { "svpbmt", "svnapot", "zicboz", "sstc" };
	int off, depth, parent, cpus, resmem, len, ac, sc, i, j, maxdom;
	const fdt32_t *p;
	const char *s, *name;
	uint64_t base, size;
	uint32_t tbcpu = 0;
	bool any;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < MAXMEMDOM; i++)
		for (j = 0; j < MAXMEMDOM; j++)
			o->distance[i][j] = i == j ? 10 : 20;
	o->totalsize = fdt_totalsize(fdt);
	o->boot_cpuid_phys = fdt_boot_cpuid_phys(fdt);
	for (i = 0; i < fdt_num_mem_rsv(fdt); i++) {
		fdt_get_mem_rsv(fdt, i, &base, &size);
		o->rsv[o->nrsv].base = base;
		o->rsv[o->nrsv].size = size;
		o->rsv[o->nrsv].memreserve = true;
		strcpy(o->rsv[o->nrsv].name, "memreserve");
		o->nrsv++;
	}
	s = fdt_getprop(fdt, 0, "model", NULL);
	if (s != NULL)
		snprintf(o->model, sizeof(o->model), "%s", s);
	cpus = fdt_path_offset(fdt, "/cpus");
	resmem = fdt_path_offset(fdt, "/reserved-memory");
	maxdom = 0;
	if (cpus >= 0 && (p = fdt_getprop(fdt, cpus, "timebase-frequency",
	    &len)) != NULL)
		o->timebase_frequency = len == 4 ? fdt32_to_cpu(p[0]) :
		    fdt32_to_cpu(p[1]);
	depth = 0;
	for (off = fdt_next_node(fdt, 0, &depth); off >= 0;
	    off = fdt_next_node(fdt, off, &depth)) {
		parent = fdt_parent_offset(fdt, off);
		name = fdt_get_name(fdt, off, NULL);
		if (fdt_node_check_compatible(fdt, off,
		    "numa-distance-map-v1") == 0) {
			p = fdt_getprop(fdt, off, "distance-matrix", &len);
			for (i = 0; p != NULL && i < len / 12; i++) {
				uint32_t a = fdt32_to_cpu(p[3 * i]);
				uint32_t b = fdt32_to_cpu(p[3 * i + 1]);

				o->distance[a][b] = fdt32_to_cpu(p[3 * i + 2]);
				if (a < b)
					o->distance[b][a] = o->distance[a][b];
				o->has_distance = true;
			}
			continue;
		}
		if (off == cpus || off == resmem)
			continue;
		/* Under /cpus: only its cpu children. */
		{
			int a = off;
			bool in_cpus = false, in_res = false;

			while (a > 0) {
				a = fdt_parent_offset(fdt, a);
				in_cpus |= a == cpus;
				in_res |= a == resmem;
			}
			s = fdt_getprop(fdt, off, "device_type", NULL);
			if (in_cpus) {
				struct fdt_cpu *c;

				if (parent != cpus || s == NULL ||
				    strcmp(s, "cpu") != 0)
					continue;
				ac = fdt_address_cells(fdt, cpus);
				p = fdt_getprop(fdt, off, "reg", &len);
				c = &o->cpus[o->ncpus++];
				c->hartid = (uint32_t)o_cells(p, ac);
				c->domain = o_u32(fdt, off, "numa-node-id", 0);
				if (c->domain > maxdom)
					maxdom = c->domain;
				c->enabled = o_enabled(fdt, off);
				s = fdt_getprop(fdt, off, "riscv,isa", NULL);
				if (s != NULL)
					c->isa |= o_isa_string(s);
				s = fdt_getprop(fdt, off,
				    "riscv,isa-extensions", &len);
				for (i = 0; s != NULL && i < 4; i++)
					if (fdt_stringlist_contains(s, len,
					    ext[i]))
						c->isa |= 1U << i;
				c->mmu = o_mmu(fdt_getprop(fdt, off,
				    "mmu-type", NULL));
				if (tbcpu == 0)
					tbcpu = (uint32_t)o_u32(fdt, off,
					    "timebase-frequency", 0);
				continue;
			}
			if (in_res) {
				if (parent != resmem || !o_enabled(fdt, off))
					continue;
				p = fdt_getprop(fdt, off, "reg", &len);
				if (p == NULL)
					continue;
				ac = fdt_address_cells(fdt, resmem);
				sc = fdt_size_cells(fdt, resmem);
				for (i = 0; i < len / (4 * (ac + sc)); i++) {
					base = o_cells(p + i * (ac + sc), ac);
					size = o_cells(p + i * (ac + sc) + ac, sc);
					if (size == 0)
						continue;
					o_translate(fdt, resmem, &base, size);
					struct fdt_rsv *r = &o->rsv[o->nrsv++];
					r->base = base;
					r->size = size;
					r->nomap = fdt_getprop(fdt, off,
					    "no-map", NULL) != NULL;
					r->reusable = fdt_getprop(fdt, off,
					    "reusable", NULL) != NULL;
					snprintf(r->name, sizeof(r->name),
					    "%s", name);
				}
				continue;
			}
			ac = fdt_address_cells(fdt, parent);
			sc = fdt_size_cells(fdt, parent);
			p = fdt_getprop(fdt, off, "reg", &len);
			if (s != NULL && strcmp(s, "memory") == 0) {
				int dom = o_u32(fdt, off, "numa-node-id", 0);

				if (!o_enabled(fdt, off) || p == NULL)
					continue;
				if (dom > maxdom)
					maxdom = dom;
				for (i = 0; i < len / (4 * (ac + sc)); i++) {
					size = o_cells(p + i * (ac + sc) + ac,
					    sc);
					if (size == 0)
						continue;
					o->mem[o->nmem].base =
					    o_cells(p + i * (ac + sc), ac);
					o->mem[o->nmem].size = size;
					o->mem[o->nmem].domain = dom;
					o->nmem++;
				}
				continue;
			}
			s = fdt_getprop(fdt, off, "compatible", NULL);
			if (p == NULL || s == NULL || !o_enabled(fdt, off) ||
			    ac < 1 || ac > 2 || sc < 1 || sc > 2 ||
			    len < 4 * (ac + sc))
				continue;
			base = o_cells(p, ac);
			size = o_cells(p + ac, sc);
			if (!o_translate(fdt, parent, &base, size))
				continue;
			if (o->ndevs == FDT_MAX_DEVS) {
				o->devs_dropped++;
				continue;
			}
			o->devs[o->ndevs].base = base;
			o->devs[o->ndevs].size = size;
			snprintf(o->devs[o->ndevs].compatible,
			    sizeof(o->devs[0].compatible), "%s", s);
			o->ndevs++;
		}
	}
	if (o->timebase_frequency == 0)
		o->timebase_frequency = tbcpu;
	o->ndomains = maxdom + 1;
	o->isa = ~0U;
	o->mmu = -1;
	any = false;
	for (i = 0; i < o->ncpus; i++) {
		if (o->cpus[i].enabled) {
			any = true;
			o->isa &= o->cpus[i].isa;
			if (o->cpus[i].mmu >= 0 && (o->mmu < 0 ||
			    o->cpus[i].mmu < o->mmu))
				o->mmu = o->cpus[i].mmu;
		}
	}
	for (i = 0; i < o->ncpus; i++)
		if (o->cpus[i].mmu < 0)
			o->cpus[i].mmu = 0;
	if (!any)
		o->isa = 0;
	if (o->mmu < 0)
		o->mmu = 0;
}

/* Field-by-field comparison; one TAP line per aspect. */
static void
compare(const char *nm, const struct fdt_machine *m,
    const struct fdt_machine *o)
{
	bool same;
	int i;

	ok(m->totalsize == o->totalsize && m->boot_cpuid_phys ==
	    o->boot_cpuid_phys && strcmp(m->model, o->model) == 0,
	    "%s: header and model agree with libfdt (\"%s\")", nm, m->model);
	same = m->nmem == o->nmem;
	for (i = 0; same && i < m->nmem; i++)
		same = m->mem[i].base == o->mem[i].base &&
		    m->mem[i].size == o->mem[i].size &&
		    m->mem[i].domain == o->mem[i].domain;
	ok(same, "%s: %d memory ranges agree with libfdt (%d)", nm, m->nmem,
	    o->nmem);
	same = m->nrsv == o->nrsv;
	for (i = 0; same && i < m->nrsv; i++)
		same = m->rsv[i].base == o->rsv[i].base &&
		    m->rsv[i].size == o->rsv[i].size &&
		    m->rsv[i].nomap == o->rsv[i].nomap &&
		    m->rsv[i].reusable == o->rsv[i].reusable &&
		    m->rsv[i].memreserve == o->rsv[i].memreserve &&
		    strcmp(m->rsv[i].name, o->rsv[i].name) == 0;
	ok(same, "%s: %d reserved ranges agree with libfdt (%d)", nm,
	    m->nrsv, o->nrsv);
	same = m->ncpus == o->ncpus;
	for (i = 0; same && i < m->ncpus; i++)
		same = m->cpus[i].hartid == o->cpus[i].hartid &&
		    m->cpus[i].domain == o->cpus[i].domain &&
		    m->cpus[i].enabled == o->cpus[i].enabled &&
		    m->cpus[i].isa == o->cpus[i].isa &&
		    m->cpus[i].mmu == o->cpus[i].mmu;
	ok(same, "%s: %d harts agree with libfdt (%d)", nm, m->ncpus,
	    o->ncpus);
	same = m->ndevs == o->ndevs && m->devs_dropped == o->devs_dropped;
	for (i = 0; same && i < m->ndevs; i++)
		same = m->devs[i].base == o->devs[i].base &&
		    m->devs[i].size == o->devs[i].size &&
		    strcmp(m->devs[i].compatible, o->devs[i].compatible) == 0;
	ok(same, "%s: %d devices (+%d dropped) agree with libfdt (%d)", nm,
	    m->ndevs, m->devs_dropped, o->ndevs);
	ok(m->ndomains == o->ndomains && m->has_distance == o->has_distance &&
	    memcmp(m->distance, o->distance, sizeof(m->distance)) == 0,
	    "%s: %d domains and distances agree with libfdt", nm,
	    m->ndomains);
	ok(m->isa == o->isa && m->mmu == o->mmu &&
	    m->timebase_frequency == o->timebase_frequency,
	    "%s: isa 0x%x, mmu %d, timebase %u agree with libfdt", nm,
	    m->isa, m->mmu, m->timebase_frequency);
}

/* Facts from QEMU's command line, encoded in the file name. */
static void
check_qemu(const char *nm, const struct fdt_machine *m, int nodes, int mib,
    int harts)
{
	const struct fdt_dev *uart, *test;
	uint64_t total, per[MAXMEMDOM];
	bool good;
	int i, j;

	memset(per, 0, sizeof(per));
	total = 0;
	for (i = 0; i < m->nmem; i++) {
		total += m->mem[i].size;
		per[m->mem[i].domain] += m->mem[i].size;
	}
	ok(total == (uint64_t)mib << 20 && m->mem[0].base == 0x80000000UL,
	    "%s: %d MiB of RAM from 0x80000000", nm, mib);
	good = m->ndomains == nodes;
	for (i = 0; good && i < nodes; i++)
		good = per[i] == ((uint64_t)mib << 20) / (uint64_t)nodes;
	ok(good, "%s: %d NUMA nodes with %d MiB each", nm, nodes, mib / nodes);
	good = m->ncpus == harts;
	for (i = 0; good && i < harts; i++)
		good = m->cpus[i].enabled && m->cpus[i].hartid == (uint32_t)i &&
		    m->cpus[i].domain == i / (harts / nodes);
	ok(good, "%s: %d harts, hart i in node i / %d", nm, harts,
	    harts / nodes);
	good = m->has_distance == (nodes > 1);
	for (i = 0; good && i < nodes; i++)
		for (j = 0; j < nodes; j++)
			good &= m->distance[i][j] == (uint32_t)(i == j ? 10 :
			    10 + 10 * abs(i - j));
	ok(good, "%s: distance map as given by -numa dist", nm);
	uart = fdt_find_dev(m, "ns16550a");
	test = fdt_find_dev(m, "sifive,test1");
	ok(uart != NULL && uart->base == 0x10000000 && test != NULL &&
	    test->base == 0x100000 && test->size == 0x1000,
	    "%s: UART at 0x10000000, test finisher at 0x100000", nm);
	ok(m->mmu >= FDT_MMU_SV39 && m->timebase_frequency == 10000000,
	    "%s: mmu sv%d, timebase 10 MHz", nm, m->mmu);
}

/* A libfdt string list as fdt.h's ' '-separated copy of at most sz bytes. */
static void
oracle_list(const void *b, int node, char *dst, size_t sz)
{
	const char *p;
	int len, i;

	dst[0] = '\0';
	p = fdt_getprop(b, node, "compatible", &len);
	if (p == NULL || len <= 0)
		return;
	if ((size_t)len > sz)
		len = (int)sz;
	for (i = 0; i + 1 < len; i++)
		dst[i] = p[i] == '\0' ? ' ' : p[i];
	dst[len - 1] = '\0';
}

/*
 * The compatible lists (root and harts) and /chosen/bootargs read without
 * fdt_parse, as libfdt reads them.
 */
static void
check_compat_bootargs(const char *nm, const uint8_t *b, size_t len,
    const struct fdt_machine *m)
{
	char want[256], got[256];
	const char *ba;
	int node, i, bad;

	oracle_list(b, 0, want, sizeof(m->compatible));
	ok(strcmp(m->compatible, want) == 0, "%s: root compatible \"%s\"",
	    nm, m->compatible);
	bad = 0;
	for (i = 0; i < m->ncpus; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/cpus/cpu@%x", m->cpus[i].hartid);
		node = fdt_path_offset(b, path);
		oracle_list(b, node, want, sizeof(m->cpus[i].compatible));
		if (node < 0 || strcmp(m->cpus[i].compatible, want) != 0)
			bad++;
	}
	ok(bad == 0, "%s: every hart's compatible list as libfdt reads it",
	    nm);
	node = fdt_path_offset(b, "/chosen");
	ba = node >= 0 ? fdt_getprop(b, node, "bootargs", NULL) : NULL;
	ok(fdt_chosen_bootargs(b, len, got, sizeof(got)) == (ba != NULL) &&
	    strcmp(got, ba != NULL ? ba : "") == 0,
	    "%s: fdt_chosen_bootargs \"%s\"", nm, got);
	ok(!fdt_chosen_bootargs(b, 20, got, sizeof(got)) && got[0] == '\0',
	    "%s: fdt_chosen_bootargs of a truncated blob: false, \"\"", nm);
}

static void
check_file(const char *path)
{
	static struct fdt_machine m, o;
	const char *nm, *msg;
	uint8_t *b;
	size_t len;
	int err, nodes, mib, harts;

	nm = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	b = load(path, &len);
	if (!ok(b != NULL, "%s: readable", nm))
		return;
	ok(fdt_check_full(b, len) == 0, "%s: libfdt accepts it", nm);
	err = fdt_parse(b, len, &m, &msg);
	if (!ok(err == 0, "%s: fdt_parse accepts it (%d %s)", nm, err, msg)) {
		free(b);
		return;
	}
	oracle(b, &o);
	compare(nm, &m, &o);
	check_compat_bootargs(nm, b, len, &m);
	ok(fdt_blob_size(b, len) == fdt_totalsize(b),
	    "%s: fdt_blob_size is libfdt's totalsize (%u)", nm,
	    fdt_totalsize(b));
	if (sscanf(nm, "qemu-n%d-m%d-c%d", &nodes, &mib, &harts) == 3)
		check_qemu(nm, &m, nodes, mib, harts);
	if (verbose) {
		diag("%s:", nm);
		fdt_machine_print(&m);
		/* As on QEMU: OpenSBI, image after it, FDT near the top. */
		if (m.nmem > 0 && physmem_init(&m, 0x80000000, 0x80200000,
		    0x80200000, 0x80280000,
		    m.mem[0].base + m.mem[0].size - 0x200000,
		    fdt_totalsize(b)) == 0)
			physmem_print();
	}
	free(b);
}

/* ---- Malformed blobs ---- */

static void
put32(uint8_t *p, uint32_t v)
{

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A hand-made blob: header v17, empty /memreserve/, struct, strings. */
struct bld {
	uint8_t		st[8192];
	uint32_t	slen;
	char		str[256];
	uint32_t	strlen;
	uint8_t		out[9000];
	uint32_t	outlen;
};

static void
b_tok(struct bld *b, uint32_t t)
{

	put32(b->st + b->slen, t);
	b->slen += 4;
}

static void
b_begin(struct bld *b, const char *name)
{
	size_t n = strlen(name) + 1;

	b_tok(b, 1);
	memset(b->st + b->slen, 0, (n + 3) & ~3UL);
	memcpy(b->st + b->slen, name, n);
	b->slen += (uint32_t)((n + 3) & ~3UL);
}

static uint32_t
b_name(struct bld *b, const char *name)
{
	uint32_t i;

	for (i = 0; i < b->strlen; i += (uint32_t)strlen(b->str + i) + 1)
		if (strcmp(b->str + i, name) == 0)
			return (i);
	memcpy(b->str + b->strlen, name, strlen(name) + 1);
	b->strlen += (uint32_t)strlen(name) + 1;
	return (i);
}

static void
b_prop(struct bld *b, const char *name, const void *val, uint32_t len)
{

	b_tok(b, 3);
	b_tok(b, len);
	b_tok(b, b_name(b, name));
	memset(b->st + b->slen, 0, (len + 3) & ~3U);
	memcpy(b->st + b->slen, val, len);
	b->slen += (len + 3) & ~3U;
}

static void
b_prop_u32s(struct bld *b, const char *name, int n, ...)
{
	uint8_t v[64];
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		put32(v + 4 * i, va_arg(ap, uint32_t));
	va_end(ap);
	b_prop(b, name, v, 4 * (uint32_t)n);
}

static void
b_finish(struct bld *b, uint32_t version)
{
	uint32_t hdr = 40, rsv = 40, soff = rsv + 16, stroff;

	stroff = soff + b->slen;
	b->outlen = stroff + b->strlen;
	memset(b->out, 0, sizeof(b->out));
	put32(b->out, 0xd00dfeed);
	put32(b->out + 4, b->outlen);
	put32(b->out + 8, soff);
	put32(b->out + 12, stroff);
	put32(b->out + 16, rsv);
	put32(b->out + 20, version);
	put32(b->out + 24, 16);
	put32(b->out + 28, 0);
	put32(b->out + 32, b->strlen);
	put32(b->out + 36, b->slen);
	(void)hdr;
	memcpy(b->out + soff, b->st, b->slen);
	memcpy(b->out + stroff, b->str, b->strlen);
}

/* A root with #cells 2/2 and one memory node; the caller adds to it. */
static void
b_start(struct bld *b)
{

	memset(b, 0, sizeof(*b));
	b_begin(b, "");
	b_prop_u32s(b, "#address-cells", 1, 2);
	b_prop_u32s(b, "#size-cells", 1, 2);
	b_begin(b, "memory@80000000");
	b_prop(b, "device_type", "memory", 7);
	b_prop_u32s(b, "reg", 4, 0, 0x80000000, 0, 0x1000000);
	b_tok(b, 2);
}

static void
b_end(struct bld *b)
{

	b_tok(b, 2);		/* root */
	b_tok(b, 9);
}

/* Parse b->out; check the error, the message and that *m is empty. */
static void
expect(const uint8_t *blob, size_t len, int want, bool libfdt_rejects,
    const char *what)
{
	static struct fdt_machine m;
	const char *msg = NULL;
	int err;

	err = fdt_parse(blob, len, &m, &msg);
	ok(err == -want && msg != NULL && msg[0] != '\0' &&
	    (want == 0 || (m.nmem == 0 && m.ncpus == 0 && m.nrsv == 0)),
	    "%s: %s (got %s: %s)", what, fdt_errname(want),
	    fdt_errname(err), msg != NULL ? msg : "(none)");
	if (libfdt_rejects)
		ok(fdt_check_full(blob, len) != 0,
		    "%s: libfdt rejects it too", what);
}

static void
malformed_built(void)
{
	static struct bld b;
	int i;

	b_start(&b);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, 0, false, "built: minimal blob");
	ok(fdt_check_full(b.out, b.outlen) == 0, "built: libfdt accepts it");
	b_finish(&b, 16);
	expect(b.out, b.outlen, 0, false, "built: same blob as version 16");

	/* Nesting: FDT_MAX_DEPTH nodes deep is fine, one more is not. */
	for (i = FDT_MAX_DEPTH - 1; i <= FDT_MAX_DEPTH; i++) {
		int k;

		b_start(&b);
		for (k = 0; k < i; k++)
			b_begin(&b, "n");
		for (k = 0; k < i; k++)
			b_tok(&b, 2);
		b_end(&b);
		b_finish(&b, 17);
		expect(b.out, b.outlen, i < FDT_MAX_DEPTH ? 0 : FDT_ERR_DEPTH,
		    false, i < FDT_MAX_DEPTH ? "built: nesting at the limit" :
		    "built: nesting one past the limit");
	}

	/* A property whose length runs past the structure block. */
	b_start(&b);
	b_prop(&b, "x", "abcd", 4);
	put32(b.st + b.slen - 12, 0x7ffffff0);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true,
	    "built: property length past the block");
	b_start(&b);
	b_prop(&b, "x", "abcd", 4);
	put32(b.st + b.slen - 12, 12);	/* ends inside the trailing tokens */
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true,
	    "built: property length swallowing the end tokens");

	/* Unterminated node name: the block ends inside it. */
	b_start(&b);
	b_tok(&b, 1);
	memcpy(b.st + b.slen, "abcdefgh", 8);
	b.slen += 8;
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRING, true,
	    "built: unterminated node name");

	/* Property name offset past the strings block / unterminated. */
	b_start(&b);
	b_prop(&b, "x", "", 0);
	put32(b.st + b.slen - 4, 1000);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRING, true,
	    "built: property name offset past the strings");
	b_start(&b);
	b_prop(&b, "zz", "", 0);
	b.strlen--;			/* drop the final NUL */
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRING, true,
	    "built: unterminated property name");

	/* Tokens. */
	b_start(&b);
	b_tok(&b, 7);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true, "built: bad token");
	b_start(&b);
	b_tok(&b, 2);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true, "built: no FDT_END");
	b_start(&b);
	b_tok(&b, 9);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true,
	    "built: FDT_END inside the root");
	b_start(&b);
	b_tok(&b, 2);
	b_tok(&b, 2);
	b_tok(&b, 9);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, true,
	    "built: FDT_END_NODE without an open node");
	b_start(&b);
	b_tok(&b, 2);
	b_begin(&b, "");
	b_tok(&b, 2);
	b_tok(&b, 9);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, false,
	    "built: a second root");
	b_start(&b);
	b_prop_u32s(&b, "late", 1, 1);	/* after memory@80000000 */
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRUCT, false,
	    "built: property after a subnode");

	/* Values. */
	b_start(&b);
	b_begin(&b, "m2");
	b_prop(&b, "device_type", "memory", 7);
	b_prop(&b, "status", "okay", 4);	/* no NUL */
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADSTRING, false,
	    "built: unterminated string value");
	b_start(&b);
	b_begin(&b, "m2");
	b_prop(&b, "device_type", "memory", 7);
	b_prop_u32s(&b, "numa-node-id", 1, MAXMEMDOM);
	b_prop_u32s(&b, "reg", 4, 0, 0x90000000, 0, 0x1000000);
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_TOOMANY, false,
	    "built: numa-node-id MAXMEMDOM");
	b_start(&b);
	b_begin(&b, "m2");
	b_prop(&b, "device_type", "memory", 7);
	b_prop(&b, "numa-node-id", "\0\1", 2);
	b_prop_u32s(&b, "reg", 4, 0, 0x90000000, 0, 0x1000000);
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADVALUE, false,
	    "built: 2-byte numa-node-id");
	b_start(&b);
	b_begin(&b, "m2");
	b_prop(&b, "device_type", "memory", 7);
	b_prop_u32s(&b, "reg", 3, 0, 0x90000000, 0);
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADVALUE, false,
	    "built: memory reg not a whole number of entries");
	b_start(&b);
	for (i = 0; i < FDT_MAX_MEM; i++) {
		b_begin(&b, "m");
		b_prop(&b, "device_type", "memory", 7);
		b_prop_u32s(&b, "reg", 4, 1, 0x1000 * i, 0, 0x1000);
		b_tok(&b, 2);
	}
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_TOOMANY, false,
	    "built: FDT_MAX_MEM + 1 memory ranges");
	b_start(&b);
	b_begin(&b, "distance-map");
	b_prop(&b, "compatible", "numa-distance-map-v1", 21);
	b_prop_u32s(&b, "distance-matrix", 4, 0, 1, 20, 1);
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADVALUE, false,
	    "built: distance-matrix not triplets");
	b_start(&b);
	b_begin(&b, "cpus");
	b_prop_u32s(&b, "#address-cells", 1, 1);
	b_prop_u32s(&b, "#size-cells", 1, 0);
	b_begin(&b, "cpu@0");
	b_prop(&b, "device_type", "cpu", 4);
	b_tok(&b, 2);
	b_tok(&b, 2);
	b_end(&b);
	b_finish(&b, 17);
	expect(b.out, b.outlen, FDT_ERR_BADVALUE, false,
	    "built: cpu without reg");
}

static void
malformed_mutated(const uint8_t *good, size_t len)
{
	uint8_t *b;
	size_t n;
	bool all;
	int err;
	static struct fdt_machine m;

	b = malloc(len);
	memcpy(b, good, len);
	b[0] ^= 1;
	expect(b, len, FDT_ERR_MAGIC, true, "mutated: bad magic");
	memcpy(b, good, len);
	put32(b + 20, 15);
	expect(b, len, FDT_ERR_VERSION, true, "mutated: version 15");
	memcpy(b, good, len);
	put32(b + 24, 18);
	expect(b, len, FDT_ERR_VERSION, true, "mutated: last_comp_version 18");
	memcpy(b, good, len);
	put32(b + 4, (uint32_t)len + 4);
	expect(b, len, FDT_ERR_TRUNCATED, true, "mutated: totalsize past len");
	memcpy(b, good, len);
	put32(b + 8, (uint32_t)len);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: off_dt_struct at the end");
	memcpy(b, good, len);
	put32(b + 36, (uint32_t)len);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: size_dt_struct past the end");
	memcpy(b, good, len);
	put32(b + 12, (uint32_t)len + 100);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: off_dt_strings past the end");
	memcpy(b, good, len);
	put32(b + 32, 0xffffff00);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: size_dt_strings wraps");
	memcpy(b, good, len);
	put32(b + 16, (uint32_t)len + 8);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: off_mem_rsvmap past the end");
	memcpy(b, good, len);
	put32(b + 4, 20);
	expect(b, len, FDT_ERR_BADOFFSET, true,
	    "mutated: totalsize smaller than the header");

	/* Every truncation of the blob. */
	all = true;
	for (n = 0; n < len; n++) {
		uint8_t *t = malloc(n + 1);	/* exact size for ASan */

		memcpy(t, good, n);
		err = fdt_parse(n == 0 ? t : t, n, &m, NULL);
		if (err != -FDT_ERR_TRUNCATED) {
			diag("truncated to %zu: %s", n, fdt_errname(err));
			all = false;
		}
		free(t);
	}
	ok(all, "mutated: truncated at each of %zu lengths: FDT_ERR_TRUNCATED",
	    len);
	ok(fdt_parse(NULL, 100, &m, NULL) == -FDT_ERR_TRUNCATED,
	    "NULL blob: FDT_ERR_TRUNCATED");
	free(b);
}

/*
 * Random mutations of a valid blob: never a crash (ASan/UBSan watch the
 * reads); whenever libfdt's full check rejects the structure, so must we.
 */
static void
mutate_random(const char *nm, const uint8_t *good, size_t len, int rounds)
{
	static struct fdt_machine m;
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ len;
	uint8_t *b;
	int i, k, agree, disagree, rejected;

	agree = disagree = rejected = 0;
	for (i = 0; i < rounds; i++) {
		b = malloc(len);
		memcpy(b, good, len);
		for (k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Hit the header often: it holds the offsets. */
			size_t at = (x >> 8) % (i % 3 == 0 ? 40 : len);
			b[at] = (uint8_t)(i % 5 == 0 ? (x >> 40) : b[at] ^
			    (1U << ((x >> 32) % 8)));
		}
		int err = fdt_parse(b, len, &m, NULL);
		int lerr = fdt_check_full(b, len);
		if (err != 0)
			rejected++;
		if (lerr != 0 && lerr != -LIBFDT_ERR_BADPHANDLE &&
		    lerr != -LIBFDT_ERR_BADNCELLS) {
			if (err != 0)
				agree++;
			else {
				disagree++;
				if (disagree <= 3)
					diag("%s: round %d: libfdt %s, we "
					    "accept", nm, i, fdt_strerror(lerr));
			}
		}
		free(b);
	}
	ok(disagree == 0, "%s: %d random mutations, no crash; %d rejected; "
	    "all %d that libfdt rejects rejected too", nm, rounds, rejected,
	    agree);
}

int
main(int argc, char **argv)
{
	uint8_t *small;
	size_t slen;
	int i;

	verbose = getenv("KMEM_VERBOSE") != NULL;
	ok(argc > 1, "test DTBs given (%d)", argc - 1);
	for (i = 1; i < argc; i++)
		check_file(argv[i]);
	malformed_built();
	ok(fdt_compat_has("sifive,u74-mc sifive,bullet0 riscv",
	    "sifive,bullet0") && !fdt_compat_has("sifive,u74-mc riscv",
	    "sifive,u74") && !fdt_compat_has("", "riscv"),
	    "fdt_compat_has matches whole words only");
	/* Mutations of the smallest given blob. */
	small = NULL;
	slen = 0;
	for (i = 1; i < argc; i++) {
		size_t len;
		uint8_t *b = load(argv[i], &len);

		if (b == NULL || fdt_check_header(b) != 0)
			continue;
		/* QEMU dumps its whole FDT buffer: keep the blob only. */
		if (fdt_totalsize(b) < len)
			len = fdt_totalsize(b);
		mutate_random(strrchr(argv[i], '/') ? strrchr(argv[i], '/') +
		    1 : argv[i], b, len, 1500);
		if (small == NULL || len < slen) {
			free(small);
			small = b;
			slen = len;
		} else
			free(b);
	}
	if (small != NULL)
		malformed_mutated(small, slen);
	free(small);
	return (tap_done());
}
