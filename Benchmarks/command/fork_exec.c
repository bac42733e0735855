/* N fork+exec+wait of `true`: the floor a `command` step is compared with. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 1000;
    char *const child[] = { "true", NULL };
    for (int i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execvp("true", child);
            _exit(127);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) {
            fprintf(stderr, "fork_exec: run %d failed\n", i);
            return 1;
        }
    }
    return 0;
}
