/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fdt.c: the flattened device tree reader.
 *
 * A DTB is a header, a memory-reservation block (pairs of big-endian u64
 * address/size ending with a 0 size), a structure block of big-endian u32
 * tokens and a strings block of NUL-terminated property names:
 *
 *	FDT_BEGIN_NODE name\0 (padded to 4)	open a node
 *	FDT_PROP len nameoff value (padded)	a property of the open node
 *	FDT_END_NODE				close it
 *	FDT_NOP					nothing
 *	FDT_END					end of the structure block
 *
 * A node's properties come before its children, so when a child opens, its
 * parent's #address-cells, #size-cells and ranges are known.  fdt_parse()
 * walks the structure block once, keeps a stack of open nodes with the
 * offsets of the properties it cares about, and interprets a node when its
 * first child opens or when it closes.  Every read goes through fdt_rd32()/fdt_rd64() or a checked span,
 * all bounded by the blob length the caller gave: a malformed blob yields
 * -FDT_ERR_* and a message, never a read outside it.
 */
#include <stddef.h>
#include <string.h>

#include <kmem/fdt.h>

#include "kmem_private.h"

#define FDT_MAGIC	0xd00dfeedU
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9

#define FDT_HDR_V16	36	/* header bytes up to size_dt_strings */
#define FDT_HDR_V17	40	/* ... and size_dt_struct */

/* A property value: offset into the blob and length (len 0 = absent). */
struct fdt_span {
	uint32_t	off;
	uint32_t	len;
	bool		present;
};

enum fdt_kind {
	FK_OTHER,
	FK_ROOT,
	FK_CPUS,		/* /cpus */
	FK_RESMEM,		/* /reserved-memory */
};

/* One open node on the walk's stack. */
struct fdt_node {
	uint32_t	name;		/* offset of the NUL-terminated name */
	enum fdt_kind	kind;
	bool		under_cpus;	/* a descendant of /cpus */
	bool		under_resmem;	/* a descendant of /reserved-memory */
	int		ac, sc;		/* #address-cells/#size-cells */
	struct fdt_span	ranges;
	struct fdt_span	reg, compatible, status, device_type, numa;
	struct fdt_span	isa, isa_ext, mmu, timebase, model, matrix;
	bool		nomap, reusable;
	bool		done;		/* interpreted (a child opened, or closed) */
};

struct fdt_walk {
	const uint8_t	*b;		/* the blob */
	uint32_t	size;		/* usable bytes: min(totalsize, len) */
	uint32_t	soff, send;	/* structure block [soff, send) */
	uint32_t	stroff, strsize; /* strings block */
	struct fdt_machine *m;
	const char	*msg;
	int		depth;
	struct fdt_node	st[FDT_MAX_DEPTH];
	int		maxdom;		/* highest numa-node-id seen */
	uint32_t	cpus_timebase;	/* from a cpu node, as a fallback */
};

static uint32_t
fdt_rd32(const uint8_t *p)
{

	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static uint64_t
fdt_rd64(const uint8_t *p)
{

	return ((uint64_t)fdt_rd32(p) << 32 | fdt_rd32(p + 4));
}

static int
fdt_fail(struct fdt_walk *w, int err, const char *msg)
{

	w->msg = msg;
	return (-err);
}

/* Copy a NUL-terminated string into a fixed buffer, truncating. */
static void
fdt_copystr(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	n = strlen(src);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Copy a string list into a fixed buffer as one ' '-separated string.
 * len >= 1: string properties are checked NUL-terminated when read.
 */
static void
fdt_copylist(char *dst, size_t dstsz, const char *src, uint32_t len)
{
	uint32_t i;

	if (len > dstsz)
		len = (uint32_t)dstsz;
	for (i = 0; i + 1 < len; i++)
		dst[i] = src[i] == '\0' ? ' ' : src[i];
	dst[len - 1] = '\0';
}

/* True when the span holds a NUL-terminated string list (len >= 1). */
static bool
fdt_span_is_strings(const struct fdt_walk *w, const struct fdt_span *s)
{

	return (s->len > 0 && w->b[s->off + s->len - 1] == '\0');
}

static const char *
fdt_span_str(const struct fdt_walk *w, const struct fdt_span *s)
{

	return ((const char *)w->b + s->off);
}

/* The value of cells 32-bit cells at off; every caller checked 0..2. */
static uint64_t
fdt_cells(const struct fdt_walk *w, uint32_t off, int cells)
{

	return (cells == 0 ? 0 : cells == 1 ? fdt_rd32(w->b + off) :
	    fdt_rd64(w->b + off));
}

/* A u32 property; false when absent or not exactly 4 bytes. */
static bool
fdt_span_u32(const struct fdt_walk *w, const struct fdt_span *s, uint32_t *v)
{

	if (!s->present || s->len != 4)
		return (false);
	*v = fdt_rd32(w->b + s->off);
	return (true);
}

/* status absent, "okay" or the old "ok". */
static bool
fdt_node_enabled(const struct fdt_walk *w, const struct fdt_node *n)
{
	const char *s;

	if (!n->status.present)
		return (true);
	s = fdt_span_str(w, &n->status);
	return (strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0);
}

/*
 * numa-node-id of a node: 0 when absent.  Returns -FDT_ERR_* when the
 * property is malformed or names a domain kmem cannot hold.
 */
static int
fdt_node_domain(struct fdt_walk *w, const struct fdt_node *n, int *dom)
{
	uint32_t v;

	*dom = 0;
	if (!n->numa.present)
		return (0);
	if (!fdt_span_u32(w, &n->numa, &v))
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "numa-node-id is not one 32-bit cell"));
	if (v >= MAXMEMDOM)
		return (fdt_fail(w, FDT_ERR_TOOMANY,
		    "numa-node-id is not below MAXMEMDOM"));
	*dom = (int)v;
	if (*dom > w->maxdom)
		w->maxdom = *dom;
	return (0);
}

