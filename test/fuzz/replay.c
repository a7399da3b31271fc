/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * replay.c: run a fuzz target's inputs once each without libFuzzer, so the
 * corpora are ordinary tests in any build (gcc coverage included).
 * usage: replay_<name> FILE|DIR...   (TAP: one line per argument)
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	uint8_t *buf;
	FILE *f;
	long n;

	f = fopen(path, "rb");
	if (f == NULL)
		return (-1);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* An exact-size copy, as libFuzzer hands out (ASan sees overreads). */
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return (-1);
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return (0);
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int i, n, bad;

	for (i = 1; i < argc; i++) {
		n = bad = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			d = opendir(argv[i]);
			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i],
				    de->d_name);
				if (replay_file(path) != 0)
					bad++;
				n++;
			}
			if (d != NULL)
				closedir(d);
		} else {
			bad = replay_file(argv[i]) != 0;
			n = 1;
		}
		ok(n > 0 && bad == 0, "%d inputs of %s replayed (a finding "
		    "aborts)", n, argv[i]);
	}
	return (tap_done());
}
