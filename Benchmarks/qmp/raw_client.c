/*
 * The smallest useful QMP client, as a speed baseline: write a command,
 * read lines until its reply. No JSON parsing beyond finding a substring.
 *
 * Every command carries an "id", as the engine's and qemu.qmp's do (they
 * need one to match replies): QEMU 7.2 answers a command with an id 25-50 us
 * later than the same command without one, so a baseline without ids would
 * measure QEMU, not the clients.
 *
 *   raw_client [--oob] [--busy] SOCKET WORKLOAD COUNT
 *
 * Workloads: roundtrip, schema, event, getfd, concurrent (8 commands kept
 * in flight, a new one sent as each reply comes in, as 8 tasks would).
 * With --oob the handshake enables the oob capability. With --busy the
 * client never sleeps: it polls the socket without blocking, keeping its CPU
 * awake (a measure of what waking an idle CPU costs on this machine, not a
 * way to run). Prints one JSON object.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int sock, busy;
static char *buffer;
static size_t capacity = 1 << 20, filled, consumed;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* Returns the next line (NUL-terminated, without the newline). */
static char *read_line(void) {
    for (;;) {
        char *start = buffer + consumed;
        char *newline = memchr(start, '\n', filled - consumed);
        if (newline) {
            *newline = 0;
            consumed = (size_t)(newline - buffer) + 1;
            return start;
        }
        if (consumed > 0) {
            memmove(buffer, buffer + consumed, filled - consumed);
            filled -= consumed;
            consumed = 0;
        }
        if (filled == capacity) {
            capacity *= 2;
            buffer = realloc(buffer, capacity);
        }
        ssize_t got;
        do {
            got = recv(sock, buffer + filled, capacity - filled, busy ? MSG_DONTWAIT : 0);
        } while (busy && got < 0 && errno == EAGAIN);
        if (got <= 0) die("read");
        filled += (size_t)got;
    }
}

static void send_all(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t sent = send(sock, text, length, MSG_NOSIGNAL);
        if (sent < 0) die("send");
        text += sent;
        length -= (size_t)sent;
    }
}

static void send_with_fd(const char *text, int fd) {
    struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
    union { char space[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.space, .msg_controllen = sizeof control.space};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    if (sendmsg(sock, &message, MSG_NOSIGNAL) < 0) die("sendmsg");
}

/* QEMU writes events as {"timestamp": ..., "event": ...}; replies never start so. */
static int is_event(const char *line) {
    return strncmp(line, "{\"timestamp\"", 12) == 0;
}

/* Reads lines until the reply (the first line that is not an event); returns it. */
static char *read_reply(void) {
    for (;;) {
        char *line = read_line();
        if (!is_event(line)) return line;
    }
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void print_latencies(int oob, const char *workload, uint64_t *samples, int count, uint64_t total) {
    qsort(samples, (size_t)count, sizeof *samples, compare);
    printf("{\"client\":\"c-raw%s%s\",\"workload\":\"%s\",\"count\":%d,\"seconds\":%.6f,"
           "\"ops_per_sec\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f}\n",
           oob ? "+oob" : "", busy ? "-busy" : "", workload, count, total / 1e9, count / (total / 1e9),
           samples[count / 2] / 1e3, samples[(int)(count * 0.99)] / 1e3, total / 1e3 / count);
}

static uint64_t send_query_status(int id) {
    char command[96];
    snprintf(command, sizeof command, "{\"execute\":\"query-status\",\"id\":%d}\n", id);
    uint64_t start = now_ns();
    send_all(command);
    return start;
}

int main(int argc, char **argv) {
    int oob = 0;
    for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argv++, argc--) {
        if (strcmp(argv[1], "--oob") == 0) oob = 1;
        else if (strcmp(argv[1], "--busy") == 0) busy = 1;
        else argc = 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: raw_client [--oob] [--busy] SOCKET WORKLOAD COUNT\n");
        return 2;
    }
    const char *workload = argv[2];
    int count = atoi(argv[3]);
    buffer = malloc(capacity);

    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (connect(sock, (struct sockaddr *)&address, sizeof address) < 0) die("connect");
    read_line(); /* greeting */
    send_all(oob ? "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n"
                 : "{\"execute\":\"qmp_capabilities\"}\n");
    read_reply();

    uint64_t *samples = calloc((size_t)count, sizeof *samples);
    uint64_t begin = now_ns(), wall = 0;
    if (strcmp(workload, "concurrent") == 0) {
        enum { depth = 8 };
        uint64_t *sent_at = calloc((size_t)count, sizeof *sent_at);
        int sent = 0;
        for (; sent < depth && sent < count; sent++) sent_at[sent] = send_query_status(sent);
        for (int done = 0; done < count; done++) {
            char *id = strstr(read_reply(), "\"id\":");
            int which = id ? atoi(id + 5) : -1;
            if (which < 0 || which >= count) {
                fprintf(stderr, "a reply without a known id\n");
                return 1;
            }
            samples[done] = now_ns() - sent_at[which];
            if (sent < count) {
                sent_at[sent] = send_query_status(sent);
                sent++;
            }
        }
        wall = now_ns() - begin;
        free(sent_at);
    } else if (strcmp(workload, "roundtrip") == 0) {
        for (int i = 0; i < count; i++) {
            char command[96];
            snprintf(command, sizeof command, "{\"execute\":\"query-status\",\"id\":%d}\n", i);
            uint64_t start = now_ns();
            send_all(command);
            read_reply();
            samples[i] = now_ns() - start;
        }
    } else if (strcmp(workload, "schema") == 0) {
        for (int i = 0; i < count; i++) {
            uint64_t start = now_ns();
            send_all("{\"execute\":\"query-qmp-schema\",\"id\":1}\n");
            read_reply();
            samples[i] = now_ns() - start;
        }
    } else if (strcmp(workload, "event") == 0) {
        for (int i = 0; i < count; i++) {
            char command[96];
            snprintf(command, sizeof command, "{\"execute\":\"cont\",\"id\":%d}\n", 2 * i);
            send_all(command);
            for (;;) {
                char *line = read_line();
                if (is_event(line) && strstr(line, "\"RESUME\"")) break;
            }
            read_reply();
            snprintf(command, sizeof command, "{\"execute\":\"stop\",\"id\":%d}\n", 2 * i + 1);
            uint64_t start = now_ns();
            send_all(command);
            for (;;) {
                char *line = read_line();
                if (is_event(line) && strstr(line, "\"STOP\"")) break;
            }
            samples[i] = now_ns() - start;
            read_reply();
        }
    } else if (strcmp(workload, "getfd") == 0) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        for (int i = 0; i < count; i++) {
            char command[128];
            snprintf(command, sizeof command,
                     "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"bench\"},\"id\":%d}\n", i);
            uint64_t start = now_ns();
            send_with_fd(command, fd);
            char *reply = read_reply();
            if (!strstr(reply, "\"return\"")) {
                fprintf(stderr, "getfd failed: %s\n", reply);
                return 1;
            }
            samples[i] = now_ns() - start;
        }
        close(fd);
    } else {
        fprintf(stderr, "unknown workload %s\n", workload);
        return 2;
    }
    uint64_t total = wall;
    if (wall == 0) {
        for (int i = 0; i < count; i++) total += samples[i];
    }
    print_latencies(oob, workload, samples, count, total);
    close(sock);
    return 0;
}