/*
 * Translate a bus address of the node at stack index idx (decoded with its
 * parent's cells) up to the root through each ancestor's ranges.  False
 * when an ancestor has no ranges (not memory mapped), ranges too wide to
 * decode, or no range covers [addr, addr + size).
 */
static bool
fdt_translate(const struct fdt_walk *w, int idx, uint64_t *addr,
    uint64_t size)
{
	const struct fdt_node *bus, *up;
	uint64_t a, ca, pa, sz;
	uint32_t off, ent, i;
	int k;

	a = *addr;
	for (k = idx - 1; k >= 1; k--) {
		bus = &w->st[k];
		up = &w->st[k - 1];
		if (!bus->ranges.present)
			return (false);
		if (bus->ranges.len == 0)
			continue;		/* "ranges;": identity */
		if (bus->ac > 2 || up->ac > 2 || bus->sc > 2 ||
		    bus->ac + up->ac + bus->sc == 0)
			return (false);
		ent = 4 * (uint32_t)(bus->ac + up->ac + bus->sc);
		if (bus->ranges.len % ent != 0)
			return (false);
		for (i = 0; i < bus->ranges.len / ent; i++) {
			off = bus->ranges.off + i * ent;
			ca = fdt_cells(w, off, bus->ac);
			pa = fdt_cells(w, off + 4 * bus->ac, up->ac);
			sz = fdt_cells(w, off + 4 * (bus->ac + up->ac),
			    bus->sc);
			if (a >= ca && a - ca < sz && size <= sz - (a - ca)) {
				a = a - ca + pa;
				break;
			}
		}
		if (i == bus->ranges.len / ent)
			return (false);
	}
	*addr = a;
	return (true);
}

/* Check a reg property against the parent's cells; entries via *nent. */
static int
fdt_reg_entries(struct fdt_walk *w, const struct fdt_node *parent,
    const struct fdt_node *n, uint32_t *nent)
{
	uint32_t ent;

	if (parent->ac > 2 || parent->sc > 2 || parent->ac == 0)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "reg needs #address-cells 1 or 2 and #size-cells 0..2"));
	ent = 4 * (uint32_t)(parent->ac + parent->sc);
	if (n->reg.len % ent != 0)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "reg length is not a multiple of the parent's cells"));
	*nent = n->reg.len / ent;
	return (0);
}

static void
fdt_reg_entry(const struct fdt_walk *w, const struct fdt_node *parent,
    const struct fdt_node *n, uint32_t i, uint64_t *base, uint64_t *size)
{
	uint32_t off;

	off = n->reg.off + i * 4 * (uint32_t)(parent->ac + parent->sc);
	*base = fdt_cells(w, off, parent->ac);
	*size = fdt_cells(w, off + 4 * parent->ac, parent->sc);
}

/*
 * The entries of n's reg with a nonzero size, one a call: *i is the index
 * to look at next (0 to start; nent is fdt_reg_entries()'s).  Returns
 * false when none is left.
 */
static bool
fdt_reg_next(const struct fdt_walk *w, const struct fdt_node *parent,
    const struct fdt_node *n, uint32_t nent, uint32_t *i, uint64_t *base,
    uint64_t *size)
{

	while (*i < nent) {
		fdt_reg_entry(w, parent, n, (*i)++, base, size);
		if (*size != 0)
			return (true);
	}
	return (false);
}

/* Does a string list (riscv,isa-extensions or compatible) hold s? */
static bool
fdt_strlist_has(const struct fdt_walk *w, const struct fdt_span *sp,
    const char *s)
{
	uint32_t i, n;
	const char *p;

	p = fdt_span_str(w, sp);
	for (i = 0; i < sp->len; i += n + 1) {
		n = (uint32_t)strlen(p + i);
		if (strcmp(p + i, s) == 0)
			return (true);
	}
	return (false);
}

static bool
fdt_lc_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (b[i] == '\0' || c != b[i])
			return (false);
	}
	return (b[alen] == '\0');
}

static const struct {
	const char	*name;
	uint32_t	bit;
} fdt_isa_names[] = {
	{ "svpbmt", FDT_ISA_SVPBMT },
	{ "svnapot", FDT_ISA_SVNAPOT },
	{ "zicboz", FDT_ISA_ZICBOZ },
	{ "sstc", FDT_ISA_SSTC },
};

static uint32_t
fdt_isa_word(const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < nitems(fdt_isa_names); k++)
		if (fdt_lc_eq(p, n, fdt_isa_names[k].name))
			return (fdt_isa_names[k].bit);
	return (0);
}

/*
 * The FDT_ISA_* bits a riscv,isa string names: "rv64" + single letters
 * (with optional version numbers) and then multi-letter extensions, each
 * introduced by '_' ("rv64imafdch_zicbom_zicboz_svpbmt_sstc").
 */
