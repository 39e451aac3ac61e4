/* A lab's run of the conformance check; see lab_conformance.h. */
#include "lab_conformance.h"

#include "conformance/harness.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* The highest CPU-feature level this machine runs (the one `mha check` gives a port). */
static const char *top_level(void)
{
    const char *const *names;
    const uint32_t *masks;
    const int n = mha_cpu_levels(&names, &masks);
    const uint32_t detected = mha_cpu_detected();
    const char *top = n > 0 ? names[0] : NULL;
    for (int l = 0; l < n; l++)
        if ((masks[l] & detected) == masks[l])
            top = names[l];
    return top;
}

void lab_conformance_run(lab_env *env, const char *broken_kind, const char *cases, lab_conformance *r)
{
    char port[1024];
    harness_options o;
    memset(&o, 0, sizeof o);
    memset(r, 0, sizeof *r);
    summary_init(&r->rep);
    if (broken_kind) {
        snprintf(port, sizeof port, "%s/libbroken_%s.so", env->broken_dir, broken_kind);
        o.port = port;
    } else {
        o.impl = env->impl->name;
    }
    o.pattern = cases;
    o.level = top_level();
    o.vectors = env->vectors_dir;
    o.timeout_s = 60;
    /* the rerun lines start with the program and the vectors, as `mha check` writes them */
    char prefix[1024] = "";
    shell_arg_append(prefix, sizeof prefix, env->mha_path);
    memmove(prefix, prefix + 1, strlen(prefix)); /* no leading space */
    strncat(prefix, " check --vectors", sizeof prefix - strlen(prefix) - 1);
    shell_arg_append(prefix, sizeof prefix, env->vectors_dir);
    o.rerun = prefix;
    snprintf(r->command, sizeof r->command, "%s %s", prefix, broken_kind ? "--port" : "--impl");
    shell_arg_append(r->command, sizeof r->command, broken_kind ? port : env->impl->name);
    strncat(r->command, " --case", sizeof r->command - strlen(r->command) - 1);
    shell_arg_append(r->command, sizeof r->command, cases);
    fflush(env->out);
    if (broken_kind && access(port, R_OK) != 0) {
        fprintf(env->out, "  %s: %s; the deliberately broken ports are built with mhalab (conformance/broken)\n"
                          "  and installed in LIBDIR/mhalab/broken\n", port, strerror(errno));
        r->status = CHECK_CANNOT_JUDGE;
        return;
    }
    fflush(stdout);
    r->status = harness_check(&o, &r->rep);
    fflush(stdout);
}

int lab_conformance_case(const lab_conformance *r, const char *id)
{
    for (size_t i = 0; i < r->rep.count; i++)
        for (size_t j = 0; j < r->rep.runs[i].count; j++) {
            const run_result *res = &r->rep.runs[i].results[j];
            if (!res->started && strcmp(res->id, id) == 0)
                return res->pass ? 1 : 0;
        }
    return -1;
}

void lab_conformance_free(lab_conformance *r)
{
    summary_free(&r->rep);
}
