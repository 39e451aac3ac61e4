/*
 * Ports that attack the harness rather than the arithmetic: each exits,
 * hangs, forks or prints where a port must not. The attention itself is
 * libmha's naive implementation, so what `mha check` reports is the
 * hostility alone (see conformance/selftest/check_hostile.py). One
 * behaviour per module, chosen by HOSTILE_KIND at compile time:
 *
 *   0 correct          no hostility: must pass
 *   1 exit_attention   exit(0) inside attention on the shape of seqlen_s17
 *   2 exit_constructor exit(0) in a constructor (while dlopen runs)
 *   3 exit_entry       exit(0) inside mha_port_impl()
 *   4 ignore_alarm     ignores SIGALRM, sets alarm(1) and never returns from attention
 *   5 fork_sleeper     forks a child that sleeps 600 s holding every inherited fd, then computes correctly
 *   6 print_stdout     prints a line to stdout from attention
 *   7 entry_loop       never returns from mha_port_impl()
 *   8 own_alarm        alarm(1) and waits in attention: killed by its own SIGALRM (not a timeout)
 */
#include "mha.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef HOSTILE_KIND
#error "HOSTILE_KIND must be defined (0..8)"
#endif

static const mha_impl *naive;

static int is_seqlen_s17(const mha_shape *s)
{
    return s->heads == 1 && s->q_len == 17 && s->kv_len == 17 && s->head_dim == 16;
}

static void hostile_attention(const mha_args *args, void *workspace)
{
#if HOSTILE_KIND == 1
    if (is_seqlen_s17(&args->shape))
        exit(0);
#elif HOSTILE_KIND == 4
    signal(SIGALRM, SIG_IGN);
    alarm(1);
    for (;;)
        pause();
#elif HOSTILE_KIND == 5
    static int forked;
    if (!forked++ && fork() == 0) {
        sleep(600);
        _exit(0);
    }
#elif HOSTILE_KIND == 6
    printf("hostile_print_stdout: called on %lld x %lld\n", (long long)args->shape.q_len,
           (long long)args->shape.kv_len);
#elif HOSTILE_KIND == 8
    alarm(1);
    for (;;)
        pause();
#endif
    (void)is_seqlen_s17;
    naive->attention(args, workspace);
}

static size_t hostile_workspace(const mha_shape *shape, int threads, int want_probs)
{
    return naive->workspace ? naive->workspace(shape, threads, want_probs) : 0;
}

#if HOSTILE_KIND == 2
__attribute__((constructor)) static void exit_on_load(void)
{
    exit(0);
}
#endif

const mha_impl *mha_port_impl(void);
const mha_impl *mha_port_impl(void)
{
#if HOSTILE_KIND == 3
    exit(0);
#elif HOSTILE_KIND == 7
    for (;;)
        pause();
#endif
    static mha_impl impl;
    naive = mha_impl_find("naive");
    if (!naive)
        return NULL;
    impl = *naive;
    impl.name = "hostile_" HOSTILE_NAME;
    impl.summary = "attacks the harness: " HOSTILE_NAME;
    impl.cpu_features = 0;
    impl.workspace = hostile_workspace;
    impl.attention = hostile_attention;
    impl.matmul = NULL;
    return &impl;
}
