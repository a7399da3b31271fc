/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/fdt.h: the flattened device tree reader.
 *
 * fdt_parse() reads a DTB (devicetree specification v0.4, blob versions
 * 16 and 17) and copies out every hardware fact kmem uses into a plain
 * struct: memory ranges with their NUMA node, reserved ranges, harts with
 * their NUMA node, the NUMA distance map, ISA extensions and MMU type, and
 * device register ranges.  It never reads outside [blob, blob + len) and
 * rejects malformed blobs with an error code and a message.
 */
#ifndef KMEM_FDT_H
#define KMEM_FDT_H

#include <kmem/types.h>
#include <kmem/vm_param.h>

#define FDT_MAX_MEM	32	/* memory ranges (reg entries of memory nodes) */
#define FDT_MAX_RSV	32	/* /memreserve/ + /reserved-memory children */
#define FDT_MAX_CPUS	MAXCPU
#define FDT_MAX_DEVS	32	/* device reg ranges remembered */
#define FDT_MAX_DEPTH	32	/* deepest node nesting accepted */

/* Errors (negative returns of fdt_parse). */
#define FDT_ERR_MAGIC		1	/* not a DTB */
#define FDT_ERR_VERSION		2	/* unsupported version */
#define FDT_ERR_TRUNCATED	3	/* header or block past the end */
#define FDT_ERR_BADOFFSET	4	/* block offsets or sizes inconsistent */
#define FDT_ERR_BADSTRUCT	5	/* bad token, nesting or property */
#define FDT_ERR_BADSTRING	6	/* unterminated name or string */
#define FDT_ERR_DEPTH		7	/* nesting deeper than FDT_MAX_DEPTH */
#define FDT_ERR_TOOMANY		8	/* more entries than the tables hold */
#define FDT_ERR_BADVALUE	9	/* a property of the wrong size */

/* ISA extensions common to every enabled hart. */
#define FDT_ISA_SVPBMT	0x01
#define FDT_ISA_SVNAPOT	0x02
#define FDT_ISA_ZICBOZ	0x04
#define FDT_ISA_SSTC	0x08

/* mmu-type, smallest over the harts (0 when none says). */
#define FDT_MMU_NONE	0
#define FDT_MMU_SV39	39
#define FDT_MMU_SV48	48
#define FDT_MMU_SV57	57

struct fdt_mem {
	uint64_t	base;
	uint64_t	size;
	int		domain;		/* numa-node-id, 0 when absent */
};

struct fdt_rsv {
	uint64_t	base;
	uint64_t	size;
	bool		nomap;		/* "no-map" */
	bool		reusable;	/* "reusable" */
	bool		memreserve;	/* from the header's /memreserve/ block */
	char		name[32];	/* node name, "memreserve" otherwise */
};

struct fdt_cpu {
	uint32_t	hartid;		/* reg */
	int		domain;		/* numa-node-id, 0 when absent */
	bool		enabled;	/* status absent or "okay" */
	uint32_t	isa;		/* FDT_ISA_* of this hart */
	int		mmu;		/* FDT_MMU_* of this hart */
	char		compatible[48];	/* its compatible list, ' '-separated */
};

struct fdt_dev {
	uint64_t	base;
	uint64_t	size;
	char		compatible[32];	/* first compatible string */
};

struct fdt_machine {
	uint32_t	totalsize;	/* of the blob */
	char		model[64];
	char		compatible[96];	/* the root's compatible list,
					   ' '-separated (board, then SoC) */
	int		nmem;
	struct fdt_mem	mem[FDT_MAX_MEM];
	int		nrsv;
	struct fdt_rsv	rsv[FDT_MAX_RSV];
	int		ncpus;
	struct fdt_cpu	cpus[FDT_MAX_CPUS];
	int		ndevs;
	struct fdt_dev	devs[FDT_MAX_DEVS];
	int		ndomains;	/* highest numa-node-id seen + 1 (>= 1) */
	bool		has_distance;	/* a numa-distance-map-v1 node */
	uint32_t	distance[MAXMEMDOM][MAXMEMDOM];	/* 10 local, 20 remote default */
	uint32_t	isa;		/* FDT_ISA_* shared by all enabled harts */
	int		mmu;		/* FDT_MMU_* smallest of the enabled harts */
	uint32_t	timebase_frequency;
	uint32_t	boot_cpuid_phys; /* header field (often 0: informative) */
	int		devs_dropped;	/* devices past FDT_MAX_DEVS, not kept */
};

