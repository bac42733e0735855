/* valgrind 3.19 stops the process when rt_sigsuspend is handed a mask in
 * read-only memory, which libdispatch does. Preloaded under valgrind, this
 * hands the kernel a copy of the mask on the stack instead. */
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