uint32_t
fdt_isa_string_bits(const char *isa)
{
	const char *p, *q;
	uint32_t bits;

	bits = 0;
	p = strchr(isa, '_');
	while (p != NULL) {
		p++;
		q = strchr(p, '_');
		bits |= fdt_isa_word(p, q != NULL ? (size_t)(q - p) :
		    strlen(p));
		p = q;
	}
	return (bits);
}

static int
fdt_mmu_type(const char *s)
{

	if (strcmp(s, "riscv,sv39") == 0)
		return (FDT_MMU_SV39);
	if (strcmp(s, "riscv,sv48") == 0)
		return (FDT_MMU_SV48);
	if (strcmp(s, "riscv,sv57") == 0)
		return (FDT_MMU_SV57);
	return (FDT_MMU_NONE);		/* "riscv,none", "riscv,sv32", ... */
}

/* A node under /cpus with device_type "cpu" closed: record the hart. */
static int
fdt_close_cpu(struct fdt_walk *w, const struct fdt_node *parent,
    const struct fdt_node *n)
{
	struct fdt_machine *m = w->m;
	struct fdt_cpu *c;
	uint64_t id;
	uint32_t k, tb;
	int dom, error;

	if (!n->reg.present || parent->ac < 1 || parent->ac > 2 ||
	    n->reg.len < 4 * (uint32_t)parent->ac)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "cpu node without a usable reg (hart id)"));
	id = fdt_cells(w, n->reg.off, parent->ac);
	if (id > UINT32_MAX)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "cpu hart id does not fit 32 bits"));
	if ((error = fdt_node_domain(w, n, &dom)) != 0)
		return (error);
	if (m->ncpus == FDT_MAX_CPUS)
		return (fdt_fail(w, FDT_ERR_TOOMANY,
		    "more cpu nodes than kmem was built for (MAXCPU, "
		    "meson -Dmaxcpu=)"));
	c = &m->cpus[m->ncpus++];
	c->hartid = (uint32_t)id;
	c->domain = dom;
	c->enabled = fdt_node_enabled(w, n);
	c->isa = 0;
	if (n->isa.present)
		c->isa |= fdt_isa_string_bits(fdt_span_str(w, &n->isa));
	if (n->isa_ext.present)
		for (k = 0; k < nitems(fdt_isa_names); k++)
			if (fdt_strlist_has(w, &n->isa_ext,
			    fdt_isa_names[k].name))
				c->isa |= fdt_isa_names[k].bit;
	c->mmu = n->mmu.present ? fdt_mmu_type(fdt_span_str(w, &n->mmu)) :
	    -1;
	if (n->compatible.present)
		fdt_copylist(c->compatible, sizeof(c->compatible),
		    fdt_span_str(w, &n->compatible), n->compatible.len);
	if (fdt_span_u32(w, &n->timebase, &tb) && w->cpus_timebase == 0)
		w->cpus_timebase = tb;
	return (0);
}

static int
fdt_close_memory(struct fdt_walk *w, const struct fdt_node *parent,
    const struct fdt_node *n)
{
	struct fdt_machine *m = w->m;
	uint64_t base, size;
	uint32_t i, nent;
	int dom, error;

	if (!fdt_node_enabled(w, n) || !n->reg.present)
		return (0);
	if ((error = fdt_node_domain(w, n, &dom)) != 0)
		return (error);
	if ((error = fdt_reg_entries(w, parent, n, &nent)) != 0)
		return (error);
	i = 0;
	while (fdt_reg_next(w, parent, n, nent, &i, &base, &size)) {
		if (base + size < base)
			return (fdt_fail(w, FDT_ERR_BADVALUE,
			    "memory range wraps past 2^64"));
		if (m->nmem == FDT_MAX_MEM)
			return (fdt_fail(w, FDT_ERR_TOOMANY,
			    "more memory ranges than FDT_MAX_MEM"));
		m->mem[m->nmem].base = base;
		m->mem[m->nmem].size = size;
		m->mem[m->nmem].domain = dom;
		m->nmem++;
	}
	return (0);
}

static int
fdt_add_rsv(struct fdt_walk *w, uint64_t base, uint64_t size,
    const char *name, bool nomap, bool reusable, bool memreserve)
{
	struct fdt_rsv *r;

	if (base + size < base)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "reserved range wraps past 2^64"));
	if (w->m->nrsv == FDT_MAX_RSV)
		return (fdt_fail(w, FDT_ERR_TOOMANY,
		    "more reserved ranges than FDT_MAX_RSV"));
	r = &w->m->rsv[w->m->nrsv++];
	r->base = base;
	r->size = size;
	r->nomap = nomap;
	r->reusable = reusable;
	r->memreserve = memreserve;
	fdt_copystr(r->name, sizeof(r->name), name);
	return (0);
}

/*
 * A child of /reserved-memory closed.  Children with reg are recorded, one
 * entry per reg entry; children with only size/alloc-ranges ask the OS to
 * pick memory for a driver and are skipped (kmem has no such drivers), as
 * are disabled ones.
 */
