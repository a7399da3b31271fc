/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The FDT reader at its edges: blobs written with libfdt's sequential
 * writer, each a small machine with one thing changed, and the answer
 * fdt_parse() and fdt_chosen_bootargs() must give (host/fdt compares
 * whole DTBs with libfdt; this file is about the branches those never
 * reach: 64-bit hart ids, 8-byte timebases, ranges that do not cover a
 * child, more devices than the table holds, a property given twice,
 * broken structure blocks around /chosen, and the small helpers).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>
/* kmem/fdt.h has its own FDT_ERR_* (host/fdt explains). */
#undef FDT_ERR_TRUNCATED
#undef FDT_ERR_BADOFFSET
#undef FDT_ERR_BADVALUE

#include <kmem/fdt.h>

#include "tap.h"

#define BLOB	16384

static uint8_t blob[BLOB];
static struct fdt_machine M;

/* What a case adds: in the root, in /cpus, in /cpus/cpu@0, the /cpus
   address cells and the cpu's reg. */
struct shape {
	void		(*root)(void *fdt);
	void		(*cpus)(void *fdt);
	int		cpu_ac;
	uint64_t	hartid;
	bool		chosen;
	const char	*bootargs;
	bool		model_twice;	/* a second "model" (not allowed) */
};

static void
u32s(void *fdt, const char *name, int n, const uint32_t *v)
{
	fdt32_t b[8];
	int i;

	for (i = 0; i < n; i++)
		b[i] = cpu_to_fdt32(v[i]);
	fdt_property(fdt, name, b, n * 4);
}

static size_t
make(const struct shape *s)
{
	void *fdt = blob;
	uint32_t reg[2];

	fdt_create(fdt, BLOB);
	fdt_finish_reservemap(fdt);
	fdt_begin_node(fdt, "");
	fdt_property_u32(fdt, "#address-cells", 2);
	fdt_property_u32(fdt, "#size-cells", 2);
	fdt_property_string(fdt, "model", "edge");
	if (s->model_twice)
		fdt_property_string(fdt, "model", "second");
	if (s->chosen) {
		fdt_begin_node(fdt, "chosen");
		fdt_property_string(fdt, "stdout-path", "/soc/uart");
		if (s->bootargs != NULL)
			fdt_property_string(fdt, "bootargs", s->bootargs);
		fdt_end_node(fdt);
	}
	fdt_begin_node(fdt, "memory@80000000");
	fdt_property_string(fdt, "device_type", "memory");
	u32s(fdt, "reg", 4, (const uint32_t[]){ 0, 0x80000000, 0,
	    0x2000000 });
	fdt_end_node(fdt);
	fdt_begin_node(fdt, "cpus");
	fdt_property_u32(fdt, "#address-cells", (uint32_t)s->cpu_ac);
	fdt_property_u32(fdt, "#size-cells", 0);
	if (s->cpus != NULL)
		s->cpus(fdt);
	else
		fdt_property_u32(fdt, "timebase-frequency", 10000000);
	fdt_begin_node(fdt, "cpu@0");
	fdt_property_string(fdt, "device_type", "cpu");
	if (s->cpu_ac == 2) {
		reg[0] = (uint32_t)(s->hartid >> 32);
		reg[1] = (uint32_t)s->hartid;
		u32s(fdt, "reg", 2, reg);
	} else
		fdt_property_u32(fdt, "reg", (uint32_t)s->hartid);
	fdt_property_string(fdt, "riscv,isa", "rv64imafdc_svpbmt");
	fdt_property_string(fdt, "mmu-type", "riscv,sv39");
	fdt_property_string(fdt, "status", "okay");
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	if (s->root != NULL)
		s->root(fdt);
	fdt_end_node(fdt);
	fdt_finish(fdt);
	return (fdt_totalsize(fdt));
}

static int
parse(const struct shape *s, const char **msg)
{

	*msg = "";
	return (fdt_parse(blob, make(s), &M, msg));
}

static void
timebase64(void *fdt)
{
	fdt64_t v = cpu_to_fdt64(25000000);

	fdt_property(fdt, "timebase-frequency", &v, 8);
}

static void
timebase64_high(void *fdt)
{
	fdt64_t v = cpu_to_fdt64(0x100000000ULL);

	fdt_property(fdt, "timebase-frequency", &v, 8);
}

/* /reserved-memory maps child 0x1000.. to 0x81000000, 1 MiB; its child
   lies beyond that window. */
