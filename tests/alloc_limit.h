/*
 * Allocation failure on demand: alloc_limit.c defines aligned_alloc in the
 * test program, so the library's mha_alloc binds to it (a program's own
 * definition comes before libc's); it forwards to the real one, counting
 * calls, and fails with ENOMEM when told to.
 */
#ifndef MHA_ALLOC_LIMIT_H
#define MHA_ALLOC_LIMIT_H

/* The next aligned_alloc call returns NULL (once). */
void alloc_limit_fail_next(void);

/* aligned_alloc calls so far, the failed one included. */
long alloc_limit_calls(void);

#endif