static int
fdt_close_resmem_child(struct fdt_walk *w, int idx)
{
	const struct fdt_node *n = &w->st[idx], *parent = &w->st[idx - 1];
	uint64_t base, size;
	uint32_t i, nent;
	int error;

	if (!n->reg.present || !fdt_node_enabled(w, n))
		return (0);
	if ((error = fdt_reg_entries(w, parent, n, &nent)) != 0)
		return (error);
	i = 0;
	while (fdt_reg_next(w, parent, n, nent, &i, &base, &size)) {
		/*
		 * /reserved-memory should say "ranges;" (identity); without
		 * ranges its children are taken as physical addresses, since
		 * ignoring a reservation is worse than honouring it.
		 */
		if (parent->ranges.len != 0 &&
		    !fdt_translate(w, idx, &base, size))
			return (fdt_fail(w, FDT_ERR_BADVALUE,
			    "reserved-memory child outside the parent's ranges"));
		error = fdt_add_rsv(w, base, size,
		    (const char *)w->b + n->name, n->nomap, n->reusable, false);
		if (error != 0)
			return (error);
	}
	return (0);
}

/*
 * Any other node with reg and compatible: remember its first reg entry,
 * translated to a CPU physical address, as a device.  Nodes that are not
 * memory mapped (no ranges on the way up, #size-cells 0, more than two
 * cells) are not devices here and are skipped, as are disabled ones.
 */
static void
fdt_close_device(struct fdt_walk *w, int idx)
{
	const struct fdt_node *n = &w->st[idx], *parent = &w->st[idx - 1];
	struct fdt_machine *m = w->m;
	uint64_t base, size;

	if (!n->reg.present || !n->compatible.present ||
	    !fdt_node_enabled(w, n))
		return;
	if (parent->ac < 1 || parent->ac > 2 || parent->sc < 1 ||
	    parent->sc > 2 ||
	    n->reg.len < 4 * (uint32_t)(parent->ac + parent->sc))
		return;
	fdt_reg_entry(w, parent, n, 0, &base, &size);
	if (!fdt_translate(w, idx, &base, size))
		return;
	if (m->ndevs == FDT_MAX_DEVS) {
		m->devs_dropped++;
		return;
	}
	m->devs[m->ndevs].base = base;
	m->devs[m->ndevs].size = size;
	fdt_copystr(m->devs[m->ndevs].compatible,
	    sizeof(m->devs[m->ndevs].compatible),
	    fdt_span_str(w, &n->compatible));
	m->ndevs++;
}

/* distance-matrix: (from, to, distance) u32 triplets. */
static int
fdt_close_distance(struct fdt_walk *w, const struct fdt_node *n)
{
	struct fdt_machine *m = w->m;
	uint32_t from, to, d, i;

	if (!n->matrix.present)
		return (0);
	if (n->matrix.len % 12 != 0)
		return (fdt_fail(w, FDT_ERR_BADVALUE,
		    "distance-matrix is not (from, to, distance) triplets"));
	for (i = 0; i < n->matrix.len; i += 12) {
		from = fdt_rd32(w->b + n->matrix.off + i);
		to = fdt_rd32(w->b + n->matrix.off + i + 4);
		d = fdt_rd32(w->b + n->matrix.off + i + 8);
		if (from >= MAXMEMDOM || to >= MAXMEMDOM)
			return (fdt_fail(w, FDT_ERR_TOOMANY,
			    "distance-matrix names a node past MAXMEMDOM"));
		m->distance[from][to] = d;
		/* Like Linux: a->b with a < b also gives b->a until said. */
		if (from < to)
			m->distance[to][from] = d;
	}
	m->has_distance = true;
	return (0);
}

/*
 * Interpret what the node at stack index idx said.  Called once per node,
 * when its first child opens or when it closes, whichever comes first: its
 * properties are complete then (they precede subnodes), and the nodes are
 * met in document order.
 */
static int
fdt_finish_node(struct fdt_walk *w, int idx)
{
	struct fdt_node *n = &w->st[idx];
	struct fdt_node *parent = idx > 0 ? &w->st[idx - 1] : NULL;
	const char *dt;
	uint32_t tb;

	if (n->done)
		return (0);
	n->done = true;
	if (n->compatible.present && fdt_strlist_has(w, &n->compatible,
	    "numa-distance-map-v1"))
		return (fdt_close_distance(w, n));
	switch (n->kind) {
	case FK_ROOT:
		if (n->model.present)
			fdt_copystr(w->m->model, sizeof(w->m->model),
			    fdt_span_str(w, &n->model));
		if (n->compatible.present)
			fdt_copylist(w->m->compatible,
			    sizeof(w->m->compatible),
			    fdt_span_str(w, &n->compatible), n->compatible.len);
		return (0);
	case FK_CPUS:
		if (n->timebase.present) {
			if (fdt_span_u32(w, &n->timebase, &tb))
				w->m->timebase_frequency = tb;
			else if (n->timebase.len == 8 &&
			    fdt_rd32(w->b + n->timebase.off) == 0)
				w->m->timebase_frequency =
				    fdt_rd32(w->b + n->timebase.off + 4);
			else
				return (fdt_fail(w, FDT_ERR_BADVALUE,
				    "timebase-frequency is not a 32-bit value"));
		}
		return (0);
	case FK_RESMEM:
		return (0);
	default:
		break;
	}
	dt = n->device_type.present ? fdt_span_str(w, &n->device_type) : "";
	if (n->under_cpus) {
		if (idx == 2 && strcmp(dt, "cpu") == 0)
			return (fdt_close_cpu(w, parent, n));
		return (0);
	}
	if (n->under_resmem) {
		if (parent->kind == FK_RESMEM)
			return (fdt_close_resmem_child(w, idx));
		return (0);
	}
	if (strcmp(dt, "memory") == 0)
		return (fdt_close_memory(w, parent, n));
	fdt_close_device(w, idx);
	return (0);
}

