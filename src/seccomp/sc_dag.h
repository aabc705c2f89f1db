/* sc_dag.h — the rule chains of a policy as one graph of shared tests
 * (dag.c), used by compile.c. */
#ifndef BPFTK_SC_DAG_H
#define BPFTK_SC_DAG_H

#include "sc_emit.h"

struct sc_dag;

BPFTK_INTERNAL struct sc_dag *sc_dag_new(const struct bpftk_seccomp_policy *p);
BPFTK_INTERNAL void sc_dag_free(struct sc_dag *g);
/* The node deciding a call to syscall nr on arch a, nr being the number of
 * rule `first` there (the first rule for it); -1 when out of memory. */
BPFTK_INTERNAL int sc_dag_rules(struct sc_dag *g, int a, size_t first);
/* The label of node id in e (taken on first use). */
BPFTK_INTERNAL int sc_dag_label(struct sc_dag *g, struct sc_emit *e, int id);
/* Emits every node whose label was taken, each after all that jump to it. */
BPFTK_INTERNAL void sc_dag_emit(struct sc_dag *g, struct sc_emit *e);

#endif
