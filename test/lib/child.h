/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * child.h: run a host test's case in a child process, for what can
 * happen once per process (kmem_startup) or leaves the process unusable
 * (a caught panic with a lock still held).  fn's return value is the
 * child's exit status: 0 when every check it made held.  Host only.
 */
#ifndef KMEM_TEST_CHILD_H
#define KMEM_TEST_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* fn's answer from a child process; -1 when the child did not exit. */
static inline int
run_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return (-1);
	return (WEXITSTATUS(st));
}

#endif /* KMEM_TEST_CHILD_H */
