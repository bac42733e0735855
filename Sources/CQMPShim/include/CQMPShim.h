#ifndef QMPBOOK_CQMPSHIM_H
#define QMPBOOK_CQMPSHIM_H

#include <stddef.h>
#include <sys/types.h>

/// Sends `length` bytes from `buffer` on the unix socket `socket`, with `fd`
/// attached as SCM_RIGHTS ancillary data in the same sendmsg(2) call.
/// Uses MSG_NOSIGNAL. Returns the number of bytes sent, or -1 with errno set.
/// The CMSG_* macros cannot be called from Swift; this is why it is C.
ssize_t qmp_send_with_fd(int socket, const void *buffer, size_t length, int fd);

/// accept4(2) with SOCK_CLOEXEC, retrying EINTR: glibc declares accept4 only
/// under _GNU_SOURCE, which Swift's Glibc module does not define.
int qmp_accept_cloexec(int socket);

/// What `qmp_spawn_in_group` starts and where its standard descriptors go.
struct qmp_spawn_request {
    /// The program; searched on PATH when it has no slash.
    const char *path;
    /// NULL-terminated argument and environment vectors.
    char *const *argv;
    char *const *envp;
    /// The child's working directory, or NULL to keep the caller's.
    const char *directory;
    /// Descriptors to become the child's 0, 1 and 2; -1 gives /dev/null for
    /// stdin and keeps the caller's stdout/stderr.
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
};

/// Why `qmp_spawn_in_group` failed: which stage set errno.
enum qmp_spawn_stage {
    QMP_SPAWN_STAGE_NONE = 0,
    QMP_SPAWN_STAGE_FORK = 1,
    QMP_SPAWN_STAGE_DIRECTORY = 2,
    QMP_SPAWN_STAGE_EXEC = 3,
};

/// Starts a child as the leader of a new process group (its pgid is its pid),
/// with default signal dispositions and an empty signal mask, and
/// PR_SET_PDEATHSIG so the kernel sends it SIGKILL if the thread that started
/// it ends (keep that thread alive for the child's life: it is the child's
/// parent in the kernel's eyes). Every descriptor but 0, 1 and 2 is closed on
/// exec by the caller's O_CLOEXEC discipline.
/// Returns the child's pid once it has exec'd (so its process group exists),
/// or -1 with errno set and `*stage` saying what failed (chdir and exec
/// failures are reported through a CLOEXEC pipe, so a missing program or
/// folder is an error here, not a child exit status of 127).
pid_t qmp_spawn_in_group(const struct qmp_spawn_request *request, int *stage);

/// Starts a watchdog for the process group `group` (a child's, from
/// `qmp_spawn_in_group`, not yet reaped) and returns the write end of a pipe
/// to it (close-on-exec), with the watchdog's pid in `*watchdog`; or -1 with
/// errno set.
///
/// The watchdog is a forked (not exec'd) child named `qmpbook-watch` that
/// joins `group` — so the group, and its id, exist as long as it lives and
/// `kill(-group, …)` can never reach a recycled group — ignores the terminal
/// and termination signals (SIGKILL still ends it), closes every descriptor
/// but its pipe's read end, and blocks reading it. When the write end is
/// closed — by the caller once the child is reaped, or by the kernel when
/// qmpbook dies, even by SIGKILL — it sends SIGKILL to the whole group,
/// itself included. The caller reaps it (waitpid) after closing the pipe.
int qmp_watch_group(pid_t group, pid_t *watchdog);

/// `qmp_spawn_in_group` with stdin on /dev/null and stdout and stderr both on
/// `output_fd` (or inherited when it is -1).
pid_t qmp_spawn(const char *path, char *const argv[], char *const envp[], int output_fd);

/// pidfd_open(2): a descriptor that polls readable once `pid` has exited
/// (without reaping it). O_CLOEXEC is implied by the kernel.
int qmp_pidfd_open(pid_t pid);

/// pipe2(2) with O_CLOEXEC (glibc declares pipe2 only under _GNU_SOURCE).
int qmp_pipe_cloexec(int ends[2]);

/// 1 when `pid` (a child) has exited, 0 while it runs, without reaping it
/// (waitid with WNOHANG | WNOWAIT); 1 also when it cannot be waited for.
int qmp_has_exited(pid_t pid);

/// write(2) that returns -1 with EPIPE instead of raising SIGPIPE when the
/// reader has gone: SIGPIPE is blocked on the calling thread around the
/// write and a SIGPIPE the write raised is consumed before unblocking.
ssize_t qmp_write_without_sigpipe(int fd, const void *buffer, size_t length);

/// Names the calling thread (the kernel keeps 15 bytes): pthread_setname_np
/// is declared only under _GNU_SOURCE. Returns 0 or an errno value.
int qmp_name_current_thread(const char *name);

#endif