/* The properties whose value a node keeps, and which are strings. */
static const struct {
	const char	*name;
	size_t		off;		/* of its struct fdt_span in the node */
	bool		isstr;
} fdt_span_props[] = {
	{ "reg", offsetof(struct fdt_node, reg), false },
	{ "ranges", offsetof(struct fdt_node, ranges), false },
	{ "compatible", offsetof(struct fdt_node, compatible), true },
	{ "status", offsetof(struct fdt_node, status), true },
	{ "device_type", offsetof(struct fdt_node, device_type), true },
	{ "numa-node-id", offsetof(struct fdt_node, numa), false },
	{ "riscv,isa", offsetof(struct fdt_node, isa), true },
	{ "riscv,isa-extensions", offsetof(struct fdt_node, isa_ext), true },
	{ "mmu-type", offsetof(struct fdt_node, mmu), true },
	{ "timebase-frequency", offsetof(struct fdt_node, timebase), false },
	{ "model", offsetof(struct fdt_node, model), true },
	{ "distance-matrix", offsetof(struct fdt_node, matrix), false },
};

/* A property of the open node: remember the ones we interpret. */
static int
fdt_prop(struct fdt_walk *w, const char *name, uint32_t off, uint32_t len)
{
	struct fdt_node *n = &w->st[w->depth - 1];
	struct fdt_span sp = { off, len, true };
	struct fdt_span *slot;
	bool isstr;
	uint32_t v;
	size_t i;

	if (n->done)
		return (fdt_fail(w, FDT_ERR_BADSTRUCT,
		    "property after a subnode"));
	slot = NULL;
	isstr = false;
	if (strcmp(name, "#address-cells") == 0 ||
	    strcmp(name, "#size-cells") == 0) {
		if (!fdt_span_u32(w, &sp, &v))
			return (fdt_fail(w, FDT_ERR_BADVALUE,
			    "#address-cells or #size-cells is not one cell"));
		if (v > 4)
			v = 4;			/* undecodable; checked at use */
		if (name[1] == 'a')
			n->ac = (int)v;
		else
			n->sc = (int)v;
		return (0);
	}
	if (strcmp(name, "no-map") == 0)
		n->nomap = true;
	else if (strcmp(name, "reusable") == 0)
		n->reusable = true;
	for (i = 0; i < nitems(fdt_span_props); i++)
		if (strcmp(name, fdt_span_props[i].name) == 0) {
			slot = (struct fdt_span *)((char *)n +
			    fdt_span_props[i].off);
			isstr = fdt_span_props[i].isstr;
			break;
		}
	if (slot == NULL)
		return (0);
	if (isstr && !fdt_span_is_strings(w, &sp))
		return (fdt_fail(w, FDT_ERR_BADSTRING,
		    "string property value is not NUL-terminated"));
	/* A name given twice (the spec forbids it): the first counts, as
	   libfdt's fdt_getprop() finds it. */
	if (!slot->present)
		*slot = sp;
	return (0);
}

/* Open a node named by the string at off (already checked). */
static int
fdt_open_node(struct fdt_walk *w, uint32_t off)
{
	const char *name = (const char *)w->b + off;
	struct fdt_node *n, *parent;
	int error;

	if (w->depth > 0 && (error = fdt_finish_node(w, w->depth - 1)) != 0)
		return (error);
	if (w->depth == FDT_MAX_DEPTH)
		return (fdt_fail(w, FDT_ERR_DEPTH,
		    "nodes nest deeper than FDT_MAX_DEPTH"));
	n = &w->st[w->depth];
	memset(n, 0, sizeof(*n));
	n->name = off;
	n->ac = 2;			/* devicetree spec defaults */
	n->sc = 1;
	if (w->depth == 0) {
		n->kind = FK_ROOT;
	} else {
		parent = &w->st[w->depth - 1];
		n->under_cpus = parent->under_cpus || parent->kind == FK_CPUS;
		n->under_resmem = parent->under_resmem ||
		    parent->kind == FK_RESMEM;
		if (parent->kind == FK_ROOT && strcmp(name, "cpus") == 0)
			n->kind = FK_CPUS;
		else if (parent->kind == FK_ROOT &&
		    strcmp(name, "reserved-memory") == 0)
			n->kind = FK_RESMEM;
	}
	w->depth++;
	return (0);
}