/*
 * Parse the blob at fdt (at most len bytes readable, any alignment) into
 * *m.  Returns 0, or -FDT_ERR_* with *errmsg (if not NULL) set to a static
 * message that says what was wrong.  *m is fully written either way (on an
 * error: empty, ndomains 1, default distances).  No allocation, no locks,
 * about 3 KiB of stack.
 *
 * What is read, and how:
 *  - Versions: version >= 16 with last_comp_version <= 17 (16 and 17).
 *  - memory: nodes with device_type "memory" and status okay; every reg
 *    entry (the parent's #address-cells 1..2 / #size-cells 0..2), zero
 *    sizes skipped; numa-node-id (0 when absent) must be < MAXMEMDOM.
 *  - reserved: the /memreserve/ block (up to the first zero size) and every
 *    reg entry of enabled /reserved-memory children with their no-map and
 *    reusable flags; children with only size/alloc-ranges are skipped.
 *  - harts: children of /cpus with device_type "cpu": reg (hart id),
 *    numa-node-id, status, riscv,isa (extensions after '_') and
 *    riscv,isa-extensions (both honoured), mmu-type.  m->isa is the AND
 *    over enabled harts, m->mmu the smallest that an enabled hart states.
 *  - timebase-frequency of /cpus (else of the first cpu that has one).
 *  - distance map: compatible "numa-distance-map-v1", distance-matrix of
 *    (from, to, distance) u32 triplets; as in Linux an entry a->b with
 *    a < b also sets b->a unless b->a is given.  Default 10 / 20.
 *  - devices: other enabled nodes with reg and compatible: the first reg
 *    entry translated through the ancestors' ranges (empty = identity; a
 *    bus without ranges is not memory mapped and its children are skipped)
 *    and the first compatible string; past FDT_MAX_DEVS they are counted in
 *    devs_dropped.
 *
 * @retval 0			parsed
 * @retval -FDT_ERR_TRUNCATED	len shorter than the header or totalsize
 * @retval -FDT_ERR_MAGIC	bad magic
 * @retval -FDT_ERR_VERSION	version < 16 or last_comp_version > 17
 * @retval -FDT_ERR_BADOFFSET	a block outside totalsize
 * @retval -FDT_ERR_BADSTRUCT	bad token, unbalanced nodes, property past
 *				the structure block, no FDT_END
 * @retval -FDT_ERR_BADSTRING	unterminated node name, property name or
 *				string property value
 * @retval -FDT_ERR_DEPTH	nesting deeper than FDT_MAX_DEPTH
 * @retval -FDT_ERR_TOOMANY	more memory/reserved ranges or harts than the
 *				tables hold, a NUMA id >= MAXMEMDOM
 * @retval -FDT_ERR_BADVALUE	a property of the wrong size or cells
 */
int fdt_parse(const void *fdt, size_t len, struct fdt_machine *m,
    const char **errmsg);

/* The total size from a blob's header, or 0 if the header is bad. */
uint32_t fdt_blob_size(const void *fdt, size_t len);

/* Print the machine in a form a person reads at a glance. */
void fdt_machine_print(const struct fdt_machine *m);

/*
 * The first remembered device whose first compatible string is compatible,
 * or NULL.  ("ns16550a" is QEMU virt's UART, "sifive,test1" its finisher.)
 */
const struct fdt_dev *fdt_find_dev(const struct fdt_machine *m,
    const char *compatible);

/*
 * Copy /chosen/bootargs of the blob at fdt (at most len bytes readable)
 * into buf (bufsz > 0, always NUL-terminated, truncated to fit).  Reads
 * only the header and the structure block, so the boot path can call it
 * before fdt_parse() and whatever fdt_parse() later rejects.
 *
 * @retval true	bootargs found and copied
 * @retval false	no valid header, no /chosen/bootargs, or a malformed
 *			structure before it was found (buf is "")
 */
bool fdt_chosen_bootargs(const void *fdt, size_t len, char *buf,
    size_t bufsz);

/*
 * Does the ' '-separated list (struct fdt_machine's or fdt_cpu's
 * compatible) hold the string word?
 */
bool fdt_compat_has(const char *list, const char *word);

/* "FDT_ERR_MAGIC" ... for err or -err; "ok" for 0. */
const char *fdt_errname(int err);

/* The FDT_ISA_* bits named by a riscv,isa string ("rv64imafdc_svpbmt"). */
uint32_t fdt_isa_string_bits(const char *isa);

#endif /* KMEM_FDT_H */
