/* vm_exec_checked.c — the checked engines: every load, store and atomic
 * is checked against the stack frames and regions, and instructions are
 * counted against the budget.  The loop itself is vm_interp.h; this file
 * only instantiates it with threaded (computed goto) and switch dispatch. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vm_int.h"

#define VM_CHECKED 1

#if VM_HAVE_GOTO
#define VM_GOTO 1
#define VM_EXEC_NAME bpftk_vm_exec_checked_goto
#include "vm_interp.h"
#undef VM_GOTO
#undef VM_EXEC_NAME
#else
/* Without computed goto the goto entry point is the switch engine. */
int bpftk_vm_exec_checked_goto(struct vm_run *run, const void *const **labels)
{
	return bpftk_vm_exec_checked_switch(run, labels);
}
#endif

#define VM_GOTO 0
#define VM_EXEC_NAME bpftk_vm_exec_checked_switch
#include "vm_interp.h"