/* Check the header and the blocks' placement; fills w's block bounds. */
static int
fdt_check_header(struct fdt_walk *w, const uint8_t *b, size_t len)
{
	uint32_t total, version, lastcomp, rsvoff, hdr;
	uint64_t send;

	if (b == NULL || len < 8)
		return (fdt_fail(w, FDT_ERR_TRUNCATED,
		    "blob shorter than a header"));
	if (fdt_rd32(b) != FDT_MAGIC)
		return (fdt_fail(w, FDT_ERR_MAGIC, "bad magic: not a DTB"));
	if (len < FDT_HDR_V16)
		return (fdt_fail(w, FDT_ERR_TRUNCATED,
		    "blob shorter than a header"));
	total = fdt_rd32(b + 4);
	version = fdt_rd32(b + 20);
	lastcomp = fdt_rd32(b + 24);
	if (version < 16 || lastcomp > 17 || lastcomp > version)
		return (fdt_fail(w, FDT_ERR_VERSION,
		    "unsupported version (need 16 or 17)"));
	hdr = version >= 17 ? FDT_HDR_V17 : FDT_HDR_V16;
	if (total < hdr)
		return (fdt_fail(w, FDT_ERR_BADOFFSET,
		    "totalsize smaller than the header"));
	if (total > len)		/* so len >= total >= hdr */
		return (fdt_fail(w, FDT_ERR_TRUNCATED,
		    "blob shorter than its totalsize"));
	w->b = b;
	w->size = total;
	w->soff = fdt_rd32(b + 8);
	w->stroff = fdt_rd32(b + 12);
	rsvoff = fdt_rd32(b + 16);
	w->strsize = fdt_rd32(b + 32);
	if (version >= 17)
		send = (uint64_t)w->soff + fdt_rd32(b + 36);
	else
		send = total;
	if (w->soff < hdr || w->soff % 4 != 0 || send > total ||
	    send < (uint64_t)w->soff + 4)
		return (fdt_fail(w, FDT_ERR_BADOFFSET,
		    "structure block outside the blob"));
	w->send = (uint32_t)send;
	if (w->stroff < hdr || (uint64_t)w->stroff + w->strsize > total)
		return (fdt_fail(w, FDT_ERR_BADOFFSET,
		    "strings block outside the blob"));
	if (rsvoff < hdr || rsvoff % 8 != 0 || rsvoff > total)
		return (fdt_fail(w, FDT_ERR_BADOFFSET,
		    "memory reservation block outside the blob"));
	if (w->m != NULL) {
		w->m->totalsize = total;
		w->m->boot_cpuid_phys = fdt_rd32(b + 28);
	}
	return ((int)rsvoff);
}

/* The /memreserve/ block: (address, size) pairs up to a zero size. */
static int
fdt_memreserve(struct fdt_walk *w, uint32_t off)
{
	uint64_t base, size;
	int error;

	for (;;) {
		if ((uint64_t)off + 16 > w->size)
			return (fdt_fail(w, FDT_ERR_BADOFFSET,
			    "memory reservation block runs past the blob"));
		base = fdt_rd64(w->b + off);
		size = fdt_rd64(w->b + off + 8);
		if (size == 0)
			return (0);
		error = fdt_add_rsv(w, base, size, "memreserve", false, false,
		    true);
		if (error != 0)
			return (error);
		off += 16;
	}
}

/* Length of a NUL-terminated string at off below end, or -1. */
static int64_t
fdt_strlen(const struct fdt_walk *w, uint32_t off, uint32_t end)
{
	const uint8_t *p;

	if (off >= end)
		return (-1);
	p = memchr(w->b + off, '\0', end - off);
	if (p == NULL)
		return (-1);
	return (p - (w->b + off));
}

/* Walk the structure block. */
static int
fdt_walk_struct(struct fdt_walk *w)
{
	uint32_t off, tok, plen, nameoff;
	int64_t n;
	bool rootdone;
	int error;

	off = w->soff;
	rootdone = false;
	for (;;) {
		if ((uint64_t)off + 4 > w->send)
			return (fdt_fail(w, FDT_ERR_BADSTRUCT,
			    "structure block ends without FDT_END"));
		tok = fdt_rd32(w->b + off);
		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE:
			if (rootdone)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "a second root node"));
			n = fdt_strlen(w, off, w->send);
			if (n < 0)
				return (fdt_fail(w, FDT_ERR_BADSTRING,
				    "node name not NUL-terminated in the "
				    "structure block"));
			if (w->depth == 0 && n != 0)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "root node has a name"));
			if ((error = fdt_open_node(w, off)) != 0)
				return (error);
			off += ((uint32_t)n + 1 + 3) & ~3U;
			break;
		case FDT_END_NODE:
			if (w->depth == 0)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "FDT_END_NODE without an open node"));
			if ((error = fdt_finish_node(w, w->depth - 1)) != 0)
				return (error);
			w->depth--;
			if (w->depth == 0)
				rootdone = true;
			break;
		case FDT_PROP:
			if (w->depth == 0)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "property outside any node"));
			if ((uint64_t)off + 8 > w->send)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "property header past the structure block"));
			plen = fdt_rd32(w->b + off);
			nameoff = fdt_rd32(w->b + off + 4);
			off += 8;
			if ((uint64_t)off + plen > w->send)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "property value past the structure block"));
			if (nameoff >= w->strsize ||
			    fdt_strlen(w, w->stroff + nameoff,
			    w->stroff + w->strsize) < 0)
				return (fdt_fail(w, FDT_ERR_BADSTRING,
				    "property name not NUL-terminated in the "
				    "strings block"));
			error = fdt_prop(w,
			    (const char *)w->b + w->stroff + nameoff, off, plen);
			if (error != 0)
				return (error);
			off += (plen + 3) & ~3U;
			break;
		case FDT_NOP:
			break;
		case FDT_END:
			if (w->depth != 0 || !rootdone)
				return (fdt_fail(w, FDT_ERR_BADSTRUCT,
				    "FDT_END inside a node or before the root"));
			return (0);
		default:
			return (fdt_fail(w, FDT_ERR_BADSTRUCT,
			    "unknown token in the structure block"));
		}
	}
}

/*
 * Parse the blob (see kmem/fdt.h).  No locks, no allocation, no sleeping;
 * uses about 3 KiB of stack for the node stack.
 */
