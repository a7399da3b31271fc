/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_monitor at its edges (host/monitor covers every command): input
 * that arrives late (the console has no byte yet), blanks, tabs (blanks
 * too) and erasing at the start of a line, every number form (0X, upper-case hex,
 * each size suffix, suffixes that are not one, overflow), the limits of
 * alloc and free, and what pt and page show for pages in other states
 * (an unmapped address, an executable mapping, a cached page, the tail of
 * an allocation, a page of the second domain).
 *
 * The script comes through a pipe written by a thread (so the monitor
 * polls an empty console first); the answers are captured from stderr.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kmem.h>
#include "host.h"
#include "capture.h"
#include "host_boot.h"
#include "tap.h"

static char out[256 * 1024];

struct feeder {
	int		fd;
	const char	*text;
	size_t		len;
	long		delay_ms;
};

static void *
feed(void *arg)
{
	struct feeder *f = arg;
	struct timespec ts = { 0, f->delay_ms * 1000000L };
	size_t off;
	ssize_t n;

	nanosleep(&ts, NULL);
	for (off = 0; off < f->len; off += (size_t)n)
		if ((n = write(f->fd, f->text + off, f->len - off)) <= 0)
			break;
	close(f->fd);
	return (NULL);
}

/* The monitor on text (arriving after delay_ms); its answer, out filled. */
static int
monitor_on(const char *text, long delay_ms)
{
	struct feeder f;
	pthread_t t;
	int fds[2], saved, failed;

	if (pipe(fds) != 0)
		return (-1);
	f = (struct feeder){ fds[1], text, strlen(text), delay_ms };
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	pthread_create(&t, NULL, feed, &f);
	capture_begin();
	failed = kmem_monitor();
	capture_end(out, sizeof(out));
	pthread_join(t, NULL);
	dup2(saved, 0);
	close(saved);
	return (failed);
}

static int
count(const char *needle)
{

	return (capture_count(out, needle));
}

/* The addresses alloc printed ("0x... N bytes"), in order. */
static int
alloc_vas(vm_offset_t *va, int max)
{
	const char *p;
	int n;

	for (n = 0, p = out; n < max && (p = strstr(p, " bytes, pa ")) !=
	    NULL; p++) {
		const char *q = p;

		while (q > out && q[-1] != '\n' && q[-1] != ' ')
			q--;
		while (q > out && q[-1] == ' ')
			q--;
		while (q > out && q[-1] != '\n')
			q--;
		va[n++] = strtoul(q, NULL, 16);
	}
	return (n);
}

static void
input_edges(void)
{
	int failed;

	failed = monitor_on("help\n", 50);
	ok(failed == 0 && strstr(out, "alloc SIZE [DOMAIN]") != NULL &&
	    strstr(out, "kmem monitor: bye") != NULL, "input that arrives "
	    "late is waited for");
	failed = monitor_on("\b\x7fmem\n   \n\t\t\n\tdomains\t\n", 0);
	ok(failed == 0 && strstr(out, "free ") != NULL && strstr(out,
	    "domain 1: ") != NULL && count("kmem> ") == 5, "erasing at the "
	    "start of a line, blank lines and tabs around words are harmless "
	    "(%d prompts)", count("kmem> "));
}

static void
number_edges(void)
{
	char script[512];
	vm_paddr_t pa;
	int failed;

	pa = VM_PAGE_TO_PHYS(vm_page_alloc_noobj(VM_ALLOC_WAITOK));
	snprintf(script, sizeof(script), "page 0X%lX\npage 0x%lx\n", (u_long)pa, (u_long)pa);
	failed = monitor_on(script, 0);
	ok(failed == 0 && count("allocated; kmem marks: none") == 2,
	    "0X and upper-case hex digits read as 0x and lower case");
	vm_page_free(PHYS_TO_VM_PAGE(pa));

	failed = monitor_on("alloc 4KB\nalloc 4q\nalloc 0x40000000000G\n"
	    "page 0x12g\nalloc 1g\nalloc 0x\nalloc 1+\nalloc 1A\n"
	    "page 0x1Z\npage 0x1:\n", 0);
	ok(failed == 10 && count("error: alloc needs a size above 0") == 6 &&
	    count("error: page needs a physical address") == 3 &&
	    strstr(out, "error: kmem_malloc: no memory for that size") != NULL,
	    "a two-letter or unknown suffix, a size that overflows with its "
	    "suffix, a sign, a hex digit in a decimal, a letter after F, a "
	    "colon: "
	    "errors; 1g is read (and too big) (%d)",
	    failed);
}

