/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture.h: catch what the host console prints (kmem_printf goes to
 * stderr on the host twin), so a test can assert the lines a printing
 * function writes.  capture_begin() sends stderr to a temporary file;
 * capture_end() restores it, copies the text into buf (NUL-terminated,
 * cut at size - 1) and echoes it to stderr for the test's log;
 * capture_count() counts a string in what was caught.
 */
#ifndef KMEM_TEST_CAPTURE_H
#define KMEM_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *capture_file;
static int capture_saved = -1;

static inline void
capture_begin(void)
{

	fflush(stderr);
	capture_file = tmpfile();
	capture_saved = dup(2);
	if (capture_file == NULL || capture_saved < 0 ||
	    dup2(fileno(capture_file), 2) < 0) {
		perror("capture_begin");
		exit(2);
	}
}

static inline size_t
capture_end(char *buf, size_t size)
{
	size_t n;

	fflush(stderr);
	dup2(capture_saved, 2);
	close(capture_saved);
	capture_saved = -1;
	rewind(capture_file);
	n = fread(buf, 1, size - 1, capture_file);
	buf[n] = '\0';
	fclose(capture_file);
	capture_file = NULL;
	fputs(buf, stderr);
	return (n);
}

/* How many times needle occurs in buf (overlapping ones too). */
static inline int
capture_count(const char *buf, const char *needle)
{
	const char *p;
	int n;

	for (n = 0, p = buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return (n);
}

#endif /* KMEM_TEST_CAPTURE_H */