int
fdt_parse(const void *fdt, size_t len, struct fdt_machine *m,
    const char **errmsg)
{
	struct fdt_walk w;
	uint32_t isa;
	int error, i, j, mmu, rsvoff;
	bool any;

	memset(m, 0, sizeof(*m));
	memset(&w, 0, sizeof(w));
	for (i = 0; i < MAXMEMDOM; i++)
		for (j = 0; j < MAXMEMDOM; j++)
			m->distance[i][j] = i == j ? 10 : 20;
	m->ndomains = 1;
	w.m = m;
	w.msg = "ok";
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	rsvoff = fdt_check_header(&w, fdt, len);
	error = rsvoff < 0 ? rsvoff : fdt_memreserve(&w, (uint32_t)rsvoff);
	if (error == 0)
		error = fdt_walk_struct(&w);
	if (error != 0) {
		/* Leave nothing half-read behind. */
		memset(m, 0, sizeof(*m));
		for (i = 0; i < MAXMEMDOM; i++)
			for (j = 0; j < MAXMEMDOM; j++)
				m->distance[i][j] = i == j ? 10 : 20;
		m->ndomains = 1;
		if (errmsg != NULL)
			*errmsg = w.msg;
		return (error);
	}
	m->ndomains = w.maxdom + 1;
	if (m->timebase_frequency == 0)
		m->timebase_frequency = w.cpus_timebase;
	isa = ~0U;
	mmu = -1;
	any = false;
	for (i = 0; i < m->ncpus; i++) {
		if (!m->cpus[i].enabled)
			continue;
		any = true;
		isa &= m->cpus[i].isa;
		if (m->cpus[i].mmu >= 0 && (mmu < 0 || m->cpus[i].mmu < mmu))
			mmu = m->cpus[i].mmu;
	}
	/* A hart that did not say has no mmu-type: report it as NONE. */
	for (i = 0; i < m->ncpus; i++)
		if (m->cpus[i].mmu < 0)
			m->cpus[i].mmu = FDT_MMU_NONE;
	m->isa = any ? isa : 0;
	m->mmu = mmu < 0 ? FDT_MMU_NONE : mmu;
	if (errmsg != NULL)
		*errmsg = w.msg;
	return (0);
}

uint32_t
fdt_blob_size(const void *fdt, size_t len)
{
	const uint8_t *b = fdt;
	uint32_t total;

	if (b == NULL || len < FDT_HDR_V16 || fdt_rd32(b) != FDT_MAGIC)
		return (0);
	total = fdt_rd32(b + 4);
	if (total < FDT_HDR_V16 || fdt_rd32(b + 20) < 16)
		return (0);
	return (total);
}

/*
 * /chosen/bootargs without fdt_parse(): one pass over the structure block
 * that follows only the root's child "chosen" (see kmem/fdt.h).
 */
bool
fdt_chosen_bootargs(const void *fdt, size_t len, char *buf, size_t bufsz)
{
	struct fdt_walk w;
	uint32_t off, tok, plen, nameoff;
	int64_t n;
	int depth;
	bool chosen;

	memset(&w, 0, sizeof(w));
	buf[0] = '\0';
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	if (fdt_check_header(&w, fdt, len) < 0)
		return (false);
	off = w.soff;
	depth = 0;
	chosen = false;
	while ((uint64_t)off + 4 <= w.send) {
		tok = fdt_rd32(w.b + off);
		off += 4;
		switch (tok) {
		case FDT_BEGIN_NODE:
			n = fdt_strlen(&w, off, w.send);
			if (n < 0)
				return (false);
			depth++;
			chosen = depth == 2 && (strcmp((const char *)w.b +
			    off, "chosen") == 0 || strncmp((const char *)w.b +
			    off, "chosen@", 7) == 0);
			off += ((uint32_t)n + 1 + 3) & ~3U;
			break;
		case FDT_END_NODE:
			depth--;
			chosen = false;
			if (depth <= 0)
				return (false);
			break;
		case FDT_PROP:
			if ((uint64_t)off + 8 > w.send)
				return (false);
			plen = fdt_rd32(w.b + off);
			nameoff = fdt_rd32(w.b + off + 4);
			off += 8;
			if ((uint64_t)off + plen > w.send)
				return (false);
			if (chosen && nameoff < w.strsize &&
			    fdt_strlen(&w, w.stroff + nameoff,
			    w.stroff + w.strsize) >= 0 &&
			    strcmp((const char *)w.b + w.stroff + nameoff,
			    "bootargs") == 0) {
				if (plen == 0 || w.b[off + plen - 1] != '\0')
					return (false);
				fdt_copystr(buf, bufsz,
				    (const char *)w.b + off);
				return (true);
			}
			off += (plen + 3) & ~3U;
			break;
		case FDT_NOP:
			break;
		default:
			return (false);
		}
	}
	return (false);
}

bool
fdt_compat_has(const char *list, const char *word)
{
	size_t n;

	n = strlen(word);
	while (*list != '\0') {
		if (strncmp(list, word, n) == 0 &&
		    (list[n] == ' ' || list[n] == '\0'))
			return (true);
		list = strchr(list, ' ');
		if (list == NULL)
			break;
		list++;
	}
	return (false);
}

