/* vm_exec_fast.c — the fast engines: no memory checks, no budget, for
 * programs a verifier approved.  The loop itself is vm_interp.h; this file
 * only instantiates it with threaded (computed goto) and switch dispatch. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vm_int.h"

#define VM_CHECKED 0

#if VM_HAVE_GOTO
#define VM_GOTO 1
#define VM_EXEC_NAME bpftk_vm_exec_fast_goto
#include "vm_interp.h"
#undef VM_GOTO
#undef VM_EXEC_NAME
#else
/* Without computed goto the goto entry point is the switch engine. */
int bpftk_vm_exec_fast_goto(struct vm_run *run, const void *const **labels)
{
	return bpftk_vm_exec_fast_switch(run, labels);
}
#endif

#define VM_GOTO 0
#define VM_EXEC_NAME bpftk_vm_exec_fast_switch
#include "vm_interp.h"
