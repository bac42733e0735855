/*
 * Runs PROGRAM once and prints "WALL_NS MAXRSS_KB EXIT CPU_US": the wall
 * time from fork to reaping, the child's peak RSS (wait4's ru_maxrss), its
 * exit status and the CPU it used (user + system, wait4's rusage). A process
 * of its own so the child's peak is its own: Linux counts the memory a child
 * had before exec, and a fork of Python would add Python's ~15 MB to all.
 * The child's output goes to /dev/null.
 *
 *   measure PROGRAM [ARG...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2) { fputs("usage: measure PROGRAM [ARG...]\n", stderr); return 2; }
    uint64_t started = now_ns();
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(child, &status, 0, &usage) < 0) { perror("wait4"); return 1; }
    uint64_t wall = now_ns() - started;
    long long cpu = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000
        + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
    printf("%llu %ld %d %lld\n", (unsigned long long)wall, usage.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), cpu);
    return 0;
}
