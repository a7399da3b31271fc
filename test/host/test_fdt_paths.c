/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The FDT reader's remaining answers, on blobs written with libfdt: a
 * memory node whose status is the old "ok", a reservation translated through /reserved-memory's
 * ranges; fdt_chosen_bootargs() on /chosen@0 and on blobs broken at each
 * step of its walk (an empty or unterminated bootargs, a property header
 * cut short, a name offset outside the strings, a name that runs off
 * their end, an unknown token, a structure block that just stops); and
 * the small helpers' refusals.
 */
#include <stdint.h>
#include <string.h>

#include <libfdt.h>
/* kmem/fdt.h has its own FDT_ERR_* (host/fdt explains). */
#undef FDT_ERR_TRUNCATED
#undef FDT_ERR_BADOFFSET
#undef FDT_ERR_BADVALUE

#include <kmem/fdt.h>

#include "tap.h"

#define BLOB	8192

static uint8_t blob[BLOB], work[BLOB];
static struct fdt_machine M;

static void
be32(uint8_t *p, uint32_t v)
{

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * /name (#address-cells ac, #size-cells sc, ranges from 0 to 0x10000000
 * over 4 KiB) / bus (ranges;) / dev@100 (compatible, reg 0x100 + 0x10).
 */
static void
soc(void *fdt, const char *name, int ac, int sc, const char *compatible)
{
	fdt32_t r[8], reg[2] = { cpu_to_fdt32(0x100), cpu_to_fdt32(0x10) };
	int i, n;

	n = 0;
	for (i = 1; i < ac; i++)
		r[n++] = 0;
	r[n++] = cpu_to_fdt32(0);			/* child address */
	r[n++] = 0;
	r[n++] = cpu_to_fdt32(0x10000000);		/* parent address */
	for (i = 1; i < sc; i++)
		r[n++] = 0;
	r[n++] = cpu_to_fdt32(0x1000);			/* size */
	fdt_begin_node(fdt, name);
	fdt_property_u32(fdt, "#address-cells", (uint32_t)ac);
	fdt_property_u32(fdt, "#size-cells", (uint32_t)sc);
	fdt_property(fdt, "ranges", r, n * 4);
	fdt_begin_node(fdt, "bus");
	fdt_property_u32(fdt, "#address-cells", 1);
	fdt_property_u32(fdt, "#size-cells", 1);
	fdt_property(fdt, "ranges", NULL, 0);
	fdt_begin_node(fdt, "dev@100");
	fdt_property_string(fdt, "compatible", compatible);
	fdt_property(fdt, "reg", reg, sizeof(reg));
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
}

/* A machine; bootargs of blen bytes (blen < 0: none) in /chosen@0. */
static size_t
make(const char *bootargs, int blen)
{
	void *fdt = blob;
	const fdt32_t memreg[] = { cpu_to_fdt32(0), cpu_to_fdt32(0x80000000),
	    cpu_to_fdt32(0), cpu_to_fdt32(0x4000000) };
	const fdt32_t ranges[] = { cpu_to_fdt32(0x1000), cpu_to_fdt32(0),
	    cpu_to_fdt32(0x81000000), cpu_to_fdt32(0x100000) };
	const fdt32_t fwreg[] = { cpu_to_fdt32(0x2000), cpu_to_fdt32(0x4000) };

	fdt_create(fdt, BLOB);
	fdt_finish_reservemap(fdt);
	fdt_begin_node(fdt, "");
	fdt_property_u32(fdt, "#address-cells", 2);
	fdt_property_u32(fdt, "#size-cells", 2);
	fdt_begin_node(fdt, "chosen@0");
	if (blen >= 0)
		fdt_property(fdt, "bootargs", bootargs, blen);
	fdt_end_node(fdt);
	fdt_begin_node(fdt, "memory@80000000");
	fdt_property_string(fdt, "device_type", "memory");
	fdt_property(fdt, "reg", memreg, sizeof(memreg));
	fdt_property_string(fdt, "status", "ok");
	fdt_end_node(fdt);
	fdt_begin_node(fdt, "reserved-memory");
	fdt_property_u32(fdt, "#address-cells", 1);
	fdt_property_u32(fdt, "#size-cells", 1);
	fdt_property(fdt, "ranges", ranges, sizeof(ranges));
	fdt_begin_node(fdt, "fw@2000");
	fdt_property(fdt, "reg", fwreg, sizeof(fwreg));
	fdt_property(fdt, "no-map", NULL, 0);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	soc(fdt, "soc-ok", 1, 1, "x,ok");
	soc(fdt, "soc-wide", 3, 1, "x,wide-address");
	soc(fdt, "soc-big", 1, 3, "x,wide-size");
	/* ranges whose cells are all 0 wide: /zero (0 cells) / mid (0 and
	   0 cells, ranges of one cell) / bus (ranges;) / dev. */
	fdt_begin_node(fdt, "zero");
	fdt_property_u32(fdt, "#address-cells", 0);
	fdt_property_u32(fdt, "#size-cells", 0);
	fdt_begin_node(fdt, "mid");
	fdt_property_u32(fdt, "#address-cells", 0);
	fdt_property_u32(fdt, "#size-cells", 0);
	fdt_property_u32(fdt, "ranges", 0);
	fdt_begin_node(fdt, "bus");
	fdt_property_u32(fdt, "#address-cells", 1);
	fdt_property_u32(fdt, "#size-cells", 1);
	fdt_property(fdt, "ranges", NULL, 0);
	fdt_begin_node(fdt, "dev@100");
	fdt_property_string(fdt, "compatible", "x,zero-cells");
	fdt_property(fdt, "reg", fwreg, sizeof(fwreg));
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_begin_node(fdt, "cpus");
	fdt_property_u32(fdt, "#address-cells", 1);
	fdt_property_u32(fdt, "#size-cells", 0);
	fdt_property_u32(fdt, "timebase-frequency", 10000000);
	fdt_begin_node(fdt, "cpu@0");
	fdt_property_string(fdt, "device_type", "cpu");
	fdt_property_u32(fdt, "reg", 3);
	fdt_property_string(fdt, "riscv,isa", "rv64imafdc");
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_end_node(fdt);
	fdt_finish(fdt);
	return (fdt_totalsize(fdt));
}

/* The absolute offset of /chosen@0/bootargs' FDT_PROP token. */
static uint32_t
bootargs_at(void)
{

	return (fdt_off_dt_struct(blob) + (uint32_t)fdt_first_property_offset(
	    blob, fdt_path_offset(blob, "/chosen@0")));
}

static bool
args(size_t len, char *buf, size_t size)
{

	memcpy(work, blob, len);
	return (fdt_chosen_bootargs(work, len, buf, size));
}

static void
parse_answers(void)
{
	const char *msg = "";
	size_t len;
	int rv;

	len = make("console=hvc0", 13);
	rv = fdt_parse(blob, len, &M, &msg);
	ok(rv == 0 && M.nmem == 1 && M.mem[0].size == 0x4000000, "a memory "
	    "node with status \"ok\" counts (%d %s)", rv, msg);
	ok(rv == 0 && M.nrsv == 1 && M.rsv[0].base == 0x81001000 &&
	    M.rsv[0].size == 0x4000 && M.rsv[0].nomap, "a reservation at "
	    "0x2000 through ranges 0x1000 -> 0x81000000: 0x%lx",
	    (unsigned long)M.rsv[0].base);
	ok(rv == 0 && fdt_find_dev(&M, "x,ok") != NULL &&
	    fdt_find_dev(&M, "x,ok")->base == 0x10000100, "a device behind "
	    "an identity bus and a bus with ranges: at 0x10000100");
	ok(rv == 0 && fdt_find_dev(&M, "x,wide-address") == NULL &&
	    fdt_find_dev(&M, "x,wide-size") == NULL &&
	    fdt_find_dev(&M, "x,zero-cells") == NULL, "behind a bus whose "
	    "ranges have 3 address or 3 size cells, or none at all: not a "
	    "device");
}

static void
bootargs_walk(void)
{
	char buf[64];
	uint32_t p, save;
	size_t len;

	len = make("console=hvc0", 13);
	ok(args(len, buf, sizeof(buf)) && strcmp(buf, "console=hvc0") == 0,
	    "bootargs of /chosen@0: \"%s\"", buf);
	len = make("", 0);
	ok(!args(len, buf, sizeof(buf)), "an empty bootargs: false");
	len = make("abc", 3);
	ok(!args(len, buf, sizeof(buf)), "a bootargs without its NUL: false");
	len = make("console=hvc0", 13);
	p = bootargs_at();
	/* The structure block ends 4 bytes into the property header. */
	memcpy(work, blob, len);
	be32(work + 36, p + 8 - fdt_off_dt_struct(blob));
	ok(!fdt_chosen_bootargs(work, len, buf, sizeof(buf)), "a property "
	    "header cut short by the structure block's end: false");
	/* ... or right after chosen@0's name: the walk runs out. */
	memcpy(work, blob, len);
	be32(work + 36, p - fdt_off_dt_struct(blob));
	ok(!fdt_chosen_bootargs(work, len, buf, sizeof(buf)), "a structure "
	    "block that stops inside /chosen@0: false");
	/* A name offset past the strings block: not bootargs; the walk
	   goes on to the end of the tree. */
	memcpy(work, blob, len);
	be32(work + p + 8, fdt_size_dt_strings(blob) + 64);
	ok(!fdt_chosen_bootargs(work, len, buf, sizeof(buf)), "a property "
	    "name offset outside the strings: not bootargs");
	/* The strings block cut inside "bootargs". */
	memcpy(work, blob, len);
	save = fdt32_to_cpu(*(const fdt32_t *)(blob + p + 8));
	be32(work + 32, save + 3);
	ok(!fdt_chosen_bootargs(work, len, buf, sizeof(buf)), "a property "
	    "name that runs off the strings block: not bootargs");
	/* An unknown token where the property starts. */
	memcpy(work, blob, len);
	be32(work + p, 7);
	ok(!fdt_chosen_bootargs(work, len, buf, sizeof(buf)), "an unknown "
	    "structure token: false");
}

static void
helpers(void)
{
	size_t len;

	len = make("x", 2);
	memcpy(work, blob, len);
	ok(fdt_blob_size(work, len) == len && fdt_blob_size(NULL, len) == 0 &&
	    fdt_blob_size(work, 20) == 0, "fdt_blob_size: the total size; 0 "
	    "without a blob or for a length shorter than the header");
	be32(work + 4, 16);
	ok(fdt_blob_size(work, len) == 0, "fdt_blob_size of a total size "
	    "smaller than the header: 0");
	memcpy(work, blob, len);
	be32(work + 20, 15);
	ok(fdt_blob_size(work, len) == 0, "fdt_blob_size of version 15: 0");
	ok(strcmp(fdt_errname(0), "ok") == 0 && strcmp(fdt_errname(999),
	    "FDT_ERR_?") == 0 && strcmp(fdt_errname(-999), "FDT_ERR_?") == 0,
	    "fdt_errname of 0 and of an unknown error");
}

int
main(void)
{

	parse_answers();
	bootargs_walk();
	helpers();
	return (tap_done());
}
