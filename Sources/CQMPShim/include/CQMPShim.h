#ifndef QMPBOOK_CQMPSHIM_H
#define QMPBOOK_CQMPSHIM_H

#include <stddef.h>
#include <sys/types.h>

/// Sends `length` bytes from `buffer` on the unix socket `socket`, with `fd`
/// attached as SCM_RIGHTS ancillary data in the same sendmsg(2) call.
/// Uses MSG_NOSIGNAL. Returns the number of bytes sent, or -1 with errno set.
/// The CMSG_* macros cannot be called from Swift; this is why it is C.
ssize_t qmp_send_with_fd(int socket, const void *buffer, size_t length, int fd);

/// Starts `path` (searched on PATH when it has no slash) with `argv` and `envp` (NULL-terminated) in a new process
/// group. The child's stdin is /dev/null, stdout and stderr go to `output_fd`
/// (or stay inherited when it is -1), every other descriptor is closed on exec
/// by the caller's O_CLOEXEC discipline, and PR_SET_PDEATHSIG makes the
/// kernel send SIGKILL to the child if the process that started it dies.
/// Returns the child's pid, or -1 with errno set (exec failures are reported
/// through a CLOEXEC pipe, so a missing binary is an error here, not later).
/// accept4(2) with SOCK_CLOEXEC, retrying EINTR: glibc declares accept4 only
/// under _GNU_SOURCE, which Swift's Glibc module does not define.
int qmp_accept_cloexec(int socket);

pid_t qmp_spawn(const char *path, char *const argv[], char *const envp[], int output_fd);

#endif
