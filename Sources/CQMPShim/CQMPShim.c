#define _GNU_SOURCE
#include "CQMPShim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t qmp_send_with_fd(int socket, const void *buffer, size_t length, int fd) {
    struct iovec iov = { .iov_base = (void *)buffer, .iov_len = length };
    union {
        char space[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));

    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof(control.space);

    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof(int));

    ssize_t sent;
    do {
        sent = sendmsg(socket, &message, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
}

int qmp_accept_cloexec(int socket) {
    int fd;
    do {
        fd = accept4(socket, NULL, NULL, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

/* In the child: makes `from` the descriptor `to`, surviving exec. */
static void qmp_move_descriptor(int from, int to) {
    if (from == to) {
        int flags = fcntl(to, F_GETFD);
        if (flags >= 0) fcntl(to, F_SETFD, flags & ~FD_CLOEXEC);
    } else {
        dup2(from, to);
    }
}

pid_t qmp_spawn_in_group(const struct qmp_spawn_request *request, int *stage) {
    *stage = QMP_SPAWN_STAGE_NONE;
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *stage = QMP_SPAWN_STAGE_FORK;
        return -1;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        *stage = QMP_SPAWN_STAGE_FORK;
        errno = saved;
        return -1;
    }
    if (child == 0) {
        /* Only async-signal-safe calls from here to exec. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(127);
        }
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int number = 1; number < NSIG; number++) {
            if (number != SIGKILL && number != SIGSTOP) signal(number, SIG_DFL);
        }
        int failure[2] = { 0, 0 };
        int input = request->stdin_fd;
        if (input < 0) input = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (input >= 0) qmp_move_descriptor(input, 0);
        if (request->stdout_fd >= 0) qmp_move_descriptor(request->stdout_fd, 1);
        if (request->stderr_fd >= 0) qmp_move_descriptor(request->stderr_fd, 2);
        if (request->directory != NULL && chdir(request->directory) != 0) {
            failure[0] = QMP_SPAWN_STAGE_DIRECTORY;
            failure[1] = errno;
        } else {
            execvpe(request->path, request->argv, request->envp);
            failure[0] = QMP_SPAWN_STAGE_EXEC;
            failure[1] = errno;
        }
        ssize_t ignored = write(report[1], failure, sizeof(failure));
        (void)ignored;
        _exit(127);
    }
    close(report[1]);
    int failure[2] = { 0, 0 };
    ssize_t got;
    do {
        got = read(report[0], failure, sizeof(failure));
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof(failure)) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        *stage = failure[0];
        errno = failure[1];
        return -1;
    }
    return child;
}

int qmp_watch_group(pid_t group, pid_t *watchdog) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) return -1;
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(ends[0]);
        close(ends[1]);
        errno = saved;
        return -1;
    }
    if (child == 0) {
        /* Only async-signal-safe calls from here on: this is a fork of a threaded process. */
        if (setpgid(0, group) != 0 && getpgrp() != group) _exit(1);
        prctl(PR_SET_NAME, "qmpbook-watch", 0, 0, 0);
        struct sigaction ignore;
        memset(&ignore, 0, sizeof(ignore));
        ignore.sa_handler = SIG_IGN;
        int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
        for (size_t index = 0; index < sizeof(ignored) / sizeof(ignored[0]); index++) {
            sigaction(ignored[index], &ignore, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Keep only the pipe's read end, as descriptor 0: holding anything
           else open (a socket, someone's pipe) would outlive qmpbook. */
        if (ends[0] != 0) dup2(ends[0], 0);
        if (syscall(SYS_close_range, 1U, ~0U, 0U) != 0) {
            for (int fd = 1; fd < 65536; fd++) close(fd);
        }
        char byte;
        ssize_t got;
        do {
            got = read(0, &byte, 1);
        } while (got > 0 || (got < 0 && errno == EINTR));
        kill(-group, SIGKILL);
        _exit(0);
    }
    close(ends[0]);
    /* Both sides set the group, so it is joined when this returns. */
    if (setpgid(child, group) != 0 && getpgid(child) != group) {
        int saved = errno;
        close(ends[1]);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
        errno = saved;
        return -1;
    }
    *watchdog = child;
    return ends[1];
}

pid_t qmp_spawn(const char *path, char *const argv[], char *const envp[], int output_fd) {
    struct qmp_spawn_request request = {
        .path = path, .argv = argv, .envp = envp, .directory = NULL,
        .stdin_fd = -1, .stdout_fd = output_fd, .stderr_fd = output_fd,
    };
    int stage;
    return qmp_spawn_in_group(&request, &stage);
}

int qmp_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

ssize_t qmp_write_without_sigpipe(int fd, const void *buffer, size_t length) {
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    ssize_t written;
    do {
        written = write(fd, buffer, length);
    } while (written < 0 && errno == EINTR);
    int saved = errno;
    if (written < 0 && saved == EPIPE && !was_pending) {
        struct timespec now = { 0, 0 };
        while (sigtimedwait(&pipe_only, NULL, &now) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    errno = saved;
    return written;
}

int qmp_pipe_cloexec(int ends[2]) {
    return pipe2(ends, O_CLOEXEC);
}

int qmp_has_exited(pid_t pid) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno != EINTR) return 1;
    }
    return info.si_pid == pid ? 1 : 0;
}

int qmp_name_current_thread(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    return pthread_setname_np(pthread_self(), truncated);
}