static void
rsv_outside_ranges(void *fdt)
{

	fdt_begin_node(fdt, "reserved-memory");
	fdt_property_u32(fdt, "#address-cells", 2);
	fdt_property_u32(fdt, "#size-cells", 2);
	u32s(fdt, "ranges", 6, (const uint32_t[]){ 0, 0x1000, 0, 0x81000000,
	    0, 0x100000 });
	fdt_begin_node(fdt, "pool@2000000");
	u32s(fdt, "reg", 4, (const uint32_t[]){ 0, 0x2000000, 0, 0x1000 });
	fdt_property(fdt, "no-map", NULL, 0);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
}

/* A bus whose ranges cover 64 KiB at 0x10000000, with one device inside
   and one outside, then FDT_MAX_DEVS + 3 devices on the root. */
static void
many_devices(void *fdt)
{
	char name[32];
	int i;

	fdt_begin_node(fdt, "soc");
	fdt_property_u32(fdt, "#address-cells", 2);
	fdt_property_u32(fdt, "#size-cells", 2);
	u32s(fdt, "ranges", 6, (const uint32_t[]){ 0, 0x10000000, 0,
	    0x10000000, 0, 0x10000 });
	fdt_begin_node(fdt, "uart@10000000");
	fdt_property_string(fdt, "compatible", "ns16550a");
	u32s(fdt, "reg", 4, (const uint32_t[]){ 0, 0x10000000, 0, 0x100 });
	fdt_end_node(fdt);
	fdt_begin_node(fdt, "far@20000000");
	fdt_property_string(fdt, "compatible", "edge,outside");
	u32s(fdt, "reg", 4, (const uint32_t[]){ 0, 0x20000000, 0, 0x100 });
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	for (i = 0; i < FDT_MAX_DEVS + 3; i++) {
		snprintf(name, sizeof(name), "dev@%x", 0x30000000 + i * 0x1000);
		fdt_begin_node(fdt, name);
		fdt_property_string(fdt, "compatible", "edge,dev");
		u32s(fdt, "reg", 4, (const uint32_t[]){ 0,
		    (uint32_t)(0x30000000 + i * 0x1000), 0, 0x1000 });
		fdt_end_node(fdt);
	}
}

static void
parse_edges(void)
{
	struct shape s = { .cpu_ac = 1, .hartid = 0 };
	const char *msg;
	int rv;

	rv = parse(&s, &msg);
	ok(rv == 0 && M.ncpus == 1 && M.timebase_frequency == 10000000,
	    "the plain machine parses (%d %s)", rv, msg);
	ok(fdt_parse(blob, (size_t)1 << 33, &M, &msg) == 0,
	    "a length above 4 GiB is taken as 4 GiB");
	s.cpu_ac = 2;
	s.hartid = 7;
	ok(parse(&s, &msg) == 0 && M.cpus[0].hartid == 7,
	    "a hart id in two cells parses");
	s.hartid = 0x100000000ULL;
	rv = parse(&s, &msg);
	ok(rv == -FDT_ERR_BADVALUE && strstr(msg, "32 bits") != NULL,
	    "a hart id above 32 bits: BADVALUE \"%s\"", msg);
	s.cpu_ac = 3;
	s.hartid = 0;
	rv = parse(&s, &msg);
	ok(rv == -FDT_ERR_BADVALUE && strstr(msg, "hart id") != NULL,
	    "cpus with #address-cells 3: BADVALUE \"%s\"", msg);
	s.cpu_ac = 1;
	s.cpus = timebase64;
	ok(parse(&s, &msg) == 0 && M.timebase_frequency == 25000000,
	    "an 8-byte timebase-frequency below 4 GHz is read (%u)",
	    M.timebase_frequency);
	s.cpus = timebase64_high;
	rv = parse(&s, &msg);
	ok(rv == -FDT_ERR_BADVALUE, "an 8-byte timebase-frequency above "
	    "32 bits: BADVALUE \"%s\"", msg);
	s.cpus = NULL;
	s.root = rsv_outside_ranges;
	rv = parse(&s, &msg);
	ok(rv == -FDT_ERR_BADVALUE && strstr(msg, "ranges") != NULL,
	    "a reserved-memory child outside the parent's ranges: BADVALUE "
	    "\"%s\"", msg);
	s.root = NULL;
	s.model_twice = true;
	ok(parse(&s, &msg) == 0 && strcmp(M.model, "edge") == 0,
	    "a property given twice: the first counts, as in libfdt (\"%s\")",
	    M.model);
	s.model_twice = false;
	s.root = many_devices;
	rv = parse(&s, &msg);
	ok(rv == 0 && M.ndevs == FDT_MAX_DEVS && M.devs_dropped == 4,
	    "%d devices kept, %d dropped (one outside its bus's ranges is "
	    "not a device)", M.ndevs, M.devs_dropped);
	ok(fdt_find_dev(&M, "ns16550a") != NULL &&
	    fdt_find_dev(&M, "ns16550a")->base == 0x10000000 &&
	    fdt_find_dev(&M, "edge,outside") == NULL &&
	    fdt_find_dev(&M, "none") == NULL, "fdt_find_dev finds the UART, "
	    "not the device outside the ranges nor a missing one");
}

