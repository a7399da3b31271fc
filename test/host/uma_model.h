/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uma_model.h: a model of what is live, driven by a byte string, shared by
 * test/host/test_uma.c (random strings) and test/fuzz/fuzz_uma.c
 * (libFuzzer's).  Every allocation (UMA zones, malloc(9), libc's family
 * under its host names kmem_libc_*) is checked: aligned, at least the
 * size asked for, disjoint from every live block, and written with a
 * stamp that must read back unchanged when it is freed or resized.
 * Needs a booted host twin (kmem_startup) and um_setup() once.
 */
#ifndef UMA_MODEL_H
#define UMA_MODEL_H

#include <string.h>

#include <kmem.h>

void *kmem_libc_malloc(size_t size);
void kmem_libc_free(void *p);
void *kmem_libc_calloc(size_t n, size_t size);
void *kmem_libc_realloc(void *p, size_t size);
void *kmem_libc_memalign(size_t align, size_t size);
size_t kmem_libc_malloc_usable_size(void *p);

#define UM_SLOTS	256
#define UM_NZONES	6

enum { UM_ZONE, UM_KMALLOC, UM_LIBC, UM_ALIGNED };

struct um_slot {
	unsigned char	*p;
	size_t		size;
	int		kind, zone;
	unsigned char	stamp;
};

static uma_zone_t um_zones[UM_NZONES];
static const size_t um_zone_size[UM_NZONES] = { 1, 24, 64, 200, 1000, 5000 };
static const uint32_t um_zone_flags[UM_NZONES] = { 0, 0, 0,
    UMA_ZONE_ROUNDROBIN, 0, 0 };
static struct um_slot um_live[UM_SLOTS];
static const char *um_err;

static __attribute__((unused)) void
um_setup(void)
{
	int i;

	for (i = 0; i < UM_NZONES; i++)
		um_zones[i] = uma_zcreate("model", um_zone_size[i], NULL, NULL,
		    NULL, NULL, i == 2 ? UMA_ALIGN_CACHE : UMA_ALIGN_PTR,
		    um_zone_flags[i]);
}

static bool
um_fail(const char *why)
{

	if (um_err == NULL)
		um_err = why;
	return (false);
}

static bool
um_check_new(struct um_slot *s, size_t align)
{
	size_t usable;
	int i;

	if (((uintptr_t)s->p & (align - 1)) != 0)
		return (um_fail("misaligned block"));
	usable = s->kind == UM_ZONE ? uma_zone_get_size(um_zones[s->zone]) :
	    kern_malloc_usable_size(s->p);
	if (usable < s->size)
		return (um_fail("block smaller than asked"));
	for (i = 0; i < UM_SLOTS; i++) {
		struct um_slot *o = &um_live[i];

		if (o == s || o->p == NULL)
			continue;
		if (s->p < o->p + (o->size ? o->size : 1) &&
		    o->p < s->p + (s->size ? s->size : 1))
			return (um_fail("block overlaps a live one"));
	}
	memset(s->p, s->stamp, s->size);
	return (true);
}

static bool
um_stamped(const struct um_slot *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s->p[i] != s->stamp)
			return (um_fail("stamp changed while live"));
	return (true);
}

static bool
um_free(struct um_slot *s)
{
	bool good;

	good = um_stamped(s, s->size);
	switch (s->kind) {
	case UM_ZONE:
		uma_zfree(um_zones[s->zone], s->p);
		break;
	case UM_KMALLOC:
		kern_free(s->p, M_TEMP);
		break;
	default:
		kmem_libc_free(s->p);
		break;
	}
	s->p = NULL;
	return (good);
}

/* Sizes for malloc(9) and libc: mostly small, up to the largest zone. */
static size_t
um_size(unsigned a, unsigned b)
{

	switch (a & 3) {
	case 0:
		return (b & 63);
	case 1:
		return (b * 4);
	case 2:
		return ((size_t)b * 37 % 4096);
	default:
		return ((size_t)b * 64 % (KMEM_ZMAX + 1));
	}
}

/* One step of 4 bytes; false (um_err set) when a check failed. */
static bool
um_step(const unsigned char *op)
{
	struct um_slot *s;
	size_t align, nsz;
	unsigned char *np;
	int z;

	s = &um_live[op[1] % UM_SLOTS];
	if (s->p != NULL) {
		if ((op[0] & 7) == 7 && s->kind == UM_LIBC) {
			nsz = um_size(op[2], op[3]);
			np = kmem_libc_realloc(s->p, nsz);
			if (np == NULL)
				return (nsz == 0 || um_fail("realloc failed"));
			s->p = np;
			if (!um_stamped(s, s->size < nsz ? s->size : nsz))
				return (false);
			s->size = nsz;
			memset(s->p, s->stamp, nsz);
			return (true);
		}
		return (um_free(s));
	}
	s->stamp = (unsigned char)(op[2] ^ op[3] ^ 0x5a);
	align = sizeof(void *);
	switch (op[0] & 3) {
	case 0:
		z = op[2] % UM_NZONES;
		s->kind = UM_ZONE;
		s->zone = z;
		s->size = um_zone_size[z];
		s->p = uma_zalloc(um_zones[z], M_NOWAIT);
		if (z == 2)
			align = 64;
		break;
	case 1:
		s->kind = UM_KMALLOC;
		s->size = um_size(op[2], op[3]);
		s->p = kern_malloc(s->size, M_TEMP, M_NOWAIT |
		    ((op[0] & 4) != 0 ? M_ZERO : 0));
		if (s->p != NULL && (op[0] & 4) != 0)
			for (nsz = 0; nsz < s->size; nsz++)
				if (s->p[nsz] != 0)
					return (um_fail("M_ZERO not zero"));
		break;
	case 2:
		s->kind = UM_LIBC;
		s->size = um_size(op[2], op[3]);
		s->p = (op[0] & 4) != 0 ? kmem_libc_calloc(1, s->size) :
		    kmem_libc_malloc(s->size);
		break;
	default:
		s->kind = UM_ALIGNED;
		align = (size_t)1 << (op[2] % 13);
		s->size = um_size(op[3], op[2]);
		s->p = kmem_libc_memalign(align, s->size);
		break;
	}
	if (s->p == NULL)
		return (um_fail("allocation failed with memory left"));
	return (um_check_new(s, align));
}

/* Free everything the model holds. */
static bool
um_flush(void)
{
	bool good;
	int i;

	good = true;
	for (i = 0; i < UM_SLOTS; i++)
		if (um_live[i].p != NULL)
			good &= um_free(&um_live[i]);
	return (good);
}

/* Run the steps of ops[0..len), then free everything. */
static __attribute__((unused)) bool
um_run(const unsigned char *ops, size_t len)
{
	size_t i;

	um_err = NULL;
	for (i = 0; i + 4 <= len; i += 4)
		if (!um_step(ops + i))
			break;
	return (um_flush() && um_err == NULL);
}

#endif /* UMA_MODEL_H */