static void
alloc_free_edges(void)
{
	static char script[65 * 32];
	vm_offset_t va[70];
	u_int free0;
	char *p;
	int failed, i, n;

	kmem_free_flush();
	vm_page_cache_drain();
	free0 = vm_free_count();
	failed = monitor_on("alloc 4k x\nalloc 2m 1\nalloc 1M\n", 0);
	n = alloc_vas(va, 2);
	ok(failed == 1 && strstr(out, "error: no domain x") != NULL && n == 2 &&
	    strstr(out, "2097152 bytes") != NULL && strstr(out,
	    "1048576 bytes") != NULL, "a domain that is no number is refused; "
	    "lower-case m is MiB, in domain 1 or any");
	snprintf(script, sizeof(script), "free 0x%lx 2X\nfree 0 4K\n"
	    "free\t0x%lx\t2M\nfree 0x%lx 1m\n", va[0], va[0], va[1]);
	failed = monitor_on(script, 0);
	ok(failed == 2 && strstr(out, "error: free needs VA SIZE") != NULL &&
	    strstr(out, "error: not an address alloc returned") != NULL &&
	    count("freed 0x") == 2, "free: a size that is no size and VA 0 are "
	    "refused, the real ones free");

	for (p = script, i = 0; i < 65; i++)
		p += sprintf(p, "alloc 4096\n");
	failed = monitor_on(script, 0);
	n = alloc_vas(va, 70);
	ok(failed == 1 && n == 64 && strstr(out, "error: the monitor holds 64 "
	    "allocations already") != NULL, "the 65th allocation is refused "
	    "(%d made)", n);
	for (p = script, i = 0; i < n; i++)
		p += sprintf(p, "free 0x%lx 4K\n", va[i]);
	failed = monitor_on(script, 0);
	kmem_free_flush();
	vm_page_cache_drain();
	ok(failed == 0 && count("freed 0x") == n && vm_free_count() <= free0 &&
	    free0 - vm_free_count() < 64, "the 64 free again, nothing lost "
	    "(%u, %u)", vm_free_count(), free0);
}

static void
look_edges(void)
{
	char script[1024];
	vm_offset_t kva, x, big;
	vm_page_t m, c;
	vm_paddr_t d1, fr;
	vmem_t *vm;
	int failed;

	vm = vmem_create("monitor-edges-arena", 0x10000, 0x10000, 0x1000, 0,
	    M_WAITOK);
	kva = kva_alloc(PAGE_SIZE);
	x = kmem_malloc(PAGE_SIZE, M_WAITOK | M_EXEC);
	big = kmem_malloc(3 * PAGE_SIZE, M_WAITOK);
	m = vm_page_alloc_noobj_domain(1, VM_ALLOC_WAITOK | VM_ALLOC_ZERO);
	d1 = VM_PAGE_TO_PHYS(m);
	(void)vm_phys_free_blocks(0, VM_NFREEORDER - 1, &fr, 1);
	c = vm_page_alloc_noobj_domain(0, VM_ALLOC_WAITOK);
	vm_page_free(c);		/* to this hart's page cache */
	snprintf(script, sizeof(script), "vmem  monitor-edges-arena-and-more\n"
	    "pt 0x%lx\npt 0x%lx\npage 0x%lx\npage 0x%lx\npage 0x%lx\n"
	    "page 0x%lx\npage 0x%lx\n", kva, x, (u_long)VM_PAGE_TO_PHYS(c),
	    (u_long)pmap_kextract(big + 2 * PAGE_SIZE),
	    (u_long)pmap_kextract(x), d1, (u_long)fr);
	failed = monitor_on(script, 0);
	ok(failed == 0 && strstr(out, "monitor-edges-a") != NULL,
	    "vmem NAME: a name longer than arenas keep matches the kept part");
	ok(strstr(out, "(invalid)") != NULL && strstr(out, " V R W X ") !=
	    NULL, "pt: an unbacked KVA shows an invalid entry, an M_EXEC one X");
	ok(strstr(out, "free, in a hart's cache") != NULL && strstr(out,
	    "kmem marks: tail") != NULL && strstr(out, " exec;") != NULL &&
	    strstr(out, "\n  free; kmem marks: none; known zero: no") != NULL,
	    "page: a cached page, the tail of an allocation, an exec one, a "
	    "free one (its struct's list links are no marks)");
	ok(strstr(out, "domain 1, segment 1") != NULL && strstr(out,
	    "known zero: yes") != NULL, "page: a zeroed page of domain 1 is "
	    "in segment 1");
	vm_page_free(m);
	kmem_free(big, 3 * PAGE_SIZE);
	kmem_free(x, PAGE_SIZE);
	kva_free(kva, PAGE_SIZE);
	vmem_destroy(vm);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	input_edges();
	number_edges();
	alloc_free_edges();
	look_edges();
	return (tap_done());
}
