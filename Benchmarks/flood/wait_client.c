/* The floor for a wait through a flood: connect, handshake, say "ready",
 * then read lines until one is DEVICE_DELETED for the marker device.
 * No JSON parsing; a line is matched by two substrings.
 *
 *     wait_client SOCKET READY-FILE MARKER
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

static char buffer[1 << 20];
static size_t filled;

/* Reads until a whole line is buffered; returns its length (with the newline), or 0 at end of stream. */
#define _GNU_SOURCE
static size_t next_line(int fd, size_t *start) {
    for (;;) {
        char *newline = memchr(buffer + *start, '\n', filled - *start);
        if (newline) return (size_t)(newline - (buffer + *start)) + 1;
        if (*start > 0) {
            memmove(buffer, buffer + *start, filled - *start);
            filled -= *start;
            *start = 0;
        }
        if (filled == sizeof buffer) { fprintf(stderr, "line too long\n"); exit(2); }
        ssize_t got = read(fd, buffer + filled, sizeof buffer - filled);
        if (got <= 0) return 0;
        filled += (size_t)got;
    }
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: wait_client SOCKET READY-FILE MARKER\n"); return 2; }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("connect"); return 3; }
    char quoted[256];
    snprintf(quoted, sizeof quoted, "\"device\": \"%s\"", argv[3]);
    size_t start = 0, length;
    length = next_line(fd, &start);                       /* the greeting */
#define _GNU_SOURCE
    start += length;
    const char *capabilities = "{\"execute\": \"qmp_capabilities\"}\n";
    if (write(fd, capabilities, strlen(capabilities)) < 0) return 3;
    while ((length = next_line(fd, &start)) > 0) {          /* its reply */
#define _GNU_SOURCE
        int is_return = memmem(buffer + start, length, "\"return\"", 8) != NULL;
        start += length;
        if (is_return) break;
    }
    close(open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    while ((length = next_line(fd, &start)) > 0) {
        char *line = buffer + start;
        int found = memmem(line, length, "DEVICE_DELETED", 14) && memmem(line, length, quoted, strlen(quoted));
        start += length;
        if (found) return 0;
    }
    fprintf(stderr, "the stream ended before the marker\n");
    return 1;
}
