/*
 * Thread creation failure on demand: thread_limit.c defines pthread_create
 * in the test program, so the library's calls bind to it (a program's own
 * definition comes before libc's); it forwards to the real one while the
 * limit allows and fails with EAGAIN, as the kernel does under
 * RLIMIT_NPROC, once it is spent.
 */
#ifndef MHA_THREAD_LIMIT_H
#define MHA_THREAD_LIMIT_H

/* n more threads may be created from now on; -1: no limit (the start). */
void thread_limit_set(int n);

/* Threads created so far. */
int thread_limit_created(void);

#endif