/* Overwrite the 4-byte token at structure offset off. */
static void
poke(uint32_t off, uint32_t v)
{
	fdt32_t b = cpu_to_fdt32(v);

	memcpy(blob + fdt_off_dt_struct(blob) + off, &b, 4);
}

static void
bootargs_edges(void)
{
	struct shape s = { .cpu_ac = 1, .chosen = true,
	    .bootargs = "console=ttyS0 kmem.debug=1" };
	char buf[64], small[8];
	size_t len;
	int off, poff;

	len = make(&s);
	ok(fdt_chosen_bootargs(blob, len, buf, sizeof(buf)) &&
	    strcmp(buf, s.bootargs) == 0, "bootargs read: \"%s\"", buf);
	ok(fdt_chosen_bootargs(blob, (size_t)1 << 33, buf, sizeof(buf)),
	    "... also with a length above 4 GiB");
	ok(fdt_chosen_bootargs(blob, len, small, sizeof(small)) &&
	    strcmp(small, "console") == 0, "truncated to the buffer: \"%s\"",
	    small);
	ok(!fdt_chosen_bootargs(blob, 20, buf, sizeof(buf)) && buf[0] == '\0',
	    "a truncated header: false, \"\"");
	s.chosen = false;
	len = make(&s);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "no /chosen: false");
	s.chosen = true;
	s.bootargs = NULL;
	len = make(&s);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "/chosen without bootargs: false");

	/* Broken structure blocks before bootargs is reached. */
	s.bootargs = "x";
	len = make(&s);
	off = fdt_path_offset(blob, "/chosen");
	poff = fdt_first_property_offset(blob, off);	/* stdout-path */
	poke((uint32_t)poff, 0x77);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "an unknown token: false");
	len = make(&s);
	poke((uint32_t)poff, FDT_END_NODE);
	poke((uint32_t)poff + 4, FDT_END_NODE);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "nodes closed below the root: false");
	len = make(&s);
	poke((uint32_t)poff + 4, 0x7fffffff);	/* the property's length */
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "a property running past the block: false");
	len = make(&s);
	poff = fdt_next_property_offset(blob, poff);	/* bootargs */
	/* "x\0" padded: make the value "xy" without a NUL. */
	poke((uint32_t)poff + 4, 2);
	blob[fdt_off_dt_struct(blob) + (uint32_t)poff + 12 + 1] = 'y';
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "bootargs without a NUL: false");
	len = make(&s);
	blob[fdt_off_dt_struct(blob) + 4] = 'x';	/* root name "" */
	memset(blob + fdt_off_dt_struct(blob) + 4, 'x',
	    fdt_size_dt_struct(blob) - 4);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "a node name without its NUL: false");
	len = make(&s);
	poke(0, FDT_NOP);
	poke(4, FDT_NOP);
	ok(!fdt_chosen_bootargs(blob, len, buf, sizeof(buf)),
	    "NOPs and a property outside any node: false");
}

static void
helpers(void)
{

	ok(fdt_compat_has("sifive,test1 sifive,test0 syscon", "sifive,test0") &&
	    fdt_compat_has("a b", "b") && !fdt_compat_has("ab b2", "b") &&
	    !fdt_compat_has("a b", "c") && !fdt_compat_has("", "a"),
	    "fdt_compat_has matches whole words only");
	ok(strcmp(fdt_errname(0), "ok") == 0 &&
	    strcmp(fdt_errname(-FDT_ERR_MAGIC), "FDT_ERR_MAGIC") == 0 &&
	    strcmp(fdt_errname(FDT_ERR_BADVALUE), "FDT_ERR_BADVALUE") == 0,
	    "fdt_errname names errors either sign");
	ok(fdt_isa_string_bits("rv64imafdc_svpbmt_zicboz") == (FDT_ISA_SVPBMT |
	    FDT_ISA_ZICBOZ) && fdt_isa_string_bits("rv64gc") == 0,
	    "fdt_isa_string_bits reads the extensions");
}

int
main(void)
{

	parse_edges();
	bootargs_edges();
	helpers();
	return (tap_done());
}