const struct fdt_dev *
fdt_find_dev(const struct fdt_machine *m, const char *compatible)
{
	int i;

	for (i = 0; i < m->ndevs; i++)
		if (strcmp(m->devs[i].compatible, compatible) == 0)
			return (&m->devs[i]);
	return (NULL);
}

const char *
fdt_errname(int err)
{

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:			return ("ok");
	case FDT_ERR_MAGIC:	return ("FDT_ERR_MAGIC");
	case FDT_ERR_VERSION:	return ("FDT_ERR_VERSION");
	case FDT_ERR_TRUNCATED:	return ("FDT_ERR_TRUNCATED");
	case FDT_ERR_BADOFFSET:	return ("FDT_ERR_BADOFFSET");
	case FDT_ERR_BADSTRUCT:	return ("FDT_ERR_BADSTRUCT");
	case FDT_ERR_BADSTRING:	return ("FDT_ERR_BADSTRING");
	case FDT_ERR_DEPTH:	return ("FDT_ERR_DEPTH");
	case FDT_ERR_TOOMANY:	return ("FDT_ERR_TOOMANY");
	case FDT_ERR_BADVALUE:	return ("FDT_ERR_BADVALUE");
	default:		return ("FDT_ERR_?");
	}
}

/* Size as "N.NN MiB" without floating point. */
static void
fdt_print_size(uint64_t size)
{

	if (size < (1UL << 20))
		kmem_printf("%11lu KiB", (u_long)(size >> 10));
	else
		kmem_printf("%8lu.%02lu MiB", (u_long)(size >> 20),
		    (u_long)(((size & 0xfffff) * 100) >> 20));
}

static const char *
fdt_mmu_name(int mmu)
{

	switch (mmu) {
	case FDT_MMU_SV39:	return ("sv39");
	case FDT_MMU_SV48:	return ("sv48");
	case FDT_MMU_SV57:	return ("sv57");
	default:		return ("none");
	}
}

static void
fdt_print_isa(uint32_t isa)
{
	size_t k;
	bool any;

	any = false;
	for (k = 0; k < nitems(fdt_isa_names); k++)
		if (isa & fdt_isa_names[k].bit) {
			kmem_printf("%s%s", any ? " " : "",
			    fdt_isa_names[k].name);
			any = true;
		}
	if (!any)
		kmem_printf("(none of svpbmt svnapot zicboz sstc)");
}

void
fdt_machine_print(const struct fdt_machine *m)
{
	int i, j, d;

	kmem_printf("fdt: %s, %u-byte blob, %d NUMA node%s\n",
	    m->model[0] != '\0' ? m->model : "(no model)",
	    m->totalsize, m->ndomains, m->ndomains == 1 ? "" : "s");
	kmem_printf("  mmu %s, timebase %u Hz, isa (all harts): ",
	    fdt_mmu_name(m->mmu), m->timebase_frequency);
	fdt_print_isa(m->isa);
	kmem_printf("\n");
	for (d = 0; d < m->ndomains; d++) {
		kmem_printf("  node %d: harts", d);
		for (i = 0; i < m->ncpus; i++)
			if (m->cpus[i].domain == d)
				kmem_printf(" %u%s", m->cpus[i].hartid,
				    m->cpus[i].enabled ? "" : "(disabled)");
		kmem_printf("\n");
		for (i = 0; i < m->nmem; i++) {
			if (m->mem[i].domain != d)
				continue;
			kmem_printf("    memory 0x%016lx-0x%016lx ",
			    (u_long)m->mem[i].base,
			    (u_long)(m->mem[i].base + m->mem[i].size));
			fdt_print_size(m->mem[i].size);
			kmem_printf("\n");
		}
	}
	for (i = 0; i < m->nrsv; i++) {
		kmem_printf("  reserved 0x%016lx-0x%016lx ",
		    (u_long)m->rsv[i].base,
		    (u_long)(m->rsv[i].base + m->rsv[i].size));
		fdt_print_size(m->rsv[i].size);
		kmem_printf("  %s%s%s\n", m->rsv[i].name,
		    m->rsv[i].nomap ? " no-map" : "",
		    m->rsv[i].reusable ? " reusable" : "");
	}
	if (m->has_distance || m->ndomains > 1) {
		kmem_printf("  distance%s:", m->has_distance ? "" :
		    " (defaults, no distance-map)");
		for (j = 0; j < m->ndomains; j++)
			kmem_printf(" %4d", j);
		kmem_printf("\n");
		for (i = 0; i < m->ndomains; i++) {
			kmem_printf("        %4d", i);
			for (j = 0; j < m->ndomains; j++)
				kmem_printf(" %4u", m->distance[i][j]);
			kmem_printf("\n");
		}
	}
	for (i = 0; i < m->ncpus; i++) {
		kmem_printf("  hart %u: node %d, %s, mmu %s, isa ",
		    m->cpus[i].hartid, m->cpus[i].domain,
		    m->cpus[i].enabled ? "okay" : "disabled",
		    fdt_mmu_name(m->cpus[i].mmu));
		fdt_print_isa(m->cpus[i].isa);
		kmem_printf("\n");
	}
	for (i = 0; i < m->ndevs; i++)
		kmem_printf("  device 0x%016lx +0x%lx %s\n",
		    (u_long)m->devs[i].base, (u_long)m->devs[i].size,
		    m->devs[i].compatible);
	if (m->devs_dropped != 0)
		kmem_printf("  (%d more devices not remembered)\n",
		    m->devs_dropped);
}
