/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/report.h: the machine-readable view of kmem's state, and the
 * console monitor.
 *
 * A report is one snapshot of every layer as JSON lines: one object per
 * line, each with "kmem" (the kind of line) and "snap" (the snapshot
 * number, counting from 1).  The kinds, in order: "machine", "domain" (one
 * per domain), "segment" (one per physical segment), "hart" (one per
 * hart), "arena" (one per vmem arena), "map" (kernel_map and submaps),
 * "kmem" (commit, page tables, lowmem, batches, shootdowns), "end".  The
 * README lists every field.  Figures are taken layer by layer under each
 * layer's own lock, so a report taken while other harts allocate is a
 * racy snapshot: each line is consistent, the lines together need not be.
 */
#ifndef KMEM_REPORT_H
#define KMEM_REPORT_H

#include <kmem/types.h>

/** Print one report to the console (md_console_write), a line at a time. */
void kmem_report_json(void);

/**
 * Write one report into @p buf: as many whole lines as fit in @p len - 1
 * bytes, then a NUL (when @p len > 0).  A line that does not fit and
 * every line after it are left out.
 * @return the bytes the whole report needs (without the NUL): the report
 *	   is complete when the answer is less than @p len
 */
size_t kmem_report_json_buf(char *buf, size_t len);

/**
 * Count one remote TLB shootdown sent to other harts (the platform's
 * md_tlb_shootdown calls it when it actually interrupts another hart; an
 * RTOS in library mode may call it too).  Shown as "shootdowns".
 */
void kmem_report_note_shootdown(void);
/** Remote TLB shootdowns counted so far. */
u_long kmem_report_shootdowns(void);

struct vmem;
/**
 * What an arena is to kmem: "kernel" (kernel_arena), "domain" or
 * "domain_exec" (a domain's arena for kmem_malloc, or for M_EXEC), or
 * "user" (any other), with its domain in *domain (-1: none).
 */
const char *kmem_report_arena_kind(struct vmem *vm, int *domain);

/**
 * A line-oriented shell on the console (md_console_read): help, mem,
 * domains, arenas, vmem NAME, pt VA, page PA, alloc SIZE [DOMAIN],
 * free VA SIZE, lowmem, json, quit.  Every bad command or number gets a
 * one-line error; nothing a user types can panic (free checks that the
 * range is a live allocation made here before calling kmem_free).
 * Returns on "quit" or at the end of input.
 * @return the number of commands that failed
 */
int kmem_monitor(void);

#endif /* KMEM_REPORT_H */
