/*
 * `qmpbook exec unix:SOCKET COMMAND` as a C one-shot, the floor for the
 * whole-process start-up benchmark: connect, read the greeting, negotiate
 * capabilities, send COMMAND with an id, print its reply line, exit.
 *
 *   exec_client SOCKET COMMAND
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int sock;
static char buffer[1 << 16];
static size_t filled;

/* The next line from the socket (NUL-terminated), or exits. */
static char *read_line(void) {
    static size_t consumed;
    for (;;) {
        char *start = buffer + consumed;
        char *newline = memchr(start, '\n', filled - consumed);
        if (newline) {
            *newline = 0;
            consumed = (size_t)(newline - buffer) + 1;
            return start;
        }
        memmove(buffer, start, filled - consumed);
        filled -= consumed;
        consumed = 0;
        if (filled == sizeof buffer) { fputs("line too long\n", stderr); exit(1); }
        ssize_t got = read(sock, buffer + filled, sizeof buffer - filled);
        if (got <= 0) { perror("read"); exit(1); }
        filled += (size_t)got;
    }
}

/* Reads lines until the reply with "id": ID (events are skipped). */
static char *reply(const char *id) {
    for (;;) {
        char *line = read_line();
        if (strstr(line, id)) return line;
    }
}

static void send_text(const char *text) {
    if (send(sock, text, strlen(text), MSG_NOSIGNAL) != (ssize_t)strlen(text)) { perror("send"); exit(1); }
}

int main(int argc, char **argv) {
    if (argc != 3) { fputs("usage: exec_client SOCKET COMMAND\n", stderr); return 2; }
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&address, sizeof address) < 0) { perror("connect"); return 1; }
    read_line();
    send_text("{\"execute\":\"qmp_capabilities\",\"id\":1}\n");
    reply("\"id\": 1");
    char command[256];
    snprintf(command, sizeof command, "{\"execute\":\"%s\",\"id\":2}\n", argv[2]);
    send_text(command);
    puts(reply("\"id\": 2"));
    close(sock);
    return 0;
}
